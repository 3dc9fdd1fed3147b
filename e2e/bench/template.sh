#!/usr/bin/env bash
# Benchmark: `wheelhouse template` (release build) against `helm template` (the pinned v4.3.1
# oracle) as whole processes, on charts of the conformance corpus.
#
# Usage: e2e/bench/template.sh [RUNS]
#   RUNS (default 9): runs per tool and chart; the median wall time and the median peak RSS
#   are reported, with the ratios helm/wheelhouse (time: >1 means wheelhouse is faster;
#   memory: wheelhouse as a fraction of helm).
# Environment: WHEELHOUSE (binary; default: `cargo build --release` then target/release/wheelhouse),
#   HELM (default: the e2e tools build), WHEELHOUSE_SHARED_DIR (default ../shared),
#   CHARTS (default "kube-prometheus-stack argo-cd nginx").
# Needs GNU time (/usr/bin/time) for peak RSS. Both tools render the same arguments:
#   template NAME CHART --namespace bench --kube-version 1.33.0
# and their outputs are checked to be non-empty; each tool's output is discarded.
set -euo pipefail

RUNS=${1:-9}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${WHEELHOUSE_SHARED_DIR:-$ROOT/../shared}
CHARTS=${CHARTS:-"kube-prometheus-stack argo-cd nginx"}

die() { echo "template.sh: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is required for peak RSS"

if [ -z "${WHEELHOUSE:-}" ]; then
	(cd "$ROOT" && cargo build --release --quiet --bin wheelhouse) || die "cargo build failed"
	WHEELHOUSE=$ROOT/target/release/wheelhouse
fi
if [ -z "${HELM:-}" ]; then
	HELM=$(bash "$ROOT/e2e/cluster.sh" build)/helm
fi
[ -x "$WHEELHOUSE" ] || die "no wheelhouse binary at $WHEELHOUSE"
[ -x "$HELM" ] || die "no helm binary at $HELM"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HELM_CONFIG_HOME=$WORK/helm-config HELM_CACHE_HOME=$WORK/helm-cache HELM_DATA_HOME=$WORK/helm-data
export KUBECONFIG=$WORK/no-kubeconfig

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit 1; if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure TOOL CHART: prints "wall_seconds kilobytes cpu_seconds" for one run (wall time from
# nanosecond clock readings around the process; peak RSS and user+system CPU time from GNU
# time); fails if the tool fails.
measure() {
	local bin=$1 chart=$2 out=$WORK/out err=$WORK/err stats=$WORK/stats start end
	start=$(date +%s%N)
	/usr/bin/time -f '%M %U %S' -o "$stats" "$bin" template "$chart" "$SHARED/conformance/charts/$chart" \
		--namespace bench --kube-version 1.33.0 >"$out" 2>"$err" ||
		die "$bin template $chart failed: $(head -c 2000 "$err")"
	end=$(date +%s%N)
	[ -s "$out" ] || die "$bin template $chart printed nothing"
	tail -n 1 "$stats" | awk -v s="$start" -v e="$end" '{ printf "%.6f %d %.2f\n", (e - s) / 1e9, $1, $2 + $3 }'
}

printf '%-24s %8s %8s %8s %9s %9s %8s %9s %9s %6s\n' chart helm_s wh_s speedup helm_cpu wh_cpu cpu_x helm_MiB wh_MiB mem
for chart in $CHARTS; do
	[ -d "$SHARED/conformance/charts/$chart" ] || die "no chart $chart in $SHARED/conformance/charts"
	# one warm-up run each (page cache), not counted
	measure "$HELM" "$chart" >/dev/null
	measure "$WHEELHOUSE" "$chart" >/dev/null
	: >"$WORK/helm.txt"
	: >"$WORK/wh.txt"
	for _ in $(seq "$RUNS"); do
		measure "$HELM" "$chart" >>"$WORK/helm.txt"
		measure "$WHEELHOUSE" "$chart" >>"$WORK/wh.txt"
	done
	ht=$(cut -d' ' -f1 "$WORK/helm.txt" | median)
	wt=$(cut -d' ' -f1 "$WORK/wh.txt" | median)
	hm=$(cut -d' ' -f2 "$WORK/helm.txt" | median)
	wm=$(cut -d' ' -f2 "$WORK/wh.txt" | median)
	hc=$(cut -d' ' -f3 "$WORK/helm.txt" | median)
	wc=$(cut -d' ' -f3 "$WORK/wh.txt" | median)
	awk -v c="$chart" -v ht="$ht" -v wt="$wt" -v hm="$hm" -v wm="$wm" -v hc="$hc" -v wc="$wc" 'BEGIN {
		sp = (wt > 0) ? ht / wt : 0
		cx = (wc > 0) ? hc / wc : 0
		printf "%-24s %8.3f %8.3f %7.1fx %9.2f %9.2f %7.1fx %9.1f %9.1f %5.2fx\n", c, ht, wt, sp, hc, wc, cx, hm / 1024, wm / 1024, wm / hm
	}'
done
echo "(median of $RUNS runs; speedup = helm wall time / wheelhouse wall time; cpu_x = helm CPU / wheelhouse CPU (user+sys, 10 ms resolution); mem = wheelhouse peak RSS / helm peak RSS)"

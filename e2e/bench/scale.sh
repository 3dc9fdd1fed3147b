#!/usr/bin/env bash
# Scale benchmark of the HelmRelease controller on the local cluster.
#
# Usage: e2e/bench/scale.sh N
#   Creates N podinfo HelmReleases spread over 10 namespaces (one local chart repository,
#   served by python3's http.server on loopback, with podinfo packaged by the real helm), runs
#   `wheelhouse run` against the cluster, and prints: seconds until every HelmRelease is Ready,
#   the operator's peak RSS and CPU seconds (from /proc), the API server requests made during
#   the run (the operator's own, from its request log, and the API server's
#   apiserver_request_total of all clients: the cluster's controllers, and other users of a shared
#   cluster), and the operator's idle CPU over 30 s with every release Ready. Then it deletes
#   everything it created (the HelmReleases first, so the operator uninstalls them).
# Needs python3 (the chart repository server) and awk; builds the waiter
#   e2e/src/bin/wheelhouse-scale-wait.rs. Run it on a cluster of its own for clean figures:
#   WHEELHOUSE_E2E_STATE_DIR=/tmp/scale-cluster WHEELHOUSE_E2E_PORT_BASE=27440 e2e/bench/scale.sh N
# Environment: WHEELHOUSE (binary; default: `cargo build --release` then target/release/wheelhouse),
#   WHEELHOUSE_SHARED_DIR (default ../shared), CONCURRENT (default 4), SCALE_TIMEOUT (seconds,
#   default 600), LOG_LEVEL (the operator's), KEEP_LOG (copy the operator's log there).
set -euo pipefail

N=${1:?usage: scale.sh N}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${WHEELHOUSE_SHARED_DIR:-$ROOT/../shared}
CONCURRENT=${CONCURRENT:-4}
die() { echo "scale.sh: $*" >&2; exit 1; }

if [ -z "${WHEELHOUSE:-}" ]; then
	(cd "$ROOT" && cargo build --release --quiet --bin wheelhouse) || die "cargo build failed"
	WHEELHOUSE=$ROOT/target/release/wheelhouse
fi
(cd "$ROOT" && cargo build --quiet -p wheelhouse-e2e --bin wheelhouse-scale-wait) || die "cargo build failed"
WAITER=${CARGO_TARGET_DIR:-$ROOT/target}/debug/wheelhouse-scale-wait
eval "$(bash "$ROOT/e2e/cluster.sh" up)"

work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
namespaces=()
for i in $(seq 0 9); do namespaces+=("scale-$i"); done
# Deletes the HelmReleases while the operator still runs (it uninstalls them; bounded), then
# strips the finalizers of any left (the operator may have died), then the namespaces: a
# namespace never stays Terminating on the shared cluster.
cleanup() {
	set +e
	for ns in "${namespaces[@]}"; do
		"$KUBECTL" delete helmreleases --all -n "$ns" --wait=false >/dev/null 2>&1
	done
	local deadline=$((SECONDS + 300))
	while [ $SECONDS -lt $deadline ] && [ -n "$("$KUBECTL" get hr -A --no-headers 2>/dev/null | grep '^scale-[0-9] ')" ]; do
		kill -0 "${operator_pid:-0}" 2>/dev/null || break
		sleep 2
	done
	[ -n "${operator_pid:-}" ] && kill "$operator_pid" 2>/dev/null && wait "$operator_pid" 2>/dev/null
	for ns in "${namespaces[@]}"; do
		"$KUBECTL" get hr -n "$ns" -o name 2>/dev/null | while read -r hr; do
			"$KUBECTL" patch -n "$ns" "$hr" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
		done
		"$KUBECTL" delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1
	done
	[ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
	[ -n "${KEEP_LOG:-}" ] && cp "$work/operator.log" "$KEEP_LOG"
	rm -rf "$work"
}
trap cleanup EXIT

# A previous run's namespaces may still be terminating.
for ns in "${namespaces[@]}"; do
	"$KUBECTL" wait --for=delete "namespace/$ns" --timeout=180s >/dev/null 2>&1 ||
		die "namespace $ns is still there (from an earlier run?): delete it first"
done
mkdir -p "$work/repo"
"$HELM" package "$SHARED/conformance/charts/podinfo" -d "$work/repo" >/dev/null
"$HELM" repo index "$work/repo"
(cd "$work/repo" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server_pid=$!
"$KUBECTL" apply --server-side --force-conflicts -k "$ROOT/crds" >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s crd/helmreleases.helm.wheelhouse.dev crd/helmrepositories.helm.wheelhouse.dev >/dev/null

requests() {
	"$KUBECTL" get --raw /metrics | awk '/^apiserver_request_total/ {s += $NF} END {printf "%d", s}'
}

manifest="$work/objects.yaml"
: >"$manifest"
for i in $(seq 0 9); do
	cat >>"$manifest" <<-YAML
	---
	apiVersion: v1
	kind: Namespace
	metadata: {name: scale-$i}
	---
	apiVersion: helm.wheelhouse.dev/v1
	kind: HelmRepository
	metadata: {name: charts, namespace: scale-$i}
	spec: {url: "http://127.0.0.1:$port"}
	YAML
done
for n in $(seq 1 "$N"); do
	cat >>"$manifest" <<-YAML
	---
	apiVersion: helm.wheelhouse.dev/v1
	kind: HelmRelease
	metadata: {name: podinfo-$n, namespace: scale-$((n % 10))}
	spec:
	  chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: charts}}}
	  values: {replicaCount: 1}
	YAML
done

# The operator logs each API request it makes (kube's client, at debug level): counted below.
# Only the benchmark's namespaces: the cluster is shared with tests that run their own operators.
watch_args=()
for ns in "${namespaces[@]}"; do watch_args+=(--watch-namespace "$ns"); done
"$WHEELHOUSE" --log-level "${LOG_LEVEL:-warn,kube_client::client::builder=debug}" run --concurrent "$CONCURRENT" "${watch_args[@]}" \
	--metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
	--chart-cache-dir "$work/cache" >"$work/operator.log" 2>&1 &
operator_pid=$!
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$operator_pid/stat"; }

before=$(requests)
start=$(date +%s.%N)
"$KUBECTL" apply -f "$manifest" >/dev/null
# One watch over the namespaces' HelmReleases, in Rust (e2e/src/bin/wheelhouse-scale-wait.rs):
# `kubectl wait` costs a request per object and polling lists N objects each time, both of
# which load the API server and this 2-core machine and delay the measured end.
"$WAITER" "$N" "${SCALE_TIMEOUT:-600}" "${namespaces[@]}" ||
	die "not every HelmRelease was Ready: $("$KUBECTL" get hr -A --no-headers | grep '^scale-' | grep -c True) Ready; operator log: $(tail -5 "$work/operator.log")"
end=$(date +%s.%N)
after=$(requests)
own_requests=$(grep -c 'kube_client::client::builder: requesting' "$work/operator.log" || true)
own_writes=$(grep 'kube_client::client::builder: requesting' "$work/operator.log" | grep -Ec 'http.method=(POST|PUT|PATCH|DELETE)' || true)
cpu_busy=$(cpu_seconds)
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$operator_pid/status")
sleep 30
cpu_idle=$(awk -v a="$(cpu_seconds)" -v b="$cpu_busy" 'BEGIN {printf "%.2f", (a - b) / 30 * 100}')
rss_idle_kib=$(awk '/VmRSS/ {print $2}' "/proc/$operator_pid/status")

printf 'scale: N=%d releases in 10 namespaces, --concurrent %d (load average %s)\n' "$N" "$CONCURRENT" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  all Ready after        %s s\n' "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')"
printf '  operator CPU to Ready  %s s\n' "$cpu_busy"
printf '  operator peak RSS      %s MiB (RSS %s MiB after 30 s idle)\n' "$(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k / 1024}')" "$(awk -v k="$rss_idle_kib" 'BEGIN {printf "%.1f", k / 1024}')"
printf '  API requests           %d by the operator (%d writes); %d by all clients of the API server\n' "$own_requests" "$own_writes" "$((after - before))"
printf '  idle CPU (30 s)        %s%% of a core\n' "$cpu_idle"

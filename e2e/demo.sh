#!/usr/bin/env bash
# The demo (README's first command): Wheelhouse reconciling config/samples on the local cluster.
#
#   bash e2e/demo.sh        start the demo; when it is already running, stop it instead
#   bash e2e/demo.sh up     start the demo (when it is already running, show it again)
#   bash e2e/demo.sh down   stop everything the demo started
#
# `up` builds what is missing (the operator with `cargo build --release`, the cluster tools from
# Go modules: both first run only), starts the local cluster unless one is running
# (e2e/cluster.sh), serves a chart repository on loopback (python3's http.server) holding every
# chart of ../shared/conformance packaged and indexed by the real helm, starts a distribution
# registry with podinfo pushed by `helm push`, installs the CRDs, runs `wheelhouse run` watching
# the demo namespace, applies config/samples there with the repository URLs pointed at the
# local servers, waits (bounded) until every HelmRelease is Ready, and prints them with
# `helm list -A`.
#
# `down` deletes the HelmReleases first (the operator uninstalls their releases), then the rest
# it applied and the namespace it created, stops its processes (pids recorded in the state
# directory, checked against their command lines before any signal), and stops the cluster
# only if the demo started it: a cluster that was already running keeps running.
#
# Environment: WHEELHOUSE_DEMO_STATE_DIR (state and logs; default
# ${XDG_CACHE_HOME:-~/.cache}/wheelhouse-e2e/demo), WHEELHOUSE_DEMO_NAMESPACE (default
# wheelhouse-demo), WHEELHOUSE_DEMO_TIMEOUT (seconds to wait for Ready, default 180),
# WHEELHOUSE_BIN (an operator binary to use instead of building one), WHEELHOUSE_SHARED_DIR
# (the directory holding conformance/, default ../shared), and e2e/cluster.sh's variables.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/wheelhouse-e2e"
STATE=${WHEELHOUSE_DEMO_STATE_DIR:-$CACHE_ROOT/demo}
NAMESPACE=${WHEELHOUSE_DEMO_NAMESPACE:-wheelhouse-demo}
TIMEOUT=${WHEELHOUSE_DEMO_TIMEOUT:-180}
SHARED=${WHEELHOUSE_SHARED_DIR:-$ROOT/../shared}
# Every object the demo applies carries this label, so `down` deletes exactly those.
PART_OF=app.kubernetes.io/part-of=wheelhouse-demo

log() { printf 'demo.sh: %s\n' "$*" >&2; }
die() {
	printf 'demo.sh: error: %s\n' "$*" >&2
	exit 1
}

# --- state and processes -------------------------------------------------------------------

state_get() { cat "$STATE/$1" 2>/dev/null || true; }

# A recorded pid counts as the demo's only while that process is alive and its command line
# names the demo's state directory (pids are reused; never signal a stranger).
is_ours() {
	local pid=$1 cmdline
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$STATE"* ]]
}

running() { is_ours "$(state_get pids/operator)"; }

# Whether a process the demo has just started is alive (and not a zombie). Its command line
# may still be the demo's own until its fork has exec'ed, so is_ours would be premature.
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# start NAME PROGRAM ARGS...: runs PROGRAM in the background, logging to logs/NAME.log; its
# arguments must name $STATE (is_ours checks it).
start() {
	local name=$1
	shift
	# 9>&-: the daemons must not inherit the lock on the state directory.
	nohup "$@" </dev/null >"$STATE/logs/$name.log" 2>&1 9>&- &
	echo $! >"$STATE/pids/$name"
}

stop() {
	local name=$1 pid
	pid=$(state_get "pids/$name")
	if is_ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 40); do
			is_ours "$pid" || break
			sleep 0.25
		done
		if is_ours "$pid"; then
			log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$STATE/pids/$name"
}

# A free loopback port (the kernel's choice; the short race until our server binds it is
# harmless on a development machine).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until NAME SECONDS COMMAND...: polls a health probe of process NAME (plain HTTP servers
# have no watch to wait on), failing early when the process died.
wait_until() {
	local name=$1 limit=$2 deadline=$((SECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ! alive "$(state_get "pids/$name")"; then
			tail -n 30 "$STATE/logs/$name.log" >&2 || true
			die "$name exited during start-up (log: $STATE/logs/$name.log)"
		fi
		if [ $SECONDS -ge $deadline ]; then
			tail -n 30 "$STATE/logs/$name.log" >&2 || true
			die "$name did not answer within ${limit}s (log: $STATE/logs/$name.log)"
		fi
		sleep 0.25
	done
}

with_lock() {
	mkdir -p "$(dirname "$STATE")"
	exec 9>"$STATE.lock"
	flock -w 600 9 || die "another demo.sh held $STATE.lock for 10 minutes"
}

# --- up ------------------------------------------------------------------------------------

build_operator() {
	if [ -n "${WHEELHOUSE_BIN:-}" ]; then
		OPERATOR=$WHEELHOUSE_BIN
	else
		log "building the operator (cargo build --release; first run takes several minutes)"
		cargo build --release --quiet --bin wheelhouse || die "cargo build failed"
		OPERATOR=${CARGO_TARGET_DIR:-$ROOT/target}/release/wheelhouse
	fi
	[ -x "$OPERATOR" ] || die "no operator binary at $OPERATOR"
}

# Starts the cluster or reuses the running one, and records which: `down` stops only a
# cluster the demo started. cluster.sh's progress goes to the terminal and to a file, which
# tells whether it reused a running cluster.
start_cluster() {
	local exports
	exports=$({ bash e2e/cluster.sh up 2>&1 1>&3 3>&- | tee "$STATE/logs/cluster-up.log" >&2; } 3>&1) ||
		die "e2e/cluster.sh up failed"
	eval "$exports"
	if grep -q 'reusing the running cluster' "$STATE/logs/cluster-up.log"; then
		echo no >"$STATE/started-cluster"
	else
		echo yes >"$STATE/started-cluster"
	fi
}

# An HTTP chart repository: every chart of the conformance corpus, packaged and indexed by
# the real helm, served by python3 on loopback.
start_chart_repository() {
	local charts=$SHARED/conformance/charts port chart
	[ -d "$charts" ] || die "no charts in $charts (set WHEELHOUSE_SHARED_DIR to the directory holding conformance/)"
	mkdir -p "$STATE/charts"
	for chart in "$charts"/*/; do
		"$HELM" package "$chart" -d "$STATE/charts" >/dev/null || die "helm package $chart failed"
	done
	"$HELM" repo index "$STATE/charts" || die "helm repo index failed"
	port=$(free_port)
	start charts python3 -m http.server "$port" --bind 127.0.0.1 --directory "$STATE/charts"
	CHARTS_URL=http://127.0.0.1:$port
	wait_until charts 20 curl -fsS --max-time 2 "$CHARTS_URL/index.yaml"
}

# An OCI registry (the CNCF distribution registry cluster.sh builds) holding podinfo, pushed
# with `helm push` over plain HTTP.
start_registry() {
	local port
	port=$(free_port)
	mkdir -p "$STATE/registry"
	cat >"$STATE/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry/data
http:
  addr: 127.0.0.1:$port
EOF
	start registry "$WHEELHOUSE_E2E_BIN/registry" serve "$STATE/registry/config.yml"
	REGISTRY=127.0.0.1:$port
	wait_until registry 20 curl -fsS --max-time 2 "http://$REGISTRY/v2/"
	"$HELM" push "$STATE"/charts/podinfo-*.tgz "oci://$REGISTRY/charts" --plain-http \
		>>"$STATE/logs/registry.log" 2>&1 || die "helm push failed (log: $STATE/logs/registry.log)"
}

install_crds() {
	"$KUBECTL" apply --server-side --force-conflicts --field-manager=wheelhouse-demo -k crds/ >/dev/null ||
		die "could not apply the CRDs in crds/"
	"$KUBECTL" wait --for=condition=Established --timeout=60s \
		crd/helmrepositories.helm.wheelhouse.dev crd/helmreleases.helm.wheelhouse.dev >/dev/null ||
		die "the CRDs did not become Established within 60s"
}

create_namespace() {
	if "$KUBECTL" get namespace "$NAMESPACE" >/dev/null 2>&1; then
		echo no >"$STATE/created-namespace"
	else
		"$KUBECTL" create namespace "$NAMESPACE" >/dev/null || die "could not create namespace $NAMESPACE"
		"$KUBECTL" label namespace "$NAMESPACE" "$PART_OF" >/dev/null
		echo yes >"$STATE/created-namespace"
	fi
}

start_operator() {
	local metrics probes
	metrics=$(free_port)
	probes=$(free_port)
	start operator "$OPERATOR" run --kubeconfig "$KUBECONFIG" --watch-namespace "$NAMESPACE" \
		--metrics-bind-address "127.0.0.1:$metrics" --health-probe-bind-address "127.0.0.1:$probes" \
		--chart-cache-dir "$STATE/chart-cache"
	echo "http://127.0.0.1:$metrics/metrics" >"$STATE/metrics-url"
	wait_until operator 60 curl -fsS --max-time 2 "http://127.0.0.1:$probes/readyz"
}

# config/samples names the public podinfo repositories (meaningful for real users); the demo
# renders it through a kustomize overlay that moves everything into the demo namespace, labels
# it, and points the repositories at the local servers.
apply_samples() {
	mkdir -p "$STATE/overlay"
	"$KUBECTL" kustomize config/samples >"$STATE/overlay/samples.yaml" ||
		die "kubectl kustomize config/samples failed"
	cat >"$STATE/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $NAMESPACE
labels:
- pairs: {${PART_OF%%=*}: ${PART_OF#*=}}
resources:
- samples.yaml
patches:
- target: {kind: HelmRepository, name: podinfo}
  patch: |
    - {op: replace, path: /spec/url, value: "$CHARTS_URL"}
- target: {kind: HelmRepository, name: podinfo-oci}
  patch: |
    - {op: replace, path: /spec/url, value: "oci://$REGISTRY/charts"}
    - {op: add, path: /spec/insecure, value: true}
EOF
	"$KUBECTL" kustomize "$STATE/overlay" >"$STATE/applied.yaml" || die "kubectl kustomize of the overlay failed"
	"$KUBECTL" apply -f "$STATE/applied.yaml" || die "kubectl apply failed"
}

# What went wrong, when a wait times out.
diagnose() {
	echo "--- kubectl get helmrepositories,helmreleases -n $NAMESPACE" >&2
	"$KUBECTL" get helmrepositories,helmreleases -n "$NAMESPACE" >&2 || true
	echo "--- kubectl describe helmreleases -n $NAMESPACE" >&2
	"$KUBECTL" describe helmreleases -n "$NAMESPACE" >&2 || true
	echo "--- operator log (last 40 lines of $STATE/logs/operator.log)" >&2
	tail -n 40 "$STATE/logs/operator.log" >&2 || true
	echo "The demo is left running for inspection; stop it with: bash e2e/demo.sh down" >&2
}

wait_ready() {
	local deadline=$((SECONDS + TIMEOUT)) kind
	for kind in helmrepositories helmreleases; do
		# kubectl wait watches; the deadline covers both kinds.
		if ! "$KUBECTL" wait --for=condition=Ready "$kind" -l "$PART_OF" -n "$NAMESPACE" \
			--timeout="$((deadline > SECONDS ? deadline - SECONDS : 1))s" >/dev/null; then
			diagnose
			die "not every one of the $kind was Ready within ${TIMEOUT}s"
		fi
	done
}

show() {
	echo
	echo "\$ kubectl get helmrepositories,helmreleases -A"
	"$KUBECTL" get helmrepositories,helmreleases -A
	echo
	echo "\$ helm list -A"
	"$HELM" list -A
	echo
	echo "Logs: operator $STATE/logs/operator.log, chart repository $STATE/logs/charts.log,"
	echo "  registry $STATE/logs/registry.log, cluster components $(dirname "$KUBECONFIG")/logs/"
	echo "Operator metrics: $(state_get metrics-url)"
	echo "Use the cluster from this shell: eval \"\$(bash e2e/cluster.sh env)\""
	echo "Stop the demo: bash e2e/demo.sh down"
}

cmd_up() {
	if running; then
		eval "$(bash e2e/cluster.sh env)"
		log "the demo is already running (state: $STATE)"
		show
		return
	fi
	# Leftovers of a demo whose operator died: clean them up first.
	[ -d "$STATE" ] && cmd_down
	command -v python3 >/dev/null 2>&1 || die "python3 is needed (it serves the chart repository)"
	mkdir -p "$STATE"/{pids,logs}
	echo "$NAMESPACE" >"$STATE/namespace"
	# A failed start-up stops what it started; a wait that times out leaves the demo running
	# for inspection.
	trap 'log "start-up failed; stopping what it started"; cmd_down' EXIT
	build_operator
	start_cluster
	start_chart_repository
	start_registry
	install_crds
	create_namespace
	start_operator
	apply_samples
	trap - EXIT
	log "waiting up to ${TIMEOUT}s for every HelmRepository and HelmRelease to be Ready"
	wait_ready
	show
}

# --- down ----------------------------------------------------------------------------------

# Deletes what the demo applied: HelmReleases first, while the operator runs, so it uninstalls
# their releases; finalizers are removed only when the operator cannot do it.
delete_applied() {
	local namespace
	namespace=$(state_get namespace)
	[ -n "$namespace" ] || return 0
	if ! "$KUBECTL" delete helmreleases -n "$namespace" -l "$PART_OF" --ignore-not-found --timeout=120s; then
		log "the HelmReleases were not deleted within 120s; removing their finalizers"
		running || log "(the demo's operator is not running)"
		tail -n 20 "$STATE/logs/operator.log" >&2 || true
		"$KUBECTL" get helmreleases -n "$namespace" -l "$PART_OF" -o name | while read -r hr; do
			"$KUBECTL" patch -n "$namespace" "$hr" --type=merge -p '{"metadata":{"finalizers":null}}' || true
		done
	fi
	if [ -f "$STATE/applied.yaml" ]; then
		"$KUBECTL" delete -f "$STATE/applied.yaml" --ignore-not-found --timeout=60s || true
	fi
	if [ "$(state_get created-namespace)" = yes ]; then
		"$KUBECTL" delete namespace "$namespace" --ignore-not-found --timeout=120s ||
			log "namespace $namespace is still terminating"
	fi
}

cmd_down() {
	if [ ! -d "$STATE" ]; then
		log "no demo is running (state: $STATE)"
		return 0
	fi
	local exports
	if exports=$(bash e2e/cluster.sh env 2>/dev/null); then
		eval "$exports"
		delete_applied
	else
		log "the cluster is not running; nothing to delete in it"
	fi
	stop operator
	stop registry
	stop charts
	if [ "$(state_get started-cluster)" = yes ]; then
		bash e2e/cluster.sh down
	else
		log "leaving the cluster running (the demo did not start it)"
	fi
	rm -rf "$STATE"
	log "demo stopped"
}

with_lock
case "${1:-}" in
"")
	if running; then cmd_down; else cmd_up; fi
	;;
up) cmd_up ;;
down) cmd_down ;;
*)
	sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac

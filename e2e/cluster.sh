#!/usr/bin/env bash
# The local test cluster: a real Kubernetes control plane on loopback, built from Go modules.
#
#   e2e/cluster.sh up      build the tools (first time only), start the cluster (or reuse a
#                          running one) and print `export` lines for KUBECONFIG, HELM, KUBECTL
#                          and WHEELHOUSE_E2E_BIN
#   e2e/cluster.sh env     print the same export lines for the running cluster
#   e2e/cluster.sh down    stop every process `up` started (by pid) and remove its state
#   e2e/cluster.sh build   only build the tools
#
# The cluster is etcd, kube-apiserver (RBAC, service account tokens), kube-controller-manager,
# kube-scheduler and kwok with one fake node (stages in e2e/kwok-stages.yaml: pods run and become
# Ready, Job pods succeed, pods annotated wheelhouse.dev/e2e-fail: "true" fail). Versions are
# pinned in e2e/versions.env; each tool is built from its Go module in e2e/tools/<tool>/ and
# cached under ${XDG_CACHE_HOME:-~/.cache}/wheelhouse-e2e/tools/<tool>-<version>-<go>-<hash>.
#
# Only the export lines go to stdout, so `eval "$(e2e/cluster.sh up)"` works; progress and
# errors go to stderr. Environment: WHEELHOUSE_E2E_STATE_DIR (state and logs, default
# <cache>/cluster), WHEELHOUSE_E2E_PORT_BASE (first of the six loopback ports used, default 26440).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$E2E_DIR/versions.env"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/wheelhouse-e2e"
STATE_DIR="${WHEELHOUSE_E2E_STATE_DIR:-$CACHE_ROOT/cluster}"
PORT_BASE="${WHEELHOUSE_E2E_PORT_BASE:-26440}"
APISERVER_PORT=$PORT_BASE
ETCD_CLIENT_PORT=$((PORT_BASE + 1))
ETCD_PEER_PORT=$((PORT_BASE + 2))
CONTROLLER_MANAGER_PORT=$((PORT_BASE + 3))
SCHEDULER_PORT=$((PORT_BASE + 4))
KWOK_PORT=$((PORT_BASE + 5))
# Components, in start order; `down` stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
TOOLS=(kubernetes etcd helm kwok distribution)
NODE_NAME=kwok-node-0
APISERVER_READY_SECONDS=${WHEELHOUSE_E2E_APISERVER_TIMEOUT:-120}

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() {
	printf 'cluster.sh: error: %s\n' "$*" >&2
	exit 1
}

# --- prerequisites -------------------------------------------------------------------------

require_go() {
	command -v go >/dev/null 2>&1 ||
		die "Go is not installed (need Go $GO_MIN_VERSION or newer on PATH to build the cluster tools)"
	local have
	have=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
	if [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]; then
		die "Go $have is too old: the pinned Kubernetes needs Go $GO_MIN_VERSION or newer"
	fi
}

# openssl makes the cluster's CA and certificates; curl probes health endpoints; gpg makes
# test signing keys. All are Debian packages; install them when missing and we may.
require_system_tools() {
	local missing=()
	command -v openssl >/dev/null 2>&1 || missing+=(openssl)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v flock >/dev/null 2>&1 || missing+=(util-linux)
	# gpg makes the keys the provenance tests sign charts with.
	command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing ${missing[*]} from Debian packages"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
			die "could not install ${missing[*]}"
	else
		die "missing ${missing[*]}: install them (Debian packages) and retry"
	fi
}

# --- building the tools --------------------------------------------------------------------

# The pinned version of the main module of tool $1, as versions.env says.
tool_version() {
	case $1 in
	kubernetes) echo "$KUBERNETES_VERSION" ;;
	etcd) echo "$ETCD_VERSION" ;;
	helm) echo "$HELM_VERSION" ;;
	kwok) echo "$KWOK_VERSION" ;;
	distribution) echo "$DISTRIBUTION_VERSION" ;;
	esac
}

tool_module() {
	case $1 in
	kubernetes) echo "k8s.io/kubernetes" ;;
	etcd) echo "go.etcd.io/etcd/server/v3" ;;
	helm) echo "helm.sh/helm/v4" ;;
	kwok) echo "sigs.k8s.io/kwok" ;;
	distribution) echo "github.com/distribution/distribution/v3" ;;
	esac
}

# Linker flags of tool $1: the version stamps a release build of it carries, so that
# `kubectl version`, the API server's /version and `helm version` report the pinned versions
# (the Go module sources only hold placeholders such as v0.0.0-master).
tool_ldflags() {
	local flags='-s -w' base minor
	case $1 in
	kubernetes)
		base=k8s.io/component-base/version
		minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
		flags+=" -X $base.gitVersion=$KUBERNETES_VERSION -X $base.gitMajor=1 -X $base.gitMinor=$minor"
		flags+=" -X $base.gitTreeState=clean -X $base.gitCommit="
		;;
	helm)
		base=helm.sh/helm/v4/internal/version
		flags+=" -X $base.version=$HELM_VERSION -X $base.gitTreeState=clean"
		;;
	esac
	echo "$flags"
}

# The cache directory of tool $1: keyed by its version, the Go version, its go.mod/go.sum and
# its linker flags.
tool_dir() {
	local hash
	hash=$({
		cat "$E2E_DIR/tools/$1/go.mod" "$E2E_DIR/tools/$1/go.sum"
		tool_ldflags "$1"
	} | sha256sum | cut -c1-12)
	echo "$CACHE_ROOT/tools/$1-$(tool_version "$1")-$(go env GOVERSION)-$hash"
}

check_pins() {
	local tool module version
	for tool in "${TOOLS[@]}"; do
		module=$(tool_module "$tool")
		version=$(tool_version "$tool")
		grep -Eq "^[[:space:]]*$module $version( |$)" "$E2E_DIR/tools/$tool/go.mod" ||
			die "e2e/tools/$tool/go.mod does not require $module $version as e2e/versions.env pins it"
	done
}

build_tool() {
	local tool=$1 dir start
	dir=$(tool_dir "$tool")
	[ -f "$dir/.complete" ] && return 0
	start=$SECONDS
	log "building $tool $(tool_version "$tool") from Go modules (first run only; kubernetes takes several minutes)"
	rm -rf "$dir.partial" && mkdir -p "$dir.partial"
	if ! (cd "$E2E_DIR/tools/$tool" &&
		GOFLAGS=-mod=readonly go build -trimpath -ldflags="$(tool_ldflags "$tool")" -o "$dir.partial/" tool) \
		>"$dir.partial/build.log" 2>&1; then
		tail -n 40 "$dir.partial/build.log" >&2
		die "building $tool failed (full log: $dir.partial/build.log)"
	fi
	# etcd's main package is the module root go.etcd.io/etcd/server/v3, so go names it "server".
	[ "$tool" = etcd ] && mv "$dir.partial/server" "$dir.partial/etcd"
	rm -rf "$dir" && mv "$dir.partial" "$dir" && touch "$dir/.complete"
	log "built $tool in $((SECONDS - start))s"
}

# Builds every tool and links them into one directory: prints its path.
build_all() {
	require_go
	check_pins
	local tool dirs=() key bin
	for tool in "${TOOLS[@]}"; do
		build_tool "$tool"
		dirs+=("$(tool_dir "$tool")")
	done
	key=$(printf '%s\n' "${dirs[@]}" | sha256sum | cut -c1-12)
	bin="$CACHE_ROOT/bin/$key"
	if [ ! -d "$bin" ]; then
		mkdir -p "$bin.partial"
		for dir in "${dirs[@]}"; do
			find "$dir" -maxdepth 1 -type f -perm -u+x -exec ln -sf {} "$bin.partial/" \;
		done
		mv "$bin.partial" "$bin"
	fi
	for exe in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm registry; do
		[ -x "$bin/$exe" ] || die "build produced no $exe in $bin"
	done
	echo "$bin"
}

# --- certificates and kubeconfigs ----------------------------------------------------------

# make_cert NAME SUBJECT EXTENSIONS: a key and a certificate signed by the cluster CA.
make_cert() {
	local name=$1 subject=$2 ext=$3 pki=$STATE_DIR/pki
	openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subject" \
		-out "$pki/$name.csr" 2>/dev/null
	printf '%s\n' "$ext" >"$pki/$name.ext"
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 3650 -out "$pki/$name.crt" -extfile "$pki/$name.ext" 2>/dev/null
}

make_pki() {
	local pki=$STATE_DIR/pki
	mkdir -p "$pki"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
		-subj "/CN=wheelhouse-e2e-ca" 2>/dev/null
	make_cert apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
		"subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth")"
	local client_ext="keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
	make_cert admin "/O=system:masters/CN=wheelhouse-e2e-admin" "$client_ext"
	make_cert kube-controller-manager "/CN=system:kube-controller-manager" "$client_ext"
	make_cert kube-scheduler "/CN=system:kube-scheduler" "$client_ext"
	make_cert kwok "/O=system:masters/CN=kwok-controller" "$client_ext"
	# The service account token signing key pair.
	openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
	openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# make_kubeconfig USER PATH
make_kubeconfig() {
	local user=$1 path=$2 pki=$STATE_DIR/pki
	cat >"$path" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: wheelhouse-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $pki/ca.crt
users:
- name: $user
  user:
    client-certificate: $pki/$user.crt
    client-key: $pki/$user.key
contexts:
- name: wheelhouse-e2e
  context:
    cluster: wheelhouse-e2e
    user: $user
current-context: wheelhouse-e2e
EOF
}

# --- processes -----------------------------------------------------------------------------

pid_of() { cat "$STATE_DIR/pids/$1" 2>/dev/null || true; }

# A recorded pid counts as ours only while that process is alive and its command line names
# our state directory (pids are reused; never signal a stranger).
is_ours() {
	local pid=$1 cmdline
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$STATE_DIR"* ]]
}

port_in_use() { (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# start NAME ARGS...: runs $BIN/NAME in the background, logging to logs/NAME.log.
start() {
	local name=$1
	shift
	# 9>&-: the daemons must not inherit the lock on cluster.lock.
	nohup "$BIN/$name" "$@" </dev/null >"$STATE_DIR/logs/$name.log" 2>&1 9>&- &
	echo $! >"$STATE_DIR/pids/$name"
}

# started_and_alive NAME: whether the process `start` launched for NAME still runs. Right after
# `start`, until the background shell has exec'd the daemon, its command line is still this
# script's and `is_ours` says no; a process that is alive counts then (it is our own child, so
# its pid cannot have been reused yet).
started_and_alive() {
	local pid
	pid=$(pid_of "$1")
	is_ours "$pid" || { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
}

# wait_until NAME SECONDS COMMAND...: polls COMMAND (a health probe: there is no watch before
# the API server is up) until it succeeds; fails early if process NAME died.
wait_until() {
	local name=$1 limit=$2 deadline=$((SECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ! started_and_alive "$name"; then
			tail -n 30 "$STATE_DIR/logs/$name.log" >&2 || true
			die "$name exited during start-up (log: $STATE_DIR/logs/$name.log)"
		fi
		if [ $SECONDS -ge $deadline ]; then
			tail -n 30 "$STATE_DIR/logs/$name.log" >&2 || true
			die "$name did not become healthy within ${limit}s (log: $STATE_DIR/logs/$name.log)"
		fi
		sleep 0.5
	done
}

admin_curl() {
	local pki=$STATE_DIR/pki
	curl -fsS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
		"https://127.0.0.1:$APISERVER_PORT$1"
}

cluster_running() {
	local name
	[ -f "$STATE_DIR/env" ] || return 1
	for name in "${COMPONENTS[@]}"; do
		is_ours "$(pid_of "$name")" || return 1
	done
	admin_curl /readyz >/dev/null 2>&1
}

stop_all() {
	local i name pid
	[ -d "$STATE_DIR/pids" ] || return 0
	for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
		name=${COMPONENTS[$i]}
		pid=$(pid_of "$name")
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
		rm -f "$STATE_DIR/pids/$name"
	done
}

start_cluster() {
	local start=$SECONDS port pki=$STATE_DIR/pki
	for port in $APISERVER_PORT $ETCD_CLIENT_PORT $ETCD_PEER_PORT $CONTROLLER_MANAGER_PORT $SCHEDULER_PORT $KWOK_PORT; do
		port_in_use "$port" && die "port $port on 127.0.0.1 is already in use (set WHEELHOUSE_E2E_PORT_BASE to move the cluster's six ports)"
	done
	rm -rf "$STATE_DIR"
	mkdir -p "$STATE_DIR"/{pids,logs,etcd,helm}
	make_pki
	for user in admin kube-controller-manager kube-scheduler kwok; do
		make_kubeconfig "$user" "$STATE_DIR/$user.kubeconfig"
	done

	start etcd --name=wheelhouse-e2e --data-dir="$STATE_DIR/etcd" \
		--listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
		--advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
		--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster="wheelhouse-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
		--unsafe-no-fsync --quota-backend-bytes=4294967296 --log-level=warn
	wait_until etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

	start kube-apiserver --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
		--secure-port="$APISERVER_PORT" --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
		--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" --authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
		--service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --profiling=false \
		--enable-priority-and-fairness=false --cert-dir="$pki/generated" \
		--endpoint-reconciler-type=none
	wait_until kube-apiserver "$APISERVER_READY_SECONDS" admin_curl /readyz

	start kube-controller-manager --kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
		--authentication-kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
		--authorization-kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
		--cert-dir="$pki/generated" --leader-elect=false --use-service-account-credentials=true \
		--service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
		--cluster-name=wheelhouse-e2e --profiling=false \
		--kube-api-qps=400 --kube-api-burst=800 \
		--concurrent-deployment-syncs=20 --concurrent-replicaset-syncs=20
	start kube-scheduler --kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
		--authentication-kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
		--authorization-kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
		--cert-dir="$pki/generated" --leader-elect=false --profiling=false
	start kwok --kubeconfig="$STATE_DIR/kwok.kubeconfig" --config="$E2E_DIR/kwok-stages.yaml" \
		--manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
		--server-address="127.0.0.1:$KWOK_PORT" --node-ip=10.0.0.1 --cidr=10.244.0.0/16 \
		--node-lease-duration-seconds=40
	wait_until kube-controller-manager 60 curl -fsSk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"
	wait_until kube-scheduler 60 curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
	wait_until kwok 60 curl -fsS --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz"

	local kubectl=("$BIN/kubectl" --kubeconfig="$STATE_DIR/admin.kubeconfig")
	"${kubectl[@]}" apply -f - >/dev/null <<EOF || die "could not create the fake node $NODE_NAME"
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
EOF
	# Watches, not sleeps: kubectl wait returns as soon as the condition holds.
	"${kubectl[@]}" wait --for=condition=Ready "node/$NODE_NAME" --timeout=60s >/dev/null ||
		die "node $NODE_NAME did not become Ready (kwok log: $STATE_DIR/logs/kwok.log)"
	# Pods are admitted only once the namespace's default service account exists.
	"${kubectl[@]}" wait --for=create serviceaccount/default -n default --timeout=60s >/dev/null ||
		die "kube-controller-manager created no default service account (log: $STATE_DIR/logs/kube-controller-manager.log)"
	log "cluster up in $((SECONDS - start))s (state and logs: $STATE_DIR)"
}

write_env() {
	{
		printf 'export KUBECONFIG=%q\n' "$STATE_DIR/admin.kubeconfig"
		printf 'export HELM=%q\n' "$BIN/helm"
		printf 'export KUBECTL=%q\n' "$BIN/kubectl"
		printf 'export WHEELHOUSE_E2E_BIN=%q\n' "$BIN"
		# helm's own state stays inside the cluster's state, away from the user's ~/.config/helm.
		printf 'export HELM_CONFIG_HOME=%q\n' "$STATE_DIR/helm/config"
		printf 'export HELM_CACHE_HOME=%q\n' "$STATE_DIR/helm/cache"
		printf 'export HELM_DATA_HOME=%q\n' "$STATE_DIR/helm/data"
	} >"$STATE_DIR/env"
}

# --- commands ------------------------------------------------------------------------------

with_lock() {
	mkdir -p "$CACHE_ROOT"
	exec 9>"$CACHE_ROOT/cluster.lock"
	if ! flock -n 9; then
		# Another up/down/build is running (a cold build takes minutes); wait, but bounded.
		log "waiting for another cluster.sh to release $CACHE_ROOT/cluster.lock"
		flock -w 1800 9 || die "another cluster.sh held $CACHE_ROOT/cluster.lock for 30 minutes"
	fi
}

cmd_up() {
	require_system_tools
	with_lock
	BIN=$(build_all)
	if cluster_running; then
		log "reusing the running cluster (state: $STATE_DIR)"
	else
		if [ -d "$STATE_DIR" ]; then
			log "found stale cluster state in $STATE_DIR; cleaning it up"
			stop_all
		fi
		if ! (start_cluster); then
			stop_all
			exit 1
		fi
		write_env
	fi
	cat "$STATE_DIR/env"
}

cmd_env() {
	cluster_running || die "no cluster is running (state: $STATE_DIR); run: e2e/cluster.sh up"
	cat "$STATE_DIR/env"
}

cmd_down() {
	require_system_tools
	with_lock
	stop_all
	rm -rf "$STATE_DIR"
	log "cluster down"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
build)
	require_system_tools
	with_lock
	build_all
	;;
*)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac

#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). In order: rustfmt and clippy checks,
# unit tests, then the end-to-end tests on the local cluster (e2e/cluster.sh), which is torn
# down at the end even when a step fails. WHEELHOUSE_E2E_KEEP_CLUSTER=1 leaves it running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
step() { printf '\n==> %s (%ss elapsed)\n' "$*" "$((SECONDS - started))" >&2; }

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cluster tools (built from Go modules on first run, then cached)"
# Some unit tests compare with the real helm; they find it through WHEELHOUSE_E2E_BIN.
WHEELHOUSE_E2E_BIN=$(bash e2e/cluster.sh build)
export WHEELHOUSE_E2E_BIN

step "unit tests"
cargo test --workspace --lib --bins --locked

step "local cluster"
if [ "${WHEELHOUSE_E2E_KEEP_CLUSTER:-0}" != 1 ]; then
	trap 'bash e2e/cluster.sh down || true' EXIT
fi
cluster_env=$(bash e2e/cluster.sh up)
eval "$cluster_env"

step "end-to-end tests"
# Tests that run the operator as a process use this binary (e2e/src/operator.rs).
cargo build --bin wheelhouse --locked
cargo test -p wheelhouse-e2e --tests --locked

step "done"

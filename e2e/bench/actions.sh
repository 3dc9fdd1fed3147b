#!/usr/bin/env bash
# Times Wheelhouse's release actions against the real helm for podinfo on the local cluster
# (install, no-op upgrade, upgrade with one changed object, uninstall; both sides wait).
#   bash e2e/bench/actions.sh [ROUNDS]     (default 5; PROFILE=dev|release, default release)
# Uses the running local cluster (e2e/cluster.sh), starting it if needed; never stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(bash e2e/cluster.sh up)"
export WHEELHOUSE_SHARED_DIR="${WHEELHOUSE_SHARED_DIR:-$(cd .. && pwd)/shared}"
profile="${PROFILE:-release}"
cargo run -q -p wheelhouse-e2e --profile "$profile" --example action_bench -- "${1:-5}"

#!/usr/bin/env bash
# The demo (README's first command). Today it brings up the local cluster, built from Go
# modules on first run, and shows that it and the helm CLI work; it grows with the controller.
#   bash e2e/demo.sh        start (or reuse) the cluster and show it
#   bash e2e/demo.sh down   stop everything the demo started
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${1:-}" = down ]; then
	exec bash e2e/cluster.sh down
fi

eval "$(bash e2e/cluster.sh up)"
echo "\$ kubectl get nodes -o wide"
"$KUBECTL" get nodes -o wide
echo
echo "\$ helm version"
"$HELM" version
echo
echo "The cluster keeps running. To use it from this shell:"
echo "  eval \"\$(bash e2e/cluster.sh env)\""
echo "To stop it: bash e2e/demo.sh down"

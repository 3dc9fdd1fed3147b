#!/usr/bin/env bash
# Regenerates src/chart/values/testdata/*.jsonl from the case inputs in cases/ by running
# Helm v4.3.1's own Go packages (main.go). The fixture charts and the chart/merge case lists
# are written by gen/*.py (run them from gen/ first when changing them); cases/strvals.jsonl
# is kept as is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../../src/chart/values/testdata"
bin=$(mktemp -d)/chartvalues
(cd "$here" && go build -o "$bin" .)
"$bin" strvals "$here/cases/strvals.jsonl" > "$out/strvals.jsonl"
"$bin" merge "$here/cases/merge.jsonl" > "$out/merge.jsonl" 2>/dev/null
"$bin" chart "$here/cases/chart.jsonl" "$out/charts" > "$out/chart.jsonl" 2>/dev/null
wc -l "$out"/*.jsonl

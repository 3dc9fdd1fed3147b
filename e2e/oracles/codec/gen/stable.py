"""stable.py IN OUT: run the Go oracle three times, keep cases whose output never changes
(go-yaml's key order is random for key sets its comparison cannot order)."""
import os, subprocess, sys
O = os.environ.get("CODEC_ORACLE", "./codec-oracle")
data = open(sys.argv[1], "rb").read()
runs = [subprocess.run([O], input=data, capture_output=True, check=True).stdout.splitlines() for _ in range(6)]
kept = [r[0] for r in zip(*runs) if all(x == r[0] for x in r)]
open(sys.argv[2], "wb").write(b"\n".join(kept) + b"\n")
print(f"{len(runs[0])} cases, {len(runs[0]) - len(kept)} unstable dropped", file=sys.stderr)

"""Mutated YAML documents (fixed seed): random single-character edits of generated documents,
to compare how often go-yaml and the Rust decoder disagree on accept/reject and values."""
import json, os, random, subprocess, sys
seed = int(sys.argv[1]); n = int(sys.argv[2])
rng = random.Random(seed)
base = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "random_cases.py"), str(seed), str(n)], capture_output=True, text=True).stdout.splitlines()
docs = [json.loads(l)["input"] for l in base if json.loads(l)["op"] == "fromYaml"]
CH = list(":-?[]{},#&*!|>'\"%@` \t\n") + ["  ", "\n  ", "- ", ": ", "~", "x"]
for d in docs:
    if not d: continue
    for _ in range(2):
        i = rng.randrange(len(d)); m = rng.choice(CH)
        e = d[:i] + m + d[i + rng.choice([0, 1]):]
        print(json.dumps({"op": "fromYaml", "input": e}))

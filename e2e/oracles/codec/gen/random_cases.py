"""Random differential cases (fixed seed) for toYaml/toYamlPretty/toJson and for
fromYaml/loadValues on randomly built YAML text."""
import json, random, sys
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
rng = random.Random(seed)
ATOMS = ["yes","no","on","off","y","n","true","false","null","~","","0","1","-1","0x1F","0755","08","1_000","1e6","1.5",".5",".inf",".nan",
 "2024-01-02","12:30","<<","-","--","---","...","?",":","#","a: b","a #b","- x","[x]","{x}","&a","*a","!x","|","'","\"","%","@","`","\\","\t"," ","  ",
 "é","日本","😀","\u00a0","\u2028","\u0085","\ufeff","\u200b","\n","\r","x","word","Word","key","value","http://x.y/z?a=b#c","1.2.3","a,b"]
def rstring():
    n = rng.choice([0,1,1,2,3,5,8,20])
    parts = [rng.choice(ATOMS) for _ in range(n)]
    sep = rng.choice([""," ","  ","\n","-","_"])
    s = sep.join(parts)
    if rng.random() < 0.1:
        s = " ".join(rng.choice(["lorem","ipsum","dolor","sit","amet","x"*rng.randint(1,30)]) for _ in range(rng.randint(10,40)))
    return s
def rnum():
    r = rng.random()
    if r < 0.3: return rng.randint(-1000, 1000)
    if r < 0.4: return rng.choice([0, 2**63-1, -2**63, 2**64-1, 2**53+1, 10**18])
    if r < 0.7: return ("F", rng.choice([0.0,-0.0,1.0,0.5,1e6,1e21,1e20,1.5e-7,1e-6,123456789.5,3.14159,2.0**60]) * rng.choice([1,-1,10,0.001]))
    return ("F", rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-12, 25))
def rvalue(depth):
    r = rng.random()
    if depth > 4 or r < 0.45:
        k = rng.random()
        if k < 0.5: return rstring()
        if k < 0.8: return rnum()
        return rng.choice([None, True, False])
    if r < 0.75:
        return {rstring()[:40]: rvalue(depth+1) for _ in range(rng.randint(0,6))}
    return [rvalue(depth+1) for _ in range(rng.randint(0,5))]
def dump(v):
    if isinstance(v, tuple):
        r = repr(float(v[1]))
        return r if ("." in r or "e" in r or "n" in r) else r + ".0"
    if isinstance(v, dict): return "{" + ",".join(json.dumps(k) + ":" + dump(x) for k, x in v.items()) + "}"
    if isinstance(v, list): return "[" + ",".join(dump(x) for x in v) + "]"
    return json.dumps(v)
# random YAML text
SCALARS = ATOMS[:30] + ["x","abc","a b c","'q'","\"dq\"","'it''s'","\"a\\tb\"","\"\\u00e9\"","!!str 1","!!int 7","!!float 2","!!bool yes","!custom z","&an v","*an"]
def ryaml(depth, indent):
    r = rng.random()
    pad = " " * indent
    if depth > 3 or r < 0.35:
        return " " + rng.choice(SCALARS) + "\n"
    if r < 0.45:
        return " [" + ", ".join(rng.choice(SCALARS[:25] + ["x","[]","{}","{a: 1}"]) for _ in range(rng.randint(0,4))) + "]\n"
    if r < 0.5:
        return " {" + ", ".join("k%d: %s" % (i, rng.choice(SCALARS[:25] + ["x"])) for i in range(rng.randint(0,3))) + "}\n"
    if r < 0.55:
        return " |" + rng.choice(["", "-", "+"]) + "\n" + "".join(pad + "  " + rng.choice(["line", "  more", "", "x: y", "# not"]) + "\n" for _ in range(rng.randint(1,3)))
    if r < 0.8:
        out = "\n"
        for i in range(rng.randint(1,4)):
            key = rng.choice(["k%d" % i, "k%d" % i, "<<", "'q%d'" % i, "%d" % i, "yes", "~", "1.5", "k%d" % i])
            if key == "<<":
                out += pad + "  <<:" + rng.choice([" {m: 1, k0: 2}\n", " *an\n", " [*an]\n", " 1\n"])
                continue
            out += pad + "  " + key + ":" + ryaml(depth+1, indent+2)
        return out
    out = "\n"
    for i in range(rng.randint(1,3)):
        out += pad + "  -" + ryaml(depth+1, indent+2)
    return out
cases = []
for i in range(count):
    v = rvalue(0)
    for op in ("toYaml", "toYamlPretty", "toJson"):
        cases.append('{"op":"%s","input":%s}' % (op, dump(v)))
    doc = "an: &an {z: 1}\n" if rng.random() < 0.5 else ""
    for j in range(rng.randint(1,5)):
        doc += "k%d:%s" % (j, ryaml(0, 0))
    if rng.random() < 0.2: doc += "---\nextra: 1\n"
    # Go reports one of several null keys at random (map iteration order): keep one at most.
    import re as _re
    if len(_re.findall(r"(?m)^\s*~:", doc)) <= 1:
        for op in ("fromYaml", "loadValues"):
            cases.append(json.dumps({"op": op, "input": doc}))
    # round trip: our own YAML of a random value must parse like Go's
    cases.append(json.dumps({"op": "fromYaml", "input": "root:\n" + "".join("  " + l + "\n" for l in json.dumps(json.loads(dump(v)), indent=1).splitlines())}))
print("\n".join(cases))

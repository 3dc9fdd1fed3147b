# Writes the fixture charts (inputs only; expectations come from the Helm oracle).
import os, json, shutil
ROOT = "../../../../src/chart/values/testdata/charts"
shutil.rmtree(ROOT, ignore_errors=True)

def chart(path, name, version="0.1.0", deps=None, values=None, schema=None, api="v2"):
    os.makedirs(path, exist_ok=True)
    lines = [f"apiVersion: {api}", f"name: {name}", f"version: {version}"]
    y = "\n".join(lines) + "\n"
    if deps is not None:
        y += "dependencies:\n"
        for d in deps:
            y += f"  - name: {d['name']}\n"
            y += f"    version: \"{d.get('version', '0.1.0')}\"\n"
            y += "    repository: \"\"\n"
            for k in ["condition", "alias"]:
                if k in d:
                    y += f"    {k}: {json.dumps(d[k])}\n"
            if "tags" in d:
                y += f"    tags: {json.dumps(d['tags'])}\n"
            if "enabled" in d:
                y += f"    enabled: {json.dumps(d['enabled'])}\n"
            if "import-values" in d:
                y += f"    import-values: {json.dumps(d['import-values'])}\n"
    open(os.path.join(path, "Chart.yaml"), "w").write(y)
    if values is not None:
        open(os.path.join(path, "values.yaml"), "w").write(values)
    if schema is not None:
        open(os.path.join(path, "values.schema.json"), "w").write(schema if isinstance(schema, str) else json.dumps(schema, indent=1))

# 1. basic: defaults, nulls, lists, globals, one subchart.
b = f"{ROOT}/basic"
chart(b, "basic", deps=[{"name": "sub"}], values="""
name: parent
replicas: 1
list: [1, 2, 3]
nested:
  a: 1
  b: {c: 2, d: null}
  keep: x
nulldefault: null
global:
  region: eu
  deep: {level1: {p: 1}}
  list: [a]
sub:
  fromParent: yes
  override: parent
  nulled: null
""")
chart(f"{b}/charts/sub", "sub", values="""
fromSub: 1
override: sub
nulled: subvalue
inner: {x: 1, y: null, z: {w: 1}}
global:
  region: us
  subonly: true
  deep: {level1: {s: 2}, other: 1}
""")

# 2. alias: one chart used twice under aliases plus once by name, conditions and tags.
a = f"{ROOT}/alias"
chart(a, "alias", deps=[
    {"name": "db", "alias": "primary", "condition": "primary.enabled"},
    {"name": "db", "alias": "replica", "condition": "replica.enabled", "tags": ["replicas"]},
    {"name": "db"},
    {"name": "cache", "version": "^1.0.0", "condition": "cache.enabled"},
    {"name": "cache", "version": ">=2.0.0", "alias": "newcache"},
], values="""
primary: {enabled: true, size: 10}
replica: {enabled: false}
db: {size: 1}
cache: {enabled: true}
global: {g: 1}
""")
chart(f"{a}/charts/db", "db", values="""
enabled: true
size: 5
name: db
global: {dbglobal: x}
""")
chart(f"{a}/charts/cache", "cache", version="1.2.0", values="ttl: 60\n")

# 3. conditions and tags.
c = f"{ROOT}/conditions"
chart(c, "conditions", deps=[
    {"name": "a", "condition": "a.enabled,global.a.enabled"},
    {"name": "b", "tags": ["front", "back"]},
    {"name": "c", "condition": "c.enabled", "tags": ["x"]},
    {"name": "d", "condition": "d.enabled, d.other"},
    {"name": "e", "condition": "missing.path,e.flag"},
    {"name": "f", "condition": "fswitch", "enabled": False},
    {"name": "g", "tags": ["front"], "condition": "g.on"},
], values="""
a: {enabled: true}
b: {v: b}
c: {enabled: false}
d: {enabled: "yes-string", other: false}
e: {flag: false}
fswitch: true
g: {on: null}
tags: {front: true, back: false}
global: {a: {enabled: false}}
""")
for n in "abcdefg":
    chart(f"{c}/charts/{n}", n, values=f"name: {n}\nenabled: true\n")

# 4. import-values in both forms.
i = f"{ROOT}/imports"
chart(i, "imports", deps=[
    {"name": "child1", "import-values": ["data", "missing", {"child": "exports.more", "parent": "."}]},
    {"name": "child2", "import-values": [{"child": "config", "parent": "imported"}, {"child": "config2", "parent": "imported"}, {"child": "list", "parent": "x.y"}, {"child": "empty", "parent": "emptyimp"}, {"child": "nope", "parent": "nowhere"}, 5, {"parent": "p"}]},
    {"name": "child3", "alias": "third", "import-values": [{"child": "deep.table", "parent": "fromthird.here"}]},
], values="""
imported: {own: parent, shared: parent}
x: {y: {own: 1}}
parentOnly: 1
data: {fromParent: true}
""")
chart(f"{i}/charts/child1", "child1", values="""
exports:
  data: {d1: 1, d2: {n: null, m: 1}}
  more: {more1: m}
""")
chart(f"{i}/charts/child2", "child2", values="""
config: {c1: 1, shared: child, nested: {a: 1}}
config2: {c2: 2, nested: {b: 2}, nul: null}
list: {items: [1, 2]}
empty: {}
""")
chart(f"{i}/charts/child3", "child3", values="""
deep: {table: {t: 1}}
""")

# 5. nested: three levels with globals and relative conditions.
n = f"{ROOT}/nested"
chart(n, "nested", deps=[{"name": "mid", "condition": "mid.enabled"}], values="""
global:
  top: 1
  shared: {a: {x: top}}
mid:
  leafalias: {fromTop: 1}
  enabled: true
""")
chart(f"{n}/charts/mid", "mid", deps=[
    {"name": "leaf", "alias": "leafalias", "condition": "leafalias.enabled"},
    {"name": "leaf", "condition": "leaf.enabled", "import-values": [{"child": "out", "parent": "fromleaf"}]},
], values="""
global:
  mid: 1
  shared: {a: {y: mid}, b: 2}
leaf: {enabled: false}
midval: 1
""")
chart(f"{n}/charts/mid/charts/leaf", "leaf", values="""
enabled: true
global:
  shared: {a: {z: leaf}, c: {d: leaf}}
  leafg: null
out: {o: 1}
""")

# 6. schema validation.
s = f"{ROOT}/schema"
chart(s, "schema", deps=[{"name": "sub"}, {"name": "sub7", "alias": "s7"}], values="""
name: x
port: 80
tags: [a]
sub: {level: 1}
""", schema={
    "type": "object",
    "required": ["name", "port"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "ratio": {"type": "number", "exclusiveMaximum": 1, "multipleOf": 0.25},
        "mode": {"enum": ["a", "b", 3]},
        "fixed": {"const": "c"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": True},
        "obj": {"type": "object", "additionalProperties": False, "properties": {"k": {"type": ["string", "null"]}}, "minProperties": 1},
        "choice": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "any": {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
        "all": {"allOf": [{"$ref": "#/$defs/pos"}, {"maximum": 10}]},
        "deep": {"allOf": [{"properties": {"x": {"type": "string"}, "l": {"items": {"allOf": [{"type": "integer"}]}}}}, {"required": ["x"]}]},
        "neg": {"not": {"type": "string"}},
        "ref": {"$ref": "#/$defs/pos"},
        "email": {"type": "string", "format": "email"},
    },
    "$defs": {"pos": {"type": "number", "minimum": 0}},
})
chart(f"{s}/charts/sub", "sub", values="level: 1\n", schema={
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"level": {"type": "integer", "maximum": 5}, "global": {"type": "object"}},
    "required": ["level"],
})
chart(f"{s}/charts/sub7", "sub7", values="x: 1\n", schema={
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"x": {"type": "integer"}, "email": {"type": "string", "format": "email"}},
    "dependencies": {"a": ["b", "c"]},
})

# 7. values for a subchart that are not a map.
m = f"{ROOT}/mismatch"
chart(m, "mismatch", deps=[{"name": "sub"}], values="other: 1\n")
chart(f"{m}/charts/sub", "sub", values="a: 1\n")

# 8. unreferenced subchart and version mismatch.
u = f"{ROOT}/unref"
chart(u, "unref", deps=[{"name": "used", "condition": "used.on"}, {"name": "old", "version": "^2.0.0", "condition": "old.on"}], values="used: {on: true}\nold: {on: true}\n")
chart(f"{u}/charts/used", "used", values="u: 1\n")
chart(f"{u}/charts/extra", "extra", values="e: 1\n")
chart(f"{u}/charts/old", "old", version="1.0.0", values="o: 1\n")

# 9. no values files anywhere, globals only from user.
e = f"{ROOT}/empty"
chart(e, "empty", deps=[{"name": "sub"}])
chart(f"{e}/charts/sub", "sub")
print("ok")

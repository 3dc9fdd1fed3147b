#!/usr/bin/env python3
"""Generates the expected outputs in src/chart/{load,files}/testdata by asking the chartfiles
oracle (Helm's own Go packages). Usage: gen_cases.py ORACLE_BIN REPO_ROOT"""
import base64, json, subprocess, sys

oracle, root = sys.argv[1], sys.argv[2]

def ask(reqs):
    inp = "".join(json.dumps(r) + "\n" for r in reqs)
    out = subprocess.run([oracle], input=inp.encode(), capture_output=True, check=True).stdout
    return [json.loads(l) for l in out.decode().splitlines()]

# --- .Files.Glob (gobwas/glob with '/') ---
names = ["a.txt", "b.yaml", "files/a.txt", "files/b.yaml", "files/sub/c.txt", "files/sub/deep/d.json",
         "conf/x.conf", "conf/.hidden", ".hidden", "README.md", "a", "ab", "abc", "a/b", "a-b", "a]b",
         "[x]", "{a}", "a,b", "x\\y", "ünï.txt", "files/é.txt", "a*b", "a?b", "", "/abs", "files/",
         "dir.tgz", "aXc", "a-c", "-", "!x", "b", "c", "z", "files/a.txtx", "xfiles/a.txt"]
patterns = ["*", "**", "*.txt", "**.txt", "files/*", "files/**", "files/*.txt", "files/**.txt", "files/*/*",
            "?", "??", "a?c", "a?b", "[abc]", "[!abc]", "[a-c]", "[!a-c]", "a[b-c]", "a[]b", "a[!]b", "[]]",
            "[\\]]*", "a\\*b", "a\\?b", "\\", "a\\", "{a,b}", "{a,b}*", "*.{txt,yaml}", "files/{a,b}.*",
            "{files,conf}/**", "{a,ab}c", "{a,ab}{c,}", "{", "a{", "{a,b", "}", "a}", ",", "a,b", "{a,{b,c}}",
            "{{a}}", "[", "[a", "[a-", "[a-]", "[z-a]", "[a-bc]", "[ab-c]", "[!!]", "[!-a]", "[\\-x]", "*a*b",
            "**/*.txt", "*/*", "*/**", "a**", "***", "**b", "files/**/c.txt", "?iles/*", "[f]iles/*.txt",
            "ü*", "*.json", "files/sub/**", "", "/abs", "/*", "a\x00b", "x\\\\y", "x\\y", "[x]", "\\[x\\]",
            "{*.txt,*.yaml}", "{files/*,conf/*}", "*{.txt}", "a{b,}", "{,a}b", "[!/]", "a[/]b", "a?", "a[!b]", "?a", "a*?", "a**?", "*?", "ab?", "a[!x]*", "{a,b}?", "a?*"]
glob_cases = []
reqs = [{"op": "glob", "pattern": p, "names": names} for p in patterns]
for p, ans in zip(patterns, ask(reqs)):
    glob_cases.append({"pattern": p, "compile_error": "error" in ans, "matches": ans["matches"]})
json.dump({"names": names, "cases": glob_cases}, open(f"{root}/src/chart/files/testdata/glob.json", "w"), indent=1, ensure_ascii=False)

# --- .helmignore (pkg/ignore) ---
paths = [("templates/x.yaml", False), ("templates/.x", False), ("templates/.", False), ("templates/..x", False),
         ("templates/sub/.x", False), (".git", True), (".git", False), ("a.txt", False), ("dir/a.txt", False),
         ("dir", True), ("dir/sub", True), ("docs/readme.md", False), ("README.md", False), ("foo", True),
         ("foo", False), ("x/foo", True), ("x/foo", False), ("abc", False), ("a.bak", False), ("b~", False),
         ("ci/values.yaml", False), ("ci", True), ("tests/x.yaml", False), (".vscode", True), ("OWNERS", False),
         ("charts/x.tgz", False), ("values.yaml", False), ("secret.txt", False), ("keep.txt", False), ("dir/x.md", False)]
rule_sets = [
    "", "*.txt", "/*.txt", "dir/", "dir/*", "/dir", "foo", "foo/", "!keep.txt", "*.txt\n!keep.txt",
    "!keep.txt\n*.txt", "!dir/", "# comment\n\n   *.md   \n", "a[b-d].txt", "*.bak\n*~\n.git/\n.vscode/\nOWNERS",
    "**", "a**b", "[", "x*[", "abc[", "\\", "ci/", "/ci", "tests/", "\ufeff*.md", "*.md\r\nOWNERS\r\n",
    "templates/x.yaml", "*/x.md", "dir/sub/", "/", "!", "!/", "!*", ".*", "*.tgz", "charts/", "?", "[^a]*",
    "[!a]*", "\\*.txt", "secret.*\n!secret.txt",
]
reqs = [{"op": "ignore", "rules": r, "paths": [{"path": p, "dir": d} for p, d in paths]} for r in rule_sets]
ign = []
for r, ans in zip(rule_sets, ask(reqs)):
    ign.append({"rules": r, "error": ans.get("error"), "ignored": ans.get("ignored")})
json.dump({"paths": [{"path": p, "dir": d} for p, d in paths], "cases": ign},
          open(f"{root}/src/chart/load/testdata/ignore.json", "w"), indent=1, ensure_ascii=False)

# --- .Files methods (pkg/engine.Render of a chart built by LoadFiles) ---
def f(name, data):
    if isinstance(data, str):
        data = data.encode()
    return {"name": name, "data": base64.b64encode(data).decode()}

tpl = r'''{{ .Files.Get "files/a.txt" }}|{{ .Files.Get "missing" }}|{{ printf "%T" .Files }}|{{ printf "%T" (.Files.GetBytes "files/a.txt") }}|{{ len .Files }}
{{- range $k, $v := .Files }}
{{ $k }}={{ len $v }}
{{- end }}
{{ .Files.Glob "files/*" | len }} {{ .Files.Glob "files/**" | len }} {{ .Files.Glob "[" | len }} {{ .Files.Glob "*" | len }}
{{ (.Files.Glob "files/*.txt").AsConfig }}
{{ (.Files.Glob "files/**").AsSecrets }}
{{ (.Files.Glob "conf/*").AsConfig }}
{{ range .Files.Lines "files/a.txt" }}[{{ . }}]{{ end }}
{{ range .Files.Lines "files/sub/c.txt" }}[{{ . }}]{{ end }}
{{ range .Files.Lines "conf/x.conf" }}[{{ . }}]{{ end }}
{{ .Files.Lines "files/empty.txt" | len }} {{ .Files.Lines "nope" | len }}
{{ printf "%T" (.Files.Lines "x") }}
{{ (.Files.Glob "nomatch/*").AsConfig }}|{{ (.Files.Glob "nomatch/*").AsSecrets }}
{{ .Files.GetBytes "files/sub/c.txt" }}
{{ index .Files "files/b.yaml" | printf "%s" }}
{{ printf "%T" (.Files.Glob "*") }}
{{ range $k, $v := .Files.Glob "files/**" }}{{ $k }};{{ end }}
{{ (.Files.Glob "{files,conf}/*.{txt,conf}").AsConfig }}
{{ .Files.AsSecrets }}
'''
chart_files = [
    f("Chart.yaml", "apiVersion: v2\nname: fchart\nversion: 0.1.0\n"),
    f("templates/t1.yaml", tpl),
    f("files/a.txt", "alpha\nbeta\n"),
    f("files/b.yaml", "k: v\nlist:\n  - 1\n"),
    f("files/sub/c.txt", "gamma"),
    f("files/empty.txt", ""),
    f("files/spaces.txt", "  leading\ntrailing  \n\n"),
    f("files/data.json", '{"a": [1, 2], "b": "x"}'),
    f("conf/x.conf", "x=1\r\ny=2\n"),
    f("conf/quote.conf", "'single' \"double\" # not a comment: yes\n"),
    f("bin/data.bin", b"\x00\x01\xfe\xff"),
    f(".hidden", "h"),
    f("README.md", "# readme\n"),
]
ans = ask([{"op": "render", "files": chart_files}])[0]
json.dump({"files": [{"name": x["name"], "data": x["data"]} for x in chart_files], "expected": ans},
          open(f"{root}/src/chart/files/testdata/render.json", "w"), indent=1, ensure_ascii=False)

# --- LoadFiles classification, metadata decoding and validation (pkg/chart/v2/loader) ---
import io, tarfile, gzip

def tgz(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            if isinstance(data, str):
                data = data.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

V2 = "apiVersion: v2\nname: top\nversion: 1.0.0\n"
sub_tgz = tgz([("sub2/Chart.yaml", "apiVersion: v2\nname: sub2\nversion: 0.2.0\n"),
               ("sub2/values.yaml", "s: 2\n"), ("sub2/templates/s.yaml", "kind: S2\n"),
               ("sub2/crds/c.yaml", "kind: CRD\n")])
lf_cases = {
    "v2_full": [("Chart.yaml", V2 + "description: d\ntype: application\nkubeVersion: '>=1.20'\nannotations:\n  a: b\nkeywords: [x, y]\nmaintainers:\n  - name: me\n    email: e@x\nsources: [s]\nhome: h\nicon: i\nappVersion: '1.0'\ndeprecated: true\ndependencies:\n  - name: sub\n    version: '~0.1'\n    repository: file://charts/sub\n    condition: sub.enabled\n    tags: [t1]\n    import-values:\n      - data\n      - child: a.b\n        parent: c\n    alias: subby\n"),
                ("Chart.lock", "dependencies:\n- name: sub\n  repository: file://x\n  version: 0.1.0\ndigest: sha256:abc\ngenerated: \"2024-01-02T03:04:05.123456789Z\"\n"),
                ("values.yaml", "a: 1\nb: [1, 2]\n---\nc: x\n"), ("values.schema.json", "{}"),
                ("templates/a.yaml", "a"), ("templates/_h.tpl", "h"), ("templates/NOTES.txt", "n"),
                ("crds/c.yaml", "c"), ("files/x.txt", "x"), (".helmignore", "*.bak"), ("README.md", "r"),
                ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
                ("charts/sub/templates/t.yaml", "t"), ("charts/sub/values.yaml", "x: 1"),
                ("charts/sub-0.1.0.tgz.prov", "prov"), ("charts/sub2-0.2.0.tgz", sub_tgz),
                ("charts/_skip/Chart.yaml", "bad: ["), ("charts/.skip/x", "x")],
    "v1_requirements": [("Chart.yaml", "name: old\nversion: 0.1.0\n"),
                        ("requirements.yaml", "dependencies:\n- name: a\n  version: 1.0.0\n  repository: https://x\n"),
                        ("requirements.lock", "dependencies:\n- name: a\n  version: 1.0.0\n  repository: https://x\ndigest: d\n"),
                        ("templates/x.yaml", "x")],
    "v2_requirements": [("requirements.yaml", "dependencies:\n- name: a\n  repository: r\n"), ("Chart.yaml", V2),
                        ("requirements.lock", "digest: d\n")],
    "v3_name_under_v2_loader": [("Chart.yaml", "apiVersion: v3\nname: three\nversion: 3.0.0\n"), ("requirements.yaml", "dependencies: []\n"),
                 ("requirements.lock", "x: 1\n")],
    "requirements_overrides_name": [("Chart.yaml", V2), ("requirements.yaml", "name: renamed\n")],
    "case_insensitive_keys": [("Chart.yaml", "APIVERSION: v2\nNAME: upper\nname: lower\nVersion: 1.0.0\nAppversion: x\n")],
    "sanitize": [("Chart.yaml", V2 + "description: \"tab\\there\\u0007bell\\u00a0nbsp\\u200bzw\"\nkeywords: [\"a\\nb\"]\n")],
    "missing_chart_yaml": [("values.yaml", "a: 1")],
    "only_requirements": [("requirements.yaml", "dependencies: []")],
    "no_name": [("Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n")],
    "name_dot": [("Chart.yaml", "apiVersion: v2\nname: ..\nversion: 1.0.0\n")],
    "name_slash": [("Chart.yaml", "apiVersion: v2\nname: a/b\nversion: 1.0.0\n")],
    "name_root": [("Chart.yaml", "apiVersion: v2\nname: /\nversion: 1.0.0\n")],
    "no_version": [("Chart.yaml", "apiVersion: v2\nname: x\n")],
    "bad_version": [("Chart.yaml", "apiVersion: v2\nname: x\nversion: one\n")],
    "v_version": [("Chart.yaml", "apiVersion: v2\nname: x\nversion: v1.2\n")],
    "bad_type": [("Chart.yaml", V2 + "type: Library\n")],
    "library": [("Chart.yaml", V2 + "type: library\n")],
    "float_version": [("Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0\n")],
    "list_chart_yaml": [("Chart.yaml", "- a\n- b\n")],
    "bad_yaml": [("Chart.yaml", "name: [\n")],
    "empty_chart_yaml": [("Chart.yaml", "")],
    "maintainers_string": [("Chart.yaml", V2 + "maintainers: me\n")],
    "maintainer_item_string": [("Chart.yaml", V2 + "maintainers: [me]\n")],
    "maintainer_name_number": [("Chart.yaml", V2 + "maintainers:\n- name: 5\n")],
    "maintainer_null": [("Chart.yaml", V2 + "maintainers:\n- ~\n")],
    "annotation_number": [("Chart.yaml", V2 + "annotations:\n  a: 1\n")],
    "annotation_null": [("Chart.yaml", V2 + "annotations:\n  a: null\n  b: c\n")],
    "sources_string": [("Chart.yaml", V2 + "sources: s\n")],
    "source_number": [("Chart.yaml", V2 + "sources: [1]\n")],
    "deprecated_string": [("Chart.yaml", V2 + "deprecated: maybe\n")],
    "two_type_errors": [("Chart.yaml", "apiVersion: v2\nname: 1\nversion: 2\n")],
    "dep_null": [("Chart.yaml", V2 + "dependencies:\n- ~\n")],
    "dep_alias_bad": [("Chart.yaml", V2 + "dependencies:\n- name: a\n  alias: a.b\n")],
    "dep_dup": [("Chart.yaml", V2 + "dependencies:\n- name: a\n- name: b\n  alias: a\n")],
    "dep_tags_string": [("Chart.yaml", V2 + "dependencies:\n- name: a\n  tags: x\n")],
    "dep_enabled_string": [("Chart.yaml", V2 + "dependencies:\n- name: a\n  enabled: x\n")],
    "dep_import_values_map": [("Chart.yaml", V2 + "dependencies:\n- name: a\n  import-values: {a: b}\n")],
    "lock_bad": [("Chart.yaml", V2), ("Chart.lock", "dependencies: x\n")],
    "values_bad": [("Chart.yaml", V2), ("values.yaml", "a: [\n")],
    "values_list": [("Chart.yaml", V2), ("values.yaml", "- a\n")],
    "subchart_readme": [("Chart.yaml", V2), ("charts/README.md", "x")],
    "subchart_tgz_dir": [("Chart.yaml", V2), ("charts/x.tgz/Chart.yaml", "x")],
    "subchart_bad": [("Chart.yaml", V2), ("charts/s/Chart.yaml", "apiVersion: v2\nname: s\n")],
    "subchart_tgz_bad": [("Chart.yaml", V2), ("charts/s.tgz", "not gzip")],
    "subchart_other_api": [("Chart.yaml", V2), ("charts/s/Chart.yaml", "apiVersion: v9\nname: s\nversion: 1.0.0\n"), ("charts/s/requirements.yaml", "dependencies: []")],
    "apiversion_number": [("Chart.yaml", "apiVersion: 2\nname: x\nversion: 1.0.0\n")],
    "unknown_keys": [("Chart.yaml", V2 + "foo: bar\nextra: [1]\n")],
}
reqs = [{"op": "loadfiles", "files": [f(n, d) for n, d in files]} for files in lf_cases.values()]
out = []
for (name, files), ans in zip(lf_cases.items(), ask(reqs)):
    out.append({"case": name, "files": [f(n, d) for n, d in files], "expected": ans})
json.dump(out, open(f"{root}/src/chart/load/testdata/loadfiles.json", "w"), indent=1, ensure_ascii=False)

# --- the conformance corpus, loaded from its directories by loader.Load ---
import os
corpus = os.environ.get("WHEELHOUSE_CONFORMANCE_CHARTS", os.path.join(root, "../shared/conformance/charts"))
names = sorted(n for n in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, n)))
def strip_values(s):
    s["values"] = sorted((s.get("values") or {}).keys())
    for d in s["deps"]:
        strip_values(d)
conf = {}
for n, ans in zip(names, ask([{"op": "loaddir", "path": os.path.join(corpus, n)} for n in names])):
    if "error" in ans:
        raise SystemExit(f"{n}: {ans['error']}")
    strip_values(ans["chart"])
    conf[n] = ans["chart"]
json.dump(conf, open(f"{root}/src/chart/load/testdata/conformance.json", "w"), indent=1, ensure_ascii=False)

# --- a v3 chart through pkg/chart/loader.Load (dispatches to internal/chart/v3) ---
v3dir = f"{root}/src/chart/load/testdata/v3chart"
ans = ask([{"op": "loaddir", "path": v3dir}])[0]
json.dump(ans, open(f"{root}/src/chart/load/testdata/v3chart.json", "w"), indent=1, ensure_ascii=False)

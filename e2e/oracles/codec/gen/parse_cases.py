# Parse corpus (fromYaml, fromYamlArray, loadValues) for src/codec/testdata/parse.jsonl.
import json
docs = [
 # YAML 1.1 scalars
 "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: Y\nh: NO\ni: True\nj: FALSE\n",
 "a: 0755\nb: 0o17\nc: 0x1F\nd: 1_000\ne: 08\nf: 0b101\ng: -0b101\nh: +12\ni: -0\nj: 0\n",
 "a: 1.0\nb: 1e6\nc: 1.5e-7\nd: .5\ne: 5.\nf: 1e400\ng: -.5\nh: 1_000.5\ni: 3.14159265358979\n",
 "a: .inf\n", "a: -.inf\n", "a: .nan\n", "a: [1, .inf]\n", "a: .Inf\nb: x\n",
 "a: ~\nb: null\nc: Null\nd:\ne: ''\nf: \"\"\ng: NULL\n",
 "a: 2024-01-02\nb: 2001-12-14t21:59:43.10-05:00\nc: 2024-02-30\nd: 2001-12-14 21:59:43.10\n",
 "a: 12:30\nb: 190:20:30\nc: 1:2:3.5\n",
 "a: 9223372036854775807\nb: 9223372036854775808\nc: 18446744073709551615\nd: 18446744073709551616\ne: -9223372036854775809\nf: 9007199254740993\n",
 "a: 0xFFFFFFFFFFFFFFFF\nb: 0x7FFFFFFFFFFFFFFF\nc: -0x10\nd: 0b11111111\n",
 "a: '123'\nb: \"true\"\nc: !!str 123\nd: !!int '42'\ne: !!float 1\nf: !!bool yes\ng: !!null ''\n",
 "a: !!int 1.5\n", "a: !!null x\n", "a: !!bool maybe\n", "a: !!float x\n", "a: !!int 0x1F\n", "a: !!float 18446744073709551615\n",
 "a: !!timestamp 2001-01-01\n", "a: !!timestamp 12\n", "a: !!int 2001-01-01\n", "a: !custom value\nb: ! 12\nc: !!seq x\n",
 "a: !!binary aGVsbG8=\n", "a: !!binary aGVsbG8\n", "a: !!binary |\n  aGVs\n  bG8=\n", "a: !!binary //79\n",
 "a: !!map {b: 1}\nc: !!seq [1]\nd: !!str [1]\n",
 # strings
 "a: plain text\nb: 'single ''quoted'''\nc: \"double \\\"quoted\\\" \\t\\u00e9\\U0001F600\"\n",
 "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  strip\nd: |+\n  keep\n\ne: x\n",
 "a: \"multi\n  line\n\n  double\"\nb: 'multi\n  single'\nc: plain\n  continued\n  lines\n",
 "a: |2\n    indented\n   less\n", "a: >-\n  folded\n    more indented\n  back\n",
 "a: \"\\x41\\u0042\\N\\_\\L\\P\\0\\a\\e\"\n",
 "a: 'it''s'\nb: \"a\\\\b\"\nc: a'b\nd: a\"b\n",
 "key with spaces: v\n'quoted key': v\n\"dq key\": v\n? complex key\n: complex value\n",
 # keys
 "1: a\n2.5: b\ntrue: c\n~: d\n", "1: a\n", "2.5: b\n", "true: c\nfalse: d\n", "~: x\n", "null: x\n", "0.1: a\n3.14159265: b\n1e3: c\n",
 "0x10: a\n0755: b\n", "18446744073709551615: x\n", ".inf: a\n-.inf: b\n.nan: c\n", "2024-01-02: date\n", "[1, 2]: x\n", "{a: 1}: x\n",
 "? - a\n: x\n", "a: 1\na: 2\n", "a: {b: 1}\na: {c: 2}\n", "1: a\n'1': b\n",
 # merge keys
 "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
 "base: &b {x: 1, y: 2}\nd:\n  y: 3\n  <<: *b\n",
 "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n",
 "c:\n  <<: {x: 1}\n  <<: {x: 2}\n", "c:\n  <<: 1\n", "c:\n  <<: [1]\n", "a: &a [1]\nc:\n  <<: *a\n", "c:\n  <<: ~\n",
 "c:\n  '<<': {x: 1}\n", "c:\n  !!merge <<: {x: 1}\n", "c: <<\n", "c:\n  <<: {<<: {deep: 1}, x: 2}\n",
 # anchors/aliases
 "a: &x 1\nb: *x\nc: &y [1, 2]\nd: *y\n", "a: *unknown\n", "a: &a [*a]\n", "a: &a\n  b: *a\n", "a: &x 1\nb: &x 2\nc: *x\n",
 "&r [1, *r]\n", "- &a x\n- *a\n- *a\n", "a: &k key\n*k : v\n",
 # structures
 "a:\n  b:\n    c: [1, {d: e}]\n", "- a\n- b: c\n  d: e\n- - x\n  - y\n", "[1, [2, [3]]]\n", "{a: 1, b: [2, 3], c: {d: 4}}\n",
 "a: []\nb: {}\nc: [[]]\nd: [{}]\n", "a:\n- 1\n- 2\n", "a:\n  - 1\n  - 2\n", "- \n- ~\n-\n",
 # documents / empties
 "", "\n", "# just a comment\n", "---\n", "--- \na: 1\n", "a: 1\n---\nb: 2\n", "a: 1\n...\n", "--- |\n  text\n", "null\n", "~\n",
 "- 1\n- 2\n", "scalar\n", "42\n", "true\n", "'quoted'\n", "[]\n", "{}\n", "%YAML 1.1\n---\na: 1\n", "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
 "a: 1 # comment\n# full\nb: 2\n",
 # errors
 "a: b: c\n", "a: 1\nb\n", "a: [1, 2\n", "a: {b: 1\n", "a: 'unterminated\n", "a: \"unterminated\n", "- a\nb: c\n", "a:\n  - b\n c: d\n",
 "a: 1\n  b: 2\n", "\ta: 1\n", "a:\n\t- 1\n", "a: @b\n", "a: `b\n", "a: %b\n", "key: value\n: x\n", "[1, 2]]\n", "a: 1\n---\n[\n",
 "a: !!binary not-base64!\n", "a: \"\\q\"\n", "a: |\n x\n  y\n z\n", "a: >\n  text\n bad\n", "a: *\n", "a: &\n", "? a\n? b\n",
 "a: 1\nb: 2\n c: 3\n", "x:\n- a\n  - b\n", "a: b\n- c\n", "{a: 1}}\n", "a: 'x''\n", "a: 1\n\n\n\nb: [\n", "line1\nline2: x\n",
 "a: - b\n", "a: [b, c]d\n", "a: {b}\n", "- - - a\n- b\n", "k: \"a\\\n  b\"\n",
 # whitespace / unicode
 "a:    spaced   \nb:\t tab\n", "é: ü\n日本: 語\n", "a: 😀\n", "\ufeffa: 1\n", "a: 1\r\nb: 2\r\n", "a: |\r\n  x\r\n  y\r\n",
 "a: \u00a0x\n", "a: x\u2028y\n", "a: x\u0085y\n",
 # long / numbers in lists
 "l: [1, 1.5, -2, 0x10, 1e3, .5, yes, ~, '', 'a']\n", "n: 123456789012345678901234567890\n", "n: -1.0e+3\n", "n: +.inf\n",
]
# loadValues specific
lv = [
 "a: 1\n---\nb: {c: 2}\n---\nb: {d: 3}", "a: {x: 1}\n---\na: 2\n", "a: 2\n---\na: {x: 1}\n", "---\n---\na: 1\n---\n", "--- # c\na: 1\n--- x\nb: 2\n",
 "a: 1\n---\n- 1\n", "a: 1\n---\nb: : :\n", "a: 1\r\n---\r\nb: 2\r\n", "a: |\n  x\n  ---\n  y\n", "a: 1\n---a\n", "a: 1\n--- \n", "a: 1\n...\nb: 2\n",
 "", "# only comment", "a: 1", "---", "a: &x 1\n---\nb: *x\n", "a: [1,2]\n---\na: [3]\n", "a: {b: {c: 1, d: 2}}\n---\na: {b: {c: 3}}\n", "x: null\n---\nx: {a: 1}\n",
 "a: {b: 1}\n---\na: null\n", "a: .inf\n", "- just\n- a list\n", "scalar", "a: 1\n--- |\n  text\n",
]
out=[]
for d in docs:
    for op in ("fromYaml","fromYamlArray","loadValues"):
        out.append(json.dumps({"op": op, "input": d}))
for d in lv:
    out.append(json.dumps({"op": "loadValues", "input": d}))
# alias bomb and depth
bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
prev="a"
for i,n in enumerate("bcdefghi"):
    bomb += "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n" % (n,n,prev,prev,prev,prev,prev,prev,prev,prev,prev); prev=n
out.append(json.dumps({"op":"fromYaml","input":bomb,"note":"billion laughs"}))
out.append(json.dumps({"op":"fromYaml","input":"a: " + "["*10001 + "]"*10001 + "\n","note":"flow depth 10001"}))
out.append(json.dumps({"op":"fromYaml","input":"a: " + "["*100 + "]"*100 + "\n","note":"flow depth 100"}))
deep = "".join("  "*i + "k%d:\n" % i for i in range(60)) + "  "*60 + "v: 1\n"
out.append(json.dumps({"op":"fromYaml","input":deep,"note":"block depth 60"}))
print("\n".join(out))

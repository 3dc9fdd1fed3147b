# TOML corpus (toToml, fromToml) for src/codec/testdata/toml.jsonl.
import json
F=lambda x: ("F", x)
vals = [
 {"a": 1, "b": "x", "c": True, "d": F(1.5), "e": F(3.0), "f": F(1e6), "g": F(-0.0), "h": F(1.5e-7), "i": F(1e21)},
 {"b": {"y": 1, "x": {"z": "deep"}}, "a": 0, "c": [1, 2, 3], "d": []},
 {"list": [{"a": 1}, {"a": 2, "sub": {"k": "v"}}], "top": "t"},
 {"tables": [{"x": {"y": [{"z": 1}]}}]},
 {"mixed": [1, "two", F(3.5), True, [1, [2]], {"k": "v"}]},
 {"inline": [{"a": 1, "b": {"c": 2}}, 5]},
 {"withnull": None, "keep": 1},
 {"arr": [1, None]},
 {"inl": [{"a": None, "b": 1}, 2]},
 {"inl2": [{"b": 1, "a": None}, 2]},
 {"inl3": [{"a": 1, "t": {"x": 1}, "z": None}, 2]},
 {"key with space": 1, "ключ": 2, "": 3, "a.b": 4, "bare-key_1": 5, "q\"uote": 6},
 {"str": "line1\nline2\ttab \"quoted\" back\\slash \u0001 \u007f é 😀 \u2028"},
 {"t1": {}, "t2": {"a": {}}, "v": 1},
 {"a": {"b": {"c": {"d": {"e": 1}}}}, "z": [{"y": [{"x": 1}]}]},
 {"big": 9223372036854775807, "neg": -9223372036854775808, "u": 18446744073709551615},
 {"floats": [F(0.1), F(100.0), F(1e-6), F(1e20), F(123456789.0), F(2.5e-300)]},
 {"empty_list_of_lists": [[], [[]]]},
 "top-level string", 42, F(2.5), True, [1, 2], [{"a": 1}], [], {},
 {"aot": [{}, {"x": 1}]},
 {"s": {"aot": [{"n": 1}, {"n": 2}], "plain": 1, "tab": {"q": 2}}},
 {"unicode_key_é": {"ü": "x"}},
 {"nested_arrays_of_tables_in_arrays": [[{"a": 1}], [{"b": 2}]]},
]
def dump(v):
    if isinstance(v, tuple):
        r=repr(float(v[1])); return r if ("." in r or "e" in r) else r+".0"
    if isinstance(v, dict): return "{"+",".join(json.dumps(k)+":"+dump(x) for k,x in v.items())+"}"
    if isinstance(v, list): return "["+",".join(dump(x) for x in v)+"]"
    return json.dumps(v)
for v in vals:
    print('{"op":"toToml","input":%s}' % dump(v))
texts = ["a = 1\nb = 'x'\nc = true\nd = 1.5\ne = [1, 2]\n[t]\nk = \"v\"\n[[arr]]\nn = 1\n[[arr]]\nn = 2\n",
 "a = 1e6\nb = 3.0\nc = -0.0\nd = 0x1F\ne = 0o17\nf = 0b101\ng = 1_000\n", "s = \"\"\"\nmulti\nline\"\"\"\nl = '''raw\\n'''\n",
 "a.b.c = 1\n", "inline = {x = 1, y = {z = 2}}\n", "arr = [[1, 2], ['a']]\n", "", "# comment only\n", "a = \"é\\u00e9\\U0001F600\"\n",
 "big = 9223372036854775807\n", "neg = -9223372036854775808\n", "\"quoted key\" = 1\n'lit' = 2\n",
 "a = [\n  1,\n  2,\n]\n", "[a]\n[a.b]\nc = 1\n", "x = true\ny = false\n",
]
# Documents BurntSushi rejects: its error text (line, last key, message) is the output.
texts += ["=bad", "a = ", "a = 1 b = 2", "a = tru", "a = \"x", "a = \"x\ny\"", "a = 'x", "[a", "[]", "[a.]",
 "[[a]\n", "a = [1 2]", "a = [1,,2]", "a = {x = 1,, y = 2}", "a = {x = 1 y = 2}", "a = 1\na = 2", "[a]\n[a]",
 "a = 1\n[a]", "[a]\nb = 1\n[a.b]", "a.b = 1\na.b.c = 2", "a = 1\n[[a]]", "a = 007", "a = 1__0", "a = _1",
 "a = 1_", "a = 99999999999999999999", "a = -9223372036854775809", "a = 1.", "a = 1.e2", "a = .5", "a = +.5",
 "a = 1e999", "a = 0b2", "a = 0o9", "a = 0xg", "a = +0x1", "a = +i",
 "a = \"\\q\"", "a = \"\\uD800\"", "a = \"\\u12\"", "a = \"\\ x\"", 
 "a = 1979-13-27", "a.b.c = 1\n[a.b]\nd = 2\n[a]\nx = 1\n[a.b]\ny = 1", ".a = 1",
 "a. = 1", "a\n= 1", "a = 1 # ok\nb = \"\u0001\"", "a = \"\x07\"", "a = 1\r", "[t]\nx = [1,\n 2,\n 3\n",
 "a = \"\"\"x\"\"\"\"\"\"", "a = " + "'" * 3 + "x" + "'" * 6, "[[t]]\nk = 1\n[t.k]", "t = [{a = 1}]\n[[t]]",
 "k = \"v\"\n\n\n[tbl]\nkey = = 1", "a = [\n  1,\n  # c\n  ]\nb = {\n}",
 "\"a\".\"b\" = 1\n\"a\".\"b\" = 2", "a = 1\nb = 2\nc d = 3", 
 "a = 7:32:00", "a = \"\"\"\nx\\  \n  y\"\"\"", "a = 1\n\n[b]\nc = [1,\n2]\nd = {e = 1, e = 2}",
]
for t in texts:
    print(json.dumps({"op": "fromToml", "input": t}))

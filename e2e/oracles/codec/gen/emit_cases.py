# Emit corpus (toYaml, toYamlPretty) for src/codec/testdata/emit.jsonl.
import json, sys
F = "__FLOAT__"  # marker: emit as float literal

def f(x):  # float literal wrapper
    return ("__F__", x)

strings = [
 "yes","no","on","off","y","n","Y","N","Yes","NO","On","OFF","true","True","TRUE","false","null","Null","NULL","~","",
 "1","1.0","-1","+1","0x1F","0X1f","0o17","0O17","0755","08","09","0","00","1_000","_1","1_","1e6","1e+06","1E6","1e400",".5","5.",".","-.5","+.5",
 ".inf","-.inf","+.inf",".Inf",".INF",".nan",".NaN",".NAN","inf","nan","Infinity",
 "2024-01-02","2024-1-2","2024-02-30","2024-02-29","2023-02-29","2001-12-14t21:59:43.10-05:00","2001-12-14T21:59:43Z","2001-12-14 21:59:43.10","2001-12-14  21:59:43","2001-12-14T25:00:00Z","2001-12-14T21:59","20240102","2024-01-02x",
 "12:30","190:20:30","1:2:3.5","-1:30","1:60","1_0:20","<<","=","0b101","-0b101","0b2","0b","0x","+","-","--","---","--- a","...","... a","....",
 "Yes please","yesno","nO","yES","1.2.3","1,000","$1","1e","e1","0x1G","0xFFFFFFFFFFFFFFFF","0x10000000000000000","18446744073709551615","18446744073709551616","-9223372036854775809","9223372036854775807",
 " lead","trail "," both ","  ","a  b","a: b","a:b","a :b","a:","a #b","a#b","#a","- a","-a","? a","?a","?",":",": a",":a","a?b","a,b","[a]","a]","{a}","a}","&a","*a","!a","|a","a|",">a","'a","a'b","\"a","a\"b","%a","@a","`a","a\\b","a\tb","\ta","tab\t","a\u0007b","\u0000","\u001b[0m",
 "é","日本語","😀","a😀b","\u00a0","a\u00a0b","x\u0085y","x \u0085 \u0085\u0085 y","\u2028","a\u2029b","\ufeff","\ufeffabc","a\ufeff","\u200b","\u00ad","Ω","e\u0301","\ufffd","\U0010ffff",
 "a\nb","a\nb\n","a\nb\n\n","\n","\n\n","\na"," a\nb","a\n b","a \nb","a\n\nb","a\r\nb","a\rb","line\n  indented\n","trailing space \n","\ttab\nx","a\n#b","- a\n- b","a: b\nc: d","x\n\t\ty","😀\nx","a\u2028b\nc","\n\na\n\n",
 "http://example.com/path?q=1#frag","user@example.com","C:\\path\\to","{{ .Values.x }}","${VAR}","key=value","a;b","a&b","<tag>","a > b","a | b","50%","100%","~user","!important",
]
def words(n, w="word"):
    s=""
    while len(s)<n:
        s=(s+" "+w) if s else w
    return s[:n].rstrip() + ("x" if s[:n].endswith(" ") else "")
longs=[]
for n in list(range(70,96))+[120,159,160,161,200,400]:
    longs.append(words(n))
longs += [
 "a"*100, "a"*79+" b", "a"*80+" b", "a"*81+" b", "aa "*40, "a  "*40, ("word "*20)+" double  space", "  leading "+"word "*20,
 "@"+"word "*20+"end", "'"+"word "*20, "yes "*25+"end", "\t"+"word "*20, "😀 "+"word "*20, "word "*20+"\u00e9 "*10,
 "x"*78+" "+"y"*10+" "+"z"*10, "word "*16+"\n"+"word "*16, "a "*60, "abc\t"+"def "*30,
 ("very long string with a colon: inside it and more words " * 3).strip(),
 ("plain " * 30) + "# not comment",
]
keys = ["a1","a10","a2","A","b","_","1","10","2","01","001","a01","a001","é","Z","z","_x","-x","a_b","a-b","a.b","ab","aB","Ab","0","00","a0b","a00b","x9","x10","x09","x010","日","β","a b","1a","a1b2","a1b10","a12b"]
ex=[]
for s in strings+longs:
    ex.append({"v": s})
    ex.append([s])
    ex.append(s)
for s in longs[:12]:
    ex.append({"k": {"nested": {"deeper": s}}})
    ex.append({"list": [[s]]})
    ex.append({"x"*30: s})
# keys
ex.append({k: i for i,k in enumerate(keys)})
for group in [["a1","a10","a2","A","b","_","é","Z","z","_x","-x","a_b","a-b","a.b","ab","aB","Ab","日","β","a b"],
              ["1","2","10","20","100","3a","a3"], ["x9","x10","x09","x010"], ["v1.2.3","v1.10.0","v1.9.9"],
              ["item1","item2","item10","item20","item3"], ["0","00","000"], ["a0","a00","a1"], ["Ⅻ","a","1","x"], ["k१","k1","k2"]]:
    ex.append({k: i for i,k in enumerate(group)})
for k in ["k"*128,"k"*129,"k"*200,"a\nb","a: b","yes","","1","null","-","? x","#c","k"*60+" "+"k"*70, "é"*64, "é"*65, "\tk", "😀"]:
    ex.append({k: "v"})
    ex.append({k: {"a": 1}})
    ex.append({k: [1, 2]})
# numbers
ints=[0,-1,42,9223372036854775807,-9223372036854775808,18446744073709551615,1000000,123456789012]
floats=[0.0,-0.0,1.0,3.0,1.5,-2.5,1e6,1e21,1e20,1e-6,1e-7,1.5e-7,123456789.0,123456789.5,0.1,1/3,2.5e-300,1.7976931348623157e308,5e-324,9007199254740993.0,1e15,1e16,123456.789,0.000123,1e-5,12345678.9,100.0,1e100,-1e-10,65536.0, 4.5e15, 1.0000000000000002]
for i in ints: ex.append({"n": i}); ex.append(i)
for x in floats: ex.append({"f": f(x)}); ex.append(f(x)); ex.append([f(x)])
# structures
ex += [ {}, [], {"a":{}}, {"a":[]}, [[]], [{}], [[[]]], {"a":{"b":{}}}, [{"a":[]}], {"a":None,"b":True,"c":False},
  [None, True, False, "", 0], {"a":[{"b":[{"c":[]}]}]}, [[1,2],[3,[4,[5]]]], {"m":[{"x":1,"y":[1,2],"z":{"q":"r"}},{"x":2}]},
  {"a":["x\ny", {"b":"p\nq\n"}], "c":[["m\nn"]]}, [{"k":"a\nb"}], {"l":[{}, [], {"a":{}}]}, {"s":[" lead", "tail ", "", "-", "- x"]},
  None, True, False, "foo", "", "a\nb", 1, f(1.5), {"":""}, {"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":"deep"}}}}}}}}}},
]
d={"leaf":"x"}
for i in range(30): d={"k%d"%i: d, "s%d"%i: "v"}
ex.append(d)
l=["leaf"]
for i in range(25): l=[l, "x"]
ex.append(l)
m=[{"a": "b"}]
for i in range(12): m=[{"k": m, "l": [m[0]]}]
ex.append(m)

def conv(v):
    if isinstance(v, tuple) and v[0]=="__F__": return RawFloat(v[1])
    if isinstance(v, dict): return {k: conv(x) for k,x in v.items()}
    if isinstance(v, list): return [conv(x) for x in v]
    return v
class RawFloat(float): pass
def dump(v):
    if isinstance(v, RawFloat):
        r=repr(float(v))
        if r=="-0.0": return "-0.0"
        return r if ("." in r or "e" in r) else r+".0"
    if isinstance(v, dict): return "{"+",".join(json.dumps(k)+":"+dump(x) for k,x in v.items())+"}"
    if isinstance(v, list): return "["+",".join(dump(x) for x in v)+"]"
    return json.dumps(v)
for op in ["toYaml","toYamlPretty"]:
    for v in ex:
        print('{"op":"%s","input":%s}' % (op, dump(conv(v))))

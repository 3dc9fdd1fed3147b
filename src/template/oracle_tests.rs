//! Differential test against Go: every case in `testdata/cases.txt` is executed here and
//! compared with `testdata/expected.jsonl`, which the Go oracle
//! (`e2e/oracles/gotemplate`, real `text/template` and Helm 4's engine) produced.
//!
//! Plain cases run with `missingkey=zero` and Helm's `<no value>` removal plus the test
//! functions below, which mirror the oracle's `testFuncs` one for one. `@helm` cases render
//! a one-chart release the way Helm's engine does (parse order, partials, `.Template`,
//! Helm's error reformatting), using only Go builtins and Helm's engine functions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use super::funcs::{self, FuncMap, ParamType, Signature};
use super::value::{CollType, ElemType, IntKind, Method, NamedType, Object, Str, UintKind, Value};
use super::{
    FuncError, MissingKey, Options, TemplateSet, helm_exec_error_message, helm_parse_error_message,
};

struct Case {
    name: String,
    helm: bool,
    templates: Vec<(String, String)>,
    data: Option<String>,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    // Which section the current lines belong to: template index or data.
    enum Sec {
        None,
        Tpl(usize),
        Data,
    }
    let mut sec = Sec::None;
    let mut lines: Vec<&str> = Vec::new();
    fn flush(cases: &mut [Case], sec: &Sec, lines: &mut Vec<&str>) {
        if let Some(c) = cases.last_mut() {
            let joined = lines.join("\n");
            match sec {
                Sec::Tpl(i) => c.templates[*i].1 = joined,
                Sec::Data => c.data = Some(joined),
                Sec::None => {}
            }
        }
        lines.clear();
    }
    for line in text.split('\n') {
        if let Some(head) = line.strip_prefix("### ") {
            flush(&mut cases, &sec, &mut lines);
            sec = Sec::None;
            let mut parts = head.split_whitespace();
            let name = parts.next().unwrap_or_default().to_string();
            let helm = parts.any(|p| p == "@helm");
            cases.push(Case {
                name,
                helm,
                templates: Vec::new(),
                data: None,
            });
        } else if let Some(name) = line.strip_prefix("<<< ") {
            flush(&mut cases, &sec, &mut lines);
            if let Some(c) = cases.last_mut() {
                c.templates.push((name.trim().to_string(), String::new()));
                sec = Sec::Tpl(c.templates.len() - 1);
            }
        } else if line.starts_with(">>> data") {
            flush(&mut cases, &sec, &mut lines);
            sec = Sec::Data;
        } else if !matches!(sec, Sec::None) {
            lines.push(line);
        }
    }
    // The file ends with a newline: drop the empty last line like Go's line scanner does.
    if lines.last() == Some(&"") {
        lines.pop();
    }
    flush(&mut cases, &sec, &mut lines);
    cases
}

// ---- test object mirroring the oracle's testObj ----

#[derive(Debug)]
struct TestInner {
    x: i64,
    y: String,
}

impl Object for TestInner {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("main.testInner")
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "X" => Some(Value::int(self.x)),
            "Y" => Some(Value::from(self.y.as_str())),
            _ => None,
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("X".into(), Value::int(self.x)),
            ("Y".into(), Value::from(self.y.as_str())),
        ]
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"X": self.x, "Y": self.y})
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[derive(Debug)]
struct TestObj {
    inner: Rc<TestInner>,
}

/// A nil `*main.testInner`, printed as `<nil>`.
#[derive(Debug)]
struct NilInnerPtr;

impl Object for NilInnerPtr {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*main.testInner")
    }
    fn is_nil(&self) -> bool {
        true
    }
    fn field(&self, _: &str) -> Option<Value> {
        None
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![("X".into(), Value::int(0)), ("Y".into(), Value::from(""))]
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Object for TestObj {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*main.testObj")
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => Some(Value::from("n")),
            "Count" => Some(Value::int(3)),
            "Inner" => Some(Value::Object(self.inner.clone())),
            "Tags" => Some(Value::string_list(["a", "b"])),
            "Ptr" => Some(Value::Object(Rc::new(NilInnerPtr))),
            "Any" => Some(Value::Nil),
            _ => None,
        }
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        match name {
            "Hello" => Some(Signature::new([ParamType::String])),
            "Pair" => Some(Signature::new([
                ParamType::Int(IntKind::Int),
                ParamType::String,
            ])),
            "Fail" | "NoArgs" => Some(Signature::new([])),
            "Join" => Some(Signature::new([ParamType::String]).variadic(ParamType::String)),
            _ => None,
        }
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let s = |i: usize| {
            args.get(i)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match name {
            "Hello" => Ok(Value::from(format!("hello {} from n", s(0)))),
            "Pair" => {
                let a = match args.first() {
                    Some(Value::Int(n, _)) => *n,
                    _ => 0,
                };
                Ok(Value::from(format!("{a}-{}", s(1))))
            }
            "Fail" => Err(FuncError::new("method failed")),
            "NoArgs" => Ok(Value::from("noargs")),
            "Join" => {
                let parts: Vec<String> = (1..args.len()).map(s).collect();
                Ok(Value::from(parts.join(&s(0))))
            }
            _ => Err(FuncError::new("no method")),
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Name".into(), Value::from("n")),
            ("Count".into(), Value::int(3)),
            ("Inner".into(), Value::Object(self.inner.clone())),
            ("Tags".into(), Value::string_list(["a", "b"])),
            ("Ptr".into(), Value::Object(Rc::new(NilInnerPtr))),
            ("Any".into(), Value::Nil),
            ("lower".into(), Value::from("")),
        ]
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Name": "n"})
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(n, _) => *n,
        Value::Uint(n, _) => *n as i64,
        Value::Float(f) => *f as i64,
        _ => 0,
    }
}

/// The oracle's `testFuncs`, one for one.
fn test_funcs() -> FuncMap {
    use ParamType as P;
    let mut f = FuncMap::new();
    f.register("int64", Signature::new([P::Any]), |_, a| {
        Ok(Value::int64(to_i64(&a[0])))
    });
    f.register("toint", Signature::new([P::Any]), |_, a| {
        Ok(Value::int(to_i64(&a[0])))
    });
    f.register("uint64", Signature::new([P::Any]), |_, a| {
        Ok(Value::Uint(to_i64(&a[0]) as u64, UintKind::Uint64))
    });
    f.register("float", Signature::new([P::Any]), |_, a| {
        Ok(Value::Float(to_i64(&a[0]) as f64))
    });
    f.register("strs", Signature::new([]).variadic(P::String), |_, a| {
        Ok(Value::typed_list(ElemType::String, a))
    });
    f.register(
        "ints",
        Signature::new([]).variadic(P::Int(IntKind::Int)),
        |_, a| Ok(Value::typed_list(ElemType::Int(IntKind::Int), a)),
    );
    f.register("smap", Signature::new([]), |_, _| {
        let mut m = BTreeMap::new();
        m.insert(Str::from("a"), Value::from("x"));
        m.insert(Str::from("b"), Value::from("y"));
        Ok(Value::typed_map(CollType::of(ElemType::String), m))
    });
    f.register("bytes", Signature::new([P::String]), |_, a| {
        Ok(Value::Bytes(std::sync::Arc::from(
            a[0].as_str().unwrap_or_default().as_bytes(),
        )))
    });
    f.register("list", Signature::new([]).variadic(P::Any), |_, a| {
        Ok(Value::list(a))
    });
    f.register("dict", Signature::new([]).variadic(P::Any), |_, a| {
        let mut m = BTreeMap::new();
        let mut i = 0;
        while i + 1 < a.len() {
            let k = super::gofmt::sprint(std::slice::from_ref(&a[i]));
            m.insert(Str::from(k), a[i + 1].clone());
            i += 2;
        }
        Ok(Value::map(m))
    });
    f.register(
        "set",
        Signature::new([P::Map(ElemType::Interface), P::String, P::Any]),
        |_, a| {
            if let Value::Map(m) = &a[0] {
                m.borrow_mut()
                    .entries
                    .insert(Str::from(a[1].as_str().unwrap_or_default()), a[2].clone());
            }
            Ok(a[0].clone())
        },
    );
    f.register("obj", Signature::new([]), |_, _| {
        Ok(Value::object(TestObj {
            inner: Rc::new(TestInner {
                x: 1,
                y: "y".into(),
            }),
        }))
    });
    f.register("nilval", Signature::new([]), |_, _| Ok(Value::Nil));
    f.register("failwith", Signature::new([P::String]), |_, a| {
        Err(FuncError::new(a[0].as_str().unwrap_or_default()))
    });
    f.register("boom", Signature::new([]), |_, _| {
        Err(FuncError::new("boom happened"))
    });
    f.register(
        "concat",
        Signature::new([P::String]).variadic(P::String),
        |_, a| {
            let parts: Vec<&str> = a[1..]
                .iter()
                .map(|v| v.as_str().unwrap_or_default())
                .collect();
            Ok(Value::from(parts.join(a[0].as_str().unwrap_or_default())))
        },
    );
    f.register("takeint", Signature::new([P::Int(IntKind::Int)]), |_, a| {
        Ok(Value::int(to_i64(&a[0]) * 2))
    });
    f.register("takef", Signature::new([P::Float64]), |_, a| match a[0] {
        Value::Float(x) => Ok(Value::Float(x * 2.0)),
        _ => Ok(Value::Float(0.0)),
    });
    f.register("takeb", Signature::new([P::Bool]), |_, a| {
        Ok(Value::Bool(!a[0].as_bool().unwrap_or(false)))
    });
    f.register(
        "takeu",
        Signature::new([P::Uint(UintKind::Uint)]),
        |_, a| match a[0] {
            Value::Uint(n, k) => Ok(Value::Uint(n.wrapping_add(1), k)),
            _ => Ok(Value::Nil),
        },
    );
    f.register(
        "takelist",
        Signature::new([P::List(ElemType::Interface)]),
        |_, a| match &a[0] {
            Value::List(l) => Ok(Value::int(l.items.len() as i64)),
            _ => Ok(Value::int(0)),
        },
    );
    f.register(
        "takemap",
        Signature::new([P::Map(ElemType::Interface)]),
        |_, a| match &a[0] {
            Value::Map(m) => Ok(Value::int(m.borrow().entries.len() as i64)),
            _ => Ok(Value::int(0)),
        },
    );
    f.register("takestr", Signature::new([P::String]), |_, a| {
        Ok(Value::from(format!(
            "<{}>",
            a[0].as_str().unwrap_or_default()
        )))
    });
    f.register("cplx", Signature::new([]), |_, _| {
        Ok(Value::Complex(1.0, 2.0))
    });
    f.register("vals", Signature::new([]), |_, _| {
        let mut sub = BTreeMap::new();
        sub.insert(Str::from("a"), Value::Float(1.0));
        let mut m = BTreeMap::new();
        m.insert(Str::from("Table"), Value::from("t"));
        m.insert(Str::from("k"), Value::from("v"));
        m.insert(Str::from("sub"), Value::map(sub));
        Ok(Value::typed_map(values_type(), m))
    });
    f.register("vset", Signature::new([]), |_, _| {
        let ty = CollType {
            elem: ElemType::String,
            named: Some(Arc::new(NamedType {
                name: "common.VersionSet".to_string(),
                methods: vec![Method {
                    name: "Has".to_string(),
                    sig: Signature::new([P::String]),
                    call: Arc::new(|recv: &Value, args: &[Value]| {
                        let want = args[0].as_str().unwrap_or_default();
                        let has = match recv {
                            Value::List(l) => l.items.iter().any(|v| v.as_str() == Some(want)),
                            _ => false,
                        };
                        Ok(Value::Bool(has))
                    }),
                }],
            })),
        };
        Ok(Value::List(Rc::new(super::value::List {
            ty,
            items: vec![Value::from("v1"), Value::from("apps/v1")],
        })))
    });
    f
}

/// Parses case data. serde_json limits nesting to 128 levels, so the deep `{"chain":
/// {"n": …}}` documents of the include-recursion cases are built directly.
fn parse_data(d: &str) -> Result<Value, String> {
    if let Some(rest) = d.strip_prefix("{\"chain\": ") {
        let depth = rest.matches("{\"n\": ").count();
        let mut v = Value::map(BTreeMap::new());
        for _ in 0..depth {
            let mut m = BTreeMap::new();
            m.insert(Str::from("n"), v);
            v = Value::map(m);
        }
        let mut top = BTreeMap::new();
        top.insert(Str::from("chain"), v);
        return Ok(Value::map(top));
    }
    serde_json::from_str::<serde_json::Value>(d)
        .map(|j| Value::from_json(&j))
        .map_err(|e| format!("BAD DATA: {e}"))
}

fn run_plain(c: &Case) -> Result<String, String> {
    let data = match &c.data {
        Some(d) if !d.trim().is_empty() => parse_data(d)?,
        _ => Value::Nil,
    };
    let mut set = TemplateSet::new("gotpl", test_funcs(), Options::default());
    for (name, src) in &c.templates {
        set.add(name, src).map_err(|e| e.to_string())?;
    }
    set.render(&c.templates[0].0, &data)
        .map_err(|e| e.to_string())
}

/// Helm's `common.Values` type: a named `map[string]interface {}` with (some of) its
/// methods: `AsMap() map[string]interface{}` and `Table(name string) (Values, error)`.
fn values_type() -> CollType {
    let as_map = Method {
        name: "AsMap".to_string(),
        sig: Signature::new([]),
        call: Arc::new(|recv: &Value, _: &[Value]| match recv {
            Value::Map(m) => Ok(Value::map(m.borrow().entries.clone())),
            _ => Ok(Value::map(BTreeMap::new())),
        }),
    };
    let table = Method {
        name: "Table".to_string(),
        sig: Signature::new([ParamType::String]),
        call: Arc::new(|recv: &Value, args: &[Value]| {
            let key = args[0].as_str().unwrap_or_default();
            let found = match recv {
                Value::Map(m) => m.borrow().entries.get(key).cloned(),
                _ => None,
            };
            match found {
                Some(Value::Map(t)) => {
                    Ok(Value::typed_map(values_type(), t.borrow().entries.clone()))
                }
                _ => Err(FuncError::new(format!(
                    "{} is not a table",
                    super::gofmt::go_quote(key)
                ))),
            }
        }),
    };
    CollType {
        elem: ElemType::Interface,
        named: Some(Arc::new(NamedType {
            name: "common.Values".to_string(),
            methods: vec![as_map, table],
        })),
    }
}

fn to_named_values(v: Value) -> Value {
    match v {
        Value::Map(m) => {
            let entries = m.borrow().entries.clone();
            Value::typed_map(values_type(), entries)
        }
        _ => Value::typed_map(values_type(), BTreeMap::new()),
    }
}

/// Renders like Helm's `engine.render` for a single chart named `c`.
fn run_helm(c: &Case) -> Result<String, String> {
    let values = match &c.data {
        Some(d) if !d.trim().is_empty() => parse_data(d)?,
        _ => Value::Nil,
    };
    let mut funcs = FuncMap::new();
    funcs::helm::register(&mut funcs);
    let mut set = TemplateSet::new("gotpl", funcs, Options::default());
    let mut files: Vec<(String, &str)> = c
        .templates
        .iter()
        .map(|(n, s)| (format!("c/templates/{n}"), s.as_str()))
        .collect();
    // Helm parses deeper paths first, then in reverse lexical order.
    files.sort_by(|a, b| {
        let (ca, cb) = (a.0.matches('/').count(), b.0.matches('/').count());
        cb.cmp(&ca).then_with(|| b.0.cmp(&a.0))
    });
    for (name, src) in &files {
        if let Err(e) = set.add(name, src) {
            return Err(helm_parse_error_message(name, &e));
        }
    }
    let mut release = BTreeMap::new();
    release.insert(Str::from("Name"), Value::from("rel"));
    release.insert(Str::from("Namespace"), Value::from("ns"));
    release.insert(Str::from("IsUpgrade"), Value::Bool(false));
    release.insert(Str::from("IsInstall"), Value::Bool(true));
    release.insert(Str::from("Revision"), Value::int(1));
    release.insert(Str::from("Service"), Value::from("Helm"));
    let entry = format!("c/templates/{}", c.templates[0].0);
    let mut out = None;
    let mut names: Vec<&String> = files.iter().map(|(n, _)| n).collect();
    names.sort();
    // Helm renders every non-partial file in sorted order and stops at the first error.
    for name in names {
        let base = name.rsplit('/').next().unwrap_or_default();
        if base.starts_with('_') {
            continue;
        }
        let mut top = BTreeMap::new();
        top.insert(Str::from("Values"), to_named_values(values.clone()));
        top.insert(Str::from("Release"), Value::map(release.clone()));
        let mut tmpl = BTreeMap::new();
        tmpl.insert(Str::from("Name"), Value::from(name.as_str()));
        tmpl.insert(Str::from("BasePath"), Value::from("c/templates"));
        top.insert(Str::from("Template"), Value::typed_map(values_type(), tmpl));
        let data = Value::typed_map(values_type(), top);
        match set.render(name, &data) {
            Ok(s) => {
                if *name == entry {
                    out = Some(s);
                }
            }
            Err(e) => return Err(helm_exec_error_message(name, &e)),
        }
    }
    Ok(out.unwrap_or_default())
}

#[test]
fn oracle_cases_match_go() {
    let cases = parse_cases(include_str!("testdata/cases.txt"));
    let expected_text = include_str!("testdata/expected.jsonl");
    let expected: Vec<serde_json::Value> = expected_text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        cases.len(),
        expected.len(),
        "case and expectation counts differ"
    );
    let only = std::env::var("TEMPLATE_CASE").ok();
    let mut failures: Vec<String> = Vec::new();
    let mut run = 0;
    for (c, exp) in cases.iter().zip(expected.iter()) {
        assert_eq!(
            exp["name"].as_str(),
            Some(c.name.as_str()),
            "case order differs"
        );
        if let Some(o) = &only
            && !c.name.starts_with(o.as_str())
        {
            continue;
        }
        run += 1;
        let got = if c.helm { run_helm(c) } else { run_plain(c) };
        let want = match (exp.get("out"), exp.get("err")) {
            (Some(o), _) => Ok(o.as_str().unwrap_or_default().to_string()),
            (None, Some(e)) => Err(e.as_str().unwrap_or_default().to_string()),
            _ => Err(String::from("<missing expectation>")),
        };
        if got != want {
            let clip = |s: &str| -> String { s.chars().take(600).collect() };
            let show = |r: &Result<String, String>| match r {
                Ok(s) => format!("OUT {:?}", clip(s)),
                Err(e) => format!("ERR {:?}", clip(e)),
            };
            failures.push(format!(
                "{}\n   want: {}\n   got:  {}",
                c.name,
                show(&want),
                show(&got)
            ));
        }
    }
    let passed = run - failures.len();
    eprintln!("oracle cases: {passed}/{run} passed");
    if !failures.is_empty() {
        panic!(
            "{} of {} oracle cases differ from Go:\n{}",
            failures.len(),
            run,
            failures.join("\n")
        );
    }
}

#[test]
fn template_set_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TemplateSet>();
}

#[test]
fn missing_key_modes() {
    let data = Value::from_json(&serde_json::json!({"a": {}}));
    let mut opts = Options {
        missing_key: MissingKey::Error,
        ..Options::default()
    };
    let mut set = TemplateSet::new("gotpl", FuncMap::new(), opts.clone());
    assert!(set.add("t", "{{ .a.b }}").is_ok());
    let err = set.execute("t", &data).err().map(|e| e.to_string());
    // Go: template: t:1:5: executing "t" at <.a.b>: map has no entry for key "b"
    assert_eq!(
        err.as_deref(),
        Some("template: t:1:5: executing \"t\" at <.a.b>: map has no entry for key \"b\"")
    );
    opts.missing_key = MissingKey::Invalid;
    let mut set = TemplateSet::new("gotpl", FuncMap::new(), opts);
    assert!(set.add("t", "{{ .a.b }}").is_ok());
    assert_eq!(set.execute("t", &data).ok().as_deref(), Some("<no value>"));
}

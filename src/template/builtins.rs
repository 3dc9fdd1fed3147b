//! Go's predefined template functions (`text/template/funcs.go`, Go 1.26): `and`, `or`,
//! `not`, `len`, `index`, `slice`, `call`, `html`, `js`, `urlquery`, `print`, `printf`,
//! `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, with Go's error texts.
//!
//! Parameters declared `reflect.Value` in Go receive values with the nil distinction intact
//! ([`Value::Invalid`] for no value, [`Value::Nil`] for a nil interface), because several
//! messages depend on it (`len of nil pointer` versus a reflect panic message).

use std::rc::Rc;

use super::error::FuncError;
use super::funcs::{ParamType, Signature};
use super::gofmt::{sprint, sprint_value, sprintf, sprintf_value, sprintln_value};
use super::value::{List, UintKind, Value};

/// A Go builtin function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Call,
    Html,
    Js,
    Urlquery,
    Print,
    Printf,
    Println,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Whether `name` is one of Go's builtins.
pub(crate) fn is_builtin(name: &str) -> bool {
    Builtin::from_name(name).is_some()
}

impl Builtin {
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "call" => Builtin::Call,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            _ => return None,
        })
    }

    /// The Go signature of the builtin.
    pub fn signature(self) -> Signature {
        use ParamType::{Any, Reflect};
        match self {
            Builtin::And
            | Builtin::Or
            | Builtin::Index
            | Builtin::Slice
            | Builtin::Call
            | Builtin::Eq => Signature::new([Reflect]).variadic(Reflect),
            Builtin::Not | Builtin::Len => Signature::new([Reflect]),
            Builtin::Html | Builtin::Js | Builtin::Urlquery | Builtin::Print | Builtin::Println => {
                Signature::new([]).variadic(Any)
            }
            Builtin::Printf => Signature::new([ParamType::String]).variadic(Any),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
                Signature::new([Reflect, Reflect])
            }
        }
    }
}

/// Go's `truth`: `IsTrue` of the value inside an interface.
pub(crate) fn truth(v: &Value) -> bool {
    v.is_true()
}

/// Go's `indirectInterface`: a nil interface is no value.
fn indirect_interface(v: Value) -> Value {
    match v {
        Value::Nil => Value::Invalid,
        v => v,
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, FuncError> {
    Err(FuncError::new(msg))
}

/// Runs a builtin with checked arguments. `callee_name` is the node text of `call`'s first
/// argument (used in its error messages).
pub(crate) fn call_builtin(
    b: Builtin,
    args: Vec<Value>,
    callee_name: &str,
) -> Result<Value, FuncError> {
    match b {
        Builtin::And | Builtin::Or => {
            // Reached only when registered under another name; Go short-circuits in exec.
            let want_true = b == Builtin::Or;
            let mut last = Value::Invalid;
            for a in args {
                if truth(&a) == want_true {
                    return Ok(a);
                }
                last = a;
            }
            Ok(last)
        }
        Builtin::Not => Ok(Value::Bool(!truth(&args[0]))),
        Builtin::Len => length(&args[0]).map(Value::int),
        Builtin::Index => index(args),
        Builtin::Slice => slice(args),
        Builtin::Call => {
            let f = indirect_interface(args[0].clone());
            if matches!(f, Value::Invalid) {
                return err("call of nil");
            }
            err(format!(
                "non-function {callee_name} of type {}",
                f.type_name()
            ))
        }
        Builtin::Html => Ok(Value::from(html_escape(&eval_args(&args)))),
        Builtin::Js => Ok(Value::from(js_escape(&eval_args(&args)))),
        Builtin::Urlquery => Ok(Value::from(query_escape(&eval_args(&args)))),
        Builtin::Print => Ok(sprint_value(&args)),
        Builtin::Printf => {
            let format = args[0].as_str().unwrap_or_default().to_string();
            Ok(sprintf_value(&format, &args[1..]))
        }
        Builtin::Println => Ok(sprintln_value(&args)),
        Builtin::Eq => {
            let mut it = args.into_iter();
            let first = it.next().unwrap_or(Value::Invalid);
            let rest: Vec<Value> = it.collect();
            eq(first, &rest).map(Value::Bool)
        }
        Builtin::Ne => {
            let mut it = args.into_iter();
            let a = it.next().unwrap_or(Value::Invalid);
            let b = it.next().unwrap_or(Value::Invalid);
            eq(a, std::slice::from_ref(&b)).map(|t| Value::Bool(!t))
        }
        Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
            let mut it = args.into_iter();
            let a = it.next().unwrap_or(Value::Invalid);
            let c = it.next().unwrap_or(Value::Invalid);
            let r = match b {
                Builtin::Lt => lt(&a, &c)?,
                Builtin::Le => le(&a, &c)?,
                Builtin::Gt => !le(&a, &c)?,
                _ => !lt(&a, &c)?,
            };
            Ok(Value::Bool(r))
        }
    }
}

fn length(item: &Value) -> Result<i64, FuncError> {
    match item {
        Value::Nil => err("len of nil pointer"),
        Value::Invalid => err("reflect: call of reflect.Value.Type on zero Value"),
        Value::String(s) => Ok(s.len() as i64),
        Value::ByteString(b) | Value::Bytes(b) => Ok(b.len() as i64),
        Value::List(l) => Ok(l.items.len() as i64),
        Value::Map(m) => Ok(m.borrow().entries.len() as i64),
        Value::Object(o) if o.is_nil() => err("len of nil pointer"),
        other => err(format!("len of type {}", other.indirect_type_name())),
    }
}

/// Go's `indexArg`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, FuncError> {
    let x: i64 = match index {
        Value::Int(n, _) => *n,
        Value::Uint(n, _) => *n as i64,
        Value::Invalid | Value::Nil => return err("cannot index slice/array with nil"),
        other => {
            return err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// Go's `prepareArg` for a map key of type string.
fn map_key(index: &Value) -> Result<String, FuncError> {
    match index {
        Value::Invalid | Value::Nil => err("value is nil; should be of type string"),
        Value::String(s) => Ok(s.to_string()),
        other => err(format!(
            "value has type {}; should be string",
            other.type_name()
        )),
    }
}

fn index(args: Vec<Value>) -> Result<Value, FuncError> {
    let mut it = args.into_iter();
    let mut item = indirect_interface(it.next().unwrap_or(Value::Invalid));
    if matches!(item, Value::Invalid) {
        return err("index of untyped nil");
    }
    for idx in it {
        let idx = indirect_interface(idx);
        if matches!(item, Value::Nil) || matches!(&item, Value::Object(o) if o.is_nil()) {
            return err("index of nil pointer");
        }
        item = match &item {
            Value::List(l) => {
                let x = index_arg(&idx, l.items.len())?;
                match l.items.get(x) {
                    Some(v) => v.clone(),
                    None => return err("reflect: slice index out of range"),
                }
            }
            Value::Bytes(b) => {
                let x = index_arg(&idx, b.len())?;
                match b.get(x) {
                    Some(v) => Value::Uint(u64::from(*v), UintKind::Uint8),
                    None => return err("reflect: slice index out of range"),
                }
            }
            Value::String(_) | Value::ByteString(_) => {
                let s = item.go_bytes().unwrap_or_default();
                let x = index_arg(&idx, s.len())?;
                match s.get(x) {
                    Some(v) => Value::Uint(u64::from(*v), UintKind::Uint8),
                    None => return err("reflect: string index out of range"),
                }
            }
            Value::Map(m) => {
                let key = map_key(&idx)?;
                let m = m.borrow();
                match m.entries.get(key.as_str()) {
                    Some(v) => v.clone(),
                    None => m.ty.elem.zero(),
                }
            }
            other => {
                return err(format!(
                    "can't index item of type {}",
                    other.indirect_type_name()
                ));
            }
        };
    }
    Ok(item)
}

fn slice(args: Vec<Value>) -> Result<Value, FuncError> {
    let mut it = args.into_iter();
    let item = indirect_interface(it.next().unwrap_or(Value::Invalid));
    if matches!(item, Value::Invalid) {
        return err("slice of untyped nil");
    }
    if matches!(&item, Value::Object(o) if o.is_nil()) {
        return err("slice of nil pointer");
    }
    let indexes: Vec<Value> = it.collect();
    if indexes.len() > 3 {
        return err(format!("too many slice indexes: {}", indexes.len()));
    }
    let (len, cap) = match &item {
        Value::String(_) | Value::ByteString(_) => {
            if indexes.len() == 3 {
                return err("cannot 3-index slice a string");
            }
            let n = item.go_bytes().map_or(0, <[u8]>::len);
            (n, n)
        }
        Value::List(l) => (l.items.len(), l.items.len()),
        Value::Bytes(b) => (b.len(), b.len()),
        other => {
            return err(format!(
                "can't slice item of type {}",
                other.indirect_type_name()
            ));
        }
    };
    let mut idx = [0usize, len, 0];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, cap)?;
    }
    if idx[0] > idx[1] {
        return err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    let (lo, hi) = (idx[0], idx[1]);
    Ok(match &item {
        // Go slices a string's bytes; the result need not be UTF-8.
        Value::String(_) | Value::ByteString(_) => {
            Value::from_go_bytes(item.go_bytes().unwrap_or_default()[lo..hi].to_vec())
        }
        Value::List(l) => Value::List(Rc::new(List {
            ty: l.ty.clone(),
            items: l.items[lo..hi].to_vec(),
        })),
        Value::Bytes(b) => Value::Bytes(std::sync::Arc::from(&b[lo..hi])),
        _ => Value::Invalid,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(..) => Kind::Int,
        Value::Uint(..) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::Complex(..) => Kind::Complex,
        Value::String(_) | Value::ByteString(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// Go's `reflect.Kind` grouping for `canCompare`.
fn reflect_kind(v: &Value) -> &'static str {
    match v {
        Value::Invalid => "invalid",
        Value::Nil => "interface",
        other => other.kind_name(),
    }
}

const ERR_BAD_COMPARISON_TYPE: &str = "invalid type for comparison";

fn eq(arg1: Value, rest: &[Value]) -> Result<bool, FuncError> {
    let arg1 = indirect_interface(arg1);
    if rest.is_empty() {
        return err("missing argument for comparison");
    }
    let k1 = basic_kind(&arg1);
    for arg in rest {
        let arg = indirect_interface(arg.clone());
        let k2 = basic_kind(&arg);
        let truth = if k1 != k2 {
            match (k1, &arg1, &arg) {
                (Kind::Int, Value::Int(a, _), Value::Uint(b, _)) => *a >= 0 && *a as u64 == *b,
                (Kind::Uint, Value::Uint(a, _), Value::Int(b, _)) => *b >= 0 && *a == *b as u64,
                _ => {
                    if !matches!(arg1, Value::Invalid) && !matches!(arg, Value::Invalid) {
                        return err(format!(
                            "incompatible types for comparison: {} and {}",
                            arg1.type_name(),
                            arg.type_name()
                        ));
                    }
                    false
                }
            }
        } else {
            match (&arg1, &arg) {
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (Value::Complex(a, b), Value::Complex(c, d)) => a == c && b == d,
                (Value::Float(a), Value::Float(b)) => a == b,
                (Value::Int(a, _), Value::Int(b, _)) => a == b,
                (Value::String(a), Value::String(b)) => a == b,
                (
                    Value::String(_) | Value::ByteString(_),
                    Value::String(_) | Value::ByteString(_),
                ) => arg1.go_bytes() == arg.go_bytes(),
                (Value::Uint(a, _), Value::Uint(b, _)) => a == b,
                _ => {
                    let (r1, r2) = (reflect_kind(&arg1), reflect_kind(&arg));
                    if r1 != r2 && r1 != "invalid" && r2 != "invalid" {
                        return err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprintf("%s", std::slice::from_ref(&arg1)),
                            arg1.type_name(),
                            arg.type_name(),
                            sprintf("%v", std::slice::from_ref(&arg))
                        ));
                    }
                    let n1 = matches!(arg1, Value::Invalid);
                    let n2 = matches!(arg, Value::Invalid);
                    if n1 || n2 {
                        n1 == n2
                    } else {
                        match (&arg1, &arg) {
                            (Value::Object(a), Value::Object(b)) => {
                                if a.is_pointer() {
                                    Rc::ptr_eq(a, b)
                                } else {
                                    a.type_name() == b.type_name() && a.to_json() == b.to_json()
                                }
                            }
                            _ => {
                                return err(format!(
                                    "non-comparable type {}: {}",
                                    sprintf("%s", std::slice::from_ref(&arg)),
                                    arg.type_name()
                                ));
                            }
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    let a = indirect_interface(arg1.clone());
    let k1 = basic_kind(&a);
    if k1 == Kind::Invalid {
        return err(ERR_BAD_COMPARISON_TYPE);
    }
    let b = indirect_interface(arg2.clone());
    let k2 = basic_kind(&b);
    if k2 == Kind::Invalid {
        return err(ERR_BAD_COMPARISON_TYPE);
    }
    if k1 != k2 {
        return match (&a, &b) {
            (Value::Int(x, _), Value::Uint(y, _)) => Ok(*x < 0 || (*x as u64) < *y),
            (Value::Uint(x, _), Value::Int(y, _)) => Ok(*y >= 0 && *x < *y as u64),
            _ => err(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            )),
        };
    }
    match (&a, &b) {
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (Value::Int(x, _), Value::Int(y, _)) => Ok(x < y),
        (Value::String(x), Value::String(y)) => Ok(x < y),
        (Value::String(_) | Value::ByteString(_), Value::String(_) | Value::ByteString(_)) => {
            Ok(a.go_bytes() < b.go_bytes())
        }
        (Value::Uint(x, _), Value::Uint(y, _)) => Ok(x < y),
        _ => err(ERR_BAD_COMPARISON_TYPE),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, FuncError> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a.clone(), std::slice::from_ref(b))
}

/// Go's `evalArgs`: one string argument as is, otherwise `fmt.Sprint` of the printable
/// forms (a nil argument prints as `<no value>`).
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Nil | Value::Invalid => Value::from("<no value>"),
            Value::Object(o) if o.is_pointer() && o.go_string().is_none() => {
                let mut s = Vec::new();
                super::gofmt::template_print(a, &mut s);
                Value::from_go_bytes(s)
            }
            other => other.clone(),
        })
        .collect();
    // Objects printed to strings must not gain Sprint's spaces twice: keep the original
    // spacing rule by tracking which arguments were strings.
    let mut out = String::new();
    let mut prev_string = false;
    for (i, (orig, p)) in args.iter().zip(printable.iter()).enumerate() {
        let is_string =
            matches!(orig, Value::String(_)) || matches!(orig, Value::Nil | Value::Invalid);
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        match p {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&sprint(std::slice::from_ref(other))),
        }
        prev_string = is_string;
    }
    out
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c => {
                if super::gofmt::is_print(c) {
                    out.push(c);
                } else {
                    out.push_str(&format!("\\u{:04X}", c as u32));
                }
            }
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapers_match_go_docs() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("a'b\"c<d>=&"),
            "a\\'b\\\"c\\u003Cd\\u003E\\u003D\\u0026"
        );
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn eq_follows_go_kinds() {
        assert_eq!(
            eq(Value::int(1), &[Value::int(2), Value::int(1)]).ok(),
            Some(true)
        );
        assert!(eq(Value::int(1), &[Value::from("a")]).is_err());
        assert_eq!(eq(Value::Nil, &[Value::int(1)]).ok(), Some(false));
        assert_eq!(eq(Value::Invalid, &[Value::Invalid]).ok(), Some(true));
    }
}

//! Sprig's template functions (github.com/Masterminds/sprig/v3 v3.3.0, the version
//! helm.sh/helm/v4 v4.3.1 pins), reimplemented over [`Value`] with Go's results and errors.
//!
//! [`register`] installs Sprig's `TxtFuncMap` (`functions.go` `genericMap`) into a
//! [`FuncMap`], minus `env` and `expandenv`, which Helm deletes. Helm's own additions and
//! overrides (`toYaml`, `toJson`, `fromJson`, `lookup`, `getHostByName`, …) are in
//! [`crate::template::helm_funcs`]; `include`, `tpl`, `required` and `fail` in
//! [`crate::template::funcs::helm`]. Register Sprig first, then those, as Helm does.
//!
//! Every function is declared with its Go signature, so the executor reports argument
//! errors with Go's messages; implementations reproduce Go's return values, returned errors
//! and panic messages (Go's `text/template` turns a panic in a function into an error with
//! the panic's text). Modules by theme: [`strings`], [`lists`], [`dicts`], [`math`],
//! [`conversions`], [`defaults`], [`encoding`], [`regex`], [`dates`], [`semver`],
//! [`paths`], [`urls`], [`reflection`], [`random`], [`crypto`].
//!
//! Expected behaviour is pinned by `testdata/cases.tsv` and `testdata/expected.jsonl`,
//! produced by the Go oracle in `e2e/oracles/sprig` running Helm's real function map.

pub mod conversions;
pub mod crypto;
pub mod dates;
pub mod decimal;
pub mod defaults;
pub mod dicts;
pub mod encoding;
pub mod gotime;
pub mod lists;
pub mod math;
pub mod paths;
pub mod random;
pub mod reflection;
pub mod regex;
pub mod rsa_keygen;
pub mod semver;
pub mod strings;
pub mod urls;

#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod shape_tests;

use std::borrow::Cow;

use super::error::FuncError;
use super::funcs::{FuncMap, ParamType, Signature};
use super::gofmt;
use super::value::{ElemType, IntKind, UintKind, Value, go_lossy};

/// Registers every Sprig function Helm keeps (all of `genericMap` but `env`/`expandenv`).
pub fn register(funcs: &mut FuncMap) {
    funcs.register("hello", Signature::new([]), |_, _| {
        Ok(Value::from("Hello!"))
    });
    strings::register(funcs);
    conversions::register(funcs);
    math::register(funcs);
    lists::register(funcs);
    dicts::register(funcs);
    defaults::register(funcs);
    encoding::register(funcs);
    reflection::register(funcs);
    paths::register(funcs);
    urls::register(funcs);
    regex::register(funcs);
    semver::register(funcs);
    dates::register(funcs);
    random::register(funcs);
    crypto::register(funcs);
    // Sprig's own `fail` (Helm's engine replaces it; see `funcs::helm`).
    funcs.register("fail", Signature::new([STR]), |_, args| {
        Err(FuncError::new(arg_str(&args, 0)))
    });
    // Sprig's getHostByName resolves DNS; Helm replaces it unless DNS is enabled (see
    // `helm_funcs`). Registered here for completeness with the disabled behaviour.
    funcs.register("getHostByName", Signature::new([STR]), |_, _| {
        Ok(Value::from(""))
    });
}

// ---- shared signature shorthands -------------------------------------------------------

/// Go `string` parameter.
pub(crate) const STR: ParamType = ParamType::String;
/// Go `int` parameter.
pub(crate) const INT: ParamType = ParamType::Int(IntKind::Int);
/// Go `interface{}` parameter.
pub(crate) const ANY: ParamType = ParamType::Any;
/// Go `bool` parameter.
pub(crate) const BOOL: ParamType = ParamType::Bool;
/// Go `map[string]interface{}` parameter.
pub(crate) const MAP: ParamType = ParamType::Map(ElemType::Interface);
/// Go `[]interface{}` parameter.
pub(crate) const LIST: ParamType = ParamType::List(ElemType::Interface);

/// Message of Go's runtime panic on a nil pointer (e.g. `reflect.TypeOf(nil).Kind()`).
pub(crate) const NIL_DEREF: &str =
    "runtime error: invalid memory address or nil pointer dereference";

/// Registers a function that does not need the call context.
pub(crate) fn pure<F>(funcs: &mut FuncMap, name: &str, sig: Signature, f: F)
where
    F: Fn(Vec<Value>) -> Result<Value, FuncError> + Send + Sync + 'static,
{
    funcs.register(name, sig, move |_, args| f(args));
}

/// `string` passed as is, bytes that are not UTF-8 included (see [`ParamType::RawString`]).
pub(crate) const RAW_STR: ParamType = ParamType::RawString;

/// The bytes of a `string` argument declared [`RAW_STR`].
pub(crate) fn arg_bytes(args: &[Value], i: usize) -> &[u8] {
    args.get(i).and_then(Value::go_bytes).unwrap_or_default()
}

/// Sprig's `strval` keeping the bytes of a Go string: strings as they are (also those that
/// are not UTF-8), everything else as [`strval`] gives it.
pub(crate) fn strval_value(v: &Value) -> Value {
    match v {
        Value::String(_) | Value::ByteString(_) => v.clone(),
        _ => Value::from(strval(v).into_owned()),
    }
}

/// A `string` argument (the executor guarantees the type).
pub(crate) fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or_default()
}

/// An `int` argument (the executor guarantees the type).
pub(crate) fn arg_int(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n, _)) => *n,
        Some(Value::Uint(n, _)) => *n as i64,
        _ => 0,
    }
}

/// Takes argument `i` out of the vector (leaving nil behind).
pub(crate) fn take(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(std::mem::take).unwrap_or(Value::Nil)
}

/// A Go `int64` result.
pub(crate) fn int64(n: i64) -> Value {
    Value::Int(n, IntKind::Int64)
}

/// A Go `[]interface {}` result.
pub(crate) fn ilist(items: Vec<Value>) -> Value {
    Value::list(items)
}

/// A Go `[]string` result.
pub(crate) fn slist(items: Vec<String>) -> Value {
    Value::string_list(items)
}

/// Go's `fmt.Sprintf("%v", v)`.
pub(crate) fn sprint_v(v: &Value) -> String {
    gofmt::sprint(std::slice::from_ref(v))
}

/// Sprig's `strval`: strings as is, `[]byte` as text, values with `Error()`/`String()`
/// through that method, everything else with `%v`.
pub(crate) fn strval(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::ByteString(b) => Cow::Owned(go_lossy(b)),
        Value::Bytes(b) => String::from_utf8_lossy(b),
        Value::Object(o) => match o.go_string() {
            Some(s) => Cow::Owned(s),
            None => Cow::Owned(sprint_v(v)),
        },
        _ => Cow::Owned(sprint_v(v)),
    }
}

/// The elements of a Go slice or array value, or `None` for other kinds (`[]byte` yields
/// `uint8` elements, as `reflect.Value.Index` does).
pub(crate) fn slice_items(v: &Value) -> Option<Cow<'_, [Value]>> {
    match v {
        Value::List(l) => Some(Cow::Borrowed(&l.items)),
        Value::Bytes(b) => Some(Cow::Owned(
            b.iter()
                .map(|x| Value::Uint(u64::from(*x), UintKind::Uint8))
                .collect(),
        )),
        _ => None,
    }
}

/// Go's `reflect.Kind` name of a non-nil value, as printed in Sprig's errors
/// (`Cannot push on type map`).
pub(crate) fn kind_of(v: &Value) -> &'static str {
    v.kind_name()
}

/// Sprig's `empty`: nil, zero numbers, `false` and empty strings, slices and maps are empty;
/// structs never are; pointers are empty when nil.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Invalid | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(n, _) => *n == 0,
        Value::Uint(n, _) => *n == 0,
        Value::Float(f) => *f == 0.0,
        Value::Complex(r, i) => *r == 0.0 && *i == 0.0,
        Value::String(s) => s.is_empty(),
        Value::ByteString(b) | Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.items.is_empty(),
        Value::Map(m) => m.borrow().entries.is_empty(),
        Value::Object(o) => o.is_pointer() && o.is_nil(),
    }
}

/// Go's `reflect.DeepEqual` over template values: same Go type and deeply equal contents.
pub(crate) fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Invalid | Value::Nil, Value::Invalid | Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, k1), Value::Int(y, k2)) => k1 == k2 && x == y,
        (Value::Uint(x, k1), Value::Uint(y, k2)) => k1 == k2 && x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Complex(a1, b1), Value::Complex(a2, b2)) => a1 == a2 && b1 == b2,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::ByteString(x), Value::ByteString(y)) | (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            std::rc::Rc::ptr_eq(x, y)
                || (a.type_name() == b.type_name()
                    && x.items.len() == y.items.len()
                    && x.items.iter().zip(&y.items).all(|(p, q)| deep_equal(p, q)))
        }
        (Value::Map(x), Value::Map(y)) => {
            if std::rc::Rc::ptr_eq(x, y) {
                return true;
            }
            if a.type_name() != b.type_name() {
                return false;
            }
            let (x, y) = (x.borrow(), y.borrow());
            // `reflect.DeepEqual` tells a nil map from an empty one.
            x.nil == y.nil
                && x.entries.len() == y.entries.len()
                && x.entries.iter().all(|(k, v)| match y.entries.get(k) {
                    Some(w) => deep_equal(v, w),
                    None => false,
                })
        }
        (Value::Object(x), Value::Object(y)) => {
            x.type_name() == y.type_name()
                && x.is_nil() == y.is_nil()
                && x.to_json() == y.to_json()
                && x.go_string() == y.go_string()
        }
        _ => false,
    }
}

/// Go's runtime message for slicing out of range, `s[low:high]` on a value of length `len`
/// (`runtime.boundsError`).
pub(crate) fn slice_bounds_error(low: i64, high: i64, len: usize) -> String {
    if high < 0 {
        format!("runtime error: slice bounds out of range [:{high}]")
    } else if high as u64 > len as u64 {
        format!("runtime error: slice bounds out of range [:{high}] with length {len}")
    } else {
        format!("runtime error: slice bounds out of range [{low}:{high}]")
    }
}

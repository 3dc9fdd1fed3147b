//! Dictionary functions (Sprig `dict.go`): `dict`, `get`, `set`, `unset`, `hasKey`, `pluck`,
//! `keys`, `values`, `pick`, `omit`, `merge`, `mergeOverwrite` (dario.cat/mergo v1.0.1
//! semantics, in place), `deepCopy` (mitchellh/copystructure) and `dig`.
//!
//! Maps are shared by reference as in Go: `set`, `unset` and the merges change the caller's
//! map. Go iterates maps in random order, so `keys` and `values` have no defined order in
//! Helm; here they follow the sorted key order.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::{ANY, MAP, STR, arg_str, ilist, is_empty, pure, strval};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::{GoMap, List, MapRef, Str, Value};

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "dict", Signature::new([]).variadic(ANY), |a| {
        let mut m = BTreeMap::new();
        let mut it = a.into_iter();
        while let Some(k) = it.next() {
            let key = Str::from(strval(&k).as_ref());
            m.insert(key, it.next().unwrap_or_else(|| Value::from("")));
        }
        Ok(Value::map(m))
    });
    pure(funcs, "get", Signature::new([MAP, STR]), |a| {
        let m = map_ref(&a[0]);
        let found = m.and_then(|m| m.borrow().entries.get(arg_str(&a, 1)).cloned());
        Ok(found.unwrap_or_else(|| Value::from("")))
    });
    pure(funcs, "set", Signature::new([MAP, STR, ANY]), |mut a| {
        let v = super::take(&mut a, 2);
        let d = super::take(&mut a, 0);
        let Some(m) = map_ref(&d) else {
            return Err(FuncError::new("assignment to entry in nil map"));
        };
        m.borrow_mut().entries.insert(Str::from(arg_str(&a, 1)), v);
        Ok(d)
    });
    pure(funcs, "unset", Signature::new([MAP, STR]), |mut a| {
        let d = super::take(&mut a, 0);
        if let Some(m) = map_ref(&d) {
            m.borrow_mut().entries.remove(arg_str(&a, 1));
        }
        Ok(d)
    });
    pure(funcs, "hasKey", Signature::new([MAP, STR]), |a| {
        let has = map_ref(&a[0]).is_some_and(|m| m.borrow().entries.contains_key(arg_str(&a, 1)));
        Ok(Value::Bool(has))
    });
    pure(funcs, "pluck", Signature::new([STR]).variadic(MAP), |a| {
        let key = arg_str(&a, 0);
        let out = a[1..]
            .iter()
            .filter_map(|d| map_ref(d).and_then(|m| m.borrow().entries.get(key).cloned()))
            .collect();
        Ok(ilist(out))
    });
    pure(funcs, "keys", Signature::new([]).variadic(MAP), |a| {
        let mut out: Vec<Str> = Vec::new();
        for d in &a {
            if let Some(m) = map_ref(d) {
                out.extend(m.borrow().entries.keys().cloned());
            }
        }
        Ok(Value::string_list(out))
    });
    pure(funcs, "values", Signature::new([MAP]), |a| {
        let out = map_ref(&a[0])
            .map(|m| m.borrow().entries.values().cloned().collect())
            .unwrap_or_default();
        Ok(ilist(out))
    });
    pure(funcs, "pick", Signature::new([MAP]).variadic(STR), |a| {
        let mut out = BTreeMap::new();
        if let Some(m) = map_ref(&a[0]) {
            let m = m.borrow();
            for k in &a[1..] {
                let k = k.as_str().unwrap_or_default();
                if let Some((key, v)) = m.entries.get_key_value(k) {
                    out.insert(key.clone(), v.clone());
                }
            }
        }
        Ok(Value::map(out))
    });
    pure(funcs, "omit", Signature::new([MAP]).variadic(STR), |a| {
        let omit: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
        let out = map_ref(&a[0])
            .map(|m| {
                m.borrow()
                    .entries
                    .iter()
                    .filter(|(k, _)| !omit.contains(&&***k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Value::map(out))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        pure(
            funcs,
            name,
            Signature::new([MAP]).variadic(MAP),
            move |mut a| {
                let mut dst = super::take(&mut a, 0);
                for src in &a[1..] {
                    dst = merge(dst, src, overwrite)?;
                }
                Ok(dst)
            },
        );
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            if a[0].is_nil() {
                // copystructure walks reflect.ValueOf(nil) and panics.
                return Err(FuncError::new(
                    "reflect: call of reflect.Value.Type on zero Value",
                ));
            }
            Ok(deep_copy(&a[0]))
        });
    }
    pure(funcs, "dig", Signature::new([]).variadic(ANY), dig);
}

fn map_ref(v: &Value) -> Option<&MapRef> {
    match v {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

/// `mergo.Merge(&dst, src)` (or `MergeWithOverwrite`) for two `map[string]interface{}`s;
/// returns the destination (a new map when `dst` was nil, as mergo allocates one).
pub fn merge(dst: Value, src: &Value, overwrite: bool) -> Result<Value, FuncError> {
    let Some(src) = map_ref(src) else {
        return Ok(dst);
    };
    let dst = match dst {
        Value::Map(_) => dst,
        _ => {
            if src.borrow().entries.is_empty() {
                return Ok(dst);
            }
            Value::map(BTreeMap::new())
        }
    };
    if let Some(d) = map_ref(&dst) {
        merge_maps(d, src, overwrite);
    }
    Ok(dst)
}

/// mergo's `deepMerge` for two maps (the `reflect.Map` case of `merge.go`).
fn merge_maps(dst: &MapRef, src: &MapRef, overwrite: bool) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    // Snapshot the source: it may alias a map nested in the destination.
    let src_entries: Vec<(Str, Value)> = src
        .borrow()
        .entries
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let src_empty = src_entries.is_empty();
    for (key, sv) in src_entries {
        let dv = dst.borrow().entries.get(&key).cloned();
        if sv.is_nil() {
            if overwrite {
                dst.borrow_mut().entries.insert(key, Value::Nil);
            }
            continue;
        }
        match &sv {
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &dv {
                    merge_maps(dm, sm, overwrite);
                }
            }
            Value::List(_) | Value::Bytes(_) => {
                // mergo's slice branch compares the emptiness of the parent maps.
                let dst_empty = dst.borrow().entries.is_empty();
                let replace = !src_empty && (overwrite || dst_empty);
                let new = if replace {
                    sv.clone()
                } else {
                    match &dv {
                        None | Some(Value::Nil) => empty_like(&sv),
                        Some(d) => d.clone(),
                    }
                };
                dst.borrow_mut().entries.insert(key.clone(), new);
            }
            _ => {}
        }
        if let Some(d) = &dv
            && !mergo_empty(d)
        {
            if matches!(sv, Value::List(_) | Value::Bytes(_)) {
                continue;
            }
            if matches!(sv, Value::Map(_)) && matches!(d, Value::Map(_)) {
                continue;
            }
        }
        if overwrite || dv.as_ref().is_none_or(mergo_empty) {
            dst.borrow_mut().entries.insert(key, sv);
        }
    }
}

/// An empty slice of the same type (mergo's `reflect.MakeSlice(srcSlice.Type(), 0, n)`).
fn empty_like(v: &Value) -> Value {
    match v {
        Value::List(l) => Value::List(Rc::new(List {
            ty: l.ty.clone(),
            items: Vec::new(),
        })),
        Value::Bytes(_) => Value::Bytes(std::sync::Arc::from(Vec::new())),
        other => other.clone(),
    }
}

/// mergo's `isEmptyValue` with dereferencing (pointers to structs are not empty).
fn mergo_empty(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.is_nil(),
        other => is_empty(other),
    }
}

/// copystructure's `Copy`: maps and slices copied recursively with their types; other
/// values are immutable here and shared.
pub fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(m) => {
            let m = m.borrow();
            Value::Map(Rc::new(RefCell::new(GoMap {
                ty: m.ty.clone(),
                entries: m
                    .entries
                    .iter()
                    .map(|(k, v)| (k.clone(), deep_copy(v)))
                    .collect(),
                nil: m.nil,
            })))
        }
        Value::List(l) => Value::List(Rc::new(List {
            ty: l.ty.clone(),
            items: l.items.iter().map(deep_copy).collect(),
        })),
        other => other.clone(),
    }
}

/// Go's type-assertion panic text: `interface conversion: interface {} is T, not U`.
fn assertion_error(v: &Value, want: &str) -> FuncError {
    let got = if v.is_nil() {
        "nil".to_string()
    } else {
        v.type_name().into_owned()
    };
    FuncError::new(format!(
        "interface conversion: interface {{}} is {got}, not {want}"
    ))
}

fn is_plain_map(v: &Value) -> bool {
    match v {
        Value::Map(m) => {
            let m = m.borrow();
            m.ty.named.is_none() && m.ty.elem == crate::template::value::ElemType::Interface
        }
        _ => false,
    }
}

/// Sprig `dig KEY… DEFAULT DICT`: walks nested `map[string]interface{}`s, returning the
/// default at the first missing key. Go's type assertions panic on any other type.
fn dig(a: Vec<Value>) -> Result<Value, FuncError> {
    if a.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let n = a.len();
    let dict = &a[n - 1];
    if !is_plain_map(dict) {
        return Err(assertion_error(dict, "map[string]interface {}"));
    }
    let default = &a[n - 2];
    let mut keys = Vec::with_capacity(n - 2);
    for k in &a[..n - 2] {
        match k {
            Value::String(s) => keys.push(s.clone()),
            other => return Err(assertion_error(other, "string")),
        }
    }
    let mut cur = dict.clone();
    for (i, k) in keys.iter().enumerate() {
        let step = match &cur {
            Value::Map(m) => m.borrow().entries.get(k).cloned(),
            _ => None,
        };
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        if !is_plain_map(&step) {
            return Err(assertion_error(&step, "map[string]interface {}"));
        }
        cur = step;
    }
    Ok(default.clone())
}

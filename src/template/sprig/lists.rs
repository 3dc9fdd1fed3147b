//! List functions (Sprig `list.go`): `list`/`tuple`, `append`/`push`, `prepend`, `first`,
//! `rest`, `last`, `initial`, `reverse`, `uniq`, `without`, `has`, `compact`, `slice`,
//! `concat`, `chunk`, `sortAlpha`, and their `must*` variants, plus `until`, `untilStep` and
//! `seq` (Sprig `numeric.go`).
//!
//! Sprig accepts any Go slice or array through reflection and returns `[]interface {}`.
//! Other kinds fail with Sprig's message (`Cannot push on type map`); a nil list fails with
//! Go's nil-dereference panic text, as `reflect.TypeOf(nil).Kind()` does. The plain and
//! `must*` variants fail with the same text (one panics, the other returns the error).

use std::borrow::Cow;

use super::{
    ANY, INT, NIL_DEREF, arg_int, deep_equal, ilist, is_empty, kind_of, pure, slice_items, strval,
};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::{ElemType, IntKind, Value};

/// Longest list `until`/`untilStep`/`seq` build (a guard against hostile templates; Go
/// would try to allocate it). The engine's output limit (`Options::max_output_bytes`) lowers
/// it further: a list may not have more elements than the output may have bytes, and the
/// text `seq` builds may not be longer than the output limit.
pub const MAX_RANGE_LEN: i64 = 100_000_000;

/// The items of a list argument, or Sprig's error `"{what} {kind}"`.
fn items<'a>(v: &'a Value, what: &str) -> Result<Cow<'a, [Value]>, FuncError> {
    if v.is_nil() {
        return Err(FuncError::new(NIL_DEREF));
    }
    slice_items(v).ok_or_else(|| FuncError::new(format!("{what} {}", kind_of(v))))
}

pub(crate) fn register(funcs: &mut FuncMap) {
    for name in ["list", "tuple"] {
        pure(funcs, name, Signature::new([]).variadic(ANY), |a| {
            Ok(ilist(a))
        });
    }
    for name in ["append", "push", "mustAppend", "mustPush"] {
        pure(funcs, name, Signature::new([ANY, ANY]), |mut a| {
            let v = super::take(&mut a, 1);
            let l = items(&a[0], "Cannot push on type")?;
            let mut out = Vec::with_capacity(l.len() + 1);
            out.extend_from_slice(&l);
            out.push(v);
            Ok(ilist(out))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        pure(funcs, name, Signature::new([ANY, ANY]), |mut a| {
            let v = super::take(&mut a, 1);
            let l = items(&a[0], "Cannot prepend on type")?;
            let mut out = Vec::with_capacity(l.len() + 1);
            out.push(v);
            out.extend_from_slice(&l);
            Ok(ilist(out))
        });
    }
    for name in ["first", "mustFirst"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot find first on type")?;
            Ok(l.first().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["last", "mustLast"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot find last on type")?;
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["rest", "mustRest"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot find rest on type")?;
            Ok(ilist(l.get(1..).map(<[Value]>::to_vec).unwrap_or_default()))
        });
    }
    for name in ["initial", "mustInitial"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot find initial on type")?;
            let n = l.len().saturating_sub(1);
            Ok(ilist(l[..n].to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot find reverse on type")?;
            Ok(ilist(l.iter().rev().cloned().collect()))
        });
    }
    for name in ["compact", "mustCompact"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot compact on type")?;
            Ok(ilist(l.iter().filter(|v| !is_empty(v)).cloned().collect()))
        });
    }
    for name in ["uniq", "mustUniq"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            let l = items(&a[0], "Cannot find uniq on type")?;
            let mut out: Vec<Value> = Vec::new();
            for v in l.iter() {
                if !out.iter().any(|o| deep_equal(v, o)) {
                    out.push(v.clone());
                }
            }
            Ok(ilist(out))
        });
    }
    for name in ["without", "mustWithout"] {
        pure(funcs, name, Signature::new([ANY]).variadic(ANY), |a| {
            let l = items(&a[0], "Cannot find without on type")?;
            let omit = &a[1..];
            Ok(ilist(
                l.iter()
                    .filter(|v| !omit.iter().any(|o| deep_equal(v, o)))
                    .cloned()
                    .collect(),
            ))
        });
    }
    for name in ["has", "mustHas"] {
        pure(funcs, name, Signature::new([ANY, ANY]), |a| {
            if a[1].is_nil() {
                return Ok(Value::Bool(false));
            }
            let l = items(&a[1], "Cannot find has on type")?;
            Ok(Value::Bool(l.iter().any(|v| deep_equal(&a[0], v))))
        });
    }
    for name in ["slice", "mustSlice"] {
        pure(funcs, name, Signature::new([ANY]).variadic(ANY), slice);
    }
    pure(funcs, "concat", Signature::new([]).variadic(ANY), |a| {
        let mut out = Vec::new();
        for l in &a {
            if l.is_nil() {
                return Err(FuncError::new(NIL_DEREF));
            }
            match slice_items(l) {
                Some(items) => out.extend_from_slice(&items),
                None => {
                    return Err(FuncError::new(format!(
                        "Cannot concat type {} as list",
                        kind_of(l)
                    )));
                }
            }
        }
        Ok(ilist(out))
    });
    for name in ["chunk", "mustChunk"] {
        pure(funcs, name, Signature::new([INT, ANY]), |a| {
            let size = arg_int(&a, 0);
            let l = items(&a[1], "Cannot chunk type")?;
            if size <= 0 {
                return Err(FuncError::new("runtime error: makeslice: len out of range"));
            }
            let chunks = l.chunks(size as usize).map(|c| ilist(c.to_vec())).collect();
            Ok(list_of_lists(chunks))
        });
    }
    pure(funcs, "sortAlpha", Signature::new([ANY]), |a| {
        let mut out = match slice_items(&a[0]) {
            Some(_) => super::conversions::to_string_vec(&a[0]),
            None => vec![strval(&a[0]).into_owned()],
        };
        if a[0].is_nil() {
            out = vec!["<nil>".to_string()];
        }
        out.sort_unstable();
        Ok(Value::string_list(out))
    });
    funcs.register("until", Signature::new([INT]), |ctx, a| {
        let count = arg_int(&a, 0);
        let step = if count < 0 { -1 } else { 1 };
        until_step(0, count, step, ctx.options().max_output_bytes).map(int_list)
    });
    funcs.register("untilStep", Signature::new([INT, INT, INT]), |ctx, a| {
        let limit = ctx.options().max_output_bytes;
        until_step(arg_int(&a, 0), arg_int(&a, 1), arg_int(&a, 2), limit).map(int_list)
    });
    funcs.register("seq", Signature::new([]).variadic(INT), |ctx, a| {
        let p: Vec<i64> = (0..a.len()).map(|i| arg_int(&a, i)).collect();
        seq(&p, ctx.options().max_output_bytes).map(Value::from)
    });
}

/// A `[][]interface {}`. The value model has no slice element type, so the type is
/// carried as a method-less named type whose name is Go's type name (what `%T` prints).
fn list_of_lists(items: Vec<Value>) -> Value {
    use std::sync::{Arc, OnceLock};
    static TY: OnceLock<Arc<crate::template::value::NamedType>> = OnceLock::new();
    let named = TY.get_or_init(|| {
        Arc::new(crate::template::value::NamedType {
            name: "[][]interface {}".to_string(),
            methods: Vec::new(),
        })
    });
    Value::List(std::rc::Rc::new(crate::template::value::List {
        ty: crate::template::value::CollType {
            elem: ElemType::Interface,
            named: Some(named.clone()),
        },
        items,
    }))
}

fn int_list(v: Vec<i64>) -> Value {
    Value::typed_list(
        ElemType::Int(IntKind::Int),
        v.into_iter().map(Value::int).collect(),
    )
}

/// Sprig `slice`: `list[start:end]` keeping the list's type; an empty list yields nil.
fn slice(a: Vec<Value>) -> Result<Value, FuncError> {
    let list = &a[0];
    if list.is_nil() {
        return Err(FuncError::new(NIL_DEREF));
    }
    let Some(l) = slice_items(list) else {
        return Err(FuncError::new(format!(
            "list should be type of slice or array but {}",
            kind_of(list)
        )));
    };
    let len = l.len() as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map(super::conversions::to_int64).unwrap_or(0);
    let end = match a.get(2) {
        Some(v) => super::conversions::to_int64(v),
        None => len,
    };
    if start < 0 || end < start || end > len {
        return Err(FuncError::new(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    let part = l[start as usize..end as usize].to_vec();
    Ok(match list {
        Value::List(orig) => Value::List(std::rc::Rc::new(crate::template::value::List {
            ty: orig.ty.clone(),
            items: part,
        })),
        Value::Bytes(_) => Value::Bytes(
            part.iter()
                .map(|v| match v {
                    Value::Uint(n, _) => *n as u8,
                    _ => 0,
                })
                .collect::<Vec<u8>>()
                .into(),
        ),
        _ => ilist(part),
    })
}

/// Sprig `untilStep`: integers from `start` towards `stop` (exclusive) by `step`; empty
/// when the step does not move towards `stop`. Lists longer than [`MAX_RANGE_LEN`] or than
/// `limit` (the output limit in bytes) fail.
pub fn until_step(start: i64, stop: i64, step: i64, limit: usize) -> Result<Vec<i64>, FuncError> {
    let moving = (stop < start && step < 0) || (stop >= start && step > 0);
    if !moving {
        return Ok(Vec::new());
    }
    let span = (i128::from(stop) - i128::from(start)).unsigned_abs();
    let n = span.div_ceil(i128::from(step).unsigned_abs());
    let max = (MAX_RANGE_LEN as u128).min(limit as u128);
    if n > max {
        return Err(FuncError::new(format!(
            "list of {n} elements exceeds the limit of {max}"
        )));
    }
    let mut v = Vec::with_capacity(n as usize);
    let mut i = start;
    if stop < start {
        while i > stop {
            v.push(i);
            match i.checked_add(step) {
                Some(x) => i = x,
                None => break,
            }
        }
    } else {
        while i < stop {
            v.push(i);
            match i.checked_add(step) {
                Some(x) => i = x,
                None => break,
            }
        }
    }
    Ok(v)
}

/// Sprig `seq`: like the Unix command (`seq END`, `seq START END`, `seq START STEP END`),
/// numbers joined by spaces. Results longer than `limit` bytes (the output limit) fail.
pub fn seq(p: &[i64], limit: usize) -> Result<String, FuncError> {
    let join = |v: Vec<i64>| -> Result<String, FuncError> {
        let mut out = String::new();
        for (i, n) in v.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&n.to_string());
            if out.len() > limit {
                return Err(FuncError::new(format!(
                    "seq result exceeds the output limit ({limit} bytes)"
                )));
            }
        }
        Ok(out)
    };
    match p.len() {
        1 => {
            let (start, end) = (1, p[0]);
            let inc = if end < start { -1 } else { 1 };
            join(until_step(start, end.wrapping_add(inc), inc, limit)?)
        }
        2 => {
            let (start, end) = (p[0], p[1]);
            let step = if end < start { -1 } else { 1 };
            join(until_step(start, end.wrapping_add(step), step, limit)?)
        }
        3 => {
            let (start, step, end) = (p[0], p[1], p[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return Ok(String::new());
                }
            }
            join(until_step(start, end.wrapping_add(inc), step, limit)?)
        }
        _ => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::{seq, until_step};

    /// Sprig's documented results: `seq 5` is `1 2 3 4 5`, `seq 2 -2` is `2 1 0 -1 -2`,
    /// `seq 0 2 10` is `0 2 4 6 8 10`; `untilStep 3 6 2` is `[3 5]`.
    #[test]
    fn seq_and_until_step_follow_sprig() {
        let big = usize::MAX;
        assert_eq!(seq(&[5], big).ok().as_deref(), Some("1 2 3 4 5"));
        assert_eq!(seq(&[2, -2], big).ok().as_deref(), Some("2 1 0 -1 -2"));
        assert_eq!(seq(&[0, 2, 10], big).ok().as_deref(), Some("0 2 4 6 8 10"));
        assert_eq!(until_step(3, 6, 2, big).ok(), Some(vec![3, 5]));
    }

    /// Found by fuzzing: `seq 53333333` built hundreds of millions of bytes in intermediate
    /// strings before any output limit applied. Lists and `seq` text are now bounded by the
    /// output limit.
    #[test]
    fn results_are_bounded_by_the_output_limit() {
        let limit = 1 << 20;
        let err = seq(&[53_333_333], limit).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("list of 53333333 elements exceeds the limit of 1048576")
        );
        let err = seq(&[500_000], limit).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("seq result exceeds the output limit (1048576 bytes)")
        );
        assert!(until_step(0, 2_000, 1, 1_000).is_err());
        assert_eq!(
            until_step(0, 1_000, 1, 1_000).map(|v| v.len()).ok(),
            Some(1_000)
        );
    }
}

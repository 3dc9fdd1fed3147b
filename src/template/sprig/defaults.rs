//! Defaults and Sprig's own JSON functions (Sprig `defaults.go`): `default`, `empty`,
//! `coalesce`, `all`, `any`, `ternary`, `mustFromJson`, `toPrettyJson`,
//! `mustToPrettyJson`, `toRawJson`, `mustToRawJson`. (`toJson`, `fromJson` and `mustToJson`
//! are replaced by Helm's versions in [`crate::template::helm_funcs`].)

use super::{ANY, BOOL, STR, arg_str, is_empty, pure};
use crate::codec::json as codec_json;
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::Value;

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(
        funcs,
        "default",
        Signature::new([ANY]).variadic(ANY),
        |mut a| {
            if a.len() < 2 || is_empty(&a[1]) {
                return Ok(super::take(&mut a, 0));
            }
            Ok(super::take(&mut a, 1))
        },
    );
    pure(funcs, "empty", Signature::new([ANY]), |a| {
        Ok(Value::Bool(is_empty(&a[0])))
    });
    pure(funcs, "coalesce", Signature::new([]).variadic(ANY), |a| {
        Ok(a.into_iter().find(|v| !is_empty(v)).unwrap_or(Value::Nil))
    });
    pure(funcs, "all", Signature::new([]).variadic(ANY), |a| {
        Ok(Value::Bool(a.iter().all(|v| !is_empty(v))))
    });
    pure(funcs, "any", Signature::new([]).variadic(ANY), |a| {
        Ok(Value::Bool(a.iter().any(|v| !is_empty(v))))
    });
    pure(
        funcs,
        "ternary",
        Signature::new([ANY, ANY, BOOL]),
        |mut a| {
            let i = if a[2].as_bool() == Some(true) { 0 } else { 1 };
            Ok(super::take(&mut a, i))
        },
    );
    pure(
        funcs,
        "mustFromJson",
        Signature::new([STR]),
        |a| match codec_json::parse(arg_str(&a, 0)) {
            Ok(v) => Ok(Value::from_json(&v)),
            Err(e) => Err(FuncError::new(e.to_string())),
        },
    );
    for name in ["toPrettyJson", "mustToPrettyJson"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            Ok(Value::from(indent_json(
                &a[0].go_json_text(codec_json::to_json),
            )))
        });
    }
    for name in ["toRawJson", "mustToRawJson"] {
        pure(funcs, name, Signature::new([ANY]), |a| {
            Ok(Value::from(unescape_html(
                &a[0].go_json_text(codec_json::to_json),
            )))
        });
    }
}

/// Go's `json.Indent(dst, src, "", "  ")` over compact JSON (what `json.MarshalIndent`
/// produces): one element per line, `": "` after keys, empty containers kept as `[]`/`{}`.
pub fn indent_json(compact: &str) -> String {
    let b = compact.as_bytes();
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut start = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                out.push_str(&compact[start..=i]);
                start = i + 1;
                let close = if c == b'{' { b'}' } else { b']' };
                if b.get(i + 1) == Some(&close) {
                    out.push(close as char);
                    i += 2;
                    start = i;
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                out.push_str(&compact[start..i]);
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
                start = i + 1;
            }
            b',' => {
                out.push_str(&compact[start..=i]);
                start = i + 1;
                newline(&mut out, depth);
            }
            b':' => {
                out.push_str(&compact[start..=i]);
                out.push(' ');
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&compact[start.min(compact.len())..]);
    out
}

/// Undoes Go's HTML escaping (`\u003c`, `\u003e`, `\u0026`) in encoded JSON, giving what an
/// encoder with `SetEscapeHTML(false)` writes.
pub fn unescape_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(p) = rest.find('\\') {
        out.push_str(&rest[..p]);
        let esc = &rest[p..];
        let repl = match esc.get(..6) {
            Some("\\u003c") => Some('<'),
            Some("\\u003e") => Some('>'),
            Some("\\u0026") => Some('&'),
            _ => None,
        };
        match repl {
            Some(c) => {
                out.push(c);
                rest = &esc[6..];
            }
            None => {
                // Copy the escape (backslash and the escaped character) unchanged.
                let n = esc[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
                out.push_str(&esc[..n]);
                rest = &esc[n..];
            }
        }
    }
    out.push_str(rest);
    out
}

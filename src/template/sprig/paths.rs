//! Path functions (Sprig `functions.go`): `base`, `dir`, `clean`, `ext`, `isAbs` (Go's
//! `path`) and `osBase`, `osDir`, `osClean`, `osExt`, `osIsAbs` (Go's `path/filepath`,
//! which on Linux, where Helm runs charts here, behaves the same for these functions).

use super::{STR, arg_str, pure};
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::Value;

pub(crate) fn register(funcs: &mut FuncMap) {
    for (plain, os) in [
        ("base", "osBase"),
        ("dir", "osDir"),
        ("clean", "osClean"),
        ("ext", "osExt"),
        ("isAbs", "osIsAbs"),
    ] {
        for name in [plain, os] {
            let f: fn(&str) -> Value = match plain {
                "base" => |s| Value::from(base(s)),
                "dir" => |s| Value::from(dir(s)),
                "clean" => |s| Value::from(clean(s)),
                "ext" => |s| Value::from(ext(s)),
                _ => |s| Value::Bool(s.starts_with('/')),
            };
            pure(funcs, name, Signature::new([STR]), move |a| {
                Ok(f(arg_str(&a, 0)))
            });
        }
    }
}

/// Go's `path.Clean`: shortest equivalent path (`.` for empty), lexically resolving `.`,
/// `..` and repeated slashes.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`: the last element after trailing slashes are removed (`.` for empty,
/// `/` for only slashes).
pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".to_string();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

/// Go's `path.Dir`: everything before the last slash, cleaned.
pub fn dir(p: &str) -> String {
    let d = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(d)
}

/// Go's `path.Ext`: the suffix from the last `.` in the last element, or empty.
pub fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

//! The `.Files` template object, as Helm 4.3.1's `engine.files` (pkg/engine/files.go).
//!
//! In Go `.Files` is a named map type `map[string][]byte` with methods, so besides calling its
//! methods a template can `range` over it (sorted by name, values `[]uint8`), `index` it, take
//! its `len`, and print it (`%T` is `engine.files`). [`files_value`] builds exactly that: a
//! [`Value::Map`] whose type is the named type [`files_type`] with element type `[]uint8`.
//!
//! Methods (receiver: the map):
//! - `GetBytes NAME` → `[]uint8` (empty if absent); `Get NAME` → `string`.
//! - `Glob PATTERN` → `engine.files` with the entries whose name matches the gobwas/glob
//!   pattern (separator `/`; see [`glob`]); a pattern that does not compile matches everything.
//! - `Lines NAME` → `[]string`: the content split at `\n` after dropping one trailing `\n`;
//!   empty list for a missing or empty file.
//! - `AsConfig` → YAML (Helm's `toYaml`) of a map from each file's base name to its content;
//!   `AsSecrets` → the same with base64 (standard, padded) contents. When two files share a
//!   base name Go keeps whichever its random map order visits last; here the one whose full
//!   name sorts last wins.

// Explicit paths keep the layout `files.rs` + `files/…` working however this file is
// included.
#[path = "files/glob.rs"]
pub mod glob;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::chart::model::File;
use crate::template::value::{CollType, ElemType, Method, NamedType, Str, Value, go_lossy};
use crate::template::{FuncError, ParamType, Signature};

/// Go type name of `.Files`.
pub const FILES_TYPE_NAME: &str = "engine.files";

/// The `.Files` value for a chart's [`Chart::files`](crate::chart::model::Chart::files):
/// a map from file name to contents of type [`files_type`]. A later file of the same name
/// replaces an earlier one, as in Go.
pub fn files_value(files: &[File]) -> Value {
    let mut entries = BTreeMap::new();
    for f in files {
        entries.insert(
            Str::from(f.name.as_str()),
            Value::Bytes(Arc::clone(&f.data)),
        );
    }
    Value::typed_map(files_type(), entries)
}

/// The named Go type `engine.files` (`map[string][]byte` with Helm's methods).
pub fn files_type() -> CollType {
    static TYPE: OnceLock<Arc<NamedType>> = OnceLock::new();
    let named = TYPE.get_or_init(|| {
        Arc::new(NamedType {
            name: FILES_TYPE_NAME.to_owned(),
            methods: vec![
                method("AsConfig", Signature::new([]), as_config),
                method("AsSecrets", Signature::new([]), as_secrets),
                method("Get", Signature::new([ParamType::String]), get),
                method("GetBytes", Signature::new([ParamType::String]), get_bytes),
                method("Glob", Signature::new([ParamType::String]), glob_files),
                method("Lines", Signature::new([ParamType::String]), lines),
            ],
        })
    });
    CollType {
        elem: ElemType::Bytes,
        named: Some(Arc::clone(named)),
    }
}

fn method(
    name: &str,
    sig: Signature,
    f: fn(&Value, &[Value]) -> Result<Value, FuncError>,
) -> Method {
    Method {
        name: name.to_owned(),
        sig,
        call: Arc::new(f),
    }
}

/// The entries of the receiver map (name → bytes), in name order.
fn entries(recv: &Value) -> Vec<(Str, Arc<[u8]>)> {
    match recv {
        Value::Map(m) => m
            .borrow()
            .entries
            .iter()
            .map(|(k, v)| {
                let bytes = match v {
                    Value::Bytes(b) => Arc::clone(b),
                    _ => Arc::from(Vec::new()),
                };
                (Str::clone(k), bytes)
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn lookup(recv: &Value, name: &str) -> Option<Arc<[u8]>> {
    match recv {
        Value::Map(m) => match m.borrow().entries.get(name) {
            Some(Value::Bytes(b)) => Some(Arc::clone(b)),
            _ => None,
        },
        _ => None,
    }
}

fn arg(args: &[Value]) -> &str {
    args.first().and_then(Value::as_str).unwrap_or_default()
}

fn get_bytes(recv: &Value, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bytes(
        lookup(recv, arg(args)).unwrap_or_else(|| Arc::from(Vec::new())),
    ))
}

fn get(recv: &Value, args: &[Value]) -> Result<Value, FuncError> {
    // A Go string holds the file's bytes as they are, UTF-8 or not.
    let bytes = lookup(recv, arg(args)).unwrap_or_else(|| Arc::from(Vec::new()));
    Ok(match std::str::from_utf8(&bytes) {
        Ok(text) => Value::string(text),
        Err(_) => Value::ByteString(bytes),
    })
}

fn glob_files(recv: &Value, args: &[Value]) -> Result<Value, FuncError> {
    let g = glob::Glob::compile(arg(args)).unwrap_or_else(|_| glob::Glob::match_all());
    let mut out = BTreeMap::new();
    for (name, data) in entries(recv) {
        if g.is_match(&name) {
            out.insert(name, Value::Bytes(data));
        }
    }
    Ok(Value::typed_map(files_type(), out))
}

fn lines(recv: &Value, args: &[Value]) -> Result<Value, FuncError> {
    let data = lookup(recv, arg(args)).unwrap_or_else(|| Arc::from(Vec::new()));
    if data.is_empty() {
        return Ok(Value::string_list(Vec::<String>::new()));
    }
    let data: &[u8] = &data;
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    Ok(Value::typed_list(
        ElemType::String,
        data.split(|b| *b == b'\n')
            .map(|line| Value::from_go_bytes(line.to_vec()))
            .collect(),
    ))
}

/// `path.Base` of a slash-separated name.
fn base(name: &str) -> &str {
    if name.is_empty() {
        return ".";
    }
    let trimmed = name.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

fn as_map(recv: &Value, encode: impl Fn(&[u8]) -> String) -> Value {
    let mut m = serde_json::Map::new();
    for (name, data) in entries(recv) {
        m.insert(
            base(&name).to_owned(),
            serde_json::Value::String(encode(&data)),
        );
    }
    Value::string(crate::codec::yaml::to_yaml(&serde_json::Value::Object(m)))
}

fn as_config(recv: &Value, _: &[Value]) -> Result<Value, FuncError> {
    // `encoding/json` (under sigs.k8s.io/yaml) reads each invalid byte as U+FFFD.
    Ok(as_map(recv, go_lossy))
}

fn as_secrets(recv: &Value, _: &[Value]) -> Result<Value, FuncError> {
    Ok(as_map(recv, crate::template::sprig::encoding::b64_encode))
}

#[cfg(test)]
#[path = "files/tests.rs"]
mod tests;

//! TOML as Helm's `toToml`/`mustToToml`/`fromToml` produce and read it (helm.sh/helm/v4
//! pkg/engine/funcs.go over github.com/BurntSushi/toml v1.6.0).
//!
//! Output follows BurntSushi's encoder (`encode.go`) for Go maps, slices and scalars:
//! key/value pairs of a table first (sorted by bytes), then sub-tables and arrays of tables
//! (sorted), a blank line before each top-level `[table]` and every `[[array]]`, two spaces
//! of indentation per nesting level, bare keys when they consist of `A-Za-z0-9_-`, strings
//! in basic `"..."` form, floats with Go's `%g` plus `.0` when needed, `null` values left out.
//! Parsing uses the `toml` crate; see [`from_toml`] for what differs from Go.

use serde_json::{Map, Value};

use super::gofmt;

/// Errors where Helm's TOML functions do not return a string at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TomlError {
    /// `toToml` of a nil value: BurntSushi's encoder panics on Go's zero `reflect.Value`, and
    /// the template engine reports the panic as an error calling `toToml`.
    #[error("reflect: call of reflect.Value.Type on zero Value")]
    NilValue,
    /// The value nests deeper than [`MAX_DEPTH`] levels (a Wheelhouse limit that keeps the
    /// recursive encoder within its stack; Go has none).
    #[error("toml: value nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Deepest nesting [`to_toml`] encodes.
pub const MAX_DEPTH: usize = 500;

/// Nesting depth of a value, measured without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

/// BurntSushi's encoding errors, which Helm's `toToml` returns as the output text.
const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";

/// Helm's `toToml`: the TOML text, or (as Helm does) the encoder's error message as the text,
/// e.g. `toml: cannot encode array with nil element`.
///
/// # Errors
/// [`TomlError::NilValue`] for a top-level `null`, where Go's template call fails instead;
/// [`TomlError::TooDeep`] beyond [`MAX_DEPTH`] levels of nesting.
pub fn to_toml(value: &Value) -> Result<String, TomlError> {
    if depth(value) > MAX_DEPTH {
        return Err(TomlError::TooDeep);
    }
    let mut encoder = Encoder {
        out: String::new(),
        written: false,
    };
    let result = match value {
        Value::Null => return Err(TomlError::NilValue),
        Value::Object(map) => encoder.table(&mut Vec::new(), map),
        Value::Array(_) if is_table_array(value).unwrap_or(false) => Err(NO_KEY),
        other => encoder.element(other).map(|()| encoder.written = true),
    };
    Ok(match result {
        Ok(()) => encoder.out,
        Err(message) => message.to_owned(),
    })
}

/// BurntSushi's `tomlTypeOfGo` for a slice: `Some(true)` for a non-empty array whose elements
/// are all maps (an array of tables); `Err` when an element is nil, found while classifying.
fn is_table_array(value: &Value) -> Result<bool, &'static str> {
    let Value::Array(items) = value else {
        return Ok(false);
    };
    if items.is_empty() {
        return Ok(false);
    }
    let mut all_tables = true;
    for item in items {
        match item {
            Value::Null => return Err(NIL_ELEMENT),
            Value::Array(_) => {
                is_table_array(item)?;
                all_tables = false;
            }
            Value::Object(_) => {}
            _ => all_tables = false,
        }
    }
    Ok(all_tables)
}

/// Whether BurntSushi writes the value as a table (`[key]` / `[[key]]`) rather than inline.
fn is_table(value: &Value) -> Result<bool, &'static str> {
    match value {
        Value::Object(_) => Ok(true),
        Value::Array(_) => is_table_array(value),
        _ => Ok(false),
    }
}

struct Encoder {
    out: String,
    /// BurntSushi's `hasWritten`: a newline is only written once something was.
    written: bool,
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One key part, bare when possible (`Key.maybeQuoted`).
fn key_part(k: &str) -> String {
    if k.is_empty() {
        return "\"\"".to_owned();
    }
    if k.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// A dotted key path (`Key.String`).
fn key_path(key: &[&str]) -> String {
    key.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }

    fn newline(&mut self) {
        if self.written {
            self.out.push('\n');
        }
    }

    fn indent(key: &[&str]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    /// `eMap` for a table body: plain values first, then tables, each group sorted.
    fn table<'a>(
        &mut self,
        key: &mut Vec<&'a str>,
        map: &'a Map<String, Value>,
    ) -> Result<(), &'static str> {
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in map {
            if is_table(v)? {
                sub.push((k.as_str(), v));
            } else {
                direct.push((k.as_str(), v));
            }
        }
        for (k, v) in direct.into_iter().chain(sub) {
            if v.is_null() {
                continue;
            }
            key.push(k);
            let result = self.encode(key, v);
            key.pop();
            result?;
        }
        Ok(())
    }

    /// `encode` for a value under a non-empty key.
    fn encode<'a>(&mut self, key: &mut Vec<&'a str>, value: &'a Value) -> Result<(), &'static str> {
        match value {
            Value::Object(map) => {
                if key.len() == 1 {
                    self.newline();
                }
                let header = format!("{}[{}]", Self::indent(key), key_path(key));
                self.write(&header);
                self.newline();
                self.table(key, map)
            }
            Value::Array(items) if is_table_array(value)? => {
                for item in items {
                    let Value::Object(map) = item else {
                        continue;
                    };
                    self.newline();
                    let header = format!("{}[[{}]]", Self::indent(key), key_path(key));
                    self.write(&header);
                    self.newline();
                    self.table(key, map)?;
                }
                Ok(())
            }
            other => {
                let last = key.last().copied().unwrap_or_default();
                let prefix = format!("{}{} = ", Self::indent(key), key_part(last));
                self.write(&prefix);
                self.element(other)?;
                self.newline();
                Ok(())
            }
        }
    }

    /// `eElement`: an inline value.
    fn element(&mut self, value: &Value) -> Result<(), &'static str> {
        match value {
            Value::Null => Err(NIL_ELEMENT),
            Value::Bool(b) => {
                self.write(if *b { "true" } else { "false" });
                Ok(())
            }
            Value::Number(n) => {
                let text = match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => i.to_string(),
                    (None, Some(u)) => u.to_string(),
                    _ => {
                        let s = gofmt::format_g(n.as_f64().unwrap_or(0.0), false);
                        if s.contains(['.', 'e']) { s } else { s + ".0" }
                    }
                };
                self.write(&text);
                Ok(())
            }
            Value::String(s) => {
                self.write(&quote(s));
                Ok(())
            }
            Value::Array(items) => {
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
                Ok(())
            }
            Value::Object(map) => self.inline_table(map),
        }
    }

    /// `eMap` with `inline`: `{a = 1, b = 2}`; a skipped nil can leave a trailing `, ` as in Go.
    fn inline_table(&mut self, map: &Map<String, Value>) -> Result<(), &'static str> {
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in map {
            if is_table(v)? {
                sub.push((k, v));
            } else {
                direct.push((k, v));
            }
        }
        self.write("{");
        let trailing = !sub.is_empty();
        for (group, trail) in [(direct, trailing), (sub, false)] {
            let len = group.len();
            for (i, (k, v)) in group.into_iter().enumerate() {
                if v.is_null() {
                    continue;
                }
                let prefix = format!("{} = ", key_part(k));
                self.write(&prefix);
                self.element(v)?;
                if trail || i + 1 != len {
                    self.write(", ");
                }
            }
        }
        self.write("}");
        Ok(())
    }
}

/// Helm's `fromToml`: the document as a map (TOML integers as `i64`, floats as `f64`, arrays
/// of tables as arrays of objects).
///
/// On a parse error the map holds only `"Error"` with BurntSushi's message
/// (`toml: line N (last key "k"): ...`), found by [`super::toml_check`], which reproduces
/// BurntSushi's lexer and parser checks; a document that passes them but not the `toml`
/// crate's parser gets the crate's wording in the same shape.
/// Values Wheelhouse's data model cannot hold differ from Go: date-times become their TOML
/// text (Go has `time.Time`), NaN and infinities become `null`.
pub fn from_toml(text: &str) -> Value {
    if let Err(e) = super::toml_check::check(text) {
        let mut map = Map::new();
        map.insert("Error".to_owned(), Value::String(e.to_string()));
        return Value::Object(map);
    }
    match text.parse::<toml::Table>() {
        Ok(table) => convert_table(table),
        Err(error) => {
            let line = error
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let message = error.message().trim_end().to_owned();
            let text = match line {
                Some(line) => format!("toml: line {line}: {message}"),
                None => format!("toml: {message}"),
            };
            let mut map = Map::new();
            map.insert("Error".to_owned(), Value::String(text));
            Value::Object(map)
        }
    }
}

fn convert_table(table: toml::Table) -> Value {
    Value::Object(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
}

fn convert(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(convert).collect()),
        toml::Value::Table(t) => convert_table(t),
    }
}

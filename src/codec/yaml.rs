//! YAML as Helm 4.3.1 writes and reads it.
//!
//! - [`to_yaml`] is Helm's `toYaml`/`mustToYaml` (pkg/engine/funcs.go): sigs.k8s.io/yaml
//!   v1.6.0 `Marshal` (Go `json.Marshal`, then go.yaml.in/yaml v2.4.4 reads that JSON and
//!   writes YAML), with one trailing newline removed.
//! - [`to_yaml_pretty`] is Helm's `toYamlPretty`: go.yaml.in/yaml v3.0.5 encoder, indent 2,
//!   one trailing newline removed.
//! - [`from_yaml`], [`from_yaml_array`] are Helm's `fromYaml`/`fromYamlArray` (sigs.k8s.io/yaml
//!   `Unmarshal`: YAML 1.1 via go-yaml v2, converted to JSON and decoded with Go's
//!   `encoding/json`, so every number ends as an `f64`).
//! - [`load_values`] is Helm's `loader.LoadValues` (values.yaml and `-f` files): documents
//!   split on `---` lines, each decoded like `fromYaml`, merged in order.
//!
//! Output is byte-identical to Go's for every value (see `testdata/` and the oracle in
//! `e2e/oracles/codec`). Decoding follows go-yaml's YAML 1.1 typing and data model exactly;
//! the YAML syntax itself is read by `granit-parser` (a YAML 1.2 parser), so the rare
//! documents on which libyaml and a YAML 1.2 parser disagree, and the wording of syntax error
//! messages, can differ (see [`YamlError::Syntax`]).

pub(crate) mod decode;
mod emitter;
mod keysort;
pub(crate) mod resolve;

use serde_json::{Map, Value};

use self::emitter::{Event, Style};
use self::resolve::{Flavor, Resolved};
use super::gofmt;
use super::json;

pub use self::decode::YamlError;

/// go-yaml's nesting limit (`max_flow_level` / `max_indents` in scannerc.go).
pub(crate) const MAX_DEPTH: usize = 10000;

/// Helm's `toYaml`: sigs.k8s.io/yaml `Marshal` with the trailing newline trimmed.
///
/// Returns `""` where Helm's template function swallows an error, which happens when the
/// JSON produced on the way cannot be read back by go-yaml: nesting deeper than 10000, a
/// string holding U+007F, U+0080..U+009F other than U+0085, U+FFFE or U+FFFF, a map key whose
/// JSON form is longer than 1024 characters or holds U+0085, or U+0085 directly followed by
/// `---`/`...` and a blank. U+0085 elsewhere is folded the way YAML folds a line break in a
/// double-quoted scalar (one break becomes a space, n breaks become n-1 newlines).
pub fn to_yaml(value: &Value) -> String {
    must_to_yaml(value).unwrap_or_default()
}

/// Helm's `mustToYaml`: like [`to_yaml`], but reports the failure instead of returning `""`
/// (the template call then fails).
///
/// # Errors
/// [`YamlError::Convert`] for the inputs listed under [`to_yaml`], with go-yaml's problem
/// text (`yaml: control characters are not allowed`, `yaml: exceeded max depth of 10000`;
/// Go's message may add a line number).
pub fn must_to_yaml(value: &Value) -> Result<String, YamlError> {
    let events = events_v2(value).map_err(|message| YamlError::Convert {
        message: message.to_owned(),
    })?;
    Ok(trim_newline(emitter::emit_document(&events, Flavor::V2)))
}

/// Helm's `toYamlPretty`: go-yaml v3 `Encoder` with `SetIndent(2)`, trailing newline trimmed.
///
/// Differences from [`to_yaml`]: sequences are indented under their key, long strings are
/// never folded, numbers are written from the value directly (an `f64` uses Go's `%g`-style
/// shortest form, e.g. `1e+06`), strings with tabs are quoted, and v3's key order.
pub fn to_yaml_pretty(value: &Value) -> String {
    let events = events_for(value, Flavor::V3, &|v| scalar_v3(v));
    trim_newline(emitter::emit_document(&events, Flavor::V3))
}

/// Helm's `fromYaml`: the first YAML document decoded into a map.
///
/// Returns a `Value::Object`. On failure the object holds only the key `"Error"` with the
/// error text, as Helm does (`error converting YAML to JSON: yaml: ...` for YAML problems,
/// `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value
/// of type map[string]interface {}` when the document is not a mapping). An empty or `null`
/// document gives an empty object.
pub fn from_yaml(text: &str) -> Value {
    let mut map = Map::new();
    match decode::unmarshal(text) {
        Ok(Value::Object(m)) => map = m,
        Ok(Value::Null) => {}
        Ok(other) => {
            map.insert(
                "Error".to_owned(),
                Value::String(not_a(&other, "map[string]interface {}")),
            );
        }
        Err(error) => {
            map.insert("Error".to_owned(), Value::String(error.to_string()));
        }
    }
    Value::Object(map)
}

/// One YAML document decoded as sigs.k8s.io/yaml `YAMLToJSON` then Go's `encoding/json`
/// decode it (the path `kubectl`/Helm take when building objects from a manifest): go-yaml v2
/// typing, every number an `f64`. `Ok(Value::Null)` for an empty document.
///
/// # Errors
/// [`YamlError`] with Helm's text for malformed YAML.
pub fn unmarshal_document(text: &str) -> Result<Value, YamlError> {
    decode::unmarshal(text)
}

/// sigs.k8s.io/yaml `Unmarshal` of the first document into `interface{}` for readers of a
/// few top-level keys (Helm's manifest heads): the same result and the same error as a full
/// decode, but an object keeps only the top-level entries whose key equals one of `keys`
/// ignoring ASCII case. The other entries are not decoded when the document cannot fail
/// after parsing, which makes this much cheaper on large documents. An empty document is
/// `Value::Null`.
///
/// # Errors
/// [`YamlError::Syntax`], [`YamlError::Decode`] or [`YamlError::Convert`], as [`from_yaml`]
/// reports them in its `Error` entry.
pub fn unmarshal_keys(text: &str, keys: &[&str]) -> Result<Value, YamlError> {
    decode::unmarshal_keys(text, keys)
}

/// Helm's `fromYamlArray`: the first YAML document decoded into a list.
///
/// Returns a `Value::Array`; on failure it holds only the error text (see [`from_yaml`]).
/// An empty or `null` document gives an empty array.
pub fn from_yaml_array(text: &str) -> Value {
    match decode::unmarshal(text) {
        Ok(Value::Array(items)) => Value::Array(items),
        Ok(Value::Null) => Value::Array(Vec::new()),
        Ok(other) => Value::Array(vec![Value::String(not_a(&other, "[]interface {}"))]),
        Err(error) => Value::Array(vec![Value::String(error.to_string())]),
    }
}

/// Helm's `loader.LoadValues` (pkg/chart/v2/loader/load.go), used for a chart's values.yaml
/// and for every `-f` file: the text is split into documents at lines starting with `---`
/// (k8s.io/apimachinery `YAMLReader`, which also turns CRLF line ends into LF), each document
/// is decoded like [`from_yaml`], and the maps are merged in order (later documents win,
/// nested maps merge key by key). Numbers are `f64`.
///
/// # Errors
/// [`YamlError`] with Helm's text, e.g. `cannot unmarshal yaml document: error converting
/// YAML to JSON: yaml: line 2: ...`, or `error reading yaml document: invalid Yaml document
/// separator: x` for a `---` line followed by other text.
pub fn load_values(text: &str) -> Result<Map<String, Value>, YamlError> {
    let mut values = Map::new();
    for document in split_documents(text)? {
        let current = match decode::unmarshal(&document) {
            Ok(Value::Object(m)) => m,
            Ok(Value::Null) => Map::new(),
            Ok(other) => {
                return Err(YamlError::Document {
                    message: format!(
                        "cannot unmarshal yaml document: {}",
                        not_a(&other, "map[string]interface {}")
                    ),
                });
            }
            Err(error) => {
                return Err(YamlError::Document {
                    message: format!("cannot unmarshal yaml document: {error}"),
                });
            }
        };
        merge_maps(&mut values, current);
    }
    Ok(values)
}

/// The error sigs.k8s.io/yaml reports when the document decodes to the wrong JSON kind.
fn not_a(value: &Value, go_type: &str) -> String {
    let kind = match value {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::Null => "null",
    };
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type {go_type}"
    )
}

/// Helm's `loader.MergeMaps`: values of `b` win; when both sides hold maps they merge.
fn merge_maps(a: &mut Map<String, Value>, b: Map<String, Value>) {
    for (key, value) in b {
        match (a.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                merge_maps(existing, incoming)
            }
            (_, value) => {
                a.insert(key, value);
            }
        }
    }
}

/// k8s.io/apimachinery `YAMLReader.Read` over a `LineReader`, as `LoadValues` drives it.
fn split_documents(text: &str) -> Result<Vec<String>, YamlError> {
    let mut documents = Vec::new();
    let mut buffer = String::new();
    // LoadValues appends a final newline; LineReader strips "\n" or "\r\n" and re-adds "\n".
    for raw in text.split_inclusive('\n') {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix("---") {
            let trimmed = rest.trim_matches(|c: char| c.is_whitespace());
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(YamlError::Document {
                    message: format!(
                        "error reading yaml document: invalid Yaml document separator: {trimmed}"
                    ),
                });
            }
            if !buffer.is_empty() {
                documents.push(std::mem::take(&mut buffer));
                continue;
            }
        }
        buffer.push_str(line);
        buffer.push('\n');
    }
    if !buffer.is_empty() {
        documents.push(buffer);
    }
    Ok(documents)
}

fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

/// Builds the encoder's events for one value, walking it with an explicit stack.
fn events_for(value: &Value, flavor: Flavor, scalar: &dyn Fn(&Value) -> Event) -> Vec<Event> {
    enum Work<'a> {
        Value(&'a Value),
        Key(&'a str),
        End(Event),
    }
    let mut events = Vec::new();
    let mut stack = vec![Work::Value(value)];
    while let Some(work) = stack.pop() {
        match work {
            Work::Value(Value::Object(map)) => {
                events.push(Event::MappingStart);
                stack.push(Work::End(Event::MappingEnd));
                let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
                keysort::sort_keys(&mut keys, flavor);
                for key in keys.into_iter().rev() {
                    if let Some(v) = map.get(key) {
                        stack.push(Work::Value(v));
                        stack.push(Work::Key(key));
                    }
                }
            }
            Work::Value(Value::Array(items)) => {
                events.push(Event::SequenceStart);
                stack.push(Work::End(Event::SequenceEnd));
                stack.extend(items.iter().rev().map(Work::Value));
            }
            Work::Value(v) => events.push(scalar(v)),
            Work::Key(k) => events.push(string_event(k, flavor)),
            Work::End(e) => events.push(e),
        }
    }
    events
}

/// go-yaml's `encoder.stringv`: literal block for multi-line text, plain when the text would
/// read back as the same string, double-quoted otherwise.
fn string_event(s: &str, flavor: Flavor) -> Event {
    let plain = resolve::resolve_plain(s, flavor) == Resolved::Str
        && !resolve::is_base60_float(s)
        && !(flavor == Flavor::V3 && resolve::is_old_bool(s));
    let style = if s.contains('\n') {
        Style::Literal
    } else if plain {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    Event::Scalar(s.to_owned(), style)
}

fn plain(s: String) -> Event {
    Event::Scalar(s, Style::Plain)
}

/// Scalars as go-yaml v3 encodes Go values: int/uint verbatim, float64 `%g`-shortest.
fn scalar_v3(value: &Value) -> Event {
    match value {
        Value::Null => plain("null".to_owned()),
        Value::Bool(b) => plain(b.to_string()),
        Value::Number(n) => plain(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            _ => gofmt::format_g(n.as_f64().unwrap_or(0.0), false),
        }),
        Value::String(s) => string_event(s, Flavor::V3),
        Value::Array(_) | Value::Object(_) => plain(String::new()),
    }
}

/// Scalars after sigs.k8s.io/yaml's JSON round trip: go-yaml v2 re-reads Go's JSON number
/// text (`1.5e-7`, `1e+21`, `100000000000000000000`) and writes what it resolved to.
fn scalar_v2(value: &Value) -> Event {
    match value {
        Value::Null => plain("null".to_owned()),
        Value::Bool(b) => plain(b.to_string()),
        Value::Number(n) => {
            let text = json::number_text(n);
            plain(match resolve::resolve_plain(&text, Flavor::V2) {
                Resolved::Int(i) => i.to_string(),
                Resolved::Uint(u) => u.to_string(),
                Resolved::Float(f) => gofmt::format_g(f, false),
                _ => text,
            })
        }
        Value::String(s) => string_event(&fold_next_line(s), Flavor::V2),
        Value::Array(_) | Value::Object(_) => plain(String::new()),
    }
}

/// Events for [`to_yaml`], or why go-yaml v2 would fail to read Go's JSON.
fn events_v2(value: &Value) -> Result<Vec<Event>, &'static str> {
    const TOO_DEEP: &str = "yaml: exceeded max depth of 10000";
    const CONTROL: &str = "yaml: control characters are not allowed";
    const KEY: &str = "yaml: did not find expected ',' or '}'";
    const MARKER: &str = "yaml: found unexpected document indicator";
    // Check depth, characters and keys without recursion.
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Object(map) => {
                if depth + 1 > MAX_DEPTH {
                    return Err(TOO_DEEP);
                }
                for (key, item) in map {
                    readable_json_string(key).map_err(|c| if c { CONTROL } else { MARKER })?;
                    if !simple_key_fits(key) || key.contains('\u{85}') {
                        return Err(KEY);
                    }
                    stack.push((item, depth + 1));
                }
            }
            Value::Array(items) => {
                if depth + 1 > MAX_DEPTH {
                    return Err(TOO_DEEP);
                }
                stack.extend(items.iter().map(|item| (item, depth + 1)));
            }
            Value::String(s) => {
                readable_json_string(s).map_err(|c| if c { CONTROL } else { MARKER })?
            }
            _ => {}
        }
    }
    Ok(events_for(value, Flavor::V2, &scalar_v2))
}

/// Whether go-yaml's reader accepts the raw characters Go's JSON leaves unescaped
/// (`Err(true)` if not), and no U+0085 line break is directly followed by a document marker
/// and a blank (`Err(false)` if one is; at the end of the string the closing quote follows).
fn readable_json_string(s: &str) -> Result<(), bool> {
    let forbidden =
        |c: char| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    if s.chars().any(forbidden) {
        return Err(true);
    }
    for (i, _) in s.match_indices('\u{85}') {
        let rest = &s[i + '\u{85}'.len_utf8()..];
        if (rest.starts_with("---") || rest.starts_with("..."))
            && rest[3..].starts_with([' ', '\u{85}'])
        {
            return Err(false);
        }
    }
    Ok(())
}

/// libyaml drops a simple key longer than 1024 characters (counted on the JSON text with
/// its quotes), which makes Go's JSON unreadable.
fn simple_key_fits(key: &str) -> bool {
    let mut text = String::new();
    json::write_string(&mut text, key);
    text.chars().count() <= 1024
}

/// The line folding libyaml applies to U+0085 (NEL) inside a double-quoted scalar: a run of
/// spaces and NELs holding `n >= 1` NELs becomes one space (`n == 1`) or `n - 1` newlines.
fn fold_next_line(s: &str) -> String {
    if !s.contains('\u{85}') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let mut breaks = 0usize;
    let flush = |out: &mut String, run: &mut String, breaks: &mut usize| {
        match *breaks {
            0 => out.push_str(run),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
        run.clear();
        *breaks = 0;
    };
    for c in s.chars() {
        match c {
            ' ' => run.push(c),
            '\u{85}' => breaks += 1,
            _ => {
                flush(&mut out, &mut run, &mut breaks);
                out.push(c);
            }
        }
    }
    flush(&mut out, &mut run, &mut breaks);
    out
}

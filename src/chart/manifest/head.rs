//! The head of a manifest (apiVersion, kind, metadata name and annotations), decoded the way
//! Helm 4.3.1 decodes it: sigs.k8s.io/yaml v1.6.0 `Unmarshal` into `releaseutil.SimpleHead`
//! (`pkg/release/v1/util/manifest.go`).
//!
//! What that implies, and what this module reproduces:
//! - field names match case-insensitively (`Kind:` fills `kind`); with several matching
//!   keys the last in byte order wins (Go decodes the JSON object in sorted key order);
//! - YAML numbers and booleans bound for string fields become strings (`5` → `"5"`,
//!   `true` → `"true"`, floats with 32-bit `%g`), `null` leaves the field empty;
//! - a list or map where a string, a map where a list, or a top-level non-map fails with
//!   Go's `encoding/json` message.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::codec;

/// Go's type literal of `SimpleHead.Metadata`, as `encoding/json` prints it in errors.
const METADATA_TYPE: &str = "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }";

/// A manifest's head (Go: `releaseutil.SimpleHead`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// `apiVersion`, empty when absent.
    pub api_version: String,
    /// `kind`, empty when absent.
    pub kind: String,
    /// `metadata`, `None` when absent or `null`.
    pub metadata: Option<HeadMetadata>,
}

/// The part of `metadata` Helm reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadMetadata {
    /// `metadata.name`, empty when absent.
    pub name: String,
    /// `metadata.namespace` when it is a string, else empty. Helm's `SimpleHead` does not
    /// read it; it is decoded leniently here (never an error) for callers that apply objects.
    pub namespace: String,
    /// `metadata.annotations`, `None` when absent or `null`.
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Head {
    /// The annotations, when there is at least one (Go: `hasAnyAnnotation`).
    pub fn annotations(&self) -> Option<&BTreeMap<String, String>> {
        self.metadata
            .as_ref()
            .and_then(|m| m.annotations.as_ref())
            .filter(|a| !a.is_empty())
    }

    /// `metadata.name`, empty when there is no metadata.
    pub fn name(&self) -> &str {
        self.metadata.as_ref().map_or("", |m| m.name.as_str())
    }

    /// `metadata.namespace` (see [`HeadMetadata::namespace`]), empty when absent.
    pub fn namespace(&self) -> &str {
        self.metadata.as_ref().map_or("", |m| m.namespace.as_str())
    }
}

/// Decodes a document's head.
///
/// # Errors
/// The text sigs.k8s.io/yaml reports (without Helm's `YAML parse error on FILE: ` prefix),
/// e.g. `error converting YAML to JSON: yaml: line 2: ...` or `error unmarshaling JSON: while
/// decoding JSON: json: cannot unmarshal array into Go struct field SimpleHead.kind of type
/// string`.
pub fn parse_head(document: &str) -> Result<Head, String> {
    let json = decode(document)?;
    let object = match json {
        Json::Null => return Ok(Head::default()),
        Json::Object(object) => object,
        other => {
            return Err(type_error(&other, "Go value of type util.SimpleHead"));
        }
    };
    let mut head = Head::default();
    let mut first_error: Option<String> = None;
    let mut note = |e: String| {
        first_error.get_or_insert(e);
    };
    for (key, value) in &object {
        match field(key, &["apiVersion", "kind", "metadata"]) {
            Some("apiVersion") => match string_field(value) {
                Ok(Some(s)) => head.api_version = s,
                Ok(None) => {}
                Err(kind) => note(struct_field_error(kind, "SimpleHead.apiVersion", "string")),
            },
            Some("kind") => match string_field(value) {
                Ok(Some(s)) => head.kind = s,
                Ok(None) => {}
                Err(kind) => note(struct_field_error(kind, "SimpleHead.kind", "string")),
            },
            Some("metadata") => match value {
                Json::Null => head.metadata = None,
                Json::Object(meta) => {
                    let target = head.metadata.get_or_insert_with(HeadMetadata::default);
                    if let Err(e) = decode_metadata(meta, target) {
                        note(e);
                    }
                }
                other => note(struct_field_error(
                    json_kind(other),
                    "SimpleHead.metadata",
                    METADATA_TYPE,
                )),
            },
            _ => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(head),
    }
}

fn decode_metadata(
    meta: &serde_json::Map<String, Json>,
    target: &mut HeadMetadata,
) -> Result<(), String> {
    let mut first_error: Option<String> = None;
    for (key, value) in meta {
        match field(key, &["name", "namespace", "annotations"]) {
            Some("namespace") => {
                if let Json::String(ns) = value {
                    target.namespace = ns.clone();
                }
            }
            Some("name") => match string_field(value) {
                Ok(Some(s)) => target.name = s,
                Ok(None) => {}
                Err(kind) => {
                    first_error.get_or_insert(struct_field_error(kind, ".metadata.name", "string"));
                }
            },
            Some("annotations") => match value {
                Json::Null => target.annotations = None,
                Json::Object(entries) => {
                    let map = target.annotations.get_or_insert_with(BTreeMap::new);
                    for (k, v) in entries {
                        match string_field(v) {
                            Ok(s) => {
                                map.insert(k.clone(), s.unwrap_or_default());
                            }
                            Err(kind) => {
                                first_error.get_or_insert(struct_field_error(
                                    kind,
                                    ".metadata.annotations",
                                    "string",
                                ));
                            }
                        }
                    }
                }
                other => {
                    first_error.get_or_insert(struct_field_error(
                        json_kind(other),
                        ".metadata.annotations",
                        "map[string]string",
                    ));
                }
            },
            _ => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The YAML document as sigs.k8s.io/yaml turns it into JSON, restricted to the top-level
/// keys `SimpleHead` can match (the others cannot change the result).
fn decode(document: &str) -> Result<Json, String> {
    codec::yaml::unmarshal_keys(document, &["apiVersion", "kind", "metadata"])
        .map_err(|e| e.to_string())
}

/// The struct field a JSON key fills: exact match, else ASCII case-insensitive (Go's
/// `encoding/json` and sigs.k8s.io/yaml field matching).
fn field(key: &str, names: &[&'static str]) -> Option<&'static str> {
    names
        .iter()
        .find(|n| **n == key)
        .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)))
        .copied()
}

/// A value bound for a Go `string`: `Ok(None)` for null, the string form of scalars
/// (sigs.k8s.io/yaml stringifies numbers and booleans), or the JSON kind that cannot be one.
fn string_field(value: &Json) -> Result<Option<String>, &'static str> {
    match value {
        Json::Null => Ok(None),
        Json::String(s) => Ok(Some(s.clone())),
        Json::Bool(b) => Ok(Some(b.to_string())),
        Json::Number(n) => Ok(Some(number_text(n))),
        Json::Array(_) => Err("array"),
        Json::Object(_) => Err("object"),
    }
}

/// sigs.k8s.io/yaml's text for a YAML number bound for a string: integers in decimal, floats
/// with `strconv.FormatFloat(f, 'g', -1, 32)`. The decoded JSON no longer says whether the
/// YAML scalar was an integer, so integral values are taken as integers.
fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        return format!("{}", f as i64);
    }
    format_g32(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: shortest digits that round-trip as a
/// float32, exponent form when the exponent is below -4 or at least 6 (for example
/// `1.5`, `0.1`, `1e+06`, `1.2345679e-05`).
fn format_g32(f: f64) -> String {
    let single = f as f32;
    // Rust's `{:e}` prints the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{single:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    // Fixed notation with exactly the shortest digits.
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        let zeros = "0".repeat((-point) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = point as usize;
    if digits.len() <= point {
        let zeros = "0".repeat(point - digits.len());
        format!("{sign}{digits}{zeros}")
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn type_error(value: &Json, target: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into {target}",
        json_kind(value)
    )
}

fn struct_field_error(kind: &str, field: &str, go_type: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go struct field {field} of type {go_type}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_g_format_matches_go() {
        // Expected texts: Go `strconv.FormatFloat(x, 'g', -1, 32)`.
        assert_eq!(format_g32(1.5), "1.5");
        assert_eq!(format_g32(0.1), "0.1");
        assert_eq!(format_g32(123.456), "123.456");
        assert_eq!(format_g32(16777217.5), "1.6777218e+07");
        assert_eq!(format_g32(1e6), "1e+06");
        assert_eq!(format_g32(123456.0), "123456");
        assert_eq!(format_g32(0.0001), "0.0001");
        assert_eq!(format_g32(0.00001234567), "1.234567e-05");
        assert_eq!(format_g32(-2.5), "-2.5");
    }
}

//! `Chart.yaml`, `requirements.yaml` and lock files decoded as Helm does: sigs.k8s.io/yaml
//! turns the YAML into JSON, then Go's `encoding/json` fills the `v2.Metadata` / `v2.Lock`
//! structs; [`validate`] is `Metadata.Validate` (pkg/chart/v2/metadata.go, dependency.go).
//!
//! The struct filling follows `encoding/json` v1 rules that change results or messages: keys
//! match field names exactly or else ignoring case, unknown keys are ignored, `null` leaves a
//! field alone (a `null` list element becomes a nil pointer), a list replaces the field's list
//! while an object merges into the field's map, and decoding goes on after a type mismatch,
//! reporting the first one as `json: cannot unmarshal KIND into Go struct field S.PATH of type T`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::LoadError;
use crate::chart::model::{Dependency, Lock, Maintainer, Metadata};

/// Go type-name prefix of the chart structs (`v2.Metadata`; `v3.Metadata` for v3 charts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Package {
    /// `pkg/chart/v2`.
    V2,
    /// `internal/chart/v3`.
    V3,
}

impl Package {
    fn name(self) -> &'static str {
        match self {
            Package::V2 => "v2",
            Package::V3 => "v3",
        }
    }
}

/// A `Metadata` while loading: maintainers and dependencies may hold nil entries (`null` list
/// items), which only validation rejects.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawMetadata {
    pub(crate) meta: Metadata,
    maintainers: Vec<Option<Maintainer>>,
    dependencies: Vec<Option<Dependency>>,
}

/// Collects the first type mismatch, as `encoding/json`'s `saveError` does.
struct Decoder {
    package: Package,
    first_error: Option<String>,
}

impl Decoder {
    fn mismatch(&mut self, value: &Value, strukt: &str, path: &[&str], go_type: &str) {
        if self.first_error.is_none() {
            self.first_error = Some(format!(
                "json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                kind(value),
                strukt,
                path.join("."),
                go_type
            ));
        }
    }

    fn string(&mut self, v: &Value, slot: &mut String, strukt: &str, path: &[&str]) {
        match v {
            Value::Null => {}
            Value::String(s) => *slot = s.clone(),
            Value::Number(_) | Value::Bool(_) => *slot = scalar_as_string(v),
            other => self.mismatch(other, strukt, path, "string"),
        }
    }

    fn boolean(&mut self, v: &Value, slot: &mut bool, strukt: &str, path: &[&str]) {
        match v {
            Value::Null => {}
            Value::Bool(b) => *slot = *b,
            other => self.mismatch(other, strukt, path, "bool"),
        }
    }

    fn strings(&mut self, v: &Value, slot: &mut Vec<String>, strukt: &str, path: &[&str]) {
        match v {
            Value::Null => slot.clear(),
            Value::Array(items) => {
                slot.clear();
                for item in items {
                    let mut s = String::new();
                    self.string(item, &mut s, strukt, path);
                    slot.push(s);
                }
            }
            other => self.mismatch(other, strukt, path, "[]string"),
        }
    }

    fn string_map(
        &mut self,
        v: &Value,
        slot: &mut BTreeMap<String, String>,
        strukt: &str,
        path: &[&str],
    ) {
        match v {
            Value::Null => slot.clear(),
            Value::Object(m) => {
                for (k, item) in m {
                    let mut p = path.to_vec();
                    p.push(k);
                    let entry = slot.entry(k.clone()).or_default();
                    match item {
                        Value::Null => *entry = String::new(),
                        Value::String(s) => *entry = s.clone(),
                        Value::Number(_) | Value::Bool(_) => *entry = scalar_as_string(item),
                        other => self.mismatch(other, strukt, &p, "string"),
                    }
                }
            }
            other => self.mismatch(other, strukt, path, "map[string]string"),
        }
    }

    fn any_list(&mut self, v: &Value, slot: &mut Vec<Value>, strukt: &str, path: &[&str]) {
        match v {
            Value::Null => slot.clear(),
            Value::Array(items) => *slot = items.clone(),
            other => self.mismatch(other, strukt, path, "[]interface {}"),
        }
    }

    fn maintainers(&mut self, v: &Value, slot: &mut Vec<Option<Maintainer>>, path: &[&str]) {
        let elem = format!("{}.Maintainer", self.package.name());
        match v {
            Value::Null => slot.clear(),
            Value::Array(items) => {
                slot.clear();
                for item in items {
                    match item {
                        Value::Null => slot.push(None),
                        Value::Object(m) => {
                            let mut mt = Maintainer::default();
                            for (key, value) in m {
                                match field_for(key, &["name", "email", "url"]) {
                                    Some("name") => self.string(
                                        value,
                                        &mut mt.name,
                                        "Maintainer",
                                        &[path, &["name"]].concat(),
                                    ),
                                    Some("email") => self.string(
                                        value,
                                        &mut mt.email,
                                        "Maintainer",
                                        &[path, &["email"]].concat(),
                                    ),
                                    Some("url") => self.string(
                                        value,
                                        &mut mt.url,
                                        "Maintainer",
                                        &[path, &["url"]].concat(),
                                    ),
                                    _ => {}
                                }
                            }
                            slot.push(Some(mt));
                        }
                        other => {
                            self.mismatch(other, "Metadata", path, &elem);
                            slot.push(Some(Maintainer::default()));
                        }
                    }
                }
            }
            other => self.mismatch(other, "Metadata", path, &format!("[]*{elem}")),
        }
    }

    fn dependencies(
        &mut self,
        v: &Value,
        slot: &mut Vec<Option<Dependency>>,
        strukt: &str,
        path: &[&str],
    ) {
        let elem = format!("{}.Dependency", self.package.name());
        match v {
            Value::Null => slot.clear(),
            Value::Array(items) => {
                slot.clear();
                for item in items {
                    match item {
                        Value::Null => slot.push(None),
                        Value::Object(m) => slot.push(Some(self.dependency(m, path))),
                        other => {
                            self.mismatch(other, strukt, path, &elem);
                            slot.push(Some(Dependency::default()));
                        }
                    }
                }
            }
            other => self.mismatch(other, strukt, path, &format!("[]*{elem}")),
        }
    }

    fn dependency(&mut self, m: &Map<String, Value>, path: &[&str]) -> Dependency {
        const FIELDS: &[&str] = &[
            "name",
            "version",
            "repository",
            "condition",
            "tags",
            "enabled",
            "import-values",
            "alias",
        ];
        let mut d = Dependency::default();
        for (key, value) in m {
            let Some(field) = field_for(key, FIELDS) else {
                continue;
            };
            let p = [path, &[field]].concat();
            let s = "Dependency";
            match field {
                "name" => self.string(value, &mut d.name, s, &p),
                "version" => self.string(value, &mut d.version, s, &p),
                "repository" => self.string(value, &mut d.repository, s, &p),
                "condition" => self.string(value, &mut d.condition, s, &p),
                "tags" => self.strings(value, &mut d.tags, s, &p),
                "enabled" => self.boolean(value, &mut d.enabled, s, &p),
                "import-values" => self.any_list(value, &mut d.import_values, s, &p),
                _ => self.string(value, &mut d.alias, s, &p),
            }
        }
        d
    }

    fn metadata(&mut self, m: &Map<String, Value>, raw: &mut RawMetadata) {
        const FIELDS: &[&str] = &[
            "name",
            "home",
            "sources",
            "version",
            "description",
            "keywords",
            "maintainers",
            "icon",
            "apiVersion",
            "condition",
            "tags",
            "appVersion",
            "deprecated",
            "annotations",
            "kubeVersion",
            "dependencies",
            "type",
        ];
        let s = "Metadata";
        for (key, value) in m {
            let Some(field) = field_for(key, FIELDS) else {
                continue;
            };
            let p = [field];
            let md = &mut raw.meta;
            match field {
                "name" => self.string(value, &mut md.name, s, &p),
                "home" => self.string(value, &mut md.home, s, &p),
                "sources" => self.strings(value, &mut md.sources, s, &p),
                "version" => self.string(value, &mut md.version, s, &p),
                "description" => self.string(value, &mut md.description, s, &p),
                "keywords" => self.strings(value, &mut md.keywords, s, &p),
                "maintainers" => self.maintainers(value, &mut raw.maintainers, &p),
                "icon" => self.string(value, &mut md.icon, s, &p),
                "apiVersion" => self.string(value, &mut md.api_version, s, &p),
                "condition" => self.string(value, &mut md.condition, s, &p),
                "tags" => self.string(value, &mut md.tags, s, &p),
                "appVersion" => self.string(value, &mut md.app_version, s, &p),
                "deprecated" => self.boolean(value, &mut md.deprecated, s, &p),
                "annotations" => self.string_map(value, &mut md.annotations, s, &p),
                "kubeVersion" => self.string(value, &mut md.kube_version, s, &p),
                "dependencies" => self.dependencies(value, &mut raw.dependencies, s, &p),
                _ => self.string(value, &mut md.chart_type, s, &p),
            }
        }
    }
}

/// `encoding/json`'s field lookup: an exact name match, or else the first field whose name
/// equals the key ignoring case (Go folds with Unicode simple folding; for these ASCII names
/// that means the key, folded, equals the name, and `K` (U+212A) and `ſ` (U+017F) fold to
/// `k` and `s`).
fn field_for(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    if let Some(f) = fields.iter().find(|f| **f == key) {
        return Some(f);
    }
    fields.iter().copied().find(|f| fold_equal(key, f))
}

fn fold_equal(key: &str, name: &str) -> bool {
    let mut k = key.chars();
    for n in name.chars() {
        let Some(c) = k.next() else {
            return false;
        };
        let c = match c {
            '\u{212A}' => 'k',
            '\u{017F}' => 's',
            c if c.is_ascii() => c.to_ascii_lowercase(),
            _ => return false,
        };
        if c != n.to_ascii_lowercase() {
            return false;
        }
    }
    k.next().is_none()
}

/// sigs.k8s.io/yaml's conversion of a YAML number or boolean whose target field is a Go
/// string (`convertToJSONableObject`): booleans as `true`/`false`, integers in decimal,
/// floats with `strconv.FormatFloat(f, 'g', -1, 32)`. The codec hands over every number as
/// an `f64`, so an integral value (below 2^53) is taken to have been a YAML integer.
fn scalar_as_string(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return i.to_string();
            }
            if let Some(u) = n.as_u64() {
                return u.to_string();
            }
            let f = n.as_f64().unwrap_or_default();
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                // Integral and exactly representable: written as an integer in YAML.
                return format!("{}", f as i64);
            }
            format_g32(f)
        }
        _ => String::new(),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that round-trip through
/// float32, in `%e` form when the exponent is below -4 or at least 6 (shortest precision).
fn format_g32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde[-]x`.
    let e = format!("{x:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
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
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        return format!("{sign}0.{}{digits}", "0".repeat((-point) as usize));
    }
    let point = point as usize;
    if digits.len() <= point {
        return format!("{sign}{digits}{}", "0".repeat(point - digits.len()));
    }
    format!("{sign}{}.{}", &digits[..point], &digits[point..])
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Decodes one YAML document into JSON data as sigs.k8s.io/yaml `Unmarshal` does before
/// applying the Go type: `Ok(Value::Null)` for an empty document, `Err(text)` with Helm's
/// error text for YAML that cannot be read.
fn yaml_to_json(text: &str) -> Result<Value, String> {
    // `from_yaml` reports failures as a map holding only an "Error" string; a document that
    // is not a map is reported the same way, which for our callers is an error as well
    // (the type named differs and is fixed up by the caller).
    let map = match crate::codec::yaml::from_yaml(text) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if map.len() == 1
        && let Some(Value::String(e)) = map.get("Error")
        && (e.starts_with("error converting YAML to JSON:")
            || e.starts_with("error unmarshaling JSON:"))
    {
        return Err(e.clone());
    }
    Ok(Value::Object(map))
}

fn unmarshal_error(text: String, go_type: &str) -> String {
    // from_yaml names `map[string]interface {}` as the target when the document is not a
    // map; Helm's target is the chart struct.
    text.replace("map[string]interface {}", go_type)
}

/// Decodes `Chart.yaml` (or `requirements.yaml`) text into `raw`, keeping what is already
/// there for keys the text does not mention (Helm unmarshals `requirements.yaml` into the
/// metadata read from `Chart.yaml`).
///
/// # Errors
/// `cannot load FILE: <sigs.k8s.io/yaml error>`, e.g. `cannot load Chart.yaml: error
/// unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field
/// Metadata.version of type string`.
pub(crate) fn decode_metadata(
    file: &str,
    text: &str,
    raw: &mut RawMetadata,
    package: Package,
) -> Result<(), LoadError> {
    let go_type = format!("{}.Metadata", package.name());
    let fail = |message: String| LoadError::Parse {
        file: file.to_owned(),
        message,
    };
    let json = yaml_to_json(text).map_err(|e| fail(unmarshal_error(e, &go_type)))?;
    let mut decoder = Decoder {
        package,
        first_error: None,
    };
    match &json {
        Value::Object(m) => decoder.metadata(m, raw),
        Value::Null => {}
        other => {
            return Err(fail(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type {go_type}",
                kind(other)
            )));
        }
    }
    match decoder.first_error {
        Some(e) => Err(fail(format!(
            "error unmarshaling JSON: while decoding JSON: {e}"
        ))),
        None => Ok(()),
    }
}

/// Reads only `apiVersion` from `Chart.yaml`, as Helm's loader does to pick the chart
/// version (into its `chartBase` struct, pkg/chart/loader/load.go).
///
/// # Errors
/// `cannot load Chart.yaml: …` for unreadable YAML or a non-string apiVersion.
pub(crate) fn decode_api_version(text: &str) -> Result<String, LoadError> {
    let fail = |message: String| LoadError::Parse {
        file: "Chart.yaml".to_owned(),
        message,
    };
    let json = yaml_to_json(text).map_err(|e| fail(unmarshal_error(e, "loader.chartBase")))?;
    let mut decoder = Decoder {
        package: Package::V2,
        first_error: None,
    };
    let mut api = String::new();
    match &json {
        Value::Object(m) => {
            for (key, value) in m {
                if field_for(key, &["apiVersion"]).is_some() {
                    decoder.string(value, &mut api, "chartBase", &["apiVersion"]);
                }
            }
        }
        Value::Null => {}
        other => {
            return Err(fail(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type loader.chartBase",
                kind(other)
            )));
        }
    }
    match decoder.first_error {
        Some(e) => Err(fail(format!(
            "error unmarshaling JSON: while decoding JSON: {e}"
        ))),
        None => Ok(api),
    }
}

/// Decodes a lock file (`Chart.lock` / `requirements.lock`).
///
/// `generated` must be a JSON string (Go's `time.Time` reads RFC 3339 text); it is kept as
/// written. `null` list items in `dependencies` are dropped.
///
/// # Errors
/// `cannot load FILE: …` as for [`decode_metadata`].
pub(crate) fn decode_lock(file: &str, text: &str, package: Package) -> Result<Lock, LoadError> {
    let go_type = format!("{}.Lock", package.name());
    let fail = |message: String| LoadError::Parse {
        file: file.to_owned(),
        message,
    };
    let json = yaml_to_json(text).map_err(|e| fail(unmarshal_error(e, &go_type)))?;
    let mut lock = Lock::default();
    let mut decoder = Decoder {
        package,
        first_error: None,
    };
    match &json {
        Value::Object(m) => {
            for (key, value) in m {
                match field_for(key, &["generated", "digest", "dependencies"]) {
                    Some("generated") => match value {
                        Value::Null => {}
                        Value::String(s) if is_rfc3339(s) => lock.generated = s.clone(),
                        Value::String(s) => {
                            return Err(fail(format!(
                                "error unmarshaling JSON: while decoding JSON: parsing time {:?} as \"2006-01-02T15:04:05Z07:00\": not RFC 3339",
                                s
                            )));
                        }
                        _ => {
                            return Err(fail(
                                "error unmarshaling JSON: while decoding JSON: Time.UnmarshalJSON: input is not a JSON string".to_owned(),
                            ));
                        }
                    },
                    Some("digest") => decoder.string(value, &mut lock.digest, "Lock", &["digest"]),
                    Some("dependencies") => {
                        let mut deps = Vec::new();
                        decoder.dependencies(value, &mut deps, "Lock", &["dependencies"]);
                        lock.dependencies = deps.into_iter().flatten().collect();
                    }
                    _ => {}
                }
            }
        }
        Value::Null => {}
        other => {
            return Err(fail(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type *{go_type}",
                kind(other)
            )));
        }
    }
    match decoder.first_error {
        Some(e) => Err(fail(format!(
            "error unmarshaling JSON: while decoding JSON: {e}"
        ))),
        None => Ok(lock),
    }
}

/// The shape Go's `time.Parse(time.RFC3339, …)` accepts: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] | [b'z'] => true,
        [sign, h1, h2, b':', m1, m2] if *sign == b'+' || *sign == b'-' => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
        }
        _ => false,
    }
}

/// Go's `unicode.IsSpace` for the characters Helm's `sanitizeString` turns into spaces.
fn go_is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
fn go_is_print(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
    )
}

/// Helm's `sanitizeString`: whitespace becomes a space, other unprintable characters go.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if go_is_space(c) {
                Some(' ')
            } else if go_is_print(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

fn sanitize_in_place(s: &mut String) {
    if s.chars()
        .any(|c| c == ' ' || go_is_space(c) || !go_is_print(c))
    {
        *s = sanitize(s);
    }
}

/// Helm's `Metadata.Validate` (which also sanitizes strings in place), turning the loading
/// form into the model's `Metadata`.
///
/// # Errors
/// [`LoadError::Validation`] with Helm's text (shown as `validation: …`), in Helm's order:
/// apiVersion, name, version, type, maintainers, dependencies (null entries, alias characters,
/// duplicate names or aliases).
pub(crate) fn validate(raw: RawMetadata) -> Result<Metadata, LoadError> {
    let RawMetadata {
        mut meta,
        maintainers,
        dependencies,
    } = raw;
    let invalid = |m: String| LoadError::Validation { message: m };
    for s in [
        &mut meta.name,
        &mut meta.description,
        &mut meta.home,
        &mut meta.icon,
        &mut meta.condition,
        &mut meta.tags,
        &mut meta.app_version,
        &mut meta.kube_version,
    ] {
        sanitize_in_place(s);
    }
    meta.sources.iter_mut().for_each(sanitize_in_place);
    meta.keywords.iter_mut().for_each(sanitize_in_place);

    if meta.api_version.is_empty() {
        return Err(invalid("chart.metadata.apiVersion is required".into()));
    }
    if meta.name.is_empty() {
        return Err(invalid("chart.metadata.name is required".into()));
    }
    if meta.name == "." || meta.name == ".." {
        return Err(invalid(format!(
            "chart.metadata.name {} is not allowed",
            go_quote(&meta.name)
        )));
    }
    if meta.name != go_base(&meta.name) {
        return Err(invalid(format!(
            "chart.metadata.name {} is invalid",
            go_quote(&meta.name)
        )));
    }
    if meta.version.is_empty() {
        return Err(invalid("chart.metadata.version is required".into()));
    }
    if crate::semver::Version::parse(&meta.version).is_err() {
        return Err(invalid(format!(
            "chart.metadata.version {} is invalid",
            go_quote(&meta.version)
        )));
    }
    if !matches!(meta.chart_type.as_str(), "" | "application" | "library") {
        return Err(invalid(
            "chart.metadata.type must be application or library".into(),
        ));
    }
    meta.maintainers.clear();
    for m in maintainers {
        let Some(mut m) = m else {
            return Err(invalid(
                "maintainers must not contain empty or null nodes".into(),
            ));
        };
        sanitize_in_place(&mut m.name);
        sanitize_in_place(&mut m.email);
        sanitize_in_place(&mut m.url);
        meta.maintainers.push(m);
    }
    meta.dependencies.clear();
    let mut seen = std::collections::HashSet::new();
    for d in dependencies {
        let Some(mut d) = d else {
            return Err(invalid(
                "dependencies must not contain empty or null nodes".into(),
            ));
        };
        sanitize_in_place(&mut d.name);
        sanitize_in_place(&mut d.version);
        sanitize_in_place(&mut d.repository);
        sanitize_in_place(&mut d.condition);
        d.tags.iter_mut().for_each(sanitize_in_place);
        if !d.alias.is_empty()
            && !d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(invalid(format!(
                "dependency {} has disallowed characters in the alias",
                go_quote(&d.name)
            )));
        }
        let key = if d.alias.is_empty() {
            d.name.clone()
        } else {
            d.alias.clone()
        };
        if !seen.insert(key.clone()) {
            return Err(invalid(format!(
                "more than one dependency with name or alias {}",
                go_quote(&key)
            )));
        }
        meta.dependencies.push(d);
    }
    Ok(meta)
}

impl RawMetadata {
    /// Sets the apiVersion (Helm defaults an empty one to `v1`/`v3` after reading Chart.yaml).
    pub(crate) fn api_version_mut(&mut self) -> &mut String {
        &mut self.meta.api_version
    }
}

/// Go's `filepath.Base` on Unix: the last element after trailing slashes are removed.
fn go_base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Go's `%q` of a string.
fn go_quote(s: &str) -> String {
    crate::template::gofmt::go_quote(s)
}

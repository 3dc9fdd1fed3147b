//! `values.schema.json` validation as Helm 4.3.1 does it
//! (`pkg/chart/common/util/jsonschema.go`: `ValidateAgainstSchema`,
//! `ValidateAgainstSingleSchema`), with the `boon` crate standing in for
//! github.com/santhosh-tekuri/jsonschema v6 (same author, same semantics: draft 2020-12 unless
//! `$schema` says otherwise, formats not asserted from draft 2019-09 on).
//!
//! Error text follows jsonschema v6's `ValidationError.Error()` with Helm's trimming: one line
//! per failure, `- at '<JSON pointer>': <message>`, nested causes indented by two spaces, a
//! `$ref` with a single cause folded into it; each chart's block starts with `<chart name>:`.
//!
//! Differences: Helm fetches `$ref`s to `http(s)://` and `file://` URLs; here nothing is
//! fetched (pure code), so such references fail to compile. `urn:` references resolve to the
//! permissive `true` schema, as Helm's default resolver does.

use std::error::Error as _;

use boon::{Compiler, ErrorKind, Schemas, ValidationError};
use serde_json::{Map, Value};

use super::gofmt;
use crate::chart::model::Chart;

/// The location Helm registers each schema under.
const SCHEMA_URL: &str = "file:///values.schema.json";

/// Validation failed for the chart or a subchart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Values break one or more schemas, or a schema could not be used. `report` is Helm's
    /// text: per failing chart `<name>:` and its failures (see module docs).
    #[error("{report}")]
    Invalid {
        /// Helm's report, as printed after `values don't meet the specifications of the
        /// schema(s) in the following chart(s):`.
        report: String,
    },
}

/// Helm's `ValidateAgainstSchema`: `values` against the chart's schema, then each subchart's
/// table against that subchart's schema, recursively (a subchart whose table is missing or
/// `null` is skipped; one that is not a map is reported).
///
/// # Errors
/// [`SchemaError::Invalid`] with the combined report.
pub fn validate_against_schema(
    chart: &Chart,
    values: &Map<String, Value>,
) -> Result<(), SchemaError> {
    let mut report = String::new();
    collect(chart, values, &mut report);
    if report.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Invalid { report })
    }
}

fn collect(chart: &Chart, values: &Map<String, Value>, report: &mut String) {
    if let Some(schema) = &chart.schema
        && let Err(text) = validate_against_single_schema(values, schema)
    {
        report.push_str(chart.name());
        report.push_str(":\n");
        report.push_str(&text);
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Null) => {}
            Some(Value::Object(sub_values)) => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || collect(sub, sub_values, report));
            }
            Some(other) => {
                report.push_str(&format!(
                    "{}:\ninvalid type for values: expected object (map), got {}\n",
                    sub.name(),
                    gofmt::type_name(other)
                ));
            }
        }
    }
}

/// Helm's `ValidateAgainstSingleSchema`: `values` against one schema document.
///
/// # Errors
/// The failure text Helm appends after the chart name: the validation report ending in a
/// newline, or the schema's parse or compile error (no newline, as in Helm).
pub fn validate_against_single_schema(
    values: &Map<String, Value>,
    schema: &[u8],
) -> Result<(), String> {
    let text = String::from_utf8_lossy(schema);
    let document = crate::codec::json::parse(&text).map_err(|e| e.to_string())?;
    let mut compiler = Compiler::new();
    compiler.use_loader(Box::new(NoFetch));
    compiler
        .add_resource(SCHEMA_URL, document)
        .map_err(|e| e.to_string())?;
    let mut schemas = Schemas::new();
    let index = compiler
        .compile(SCHEMA_URL, &mut schemas)
        .map_err(|e| compile_message(&e))?;
    let instance = Value::Object(values.clone());
    match schemas.validate(&instance, index) {
        Ok(()) => Ok(()),
        Err(error) => {
            let mut out = String::new();
            display(&error, 0, &mut out);
            // Helm drops the first line ("jsonschema validation failed with '…#'") and adds
            // a newline.
            let body = match out.split_once('\n') {
                Some((_, rest)) => rest.to_owned(),
                None => String::new(),
            };
            Err(body + "\n")
        }
    }
}

fn compile_message(error: &boon::CompileError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Resolves `urn:` references to `true` and refuses everything else (no I/O here).
struct NoFetch;

impl boon::UrlLoader for NoFetch {
    fn load(&self, url: &str) -> Result<Value, Box<dyn std::error::Error>> {
        if url.starts_with("urn:") {
            return Ok(Value::Bool(true));
        }
        Err(format!("loading {url} is not supported").into())
    }
}

/// jsonschema v6's `ValidationError.display` (non-verbose).
///
/// boon reports an `allOf` in which a single subschema fails as that subschema's error
/// alone, where jsonschema v6 keeps an `'allOf' failed` node above it. Such a node is put
/// back wherever the keyword path from an error to its cause passes through `allOf/N`
/// ([`all_of_locations`]).
fn display(error: &ValidationError<'_, '_>, indent: usize, out: &mut String) {
    let skip = error.causes.len() == 1 && matches!(error.kind, ErrorKind::Reference { .. });
    let mut indent = indent;
    if !skip {
        if indent > 0 {
            line_start(indent, out);
        }
        indent += 1;
        if let ErrorKind::Schema { url } = &error.kind {
            out.push_str("jsonschema validation failed with ");
            out.push_str(&quote(url));
        } else {
            out.push_str("at ");
            out.push_str(&quote(&error.instance_location.to_string()));
            out.push_str(": ");
            out.push_str(&message(&error.kind));
        }
    }
    // Keyword locations of causes continue the error's own (a reference's continue its
    // target).
    let base = match &error.kind {
        ErrorKind::Reference { url, .. } => *url,
        _ => error.schema_url,
    };
    let paths: Vec<Option<Vec<Step<'_>>>> = error
        .causes
        .iter()
        .map(|c| keyword_steps(base, c.schema_url))
        .collect();
    // At the top boon unwraps a group of errors, also one found below an `allOf` it
    // flattened; the steps all causes share then lead to that group's "validation failed"
    // node.
    let mut shared = 0;
    if matches!(error.kind, ErrorKind::Schema { .. })
        && error.causes.len() > 1
        && let Some(first) = paths.first().and_then(Option::as_ref)
    {
        shared = (0..first.len())
            .take_while(|&i| {
                paths
                    .iter()
                    .all(|p| p.as_ref().is_some_and(|p| p.get(i) == first.get(i)))
            })
            .count();
        // The group sits where the causes' instance locations still agree.
        let causes: Vec<(&Vec<Step<'_>>, Vec<String>)> = paths
            .iter()
            .zip(&error.causes)
            .filter_map(|(p, c)| p.as_ref().map(|p| (p, pointer_tokens(c))))
            .collect();
        while shared > 0 && {
            let at = |(p, t): &(&Vec<Step<'_>>, Vec<String>)| location_before(p, t, shared);
            let first_at = causes.first().map(at);
            causes.iter().any(|c| Some(at(c)) != first_at)
        } {
            shared -= 1;
        }
        // Only a group below a flattened `allOf` is lost: jsonschema v6 too shows the
        // causes of a single group at the top without the group.
        if !first[..shared].iter().any(|s| s.all_of) {
            shared = 0;
        }
    }
    if shared > 0
        && let (Some(Some(first)), Some(cause)) = (paths.first(), error.causes.first())
    {
        let tokens = pointer_tokens(cause);
        for location in all_of_locations(first, &tokens, 0, shared) {
            line_start(indent, out);
            out.push_str(&format!("at {}: 'allOf' failed", quote(&location)));
            indent += 1;
        }
        line_start(indent, out);
        let group = location_before(first, &tokens, shared);
        out.push_str(&format!("at {}: validation failed", quote(&group)));
        indent += 1;
    }
    for (cause, path) in error.causes.iter().zip(&paths) {
        let mut cause_indent = indent;
        if let Some(path) = path {
            let tokens = pointer_tokens(cause);
            for location in all_of_locations(path, &tokens, shared, path.len()) {
                line_start(cause_indent, out);
                out.push_str(&format!("at {}: 'allOf' failed", quote(&location)));
                cause_indent += 1;
            }
        }
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            display(cause, cause_indent, out);
        });
    }
}

fn line_start(indent: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..indent.saturating_sub(1) {
        out.push_str("  ");
    }
    out.push_str("- ");
}

/// One step of a keyword path: its tokens (`properties/x`, `allOf/0`, `items`), whether it
/// moves into the instance, and whether it is an `allOf` subschema.
#[derive(Debug, PartialEq, Eq)]
struct Step<'a> {
    tokens: Vec<&'a str>,
    descends: bool,
    all_of: bool,
}

/// The steps of the keyword path from `base` to `url` (`None` when `url` is not under
/// `base`).
fn keyword_steps<'a>(base: &str, url: &'a str) -> Option<Vec<Step<'a>>> {
    let rel = url.strip_prefix(base)?;
    if !rel.is_empty() && !rel.starts_with('/') {
        return None;
    }
    let parts: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let (width, descends) = match parts[i] {
            "properties" | "patternProperties" | "prefixItems" => (2, true),
            "items"
            | "additionalProperties"
            | "additionalItems"
            | "contains"
            | "unevaluatedItems"
            | "unevaluatedProperties" => (1, true),
            "dependentSchemas" | "dependencies" | "$defs" | "definitions" => (2, false),
            "allOf" | "anyOf" | "oneOf"
                if parts.get(i + 1).is_some_and(|p| p.parse::<usize>().is_ok()) =>
            {
                (2, false)
            }
            _ => (1, false),
        };
        let end = (i + width).min(parts.len());
        steps.push(Step {
            tokens: parts[i..end].to_vec(),
            descends,
            all_of: parts[i] == "allOf" && width == 2,
        });
        i = end;
    }
    Some(steps)
}

fn pointer_tokens(error: &ValidationError<'_, '_>) -> Vec<String> {
    error
        .instance_location
        .to_string()
        .split('/')
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// The instance location where step `at` of `steps` applies, given the instance tokens of
/// the error at the end of the steps.
fn location_before(steps: &[Step<'_>], tokens: &[String], at: usize) -> String {
    let after = steps[at..].iter().filter(|s| s.descends).count();
    let keep = tokens.len().saturating_sub(after);
    tokens[..keep].iter().map(|t| format!("/{t}")).collect()
}

/// The locations of the `allOf`s boon flattened among `steps[from..to]` (an `allOf` in
/// which one subschema failed is reported as that subschema's error alone; jsonschema v6
/// keeps an `'allOf' failed` node), outermost first.
fn all_of_locations(steps: &[Step<'_>], tokens: &[String], from: usize, to: usize) -> Vec<String> {
    (from..to)
        .filter(|&i| steps[i].all_of)
        .map(|i| location_before(steps, tokens, i + 1))
        .collect()
}

/// jsonschema v6's `quote`: Go `%q` with `"` unescaped and `'` escaped, in single quotes.
fn quote(text: &str) -> String {
    let q = gofmt::quote(text);
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

fn join_quoted<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| quote(s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// jsonschema v6's `display` of a primitive value.
fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => quote(s),
        Value::Array(_) | Value::Object(_) => "value".to_owned(),
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_v(n),
    }
}

/// A JSON number as jsonschema v6 prints it with `%v` (a `json.Number` keeps its digits).
fn number_v(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => gofmt::float_v(f),
        _ => n.to_string(),
    }
}

/// A bound as Helm prints it: the `big.Rat` converted to float64, then `%v` through
/// golang.org/x/text's English printer (`70,000`, `1.5×10⁻⁰⁷`).
fn bound_v(n: &serde_json::Number) -> String {
    let plain = gofmt::float_v(n.as_f64().unwrap_or(0.0));
    match plain.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.split_at(1) {
                ("-", d) => ("⁻", d),
                (_, d) => ("", d),
            };
            let superscript: String = digits
                .chars()
                .map(|c| match c {
                    '0' => '⁰',
                    '1' => '¹',
                    '2' => '²',
                    '3' => '³',
                    '4' => '⁴',
                    '5' => '⁵',
                    '6' => '⁶',
                    '7' => '⁷',
                    '8' => '⁸',
                    _ => '⁹',
                })
                .collect();
            format!("{mantissa}×10{sign}{superscript}")
        }
        None => {
            let (int_part, fraction) = match plain.split_once('.') {
                Some((i, f)) => (i, Some(f)),
                None => (plain.as_str(), None),
            };
            let mut out = group(int_part);
            if let Some(f) = fraction {
                out.push('.');
                out.push_str(f);
            }
            out
        }
    }
}

/// An integer as x/text's English printer writes `%d`: digits grouped by three with commas.
fn group(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn int_d(n: usize) -> String {
    group(&n.to_string())
}

/// jsonschema v6's `kind.*.LocalizedString` texts (English).
fn message(kind: &ErrorKind<'_, '_>) -> String {
    match kind {
        ErrorKind::Group | ErrorKind::Reference { .. } => "validation failed".to_owned(),
        ErrorKind::Schema { url } => format!("jsonschema validation failed with {}", quote(url)),
        ErrorKind::ContentSchema => "'contentSchema' failed".to_owned(),
        ErrorKind::PropertyName { prop } => format!("invalid propertyName {}", quote(prop)),
        ErrorKind::RefCycle {
            url,
            kw_loc1,
            kw_loc2,
        } => format!(
            "both {kw_loc1} and {kw_loc2} resolve to {} causing reference cycle",
            gofmt::quote(url)
        ),
        ErrorKind::FalseSchema => "false schema".to_owned(),
        ErrorKind::Type { got, want } => {
            let want: Vec<String> = want.iter().map(|t| t.to_string()).collect();
            format!("got {got}, want {}", want.join(" or "))
        }
        ErrorKind::Enum { want } => {
            if want.iter().any(|v| v.is_array() || v.is_object()) {
                "'enum' failed".to_owned()
            } else if want.len() == 1 {
                format!("value must be {}", display_value(&want[0]))
            } else {
                let items: Vec<String> = want.iter().map(display_value).collect();
                format!("value must be one of {}", items.join(", "))
            }
        }
        ErrorKind::Const { want } => {
            if want.is_array() || want.is_object() {
                "'const' failed".to_owned()
            } else {
                format!("value must be {}", display_value(want))
            }
        }
        ErrorKind::Format { got, want, err } => {
            format!("{} is not valid {want}: {err}", display_value(got))
        }
        ErrorKind::MinProperties { got, want } => {
            format!("minProperties: got {}, want {}", int_d(*got), int_d(*want))
        }
        ErrorKind::MaxProperties { got, want } => {
            format!("maxProperties: got {}, want {}", int_d(*got), int_d(*want))
        }
        ErrorKind::AdditionalProperties { got } => {
            format!("additional properties {} not allowed", join_quoted(got))
        }
        ErrorKind::Required { want } => {
            if want.len() == 1 {
                format!("missing property {}", quote(want[0]))
            } else {
                format!("missing properties {}", join_quoted(want))
            }
        }
        ErrorKind::Dependency { prop, missing }
        | ErrorKind::DependentRequired { prop, missing } => {
            format!(
                "properties {} required, if {} exists",
                join_quoted(missing),
                quote(prop)
            )
        }
        ErrorKind::MinItems { got, want } => {
            format!("minItems: got {}, want {}", int_d(*got), int_d(*want))
        }
        ErrorKind::MaxItems { got, want } => {
            format!("maxItems: got {}, want {}", int_d(*got), int_d(*want))
        }
        ErrorKind::Contains => "no items match contains schema".to_owned(),
        ErrorKind::MinContains { got, want } => {
            if got.is_empty() {
                format!(
                    "min {} items required to match contains schema, but none matched",
                    int_d(*want)
                )
            } else {
                format!(
                    "min {} items required to match contains schema, but matched {} items at {}",
                    int_d(*want),
                    int_d(got.len()),
                    join_numbers(got)
                )
            }
        }
        ErrorKind::MaxContains { got, want } => format!(
            "max {} items required to match contains schema, but matched {} items at {}",
            int_d(*want),
            int_d(got.len()),
            join_numbers(got)
        ),
        ErrorKind::UniqueItems { got } => {
            format!("items at {} and {} are equal", int_d(got[0]), int_d(got[1]))
        }
        ErrorKind::AdditionalItems { got } => {
            format!("last {} additionalItem(s) not allowed", int_d(*got))
        }
        ErrorKind::MinLength { got, want } => {
            format!("minLength: got {}, want {}", int_d(*got), int_d(*want))
        }
        ErrorKind::MaxLength { got, want } => {
            format!("maxLength: got {}, want {}", int_d(*got), int_d(*want))
        }
        ErrorKind::Pattern { got, want } => {
            format!("{} does not match pattern {}", quote(got), quote(want))
        }
        ErrorKind::ContentEncoding { want, err } => {
            format!("value is not {} encoded: {err}", quote(want))
        }
        ErrorKind::ContentMediaType { want, err, .. } => {
            format!("value is not of mediatype {}: {err}", quote(want))
        }
        ErrorKind::Minimum { got, want } => {
            format!("minimum: got {}, want {}", bound_v(got), bound_v(want))
        }
        ErrorKind::Maximum { got, want } => {
            format!("maximum: got {}, want {}", bound_v(got), bound_v(want))
        }
        ErrorKind::ExclusiveMinimum { got, want } => {
            format!(
                "exclusiveMinimum: got {}, want {}",
                bound_v(got),
                bound_v(want)
            )
        }
        ErrorKind::ExclusiveMaximum { got, want } => {
            format!(
                "exclusiveMaximum: got {}, want {}",
                bound_v(got),
                bound_v(want)
            )
        }
        ErrorKind::MultipleOf { got, want } => {
            format!("multipleOf: got {}, want {}", bound_v(got), bound_v(want))
        }
        ErrorKind::Not => "'not' failed".to_owned(),
        ErrorKind::AllOf => "'allOf' failed".to_owned(),
        ErrorKind::AnyOf => "'anyOf' failed".to_owned(),
        ErrorKind::OneOf(None) => "'oneOf' failed, none matched".to_owned(),
        ErrorKind::OneOf(Some((i, j))) => {
            format!(
                "'oneOf' failed, subschemas {}, {} matched",
                int_d(*i),
                int_d(*j)
            )
        }
    }
}

fn join_numbers(items: &[usize]) -> String {
    items
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

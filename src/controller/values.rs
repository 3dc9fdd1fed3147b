//! Composing a HelmRelease's user values: `valuesFrom` entries in list order, then
//! `spec.values`, as Flux helm-controller's `chartutil.ChartValuesFromReferences` does.
//!
//! A whole-document entry (no `targetPath`) is YAML merged deeply over what came before (maps
//! merge key by key, anything else replaces); an entry with `targetPath` sets one value at
//! that path with Helm's `--set` parser (`a.b[0].c=value`). The result is the release's
//! `config`: what Helm stores as user-supplied values, coalesced with the chart's defaults at
//! render time.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::api::helm_release::{DEFAULT_VALUES_KEY, ValuesKind, ValuesReference};

/// Why the values could not be composed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ValuesError {
    /// A referenced ConfigMap or Secret does not exist (and the reference is not optional).
    #[error("{kind} {name} referenced in spec.valuesFrom not found")]
    NotFound {
        /// `ConfigMap` or `Secret`.
        kind: &'static str,
        /// The object's name.
        name: String,
    },
    /// The object exists but lacks the key (and the reference is not optional).
    #[error("{kind} {name} has no key {key:?} (spec.valuesFrom valuesKey)")]
    MissingKey {
        /// `ConfigMap` or `Secret`.
        kind: &'static str,
        /// The object's name.
        name: String,
        /// The key.
        key: String,
    },
    /// The entry is not a YAML mapping.
    #[error("{kind} {name} key {key:?} is not a YAML mapping of values: {problem}")]
    InvalidYaml {
        /// `ConfigMap` or `Secret`.
        kind: &'static str,
        /// The object's name.
        name: String,
        /// The key.
        key: String,
        /// The parser's message.
        problem: String,
    },
    /// The `targetPath` does not parse.
    #[error("invalid targetPath {path:?} for {kind} {name}: {problem}")]
    TargetPath {
        /// `ConfigMap` or `Secret`.
        kind: &'static str,
        /// The object's name.
        name: String,
        /// The path.
        path: String,
        /// The parser's message.
        problem: String,
    },
    /// `spec.values` is not a mapping.
    #[error("spec.values must be a mapping")]
    NotAMapping,
}

/// The data of one referenced object: `None` when it does not exist; key → bytes otherwise
/// (ConfigMap `data` as UTF-8, `binaryData` and Secret `data` decoded).
pub type SourceData = Option<BTreeMap<String, Vec<u8>>>;

fn kind_name(kind: ValuesKind) -> &'static str {
    match kind {
        ValuesKind::ConfigMap => "ConfigMap",
        ValuesKind::Secret => "Secret",
    }
}

/// Composes the values. `lookup(kind, name)` returns the referenced object's data (the caller
/// reads them from the API; a missing object is `None`).
///
/// # Errors
/// [`ValuesError`] naming the reference at fault.
pub fn compose(
    references: &[ValuesReference],
    inline: Option<&Value>,
    mut lookup: impl FnMut(ValuesKind, &str) -> SourceData,
) -> Result<Map<String, Value>, ValuesError> {
    let mut result = Map::new();
    for reference in references {
        let kind = kind_name(reference.kind);
        let key = reference
            .values_key
            .clone()
            .unwrap_or_else(|| DEFAULT_VALUES_KEY.to_owned());
        let optional = reference.optional == Some(true);
        let Some(data) = lookup(reference.kind, &reference.name) else {
            if optional {
                continue;
            }
            return Err(ValuesError::NotFound {
                kind,
                name: reference.name.clone(),
            });
        };
        let Some(bytes) = data.get(&key) else {
            if optional {
                continue;
            }
            return Err(ValuesError::MissingKey {
                kind,
                name: reference.name.clone(),
                key,
            });
        };
        let text = String::from_utf8_lossy(bytes);
        if let Some(path) = &reference.target_path {
            // Flux: the value is set as with `--set path=value` (typed).
            crate::chart::values::strvals::parse_into(&format!("{path}={text}"), &mut result)
                .map_err(|e| ValuesError::TargetPath {
                    kind,
                    name: reference.name.clone(),
                    path: path.clone(),
                    problem: e.to_string(),
                })?;
            continue;
        }
        let document =
            crate::codec::yaml::load_values(&text).map_err(|e| ValuesError::InvalidYaml {
                kind,
                name: reference.name.clone(),
                key: key.clone(),
                problem: e.to_string(),
            })?;
        merge_maps(&mut result, document);
    }
    match inline {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => merge_maps(&mut result, values.clone()),
        Some(_) => return Err(ValuesError::NotAMapping),
    }
    Ok(result)
}

/// Deep merge of `overlay` into `base`: maps merge key by key, other values replace
/// (Flux's `transform.MergeMaps`).
pub fn merge_maps(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                merge_maps(existing, incoming);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// `sha256:<hex>` of values in canonical JSON (keys sorted, numbers canonical): equal values
/// give equal checksums whatever their source order and number representation.
///
/// Numbers matter because the same values arrive in two forms: YAML read like Helm (Go's
/// `float64`, so `7` is `7.0`) and a stored release record read back from JSON, where Go's
/// `encoding/json` wrote that `float64` as `7`, which parses as an integer. An integral float
/// within the 64-bit integer range therefore hashes as that integer.
pub fn checksum(values: &Map<String, Value>) -> String {
    let canonical: Map<String, Value> = values
        .iter()
        .map(|(key, value)| (key.clone(), canonical_numbers(value)))
        .collect();
    // serde_json's Map is ordered by key (no `preserve_order` feature), so this is canonical.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// `value` with every integral float in the `i64`/`u64` range replaced by the integer.
fn canonical_numbers(value: &Value) -> Value {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 => {
                // 2^63 and 2^64 are exact as floats; the ranges below are exactly i64's and u64's.
                if (0.0..18_446_744_073_709_551_616.0).contains(&float) {
                    Value::from(float as u64)
                } else if (-9_223_372_036_854_775_808.0..0.0).contains(&float) {
                    Value::from(float as i64)
                } else {
                    value.clone()
                }
            }
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(canonical_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), canonical_numbers(value)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reference(kind: ValuesKind, name: &str) -> ValuesReference {
        ValuesReference {
            kind,
            name: name.to_owned(),
            values_key: None,
            target_path: None,
            optional: None,
        }
    }

    fn data(pairs: &[(&str, &str)]) -> SourceData {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
                .collect(),
        )
    }

    #[test]
    #[allow(clippy::expect_used, reason = "test")]
    fn entries_merge_in_order_and_inline_values_win() {
        let references = vec![
            reference(ValuesKind::ConfigMap, "base"),
            ValuesReference {
                target_path: Some("image.tag".to_owned()),
                values_key: Some("tag".to_owned()),
                ..reference(ValuesKind::Secret, "pinned")
            },
        ];
        let inline = json!({"replicaCount": 3, "image": {"pullPolicy": "Always"}});
        let values = compose(&references, Some(&inline), |kind, name| {
            match (kind, name) {
                (ValuesKind::ConfigMap, "base") => data(&[(
                    "values.yaml",
                    "replicaCount: 1\nimage:\n  repository: ghcr.io/x\n  tag: old\n",
                )]),
                (ValuesKind::Secret, "pinned") => data(&[("tag", "6.0.1")]),
                _ => None,
            }
        })
        .expect("composes");
        assert_eq!(
            Value::Object(values),
            json!({"replicaCount": 3, "image": {"repository": "ghcr.io/x", "tag": "6.0.1", "pullPolicy": "Always"}})
        );
    }

    #[test]
    fn missing_sources_fail_unless_optional() {
        let required = vec![reference(ValuesKind::Secret, "gone")];
        assert_eq!(
            compose(&required, None, |_, _| None),
            Err(ValuesError::NotFound {
                kind: "Secret",
                name: "gone".to_owned()
            })
        );
        let optional = vec![ValuesReference {
            optional: Some(true),
            ..reference(ValuesKind::Secret, "gone")
        }];
        assert_eq!(compose(&optional, None, |_, _| None), Ok(Map::new()));
        let no_key = vec![reference(ValuesKind::ConfigMap, "cm")];
        assert!(matches!(
            compose(&no_key, None, |_, _| data(&[("other", "a: 1")])),
            Err(ValuesError::MissingKey { .. })
        ));
        let bad_yaml = vec![reference(ValuesKind::ConfigMap, "cm")];
        assert!(matches!(
            compose(&bad_yaml, None, |_, _| data(&[(
                "values.yaml",
                "- a\n- b\n"
            )])),
            Err(ValuesError::InvalidYaml { .. })
        ));
    }

    #[test]
    fn checksum_ignores_key_order() {
        let a: Map<String, Value> =
            serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap_or_default();
        let b: Map<String, Value> =
            serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).unwrap_or_default();
        assert_eq!(checksum(&a), checksum(&b));
        assert_ne!(checksum(&a), checksum(&Map::new()));
    }

    /// Values read from YAML (floats, as Helm's Go code has them) and the same values read
    /// back from a stored release record (the encoder writes integral floats as integers)
    /// have one checksum; otherwise every reconcile would see changed values and upgrade.
    #[test]
    fn checksum_is_the_same_after_a_release_record_round_trip() {
        let composed = compose(
            &[reference(ValuesKind::Secret, "s")],
            Some(&json!({"message": "inline", "count": 3, "ratio": 0.5, "unset": null})),
            |_, _| {
                data(&[(
                    "values.yaml",
                    "extra: 7\nnested: {list: [1, 2.5, -3, 1e21, 0.1], big: 1000000000000}\nempty: {}\nnone: []\nnothing: ~\nflag: yes\ntext: \"<ü & \\u2028>\"\ndate: 2024-01-02\n",
                )])
            },
        )
        .unwrap_or_else(|e| panic!("compose: {e}"));
        assert!(composed["extra"].is_f64(), "YAML numbers are Go float64s");
        let release = crate::release::model::Release {
            config: composed.clone(),
            ..Default::default()
        };
        let encoded = crate::release::codec::encode_release(&release)
            .unwrap_or_else(|e| panic!("encode: {e}"));
        let stored = crate::release::codec::decode_release(encoded.as_bytes())
            .unwrap_or_else(|e| panic!("decode: {e}"));
        assert_eq!(checksum(&stored.config), checksum(&composed));
        // Different values still differ.
        let mut other = composed;
        other.insert("extra".to_owned(), json!(7.5));
        assert_ne!(checksum(&stored.config), checksum(&other));
    }
}

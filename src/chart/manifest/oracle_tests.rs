//! Cases checked against Helm v4.3.1 itself: `testdata/cases.jsonl` holds rendered files,
//! `testdata/expected.jsonl` what `releaseutil.SortManifests` (with `InstallOrder`) and
//! `SplitManifests` return for them, produced by the Go oracle program kept with the
//! chartrender work (`oracle/manifest/main.go`, which calls the real Helm package).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// YAML syntax errors come from the codec's parser, whose wording (and sometimes line) differs
/// from go-yaml's (documented in `codec::yaml::YamlError::Syntax`); for those only the shape
/// `YAML parse error on PATH: error converting YAML to JSON: yaml: ` is compared.
fn same_syntax_error(got: &Value, want: &Value) -> bool {
    let prefix = |v: &Value| -> Option<String> {
        let text = v.as_str()?;
        let at = text.find(": error converting YAML to JSON: yaml: ")?;
        Some(text[..at].to_string())
    };
    match (prefix(got), prefix(want)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[test]
fn sort_and_split_match_helm() {
    let cases = include_str!("testdata/cases.jsonl");
    let expected = include_str!("testdata/expected.jsonl");
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, (case, want)) in cases.lines().zip(expected.lines()).enumerate() {
        count += 1;
        let case: Value = serde_json::from_str(case).unwrap_or_default();
        let want: Value = serde_json::from_str(want).unwrap_or_default();
        let files: BTreeMap<String, String> = case["files"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        for (path, content) in &files {
            let got = split_manifests(content);
            let wanted = strings(&want["splits"][path]);
            if got != wanted {
                failures.push(format!(
                    "case {i} split {path}: got {got:?}, want {wanted:?}"
                ));
            }
        }
        let (got, error) = match sort_manifests(&files, INSTALL_ORDER) {
            Ok(sorted) => (sorted, Value::Null),
            Err(e) => (Sorted::default(), json!(e.to_string())),
        };
        if error != want["error"] && !same_syntax_error(&error, &want["error"]) {
            failures.push(format!(
                "case {i} error: got {error}, want {}",
                want["error"]
            ));
            continue;
        }
        if error != Value::Null {
            continue;
        }
        let hooks: Vec<Value> = got
            .hooks
            .iter()
            .map(|h| {
                json!({
                    "name": h.name, "kind": h.kind, "path": h.path, "manifest": h.manifest,
                    "events": h.events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                    "weight": h.weight, "delete_policies": h.delete_policies,
                    "output_log_policies": h.output_log_policies,
                })
            })
            .collect();
        let manifests: Vec<Value> = got
            .manifests
            .iter()
            .map(|m| {
                json!({
                    "name": m.path, "content": m.content, "api_version": m.head.api_version,
                    "kind": m.head.kind, "has_metadata": m.head.metadata.is_some(),
                    "metadata_name": m.head.name(),
                })
            })
            .collect();
        if Value::Array(hooks.clone()) != want["hooks"] {
            failures.push(format!(
                "case {i} hooks:\n got  {}\n want {}",
                Value::Array(hooks),
                want["hooks"]
            ));
        }
        if Value::Array(manifests.clone()) != want["manifests"] {
            failures.push(format!(
                "case {i} manifests:\n got  {}\n want {}",
                Value::Array(manifests),
                want["manifests"]
            ));
        }
    }
    assert!(count > 90, "only {count} cases read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn crd_files_follow_helm_extension_rules() {
    assert!(is_crd_file("crds/a.yaml"));
    assert!(is_crd_file("crds/sub/a.YML"));
    assert!(is_crd_file("crds/a.Json"));
    assert!(!is_crd_file("crds/a.yaml.txt"));
    assert!(!is_crd_file("crds/README.md"));
    assert!(!is_crd_file("templates/crds/a.yaml"));
}

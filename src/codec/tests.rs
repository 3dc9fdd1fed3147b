//! Oracle corpora: every case in `testdata/*.jsonl` was run through the real Go libraries by
//! `e2e/oracles/codec` (see its main.go for the format); here each case is run through the
//! Rust codec and compared byte for byte (strings) or by typed value (decoded data, where an
//! `f64` must match a Go float64 and an integer a Go integer).

use serde_json::Value;

use super::{json, toml, yaml};

struct Outcome {
    passed: usize,
    /// Go and Rust both report a YAML syntax error but word it differently (see
    /// `YamlError::Syntax`); counted, listed, and capped below.
    syntax_wording: Vec<String>,
    failed: Vec<String>,
}

fn run_op(op: &str, input: &Value) -> Value {
    let text = || input.as_str().unwrap_or_default();
    match op {
        "toYaml" => Value::String(yaml::to_yaml(input)),
        "toYamlPretty" => Value::String(yaml::to_yaml_pretty(input)),
        "toJson" => Value::String(json::to_json(input)),
        "toToml" => Value::String(toml::to_toml(input).unwrap_or_else(|e| format!("ERROR: {e}"))),
        "fromYaml" => yaml::from_yaml(text()),
        "fromYamlArray" => yaml::from_yaml_array(text()),
        "fromJson" => json::from_json(text()),
        "fromJsonArray" => json::from_json_array(text()),
        "fromToml" => toml::from_toml(text()),
        "loadValues" => match yaml::load_values(text()) {
            Ok(values) => serde_json::json!({ "values": values }),
            Err(error) => serde_json::json!({ "error": error.to_string() }),
        },
        other => Value::String(format!("unknown op {other}")),
    }
}

/// The error text in a decoded result, if the result is an error.
fn error_text<'a>(op: &str, v: &'a Value) -> Option<&'a str> {
    match op {
        "fromYaml" => v.get("Error").and_then(Value::as_str),
        "fromYamlArray" => match v.as_array().map(Vec::as_slice) {
            Some([Value::String(s)]) if s.starts_with("error ") => Some(s),
            _ => None,
        },
        "loadValues" => v.get("error").and_then(Value::as_str),
        _ => None,
    }
}

fn is_syntax_error(text: &str) -> bool {
    // go-yaml's decode-level messages, which must match exactly.
    const DECODE: [&str; 7] = [
        "invalid map key",
        "unknown anchor",
        "excessive aliasing",
        "map merge requires",
        "cannot decode",
        "value contains itself",
        "!!binary",
    ];
    text.contains("error converting YAML to JSON: yaml: ")
        && !DECODE.iter().any(|d| text.contains(d))
}

fn run_corpus(name: &str, corpus: &str) -> Outcome {
    let mut outcome = Outcome {
        passed: 0,
        syntax_wording: Vec::new(),
        failed: Vec::new(),
    };
    for (n, line) in corpus.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Value = match serde_json::from_str(line) {
            Ok(case) => case,
            Err(e) => {
                outcome
                    .failed
                    .push(format!("{name}:{}: unreadable case: {e}", n + 1));
                continue;
            }
        };
        let op = case["op"].as_str().unwrap_or_default();
        let got = run_op(op, &case["input"]);
        let want = &case["output"];
        if &got == want {
            outcome.passed += 1;
            continue;
        }
        let describe = || {
            format!(
                "{name}:{} {op} {}\n    input: {}\n    want:  {}\n    got:   {}",
                n + 1,
                case["note"].as_str().unwrap_or_default(),
                case["input"],
                want,
                got
            )
        };
        match (error_text(op, want), error_text(op, &got)) {
            (Some(w), Some(g)) if is_syntax_error(w) && is_syntax_error(g) => {
                outcome.syntax_wording.push(describe())
            }
            _ => outcome.failed.push(describe()),
        }
    }
    outcome
}

fn check(name: &str, corpus: &str, min_cases: usize, max_syntax_wording: usize) {
    let outcome = run_corpus(name, corpus);
    let total = outcome.passed + outcome.syntax_wording.len() + outcome.failed.len();
    eprintln!(
        "{name}: {total} cases, {} identical, {} syntax errors worded differently, {} failed",
        outcome.passed,
        outcome.syntax_wording.len(),
        outcome.failed.len()
    );
    for s in &outcome.syntax_wording {
        eprintln!("  (wording) {s}");
    }
    for f in &outcome.failed {
        eprintln!("  FAIL {f}");
    }
    assert!(total >= min_cases, "{name}: only {total} cases");
    assert!(
        outcome.failed.is_empty(),
        "{name}: {} cases differ from Go",
        outcome.failed.len()
    );
    assert!(
        outcome.syntax_wording.len() <= max_syntax_wording,
        "{name}: {} syntax errors worded differently",
        outcome.syntax_wording.len()
    );
}

#[test]
fn emit_cases_match_go() {
    check("emit.jsonl", include_str!("testdata/emit.jsonl"), 300, 0);
}

#[test]
fn json_cases_match_go() {
    check("json.jsonl", include_str!("testdata/json.jsonl"), 50, 0);
}

#[test]
fn parse_cases_match_go() {
    check("parse.jsonl", include_str!("testdata/parse.jsonl"), 150, 40);
}

#[test]
fn toml_cases_match_go() {
    check("toml.jsonl", include_str!("testdata/toml.jsonl"), 40, 0);
}

#[test]
fn random_cases_match_go() {
    check(
        "random.jsonl",
        include_str!("testdata/random.jsonl"),
        1000,
        0,
    );
}

/// `unmarshal_keys` must give exactly the full decode restricted to the wanted keys (or the
/// same error), on every YAML input of the oracle corpora, for several key sets: Helm's head
/// fields, and each top-level key of Go's result in its own and in upper case.
#[test]
fn decoding_selected_keys_matches_full_decoding() {
    let corpora = [
        include_str!("testdata/parse.jsonl"),
        include_str!("testdata/random.jsonl"),
    ];
    // Documents whose left-out values hold what forces a whole read, or errors.
    let deep = format!(
        "kind: A\nspec: {}{}\n",
        "[".repeat(10_001),
        "]".repeat(10_001)
    );
    let pruning_cases = [
        "kind: A\nspec: &x {a: 1}\nmetadata: *x\n",
        "kind: A\nspec:\n  a: !!int x\n",
        "kind: A\nspec:\n  a: [1, .nan]\n",
        "kind: A\nspec:\n  ~: 1\n",
        "kind: A\nspec:\n  <<: {a: 1}\n",
        "kind: A\nspec:\n  [a]: 1\n",
        "kind: A\nspec:\n  18446744073709551615: 1\n",
        "spec: {a: [1, {b: c}]}\nkind: B\nKIND: C\n",
        "spec:\n  a:\n  - b: 1\n  -\n    - c\nmetadata:\n  name: x\n",
        "kind: A\nspec:\n  a: \"\\u00e9\"\n",
        "kind: A\nspec:\n  : x\n",
        "kind: A\nspec: [a, b\n",
        "kind: A\nspec:\n\ta: 1\n",
        "kind: A\nspec: !!map {a: 1}\nmetadata: {name: n}\n",
        "- kind: A\n",
        "{kind: A, spec: {x: [y]}, metadata: {name: z}}",
        "kind: A\nspec: |\n  text\n  more\nstatus: {}\n",
        &deep,
    ];
    let extra = pruning_cases.iter().map(|text| {
        serde_json::json!({"op": "fromYaml", "input": text, "output": null}).to_string()
    });
    let mut compared = 0;
    let mut failures = Vec::new();
    let lines = corpora.iter().flat_map(|c| c.lines()).map(str::to_owned);
    for line in lines.chain(extra) {
        let Ok(case) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if case["op"] != "fromYaml" {
            continue;
        }
        let text = case["input"].as_str().unwrap_or_default();
        let mut key_sets: Vec<Vec<String>> = vec![
            vec!["apiVersion".into(), "kind".into(), "metadata".into()],
            vec!["a".into()],
            vec!["kind".into(), "metadata".into()],
        ];
        if let Some(object) = case["output"].as_object() {
            for key in object.keys() {
                key_sets.push(vec![key.clone()]);
                key_sets.push(vec![key.to_uppercase()]);
            }
        }
        let full = super::yaml::decode::unmarshal(text);
        for keys in key_sets {
            let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
            let expected = match &full {
                Ok(Value::Object(map)) => Ok(Value::Object(
                    map.iter()
                        .filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )),
                Ok(other) => Ok(other.clone()),
                Err(e) => Err(e.to_string()),
            };
            let got = yaml::unmarshal_keys(text, &wanted).map_err(|e| e.to_string());
            compared += 1;
            if got != expected {
                failures.push(format!(
                    "input {text:?} keys {wanted:?}\n    want {expected:?}\n    got  {got:?}"
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    assert!(compared > 1000, "only {compared} comparisons");
    assert!(failures.is_empty(), "{} differences", failures.len());
}

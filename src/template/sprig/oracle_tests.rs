//! Differential tests against Helm 4.3.1's real function map.
//!
//! `testdata/cases.tsv` holds one template per line (`NAME<TAB>TEMPLATE`); each is rendered
//! with `testdata/data.json` as dot (numbers as float64, as Helm values are) under
//! `missingkey=zero` with `<no value>` removed, and compared with `testdata/expected.jsonl`,
//! which the Go oracle in `e2e/oracles/sprig` produced by running the same cases through Go's
//! `text/template` with Helm's function map. `testdata/helm_func_names.txt` is the oracle's
//! dump of every function name in that map.
//!
//! Functions whose output is random or time-dependent are checked by shape in
//! `shape_tests`.
#![allow(clippy::expect_used, reason = "a malformed test file is a failed test")]

use std::collections::BTreeMap;

use super::super::funcs::{self, FuncMap};
use super::super::value::Value;
use super::super::{Options, TemplateSet, helm_funcs};

const CASES: &str = include_str!("testdata/cases.tsv");
const DATA: &str = include_str!("testdata/data.json");
const EXPECTED: &str = include_str!("testdata/expected.jsonl");
const NAMES: &str = include_str!("testdata/helm_func_names.txt");

/// Helm's full function map, built in Helm's order.
pub(crate) fn helm_map() -> FuncMap {
    let mut f = FuncMap::new();
    super::register(&mut f);
    helm_funcs::register(&mut f, &helm_funcs::HelmFuncOptions::default());
    funcs::helm::register(&mut f);
    f
}

fn render(map: &FuncMap, text: &str) -> Result<String, String> {
    let json: serde_json::Value = serde_json::from_str(DATA).map_err(|e| e.to_string())?;
    let data = Value::from_json(&json);
    let mut set = TemplateSet::new("t", map.clone(), Options::default());
    set.add("t", text).map_err(|e| e.message().to_string())?;
    set.render("t", &data).map_err(|e| e.message().to_string())
}

#[test]
fn every_case_matches_helm() {
    let map = helm_map();
    let mut expected: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for line in EXPECTED.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("expected line is JSON");
        let name = v["name"].as_str().expect("name").to_string();
        let out = v.get("out").and_then(|x| x.as_str()).map(str::to_string);
        let err = v.get("err").and_then(|x| x.as_str()).map(str::to_string);
        expected.insert(name, (out, err));
    }
    let mut failures = Vec::new();
    let mut count = 0;
    for line in CASES.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, text) = line.split_once('\t').expect("case line has a tab");
        let (want_out, want_err) = expected
            .get(name)
            .cloned()
            .expect("case has an expectation");
        count += 1;
        let got = render(&map, text);
        let ok = match (&got, &want_out, &want_err) {
            (Ok(o), Some(w), _) => o == w,
            (Err(e), _, Some(w)) => e == w,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name}: {text}\n   want: {:?}\n    got: {:?}",
                want_out
                    .as_ref()
                    .map_or_else(|| format!("ERR {want_err:?}"), |o| format!("OK {o:?}")),
                got
            ));
        }
    }
    assert!(count > 600, "only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_helm_function_is_registered() {
    let map = helm_map();
    let missing: Vec<&str> = NAMES
        .lines()
        .filter(|n| !n.is_empty() && !map.contains(n))
        .collect();
    assert!(missing.is_empty(), "not registered: {missing:?}");
    let extra: Vec<&str> = map
        .names()
        .filter(|n| !NAMES.lines().any(|l| l == *n))
        .collect();
    assert!(
        extra.is_empty(),
        "registered but not in Helm's map: {extra:?}"
    );
}

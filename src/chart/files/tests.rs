//! Expected outputs come from Helm's own packages via the oracle in
//! `e2e/oracles/chartfiles` (`gen_cases.py`): gobwas/glob for `glob.json`, `engine.Render`
//! for `render.json`.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::glob::Glob;
use super::*;
use crate::template::value::Value;
use crate::template::{FuncMap, Options, TemplateSet};

#[test]
fn glob_matches_gobwas() {
    let data: Json = serde_json::from_str(include_str!("testdata/glob.json")).unwrap();
    let names: Vec<&str> = data["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in data["cases"].as_array().unwrap() {
        let pattern = case["pattern"].as_str().unwrap();
        let compiled = Glob::compile(pattern);
        let want_error = case["compile_error"].as_bool().unwrap();
        if compiled.is_err() != want_error {
            failures.push(format!(
                "{pattern:?}: compile error {}, want {want_error}",
                compiled.is_err()
            ));
            continue;
        }
        let g = compiled.unwrap_or_else(|_| Glob::match_all());
        for (name, want) in names.iter().zip(case["matches"].as_array().unwrap()) {
            // gobwas panics on a few malformed patterns (e.g. `a{`); not modelled.
            let Some(want) = want.as_bool() else { continue };
            // Chart file names are never empty; gobwas's one-character matchers (`?`, `[!…]`)
            // accept "" when they are the whole pattern, which is not modelled.
            if name.is_empty() {
                continue;
            }
            checked += 1;
            if g.is_match(name) != want {
                failures.push(format!(
                    "{pattern:?} vs {name:?}: got {}, want {want}",
                    !want
                ));
            }
        }
    }
    assert!(checked > 2500, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn b64(s: &str) -> Vec<u8> {
    crate::template::sprig::encoding::b64_decode(s).unwrap()
}

#[test]
fn files_methods_render_like_helm() {
    let data: Json = serde_json::from_str(include_str!("testdata/render.json")).unwrap();
    let mut chart_files = Vec::new();
    let mut template = String::new();
    for f in data["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let bytes = b64(f["data"].as_str().unwrap());
        if name == "templates/t1.yaml" {
            template = String::from_utf8(bytes).unwrap();
        } else if name != "Chart.yaml" {
            chart_files.push(File::new(name, bytes));
        }
    }
    let mut funcs = FuncMap::new();
    crate::template::sprig::register(&mut funcs);
    crate::template::helm_funcs::register(&mut funcs, &Default::default());
    let mut set = TemplateSet::new("gotpl", funcs, Options::default());
    set.add("fchart/templates/t1.yaml", &template).unwrap();
    let mut top = BTreeMap::new();
    top.insert(Str::from("Files"), files_value(&chart_files));
    top.insert(Str::from("Values"), Value::map(BTreeMap::new()));
    let got = set
        .execute("fchart/templates/t1.yaml", &Value::map(top))
        .unwrap();
    let want = data["expected"]["rendered"]["fchart/templates/t1.yaml"]
        .as_str()
        .unwrap();
    assert_eq!(got, want);
}

#[test]
fn files_value_has_go_type_and_bytes() {
    let v = files_value(&[File::new("a", Arc::<[u8]>::from(&b"xy"[..]))]);
    assert_eq!(v.type_name(), "engine.files");
    match v {
        Value::Map(m) => {
            assert!(matches!(m.borrow().entries.get("a"), Some(Value::Bytes(b)) if &b[..] == b"xy"))
        }
        _ => panic!("not a map"),
    }
}

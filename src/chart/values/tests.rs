//! Hostile-input and API-shape tests (the Helm-derived cases are in `oracle_tests`).

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

use serde_json::{Map, Value, json};

use super::strvals::{self, MAX_NESTING, StrvalsError};
use super::table;
use crate::chart::model::{Chart, Metadata};

fn chart(name: &str, values: Map<String, Value>, deps: Vec<Chart>) -> Chart {
    Chart {
        metadata: Metadata {
            name: name.to_owned(),
            version: "0.1.0".to_owned(),
            api_version: "v2".to_owned(),
            ..Metadata::default()
        },
        lock: None,
        templates: Vec::new(),
        values,
        values_raw: None,
        schema: None,
        files: Vec::new(),
        raw: Vec::new(),
        dependencies: deps,
    }
}

/// `{"k": {"k": … {"leaf": 1}}}` with `depth` maps, built without recursion.
fn deep_map(depth: usize) -> Map<String, Value> {
    let mut inner = Map::new();
    inner.insert("leaf".to_owned(), json!(1));
    for _ in 1..depth {
        let mut outer = Map::new();
        outer.insert("k".to_owned(), Value::Object(inner));
        inner = outer;
    }
    inner
}

fn run_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

#[test]
fn set_line_nesting_is_bounded() {
    let deep = format!("a{}=1", "[0]".repeat(MAX_NESTING + 5));
    run_small_stack(move || {
        assert_eq!(
            strvals::parse(&deep),
            Err(StrvalsError::TooDeep { limit: MAX_NESTING })
        );
    });
    let ok = format!("a{}=1", "[0]".repeat(2000));
    run_small_stack(move || {
        let parsed = strvals::parse(&ok).expect("2000 levels parse");
        table::drop_value(Value::Object(parsed));
    });
}

#[test]
fn deep_values_coalesce_without_overflow() {
    run_small_stack(|| {
        let defaults = deep_map(10_000);
        let user = deep_map(10_000);
        let top = chart("top", defaults, vec![]);
        let out = super::coalesce_values(&top, &user).expect("coalesce");
        table::drop_value(Value::Object(out));
        let merged = super::merge_tables(&user, &top.values);
        table::drop_value(Value::Object(merged));
        let mut base = deep_map(10_000);
        super::user::merge_maps(&mut base, deep_map(10_000));
        table::drop_value(Value::Object(base));
        let Chart { values, .. } = top;
        table::drop_value(Value::Object(values));
        table::drop_value(Value::Object(user));
    });
}

#[test]
fn deep_values_through_dependencies_without_overflow() {
    run_small_stack(|| {
        let mut sub = chart("sub", deep_map(10_000), vec![]);
        let mut exports = Map::new();
        exports.insert("e".to_owned(), Value::Object(deep_map(9_990)));
        sub.values
            .insert("exports".to_owned(), Value::Object(exports));
        let mut top = chart("top", Map::new(), vec![sub]);
        top.metadata
            .dependencies
            .push(crate::chart::model::Dependency {
                name: "sub".to_owned(),
                version: "0.1.0".to_owned(),
                import_values: vec![json!("e")],
                ..Default::default()
            });
        let mut user = Map::new();
        user.insert("sub".to_owned(), Value::Object(deep_map(10_000)));
        super::process_dependencies(&mut top, &user).expect("process");
        let values = super::to_render_values(&top, &user, false).expect("render values");
        assert!(values.contains_key("k"), "imported table present");
        table::drop_value(Value::Object(values));
        table::drop_value(Value::Object(user));
        let mut pending = vec![top];
        while let Some(mut c) = pending.pop() {
            table::drop_value(Value::Object(std::mem::take(&mut c.values)));
            pending.append(&mut c.dependencies);
        }
    });
}

#[test]
fn subchart_values_scope_by_name() {
    let parent = json!({"sub": {"a": 1}, "str": "x"});
    let parent = parent.as_object().cloned().unwrap_or_default();
    assert_eq!(
        Value::Object(super::subchart_values(&parent, "sub")),
        json!({"a": 1})
    );
    assert!(super::subchart_values(&parent, "str").is_empty());
    assert!(super::subchart_values(&parent, "missing").is_empty());
}

/// Loads a fixture chart of the chart conformance test (`e2e/fixtures/charts`).
fn fixture(name: &str) -> Chart {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("e2e/fixtures/charts")
        .join(name);
    crate::chart::load::load_dir(&dir, &crate::chart::load::Limits::default()).expect("load")
}

fn render_lines(warnings: &[super::Warning]) -> Vec<String> {
    warnings
        .iter()
        .map(|w| {
            let attrs: Vec<String> = w.attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {} | {}", w.level, w.message, attrs.join(" "))
        })
        .collect()
}

/// The warnings `helm template rel import-values` logs (helm v4.3.1, observed): a `{child,
/// parent}` item and a string item whose source tables are missing.
#[test]
fn import_values_missing_tables_warn_like_helm() {
    let mut chart = fixture("import-values");
    let warnings = super::process_dependencies(&mut chart, &Map::new()).expect("process");
    assert_eq!(
        render_lines(&warnings),
        [
            r#"WARN ImportValues missing table from chart | chart=db error="missing" is not a table"#,
            r#"WARN ImportValues missing table | error="nothere" is not a table"#,
        ]
    );
}

/// The warnings of `helm template rel tags-conditions --set tags.backend=maybe,
/// gamma.enabled=1 --set-string "tags.extra=yes please"` (helm v4.3.1, observed): every
/// non-bool tag per dependency, then the non-bool condition.
#[test]
fn non_bool_tags_and_conditions_warn_like_helm() {
    let mut chart = fixture("tags-conditions");
    let user =
        json!({"tags": {"backend": "maybe", "extra": "yes please"}, "gamma": {"enabled": 1}});
    let user = user.as_object().expect("object").clone();
    let warnings = super::process_dependencies(&mut chart, &user).expect("process");
    assert_eq!(
        render_lines(&warnings),
        [
            "WARN returned non-bool value | tag=backend chart=alpha",
            "WARN returned non-bool value | tag=backend chart=beta",
            "WARN returned non-bool value | tag=extra chart=beta",
            "WARN returned non-bool value | tag=backend chart=gamma",
            "WARN returned non-bool value | path=gamma.enabled chart=gamma",
        ]
    );
}

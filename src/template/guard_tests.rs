//! Hostile-input guards: deep nesting, unbounded loops and recursion must end with an error
//! (or Go's result), never a panic, stack overflow or hang.

use super::funcs::{self, FuncMap};
use super::{Options, TemplateSet, Value};

fn set_with(name: &str, src: &str, options: Options) -> Result<TemplateSet, String> {
    let mut funcs = FuncMap::new();
    funcs::helm::register(&mut funcs);
    let mut set = TemplateSet::new("gotpl", funcs, options);
    set.add(name, src).map_err(|e| e.to_string())?;
    Ok(set)
}

#[test]
fn deep_parentheses_hit_go_limit() {
    let src = format!("{{{{ {}1{} }}}}", "(".repeat(10_001), ")".repeat(10_001));
    let err = set_with("t", &src, Options::default()).err();
    // Go: template: t:1: max expression depth exceeded
    assert_eq!(
        err.as_deref(),
        Some("template: t:1: max expression depth exceeded")
    );
}

#[test]
fn deep_parentheses_below_limit_execute() {
    let src = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
    let set = set_with("t", &src, Options::default());
    let out = set.and_then(|s| s.execute("t", &Value::Nil).map_err(|e| e.to_string()));
    assert_eq!(out.as_deref(), Ok("1"));
}

#[test]
fn deep_control_nesting_executes() {
    let n = 3_000;
    let src = format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
    let set = set_with("t", &src, Options::default());
    let out = set.and_then(|s| s.execute("t", &Value::Nil).map_err(|e| e.to_string()));
    assert_eq!(out.as_deref(), Ok("x"));
}

#[test]
fn excessive_control_nesting_is_rejected() {
    let n = 20_000;
    let src = format!("{}x{}", "{{with 1}}".repeat(n), "{{end}}".repeat(n));
    let err = set_with("t", &src, Options::default()).err();
    assert_eq!(
        err.as_deref(),
        Some("template: t:1: max control structure depth exceeded")
    );
}

#[test]
fn huge_range_stops_at_step_limit() {
    let options = Options {
        max_steps: 100_000,
        ..Options::default()
    };
    let set = set_with("t", "{{ range 1000000000000 }}{{ end }}", options);
    let err = set.and_then(|s| s.execute("t", &Value::Nil).map_err(|e| e.to_string()));
    assert!(
        matches!(&err, Err(e) if e.ends_with("template execution exceeded the step limit (100000)")),
        "{err:?}"
    );
}

#[test]
fn output_limit_is_enforced() {
    let options = Options {
        max_output_bytes: 1_000,
        ..Options::default()
    };
    let set = set_with("t", "{{ range 10000 }}abcdef{{ end }}", options);
    let err = set.and_then(|s| s.execute("t", &Value::Nil).map_err(|e| e.to_string()));
    assert!(
        matches!(&err, Err(e) if e.ends_with("template output exceeded the size limit (1000 bytes)")),
        "{err:?}"
    );
}

#[test]
fn mutual_include_recursion_ends_with_helm_error() {
    let src = r#"{{ define "a" }}{{ include "b" . }}{{ end }}{{ define "b" }}{{ include "a" . }}{{ end }}{{ include "a" . }}"#;
    let set = set_with("t", src, Options::default());
    let err = set.and_then(|s| s.execute("t", &Value::Nil).map_err(|e| e.to_string()));
    assert!(
        matches!(&err, Err(e) if e.ends_with("rendering template has a nested reference name: a: unable to execute template")),
        "{:?}",
        err.map_err(|e| e.chars().rev().take(200).collect::<String>())
    );
}

#[test]
fn recursive_tpl_is_bounded() {
    let src = r#"{{ tpl "{{ tpl .t . }}" . }}"#;
    let mut m = std::collections::BTreeMap::new();
    m.insert(super::value::Str::from("t"), Value::from("{{ tpl .t . }}"));
    let data = Value::map(m);
    let options = Options {
        max_steps: 1_000_000,
        ..Options::default()
    };
    let set = set_with("t", src, options);
    let err = set.and_then(|s| s.execute("t", &data).map_err(|e| e.to_string()));
    assert!(err.is_err());
}

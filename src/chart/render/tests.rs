//! Render pipeline tests on small in-memory charts. Expected outputs were checked against the
//! pinned `helm template` (v4.3.1) where Helm can produce them offline; the `lookup` callback
//! case has no offline Helm equivalent and its expectation follows from the template text.

use std::sync::Arc;

use serde_json::{Map, json};

use super::*;
use crate::chart::load::{Limits, load_files};
use crate::chart::model::File;

fn chart(files: &[(&str, &str)]) -> Chart {
    let files = files
        .iter()
        .map(|(name, text)| File::new(*name, Arc::<[u8]>::from(text.as_bytes())))
        .collect();
    load_files(files, &Limits::default()).unwrap_or_else(|e| panic!("load: {e}"))
}

fn render_ok(c: &Chart, options: &RenderOptions) -> RenderedChart {
    render(c, &Map::new(), options).unwrap_or_else(|e| panic!("render: {e}"))
}

#[test]
fn duplicate_defines_follow_helm_parse_order() {
    // helm template rel . → sub: from-a / v: from-a sub-y [b-z]
    let c = chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: prec\nversion: 0.1.0\n"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        (
            "charts/sub/templates/_h.tpl",
            r#"{{ define "x" }}from-sub{{ end }}{{ define "y" }}sub-y{{ end }}"#,
        ),
        (
            "charts/sub/templates/out.yaml",
            r#"sub: {{ include "x" . }}"#,
        ),
        (
            "templates/_b.tpl",
            r#"{{ define "x" }}from-b{{ end }}{{ define "z" }}b-z{{ end }}"#,
        ),
        (
            "templates/_a.tpl",
            r#"{{ define "x" }}from-a{{ end }}{{ define "z" }}{{ end }}"#,
        ),
        (
            "templates/deep/_d.tpl",
            r#"{{ define "x" }}from-deep{{ end }}"#,
        ),
        (
            "templates/out.yaml",
            r#"v: {{ include "x" . }} {{ include "y" . }} [{{ include "z" . }}]"#,
        ),
    ]);
    let out = render_ok(&c, &RenderOptions::template("rel", "default"));
    assert_eq!(
        out.manifest,
        "---\n# Source: prec/charts/sub/templates/out.yaml\nsub: from-a\n---\n# Source: prec/templates/out.yaml\nv: from-a sub-y [b-z]\n"
    );
}

#[test]
fn lookup_callback_feeds_templates() {
    let c = chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: lk\nversion: 0.1.0\n"),
        (
            "templates/s.yaml",
            "{{- $s := lookup \"v1\" \"Secret\" .Release.Namespace \"creds\" }}\nkind: ConfigMap\npassword: {{ index $s.data \"password\" | b64dec }}\nns: {{ $s.metadata.namespace }}\n",
        ),
    ]);
    let mut options = RenderOptions::template("rel", "team-a");
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    options.engine.lookup = Some(Arc::new(
        move |api: &str, kind: &str, ns: &str, name: &str| {
            if let Ok(mut calls) = record.lock() {
                calls.push(format!("{api} {kind} {ns} {name}"));
            }
            Ok(json!({"metadata": {"namespace": ns}, "data": {"password": "czNjcjN0"}}))
        },
    ));
    let out = render_ok(&c, &options);
    assert_eq!(
        out.manifest,
        "---\n# Source: lk/templates/s.yaml\nkind: ConfigMap\npassword: s3cr3t\nns: team-a\n\n"
    );
    let calls = seen.lock().map(|c| c.clone()).unwrap_or_default();
    assert_eq!(calls, ["v1 Secret team-a creds"]);
}

#[test]
fn lookup_without_callback_is_an_empty_map() {
    let c = chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: lk\nversion: 0.1.0\n"),
        (
            "templates/s.yaml",
            "{{- $s := lookup \"v1\" \"Secret\" \"ns\" \"x\" }}\nkind: ConfigMap\nfound: {{ if $s }}yes{{ else }}no{{ end }} {{ len $s }}\n",
        ),
    ]);
    let out = render_ok(&c, &RenderOptions::template("rel", "default"));
    assert_eq!(
        out.manifest,
        "---\n# Source: lk/templates/s.yaml\nkind: ConfigMap\nfound: no 0\n\n"
    );
}

#[test]
fn notes_hooks_crds_and_order() {
    let c = chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 0.1.0\n"),
        ("crds/a.yaml", "kind: CustomResourceDefinition\n"),
        ("templates/NOTES.txt", "notes for {{ .Release.Name }}"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        ("charts/sub/templates/NOTES.txt", "sub notes"),
        ("charts/sub/crds/b.yml", "kind: CustomResourceDefinition\n"),
        (
            "templates/all.yaml",
            "kind: Deployment\nmetadata:\n  name: d\n---\nkind: Namespace\nmetadata:\n  name: n\n  namespace: x\n---\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: \"-1\"\n---\nkind: Job\nmetadata:\n  name: u\n  annotations:\n    helm.sh/hook: bogus\n",
        ),
    ]);
    let mut options = RenderOptions::template("rel", "default");
    let out = render_ok(&c, &options);
    assert_eq!(out.notes, "notes for rel");
    let kinds: Vec<&str> = out.manifests.iter().map(|m| m.head.kind.as_str()).collect();
    assert_eq!(kinds, ["Namespace", "Deployment"]);
    assert_eq!(out.manifests[0].head.namespace(), "x");
    assert_eq!(out.hooks.len(), 1);
    assert_eq!(out.hooks[0].weight, -1);
    assert_eq!(out.hooks[0].effective_delete_policies(), [BEFORE_HOOK]);
    assert_eq!(out.skipped_hooks.len(), 1);
    assert_eq!(out.skipped_hooks[0].hook_types, "bogus");
    let crds: Vec<&str> = out.crds.iter().map(|c| c.filename.as_str()).collect();
    assert_eq!(crds, ["top/crds/a.yaml", "top/charts/sub/crds/b.yml"]);
    assert!(!out.manifest.contains("CustomResourceDefinition"));

    options.include_crds = true;
    options.sub_notes = true;
    let out = render_ok(&c, &options);
    assert!(out.manifest.starts_with(
        "---\n# Source: top/crds/a.yaml\nkind: CustomResourceDefinition\n\n---\n# Source: top/charts/sub/crds/b.yml\n"
    ));
    assert_eq!(out.notes, "sub notes\nnotes for rel");
}

const BEFORE_HOOK: &str = crate::chart::manifest::BEFORE_HOOK_CREATION;

#[test]
fn errors_carry_helm_texts() {
    let lib = chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
    )]);
    let err = render(&lib, &Map::new(), &RenderOptions::template("rel", "d"));
    assert_eq!(
        err.map(|_| ()).map_err(|e| e.to_string()),
        Err("library charts are not installable".to_string())
    );

    let old = chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: k\nversion: 0.1.0\nkubeVersion: '>=1.40.0'\n",
    )]);
    let err = render(&old, &Map::new(), &RenderOptions::template("rel", "d"))
        .map(|_| ())
        .map_err(|e| (e.to_string(), e.has_partial_release()));
    assert_eq!(
        err,
        Err((
            "chart requires kubeVersion: >=1.40.0 which is incompatible with Kubernetes v1.37.0"
                .to_string(),
            true
        ))
    );

    let missing = chart(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: m\nversion: 0.1.0\ndependencies:\n- name: a\n  version: 1.0.0\n  repository: x\n- name: b\n  version: 1.0.0\n  repository: x\n",
    )]);
    let err = render(&missing, &Map::new(), &RenderOptions::template("rel", "d"));
    assert_eq!(
        err.map(|_| ()).map_err(|e| e.to_string()),
        Err("an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: a, b".to_string())
    );
}

/// go-yaml v2's reader problems (`readerc.go`) for the first bad sequence of a document.
#[test]
fn yaml_utf8_problems_follow_the_go_yaml_reader() {
    use super::yaml_utf8_problem;
    assert_eq!(yaml_utf8_problem(b"a: \x80"), "invalid leading UTF-8 octet");
    assert_eq!(
        yaml_utf8_problem(b"a: \xc3"),
        "incomplete UTF-8 octet sequence"
    );
    assert_eq!(
        yaml_utf8_problem(b"a: \xc3A"),
        "invalid trailing UTF-8 octet"
    );
    assert_eq!(
        yaml_utf8_problem(b"\xc0\x80"),
        "invalid length of a UTF-8 sequence"
    );
    assert_eq!(
        yaml_utf8_problem(b"\xed\xa0\x80"),
        "invalid Unicode character"
    );
    assert_eq!(
        yaml_utf8_problem(b"\xf5\x80\x80\x80"),
        "invalid Unicode character"
    );
}

/// `encoding/json` writes struct fields in declaration order (observed with helm v4.3.1:
/// `.Capabilities.KubeVersion | toJson` is `{"Version":…,"Major":…,"Minor":…}`), while the
/// YAML path sorts them.
#[test]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
fn struct_json_keeps_go_field_order() {
    use crate::template::Value;
    let caps = super::Capabilities::helm_default().to_value();
    let Value::Object(o) = &caps else {
        panic!("capabilities is an object");
    };
    let kube = o.field("KubeVersion").expect("KubeVersion field");
    let text = kube.go_json_text(crate::codec::json::to_json);
    assert!(text.starts_with("{\"Version\":\"v"), "{text}");
    assert!(text.contains("\",\"Major\":\"1\",\"Minor\":\""), "{text}");
    let whole = caps.go_json_text(crate::codec::json::to_json);
    let (k, a, h) = (
        whole.find("\"KubeVersion\""),
        whole.find("\"APIVersions\""),
        whole.find("\"HelmVersion\""),
    );
    assert!(k < a && a < h, "{whole}");
    assert!(whole.contains("{\"version\":\"v4."), "{whole}");
}

/// A chart large enough (over 256 KiB of templates) for its templates to be parsed ahead on
/// a helper thread while values are processed, with an aliased subchart (parsed ahead under
/// the subchart's own name, rendered under the alias) and a disabled subchart whose template
/// does not parse. Expected texts from `helm template rel DIR` (v4.3.1) on the same files.
#[test]
fn templates_parsed_ahead_render_under_their_final_names() {
    let padding = format!("{{{{/* {} */}}}}\n", "x".repeat(300_000));
    let files = |out_yaml: &str| {
        chart(&[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    alias: renamed\n  - name: gone\n    version: 0.1.0\n    condition: gone.enabled\n",
            ),
            ("values.yaml", "gone:\n  enabled: false\n"),
            ("templates/_pad.tpl", &padding),
            (
                "templates/top.yaml",
                "kind: ConfigMap\nmetadata:\n  name: top\n",
            ),
            (
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            ),
            ("charts/sub/templates/out.yaml", out_yaml),
            (
                "charts/gone/Chart.yaml",
                "apiVersion: v2\nname: gone\nversion: 0.1.0\n",
            ),
            ("charts/gone/templates/broken.yaml", "{{ if }}\n"),
        ])
    };
    let options = RenderOptions::template("rel", "default");
    let out = render_ok(
        &files(
            "kind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata:\n  template: {{ .Template.Name }}\n",
        ),
        &options,
    );
    assert_eq!(
        out.manifest,
        "---\n# Source: top/charts/renamed/templates/out.yaml\nkind: ConfigMap\nmetadata:\n  name: renamed\ndata:\n  template: top/charts/renamed/templates/out.yaml\n\n---\n# Source: top/templates/top.yaml\nkind: ConfigMap\nmetadata:\n  name: top\n\n"
    );
    let failing = files(
        "kind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata:\n  template: {{ .Template.Name }}\n  fail: {{ fail \"stop\" }}\n",
    );
    let err = render(&failing, &Map::new(), &options).map(|_| ());
    assert_eq!(
        err.map_err(|e| e.to_string()),
        Err("execution error at (top/charts/renamed/templates/out.yaml:6:11): stop".to_string())
    );
}

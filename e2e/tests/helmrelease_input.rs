//! The HelmRelease controller on bad input end to end, the parts of issue 7 check 5 that
//! `bad_input_is_reported_in_conditions` (helmrelease.rs) leaves out: values the chart's
//! `values.schema.json` rejects, and a missing `valuesFrom` Secret (required, then optional),
//! each on a release that already has a revision, which must stay untouched.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse_e2e::release_fixture::{
    ReleaseSetup, ScratchDir, apply_yaml, chart_release, config_map_message, helm_history,
    helm_values, is_ready_at, ok, ready_status, release_secrets, repository_yaml, run, tiny_chart,
    write_chart,
};
use wheelhouse_e2e::wait_for;

const TIMEOUT: Duration = Duration::from_secs(90);

/// `strict` 1.0.0: `tiny`'s ConfigMap with a `values.schema.json` that wants `message` a
/// string of at most 10 characters and `replicas` an integer from 1 to 5.
fn strict_chart(parent: &Path) -> PathBuf {
    write_chart(
        parent,
        "strict",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: strict\nversion: 1.0.0\n",
            ),
            ("values.yaml", "message: v1\nreplicas: 1\n"),
            (
                "values.schema.json",
                r#"{"$schema": "https://json-schema.org/draft-07/schema#", "type": "object", "properties": {"message": {"type": "string", "maxLength": 10}, "replicas": {"type": "integer", "minimum": 1, "maximum": 5}}, "required": ["message", "replicas"]}"#,
            ),
            (
                "templates/main.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-main\ndata:\n  message: {{ .Values.message | quote }}\n  replicas: {{ .Values.replicas | quote }}\n",
            ),
        ],
    )
}

/// A [`ReleaseSetup`] whose repository also holds `tiny` and `strict`, with the
/// HelmRepository `charts` applied.
async fn setup(test: &str) -> ReleaseSetup {
    // Removed when dropped, also when the set-up panics.
    let charts = ScratchDir::create(&format!("charts-{test}"));
    let extra = [tiny_chart(&charts.0), strict_chart(&charts.0)];
    let setup = ReleaseSetup::start(test, &extra, &[]).await;
    apply_yaml(setup.ns(), &repository_yaml(&setup.server.url));
    setup
}

/// Ready=False with `reason` for the current generation.
fn failed_with(reason: &'static str) -> impl Fn(&HelmRelease) -> bool {
    move |hr: &HelmRelease| {
        hr.status.as_ref().is_some_and(|s| {
            s.observed_generation == hr.metadata.generation
                && find_condition(&s.conditions, condition::READY)
                    .is_some_and(|c| c.status == "False" && c.reason == reason)
        })
    }
}

/// The Events of the object `name` as `(type, reason, message)`.
fn events_of(namespace: &str, name: &str) -> Vec<(String, String, String)> {
    let text = ok(
        run(
            "kubectl",
            &[
                "get",
                "events",
                "-n",
                namespace,
                "--field-selector",
                &format!("involvedObject.name={name}"),
                "-o",
                "json",
            ],
            None,
        ),
        "kubectl get events",
    );
    let list: Value = serde_json::from_str(&text).expect("events json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            let field = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
            (field("type"), field("reason"), field("message"))
        })
        .collect()
}

async fn patch(releases: &Api<HelmRelease>, name: &str, patch: Value) {
    releases
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .expect("patch HelmRelease");
}

/// Values that fail the chart's `values.schema.json`: Ready=False naming the failing
/// property, a Warning Event, revision 1 and its objects untouched; valid values then upgrade.
#[tokio::test]
async fn values_failing_the_chart_schema_leave_the_release_untouched() {
    let setup = setup("hr-schema").await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(
        ns,
        &chart_release(
            "strict",
            "strict",
            "1.0.0",
            "  values:\n    message: first\n    replicas: 2\n",
        ),
    );
    wait_for(&releases, "strict", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));

    patch(
        &releases,
        "strict",
        json!({"spec": {"values": {"replicas": 9}}}),
    )
    .await;
    let hr = wait_for(
        &releases,
        "strict",
        "schema failure",
        TIMEOUT,
        failed_with("RenderFailed"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let (_, _, message) = ready_status(&hr).expect("Ready");
    assert!(
        message.contains("values don't meet the specifications of the schema(s)")
            && message.contains("at '/replicas'"),
        "{message}"
    );
    let status = hr.status.as_ref().expect("status");
    let released = find_condition(&status.conditions, condition::RELEASED).expect("Released");
    assert_eq!(
        (released.status.as_str(), released.reason.as_str()),
        ("False", "UpgradeFailed")
    );
    assert_eq!(status.history[0].revision, 1);
    assert!(
        events_of(ns, "strict")
            .iter()
            .any(|(type_, reason, message)| type_ == "Warning"
                && reason == "RenderFailed"
                && message.contains("replicas")),
        "{:?}",
        events_of(ns, "strict")
    );
    // Revision 1 untouched: one record, deployed, its values and objects.
    let history = helm_history(ns, "strict");
    assert_eq!(
        history,
        [(1, "deployed".to_owned(), "Install complete".to_owned())]
    );
    assert_eq!(
        helm_values(ns, "strict", 1),
        json!({"message": "first", "replicas": 2})
    );
    assert_eq!(
        config_map_message(&setup, "strict-main").await.as_deref(),
        Some("first")
    );

    // Valid values upgrade.
    patch(
        &releases,
        "strict",
        json!({"spec": {"values": {"replicas": 3, "message": "second"}}}),
    )
    .await;
    wait_for(&releases, "strict", "upgraded", TIMEOUT, is_ready_at(2))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert_eq!(
        config_map_message(&setup, "strict-main").await.as_deref(),
        Some("second")
    );
}

/// A `valuesFrom` Secret that does not exist: not optional, Ready=False naming it with a
/// Warning Event and revision 1 untouched, and the Secret's creation wakes the release and
/// upgrades it; `optional: true`, the release installs without it.
#[tokio::test]
async fn missing_values_from_secret_blocks_unless_optional() {
    let setup = setup("hr-values-secret").await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(
        ns,
        &chart_release(
            "required",
            "tiny",
            "1.0.0",
            "  values:\n    message: inline\n",
        ),
    );
    apply_yaml(
        ns,
        &chart_release(
            "optional",
            "tiny",
            "1.0.0",
            "  valuesFrom:\n  - kind: Secret\n    name: optional-values\n    optional: true\n",
        ),
    );
    wait_for(&releases, "required", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    wait_for(&releases, "optional", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("optional: {e}\n{}", setup.operator.log_text()));
    assert_eq!(
        config_map_message(&setup, "optional-main").await.as_deref(),
        Some("v1"),
        "the chart's default"
    );

    patch(
        &releases,
        "required",
        json!({"spec": {"valuesFrom": [{"kind": "Secret", "name": "required-values"}]}}),
    )
    .await;
    let hr = wait_for(
        &releases,
        "required",
        "missing Secret",
        TIMEOUT,
        failed_with("InitFailed"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let (_, _, message) = ready_status(&hr).expect("Ready");
    assert!(
        message.contains("Secret required-values referenced in spec.valuesFrom not found"),
        "{message}"
    );
    assert_eq!(hr.status.as_ref().expect("status").history[0].revision, 1);
    assert!(
        events_of(ns, "required")
            .iter()
            .any(|(type_, reason, message)| type_ == "Warning"
                && reason == "InitFailed"
                && message.contains("required-values")),
        "{:?}",
        events_of(ns, "required")
    );
    assert_eq!(
        release_secrets(&setup.client, ns, "required").await,
        ["sh.helm.release.v1.required.v1"]
    );
    assert_eq!(
        config_map_message(&setup, "required-main").await.as_deref(),
        Some("inline")
    );

    // The Secret appears: the Secret watch wakes the release; `values` still win over it.
    apply_yaml(
        ns,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: required-values\nstringData:\n  values.yaml: |\n    message: from-secret\n    extra: 7\n",
    );
    wait_for(
        &releases,
        "required",
        "upgraded with the Secret",
        TIMEOUT,
        is_ready_at(2),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert_eq!(
        helm_values(ns, "required", 2),
        json!({"message": "inline", "extra": 7})
    );
}

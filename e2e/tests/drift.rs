//! Drift detection of the HelmRelease controller end to end: podinfo released by a
//! `wheelhouse run` process, its Deployment scaled and its Service deleted by hand with the
//! real `kubectl`, then a reconcile forced with the `reconcile.wheelhouse.dev/requestedAt`
//! annotation: `warn` reports, `enabled` restores, neither writes a release revision.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse_e2e::release_fixture::{
    ReleaseSetup, apply_yaml, is_ready_at, ok, podinfo_release, release_secrets, repository_yaml,
    request_reconcile, run,
};
use wheelhouse_e2e::wait_for;

const TIMEOUT: Duration = Duration::from_secs(90);

/// The Drifted condition as `(status, reason, message)`.
fn drifted(hr: &HelmRelease) -> Option<(String, String, String)> {
    let c = find_condition(&hr.status.as_ref()?.conditions, condition::DRIFTED)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Drifted has `status` and `reason`, Ready=True, for the current generation, and the
/// reconcile requested as `requested` (when given) was handled.
fn drift_reported(
    status: &'static str,
    reason: &'static str,
    requested: Option<&'static str>,
) -> impl Fn(&HelmRelease) -> bool {
    move |hr: &HelmRelease| {
        hr.status.as_ref().is_some_and(|s| {
            s.observed_generation == hr.metadata.generation
                && condition::is_true(&s.conditions, condition::READY)
                && requested.is_none_or(|r| s.last_handled_reconcile_at.as_deref() == Some(r))
        }) && drifted(hr).is_some_and(|(s, r, _)| s == status && r == reason)
    }
}

/// The Event reasons recorded for the HelmRelease `podinfo`.
fn event_reasons(ns: &str) -> Vec<String> {
    let events = ok(
        run(
            "kubectl",
            &[
                "get",
                "events",
                "-n",
                ns,
                "--field-selector",
                "involvedObject.name=podinfo,involvedObject.kind=HelmRelease",
                "-o",
                "json",
            ],
            None,
        ),
        "kubectl get events",
    );
    let events: serde_json::Value = serde_json::from_str(&events).expect("json");
    events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["reason"].as_str().map(str::to_owned))
        .collect()
}

/// The operator's `/metrics` text, read with `curl`.
fn metrics(port: u16) -> String {
    let output = std::process::Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{port}/metrics")])
        .output()
        .expect("curl");
    assert!(output.status.success(), "metrics endpoint");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Issue: drift detection in `warn` and `enabled`. A freshly installed release has no drift;
/// a Deployment scaled by hand and a Service deleted by hand are reported by `warn` (Drifted
/// naming both, an Event, Ready still True) and left alone; switching to `enabled` (a spec
/// change that is not a release change: no upgrade) applies both again from the stored
/// manifest without a new revision; the next check finds nothing.
#[tokio::test]
async fn drift_is_reported_in_warn_mode_and_corrected_in_enabled_mode_without_a_revision() {
    let setup = ReleaseSetup::start("hr-drift", &[], &[]).await;
    let ns = setup.ns().to_owned();
    let ns = ns.as_str();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    let deployments: Api<Deployment> = Api::namespaced(setup.client.clone(), ns);
    let services: Api<Service> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(ns, &repository_yaml(&setup.server.url));
    apply_yaml(
        ns,
        &podinfo_release("podinfo", "  driftDetection:\n    mode: warn\n"),
    );

    // Right after the install the objects match the manifest: no false positive from
    // defaulted fields, the Deployment controller's annotation or status.
    let hr = wait_for(&releases, "podinfo", "installed", TIMEOUT, |hr| {
        is_ready_at(1)(hr) && drift_reported("False", "NoDriftDetected", None)(hr)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\noperator log:\n{}", setup.operator.log_text()));
    let (_, _, message) = drifted(&hr).expect("Drifted");
    assert_eq!(message, format!("no drift from release {ns}/podinfo.v1"));
    let revisions = ["sh.helm.release.v1.podinfo.v1"];
    assert_eq!(
        release_secrets(&setup.client, ns, "podinfo").await,
        revisions
    );
    assert_eq!(
        deployments
            .get("podinfo")
            .await
            .expect("deployment")
            .spec
            .replicas,
        Some(1)
    );

    // By hand: a label the chart does not set (not drift: not in the manifest), a scaled
    // Deployment (kubectl's field manager, scale subresource) and a deleted Service.
    ok(
        run(
            "kubectl",
            &["label", "-n", ns, "deployment/podinfo", "team=by-hand"],
            None,
        ),
        "kubectl label",
    );
    ok(
        run(
            "kubectl",
            &["scale", "-n", ns, "deployment/podinfo", "--replicas=3"],
            None,
        ),
        "kubectl scale",
    );
    ok(
        run("kubectl", &["delete", "-n", ns, "service/podinfo"], None),
        "kubectl delete service",
    );

    // warn: reported, not touched.
    request_reconcile(ns, "hr/podinfo", "warn");
    let hr = wait_for(
        &releases,
        "podinfo",
        "drift reported",
        TIMEOUT,
        drift_reported("True", "DriftDetected", Some("warn")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\noperator log:\n{}", setup.operator.log_text()));
    let (_, _, message) = drifted(&hr).expect("Drifted");
    assert_eq!(
        message,
        format!(
            "2 object(s) drifted from release {ns}/podinfo.v1: Service/{ns}/podinfo deleted; \
             Deployment/{ns}/podinfo modified (/spec/replicas)"
        )
    );
    assert_eq!(
        deployments
            .get("podinfo")
            .await
            .expect("deployment")
            .spec
            .replicas,
        Some(3),
        "warn leaves the Deployment as it is"
    );
    assert!(
        services.get_opt("podinfo").await.expect("get").is_none(),
        "warn does not recreate the Service"
    );
    let labels = deployments
        .get("podinfo")
        .await
        .expect("deployment")
        .metadata
        .labels
        .unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("by-hand"));
    assert_eq!(
        release_secrets(&setup.client, ns, "podinfo").await,
        revisions
    );
    assert!(event_reasons(ns).iter().any(|r| r == "DriftDetected"));
    assert!(
        setup.operator.log_text().contains("drift detected"),
        "a log line"
    );

    // enabled: a spec change, but not a release change: corrected without an upgrade.
    releases
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"driftDetection": {"mode": "enabled"}}})),
        )
        .await
        .expect("patch mode");
    let hr = wait_for(
        &releases,
        "podinfo",
        "drift corrected",
        TIMEOUT,
        drift_reported("False", "DriftCorrected", None),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\noperator log:\n{}", setup.operator.log_text()));
    let (_, _, message) = drifted(&hr).expect("Drifted");
    assert_eq!(
        message,
        format!(
            "2 drifted object(s) of release {ns}/podinfo.v1 applied again: Service/{ns}/podinfo \
             deleted; Deployment/{ns}/podinfo modified (/spec/replicas)"
        )
    );
    assert_eq!(hr.status.as_ref().expect("status").history[0].revision, 1);
    assert_eq!(
        deployments
            .get("podinfo")
            .await
            .expect("deployment")
            .spec
            .replicas,
        Some(1),
        "replicas back to the manifest's"
    );
    let labels = deployments
        .get("podinfo")
        .await
        .expect("deployment")
        .metadata
        .labels
        .unwrap_or_default();
    assert_eq!(
        labels.get("team").map(String::as_str),
        Some("by-hand"),
        "fields the chart does not set are left alone"
    );
    let service = services.get("podinfo").await.expect("Service recreated");
    assert_eq!(
        service
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("meta.helm.sh/release-name"))
            .map(String::as_str),
        Some("podinfo"),
        "recreated with Helm's ownership metadata"
    );
    assert_eq!(
        release_secrets(&setup.client, ns, "podinfo").await,
        revisions,
        "no new revision"
    );
    let helm_history = ok(
        run(
            "helm",
            &["history", "podinfo", "-n", ns, "-o", "json"],
            None,
        ),
        "helm history",
    );
    let helm_history: serde_json::Value = serde_json::from_str(&helm_history).expect("json");
    assert_eq!(helm_history.as_array().map(Vec::len), Some(1));
    assert!(event_reasons(ns).iter().any(|r| r == "DriftCorrected"));

    // The next check finds the corrected objects in sync.
    request_reconcile(ns, "hr/podinfo", "after");
    wait_for(
        &releases,
        "podinfo",
        "in sync after correction",
        TIMEOUT,
        drift_reported("False", "NoDriftDetected", Some("after")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\noperator log:\n{}", setup.operator.log_text()));
    assert_eq!(
        release_secrets(&setup.client, ns, "podinfo").await,
        revisions
    );

    let text = metrics(setup.operator.metrics_port);
    // Two checks found drift (warn, then enabled); other wake-ups may add more.
    let drifted_checks: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("wheelhouse_drift_checks_total{result=\"drifted\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no drifted checks counted:\n{text}"));
    assert!(drifted_checks >= 2, "{text}");
    assert!(
        text.contains(
            "wheelhouse_release_actions_total{action=\"correct-drift\",result=\"success\"} 1"
        ),
        "{text}"
    );

    // disabled: the condition goes away.
    releases
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"driftDetection": {"mode": "disabled"}}})),
        )
        .await
        .expect("patch mode");
    wait_for(&releases, "podinfo", "Drifted removed", TIMEOUT, |hr| {
        is_ready_at(1)(hr) && drifted(hr).is_none()
    })
    .await
    .expect("no Drifted when disabled");
}

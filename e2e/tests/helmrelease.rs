//! The HelmRelease and HelmRepository controllers end to end: a `wheelhouse run` process per
//! test (watching only the test's namespace), a chart repository served by the test server with
//! charts packaged and indexed by the real `helm`, objects applied with the real `kubectl`, and
//! the real `helm` reading back what Wheelhouse recorded.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse::api::{HelmRelease, HelmRepository};
use wheelhouse_e2e::chart_server::Behaviour;
use wheelhouse_e2e::release_fixture::{
    ReleaseSetup, apply_yaml, is_ready_at, not_ready_with, ok, podinfo_release, ready_status,
    release_secrets, repository_yaml, request_reconcile, run,
};
use wheelhouse_e2e::{POD_FAILURE_ANNOTATION, wait_for, wait_for_deletion};

const TIMEOUT: Duration = Duration::from_secs(90);

/// Issue 7 tests 1, 2 and 8: install from YAML, `kubectl wait`, `helm list`; values changes
/// inline and through a watched valuesFrom ConfigMap; a no-op reconcile writes nothing;
/// deletion uninstalls.
#[tokio::test]
async fn helmrelease_installs_upgrades_on_values_changes_and_uninstalls_on_deletion() {
    let setup = ReleaseSetup::start("hr-lifecycle", &[], &[]).await;
    let ns = setup.namespace.name.as_str();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    let repositories: Api<HelmRepository> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(ns, &repository_yaml(&setup.server.url));
    apply_yaml(
        ns,
        &podinfo_release(
            "podinfo",
            "  values:\n    replicaCount: 2\n  valuesFrom:\n  - kind: ConfigMap\n    name: podinfo-values\n    optional: true\n",
        ),
    );
    wait_for(
        &repositories,
        "charts",
        "repository Ready",
        TIMEOUT,
        |r: &HelmRepository| {
            r.status.as_ref().is_some_and(|s| {
                condition::is_true(&s.conditions, condition::READY)
                    && s.artifact.as_ref().is_some_and(|a| a.charts == 2)
            })
        },
    )
    .await
    .expect("repository Ready with an artifact");
    let hr = wait_for(&releases, "podinfo", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\noperator log:\n{}", setup.operator.log_text()));
    let history = &hr.status.as_ref().expect("status").history;
    assert_eq!(history[0].status, "deployed");
    assert_eq!(history[0].chart_name, "podinfo");

    // kubectl wait works on the Ready condition; helm sees the release.
    ok(
        run(
            "kubectl",
            &[
                "wait",
                "-n",
                ns,
                "--for=condition=Ready",
                "hr/podinfo",
                "--timeout=30s",
            ],
            None,
        ),
        "kubectl wait",
    );
    let list = ok(
        run("helm", &["list", "-n", ns, "-o", "json"], None),
        "helm list",
    );
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(list[0]["name"], "podinfo");
    assert_eq!(list[0]["status"], "deployed");
    assert_eq!(list[0]["revision"], "1");
    let values = ok(
        run(
            "helm",
            &["get", "values", "podinfo", "-n", ns, "-o", "json"],
            None,
        ),
        "helm get values",
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&values).expect("json"),
        json!({"replicaCount": 2})
    );
    let deployments: Api<Deployment> = Api::namespaced(setup.client.clone(), ns);
    assert_eq!(
        deployments
            .get("podinfo")
            .await
            .expect("deployment")
            .spec
            .replicas,
        Some(2)
    );

    // Inline values change: revision 2.
    releases
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"values": {"replicaCount": 3}}})),
        )
        .await
        .expect("patch");
    wait_for(&releases, "podinfo", "upgraded", TIMEOUT, is_ready_at(2))
        .await
        .expect("revision 2");
    assert_eq!(
        deployments
            .get("podinfo")
            .await
            .expect("deployment")
            .spec
            .replicas,
        Some(3)
    );

    // The optional valuesFrom ConfigMap appears: the ConfigMap watch wakes the release; revision 3.
    apply_yaml(
        ns,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-values\ndata:\n  values.yaml: |\n    ui:\n      message: from-configmap\n",
    );

    wait_for(
        &releases,
        "podinfo",
        "values from ConfigMap",
        TIMEOUT,
        is_ready_at(3),
    )
    .await
    .expect("revision 3");
    let values = ok(
        run(
            "helm",
            &["get", "values", "podinfo", "-n", ns, "-o", "json"],
            None,
        ),
        "helm get values",
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&values).expect("json"),
        json!({"replicaCount": 3, "ui": {"message": "from-configmap"}})
    );

    // A forced reconcile with nothing changed makes no new revision.
    request_reconcile(ns, "hr/podinfo", "second");
    wait_for(
        &releases,
        "podinfo",
        "no-op reconcile handled",
        TIMEOUT,
        |hr: &HelmRelease| {
            hr.status
                .as_ref()
                .and_then(|s| s.last_handled_reconcile_at.as_deref())
                == Some("second")
        },
    )
    .await
    .expect("handled");
    assert_eq!(
        release_secrets(&setup.client, ns, "podinfo").await,
        [
            "sh.helm.release.v1.podinfo.v1",
            "sh.helm.release.v1.podinfo.v2",
            "sh.helm.release.v1.podinfo.v3"
        ],
        "no new revision for a no-op reconcile"
    );

    // Deletion uninstalls through the finalizer: objects and release Secrets are gone.
    releases
        .delete("podinfo", &Default::default())
        .await
        .expect("delete");
    wait_for_deletion(&releases, "podinfo", TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert!(
        deployments.get_opt("podinfo").await.expect("get").is_none(),
        "objects removed"
    );
    assert!(
        release_secrets(&setup.client, ns, "podinfo")
            .await
            .is_empty(),
        "history purged"
    );
}

/// Issue 7 test 3 (never-ready variant): a failing upgrade is remediated by rollback; after
/// the retries, Stalled until the spec changes.
#[tokio::test]
async fn failed_upgrade_is_rolled_back_then_stalls_until_the_spec_changes() {
    let setup = ReleaseSetup::start("hr-remediate", &[], &[]).await;
    let ns = setup.namespace.name.as_str();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(ns, &repository_yaml(&setup.server.url));
    apply_yaml(
        ns,
        &podinfo_release(
            "podinfo",
            "  timeout: 15s\n  upgrade:\n    remediation:\n      retries: 1\n  values:\n    replicaCount: 1\n",
        ),
    );
    wait_for(&releases, "podinfo", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));

    // Pods of the new ReplicaSet fail (kwok), so the Deployment never becomes ready.
    releases
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"values": {"podAnnotations": {POD_FAILURE_ANNOTATION: "true"}}}}),
            ),
        )
        .await
        .expect("patch");
    let hr = wait_for(
        &releases,
        "podinfo",
        "stalled after retries",
        Duration::from_secs(180),
        |hr: &HelmRelease| {
            hr.status
                .as_ref()
                .is_some_and(|s| condition::is_true(&s.conditions, condition::STALLED))
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    let remediated = find_condition(&status.conditions, condition::REMEDIATED).expect("Remediated");
    assert_eq!(
        (remediated.status.as_str(), remediated.reason.as_str()),
        ("True", "RollbackSucceeded")
    );
    let (ready, reason, message) = ready_status(&hr).expect("Ready");
    assert_eq!(
        (ready.as_str(), reason.as_str()),
        ("False", "RetriesExceeded")
    );
    assert!(message.contains("upgrade retries exhausted"), "{message}");
    assert_eq!(status.upgrade_failures, Some(2));
    // Two failed upgrades, each rolled back: 1 install, 2 failed, 3 rollback, 4 failed, 5 rollback.
    let latest = &status.history[0];
    assert_eq!(
        (latest.revision, latest.status.as_str()),
        (5, "deployed"),
        "{:?}",
        status.history
    );
    let history = ok(
        run(
            "helm",
            &["history", "podinfo", "-n", ns, "-o", "json"],
            None,
        ),
        "helm history",
    );
    let history: serde_json::Value = serde_json::from_str(&history).expect("json");
    assert_eq!(history.as_array().map(|h| h.len()), Some(5));
    assert_eq!(history[4]["description"], "Rollback to 3");

    // A spec change lifts the stall.
    releases
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"values": {"podAnnotations": null, "replicaCount": 2}}})),
        )
        .await
        .expect("patch");
    wait_for(
        &releases,
        "podinfo",
        "upgraded after the fix",
        TIMEOUT,
        is_ready_at(6),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
}

/// Issue 7 test 5 (part) and issue 5's conditions: bad input gives Ready=False with a
/// message a user can act on, and loses nothing.
#[tokio::test]
async fn bad_input_is_reported_in_conditions() {
    let setup = ReleaseSetup::start("hr-bad-input", &[], &[]).await;
    let ns = setup.namespace.name.as_str();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    let repositories: Api<HelmRepository> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(ns, &repository_yaml(&setup.server.url));
    apply_yaml(
        ns,
        "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRelease\nmetadata:\n  name: unknown-chart\nspec:\n  chart:\n    spec:\n      chart: nosuchchart\n      sourceRef: {kind: HelmRepository, name: charts}\n",
    );
    apply_yaml(
        ns,
        &podinfo_release("no-version", "").replace("\"6.x\"", "\">=99\""),
    );
    apply_yaml(
        ns,
        &podinfo_release(
            "missing-secret",
            "  valuesFrom:\n  - kind: Secret\n    name: absent\n",
        ),
    );
    apply_yaml(
        ns,
        "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRelease\nmetadata:\n  name: template-error\nspec:\n  chart:\n    spec:\n      chart: broken\n      sourceRef: {kind: HelmRepository, name: charts}\n",
    );
    apply_yaml(
        ns,
        "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRelease\nmetadata:\n  name: no-source\nspec:\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef: {kind: HelmRepository, name: nowhere}\n",
    );
    let cases: [(&str, &'static str, &str); 5] = [
        ("unknown-chart", "ChartNotFound", "nosuchchart"),
        ("no-version", "ChartNotFound", ">=99"),
        (
            "missing-secret",
            "InitFailed",
            "Secret absent referenced in spec.valuesFrom not found",
        ),
        (
            "template-error",
            "RenderFailed",
            "value .Values.needed is required",
        ),
        ("no-source", "SourceNotReady", "HelmRepository"),
    ];
    for (name, reason, needle) in cases {
        let hr = wait_for(&releases, name, reason, TIMEOUT, not_ready_with(reason))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", setup.operator.log_text()));
        let (_, _, message) = ready_status(&hr).expect("Ready");
        assert!(
            message.contains(needle),
            "{name}: {message:?} lacks {needle:?}"
        );
    }
    // Nothing was released for any of them.
    let secrets: Api<Secret> = Api::namespaced(setup.client.clone(), ns);
    let stored = secrets
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .expect("list");
    assert!(
        stored.items.is_empty(),
        "no release records: {:?}",
        stored
            .items
            .iter()
            .map(|s| s.name_any())
            .collect::<Vec<_>>()
    );

    // Events carry the same reasons.
    let events = ok(
        run("kubectl", &["get", "events", "-n", ns, "-o", "json"], None),
        "events",
    );
    for reason in ["ChartNotFound", "InitFailed", "RenderFailed"] {
        assert!(events.contains(reason), "no Event with reason {reason}");
    }

    // The repository's own failures: a 500 on the index makes it Ready=False with the reason.
    setup
        .server
        .set_behaviour("/index.yaml", Some(Behaviour::Status(500)));
    request_reconcile(ns, "helmrepo/charts", "500");
    let repository = wait_for(
        &repositories,
        "charts",
        "index 500",
        TIMEOUT,
        |r: &HelmRepository| {
            r.status.as_ref().is_some_and(|s| {
                find_condition(&s.conditions, condition::READY)
                    .is_some_and(|c| c.status == "False" && c.message.contains("500"))
            })
        },
    )
    .await
    .expect("Ready=False on a 500");
    assert!(
        repository.status.and_then(|s| s.artifact).is_some(),
        "the last artifact is kept"
    );
}

/// Issue 7 with issue 5's OCI source: a HelmRelease from a real distribution registry (chart
/// pushed by the real `helm push`), resolved from the registry's tags; and provenance
/// verification asked for a chart that has none: nothing is released.
#[tokio::test]
async fn helmrelease_from_an_oci_registry_and_unverifiable_provenance() {
    let setup = ReleaseSetup::start("hr-oci", &[], &[]).await;
    let ns = setup.namespace.name.as_str();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    let registry_dir = setup.dir.0.join("registry");
    let registry = wheelhouse_e2e::oci_registry::OciRegistry::start(&registry_dir, None);
    let archive = std::fs::read_dir(setup.dir.0.join("repo"))
        .expect("repo dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("podinfo-"))
        })
        .expect("podinfo archive");
    ok(
        run(
            "helm",
            &[
                "push",
                archive.to_str().expect("utf8"),
                &format!("oci://{}/charts", registry.host),
                "--plain-http",
            ],
            None,
        ),
        "helm push",
    );
    apply_yaml(
        ns,
        &format!(
            "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRepository\nmetadata:\n  name: registry\nspec:\n  type: oci\n  url: oci://{}/charts\n  insecure: true\n",
            registry.host
        ),
    );
    apply_yaml(
        ns,
        "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRelease\nmetadata:\n  name: from-oci\nspec:\n  chart:\n    spec:\n      chart: podinfo\n      version: \"6.x\"\n      sourceRef: {kind: HelmRepository, name: registry}\n",
    );
    let hr = wait_for(
        &releases,
        "from-oci",
        "installed from OCI",
        TIMEOUT,
        is_ready_at(1),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let snapshot = &hr.status.as_ref().expect("status").history[0];
    assert_eq!(snapshot.chart_name, "podinfo");
    assert!(
        snapshot.chart_version.starts_with("6."),
        "{}",
        snapshot.chart_version
    );

    // verify: the HTTP repository's podinfo has no .prov, so nothing may be released.
    apply_yaml(ns, &repository_yaml(&setup.server.url));
    apply_yaml(
        ns,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: keyring\nstringData:\n  pubring.gpg: not a keyring\n",
    );
    apply_yaml(
        ns,
        &podinfo_release("verified", "").replace(
            "      sourceRef: {kind: HelmRepository, name: charts}\n",
            "      sourceRef: {kind: HelmRepository, name: charts}\n      verify:\n        secretRef: {name: keyring}\n",
        ),
    );
    let hr = wait_for(
        &releases,
        "verified",
        "verification failure",
        TIMEOUT,
        not_ready_with("VerificationFailed"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let (_, _, message) = ready_status(&hr).expect("Ready");
    assert!(message.contains("provenance"), "{message}");
    assert!(
        release_secrets(&setup.client, ns, "verified")
            .await
            .is_empty(),
        "nothing released"
    );
}

//! The HelmRelease controller's access limits end to end, issue 7 check 7: impersonating a
//! service account without rights gives a forbidden message and applies nothing; a
//! cross-namespace `sourceRef` is refused under `--no-cross-namespace-refs` before the source
//! is read.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse_e2e::release_fixture::{
    ReleaseSetup, ScratchDir, apply_yaml, chart_release, config_map_message, handled, is_ready_at,
    ok, ready_status, release_secrets, repository_yaml, request_reconcile, run, tiny_chart,
};
use wheelhouse_e2e::{TestNamespace, wait_for};

const TIMEOUT: Duration = Duration::from_secs(90);

/// A [`ReleaseSetup`] whose repository also holds `tiny`, with the HelmRepository `charts`
/// applied.
async fn setup(test: &str, operator_args: &[&str]) -> ReleaseSetup {
    // Removed when dropped, also when the set-up panics.
    let charts = ScratchDir::create(&format!("charts-{test}"));
    let extra = [tiny_chart(&charts.0)];
    let setup = ReleaseSetup::start(test, &extra, operator_args).await;
    apply_yaml(setup.ns(), &repository_yaml(&setup.server.url));
    setup
}

/// Names of every release Secret (`owner=helm`) in `namespace`.
async fn all_release_secrets(setup: &ReleaseSetup, namespace: &str) -> Vec<String> {
    Api::<Secret>::namespaced(setup.client.clone(), namespace)
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .expect("list")
        .items
        .iter()
        .map(|s| s.name_any())
        .collect()
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

/// Issue 7 check 7: `spec.serviceAccountName` names a ServiceAccount with no RBAC at all.
/// Every write of the release (Helm's storage included) impersonates it, so the first call,
/// reading the release history, is forbidden: Ready=False with the API server's message naming
/// the account, the resource and the namespace, and nothing applied or recorded. Granting the
/// account rights over Secrets only (Helm's storage) gets one step further: the install is
/// forbidden when Helm's ownership check reads the chart's ConfigMap, before anything is
/// recorded; with no install retries that failure stalls the release, Ready still naming it.
/// Rights over ConfigMaps as well and a spec change: the account installs the release.
#[tokio::test]
async fn impersonated_service_account_without_rights_is_forbidden_and_applies_nothing() {
    let setup = setup("hr-impersonate", &[]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(
        ns,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: nobody\n",
    );
    apply_yaml(
        ns,
        &chart_release(
            "as-nobody",
            "tiny",
            "1.0.0",
            "  serviceAccountName: nobody\n",
        ),
    );
    // A release without impersonation in the same namespace installs: the operator works.
    apply_yaml(ns, &chart_release("as-operator", "tiny", "1.0.0", ""));
    wait_for(
        &releases,
        "as-operator",
        "installed",
        TIMEOUT,
        is_ready_at(1),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));

    let hr = wait_for(
        &releases,
        "as-nobody",
        "forbidden",
        TIMEOUT,
        failed_with("StorageFailed"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let (_, _, message) = ready_status(&hr).expect("Ready");
    let user = format!("system:serviceaccount:{ns}:nobody");
    assert!(
        message.contains("forbidden")
            && message.contains(&user)
            && message.contains("secrets")
            && message.contains(ns),
        "{message}"
    );
    assert_eq!(
        config_map_message(&setup, "as-nobody-main").await,
        None,
        "nothing applied"
    );
    assert!(
        release_secrets(&setup.client, ns, "as-nobody")
            .await
            .is_empty()
    );
    let events = ok(
        run(
            "kubectl",
            &[
                "get",
                "events",
                "-n",
                ns,
                "--field-selector",
                "involvedObject.name=as-nobody",
                "-o",
                "json",
            ],
            None,
        ),
        "events",
    );
    assert!(
        events.contains("StorageFailed") && events.contains(&user),
        "an Event carries the forbidden error: {events}"
    );

    // Rights over Secrets only: Helm's storage works as the account, the chart's ConfigMap
    // does not.
    apply_yaml(
        ns,
        &format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: release-storage\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list, watch, create, update, patch, delete]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: nobody-release-storage\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: release-storage\nsubjects:\n- kind: ServiceAccount\n  name: nobody\n  namespace: {ns}\n"
        ),
    );
    // RBAC does not wake the HelmRelease; a reconcile request does.
    request_reconcile(ns, "hr/as-nobody", "with-storage-rights");
    let hr = wait_for(
        &releases,
        "as-nobody",
        "install forbidden",
        TIMEOUT,
        |hr: &HelmRelease| {
            hr.status.as_ref().is_some_and(|s| {
                s.last_handled_reconcile_at.as_deref() == Some("with-storage-rights")
                    && find_condition(&s.conditions, condition::READY)
                        .is_some_and(|c| c.status == "False" && c.reason != "StorageFailed")
            })
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    let released = find_condition(&status.conditions, condition::RELEASED).expect("Released");
    assert_eq!(
        (released.status.as_str(), released.reason.as_str()),
        ("False", "InstallFailed")
    );
    let forbidden = |message: &str| {
        message.contains("forbidden") && message.contains(&user) && message.contains("configmaps")
    };
    assert!(forbidden(&released.message), "{}", released.message);
    let (_, _, message) = ready_status(&hr).expect("Ready");
    assert!(forbidden(&message), "{message}");
    // Helm's ownership check reads the chart's objects before the release is recorded: as
    // the account it is forbidden, so nothing is recorded and nothing applied.
    assert_eq!(
        config_map_message(&setup, "as-nobody-main").await,
        None,
        "nothing applied"
    );
    assert!(
        release_secrets(&setup.client, ns, "as-nobody")
            .await
            .is_empty()
    );
    // That install failure used up the retries (0): the next reconcile finds the release
    // Stalled, Ready still naming the cause.
    request_reconcile(ns, "hr/as-nobody", "after-the-failure");
    let hr = wait_for(
        &releases,
        "as-nobody",
        "stalled",
        TIMEOUT,
        |hr: &HelmRelease| handled("after-the-failure")(hr) && failed_with("RetriesExceeded")(hr),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    assert!(condition::is_true(&status.conditions, condition::STALLED));
    let (_, _, message) = ready_status(&hr).expect("Ready");
    assert!(
        message.starts_with("install retries exhausted (1 failures)") && forbidden(&message),
        "{message}"
    );
    assert!(
        release_secrets(&setup.client, ns, "as-nobody")
            .await
            .is_empty()
    );

    // With rights over ConfigMaps too, a spec change lifts the stall and the account installs.
    apply_yaml(
        ns,
        &format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: chart-objects\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get, list, watch, create, update, patch, delete]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: nobody-chart-objects\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: chart-objects\nsubjects:\n- kind: ServiceAccount\n  name: nobody\n  namespace: {ns}\n"
        ),
    );
    apply_yaml(
        ns,
        &chart_release(
            "as-nobody",
            "tiny",
            "1.0.0",
            "  serviceAccountName: nobody\n  values:\n    message: granted\n",
        ),
    );
    wait_for(
        &releases,
        "as-nobody",
        "installed as the account",
        TIMEOUT,
        is_ready_at(1),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert_eq!(
        config_map_message(&setup, "as-nobody-main")
            .await
            .as_deref(),
        Some("granted")
    );
}

/// Issue 7 check 7: with `--no-cross-namespace-refs`, a HelmRelease whose `sourceRef` names a
/// HelmRepository in another namespace is Stalled and Ready=False (`AccessDenied`) with a
/// message naming the reference and the flag, and nothing is installed; the refusal comes
/// before the source is looked up (the operator does not watch the other namespace, so a
/// lookup would say `SourceNotReady`).
#[tokio::test]
async fn cross_namespace_source_is_refused_under_the_flag() {
    let setup = setup("hr-cross-ns", &["--no-cross-namespace-refs"]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    let other = TestNamespace::create(&setup.client, "hr-cross-ns-source")
        .await
        .expect("other namespace");
    apply_yaml(&other.name, &repository_yaml(&setup.server.url));
    apply_yaml(
        ns,
        &chart_release("elsewhere", "tiny", "1.0.0", "").replace(
            "sourceRef: {kind: HelmRepository, name: charts}",
            &format!(
                "sourceRef: {{kind: HelmRepository, name: charts, namespace: {}}}",
                other.name
            ),
        ),
    );
    // The same chart from the HelmRelease's own namespace installs.
    apply_yaml(ns, &chart_release("here", "tiny", "1.0.0", ""));
    wait_for(&releases, "here", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));

    let hr = wait_for(
        &releases,
        "elsewhere",
        "refused",
        TIMEOUT,
        failed_with("AccessDenied"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    let stalled = find_condition(&status.conditions, condition::STALLED).expect("Stalled");
    assert_eq!(
        (stalled.status.as_str(), stalled.reason.as_str()),
        ("True", "AccessDenied")
    );
    let (_, _, message) = ready_status(&hr).expect("Ready");
    assert!(
        message.contains("cross-namespace")
            && message.contains(&format!("HelmRepository {}/charts", other.name))
            && message.contains("--no-cross-namespace-refs"),
        "{message}"
    );
    assert!(status.history.is_empty());
    assert_eq!(config_map_message(&setup, "elsewhere-main").await, None);
    assert!(
        release_secrets(&setup.client, ns, "elsewhere")
            .await
            .is_empty()
    );
    assert!(all_release_secrets(&setup, &other.name).await.is_empty());
}

//! The HelmRelease controller end to end, issue 7 checks 3 (failing pre-upgrade hook), 6
//! (dependsOn, suspend/resume, a hand-made `helm rollback`) and 8 (deletion with hooks,
//! `keepHistory`): a `wheelhouse run` process per test watching only the test's namespace,
//! charts packaged and indexed by the real `helm`, and the real `helm` reading back what
//! Wheelhouse recorded.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse_e2e::release_fixture::{
    ReleaseSetup, ScratchDir, apply_yaml, chart_release, config_map_message, handled, helm_history,
    helm_values, is_ready_at, not_ready_with, ok, ready_status, release_secrets, repository_yaml,
    request_reconcile, run, tiny_chart, write_chart,
};
use wheelhouse_e2e::{POD_FAILURE_ANNOTATION, wait_for, wait_for_deletion};

const TIMEOUT: Duration = Duration::from_secs(90);

/// `hooked` 1.0.0: a ConfigMap `<release>-main` holding `.Values.message`, and hook Jobs
/// named after the release: `pre-upgrade` (its pod fails when `failPreUpgrade` is set, through
/// the local cluster's failure annotation), `pre-delete` and `post-delete`. The Jobs keep
/// Helm's default delete policy (`before-hook-creation`), so they stay after running and show
/// that they ran.
fn hooked_chart(parent: &Path) -> PathBuf {
    let job = |event: &str, fail_switch: Option<&str>| {
        let annotations = fail_switch
            .map(|switch| {
                format!(
                    "    metadata:\n      {{{{- if .Values.{switch} }}}}\n      annotations:\n        {POD_FAILURE_ANNOTATION}: \"true\"\n      {{{{- end }}}}\n"
                )
            })
            .unwrap_or_default();
        format!(
            "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{{{ .Release.Name }}}}-{event}\n  annotations:\n    helm.sh/hook: {event}\nspec:\n  backoffLimit: 0\n  template:\n{annotations}    spec:\n      restartPolicy: Never\n      containers:\n      - name: hook\n        image: registry.invalid/hook:1\n"
        )
    };
    let hooks = [
        job("pre-upgrade", Some("failPreUpgrade")),
        job("pre-delete", None),
        job("post-delete", None),
    ]
    .concat();
    write_chart(
        parent,
        "hooked",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: hooked\nversion: 1.0.0\n",
            ),
            ("values.yaml", "message: v1\nfailPreUpgrade: false\n"),
            (
                "templates/main.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-main\ndata:\n  message: {{ .Values.message | quote }}\n",
            ),
            ("templates/hooks.yaml", &hooks),
        ],
    )
}

/// A [`ReleaseSetup`] whose repository also holds `hooked` and `tiny`, with the HelmRepository
/// `charts` applied.
async fn setup(test: &str, operator_args: &[&str]) -> ReleaseSetup {
    // Removed when dropped, also when the set-up panics.
    let charts = ScratchDir::create(&format!("charts-{test}"));
    let extra = [hooked_chart(&charts.0), tiny_chart(&charts.0)];
    let setup = ReleaseSetup::start(test, &extra, operator_args).await;
    apply_yaml(setup.ns(), &repository_yaml(&setup.server.url));
    setup
}

/// Whether `job` has the condition `type_` (`Complete` or `Failed`) set to True.
fn job_has(job: &Job, type_: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == type_ && c.status == "True"))
}

async fn patch_spec(releases: &Api<HelmRelease>, name: &str, patch: Value) {
    releases
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .expect("patch HelmRelease");
}

/// Issue 7 check 3, failing pre-upgrade hook variant: the upgrade fails in its pre-upgrade
/// hook, is rolled back (Remediated=True) to revision 1's objects and values, is retried once,
/// rolled back again, then Stalled with the reason until the spec changes.
#[tokio::test]
async fn failing_pre_upgrade_hook_is_rolled_back_then_stalls_until_the_spec_changes() {
    let setup = setup("hr-hook-fail", &[]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(
        ns,
        &chart_release(
            "hooked",
            "hooked",
            "1.0.0",
            "  timeout: 60s\n  upgrade:\n    remediation:\n      retries: 1\n  values:\n    message: v1\n",
        ),
    );
    wait_for(&releases, "hooked", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert_eq!(
        config_map_message(&setup, "hooked-main").await.as_deref(),
        Some("v1")
    );

    patch_spec(
        &releases,
        "hooked",
        json!({"spec": {"values": {"message": "v2", "failPreUpgrade": true}}}),
    )
    .await;
    let hr = wait_for(
        &releases,
        "hooked",
        "stalled after retries",
        Duration::from_secs(180),
        |hr: &HelmRelease| {
            hr.status.as_ref().is_some_and(|s| {
                s.observed_generation == hr.metadata.generation
                    && condition::is_true(&s.conditions, condition::STALLED)
            })
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    let remediated = find_condition(&status.conditions, condition::REMEDIATED).expect("Remediated");
    assert_eq!(
        (remediated.status.as_str(), remediated.reason.as_str()),
        ("True", "RollbackSucceeded"),
        "{remediated:?}"
    );
    let released = find_condition(&status.conditions, condition::RELEASED).expect("Released");
    assert_eq!(
        (released.status.as_str(), released.reason.as_str()),
        ("False", "UpgradeFailed")
    );
    assert!(
        released.message.contains("hooked-pre-upgrade"),
        "the failure names the hook: {}",
        released.message
    );
    let (ready, reason, ready_message) = ready_status(&hr).expect("Ready");
    assert_eq!(
        (ready.as_str(), reason.as_str()),
        ("False", "RetriesExceeded")
    );
    assert!(
        ready_message.contains("upgrade retries exhausted")
            && ready_message.contains("hooked-pre-upgrade"),
        "{ready_message}"
    );
    let stalled = find_condition(&status.conditions, condition::STALLED).expect("Stalled");
    assert_eq!(stalled.reason, "RetriesExceeded");
    assert_eq!(status.upgrade_failures, Some(2));

    // 1 install, 2 failed upgrade, 3 rollback to 1, 4 failed retry, 5 rollback to 3.
    let history = helm_history(ns, "hooked");
    let shape: Vec<(u64, &str)> = history.iter().map(|(r, s, _)| (*r, s.as_str())).collect();
    assert_eq!(
        shape,
        [
            (1, "superseded"),
            (2, "failed"),
            (3, "superseded"),
            (4, "failed"),
            (5, "deployed")
        ],
        "{history:?}"
    );
    assert_eq!(history[2].2, "Rollback to 1");
    assert_eq!(history[4].2, "Rollback to 3");
    assert!(history[1].2.contains("hooked-pre-upgrade"), "{history:?}");
    // Revision 1's objects and values are back.
    assert_eq!(
        config_map_message(&setup, "hooked-main").await.as_deref(),
        Some("v1")
    );
    assert_eq!(helm_values(ns, "hooked", 5), json!({"message": "v1"}));
    let jobs: Api<Job> = Api::namespaced(setup.client.clone(), ns);
    let hook = jobs.get("hooked-pre-upgrade").await.expect("hook Job kept");
    assert!(job_has(&hook, "Failed"), "{:?}", hook.status);

    // Stalled: a requested reconcile changes nothing (no new revision, still Stalled)...
    request_reconcile(ns, "hr/hooked", "while-stalled");
    let hr = wait_for(
        &releases,
        "hooked",
        "reconcile while stalled",
        TIMEOUT,
        handled("while-stalled"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    assert!(condition::is_true(&status.conditions, condition::STALLED));
    assert_eq!(status.history[0].revision, 5);
    assert_eq!(helm_history(ns, "hooked").len(), 5);
    // ...until the spec changes.
    patch_spec(
        &releases,
        "hooked",
        json!({"spec": {"values": {"failPreUpgrade": null}}}),
    )
    .await;
    let hr = wait_for(
        &releases,
        "hooked",
        "upgraded after the fix",
        TIMEOUT,
        is_ready_at(6),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    assert!(find_condition(&status.conditions, condition::STALLED).is_none());
    assert_eq!(
        config_map_message(&setup, "hooked-main").await.as_deref(),
        Some("v2")
    );
    let hook = jobs
        .get("hooked-pre-upgrade")
        .await
        .expect("hook Job of revision 6");
    assert!(job_has(&hook, "Complete"), "{:?}", hook.status);
}

/// Issue 7 check 6, dependsOn: B waits for A with a clear reason and installs nothing while A
/// is blocked; once A is fixed and Ready, B installs, woken by A's status change rather than by
/// its own requeue (30 s).
#[tokio::test]
async fn depends_on_waits_for_the_dependency_and_follows_its_status() {
    let setup = setup("hr-depends", &[]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    // A asks for a version the repository does not have.
    apply_yaml(ns, &chart_release("a", "tiny", "9.9.9", ""));
    apply_yaml(
        ns,
        &chart_release("b", "tiny", "1.x", "  dependsOn:\n  - name: a\n"),
    );
    wait_for(
        &releases,
        "a",
        "A blocked",
        TIMEOUT,
        not_ready_with("ChartNotFound"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let hr = wait_for(
        &releases,
        "b",
        "B waiting",
        TIMEOUT,
        not_ready_with("DependencyNotReady"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let (_, _, waiting) = ready_status(&hr).expect("Ready");
    assert!(
        waiting.contains(&format!("dependency {ns}/a is not ready")),
        "{waiting}"
    );
    // A reconcile of B now (handled = its requeue timer restarts): had B only its requeue,
    // it would look at A again 30 s from here.
    request_reconcile(ns, "hr/b", "before-fix");
    wait_for(
        &releases,
        "b",
        "B re-checked",
        TIMEOUT,
        handled("before-fix"),
    )
    .await
    .expect("handled");
    let requeue_started = Instant::now();
    assert!(release_secrets(&setup.client, ns, "b").await.is_empty());
    assert_eq!(
        config_map_message(&setup, "b-main").await,
        None,
        "B installed nothing"
    );

    patch_spec(
        &releases,
        "a",
        json!({"spec": {"chart": {"spec": {"version": "1.x"}}}}),
    )
    .await;
    let a = wait_for(&releases, "a", "A installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    wait_for(&releases, "b", "B installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let took = requeue_started.elapsed();
    eprintln!("B Ready {took:?} after its last check (its requeue would come after 30 s)");
    assert!(
        took < Duration::from_secs(25),
        "B installed {took:?} after its last check: woken by its requeue, not by A's status"
    );
    // B's release was recorded after A became Ready.
    let a_ready = find_condition(&a.status.expect("status").conditions, condition::READY)
        .expect("Ready")
        .last_transition_time
        .0;
    let b_secret = Api::<Secret>::namespaced(setup.client.clone(), ns)
        .get("sh.helm.release.v1.b.v1")
        .await
        .expect("B's release Secret");
    let b_created = b_secret.metadata.creation_timestamp.expect("created").0;
    assert!(
        b_created >= a_ready,
        "B {b_created} before A Ready {a_ready}"
    );
    assert_eq!(
        config_map_message(&setup, "b-main").await.as_deref(),
        Some("v1")
    );
}

/// Issue 7 check 6, suspend/resume: while `spec.suspend` is true a values change is not
/// applied (the requested reconcile is acknowledged, nothing released); resuming applies it;
/// deleting it while suspended does not uninstall.
#[tokio::test]
async fn suspended_release_ignores_changes_until_resumed() {
    let setup = setup("hr-suspend", &[]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(
        ns,
        &chart_release("tiny", "tiny", "1.0.0", "  values:\n    message: v1\n"),
    );
    wait_for(&releases, "tiny", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));

    // One patch: suspended, new values, and a reconcile request to know it was looked at.
    patch_spec(
        &releases,
        "tiny",
        json!({
            "metadata": {"annotations": {"reconcile.wheelhouse.dev/requestedAt": "while-suspended"}},
            "spec": {"suspend": true, "values": {"message": "v2"}}
        }),
    )
    .await;
    let hr = wait_for(
        &releases,
        "tiny",
        "suspended reconcile handled",
        TIMEOUT,
        handled("while-suspended"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let status = hr.status.as_ref().expect("status");
    assert_ne!(
        status.observed_generation, hr.metadata.generation,
        "a suspended release does not claim the new generation"
    );
    assert_eq!(status.history[0].revision, 1);
    assert_eq!(
        release_secrets(&setup.client, ns, "tiny").await,
        ["sh.helm.release.v1.tiny.v1"]
    );
    assert_eq!(
        config_map_message(&setup, "tiny-main").await.as_deref(),
        Some("v1")
    );

    patch_spec(&releases, "tiny", json!({"spec": {"suspend": false}})).await;
    wait_for(&releases, "tiny", "resumed", TIMEOUT, is_ready_at(2))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert_eq!(
        config_map_message(&setup, "tiny-main").await.as_deref(),
        Some("v2")
    );
    assert_eq!(helm_values(ns, "tiny", 2), json!({"message": "v2"}));

    // Deleting a suspended HelmRelease leaves its release alone (as Flux): objects and
    // history stay for whoever takes over. (The deleted object carries suspend: true, so the
    // controller sees it whatever it has seen before.)
    patch_spec(&releases, "tiny", json!({"spec": {"suspend": true}})).await;
    releases
        .delete("tiny", &Default::default())
        .await
        .expect("delete");
    wait_for_deletion(&releases, "tiny", TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    assert_eq!(
        release_secrets(&setup.client, ns, "tiny").await,
        ["sh.helm.release.v1.tiny.v1", "sh.helm.release.v1.tiny.v2"]
    );
    assert_eq!(
        config_map_message(&setup, "tiny-main").await.as_deref(),
        Some("v2")
    );
    assert_eq!(helm_history(ns, "tiny")[1].1, "deployed");
}

/// Issue 7 check 6: a hand-made `helm rollback <release> 1` (the real helm) is noticed through
/// the release Secret watch and reconciled back to the desired state with a new revision.
#[tokio::test]
async fn hand_made_helm_rollback_is_reconciled_back() {
    let setup = setup("hr-helm-rollback", &[]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(
        ns,
        &chart_release("tiny", "tiny", "1.0.0", "  values:\n    message: v1\n"),
    );
    wait_for(&releases, "tiny", "installed", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    patch_spec(
        &releases,
        "tiny",
        json!({"spec": {"values": {"message": "v2"}}}),
    )
    .await;
    wait_for(&releases, "tiny", "upgraded", TIMEOUT, is_ready_at(2))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));

    ok(
        run(
            "helm",
            &["rollback", "tiny", "1", "-n", ns, "--force-conflicts"],
            None,
        ),
        "helm rollback",
    );
    wait_for(
        &releases,
        "tiny",
        "reconciled back after helm rollback",
        TIMEOUT,
        is_ready_at(4),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", setup.operator.log_text()));
    let history = helm_history(ns, "tiny");
    let shape: Vec<(u64, &str, &str)> = history
        .iter()
        .map(|(r, s, d)| (*r, s.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            (1, "superseded", "Install complete"),
            (2, "superseded", "Upgrade complete"),
            (3, "superseded", "Rollback to 1"),
            (4, "deployed", "Upgrade complete"),
        ]
    );
    assert_eq!(helm_values(ns, "tiny", 3), json!({"message": "v1"}));
    assert_eq!(helm_values(ns, "tiny", 4), json!({"message": "v2"}));
    assert_eq!(
        config_map_message(&setup, "tiny-main").await.as_deref(),
        Some("v2")
    );
}

/// Issue 7 check 8: deleting a HelmRelease uninstalls its release, running the chart's
/// pre-delete and post-delete hooks, removing its objects and release Secrets; with
/// `uninstall.keepHistory` the Secrets stay, the last one `uninstalled`.
#[tokio::test]
async fn deletion_runs_delete_hooks_and_keep_history_keeps_the_records() {
    let setup = setup("hr-delete", &[]).await;
    let ns = setup.ns();
    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), ns);
    let jobs: Api<Job> = Api::namespaced(setup.client.clone(), ns);
    apply_yaml(ns, &chart_release("gone", "hooked", "1.0.0", ""));
    apply_yaml(
        ns,
        &chart_release(
            "kept",
            "hooked",
            "1.0.0",
            "  uninstall:\n    keepHistory: true\n",
        ),
    );
    for name in ["gone", "kept"] {
        wait_for(&releases, name, "installed", TIMEOUT, is_ready_at(1))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", setup.operator.log_text()));
        assert_eq!(
            config_map_message(&setup, &format!("{name}-main"))
                .await
                .as_deref(),
            Some("v1")
        );
        for event in ["pre-delete", "post-delete"] {
            assert!(
                jobs.get_opt(&format!("{name}-{event}"))
                    .await
                    .expect("get")
                    .is_none(),
                "{name}: a {event} hook Job exists before deletion"
            );
        }
    }

    for name in ["gone", "kept"] {
        releases
            .delete(name, &Default::default())
            .await
            .expect("delete");
        wait_for_deletion(&releases, name, TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", setup.operator.log_text()));
        // Both delete hooks ran to completion (they stay: before-hook-creation).
        for event in ["pre-delete", "post-delete"] {
            let job = jobs
                .get_opt(&format!("{name}-{event}"))
                .await
                .expect("get")
                .unwrap_or_else(|| panic!("{name}: the {event} hook Job was not created"));
            assert!(
                job_has(&job, "Complete"),
                "{name} {event}: {:?}",
                job.status
            );
        }
        assert_eq!(
            config_map_message(&setup, &format!("{name}-main")).await,
            None,
            "{name}: objects removed"
        );
    }
    assert!(
        release_secrets(&setup.client, ns, "gone").await.is_empty(),
        "history purged without keepHistory"
    );
    let purged = run("helm", &["history", "gone", "-n", ns], None);
    assert!(
        !purged.status.success() && String::from_utf8_lossy(&purged.stderr).contains("not found"),
        "helm history of a purged release: {purged:?}"
    );
    assert_eq!(
        release_secrets(&setup.client, ns, "kept").await,
        ["sh.helm.release.v1.kept.v1"],
        "keepHistory keeps the record"
    );
    let history = helm_history(ns, "kept");
    assert_eq!(
        history,
        [(
            1,
            "uninstalled".to_owned(),
            "Uninstallation complete".to_owned()
        )]
    );
    let list = ok(
        run(
            "helm",
            &["list", "-n", ns, "--uninstalled", "-o", "json"],
            None,
        ),
        "helm list --uninstalled",
    );
    let list: Value = serde_json::from_str(&list).expect("json");
    assert_eq!(list[0]["name"], "kept");
    assert_eq!(list[0]["status"], "uninstalled");
    // The deletion left no other release Secrets behind.
    let stored = Api::<Secret>::namespaced(setup.client.clone(), ns)
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .expect("list");
    assert_eq!(stored.items.len(), 1);
}

//! Release actions (`wheelhouse::action`) against the real API server, with the real `helm`
//! as witness: what the actions record and apply is read back through `helm list`,
//! `history`, `status`, `get values/manifest/hooks`, and compared with what `helm` itself does
//! with the same chart (issue 6, tests 1, 2, 3, 5, 6, 7 and 8; test 4 is `hook_order.rs`).

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Map, Value, json};
use wheelhouse::action::{
    self, ActionError, ChartInput, InstallOptions, Releaser, RollbackOptions, TestOptions,
    UninstallOptions, UnlockOptions, UpgradeOptions,
};
use wheelhouse::apply::{ApplyError, CrdPolicy};
use wheelhouse::chart::load::{Limits, load_dir};
use wheelhouse::chart::model::Chart;
use wheelhouse::release::ReleaseStatus;
use wheelhouse::release::codec;
use wheelhouse_e2e::{TestNamespace, cluster, error_chain, repo_root, shared_dir};

async fn setup(test: &str) -> (Client, TestNamespace) {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    let namespace = TestNamespace::create(&client, test)
        .await
        .expect("namespace");
    (client, namespace)
}

fn helm_output(args: &[&str]) -> Output {
    let cluster = cluster();
    cluster
        .command(&cluster.helm)
        .args(args)
        .output()
        .expect("run helm")
}

/// Runs the real `helm`, expecting success; returns stdout.
fn helm(args: &[&str]) -> String {
    let output = helm_output(args);
    assert!(
        output.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn helm_json(args: &[&str]) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", "json"]);
    let text = helm(&all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("helm {args:?}: not JSON ({e}): {text}"))
}

fn podinfo_dir() -> PathBuf {
    shared_dir().join("conformance/charts/podinfo")
}

fn fixture(name: &str) -> PathBuf {
    repo_root().join("e2e/fixtures/charts").join(name)
}

fn load(dir: &Path) -> Chart {
    load_dir(dir, &Limits::default()).expect("load chart")
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn input<'a>(chart: &'a Chart, values: &'a Map<String, Value>) -> ChartInput<'a> {
    ChartInput { chart, values }
}

fn quick_install(name: &str, namespace: &str) -> InstallOptions {
    let mut options = InstallOptions::new(name, namespace);
    options.timeout = Duration::from_secs(60);
    options
}

fn quick_upgrade(name: &str) -> UpgradeOptions {
    let mut options = UpgradeOptions::new(name);
    options.timeout = Duration::from_secs(60);
    options
}

/// The decoded record of one revision, as JSON.
async fn record_json(client: &Client, namespace: &str, name: &str, revision: u32) -> Value {
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get(&format!("sh.helm.release.v1.{name}.v{revision}"))
        .await
        .expect("release secret");
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .expect("release data");
    let bytes = codec::decode_payload(&data.0).expect("decodes");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The key structure of a JSON value: objects by their keys (recursively), arrays by their
/// first element, scalars by type.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => Value::Null,
    }
}

fn drop_modtimes(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| k != "modtime")
                .map(|(k, v)| (k, drop_modtimes(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(drop_modtimes).collect()),
        other => other,
    }
}

/// Paths at which two shapes differ.
fn shape_differences(ours: &Value, theirs: &Value, path: &str) -> Vec<String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .flat_map(|k| {
                    let here = format!("{path}.{k}");
                    match (a.get(k), b.get(k)) {
                        (Some(x), Some(y)) => shape_differences(x, y, &here),
                        (Some(_), None) => vec![format!("{here}: only ours")],
                        (None, _) => vec![format!("{here}: only helm's")],
                    }
                })
                .collect()
        }
        (Value::Array(a), Value::Array(b)) => match (a.first(), b.first()) {
            (Some(x), Some(y)) => shape_differences(x, y, &format!("{path}[0]")),
            (None, None) => Vec::new(),
            _ => vec![format!("{path}: array emptiness differs")],
        },
        (a, b) if a == b => Vec::new(),
        (a, b) => vec![format!("{path}: {a} vs {b}")],
    }
}

fn history_statuses(namespace: &str, name: &str) -> Vec<(u64, String, String)> {
    helm_json(&["history", name, "-n", namespace])
        .as_array()
        .expect("history list")
        .iter()
        .map(|h| {
            (
                h["revision"].as_u64().unwrap_or_default(),
                h["status"].as_str().unwrap_or_default().to_owned(),
                h["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn statuses(namespace: &str, name: &str) -> Vec<(u64, String)> {
    history_statuses(namespace, name)
        .into_iter()
        .map(|(r, s, _)| (r, s))
        .collect()
}

async fn config_map(client: &Client, namespace: &str, name: &str) -> Option<ConfigMap> {
    Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
        .expect("get configmap")
}

/// Replaces the 5 characters after each `-test-` with `RAND`.
fn mask_random_suffixes(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("-test-") {
        let (head, tail) = rest.split_at(at + "-test-".len());
        out.push_str(head);
        let suffix: String = tail.chars().take(5).collect();
        if suffix.len() == 5 && suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push_str("RAND");
            rest = &tail[5..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Test 1: an install by the action reads through `helm` exactly as a `helm install` of the
/// same chart and values does.
#[tokio::test(flavor = "multi_thread")]
async fn install_reads_like_helm_install() {
    let (client, ours) = setup("act-install-ours").await;
    let theirs = TestNamespace::create(&client, "act-install-helm")
        .await
        .expect("namespace");
    let chart = load(&podinfo_dir());
    let values = object(json!({"replicaCount": 2, "ui": {"message": "hello"}}));
    let releaser = Releaser::new(client.clone(), &ours.name, 10);
    let outcome = action::install(
        &releaser,
        input(&chart, &values),
        &quick_install("podinfo", &ours.name),
    )
    .await
    .unwrap_or_else(|e| panic!("install: {}", error_chain(&e)));
    assert_eq!(outcome.revision, 1);
    assert_eq!(outcome.status, ReleaseStatus::Deployed);
    assert_eq!(outcome.description, "Install complete");
    assert!(
        outcome.applied.iter().any(|k| k.kind == "Deployment"),
        "{outcome:?}"
    );

    let dir = podinfo_dir().display().to_string();
    helm(&[
        "install",
        "podinfo",
        &dir,
        "-n",
        &theirs.name,
        "--set",
        "replicaCount=2",
        "--set",
        "ui.message=hello",
        "--wait=watcher",
        "--timeout",
        "60s",
    ]);

    // helm list / history / status.
    let list = helm_json(&["list", "-n", &ours.name]);
    let entry = &list[0];
    assert_eq!(entry["name"], "podinfo");
    assert_eq!(entry["revision"], "1");
    assert_eq!(entry["status"], "deployed");
    let their_list = helm_json(&["list", "-n", &theirs.name]);
    assert_eq!(entry["chart"], their_list[0]["chart"]);
    assert_eq!(entry["app_version"], their_list[0]["app_version"]);
    assert_eq!(
        history_statuses(&ours.name, "podinfo"),
        vec![(1, "deployed".into(), "Install complete".into())]
    );
    assert_eq!(
        history_statuses(&ours.name, "podinfo"),
        history_statuses(&theirs.name, "podinfo")
    );
    let status = helm_json(&["status", "podinfo", "-n", &ours.name]);
    let their_status = helm_json(&["status", "podinfo", "-n", &theirs.name]);
    assert_eq!(status["info"]["status"], "deployed");
    assert_eq!(
        status["info"]["notes"]
            .as_str()
            .map(|n| n.replace(&ours.name, "NS")),
        their_status["info"]["notes"]
            .as_str()
            .map(|n| n.replace(&theirs.name, "NS"))
    );

    // get values / manifest / hooks.
    assert_eq!(
        helm_json(&["get", "values", "podinfo", "-n", &ours.name]),
        helm_json(&["get", "values", "podinfo", "-n", &theirs.name])
    );
    assert_eq!(
        helm_json(&["get", "values", "podinfo", "-n", &ours.name]),
        Value::Object(values.clone())
    );
    let manifest = helm(&["get", "manifest", "podinfo", "-n", &ours.name]);
    let their_manifest = helm(&["get", "manifest", "podinfo", "-n", &theirs.name]);
    assert_eq!(
        manifest.replace(&ours.name, "NS"),
        their_manifest.replace(&theirs.name, "NS")
    );
    // podinfo names its test Pods with `randAlphaNum 5`: mask those.
    let hooks = helm(&["get", "hooks", "podinfo", "-n", &ours.name]);
    assert_eq!(
        mask_random_suffixes(&hooks.replace(&ours.name, "NS")),
        mask_random_suffixes(
            &helm(&["get", "hooks", "podinfo", "-n", &theirs.name]).replace(&theirs.name, "NS")
        )
    );
    assert!(hooks.contains("helm.sh/hook"), "podinfo has test hooks");

    // The Secret decodes to the same JSON shape as helm's.
    let record = record_json(&client, &ours.name, "podinfo", 1).await;
    let their_record = record_json(&client, &theirs.name, "podinfo", 1).await;
    // Known difference: the chart model does not keep file modification times, so the
    // record has no `modtime` fields (Helm reads records without them).
    let differences = shape_differences(&shape(&record), &drop_modtimes(shape(&their_record)), "");
    assert!(
        differences.is_empty(),
        "record shapes differ: {differences:#?}"
    );
    assert_eq!(record["apply_method"], "ssa");
    assert_eq!(record["config"], their_record["config"]);

    // The objects carry Helm's ownership metadata, applied by our field manager.
    let deployment = Api::<Deployment>::namespaced(client.clone(), &ours.name)
        .get("podinfo")
        .await
        .expect("deployment");
    let labels = deployment.metadata.labels.clone().unwrap_or_default();
    let annotations = deployment.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("Helm")
    );
    assert_eq!(
        annotations
            .get("meta.helm.sh/release-name")
            .map(String::as_str),
        Some("podinfo")
    );
    assert_eq!(
        annotations.get("meta.helm.sh/release-namespace"),
        Some(&ours.name)
    );
    let managers: Vec<String> = deployment
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.manager)
        .collect();
    assert!(managers.contains(&"wheelhouse".to_owned()), "{managers:?}");
}

/// Test 2: an upgrade with new values writes revision 2 (deployed, 1 superseded), deletes an
/// object the chart dropped and keeps the one annotated `keep`.
#[tokio::test(flavor = "multi_thread")]
async fn upgrade_prunes_and_keeps() {
    let (client, ns) = setup("act-upgrade").await;
    let chart = load(&fixture("actions-hooks"));
    let releaser = Releaser::new(client.clone(), &ns.name, 10);
    let v1 = object(json!({"hooks": false}));
    action::install(
        &releaser,
        input(&chart, &v1),
        &quick_install("up", &ns.name),
    )
    .await
    .unwrap_or_else(|e| panic!("install: {}", error_chain(&e)));
    for name in ["up-main", "up-extra-alpha", "up-extra-beta", "up-kept"] {
        assert!(
            config_map(&client, &ns.name, name).await.is_some(),
            "{name}"
        );
    }
    let v2 = object(json!({"hooks": false, "message": "v2", "extra": ["alpha"], "kept": false}));
    let outcome = action::upgrade(&releaser, input(&chart, &v2), &quick_upgrade("up"))
        .await
        .unwrap_or_else(|e| panic!("upgrade: {}", error_chain(&e)));
    assert_eq!(outcome.revision, 2);
    assert_eq!(outcome.description, "Upgrade complete");
    let deleted: Vec<&str> = outcome.deleted.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(deleted, ["up-extra-beta"]);
    let kept: Vec<&str> = outcome.kept.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(kept, ["up-kept"]);
    assert_eq!(
        statuses(&ns.name, "up"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
    let main = config_map(&client, &ns.name, "up-main")
        .await
        .expect("main");
    assert_eq!(
        main.data
            .unwrap_or_default()
            .get("message")
            .map(String::as_str),
        Some("v2")
    );
    assert!(
        config_map(&client, &ns.name, "up-extra-beta")
            .await
            .is_none()
    );
    assert!(config_map(&client, &ns.name, "up-kept").await.is_some());
    assert!(
        config_map(&client, &ns.name, "up-extra-alpha")
            .await
            .is_some()
    );
    assert_eq!(
        helm_json(&["get", "values", "up", "-n", &ns.name]),
        Value::Object(v2.clone())
    );

    // `test` runs the test hook of the last revision and records it where `helm status`
    // reads it; the real `helm test` runs the same hook of our release.
    let mut test = TestOptions::new("up");
    test.timeout = Duration::from_secs(60);
    let outcome = action::test(&releaser, &test)
        .await
        .unwrap_or_else(|e| panic!("test: {}", error_chain(&e)));
    assert_eq!(outcome.hooks.len(), 1);
    assert_eq!(outcome.hooks[0].name, "up-test");
    let status = helm(&["status", "up", "-n", &ns.name]);
    assert!(status.contains("TEST SUITE:     up-test"), "{status}");
    assert!(status.contains("Phase:          Succeeded"), "{status}");
    helm(&["test", "up", "-n", &ns.name, "--timeout", "60s"]);

    let mut v3 = v2;
    v3.insert("failTest".into(), Value::Bool(true));
    action::upgrade(&releaser, input(&chart, &v3), &quick_upgrade("up"))
        .await
        .unwrap_or_else(|e| panic!("upgrade: {}", error_chain(&e)));
    let error = action::test(&releaser, &test)
        .await
        .expect_err("the test fails");
    assert_eq!(error.reason(), "HookFailed", "{}", error_chain(&error));
    assert!(error_chain(&error).contains("up-test"));
    let status = helm(&["status", "up", "-n", &ns.name]);
    assert!(status.contains("Phase:          Failed"), "{status}");
    assert!(
        status.contains("STATUS: deployed"),
        "a failed test leaves the status: {status}"
    );
}

/// Test 3: `helm install` then the action's upgrade; the action's install then `helm
/// upgrade`, `helm rollback` and `helm uninstall`.
#[tokio::test(flavor = "multi_thread")]
async fn interoperates_with_helm() {
    let (client, ns) = setup("act-interop").await;
    let dir = podinfo_dir().display().to_string();
    let chart = load(&podinfo_dir());
    let releaser = Releaser::new(client.clone(), &ns.name, 10);

    helm(&[
        "install",
        "by-helm",
        &dir,
        "-n",
        &ns.name,
        "--wait=watcher",
        "--timeout",
        "60s",
    ]);
    let values = object(json!({"replicaCount": 2}));
    let outcome = action::upgrade(&releaser, input(&chart, &values), &quick_upgrade("by-helm"))
        .await
        .unwrap_or_else(|e| panic!("upgrade of helm's release: {}", error_chain(&e)));
    assert_eq!(outcome.revision, 2);
    assert_eq!(
        statuses(&ns.name, "by-helm"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
    let deployment = Api::<Deployment>::namespaced(client.clone(), &ns.name)
        .get("by-helm-podinfo")
        .await
        .expect("deployment");
    assert_eq!(deployment.spec.replicas, Some(2));

    let none = Map::new();
    action::install(
        &releaser,
        input(&chart, &none),
        &quick_install("by-us", &ns.name),
    )
    .await
    .unwrap_or_else(|e| panic!("install: {}", error_chain(&e)));
    helm(&[
        "upgrade",
        "by-us",
        &dir,
        "-n",
        &ns.name,
        "--set",
        "replicaCount=3",
        // helm's field manager is `helm`: a field whose value changes and that ours
        // (`wheelhouse`) owns conflicts unless forced, as between any two appliers.
        "--force-conflicts",
        "--wait=watcher",
        "--timeout",
        "60s",
    ]);
    helm(&[
        "rollback",
        "by-us",
        "1",
        "-n",
        &ns.name,
        "--wait=watcher",
        "--timeout",
        "60s",
    ]);
    let history = history_statuses(&ns.name, "by-us");
    assert_eq!(
        history,
        vec![
            (1, "superseded".into(), "Install complete".into()),
            (2, "superseded".into(), "Upgrade complete".into()),
            (3, "deployed".into(), "Rollback to 1".into()),
        ]
    );
    let deployment = Api::<Deployment>::namespaced(client.clone(), &ns.name)
        .get("by-us-podinfo")
        .await
        .expect("deployment");
    assert_eq!(deployment.spec.replicas, Some(1));
    helm(&[
        "uninstall",
        "by-us",
        "-n",
        &ns.name,
        "--wait",
        "--timeout",
        "60s",
    ]);
    assert!(
        Api::<Deployment>::namespaced(client.clone(), &ns.name)
            .get_opt("by-us-podinfo")
            .await
            .expect("get")
            .is_none()
    );
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns.name)
        .list(&ListParams::default().labels("owner=helm,name=by-us"))
        .await
        .expect("list");
    assert!(secrets.items.is_empty());
    // Our own uninstall of helm's (now our-upgraded) release.
    let outcome = action::uninstall(&releaser, &UninstallOptions::new("by-helm"))
        .await
        .unwrap_or_else(|e| panic!("uninstall: {}", error_chain(&e)));
    assert!(outcome.deleted.iter().any(|k| k.kind == "Deployment"));
    assert!(
        helm_json(&["list", "-n", &ns.name])
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

/// Tests 5 and 6: a failing pre-upgrade hook fails the upgrade and leaves revision 1
/// deployed with its objects; a rollback then writes revision 3 "Rollback to 1". A Deployment
/// that never becomes ready times out with a message naming it.
#[tokio::test(flavor = "multi_thread")]
async fn failed_upgrade_then_rollback() {
    let (client, ns) = setup("act-fail").await;
    let chart = load(&fixture("actions-hooks"));
    let releaser = Releaser::new(client.clone(), &ns.name, 10);
    let v1 = object(json!({}));
    action::install(
        &releaser,
        input(&chart, &v1),
        &quick_install("fl", &ns.name),
    )
    .await
    .unwrap_or_else(|e| panic!("install: {}", error_chain(&e)));
    let before = config_map(&client, &ns.name, "fl-main")
        .await
        .expect("main");

    let bad = object(json!({"failPreUpgrade": true, "message": "v2", "extra": []}));
    let error = action::upgrade(&releaser, input(&chart, &bad), &quick_upgrade("fl"))
        .await
        .expect_err("the pre-upgrade hook fails");
    let text = error_chain(&error);
    assert_eq!(error.reason(), "HookFailed", "{text}");
    assert!(text.contains("pre-upgrade-job-a"), "{text}");
    assert!(text.contains("Job failed"), "{text}");
    let history = history_statuses(&ns.name, "fl");
    assert_eq!(history[0].1, "deployed");
    assert_eq!(history[1].1, "failed");
    assert!(
        history[1].2.starts_with("Upgrade \"fl\" failed: "),
        "{history:?}"
    );
    let after = config_map(&client, &ns.name, "fl-main")
        .await
        .expect("main");
    assert_eq!(before.data, after.data);
    assert_eq!(
        before.metadata.resource_version, after.metadata.resource_version,
        "revision 1's objects untouched"
    );
    assert!(
        config_map(&client, &ns.name, "fl-extra-beta")
            .await
            .is_some()
    );

    let mut rollback = RollbackOptions::new("fl");
    rollback.timeout = Duration::from_secs(60);
    let outcome = action::rollback(&releaser, &rollback)
        .await
        .unwrap_or_else(|e| panic!("rollback: {}", error_chain(&e)));
    assert_eq!(outcome.revision, 3);
    assert_eq!(outcome.description, "Rollback to 1");
    let history = history_statuses(&ns.name, "fl");
    assert_eq!(
        history.iter().map(|h| h.1.as_str()).collect::<Vec<_>>(),
        ["superseded", "failed", "deployed"]
    );
    assert_eq!(history[2].2, "Rollback to 1");
    assert_eq!(
        helm(&["get", "manifest", "fl", "-n", &ns.name, "--revision", "3"]),
        helm(&["get", "manifest", "fl", "-n", &ns.name, "--revision", "1"])
    );
    let main = config_map(&client, &ns.name, "fl-main")
        .await
        .expect("main");
    assert_eq!(main.data, before.data);
    let record = record_json(&client, &ns.name, "fl", 3).await;
    assert_eq!(record["info"]["rollback_revision"], 1);

    // A Deployment that never becomes ready: the timeout names it. With cleanup-on-fail the
    // object this upgrade created is deleted; the ones it only changed stay.
    let never = object(json!({"neverReady": true, "hooks": false,
        "extra": ["alpha", "beta", "gamma"]}));
    let mut options = quick_upgrade("fl");
    options.timeout = Duration::from_secs(5);
    options.cleanup_on_fail = true;
    let error = action::upgrade(&releaser, input(&chart, &never), &options)
        .await
        .expect_err("times out");
    let text = error_chain(&error);
    assert_eq!(error.reason(), "WaitTimeout", "{text}");
    assert!(
        text.contains(&format!("resource Deployment/{}/fl-app not ready", ns.name)),
        "{text}"
    );
    assert_eq!(statuses(&ns.name, "fl")[3], (4, "failed".into()));
    assert_eq!(statuses(&ns.name, "fl")[2], (3, "deployed".into()));
    match &error {
        ActionError::Failed { outcome, .. } => {
            let deleted: Vec<&str> = outcome.deleted.iter().map(|k| k.name.as_str()).collect();
            assert_eq!(deleted, ["fl-extra-gamma"]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        config_map(&client, &ns.name, "fl-extra-gamma")
            .await
            .is_none()
    );
    assert!(
        config_map(&client, &ns.name, "fl-extra-alpha")
            .await
            .is_some()
    );
}

/// Test 7: ownership conflict and take-ownership; CRD policies; the 1 MiB record guard.
#[tokio::test(flavor = "multi_thread")]
async fn ownership_crds_and_size_guard() {
    let (client, ns) = setup("act-own").await;
    let chart = load(&fixture("actions-hooks"));
    let releaser = Releaser::new(client.clone(), &ns.name, 10);
    let none = object(json!({"hooks": false}));

    // An object made by hand, without Helm's metadata, is refused, then adopted on request.
    let cms = Api::<ConfigMap>::namespaced(client.clone(), &ns.name);
    let by_hand: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "own-main"}, "data": {"by": "hand"}
    }))
    .expect("configmap");
    cms.create(&PostParams::default(), &by_hand)
        .await
        .expect("create");
    let error = action::install(
        &releaser,
        input(&chart, &none),
        &quick_install("own", &ns.name),
    )
    .await
    .expect_err("conflict");
    let text = error_chain(&error);
    assert_eq!(error.reason(), "OwnershipConflict", "{text}");
    assert!(
        text.contains(&format!(
            "ConfigMap \"own-main\" in namespace \"{}\" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key \"app.kubernetes.io/managed-by\": must be set to \"Helm\"",
            ns.name
        )),
        "{text}"
    );
    assert!(
        helm_json(&["list", "-n", &ns.name])
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // The same check as the real helm makes.
    let helm_err = helm_output(&[
        "install",
        "own",
        &fixture("actions-hooks").display().to_string(),
        "-n",
        &ns.name,
        "--set",
        "hooks=false",
    ]);
    assert!(!helm_err.status.success());
    assert!(
        String::from_utf8_lossy(&helm_err.stderr).contains("invalid ownership metadata"),
        "{}",
        String::from_utf8_lossy(&helm_err.stderr)
    );
    let mut take = quick_install("own", &ns.name);
    take.take_ownership = true;
    action::install(&releaser, input(&chart, &none), &take)
        .await
        .unwrap_or_else(|e| panic!("take ownership: {}", error_chain(&e)));
    let adopted = cms.get("own-main").await.expect("main");
    assert_eq!(
        adopted
            .metadata
            .annotations
            .unwrap_or_default()
            .get("meta.helm.sh/release-name")
            .map(String::as_str),
        Some("own")
    );

    // A second install of the same name is refused as helm refuses it.
    let error = action::install(
        &releaser,
        input(&chart, &none),
        &quick_install("own", &ns.name),
    )
    .await
    .expect_err("name in use");
    assert_eq!(error.reason(), "NameInUse");

    // CRD policies.
    crds_by_policy(&client, &ns).await;

    // The 1 MiB guard: a chart whose record is too large is refused before anything is
    // applied.
    let mut big = load(&fixture("actions-hooks"));
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: Vec<u8> = (0..1_500_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                [(seed % 64) as usize]
        })
        .collect();
    big.files.push(wheelhouse::chart::model::File {
        name: "files/noise.txt".into(),
        data: noise.into(),
    });
    let error = action::install(
        &releaser,
        input(&big, &none),
        &quick_install("big", &ns.name),
    )
    .await
    .expect_err("too large");
    let text = error_chain(&error);
    assert_eq!(error.reason(), "RecordTooLarge", "{text}");
    assert!(text.contains("more than the 1048576 bytes"), "{text}");
    assert!(config_map(&client, &ns.name, "big-main").await.is_none());
    assert!(
        Api::<Secret>::namespaced(client.clone(), &ns.name)
            .list(&ListParams::default().labels("name=big"))
            .await
            .expect("list")
            .items
            .is_empty()
    );
}

const CRD_NAME: &str = "widgets.actions.wheelhouse.dev";

async fn crds_by_policy(client: &Client, ns: &TestNamespace) {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    // The CRD is cluster-wide: start from its absence (a previous run may have left it).
    if crds.get_opt(CRD_NAME).await.expect("get crd").is_some() {
        crds.delete(CRD_NAME, &DeleteParams::default())
            .await
            .expect("delete crd");
        wheelhouse_e2e::wait_for_deletion(&crds, CRD_NAME, Duration::from_secs(60))
            .await
            .expect("crd deleted");
    }
    let chart = load(&fixture("actions-crd"));
    let releaser = Releaser::new(client.clone(), &ns.name, 10);
    let none = Map::new();

    let mut skip = quick_install("crd-skip", &ns.name);
    skip.crds = CrdPolicy::Skip;
    let error = action::install(&releaser, input(&chart, &none), &skip)
        .await
        .expect_err("no CRD, no Widget kind");
    assert!(
        matches!(&error, ActionError::Apply { source, .. } if matches!(**source, ApplyError::UnknownKind { .. })),
        "{}",
        error_chain(&error)
    );
    assert!(crds.get_opt(CRD_NAME).await.expect("get").is_none());

    let mut create = quick_install("crd-create", &ns.name);
    create.crds = CrdPolicy::Create;
    let outcome = action::install(&releaser, input(&chart, &none), &create)
        .await
        .unwrap_or_else(|e| panic!("create: {}", error_chain(&e)));
    assert_eq!(outcome.crds.len(), 1);
    let widget = outcome
        .applied
        .iter()
        .find(|k| k.kind == "Widget")
        .expect("widget applied");
    assert_eq!(widget.name, "crd-create-widget");
    assert!(
        outcome
            .applied
            .iter()
            .any(|k| k.name == "crd-create-widgets-served"),
        "rendered after the CRD was installed: {:?}",
        outcome.applied
    );

    // Change the CRD by hand: Create leaves it, CreateReplace restores the chart's.
    let patch = json!({"metadata": {"labels": {"chart-version": "by-hand"}}});
    crds.patch(CRD_NAME, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch crd");
    let mut upgrade = quick_upgrade("crd-create");
    upgrade.crds = CrdPolicy::Create;
    let outcome = action::upgrade(&releaser, input(&chart, &none), &upgrade)
        .await
        .unwrap_or_else(|e| panic!("upgrade create: {}", error_chain(&e)));
    assert!(outcome.crds.is_empty());
    let label = |crd: CustomResourceDefinition| {
        crd.metadata
            .labels
            .unwrap_or_default()
            .get("chart-version")
            .cloned()
    };
    assert_eq!(
        label(crds.get(CRD_NAME).await.expect("crd")).as_deref(),
        Some("by-hand")
    );
    upgrade.crds = CrdPolicy::CreateReplace;
    let outcome = action::upgrade(&releaser, input(&chart, &none), &upgrade)
        .await
        .unwrap_or_else(|e| panic!("upgrade create-replace: {}", error_chain(&e)));
    assert_eq!(outcome.crds.len(), 1);
    assert_eq!(
        label(crds.get(CRD_NAME).await.expect("crd")).as_deref(),
        Some("1")
    );
    // Uninstall never deletes the CRD.
    action::uninstall(&releaser, &UninstallOptions::new("crd-create"))
        .await
        .unwrap_or_else(|e| panic!("uninstall: {}", error_chain(&e)));
    assert!(crds.get_opt(CRD_NAME).await.expect("get").is_some());
    crds.delete(CRD_NAME, &DeleteParams::default())
        .await
        .expect("cleanup crd");
}

/// Test 8: a release left `pending-upgrade` by an interrupted upgrade is refused, unlocked,
/// and upgraded with no gap in history.
#[tokio::test(flavor = "multi_thread")]
async fn unlock_after_interrupted_upgrade() {
    let (client, ns) = setup("act-unlock").await;
    let chart = load(&fixture("actions-hooks"));
    let releaser = Releaser::new(client.clone(), &ns.name, 10);
    let v1 = object(json!({"hooks": false}));
    action::install(
        &releaser,
        input(&chart, &v1),
        &quick_install("lk", &ns.name),
    )
    .await
    .unwrap_or_else(|e| panic!("install: {}", error_chain(&e)));

    // The upgrade hangs in a pre-upgrade hook Pod that never completes; its process is then
    // killed (SIGKILL) mid-action.
    let cluster = cluster();
    let mut child = cluster
        .command(env!("CARGO_BIN_EXE_wheelhouse-action-upgrade"))
        .args([
            ns.name.as_str(),
            "lk",
            &fixture("actions-hooks").display().to_string(),
            r#"{"hooks": false, "hangPreUpgrade": true}"#,
        ])
        .spawn()
        .expect("start the upgrade process");
    let pods = Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), &ns.name);
    wheelhouse_e2e::wait_for(
        &pods,
        "hang-pre-upgrade",
        "hook pod",
        Duration::from_secs(60),
        |_| true,
    )
    .await
    .expect("the hook pod runs");
    child.kill().expect("kill the upgrade process");
    let status = child.wait().expect("reap");
    assert!(!status.success(), "killed, not finished: {status:?}");
    assert_eq!(
        statuses(&ns.name, "lk"),
        vec![(1, "deployed".into()), (2, "pending-upgrade".into())]
    );

    let v2 = object(json!({"hooks": false, "message": "v2"}));
    let error = action::upgrade(&releaser, input(&chart, &v2), &quick_upgrade("lk"))
        .await
        .expect_err("pending");
    assert_eq!(error.reason(), "ReleasePending", "{}", error_chain(&error));
    // helm refuses it the same way.
    let out = helm_output(&[
        "upgrade",
        "lk",
        &fixture("actions-hooks").display().to_string(),
        "-n",
        &ns.name,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("another operation"));

    let outcome = action::unlock(&releaser, &UnlockOptions::new("lk"))
        .await
        .unwrap_or_else(|e| panic!("unlock: {}", error_chain(&e)));
    assert_eq!(
        (outcome.revision, outcome.status),
        (2, ReleaseStatus::Failed)
    );
    let outcome = action::upgrade(&releaser, input(&chart, &v2), &quick_upgrade("lk"))
        .await
        .unwrap_or_else(|e| panic!("upgrade after unlock: {}", error_chain(&e)));
    assert_eq!(outcome.revision, 3);
    let history = history_statuses(&ns.name, "lk");
    assert_eq!(
        history
            .iter()
            .map(|h| (h.0, h.1.as_str()))
            .collect::<Vec<_>>(),
        [(1, "superseded"), (2, "failed"), (3, "deployed")]
    );
    assert!(history[1].2.contains("pending-upgrade"), "{history:?}");
    let revisions: BTreeSet<u64> = history.iter().map(|h| h.0).collect();
    assert_eq!(revisions, BTreeSet::from([1, 2, 3]), "no gap");
    let _ = pods
        .delete("hang-pre-upgrade", &DeleteParams::default())
        .await;
}

//! Hook ordering (issue 6, test 4): the chart `e2e/fixtures/charts/actions-hooks` has hooks on
//! every event with mixed weights, equal-weight names, a ConfigMap and a Job sharing a name,
//! and every delete policy. The creations and deletions of hook objects, recorded from watches
//! on the API server and ordered by resource version, must be the same for Wheelhouse's
//! install, upgrade, rollback and uninstall as for the real `helm`'s.

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, PostParams};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use wheelhouse::action::{
    self, ChartInput, InstallOptions, Releaser, RollbackOptions, UninstallOptions, UpgradeOptions,
};
use wheelhouse::chart::load::{Limits, load_dir};
use wheelhouse::release::codec;
use wheelhouse_e2e::{TestNamespace, cluster, error_chain, repo_root};

const LABEL: &str = "hook-order=true";
const TIMEOUT: Duration = Duration::from_secs(60);

/// One observed change: (resource version, "create"/"delete", "Kind/name").
type Change = (u64, &'static str, String);

/// Watches ConfigMaps and Jobs labelled `hook-order=true` in one namespace.
struct Recorder {
    changes: Arc<Mutex<Vec<Change>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    client: Client,
    namespace: String,
}

fn watch_kind<K>(
    api: Api<K>,
    kind: &'static str,
    changes: Arc<Mutex<Vec<Change>>>,
) -> tokio::task::JoinHandle<()>
where
    K: Resource + Clone + std::fmt::Debug + DeserializeOwned + Send + Sync + 'static,
{
    tokio::spawn(async move {
        let mut seen = BTreeSet::new();
        let mut stream = watcher::watcher(api, watcher::Config::default().labels(LABEL)).boxed();
        while let Ok(Some(event)) = stream.try_next().await {
            let (object, deleted) = match event {
                watcher::Event::Apply(o) => (o, false),
                watcher::Event::Delete(o) => (o, true),
                // Objects that existed before recording started are not changes.
                // A marker listed at start still proves the watch is running.
                watcher::Event::InitApply(o) => {
                    seen.insert(o.uid().unwrap_or_default());
                    if o.name_any().starts_with("marker-") {
                        let name = format!("{kind}/{}", o.name_any());
                        changes.lock().expect("lock").push((0, "create", name));
                    }
                    continue;
                }
                watcher::Event::Init | watcher::Event::InitDone => continue,
            };
            let uid = object.uid().unwrap_or_default();
            let rv: u64 = object
                .resource_version()
                .and_then(|v| v.parse().ok())
                .unwrap_or_default();
            let name = format!("{kind}/{}", object.name_any());
            if deleted {
                seen.remove(&uid);
                changes.lock().expect("lock").push((rv, "delete", name));
            } else if seen.insert(uid) {
                changes.lock().expect("lock").push((rv, "create", name));
            }
        }
    })
}

impl Recorder {
    fn start(client: &Client, namespace: &str) -> Recorder {
        let changes: Arc<Mutex<Vec<Change>>> = Arc::default();
        let tasks = vec![
            watch_kind(
                Api::<ConfigMap>::namespaced(client.clone(), namespace),
                "ConfigMap",
                changes.clone(),
            ),
            watch_kind(
                Api::<Job>::namespaced(client.clone(), namespace),
                "Job",
                changes.clone(),
            ),
        ];
        Recorder {
            changes,
            tasks,
            client: client.clone(),
            namespace: namespace.to_owned(),
        }
    }

    /// Waits until the recording is initialised (each watch has listed).
    async fn ready(&self, step: &str) {
        self.barrier(&format!("begin-{step}")).await;
    }

    /// Creates a marker ConfigMap and a suspended marker Job and waits until both watches
    /// have seen them: everything before them has then been delivered.
    async fn barrier(&self, tag: &str) {
        let cm: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": format!("marker-{tag}"), "labels": {"hook-order": "true"}}
        }))
        .expect("marker");
        let job: Job = serde_json::from_value(json!({
            "metadata": {"name": format!("marker-{tag}"), "labels": {"hook-order": "true"}},
            "spec": {"suspend": true, "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "m", "image": "registry.invalid/m:1"}]}}}
        }))
        .expect("marker");
        Api::<ConfigMap>::namespaced(self.client.clone(), &self.namespace)
            .create(&PostParams::default(), &cm)
            .await
            .expect("create marker");
        Api::<Job>::namespaced(self.client.clone(), &self.namespace)
            .create(&PostParams::default(), &job)
            .await
            .expect("create marker");
        let want = [
            format!("ConfigMap/marker-{tag}"),
            format!("Job/marker-{tag}"),
        ];
        tokio::time::timeout(TIMEOUT, async {
            loop {
                let seen = {
                    let changes = self.changes.lock().expect("lock");
                    want.iter()
                        .all(|w| changes.iter().any(|(_, _, name)| name == w))
                };
                if seen {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("markers observed");
    }

    /// Stops recording and returns the changes of hook objects in resource-version order.
    async fn finish(self, step: &str) -> Vec<String> {
        self.barrier(&format!("end-{step}")).await;
        for task in &self.tasks {
            task.abort();
        }
        let mut changes = self.changes.lock().expect("lock").clone();
        changes.sort_by_key(|(rv, _, _)| *rv);
        changes
            .into_iter()
            .filter(|(_, _, name)| !name.contains("/marker-"))
            .map(|(_, what, name)| format!("{what} {name}"))
            .collect()
    }
}

fn helm(args: &[&str]) {
    let cluster = cluster();
    let output = cluster
        .command(&cluster.helm)
        .args(args)
        .output()
        .expect("run helm");
    assert!(
        output.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Hooks of a stored revision: (kind/name, phase, delete policies), in record order.
async fn recorded_hooks(client: &Client, namespace: &str, revision: u32) -> Vec<Value> {
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get(&format!("sh.helm.release.v1.hk.v{revision}"))
        .await
        .expect("secret");
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .expect("data");
    let record: Value =
        serde_json::from_slice(&codec::decode_payload(&data.0).expect("decode")).expect("json");
    record["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .map(|h| {
            json!([
                format!(
                    "{}/{}",
                    h["kind"].as_str().unwrap_or_default(),
                    h["name"].as_str().unwrap_or_default()
                ),
                h["last_run"]["phase"],
                h["delete_policies"],
                h["last_run"]["started_at"].is_string(),
            ])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hook_order_matches_helm() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    let ours = TestNamespace::create(&client, "hooks-ours")
        .await
        .expect("ns");
    let theirs = TestNamespace::create(&client, "hooks-helm")
        .await
        .expect("ns");
    let dir = repo_root().join("e2e/fixtures/charts/actions-hooks");
    let dir_text = dir.display().to_string();
    let chart = load_dir(&dir, &Limits::default()).expect("chart");
    let releaser = Releaser::new(client.clone(), &ours.name, 10);
    let v1 = Map::new();
    let v2: Map<String, Value> = json!({"message": "v2"}).as_object().cloned().expect("map");

    let mut ours_seq: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut theirs_seq: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for step in ["install", "upgrade", "rollback", "uninstall"] {
        let recorder = Recorder::start(&client, &ours.name);
        recorder.ready(step).await;
        let result = match step {
            "install" => {
                let mut o = InstallOptions::new("hk", &ours.name);
                o.timeout = TIMEOUT;
                action::install(
                    &releaser,
                    ChartInput {
                        chart: &chart,
                        values: &v1,
                    },
                    &o,
                )
                .await
            }
            "upgrade" => {
                let mut o = UpgradeOptions::new("hk");
                o.timeout = TIMEOUT;
                action::upgrade(
                    &releaser,
                    ChartInput {
                        chart: &chart,
                        values: &v2,
                    },
                    &o,
                )
                .await
            }
            "rollback" => {
                let mut o = RollbackOptions::new("hk");
                o.revision = 1;
                o.timeout = TIMEOUT;
                action::rollback(&releaser, &o).await
            }
            _ => {
                let mut o = UninstallOptions::new("hk");
                o.keep_history = true;
                o.timeout = TIMEOUT;
                action::uninstall(&releaser, &o).await
            }
        };
        result.unwrap_or_else(|e| panic!("{step}: {}", error_chain(&e)));
        ours_seq.insert(step, recorder.finish(step).await);

        let recorder = Recorder::start(&client, &theirs.name);
        recorder.ready(step).await;
        let ns = theirs.name.as_str();
        match step {
            "install" => helm(&["install", "hk", &dir_text, "-n", ns, "--timeout", "60s"]),
            "upgrade" => helm(&[
                "upgrade",
                "hk",
                &dir_text,
                "-n",
                ns,
                "--set",
                "message=v2",
                "--timeout",
                "60s",
            ]),
            "rollback" => helm(&["rollback", "hk", "1", "-n", ns, "--timeout", "60s"]),
            _ => helm(&[
                "uninstall",
                "hk",
                "-n",
                ns,
                "--keep-history",
                "--timeout",
                "60s",
            ]),
        }
        theirs_seq.insert(step, recorder.finish(step).await);

        assert_eq!(
            ours_seq[step], theirs_seq[step],
            "{step}: hook object changes differ (left: wheelhouse, right: helm)"
        );
        assert!(!ours_seq[step].is_empty(), "{step}: hooks ran");
        let revision = match step {
            "install" => 1,
            "upgrade" => 2,
            _ => 3,
        };
        assert_eq!(
            recorded_hooks(&client, &ours.name, revision).await,
            recorded_hooks(&client, &theirs.name, revision).await,
            "{step}: recorded hooks differ"
        );
    }
    // The pre-install sequence, spelled out: weight -5 ConfigMap; weight 0 by name, a
    // ConfigMap before a Job of the same name (kind order); weight 10; then hook-succeeded
    // deletions, last first.
    assert_eq!(
        ours_seq["install"][..6],
        [
            "create ConfigMap/pre-install-cm",
            "create ConfigMap/pre-install-job-a",
            "create Job/pre-install-job-a",
            "create Job/pre-install-job-b",
            "create Job/pre-install-late",
            "delete Job/pre-install-late",
        ]
    );
}

//! Release storage against the real API server, with the real `helm` as witness: records
//! written by `wheelhouse::release` are read by `helm list/history/get/status/rollback`, and
//! records written by `helm install/upgrade` are read by `wheelhouse::release`.

use std::collections::BTreeMap;
use std::process::Output;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ObjectMeta, PostParams};
use serde_json::{Map, Value, json};
use wheelhouse::chart::load::{Limits, load_dir};
use wheelhouse::release::codec;
use wheelhouse::release::model::{
    ApplyMethod, ChartRecord, Hook, HookDeletePolicy, HookEvent, HookExecution, HookPhase, Info,
    Release,
};
use wheelhouse::release::secret::{MAX_SECRET_DATA_BYTES, SecretError, secret_name};
use wheelhouse::release::status::ReleaseStatus;
use wheelhouse::release::timestamp::Timestamp;
use wheelhouse::release::{SecretStorage, StorageError};
use wheelhouse_e2e::{TestNamespace, cluster, shared_dir};

async fn setup(test: &str) -> (Client, TestNamespace) {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    let namespace = TestNamespace::create(&client, test)
        .await
        .expect("namespace");
    (client, namespace)
}

/// Runs the real `helm` with `args`, expecting success.
fn helm(args: &[&str]) -> Output {
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
    output
}

fn helm_json(args: &[&str]) -> Value {
    let output = helm(args);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "helm {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn podinfo_dir() -> std::path::PathBuf {
    shared_dir().join("conformance/charts/podinfo")
}

fn podinfo_chart() -> ChartRecord {
    let chart = load_dir(&podinfo_dir(), &Limits::default()).expect("load podinfo");
    ChartRecord::from_chart(&chart).expect("chart record")
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn manifest(name: &str, data: &str) -> String {
    format!(
        "---\n# Source: podinfo/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\n\
         metadata:\n  name: {name}\ndata:\n  key: {data:?}\n"
    )
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(seconds, 123_456_789).expect("time")
}

/// A release record as an install/upgrade would write it, built here without the action code.
fn record(name: &str, namespace: &str, revision: u32, status: ReleaseStatus) -> Release {
    Release {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        revision,
        info: Info {
            first_deployed: Some(at(1_700_000_000)),
            last_deployed: Some(at(1_700_000_000 + i64::from(revision) * 60)),
            description: if revision == 1 {
                "Install complete".to_owned()
            } else {
                "Upgrade complete".to_owned()
            },
            status,
            notes: "Thanks & enjoy <podinfo>".to_owned(),
            ..Info::default()
        },
        chart: Some(podinfo_chart()),
        config: object(json!({
            "replicaCount": revision + 1,
            "ui": { "message": format!("revision {revision} & <more>") }
        })),
        manifest: manifest(&format!("{name}-settings"), &format!("r{revision}")),
        hooks: vec![Hook {
            name: format!("{name}-smoke"),
            kind: "ConfigMap".to_owned(),
            path: "podinfo/templates/tests/smoke.yaml".to_owned(),
            manifest: manifest(&format!("{name}-smoke"), "hook"),
            events: vec![HookEvent::Test],
            last_run: HookExecution {
                started_at: Some(at(1_700_000_100)),
                completed_at: Some(at(1_700_000_101)),
                phase: HookPhase::Succeeded,
            },
            weight: -5,
            delete_policies: vec![HookDeletePolicy::BeforeHookCreation],
            output_log_policies: Vec::new(),
        }],
        labels: BTreeMap::new(),
        apply_method: Some(ApplyMethod::ServerSide),
    }
}

#[tokio::test]
async fn helm_reads_records_written_by_wheelhouse() {
    let (client, namespace) = setup("release-write").await;
    let ns = namespace.name.as_str();
    let storage = SecretStorage::new(client.clone(), ns);
    let name = "stored";

    // Install, then an upgrade's sequence: pending revision, old one superseded, new deployed.
    storage
        .create(&record(name, ns, 1, ReleaseStatus::Deployed))
        .await
        .expect("store revision 1");
    let mut second = record(name, ns, 2, ReleaseStatus::PendingUpgrade);
    storage.create(&second).await.expect("store revision 2");
    let mut first = storage.get(name, 1).await.expect("get revision 1");
    first.info.status = ReleaseStatus::Superseded;
    storage.update(&first).await.expect("supersede revision 1");
    second.info.status = ReleaseStatus::Deployed;
    storage.update(&second).await.expect("deploy revision 2");

    let list = helm_json(&["list", "-n", ns, "-o", "json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["name"], name);
    assert_eq!(list[0]["namespace"], ns);
    assert_eq!(list[0]["revision"], "2");
    assert_eq!(list[0]["status"], "deployed");
    assert_eq!(list[0]["chart"], "podinfo-6.14.1");
    assert_eq!(list[0]["app_version"], "6.14.1");

    let history = helm_json(&["history", name, "-n", ns, "-o", "json"]);
    let rows: Vec<(i64, String, String)> = history
        .as_array()
        .expect("history rows")
        .iter()
        .map(|row| {
            (
                row["revision"].as_i64().unwrap_or_default(),
                row["status"].as_str().unwrap_or_default().to_owned(),
                row["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "superseded".into(), "Install complete".into()),
            (2, "deployed".into(), "Upgrade complete".into()),
        ]
    );

    let values = helm_json(&["get", "values", name, "-n", ns, "-o", "json"]);
    assert_eq!(values, Value::Object(second.config.clone()));
    let values_1 = helm_json(&[
        "get",
        "values",
        name,
        "-n",
        ns,
        "--revision",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(values_1, Value::Object(first.config.clone()));

    let printed = helm(&["get", "manifest", name, "-n", ns]);
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout).trim_end(),
        second.manifest.trim_end()
    );
    let hooks = helm(&["get", "hooks", name, "-n", ns]);
    assert!(
        String::from_utf8_lossy(&hooks.stdout).contains(&second.hooks[0].manifest),
        "helm get hooks prints the stored hook"
    );

    let status = helm_json(&["status", name, "-n", ns, "-o", "json"]);
    assert_eq!(status["name"], name);
    assert_eq!(status["namespace"], ns);
    assert_eq!(status["version"], 2);
    assert_eq!(status["info"]["status"], "deployed");
    assert_eq!(status["info"]["description"], "Upgrade complete");
    assert_eq!(status["info"]["notes"], "Thanks & enjoy <podinfo>");
    assert_eq!(
        status["info"]["last_deployed"],
        second
            .info
            .last_deployed
            .map(|t| t.to_rfc3339_go())
            .unwrap_or_default()
    );
    assert_eq!(status["config"], Value::Object(second.config.clone()));
    assert_eq!(status["apply_method"], "ssa");
    assert_eq!(status["hooks"][0]["last_run"]["phase"], "Succeeded");

    // Helm decodes everything (chart included) when it rolls back: revision 3 copies
    // revision 1, and the rollback's own writes are read back here.
    helm(&[
        "rollback",
        name,
        "1",
        "-n",
        ns,
        "--wait",
        "--timeout",
        "60s",
    ]);
    let history = storage.history(name).await.expect("history after rollback");
    let statuses: Vec<(u32, ReleaseStatus)> = history
        .iter()
        .map(|r| (r.revision, r.info.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (1, ReleaseStatus::Superseded),
            (2, ReleaseStatus::Superseded),
            (3, ReleaseStatus::Deployed),
        ]
    );
    let third = &history[2];
    assert_eq!(third.info.description, "Rollback to 1");
    assert_eq!(third.info.rollback_revision, 1);
    assert_eq!(third.config, first.config);
    assert_eq!(third.manifest, first.manifest);
    assert_eq!(third.chart, first.chart);
    assert_eq!(third.hooks, first.hooks);
}

#[tokio::test]
async fn wheelhouse_reads_records_written_by_helm() {
    let (client, namespace) = setup("release-read").await;
    let ns = namespace.name.as_str();
    let storage = SecretStorage::new(client.clone(), ns);
    let name = "byhelm";
    let chart = podinfo_dir();
    let chart = chart.to_str().expect("utf-8 path");
    helm(&[
        "install",
        name,
        chart,
        "-n",
        ns,
        "--set",
        "replicaCount=2",
        "--set-string",
        "ui.message=a&b",
    ]);

    let installed = storage.get(name, 1).await.expect("revision 1");
    assert_eq!(installed.name, name);
    assert_eq!(installed.namespace, ns);
    assert_eq!(installed.revision, 1);
    assert_eq!(installed.info.status, ReleaseStatus::Deployed);
    assert_eq!(installed.info.description, "Install complete");
    assert_eq!(
        installed.config,
        object(json!({ "replicaCount": 2, "ui": { "message": "a&b" } }))
    );
    assert_eq!(installed.apply_method, Some(ApplyMethod::ServerSide));
    assert!(installed.labels.is_empty(), "{:?}", installed.labels);

    // The chart Helm recorded equals the record of the chart as Wheelhouse loads it, up to
    // the modification times the chart model does not keep.
    let mut helm_chart = installed.chart.clone().expect("chart recorded");
    helm_chart.mod_time = None;
    helm_chart.schema_mod_time = None;
    for file in helm_chart
        .templates
        .iter_mut()
        .chain(helm_chart.files.iter_mut())
        .flatten()
    {
        file.mod_time = None;
    }
    let as_json = |chart: ChartRecord| {
        codec::to_json(&Release {
            chart: Some(chart),
            ..Release::default()
        })
        .expect("json")
    };
    assert_eq!(
        String::from_utf8(as_json(helm_chart)).expect("utf-8"),
        String::from_utf8(as_json(podinfo_chart())).expect("utf-8"),
        "the chart part of the record"
    );

    helm(&[
        "upgrade",
        name,
        chart,
        "-n",
        ns,
        "--reuse-values",
        "--set",
        "replicaCount=3",
    ]);
    let history = storage.history(name).await.expect("history");
    let statuses: Vec<(u32, ReleaseStatus)> = history
        .iter()
        .map(|r| (r.revision, r.info.status))
        .collect();
    assert_eq!(
        statuses,
        vec![(1, ReleaseStatus::Superseded), (2, ReleaseStatus::Deployed)]
    );
    // A listing keeps Helm's system labels on the record, as Helm's driver does.
    assert_eq!(
        history[1].labels.get("status").map(String::as_str),
        Some("deployed")
    );
    let deployed = storage
        .deployed(name)
        .await
        .expect("deployed")
        .expect("one");
    assert_eq!(deployed.revision, 2);
    assert_eq!(
        deployed.config,
        object(json!({ "replicaCount": 3, "ui": { "message": "a&b" } }))
    );
    assert_eq!(
        storage.last(name).await.expect("last").map(|r| r.revision),
        Some(2)
    );
    assert_eq!(
        deployed.info.first_deployed, installed.info.first_deployed,
        "first_deployed carries over"
    );
    let all = storage.list().await.expect("list");
    assert_eq!(all.len(), 2);

    // Our update of a Helm-written record stays readable by Helm.
    let mut edited = deployed.clone();
    edited.info.description = "Edited by Wheelhouse".to_owned();
    storage.update(&edited).await.expect("update");
    let history = helm_json(&["history", name, "-n", ns, "-o", "json"]);
    assert_eq!(history[1]["description"], "Edited by Wheelhouse");
    helm(&["uninstall", name, "-n", ns]);
    assert!(storage.history(name).await.expect("history").is_empty());
}

#[tokio::test]
async fn history_is_pruned_as_helm_prunes_it() {
    let (client, namespace) = setup("release-prune").await;
    let ns = namespace.name.as_str();
    let name = "pruned";
    let storage = SecretStorage::new(client, ns).with_max_history(3);
    // Helm's TestStorageDoNotDeleteDeployed sequence: revision 2 is the only deployed one.
    let statuses = [
        ReleaseStatus::Superseded,
        ReleaseStatus::Deployed,
        ReleaseStatus::Failed,
        ReleaseStatus::Failed,
        ReleaseStatus::Failed,
    ];
    for (revision, status) in (1..).zip(statuses) {
        storage
            .create(&record(name, ns, revision, status))
            .await
            .expect("create");
    }
    let kept: Vec<u32> = storage
        .history(name)
        .await
        .expect("history")
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(kept, vec![2, 4, 5]);
    let history = helm_json(&["history", name, "-n", ns, "-o", "json"]);
    let revisions: Vec<i64> = history
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|row| row["revision"].as_i64())
        .collect();
    assert_eq!(revisions, vec![2, 4, 5]);
    match storage
        .create(&record(name, ns, 5, ReleaseStatus::Failed))
        .await
    {
        Err(StorageError::AlreadyExists { revision: 5, .. }) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
}

#[tokio::test]
async fn oversized_records_are_refused_before_writing() {
    let (client, namespace) = setup("release-size").await;
    let ns = namespace.name.as_str();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);

    // The limit the guard uses is the API server's: data of exactly 1 MiB is accepted, one
    // byte more is refused.
    let raw = |name: &str, size: usize| Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            "release".to_owned(),
            ByteString(vec![b'x'; size]),
        )])),
        ..Secret::default()
    };
    secrets
        .create(
            &PostParams::default(),
            &raw("at-limit", MAX_SECRET_DATA_BYTES),
        )
        .await
        .expect("a Secret of exactly the limit is accepted");
    match secrets
        .create(
            &PostParams::default(),
            &raw("over-limit", MAX_SECRET_DATA_BYTES + 1),
        )
        .await
    {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 422, "{status:?}"),
        other => panic!("the API server must refuse one byte over the limit: {other:?}"),
    }

    // An incompressible manifest makes a record over the limit.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: String = (0..1200 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'!' + (state % 90) as u8)
        })
        .collect();
    let storage = SecretStorage::new(client, ns);
    let mut big = record("big", ns, 1, ReleaseStatus::PendingInstall);
    big.manifest = noise;
    match storage.create(&big).await {
        Err(StorageError::Secret(SecretError::TooLarge { size, limit, .. })) => {
            assert!(size > limit, "{size} > {limit}");
            let message = StorageError::Secret(SecretError::TooLarge {
                name: "big".into(),
                revision: 1,
                size,
                limit,
            })
            .to_string();
            assert!(message.contains(&size.to_string()), "{message}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(
        secrets
            .get_opt(&secret_name("big", 1))
            .await
            .expect("get")
            .is_none(),
        "nothing was written"
    );
}

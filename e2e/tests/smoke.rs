//! Proves the local test environment: the API semantics later tests rely on hold on the real
//! control plane, and the `helm` oracle runs.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Client, ResourceExt};
use serde_json::json;
use wheelhouse_e2e::{
    POD_FAILURE_ANNOTATION, TestNamespace, cluster, shared_dir, wait_for, wait_for_deletion,
};

const TIMEOUT: Duration = Duration::from_secs(60);

async fn setup(test: &str) -> (Client, TestNamespace) {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    let namespace = TestNamespace::create(&client, test)
        .await
        .expect("namespace");
    (client, namespace)
}

fn has_condition(conditions: Option<&[serde_json::Value]>, kind: &str) -> bool {
    conditions
        .unwrap_or_default()
        .iter()
        .any(|c| c["type"] == kind && c["status"] == "True")
}

fn job_conditions(job: &Job) -> Vec<serde_json::Value> {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(|cs| {
            cs.iter()
                .map(|c| serde_json::to_value(c).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

fn job(name: &str, fail: bool) -> Job {
    let annotations = if fail {
        json!({ POD_FAILURE_ANNOTATION: "true" })
    } else {
        json!({})
    };
    serde_json::from_value(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": name },
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": { "annotations": annotations },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{ "name": "main", "image": "busybox:1.36", "command": ["true"] }]
                }
            }
        }
    }))
    .expect("job manifest")
}

#[tokio::test]
async fn namespace_is_created_and_labelled() {
    let (client, namespace) = setup("namespace").await;
    let live = Api::<Namespace>::all(client)
        .get(&namespace.name)
        .await
        .expect("get namespace");
    assert_eq!(
        live.labels()
            .get(wheelhouse_e2e::TEST_NAMESPACE_LABEL)
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        live.status.and_then(|s| s.phase).as_deref(),
        Some("Active"),
        "a new namespace is Active"
    );
}

#[tokio::test]
async fn namespace_deletion_removes_its_contents() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let name = format!("e2e-ns-deletion-{}", std::process::id());
    let namespace: Namespace = serde_json::from_value(json!({
        "metadata": { "name": name, "labels": { wheelhouse_e2e::TEST_NAMESPACE_LABEL: "true" } }
    }))
    .expect("namespace manifest");
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .expect("create namespace");
    Api::<ConfigMap>::namespaced(client, &name)
        .create(&PostParams::default(), &config_map("content", json!([])))
        .await
        .expect("create content");
    namespaces
        .delete(&name, &DeleteParams::default())
        .await
        .expect("delete namespace");
    // The namespace controller (kube-controller-manager) empties it and removes its finalizer.
    wait_for_deletion(&namespaces, &name, TIMEOUT)
        .await
        .expect("the namespace is deleted with its contents");
}

#[tokio::test]
async fn deployment_becomes_available() {
    let (client, namespace) = setup("deployment").await;
    let api: Api<Deployment> = Api::namespaced(client, &namespace.name);
    let deployment: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "web" },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "web" } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [{ "name": "web", "image": "nginx:1.27" }] }
            }
        }
    }))
    .expect("deployment manifest");
    api.create(&PostParams::default(), &deployment)
        .await
        .expect("create deployment");
    let available = wait_for(
        &api,
        "web",
        "Deployment web Available",
        TIMEOUT,
        |d: &Deployment| {
            let status = d.status.as_ref();
            let conditions: Vec<serde_json::Value> = status
                .and_then(|s| s.conditions.as_ref())
                .map(|cs| {
                    cs.iter()
                        .map(|c| serde_json::to_value(c).unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            has_condition(Some(&conditions), "Available")
                && status.and_then(|s| s.ready_replicas) == Some(2)
        },
    )
    .await
    .expect("deployment available");
    assert_eq!(available.status.and_then(|s| s.available_replicas), Some(2));
}

#[tokio::test]
async fn job_completes() {
    let (client, namespace) = setup("job-complete").await;
    let api: Api<Job> = Api::namespaced(client, &namespace.name);
    api.create(&PostParams::default(), &job("ok", false))
        .await
        .expect("create job");
    let done = wait_for(&api, "ok", "Job ok Complete", TIMEOUT, |j: &Job| {
        has_condition(Some(&job_conditions(j)), "Complete")
    })
    .await
    .expect("job complete");
    assert_eq!(done.status.and_then(|s| s.succeeded), Some(1));
}

#[tokio::test]
async fn job_with_failure_annotation_fails() {
    let (client, namespace) = setup("job-fail").await;
    let api: Api<Job> = Api::namespaced(client, &namespace.name);
    api.create(&PostParams::default(), &job("doomed", true))
        .await
        .expect("create job");
    let failed = wait_for(&api, "doomed", "Job doomed Failed", TIMEOUT, |j: &Job| {
        has_condition(Some(&job_conditions(j)), "Failed")
    })
    .await
    .expect("job failed");
    assert_eq!(failed.status.as_ref().and_then(|s| s.failed), Some(1));
    assert!(!has_condition(Some(&job_conditions(&failed)), "Complete"));
}

#[tokio::test]
async fn dependents_are_garbage_collected_with_their_owner() {
    let (client, namespace) = setup("gc").await;
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace.name);
    let owner = api
        .create(&PostParams::default(), &config_map("owner", json!([])))
        .await
        .expect("create owner");
    let reference = json!([{
        "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.uid().expect("uid")
    }]);
    api.create(&PostParams::default(), &config_map("dependent", reference))
        .await
        .expect("create dependent");
    api.delete(
        "owner",
        &DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        },
    )
    .await
    .expect("delete owner");
    wait_for_deletion(&api, "dependent", TIMEOUT)
        .await
        .expect("the garbage collector deletes the dependent");
}

fn config_map(name: &str, owner_references: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": { "name": name, "ownerReferences": owner_references },
        "data": { "key": "value" }
    }))
    .expect("configmap manifest")
}

#[tokio::test]
async fn server_side_apply_records_the_field_manager() {
    let (client, namespace) = setup("ssa").await;
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace.name);
    let manifest = json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "applied" },
        "data": { "owned": "by-e2e" }
    });
    let params = PatchParams::apply("wheelhouse-e2e").force();
    api.patch("applied", &params, &Patch::Apply(&manifest))
        .await
        .expect("apply");
    // A second manager takes one field; the first keeps its own.
    let other = json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "applied" },
        "data": { "other": "field" }
    });
    api.patch(
        "applied",
        &PatchParams::apply("someone-else"),
        &Patch::Apply(&other),
    )
    .await
    .expect("second apply");
    let live = api.get("applied").await.expect("get");
    let managers: BTreeMap<String, String> = live
        .managed_fields()
        .iter()
        .map(|entry| {
            (
                entry.manager.clone().unwrap_or_default(),
                serde_json::to_string(&entry.fields_v1).unwrap_or_default(),
            )
        })
        .collect();
    let ours = managers
        .get("wheelhouse-e2e")
        .expect("our field manager is recorded");
    assert!(
        ours.contains("f:owned"),
        "our entry owns data.owned: {ours}"
    );
    assert!(
        !ours.contains("f:other"),
        "our entry does not own the other field: {ours}"
    );
    assert!(
        managers
            .get("someone-else")
            .is_some_and(|f| f.contains("f:other"))
    );
    assert!(
        live.managed_fields()
            .iter()
            .all(|e| e.operation.as_deref() == Some("Apply"))
    );
}

#[tokio::test]
async fn service_account_tokens_authenticate_and_rbac_authorizes() {
    let (client, namespace) = setup("rbac").await;
    let ns = namespace.name.as_str();
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let account: ServiceAccount =
        serde_json::from_value(json!({ "metadata": { "name": "reader" } })).expect("sa");
    accounts
        .create(&PostParams::default(), &account)
        .await
        .expect("create sa");
    let request: TokenRequest =
        serde_json::from_value(json!({ "spec": { "audiences": [], "expirationSeconds": 600 } }))
            .expect("token request");
    let issued: TokenRequest = accounts
        .create_subresource("token", "reader", &PostParams::default(), &request)
        .await
        .expect("issue token");
    let token = issued
        .status
        .and_then(|status| status.token)
        .expect("the API server issued a token");

    let mut config = cluster().config().await.expect("config");
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.into()),
        ..kube::config::AuthInfo::default()
    };
    let as_reader = Client::try_from(config).expect("token client");
    let readable: Api<ConfigMap> = Api::namespaced(as_reader, ns);
    match readable.list(&Default::default()).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403, "RBAC denies: {status:?}"),
        other => panic!("a service account without rights must be forbidden, got {other:?}"),
    }

    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": { "name": "reader-view" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
        "subjects": [{ "kind": "ServiceAccount", "name": "reader", "namespace": ns }]
    }))
    .expect("binding");
    Api::<RoleBinding>::namespaced(client, ns)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create binding");
    // The RBAC authorizer sees the new binding through its own informer, which no API exposes
    // to wait on: retry the request a bounded number of times instead.
    let mut attempts = 0;
    loop {
        match readable.list(&Default::default()).await {
            Ok(_) => break,
            Err(kube::Error::Api(status)) if status.code == 403 && attempts < 50 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(other) => panic!("the bound service account can list ConfigMaps: {other:?}"),
        }
    }
}

#[test]
fn helm_oracle_runs() {
    let cluster = cluster();
    let version = cluster
        .command(&cluster.helm)
        .args(["version", "--short"])
        .output()
        .expect("helm version");
    assert!(
        version.status.success(),
        "helm version: {}",
        String::from_utf8_lossy(&version.stderr)
    );
    let versions = std::fs::read_to_string(wheelhouse_e2e::repo_root().join("e2e/versions.env"))
        .expect("versions.env");
    let pinned = versions
        .lines()
        .find_map(|l| l.strip_prefix("HELM_VERSION="))
        .expect("HELM_VERSION pinned");
    let printed = String::from_utf8_lossy(&version.stdout);
    assert!(
        printed.starts_with(pinned),
        "helm version {printed:?} is the pinned {pinned}"
    );

    let chart = shared_dir().join("conformance/charts/podinfo");
    let rendered = cluster
        .command(&cluster.helm)
        .args(["template", "smoke"])
        .arg(&chart)
        .args(["--namespace", "smoke-ns", "--skip-tests"])
        .output()
        .expect("helm template");
    assert!(
        rendered.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let manifest = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        manifest.contains("# Source: podinfo/templates/deployment.yaml"),
        "{manifest}"
    );
    assert!(manifest.contains("kind: Deployment"));
    assert!(manifest.contains("name: smoke-podinfo"));
    assert!(
        manifest.contains("namespace: smoke-ns")
            || manifest.contains("app.kubernetes.io/instance: smoke")
    );
}

//! Wheelhouse's CRDs on the real API server: they are accepted and established, samples of each
//! kind round-trip with the schema defaults applied, and invalid samples are rejected by the
//! API server's validation (OpenAPI patterns, enums, CEL rules, immutability).

use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;
use wheelhouse::api::{HelmRelease, HelmRepository};
use wheelhouse_e2e::{TestNamespace, cluster, install_wheelhouse_crds};

async fn setup(test: &str) -> (Client, TestNamespace) {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    install_wheelhouse_crds(&client)
        .await
        .expect("CRDs installed");
    let namespace = TestNamespace::create(&client, test)
        .await
        .expect("namespace");
    (client, namespace)
}

/// Creates `object` through the dynamic JSON path (as kubectl would) and returns the API
/// server's error message, if any.
async fn create_raw<K>(api: &Api<K>, object: serde_json::Value) -> Result<K, String>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + serde::Serialize,
{
    let typed: K = serde_json::from_value(object).map_err(|e| format!("client-side: {e}"))?;
    api.create(&PostParams::default(), &typed)
        .await
        .map_err(|e| match e {
            kube::Error::Api(status) => status.message,
            other => other.to_string(),
        })
}

fn repository(name: &str, spec: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "helm.wheelhouse.dev/v1",
        "kind": "HelmRepository",
        "metadata": {"name": name},
        "spec": spec,
    })
}

fn release(name: &str, spec: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "helm.wheelhouse.dev/v1",
        "kind": "HelmRelease",
        "metadata": {"name": name},
        "spec": spec,
    })
}

fn chart() -> serde_json::Value {
    json!({"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}})
}

#[tokio::test]
#[allow(clippy::expect_used, reason = "test")]
async fn helm_repository_round_trips_with_defaults_and_rejects_invalid_specs() {
    let (client, namespace) = setup("crd-helmrepo").await;
    let api: Api<HelmRepository> = Api::namespaced(client, &namespace.name);

    let created = create_raw(
        &api,
        repository(
            "podinfo",
            json!({"url": "https://charts.example.com/podinfo"}),
        ),
    )
    .await
    .expect("valid HelmRepository accepted");
    assert_eq!(created.spec.url, "https://charts.example.com/podinfo");
    assert_eq!(
        created.spec.interval.as_deref(),
        Some("10m"),
        "default interval"
    );
    assert_eq!(
        created.spec.timeout.as_deref(),
        Some("60s"),
        "default timeout"
    );
    let read = api.get("podinfo").await.expect("read back");
    assert_eq!(read.spec, created.spec);

    create_raw(
        &api,
        repository(
            "registry",
            json!({"url": "oci://registry.example.com/charts", "type": "oci", "insecure": true}),
        ),
    )
    .await
    .expect("valid OCI HelmRepository accepted");

    let invalid = [
        (
            "bad-scheme",
            json!({"url": "ftp://example.com"}),
            "spec.url",
        ),
        (
            "oci-without-type",
            json!({"url": "oci://r.example.com/c"}),
            "spec.url must start with oci:// exactly when spec.type is oci",
        ),
        (
            "type-without-oci",
            json!({"url": "https://r.example.com", "type": "oci"}),
            "spec.url must start with oci://",
        ),
        (
            "bad-interval",
            json!({"url": "https://r.example.com", "interval": "10 minutes"}),
            "spec.interval",
        ),
    ];
    for (name, spec, expected) in invalid {
        let error = create_raw(&api, repository(name, spec))
            .await
            .expect_err(&format!("{name} must be rejected"));
        assert!(
            error.contains(expected),
            "{name}: {error:?} lacks {expected:?}"
        );
    }
    // An unknown enum value needs the raw path: the typed client cannot even express it.
    let raw = client_raw_create(
        &api,
        repository(
            "bad-type",
            json!({"url": "https://r.example.com", "type": "git"}),
        ),
    )
    .await;
    assert!(raw.contains("spec.type"), "{raw}");
}

/// Posts JSON the typed structs cannot represent (unknown enum values) and returns the error.
async fn client_raw_create<K>(api: &Api<K>, object: serde_json::Value) -> String
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let url = K::url_path(&(), api.namespace());
    let request = http_request(&url, &object);
    match api
        .clone()
        .into_client()
        .request::<serde_json::Value>(request)
        .await
    {
        Ok(value) => format!("unexpectedly accepted: {value}"),
        Err(kube::Error::Api(status)) => status.message,
        Err(other) => other.to_string(),
    }
}

fn http_request(url: &str, body: &serde_json::Value) -> http::Request<Vec<u8>> {
    http::Request::post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .unwrap_or_default()
}

#[tokio::test]
#[allow(clippy::expect_used, reason = "test")]
async fn helm_release_round_trips_and_keeps_release_identity_immutable() {
    let (client, namespace) = setup("crd-hr").await;
    let api: Api<HelmRelease> = Api::namespaced(client.clone(), &namespace.name);

    let created = create_raw(
        &api,
        release(
            "podinfo",
            json!({
                "chart": chart(),
                "releaseName": "podinfo-demo",
                "values": {"replicaCount": 2, "ingress": {"hosts": [{"host": "a"}]}},
                "valuesFrom": [{"kind": "ConfigMap", "name": "extra"}],
                "install": {"crds": "CreateReplace", "remediation": {"retries": 3}},
                "upgrade": {"remediation": {"strategy": "uninstall"}},
                "driftDetection": {"mode": "warn"},
                "dependsOn": [{"name": "base"}],
            }),
        ),
    )
    .await
    .expect("valid HelmRelease accepted");
    assert_eq!(created.spec.interval.as_deref(), Some("10m"));
    assert_eq!(created.spec.timeout.as_deref(), Some("5m"));
    assert_eq!(created.spec.max_history, Some(5));
    assert_eq!(created.spec.chart.spec.version.as_deref(), Some("*"));
    assert_eq!(
        created.spec.values_from[0].values_key.as_deref(),
        Some("values.yaml")
    );
    assert_eq!(
        created.spec.values,
        Some(json!({"replicaCount": 2, "ingress": {"hosts": [{"host": "a"}]}})),
        "free-form values are preserved"
    );

    // Mutable fields change; the release's identity does not.
    let patch = PatchParams::default();
    api.patch(
        "podinfo",
        &patch,
        &Patch::Merge(json!({"spec": {"values": {"replicaCount": 3}}})),
    )
    .await
    .expect("values may change");
    for (field, value, message) in [
        (
            "releaseName",
            json!("renamed"),
            "spec.releaseName is immutable",
        ),
        (
            "targetNamespace",
            json!("elsewhere"),
            "spec.targetNamespace is immutable",
        ),
        (
            "storageNamespace",
            json!("elsewhere"),
            "spec.storageNamespace is immutable",
        ),
    ] {
        let error = api
            .patch(
                "podinfo",
                &patch,
                &Patch::Merge(json!({"spec": {field: value}})),
            )
            .await
            .expect_err(&format!("changing {field} must be rejected"));
        let text = match error {
            kube::Error::Api(status) => status.message,
            other => other.to_string(),
        };
        assert!(text.contains(message), "{field}: {text}");
    }
    let unchanged = api.get("podinfo").await.expect("read");
    assert_eq!(unchanged.spec.release_name.as_deref(), Some("podinfo-demo"));
    assert!(unchanged.spec.target_namespace.is_none());

    let invalid = [
        (
            "no-chart",
            json!({"chart": {"spec": {"chart": "", "sourceRef": {"kind": "HelmRepository", "name": "x"}}}}),
            "spec.chart.spec.chart",
        ),
        (
            "long-name",
            json!({"chart": chart(), "releaseName": "a".repeat(54)}),
            "spec.releaseName",
        ),
        (
            "bad-name",
            json!({"chart": chart(), "releaseName": "Bad_Name"}),
            "spec.releaseName",
        ),
        (
            "negative-history",
            json!({"chart": chart(), "maxHistory": -1}),
            "spec.maxHistory",
        ),
        (
            "bad-timeout",
            json!({"chart": chart(), "timeout": "5"}),
            "spec.timeout",
        ),
    ];
    for (name, spec, expected) in invalid {
        let error = create_raw(&api, release(name, spec))
            .await
            .expect_err(&format!("{name} must be rejected"));
        assert!(
            error.contains(expected),
            "{name}: {error:?} lacks {expected:?}"
        );
    }
    let raw = client_raw_create(
        &api,
        release(
            "bad-drift",
            json!({"chart": chart(), "driftDetection": {"mode": "sometimes"}}),
        ),
    )
    .await;
    assert!(raw.contains("spec.driftDetection.mode"), "{raw}");
    let raw = client_raw_create(
        &api,
        release("bad-kind", json!({"chart": {"spec": {"chart": "x", "sourceRef": {"kind": "GitRepository", "name": "x"}}}})),
    )
    .await;
    assert!(raw.contains("spec.chart.spec.sourceRef.kind"), "{raw}");
    let names: Vec<String> = api
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(|hr| hr.name_any())
        .collect();
    assert_eq!(names, ["podinfo"], "no invalid HelmRelease was stored");
}

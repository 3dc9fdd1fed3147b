//! `HelmRepository`: where charts come from — a classic HTTP chart repository (an `index.yaml`
//! beside chart archives) or an OCI registry.
//!
//! Spec field names and meanings follow Flux's `source.toolkit.fluxcd.io/v1` HelmRepository
//! (fluxcd/source-controller `api/v1/helmrepository_types.go`).

#![allow(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) attributes repeat keys such as type_ by design"
)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::LocalObjectReference;

/// Default `spec.interval`: how often the index is fetched again.
pub const DEFAULT_INTERVAL: &str = "10m";
/// Default `spec.timeout` for index and chart requests.
pub const DEFAULT_TIMEOUT: &str = "60s";

/// A chart repository Wheelhouse reads charts from.
///
/// For `type: default` the controller fetches `<url>/index.yaml` on creation, on spec change,
/// every `interval` and when `reconcile.wheelhouse.dev/requestedAt` changes, and publishes
/// what it fetched as `status.artifact`. For `type: oci` the URL names a registry namespace
/// (`oci://registry.example.com/charts`); there is no index, and charts are resolved by tag
/// when a HelmRelease asks for them.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "helm.wheelhouse.dev",
    version = "v1",
    kind = "HelmRepository",
    plural = "helmrepositories",
    shortname = "helmrepo",
    category = "wheelhouse",
    namespaced,
    status = "HelmRepositoryStatus",
    derive = "PartialEq",
    doc = "A Helm chart repository (HTTP index.yaml or OCI registry) that HelmReleases take charts from.",
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Status",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].message"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new(
    "(has(self.type) && self.type == 'oci') == self.url.startsWith('oci://')"
).message("spec.url must start with oci:// exactly when spec.type is oci"))]
#[serde(rename_all = "camelCase")]
pub struct HelmRepositorySpec {
    /// URL of the repository: `http://` or `https://` for a chart repository serving
    /// `index.yaml`, `oci://host[:port]/path` for an OCI registry.
    #[schemars(regex(pattern = r"^(https?|oci)://.+$"))]
    pub url: String,
    /// Repository kind: `default` (HTTP chart repository with an index) or `oci`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "default"))]
    pub type_: Option<RepositoryType>,
    /// How often the index is fetched again, as a Go duration (`10m`, `1h`). Default 10m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"), extend("default" = "10m"))]
    pub interval: Option<String>,
    /// Timeout of each index or chart request, as a Go duration. Default 60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"), extend("default" = "60s"))]
    pub timeout: Option<String>,
    /// Secret with credentials: `username` and `password` (basic auth), or, for OCI, a
    /// `.dockerconfigjson` entry (type `kubernetes.io/dockerconfigjson`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Secret with TLS material: `ca.crt` (CA bundle to trust), and optionally `tls.crt` with
    /// `tls.key` (client certificate), all PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Send the credentials also to chart URLs on other hosts than the repository's
    /// (scheme, host and port). Off by default, as in Helm and Flux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_credentials: Option<bool>,
    /// Use plain HTTP for an OCI registry (no TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// Stop fetching; the last artifact stays in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// The kind of repository behind `spec.url`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RepositoryType {
    /// A classic chart repository: `index.yaml` plus chart archives over HTTP(S).
    Default,
    /// An OCI registry holding charts as OCI artifacts.
    Oci,
}

/// Observed state of a HelmRepository.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmRepositoryStatus {
    /// The `metadata.generation` the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Reconciling` and `Stalled` (kstatus conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// What the last successful index fetch produced (absent for OCI repositories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<RepositoryArtifact>,
    /// The value of `reconcile.wheelhouse.dev/requestedAt` last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

/// A fetched repository index, as published in status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryArtifact {
    /// `sha256:<hex>` of the index bytes as fetched; changes whenever the index does.
    pub revision: String,
    /// Size of the index in bytes.
    pub size: i64,
    /// When the index content last changed (RFC 3339).
    pub last_update_time: String,
    /// Number of distinct charts in the index.
    pub charts: i64,
    /// Number of chart versions in the index.
    pub versions: i64,
}

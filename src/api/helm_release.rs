//! `HelmRelease`: a declarative Helm release — chart, version range, source, values and how to
//! install, upgrade, test, roll back and uninstall it.
//!
//! Field names and meanings follow Flux's `helm.toolkit.fluxcd.io/v2` HelmRelease
//! (fluxcd/helm-controller `api/v2/helmrelease_types.go`) where they are the same, so a GitOps
//! repository moves over by changing `apiVersion`. Differences: `releaseName`,
//! `targetNamespace` and `storageNamespace` are immutable (the API server rejects a change,
//! where Flux silently uninstalls and reinstalls), and provenance verification is OpenPGP
//! (`.prov` files) as in Helm.

#![allow(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) attributes repeat keys such as type_ by design"
)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::LocalObjectReference;

/// Default `spec.interval`.
pub const DEFAULT_INTERVAL: &str = "10m";
/// Default `spec.timeout` for each action (and its wait and hooks).
pub const DEFAULT_TIMEOUT: &str = "5m";
/// Default `spec.maxHistory`.
pub const DEFAULT_MAX_HISTORY: i32 = 5;
/// Default `spec.chart.spec.version`: any version.
pub const DEFAULT_CHART_VERSION: &str = "*";
/// Default `valuesFrom[].valuesKey`.
pub const DEFAULT_VALUES_KEY: &str = "values.yaml";
/// Finalizer that makes deletion uninstall the release.
pub const FINALIZER: &str = "helm.wheelhouse.dev/finalizer";

/// A Helm release Wheelhouse keeps in the state this spec describes.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "helm.wheelhouse.dev",
    version = "v1",
    kind = "HelmRelease",
    plural = "helmreleases",
    shortname = "hr",
    category = "wheelhouse",
    namespaced,
    status = "HelmReleaseStatus",
    derive = "PartialEq",
    doc = "A declarative Helm release: chart, version range, source, values and action options.",
    printcolumn(name = "Chart", type_ = "string", json_path = ".spec.chart.spec.chart"),
    printcolumn(
        name = "Version",
        type_ = "string",
        json_path = ".status.history[0].chartVersion"
    ),
    printcolumn(
        name = "Revision",
        type_ = "integer",
        json_path = ".status.history[0].version"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Message",
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
    "has(self.releaseName) == has(oldSelf.releaseName) && (!has(self.releaseName) || self.releaseName == oldSelf.releaseName)"
).message("spec.releaseName is immutable: delete and recreate the HelmRelease to rename the release"))]
#[x_kube(validation = Rule::new(
    "has(self.targetNamespace) == has(oldSelf.targetNamespace) && (!has(self.targetNamespace) || self.targetNamespace == oldSelf.targetNamespace)"
).message("spec.targetNamespace is immutable: delete and recreate the HelmRelease to move the release"))]
#[x_kube(validation = Rule::new(
    "has(self.storageNamespace) == has(oldSelf.storageNamespace) && (!has(self.storageNamespace) || self.storageNamespace == oldSelf.storageNamespace)"
).message("spec.storageNamespace is immutable: delete and recreate the HelmRelease to move the release history"))]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    /// The chart to install: name, version constraint and source.
    pub chart: HelmChartTemplate,
    /// How often the release is checked against this spec, as a Go duration. Default 10m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"), extend("default" = "10m"))]
    pub interval: Option<String>,
    /// Time limit of each action, including waiting for readiness and hooks. Default 5m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"), extend("default" = "5m"))]
    pub timeout: Option<String>,
    /// Leave the release alone while true (deletion still uninstalls unless suspended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Helm release name. Default `[<targetNamespace>-]<metadata.name>`, shortened with a hash
    /// when longer than Helm's 53 characters. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 53),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    )]
    pub release_name: Option<String>,
    /// Namespace the chart's objects go to. Default: the HelmRelease's namespace. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub target_namespace: Option<String>,
    /// Namespace of Helm's release Secrets. Default: the HelmRelease's namespace. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub storage_namespace: Option<String>,
    /// Revisions kept in Helm's storage; 0 keeps all. Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0), extend("default" = 5))]
    pub max_history: Option<i32>,
    /// Service account (in the HelmRelease's namespace) impersonated for every write of this
    /// release. Default: the operator's own identity, unless `--default-service-account` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// User-supplied values, merged after `valuesFrom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub values: Option<serde_json::Value>,
    /// ConfigMaps and Secrets holding values, merged in list order before `values`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_from: Vec<ValuesReference>,
    /// Options for installs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Install>,
    /// Options for upgrades.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
    /// Running the chart's test hooks after install and upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Test>,
    /// Options for rollbacks (remediation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollback>,
    /// Options for uninstalls (deletion, remediation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstall: Option<Uninstall>,
    /// HelmReleases that must be Ready before this one is reconciled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependencyReference>,
    /// Comparing live objects with the release manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_detection: Option<DriftDetection>,
}

fn free_form_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// `spec.chart`: a template for the chart to fetch (Flux's `HelmChartTemplate`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct HelmChartTemplate {
    /// Chart name, version and source.
    pub spec: HelmChartTemplateSpec,
}

/// `spec.chart.spec`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartTemplateSpec {
    /// Chart name in the repository (for OCI, the last path element of the reference).
    #[schemars(length(min = 1))]
    pub chart: String,
    /// Masterminds semver constraint or exact version (`1.2.3`, `^1.2`, `>=1.0 <2.0`). Default `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "*"))]
    pub version: Option<String>,
    /// The HelmRepository the chart comes from.
    pub source_ref: SourceReference,
    /// Verify the chart's provenance (`.prov`) before anything is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<ChartVerification>,
}

/// A reference to a chart source, possibly in another namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct SourceReference {
    /// Kind of the source.
    pub kind: SourceKind,
    /// Name of the source.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Namespace of the source; default the HelmRelease's. Refused when the operator runs
    /// with `--no-cross-namespace-refs` and it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Kinds a chart can come from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum SourceKind {
    /// A `HelmRepository` of `helm.wheelhouse.dev/v1`.
    HelmRepository,
}

/// `spec.chart.spec.verify`: provenance verification with an OpenPGP keyring.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartVerification {
    /// Verification provider; `pgp` (Helm's `.prov` files) is the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<VerificationProvider>,
    /// Secret whose entries are public keyrings (binary or ASCII-armored); a signature by any
    /// of their keys is accepted.
    pub secret_ref: LocalObjectReference,
}

/// Provenance verification providers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VerificationProvider {
    /// OpenPGP clear-signed `.prov` files, as `helm package --sign` writes them.
    Pgp,
}

/// `spec.valuesFrom[]`: values taken from a ConfigMap or Secret.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValuesReference {
    /// Kind of the object holding the values.
    pub kind: ValuesKind,
    /// Name of the object, in the HelmRelease's namespace.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Data key to read. Default `values.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "values.yaml"))]
    pub values_key: Option<String>,
    /// Where to put the value, in `--set` path syntax (`a.b[0].c`); the entry is then a
    /// single value, not a YAML document. Default: merge the whole document at the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_path: Option<String>,
    /// Tolerate a missing object or key instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

/// Kinds `valuesFrom` can read.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum ValuesKind {
    /// A ConfigMap (`data`).
    ConfigMap,
    /// A Secret (`data`, base64-decoded).
    Secret,
}

/// What to do with the chart's `crds/` directory.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum CrdPolicy {
    /// Leave CRDs alone.
    Skip,
    /// Create CRDs that do not exist; never update existing ones.
    Create,
    /// Create missing CRDs and replace existing ones with the chart's (never delete).
    CreateReplace,
}

/// `spec.install`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Install {
    /// Create the target namespace if it does not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_namespace: Option<bool>,
    /// CRD policy on install. Default `Create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crds: Option<CrdPolicy>,
    /// Do not run install hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Do not wait for objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// What to do when an install fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<InstallRemediation>,
}

/// `spec.install.remediation`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstallRemediation {
    /// Install attempts after the first failure (each preceded by an uninstall of the failed
    /// release); then Stalled until the spec changes. Default 0; negative means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
}

/// `spec.upgrade`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    /// CRD policy on upgrade. Default `Skip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crds: Option<CrdPolicy>,
    /// Do not run upgrade hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Do not wait for objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// On failure, delete the objects this upgrade created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_on_fail: Option<bool>,
    /// What to do when an upgrade fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<UpgradeRemediation>,
}

/// `spec.upgrade.remediation`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeRemediation {
    /// Remediated attempts before Stalled; default 0; negative means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    /// How to remediate a failed upgrade. Default `rollback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RemediationStrategy>,
}

/// Remediation strategies for failed upgrades.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RemediationStrategy {
    /// Roll back to the last successful revision.
    Rollback,
    /// Uninstall the release (a new install follows).
    Uninstall,
}

/// `spec.test`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Test {
    /// Run the chart's `test` hooks after each install and upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Do not count test failures as release failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_failures: Option<bool>,
}

/// `spec.rollback`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rollback {
    /// Do not run rollback hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Do not wait for objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// On failure, delete the objects this rollback created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_on_fail: Option<bool>,
}

/// `spec.uninstall`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uninstall {
    /// Keep the release history (status `uninstalled`) instead of purging it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_history: Option<bool>,
    /// Do not run delete hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Do not wait for objects to be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
}

/// `spec.dependsOn[]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct DependencyReference {
    /// Name of the HelmRelease depended on.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Its namespace; default this HelmRelease's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `spec.driftDetection`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
pub struct DriftDetection {
    /// `disabled` (default), `warn` (report Drifted) or `enabled` (also correct drift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DriftDetectionMode>,
}

/// Drift detection modes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DriftDetectionMode {
    /// No comparison.
    Disabled,
    /// Compare and report `Drifted`; change nothing.
    Warn,
    /// Compare, report and re-apply drifted objects (no new revision).
    Enabled,
}

/// Observed state of a HelmRelease.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseStatus {
    /// The `metadata.generation` the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Reconciling`, `Stalled`, `Released`, `TestSuccess`, `Remediated`, `Drifted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Release revisions, newest first, at most `maxHistory` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Snapshot>,
    /// Chart version of the last attempted action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// `sha256:<hex>` of the values used by the last attempted action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_values_checksum: Option<String>,
    /// The kind of the last attempted release action (`install`, `upgrade`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_release_action: Option<String>,
    /// Consecutive failed reconciles (reset on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<i64>,
    /// Failed installs since the spec last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_failures: Option<i64>,
    /// Failed upgrades since the spec last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_failures: Option<i64>,
    /// Namespace holding the release Secrets (so deletion finds them after a spec change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_namespace: Option<String>,
    /// The value of `reconcile.wheelhouse.dev/requestedAt` last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

/// One release revision as recorded in Helm's storage (Flux's `Snapshot`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Release revision (Helm's `version`).
    #[serde(rename = "version")]
    pub revision: i32,
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Helm status of the revision (`deployed`, `superseded`, `failed`, ...).
    pub status: String,
    /// Chart name.
    pub chart_name: String,
    /// Chart version.
    pub chart_version: String,
    /// The chart's appVersion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// `sha256:<hex>` of the stored release record.
    pub digest: String,
    /// `sha256:<hex>` of the user-supplied values (the record's config).
    pub config_digest: String,
    /// When the release was first deployed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<String>,
    /// When this revision was deployed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<String>,
    /// When the revision was uninstalled, if it was (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    /// Result of the test hooks run for this revision, if any: `Succeeded` or `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_result: Option<String>,
}

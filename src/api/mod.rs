//! The custom resources Wheelhouse serves: `HelmRepository` and `HelmRelease` in the API group
//! `helm.wheelhouse.dev`, version `v1`.
//!
//! Field names follow Flux's `source.toolkit.fluxcd.io/v1` HelmRepository and
//! `helm.toolkit.fluxcd.io/v2` HelmRelease wherever the meaning is the same, so GitOps
//! repositories can move over by changing little more than `apiVersion`. The CRD YAML under
//! `crds/` is generated from these types by [`crd::all`] (`wheelhouse crds`), with a test that
//! fails when the checked-in files are stale.
//!
//! - [`helm_repository`]: the chart repository source (HTTP index or OCI registry).
//! - [`helm_release`]: the declarative release.
//! - [`condition`]: condition types, reasons and the kstatus-compatible `set_condition`.
//! - [`duration`]: Go duration strings (`10m`, `1h30m`) as the specs carry them.
//! - [`crd`]: CRD generation and YAML rendering.

pub mod condition;
pub mod crd;
pub mod duration;
pub mod helm_release;
pub mod helm_repository;

pub use helm_release::{HelmRelease, HelmReleaseSpec, HelmReleaseStatus};
pub use helm_repository::{HelmRepository, HelmRepositorySpec, HelmRepositoryStatus};

/// The API group of every Wheelhouse resource.
pub const GROUP: &str = "helm.wheelhouse.dev";

/// The served and stored version of every Wheelhouse resource.
pub const VERSION: &str = "v1";

/// Annotation whose change requests an immediate reconcile; its value (any string, by
/// convention an RFC 3339 time) is echoed in `status.lastHandledReconcileAt` once handled.
/// Same meaning as Flux's `reconcile.fluxcd.io/requestedAt`.
pub const RECONCILE_REQUESTED_AT_ANNOTATION: &str = "reconcile.wheelhouse.dev/requestedAt";

/// Reference to an object in the same namespace by name (a Secret or ConfigMap).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct LocalObjectReference {
    /// Name of the referent, in the namespace of the object that refers to it.
    pub name: String,
}

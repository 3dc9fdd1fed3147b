//! Putting a release's objects into the cluster as Helm 4.3.1's `pkg/kube` client does with
//! server-side apply, and telling when they are ready.
//!
//! ```text
//!  manifest text ──object::decode_manifest──▶ ManifestObject ──Applier::build──▶ Resource
//!      (pure)                                   (pure)          discovery: kind → resource,
//!                                                               scope, namespace defaulting,
//!                                                               ownership metadata
//!  Resource ──Applier::apply_all──▶ SSA patch (field manager `wheelhouse`, force, strict)
//!  Resource ──Applier::wait_ready──▶ watches + readiness::compute (kstatus) until Current
//!  plan::prune_candidates (pure) ──Applier::delete──▶ uninstall order, `keep` honoured
//!  Resource ──Applier::detect_drift──▶ get + SSA dry-run ──drift::object_drift (pure)──▶ ObjectDrift
//! ```
//!
//! - [`object`]: decoding manifests, object identity, ownership metadata and Helm's check.
//! - [`plan`]: prune candidates and kind ordering (pure).
//! - [`drift`]: how a live object differs from a dry-run apply of the manifest (pure).
//! - [`readiness`]: kstatus rules and Helm's hook completion rules (pure).
//! - [`cluster`]: [`Applier`], the I/O: discovery cache, CRDs, apply, delete, waits.

pub mod cluster;
pub mod drift;
pub mod object;
pub mod plan;
pub mod readiness;

use std::time::Duration;

pub use cluster::{Applier, CrdPolicy, Resource, SharedDiscovery};
pub use drift::{DriftChange, ObjectDrift};
pub use object::{ManifestObject, ObjectKey};

/// The field manager of every server-side apply Wheelhouse makes.
pub const FIELD_MANAGER: &str = "wheelhouse";
/// Helm's managed-by label (Go: `appManagedByLabel`).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Its value (Go: `appManagedByHelm`).
pub const MANAGED_BY_HELM: &str = "Helm";
/// Release name annotation (Go: `helmReleaseNameAnnotation`).
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
/// Release namespace annotation (Go: `helmReleaseNamespaceAnnotation`).
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
/// Resource policy annotation (Go: `kube.ResourcePolicyAnno`).
pub const RESOURCE_POLICY_ANNOTATION: &str = "helm.sh/resource-policy";
/// The policy that keeps an object on prune and uninstall (Go: `kube.KeepPolicy`).
pub const RESOURCE_POLICY_KEEP: &str = "keep";

/// Errors from applying, deleting and waiting.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A manifest document does not decode into an object.
    #[error("unable to build kubernetes objects from release manifest: {message}")]
    Decode {
        /// What is wrong.
        message: String,
    },
    /// API discovery failed.
    #[error("API discovery failed")]
    Discovery {
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// No API resource serves this kind (Helm: `no matches for kind`).
    #[error(
        "resource mapping not found for name: {name:?} namespace: {namespace:?}: no matches for kind {kind:?} in version {api_version:?}; ensure CRDs are installed first"
    )]
    UnknownKind {
        /// `apiVersion` of the object.
        api_version: String,
        /// `kind` of the object.
        kind: String,
        /// Its name.
        name: String,
        /// Its namespace.
        namespace: String,
    },
    /// An existing object belongs to something else (Helm's "invalid ownership metadata").
    #[error("{message}")]
    Ownership {
        /// Helm's full message, naming the object.
        message: String,
    },
    /// An API call on an object failed.
    #[error("{action} {key}")]
    Api {
        /// What was done, e.g. `failed to apply`.
        action: &'static str,
        /// The object.
        key: ObjectKey,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// Objects did not become ready (or deleted) in time; each line names one object and why.
    #[error("timed out after {timeout:?} waiting for {what}: {}", .pending.join("; "))]
    Timeout {
        /// `readiness` or `deletion`.
        what: &'static str,
        /// The bound.
        timeout: Duration,
        /// `resource Kind/namespace/name not ready. status: S, message: M` per object.
        pending: Vec<String>,
    },
    /// An object reached a state it will not leave by itself (a failed Job or Pod, a
    /// Deployment past its progress deadline).
    #[error("{}", .failed.join("; "))]
    Failed {
        /// `resource Kind/namespace/name failed: message` per object.
        failed: Vec<String>,
    },
    /// The watch on an object ended with an error.
    #[error("watching {key} failed: {message}")]
    Watch {
        /// The object.
        key: ObjectKey,
        /// The watcher's error.
        message: String,
    },
}

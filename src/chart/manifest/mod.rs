//! From rendered template output to what Helm stores and applies: manifests split into
//! documents, hooks separated, everything ordered, exactly as Helm 4.3.1 does it.
//!
//! - [`split_manifests`]: Helm's document splitting (`pkg/release/v1/util/manifest.go`).
//! - [`sort_manifests`]: hooks vs. ordinary manifests and their install order
//!   (`manifest_sorter.go`, `kind_sorter.go`), with [`INSTALL_ORDER`].
//! - [`Hook`]: events, weight, delete and output-log policies (`pkg/release/v1/hook.go`).
//! - [`parse_head`]: a document's apiVersion/kind/name/annotations as Helm decodes them;
//!   [`HeadsAhead`] decodes them on a helper thread while templates still execute.
//! - [`is_crd_file`]: which chart files under `crds/` Helm installs as CRDs.
//!
//! Functions over strings (heads may decode on a helper thread); no chart or template
//! knowledge.

mod head;
mod heads_ahead;
mod hook;
mod sort;
mod split;

#[cfg(test)]
mod oracle_tests;

pub use head::{Head, HeadMetadata, parse_head};
pub use heads_ahead::{DecodedFiles, DecodedHead, HeadsAhead};
pub use hook::{
    BEFORE_HOOK_CREATION, HOOK_ANNOTATION, HOOK_DELETE_ANNOTATION, HOOK_FAILED,
    HOOK_OUTPUT_LOG_ANNOTATION, HOOK_SUCCEEDED, HOOK_WEIGHT_ANNOTATION, Hook, HookEvent,
};
pub use sort::{
    INSTALL_ORDER, Manifest, SkippedHook, Sorted, compare_kinds, sort_manifests,
    sort_manifests_with_heads, uninstall_order,
};
pub use split::split_manifests;

/// Errors from [`sort_manifests`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// A document's head is not YAML Helm can decode; `message` is sigs.k8s.io/yaml's text.
    /// `Display` is Helm's: `YAML parse error on PATH: MESSAGE`.
    #[error("YAML parse error on {path}: {message}")]
    Parse {
        /// Template path of the file holding the document.
        path: String,
        /// The decoder's message.
        message: String,
    },
}

/// Whether a chart file (path relative to its chart, e.g. `crds/foo.yaml`) is a CRD Helm
/// installs: under `crds/` (any depth) with extension `.yaml`, `.yml` or `.json` in any
/// letter case (Go: `Chart.CRDObjects` with `hasManifestExtension` in
/// `pkg/chart/v2/chart.go`).
pub fn is_crd_file(name: &str) -> bool {
    // Go's `filepath.Ext`: the suffix from the final dot of the final path element.
    let base = name.rsplit('/').next().unwrap_or(name);
    let ext = base.rfind('.').map_or("", |i| &base[i..]);
    name.starts_with("crds/")
        && [".yaml", ".yml", ".json"]
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known))
}

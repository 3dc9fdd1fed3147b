//! Sorting rendered files into hooks and ordered manifests as Helm 4.3.1 does
//! (`pkg/release/v1/util/manifest_sorter.go` `SortManifests`, `kind_sorter.go`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::ManifestError;
use super::head::{Head, parse_head};
use super::heads_ahead::DecodedHead;
use super::hook::{HOOK_ANNOTATION, Hook};
use super::split::split_manifests;
use crate::helper_threads;

/// Helm's install order of kinds (Go: `releaseutil.InstallOrder`). Kinds not listed come
/// after all listed ones, alphabetically.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Helm's uninstall order of kinds (Go: `releaseutil.UninstallOrder`): [`INSTALL_ORDER`]
/// reversed.
pub fn uninstall_order() -> Vec<&'static str> {
    INSTALL_ORDER.iter().rev().copied().collect()
}

/// One ordinary (non-hook) document of a rendered file (Go: `releaseutil.Manifest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Template path it was rendered from, e.g. `mychart/templates/service.yaml`.
    pub path: String,
    /// The document's text (leading white space removed, trailing kept).
    pub content: String,
    /// Its apiVersion, kind and metadata.
    pub head: Head,
}

/// The output of [`sort_manifests`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sorted {
    /// Hooks, ordered by kind then file path then position.
    pub hooks: Vec<Hook>,
    /// Ordinary manifests, ordered by kind then file path then position.
    pub manifests: Vec<Manifest>,
    /// Documents dropped for naming an unknown hook event, in file order.
    pub skipped_hooks: Vec<SkippedHook>,
}

/// A document Helm drops because its `helm.sh/hook` annotation names an event it does not
/// know (Helm logs `skipping unknown hooks` with the annotation's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedHook {
    /// Template path of the document.
    pub path: String,
    /// The `helm.sh/hook` annotation as written.
    pub hook_types: String,
}

/// Splits rendered files (template path → output) into hooks and manifests and orders both
/// by `kind_order` (Go: `SortManifests(files, nil, ordering)`).
///
/// Files are visited in byte order of their path; files whose base name starts with `_`
/// and files that are only white space are skipped; each file is split with
/// [`split_manifests`]. A document whose annotations hold `helm.sh/hook` becomes a [`Hook`]
/// unless one of its events is unknown, in which case it is dropped; every other document
/// (including comment-only ones) is a [`Manifest`]. Both lists are then stably sorted by
/// the kind's position in `kind_order`, unknown kinds last in byte order.
///
/// # Errors
/// [`ManifestError::Parse`] for the first document whose head does not decode.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
    kind_order: &[&str],
) -> Result<Sorted, ManifestError> {
    sort_manifests_with_heads(files, kind_order, BTreeMap::new())
}

/// [`sort_manifests`] with the heads of some files already decoded (by
/// [`HeadsAhead`](super::HeadsAhead)): `known` maps a file's path to the heads of its
/// documents in [`split_manifests`] order. Heads of other files, of a file whose entry does
/// not have one head per document, and `None` entries are decoded here.
///
/// # Errors
/// As [`sort_manifests`].
pub fn sort_manifests_with_heads(
    files: &BTreeMap<String, String>,
    kind_order: &[&str],
    mut known: BTreeMap<String, Vec<DecodedHead>>,
) -> Result<Sorted, ManifestError> {
    let mut documents: Vec<(&String, &str)> = Vec::new();
    let mut decoded: Vec<DecodedHead> = Vec::new();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        let split = split_manifests(content);
        match known.remove(path) {
            Some(heads) if heads.len() == split.len() => decoded.extend(heads),
            _ => decoded.extend(std::iter::repeat_with(|| None).take(split.len())),
        }
        documents.extend(split.into_iter().map(|d| (path, d)));
    }
    let missing: Vec<usize> = (0..documents.len())
        .filter(|&i| decoded[i].is_none())
        .collect();
    let undecoded: Vec<(&String, &str)> = missing.iter().map(|&i| documents[i]).collect();
    for (i, head) in missing.into_iter().zip(parse_heads(&undecoded)) {
        decoded[i] = Some(head);
    }
    // Every document has its head now (`parse_heads` yields one per document).
    let heads: Vec<Result<Head, String>> = decoded.into_iter().flatten().collect();

    let mut sorted = Sorted::default();
    for ((path, document), head) in documents.into_iter().zip(heads) {
        let head = head.map_err(|message| ManifestError::Parse {
            path: path.clone(),
            message,
        })?;
        let Some(annotations) = head.annotations() else {
            sorted.manifests.push(Manifest {
                path: path.clone(),
                content: document.to_string(),
                head,
            });
            continue;
        };
        if !annotations.contains_key(HOOK_ANNOTATION) {
            sorted.manifests.push(Manifest {
                path: path.clone(),
                content: document.to_string(),
                head,
            });
            continue;
        }
        match Hook::from_annotations(head.name(), &head.kind, path, document, annotations) {
            Some(hook) => sorted.hooks.push(hook),
            None => sorted.skipped_hooks.push(SkippedHook {
                path: path.clone(),
                hook_types: annotations
                    .get(HOOK_ANNOTATION)
                    .cloned()
                    .unwrap_or_default(),
            }),
        }
    }
    sorted
        .hooks
        .sort_by(|a, b| compare_kinds(&a.kind, &b.kind, kind_order));
    sorted
        .manifests
        .sort_by(|a, b| compare_kinds(&a.head.kind, &b.head.kind, kind_order));
    Ok(sorted)
}

/// Total size of documents above which their heads are decoded on several threads.
const PARALLEL_THRESHOLD_BYTES: usize = 256 * 1024;

/// Decodes every document's head, in order. Decoding a head means parsing the whole YAML
/// document (Helm fails on a syntax error anywhere in it), which dominates the cost for
/// charts with large CRDs, so big inputs are shared, a document at a time, between this
/// thread and up to 7 helper threads, as far as the process-wide budget allows
/// ([`crate::helper_threads`]); results keep the documents' order, and the first failure in
/// that order is the one reported.
fn parse_heads(documents: &[(&String, &str)]) -> Vec<Result<Head, String>> {
    const MAX_HELPERS: usize = 7;
    let decode_all = |chunk: &[(&String, &str)]| -> Vec<Result<Head, String>> {
        chunk.iter().map(|(_, d)| parse_head(d)).collect()
    };
    let total: usize = documents.iter().map(|(_, d)| d.len()).sum();
    if total < PARALLEL_THRESHOLD_BYTES || documents.len() < 2 {
        return decode_all(documents);
    }
    let helpers = helper_threads::grant(MAX_HELPERS.min(documents.len() - 1));
    if helpers.count() == 0 {
        return decode_all(documents);
    }
    let heads = helper_threads::map_claimed(
        documents,
        helpers.count(),
        |(_, d)| d.len(),
        || (),
        |(), (_, d)| parse_head(d),
    );
    // A document whose helper panicked (a decoder bug) is decoded again here, where the
    // panic then surfaces.
    heads
        .into_iter()
        .zip(documents)
        .map(|(head, (_, d))| head.unwrap_or_else(|| parse_head(d)))
        .collect()
}

/// Order of two kinds (Go: `lessByKind`): listed kinds by position, then unlisted kinds in
/// byte order; equal kinds compare equal so a stable sort keeps their order.
pub fn compare_kinds(a: &str, b: &str, kind_order: &[&str]) -> Ordering {
    let rank = |k: &str| kind_order.iter().position(|o| *o == k);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]
    use super::*;

    #[test]
    fn heads_decoded_ahead_are_used_and_gaps_decoded() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Service\nmetadata:\n  name: a\n---\nkind: Pod\n".to_string(),
        );
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: ConfigMap\nmetadata:\n  name: b\n".to_string(),
        );
        files.insert(
            "c/templates/c.yaml".to_string(),
            "kind: Secret\nmetadata:\n  name: c\n".to_string(),
        );
        let expected = sort_manifests(&files, INSTALL_ORDER).expect("valid");
        let head_of = |text: &str| Some(parse_head(text));
        let mut known = BTreeMap::new();
        // a: one head per document; b: one entry missing (decoded here); c: the decoder
        // panicked on the helper (decoded here).
        known.insert(
            "c/templates/a.yaml".to_string(),
            vec![
                head_of("kind: Service\nmetadata:\n  name: a\n"),
                head_of("kind: Pod\n"),
            ],
        );
        known.insert("c/templates/b.yaml".to_string(), Vec::new());
        known.insert("c/templates/c.yaml".to_string(), vec![None]);
        let sorted = sort_manifests_with_heads(&files, INSTALL_ORDER, known).expect("valid");
        assert_eq!(sorted, expected);

        // A known failure is reported like one found here: the first in file order.
        let mut known = BTreeMap::new();
        known.insert(
            "c/templates/c.yaml".to_string(),
            vec![Some(Err("bad c".to_string()))],
        );
        files.insert("c/templates/d.yaml".to_string(), "kind: [\n".to_string());
        let err = sort_manifests_with_heads(&files, INSTALL_ORDER, known).map(|_| ());
        assert!(
            matches!(&err, Err(ManifestError::Parse { path, message }) if path == "c/templates/c.yaml" && message == "bad c"),
            "{err:?}"
        );
    }

    #[test]
    fn parallel_head_decoding_keeps_order_and_first_error() {
        let padding = format!("data:\n  k: \"{}\"\n", "x".repeat(4096));
        let mut files = BTreeMap::new();
        for i in 0..150 {
            let kind = if i % 3 == 0 { "Service" } else { "ConfigMap" };
            files.insert(
                format!("c/templates/f{i:03}.yaml"),
                format!("kind: {kind}\nmetadata:\n  name: n{i}\n{padding}---\nkind: Pod\n"),
            );
        }
        let sorted = sort_manifests(&files, INSTALL_ORDER).unwrap_or_default();
        let documents: Vec<(&String, &str)> = files
            .iter()
            .flat_map(|(p, c)| split_manifests(c).into_iter().map(move |d| (p, d)))
            .collect();
        assert!(documents.iter().map(|(_, d)| d.len()).sum::<usize>() > PARALLEL_THRESHOLD_BYTES);
        let sequential: Vec<_> = documents.iter().map(|(_, d)| parse_head(d)).collect();
        assert_eq!(parse_heads(&documents), sequential);
        let names: Vec<&str> = sorted.manifests.iter().map(|m| m.head.name()).collect();
        assert_eq!(names.len(), 300);
        assert_eq!(names[0], "n1");
        assert_eq!(names[1], "n2");

        files.insert("c/templates/f100.yaml".into(), "kind: [\n".into());
        files.insert("c/templates/f120.yaml".into(), "- list\n".into());
        let err = sort_manifests(&files, INSTALL_ORDER).map(|_| ());
        assert!(
            matches!(&err, Err(ManifestError::Parse { path, .. }) if path == "c/templates/f100.yaml"),
            "{err:?}"
        );
    }
}

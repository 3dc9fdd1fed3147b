//! Objects of a release manifest as data: decoding a manifest document into a JSON object the
//! API server accepts, the identity Helm compares objects by, and the metadata Helm adds.
//! Pure.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::chart::manifest::split_manifests;
use crate::codec::yaml;

use super::{
    ApplyError, MANAGED_BY_HELM, MANAGED_BY_LABEL, RELEASE_NAME_ANNOTATION,
    RELEASE_NAMESPACE_ANNOTATION, RESOURCE_POLICY_ANNOTATION, RESOURCE_POLICY_KEEP,
};

/// The identity of an object as Helm matches objects between two manifests (Go:
/// `ResourceList.Difference`/`isMatchingInfo`: group, kind, namespace and name; the version
/// does not count, so moving `autoscaling/v1` → `v2` is an update, not a delete and create).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// API group, `""` for the core group.
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ObjectKey {
    /// Helm's `resourceString`: `Kind "name" in namespace "ns"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} in namespace {:?}",
            self.kind, self.name, self.namespace
        )
    }
}

/// One decoded manifest document, before API discovery has told whether it is namespaced.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestObject {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` as written, `""` when absent.
    pub namespace: String,
    /// The whole object.
    pub object: Map<String, Value>,
}

impl ManifestObject {
    /// The API group of `apiVersion` (`""` for `v1`).
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    /// Whether `metadata.annotations["helm.sh/resource-policy"]` is `keep` (trimmed and
    /// lower-cased, as Helm's `filterManifestsToKeep`).
    pub fn has_keep_policy(&self) -> bool {
        has_keep_policy(&self.object)
    }
}

/// The group part of an `apiVersion` (`apps/v1` → `apps`, `v1` → `""`).
pub fn group_of(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group)
}

/// Whether an object's annotations carry `helm.sh/resource-policy: keep` (Helm: trimmed,
/// lower-cased value).
pub fn has_keep_policy(object: &Map<String, Value>) -> bool {
    annotations(object)
        .and_then(|a| a.get(RESOURCE_POLICY_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(RESOURCE_POLICY_KEEP))
}

fn annotations(object: &Map<String, Value>) -> Option<&Map<String, Value>> {
    object
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
}

/// Decodes every document of a manifest (`---`-separated, as Helm stores `Release.Manifest`)
/// into objects, skipping empty and comment-only documents as Helm's builder does.
///
/// Numbers are written the way Go's `YAMLToJSON` writes them: integral values as integers.
///
/// # Errors
/// [`ApplyError::Decode`] for YAML that does not parse, a document that is not a mapping, or
/// one without `apiVersion`, `kind` or `metadata.name` (Helm: "unable to build kubernetes
/// objects").
pub fn decode_manifest(manifest: &str) -> Result<Vec<ManifestObject>, ApplyError> {
    let mut out = Vec::new();
    for document in split_manifests(manifest) {
        if let Some(object) = decode_document(document)? {
            out.push(object);
        }
    }
    Ok(out)
}

/// Decodes one document; `None` when it holds no object (empty or only comments).
///
/// # Errors
/// As [`decode_manifest`].
pub fn decode_document(document: &str) -> Result<Option<ManifestObject>, ApplyError> {
    let value = yaml::unmarshal_document(document).map_err(|e| ApplyError::Decode {
        message: e.to_string(),
    })?;
    let mut object = match value {
        Value::Null => return Ok(None),
        Value::Object(map) if map.is_empty() => return Ok(None),
        Value::Object(map) => map,
        _ => {
            return Err(ApplyError::Decode {
                message: "a manifest document is not a mapping".into(),
            });
        }
    };
    integralize(&mut object);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let api_version = text(object.get("apiVersion"));
    let kind = text(object.get("kind"));
    let metadata = object.get("metadata");
    let name = text(metadata.and_then(|m| m.get("name")));
    let namespace = text(metadata.and_then(|m| m.get("namespace")));
    if api_version.is_empty() || kind.is_empty() {
        return Err(ApplyError::Decode {
            message: format!("object {name:?} is missing apiVersion or kind"),
        });
    }
    if name.is_empty() {
        return Err(ApplyError::Decode {
            message: format!("{kind} object has no metadata.name"),
        });
    }
    Ok(Some(ManifestObject {
        api_version,
        kind,
        name,
        namespace,
        object,
    }))
}

/// Turns integral `f64`s (within ±2^53) into integers, as Go's JSON writes a `float64`
/// holding an integer, so that integer fields (`replicas`, ports) decode on the server.
fn integralize(map: &mut Map<String, Value>) {
    for value in map.values_mut() {
        integralize_value(value);
    }
}

fn integralize_value(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= 9_007_199_254_740_992.0
            {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "checked integral and in range"
                )]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integralize_value),
        Value::Object(map) => integralize(map),
        _ => {}
    }
}

/// Adds Helm's ownership metadata (Go: `setMetadataVisitor` with force): label
/// `app.kubernetes.io/managed-by: Helm`, annotations `meta.helm.sh/release-name` and
/// `meta.helm.sh/release-namespace`, overwriting what the chart set for those keys.
pub fn set_ownership(object: &mut Map<String, Value>, release_name: &str, release_namespace: &str) {
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(metadata) = metadata else {
        return;
    };
    let mut put = |field: &str, key: &str, value: &str| {
        let entry = metadata
            .entry(field)
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Value::Object(map) = entry {
            map.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    };
    put("labels", MANAGED_BY_LABEL, MANAGED_BY_HELM);
    put("annotations", RELEASE_NAME_ANNOTATION, release_name);
    put(
        "annotations",
        RELEASE_NAMESPACE_ANNOTATION,
        release_namespace,
    );
}

/// Sets `metadata.namespace`.
pub fn set_namespace(object: &mut Map<String, Value>, namespace: &str) {
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        if namespace.is_empty() {
            metadata.remove("namespace");
        } else {
            metadata.insert("namespace".into(), Value::String(namespace.to_owned()));
        }
    }
}

/// Helm's ownership check of an existing object (Go: `checkOwnership`): `Ok` when it carries
/// `app.kubernetes.io/managed-by: Helm` and the release's name and namespace annotations;
/// otherwise Helm's message, e.g. `invalid ownership metadata; label validation error:
/// missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation
/// error: key "meta.helm.sh/release-name" must equal "a": current value is "b"`.
///
/// # Errors
/// The message above.
pub fn check_ownership(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
    release_name: &str,
    release_namespace: &str,
) -> Result<(), String> {
    let mut errors = Vec::new();
    if let Err(e) = require_value(labels, MANAGED_BY_LABEL, MANAGED_BY_HELM) {
        errors.push(format!("label validation error: {e}"));
    }
    if let Err(e) = require_value(annotations, RELEASE_NAME_ANNOTATION, release_name) {
        errors.push(format!("annotation validation error: {e}"));
    }
    if let Err(e) = require_value(annotations, RELEASE_NAMESPACE_ANNOTATION, release_namespace) {
        errors.push(format!("annotation validation error: {e}"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("invalid ownership metadata; {}", errors.join("; ")))
    }
}

fn require_value(map: &BTreeMap<String, String>, key: &str, want: &str) -> Result<(), String> {
    match map.get(key) {
        None => Err(format!("missing key {key:?}: must be set to {want:?}")),
        Some(actual) if actual != want => Err(format!(
            "key {key:?} must equal {want:?}: current value is {actual:?}"
        )),
        Some(_) => Ok(()),
    }
}

/// The kinds a CustomResourceDefinition makes the API server serve, as
/// `(group, version, kind)`: `spec.group` and `spec.names.kind` with each version of
/// `spec.versions` whose `served` is true. Empty for anything that is not a CRD manifest.
pub fn crd_served_kinds(crd: &Map<String, Value>) -> Vec<(String, String, String)> {
    let spec = crd.get("spec");
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let (Some(group), Some(kind)) = (
        text(spec.and_then(|s| s.get("group"))),
        text(
            spec.and_then(|s| s.get("names"))
                .and_then(|n| n.get("kind")),
        ),
    ) else {
        return Vec::new();
    };
    spec.and_then(|s| s.get("versions"))
        .and_then(Value::as_array)
        .map(|versions| {
            versions
                .iter()
                .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| text(v.get("name")))
                .map(|version| (group.clone(), version, kind.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn crd_served_kinds_lists_served_versions_only() {
        let crd = decode_document(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n  - {name: v1, served: true, storage: true}\n  - {name: v1beta1, served: false, storage: false}\n  - {name: v2alpha1, served: true, storage: false}\n",
        )
        .expect("decode")
        .expect("object");
        assert_eq!(
            crd_served_kinds(&crd.object),
            vec![
                (
                    "example.com".to_owned(),
                    "v1".to_owned(),
                    "Widget".to_owned()
                ),
                (
                    "example.com".to_owned(),
                    "v2alpha1".to_owned(),
                    "Widget".to_owned()
                ),
            ]
        );
        let config_map = decode_document("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
            .expect("decode")
            .expect("object");
        assert!(crd_served_kinds(&config_map.object).is_empty());
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn ownership_messages_follow_helm() {
        let owned_labels = map(&[(MANAGED_BY_LABEL, "Helm")]);
        let owned = map(&[
            (RELEASE_NAME_ANNOTATION, "web"),
            (RELEASE_NAMESPACE_ANNOTATION, "apps"),
        ]);
        assert_eq!(
            check_ownership(&owned_labels, &owned, "web", "apps"),
            Ok(())
        );
        assert_eq!(
            check_ownership(&BTreeMap::new(), &BTreeMap::new(), "web", "apps"),
            Err(
                "invalid ownership metadata; label validation error: missing key \
                 \"app.kubernetes.io/managed-by\": must be set to \"Helm\"; annotation \
                 validation error: missing key \"meta.helm.sh/release-name\": must be set to \
                 \"web\"; annotation validation error: missing key \
                 \"meta.helm.sh/release-namespace\": must be set to \"apps\""
                    .into()
            )
        );
        assert_eq!(
            check_ownership(&owned_labels, &owned, "other", "apps"),
            Err(
                "invalid ownership metadata; annotation validation error: key \
                 \"meta.helm.sh/release-name\" must equal \"other\": current value is \"web\""
                    .into()
            )
        );
    }

    #[test]
    fn decodes_documents_with_integers_and_skips_empty_ones() {
        let manifest = "---\n# Source: c/templates/a.yaml\napiVersion: apps/v1\nkind: Deployment\n\
                        metadata:\n  name: a\nspec:\n  replicas: 2\n  ratio: 1.5\n---\n# only a comment\n";
        let objects = decode_manifest(manifest).expect("decodes");
        assert_eq!(objects.len(), 1);
        let spec = &objects[0].object["spec"];
        assert_eq!(
            serde_json::to_string(&spec["replicas"]).unwrap_or_default(),
            "2"
        );
        assert_eq!(spec["ratio"], Value::from(1.5));
        assert_eq!(objects[0].group(), "apps");
        assert!(decode_manifest("kind: X\nmetadata:\n  name: a\n").is_err());
    }

    #[test]
    fn ownership_metadata_and_keep_policy() {
        let mut object = decode_document(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    \
             helm.sh/resource-policy: \" Keep \"\n  labels:\n    app.kubernetes.io/managed-by: me\n",
        )
        .expect("decodes")
        .expect("an object");
        assert!(object.has_keep_policy());
        set_ownership(&mut object.object, "web", "apps");
        let meta = &object.object["metadata"];
        assert_eq!(meta["labels"][MANAGED_BY_LABEL], "Helm");
        assert_eq!(meta["annotations"][RELEASE_NAME_ANNOTATION], "web");
        assert_eq!(meta["annotations"][RELEASE_NAMESPACE_ANNOTATION], "apps");
        assert_eq!(meta["annotations"][RESOURCE_POLICY_ANNOTATION], " Keep ");
        assert_eq!(group_of("v1"), "");
    }
}

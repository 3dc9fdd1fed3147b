//! Drift of release objects, as data: how a live object differs from what a server-side apply
//! of the release manifest would make of it. Pure.
//!
//! The input on the "desired" side is the API server's answer to a dry-run server-side apply
//! (`dryRun=All`, Wheelhouse's field manager, conflicts forced) of the manifest object, so
//! defaulting, admission and the fields other managers own are already in it. What remains
//! to compare is what Flux's `fluxcd/pkg/ssa` compares (`hasDrifted`): labels, annotations
//! and everything outside `metadata` and `status`. The rest of `metadata` (managedFields,
//! resourceVersion, generation, uid, creationTimestamp, ...) always differs between a
//! dry-run and the live object and is ignored, as are annotations that controllers rewrite
//! on their own ([`IGNORED_ANNOTATIONS`]).

use std::fmt;

use serde_json::{Map, Value};

use super::object::ObjectKey;

/// Annotations left out of the comparison: written by controllers or clients, never by a
/// chart, so a dry-run and a read made a moment apart may disagree on them.
pub const IGNORED_ANNOTATIONS: &[&str] = &[
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// How one object of the release manifest has drifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftChange {
    /// The object no longer exists.
    Deleted,
    /// The object exists and these fields differ, as JSON Pointers (RFC 6901) into the object,
    /// e.g. `/spec/replicas`, `/metadata/labels/app.kubernetes.io~1version`; sorted.
    Modified(Vec<String>),
}

/// One drifted object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDrift {
    /// The object.
    pub key: ObjectKey,
    /// What changed.
    pub change: DriftChange,
}

/// At most this many field paths are named per object in [`ObjectDrift`]'s `Display`.
const PATHS_SHOWN: usize = 3;

impl fmt::Display for ObjectDrift {
    /// `Kind/namespace/name deleted` or `Kind/namespace/name modified (/a, /b, +2 more)`
    /// (`Kind/name` for cluster-scoped objects), as Flux names objects in its drift Events.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.key.kind)?;
        if !self.key.namespace.is_empty() {
            write!(f, "{}/", self.key.namespace)?;
        }
        write!(f, "{}", self.key.name)?;
        match &self.change {
            DriftChange::Deleted => write!(f, " deleted"),
            DriftChange::Modified(paths) => {
                write!(f, " modified (")?;
                for (i, path) in paths.iter().take(PATHS_SHOWN).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{path}")?;
                }
                if paths.len() > PATHS_SHOWN {
                    write!(f, ", +{} more", paths.len() - PATHS_SHOWN)?;
                }
                write!(f, ")")
            }
        }
    }
}

/// The drift of `key` given the dry-run result `desired` and the `live` object (`None` when
/// it does not exist); `None` when it has not drifted.
pub fn object_drift(key: &ObjectKey, desired: &Value, live: Option<&Value>) -> Option<ObjectDrift> {
    let change = match live {
        None => DriftChange::Deleted,
        Some(live) => {
            let paths = changed_paths(desired, live);
            if paths.is_empty() {
                return None;
            }
            DriftChange::Modified(paths)
        }
    };
    Some(ObjectDrift {
        key: key.clone(),
        change,
    })
}

/// The fields in which `live` differs from `desired` (the dry-run result), as sorted JSON
/// Pointers: `metadata.labels`, `metadata.annotations` (less [`IGNORED_ANNOTATIONS`]) and
/// every top-level field but `apiVersion`, `kind`, `metadata` and `status`.
///
/// Maps are compared key by key (a key holding `null` counts as absent); lists of the same
/// length element by element; a list whose length changed is reported as one path.
pub fn changed_paths(desired: &Value, live: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    let empty = Map::new();
    let desired_map = desired.as_object().unwrap_or(&empty);
    let live_map = live.as_object().unwrap_or(&empty);
    for field in ["labels", "annotations"] {
        let pick = |object: &Map<String, Value>| -> Value {
            let mut map = object
                .get("metadata")
                .and_then(|m| m.get(field))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if field == "annotations" {
                map.retain(|k, _| !IGNORED_ANNOTATIONS.contains(&k.as_str()));
            }
            Value::Object(map)
        };
        diff_values(
            &format!("/metadata/{field}"),
            &pick(desired_map),
            &pick(live_map),
            &mut paths,
        );
    }
    let outside = |object: &Map<String, Value>| -> Map<String, Value> {
        object
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    diff_values(
        "",
        &Value::Object(outside(desired_map)),
        &Value::Object(outside(live_map)),
        &mut paths,
    );
    paths.sort();
    paths
}

fn diff_values(path: &str, desired: &Value, live: &Value, out: &mut Vec<String>) {
    match (desired, live) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let null = Value::Null;
                let left = a.get(key).unwrap_or(&null);
                let right = b.get(key).unwrap_or(&null);
                diff_values(&format!("{path}/{}", escape(key)), left, right, out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (left, right)) in a.iter().zip(b).enumerate() {
                diff_values(&format!("{path}/{i}"), left, right, out);
            }
        }
        (a, b) if a == b => {}
        _ => out.push(if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        }),
    }
}

/// RFC 6901 reference token escaping: `~` → `~0`, `/` → `~1`.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "tests fail loudly on malformed fixtures"
)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment as the API server returns it after podinfo's chart was applied by
    /// Wheelhouse and the Deployment controller has run: managed fields of two managers,
    /// controller-written annotation, defaulted fields, status.
    fn live_deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "podinfo",
                "namespace": "apps",
                "uid": "0b3c5f8e-6a43-4a59-9a5e-2f0d6a1b7c11",
                "resourceVersion": "48213",
                "generation": 1,
                "creationTimestamp": "2026-11-21T06:01:12Z",
                "labels": {
                    "app.kubernetes.io/managed-by": "Helm",
                    "app.kubernetes.io/name": "podinfo",
                    "app.kubernetes.io/version": "6.14.1",
                    "helm.sh/chart": "podinfo-6.14.1"
                },
                "annotations": {
                    "deployment.kubernetes.io/revision": "1",
                    "meta.helm.sh/release-name": "podinfo",
                    "meta.helm.sh/release-namespace": "apps"
                },
                "managedFields": [
                    {"manager": "wheelhouse", "operation": "Apply", "apiVersion": "apps/v1",
                     "time": "2026-11-21T06:01:12Z", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                    {"manager": "kube-controller-manager", "operation": "Update",
                     "apiVersion": "apps/v1", "time": "2026-11-21T06:01:14Z",
                     "fieldsType": "FieldsV1", "subresource": "status",
                     "fieldsV1": {"f:status": {}}}
                ]
            },
            "spec": {
                "replicas": 1,
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "podinfo"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {
                    "metadata": {
                        "creationTimestamp": null,
                        "labels": {"app.kubernetes.io/name": "podinfo"},
                        "annotations": {"prometheus.io/port": "9898", "prometheus.io/scrape": "true"}
                    },
                    "spec": {
                        "containers": [{
                            "name": "podinfod",
                            "image": "ghcr.io/stefanprodan/podinfo:6.14.1",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["./podinfo", "--port=9898", "--level=info"],
                            "ports": [
                                {"name": "http", "containerPort": 9898, "protocol": "TCP"},
                                {"name": "http-metrics", "containerPort": 9797, "protocol": "TCP"},
                                {"name": "grpc", "containerPort": 9999, "protocol": "TCP"}
                            ],
                            "resources": {"requests": {"cpu": "1m", "memory": "16Mi"}},
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File"
                        }],
                        "restartPolicy": "Always",
                        "terminationGracePeriodSeconds": 30,
                        "dnsPolicy": "ClusterFirst",
                        "schedulerName": "default-scheduler",
                        "securityContext": {}
                    }
                }
            },
            "status": {
                "observedGeneration": 1,
                "replicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 1,
                "conditions": [{"type": "Available", "status": "True"}]
            }
        })
    }

    fn set(value: &mut Value, pointer: &str, to: Value) {
        *value
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer}")) = to;
    }

    fn key(kind: &str, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: String::new(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    #[test]
    fn metadata_the_server_rewrites_and_status_are_not_drift() {
        let live = live_deployment();
        // A dry-run of an unchanged manifest: the server answers with fresh managed-field
        // times, and a newer status and revision annotation written meanwhile.
        let mut dry_run = live.clone();
        set(
            &mut dry_run,
            "/metadata/managedFields/0/time",
            json!("2026-11-21T06:11:12Z"),
        );
        set(&mut dry_run, "/metadata/resourceVersion", json!("48990"));
        set(&mut dry_run, "/metadata/generation", json!(2));
        set(
            &mut dry_run,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
            json!("2"),
        );
        set(&mut dry_run, "/status/readyReplicas", json!(0));
        assert_eq!(changed_paths(&dry_run, &live), Vec::<String>::new());
        assert_eq!(
            object_drift(&key("Deployment", "apps", "podinfo"), &dry_run, Some(&live)),
            None
        );
    }

    #[test]
    fn scaled_by_hand() {
        let mut live = live_deployment();
        set(&mut live, "/spec/replicas", json!(3));
        let dry_run = live_deployment();
        assert_eq!(changed_paths(&dry_run, &live), vec!["/spec/replicas"]);
    }

    #[test]
    fn container_fields_are_named_by_index() {
        let mut live = live_deployment();
        set(
            &mut live,
            "/spec/template/spec/containers/0/image",
            json!("ghcr.io/stefanprodan/podinfo:6.0.0"),
        );
        set(
            &mut live,
            "/spec/template/spec/containers/0/ports/1/containerPort",
            json!(9000),
        );
        assert_eq!(
            changed_paths(&live_deployment(), &live),
            vec![
                "/spec/template/spec/containers/0/image",
                "/spec/template/spec/containers/0/ports/1/containerPort",
            ]
        );
    }

    #[test]
    fn a_list_of_another_length_is_one_path() {
        let mut live = live_deployment();
        live.pointer_mut("/spec/template/spec/containers/0/ports")
            .and_then(Value::as_array_mut)
            .expect("ports")
            .pop();
        assert_eq!(
            changed_paths(&live_deployment(), &live),
            vec!["/spec/template/spec/containers/0/ports"]
        );
    }

    #[test]
    fn labels_and_annotations_count_with_escaped_keys() {
        let mut live = live_deployment();
        live.pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
            .expect("labels")
            .remove("app.kubernetes.io/version");
        set(
            &mut live,
            "/metadata/annotations/meta.helm.sh~1release-name",
            json!("other"),
        );
        assert_eq!(
            changed_paths(&live_deployment(), &live),
            vec![
                "/metadata/annotations/meta.helm.sh~1release-name",
                "/metadata/labels/app.kubernetes.io~1version",
            ]
        );
    }

    #[test]
    fn null_and_absent_are_the_same_and_new_fields_are_drift() {
        let live = live_deployment();
        let mut dry_run = live.clone();
        dry_run
            .pointer_mut("/spec/template/metadata")
            .and_then(Value::as_object_mut)
            .expect("template metadata")
            .remove("creationTimestamp");
        assert_eq!(changed_paths(&dry_run, &live), Vec::<String>::new());
        // The manifest sets a field the live object lost (removed by someone else's apply).
        dry_run
            .pointer_mut("/spec")
            .and_then(Value::as_object_mut)
            .expect("spec")
            .insert("minReadySeconds".into(), json!(5));
        assert_eq!(
            changed_paths(&dry_run, &live),
            vec!["/spec/minReadySeconds"]
        );
    }

    #[test]
    fn top_level_fields_other_than_spec_count() {
        let desired = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "apps"},
            "data": {"a~b/c": "1", "mode": "x"}
        });
        let live = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "apps", "resourceVersion": "9"},
            "data": {"a~b/c": "2", "mode": "x"}
        });
        assert_eq!(changed_paths(&desired, &live), vec!["/data/a~0b~1c"]);
    }

    #[test]
    fn display_names_objects_and_caps_paths() {
        let deleted = ObjectDrift {
            key: key("Service", "apps", "podinfo"),
            change: DriftChange::Deleted,
        };
        assert_eq!(deleted.to_string(), "Service/apps/podinfo deleted");
        let modified = ObjectDrift {
            key: key("ClusterRole", "", "reader"),
            change: DriftChange::Modified(
                ["/a", "/b", "/c", "/d", "/e"].map(String::from).to_vec(),
            ),
        };
        assert_eq!(
            modified.to_string(),
            "ClusterRole/reader modified (/a, /b, /c, +2 more)"
        );
        assert_eq!(
            object_drift(&key("Service", "apps", "podinfo"), &json!({}), None),
            Some(deleted)
        );
    }
}

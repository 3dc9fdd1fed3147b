//! Readiness of an object by the kstatus rules (sigs.k8s.io/cli-utils `pkg/kstatus/status`,
//! which Helm 4's status watcher uses), and Helm's hook completion rules (Helm:
//! `pkg/kube/statuswait.go` `WatchUntilReady` with its custom Job and Pod readers). Pure: takes
//! the object as JSON as the API server returned it.

use serde_json::Value;

/// The computed status of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Reconciled and ready (kstatus `Current`).
    Current,
    /// Still progressing (kstatus `InProgress`).
    InProgress,
    /// Will not become ready without a change (kstatus `Failed`).
    Failed,
    /// Absent (kstatus `NotFound`).
    NotFound,
}

impl Status {
    /// kstatus's wording of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Current => "Current",
            Status::InProgress => "InProgress",
            Status::Failed => "Failed",
            Status::NotFound => "NotFound",
        }
    }
}

/// A status with its human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The status.
    pub status: Status,
    /// Why, e.g. `Available: 0/1`.
    pub message: String,
}

fn r(status: Status, message: impl Into<String>) -> Readiness {
    Readiness {
        status,
        message: message.into(),
    }
}

fn int(v: &Value, path: &[&str]) -> Option<i64> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_i64()
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

/// The condition `kind` of `status.conditions`: (status, reason, message).
fn condition<'a>(v: &'a Value, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    v.get("status")?
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        .map(|c| {
            let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
            (field("status"), field("reason"), field("message"))
        })
}

/// kstatus's `Compute`: the status of `object` (its `kind` decides the rules).
///
/// Rules: an object whose `status.observedGeneration` is behind `metadata.generation` is in
/// progress; `Reconciling=True` is in progress and `Stalled=True` failed for every kind; then
/// Deployment (Available, all replicas updated and available, `ProgressDeadlineExceeded`
/// failed), StatefulSet (ready, current and updated replicas, revisions equal), DaemonSet
/// (scheduled, updated, available, ready), ReplicaSet (ready and available replicas), Job
/// (Complete current, Failed failed), Pod (Ready or Succeeded current, Failed failed),
/// PersistentVolumeClaim (Bound), CustomResourceDefinition (Established; NamesAccepted=False
/// failed), Service (LoadBalancer with an ingress), PodDisruptionBudget (current healthy ≥
/// desired); everything else is current.
pub fn compute(object: &Value) -> Readiness {
    if let (Some(generation), Some(observed)) = (
        int(object, &["metadata", "generation"]),
        int(object, &["status", "observedGeneration"]),
    ) && observed < generation
    {
        return r(
            Status::InProgress,
            format!(
                "{kind} generation is {generation}, but latest observed generation is {observed}",
                kind = kind(object)
            ),
        );
    }
    if let Some(("True", reason, message)) = condition(object, "Stalled") {
        return r(Status::Failed, format!("{reason}: {message}"));
    }
    if let Some(("True", reason, message)) = condition(object, "Reconciling") {
        return r(Status::InProgress, format!("{reason}: {message}"));
    }
    match kind(object) {
        "Deployment" => deployment(object),
        "StatefulSet" => stateful_set(object),
        "DaemonSet" => daemon_set(object),
        "ReplicaSet" => replica_set(object),
        "Job" => job(object),
        "Pod" => pod(object),
        "PersistentVolumeClaim" => match text(object, &["status", "phase"]) {
            Some("Bound") => r(Status::Current, "PVC is Bound"),
            phase => r(
                Status::InProgress,
                format!("PVC is not Bound. phase: {}", phase.unwrap_or_default()),
            ),
        },
        "CustomResourceDefinition" => crd(object),
        "Service" => service(object),
        "PodDisruptionBudget" => {
            let healthy = int(object, &["status", "currentHealthy"]).unwrap_or(0);
            let desired = int(object, &["status", "desiredHealthy"]).unwrap_or(0);
            if healthy >= desired {
                r(
                    Status::Current,
                    format!("Budget is met: {healthy}/{desired}"),
                )
            } else {
                r(
                    Status::InProgress,
                    format!("Budget not met: {healthy}/{desired}"),
                )
            }
        }
        _ => r(Status::Current, "Resource is current"),
    }
}

/// Helm's hook rule (`WatchUntilReady`): Jobs must complete (a failed Job fails), Pods must
/// succeed (a failed Pod fails), every other kind is ready as soon as it exists.
pub fn compute_hook(object: &Value) -> Readiness {
    match kind(object) {
        "Job" => job(object),
        "Pod" => match text(object, &["status", "phase"]) {
            Some("Succeeded") => r(Status::Current, "Pod has completed successfully"),
            Some("Failed") => r(Status::Failed, pod_failure(object)),
            phase => r(
                Status::InProgress,
                format!("Pod phase is {}", phase.unwrap_or("Pending")),
            ),
        },
        _ => r(Status::Current, "Resource is current"),
    }
}

fn kind(object: &Value) -> &str {
    text(object, &["kind"]).unwrap_or_default()
}

fn deployment(o: &Value) -> Readiness {
    if let Some((_, "ProgressDeadlineExceeded", message)) = condition(o, "Progressing") {
        return r(
            Status::Failed,
            format!("Progress deadline exceeded: {message}"),
        );
    }
    let want = int(o, &["spec", "replicas"]).unwrap_or(1);
    let replicas = int(o, &["status", "replicas"]).unwrap_or(0);
    let updated = int(o, &["status", "updatedReplicas"]).unwrap_or(0);
    let available = int(o, &["status", "availableReplicas"]).unwrap_or(0);
    let ready = int(o, &["status", "readyReplicas"]).unwrap_or(0);
    if updated < want {
        return r(Status::InProgress, format!("Updated: {updated}/{want}"));
    }
    if replicas > updated {
        return r(
            Status::InProgress,
            format!("Pending termination: {}", replicas - updated),
        );
    }
    if available < want {
        return r(Status::InProgress, format!("Available: {available}/{want}"));
    }
    if ready < want {
        return r(Status::InProgress, format!("Ready: {ready}/{want}"));
    }
    match condition(o, "Available") {
        Some(("True", _, _)) | None if want == 0 => {
            r(Status::Current, "Deployment is available. Replicas: 0")
        }
        Some(("True", _, _)) => r(
            Status::Current,
            format!("Deployment is available. Replicas: {replicas}"),
        ),
        _ => r(Status::InProgress, "Deployment not Available"),
    }
}

fn stateful_set(o: &Value) -> Readiness {
    let want = int(o, &["spec", "replicas"]).unwrap_or(1);
    let ready = int(o, &["status", "readyReplicas"]).unwrap_or(0);
    let current = int(o, &["status", "currentReplicas"]).unwrap_or(0);
    let updated = int(o, &["status", "updatedReplicas"]).unwrap_or(0);
    if text(o, &["spec", "updateStrategy", "type"]) == Some("OnDelete") {
        return if ready >= want {
            r(
                Status::Current,
                format!("StatefulSet is ready. Replicas: {ready}"),
            )
        } else {
            r(Status::InProgress, format!("Ready: {ready}/{want}"))
        };
    }
    let partition = int(o, &["spec", "updateStrategy", "rollingUpdate", "partition"]).unwrap_or(0);
    if ready < want {
        return r(Status::InProgress, format!("Ready: {ready}/{want}"));
    }
    if partition > 0 {
        let expected = want - partition;
        return if updated >= expected {
            r(
                Status::Current,
                format!("Partitioned roll out complete. updated: {updated}"),
            )
        } else {
            r(
                Status::InProgress,
                format!("Partitioned roll out in progress: {updated}/{expected}"),
            )
        };
    }
    if current < want && updated < want {
        return r(Status::InProgress, format!("current: {current}/{want}"));
    }
    if text(o, &["status", "currentRevision"]) != text(o, &["status", "updateRevision"]) {
        return r(
            Status::InProgress,
            "Waiting for updated revision to match current",
        );
    }
    r(
        Status::Current,
        format!("All replicas scheduled as expected. Replicas: {ready}"),
    )
}

fn daemon_set(o: &Value) -> Readiness {
    let desired = int(o, &["status", "desiredNumberScheduled"]);
    let Some(desired) = desired else {
        return r(Status::InProgress, "Missing .status.desiredNumberScheduled");
    };
    for (field, label) in [
        ("currentNumberScheduled", "Current"),
        ("updatedNumberScheduled", "Updated"),
        ("numberAvailable", "Available"),
        ("numberReady", "Ready"),
    ] {
        let have = int(o, &["status", field]).unwrap_or(0);
        if have < desired {
            return r(Status::InProgress, format!("{label}: {have}/{desired}"));
        }
    }
    r(
        Status::Current,
        format!("All replicas scheduled as expected. Replicas: {desired}"),
    )
}

fn replica_set(o: &Value) -> Readiness {
    let want = int(o, &["spec", "replicas"]).unwrap_or(1);
    for (field, label) in [
        ("readyReplicas", "Ready"),
        ("availableReplicas", "Available"),
    ] {
        let have = int(o, &["status", field]).unwrap_or(0);
        if have < want {
            return r(Status::InProgress, format!("{label}: {have}/{want}"));
        }
    }
    r(
        Status::Current,
        format!("ReplicaSet is available. Replicas: {want}"),
    )
}

fn job(o: &Value) -> Readiness {
    if let Some(("True", reason, message)) = condition(o, "Failed") {
        return r(Status::Failed, format!("Job failed: {reason}: {message}"));
    }
    if let Some(("True", _, _)) = condition(o, "Complete") {
        return r(Status::Current, "Job Completed");
    }
    let active = int(o, &["status", "active"]).unwrap_or(0);
    let succeeded = int(o, &["status", "succeeded"]).unwrap_or(0);
    let failed = int(o, &["status", "failed"]).unwrap_or(0);
    r(
        Status::InProgress,
        format!("Job in progress. active: {active}, succeeded: {succeeded}, failed: {failed}"),
    )
}

fn pod(o: &Value) -> Readiness {
    match text(o, &["status", "phase"]) {
        Some("Succeeded") => return r(Status::Current, "Pod has completed successfully"),
        Some("Failed") => return r(Status::Failed, pod_failure(o)),
        _ => {}
    }
    match condition(o, "Ready") {
        Some(("True", _, _)) => r(Status::Current, "Pod is Ready"),
        _ => r(
            Status::InProgress,
            format!(
                "Pod phase: {}",
                text(o, &["status", "phase"]).unwrap_or("Pending")
            ),
        ),
    }
}

fn pod_failure(o: &Value) -> String {
    let reason = text(o, &["status", "reason"]).unwrap_or_default();
    let message = text(o, &["status", "message"]).unwrap_or_default();
    let exit = o
        .get("status")
        .and_then(|s| s.get("containerStatuses"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let t = c.get("state")?.get("terminated")?;
            Some(format!(
                "container {} terminated: exit code {} ({})",
                c.get("name")?.as_str()?,
                t.get("exitCode")?.as_i64()?,
                t.get("reason").and_then(Value::as_str).unwrap_or("Error")
            ))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let parts: Vec<&str> = ["Pod phase is Failed", reason, message, &exit]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    parts.join(": ")
}

fn crd(o: &Value) -> Readiness {
    if let Some(("False", reason, message)) = condition(o, "NamesAccepted") {
        return r(
            Status::Failed,
            format!("CRD names not accepted: {reason}: {message}"),
        );
    }
    match condition(o, "Established") {
        Some(("True", _, _)) => r(Status::Current, "CRD is established"),
        _ => r(Status::InProgress, "CRD is not established"),
    }
}

fn service(o: &Value) -> Readiness {
    if text(o, &["spec", "type"]) == Some("LoadBalancer") {
        let ingress = o
            .get("status")
            .and_then(|s| s.get("loadBalancer"))
            .and_then(|l| l.get("ingress"))
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !ingress {
            return r(Status::InProgress, "Pending external IP");
        }
    }
    r(Status::Current, "Service is ready")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_rules() {
        let mut d = json!({"kind": "Deployment", "metadata": {"generation": 2},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                       "availableReplicas": 2, "readyReplicas": 2,
                       "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            compute(&d).status,
            Status::InProgress,
            "old generation observed"
        );
        d["status"]["observedGeneration"] = json!(2);
        assert_eq!(compute(&d).status, Status::Current);
        d["status"]["availableReplicas"] = json!(1);
        assert_eq!(compute(&d), r(Status::InProgress, "Available: 1/2"));
        d["status"]["replicas"] = json!(3);
        assert_eq!(compute(&d).message, "Pending termination: 1");
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "too slow"}]);
        assert_eq!(compute(&d).status, Status::Failed);
    }

    #[test]
    fn jobs_pods_and_others() {
        let complete = json!({"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        let failed = json!({"kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        let running = json!({"kind": "Job", "status": {"active": 1}});
        assert_eq!(compute_hook(&complete).status, Status::Current);
        assert_eq!(
            compute_hook(&failed).message,
            "Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
        );
        assert_eq!(compute_hook(&running).status, Status::InProgress);
        let ready_pod = json!({"kind": "Pod", "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(compute(&ready_pod).status, Status::Current);
        assert_eq!(
            compute_hook(&ready_pod).status,
            Status::InProgress,
            "a hook Pod must finish"
        );
        let cm = json!({"kind": "ConfigMap"});
        assert_eq!(compute(&cm).status, Status::Current);
        assert_eq!(compute_hook(&cm).status, Status::Current);
        let pvc = json!({"kind": "PersistentVolumeClaim", "status": {"phase": "Pending"}});
        assert_eq!(compute(&pvc).status, Status::InProgress);
        let crd = json!({"kind": "CustomResourceDefinition", "status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert_eq!(compute(&crd).status, Status::Current);
        let lb = json!({"kind": "Service", "spec": {"type": "LoadBalancer"}});
        assert_eq!(compute(&lb).status, Status::InProgress);
        let stalled = json!({"kind": "Widget", "status": {"conditions": [{"type": "Stalled", "status": "True", "reason": "R", "message": "m"}]}});
        assert_eq!(compute(&stalled).status, Status::Failed);
    }

    #[test]
    fn statefulset_and_daemonset() {
        let sts = json!({"kind": "StatefulSet", "spec": {"replicas": 1},
            "status": {"readyReplicas": 1, "currentReplicas": 1, "updatedReplicas": 1,
                       "currentRevision": "a", "updateRevision": "b"}});
        assert_eq!(compute(&sts).status, Status::InProgress);
        let ds = json!({"kind": "DaemonSet", "status": {"desiredNumberScheduled": 1,
            "currentNumberScheduled": 1, "updatedNumberScheduled": 1, "numberAvailable": 0, "numberReady": 1}});
        assert_eq!(compute(&ds), r(Status::InProgress, "Available: 0/1"));
    }
}

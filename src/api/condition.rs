//! Status conditions: the condition types and reasons Wheelhouse reports, and
//! [`set_condition`], which keeps `lastTransitionTime` stable as kstatus and
//! `kubectl wait --for=condition=...` expect.
//!
//! Types and reasons follow Flux's `fluxcd/pkg/apis/meta` and helm-controller's
//! `api/v2/condition_types.go` where the meaning is the same, so dashboards and health checks
//! written for Flux read ours. Conditions are `metav1.Condition`
//! (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The object is in the state its spec asks for (summary condition; set last).
pub const READY: &str = "Ready";
/// Work is under way towards the desired state.
pub const RECONCILING: &str = "Reconciling";
/// Progress is impossible until the spec changes (an invalid spec, retries exhausted).
pub const STALLED: &str = "Stalled";
/// The last release action (install, upgrade) succeeded.
pub const RELEASED: &str = "Released";
/// The chart's test hooks passed.
pub const TEST_SUCCESS: &str = "TestSuccess";
/// A failed release was remediated (rolled back or uninstalled).
pub const REMEDIATED: &str = "Remediated";
/// Live objects differ from the release manifest.
pub const DRIFTED: &str = "Drifted";

/// `Drifted=True`: objects differ from the release manifest (mode `warn`, or a correction
/// that has not happened yet).
pub const DRIFT_DETECTED: &str = "DriftDetected";
/// `Drifted=False`: drifted objects were applied again from the manifest (mode `enabled`).
pub const DRIFT_CORRECTED: &str = "DriftCorrected";
/// `Drifted=False`: every object matches the release manifest.
pub const NO_DRIFT: &str = "NoDriftDetected";
/// `Drifted=Unknown`: the comparison itself failed (a read or dry-run was refused).
pub const DRIFT_DETECTION_FAILED: &str = "DriftDetectionFailed";
/// `Drifted=True`: re-applying the drifted objects failed.
pub const DRIFT_CORRECTION_FAILED: &str = "DriftCorrectionFailed";

/// `status` values of a condition.
pub const TRUE: &str = "True";
/// See [`TRUE`].
pub const FALSE: &str = "False";
/// See [`TRUE`].
pub const UNKNOWN: &str = "Unknown";

/// Longest message a condition carries, in bytes; longer messages are cut at a character
/// boundary and end with `...` (Events carry the same cut, see the controller).
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// A condition to record: type, status, reason (PascalCase) and a human message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate<'a> {
    /// Condition type, one of the constants above.
    pub type_: &'a str,
    /// [`TRUE`], [`FALSE`] or [`UNKNOWN`].
    pub status: &'a str,
    /// Machine-readable reason, PascalCase (e.g. `InstallSucceeded`).
    pub reason: &'a str,
    /// Message for people; cut to [`MAX_MESSAGE_BYTES`].
    pub message: &'a str,
}

/// Cuts `message` to at most [`MAX_MESSAGE_BYTES`] bytes at a character boundary.
pub fn truncate_message(message: &str) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message.to_owned();
    }
    let mut end = MAX_MESSAGE_BYTES - 3;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &message[..end])
}

/// A message naming drifted objects: `"{lead}: {first}; {second}; ..."`, as many objects as
/// fit in [`MAX_MESSAGE_BYTES`] whole, the rest counted (`"... and 12 more"`), so the message
/// is never cut inside an object's name.
pub fn drift_message(lead: &str, objects: &[String]) -> String {
    let mut message = format!("{lead}: ");
    for (i, object) in objects.iter().enumerate() {
        let rest = objects.len() - i;
        // Room for this object, its separator and a possible "; and N more" after it.
        let tail = format!("; and {rest} more");
        let separator = if i == 0 { "" } else { "; " };
        if message.len() + separator.len() + object.len() + tail.len() > MAX_MESSAGE_BYTES && i > 0
        {
            message.push_str(&format!("; and {rest} more"));
            return message;
        }
        message.push_str(separator);
        message.push_str(object);
    }
    truncate_message(&message)
}

/// Sets (adds or replaces) the condition `update.type_` in `conditions`.
///
/// `lastTransitionTime` becomes `now` only when the status changes (or the condition is new);
/// reason, message and `observedGeneration` (= `generation`) are always refreshed. Returns
/// whether anything changed, so callers can skip a status write.
/// Semantics of `meta.SetStatusCondition` (k8s.io/apimachinery/pkg/api/meta/conditions.go).
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    update: &ConditionUpdate<'_>,
    generation: Option<i64>,
    now: &Time,
) -> bool {
    let message = truncate_message(update.message);
    if let Some(existing) = conditions.iter_mut().find(|c| c.type_ == update.type_) {
        let mut changed = false;
        if existing.status != update.status {
            existing.status = update.status.to_owned();
            existing.last_transition_time = now.clone();
            changed = true;
        }
        if existing.reason != update.reason {
            existing.reason = update.reason.to_owned();
            changed = true;
        }
        if existing.message != message {
            existing.message = message;
            changed = true;
        }
        if existing.observed_generation != generation {
            existing.observed_generation = generation;
            changed = true;
        }
        return changed;
    }
    conditions.push(Condition {
        type_: update.type_.to_owned(),
        status: update.status.to_owned(),
        reason: update.reason.to_owned(),
        message,
        observed_generation: generation,
        last_transition_time: now.clone(),
    });
    true
}

/// Removes the condition `type_`; returns whether it was present.
pub fn remove_condition(conditions: &mut Vec<Condition>, type_: &str) -> bool {
    let before = conditions.len();
    conditions.retain(|c| c.type_ != type_);
    conditions.len() != before
}

/// The condition `type_`, if present.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether condition `type_` is present with status [`TRUE`].
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(|c| c.status == TRUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap_or_default())
    }

    fn ready<'a>(status: &'a str, reason: &'a str, message: &'a str) -> ConditionUpdate<'a> {
        ConditionUpdate {
            type_: READY,
            status,
            reason,
            message,
        }
    }

    #[test]
    fn transition_time_moves_only_when_status_changes() {
        let mut conditions = Vec::new();
        assert!(set_condition(
            &mut conditions,
            &ready(FALSE, "Progressing", "a"),
            Some(1),
            &at(10)
        ));
        assert_eq!(conditions[0].last_transition_time, at(10));
        // Same status, new reason and message: refreshed, time kept.
        assert!(set_condition(
            &mut conditions,
            &ready(FALSE, "InstallFailed", "b"),
            Some(2),
            &at(20)
        ));
        assert_eq!(conditions[0].last_transition_time, at(10));
        assert_eq!(conditions[0].reason, "InstallFailed");
        assert_eq!(conditions[0].observed_generation, Some(2));
        // Nothing new: no change reported, so no status write is needed.
        assert!(!set_condition(
            &mut conditions,
            &ready(FALSE, "InstallFailed", "b"),
            Some(2),
            &at(30)
        ));
        // Status flips: time moves.
        assert!(set_condition(
            &mut conditions,
            &ready(TRUE, "InstallSucceeded", "ok"),
            Some(2),
            &at(40)
        ));
        assert_eq!(conditions[0].last_transition_time, at(40));
        assert_eq!(conditions.len(), 1);
        assert!(is_true(&conditions, READY));
        assert!(remove_condition(&mut conditions, READY));
        assert!(!is_true(&conditions, READY));
    }

    #[test]
    fn drift_messages_name_whole_objects_then_count_the_rest() {
        let two = [
            "Deployment/apps/podinfo modified (/spec/replicas)".to_owned(),
            "Service/apps/podinfo deleted".to_owned(),
        ];
        assert_eq!(
            drift_message("2 objects drifted from release apps/podinfo.v1", &two),
            "2 objects drifted from release apps/podinfo.v1: Deployment/apps/podinfo \
             modified (/spec/replicas); Service/apps/podinfo deleted"
        );
        // 100 objects of 40 bytes each: whole names up to the limit, then a count.
        let many: Vec<String> = (0..100)
            .map(|i| format!("ConfigMap/apps/config-{i:04} deleted{}", " ".repeat(6)))
            .collect();
        assert!(many.iter().all(|o| o.len() == 40));
        let message = drift_message("100 objects drifted", &many);
        assert!(message.len() <= MAX_MESSAGE_BYTES, "{}", message.len());
        // "100 objects drifted: " is 21 bytes; each object after the first takes 42.
        // 21 + 40 + 42 * 22 = 985, and "; and 77 more" (13) still fits; a 24th would not.
        assert!(message.starts_with("100 objects drifted: ConfigMap/apps/config-0000 deleted"));
        assert!(
            message.ends_with("ConfigMap/apps/config-0022 deleted      ; and 77 more"),
            "{message}"
        );
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = truncate_message(&long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES);
        assert!(cut.ends_with("..."));
        assert_eq!(truncate_message("short"), "short");
    }
}

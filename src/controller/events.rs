//! Kubernetes Events for condition transitions: one Event per transition, reason = the
//! condition reason, note = the message (already cut to 1 KiB by `api::condition`).

use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

/// The `reportingController` of Wheelhouse's Events.
pub const REPORTING_CONTROLLER: &str = "wheelhouse";

/// Builds the Event reporter for this process (`instance` = pod name or host name).
pub fn reporter(instance: Option<String>) -> Reporter {
    Reporter {
        controller: REPORTING_CONTROLLER.to_owned(),
        instance,
    }
}

/// Publishes one Event about `object`. Failures are logged, never returned: an Event is
/// best-effort and must not fail a reconcile.
pub async fn publish<K>(
    recorder: &Recorder,
    object: &K,
    warning: bool,
    reason: &str,
    note: &str,
    action: &str,
) where
    K: Resource<DynamicType = ()>,
{
    let event = Event {
        type_: if warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.to_owned(),
        note: Some(crate::api::condition::truncate_message(note)),
        action: action.to_owned(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &object.object_ref(&())).await {
        tracing::warn!(
            error = &error as &dyn std::error::Error,
            reason,
            "could not publish Event"
        );
    }
}

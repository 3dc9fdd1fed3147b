//! Release actions, Helm 4.3.1's `pkg/action` for one release: [`install()`],
//! [`upgrade()`], [`rollback()`], [`uninstall()`], [`test()`] and [`unlock()`], plus Flux's
//! [`detect_drift()`] and [`correct_drift()`]. No controller logic:
//! the caller decides which action to run; each returns an [`Outcome`] (revision, status,
//! objects applied and pruned, hooks run, timings) or an [`ActionError`] whose
//! [`ActionError::reason`] names the failure for conditions, Events and metrics.
//!
//! Records are written to Helm's Secret storage ([`crate::release`]) with Helm's statuses and
//! descriptions, so `helm` and Wheelhouse can take turns on a release. Where Helm can leave a
//! revision `pending-*` after an error (a failed pre-rollback hook, an interrupted wait), these
//! actions record it `failed` instead; a revision left pending by a crash is recovered with
//! [`unlock()`] (or `UpgradeOptions::recover_pending`).
//!
//! One deliberate difference: an upgrade or rollback deletes the objects the new manifest no
//! longer has only after it has succeeded (wait and post hooks included), so a failed upgrade
//! never removes the previous revision's objects (Helm deletes them during the apply).

mod drift;
mod install;
mod other;
mod upgrade;

use std::time::Duration;

use kube::Client;
use serde_json::{Map, Value};

use crate::apply::{Applier, ApplyError, ObjectKey, SharedDiscovery};
use crate::chart::model::Chart;
use crate::chart::render::RenderError;
use crate::hooks::{HookError, HookRun};
use crate::release::model::ModelError;
use crate::release::secret::SecretError;
use crate::release::{ReleaseStatus, SecretStorage, StorageError};

pub use drift::{correct_drift, detect_drift};
pub use install::{InstallOptions, install};
pub use other::{TestOptions, UninstallOptions, UnlockOptions, test, uninstall, unlock};
pub use upgrade::{RollbackOptions, UpgradeOptions, rollback, upgrade};

/// Default bound of waits and hooks (Helm's `--timeout` default, 5 minutes).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Where actions act and record: the cluster (through an [`Applier`], whose client may
/// impersonate a service account) and the release storage namespace.
pub struct Releaser {
    /// The cluster side.
    pub applier: Applier,
    /// Helm's Secret storage.
    pub storage: SecretStorage,
}

impl Releaser {
    /// A releaser for `client`, storing records in `storage_namespace` (Helm stores them in
    /// the release namespace), keeping at most `max_history` revisions (0 = unlimited).
    pub fn new(client: Client, storage_namespace: &str, max_history: usize) -> Releaser {
        Releaser {
            storage: SecretStorage::new(client.clone(), storage_namespace)
                .with_max_history(max_history),
            applier: Applier::new(client),
        }
    }

    /// Uses `shared` API discovery (see [`SharedDiscovery`]) instead of running its own.
    pub fn with_shared_discovery(mut self, shared: SharedDiscovery) -> Releaser {
        self.applier = self.applier.with_shared_discovery(shared);
        self
    }
}

/// The chart to release and the user-supplied values (Helm's `config`: stored as given,
/// coalesced with the chart's values when rendering).
#[derive(Debug, Clone, Copy)]
pub struct ChartInput<'a> {
    /// The loaded chart.
    pub chart: &'a Chart,
    /// User values (`-f`, `--set`, HelmRelease `values`), not coalesced.
    pub values: &'a Map<String, Value>,
}

/// Which action produced an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// [`install()`].
    Install,
    /// [`upgrade()`].
    Upgrade,
    /// [`rollback()`].
    Rollback,
    /// [`uninstall()`].
    Uninstall,
    /// [`test()`].
    Test,
    /// [`unlock()`].
    Unlock,
    /// [`correct_drift()`].
    CorrectDrift,
}

impl ActionKind {
    /// Lower-case name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Install => "install",
            ActionKind::Upgrade => "upgrade",
            ActionKind::Rollback => "rollback",
            ActionKind::Uninstall => "uninstall",
            ActionKind::Test => "test",
            ActionKind::Unlock => "unlock",
            ActionKind::CorrectDrift => "correct-drift",
        }
    }
}

/// Wall-clock time spent in each step of an action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Rendering the chart (capabilities lookup included).
    pub render: Duration,
    /// Installing CRDs.
    pub crds: Duration,
    /// Running hooks (all events of the action).
    pub hooks: Duration,
    /// Applying objects (ownership checks included).
    pub apply: Duration,
    /// Waiting for readiness (or deletion).
    pub wait: Duration,
    /// Deleting objects (prune or uninstall).
    pub delete: Duration,
    /// The whole action.
    pub total: Duration,
}

/// What an action did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The action.
    pub action: ActionKind,
    /// Release name.
    pub release_name: String,
    /// Release namespace.
    pub namespace: String,
    /// The revision written or changed.
    pub revision: u32,
    /// Its status as recorded.
    pub status: ReleaseStatus,
    /// Its description as recorded.
    pub description: String,
    /// CRDs created or replaced.
    pub crds: Vec<ObjectKey>,
    /// Objects applied.
    pub applied: Vec<ObjectKey>,
    /// Objects deleted (upgrade/rollback prune, uninstall, cleanup on fail).
    pub deleted: Vec<ObjectKey>,
    /// Objects left in place by `helm.sh/resource-policy: keep` (or foreign ownership on
    /// uninstall).
    pub kept: Vec<ObjectKey>,
    /// Hooks run, in order.
    pub hooks: Vec<HookRun>,
    /// Time per step.
    pub timings: Timings,
}

impl Outcome {
    fn new(action: ActionKind, release_name: &str, namespace: &str, revision: u32) -> Outcome {
        Outcome {
            action,
            release_name: release_name.to_owned(),
            namespace: namespace.to_owned(),
            revision,
            status: ReleaseStatus::Unknown,
            description: String::new(),
            crds: Vec::new(),
            applied: Vec::new(),
            deleted: Vec::new(),
            kept: Vec::new(),
            hooks: Vec::new(),
            timings: Timings::default(),
        }
    }
}

/// Errors from actions.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Install: the name has revisions that are not uninstalled (Helm: "cannot reuse a name
    /// that is still in use").
    #[error("release name check failed: cannot reuse a name that is still in use")]
    NameInUse {
        /// Release name.
        name: String,
    },
    /// The release has no revisions (Helm: "has no deployed releases" / "release: not found").
    #[error("release {name:?} has no deployed releases")]
    NotFound {
        /// Release name.
        name: String,
    },
    /// The last revision is `pending-*` (Helm's `errPending`).
    #[error(
        "another operation (install/upgrade/rollback) is in progress: release {name:?} revision {revision} is {status}"
    )]
    Pending {
        /// Release name.
        name: String,
        /// The pending revision.
        revision: u32,
        /// Its status.
        status: ReleaseStatus,
    },
    /// Unlock: the last revision is not pending.
    #[error("release {name:?} revision {revision} is {status}, not pending: nothing to unlock")]
    NotLocked {
        /// Release name.
        name: String,
        /// The last revision.
        revision: u32,
        /// Its status.
        status: ReleaseStatus,
    },
    /// Rollback: the target revision does not exist (Helm: "release has no N version").
    #[error("release has no {revision} version")]
    NoSuchRevision {
        /// The revision asked for.
        revision: u32,
    },
    /// Uninstall with kept history of an already uninstalled release.
    #[error("the release named {name:?} is already deleted")]
    AlreadyDeleted {
        /// Release name.
        name: String,
    },
    /// Rendering failed.
    #[error("rendering the chart failed")]
    Render(#[from] RenderError),
    /// The chart could not be turned into a record.
    #[error("building the release record failed")]
    Record(#[from] ModelError),
    /// The record would not fit into a Secret (checked before anything is applied).
    #[error("the release record cannot be stored")]
    RecordTooLarge(#[source] SecretError),
    /// Reading or writing release storage failed.
    #[error("release storage failed")]
    Storage(#[from] StorageError),
    /// Building, applying, deleting or waiting failed before the pending record was written.
    #[error("unable to continue with {action}")]
    Apply {
        /// `install`, `upgrade`, `rollback`, `uninstall`, `drift detection` or `drift
        /// correction`.
        action: &'static str,
        /// Why.
        #[source]
        source: Box<ApplyError>,
    },
    /// A hook failed before the pending record was written (uninstall's pre-delete hooks).
    #[error("{action} hooks failed")]
    Hook {
        /// Which hooks (`pre-delete`).
        action: &'static str,
        /// Why.
        #[source]
        source: Box<HookError>,
    },
    /// The action failed after writing its revision, which is now recorded with
    /// `outcome.status` (normally `failed`) and `outcome.description`.
    #[error("{} of release {:?} failed; revision {} recorded as {}", .outcome.action.as_str(), .outcome.release_name, .outcome.revision, .outcome.status)]
    Failed {
        /// What had been done, as recorded.
        outcome: Box<Outcome>,
        /// Why it failed.
        #[source]
        source: Box<StepError>,
    },
}

/// The step of an action that failed after its revision was written.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Hooks of an event failed (Helm: `failed pre-install`, `pre-upgrade hooks failed`, ...).
    #[error("{event} hooks failed")]
    Hooks {
        /// The event.
        event: &'static str,
        /// Why.
        #[source]
        source: Box<HookError>,
    },
    /// Applying, pruning or waiting failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// Recording the final state failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ActionError {
    /// PascalCase reason for conditions, Events and metric labels (a fixed set).
    pub fn reason(&self) -> &'static str {
        match self {
            ActionError::NameInUse { .. } => "NameInUse",
            ActionError::NotFound { .. } => "ReleaseNotFound",
            ActionError::Pending { .. } => "ReleasePending",
            ActionError::NotLocked { .. } => "NotLocked",
            ActionError::NoSuchRevision { .. } => "RevisionNotFound",
            ActionError::AlreadyDeleted { .. } => "AlreadyUninstalled",
            ActionError::Render(_) => "RenderFailed",
            ActionError::Record(_) => "RecordFailed",
            ActionError::RecordTooLarge(_) => "RecordTooLarge",
            ActionError::Storage(_) => "StorageFailed",
            ActionError::Apply { source, .. } => match **source {
                ApplyError::Ownership { .. } => "OwnershipConflict",
                _ => "ApplyFailed",
            },
            ActionError::Hook { .. } => "HookFailed",
            ActionError::Failed { source, .. } => match **source {
                StepError::Hooks { .. } => "HookFailed",
                StepError::Apply(ApplyError::Timeout { .. }) => "WaitTimeout",
                StepError::Apply(_) => "ApplyFailed",
                StepError::Storage(_) => "StorageFailed",
            },
        }
    }
}

/// An error and its sources joined by `": "` (Helm's `%w` chains read the same way).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}

fn now() -> Option<crate::release::timestamp::Timestamp> {
    crate::release::timestamp::Timestamp::from_system_time(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons() {
        let outcome = Outcome::new(ActionKind::Upgrade, "web", "apps", 2);
        let err = ActionError::Failed {
            outcome: Box::new(Outcome {
                status: ReleaseStatus::Failed,
                ..outcome
            }),
            source: Box::new(StepError::Apply(ApplyError::Timeout {
                what: "readiness",
                timeout: Duration::from_secs(1),
                pending: vec!["resource Deployment/apps/web not ready".into()],
            })),
        };
        assert_eq!(err.reason(), "WaitTimeout");
        assert_eq!(
            error_chain(&err),
            "upgrade of release \"web\" failed; revision 2 recorded as failed: timed out after \
             1s waiting for readiness: resource Deployment/apps/web not ready"
        );
        let own = ActionError::Apply {
            action: "install",
            source: Box::new(ApplyError::Ownership {
                message: "x".into(),
            }),
        };
        assert_eq!(own.reason(), "OwnershipConflict");
    }
}

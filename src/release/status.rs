//! Release statuses and the status changes Helm's actions make, as data.
//!
//! The wire strings are those of Helm 4.3.1's `pkg/release/common/status.go`; the statuses and
//! descriptions each action writes are those of `pkg/action` (`install.go`, `upgrade.go`,
//! `rollback.go`, `uninstall.go`). Nothing here touches storage: the action code applies these
//! changes to a [`Release`](super::model::Release) and records it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Errors from reading a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// The text is none of Helm's nine status strings.
    #[error("unknown release status {0:?}")]
    Unknown(String),
}

/// The status of one release revision (Helm: `common.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ReleaseStatus {
    /// `unknown`: the state is uncertain; Helm's initial status before an install is recorded.
    #[default]
    Unknown,
    /// `deployed`: the revision's objects are in the cluster.
    Deployed,
    /// `uninstalled`: uninstalled with history kept.
    Uninstalled,
    /// `superseded`: a later revision replaced this one.
    Superseded,
    /// `failed`: the action that wrote this revision failed.
    Failed,
    /// `uninstalling`: an uninstall is under way.
    Uninstalling,
    /// `pending-install`: an install is under way.
    PendingInstall,
    /// `pending-upgrade`: an upgrade is under way.
    PendingUpgrade,
    /// `pending-rollback`: a rollback is under way.
    PendingRollback,
}

impl ReleaseStatus {
    /// Every status, in Helm's declaration order.
    pub const ALL: [ReleaseStatus; 9] = [
        ReleaseStatus::Unknown,
        ReleaseStatus::Deployed,
        ReleaseStatus::Uninstalled,
        ReleaseStatus::Superseded,
        ReleaseStatus::Failed,
        ReleaseStatus::Uninstalling,
        ReleaseStatus::PendingInstall,
        ReleaseStatus::PendingUpgrade,
        ReleaseStatus::PendingRollback,
    ];

    /// The wire string, as stored in the record and in the Secret's `status` label.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Unknown => "unknown",
            ReleaseStatus::Deployed => "deployed",
            ReleaseStatus::Uninstalled => "uninstalled",
            ReleaseStatus::Superseded => "superseded",
            ReleaseStatus::Failed => "failed",
            ReleaseStatus::Uninstalling => "uninstalling",
            ReleaseStatus::PendingInstall => "pending-install",
            ReleaseStatus::PendingUpgrade => "pending-upgrade",
            ReleaseStatus::PendingRollback => "pending-rollback",
        }
    }

    /// Whether an install, upgrade or rollback is under way (Helm: `Status.IsPending`). Helm's
    /// upgrade and rollback refuse to start while the last revision is pending, which is what
    /// makes concurrent operations fail ("another operation (install/upgrade/rollback) is in
    /// progress"). `uninstalling` is not pending in Helm's sense.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            ReleaseStatus::PendingInstall
                | ReleaseStatus::PendingUpgrade
                | ReleaseStatus::PendingRollback
        )
    }
}

impl fmt::Display for ReleaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReleaseStatus {
    type Err = StatusError;

    /// Parses one of the nine wire strings exactly (case-sensitive, as Helm compares them).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReleaseStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| StatusError::Unknown(s.to_owned()))
    }
}

impl Serialize for ReleaseStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReleaseStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A release action that changes statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseAction {
    /// `helm install`.
    Install,
    /// `helm upgrade`.
    Upgrade,
    /// `helm rollback`.
    Rollback,
    /// `helm uninstall`.
    Uninstall,
}

/// Which earlier revisions an action marks `superseded` once it has succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supersedes {
    /// The revision the action started from (upgrade: the last deployed revision, or the last
    /// revision when it is `failed`/`superseded` and none is deployed).
    StartingRevision,
    /// Every revision whose status is `deployed` (rollback: Helm issue #2941; uninstall with
    /// kept history: issue #12556).
    AllDeployed,
    /// The last revision unless it is `failed` (install reusing an uninstalled or failed name
    /// with `replace`; Helm marks it superseded before installing).
    LastUnlessFailed,
}

/// The statuses and descriptions one action writes (Helm 4.3.1 `pkg/action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Status of the new (or, for uninstall, the last) revision before the cluster is touched.
    pub pending: ReleaseStatus,
    /// Status once the action has succeeded, post hooks included.
    pub success: ReleaseStatus,
    /// Status when the action fails.
    pub failure: ReleaseStatus,
    /// Which earlier revisions become `superseded`, and when (see [`Supersedes`]).
    pub supersedes: Supersedes,
}

impl ReleaseAction {
    /// The status changes of this action.
    ///
    /// Uninstall: the last revision becomes `uninstalling`, then `uninstalled` when history is
    /// kept; without kept history every revision is deleted instead. Helm has no failure status
    /// for uninstall (the revision stays `uninstalling`).
    pub fn transition(self) -> Transition {
        match self {
            ReleaseAction::Install => Transition {
                pending: ReleaseStatus::PendingInstall,
                success: ReleaseStatus::Deployed,
                failure: ReleaseStatus::Failed,
                supersedes: Supersedes::LastUnlessFailed,
            },
            ReleaseAction::Upgrade => Transition {
                pending: ReleaseStatus::PendingUpgrade,
                success: ReleaseStatus::Deployed,
                failure: ReleaseStatus::Failed,
                supersedes: Supersedes::StartingRevision,
            },
            ReleaseAction::Rollback => Transition {
                pending: ReleaseStatus::PendingRollback,
                success: ReleaseStatus::Deployed,
                failure: ReleaseStatus::Failed,
                supersedes: Supersedes::AllDeployed,
            },
            ReleaseAction::Uninstall => Transition {
                pending: ReleaseStatus::Uninstalling,
                success: ReleaseStatus::Uninstalled,
                failure: ReleaseStatus::Uninstalling,
                supersedes: Supersedes::AllDeployed,
            },
        }
    }

    /// The description written with the pending status when the user gave none.
    /// `rollback_to` is the target revision (used by rollback only, whose description stays
    /// on success: "Rollback to N").
    pub fn pending_description(self, rollback_to: u32) -> String {
        match self {
            ReleaseAction::Install => "Initial install underway".to_owned(),
            ReleaseAction::Upgrade => "Preparing upgrade".to_owned(),
            ReleaseAction::Rollback => format!("Rollback to {rollback_to}"),
            ReleaseAction::Uninstall => "Deletion in progress (or silently failed)".to_owned(),
        }
    }

    /// The description written on success when the user gave none (rollback keeps its
    /// pending description).
    pub fn success_description(self, rollback_to: u32) -> String {
        match self {
            ReleaseAction::Install => "Install complete".to_owned(),
            ReleaseAction::Upgrade => "Upgrade complete".to_owned(),
            ReleaseAction::Rollback => format!("Rollback to {rollback_to}"),
            ReleaseAction::Uninstall => "Uninstallation complete".to_owned(),
        }
    }

    /// The description written with the failure status: `Release "<name>" failed: <error>`
    /// (install), `Upgrade "<name>" failed: <error>`, `Rollback "<name>" failed: <error>`.
    /// The name is quoted as Go's `%q` quotes a valid release name (plain double quotes).
    /// `None` for uninstall: Helm keeps the pending description when an uninstall fails.
    pub fn failure_description(self, release_name: &str, error: &str) -> Option<String> {
        let verb = match self {
            ReleaseAction::Install => "Release",
            ReleaseAction::Upgrade => "Upgrade",
            ReleaseAction::Rollback => "Rollback",
            ReleaseAction::Uninstall => return None,
        };
        Some(format!("{verb} \"{release_name}\" failed: {error}"))
    }
}

/// Helm's description for a revision replaced by a reinstall (`install --replace`).
pub const SUPERSEDED_BY_NEW_RELEASE: &str = "superseded by new release";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_round_trip() {
        let wire: Vec<&str> = ReleaseStatus::ALL.iter().map(|s| s.as_str()).collect();
        // The list of pkg/release/common/status.go, in its order.
        assert_eq!(
            wire,
            [
                "unknown",
                "deployed",
                "uninstalled",
                "superseded",
                "failed",
                "uninstalling",
                "pending-install",
                "pending-upgrade",
                "pending-rollback"
            ]
        );
        for status in ReleaseStatus::ALL {
            assert_eq!(status.as_str().parse::<ReleaseStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap_or_default();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert_eq!(
            "Deployed".parse::<ReleaseStatus>(),
            Err(StatusError::Unknown("Deployed".into()))
        );
    }

    #[test]
    fn only_install_upgrade_rollback_are_pending() {
        let pending: Vec<ReleaseStatus> = ReleaseStatus::ALL
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(
            pending,
            [
                ReleaseStatus::PendingInstall,
                ReleaseStatus::PendingUpgrade,
                ReleaseStatus::PendingRollback
            ]
        );
    }

    #[test]
    fn descriptions_follow_helm() {
        assert_eq!(
            ReleaseAction::Rollback.pending_description(3),
            "Rollback to 3"
        );
        assert_eq!(
            ReleaseAction::Upgrade.failure_description("web", "boom"),
            Some("Upgrade \"web\" failed: boom".to_owned())
        );
        assert_eq!(
            ReleaseAction::Uninstall.failure_description("web", "x"),
            None
        );
        assert_eq!(
            ReleaseAction::Install.transition().pending,
            ReleaseStatus::PendingInstall
        );
    }
}

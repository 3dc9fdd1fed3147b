//! Deciding the next release action: a pure function of what Helm's storage holds and what the
//! HelmRelease asks for.
//!
//! Follows the shape of Flux helm-controller's `DetermineReleaseState` and its action
//! selection (`internal/reconcile/atomic_release.go`): a release left `pending-*` by a crash is
//! unlocked first; a missing or uninstalled release is installed; a release whose chart,
//! values or stored record differ from what Wheelhouse last recorded is upgraded; a failed one
//! is remediated (rollback or uninstall) within the configured retries, then Stalled until the
//! spec changes; a deployed release in sync is tested when asked, corrected when drifted, and
//! otherwise left alone.

/// What Helm's storage says about the release's latest revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRelease {
    /// The latest revision number.
    pub revision: u32,
    /// Its status (Helm's wire string: `deployed`, `failed`, `pending-upgrade`, ...).
    pub status: String,
    /// Chart name of the latest revision.
    pub chart_name: String,
    /// Chart version of the latest revision.
    pub chart_version: String,
    /// `sha256:<hex>` of the latest revision's user values (config).
    pub config_digest: String,
    /// `sha256:<hex>` of the latest stored record (changes when anyone writes a revision).
    pub digest: String,
    /// Whether an earlier revision is `deployed` or `superseded` (a rollback target exists).
    pub has_rollback_target: bool,
    /// Whether the latest revision's Secret was last written by someone other than
    /// Wheelhouse (`helm upgrade`/`rollback` by hand, or a release Wheelhouse adopts).
    pub written_by_other: bool,
}

/// What the HelmRelease asks for, and what Wheelhouse remembers from earlier reconciles.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Desired {
    /// Chart name to release.
    pub chart_name: String,
    /// Resolved chart version.
    pub chart_version: String,
    /// `sha256:<hex>` of the composed user values.
    pub config_digest: String,
    /// Install failures so far for this desired state.
    pub install_failures: i64,
    /// Upgrade failures so far for this desired state.
    pub upgrade_failures: i64,
    /// `install.remediation.retries` (negative: unlimited).
    pub install_retries: i32,
    /// `upgrade.remediation.retries` (negative: unlimited).
    pub upgrade_retries: i32,
    /// Whether failed upgrades are remediated by uninstalling (else by rollback).
    pub remediate_by_uninstall: bool,
    /// `test.enable`.
    pub test_enabled: bool,
    /// Whether the latest revision's tests have run (a result is recorded for it).
    pub tested: bool,
    /// Whether drift was detected and `driftDetection.mode` is `enabled`.
    pub correct_drift: bool,
    /// The revision this process last installed or upgraded from exactly this desired state
    /// (chart and values), when it did. Such a revision is in sync even if its stored values
    /// read back with another digest: a value whose representation does not survive Helm's
    /// record (an integer stored as a float, say) must not upgrade again and again, each
    /// upgrade's own release Secret waking the next reconcile.
    pub released_as: Option<u32>,
}

/// The one next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextAction {
    /// No release (or only uninstalled history): install.
    Install,
    /// The latest revision is `pending-*` (an action was interrupted): mark it failed.
    Unlock,
    /// Chart, values or the stored record changed: upgrade.
    Upgrade(UpgradeReason),
    /// The failed latest revision is rolled back to the last good one.
    Rollback,
    /// The failed release is uninstalled (a fresh install follows).
    Uninstall,
    /// Run the test hooks of the latest revision.
    Test,
    /// Re-apply the manifest of the latest revision (drift correction, no new revision).
    CorrectDrift,
    /// Nothing will help until the spec changes (retries exhausted).
    Stalled(StallReason),
    /// In sync.
    None,
}

/// Why an upgrade is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradeReason {
    /// Another chart or chart version is wanted.
    ChartChanged,
    /// Other values are wanted.
    ValuesChanged,
    /// The stored record differs from what Wheelhouse recorded (changed outside Wheelhouse).
    ChangedOutside,
    /// The latest revision failed and is retried by upgrading (install remediation done, or
    /// no rollback target).
    RetryFailed,
}

/// Why progress is impossible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallReason {
    /// Install failed `retries + 1` times for this spec.
    InstallRetriesExhausted,
    /// Upgrade failed `retries + 1` times for this spec.
    UpgradeRetriesExhausted,
}

fn retries_left(failures: i64, retries: i32) -> bool {
    retries < 0 || failures <= i64::from(retries)
}

/// Names the next action for `stored` (the latest revision, `None` when storage has no
/// revision) and `desired`. Pure; table-tested below.
pub fn next_action(stored: Option<&StoredRelease>, desired: &Desired) -> NextAction {
    let Some(stored) = stored else {
        return if desired.install_failures > 0
            && !retries_left(desired.install_failures, desired.install_retries)
        {
            NextAction::Stalled(StallReason::InstallRetriesExhausted)
        } else {
            NextAction::Install
        };
    };
    match stored.status.as_str() {
        "pending-install" | "pending-upgrade" | "pending-rollback" | "uninstalling" => {
            NextAction::Unlock
        }
        "uninstalled" => {
            if desired.install_failures > 0
                && !retries_left(desired.install_failures, desired.install_retries)
            {
                NextAction::Stalled(StallReason::InstallRetriesExhausted)
            } else {
                NextAction::Install
            }
        }
        "failed" => {
            let chart_changed = stored.chart_name != desired.chart_name
                || stored.chart_version != desired.chart_version;
            if desired.install_failures == 0 && desired.upgrade_failures == 0 {
                // No failure of ours is counted for this desired state: the failed revision
                // came from an interrupted action (unlocked) or from someone else, or the spec
                // changed since. Upgrade onto it, as Helm allows.
                return NextAction::Upgrade(if chart_changed {
                    UpgradeReason::ChartChanged
                } else if stored.config_digest != desired.config_digest {
                    UpgradeReason::ValuesChanged
                } else {
                    UpgradeReason::RetryFailed
                });
            }
            if !stored.has_rollback_target {
                // The install itself failed: remediate by uninstalling, then reinstall.
                if retries_left(desired.install_failures, desired.install_retries)
                    && desired.install_failures > 0
                {
                    return NextAction::Uninstall;
                }
                if desired.install_failures > 0 {
                    return NextAction::Stalled(StallReason::InstallRetriesExhausted);
                }
            }
            // Out of retries: the last failure is still remediated when retries were
            // configured (Flux's `remediateLastFailure` default), then the release stalls.
            if desired.upgrade_failures > 0
                && !retries_left(desired.upgrade_failures, desired.upgrade_retries)
                && desired.upgrade_retries == 0
            {
                return NextAction::Stalled(StallReason::UpgradeRetriesExhausted);
            }
            if desired.remediate_by_uninstall {
                NextAction::Uninstall
            } else {
                NextAction::Rollback
            }
        }
        _ => {
            // deployed, superseded, unknown: compare with the desired state.
            let reason = if stored.chart_name != desired.chart_name
                || stored.chart_version != desired.chart_version
            {
                Some(UpgradeReason::ChartChanged)
            } else if stored.config_digest != desired.config_digest
                && desired.released_as != Some(stored.revision)
            {
                Some(UpgradeReason::ValuesChanged)
            } else {
                None
            };
            if let Some(reason) = reason {
                // After remediation (rolled back to the old state), retry within the budget.
                if desired.upgrade_failures > 0
                    && !retries_left(desired.upgrade_failures, desired.upgrade_retries)
                {
                    return NextAction::Stalled(StallReason::UpgradeRetriesExhausted);
                }
                return NextAction::Upgrade(reason);
            }
            if stored.written_by_other || stored.status != "deployed" {
                return NextAction::Upgrade(UpgradeReason::ChangedOutside);
            }
            if desired.test_enabled && !desired.tested {
                return NextAction::Test;
            }
            if desired.correct_drift {
                return NextAction::CorrectDrift;
            }
            NextAction::None
        }
    }
}

/// The message of a Stalled decision: which retries ran out after how many `failures`, what
/// to do, and `last_failure` (the error chain that used up the retries) when known, e.g.
/// `install retries exhausted (1 failures); change the spec to try again: last error: ...`.
pub fn stall_message(reason: StallReason, failures: i64, last_failure: Option<&str>) -> String {
    let action = match reason {
        StallReason::InstallRetriesExhausted => "install",
        StallReason::UpgradeRetriesExhausted => "upgrade",
    };
    let message =
        format!("{action} retries exhausted ({failures} failures); change the spec to try again");
    match last_failure {
        Some(error) => format!("{message}: last error: {error}"),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(status: &str) -> StoredRelease {
        StoredRelease {
            revision: 2,
            status: status.to_owned(),
            chart_name: "podinfo".to_owned(),
            chart_version: "6.0.0".to_owned(),
            config_digest: "sha256:values".to_owned(),
            digest: "sha256:record".to_owned(),
            has_rollback_target: true,
            written_by_other: false,
        }
    }

    fn desired() -> Desired {
        Desired {
            chart_name: "podinfo".to_owned(),
            chart_version: "6.0.0".to_owned(),
            config_digest: "sha256:values".to_owned(),
            ..Desired::default()
        }
    }

    /// The decision table: storage state × desired state → next action.
    #[test]
    fn decision_table() {
        use NextAction as A;
        let no_target = StoredRelease {
            has_rollback_target: false,
            ..stored("failed")
        };
        let cases: Vec<(&str, Option<StoredRelease>, Desired, NextAction)> = vec![
            ("absent", None, desired(), A::Install),
            (
                "absent after failed installs within retries",
                None,
                Desired {
                    install_failures: 1,
                    install_retries: 2,
                    ..desired()
                },
                A::Install,
            ),
            (
                "absent, install retries exhausted",
                None,
                Desired {
                    install_failures: 1,
                    install_retries: 0,
                    ..desired()
                },
                A::Stalled(StallReason::InstallRetriesExhausted),
            ),
            (
                "uninstalled history",
                Some(stored("uninstalled")),
                desired(),
                A::Install,
            ),
            (
                "pending-install (crash)",
                Some(stored("pending-install")),
                desired(),
                A::Unlock,
            ),
            (
                "pending-upgrade (crash)",
                Some(stored("pending-upgrade")),
                desired(),
                A::Unlock,
            ),
            (
                "pending-rollback (crash)",
                Some(stored("pending-rollback")),
                desired(),
                A::Unlock,
            ),
            (
                "uninstalling (crash)",
                Some(stored("uninstalling")),
                desired(),
                A::Unlock,
            ),
            ("in sync", Some(stored("deployed")), desired(), A::None),
            (
                "chart version changed",
                Some(stored("deployed")),
                Desired {
                    chart_version: "6.1.0".to_owned(),
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ChartChanged),
            ),
            (
                "values changed",
                Some(stored("deployed")),
                Desired {
                    config_digest: "sha256:other".to_owned(),
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ValuesChanged),
            ),
            (
                "helm rollback by hand",
                Some(StoredRelease {
                    written_by_other: true,
                    ..stored("deployed")
                }),
                desired(),
                A::Upgrade(UpgradeReason::ChangedOutside),
            ),
            (
                "a release helm installed is adopted by upgrading",
                Some(StoredRelease {
                    written_by_other: true,
                    ..stored("deployed")
                }),
                desired(),
                A::Upgrade(UpgradeReason::ChangedOutside),
            ),
            (
                "tests wanted, not run",
                Some(stored("deployed")),
                Desired {
                    test_enabled: true,
                    ..desired()
                },
                A::Test,
            ),
            (
                "tests wanted, done",
                Some(stored("deployed")),
                Desired {
                    test_enabled: true,
                    tested: true,
                    ..desired()
                },
                A::None,
            ),
            (
                "values read back with another digest from the revision released from them",
                Some(stored("deployed")),
                Desired {
                    config_digest: "sha256:as-sent".to_owned(),
                    released_as: Some(2),
                    ..desired()
                },
                A::None,
            ),
            (
                "values changed since the revision released from them (rolled back since)",
                Some(stored("deployed")),
                Desired {
                    config_digest: "sha256:as-sent".to_owned(),
                    released_as: Some(1),
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ValuesChanged),
            ),
            (
                "released from this state, but changed by hand since",
                Some(StoredRelease {
                    written_by_other: true,
                    ..stored("deployed")
                }),
                Desired {
                    config_digest: "sha256:as-sent".to_owned(),
                    released_as: Some(2),
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ChangedOutside),
            ),
            (
                "drift to correct",
                Some(stored("deployed")),
                Desired {
                    correct_drift: true,
                    ..desired()
                },
                A::CorrectDrift,
            ),
            (
                "drift to correct, but the values changed: the upgrade applies everything",
                Some(stored("deployed")),
                Desired {
                    correct_drift: true,
                    config_digest: "sha256:other".to_owned(),
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ValuesChanged),
            ),
            (
                "drift to correct, tests not run yet: tests first",
                Some(stored("deployed")),
                Desired {
                    correct_drift: true,
                    test_enabled: true,
                    ..desired()
                },
                A::Test,
            ),
            (
                "drift to correct on a revision helm wrote: adopted by upgrading",
                Some(StoredRelease {
                    written_by_other: true,
                    ..stored("deployed")
                }),
                Desired {
                    correct_drift: true,
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ChangedOutside),
            ),
            (
                "drift to correct on a failed release: remediation, not correction",
                Some(stored("failed")),
                Desired {
                    correct_drift: true,
                    upgrade_failures: 1,
                    upgrade_retries: 1,
                    ..desired()
                },
                A::Rollback,
            ),
            (
                "failed upgrade, retries left: rollback",
                Some(stored("failed")),
                Desired {
                    upgrade_failures: 1,
                    upgrade_retries: 3,
                    ..desired()
                },
                A::Rollback,
            ),
            (
                "failed upgrade, uninstall strategy",
                Some(stored("failed")),
                Desired {
                    upgrade_failures: 1,
                    upgrade_retries: 3,
                    remediate_by_uninstall: true,
                    ..desired()
                },
                A::Uninstall,
            ),
            (
                "failed upgrade, retries exhausted: the last failure is still rolled back",
                Some(stored("failed")),
                Desired {
                    upgrade_failures: 2,
                    upgrade_retries: 1,
                    ..desired()
                },
                A::Rollback,
            ),
            (
                "failed upgrade, no retries configured: stalled, failure left in place",
                Some(stored("failed")),
                Desired {
                    upgrade_failures: 1,
                    upgrade_retries: 0,
                    ..desired()
                },
                A::Stalled(StallReason::UpgradeRetriesExhausted),
            ),
            (
                "failed upgrade, unlimited retries",
                Some(stored("failed")),
                Desired {
                    upgrade_failures: 50,
                    upgrade_retries: -1,
                    ..desired()
                },
                A::Rollback,
            ),
            (
                "failed, spec changed since (counters reset)",
                Some(stored("failed")),
                Desired {
                    config_digest: "sha256:fixed".to_owned(),
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ValuesChanged),
            ),
            (
                "failed install, retries left: uninstall then install",
                Some(no_target.clone()),
                Desired {
                    install_failures: 1,
                    install_retries: 1,
                    ..desired()
                },
                A::Uninstall,
            ),
            (
                "failed install, retries exhausted",
                Some(no_target.clone()),
                Desired {
                    install_failures: 2,
                    install_retries: 1,
                    ..desired()
                },
                A::Stalled(StallReason::InstallRetriesExhausted),
            ),
            (
                "failed release found, no failures counted (made by helm)",
                Some(no_target),
                desired(),
                A::Upgrade(UpgradeReason::RetryFailed),
            ),
            (
                "revision unlocked after a crash (no failure counted): upgrade again",
                Some(stored("failed")),
                desired(),
                A::Upgrade(UpgradeReason::RetryFailed),
            ),
            (
                "rolled back, one retry left: upgrade again",
                Some(stored("deployed")),
                Desired {
                    config_digest: "sha256:new".to_owned(),
                    upgrade_failures: 1,
                    upgrade_retries: 1,
                    ..desired()
                },
                A::Upgrade(UpgradeReason::ValuesChanged),
            ),
            (
                "rolled back, retries exhausted: stalled",
                Some(stored("deployed")),
                Desired {
                    config_digest: "sha256:new".to_owned(),
                    upgrade_failures: 2,
                    upgrade_retries: 1,
                    ..desired()
                },
                A::Stalled(StallReason::UpgradeRetriesExhausted),
            ),
            (
                "superseded latest (odd history)",
                Some(stored("superseded")),
                desired(),
                A::Upgrade(UpgradeReason::ChangedOutside),
            ),
        ];
        for (name, stored, desired, expected) in cases {
            assert_eq!(
                next_action(stored.as_ref(), &desired),
                expected,
                "case: {name}"
            );
        }
    }

    #[test]
    fn stall_messages_name_the_retries_and_the_last_failure() {
        assert_eq!(
            stall_message(StallReason::InstallRetriesExhausted, 1, None),
            "install retries exhausted (1 failures); change the spec to try again"
        );
        assert_eq!(
            stall_message(
                StallReason::UpgradeRetriesExhausted,
                2,
                Some("upgrade failed: pre-upgrade hooks failed")
            ),
            "upgrade retries exhausted (2 failures); change the spec to try again: last error: upgrade failed: pre-upgrade hooks failed"
        );
    }
}

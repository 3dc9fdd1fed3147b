//! `upgrade` and `rollback`: Helm 4.3.1 `pkg/action/upgrade.go` (`prepareUpgrade`,
//! `performUpgrade`, `releasingUpgrade`, `failRelease`) and `pkg/action/rollback.go`
//! (`prepareRollback`, `performRollback`), with server-side apply and the prune moved after
//! success (see the module documentation of [`super`]).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::apply::plan::prune_candidates;
use crate::apply::{CrdPolicy, ObjectKey, Resource};
use crate::chart::values::coalesce_tables;
use crate::release::model::{HookEvent, Info, Release};
use crate::release::status::ReleaseAction;
use crate::release::{ReleaseStatus, history};

use super::install::{
    apply_and_wait, check_size, fail, install_chart_crds, new_record, previous_resources,
    render_for, rerendered, resources_of, run_event,
};
use super::{
    ActionError, ActionKind, ChartInput, DEFAULT_TIMEOUT, Outcome, Releaser, StepError, now, unlock,
};

/// Options of [`upgrade()`] (Helm's `helm upgrade` flags of the same names).
#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    /// Release name.
    pub release_name: String,
    /// CRD policy (Flux's upgrade default: [`CrdPolicy::Skip`], as Helm never upgrades CRDs).
    pub crds: CrdPolicy,
    /// Skip hooks (`--no-hooks`).
    pub disable_hooks: bool,
    /// Wait for readiness (see [`super::InstallOptions::wait`]).
    pub wait: bool,
    /// Bound of every wait and hook.
    pub timeout: Duration,
    /// Adopt existing objects lacking this release's metadata (`--take-ownership`).
    pub take_ownership: bool,
    /// On failure, delete the objects this upgrade created (`--cleanup-on-fail`).
    pub cleanup_on_fail: bool,
    /// Merge the given values over the current revision's user values (`--reuse-values`).
    pub reuse_values: bool,
    /// When the last revision is `pending-*`, mark it failed ([`unlock()`]) and go on instead
    /// of refusing (for a controller recovering from a crash).
    pub recover_pending: bool,
    /// Description recorded on success instead of "Upgrade complete".
    pub description: Option<String>,
}

impl UpgradeOptions {
    /// Defaults: CRDs skipped, hooks on, wait on, 5 minutes, no cleanup, values reset.
    pub fn new(release_name: &str) -> UpgradeOptions {
        UpgradeOptions {
            release_name: release_name.to_owned(),
            crds: CrdPolicy::Skip,
            disable_hooks: false,
            wait: true,
            timeout: DEFAULT_TIMEOUT,
            take_ownership: false,
            cleanup_on_fail: false,
            reuse_values: false,
            recover_pending: false,
            description: None,
        }
    }
}

/// Options of [`rollback()`].
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Release name.
    pub release_name: String,
    /// Target revision; 0 means the one before the last (Helm's default).
    pub revision: u32,
    /// Skip hooks.
    pub disable_hooks: bool,
    /// Wait for readiness.
    pub wait: bool,
    /// Bound of every wait and hook.
    pub timeout: Duration,
    /// On failure, delete the objects this rollback created.
    pub cleanup_on_fail: bool,
}

impl RollbackOptions {
    /// Defaults: previous revision, hooks on, wait on, 5 minutes.
    pub fn new(release_name: &str) -> RollbackOptions {
        RollbackOptions {
            release_name: release_name.to_owned(),
            revision: 0,
            disable_hooks: false,
            wait: true,
            timeout: DEFAULT_TIMEOUT,
            cleanup_on_fail: false,
        }
    }
}

/// Upgrades a release to `input` as a new revision (Helm: `Upgrade.RunWithContext`).
///
/// The revision is the last + 1; it is built on the current release as Helm picks it (the
/// last revision when `deployed`, else the latest `deployed` one, else the last when it is
/// `failed` or `superseded`). A `pending-*` last revision is refused unless
/// `recover_pending`. Values: the given ones, merged over the current user values with
/// `reuse_values`. Steps: render, size check, CRDs by policy, ownership checks of objects
/// new to the release, `pending-upgrade` record ("Preparing upgrade", history pruned to
/// `max_history`), pre-upgrade hooks, apply, wait, post-upgrade hooks, prune of dropped
/// objects (uninstall order, `keep` honoured), previous revision `superseded`, new one
/// `deployed` ("Upgrade complete").
///
/// # Errors
/// Before the record: [`ActionError::NotFound`], [`ActionError::Pending`],
/// [`ActionError::Render`], [`ActionError::RecordTooLarge`], [`ActionError::Apply`],
/// [`ActionError::Storage`]. After: [`ActionError::Failed`] with the new revision recorded
/// `failed` ("Upgrade \"name\" failed: ..."); the previous revision stays as it was and its
/// objects are not pruned; with `cleanup_on_fail` the objects this upgrade created are
/// deleted.
pub async fn upgrade(
    releaser: &Releaser,
    input: ChartInput<'_>,
    options: &UpgradeOptions,
) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let name = options.release_name.as_str();
    let applier = &releaser.applier;

    let mut history_list = releaser.storage.history(name).await?;
    let Some(mut last) = history::last(&history_list).cloned() else {
        return Err(ActionError::NotFound {
            name: name.to_owned(),
        });
    };
    if last.info.status.is_pending() {
        if !options.recover_pending {
            return Err(ActionError::Pending {
                name: name.to_owned(),
                revision: last.revision,
                status: last.info.status,
            });
        }
        unlock(releaser, &super::UnlockOptions::new(name)).await?;
        history_list = releaser.storage.history(name).await?;
        last = history::last(&history_list).cloned().unwrap_or(last);
    }
    let current = current_release(&history_list, &last).ok_or_else(|| ActionError::NotFound {
        name: name.to_owned(),
    })?;
    let namespace = current.namespace.clone();
    let revision = last.revision + 1;
    let mut outcome = Outcome::new(ActionKind::Upgrade, name, &namespace, revision);
    let unavailable = |source| ActionError::Apply {
        action: "upgrade",
        source: Box::new(source),
    };

    let config = if options.reuse_values {
        coalesce_tables(input.values, &current.config)
    } else {
        input.values.clone()
    };
    let render_start = Instant::now();
    let values_input = ChartInput {
        chart: input.chart,
        values: &config,
    };
    let rendered = render_for(applier, values_input, name, &namespace, revision, true).await?;
    outcome.timings.render = render_start.elapsed();
    let mut release = new_record(name, &namespace, revision, input, config.clone(), &rendered)?;
    release.info.first_deployed = current.info.first_deployed;
    release.labels = last.labels.clone();
    for system in crate::release::secret::SYSTEM_LABELS {
        release.labels.remove(system);
    }
    release.set_status(
        ReleaseStatus::PendingUpgrade,
        ReleaseAction::Upgrade.pending_description(0),
    );
    check_size(&release)?;

    install_chart_crds(
        applier,
        &rendered,
        options.crds,
        options.timeout,
        &mut outcome,
    )
    .await
    .map_err(unavailable)?;
    if !outcome.crds.is_empty() {
        let rendered = render_for(applier, values_input, name, &namespace, revision, true).await?;
        rerendered(&mut release, &rendered)?;
    }

    let apply_start = Instant::now();
    let previous = previous_resources(applier, &current)
        .await
        .map_err(unavailable)?;
    let target = resources_of(applier, &release).await.map_err(unavailable)?;
    let known: BTreeSet<&ObjectKey> = previous.iter().map(|r| &r.key).collect();
    let new_objects: Vec<Resource> = target
        .iter()
        .filter(|r| !known.contains(&r.key))
        .cloned()
        .collect();
    let adopted = applier
        .check_existing(&new_objects, name, &namespace, options.take_ownership)
        .await
        .map_err(unavailable)?;
    let created: Vec<Resource> = new_objects
        .into_iter()
        .filter(|r| !adopted.contains(&r.key))
        .collect();
    outcome.timings.apply = apply_start.elapsed();

    releaser.storage.create(&release).await?;

    let result = perform(
        releaser,
        &mut release,
        &previous,
        &target,
        Events {
            pre: HookEvent::PreUpgrade,
            post: HookEvent::PostUpgrade,
            disabled: options.disable_hooks,
        },
        options.wait,
        options.timeout,
        &mut outcome,
    )
    .await;
    if let Err(error) = result {
        if options.cleanup_on_fail {
            cleanup(releaser, &created, &mut outcome).await;
        }
        return Err(fail(
            releaser,
            ReleaseAction::Upgrade,
            &mut release,
            outcome,
            error,
            started,
        )
        .await);
    }

    let mut superseded = current.clone();
    superseded.info.status = ReleaseStatus::Superseded;
    releaser.storage.update(&superseded).await?;
    let description = options
        .description
        .clone()
        .unwrap_or_else(|| ReleaseAction::Upgrade.success_description(0));
    release.set_status(ReleaseStatus::Deployed, description);
    releaser.storage.update(&release).await?;
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

/// Helm's choice of the release an upgrade builds on (`prepareUpgrade`).
fn current_release(history_list: &[Release], last: &Release) -> Option<Release> {
    if last.info.status == ReleaseStatus::Deployed {
        return Some(last.clone());
    }
    if let Some(deployed) = history::latest_deployed(history_list) {
        return Some(deployed.clone());
    }
    matches!(
        last.info.status,
        ReleaseStatus::Failed | ReleaseStatus::Superseded
    )
    .then(|| last.clone())
}

struct Events {
    pre: HookEvent,
    post: HookEvent,
    disabled: bool,
}

/// Pre hooks, apply, wait, post hooks, then prune of what `previous` had and `target` lacks.
#[allow(
    clippy::too_many_arguments,
    reason = "internal step shared by upgrade and rollback"
)]
async fn perform(
    releaser: &Releaser,
    release: &mut Release,
    previous: &[Resource],
    target: &[Resource],
    events: Events,
    wait: bool,
    timeout: Duration,
    outcome: &mut Outcome,
) -> Result<(), StepError> {
    run_event(
        releaser,
        release,
        events.pre,
        events.disabled,
        timeout,
        outcome,
    )
    .await?;
    apply_and_wait(&releaser.applier, target, wait, timeout, outcome).await?;
    run_event(
        releaser,
        release,
        events.post,
        events.disabled,
        timeout,
        outcome,
    )
    .await?;
    let start = Instant::now();
    let previous_keys: Vec<ObjectKey> = previous.iter().map(|r| r.key.clone()).collect();
    let target_keys: Vec<ObjectKey> = target.iter().map(|r| r.key.clone()).collect();
    let gone = prune_candidates(&previous_keys, &target_keys);
    let prune: Vec<Resource> = gone
        .iter()
        .filter_map(|k| previous.iter().find(|r| &r.key == k).cloned())
        .collect();
    let (deleted, kept) = releaser.applier.delete_unless_kept(&prune, None).await?;
    outcome.deleted.extend(deleted.into_iter().map(|r| r.key));
    outcome.kept.extend(kept);
    outcome.timings.delete += start.elapsed();
    Ok(())
}

/// Deletes the objects a failed upgrade or rollback created (`--cleanup-on-fail`); errors are
/// logged, the action's own failure is what is reported.
async fn cleanup(releaser: &Releaser, created: &[Resource], outcome: &mut Outcome) {
    for resource in created {
        match releaser.applier.delete(resource).await {
            Ok(true) => outcome.deleted.push(resource.key.clone()),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(object = %resource.key, error = %error, "cleanup on fail could not delete")
            }
        }
    }
}

/// Rolls a release back to an earlier revision (Helm: `Rollback.Run`): no re-render; the
/// target revision's chart, config, manifest, hooks and notes are copied into a new revision
/// (last + 1, `pending-rollback`, "Rollback to N"), then pre-rollback hooks, apply, wait,
/// post-rollback hooks, prune of objects the last revision had and the target lacks, every
/// `deployed` revision `superseded`, the new one `deployed`.
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::NoSuchRevision`], [`ActionError::Apply`],
/// [`ActionError::Storage`]; [`ActionError::Failed`] with the new revision recorded `failed`
/// ("Rollback \"name\" failed: ..."; Helm leaves it pending when a pre-rollback hook fails).
pub async fn rollback(
    releaser: &Releaser,
    options: &RollbackOptions,
) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let name = options.release_name.as_str();
    let applier = &releaser.applier;
    let history_list = releaser.storage.history(name).await?;
    let Some(last) = history::last(&history_list).cloned() else {
        return Err(ActionError::NotFound {
            name: name.to_owned(),
        });
    };
    let to = if options.revision == 0 {
        last.revision.saturating_sub(1)
    } else {
        options.revision
    };
    let Some(target_rev) = history_list.iter().find(|r| r.revision == to).cloned() else {
        return Err(ActionError::NoSuchRevision { revision: to });
    };
    let revision = last.revision + 1;
    let mut outcome = Outcome::new(ActionKind::Rollback, name, &last.namespace, revision);
    let unavailable = |source| ActionError::Apply {
        action: "rollback",
        source: Box::new(source),
    };
    let mut labels = target_rev.labels.clone();
    for system in crate::release::secret::SYSTEM_LABELS {
        labels.remove(system);
    }
    let mut release = Release {
        name: name.to_owned(),
        namespace: last.namespace.clone(),
        chart: target_rev.chart.clone(),
        config: target_rev.config.clone(),
        info: Info {
            first_deployed: last.info.first_deployed,
            last_deployed: now(),
            status: ReleaseStatus::PendingRollback,
            notes: target_rev.info.notes.clone(),
            rollback_revision: to,
            description: ReleaseAction::Rollback.pending_description(to),
            ..Info::default()
        },
        revision,
        labels,
        manifest: target_rev.manifest.clone(),
        hooks: target_rev.hooks.clone(),
        apply_method: Some(crate::release::model::ApplyMethod::ServerSide),
    };
    check_size(&release)?;
    let apply_start = Instant::now();
    let previous = previous_resources(applier, &last)
        .await
        .map_err(unavailable)?;
    let target = resources_of(applier, &release).await.map_err(unavailable)?;
    let known: BTreeSet<&ObjectKey> = previous.iter().map(|r| &r.key).collect();
    let mut created = Vec::new();
    for resource in target.iter().filter(|r| !known.contains(&r.key)) {
        if applier.get(resource).await.map_err(unavailable)?.is_none() {
            created.push(resource.clone());
        }
    }
    outcome.timings.apply = apply_start.elapsed();

    releaser.storage.create(&release).await?;
    let result = perform(
        releaser,
        &mut release,
        &previous,
        &target,
        Events {
            pre: HookEvent::PreRollback,
            post: HookEvent::PostRollback,
            disabled: options.disable_hooks,
        },
        options.wait,
        options.timeout,
        &mut outcome,
    )
    .await;
    if let Err(error) = result {
        if options.cleanup_on_fail {
            cleanup(releaser, &created, &mut outcome).await;
        }
        return Err(fail(
            releaser,
            ReleaseAction::Rollback,
            &mut release,
            outcome,
            error,
            started,
        )
        .await);
    }
    for deployed in releaser.storage.deployed_all(name).await? {
        let mut deployed = deployed;
        for system in crate::release::secret::SYSTEM_LABELS {
            deployed.labels.remove(system);
        }
        deployed.info.status = ReleaseStatus::Superseded;
        releaser.storage.update(&deployed).await?;
    }
    release.info.status = ReleaseStatus::Deployed;
    releaser.storage.update(&release).await?;
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(revision: u32, status: ReleaseStatus) -> Release {
        Release {
            name: "r".into(),
            revision,
            info: Info {
                status,
                ..Info::default()
            },
            ..Release::default()
        }
    }

    #[test]
    fn upgrade_builds_on_the_release_helm_picks() {
        use ReleaseStatus::*;
        let pick = |list: &[Release]| {
            let last = history::last(list).cloned().unwrap_or_default();
            current_release(list, &last).map(|r| r.revision)
        };
        assert_eq!(pick(&[rev(1, Superseded), rev(2, Deployed)]), Some(2));
        assert_eq!(pick(&[rev(1, Deployed), rev(2, Failed)]), Some(1));
        assert_eq!(pick(&[rev(1, Failed), rev(2, Failed)]), Some(2));
        assert_eq!(pick(&[rev(1, Superseded), rev(2, Superseded)]), Some(2));
        assert_eq!(pick(&[rev(1, Uninstalled)]), None);
    }
}

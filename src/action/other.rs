//! `uninstall`, `test` and `unlock`: Helm 4.3.1 `pkg/action/uninstall.go`,
//! `pkg/action/release_testing.go`; `unlock` has no Helm counterpart (Helm users run
//! `helm rollback` or delete the pending Secret by hand).

use std::time::{Duration, Instant};

use crate::apply::object::decode_manifest;
use crate::apply::plan::sort_uninstall;
use crate::apply::{ApplyError, Resource};
use crate::release::model::{HookEvent, HookPhase};
use crate::release::status::ReleaseAction;
use crate::release::{ReleaseStatus, history};

use super::install::run_event;
use super::{ActionError, ActionKind, DEFAULT_TIMEOUT, Outcome, Releaser, StepError, now};

/// Options of [`uninstall()`].
#[derive(Debug, Clone)]
pub struct UninstallOptions {
    /// Release name.
    pub release_name: String,
    /// Skip hooks (`--no-hooks`).
    pub disable_hooks: bool,
    /// Keep the records, marked `uninstalled` (`--keep-history`).
    pub keep_history: bool,
    /// Wait until the deleted objects are gone.
    pub wait: bool,
    /// Bound of waits and hooks.
    pub timeout: Duration,
}

impl UninstallOptions {
    /// Defaults: hooks on, history purged, wait on, 5 minutes.
    pub fn new(release_name: &str) -> UninstallOptions {
        UninstallOptions {
            release_name: release_name.to_owned(),
            disable_hooks: false,
            keep_history: false,
            wait: true,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Options of [`test()`].
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Release name.
    pub release_name: String,
    /// Bound of each test hook.
    pub timeout: Duration,
}

impl TestOptions {
    /// Defaults: 5 minutes.
    pub fn new(release_name: &str) -> TestOptions {
        TestOptions {
            release_name: release_name.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Options of [`unlock()`].
#[derive(Debug, Clone)]
pub struct UnlockOptions {
    /// Release name.
    pub release_name: String,
}

impl UnlockOptions {
    /// For `release_name`.
    pub fn new(release_name: &str) -> UnlockOptions {
        UnlockOptions {
            release_name: release_name.to_owned(),
        }
    }
}

/// Uninstalls a release (Helm: `Uninstall.Run`): the last revision becomes `uninstalling`
/// ("Deletion in progress (or silently failed)", `deleted` set); pre-delete hooks; the record
/// is saved; the manifest's objects are deleted in uninstall order, except those annotated
/// `helm.sh/resource-policy: keep` and those that no longer carry this release's ownership
/// metadata; with `wait` their deletion is awaited; post-delete hooks; then every revision is
/// purged, or with `keep_history` the last is `uninstalled` ("Uninstallation complete") and
/// deployed ones `superseded`. An already `uninstalled` release is purged (or, keeping
/// history, refused).
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::AlreadyDeleted`], [`ActionError::Hook`] (pre-delete
/// hooks: nothing recorded or deleted yet), [`ActionError::Storage`]; [`ActionError::Failed`]
/// when deleting, waiting or post-delete hooks fail (the revision stays `uninstalling`).
pub async fn uninstall(
    releaser: &Releaser,
    options: &UninstallOptions,
) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let name = options.release_name.as_str();
    let all = releaser.storage.history(name).await?;
    let Some(mut release) = history::last(&all).cloned() else {
        return Err(ActionError::NotFound {
            name: name.to_owned(),
        });
    };
    let mut outcome = Outcome::new(
        ActionKind::Uninstall,
        name,
        &release.namespace,
        release.revision,
    );
    if release.info.status == ReleaseStatus::Uninstalled {
        if options.keep_history {
            return Err(ActionError::AlreadyDeleted {
                name: name.to_owned(),
            });
        }
        purge(releaser, &all).await?;
        outcome.status = ReleaseStatus::Uninstalled;
        outcome.description = release.info.description;
        outcome.timings.total = started.elapsed();
        return Ok(outcome);
    }
    release.info.status = ReleaseStatus::Uninstalling;
    release.info.deleted = now();
    release.info.description = ReleaseAction::Uninstall.pending_description(0);

    let mut hook_outcome = outcome.clone();
    run_event(
        releaser,
        &mut release,
        HookEvent::PreDelete,
        options.disable_hooks,
        options.timeout,
        &mut hook_outcome,
    )
    .await
    .map_err(|error| match error {
        StepError::Hooks { source, .. } => ActionError::Hook {
            action: "pre-delete",
            source,
        },
        other => ActionError::Failed {
            outcome: Box::new(hook_outcome.clone()),
            source: Box::new(other),
        },
    })?;
    outcome = hook_outcome;
    releaser.storage.update(&release).await?;

    let step: Result<(), StepError> = async {
        let start = Instant::now();
        let resources = uninstall_resources(releaser, &release).await?;
        let (deleted, kept) = releaser
            .applier
            .delete_unless_kept(&resources, Some((name, &release.namespace)))
            .await?;
        outcome.deleted = deleted.iter().map(|r| r.key.clone()).collect();
        outcome.kept = kept;
        outcome.timings.delete = start.elapsed();
        if options.wait {
            let start = Instant::now();
            let waited = releaser
                .applier
                .wait_deleted(&deleted, options.timeout)
                .await;
            outcome.timings.wait = start.elapsed();
            waited?;
        }
        run_event(
            releaser,
            &mut release,
            HookEvent::PostDelete,
            options.disable_hooks,
            options.timeout,
            &mut outcome,
        )
        .await
    }
    .await;
    if let Err(error) = step {
        // Helm keeps the `uninstalling` revision when an uninstall fails.
        if let Err(storage) = releaser.storage.update(&release).await {
            tracing::warn!(release = %name, error = %storage, "failed to record the release");
        }
        outcome.status = release.info.status;
        outcome.description = release.info.description.clone();
        outcome.timings.total = started.elapsed();
        return Err(ActionError::Failed {
            outcome: Box::new(outcome),
            source: Box::new(error),
        });
    }

    release.set_status(
        ReleaseStatus::Uninstalled,
        ReleaseAction::Uninstall.success_description(0),
    );
    if options.keep_history {
        releaser.storage.update(&release).await?;
        for mut deployed in releaser.storage.deployed_all(name).await? {
            deployed.info.status = ReleaseStatus::Superseded;
            releaser.storage.update(&deployed).await?;
        }
    } else {
        purge(releaser, &releaser.storage.history(name).await?).await?;
    }
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

/// The release's objects in uninstall order (Helm sorts the manifest with `UninstallOrder`).
async fn uninstall_resources(
    releaser: &Releaser,
    release: &crate::release::Release,
) -> Result<Vec<Resource>, ApplyError> {
    let objects = decode_manifest(&release.manifest)?;
    let mut resources = releaser
        .applier
        .build_existing_kinds(objects, &release.namespace)
        .await?;
    let mut keys: Vec<_> = resources.iter().map(|r| r.key.clone()).collect();
    sort_uninstall(&mut keys);
    resources.sort_by_key(|r| keys.iter().position(|k| *k == r.key));
    Ok(resources)
}

async fn purge(
    releaser: &Releaser,
    revisions: &[crate::release::Release],
) -> Result<(), ActionError> {
    for revision in revisions {
        match releaser
            .storage
            .delete(&revision.name, revision.revision)
            .await
        {
            Ok(_) | Err(crate::release::StorageError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Runs the `test` hooks of the last revision (Helm: `ReleaseTesting.Run`) and records their
/// last runs in it. The revision's status is unchanged.
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::Storage`]; [`ActionError::Failed`] when a test
/// hook fails (its run is recorded `Failed`).
pub async fn test(releaser: &Releaser, options: &TestOptions) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let name = options.release_name.as_str();
    let Some(mut release) = releaser.storage.last(name).await? else {
        return Err(ActionError::NotFound {
            name: name.to_owned(),
        });
    };
    let mut outcome = Outcome::new(ActionKind::Test, name, &release.namespace, release.revision);
    let result = run_event(
        releaser,
        &mut release,
        HookEvent::Test,
        false,
        options.timeout,
        &mut outcome,
    )
    .await;
    releaser.storage.update(&release).await?;
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.total = started.elapsed();
    match result {
        Ok(()) => Ok(outcome),
        Err(error) => Err(ActionError::Failed {
            outcome: Box::new(outcome),
            source: Box::new(error),
        }),
    }
}

/// Marks a last revision left `pending-install`/`pending-upgrade`/`pending-rollback` (by a
/// crash or a killed process) as `failed`, with a description saying what was interrupted,
/// so that the next upgrade or rollback can proceed without a gap in history. Hooks recorded
/// `Running` are marked `Unknown`.
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::NotLocked`] when the last revision is not
/// pending, [`ActionError::Storage`].
pub async fn unlock(releaser: &Releaser, options: &UnlockOptions) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let name = options.release_name.as_str();
    let Some(mut release) = releaser.storage.last(name).await? else {
        return Err(ActionError::NotFound {
            name: name.to_owned(),
        });
    };
    let was = release.info.status;
    if !was.is_pending() {
        return Err(ActionError::NotLocked {
            name: name.to_owned(),
            revision: release.revision,
            status: was,
        });
    }
    let description = format!(
        "Release unlocked: the operation that left it {was} was interrupted (was: {})",
        release.info.description
    );
    release.set_status(ReleaseStatus::Failed, description);
    for hook in &mut release.hooks {
        if hook.last_run.phase == HookPhase::Running {
            hook.last_run.phase = HookPhase::Unknown;
        }
    }
    releaser.storage.update(&release).await?;
    let mut outcome = Outcome::new(
        ActionKind::Unlock,
        name,
        &release.namespace,
        release.revision,
    );
    outcome.status = release.info.status;
    outcome.description = release.info.description;
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

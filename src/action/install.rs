//! `install`: Helm 4.3.1 `pkg/action/install.go` (`RunWithContext`, `performInstall`,
//! `failRelease`), with server-side apply.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::apply::cluster::WaitRule;
use crate::apply::object::decode_manifest;
use crate::apply::{Applier, ApplyError, CrdPolicy, Resource};
use crate::chart::render::{self, ReleaseInfo, RenderOptions, RenderedChart};
use crate::hooks::{self, record_hooks};
use crate::release::model::{ApplyMethod, ChartRecord, HookEvent, Info, Release};
use crate::release::secret::encode_checked;
use crate::release::status::ReleaseAction;
use crate::release::{ReleaseStatus, history};

use super::{
    ActionError, ActionKind, ChartInput, DEFAULT_TIMEOUT, Outcome, Releaser, StepError,
    error_chain, now,
};

/// Options of [`install()`] (Helm's `helm install` flags of the same names).
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Release name.
    pub release_name: String,
    /// Release namespace (objects without a namespace go here).
    pub namespace: String,
    /// Create the namespace when missing (`--create-namespace`).
    pub create_namespace: bool,
    /// CRD policy for the chart's `crds/` (default [`CrdPolicy::Create`]).
    pub crds: CrdPolicy,
    /// Skip hooks (`--no-hooks`).
    pub disable_hooks: bool,
    /// Wait for readiness by kstatus (Helm `--wait=watcher`); without it only hooks are
    /// awaited (Helm's default `hookOnly`).
    pub wait: bool,
    /// Bound of every wait and hook (`--timeout`, default 5 minutes).
    pub timeout: Duration,
    /// Adopt existing objects that lack this release's metadata (`--take-ownership`).
    pub take_ownership: bool,
    /// Description recorded on success instead of "Install complete".
    pub description: Option<String>,
}

impl InstallOptions {
    /// Defaults for `release_name` in `namespace`: CRDs created, hooks on, wait on, 5 minutes.
    pub fn new(release_name: &str, namespace: &str) -> InstallOptions {
        InstallOptions {
            release_name: release_name.to_owned(),
            namespace: namespace.to_owned(),
            create_namespace: false,
            crds: CrdPolicy::Create,
            disable_hooks: false,
            wait: true,
            timeout: DEFAULT_TIMEOUT,
            take_ownership: false,
            description: None,
        }
    }
}

/// Renders `input` for a revision of `name` in `namespace` with the cluster's capabilities.
pub(super) async fn render_for(
    applier: &Applier,
    input: ChartInput<'_>,
    name: &str,
    namespace: &str,
    revision: u32,
    is_upgrade: bool,
) -> Result<RenderedChart, ActionError> {
    let capabilities = applier
        .capabilities()
        .await
        .map_err(|source| ActionError::Apply {
            action: if is_upgrade { "upgrade" } else { "install" },
            source: Box::new(source),
        })?;
    let mut options = RenderOptions::template(name, namespace);
    options.release = ReleaseInfo {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        revision: i64::from(revision),
        is_upgrade,
        is_install: !is_upgrade,
    };
    options.capabilities = capabilities;
    Ok(render::render(input.chart, input.values, &options)?)
}

/// Decodes and resolves the manifest of a revision already applied (what an upgrade or
/// rollback starts from), leaving out kinds the cluster no longer serves.
pub(super) async fn previous_resources(
    applier: &Applier,
    release: &Release,
) -> Result<Vec<Resource>, ApplyError> {
    let objects = decode_manifest(&release.manifest)?;
    applier
        .build_existing_kinds(objects, &release.namespace)
        .await
}

/// Decodes and resolves the manifest of `release` with its ownership metadata added.
pub(super) async fn resources_of(
    applier: &Applier,
    release: &Release,
) -> Result<Vec<Resource>, ApplyError> {
    let objects = decode_manifest(&release.manifest)?;
    let ownership = Some((release.name.as_str(), release.namespace.as_str()));
    applier.build(objects, &release.namespace, ownership).await
}

/// The record of a new revision of `chart` (Helm: `createRelease` / `upgradedRelease`).
pub(super) fn new_record(
    name: &str,
    namespace: &str,
    revision: u32,
    input: ChartInput<'_>,
    config: Map<String, Value>,
    rendered: &RenderedChart,
) -> Result<Release, ActionError> {
    let ts = now();
    Ok(Release {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        revision,
        chart: Some(ChartRecord::from_chart(input.chart)?),
        config,
        manifest: rendered.manifest.clone(),
        hooks: record_hooks(&rendered.hooks),
        info: Info {
            first_deployed: ts,
            last_deployed: ts,
            notes: rendered.notes.clone(),
            ..Info::default()
        },
        apply_method: Some(ApplyMethod::ServerSide),
        ..Release::default()
    })
}

/// Writes the chart's `crds/` by `policy` (Helm's install and upgrade both do this before
/// anything else is applied), recording the CRDs written and the time taken in `outcome`.
/// The caller renders again when CRDs were written (see [`rerendered`]).
pub(super) async fn install_chart_crds(
    applier: &Applier,
    rendered: &RenderedChart,
    policy: CrdPolicy,
    timeout: Duration,
    outcome: &mut Outcome,
) -> Result<(), ApplyError> {
    let started = Instant::now();
    let documents: Vec<String> = rendered
        .crds
        .iter()
        .map(|c| c.content().into_owned())
        .collect();
    outcome.crds = applier.install_crds(&documents, policy, timeout).await?;
    outcome.timings.crds = started.elapsed();
    Ok(())
}

/// Takes the manifest, hooks and notes of a render made after CRDs were installed (Helm
/// renders after installing CRDs, so `.Capabilities.APIVersions` lists their groups), and
/// checks the size again.
pub(super) fn rerendered(
    release: &mut Release,
    rendered: &RenderedChart,
) -> Result<(), ActionError> {
    release.manifest.clone_from(&rendered.manifest);
    release.hooks = record_hooks(&rendered.hooks);
    release.info.notes.clone_from(&rendered.notes);
    check_size(release)
}

/// Refuses a record the Secret could not hold, before the cluster is touched.
pub(super) fn check_size(release: &Release) -> Result<(), ActionError> {
    encode_checked(release)
        .map(|_| ())
        .map_err(ActionError::RecordTooLarge)
}

/// Records `release` as failed with Helm's description and builds the error.
pub(super) async fn fail(
    releaser: &Releaser,
    kind: ReleaseAction,
    release: &mut Release,
    mut outcome: Outcome,
    error: StepError,
    started: Instant,
) -> ActionError {
    let text = error_chain(&error);
    let description = kind
        .failure_description(&release.name, &text)
        .unwrap_or_else(|| release.info.description.clone());
    release.set_status(ReleaseStatus::Failed, description);
    if let Err(storage) = releaser.storage.update(release).await {
        tracing::warn!(release = %release.name, error = %storage, "failed to record the failed release");
    }
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.total = started.elapsed();
    ActionError::Failed {
        outcome: Box::new(outcome),
        source: Box::new(error),
    }
}

/// Runs the hooks of `event` unless disabled, adding the runs and time to `outcome`.
pub(super) async fn run_event(
    releaser: &Releaser,
    release: &mut Release,
    event: HookEvent,
    disabled: bool,
    timeout: Duration,
    outcome: &mut Outcome,
) -> Result<(), StepError> {
    if disabled {
        return Ok(());
    }
    let start = Instant::now();
    let result = hooks::run_hooks(
        &releaser.applier,
        Some(&releaser.storage),
        release,
        event,
        timeout,
    )
    .await;
    outcome.timings.hooks += start.elapsed();
    match result {
        Ok(runs) => {
            outcome.hooks.extend(runs);
            Ok(())
        }
        Err(source) => {
            if let hooks::HookError::Failed {
                name, kind, path, ..
            } = &source
            {
                outcome.hooks.push(hooks::HookRun {
                    name: name.clone(),
                    kind: kind.clone(),
                    path: path.clone(),
                    event,
                    phase: crate::release::model::HookPhase::Failed,
                    duration: start.elapsed(),
                });
            }
            Err(StepError::Hooks {
                event: event.as_str(),
                source: Box::new(source),
            })
        }
    }
}

/// Applies then (with `wait`) waits, recording keys and times in `outcome`.
pub(super) async fn apply_and_wait(
    applier: &Applier,
    resources: &[Resource],
    wait: bool,
    timeout: Duration,
    outcome: &mut Outcome,
) -> Result<(), StepError> {
    let start = Instant::now();
    applier.apply_all(resources).await?;
    outcome.applied = resources.iter().map(|r| r.key.clone()).collect();
    outcome.timings.apply += start.elapsed();
    if wait {
        let start = Instant::now();
        let result = applier
            .wait_ready(resources, timeout, WaitRule::Kstatus)
            .await;
        outcome.timings.wait += start.elapsed();
        result?;
    }
    Ok(())
}

/// Installs a chart as revision 1 of a new release (Helm: `Install.RunWithContext`).
///
/// Steps: the name must be free (no revision, or the last one `uninstalled`/`failed` only
/// when history was purged — Helm refuses any history without `--replace`); the chart is
/// rendered with the cluster's capabilities; the record's size is checked; CRDs by policy;
/// the objects are resolved, given ownership metadata, and existing ones checked (Helm's
/// "invalid ownership metadata" unless `take_ownership`); the namespace is created on
/// request; the `pending-install` record is written ("Initial install underway"); then
/// pre-install hooks, apply, wait, post-install hooks, and `deployed` ("Install complete").
///
/// # Errors
/// Before the record is written: [`ActionError::NameInUse`], [`ActionError::Render`],
/// [`ActionError::RecordTooLarge`], [`ActionError::Apply`] (CRDs, discovery, ownership),
/// [`ActionError::Storage`]. After: [`ActionError::Failed`] with revision 1 recorded
/// `failed` ("Release \"name\" failed: ...").
pub async fn install(
    releaser: &Releaser,
    input: ChartInput<'_>,
    options: &InstallOptions,
) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let name = options.release_name.as_str();
    let namespace = options.namespace.as_str();
    let mut outcome = Outcome::new(ActionKind::Install, name, namespace, 1);
    let applier = &releaser.applier;
    let unavailable = |source| ActionError::Apply {
        action: "install",
        source: Box::new(source),
    };

    let existing_history = releaser.storage.history(name).await?;
    if history::last(&existing_history).is_some() {
        return Err(ActionError::NameInUse {
            name: name.to_owned(),
        });
    }
    let render_start = Instant::now();
    let rendered = render_for(applier, input, name, namespace, 1, false).await?;
    outcome.timings.render = render_start.elapsed();
    let mut release = new_record(name, namespace, 1, input, input.values.clone(), &rendered)?;
    release.set_status(
        ReleaseStatus::PendingInstall,
        ReleaseAction::Install.pending_description(0),
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
        let rendered = render_for(applier, input, name, namespace, 1, false).await?;
        rerendered(&mut release, &rendered)?;
    }

    let apply_start = Instant::now();
    let resources = resources_of(applier, &release).await.map_err(unavailable)?;
    applier
        .check_existing(&resources, name, namespace, options.take_ownership)
        .await
        .map_err(unavailable)?;
    if options.create_namespace {
        create_namespace(applier, namespace)
            .await
            .map_err(unavailable)?;
    }
    outcome.timings.apply = apply_start.elapsed();

    releaser.storage.create(&release).await?;

    let result: Result<(), StepError> = async {
        run_event(
            releaser,
            &mut release,
            HookEvent::PreInstall,
            options.disable_hooks,
            options.timeout,
            &mut outcome,
        )
        .await?;
        apply_and_wait(
            applier,
            &resources,
            options.wait,
            options.timeout,
            &mut outcome,
        )
        .await?;
        run_event(
            releaser,
            &mut release,
            HookEvent::PostInstall,
            options.disable_hooks,
            options.timeout,
            &mut outcome,
        )
        .await?;
        Ok(())
    }
    .await;
    if let Err(error) = result {
        return Err(fail(
            releaser,
            ReleaseAction::Install,
            &mut release,
            outcome,
            error,
            started,
        )
        .await);
    }

    let description = options
        .description
        .clone()
        .unwrap_or_else(|| ReleaseAction::Install.success_description(0));
    release.set_status(ReleaseStatus::Deployed, description);
    releaser.storage.update(&release).await?;
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

/// Creates the release namespace (Helm: `--create-namespace`, a Namespace labelled
/// `name=<namespace>`); an existing one is left as it is.
async fn create_namespace(applier: &Applier, namespace: &str) -> Result<(), ApplyError> {
    let document = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n    name: {namespace}\n"
    );
    let resources = applier.build(decode_manifest(&document)?, "", None).await?;
    for resource in &resources {
        if applier.get(resource).await?.is_none() {
            applier.apply(resource).await?;
        }
    }
    Ok(())
}

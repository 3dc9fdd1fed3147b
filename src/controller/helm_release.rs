//! The HelmRelease controller: makes Helm's storage and the cluster match each HelmRelease.
//!
//! One reconcile: finalizer bookkeeping → suspend and `dependsOn` gates → source (the
//! HelmRepository's parsed index) → chart version resolution → chart archive (cache, digest
//! check) → values (`valuesFrom` + `values`) → then decide/act in a loop: read Helm's storage,
//! [`release_state::next_action`] names one action, the action runs, until in sync, stalled,
//! or an action fails without a remediation to follow. Every transition is recorded in status
//! conditions and as one Event. Deletion uninstalls through the finalizer.
//!
//! Behaviour follows Flux helm-controller (`internal/reconcile/atomic_release.go`,
//! `internal/controller/helmrelease_controller.go`) where it is the same; see README for the
//! differences.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, Resource, ResourceExt};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::helm_repository::error_chain;
use super::metrics::{ActionLabels, ControllerName, DriftLabels, DriftResult, StatusLabels};
use super::release_state::{self, Desired, NextAction, StallReason, StoredRelease};
use super::secret_data::{read_config_map, read_secret};
use super::values::{self, ValuesError};
use super::{Context, FIELD_MANAGER, events, now};
use crate::action::{
    self, ActionError, ChartInput, InstallOptions, Outcome, Releaser, RollbackOptions, TestOptions,
    UninstallOptions, UnlockOptions, UpgradeOptions,
};
use crate::api::condition::{self, ConditionUpdate};
use crate::api::helm_release::{
    CrdPolicy, DEFAULT_CHART_VERSION, DEFAULT_INTERVAL, DEFAULT_MAX_HISTORY, DEFAULT_TIMEOUT,
    DriftDetectionMode, FINALIZER, HelmReleaseStatus, RemediationStrategy, Snapshot, ValuesKind,
};
use crate::api::{HelmRelease, HelmRepository, RECONCILE_REQUESTED_AT_ANNOTATION, duration};
use crate::apply::{Applier, ObjectDrift, ObjectKey};
use crate::release::ReleaseStatus;
use crate::release::model::Release;
use crate::release::storage::STORAGE_FIELD_MANAGER;
use crate::repo::oci::{OciAuth, OciClient, OciOptions, OciReference};

/// Helm's longest release name.
pub const MAX_RELEASE_NAME_LENGTH: usize = 53;
/// Decide/act rounds per reconcile (install → fail → uninstall → install ... is bounded).
const MAX_ROUNDS: usize = 6;
/// How soon a release waiting on a source or dependency is looked at again (the watches
/// usually trigger it earlier).
const WAITING_REQUEUE: Duration = Duration::from_secs(30);

/// Why a HelmRelease reconcile failed. `reason()` feeds the condition, Event and metric.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The spec cannot work as written (retrying will not help).
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    /// A dependency is not Ready yet.
    #[error("dependency {0} is not ready")]
    DependencyNotReady(String),
    /// The HelmRepository is missing or not Ready.
    #[error("{0}")]
    SourceNotReady(String),
    /// A cross-namespace source reference was refused.
    #[error("cross-namespace references are not allowed: {0}")]
    CrossNamespaceRef(String),
    /// No chart version satisfies the constraint (or the chart is unknown).
    #[error("chart resolution failed")]
    Resolve(#[source] crate::repo::index::ResolveError),
    /// The chart archive could not be fetched or failed its checks.
    #[error("chart download failed")]
    Fetch(#[source] crate::repo::http::FetchError),
    /// Provenance verification (`spec.chart.spec.verify`) failed: no `.prov`, no keyring, or a
    /// signature no key verifies. Nothing is rendered.
    #[error("{0}")]
    Verification(String),
    /// Pulling from an OCI registry failed.
    #[error("OCI chart pull failed")]
    Oci(#[source] crate::repo::oci::OciError),
    /// The archive is not a loadable chart.
    #[error("chart archive could not be loaded")]
    Load(#[source] crate::chart::load::LoadError),
    /// Values could not be composed.
    #[error("values")]
    Values(#[source] ValuesError),
    /// Reading a ConfigMap/Secret/namespace failed.
    #[error("{what}")]
    Read {
        /// What was being read.
        what: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The impersonating client could not be built.
    #[error("cannot impersonate service account {0}")]
    Impersonation(String, #[source] kube::Error),
    /// A release action failed.
    #[error("{action} failed")]
    Action {
        /// The action.
        action: &'static str,
        /// Its error.
        #[source]
        source: ActionError,
    },
    /// Retries are exhausted; waiting for a spec change.
    #[error("{0}")]
    Stalled(String),
    /// Writing status failed.
    #[error("cannot update status")]
    Status(#[source] kube::Error),
    /// The finalizer could not be added or removed.
    #[error("finalizer")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<ReleaseError>>),
}

impl ReleaseError {
    /// PascalCase reason for conditions, Events and the reconcile metric (a fixed set).
    pub fn reason(&self) -> &'static str {
        match self {
            ReleaseError::InvalidSpec(_) => "InvalidSpec",
            ReleaseError::DependencyNotReady(_) => "DependencyNotReady",
            ReleaseError::SourceNotReady(_) => "SourceNotReady",
            ReleaseError::CrossNamespaceRef(_) => "AccessDenied",
            ReleaseError::Resolve(_) => "ChartNotFound",
            ReleaseError::Fetch(error) => error.reason(),
            ReleaseError::Oci(error) => error.reason(),
            ReleaseError::Verification(_) => "VerificationFailed",
            ReleaseError::Load(_) => "InvalidChart",
            ReleaseError::Values(_) => "InitFailed",
            ReleaseError::Read { .. } => "InitFailed",
            ReleaseError::Impersonation(..) => "ImpersonationFailed",
            ReleaseError::Action { source, .. } => source.reason(),
            ReleaseError::Stalled(_) => "RetriesExceeded",
            ReleaseError::Status(_) => "StatusUpdateFailed",
            ReleaseError::Finalizer(_) => "FinalizerFailed",
        }
    }
}

/// The Helm release name of a HelmRelease: `spec.releaseName`, else
/// `[<targetNamespace>-]<name>`; past 53 characters, the first 40 followed by `-` and 12 hex
/// digits of its SHA-256 (Flux's `release.ShortenName`).
pub fn release_name(hr: &HelmRelease) -> String {
    if let Some(name) = &hr.spec.release_name {
        return name.clone();
    }
    let name = match &hr.spec.target_namespace {
        Some(target) => format!("{target}-{}", hr.name_any()),
        None => hr.name_any(),
    };
    if name.len() <= MAX_RELEASE_NAME_LENGTH {
        return name;
    }
    let hash = format!("{:x}", Sha256::digest(name.as_bytes()));
    format!("{}-{}", &name[..40], &hash[..12])
}

fn target_namespace(hr: &HelmRelease) -> String {
    hr.spec
        .target_namespace
        .clone()
        .unwrap_or_else(|| hr.namespace().unwrap_or_default())
}

fn storage_namespace(hr: &HelmRelease) -> String {
    hr.spec
        .storage_namespace
        .clone()
        .unwrap_or_else(|| hr.namespace().unwrap_or_default())
}

fn spec_duration(
    value: Option<&str>,
    default: &str,
    field: &str,
) -> Result<Duration, ReleaseError> {
    duration::parse(value.unwrap_or(default))
        .map_err(|e| ReleaseError::InvalidSpec(format!("spec.{field}: {e}")))
}

/// `sha256:<hex>` of a stored release record (its JSON), as recorded in `status.history`.
pub fn record_digest(release: &Release) -> String {
    let bytes = serde_json::to_vec(release).unwrap_or_default();
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Reconciles one HelmRelease (kube-runtime `Controller` callback).
///
/// # Errors
/// Errors are returned after being recorded in status, so `error_policy` retries them with
/// backoff.
pub async fn reconcile(hr: Arc<HelmRelease>, ctx: Arc<Context>) -> Result<Action, ReleaseError> {
    let started = Instant::now();
    let namespace = hr.namespace().unwrap_or_default();
    let api: Api<HelmRelease> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, FINALIZER, hr, |event| async {
        match event {
            FinalizerEvent::Apply(hr) => apply(hr, &ctx).await,
            FinalizerEvent::Cleanup(hr) => cleanup(hr, &ctx).await,
        }
    })
    .await
    .or_else(|error| match error {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => Err(e),
        // A second reconcile of a deletion, started from a cache that still showed the
        // finalizer, finds the object gone: the first one finished the job.
        kube::runtime::finalizer::Error::RemoveFinalizer(kube::Error::Api(status))
            if status.code == 404 =>
        {
            Ok(Action::await_change())
        }
        other => Err(ReleaseError::Finalizer(Box::new(other))),
    });
    ctx.metrics.observe_reconcile(
        ControllerName::helmrelease,
        started,
        result.as_ref().map(|_| ()).map_err(ReleaseError::reason),
    );
    result
}

/// Backoff for failed reconciles: 5 s doubling per consecutive failure, capped at 5 minutes.
pub fn error_policy(hr: Arc<HelmRelease>, error: &ReleaseError, ctx: Arc<Context>) -> Action {
    let key = ObjectRef::from_obj(hr.as_ref());
    let failures = ctx.release_failures.bump(&key);
    let delay = Duration::from_secs(5)
        .saturating_mul(1 << failures.min(10))
        .min(Duration::from_secs(300));
    warn!(
        helmrelease = %hr.name_any(),
        namespace = hr.namespace().unwrap_or_default(),
        reason = error.reason(),
        retry_in = ?delay,
        error = %error_chain(error),
        "reconcile failed"
    );
    Action::requeue(delay)
}

/// Status being built during one reconcile, with the Events it owes.
struct StatusWriter<'a> {
    hr: &'a HelmRelease,
    api: Api<HelmRelease>,
    status: HelmReleaseStatus,
    ctx: &'a Context,
}

impl StatusWriter<'_> {
    fn set(&mut self, type_: &str, status: &str, reason: &str, message: &str) -> bool {
        condition::set_condition(
            &mut self.status.conditions,
            &ConditionUpdate {
                type_,
                status,
                reason,
                message,
            },
            self.hr.meta().generation,
            &now(),
        )
    }

    /// Sets Ready (and publishes one Event if it is a transition).
    async fn ready(&mut self, ok: bool, reason: &str, message: &str) {
        let changed = self.set(
            condition::READY,
            if ok {
                condition::TRUE
            } else {
                condition::FALSE
            },
            reason,
            message,
        );
        if changed {
            events::publish(
                &self.ctx.recorder,
                self.hr,
                !ok,
                reason,
                message,
                "Reconcile",
            )
            .await;
        }
    }

    /// Writes the status as describing the HelmRelease's current generation.
    async fn write(&mut self) -> Result<(), ReleaseError> {
        self.status.observed_generation = self.hr.meta().generation;
        self.write_as_is().await
    }

    /// Writes the status without touching `observedGeneration` (skipped when unchanged).
    async fn write_as_is(&mut self) -> Result<(), ReleaseError> {
        if self.hr.status.clone().unwrap_or_default() == self.status {
            return Ok(());
        }
        let patch = json!({
            "apiVersion": "helm.wheelhouse.dev/v1",
            "kind": "HelmRelease",
            "status": self.status,
        });
        self.api
            .patch_status(
                &self.hr.name_any(),
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&patch),
            )
            .await
            .map(|_| ())
            .map_err(ReleaseError::Status)
    }

    /// Records a failure that stops this reconcile: Ready=False, Event, status written.
    async fn fail(&mut self, error: ReleaseError) -> Result<Action, ReleaseError> {
        let message = error_chain(&error);
        condition::remove_condition(&mut self.status.conditions, condition::RECONCILING);
        self.ready(false, error.reason(), &message).await;
        self.status.failures = Some(self.status.failures.unwrap_or(0) + 1);
        self.write().await?;
        Err(error)
    }
}

async fn apply(hr: Arc<HelmRelease>, ctx: &Context) -> Result<Action, ReleaseError> {
    let namespace = hr.namespace().unwrap_or_default();
    let api: Api<HelmRelease> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut writer = StatusWriter {
        hr: &hr,
        api,
        status: hr.status.clone().unwrap_or_default(),
        ctx,
    };
    if let Some(requested) = hr.annotations().get(RECONCILE_REQUESTED_AT_ANNOTATION) {
        writer.status.last_handled_reconcile_at = Some(requested.clone());
    }
    if hr.spec.suspend == Some(true) {
        info!(helmrelease = %hr.name_any(), namespace, "suspended: leaving the release alone");
        // Acknowledge a requested reconcile, so whoever asked sees it handled, but keep
        // observedGeneration: a new generation is not acted on while suspended (as Flux).
        writer.write_as_is().await?;
        return Ok(Action::await_change());
    }
    let interval = match spec_duration(hr.spec.interval.as_deref(), DEFAULT_INTERVAL, "interval")
        .and_then(|i| {
            spec_duration(hr.spec.timeout.as_deref(), DEFAULT_TIMEOUT, "timeout").map(|t| (i, t))
        }) {
        Ok(pair) => pair,
        Err(error) => {
            let message = error_chain(&error);
            writer.set(
                condition::STALLED,
                condition::TRUE,
                error.reason(),
                &message,
            );
            writer.ready(false, error.reason(), &message).await;
            writer.write().await?;
            return Ok(Action::await_change());
        }
    };
    let (interval, timeout) = interval;

    // dependsOn: every dependency Ready for its current generation.
    for dependency in &hr.spec.depends_on {
        let dep_namespace = dependency
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.clone());
        let key = ObjectRef::<HelmRelease>::new(&dependency.name).within(&dep_namespace);
        let ready = ctx.releases.get(&key).is_some_and(|dep| {
            dep.status.as_ref().is_some_and(|s| {
                condition::is_true(&s.conditions, condition::READY)
                    && s.observed_generation == dep.meta().generation
            })
        });
        if !ready {
            let error =
                ReleaseError::DependencyNotReady(format!("{dep_namespace}/{}", dependency.name));
            let message = error_chain(&error);
            writer.ready(false, error.reason(), &message).await;
            writer.write().await?;
            info!(helmrelease = %hr.name_any(), namespace, dependency = %dependency.name, "waiting for dependency");
            return Ok(Action::requeue(WAITING_REQUEUE));
        }
    }

    let chart = match prepare_chart(&hr, ctx).await {
        Ok(chart) => chart,
        Err(error @ (ReleaseError::SourceNotReady(_) | ReleaseError::Resolve(_))) => {
            let message = error_chain(&error);
            writer.ready(false, error.reason(), &message).await;
            writer.write().await?;
            return Ok(Action::requeue(WAITING_REQUEUE));
        }
        Err(error @ ReleaseError::CrossNamespaceRef(_)) => {
            let message = error_chain(&error);
            writer.set(
                condition::STALLED,
                condition::TRUE,
                error.reason(),
                &message,
            );
            writer.ready(false, error.reason(), &message).await;
            writer.write().await?;
            return Ok(Action::await_change());
        }
        Err(error) => return writer.fail(error).await,
    };
    let values = match compose_values(&hr, ctx).await {
        Ok(values) => values,
        Err(error) => return writer.fail(error).await,
    };
    let values_checksum = values::checksum(&values);

    // A new desired state resets the failure counters (Flux: on spec or chart change).
    let attempted_version = writer.status.last_attempted_revision.clone();
    let attempted_checksum = writer.status.last_attempted_values_checksum.clone();
    if attempted_version.as_deref() != Some(chart.version.as_str())
        || attempted_checksum.as_deref() != Some(values_checksum.as_str())
        || writer.status.observed_generation != hr.meta().generation
    {
        writer.status.install_failures = None;
        writer.status.upgrade_failures = None;
        condition::remove_condition(&mut writer.status.conditions, condition::STALLED);
    }

    let client = match release_client(&hr, ctx).await {
        Ok(client) => client,
        Err(error) => return writer.fail(error).await,
    };
    let max_history =
        usize::try_from(hr.spec.max_history.unwrap_or(DEFAULT_MAX_HISTORY)).unwrap_or(0);
    let releaser = Releaser::new(client.clone(), &storage_namespace(&hr), max_history)
        .with_shared_discovery(ctx.discovery.clone());
    let name = release_name(&hr);
    writer.status.storage_namespace = Some(storage_namespace(&hr));

    let mode = drift_mode(&hr);
    if mode == DriftDetectionMode::Disabled {
        condition::remove_condition(&mut writer.status.conditions, condition::DRIFTED);
    }
    // Drift is checked at most once per reconcile, when the decision first finds the release
    // in sync; what it found stays until corrected.
    let mut drift_checked = false;
    let mut drifted: Vec<ObjectDrift> = Vec::new();
    // Drift checks resolve kinds with the operator-wide discovery, as release actions do.
    let drift_applier = Applier::new(client.clone()).with_shared_discovery(ctx.discovery.clone());

    let release_key = ObjectRef::from_obj(hr.as_ref());
    let mut last_error: Option<ReleaseError> = None;
    // The history just read when nothing was to be done: no second read below.
    let mut in_sync: Option<Vec<Release>> = None;
    for _round in 0..MAX_ROUNDS {
        let history = match releaser.storage.history_with_writers(&name).await {
            Ok(history) => history,
            Err(source) => {
                return writer
                    .fail(ReleaseError::Action {
                        action: "read release history",
                        source: ActionError::Storage(source),
                    })
                    .await;
            }
        };
        let written_by_other = history.last().is_some_and(|(_, ours)| !ours);
        let history: Vec<Release> = history.into_iter().map(|(release, _)| release).collect();
        let stored = stored_release(&history, written_by_other);
        let mut desired = desired_state(
            &hr,
            &writer.status,
            &chart,
            &values_checksum,
            stored.as_ref(),
        );
        desired.released_as = released_as(ctx, &release_key, &desired);
        desired.correct_drift = mode == DriftDetectionMode::Enabled && !drifted.is_empty();
        let mut next = release_state::next_action(stored.as_ref(), &desired);
        if next == NextAction::None && mode != DriftDetectionMode::Disabled && !drift_checked {
            // In sync as far as storage tells: compare the objects with the deployed manifest
            // (`None` is only decided for a `deployed` latest revision).
            drift_checked = true;
            if let Some(latest) = history.iter().max_by_key(|r| r.revision) {
                drifted = check_drift(&mut writer, &drift_applier, latest, mode).await;
            }
            desired.correct_drift = mode == DriftDetectionMode::Enabled && !drifted.is_empty();
            next = release_state::next_action(stored.as_ref(), &desired);
        }
        info!(helmrelease = %hr.name_any(), namespace, release = %name, revision = stored.as_ref().map(|s| s.revision), next = ?next, "decided");
        if let NextAction::None = next {
            in_sync = Some(history);
            break;
        }
        if let NextAction::Stalled(reason) = next {
            let failures = match reason {
                StallReason::InstallRetriesExhausted => writer.status.install_failures,
                StallReason::UpgradeRetriesExhausted => writer.status.upgrade_failures,
            };
            let message = release_state::stall_message(reason, failures.unwrap_or(0), None);
            // The failure that used up the retries: this reconcile's, else the one an earlier
            // reconcile recorded in Released (a stall found on a later retry keeps its cause).
            let last_failure = last_error.as_ref().map(|e| error_chain(e)).or_else(|| {
                condition::find_condition(&writer.status.conditions, condition::RELEASED)
                    .filter(|c| c.status == condition::FALSE)
                    .map(|c| c.message.clone())
            });
            let detail = release_state::stall_message(
                reason,
                failures.unwrap_or(0),
                last_failure.as_deref(),
            );
            update_history(&mut writer.status, &history, max_history);
            writer.set(
                condition::STALLED,
                condition::TRUE,
                "RetriesExceeded",
                &message,
            );
            condition::remove_condition(&mut writer.status.conditions, condition::RECONCILING);
            writer.ready(false, "RetriesExceeded", &detail).await;
            writer.write().await?;
            return Ok(Action::await_change());
        }
        if let (NextAction::Unlock, Some(stored)) = (next, stored.as_ref()) {
            // Only unlock what is stale: a record Wheelhouse wrote (no other reconcile of this
            // HelmRelease runs now), or another client's record older than the timeout.
            if let Some(wait) = foreign_lock_wait(
                &client,
                &storage_namespace(&hr),
                &name,
                stored.revision,
                timeout,
            )
            .await
            {
                let message = format!(
                    "release {name} revision {} is {} by another client; waiting up to {wait:?} before unlocking it",
                    stored.revision, stored.status
                );
                writer.set(
                    condition::RECONCILING,
                    condition::TRUE,
                    "ReleasePending",
                    &message,
                );
                writer.ready(false, "ReleasePending", &message).await;
                writer.write().await?;
                return Ok(Action::requeue(wait.max(Duration::from_secs(5))));
            }
        }
        // kstatus: while an action runs the object is in progress (Reconciling=True,
        // Ready=Unknown), so a watcher never mistakes the old Ready=True for the new generation.
        let progress = format!("running {next:?}");
        let reconciling = writer.set(
            condition::RECONCILING,
            condition::TRUE,
            "Progressing",
            &progress,
        );
        let unknown = writer.set(
            condition::READY,
            condition::UNKNOWN,
            "Progressing",
            &progress,
        );
        if reconciling || unknown {
            writer.write().await?;
        }
        let started = Instant::now();
        let drifted_keys: Vec<ObjectKey> = drifted.iter().map(|d| d.key.clone()).collect();
        let drift = (&drift_applier, drifted_keys.as_slice());
        let result = act(
            next, &hr, &releaser, &chart, &values, &name, timeout, &history, drift,
        )
        .await;
        let (kind, success) = match &result {
            Ok(outcome) => (outcome.action.as_str(), true),
            Err(ReleaseError::Action { action, .. }) => (*action, false),
            Err(_) => ("other", false),
        };
        let labels = ActionLabels {
            action: kind,
            result: if success { "success" } else { "failure" },
        };
        ctx.metrics.actions.get_or_create(&labels).inc();
        ctx.metrics
            .action_duration
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(outcome) if next == NextAction::CorrectDrift => {
                record_correction(&mut writer, &outcome, &drifted).await;
                drifted.clear();
            }
            Ok(outcome) => {
                record_outcome(&mut writer, &outcome, next).await;
                if matches!(next, NextAction::Install | NextAction::Upgrade(_)) {
                    if let Ok(mut released) = ctx.released_from.lock() {
                        released.insert(
                            release_key.clone(),
                            ReleasedFrom {
                                revision: outcome.revision,
                                chart_name: chart.chart.metadata.name.clone(),
                                chart_version: chart.version.clone(),
                                config_digest: values_checksum.clone(),
                            },
                        );
                    }
                    writer.status.last_attempted_revision = Some(chart.version.clone());
                    writer.status.last_attempted_values_checksum = Some(values_checksum.clone());
                    writer.status.last_attempted_release_action = Some(kind.to_owned());
                }
            }
            Err(error) => {
                let message = error_chain(&error);
                warn!(helmrelease = %hr.name_any(), namespace, release = %name, action = kind, reason = error.reason(), error = %message, "release action failed");
                match next {
                    NextAction::Install => {
                        writer.status.install_failures =
                            Some(writer.status.install_failures.unwrap_or(0) + 1);
                        writer.set(
                            condition::RELEASED,
                            condition::FALSE,
                            "InstallFailed",
                            &message,
                        );
                    }
                    NextAction::Upgrade(_) => {
                        writer.status.upgrade_failures =
                            Some(writer.status.upgrade_failures.unwrap_or(0) + 1);
                        writer.set(
                            condition::RELEASED,
                            condition::FALSE,
                            "UpgradeFailed",
                            &message,
                        );
                    }
                    NextAction::Rollback => {
                        writer.set(
                            condition::REMEDIATED,
                            condition::FALSE,
                            "RollbackFailed",
                            &message,
                        );
                    }
                    NextAction::Uninstall => {
                        writer.set(
                            condition::REMEDIATED,
                            condition::FALSE,
                            "UninstallFailed",
                            &message,
                        );
                    }
                    NextAction::CorrectDrift => {
                        writer.set(
                            condition::DRIFTED,
                            condition::TRUE,
                            condition::DRIFT_CORRECTION_FAILED,
                            &message,
                        );
                    }
                    NextAction::Test => {
                        writer.set(
                            condition::TEST_SUCCESS,
                            condition::FALSE,
                            "TestFailed",
                            &message,
                        );
                        if let Some(first) = writer.status.history.first_mut() {
                            first.test_result = Some("Failed".to_owned());
                        }
                        if hr.spec.test.as_ref().and_then(|t| t.ignore_failures) == Some(true) {
                            last_error = None;
                            continue;
                        }
                    }
                    _ => {}
                }
                events::publish(
                    &ctx.recorder,
                    hr.as_ref(),
                    true,
                    error.reason(),
                    &message,
                    kind,
                )
                .await;
                if matches!(next, NextAction::Install | NextAction::Upgrade(_)) {
                    writer.status.last_attempted_revision = Some(chart.version.clone());
                    writer.status.last_attempted_values_checksum = Some(values_checksum.clone());
                    writer.status.last_attempted_release_action = Some(kind.to_owned());
                }
                // Go round again only when remediation may follow; otherwise report.
                let remediable = matches!(next, NextAction::Install | NextAction::Upgrade(_))
                    && matches!(
                        error,
                        ReleaseError::Action {
                            source: ActionError::Failed { .. },
                            ..
                        }
                    );
                last_error = Some(error);
                if !remediable {
                    break;
                }
            }
        }
    }

    // Summarise: history from storage, then Ready.
    let history = match in_sync {
        Some(history) => Some(history),
        None => releaser.storage.history(&name).await.ok(),
    };
    if let Some(history) = history {
        update_history(&mut writer.status, &history, max_history);
        let status_label = history
            .iter()
            .max_by_key(|r| r.revision)
            .map(|r| r.info.status.as_str())
            .unwrap_or("unknown");
        ctx.metrics
            .releases
            .get_or_create(&StatusLabels {
                status: status_label,
            })
            .set(1);
    }
    condition::remove_condition(&mut writer.status.conditions, condition::RECONCILING);
    match last_error {
        Some(error) => writer.fail(error).await,
        None => {
            let latest = writer.status.history.first().cloned();
            let message = latest
                .as_ref()
                .map(|s| {
                    format!(
                        "Helm {} succeeded for release {}/{}.v{} with chart {}@{}",
                        writer
                            .status
                            .last_attempted_release_action
                            .as_deref()
                            .unwrap_or("install"),
                        s.namespace,
                        s.name,
                        s.revision,
                        s.chart_name,
                        s.chart_version
                    )
                })
                .unwrap_or_else(|| "release in sync".to_owned());
            writer.ready(true, "Succeeded", &message).await;
            writer.status.failures = None;
            writer.write().await?;
            ctx.release_failures
                .reset(&ObjectRef::from_obj(hr.as_ref()));
            Ok(Action::requeue(interval))
        }
    }
}

/// For a `pending-*` revision written by another client (not [`STORAGE_FIELD_MANAGER`]) and
/// younger than `timeout`: how long until it counts as stale. `None`: unlock now.
async fn foreign_lock_wait(
    client: &Client,
    storage_namespace: &str,
    release: &str,
    revision: u32,
    timeout: Duration,
) -> Option<Duration> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), storage_namespace);
    let secret = secrets
        .get_opt(&crate::release::secret::secret_name(release, revision))
        .await
        .ok()
        .flatten()?;
    let ours = secret
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .any(|entry| entry.manager.as_deref() == Some(STORAGE_FIELD_MANAGER));
    if ours {
        return None;
    }
    let written = secret
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|entry| entry.time.as_ref())
        .map(|t| t.0)
        .max()
        .or(secret.metadata.creation_timestamp.as_ref().map(|t| t.0))?;
    let age = k8s_openapi::jiff::Timestamp::now().duration_since(written);
    let age = Duration::try_from(age).unwrap_or(Duration::ZERO);
    timeout.checked_sub(age)
}

/// A chart ready to release.
struct PreparedChart {
    chart: crate::chart::model::Chart,
    version: String,
}

async fn prepare_chart(hr: &HelmRelease, ctx: &Context) -> Result<PreparedChart, ReleaseError> {
    let namespace = hr.namespace().unwrap_or_default();
    let spec = &hr.spec.chart.spec;
    let source_namespace = spec
        .source_ref
        .namespace
        .clone()
        .unwrap_or_else(|| namespace.clone());
    if source_namespace != namespace && ctx.options.no_cross_namespace_refs {
        return Err(ReleaseError::CrossNamespaceRef(format!(
            "HelmRepository {source_namespace}/{} is outside the HelmRelease's namespace {namespace} (--no-cross-namespace-refs)",
            spec.source_ref.name
        )));
    }
    let key = ObjectRef::<HelmRepository>::new(&spec.source_ref.name).within(&source_namespace);
    let Some(repository) = ctx.repository(&key) else {
        return Err(ReleaseError::SourceNotReady(format!(
            "HelmRepository {source_namespace}/{} not found",
            spec.source_ref.name
        )));
    };
    let constraint = spec.version.as_deref().unwrap_or(DEFAULT_CHART_VERSION);
    let keyring = match &spec.verify {
        Some(verify) => Some(keyrings(ctx, &namespace, &verify.secret_ref.name).await?),
        None => None,
    };
    let (data, version, provenance) =
        if repository.spec.type_ == Some(crate::api::helm_repository::RepositoryType::Oci) {
            let options = oci_options(&repository, ctx).await?;
            let reference = format!(
                "{}/{}",
                repository.spec.url.trim_end_matches('/'),
                spec.chart
            );
            let reference = OciReference::parse(&reference).map_err(ReleaseError::Oci)?;
            let pulled = OciClient::new(options)
                .pull_chart(
                    &reference,
                    if constraint == "*" { "" } else { constraint },
                    ctx.chart_cache.as_ref(),
                )
                .await
                .map_err(ReleaseError::Oci)?;
            let version = pulled.tag.clone().unwrap_or_default().replace('_', "+");
            (pulled.data, version, pulled.provenance)
        } else {
            let Some(stored) = ctx.indexes.get(&key) else {
                return Err(ReleaseError::SourceNotReady(format!(
                    "HelmRepository {source_namespace}/{} has no index yet",
                    spec.source_ref.name
                )));
            };
            let version = stored
                .index
                .resolve(&spec.chart, constraint)
                .map_err(ReleaseError::Resolve)?
                .clone();
            let client = crate::repo::RepositoryClient::new(stored.options.clone())
                .map_err(ReleaseError::Fetch)?;
            let fetched =
                crate::repo::fetch_chart(&client, ctx.chart_cache.as_ref(), &spec.chart, &version)
                    .await
                    .map_err(ReleaseError::Fetch)?;
            let provenance =
                if keyring.is_some() {
                    Some(client.download_provenance(&fetched.url).await.map_err(|e| {
                    ReleaseError::Verification(format!(
                        "spec.chart.spec.verify: cannot download the provenance file: {}",
                        error_chain(&e)
                    ))
                })?)
                } else {
                    None
                };
            (fetched.data, version.version.to_string(), provenance)
        };
    if let Some(keyrings) = keyring {
        let Some(provenance) = provenance else {
            return Err(ReleaseError::Verification(format!(
                "spec.chart.spec.verify: chart {} {version} has no provenance",
                spec.chart
            )));
        };
        let mut failures = Vec::new();
        let verified =
            keyrings.iter().any(|(entry, keyring)| {
                match crate::repo::provenance::verify(&data, None, &provenance, keyring) {
                    Ok(_) => true,
                    Err(error) => {
                        failures.push(format!("{entry}: {}", error_chain(&error)));
                        false
                    }
                }
            });
        if !verified {
            return Err(ReleaseError::Verification(format!(
                "spec.chart.spec.verify: provenance of chart {} {version} does not verify: {}",
                spec.chart,
                failures.join("; ")
            )));
        }
    }
    let chart = crate::chart::load::load_archive(&data, &crate::chart::load::Limits::default())
        .map_err(ReleaseError::Load)?;
    Ok(PreparedChart { chart, version })
}

/// The keyrings of a verification Secret: every data entry, by key.
async fn keyrings(
    ctx: &Context,
    namespace: &str,
    name: &str,
) -> Result<Vec<(String, Vec<u8>)>, ReleaseError> {
    let entries: Vec<(String, Vec<u8>)> =
        read_secret(&Api::namespaced(ctx.client.clone(), namespace), name)
            .await
            .map_err(|source| ReleaseError::Read {
                what: format!("reading Secret {name}"),
                source,
            })?
            .ok_or_else(|| {
                ReleaseError::Verification(format!(
                    "spec.chart.spec.verify: keyring Secret {name} not found"
                ))
            })?
            .into_iter()
            .collect();
    if entries.is_empty() {
        return Err(ReleaseError::Verification(format!(
            "spec.chart.spec.verify: keyring Secret {name} has no entries"
        )));
    }
    Ok(entries)
}

/// Registry options of an OCI HelmRepository: `secretRef` (a `.dockerconfigjson` or
/// `username`/`password`), `certSecretRef`'s `ca.crt`, `insecure`, `timeout`.
async fn oci_options(
    repository: &HelmRepository,
    ctx: &Context,
) -> Result<OciOptions, ReleaseError> {
    let namespace = repository.namespace().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let read = |name: String| {
        let secrets = secrets.clone();
        async move {
            read_secret(&secrets, &name)
                .await
                .map_err(|source| ReleaseError::Read {
                    what: format!("reading Secret {name}"),
                    source,
                })?
                .ok_or_else(|| ReleaseError::SourceNotReady(format!("Secret {name} not found")))
        }
    };
    let mut options = OciOptions {
        plain_http: repository.spec.insecure == Some(true),
        ..OciOptions::default()
    };
    if let Some(timeout) = &repository.spec.timeout {
        options.timeout = spec_duration(Some(timeout), "60s", "timeout")?;
    }
    if let Some(reference) = &repository.spec.secret_ref {
        let data = read(reference.name.clone()).await?;
        let host = OciReference::parse(&repository.spec.url)
            .map(|r| r.registry)
            .unwrap_or_default();
        options.auth = if let Some(config) = data.get(".dockerconfigjson") {
            crate::repo::oci::auth_from_docker_config(config, &host).map_err(ReleaseError::Oci)?
        } else {
            let text = |key: &str| {
                String::from_utf8_lossy(data.get(key).map(Vec::as_slice).unwrap_or_default())
                    .into_owned()
            };
            OciAuth::Basic {
                username: text("username"),
                password: text("password"),
            }
        };
    }
    if let Some(reference) = &repository.spec.cert_secret_ref {
        options.ca_pem = read(reference.name.clone()).await?.get("ca.crt").cloned();
    }
    Ok(options)
}

async fn compose_values(
    hr: &HelmRelease,
    ctx: &Context,
) -> Result<Map<String, Value>, ReleaseError> {
    let namespace = hr.namespace().unwrap_or_default();
    let mut sources: BTreeMap<(bool, String), values::SourceData> = BTreeMap::new();
    for reference in &hr.spec.values_from {
        let is_secret = reference.kind == ValuesKind::Secret;
        if sources.contains_key(&(is_secret, reference.name.clone())) {
            continue;
        }
        let data = if is_secret {
            read_secret(
                &Api::namespaced(ctx.client.clone(), &namespace),
                &reference.name,
            )
            .await
            .map_err(|source| ReleaseError::Read {
                what: format!("reading Secret {}", reference.name),
                source,
            })?
        } else {
            read_config_map(
                &Api::namespaced(ctx.client.clone(), &namespace),
                &reference.name,
            )
            .await
            .map_err(|source| ReleaseError::Read {
                what: format!("reading ConfigMap {}", reference.name),
                source,
            })?
        };
        sources.insert((is_secret, reference.name.clone()), data);
    }
    values::compose(
        &hr.spec.values_from,
        hr.spec.values.as_ref(),
        |kind, name| {
            sources
                .get(&(kind == ValuesKind::Secret, name.to_owned()))
                .cloned()
                .flatten()
        },
    )
    .map_err(ReleaseError::Values)
}

/// The client release actions use: impersonating `spec.serviceAccountName` (or the
/// `--default-service-account`) in the HelmRelease's namespace, else the operator's own.
async fn release_client(hr: &HelmRelease, ctx: &Context) -> Result<Client, ReleaseError> {
    let account = hr
        .spec
        .service_account_name
        .clone()
        .or_else(|| ctx.options.default_service_account.clone());
    let Some(account) = account else {
        return Ok(ctx.client.clone());
    };
    let namespace = hr.namespace().unwrap_or_default();
    let mut config = ctx.kube_config.clone();
    config.auth_info.impersonate = Some(format!("system:serviceaccount:{namespace}:{account}"));
    config.auth_info.impersonate_groups = Some(vec![
        "system:serviceaccounts".to_owned(),
        format!("system:serviceaccounts:{namespace}"),
        "system:authenticated".to_owned(),
    ]);
    Client::try_from(config)
        .map_err(|e| ReleaseError::Impersonation(format!("{namespace}/{account}"), e))
}

fn stored_release(history: &[Release], written_by_other: bool) -> Option<StoredRelease> {
    let latest = history.iter().max_by_key(|r| r.revision)?;
    let metadata = latest.chart.as_ref().and_then(|c| c.metadata.as_ref());
    Some(StoredRelease {
        revision: latest.revision,
        status: latest.info.status.as_str().to_owned(),
        chart_name: metadata.map(|m| m.name.clone()).unwrap_or_default(),
        chart_version: metadata.map(|m| m.version.clone()).unwrap_or_default(),
        config_digest: values::checksum(&latest.config),
        digest: record_digest(latest),
        has_rollback_target: history.iter().any(|r| {
            r.revision < latest.revision
                && matches!(
                    r.info.status,
                    ReleaseStatus::Deployed | ReleaseStatus::Superseded
                )
        }),
        written_by_other,
    })
}

/// A revision this process installed or upgraded, and the desired state (chart and values
/// digest) it was made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleasedFrom {
    /// The revision written.
    pub revision: u32,
    /// Chart name, chart version and values digest of the desired state.
    pub chart_name: String,
    pub chart_version: String,
    pub config_digest: String,
}

/// The revision made from exactly `desired`'s chart and values, if this process made one.
fn released_as(ctx: &Context, key: &ObjectRef<HelmRelease>, desired: &Desired) -> Option<u32> {
    let released = ctx.released_from.lock().ok()?;
    released
        .get(key)
        .filter(|r| {
            r.chart_name == desired.chart_name
                && r.chart_version == desired.chart_version
                && r.config_digest == desired.config_digest
        })
        .map(|r| r.revision)
}

fn desired_state(
    hr: &HelmRelease,
    status: &HelmReleaseStatus,
    chart: &PreparedChart,
    values_checksum: &str,
    stored: Option<&StoredRelease>,
) -> Desired {
    let latest_snapshot = status.history.first();
    let upgrade_remediation = hr
        .spec
        .upgrade
        .as_ref()
        .and_then(|u| u.remediation.as_ref());
    Desired {
        chart_name: chart.chart.metadata.name.clone(),
        chart_version: chart.version.clone(),
        config_digest: values_checksum.to_owned(),
        install_failures: status.install_failures.unwrap_or(0),
        upgrade_failures: status.upgrade_failures.unwrap_or(0),
        install_retries: hr
            .spec
            .install
            .as_ref()
            .and_then(|i| i.remediation.as_ref())
            .and_then(|r| r.retries)
            .unwrap_or(0),
        upgrade_retries: upgrade_remediation.and_then(|r| r.retries).unwrap_or(0),
        remediate_by_uninstall: upgrade_remediation.and_then(|r| r.strategy)
            == Some(RemediationStrategy::Uninstall),
        test_enabled: hr.spec.test.as_ref().and_then(|t| t.enable) == Some(true),
        tested: latest_snapshot.is_some_and(|s| {
            s.test_result.is_some() && stored.is_some_and(|st| st.revision as i32 == s.revision)
        }),
        // Known only after the drift check, which runs once the rest of the decision finds
        // the release in sync; the reconcile loop fills it in.
        correct_drift: false,
        released_as: None,
    }
}

fn crd_policy(
    policy: Option<CrdPolicy>,
    default: crate::apply::CrdPolicy,
) -> crate::apply::CrdPolicy {
    match policy {
        None => default,
        Some(CrdPolicy::Skip) => crate::apply::CrdPolicy::Skip,
        Some(CrdPolicy::Create) => crate::apply::CrdPolicy::Create,
        Some(CrdPolicy::CreateReplace) => crate::apply::CrdPolicy::CreateReplace,
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the reconcile's state"
)]
async fn act(
    next: NextAction,
    hr: &HelmRelease,
    releaser: &Releaser,
    chart: &PreparedChart,
    values: &Map<String, Value>,
    name: &str,
    timeout: Duration,
    history: &[Release],
    (drift_applier, drifted): (&Applier, &[ObjectKey]),
) -> Result<Outcome, ReleaseError> {
    let input = ChartInput {
        chart: &chart.chart,
        values,
    };
    let wrap =
        |action: &'static str| move |source: ActionError| ReleaseError::Action { action, source };
    match next {
        NextAction::Install => {
            let install = hr.spec.install.clone().unwrap_or_default();
            let mut options = InstallOptions::new(name, &target_namespace(hr));
            options.create_namespace = install.create_namespace == Some(true);
            options.crds = crd_policy(install.crds, crate::apply::CrdPolicy::Create);
            options.disable_hooks = install.disable_hooks == Some(true);
            options.wait = install.disable_wait != Some(true);
            options.timeout = timeout;
            action::install(releaser, input, &options)
                .await
                .map_err(wrap("install"))
        }
        NextAction::Upgrade(_) => {
            let upgrade = hr.spec.upgrade.clone().unwrap_or_default();
            let mut options = UpgradeOptions::new(name);
            options.crds = crd_policy(upgrade.crds, crate::apply::CrdPolicy::Skip);
            options.disable_hooks = upgrade.disable_hooks == Some(true);
            options.wait = upgrade.disable_wait != Some(true);
            options.timeout = timeout;
            options.cleanup_on_fail = upgrade.cleanup_on_fail == Some(true);
            action::upgrade(releaser, input, &options)
                .await
                .map_err(wrap("upgrade"))
        }
        NextAction::Rollback => {
            let rollback = hr.spec.rollback.clone().unwrap_or_default();
            let mut options = RollbackOptions::new(name);
            let latest = history.iter().map(|r| r.revision).max().unwrap_or(0);
            // The newest good revision before the failed one.
            options.revision = history
                .iter()
                .filter(|r| {
                    r.revision < latest
                        && matches!(
                            r.info.status,
                            ReleaseStatus::Deployed | ReleaseStatus::Superseded
                        )
                })
                .map(|r| r.revision)
                .max()
                .unwrap_or(0);
            options.disable_hooks = rollback.disable_hooks == Some(true);
            options.wait = rollback.disable_wait != Some(true);
            options.cleanup_on_fail = rollback.cleanup_on_fail == Some(true);
            options.timeout = timeout;
            action::rollback(releaser, &options)
                .await
                .map_err(wrap("rollback"))
        }
        NextAction::Uninstall => {
            let uninstall = hr.spec.uninstall.clone().unwrap_or_default();
            let mut options = UninstallOptions::new(name);
            options.disable_hooks = uninstall.disable_hooks == Some(true);
            options.wait = uninstall.disable_wait != Some(true);
            options.keep_history = uninstall.keep_history == Some(true);
            options.timeout = timeout;
            action::uninstall(releaser, &options)
                .await
                .map_err(wrap("uninstall"))
        }
        NextAction::Test => {
            let mut options = TestOptions::new(name);
            options.timeout = timeout;
            action::test(releaser, &options).await.map_err(wrap("test"))
        }
        NextAction::Unlock => action::unlock(releaser, &UnlockOptions::new(name))
            .await
            .map_err(wrap("unlock")),
        NextAction::CorrectDrift => {
            let Some(latest) = history.iter().max_by_key(|r| r.revision) else {
                return Err(ReleaseError::InvalidSpec(
                    "internal: drift correction without a release".to_owned(),
                ));
            };
            action::correct_drift(drift_applier, latest, drifted)
                .await
                .map_err(wrap("correct-drift"))
        }
        NextAction::Stalled(_) | NextAction::None => Err(ReleaseError::InvalidSpec(
            "internal: no action to run".to_owned(),
        )),
    }
}

/// `spec.driftDetection.mode`, `disabled` when absent.
fn drift_mode(hr: &HelmRelease) -> DriftDetectionMode {
    hr.spec
        .drift_detection
        .as_ref()
        .and_then(|d| d.mode)
        .unwrap_or(DriftDetectionMode::Disabled)
}

/// `namespace/name.vN` of a release revision, as messages name it.
fn revision_name(release: &Release) -> String {
    format!(
        "{}/{}.v{}",
        release.namespace, release.name, release.revision
    )
}

/// Compares the objects of the deployed revision `latest` with its manifest and records what
/// was found: `Drifted=False` (`NoDriftDetected`), `Drifted=True` (`DriftDetected`; an Event
/// when the condition changed and `mode` is `warn`, where nothing else will follow), or
/// `Drifted=Unknown` (`DriftDetectionFailed`, Event) when the comparison failed. A log line
/// and the drift check metric in every case. Ready is not touched: drift alone does not make
/// a release unready. Returns the drifted objects (none when the check failed).
async fn check_drift(
    writer: &mut StatusWriter<'_>,
    applier: &Applier,
    latest: &Release,
    mode: DriftDetectionMode,
) -> Vec<ObjectDrift> {
    let started = Instant::now();
    let revision = revision_name(latest);
    let result = action::detect_drift(applier, latest).await;
    let (outcome, drifted) = match result {
        Ok(drifted) if drifted.is_empty() => {
            info!(helmrelease = %writer.hr.name_any(), release = %revision, elapsed = ?started.elapsed(), "no drift");
            writer.set(
                condition::DRIFTED,
                condition::FALSE,
                condition::NO_DRIFT,
                &format!("no drift from release {revision}"),
            );
            (DriftResult::in_sync, drifted)
        }
        Ok(drifted) => {
            let objects: Vec<String> = drifted.iter().map(ToString::to_string).collect();
            let message = condition::drift_message(
                &format!(
                    "{} object(s) drifted from release {revision}",
                    drifted.len()
                ),
                &objects,
            );
            warn!(helmrelease = %writer.hr.name_any(), release = %revision, mode = ?mode, objects = %objects.join("; "), "drift detected");
            let changed = writer.set(
                condition::DRIFTED,
                condition::TRUE,
                condition::DRIFT_DETECTED,
                &message,
            );
            if changed && mode == DriftDetectionMode::Warn {
                events::publish(
                    &writer.ctx.recorder,
                    writer.hr,
                    true,
                    condition::DRIFT_DETECTED,
                    &message,
                    "detect-drift",
                )
                .await;
            }
            (DriftResult::drifted, drifted)
        }
        Err(error) => {
            let message = format!(
                "drift detection of release {revision} failed: {}",
                error_chain(&error)
            );
            warn!(helmrelease = %writer.hr.name_any(), release = %revision, error = %message, "drift detection failed");
            if writer.set(
                condition::DRIFTED,
                condition::UNKNOWN,
                condition::DRIFT_DETECTION_FAILED,
                &message,
            ) {
                events::publish(
                    &writer.ctx.recorder,
                    writer.hr,
                    true,
                    condition::DRIFT_DETECTION_FAILED,
                    &message,
                    "detect-drift",
                )
                .await;
            }
            (DriftResult::error, Vec::new())
        }
    };
    writer
        .ctx
        .metrics
        .drift_checks
        .get_or_create(&DriftLabels { result: outcome })
        .inc();
    drifted
}

/// Records a drift correction: `Drifted=False` (`DriftCorrected`) naming the objects applied
/// again and what had changed in them, an Event and a log line.
async fn record_correction(
    writer: &mut StatusWriter<'_>,
    outcome: &Outcome,
    drifted: &[ObjectDrift],
) {
    let objects: Vec<String> = drifted.iter().map(ToString::to_string).collect();
    let message = condition::drift_message(
        &format!(
            "{} drifted object(s) of release {}/{}.v{} applied again",
            outcome.applied.len(),
            outcome.namespace,
            outcome.release_name,
            outcome.revision
        ),
        &objects,
    );
    info!(
        helmrelease = %writer.hr.name_any(),
        release = %outcome.release_name,
        revision = outcome.revision,
        applied = outcome.applied.len(),
        total = ?outcome.timings.total,
        "drift corrected"
    );
    writer.set(
        condition::DRIFTED,
        condition::FALSE,
        condition::DRIFT_CORRECTED,
        &message,
    );
    events::publish(
        &writer.ctx.recorder,
        writer.hr,
        false,
        condition::DRIFT_CORRECTED,
        &message,
        outcome.action.as_str(),
    )
    .await;
}

async fn record_outcome(writer: &mut StatusWriter<'_>, outcome: &Outcome, next: NextAction) {
    let summary = format!(
        "Helm {} succeeded for release {}/{}.v{}: {}",
        outcome.action.as_str(),
        outcome.namespace,
        outcome.release_name,
        outcome.revision,
        outcome.description
    );
    info!(
        helmrelease = %writer.hr.name_any(),
        release = %outcome.release_name,
        revision = outcome.revision,
        action = outcome.action.as_str(),
        applied = outcome.applied.len(),
        deleted = outcome.deleted.len(),
        hooks = outcome.hooks.len(),
        total = ?outcome.timings.total,
        "release action succeeded"
    );
    let (type_, reason) = match next {
        NextAction::Install => (condition::RELEASED, "InstallSucceeded"),
        NextAction::Upgrade(_) => (condition::RELEASED, "UpgradeSucceeded"),
        NextAction::Rollback => (condition::REMEDIATED, "RollbackSucceeded"),
        NextAction::Uninstall => (condition::REMEDIATED, "UninstallSucceeded"),
        NextAction::Test => (condition::TEST_SUCCESS, "TestSucceeded"),
        NextAction::Unlock => (condition::RELEASED, "Unlocked"),
        _ => (condition::RELEASED, "Succeeded"),
    };
    let status = if type_ == condition::RELEASED && reason == "Unlocked" {
        condition::FALSE
    } else {
        condition::TRUE
    };
    writer.set(type_, status, reason, &summary);
    if matches!(next, NextAction::Install | NextAction::Upgrade(_)) {
        condition::remove_condition(&mut writer.status.conditions, condition::REMEDIATED);
        condition::remove_condition(&mut writer.status.conditions, condition::TEST_SUCCESS);
    }
    if matches!(next, NextAction::Test)
        && let Some(first) = writer.status.history.first_mut()
    {
        first.test_result = Some("Succeeded".to_owned());
    }
    events::publish(
        &writer.ctx.recorder,
        writer.hr,
        false,
        reason,
        &summary,
        outcome.action.as_str(),
    )
    .await;
}

/// Rebuilds `status.history` (newest first, at most `max_history` when bounded) from storage,
/// keeping test results already recorded for the same revisions.
fn update_history(status: &mut HelmReleaseStatus, history: &[Release], max_history: usize) {
    let previous: BTreeMap<i32, Option<String>> = status
        .history
        .iter()
        .map(|s| (s.revision, s.test_result.clone()))
        .collect();
    let mut records: Vec<&Release> = history.iter().collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.revision));
    if max_history > 0 {
        records.truncate(max_history);
    }
    status.history = records
        .into_iter()
        .map(|release| {
            let metadata = release.chart.as_ref().and_then(|c| c.metadata.as_ref());
            let revision = i32::try_from(release.revision).unwrap_or(i32::MAX);
            Snapshot {
                revision,
                name: release.name.clone(),
                namespace: release.namespace.clone(),
                status: release.info.status.as_str().to_owned(),
                chart_name: metadata.map(|m| m.name.clone()).unwrap_or_default(),
                chart_version: metadata.map(|m| m.version.clone()).unwrap_or_default(),
                app_version: metadata
                    .map(|m| m.app_version.clone())
                    .filter(|v| !v.is_empty()),
                digest: record_digest(release),
                config_digest: values::checksum(&release.config),
                first_deployed: release
                    .info
                    .first_deployed
                    .as_ref()
                    .map(|t| t.to_rfc3339_go()),
                last_deployed: release
                    .info
                    .last_deployed
                    .as_ref()
                    .map(|t| t.to_rfc3339_go()),
                deleted: release.info.deleted.as_ref().map(|t| t.to_rfc3339_go()),
                test_result: previous.get(&revision).cloned().flatten(),
            }
        })
        .collect();
}

async fn cleanup(hr: Arc<HelmRelease>, ctx: &Context) -> Result<Action, ReleaseError> {
    if let Ok(mut released) = ctx.released_from.lock() {
        released.remove(&ObjectRef::from_obj(hr.as_ref()));
    }
    if hr.spec.suspend == Some(true) {
        info!(helmrelease = %hr.name_any(), "suspended: deleting without uninstalling");
        return Ok(Action::await_change());
    }
    let name = release_name(&hr);
    let client = release_client(&hr, ctx).await?;
    let storage_ns = hr
        .status
        .as_ref()
        .and_then(|s| s.storage_namespace.clone())
        .unwrap_or_else(|| storage_namespace(&hr));
    // The namespace may be going away with the HelmRelease; then there is nothing to keep.
    let namespace_gone = Api::<Namespace>::all(ctx.client.clone())
        .get_opt(&storage_ns)
        .await
        .ok()
        .flatten()
        .is_none();
    if namespace_gone {
        return Ok(Action::await_change());
    }
    let releaser =
        Releaser::new(client, &storage_ns, 0).with_shared_discovery(ctx.discovery.clone());
    let timeout = spec_duration(hr.spec.timeout.as_deref(), DEFAULT_TIMEOUT, "timeout")
        .unwrap_or(action::DEFAULT_TIMEOUT);
    let uninstall = hr.spec.uninstall.clone().unwrap_or_default();
    let mut options = UninstallOptions::new(&name);
    options.disable_hooks = uninstall.disable_hooks == Some(true);
    options.wait = uninstall.disable_wait != Some(true);
    options.keep_history = uninstall.keep_history == Some(true);
    options.timeout = timeout;
    match action::uninstall(&releaser, &options).await {
        Ok(outcome) => {
            info!(helmrelease = %hr.name_any(), release = %name, deleted = outcome.deleted.len(), "uninstalled on deletion");
            Ok(Action::await_change())
        }
        Err(ActionError::NotFound { .. } | ActionError::AlreadyDeleted { .. }) => {
            info!(helmrelease = %hr.name_any(), release = %name, "release already gone");
            Ok(Action::await_change())
        }
        Err(source) => {
            let error = ReleaseError::Action {
                action: "uninstall",
                source,
            };
            events::publish(
                &ctx.recorder,
                hr.as_ref(),
                true,
                error.reason(),
                &error_chain(&error),
                "uninstall",
            )
            .await;
            Err(error)
        }
    }
}

//! The HelmRepository controller: fetches each repository's `index.yaml` on creation, on spec
//! change, every `spec.interval` and on `reconcile.wheelhouse.dev/requestedAt`, keeps the
//! parsed index in memory for the HelmRelease controller ([`IndexStore`]), and reports what
//! happened in status (`Ready`, `Reconciling`, `Stalled`, `artifact`), Events, logs and metrics.
//!
//! Behaviour follows Flux source-controller's HelmRepository reconciler
//! (`internal/controller/helmrepository_controller.go`): an invalid spec (malformed URL,
//! interval) is `Stalled` and waits for a spec change; fetch failures are `Ready=False` with the
//! fetch error's reason and retried, transient ones with capped exponential backoff.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::json;
use tracing::{info, warn};

use super::events;
use super::metrics::ControllerName;
use super::secret_data::{DataEntries, read_secret};
use super::{Context, FIELD_MANAGER, now};
use crate::api::condition::{self, ConditionUpdate};
use crate::api::helm_repository::{
    DEFAULT_INTERVAL, DEFAULT_TIMEOUT, HelmRepositoryStatus, RepositoryArtifact, RepositoryType,
};
use crate::api::{HelmRepository, RECONCILE_REQUESTED_AT_ANNOTATION, duration};
use crate::repo::http::{BasicAuth, ClientCertificate, FetchError, IndexFetch, Validators};
use crate::repo::index::{Index, IndexError};
use crate::repo::{RepositoryClient, RepositoryOptions};

/// Longest wait between retries of a transiently failing repository.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(300);

/// A repository's parsed index as the HelmRelease controller uses it.
#[derive(Debug)]
pub struct StoredIndex {
    /// `sha256:<hex>` of the index bytes (the artifact revision).
    pub revision: String,
    /// The compact parsed index.
    pub index: Index,
    /// The client settings it was fetched with (for chart downloads from the same repository).
    pub options: RepositoryOptions,
    validators: Validators,
}

/// The parsed indexes of every HelmRepository this process has fetched, keyed by object.
/// One copy per repository, shared by every release that uses it.
#[derive(Debug, Default)]
pub struct IndexStore(RwLock<HashMap<ObjectRef<HelmRepository>, Arc<StoredIndex>>>);

impl IndexStore {
    /// The current index of `repository`, if one was fetched.
    pub fn get(&self, repository: &ObjectRef<HelmRepository>) -> Option<Arc<StoredIndex>> {
        self.0.read().ok()?.get(repository).cloned()
    }

    fn insert(&self, repository: ObjectRef<HelmRepository>, index: Arc<StoredIndex>) {
        if let Ok(mut map) = self.0.write() {
            map.insert(repository, index);
        }
    }

    /// Forgets indexes of repositories for which `keep` is false (deleted objects).
    pub fn retain(&self, keep: impl Fn(&ObjectRef<HelmRepository>) -> bool) {
        if let Ok(mut map) = self.0.write() {
            map.retain(|key, _| keep(key));
        }
    }
}

/// Why a HelmRepository reconcile failed. `reason()` feeds the condition, Event and metric.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// The spec cannot work as written (retrying will not help).
    #[error("invalid spec: {message}")]
    InvalidSpec {
        /// What is wrong.
        message: String,
    },
    /// A referenced Secret is missing or lacks a key.
    #[error("{message}")]
    Secret {
        /// What is missing.
        message: String,
    },
    /// Reading a referenced Secret failed.
    #[error("cannot read Secret {name}")]
    SecretRead {
        /// The Secret's name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Fetching the index failed.
    #[error("failed to fetch index")]
    Fetch(#[source] FetchError),
    /// The fetched index is not a valid Helm repository index.
    #[error("invalid repository index")]
    Index(#[source] IndexError),
    /// Writing status failed.
    #[error("cannot update status")]
    Status(#[source] kube::Error),
}

impl RepositoryError {
    /// PascalCase reason for conditions, Events and the reconcile metric.
    pub fn reason(&self) -> &'static str {
        match self {
            RepositoryError::InvalidSpec { .. } => "InvalidSpec",
            RepositoryError::Secret { .. } | RepositoryError::SecretRead { .. } => {
                "AuthenticationFailed"
            }
            RepositoryError::Fetch(error) => error.reason(),
            RepositoryError::Index(_) => "IndexParseFailed",
            RepositoryError::Status(_) => "StatusUpdateFailed",
        }
    }

    /// Whether retrying soon may help (network trouble, 5xx, API errors).
    fn is_transient(&self) -> bool {
        match self {
            RepositoryError::Fetch(error) => error.is_transient(),
            RepositoryError::SecretRead { .. } | RepositoryError::Status(_) => true,
            _ => false,
        }
    }
}

/// The error chain of `error` joined by ": " (what conditions and Events show).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Reconciles one HelmRepository (kube-runtime `Controller` callback).
///
/// # Errors
/// Transient failures (network, 5xx, API errors) are returned so `error_policy` retries them
/// with backoff; everything else is reported in status and requeued after the interval.
pub async fn reconcile(
    repository: Arc<HelmRepository>,
    ctx: Arc<Context>,
) -> Result<Action, RepositoryError> {
    let started = Instant::now();
    let result = reconcile_inner(&repository, &ctx).await;
    ctx.metrics.observe_reconcile(
        ControllerName::helmrepository,
        started,
        result.as_ref().map(|_| ()).map_err(RepositoryError::reason),
    );
    result
}

/// Backoff for transient errors: doubles per consecutive failure from 5 s up to
/// [`MAX_RETRY_BACKOFF`].
pub fn error_policy(
    repository: Arc<HelmRepository>,
    error: &RepositoryError,
    ctx: Arc<Context>,
) -> Action {
    let key = ObjectRef::from_obj(repository.as_ref());
    let failures = ctx.repository_failures.bump(&key);
    let delay = Duration::from_secs(5)
        .saturating_mul(1 << failures.min(10))
        .min(MAX_RETRY_BACKOFF);
    warn!(
        repository = %repository.name_any(),
        namespace = repository.namespace().unwrap_or_default(),
        reason = error.reason(),
        retry_in = ?delay,
        error = %error_chain(error),
        "repository reconcile failed"
    );
    Action::requeue(delay)
}

async fn reconcile_inner(
    repository: &HelmRepository,
    ctx: &Context,
) -> Result<Action, RepositoryError> {
    let name = repository.name_any();
    let namespace = repository.namespace().unwrap_or_default();
    let key = ObjectRef::from_obj(repository);
    let api: Api<HelmRepository> = Api::namespaced(ctx.client.clone(), &namespace);
    let generation = repository.meta().generation;
    let mut status = repository.status.clone().unwrap_or_default();
    let previous_ready = condition::find_condition(&status.conditions, condition::READY).cloned();
    if let Some(requested) = repository
        .annotations()
        .get(RECONCILE_REQUESTED_AT_ANNOTATION)
    {
        status.last_handled_reconcile_at = Some(requested.clone());
    }
    ctx.indexes.retain(|known| ctx.repository_exists(known));

    if repository.spec.suspend == Some(true) {
        info!(repository = %name, namespace, "suspended: not fetching");
        return Ok(Action::await_change());
    }

    let interval = match spec_durations(repository) {
        Ok((interval, _)) => interval,
        Err(error) => {
            stalled(&api, repository, &mut status, generation, &error, ctx).await?;
            return Ok(Action::await_change());
        }
    };

    let outcome = fetch(repository, ctx, &key).await;
    let now = now();
    match outcome {
        Ok(FetchOutcome::Oci) => {
            mark_ready(
                &mut status,
                generation,
                &now,
                "Succeeded",
                "OCI repository: charts are resolved by tag when a HelmRelease asks for them",
            );
        }
        Ok(FetchOutcome::Unchanged(stored)) => {
            let message = format!("stored artifact: revision '{}'", stored.revision);
            mark_ready(&mut status, generation, &now, "Succeeded", &message);
        }
        Ok(FetchOutcome::New(stored, size)) => {
            let message = format!("stored artifact: revision '{}'", stored.revision);
            info!(repository = %name, namespace, revision = %stored.revision, charts = stored.index.chart_count(), versions = stored.index.version_count(), "fetched index");
            status.artifact = Some(RepositoryArtifact {
                revision: stored.revision.clone(),
                size,
                last_update_time: now.0.to_string(),
                charts: i64::try_from(stored.index.chart_count()).unwrap_or(i64::MAX),
                versions: i64::try_from(stored.index.version_count()).unwrap_or(i64::MAX),
            });
            mark_ready(&mut status, generation, &now, "Succeeded", &message);
            if previous_ready
                .as_ref()
                .is_none_or(|c| c.status != condition::TRUE)
                || repository
                    .status
                    .as_ref()
                    .and_then(|s| s.artifact.as_ref())
                    .map(|a| &a.revision)
                    != Some(&stored.revision)
            {
                events::publish(
                    &ctx.recorder,
                    repository,
                    false,
                    "NewArtifact",
                    &message,
                    "FetchIndex",
                )
                .await;
            }
        }
        Err(error) => {
            let message = error_chain(&error);
            condition::set_condition(
                &mut status.conditions,
                &ConditionUpdate {
                    type_: condition::READY,
                    status: condition::FALSE,
                    reason: error.reason(),
                    message: &message,
                },
                generation,
                &now,
            );
            condition::remove_condition(&mut status.conditions, condition::RECONCILING);
            condition::remove_condition(&mut status.conditions, condition::STALLED);
            status.observed_generation = generation;
            let transition = previous_ready.as_ref().is_none_or(|c| {
                c.status != condition::FALSE
                    || c.reason != error.reason()
                    || c.message != condition::truncate_message(&message)
            });
            if transition {
                warn!(repository = %name, namespace, reason = error.reason(), error = %message, "index fetch failed");
                events::publish(
                    &ctx.recorder,
                    repository,
                    true,
                    error.reason(),
                    &message,
                    "FetchIndex",
                )
                .await;
            }
            write_status(&api, repository, &status).await?;
            if error.is_transient() {
                return Err(error);
            }
            ctx.repository_failures.reset(&key);
            return Ok(Action::requeue(interval));
        }
    }
    ctx.repository_failures.reset(&key);
    if repository.status.as_ref() != Some(&status) {
        write_status(&api, repository, &status).await?;
    }
    Ok(Action::requeue(interval))
}

fn spec_durations(repository: &HelmRepository) -> Result<(Duration, Duration), RepositoryError> {
    let parse = |field: &str, value: Option<&str>, default: &str| {
        duration::parse(value.unwrap_or(default)).map_err(|error| RepositoryError::InvalidSpec {
            message: format!("spec.{field}: {error}"),
        })
    };
    let interval = parse(
        "interval",
        repository.spec.interval.as_deref(),
        DEFAULT_INTERVAL,
    )?;
    let timeout = parse(
        "timeout",
        repository.spec.timeout.as_deref(),
        DEFAULT_TIMEOUT,
    )?;
    if interval.is_zero() {
        return Err(RepositoryError::InvalidSpec {
            message: "spec.interval must be greater than zero".to_owned(),
        });
    }
    Ok((interval, timeout))
}

enum FetchOutcome {
    Oci,
    Unchanged(Arc<StoredIndex>),
    New(Arc<StoredIndex>, i64),
}

async fn fetch(
    repository: &HelmRepository,
    ctx: &Context,
    key: &ObjectRef<HelmRepository>,
) -> Result<FetchOutcome, RepositoryError> {
    let spec = &repository.spec;
    let is_oci = spec.type_ == Some(RepositoryType::Oci);
    if is_oci {
        return Ok(FetchOutcome::Oci);
    }
    let (_, timeout) = spec_durations(repository)?;
    let options = repository_options(repository, ctx, timeout).await?;
    let client = RepositoryClient::new(options.clone()).map_err(|error| match error {
        FetchError::Url(url) => RepositoryError::InvalidSpec {
            message: format!("spec.url: {url}"),
        },
        other => RepositoryError::Fetch(other),
    })?;
    let previous = ctx
        .indexes
        .get(key)
        .filter(|stored| stored.options == options);
    let fetched = client
        .fetch_index(previous.as_ref().map(|p| &p.validators))
        .await
        .map_err(RepositoryError::Fetch)?;
    match (fetched, previous) {
        (IndexFetch::NotModified, Some(previous)) => Ok(FetchOutcome::Unchanged(previous)),
        (IndexFetch::NotModified, None) => Err(RepositoryError::InvalidSpec {
            message: "the server answered 304 Not Modified to an unconditional request".to_owned(),
        }),
        (IndexFetch::Fetched(fetched), previous) => {
            if let Some(previous) = previous.filter(|p| p.revision == fetched.revision) {
                return Ok(FetchOutcome::Unchanged(previous));
            }
            let size = i64::try_from(fetched.data.len()).unwrap_or(i64::MAX);
            let index = Index::parse(&fetched.data).map_err(RepositoryError::Index)?;
            let stored = Arc::new(StoredIndex {
                revision: fetched.revision,
                index,
                options,
                validators: fetched.validators,
            });
            ctx.indexes.insert(key.clone(), stored.clone());
            Ok(FetchOutcome::New(stored, size))
        }
    }
}

/// Builds the client options from the spec and the referenced Secrets.
async fn repository_options(
    repository: &HelmRepository,
    ctx: &Context,
    timeout: Duration,
) -> Result<RepositoryOptions, RepositoryError> {
    let spec = &repository.spec;
    let namespace = repository.namespace().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut options = RepositoryOptions::new(spec.url.clone());
    options.timeout = timeout;
    options.pass_credentials = spec.pass_credentials == Some(true);
    options.max_index_bytes = ctx.options.max_index_bytes;
    if let Some(reference) = &spec.secret_ref {
        let data = secret_data(&secrets, &reference.name).await?;
        let username = text_key(&data, &reference.name, "username")?;
        let password = text_key(&data, &reference.name, "password")?;
        options.basic_auth = Some(BasicAuth { username, password });
    }
    if let Some(reference) = &spec.cert_secret_ref {
        let data = secret_data(&secrets, &reference.name).await?;
        options.ca_pem = data.get("ca.crt").cloned();
        match (data.get("tls.crt"), data.get("tls.key")) {
            (Some(cert), Some(key)) => {
                options.client_certificate = Some(ClientCertificate {
                    cert_pem: cert.clone(),
                    key_pem: key.clone(),
                });
            }
            (None, None) => {}
            _ => {
                return Err(RepositoryError::Secret {
                    message: format!(
                        "Secret {} must hold both tls.crt and tls.key, or neither",
                        reference.name
                    ),
                });
            }
        }
        if options.ca_pem.is_none() && options.client_certificate.is_none() {
            return Err(RepositoryError::Secret {
                message: format!(
                    "Secret {} has none of ca.crt, tls.crt, tls.key",
                    reference.name
                ),
            });
        }
    }
    Ok(options)
}

async fn secret_data(secrets: &Api<Secret>, name: &str) -> Result<DataEntries, RepositoryError> {
    read_secret(secrets, name)
        .await
        .map_err(|source| RepositoryError::SecretRead {
            name: name.to_owned(),
            source,
        })?
        .ok_or_else(|| RepositoryError::Secret {
            message: format!("Secret {name} not found"),
        })
}

fn text_key(data: &DataEntries, secret: &str, key: &str) -> Result<String, RepositoryError> {
    let bytes = data.get(key).ok_or_else(|| RepositoryError::Secret {
        message: format!("Secret {secret} has no key {key:?}"),
    })?;
    String::from_utf8(bytes.clone()).map_err(|_| RepositoryError::Secret {
        message: format!("Secret {secret} key {key:?} is not UTF-8 text"),
    })
}

fn mark_ready(
    status: &mut HelmRepositoryStatus,
    generation: Option<i64>,
    now: &Time,
    reason: &str,
    message: &str,
) {
    condition::set_condition(
        &mut status.conditions,
        &ConditionUpdate {
            type_: condition::READY,
            status: condition::TRUE,
            reason,
            message,
        },
        generation,
        now,
    );
    condition::remove_condition(&mut status.conditions, condition::RECONCILING);
    condition::remove_condition(&mut status.conditions, condition::STALLED);
    status.observed_generation = generation;
}

async fn stalled(
    api: &Api<HelmRepository>,
    repository: &HelmRepository,
    status: &mut HelmRepositoryStatus,
    generation: Option<i64>,
    error: &RepositoryError,
    ctx: &Context,
) -> Result<(), RepositoryError> {
    let now = now();
    let message = error_chain(error);
    let changed = condition::set_condition(
        &mut status.conditions,
        &ConditionUpdate {
            type_: condition::STALLED,
            status: condition::TRUE,
            reason: error.reason(),
            message: &message,
        },
        generation,
        &now,
    ) | condition::set_condition(
        &mut status.conditions,
        &ConditionUpdate {
            type_: condition::READY,
            status: condition::FALSE,
            reason: error.reason(),
            message: &message,
        },
        generation,
        &now,
    );
    condition::remove_condition(&mut status.conditions, condition::RECONCILING);
    status.observed_generation = generation;
    if changed {
        warn!(repository = %repository.name_any(), namespace = repository.namespace().unwrap_or_default(), reason = error.reason(), error = %message, "stalled until the spec changes");
        events::publish(
            &ctx.recorder,
            repository,
            true,
            error.reason(),
            &message,
            "Validate",
        )
        .await;
    }
    write_status(api, repository, status).await
}

async fn write_status(
    api: &Api<HelmRepository>,
    repository: &HelmRepository,
    status: &HelmRepositoryStatus,
) -> Result<(), RepositoryError> {
    let patch = json!({
        "apiVersion": "helm.wheelhouse.dev/v1",
        "kind": "HelmRepository",
        "status": status,
    });
    api.patch_status(
        &repository.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map(|_| ())
    .map_err(RepositoryError::Status)
}

//! Release storage in Secrets of one namespace, as Helm 4.3.1's `pkg/storage.Storage` over its
//! Secrets driver (`pkg/storage/driver/secrets.go`) reads and writes it, so that the `helm`
//! CLI and Wheelhouse can take turns on the same release.
//!
//! Differences from Helm, all on the safe side: a record too large for a Secret is refused
//! before anything is written or pruned ([`StorageError::Secret`] with
//! [`SecretError::TooLarge`]); history lists come sorted by revision; a Secret whose record
//! cannot be decoded is skipped in listings with a warning (Helm skips it with a debug log).

use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::{Client, Error as KubeError};

use super::history;
use super::model::Release;
use super::secret::{
    self, LabelView, OWNER, SecretError, SecretWrite, is_valid_label_value, release_from_secret,
    release_secret, secret_name,
};
use super::status::ReleaseStatus;

/// Errors from release storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No Secret holds this revision (Helm: `ErrReleaseNotFound`).
    #[error("release {name:?} revision {revision} not found")]
    NotFound {
        /// Release name.
        name: String,
        /// Revision.
        revision: u32,
    },
    /// The revision's Secret already exists (Helm: `ErrReleaseExists`); another writer got
    /// there first.
    #[error("release {name:?} revision {revision} already exists")]
    AlreadyExists {
        /// Release name.
        name: String,
        /// Revision.
        revision: u32,
    },
    /// The release name cannot be used in a label selector (Helm: "invalid label value").
    #[error(
        "invalid label value {value:?}: release names used in queries must be valid label values"
    )]
    InvalidLabelValue {
        /// The name.
        value: String,
    },
    /// Building or reading a release Secret failed (includes the 1 MiB guard).
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A Kubernetes API call failed.
    #[error("{action} failed")]
    Api {
        /// What was being done, with the Secret or selector.
        action: String,
        /// The client error.
        #[source]
        source: KubeError,
    },
}

/// Release records stored as Helm's Secrets in one namespace.
#[derive(Clone)]
pub struct SecretStorage {
    api: Api<Secret>,
    namespace: String,
    max_history: usize,
    clock: fn() -> i64,
}

impl std::fmt::Debug for SecretStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStorage")
            .field("namespace", &self.namespace)
            .field("max_history", &self.max_history)
            .finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch from the system clock (Helm: `time.Now().Unix()`).
fn system_unix_seconds() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

impl SecretStorage {
    /// Storage in `namespace` (the release's storage namespace, normally its own), with no
    /// history limit and the system clock for the `createdAt`/`modifiedAt` labels.
    pub fn new(client: Client, namespace: &str) -> SecretStorage {
        SecretStorage {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_owned(),
            max_history: 0,
            clock: system_unix_seconds,
        }
    }

    /// Keeps at most `max_history` revisions per release, pruning on [`create`](Self::create);
    /// 0 means no limit (Helm: `Storage.MaxHistory`, `--history-max`).
    pub fn with_max_history(mut self, max_history: usize) -> SecretStorage {
        self.max_history = max_history;
        self
    }

    /// Uses `clock` (Unix seconds) for the `createdAt`/`modifiedAt` labels.
    pub fn with_clock(mut self, clock: fn() -> i64) -> SecretStorage {
        self.clock = clock;
        self
    }

    /// The storage namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// One revision (Helm: `Storage.Get`), with its custom labels only.
    ///
    /// # Errors
    /// [`StorageError::NotFound`], [`StorageError::Secret`] when it does not decode,
    /// [`StorageError::Api`].
    pub async fn get(&self, name: &str, revision: u32) -> Result<Release, StorageError> {
        let key = secret_name(name, revision);
        let found = self
            .api
            .get_opt(&key)
            .await
            .map_err(|source| StorageError::Api {
                action: format!("getting secret {key} in {}", self.namespace),
                source,
            })?;
        match found {
            Some(secret) => Ok(release_from_secret(
                &secret,
                LabelView::WithoutSystemLabels,
            )?),
            None => Err(StorageError::NotFound {
                name: name.to_owned(),
                revision,
            }),
        }
    }

    /// Stores a new revision (Helm: `Storage.Create`): refuses a record over the Secret size
    /// limit, then, with a history limit, prunes the release's history to `max_history - 1`
    /// revisions (never the latest deployed), then creates the Secret with `createdAt`.
    ///
    /// # Errors
    /// [`StorageError::Secret`] (too large, or not encodable), [`StorageError::AlreadyExists`],
    /// [`StorageError::Api`] (also for a failed pruning delete; Helm aborts the same way).
    pub async fn create(&self, release: &Release) -> Result<(), StorageError> {
        let secret = release_secret(release, SecretWrite::Create, (self.clock)())?;
        if self.max_history > 0 {
            self.prune(&release.name, self.max_history - 1).await?;
        }
        match self.api.create(&write_params(), &secret).await {
            Ok(_) => Ok(()),
            Err(KubeError::Api(status)) if status.code == 409 => Err(StorageError::AlreadyExists {
                name: release.name.clone(),
                revision: release.revision,
            }),
            Err(source) => Err(StorageError::Api {
                action: format!(
                    "creating secret {} in {}",
                    secret_name(&release.name, release.revision),
                    self.namespace
                ),
                source,
            }),
        }
    }

    /// Replaces an existing revision's Secret (Helm: `Storage.Update`, an unconditional
    /// update): labels are rebuilt from the record with `modifiedAt`.
    ///
    /// # Errors
    /// [`StorageError::Secret`], [`StorageError::NotFound`] when the Secret does not exist,
    /// [`StorageError::Api`].
    pub async fn update(&self, release: &Release) -> Result<(), StorageError> {
        let secret = release_secret(release, SecretWrite::Update, (self.clock)())?;
        let key = secret_name(&release.name, release.revision);
        match self.api.replace(&key, &write_params(), &secret).await {
            Ok(_) => Ok(()),
            Err(KubeError::Api(status)) if status.code == 404 => Err(StorageError::NotFound {
                name: release.name.clone(),
                revision: release.revision,
            }),
            Err(source) => Err(StorageError::Api {
                action: format!("updating secret {key} in {}", self.namespace),
                source,
            }),
        }
    }

    /// Deletes one revision and returns what it held (Helm: `Storage.Delete`).
    ///
    /// # Errors
    /// [`StorageError::NotFound`], [`StorageError::Secret`], [`StorageError::Api`].
    pub async fn delete(&self, name: &str, revision: u32) -> Result<Release, StorageError> {
        let release = self.get(name, revision).await?;
        let key = secret_name(name, revision);
        match self.api.delete(&key, &DeleteParams::default()).await {
            Ok(_) => Ok(release),
            Err(KubeError::Api(status)) if status.code == 404 => Err(StorageError::NotFound {
                name: name.to_owned(),
                revision,
            }),
            Err(source) => Err(StorageError::Api {
                action: format!("deleting secret {key} in {}", self.namespace),
                source,
            }),
        }
    }

    /// Every revision of a release, oldest first (Helm: `Storage.History`; empty where Helm
    /// returns "not found"). Labels are all of the Secret's, as Helm's query returns them.
    ///
    /// # Errors
    /// [`StorageError::InvalidLabelValue`], [`StorageError::Api`].
    pub async fn history(&self, name: &str) -> Result<Vec<Release>, StorageError> {
        let mut releases = self.query(name, None).await?;
        releases.sort_by_key(|r| r.revision);
        Ok(releases)
    }

    /// The revision with the highest number (Helm: `Storage.Last`); `None` without history.
    ///
    /// # Errors
    /// As [`history`](Self::history).
    pub async fn last(&self, name: &str) -> Result<Option<Release>, StorageError> {
        Ok(history::last(&self.history(name).await?).cloned())
    }

    /// The latest revision labelled `deployed` (Helm: `Storage.Deployed`); `None` when there is
    /// none (Helm: `ErrNoDeployedReleases`).
    ///
    /// # Errors
    /// As [`history`](Self::history).
    pub async fn deployed(&self, name: &str) -> Result<Option<Release>, StorageError> {
        let deployed = self.deployed_all(name).await?;
        Ok(deployed.into_iter().max_by_key(|r| r.revision))
    }

    /// Every revision labelled `deployed`, oldest first (Helm: `Storage.DeployedAll`; several
    /// only after concurrent writers).
    ///
    /// # Errors
    /// As [`history`](Self::history).
    pub async fn deployed_all(&self, name: &str) -> Result<Vec<Release>, StorageError> {
        let mut releases = self.query(name, Some(ReleaseStatus::Deployed)).await?;
        releases.sort_by_key(|r| r.revision);
        Ok(releases)
    }

    /// Every revision of every release in the namespace (Helm: `Storage.ListReleases`, the
    /// Secrets labelled `owner=helm`), sorted by name then revision.
    ///
    /// # Errors
    /// [`StorageError::Api`].
    pub async fn list(&self) -> Result<Vec<Release>, StorageError> {
        let mut releases = self
            .select(&format!("{}={OWNER}", secret::LABEL_OWNER))
            .await?;
        releases.sort_by(|a, b| (&a.name, a.revision).cmp(&(&b.name, b.revision)));
        Ok(releases)
    }

    /// Deletes the oldest revisions of a release until at most `keep` remain, never the
    /// latest deployed one (Helm: `removeLeastRecent`); returns the deleted revisions.
    ///
    /// # Errors
    /// As [`history`](Self::history); a failed delete stops at the first error (Helm attempts
    /// every delete and reports the first error).
    pub async fn prune(&self, name: &str, keep: usize) -> Result<Vec<u32>, StorageError> {
        let history = self.history(name).await?;
        if history.len() <= keep {
            return Ok(Vec::new());
        }
        let latest_deployed = self.deployed(name).await?.map(|r| r.revision);
        let revisions: Vec<u32> = history.iter().map(|r| r.revision).collect();
        let prune = history::revisions_to_prune(&revisions, latest_deployed, keep);
        let mut first_error = None;
        for revision in &prune {
            match self.delete(name, *revision).await {
                // Gone already (a concurrent pruner): the goal is met.
                Ok(_) | Err(StorageError::NotFound { .. }) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(prune),
        }
    }

    /// Revisions of `name` (labels `name`, `owner=helm`, optionally `status`), all labels kept.
    async fn query(
        &self,
        name: &str,
        status: Option<ReleaseStatus>,
    ) -> Result<Vec<Release>, StorageError> {
        if !is_valid_label_value(name) {
            return Err(StorageError::InvalidLabelValue {
                value: name.to_owned(),
            });
        }
        let mut selector = format!(
            "{}={name},{}={OWNER}",
            secret::LABEL_NAME,
            secret::LABEL_OWNER
        );
        if let Some(status) = status {
            selector.push_str(&format!(",{}={status}", secret::LABEL_STATUS));
        }
        self.select(&selector).await
    }

    async fn select(&self, selector: &str) -> Result<Vec<Release>, StorageError> {
        Ok(self
            .select_with_writers(selector)
            .await?
            .into_iter()
            .map(|(release, _)| release)
            .collect())
    }

    /// Every revision of `name`, oldest first, each with whether its Secret was last written
    /// by Wheelhouse ([`STORAGE_FIELD_MANAGER`] holds the newest `managedFields` entry): the
    /// controller's way of telling its own records from ones `helm` (or anyone else) wrote,
    /// robust against stale caches.
    ///
    /// # Errors
    /// As [`history`](Self::history).
    pub async fn history_with_writers(
        &self,
        name: &str,
    ) -> Result<Vec<(Release, bool)>, StorageError> {
        if !is_valid_label_value(name) {
            return Err(StorageError::InvalidLabelValue {
                value: name.to_owned(),
            });
        }
        let selector = format!(
            "{}={name},{}={OWNER}",
            secret::LABEL_NAME,
            secret::LABEL_OWNER
        );
        let mut releases = self.select_with_writers(&selector).await?;
        releases.sort_by_key(|(r, _)| r.revision);
        Ok(releases)
    }

    async fn select_with_writers(
        &self,
        selector: &str,
    ) -> Result<Vec<(Release, bool)>, StorageError> {
        let list = self
            .api
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|source| StorageError::Api {
                action: format!("listing secrets {selector} in {}", self.namespace),
                source,
            })?;
        Ok(list
            .items
            .iter()
            .filter_map(|secret| match release_from_secret(secret, LabelView::All) {
                Ok(release) => {
                    let ours = secret
                        .metadata
                        .managed_fields
                        .iter()
                        .flatten()
                        .max_by_key(|entry| entry.time.as_ref().map(|t| t.0))
                        .is_some_and(|entry| {
                            entry.manager.as_deref() == Some(STORAGE_FIELD_MANAGER)
                        });
                    Some((release, ours))
                }
                Err(error) => {
                    tracing::warn!(
                        secret = secret.metadata.name.as_deref().unwrap_or_default(),
                        namespace = %self.namespace,
                        error = %error,
                        "skipping a release Secret that does not decode"
                    );
                    None
                }
            })
            .collect())
    }
}

/// The field manager of every release Secret Wheelhouse writes; it tells the controller which
/// `pending-*` records are its own (left by a crash) and which another client (`helm`) is
/// still working on.
pub const STORAGE_FIELD_MANAGER: &str = "wheelhouse";

fn write_params() -> PostParams {
    PostParams {
        field_manager: Some(STORAGE_FIELD_MANAGER.to_owned()),
        ..PostParams::default()
    }
}

//! The Kubernetes I/O of applying a release: API discovery (cached, refreshed on a miss and
//! after CRDs are installed), CRD installation by policy, server-side apply in Helm's install
//! order, ownership checks, deletes, and watch-driven waits for readiness and deletion.
//!
//! Follows Helm 4.3.1 `pkg/kube/client.go` (`Build`, `Create`, `Update`, `Delete`),
//! `pkg/action/install.go` (`installCRDs`), `pkg/action/validate.go` and
//! `pkg/kube/statuswait.go`, with server-side apply everywhere.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::future::try_join_all;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::runtime::watcher::watch_object;
use kube::{Client, Error as KubeError};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use crate::chart::render::{Capabilities, HelmBuildInfo};
use crate::semver::kube::KubeVersion;

use super::drift;
use super::object::{self, ManifestObject, ObjectKey};
use super::plan;
use super::readiness::{self, Readiness, Status};
use super::{ApplyError, FIELD_MANAGER};

/// How long [`Applier::install_crds`] waits for new CRDs' kinds to appear in discovery after
/// they are Established (then the install goes on, and an unresolved kind fails it as before).
const CRD_DISCOVERY_WAIT: Duration = Duration::from_secs(10);

/// How CRDs from a chart's `crds/` directory are handled (Flux's `crds` policy; Helm's
/// `--skip-crds` is [`CrdPolicy::Skip`] and its default is [`CrdPolicy::Create`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrdPolicy {
    /// Leave CRDs alone.
    Skip,
    /// Create missing CRDs; existing ones are not touched (Helm's behaviour).
    #[default]
    Create,
    /// Create missing CRDs and replace existing ones with the chart's (never deletes).
    CreateReplace,
}

/// An object resolved against the cluster's API: ready to apply.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its identity (namespace defaulted).
    pub key: ObjectKey,
    /// The API resource serving it.
    pub api: ApiResource,
    /// Whether it is namespaced.
    pub namespaced: bool,
    /// The object to apply.
    pub object: Map<String, Value>,
}

/// The Kubernetes side of releases: one per client (which may impersonate a service
/// account); cheap to share behind an `Arc`.
pub struct Applier {
    client: Client,
    discovery: SharedDiscovery,
    field_manager: String,
}

/// The result of API discovery, shared by appliers: the operator's reconciles reuse one
/// discovery run (three requests, `/version` excluded, and the largest responses an action
/// reads) instead of one per action. It is refreshed as a single applier's would be: when a
/// kind is not found and after CRDs are written. Discovery lists what the API server serves,
/// the same for every identity that may read it (Kubernetes' `system:discovery` role), so
/// impersonating appliers may share it too.
#[derive(Clone, Default)]
pub struct SharedDiscovery(Arc<RwLock<Option<Arc<Discovery>>>>);

/// Which rule decides readiness in [`Applier::wait_ready`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitRule {
    /// kstatus ([`readiness::compute`]): release objects.
    Kstatus,
    /// Hook completion ([`readiness::compute_hook`]).
    Hook,
}

impl Applier {
    /// An applier using `client` and field manager [`FIELD_MANAGER`]; discovery runs on
    /// first use.
    pub fn new(client: Client) -> Applier {
        Applier {
            client,
            discovery: SharedDiscovery::default(),
            field_manager: FIELD_MANAGER.to_owned(),
        }
    }

    /// Uses (and refreshes) `shared` discovery instead of this applier's own.
    pub fn with_shared_discovery(mut self, shared: SharedDiscovery) -> Applier {
        self.discovery = shared;
        self
    }

    /// Uses another field manager. `helm` (the manager the `helm` CLI uses) lets `helm
    /// upgrade` change fields Wheelhouse applied without `--force-conflicts`.
    pub fn with_field_manager(mut self, manager: &str) -> Applier {
        manager.clone_into(&mut self.field_manager);
        self
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs API discovery again (after CRDs are installed, or when a kind is not found).
    ///
    /// # Errors
    /// [`ApplyError::Discovery`].
    pub async fn refresh_discovery(&self) -> Result<Arc<Discovery>, ApplyError> {
        let fresh = Arc::new(
            Discovery::new(self.client.clone())
                .run_aggregated()
                .await
                .map_err(|source| ApplyError::Discovery {
                    source: Box::new(source),
                })?,
        );
        *self.discovery.0.write().await = Some(fresh.clone());
        Ok(fresh)
    }

    async fn discovery(&self) -> Result<Arc<Discovery>, ApplyError> {
        if let Some(d) = self.discovery.0.read().await.as_ref() {
            return Ok(d.clone());
        }
        self.refresh_discovery().await
    }

    /// `.Capabilities` of the cluster (Helm: `Configuration.getCapabilities`): the server's
    /// version, and every group/version and `group/version/Kind` it serves.
    ///
    /// # Errors
    /// [`ApplyError::Discovery`].
    pub async fn capabilities(&self) -> Result<Capabilities, ApplyError> {
        let info =
            self.client
                .apiserver_version()
                .await
                .map_err(|source| ApplyError::Discovery {
                    source: Box::new(source),
                })?;
        let discovery = self.discovery().await?;
        let mut versions = std::collections::BTreeSet::new();
        for group in discovery.groups() {
            for version in group.versions() {
                let gv = if group.name().is_empty() {
                    version.to_owned()
                } else {
                    format!("{}/{version}", group.name())
                };
                for (resource, _) in group.versioned_resources(version) {
                    versions.insert(format!("{gv}/{}", resource.kind));
                }
                versions.insert(gv);
            }
        }
        Ok(Capabilities {
            kube_version: KubeVersion::from_server(&info.git_version, &info.major, &info.minor),
            api_versions: versions.into_iter().collect(),
            helm_version: HelmBuildInfo::pinned_helm(),
        })
    }

    async fn resolve(
        &self,
        object: &ManifestObject,
    ) -> Result<(ApiResource, ApiCapabilities), ApplyError> {
        let (group, version) = match object.api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), object.api_version.clone()),
        };
        let gvk = kube::api::GroupVersionKind::gvk(&group, &version, &object.kind);
        if let Some(found) = self.discovery().await?.resolve_gvk(&gvk) {
            return Ok(found);
        }
        // The cache may predate a CRD installed by someone else: look once more.
        self.refresh_discovery()
            .await?
            .resolve_gvk(&gvk)
            .ok_or_else(|| ApplyError::UnknownKind {
                api_version: object.api_version.clone(),
                kind: object.kind.clone(),
                name: object.name.clone(),
                namespace: object.namespace.clone(),
            })
    }

    /// Resolves decoded objects (Helm: `Client.Build`): namespaced objects without a
    /// namespace go to `default_namespace`, cluster-scoped ones lose any namespace; with
    /// `ownership = Some((release, namespace))` Helm's ownership metadata is added.
    ///
    /// # Errors
    /// [`ApplyError::UnknownKind`], [`ApplyError::Discovery`].
    pub async fn build(
        &self,
        objects: Vec<ManifestObject>,
        default_namespace: &str,
        ownership: Option<(&str, &str)>,
    ) -> Result<Vec<Resource>, ApplyError> {
        let mut out = Vec::with_capacity(objects.len());
        for mut object in objects {
            let (api, caps) = self.resolve(&object).await?;
            let namespaced = caps.scope == Scope::Namespaced;
            let namespace = if !namespaced {
                String::new()
            } else if object.namespace.is_empty() {
                default_namespace.to_owned()
            } else {
                object.namespace.clone()
            };
            object::set_namespace(&mut object.object, &namespace);
            if let Some((name, ns)) = ownership {
                object::set_ownership(&mut object.object, name, ns);
            }
            out.push(Resource {
                key: ObjectKey {
                    group: object.group().to_owned(),
                    kind: object.kind.clone(),
                    namespace,
                    name: object.name.clone(),
                },
                api,
                namespaced,
                object: object.object,
            });
        }
        Ok(out)
    }

    /// As [`build`](Self::build), but objects whose kind the cluster no longer serves are
    /// left out (with a warning) instead of failing: for deleting what an earlier revision
    /// created, where a kind removed since (a deleted CRD) means the objects are gone too.
    ///
    /// # Errors
    /// [`ApplyError::Discovery`].
    pub async fn build_existing_kinds(
        &self,
        objects: Vec<ManifestObject>,
        default_namespace: &str,
    ) -> Result<Vec<Resource>, ApplyError> {
        let mut out = Vec::with_capacity(objects.len());
        for object in objects {
            match self.build(vec![object], default_namespace, None).await {
                Ok(resources) => out.extend(resources),
                Err(ApplyError::UnknownKind {
                    api_version,
                    kind,
                    name,
                    ..
                }) => {
                    tracing::warn!(%api_version, %kind, %name, "skipping an object of a kind the cluster does not serve");
                }
                Err(other) => return Err(other),
            }
        }
        Ok(out)
    }

    fn api(&self, resource: &Resource) -> Api<DynamicObject> {
        if resource.namespaced {
            Api::namespaced_with(self.client.clone(), &resource.key.namespace, &resource.api)
        } else {
            Api::all_with(self.client.clone(), &resource.api)
        }
    }

    /// The live object, `None` when absent.
    ///
    /// # Errors
    /// [`ApplyError::Api`].
    pub async fn get(&self, resource: &Resource) -> Result<Option<DynamicObject>, ApplyError> {
        self.api(resource)
            .get_opt(&resource.key.name)
            .await
            .map_err(|source| ApplyError::Api {
                action: "could not get information about the resource",
                key: resource.key.clone(),
                source: Box::new(source),
            })
    }

    /// Server-side apply of one object: the applier's field manager, conflicts forced,
    /// strict field validation (unknown or duplicate fields are errors).
    ///
    /// # Errors
    /// [`ApplyError::Api`].
    pub async fn apply(&self, resource: &Resource) -> Result<(), ApplyError> {
        let params = PatchParams::apply(&self.field_manager)
            .force()
            .validation_strict();
        self.api(resource)
            .patch(&resource.key.name, &params, &Patch::Apply(&resource.object))
            .await
            .map(|_| ())
            .map_err(|source| ApplyError::Api {
                action: "failed to apply",
                key: resource.key.clone(),
                source: Box::new(source),
            })
    }

    /// What a server-side apply of one object would make of it, without changing anything:
    /// the same patch as [`apply`](Self::apply) (field manager, force, strict validation)
    /// with `dryRun=All`, so defaulting, admission and other managers' fields are in the
    /// answer (Flux: `ResourceManager.Diff` in `fluxcd/pkg/ssa`).
    ///
    /// # Errors
    /// [`ApplyError::Api`].
    pub async fn dry_run_apply(&self, resource: &Resource) -> Result<Value, ApplyError> {
        let params = PatchParams::apply(&self.field_manager)
            .force()
            .validation_strict()
            .dry_run();
        let object = self
            .api(resource)
            .patch(&resource.key.name, &params, &Patch::Apply(&resource.object))
            .await
            .map_err(|source| ApplyError::Api {
                action: "failed to dry-run apply",
                key: resource.key.clone(),
                source: Box::new(source),
            })?;
        Ok(serde_json::to_value(object).unwrap_or(Value::Null))
    }

    /// The drifted objects among `resources` (built with the ownership metadata the release
    /// applies them with): each is read, and when it exists, compared with a dry-run apply of
    /// itself ([`drift::object_drift`]); a missing object is [`drift::DriftChange::Deleted`].
    /// Kinds one after another, the objects of one kind concurrently, as
    /// [`apply_all`](Self::apply_all). Returns the drifted objects in the given order.
    ///
    /// # Errors
    /// The first [`ApplyError::Api`].
    pub async fn detect_drift(
        &self,
        resources: &[Resource],
    ) -> Result<Vec<drift::ObjectDrift>, ApplyError> {
        let mut drifted = Vec::new();
        for batch in plan::kind_batches(resources, |r| r.key.kind.as_str()) {
            let checks = resources[batch].iter().map(|resource| async move {
                let Some(live) = self.get(resource).await? else {
                    return Ok(drift::object_drift(&resource.key, &Value::Null, None));
                };
                let live = serde_json::to_value(live).unwrap_or(Value::Null);
                let desired = self.dry_run_apply(resource).await?;
                Ok::<_, ApplyError>(drift::object_drift(&resource.key, &desired, Some(&live)))
            });
            drifted.extend(try_join_all(checks).await?.into_iter().flatten());
        }
        Ok(drifted)
    }

    /// Applies objects in the given order, kinds one after another and the objects of one
    /// kind concurrently (Helm: `batchPerform`). Stops at the first failing kind.
    ///
    /// # Errors
    /// The first [`ApplyError::Api`].
    pub async fn apply_all(&self, resources: &[Resource]) -> Result<(), ApplyError> {
        for batch in plan::kind_batches(resources, |r| r.key.kind.as_str()) {
            try_join_all(resources[batch].iter().map(|r| self.apply(r))).await?;
        }
        Ok(())
    }

    /// Which of `resources` already exist and may not be taken over: an existing object must
    /// carry this release's ownership metadata (Helm: `existingResourceConflict`) unless
    /// `take_ownership`. Returns the keys of objects that already exist.
    ///
    /// # Errors
    /// [`ApplyError::Ownership`] with Helm's message for the first conflicting object:
    /// `Kind "name" in namespace "ns" exists and cannot be imported into the current
    /// release: invalid ownership metadata; ...`; [`ApplyError::Api`].
    pub async fn check_existing(
        &self,
        resources: &[Resource],
        release_name: &str,
        release_namespace: &str,
        take_ownership: bool,
    ) -> Result<Vec<ObjectKey>, ApplyError> {
        let lives = try_join_all(resources.iter().map(|r| self.get(r))).await?;
        let mut existing = Vec::new();
        for (resource, live) in resources.iter().zip(lives) {
            let Some(live) = live else { continue };
            if !take_ownership {
                let empty = BTreeMap::new();
                let labels = live.metadata.labels.as_ref().unwrap_or(&empty);
                let annotations = live.metadata.annotations.as_ref().unwrap_or(&empty);
                if let Err(message) =
                    object::check_ownership(labels, annotations, release_name, release_namespace)
                {
                    return Err(ApplyError::Ownership {
                        message: format!(
                            "{} exists and cannot be imported into the current release: {message}",
                            resource.key
                        ),
                    });
                }
            }
            existing.push(resource.key.clone());
        }
        Ok(existing)
    }

    /// Deletes one object with background propagation; `Ok(false)` when it was already gone.
    ///
    /// # Errors
    /// [`ApplyError::Api`].
    pub async fn delete(&self, resource: &Resource) -> Result<bool, ApplyError> {
        match self
            .api(resource)
            .delete(&resource.key.name, &DeleteParams::background())
            .await
        {
            Ok(_) => Ok(true),
            Err(KubeError::Api(status)) if status.code == 404 => Ok(false),
            Err(source) => Err(ApplyError::Api {
                action: "failed to delete",
                key: resource.key.clone(),
                source: Box::new(source),
            }),
        }
    }

    /// Deletes objects in the given order unless the live object is annotated
    /// `helm.sh/resource-policy: keep` or does not belong to the release (when
    /// `owner = Some((release, namespace))`, Helm: `verifyOwnershipBeforeDelete`). Returns
    /// (deleted, kept) keys; objects already gone are in neither.
    ///
    /// # Errors
    /// [`ApplyError::Api`] for the first failure.
    pub async fn delete_unless_kept(
        &self,
        resources: &[Resource],
        owner: Option<(&str, &str)>,
    ) -> Result<(Vec<Resource>, Vec<ObjectKey>), ApplyError> {
        let mut deleted = Vec::new();
        let mut kept = Vec::new();
        for resource in resources {
            let Some(live) = self.get(resource).await? else {
                continue;
            };
            let empty = BTreeMap::new();
            let annotations = live.metadata.annotations.as_ref().unwrap_or(&empty);
            let keep = annotations
                .get(super::RESOURCE_POLICY_ANNOTATION)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(super::RESOURCE_POLICY_KEEP));
            let foreign = owner.is_some_and(|(name, ns)| {
                let labels = live.metadata.labels.as_ref().unwrap_or(&empty);
                object::check_ownership(labels, annotations, name, ns).is_err()
            });
            if keep || foreign {
                kept.push(resource.key.clone());
                continue;
            }
            if self.delete(resource).await? {
                deleted.push(resource.clone());
            }
        }
        Ok((deleted, kept))
    }

    /// Installs a chart's CRDs by `policy` (Helm: `Install.installCRDs`): each CRD document
    /// is created when missing (and, with [`CrdPolicy::CreateReplace`], re-applied when
    /// present), then the applier waits for every CRD it wrote to be established and refreshes
    /// discovery so the chart's custom resources resolve. Returns the CRDs written.
    ///
    /// # Errors
    /// [`ApplyError`] from decoding, applying or waiting.
    pub async fn install_crds(
        &self,
        documents: &[String],
        policy: CrdPolicy,
        timeout: Duration,
    ) -> Result<Vec<ObjectKey>, ApplyError> {
        if policy == CrdPolicy::Skip || documents.is_empty() {
            return Ok(Vec::new());
        }
        let mut objects = Vec::new();
        for document in documents {
            objects.extend(object::decode_manifest(document)?);
        }
        let resources = self.build(objects, "", None).await?;
        let mut written = Vec::new();
        for resource in &resources {
            let exists = self.get(resource).await?.is_some();
            if exists && policy == CrdPolicy::Create {
                continue;
            }
            self.apply(resource).await?;
            written.push(resource.clone());
        }
        if !written.is_empty() {
            self.wait_ready(&written, timeout, WaitRule::Kstatus)
                .await?;
            // The API server publishes an Established CRD's kinds in discovery a moment later:
            // refresh until every served kind is there (bounded; discovery has no watch), so the
            // chart's custom resources resolve and `.Capabilities.APIVersions` lists them.
            let expected: Vec<kube::api::GroupVersionKind> = written
                .iter()
                .flat_map(|r| object::crd_served_kinds(&r.object))
                .map(|(group, version, kind)| {
                    kube::api::GroupVersionKind::gvk(&group, &version, &kind)
                })
                .collect();
            let deadline = tokio::time::Instant::now() + CRD_DISCOVERY_WAIT.min(timeout);
            loop {
                let discovery = self.refresh_discovery().await?;
                if expected
                    .iter()
                    .all(|gvk| discovery.resolve_gvk(gvk).is_some())
                    || tokio::time::Instant::now() >= deadline
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(written.into_iter().map(|r| r.key).collect())
    }

    /// Waits, with one watch per object, until every object is ready by `rule`, bounded by
    /// `timeout` (Helm: `statusWaiter.Wait` / `WatchUntilReady`). Deployments paused by
    /// `spec.paused` are not waited for, as in Helm.
    ///
    /// # Errors
    /// [`ApplyError::Failed`] as soon as one object fails; [`ApplyError::Timeout`] naming
    /// every object not ready with its last status and reason; [`ApplyError::Watch`].
    pub async fn wait_ready(
        &self,
        resources: &[Resource],
        timeout: Duration,
        rule: WaitRule,
    ) -> Result<(), ApplyError> {
        let resources: Vec<&Resource> = resources
            .iter()
            .filter(|r| {
                !(r.key.kind == "Deployment"
                    && r.object
                        .get("spec")
                        .and_then(|s| s.get("paused"))
                        .and_then(Value::as_bool)
                        == Some(true))
            })
            .collect();
        let last: Arc<Mutex<HashMap<ObjectKey, Readiness>>> = Arc::default();
        let watches = resources.iter().map(|resource| {
            let api = self.api(resource);
            let key = resource.key.clone();
            let last = last.clone();
            async move {
                let mut stream = std::pin::pin!(watch_object(api, &key.name));
                while let Some(event) = stream.next().await {
                    let object = event.map_err(|e| ApplyError::Watch {
                        key: key.clone(),
                        message: e.to_string(),
                    })?;
                    let state = match &object {
                        None => Readiness {
                            status: Status::NotFound,
                            message: "Resource not found".into(),
                        },
                        Some(object) => {
                            let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
                            // Items of a list carry no kind: the rules need it.
                            if let Value::Object(map) = &mut value {
                                map.insert("kind".into(), Value::String(key.kind.clone()));
                            }
                            match rule {
                                WaitRule::Kstatus => readiness::compute(&value),
                                WaitRule::Hook => readiness::compute_hook(&value),
                            }
                        }
                    };
                    let status = state.status;
                    if let Ok(mut map) = last.lock() {
                        map.insert(key.clone(), state.clone());
                    }
                    match status {
                        Status::Current => return Ok(()),
                        Status::Failed => {
                            return Err(ApplyError::Failed {
                                failed: vec![format!(
                                    "resource {}/{}/{} failed: {}",
                                    key.kind, key.namespace, key.name, state.message
                                )],
                            });
                        }
                        Status::InProgress | Status::NotFound => {}
                    }
                }
                Err(ApplyError::Watch {
                    key,
                    message: "watch ended".into(),
                })
            }
        });
        match tokio::time::timeout(timeout, try_join_all(watches)).await {
            Ok(result) => result.map(|_| ()),
            Err(_) => {
                let map = last.lock().map(|m| m.clone()).unwrap_or_default();
                let pending = resources
                    .iter()
                    .filter_map(|r| {
                        let state = map.get(&r.key);
                        if state.is_some_and(|s| s.status == Status::Current) {
                            return None;
                        }
                        let (status, message) = state
                            .map_or(("Unknown", "no status observed"), |s| {
                                (s.status.as_str(), s.message.as_str())
                            });
                        Some(format!(
                            "resource {}/{}/{} not ready. status: {status}, message: {message}",
                            r.key.kind, r.key.namespace, r.key.name
                        ))
                    })
                    .collect();
                Err(ApplyError::Timeout {
                    what: "readiness",
                    timeout,
                    pending,
                })
            }
        }
    }

    /// Waits until every object is gone (Helm: `WaitForDelete`), bounded by `timeout`.
    ///
    /// # Errors
    /// [`ApplyError::Timeout`] naming the objects still present; [`ApplyError::Watch`].
    pub async fn wait_deleted(
        &self,
        resources: &[Resource],
        timeout: Duration,
    ) -> Result<(), ApplyError> {
        let gone: Arc<Mutex<Vec<ObjectKey>>> = Arc::default();
        let watches = resources.iter().map(|resource| {
            let api = self.api(resource);
            let key = resource.key.clone();
            let gone = gone.clone();
            async move {
                let mut stream = std::pin::pin!(watch_object(api, &key.name));
                while let Some(event) = stream.next().await {
                    let object = event.map_err(|e| ApplyError::Watch {
                        key: key.clone(),
                        message: e.to_string(),
                    })?;
                    if object.is_none() {
                        if let Ok(mut g) = gone.lock() {
                            g.push(key.clone());
                        }
                        return Ok(());
                    }
                }
                Err(ApplyError::Watch {
                    key,
                    message: "watch ended".into(),
                })
            }
        });
        match tokio::time::timeout(timeout, try_join_all(watches)).await {
            Ok(result) => result.map(|_| ()),
            Err(_) => {
                let gone = gone.lock().map(|g| g.clone()).unwrap_or_default();
                Err(ApplyError::Timeout {
                    what: "deletion",
                    timeout,
                    pending: resources
                        .iter()
                        .filter(|r| !gone.contains(&r.key))
                        .map(|r| {
                            format!(
                                "resource {}/{}/{} still exists",
                                r.key.kind, r.key.namespace, r.key.name
                            )
                        })
                        .collect(),
                })
            }
        }
    }
}

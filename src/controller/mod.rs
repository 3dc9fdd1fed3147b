//! The operator: controllers for `HelmRepository` (and, as it lands, `HelmRelease`), with the
//! process around them — Kubernetes client, metrics and probe endpoints, leader election and
//! graceful shutdown.
//!
//! ```text
//!  run(OperatorConfig)
//!    ├─ /metrics server ─── Metrics (shared)
//!    ├─ /healthz, /readyz ─ Readiness
//!    ├─ leader election (optional): wait for the Lease
//!    └─ controllers (one per watched namespace, or one for all), until SIGTERM/SIGINT
//!         HelmRepository: watch (generation or requestedAt changed) → reconcile → IndexStore
//! ```

pub mod events;
pub mod helm_release;
pub mod helm_repository;
pub mod leader;
pub mod metrics;
pub mod release_state;
pub mod secret_data;
pub mod server;
pub mod values;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::Recorder;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};

use tracing::{info, warn};

use crate::api::{HelmRelease, HelmRepository, RECONCILE_REQUESTED_AT_ANNOTATION};
use crate::apply::SharedDiscovery;
use crate::repo::ChartCache;
use helm_repository::IndexStore;
use leader::LeaderElection;
use metrics::Metrics;
use server::Readiness;

/// The field manager of every server-side apply Wheelhouse makes (objects and status).
pub const FIELD_MANAGER: &str = "wheelhouse";

/// Everything `wheelhouse run` is configured with (from flags and environment).
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// Kubeconfig file; `None`: in-cluster config, else `KUBECONFIG`/`~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// Namespaces to watch; empty: all namespaces.
    pub watch_namespaces: Vec<String>,
    /// Only reconcile objects matching this label selector (sharding).
    pub watch_label_selector: Option<String>,
    /// Parallel reconciles per controller; one object is never reconciled twice at once.
    pub concurrent: u16,
    /// Refuse `sourceRef`s into other namespaces.
    pub no_cross_namespace_refs: bool,
    /// Service account impersonated when a HelmRelease names none.
    pub default_service_account: Option<String>,
    /// Directory of the chart archive cache.
    pub chart_cache_dir: PathBuf,
    /// Size bound of the chart cache in bytes.
    pub chart_cache_max_bytes: u64,
    /// Largest repository index accepted, in bytes.
    pub max_index_bytes: u64,
    /// Address of the `/metrics` endpoint.
    pub metrics_bind_address: SocketAddr,
    /// Address of `/healthz` and `/readyz`.
    pub health_probe_bind_address: SocketAddr,
    /// Leader election, when enabled.
    pub leader_election: Option<LeaderElection>,
}

/// The current time as a condition timestamp (the one clock reconcilers read).
pub fn now() -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Time {
    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now())
}

/// Per-object consecutive failure counts, for backoff. `T` is the object key.
#[derive(Debug)]
pub struct FailureCounter<T>(Mutex<HashMap<T, u32>>);

impl<T> Default for FailureCounter<T> {
    fn default() -> Self {
        FailureCounter(Mutex::new(HashMap::new()))
    }
}

impl<T: std::hash::Hash + Eq + Clone> FailureCounter<T> {
    /// Counts one more failure of `key` and returns how many came before it.
    pub fn bump(&self, key: &T) -> u32 {
        let Ok(mut map) = self.0.lock() else { return 0 };
        let count = map.entry(key.clone()).or_default();
        let before = *count;
        *count = count.saturating_add(1);
        before
    }

    /// Forgets the failures of `key` (after a success).
    pub fn reset(&self, key: &T) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(key);
        }
    }
}

/// State shared by every reconcile.
pub struct Context {
    /// The operator's client.
    pub client: Client,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Event recorder.
    pub recorder: Recorder,
    /// Parsed repository indexes.
    pub indexes: IndexStore,
    /// The configuration.
    pub options: OperatorConfig,
    /// Backoff state of HelmRepositories.
    pub repository_failures: FailureCounter<ObjectRef<HelmRepository>>,
    /// Backoff state of HelmReleases.
    pub release_failures: FailureCounter<ObjectRef<HelmRelease>>,
    /// Per HelmRelease, the revision this process last installed or upgraded and the desired
    /// state it was made from (see [`release_state::Desired::released_as`]).
    pub released_from: std::sync::Mutex<
        std::collections::HashMap<ObjectRef<HelmRelease>, helm_release::ReleasedFrom>,
    >,
    /// The client configuration, to derive impersonating clients from.
    pub kube_config: kube::Config,
    /// API discovery shared by every release action.
    pub discovery: SharedDiscovery,
    /// The shared chart archive cache (`None` when the cache directory is unusable: charts
    /// are then downloaded every time).
    pub chart_cache: Option<ChartCache>,
    /// Watch cache of HelmRepositories.
    pub repositories: Store<HelmRepository>,
    /// Watch cache of HelmReleases (for `dependsOn`).
    pub releases: Store<HelmRelease>,
}

impl Context {
    /// Whether the HelmRepository `key` still exists in the watch cache.
    pub fn repository_exists(&self, key: &ObjectRef<HelmRepository>) -> bool {
        self.repositories.get(key).is_some()
    }

    /// The HelmRepository `key` from the watch cache.
    pub fn repository(&self, key: &ObjectRef<HelmRepository>) -> Option<Arc<HelmRepository>> {
        self.repositories.get(key)
    }
}

/// Why the operator stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No usable Kubernetes configuration.
    #[error("cannot configure the Kubernetes client")]
    Config(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The client could not be built.
    #[error("cannot create the Kubernetes client")]
    Client(#[source] kube::Error),
    /// An endpoint could not be served.
    #[error(transparent)]
    Server(#[from] server::ServerError),
    /// Leader election failed.
    #[error(transparent)]
    Leader(#[from] leader::LeaderError),
    /// The Lease was lost: stop so a fresh process competes again (as controller-runtime does).
    #[error("leader election lost: stopping")]
    LeadershipLost,
}

async fn kube_config(config: &OperatorConfig) -> Result<kube::Config, RunError> {
    let kube_config = match &config.kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| RunError::Config(Box::new(e)))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                .await
                .map_err(|e| RunError::Config(Box::new(e)))?
        }
        None if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => {
            kube::Config::incluster().map_err(|e| RunError::Config(Box::new(e)))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| RunError::Config(Box::new(e)))?,
    };
    Ok(kube_config)
}

/// Hash of what should trigger a reconcile: the generation (spec changes, not status writes)
/// and the `reconcile.wheelhouse.dev/requestedAt` annotation.
fn reconcile_trigger<K: Resource>(object: &K) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    object.meta().generation.hash(&mut hasher);
    object
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(RECONCILE_REQUESTED_AT_ANNOTATION))
        .hash(&mut hasher);
    object.meta().deletion_timestamp.is_some().hash(&mut hasher);
    // The finalizer helper adds its finalizer and waits for the resulting change.
    object.meta().finalizers.hash(&mut hasher);
    Some(hasher.finish())
}

/// Runs the operator until SIGTERM/SIGINT (Ok) or a fatal error.
///
/// # Errors
/// [`RunError`] for configuration, endpoint, client or leader-election failures.
pub async fn run(config: OperatorConfig) -> Result<(), RunError> {
    let kube_config = kube_config(&config).await?;
    let client = Client::try_from(kube_config.clone()).map_err(RunError::Client)?;
    let metrics = Arc::new(Metrics::new());
    let readiness = Arc::new(Readiness::default());
    let metrics_server =
        server::metrics_server(config.metrics_bind_address, metrics.clone()).await?;
    let probe_server =
        server::probe_server(config.health_probe_bind_address, readiness.clone()).await?;
    tokio::spawn(async move {
        if let Err(error) = metrics_server.await {
            warn!(
                error = &error as &dyn std::error::Error,
                "metrics endpoint stopped"
            );
        }
    });
    tokio::spawn(async move {
        if let Err(error) = probe_server.await {
            warn!(
                error = &error as &dyn std::error::Error,
                "probe endpoint stopped"
            );
        }
    });
    readiness.set(true);

    let mut election = match &config.leader_election {
        Some(settings) => {
            let election = settings.start(client.clone()).await?;
            info!(lease = %settings.lease_name, namespace = %settings.namespace, identity = %settings.identity, "waiting to become leader");
            Some(election)
        }
        None => None,
    };
    if let Some(election) = election.as_mut() {
        loop {
            if *election.is_leader.borrow_and_update() {
                break;
            }
            tokio::select! {
                changed = election.is_leader.changed() => {
                    if changed.is_err() {
                        return Err(RunError::LeadershipLost);
                    }
                }
                () = shutdown_signal() => return Ok(()),
            }
        }
        info!("became leader: starting controllers");
    }

    let instance = std::env::var("POD_NAME")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok());
    let recorder = Recorder::new(client.clone(), events::reporter(instance));
    let namespaces: Vec<Option<String>> = if config.watch_namespaces.is_empty() {
        vec![None]
    } else {
        config.watch_namespaces.iter().cloned().map(Some).collect()
    };

    let mut watcher_config = watcher::Config::default();
    if let Some(selector) = &config.watch_label_selector {
        watcher_config = watcher_config.labels(selector);
    }
    let apis = |namespace: &Option<String>| -> (Api<HelmRepository>, Api<HelmRelease>) {
        match namespace {
            Some(namespace) => (
                Api::namespaced(client.clone(), namespace),
                Api::namespaced(client.clone(), namespace),
            ),
            None => (Api::all(client.clone()), Api::all(client.clone())),
        }
    };

    // HelmRepositories: reconciled when their generation or requestedAt changes.
    let (repositories, repository_writer) = reflector::store::<HelmRepository>();
    let repository_stream = futures::stream::select_all(
        namespaces
            .iter()
            .map(|namespace| watcher(apis(namespace).0, watcher_config.clone()).boxed()),
    )
    .default_backoff()
    .reflect(repository_writer)
    .applied_objects();

    // HelmReleases: the same trigger; all their changes (status included) also wake the
    // releases that depend on them.
    let (releases, release_writer) = reflector::store::<HelmRelease>();
    let release_events = futures::stream::select_all(
        namespaces
            .iter()
            .map(|namespace| watcher(apis(namespace).1, watcher_config.clone()).boxed()),
    )
    .default_backoff()
    .reflect(release_writer)
    .applied_objects();
    let (release_stream, dependency_stream) = split_stream(release_events);
    let release_stream = release_stream.predicate_filter(reconcile_trigger, Default::default());

    let chart_cache = match ChartCache::open(&config.chart_cache_dir, config.chart_cache_max_bytes)
    {
        Ok(cache) => Some(cache),
        Err(error) => {
            warn!(dir = %config.chart_cache_dir.display(), error = &error as &dyn std::error::Error, "chart cache unusable: charts are downloaded on every use");
            None
        }
    };
    let concurrency = config.concurrent.max(1);
    let ctx = Arc::new(Context {
        client: client.clone(),
        metrics,
        recorder,
        indexes: IndexStore::default(),
        options: config,
        repository_failures: FailureCounter::default(),
        release_failures: FailureCounter::default(),
        released_from: std::sync::Mutex::default(),
        kube_config,
        discovery: SharedDiscovery::default(),
        chart_cache,
        repositories: repositories.clone(),
        releases: releases.clone(),
    });

    // Every HelmRepository change (status included: a new artifact) wakes its HelmReleases.
    let (repository_stream, repository_changes) = split_stream(repository_stream);
    let repository_stream =
        repository_stream.predicate_filter(reconcile_trigger, Default::default());
    let releases_for_sources = releases.clone();
    let source_triggers = repository_changes.flat_map(move |repository| {
        let key = (
            repository.namespace().unwrap_or_default(),
            repository.name_any(),
        );
        let dependents: Vec<ObjectRef<HelmRelease>> = releases_for_sources
            .state()
            .iter()
            .filter(|hr| {
                let source = &hr.spec.chart.spec.source_ref;
                let namespace = source
                    .namespace
                    .clone()
                    .unwrap_or_else(|| hr.namespace().unwrap_or_default());
                (namespace, source.name.clone()) == key
            })
            .map(|hr| ObjectRef::from_obj(hr.as_ref()))
            .collect();
        futures::stream::iter(dependents)
    });
    let releases_for_dependencies = releases.clone();
    let dependency_triggers = dependency_stream.flat_map(move |changed| {
        let key = (changed.namespace().unwrap_or_default(), changed.name_any());
        let dependents: Vec<ObjectRef<HelmRelease>> = releases_for_dependencies
            .state()
            .iter()
            .filter(|hr| {
                hr.spec.depends_on.iter().any(|d| {
                    (
                        d.namespace
                            .clone()
                            .unwrap_or_else(|| hr.namespace().unwrap_or_default()),
                        d.name.clone(),
                    ) == key
                })
            })
            .map(|hr| ObjectRef::from_obj(hr.as_ref()))
            .collect();
        futures::stream::iter(dependents)
    });

    // Helm release Secrets (label owner=helm), metadata only: a revision written by someone
    // else (`helm upgrade`/`rollback` by hand) wakes the HelmRelease that owns the release.
    let secret_config = watcher::Config::default().labels("owner=helm");
    let releases_for_secrets = ctx.releases.clone();
    let storage_triggers = futures::stream::select_all(namespaces.iter().map(|namespace| {
        let api: Api<PartialObjectMeta<Secret>> = match namespace {
            Some(namespace) => Api::namespaced(client.clone(), namespace),
            None => Api::all(client.clone()),
        };
        watcher(api, secret_config.clone()).boxed()
    }))
    .default_backoff()
    .touched_objects()
    .filter_map(|secret| futures::future::ready(secret.ok()))
    .flat_map(move |secret| {
        let release = secret.labels().get("name").cloned().unwrap_or_default();
        let namespace = secret.namespace().unwrap_or_default();
        let owners: Vec<ObjectRef<HelmRelease>> = releases_for_secrets
            .state()
            .iter()
            .filter(|hr| {
                helm_release::release_name(hr) == release
                    && hr
                        .spec
                        .storage_namespace
                        .clone()
                        .unwrap_or_else(|| hr.namespace().unwrap_or_default())
                        == namespace
            })
            .map(|hr| ObjectRef::from_obj(hr.as_ref()))
            .collect();
        futures::stream::iter(owners)
    });

    // ConfigMaps and Secrets named in `valuesFrom` (metadata only): a change wakes the
    // HelmReleases that read them.
    let releases_for_values = ctx.releases.clone();
    let values_triggers = futures::stream::select_all(namespaces.iter().flat_map(|namespace| {
        let (config_maps, secrets): (
            Api<PartialObjectMeta<ConfigMap>>,
            Api<PartialObjectMeta<Secret>>,
        ) = match namespace {
            Some(namespace) => (
                Api::namespaced(client.clone(), namespace),
                Api::namespaced(client.clone(), namespace),
            ),
            None => (Api::all(client.clone()), Api::all(client.clone())),
        };
        [
            watcher(config_maps, watcher::Config::default())
                .default_backoff()
                .touched_objects()
                .filter_map(|o| {
                    futures::future::ready(
                        o.ok()
                            .map(|o| (false, o.namespace().unwrap_or_default(), o.name_any())),
                    )
                })
                .boxed(),
            watcher(secrets, watcher::Config::default().labels("owner!=helm"))
                .default_backoff()
                .touched_objects()
                .filter_map(|o| {
                    futures::future::ready(
                        o.ok()
                            .map(|o| (true, o.namespace().unwrap_or_default(), o.name_any())),
                    )
                })
                .boxed(),
        ]
    }))
    .flat_map(move |(is_secret, namespace, name)| {
        let readers: Vec<ObjectRef<HelmRelease>> = releases_for_values
            .state()
            .iter()
            .filter(|hr| {
                hr.namespace().as_deref() == Some(namespace.as_str())
                    && hr.spec.values_from.iter().any(|r| {
                        r.name == name
                            && (r.kind == crate::api::helm_release::ValuesKind::Secret) == is_secret
                    })
            })
            .map(|hr| ObjectRef::from_obj(hr.as_ref()))
            .collect();
        futures::stream::iter(readers)
    });

    info!(
        concurrency,
        "starting the HelmRepository and HelmRelease controllers"
    );
    let repository_controller = Controller::for_stream(repository_stream, repositories)
        .with_config(controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown_signal())
        .run(
            helm_repository::reconcile,
            helm_repository::error_policy,
            ctx.clone(),
        )
        .for_each(|_| futures::future::ready(()));
    let release_controller = Controller::for_stream(release_stream, releases)
        .with_config(controller::Config::default().concurrency(concurrency))
        .reconcile_on(source_triggers)
        .reconcile_on(dependency_triggers)
        .reconcile_on(storage_triggers)
        .reconcile_on(values_triggers)
        .graceful_shutdown_on(shutdown_signal())
        .run(helm_release::reconcile, helm_release::error_policy, ctx)
        .for_each(|_| futures::future::ready(()));
    let controllers = futures::future::join(repository_controller, release_controller);

    match election {
        Some(mut election) => {
            tokio::select! {
                _ = controllers => Ok(()),
                lost = wait_until_lost(&mut election) => lost,
            }
        }
        None => {
            controllers.await;
            Ok(())
        }
    }
}

/// Tees a stream of watched objects: the first output is the stream itself, the second gets
/// every item too (for triggering other objects). The second is unbounded; it is drained by
/// the controller as fast as triggers are scheduled.
fn split_stream<K: Clone + Send + Sync + 'static>(
    stream: impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static,
) -> (
    impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static,
    impl futures::Stream<Item = K> + Send + 'static,
) {
    let (sender, receiver) = futures::channel::mpsc::unbounded::<K>();
    let main = stream.inspect(move |item| {
        if let Ok(object) = item {
            let _ = sender.unbounded_send(object.clone());
        }
    });
    (main, receiver)
}

async fn wait_until_lost(election: &mut leader::Election) -> Result<(), RunError> {
    loop {
        if election.is_leader.changed().await.is_err() || !*election.is_leader.borrow() {
            return Err(RunError::LeadershipLost);
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
    info!("shutdown signal received: finishing reconciles in progress");
}

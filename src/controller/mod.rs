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
pub mod helm_repository;
pub mod leader;
pub mod metrics;
pub mod release_state;
pub mod server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::Recorder;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};

use tracing::{info, warn};

use crate::api::{HelmRepository, RECONCILE_REQUESTED_AT_ANNOTATION};
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
    repositories: Store<HelmRepository>,
}

impl Context {
    /// Whether the HelmRepository `key` still exists in the watch cache.
    pub fn repository_exists(&self, key: &ObjectRef<HelmRepository>) -> bool {
        self.repositories.get(key).is_some()
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

async fn kube_client(config: &OperatorConfig) -> Result<Client, RunError> {
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
    Client::try_from(kube_config).map_err(RunError::Client)
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
    Some(hasher.finish())
}

/// Runs the operator until SIGTERM/SIGINT (Ok) or a fatal error.
///
/// # Errors
/// [`RunError`] for configuration, endpoint, client or leader-election failures.
pub async fn run(config: OperatorConfig) -> Result<(), RunError> {
    let client = kube_client(&config).await?;
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

    let (repositories, repository_writer) = reflector::store::<HelmRepository>();
    let mut watcher_config = watcher::Config::default();
    if let Some(selector) = &config.watch_label_selector {
        watcher_config = watcher_config.labels(selector);
    }
    let repository_stream = futures::stream::select_all(namespaces.iter().map(|namespace| {
        let api: Api<HelmRepository> = match namespace {
            Some(namespace) => Api::namespaced(client.clone(), namespace),
            None => Api::all(client.clone()),
        };
        watcher(api, watcher_config.clone()).boxed()
    }))
    .default_backoff()
    .reflect(repository_writer)
    .applied_objects()
    .predicate_filter(reconcile_trigger, Default::default());

    let concurrency = config.concurrent.max(1);
    let ctx = Arc::new(Context {
        client: client.clone(),
        metrics,
        recorder,
        indexes: IndexStore::default(),
        options: config,
        repository_failures: FailureCounter::default(),
        repositories: repositories.clone(),
    });
    info!(concurrency, "starting the HelmRepository controller");
    let repository_controller = Controller::for_stream(repository_stream, repositories)
        .with_config(controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown_signal())
        .run(
            helm_repository::reconcile,
            helm_repository::error_policy,
            ctx,
        )
        .for_each(|_| futures::future::ready(()));

    match election {
        Some(mut election) => {
            tokio::select! {
                () = repository_controller => Ok(()),
                lost = wait_until_lost(&mut election) => lost,
            }
        }
        None => {
            repository_controller.await;
            Ok(())
        }
    }
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

//! The operator's HTTP endpoints: `/metrics` on `--metrics-bind-address`, `/healthz` and
//! `/readyz` on `--health-probe-bind-address` (the paths controller-runtime uses, so probe
//! settings carry over from Flux's Deployments).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;

use super::metrics::Metrics;

/// Why an endpoint could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen on {address}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("HTTP server on {address} failed")]
    Serve {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Readiness shared between the controllers and `/readyz`: ready once the API server answered
/// and the caches are being filled; unready again while shutting down.
#[derive(Debug, Default)]
pub struct Readiness(AtomicBool);

impl Readiness {
    /// Marks the process ready (`true`) or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    /// Whether the process is ready.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

async fn metrics(State(metrics): State<Arc<Metrics>>) -> (StatusCode, String) {
    match metrics.encode() {
        Ok(text) => (StatusCode::OK, text),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding failed\n".to_owned(),
        ),
    }
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> (StatusCode, &'static str) {
    if readiness.get() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// Binds `address` (so a taken port fails start-up at once) and returns the server future
/// serving `/metrics`.
///
/// # Errors
/// [`ServerError::Bind`] when the address cannot be bound.
pub async fn metrics_server(
    address: SocketAddr,
    registry: Arc<Metrics>,
) -> Result<impl Future<Output = Result<(), ServerError>>, ServerError> {
    let router = Router::new()
        .route("/metrics", get(metrics))
        .with_state(registry);
    serve(address, router).await
}

/// Binds `address` and returns the server future serving `/healthz` (always ok while the
/// process runs) and `/readyz` (from `readiness`).
///
/// # Errors
/// [`ServerError::Bind`] when the address cannot be bound.
pub async fn probe_server(
    address: SocketAddr,
    readiness: Arc<Readiness>,
) -> Result<impl Future<Output = Result<(), ServerError>>, ServerError> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(readiness);
    serve(address, router).await
}

async fn serve(
    address: SocketAddr,
    router: Router,
) -> Result<impl Future<Output = Result<(), ServerError>>, ServerError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| ServerError::Bind { address, source })?;
    let address = listener.local_addr().unwrap_or(address);
    Ok(async move {
        axum::serve(listener, router)
            .await
            .map_err(|source| ServerError::Serve { address, source })
    })
}

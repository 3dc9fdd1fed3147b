//! `wheelhouse run`: the operator's flags (each with an environment variable) and start-up.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::controller::leader::LeaderElection;
use crate::controller::{self, OperatorConfig};

/// Flags of `wheelhouse run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Kubeconfig file. Default: in-cluster configuration, else `KUBECONFIG`, else
    /// `~/.kube/config`.
    #[arg(long, env = "WHEELHOUSE_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace to watch (repeatable, or comma-separated). Default: all namespaces.
    #[arg(long, env = "WHEELHOUSE_WATCH_NAMESPACE", value_delimiter = ',')]
    pub watch_namespace: Vec<String>,
    /// Only reconcile objects matching this label selector (to shard objects across
    /// several Wheelhouse deployments), e.g. `sharding.wheelhouse.dev/key=shard1`.
    #[arg(long, env = "WHEELHOUSE_WATCH_LABEL_SELECTOR")]
    pub watch_label_selector: Option<String>,
    /// Reconciles run in parallel per controller; one object is never reconciled twice at once.
    #[arg(long, env = "WHEELHOUSE_CONCURRENT", default_value_t = 4)]
    pub concurrent: u16,
    /// Refuse `spec.chart.spec.sourceRef.namespace` pointing outside the HelmRelease's namespace.
    #[arg(long, env = "WHEELHOUSE_NO_CROSS_NAMESPACE_REFS")]
    pub no_cross_namespace_refs: bool,
    /// Service account impersonated for HelmReleases that name none (makes one mandatory in
    /// effect: the operator's own identity is never used for chart objects).
    #[arg(long, env = "WHEELHOUSE_DEFAULT_SERVICE_ACCOUNT")]
    pub default_service_account: Option<String>,
    /// Directory of the chart archive cache (content-addressed, shared by all releases).
    #[arg(long, env = "WHEELHOUSE_CHART_CACHE_DIR", default_value_os_t = std::env::temp_dir().join("wheelhouse-charts"))]
    pub chart_cache_dir: PathBuf,
    /// Size bound of the chart cache: bytes, or with a Ki, Mi or Gi suffix; least recently
    /// used archives are evicted past it.
    #[arg(long, env = "WHEELHOUSE_CHART_CACHE_MAX_SIZE", default_value = "1Gi", value_parser = parse_size)]
    pub chart_cache_max_size: u64,
    /// Largest repository index.yaml accepted: bytes, or with a Ki, Mi or Gi suffix.
    #[arg(long, env = "WHEELHOUSE_MAX_INDEX_SIZE", default_value = "50Mi", value_parser = parse_size)]
    pub max_index_size: u64,
    /// Address of the Prometheus `/metrics` endpoint.
    #[arg(
        long,
        env = "WHEELHOUSE_METRICS_BIND_ADDRESS",
        default_value = "0.0.0.0:8080"
    )]
    pub metrics_bind_address: SocketAddr,
    /// Address of the `/healthz` and `/readyz` endpoints.
    #[arg(
        long,
        env = "WHEELHOUSE_HEALTH_PROBE_BIND_ADDRESS",
        default_value = "0.0.0.0:9440"
    )]
    pub health_probe_bind_address: SocketAddr,
    /// Elect a leader with a coordination.k8s.io Lease: only the leader reconciles.
    #[arg(long, env = "WHEELHOUSE_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Name of the leader election Lease.
    #[arg(
        long,
        env = "WHEELHOUSE_LEADER_ELECTION_ID",
        default_value = "wheelhouse-leader-election"
    )]
    pub leader_election_id: String,
    /// Namespace of the Lease. Default: the pod's namespace (`POD_NAMESPACE`, else the
    /// service account namespace file), else `default`.
    #[arg(long, env = "WHEELHOUSE_LEADER_ELECTION_NAMESPACE")]
    pub leader_election_namespace: Option<String>,
    /// Lease duration in seconds: how long a standby waits after the last renewal.
    #[arg(
        long,
        env = "WHEELHOUSE_LEADER_ELECT_LEASE_DURATION",
        default_value_t = 15
    )]
    pub leader_elect_lease_duration: u64,
    /// Renew deadline in seconds: the leader renews when less than
    /// `lease duration - renew deadline` is left.
    #[arg(
        long,
        env = "WHEELHOUSE_LEADER_ELECT_RENEW_DEADLINE",
        default_value_t = 10
    )]
    pub leader_elect_renew_deadline: u64,
}

/// Parses `123`, `10Ki`, `100Mi`, `1Gi` into bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let (number, multiplier) = match text {
        t if t.ends_with("Ki") => (&t[..t.len() - 2], 1u64 << 10),
        t if t.ends_with("Mi") => (&t[..t.len() - 2], 1 << 20),
        t if t.ends_with("Gi") => (&t[..t.len() - 2], 1 << 30),
        t => (t, 1),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("{text:?} is not a size (bytes, or a number with Ki, Mi or Gi)"))
}

fn own_namespace() -> String {
    std::env::var("POD_NAMESPACE")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace").ok()
        })
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

fn identity() -> String {
    let host = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "wheelhouse".to_owned());
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!("{host}_{}", u32::from_le_bytes(random))
}

/// Runs the operator; returns the exit code (non-zero on a fatal error, logged first).
pub fn run(args: RunArgs) -> ExitCode {
    let RunArgs {
        kubeconfig,
        watch_namespace,
        watch_label_selector,
        concurrent,
        no_cross_namespace_refs,
        default_service_account,
        chart_cache_dir,
        chart_cache_max_size,
        max_index_size,
        metrics_bind_address,
        health_probe_bind_address,
        leader_elect,
        leader_election_id,
        leader_election_namespace,
        leader_elect_lease_duration,
        leader_elect_renew_deadline,
    } = args;
    let config = OperatorConfig {
        kubeconfig,
        watch_namespaces: watch_namespace,
        watch_label_selector,
        concurrent,
        no_cross_namespace_refs,
        default_service_account,
        chart_cache_dir,
        chart_cache_max_bytes: chart_cache_max_size,
        max_index_bytes: max_index_size,
        metrics_bind_address,
        health_probe_bind_address,
        leader_election: leader_elect.then(|| LeaderElection {
            lease_name: leader_election_id,
            namespace: leader_election_namespace.unwrap_or_else(own_namespace),
            identity: identity(),
            lease_duration: Duration::from_secs(leader_elect_lease_duration),
            renew_deadline: Duration::from_secs(leader_elect_renew_deadline),
        }),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(
                error = &error as &dyn std::error::Error,
                "cannot start the async runtime"
            );
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(controller::run(config)) {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(
                error = %crate::controller::helm_repository::error_chain(&error),
                "operator stopped"
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_accept_binary_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("50Mi"), Ok(50 << 20));
        assert_eq!(parse_size("1Gi"), Ok(1 << 30));
        assert!(parse_size("1GB").is_err());
        assert!(parse_size("").is_err());
    }
}

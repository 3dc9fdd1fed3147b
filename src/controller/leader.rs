//! Leader election with a `coordination.k8s.io/v1` Lease, as controller-runtime and Flux do:
//! only the holder reconciles; a standby takes the Lease over when the holder stops renewing.
//!
//! The lease protocol itself is the `kube-lease-manager` crate (server-side apply on the
//! Lease, tolerant of clock skew). Wheelhouse maps its settings onto controller-runtime's:
//! lease duration (default 15 s) and renew deadline (default 10 s): the holder renews when
//! less than `duration - renew_deadline` is left.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use tokio::sync::watch;

/// Leader election settings (`--leader-elect*` flags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderElection {
    /// Name of the Lease.
    pub lease_name: String,
    /// Namespace of the Lease (the operator's own namespace).
    pub namespace: String,
    /// Identity of this process in the Lease (`holderIdentity`): pod name plus a random suffix.
    pub identity: String,
    /// How long a Lease stays valid after its last renewal.
    pub lease_duration: Duration,
    /// How long before expiry the holder must have renewed.
    pub renew_deadline: Duration,
}

/// Why leader election could not run.
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// The renew deadline must be shorter than the lease duration, both whole seconds >= 1.
    #[error(
        "leader election: renew deadline ({renew_deadline:?}) must be at least 1s and shorter than the lease duration ({lease_duration:?})"
    )]
    InvalidTimings {
        /// The lease duration.
        lease_duration: Duration,
        /// The renew deadline.
        renew_deadline: Duration,
    },
    /// The Lease could not be created or read.
    #[error("leader election: cannot use Lease {namespace}/{name}")]
    Lease {
        /// Lease namespace.
        namespace: String,
        /// Lease name.
        name: String,
        /// The cause.
        #[source]
        source: kube_lease_manager::LeaseManagerError,
    },
}

/// A running election: `is_leader` flips to `true` when this process holds the Lease and
/// back to `false` when it loses it. Dropping the receiver releases the Lease.
pub struct Election {
    /// Current leadership; `changed().await` wakes on every flip.
    pub is_leader: watch::Receiver<bool>,
    _task: tokio::task::JoinHandle<Result<LeaseManager, kube_lease_manager::LeaseManagerError>>,
}

impl LeaderElection {
    /// Starts competing for the Lease (created if missing).
    ///
    /// # Errors
    /// [`LeaderError::InvalidTimings`] for unusable durations, [`LeaderError::Lease`] when the
    /// Lease cannot be created or read (RBAC, API server down).
    pub async fn start(&self, client: Client) -> Result<Election, LeaderError> {
        let duration = self.lease_duration.as_secs();
        let renew = self.renew_deadline.as_secs();
        if renew == 0 || renew >= duration {
            return Err(LeaderError::InvalidTimings {
                lease_duration: self.lease_duration,
                renew_deadline: self.renew_deadline,
            });
        }
        let manager = LeaseManagerBuilder::new(client, &self.lease_name)
            .with_namespace(&self.namespace)
            .with_identity(&self.identity)
            .with_duration(duration)
            .with_grace(duration - renew)
            .with_field_manager(format!("wheelhouse-leader-{}", self.identity))
            .build()
            .await
            .map_err(|source| LeaderError::Lease {
                namespace: self.namespace.clone(),
                name: self.lease_name.clone(),
                source,
            })?;
        let (is_leader, task) = manager.watch().await;
        Ok(Election {
            is_leader,
            _task: task,
        })
    }
}

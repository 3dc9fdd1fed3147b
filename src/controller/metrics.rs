//! Prometheus metrics of the operator, served on `--metrics-bind-address` at `/metrics`.
//!
//! Every label comes from a closed set (controller, result, action kind, Helm status, error
//! reason), never from object names or error text, so the number of series stays bounded at
//! any number of releases. Names are prefixed `wheelhouse_`; durations are in seconds.

use std::sync::Arc;
use std::time::Instant;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Which controller a reconcile belongs to.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(
    non_camel_case_types,
    reason = "label values are the lowercase wire strings"
)]
pub enum ControllerName {
    /// The HelmRepository controller.
    helmrepository,
    /// The HelmRelease controller.
    helmrelease,
}

/// How a reconcile ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(
    non_camel_case_types,
    reason = "label values are the lowercase wire strings"
)]
pub enum ReconcileResult {
    /// The object is in sync (or was brought in sync).
    success,
    /// The reconcile returned an error and will be retried with backoff.
    error,
}

/// Labels of the reconcile metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileLabels {
    /// The controller.
    pub controller: ControllerName,
    /// The outcome.
    pub result: ReconcileResult,
    /// The error reason (PascalCase, from a fixed set) or `None` on success.
    pub reason: &'static str,
}

/// Labels of the action metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// `install`, `upgrade`, `rollback`, `uninstall`, `test`, `unlock`, `correct-drift`.
    pub action: &'static str,
    /// `success` or `failure`.
    pub result: &'static str,
}

/// Labels of the hook metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HookLabels {
    /// The hook event (`pre-install`, ...).
    pub event: &'static str,
    /// `succeeded` or `failed`.
    pub result: &'static str,
}

/// How a drift check ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(
    non_camel_case_types,
    reason = "label values are the lowercase wire strings"
)]
pub enum DriftResult {
    /// Every object matches the release manifest.
    in_sync,
    /// At least one object drifted (changed or deleted).
    drifted,
    /// The check could not be made (a read or dry-run failed).
    error,
}

/// Labels of the drift check counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DriftLabels {
    /// The outcome.
    pub result: DriftResult,
}

/// Labels of the releases-by-status gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// Helm release status (`deployed`, `failed`, ...) or `unknown` before the first action.
    pub status: &'static str,
}

/// The operator's metrics, registered once at start-up and shared by every controller.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `wheelhouse_reconcile_total{controller,result,reason}`.
    pub reconciles: Family<ReconcileLabels, Counter>,
    /// `wheelhouse_reconcile_duration_seconds{controller,result,reason}`.
    pub reconcile_duration: Family<ReconcileLabels, Histogram>,
    /// `wheelhouse_release_actions_total{action,result}`.
    pub actions: Family<ActionLabels, Counter>,
    /// `wheelhouse_release_action_duration_seconds{action,result}`.
    pub action_duration: Family<ActionLabels, Histogram>,
    /// `wheelhouse_hook_runs_total{event,result}`.
    pub hook_runs: Family<HookLabels, Counter>,
    /// `wheelhouse_releases{status}`: HelmReleases by the Helm status of their latest revision.
    pub releases: Family<StatusLabels, Gauge>,
    /// `wheelhouse_drift_checks_total{result}`: drift checks of deployed releases
    /// (`driftDetection.mode` `warn` or `enabled`).
    pub drift_checks: Family<DriftLabels, Counter>,
}

fn duration_histogram() -> Histogram {
    // 5 ms .. ~5.5 min in 14 doubling steps: covers a no-op reconcile and a slow install.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("wheelhouse");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        let reconcile_duration = Family::<ReconcileLabels, Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let actions = Family::<ActionLabels, Counter>::default();
        let action_duration = Family::<ActionLabels, Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let hook_runs = Family::<HookLabels, Counter>::default();
        let releases = Family::<StatusLabels, Gauge>::default();
        let drift_checks = Family::<DriftLabels, Counter>::default();
        registry.register(
            "reconcile",
            "Reconciles by controller, result and error reason",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Reconcile duration in seconds",
            reconcile_duration.clone(),
        );
        registry.register(
            "release_actions",
            "Release actions by kind and result",
            actions.clone(),
        );
        registry.register(
            "release_action_duration_seconds",
            "Release action duration in seconds",
            action_duration.clone(),
        );
        registry.register(
            "hook_runs",
            "Hook runs by event and result",
            hook_runs.clone(),
        );
        registry.register(
            "releases",
            "HelmReleases by the Helm status of their latest revision",
            releases.clone(),
        );
        registry.register(
            "drift_checks",
            "Drift checks of deployed releases by result",
            drift_checks.clone(),
        );
        Metrics {
            registry,
            reconciles,
            reconcile_duration,
            actions,
            action_duration,
            hook_runs,
            releases,
            drift_checks,
        }
    }

    /// Records one finished reconcile that started at `started`.
    pub fn observe_reconcile(
        &self,
        controller: ControllerName,
        started: Instant,
        outcome: Result<(), &'static str>,
    ) {
        let labels = match outcome {
            Ok(()) => ReconcileLabels {
                controller,
                result: ReconcileResult::success,
                reason: "None",
            },
            Err(reason) => ReconcileLabels {
                controller,
                result: ReconcileResult::error,
                reason,
            },
        };
        self.reconciles.get_or_create(&labels).inc();
        self.reconcile_duration
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
    }

    /// The metrics in the OpenMetrics text format.
    ///
    /// # Errors
    /// Formatting errors from the encoder (not expected for in-memory strings).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Shared handle to the metrics.
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::expect_used, reason = "test")]
    fn reconciles_are_counted_with_bounded_labels() {
        let metrics = Metrics::new();
        metrics.observe_reconcile(ControllerName::helmrepository, Instant::now(), Ok(()));
        metrics.observe_reconcile(
            ControllerName::helmrepository,
            Instant::now(),
            Err("IndexFetchFailed"),
        );
        let text = metrics.encode().expect("encodes");
        assert!(text.contains(
            "wheelhouse_reconcile_total{controller=\"helmrepository\",result=\"success\",reason=\"None\"} 1"
        ), "{text}");
        assert!(text.contains("reason=\"IndexFetchFailed\"} 1"), "{text}");
        assert!(
            text.contains("wheelhouse_reconcile_duration_seconds_bucket"),
            "{text}"
        );
    }

    #[test]
    #[allow(clippy::expect_used, reason = "test")]
    fn drift_checks_are_counted_by_result() {
        let metrics = Metrics::new();
        let drifted = DriftLabels {
            result: DriftResult::drifted,
        };
        metrics.drift_checks.get_or_create(&drifted).inc();
        metrics.drift_checks.get_or_create(&drifted).inc();
        let text = metrics.encode().expect("encodes");
        assert!(
            text.contains("wheelhouse_drift_checks_total{result=\"drifted\"} 2"),
            "{text}"
        );
    }
}

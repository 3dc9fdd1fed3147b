//! Drift detection and correction for a deployed revision (Flux helm-controller's
//! `driftDetection`, `internal/action/diff.go`): no Helm counterpart, no new revision, no
//! hooks. Detection compares each object of the revision's manifest with a dry-run
//! server-side apply of it ([`Applier::detect_drift`](crate::apply::Applier::detect_drift));
//! correction server-side applies the drifted objects again from the stored manifest.
//! Hooks are not part of the manifest, so they are neither checked nor re-applied.

use std::time::Instant;

use crate::apply::{Applier, ObjectDrift, ObjectKey};
use crate::release::model::Release;

use super::install::resources_of;
use super::{ActionError, ActionKind, Outcome};

/// The objects of `release`'s manifest (with the ownership metadata the release applies them
/// with) that drifted from it, in manifest order; empty when in sync. Reads each object and
/// dry-runs its apply; writes nothing.
///
/// # Errors
/// [`ActionError::Apply`] (action `drift detection`) when the manifest does not decode, a kind
/// is not served, or a read or dry-run fails.
pub async fn detect_drift(
    applier: &Applier,
    release: &Release,
) -> Result<Vec<ObjectDrift>, ActionError> {
    let unavailable = |source| ActionError::Apply {
        action: "drift detection",
        source: Box::new(source),
    };
    let resources = resources_of(applier, release).await.map_err(unavailable)?;
    applier.detect_drift(&resources).await.map_err(unavailable)
}

/// Server-side applies the objects of `release`'s manifest named in `drifted` again (field
/// manager `wheelhouse`, forced, Helm's ownership metadata), kinds in manifest order: a
/// deleted object is created, a changed one gets the manifest's values back. Nothing is
/// recorded in storage and no hooks run; nothing is awaited. The outcome names the revision
/// corrected and the objects applied.
///
/// # Errors
/// [`ActionError::Apply`] (action `drift correction`).
pub async fn correct_drift(
    applier: &Applier,
    release: &Release,
    drifted: &[ObjectKey],
) -> Result<Outcome, ActionError> {
    let started = Instant::now();
    let unavailable = |source| ActionError::Apply {
        action: "drift correction",
        source: Box::new(source),
    };
    let mut outcome = Outcome::new(
        ActionKind::CorrectDrift,
        &release.name,
        &release.namespace,
        release.revision,
    );
    let resources: Vec<_> = resources_of(applier, release)
        .await
        .map_err(unavailable)?
        .into_iter()
        .filter(|r| drifted.contains(&r.key))
        .collect();
    applier.apply_all(&resources).await.map_err(unavailable)?;
    outcome.applied = resources.into_iter().map(|r| r.key).collect();
    outcome.status = release.info.status;
    outcome.description = release.info.description.clone();
    outcome.timings.apply = started.elapsed();
    outcome.timings.total = started.elapsed();
    Ok(outcome)
}

//! Running a release's hooks for one event as Helm 4.3.1 does (`pkg/action/hooks.go`
//! `execHookWithDelayedShutdown`).
//!
//! For the hooks of the event, in order of weight, then name (a stable sort over the record's
//! kind order, so kind breaks the remaining ties):
//! 1. a hook without delete policies gets `before-hook-creation` (written into the record);
//! 2. with `before-hook-creation` the previous hook object is deleted and its deletion awaited;
//! 3. its last run is recorded as `Running` (the release record is updated);
//! 4. it is applied (no ownership metadata, release namespace by default) and awaited: Jobs
//!    until Complete or Failed, Pods until Succeeded or Failed, other kinds are ready once
//!    applied;
//! 5. on failure it is `Failed`: deleted with `hook-failed`, the hooks run before it are
//!    deleted with `hook-succeeded`, and the event fails naming the hook and the reason;
//! 6. when all succeed, every hook with `hook-succeeded` is deleted, last first.
//!
//! CustomResourceDefinition hooks are never deleted. The pure part ([`plan`]) picks and orders
//! the hooks; [`run_hooks`] does the I/O.

use std::time::{Duration, Instant};

use crate::apply::cluster::WaitRule;
use crate::apply::object::decode_manifest;
use crate::apply::{Applier, ApplyError, Resource};
use crate::release::model::{Hook, HookDeletePolicy, HookEvent, HookExecution, HookPhase};
use crate::release::timestamp::Timestamp;
use crate::release::{Release, SecretStorage};

/// Errors from running hooks.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// A hook's manifest does not decode or resolve.
    #[error("unable to build kubernetes object for {event} hook {path}")]
    Build {
        /// The event.
        event: HookEvent,
        /// Template path of the hook.
        path: String,
        /// Why.
        #[source]
        source: ApplyError,
    },
    /// A hook failed: it could not be created, it failed, or it timed out.
    #[error("{event} hook {path} ({kind}/{name}) failed")]
    Failed {
        /// The event.
        event: HookEvent,
        /// Template path.
        path: String,
        /// Hook kind.
        kind: String,
        /// Hook object name.
        name: String,
        /// The reason (a Job's failed condition, a timeout naming the object, an API error).
        #[source]
        source: ApplyError,
    },
    /// Deleting a hook by its delete policy failed.
    #[error("deleting {kind}/{name} of hook {path} by policy {policy} failed")]
    Delete {
        /// Template path.
        path: String,
        /// Hook kind.
        kind: String,
        /// Hook object name.
        name: String,
        /// The policy that asked for the deletion.
        policy: &'static str,
        /// Why.
        #[source]
        source: ApplyError,
    },
}

/// One hook run, for an action's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct HookRun {
    /// Hook object name.
    pub name: String,
    /// Hook kind.
    pub kind: String,
    /// Template path.
    pub path: String,
    /// The event it ran for.
    pub event: HookEvent,
    /// `Succeeded` or `Failed`.
    pub phase: HookPhase,
    /// Wall time from start to completion.
    pub duration: Duration,
}

/// The pure part: which hooks run for an event, in which order.
pub mod plan {
    use crate::release::model::{Hook, HookEvent};

    /// Indices of `hooks` that run on `event`, sorted by weight, then name (Helm:
    /// `hookByWeight` with `sort.Stable`, so equal weight and name keep the record's kind
    /// order). A hook listing the event twice runs twice, as in Helm.
    pub fn hooks_for_event(hooks: &[Hook], event: HookEvent) -> Vec<usize> {
        let mut picked: Vec<usize> = hooks
            .iter()
            .enumerate()
            .flat_map(|(i, h)| {
                h.events
                    .iter()
                    .filter(move |e| **e == event)
                    .map(move |_| i)
            })
            .collect();
        picked.sort_by(|a, b| {
            let (a, b) = (&hooks[*a], &hooks[*b]);
            a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name))
        });
        picked
    }

    /// Whether the hook's policies include `policy` (CRD hooks are never deleted).
    pub fn deletes_on(hook: &Hook, policy: &super::HookDeletePolicy) -> bool {
        hook.kind != "CustomResourceDefinition" && hook.delete_policies.contains(policy)
    }
}

/// Converts the renderer's hooks into record hooks (Helm stores them with an empty last run).
pub fn record_hooks(hooks: &[crate::chart::manifest::Hook]) -> Vec<Hook> {
    hooks
        .iter()
        .map(|h| Hook {
            name: h.name.clone(),
            kind: h.kind.clone(),
            path: h.path.clone(),
            manifest: h.manifest.clone(),
            events: h
                .events
                .iter()
                .filter_map(|e| e.as_str().parse().ok())
                .collect(),
            last_run: HookExecution::default(),
            weight: h.weight,
            delete_policies: h
                .delete_policies
                .iter()
                .map(|p| HookDeletePolicy::from(p.as_str()))
                .collect(),
            output_log_policies: h
                .output_log_policies
                .iter()
                .map(|p| p.as_str().into())
                .collect(),
        })
        .collect()
}

fn now() -> Option<Timestamp> {
    Timestamp::from_system_time(std::time::SystemTime::now())
}

fn policy_name(policy: &HookDeletePolicy) -> &'static str {
    match policy {
        HookDeletePolicy::HookSucceeded => "hook-succeeded",
        HookDeletePolicy::HookFailed => "hook-failed",
        HookDeletePolicy::BeforeHookCreation | HookDeletePolicy::Other(_) => "before-hook-creation",
    }
}

async fn build(
    applier: &Applier,
    hook: &Hook,
    namespace: &str,
) -> Result<Vec<Resource>, ApplyError> {
    let objects = decode_manifest(&hook.manifest)?;
    applier.build(objects, namespace, None).await
}

async fn delete_by_policy(
    applier: &Applier,
    hook: &Hook,
    namespace: &str,
    policy: &HookDeletePolicy,
    timeout: Duration,
) -> Result<(), HookError> {
    if !plan::deletes_on(hook, policy) {
        return Ok(());
    }
    let fail = |source| HookError::Delete {
        path: hook.path.clone(),
        kind: hook.kind.clone(),
        name: hook.name.clone(),
        policy: policy_name(policy),
        source,
    };
    let resources = build(applier, hook, namespace).await.map_err(fail)?;
    let mut deleted = Vec::new();
    for resource in &resources {
        if applier.delete(resource).await.map_err(fail)? {
            deleted.push(resource.clone());
        }
    }
    applier.wait_deleted(&deleted, timeout).await.map_err(fail)
}

/// Saves the record, logging a failure (Helm: `recordRelease` logs and goes on).
pub async fn record(storage: Option<&SecretStorage>, release: &Release) {
    if let Some(storage) = storage
        && let Err(error) = storage.update(release).await
    {
        tracing::warn!(release = %release.name, revision = release.revision, error = %error, "failed to record the release");
    }
}

/// Runs the hooks of `event` of `release` (see the module documentation), updating their
/// delete policies and last runs in `release` and recording it in `storage` before each hook
/// starts. `timeout` bounds each hook's wait and each deletion's wait.
///
/// # Errors
/// [`HookError::Build`], [`HookError::Failed`] (with the hook's name and reason),
/// [`HookError::Delete`]. On error the record in memory holds the failed run; the caller
/// records the release's final state.
pub async fn run_hooks(
    applier: &Applier,
    storage: Option<&SecretStorage>,
    release: &mut Release,
    event: HookEvent,
    timeout: Duration,
) -> Result<Vec<HookRun>, HookError> {
    let order = plan::hooks_for_event(&release.hooks, event);
    let namespace = release.namespace.clone();
    let mut runs = Vec::new();
    for (position, &index) in order.iter().enumerate() {
        if release.hooks[index].delete_policies.is_empty() {
            release.hooks[index].delete_policies = vec![HookDeletePolicy::BeforeHookCreation];
        }
        let hook = release.hooks[index].clone();
        delete_by_policy(
            applier,
            &hook,
            &namespace,
            &HookDeletePolicy::BeforeHookCreation,
            timeout,
        )
        .await?;
        let resources =
            build(applier, &hook, &namespace)
                .await
                .map_err(|source| HookError::Build {
                    event,
                    path: hook.path.clone(),
                    source,
                })?;
        release.hooks[index].last_run = HookExecution {
            started_at: now(),
            completed_at: None,
            phase: HookPhase::Running,
        };
        record(storage, release).await;
        release.hooks[index].last_run.phase = HookPhase::Unknown;
        let started = Instant::now();
        let mut outcome = applier.apply_all(&resources).await;
        if outcome.is_ok() {
            outcome = applier
                .wait_ready(&resources, timeout, WaitRule::Hook)
                .await;
        }
        release.hooks[index].last_run.completed_at = now();
        let failed = outcome.is_err();
        release.hooks[index].last_run.phase = if failed {
            HookPhase::Failed
        } else {
            HookPhase::Succeeded
        };
        runs.push(HookRun {
            name: hook.name.clone(),
            kind: hook.kind.clone(),
            path: hook.path.clone(),
            event,
            phase: release.hooks[index].last_run.phase,
            duration: started.elapsed(),
        });
        if let Err(source) = outcome {
            if let Err(error) = delete_by_policy(
                applier,
                &hook,
                &namespace,
                &HookDeletePolicy::HookFailed,
                timeout,
            )
            .await
            {
                tracing::warn!(hook = %hook.name, error = %error, "error deleting the hook resource on hook failure");
            }
            for &earlier in &order[..position] {
                let earlier = release.hooks[earlier].clone();
                delete_by_policy(
                    applier,
                    &earlier,
                    &namespace,
                    &HookDeletePolicy::HookSucceeded,
                    timeout,
                )
                .await?;
            }
            return Err(HookError::Failed {
                event,
                path: hook.path,
                kind: hook.kind,
                name: hook.name,
                source,
            });
        }
    }
    for &index in order.iter().rev() {
        let hook = release.hooks[index].clone();
        delete_by_policy(
            applier,
            &hook,
            &namespace,
            &HookDeletePolicy::HookSucceeded,
            timeout,
        )
        .await?;
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(name: &str, kind: &str, weight: i64, events: &[HookEvent]) -> Hook {
        Hook {
            name: name.into(),
            kind: kind.into(),
            weight,
            events: events.to_vec(),
            ..Hook::default()
        }
    }

    #[test]
    fn weight_then_name_then_record_order() {
        use HookEvent::*;
        // Record order is kind order (ConfigMap before Job), as the renderer sorts it.
        let hooks = [
            hook("b", "ConfigMap", 0, &[PreInstall]),
            hook("same", "ConfigMap", 5, &[PreInstall, PostInstall]),
            hook("a", "Job", 0, &[PreInstall]),
            hook("same", "Job", 5, &[PreInstall]),
            hook("first", "Job", -3, &[PreInstall]),
            hook("other", "Job", -10, &[PostInstall]),
        ];
        let order: Vec<String> = plan::hooks_for_event(&hooks, PreInstall)
            .into_iter()
            .map(|i| format!("{}/{}", hooks[i].kind, hooks[i].name))
            .collect();
        assert_eq!(
            order,
            [
                "Job/first",
                "Job/a",
                "ConfigMap/b",
                "ConfigMap/same",
                "Job/same"
            ]
        );
        assert_eq!(plan::hooks_for_event(&hooks, PostInstall), vec![5, 1]);
        assert!(plan::hooks_for_event(&hooks, Test).is_empty());
    }

    #[test]
    fn crd_hooks_are_never_deleted() {
        let mut crd = hook("c", "CustomResourceDefinition", 0, &[HookEvent::PreInstall]);
        crd.delete_policies = vec![HookDeletePolicy::HookSucceeded];
        assert!(!plan::deletes_on(&crd, &HookDeletePolicy::HookSucceeded));
        let mut job = hook("j", "Job", 0, &[HookEvent::PreInstall]);
        job.delete_policies = vec![HookDeletePolicy::HookSucceeded];
        assert!(plan::deletes_on(&job, &HookDeletePolicy::HookSucceeded));
        assert!(!plan::deletes_on(&job, &HookDeletePolicy::HookFailed));
    }
}

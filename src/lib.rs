//! Wheelhouse: a Kubernetes operator that makes Helm releases declarative.
//!
//! A `HelmRelease` names a chart, a version range, a `HelmRepository` and values; Wheelhouse
//! fetches the chart, renders it exactly as Helm would, applies the objects with server-side
//! apply, runs the chart's hooks, and records every revision in Helm's own release Secrets so
//! the `helm` CLI keeps working on what it deployed.
//!
//! Module map (pure logic is kept apart from I/O):
//! - [`action`]: release actions (install, upgrade, rollback, uninstall, test, unlock), Helm's
//!   `pkg/action`.
//! - [`apply`]: server-side apply, ownership, prune and kstatus readiness waits.
//! - [`hooks`]: running a release's hooks for one event, with Helm's order and delete policies.
//! - [`api`]: the `HelmRepository` and `HelmRelease` custom resources and their CRDs.
//! - [`chart`]: chart loading, values, rendering and manifest sorting, as Helm 4 does (pure).
//! - [`cli`]: subcommands for people and tests (`wheelhouse template`).
//! - [`template`]: Go `text/template` with Sprig's and Helm's functions (pure).
//! - [`controller`]: the operator process: controllers, metrics, probes, leader election.
//! - [`codec`]: YAML, JSON and TOML encoding and decoding with Helm's Go semantics (pure).
//! - [`release`]: Helm's release record and its Secret storage (`sh.helm.release.v1.*`).
//! - [`repo`]: chart repositories: index parsing and resolution, HTTP fetching, digests, chart cache.
//! - [`semver`]: Masterminds semver v3 versions and constraints, Helm's `kubeVersion` check (pure).
//! - [`telemetry`]: process-wide logging setup (text or JSON lines).
//! - [`tls`]: the single TLS crypto provider (ring) shared by kube and reqwest.
#![forbid(unsafe_code)]

pub mod action;
pub mod api;
pub mod apply;
pub mod chart;
pub mod cli;
pub mod codec;
pub mod controller;
pub mod helper_threads;
pub mod hooks;
pub mod release;
pub mod repo;
pub mod semver;
pub mod telemetry;
pub mod template;
pub mod tls;

//! Helm charts: the chart model, loading charts from directories and archives, values, and
//! rendering, with Helm 4.3.1's semantics.
//!
//! - [`model`]: the loaded chart ([`model::Chart`]): metadata, lock, templates, values, schema,
//!   files and subcharts, as `pkg/chart/v2.Chart`.
//! - [`load`]: loading a chart from a directory (honouring `.helmignore`) or from a `.tgz`
//!   held in memory, with Helm's classification of files, metadata validation and archive
//!   rules, plus stricter archive checks (links, devices, duplicates, per-file size).
//! - [`files`]: the `.Files` template object (`Get`, `GetBytes`, `Glob`, `Lines`, `AsConfig`,
//!   `AsSecrets`), as `pkg/engine/files.go`.
//! - [`values`]: values files, `--set` parsing, coalescing, dependencies' conditions, tags and
//!   import-values, and JSON Schema validation.
//! - [`render`]: rendering a chart with values into manifests, hooks, CRDs and notes.

pub mod files;
pub mod load;
pub mod manifest;
pub mod model;
pub mod render;
pub mod values;

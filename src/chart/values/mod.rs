//! Chart values as Helm 4.3.1 builds them: the user's values from the command line, the
//! dependencies' tags, conditions, aliases and import-values, coalescing with every chart's
//! defaults, and `values.schema.json` validation.
//!
//! The flow of `helm install/upgrade/template` (pkg/action/install.go), as Wheelhouse runs it:
//!
//! 1. [`ValueOptions::merge_values`]: `-f` files, then `--set-json`, `--set`, `--set-string`,
//!    `--set-file`, `--set-literal` (parsers in [`strvals`]).
//! 2. [`process_dependencies`]: resolves aliases, disables subcharts by tags and conditions,
//!    imports values from children (changes the chart tree in place), and returns the
//!    [`Warning`]s Helm logs on the way (non-bool conditions or tags, missing import tables).
//! 3. [`to_render_values`]: [`coalesce_values`] of the processed chart with the user's values,
//!    then [`validate_against_schema`]; the result is the top chart's `.Values`, and
//!    [`subchart_values`] gives each subchart's.
//!
//! Values are `serde_json` maps with the codec's conventions (`i64` numbers are Go `int64`,
//! `f64` numbers Go `float64`). Submodules: [`strvals`] (`--set` parsing), [`user`] (the CLI
//! merge), [`coalesce`], [`dependencies`], [`schema`].
//!
//! Tested against Helm itself: `e2e/oracles/chartvalues` runs Helm's Go packages over the
//! cases whose results are in `testdata/` (fixture charts in `testdata/charts`). Known
//! differences from Helm: schema `$ref`s to `http(s)`/`file` URLs are not
//! fetched; a chart whose Chart.yaml has an empty `dependencies: []` list is treated like one
//! without the key (Helm then still processes the subcharts' own dependencies); when one
//! subchart is used under several aliases, Helm shares the grandchildren's metadata between
//! the copies while Wheelhouse processes each copy on its own; values nested deeper than
//! [`strvals::MAX_NESTING`] in a set line are refused.

pub mod coalesce;
pub mod dependencies;
pub mod schema;
pub mod strvals;
pub mod user;
pub mod warning;

mod gofmt;
mod table;

#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use coalesce::{CoalesceError, coalesce_tables, coalesce_values, merge_tables, merge_values};
pub use dependencies::process_dependencies;
pub use schema::{SchemaError, validate_against_schema};
pub use strvals::StrvalsError;
pub use user::{UserValuesError, ValueOptions};
pub use warning::{Warning, WarningLevel};

use crate::chart::model::Chart;

/// Why the values for rendering could not be built. `Display` is Helm's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValuesError {
    /// Coalescing failed (values for a subchart that are not a map).
    #[error(transparent)]
    Coalesce(#[from] CoalesceError),
    /// The values break a chart's or subchart's schema.
    #[error(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{0}"
    )]
    Schema(#[from] SchemaError),
}

/// Helm's `ToRenderValuesWithSchemaValidation`, values part: the chart's `.Values` for the
/// user's `values`, after [`process_dependencies`] has run on `chart`. Schema validation is
/// skipped when `skip_schema_validation` is set (Helm's `--skip-schema-validation`).
///
/// # Errors
/// [`ValuesError::Coalesce`], or [`ValuesError::Schema`] with Helm's report.
pub fn to_render_values(
    chart: &Chart,
    values: &Map<String, Value>,
    skip_schema_validation: bool,
) -> Result<Map<String, Value>, ValuesError> {
    let coalesced = coalesce_values(chart, values)?;
    if !skip_schema_validation {
        validate_against_schema(chart, &coalesced)?;
    }
    Ok(coalesced)
}

/// The `.Values` a subchart's templates see, given its parent's `.Values` (Helm: pkg/engine
/// `recAllTpls`, `Values.Table(name)`): the table under the subchart's name, or an empty map
/// when that is missing or not a map.
pub fn subchart_values(parent: &Map<String, Value>, name: &str) -> Map<String, Value> {
    match parent.get(name) {
        Some(Value::Object(table)) => table.clone(),
        _ => Map::new(),
    }
}

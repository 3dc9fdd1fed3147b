//! Helm 4.3.1's processing of a chart's dependencies against the values
//! (`pkg/chart/v2/util/dependencies.go`: `ProcessDependencies`).
//!
//! Two passes, both changing the chart tree in place as Helm does:
//!
//! 1. Enabled (`processDependencyEnabled`), top down. For each chart with declared
//!    dependencies: the subcharts are rebuilt as the loaded charts no declaration matches,
//!    then, per declaration, a copy of the first loaded subchart whose name matches and whose
//!    version satisfies the declared range, renamed to the alias if there is one (the
//!    declaration's name becomes the alias too). Every declaration is then enabled; the values
//!    (the given ones coalesced with the chart's) decide: `tags` first (disabled only if some
//!    listed tag is `false` and none is `true`), then the first `condition` path that holds a
//!    bool (paths are relative to the top chart: the parent's path is prefixed). The
//!    Chart.yaml `enabled` field is overwritten, as in Helm. Disabled subcharts and their
//!    declarations are removed, and each remaining subchart is processed with the values
//!    coalesced at this level.
//! 2. Import values (`processDependencyImportValues`), bottom up. For each chart with
//!    declarations, the chart's values become its merged values (its defaults with all
//!    subcharts' under their names, `null`s kept) with the imported tables merged under them:
//!    a string item `x` imports the subchart's `exports.x` table into the parent's top level; a
//!    `{child, parent}` item imports the subchart's `child` table at the parent's `parent`
//!    path (`.` for the top level). Each declaration's `import-values` is rewritten to the
//!    `{child, parent}` form Helm records. Imported tables are shared with the values they
//!    came from until the end, as in Go, so two imports into one path merge into the first
//!    import's source too.

use serde_json::{Map, Value};

use super::coalesce::{self, CoalesceError, MAX_DEPTH};
use super::gofmt;
use super::table::{self, Node, Table};
use super::warning::Warning;
use crate::chart::model::{Chart, Dependency};
use crate::semver::kube::is_compatible_range;
use crate::template::gofmt::go_quote;

/// Helm's `ProcessDependencies`: resolves aliases, tags, conditions and import-values of
/// `chart` and all its subcharts against `values` (the user's values), removing disabled
/// subcharts and setting each chart's values to what Helm's later coalescing starts from.
/// Returns the warnings Helm logs meanwhile, in its order.
///
/// # Errors
/// [`CoalesceError`] from coalescing (values for a subchart that are not a map). Helm wraps
/// it as `chart dependencies processing failed: …`.
pub fn process_dependencies(
    chart: &mut Chart,
    values: &Map<String, Value>,
) -> Result<Vec<Warning>, CoalesceError> {
    let mut warnings = Vec::new();
    process_dependencies_logged(chart, values, &mut warnings)?;
    Ok(warnings)
}

/// [`process_dependencies`] that appends its warnings to `warnings`, so that the warnings
/// logged before a failure are kept (Helm has printed them by then).
///
/// # Errors
/// As [`process_dependencies`].
pub fn process_dependencies_logged(
    chart: &mut Chart,
    values: &Map<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Result<(), CoalesceError> {
    process_enabled(chart, values, "", warnings)?;
    process_import_values(chart, warnings)
}

/// Go's `processDependencyEnabled`.
fn process_enabled(
    chart: &mut Chart,
    values: &Map<String, Value>,
    path: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), CoalesceError> {
    // Go tests for a nil slice; an empty `dependencies:` list cannot be told apart here.
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let loaded = std::mem::take(&mut chart.dependencies);
    let mut rebuilt: Vec<Chart> = loaded
        .iter()
        .filter(|existing| {
            !chart.metadata.dependencies.iter().any(|req| {
                existing.name() == req.name
                    && is_compatible_range(&req.version, &existing.metadata.version)
            })
        })
        .map(clone_chart)
        .collect();
    for req in &mut chart.metadata.dependencies {
        if let Some(copy) = alias_dependency(&loaded, req) {
            rebuilt.push(copy);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    chart.dependencies = rebuilt;
    drop_charts(loaded);
    for req in &mut chart.metadata.dependencies {
        req.enabled = true;
    }
    let tree = coalesce::coalesce_tree(chart, values, false)?;
    process_tags(&mut chart.metadata.dependencies, &tree, warnings);
    process_conditions(&mut chart.metadata.dependencies, &tree, path, warnings);
    let coalesced = coalesce::finish(tree)?;

    let disabled: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    chart
        .dependencies
        .retain(|c| !disabled.iter().any(|n| n == c.name()));
    chart
        .metadata
        .dependencies
        .retain(|r| !disabled.contains(&r.name));
    for sub in &mut chart.dependencies {
        let sub_path = format!("{path}{}.", sub.name());
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            process_enabled(sub, &coalesced, &sub_path, warnings)
        })?;
    }
    table::drop_value(Value::Object(coalesced));
    Ok(())
}

/// Go's `getAliasDependency`: a copy of the first loaded chart matching the declaration's
/// name and version range, named after the alias if any.
fn alias_dependency(charts: &[Chart], req: &Dependency) -> Option<Chart> {
    let found = charts
        .iter()
        .find(|c| c.name() == req.name && is_compatible_range(&req.version, &c.metadata.version))?;
    let mut copy = clone_chart(found);
    if !req.alias.is_empty() {
        copy.metadata.name = req.alias.clone();
    }
    Some(copy)
}

/// Go's `processDependencyTags`. A present tag that is not a bool is ignored with a
/// warning.
fn process_tags(reqs: &mut [Dependency], values: &Table, warnings: &mut Vec<Warning>) {
    let Some(tags) = table::lookup_table(values, "tags") else {
        return;
    };
    for req in reqs {
        let (mut has_true, mut has_false) = (false, false);
        for tag in &req.tags {
            match table::get(&tags, tag).as_ref().map(Node::as_plain) {
                Some(Some(Value::Bool(true))) => has_true = true,
                Some(Some(Value::Bool(false))) => has_false = true,
                Some(_) => warnings.push(Warning::warn(
                    NON_BOOL,
                    [("tag", tag.as_str()), ("chart", req.name.as_str())],
                )),
                None => {}
            }
        }
        if !has_true && has_false {
            req.enabled = false;
        } else if has_true || !has_false {
            req.enabled = true;
        }
    }
}

/// Go's `processDependencyConditions`: the first condition path holding a bool decides; a
/// present non-bool value (also `null`) is skipped with a warning. Go's `PathValue` fails
/// only with "no value" for a non-empty path, so its other warning cannot happen.
fn process_conditions(
    reqs: &mut [Dependency],
    values: &Table,
    path: &str,
    warnings: &mut Vec<Warning>,
) {
    for req in reqs {
        for condition in go_trim_space(&req.condition).split(',') {
            if condition.is_empty() {
                continue;
            }
            let full = format!("{path}{condition}");
            match table::path_value(values, &full) {
                Some(Value::Bool(b)) => {
                    req.enabled = b;
                    break;
                }
                Some(_) => warnings.push(Warning::warn(
                    NON_BOOL,
                    [("path", condition), ("chart", req.name.as_str())],
                )),
                None => {}
            }
        }
    }
}

/// Helm's message for a condition or tag that is not a bool.
const NON_BOOL: &str = "returned non-bool value";

/// Go's `strings.TrimSpace` (Unicode white space).
fn go_trim_space(text: &str) -> &str {
    text.trim_matches(char::is_whitespace)
}

/// Go's `processDependencyImportValues`: children first, then the chart itself.
fn process_import_values(
    chart: &mut Chart,
    warnings: &mut Vec<Warning>,
) -> Result<(), CoalesceError> {
    for sub in &mut chart.dependencies {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            process_import_values(sub, warnings)
        })?;
    }
    import_values(chart, warnings)
}

/// Go's `processImportValues` with `merge` true (the only way Helm 4.3.1 calls it). An item
/// whose source is not a table is skipped with Helm's warning.
fn import_values(chart: &mut Chart, warnings: &mut Vec<Warning>) -> Result<(), CoalesceError> {
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let merged = coalesce::coalesce_tree(chart, &Map::new(), true)?;
    let imported = table::new_table();
    for req in &mut chart.metadata.dependencies {
        let mut recorded = Vec::new();
        for item in &req.import_values {
            let (child, parent, pair_form) = match item {
                Value::Object(pair) => {
                    let show = |key: &str| gofmt::sprint_v(pair.get(key).unwrap_or(&Value::Null));
                    (show("child"), show("parent"), true)
                }
                Value::String(name) => (format!("exports.{name}"), ".".to_owned(), false),
                _ => continue,
            };
            recorded.push(record(&child, &parent));
            let source = match table::find_table(&merged, &format!("{}.{child}", req.name)) {
                Ok(source) => source,
                Err(missing) => {
                    let error = format!("{} is not a table", go_quote(&missing));
                    warnings.push(if pair_form {
                        Warning::warn(
                            "ImportValues missing table from chart",
                            [("chart", req.name.as_str()), ("error", error.as_str())],
                        )
                    } else {
                        Warning::warn("ImportValues missing table", [("error", error)])
                    });
                    continue;
                }
            };
            // Go's `Values.AsMap` hands out a new map when the table is empty.
            let source = if source.borrow().is_empty() {
                table::new_table()
            } else {
                source
            };
            let wrapped = if parent == "." {
                source
            } else {
                path_to_map(&parent, source)
            };
            coalesce::coalesce_tables_full_key(&imported, &wrapped, true);
        }
        req.import_values = recorded;
    }
    let copy = table::deep_copy(&merged, MAX_DEPTH);
    table::dispose(merged);
    let copy = copy.ok_or(CoalesceError::TooDeep { limit: MAX_DEPTH })?;
    coalesce::coalesce_tables_full_key(&copy, &imported, true);
    let values = coalesce::finish(copy)?;
    table::drop_value(Value::Object(std::mem::replace(&mut chart.values, values)));
    table::dispose(imported);
    Ok(())
}

/// A copy of a chart tree (Helm copies charts when resolving aliases) whose values are
/// cloned on a growable stack.
fn clone_chart(chart: &Chart) -> Chart {
    Chart {
        metadata: chart.metadata.clone(),
        lock: chart.lock.clone(),
        templates: chart.templates.clone(),
        values: table::clone_map(&chart.values),
        values_raw: chart.values_raw.clone(),
        schema: chart.schema.clone(),
        files: chart.files.clone(),
        raw: chart.raw.clone(),
        dependencies: chart
            .dependencies
            .iter()
            .map(|c| stacker::maybe_grow(64 * 1024, 1024 * 1024, || clone_chart(c)))
            .collect(),
    }
}

/// Drops charts whose values may nest deeply without recursing once per level.
fn drop_charts(charts: Vec<Chart>) {
    let mut pending = charts;
    while let Some(mut chart) = pending.pop() {
        table::drop_value(Value::Object(std::mem::take(&mut chart.values)));
        pending.append(&mut chart.dependencies);
    }
}

/// The `{child, parent}` map Helm records in place of an import-values item.
fn record(child: &str, parent: &str) -> Value {
    let mut pair = Map::new();
    pair.insert("child".to_owned(), Value::String(child.to_owned()));
    pair.insert("parent".to_owned(), Value::String(parent.to_owned()));
    Value::Object(pair)
}

/// Go's `pathToMap` for a path other than `.`: `a.b` and `data` give `{a: {b: data}}`.
fn path_to_map(path: &str, data: Table) -> Table {
    let mut current = data;
    for step in path.rsplit('.') {
        let wrapper = table::new_table();
        table::insert(&wrapper, step, Node::Map(current));
        current = wrapper;
    }
    current
}

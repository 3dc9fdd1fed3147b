//! Coalescing a chart's values with its subcharts' and the user's, as Helm 4.3.1 does
//! (`pkg/chart/common/util/coalesce.go`: `CoalesceValues`, `MergeValues`, `CoalesceTables`,
//! `MergeTables`).
//!
//! Rules, for a chart and the values given to it (user values at the top):
//! - given values win over the chart's `values.yaml`; maps merge key by key, scalars and lists
//!   replace;
//! - a given `null` deletes the chart's default (when coalescing; merging keeps the `null`),
//!   and `null`s among chart defaults never reach the result when coalescing;
//! - each subchart (by its current name, i.e. its alias once dependencies are processed) gets
//!   the table under its name, coalesced recursively with its own defaults;
//! - the parent's `global` table is copied into each subchart's `global`, the parent's entries
//!   winning; nested global maps are shared with the parent as in Go, so a subchart's nested
//!   global defaults also appear in the parent's and later siblings' `global`.
//!
//! Helm's warnings (`skipped value for …: Not a table.`) are not reproduced; the values are.

use serde_json::{Map, Value};

use super::gofmt;
use super::table::{self, Node, Table};
use crate::chart::model::Chart;

/// The deepest values tree coalescing accepts: go-yaml's limit on parsed values plus room for
/// the levels `import-values` parent paths add. Only a reference cycle could exceed it.
pub const MAX_DEPTH: usize = 20_000;

/// Coalescing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoalesceError {
    /// The values for a subchart are not a map (Helm: `type mismatch on <name>: <%t of the
    /// value>`, e.g. `type mismatch on sub: %!t(string=x)`).
    #[error("type mismatch on {name}: {found}")]
    TypeMismatch {
        /// The subchart's name (alias).
        name: String,
        /// The value as Go's `%t` prints it.
        found: String,
    },
    /// The result nests deeper than [`MAX_DEPTH`].
    #[error("values nest deeper than {limit} levels")]
    TooDeep {
        /// [`MAX_DEPTH`].
        limit: usize,
    },
}

/// Helm's `CoalesceValues`: `values` (e.g. the user's) over the chart's defaults and those of
/// every subchart in [`Chart::dependencies`], removing deleted keys and default `null`s.
///
/// The result is what templates get as `.Values` for the chart; a subchart's `.Values` is the
/// table under its name (see [`super::subchart_values`]).
///
/// # Errors
/// [`CoalesceError::TypeMismatch`] when the values for a subchart are not a map.
pub fn coalesce_values(
    chart: &Chart,
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, CoalesceError> {
    finish(coalesce_tree(chart, values, false)?)
}

/// Helm's `MergeValues` (of `pkg/chart/common/util`): like [`coalesce_values`] but every
/// `null` is kept.
///
/// # Errors
/// As [`coalesce_values`].
pub fn merge_values(
    chart: &Chart,
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, CoalesceError> {
    finish(coalesce_tree(chart, values, true)?)
}

/// Helm's `CoalesceTables`: `src` merged under `dst` (`dst` wins; a `null` in `dst` over a
/// non-null `src` value deletes the key).
pub fn coalesce_tables(dst: &Map<String, Value>, src: &Map<String, Value>) -> Map<String, Value> {
    tables(dst, src, false)
}

/// Helm's `MergeTables`: like [`coalesce_tables`] but `null`s in `dst` are kept.
pub fn merge_tables(dst: &Map<String, Value>, src: &Map<String, Value>) -> Map<String, Value> {
    tables(dst, src, true)
}

fn tables(dst: &Map<String, Value>, src: &Map<String, Value>, merge: bool) -> Map<String, Value> {
    let d = table::from_map(dst);
    let s = table::from_map(src);
    coalesce_tables_full_key(&d, &s, merge);
    let out = table::into_map(d, MAX_DEPTH).unwrap_or_default();
    table::dispose(s);
    out
}

/// Runs Helm's `coalesce` on a fresh copy of `values`, returning the shared-map tree.
pub(crate) fn coalesce_tree(
    chart: &Chart,
    values: &Map<String, Value>,
    merge: bool,
) -> Result<Table, CoalesceError> {
    let dest = table::from_map(values);
    match coalesce(chart, &dest, merge) {
        Ok(()) => Ok(dest),
        Err(e) => {
            table::dispose(dest);
            Err(e)
        }
    }
}

/// Converts a finished tree back to plain values.
pub(crate) fn finish(tree: Table) -> Result<Map<String, Value>, CoalesceError> {
    table::into_map(tree, MAX_DEPTH).ok_or(CoalesceError::TooDeep { limit: MAX_DEPTH })
}

fn coalesce(chart: &Chart, dest: &Table, merge: bool) -> Result<(), CoalesceError> {
    coalesce_chart_values(chart, dest, merge);
    coalesce_deps(chart, dest, merge)
}

/// Go's `coalesceDeps`.
fn coalesce_deps(chart: &Chart, dest: &Table, merge: bool) -> Result<(), CoalesceError> {
    for sub in &chart.dependencies {
        let name = sub.name();
        let sub_values = match table::get(dest, name) {
            None => {
                let t = table::new_table();
                table::insert(dest, name, Node::Map(t.clone()));
                t
            }
            Some(Node::Map(t)) => t,
            Some(Node::Plain(v)) => {
                return Err(CoalesceError::TypeMismatch {
                    name: name.to_owned(),
                    found: bad_verb_t(&v),
                });
            }
        };
        coalesce_globals(&sub_values, dest);
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || coalesce(sub, &sub_values, merge))?;
    }
    Ok(())
}

/// Go's `%t` applied to a non-bool value (`%!t(string=x)`); lists element by element.
fn bad_verb_t(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Null => "%!t(<nil>)".to_owned(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(bad_verb_t).collect();
            format!("[{}]", parts.join(" "))
        }
        other => format!(
            "%!t({}={})",
            gofmt::type_name(other),
            gofmt::sprint_v(other)
        ),
    }
}

/// Go's `coalesceGlobals`: the parent's (`src`) `global` entries into the subchart's
/// (`dest`) `global`, parent first; map entries are shallow copies, merged top-down with what
/// the subchart already had.
fn coalesce_globals(dest: &Table, src: &Table) {
    let dest_globals = match table::get(dest, "global") {
        None => table::new_table(),
        Some(Node::Map(t)) => t,
        Some(Node::Plain(_)) => return,
    };
    let src_globals = match table::get(src, "global") {
        None => table::new_table(),
        Some(Node::Map(t)) => t,
        Some(Node::Plain(_)) => return,
    };
    for (key, value) in table::entries(&src_globals) {
        match value {
            Node::Map(src_map) => {
                let copy = table::shallow_copy(&src_map);
                match table::get(&dest_globals, &key) {
                    None => table::insert(&dest_globals, key, Node::Map(copy)),
                    Some(Node::Map(existing)) => {
                        coalesce_tables_full_key(&copy, &existing, true);
                        table::insert(&dest_globals, key, Node::Map(copy));
                    }
                    // Go: "Conflict: cannot merge map onto non-map". Skipped.
                    Some(Node::Plain(_)) => {}
                }
            }
            plain => {
                if !matches!(table::get(&dest_globals, &key), Some(Node::Map(_))) {
                    table::insert(&dest_globals, key, plain);
                }
            }
        }
    }
    table::insert(dest, "global", Node::Map(dest_globals));
}

/// Go's `coalesceValues`: the chart's own defaults under the given values `v`.
fn coalesce_chart_values(chart: &Chart, v: &Table, merge: bool) {
    let defaults = table::from_map(&chart.values);
    for (key, default) in table::entries(&defaults) {
        match table::get(v, &key) {
            Some(given) => {
                if given.is_null() && !merge {
                    table::remove(v, &key);
                } else if let Node::Map(dest) = given {
                    // A non-map default under a given map: Go warns and keeps the given map.
                    if let Node::Map(src) = default {
                        let merge = merge || chart.dependencies.iter().any(|d| d.name() == &*key);
                        if !merge {
                            clean_nil_values(&src);
                        }
                        coalesce_tables_full_key(&dest, &src, merge);
                    }
                }
            }
            None => {
                if !merge {
                    if default.is_null() {
                        continue;
                    }
                    if let Node::Map(sub) = &default {
                        clean_nil_values(sub);
                    }
                }
                table::insert(v, key, default);
            }
        }
    }
    table::dispose(defaults);
}

/// Go's `coalesceTablesFullKey`: `src` merged under `dst`, `dst` winning.
pub(crate) fn coalesce_tables_full_key(dst: &Table, src: &Table, merge: bool) {
    let src_non_nil: std::collections::BTreeSet<table::Key> = table::entries(src)
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k)
        .collect();
    for (key, value) in table::entries(dst) {
        if value.is_null() {
            table::insert(src, key, Node::plain(Value::Null));
        }
    }
    for (key, value) in table::entries(src) {
        let existing = table::get(dst, &key);
        match (existing, value) {
            (Some(d), _) if !merge && d.is_null() && src_non_nil.contains(&key) => {
                table::remove(dst, &key);
            }
            (None, value) => table::insert(dst, key, value),
            (Some(Node::Map(d)), Node::Map(s)) => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    coalesce_tables_full_key(&d, &s, merge)
                });
            }
            // Table over non-table or the reverse: Go warns and keeps dst.
            _ => {}
        }
    }
}

/// Go's `cleanNilValues`: removes `null`s at every level, in place.
fn clean_nil_values(t: &Table) {
    for (key, value) in table::entries(t) {
        match value {
            Node::Plain(v) if v.is_null() => table::remove(t, &key),
            Node::Map(sub) => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || clean_nil_values(&sub))
            }
            Node::Plain(_) => {}
        }
    }
}

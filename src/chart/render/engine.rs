//! Helm's template engine over a chart tree (`pkg/engine/engine.go` of Helm v4.3.1): every
//! template of the chart and of its subcharts parsed into one template set, then every
//! non-partial template executed with its chart's scoped values.
//!
//! - Template names are `<ChartFullPath>/<file>`: `top/templates/x.yaml`,
//!   `top/charts/sub/templates/y.yaml`. Library charts contribute only their partials.
//! - Parse order: most `/` first, ties in reverse byte order (Go sorts with
//!   `sort.Reverse(byPathLen)`); a later non-empty `define` of a name replaces an earlier
//!   one, so the parent chart's definitions win over its subcharts', and among files of the
//!   same depth the alphabetically first file wins.
//! - Each chart's templates see a map with `Chart` (metadata plus `IsRoot`), `Files`,
//!   `Release`, `Capabilities`, `Values` (the root's coalesced values, or the parent's
//!   `Values.<name>` table, or an empty `common.Values`), `Subcharts` (each child's map) and,
//!   set just before each execution, `Template` (`Name`, `BasePath`).
//! - Templates execute in parse order; files whose base name starts with `_` are skipped.
//!   The first failure ends the render with Helm's reformatted message. `<no value>` is
//!   removed from every output.
//! - Speed, not semantics: [`TemplatesWhileLoading`] (while a chart is read) or
//!   [`parse_ahead`] (once it is loaded) parse its templates on a helper thread while the
//!   rest of loading and values processing go on; the set takes only trees parsed from the
//!   same bytes, under or renamed to the final name.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::chart::files::files_value;
use crate::chart::model::{Chart, ChartPath};
use crate::helper_threads;
use crate::template::helm_funcs::{HelmFuncOptions, HostResolver, LookupFn};
use crate::template::value::Str;
use crate::template::value::go_lossy;
use crate::template::{
    self, FuncMap, MissingKey, NamedSource, Options, ParseAhead, TemplateSet, Value,
};

use super::objects::{chart_value, values_type, values_value};

/// Name of the root template of Helm's set (appears in `no template ... associated with
/// template "gotpl"` errors).
const ROOT_TEMPLATE: &str = "gotpl";

/// What the engine needs besides the chart.
#[derive(Clone, Default)]
pub struct EngineOptions {
    /// `missingkey=error` instead of `missingkey=zero` (Helm's `Strict`).
    pub strict: bool,
    /// Cluster access for `lookup`; `None` gives Helm's offline behaviour (empty map).
    pub lookup: Option<Arc<LookupFn>>,
    /// DNS for `getHostByName` (Helm's `--enable-dns`); `None` returns `""`.
    pub resolver: Option<Arc<HostResolver>>,
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("strict", &self.strict)
            .field("lookup", &self.lookup.is_some())
            .field("resolver", &self.resolver.is_some())
            .finish()
    }
}

/// Why the engine failed. Messages are Helm's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A template does not parse: `parse error at (NAME:LINE): MESSAGE`.
    #[error("{message}")]
    Parse {
        /// Template name.
        template: String,
        /// Helm's text (`cleanupParseError`).
        message: String,
    },
    /// A template failed while executing: `execution error at (NAME:L:C): MESSAGE` or
    /// Helm's multi-line trace.
    #[error("{message}")]
    Exec {
        /// Template name.
        template: String,
        /// Helm's text (`reformatExecErrorMsg`).
        message: String,
    },
}

/// The values every chart shares: `.Release`, `.Capabilities`, and the root's `.Values`.
pub struct TopValues {
    /// `.Release`.
    pub release: Value,
    /// `.Capabilities`.
    pub capabilities: Value,
    /// The root chart's `.Values` (a `common.Values`).
    pub values: Value,
}

struct Renderable {
    /// The template file's bytes, shared with the chart (the parser replaces bytes that are
    /// not UTF-8 by U+FFFD).
    source: Arc<[u8]>,
    /// The chart's template data map, shared by all its templates (as in Go).
    data: Value,
    base_path: String,
}

/// Renders every template of `chart` (the root) and its subcharts; returns template name →
/// output for all non-partial templates (including `NOTES.txt` files). Output that is not
/// UTF-8 (a Go string of other bytes was printed) has each invalid byte replaced by U+FFFD;
/// [`render_templates_bytes`] keeps the bytes.
///
/// # Errors
/// [`EngineError::Parse`] for the first template (in parse order) that does not parse,
/// [`EngineError::Exec`] for the first that fails to execute.
pub fn render_templates(
    chart: &Chart,
    top: &TopValues,
    options: &EngineOptions,
) -> Result<BTreeMap<String, String>, EngineError> {
    Ok(render_templates_bytes(chart, top, options, None)?
        .into_iter()
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes).unwrap_or_else(|e| go_lossy(e.as_bytes()));
            (name, text)
        })
        .collect())
}

/// [`render_templates`] with each output as the bytes Go produces (Go strings, and so
/// template output, may hold bytes that are not UTF-8). `ahead` is a thread already parsing
/// the chart's templates ([`parse_ahead`], [`TemplatesWhileLoading`]).
///
/// # Errors
/// As [`render_templates`].
pub fn render_templates_bytes(
    chart: &Chart,
    top: &TopValues,
    options: &EngineOptions,
    ahead: Option<ParseAhead>,
) -> Result<BTreeMap<String, Vec<u8>>, EngineError> {
    let mut rendered = BTreeMap::new();
    render_templates_each(chart, top, options, ahead, &mut |name, output| {
        rendered.insert(name, output);
    })?;
    Ok(rendered)
}

/// [`render_templates_bytes`] that hands each template's output to `emit` (template name,
/// bytes) as soon as it has executed, in Helm's execution order (deepest paths first, then
/// reverse byte order), so the caller can work on it while later templates execute.
///
/// # Errors
/// As [`render_templates`]; outputs already emitted stay with the caller.
pub fn render_templates_each(
    chart: &Chart,
    top: &TopValues,
    options: &EngineOptions,
    ahead: Option<ParseAhead>,
    emit: &mut dyn FnMut(String, Vec<u8>),
) -> Result<(), EngineError> {
    let mut templates: BTreeMap<String, Renderable> = BTreeMap::new();
    collect(
        chart,
        &ChartPath::root(chart.name()),
        None,
        top,
        &mut templates,
    );

    let mut names: Vec<&String> = templates.keys().collect();
    // Go: sort.Reverse(byPathLen): more slashes first, then reverse byte order.
    names.sort_by(|a, b| {
        let depth = |s: &str| s.bytes().filter(|&c| c == b'/').count();
        depth(b).cmp(&depth(a)).then_with(|| b.cmp(a))
    });

    let mut set = TemplateSet::new(ROOT_TEMPLATE, func_map(options), engine_options(options));
    let sources: Vec<NamedSource<'_>> = names
        .iter()
        .map(|name| (name.as_str(), templates[*name].source.clone()))
        .collect();
    // The thread parsing ahead and this one parse what is left of the templates rendered here;
    // its helper then returns to the budget for any template parsed under another name (an
    // aliased subchart).
    let parsed_ahead = ahead
        .map(|ahead| {
            let needed: Vec<&Arc<[u8]>> = sources.iter().map(|(_, source)| source).collect();
            ahead.finish(&needed)
        })
        .unwrap_or_default();
    let helpers = parse_helpers(&sources);
    set.add_all_with(&sources, 1 + helpers.count(), parsed_ahead)
        .map_err(|(i, e)| EngineError::Parse {
            template: names[i].clone(),
            message: template::helm_parse_error_message(names[i], &e),
        })?;
    drop(helpers);

    for name in names {
        if base_name(name).starts_with('_') {
            continue;
        }
        let r = &templates[name];
        if let Value::Map(m) = &r.data {
            let mut entries = BTreeMap::new();
            entries.insert(Str::from("Name"), Value::from(name.as_str()));
            entries.insert(Str::from("BasePath"), Value::from(r.base_path.as_str()));
            m.borrow_mut()
                .entries
                .insert(Str::from("Template"), values_value(entries));
        }
        let output = set
            .render_bytes(name, &r.data)
            .map_err(|e| EngineError::Exec {
                template: name.clone(),
                message: template::helm_exec_error_message(name, &e),
            })?;
        emit(name.clone(), output);
    }
    // Tearing down the trees of a large chart takes milliseconds the caller need not wait for.
    helper_threads::drop_in_background("template-set-drop", set);
    Ok(())
}

/// Starts parsing the templates of `chart` (as loaded: before its dependencies are
/// processed) on a helper thread, under the names they will have unless an
/// alias renames their subchart; [`render_templates_bytes`] takes what was parsed for the
/// templates it renders. `None` for charts with less than 256 KiB of templates (not worth a
/// thread) or when no helper thread is granted.
pub fn parse_ahead(chart: &Chart, options: &EngineOptions) -> Option<ParseAhead> {
    let sources = chart_template_sources(chart);
    let bytes: usize = sources.iter().map(|(_, s)| s.len()).sum();
    if bytes < PARALLEL_FROM_BYTES {
        return None;
    }
    let ahead = ParseAhead::start(func_map(options))?;
    push_sources(&ahead, sources);
    Some(ahead)
}

/// Gives `ahead` the templates of the loaded `chart` it has not had yet (those of subcharts
/// packed as archives under `charts/`, which are read only when the chart is assembled).
pub fn queue_remaining_templates(chart: &Chart, ahead: &ParseAhead) {
    push_sources(ahead, chart_template_sources(chart));
}

/// The templates of `chart` and its subcharts, named as [`collect`] names them.
fn chart_template_sources(chart: &Chart) -> Vec<(String, Arc<[u8]>)> {
    let mut sources = Vec::new();
    template_sources(chart, &ChartPath::root(chart.name()), &mut sources);
    sources
}

/// Queues `sources` on `ahead` (a source it already has is skipped there).
fn push_sources(ahead: &ParseAhead, sources: Vec<(String, Arc<[u8]>)>) {
    for (name, source) in sources {
        ahead.push(name, source);
    }
}

/// Template files seen while a chart is being read, parsed ahead on a helper thread (under
/// their path in the chart as provisional name) once they reach 256 KiB: parsing then
/// overlaps the rest of reading and loading. Files are offered with chart-relative paths;
/// those under a `templates/` directory (of the chart or of a subchart directory) are taken.
pub struct TemplatesWhileLoading {
    /// The render's engine options, until the thread starts (or is refused).
    options: Option<EngineOptions>,
    pending: Vec<(String, Arc<[u8]>)>,
    pending_bytes: usize,
    ahead: Option<ParseAhead>,
}

impl TemplatesWhileLoading {
    /// Nothing seen yet; `options` are those the chart will render with.
    pub fn new(options: &EngineOptions) -> TemplatesWhileLoading {
        TemplatesWhileLoading {
            options: Some(options.clone()),
            pending: Vec::new(),
            pending_bytes: 0,
            ahead: None,
        }
    }

    /// One file of the chart as read (`name` relative to the chart root).
    pub fn offer(&mut self, name: &str, data: &Arc<[u8]>) {
        if !(name.starts_with("templates/") || name.contains("/templates/")) {
            return;
        }
        if let Some(ahead) = &self.ahead {
            ahead.push(name.to_string(), data.clone());
            return;
        }
        if self.options.is_none() {
            // The helper thread was refused: nothing is parsed ahead.
            return;
        }
        self.pending.push((name.to_string(), data.clone()));
        self.pending_bytes += data.len();
        if self.pending_bytes < PARALLEL_FROM_BYTES {
            return;
        }
        if let Some(options) = self.options.take()
            && let Some(ahead) = ParseAhead::start(func_map(&options))
        {
            for (name, source) in self.pending.drain(..) {
                ahead.push(name, source);
            }
            self.ahead = Some(ahead);
        }
        self.pending = Vec::new();
    }

    /// The thread parsing ahead, if one started, for [`render_templates_bytes`].
    pub fn into_parse_ahead(self) -> Option<ParseAhead> {
        self.ahead
    }
}

/// The templates [`collect`] records: name and source.
fn template_sources(chart: &Chart, path: &ChartPath, out: &mut Vec<(String, Arc<[u8]>)>) {
    let library = chart.is_library();
    for file in &chart.templates {
        if library && !base_name(&file.name).starts_with('_') {
            continue;
        }
        out.push((join_clean(&path.full, &file.name), file.data.clone()));
    }
    for dependency in &chart.dependencies {
        template_sources(dependency, &path.child(dependency.name()), out);
    }
}

/// Template bytes from which parsing is spread over threads: below, a thread's start-up
/// (tens of microseconds) is not small beside the work.
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// Helper threads for parsing a chart's templates beside the caller's: up to 3 (4 threads in
/// all) once the sources reach 256 KiB, where a thread's start-up (tens of microseconds) is
/// small beside the work, as far as the process-wide budget allows
/// ([`crate::helper_threads`]).
fn parse_helpers(sources: &[NamedSource<'_>]) -> helper_threads::HelperGrant {
    const MAX_HELPERS: usize = 3;
    let bytes: usize = sources.iter().map(|(_, s)| s.len()).sum();
    helper_threads::grant(if bytes < PARALLEL_FROM_BYTES {
        0
    } else {
        MAX_HELPERS
    })
}

/// Helm's function map: Sprig, Helm's extras, then the engine-bound functions.
fn func_map(options: &EngineOptions) -> FuncMap {
    let mut funcs = FuncMap::new();
    template::sprig::register(&mut funcs);
    template::helm_funcs::register(
        &mut funcs,
        &HelmFuncOptions {
            lookup: options.lookup.clone(),
            resolver: options.resolver.clone(),
        },
    );
    template::funcs::helm::register(&mut funcs);
    funcs
}

fn engine_options(options: &EngineOptions) -> Options {
    Options {
        missing_key: if options.strict {
            MissingKey::Error
        } else {
            MissingKey::Zero
        },
        ..Options::default()
    }
}

/// Go's `recAllTpls`: builds this chart's data map, recurses into subcharts, and records
/// the chart's templates. Returns the chart's data map (an entry of the parent's
/// `.Subcharts`).
fn collect(
    chart: &Chart,
    path: &ChartPath,
    parent: Option<&Value>,
    top: &TopValues,
    templates: &mut BTreeMap<String, Renderable>,
) -> Value {
    let values = match parent {
        None => top.values.clone(),
        Some(parent) => subchart_values(parent, chart.name()),
    };
    let subcharts = Value::map(BTreeMap::new());
    let mut entries = BTreeMap::new();
    entries.insert(
        Str::from("Chart"),
        chart_value(&chart.metadata, Some(path.is_root())),
    );
    entries.insert(Str::from("Files"), files_value(&chart.files));
    entries.insert(Str::from("Release"), top.release.clone());
    entries.insert(Str::from("Capabilities"), top.capabilities.clone());
    entries.insert(Str::from("Values"), values);
    entries.insert(Str::from("Subcharts"), subcharts.clone());
    let data = values_value(entries);

    for dependency in &chart.dependencies {
        let child = collect(
            dependency,
            &path.child(dependency.name()),
            Some(&data),
            top,
            templates,
        );
        if let Value::Map(m) = &subcharts {
            m.borrow_mut()
                .entries
                .insert(Str::from(dependency.name()), child);
        }
    }

    let library = chart.is_library();
    for file in &chart.templates {
        if library && !base_name(&file.name).starts_with('_') {
            continue;
        }
        templates.insert(
            join_clean(&path.full, &file.name),
            Renderable {
                source: file.data.clone(),
                data: data.clone(),
                base_path: join_clean(&path.full, "templates"),
            },
        );
    }
    data
}

/// Go: `values.Table("Values." + name)` on the parent's data map: the child's table, or a
/// new empty `common.Values` when there is none. The table is the parent's map itself, so
/// changes templates make (`set`) are seen on both sides as in Go; it takes the type
/// `common.Values` (in Go only the child's view has that type, the parent's stays
/// `map[string]interface {}`; a template value has one type, visible only through `typeOf`
/// and the `Values` methods shadowing keys named like them).
fn subchart_values(parent: &Value, name: &str) -> Value {
    let table = match parent {
        Value::Map(m) => match m.borrow().entries.get("Values") {
            Some(Value::Map(values)) => match values.borrow().entries.get(name) {
                Some(table @ Value::Map(_)) => Some(table.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    match table {
        Some(Value::Map(m)) => {
            m.borrow_mut().ty = values_type();
            Value::Map(m)
        }
        _ => values_value(BTreeMap::new()),
    }
}

/// Go's `path.Base` for the slash-separated names used here.
fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Go's `path.Join(a, b)`: joined with `/` and cleaned (`.` and `..` elements resolved,
/// repeated slashes collapsed).
fn join_clean(a: &str, b: &str) -> String {
    let joined = format!("{a}/{b}");
    let rooted = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_cleans_like_go_path_join() {
        assert_eq!(
            join_clean("top", "templates/x.yaml"),
            "top/templates/x.yaml"
        );
        assert_eq!(
            join_clean("top", "templates/./a//b.yaml"),
            "top/templates/a/b.yaml"
        );
        assert_eq!(join_clean("top", "templates/../x"), "top/x");
    }
}

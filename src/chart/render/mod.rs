//! Rendering a chart with values into what Helm 4.3.1 would install: the release manifest,
//! its ordered objects, hooks, CRDs and notes.
//!
//! [`render`] is the pure pipeline of `helm install`/`helm template` after the chart is
//! loaded and user values are merged (Helm: `pkg/cmd/install.go` `runInstall`,
//! `pkg/action/install.go` `RunWithContext`, `pkg/action/action.go` `renderResources`):
//! 1. installability (`application` charts only) and presence of every declared dependency;
//! 2. the release name check;
//! 3. dependency processing: conditions, tags, aliases, import-values
//!    ([`crate::chart::values`]);
//! 4. coalescing values and validating them against the charts' JSON schemas;
//! 5. the chart's `kubeVersion` constraint against `.Capabilities.KubeVersion`;
//! 6. the template engine ([`engine`]) over the chart and its enabled subcharts;
//! 7. `NOTES.txt` extraction, hook separation and install ordering
//!    ([`crate::chart::manifest`]), CRDs from `crds/`.
//!
//! Module map: [`objects`] (`.Capabilities`, `.Release`, `.Chart`, `common.Values`),
//! [`engine`] (template set assembly and execution).

pub mod engine;
pub mod objects;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::chart::manifest::{self, Hook, INSTALL_ORDER, Manifest, ManifestError, SkippedHook};
use crate::chart::model::Chart;
use crate::chart::values::{self, Warning};
use crate::template::value::{JsonNumbers, Str, go_lossy};
use crate::template::{ParseAhead, Value};

pub use engine::{EngineError, EngineOptions, TemplatesWhileLoading};
pub use objects::{Capabilities, HelmBuildInfo, ReleaseInfo};

/// Suffix of the template files Helm treats as notes (Go: `notesFileSuffix`).
pub const NOTES_SUFFIX: &str = "NOTES.txt";

/// Longest release name Helm accepts (Go: `maxReleaseNameLen`).
pub const MAX_RELEASE_NAME_LEN: usize = 53;

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// `.Release`.
    pub release: ReleaseInfo,
    /// `.Capabilities`: [`Capabilities::helm_default`] offline, or the cluster's.
    pub capabilities: Capabilities,
    /// Put the chart's `crds/` files at the start of [`RenderedChart::manifest`] (Helm's
    /// `--include-crds`; they are always listed in [`RenderedChart::crds`]).
    pub include_crds: bool,
    /// Collect the `NOTES.txt` of subcharts too (Helm's `--render-subchart-notes`).
    pub sub_notes: bool,
    /// Skip JSON schema validation (Helm's `--skip-schema-validation`).
    pub skip_schema_validation: bool,
    /// Engine settings: strict mode, `lookup`, DNS.
    pub engine: EngineOptions,
}

impl RenderOptions {
    /// The settings `helm template` uses: release `name` in `namespace`, revision 1,
    /// install, offline capabilities.
    pub fn template(name: &str, namespace: &str) -> RenderOptions {
        RenderOptions {
            release: ReleaseInfo {
                name: name.to_string(),
                namespace: namespace.to_string(),
                revision: 1,
                is_upgrade: false,
                is_install: true,
            },
            capabilities: Capabilities::helm_default(),
            include_crds: false,
            sub_notes: false,
            skip_schema_validation: false,
            engine: EngineOptions::default(),
        }
    }
}

/// A CRD file of the chart or a subchart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdFile {
    /// Helm's name for it: `<ChartFullPath>/crds/<file>`, e.g. `top/charts/sub/crds/a.yaml`.
    pub filename: String,
    /// The file's bytes, shared with the loaded chart.
    pub data: std::sync::Arc<[u8]>,
}

impl CrdFile {
    /// The file's text (invalid UTF-8 replaced by U+FFFD, as Helm's string conversion of
    /// the bytes prints it).
    pub fn content(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.data)
    }
}

/// The result of [`render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedChart {
    /// The release manifest exactly as Helm stores it (`Release.Manifest`): for each CRD
    /// when [`RenderOptions::include_crds`], then for each manifest in install order,
    /// `---\n# Source: PATH\nCONTENT\n`. Hooks are not part of it.
    pub manifest: String,
    /// Ordinary objects in install order, with their template paths and heads (kind,
    /// apiVersion, name, namespace).
    pub manifests: Vec<Manifest>,
    /// Hooks in kind order (Helm orders them by weight only when running them).
    pub hooks: Vec<Hook>,
    /// CRD files, parent chart first, then subcharts depth first, each in load order.
    pub crds: Vec<CrdFile>,
    /// The root chart's rendered `NOTES.txt` (plus subcharts' with
    /// [`RenderOptions::sub_notes`], joined by newlines), or `""`.
    pub notes: String,
    /// Documents dropped because their `helm.sh/hook` names an unknown event (Helm logs
    /// `skipping unknown hooks` for each).
    pub skipped_hooks: Vec<SkippedHook>,
    /// What Helm logs while processing the values (non-bool conditions, missing
    /// import-values tables), in order; filled by [`render`].
    pub warnings: Vec<Warning>,
}

/// Why rendering failed. `Display` gives Helm's error text (what `helm template` prints
/// after `Error: `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The chart's `type` is not empty or `application`, e.g. a library chart.
    #[error("{chart_type} charts are not installable")]
    NotInstallable {
        /// The chart's `type` as written.
        chart_type: String,
    },
    /// Dependencies declared in `Chart.yaml` have no chart under `charts/`.
    #[error(
        "an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
        .names.join(", ")
    )]
    MissingDependencies {
        /// Names of the missing dependencies, in declaration order.
        names: Vec<String>,
    },
    /// The release name is empty, longer than 53 bytes or not a DNS-1123 subdomain.
    #[error("release name check failed: release name {}: {reason}", crate::template::gofmt::go_quote(.name))]
    InvalidReleaseName {
        /// The rejected name.
        name: String,
        /// Helm's reason text.
        reason: String,
    },
    /// Conditions, tags, aliases or import-values could not be processed.
    #[error("chart dependencies processing failed: {message}")]
    Dependencies {
        /// The values code's message.
        message: String,
    },
    /// Values could not be coalesced.
    #[error("{message}")]
    Values {
        /// The values code's message.
        message: String,
    },
    /// Values do not satisfy a chart's `values.schema.json`.
    #[error(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{message}"
    )]
    Schema {
        /// Every failing chart and path, as Helm lists them.
        message: String,
    },
    /// The chart's `kubeVersion` constraint rejects the target Kubernetes version.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {version}"
    )]
    IncompatibleKubeVersion {
        /// The chart's constraint.
        constraint: String,
        /// `.Capabilities.KubeVersion.Version`.
        version: String,
    },
    /// A template failed to parse or execute.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A rendered document is not YAML Helm can read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

impl RenderError {
    /// Whether Helm fails this late enough to have a partial release (its `helm template`
    /// then adds `Use --debug flag to render out invalid YAML`): kubeVersion, template and
    /// manifest errors.
    pub fn has_partial_release(&self) -> bool {
        matches!(
            self,
            RenderError::IncompatibleKubeVersion { .. }
                | RenderError::Engine(_)
                | RenderError::Manifest(_)
        )
    }
}

/// Go's `chartutil.ValidateReleaseName`: `Ok` or Helm's reason text.
///
/// # Errors
/// `no name provided` for `""`; `invalid release name, must match regex ... and the length
/// must not be longer than 53` otherwise.
pub fn validate_release_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("no name provided".to_string());
    }
    if name.len() > MAX_RELEASE_NAME_LEN || !is_dns_subdomain(name) {
        return Err(format!(
            "invalid release name, must match regex {} and the length must not be longer than 53",
            r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
        ));
    }
    Ok(())
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`.
fn is_dns_subdomain(name: &str) -> bool {
    name.split('.').all(|label| {
        let b = label.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(first), Some(last)) => {
                alnum(first) && alnum(last) && b.iter().all(|c| alnum(c) || *c == b'-')
            }
            _ => false,
        }
    })
}

/// Helm's `checkIfInstallable`: only charts of type `""` or `application` install.
///
/// # Errors
/// [`RenderError::NotInstallable`].
pub fn check_installable_type(chart: &Chart) -> Result<(), RenderError> {
    match chart.metadata.chart_type.as_str() {
        "" | "application" => Ok(()),
        other => Err(RenderError::NotInstallable {
            chart_type: other.to_string(),
        }),
    }
}

/// Helm's `CheckDependencies`: every dependency declared in `Chart.yaml` has a loaded
/// subchart of that chart name.
///
/// # Errors
/// [`RenderError::MissingDependencies`] naming the missing ones in declaration order.
pub fn check_dependencies(chart: &Chart) -> Result<(), RenderError> {
    let missing: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !chart.dependencies.iter().any(|c| c.name() == d.name))
        .map(|d| d.name.clone())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(RenderError::MissingDependencies { names: missing })
    }
}

/// Renders a loaded chart with merged user values (`-f`, `--set`, …): the whole pipeline of
/// the module documentation.
///
/// # Errors
/// Every [`RenderError`], in the order Helm checks: type, dependencies, release name,
/// dependency processing, values, schema, kubeVersion, templates, manifests.
pub fn render(
    chart: &Chart,
    user_values: &Map<String, Json>,
    options: &RenderOptions,
) -> Result<RenderedChart, RenderError> {
    let mut warnings = Vec::new();
    let mut rendered = render_logged(chart, user_values, options, &mut warnings)?;
    rendered.warnings = warnings;
    Ok(rendered)
}

/// [`render`] that appends the warnings Helm would log to `warnings` as they arise, so a
/// caller also gets those logged before a failure (Helm prints them before its error). The
/// returned [`RenderedChart::warnings`] is left empty.
///
/// # Errors
/// As [`render`].
pub fn render_logged(
    chart: &Chart,
    user_values: &Map<String, Json>,
    options: &RenderOptions,
    warnings: &mut Vec<Warning>,
) -> Result<RenderedChart, RenderError> {
    render_logged_from(Cow::Borrowed(chart), user_values, options, warnings, None)
}

/// [`render_logged`] of a chart the caller no longer needs: the chart becomes the processed
/// chart instead of being copied (its values trees are deep copies otherwise), and the
/// coalesced values are freed once the templates' `.Values` is built from them, so less is
/// held while templates run (`wheelhouse template`). `ahead` is a thread already parsing the
/// chart's templates (see [`engine::TemplatesWhileLoading`]); without one, parsing ahead
/// starts here when the chart is large enough.
///
/// # Errors
/// As [`render`].
pub fn render_logged_owned(
    chart: Chart,
    user_values: &Map<String, Json>,
    options: &RenderOptions,
    warnings: &mut Vec<Warning>,
    ahead: Option<ParseAhead>,
) -> Result<RenderedChart, RenderError> {
    render_logged_from(Cow::Owned(chart), user_values, options, warnings, ahead)
}

fn render_logged_from(
    chart: Cow<'_, Chart>,
    user_values: &Map<String, Json>,
    options: &RenderOptions,
    warnings: &mut Vec<Warning>,
    ahead: Option<ParseAhead>,
) -> Result<RenderedChart, RenderError> {
    check_installable_type(&chart)?;
    check_dependencies(&chart)?;
    validate_release_name(&options.release.name).map_err(|reason| {
        RenderError::InvalidReleaseName {
            name: options.release.name.clone(),
            reason,
        }
    })?;
    // Templates parse on a helper thread while dependencies and values are processed.
    let ahead = match ahead {
        Some(ahead) => {
            engine::queue_remaining_templates(&chart, &ahead);
            Some(ahead)
        }
        None => engine::parse_ahead(&chart, &options.engine),
    };
    let mut processed = chart.into_owned();
    values::dependencies::process_dependencies_logged(&mut processed, user_values, warnings)
        .map_err(|e| RenderError::Dependencies {
            message: e.to_string(),
        })?;
    let coalesced =
        values::to_render_values(&processed, user_values, options.skip_schema_validation).map_err(
            |e| match e {
                values::ValuesError::Schema(schema) => RenderError::Schema {
                    message: schema.to_string(),
                },
                other => RenderError::Values {
                    message: other.to_string(),
                },
            },
        )?;
    check_kube_version(&processed, options)?;
    let values = values_value_of(&coalesced);
    drop(coalesced);
    let rendered = render_with_values(&processed, values, options, ahead);
    // A large chart's files and values take milliseconds to free; the caller need not wait.
    crate::helper_threads::drop_in_background("chart-drop", processed);
    rendered
}

/// Renders a chart whose dependencies are already processed (disabled subcharts removed,
/// aliases applied, imports done) with its coalesced values (the root's `.Values`; numbers
/// stored as `i64`/`u64` are Go `int64`, `f64` ones `float64`). Steps 5 to 7 of the module
/// documentation.
///
/// # Errors
/// [`RenderError::IncompatibleKubeVersion`], [`RenderError::Engine`],
/// [`RenderError::Manifest`].
pub fn render_processed(
    chart: &Chart,
    values: &Map<String, Json>,
    options: &RenderOptions,
) -> Result<RenderedChart, RenderError> {
    check_kube_version(chart, options)?;
    render_with_values(chart, values_value_of(values), options, None)
}

/// The chart's `kubeVersion` constraint against the target version.
fn check_kube_version(chart: &Chart, options: &RenderOptions) -> Result<(), RenderError> {
    let kube = &options.capabilities.kube_version;
    let constraint = &chart.metadata.kube_version;
    if !constraint.is_empty() && !kube.is_compatible(constraint) {
        return Err(RenderError::IncompatibleKubeVersion {
            constraint: constraint.clone(),
            version: kube.version.clone(),
        });
    }
    Ok(())
}

/// The templates' `.Values` from coalesced values.
fn values_value_of(values: &Map<String, Json>) -> Value {
    objects::values_value(
        values
            .iter()
            .map(|(k, v)| {
                (
                    Str::from(k.as_str()),
                    Value::from_json_with(v, JsonNumbers::Int64WhenIntegral),
                )
            })
            .collect(),
    )
}

/// [`render_processed`] after the kubeVersion check, with `.Values` already built.
fn render_with_values(
    chart: &Chart,
    values: Value,
    options: &RenderOptions,
    ahead: Option<ParseAhead>,
) -> Result<RenderedChart, RenderError> {
    let top = engine::TopValues {
        release: options.release.to_value(),
        capabilities: options.capabilities.to_value(),
        values,
    };
    // Manifest heads are decoded on a helper thread while later templates execute; notes and
    // output that is not UTF-8 are not decoded.
    let mut heads_ahead = manifest::HeadsAhead::new();
    let mut undecoded = BTreeMap::new();
    engine::render_templates_each(chart, &top, &options.engine, ahead, &mut |name, bytes| {
        if name.ends_with(NOTES_SUFFIX) {
            undecoded.insert(name, bytes);
            return;
        }
        match String::from_utf8(bytes) {
            Ok(text) => heads_ahead.push(name, text),
            Err(e) => {
                undecoded.insert(name, e.into_bytes());
            }
        }
    })?;
    let decoded = heads_ahead.finish();
    let mut files: BTreeMap<String, String> = decoded.files.into_iter().collect();
    // Helm's YAML decoder rejects a document that is not UTF-8; notes are not decoded.
    let mut not_utf8 = None;
    for (name, bytes) in undecoded {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                if not_utf8.is_none() && !name.ends_with(NOTES_SUFFIX) {
                    not_utf8 = Some(ManifestError::Parse {
                        path: name.clone(),
                        message: format!(
                            "error converting YAML to JSON: yaml: {}",
                            yaml_utf8_problem(e.as_bytes())
                        ),
                    });
                }
                go_lossy(e.as_bytes())
            }
        };
        files.insert(name, text);
    }

    let notes = extract_notes(&mut files, chart.name(), options.sub_notes);
    if let Some(e) = not_utf8 {
        return Err(e.into());
    }
    let sorted = manifest::sort_manifests_with_heads(&files, INSTALL_ORDER, decoded.heads)?;
    // The manifests hold their own copies: the rendered files are not needed any more, and
    // freeing them first lets the manifest text below reuse their memory (peak RSS).
    drop(files);

    let crds: Vec<CrdFile> = chart
        .crd_objects()
        .into_iter()
        .map(|c| CrdFile {
            filename: c.filename,
            data: std::sync::Arc::clone(&c.file.data),
        })
        .collect();

    let crd_contents: Vec<(&str, Cow<'_, str>)> = if options.include_crds {
        crds.iter()
            .map(|crd| (crd.filename.as_str(), crd.content()))
            .collect()
    } else {
        Vec::new()
    };
    let mut text = String::new();
    push_documents(
        &mut text,
        crd_contents
            .iter()
            .map(|(name, content)| (*name, content.as_ref()))
            .chain(
                sorted
                    .manifests
                    .iter()
                    .map(|m| (m.path.as_str(), m.content.as_str())),
            ),
    );

    Ok(RenderedChart {
        manifest: text,
        manifests: sorted.manifests,
        hooks: sorted.hooks,
        crds,
        notes,
        skipped_hooks: sorted.skipped_hooks,
        warnings: Vec::new(),
    })
}

/// The problem go-yaml v2's reader reports for the first byte sequence of `bytes` that is
/// not UTF-8 (`yaml_parser_update_buffer` in go.yaml.in/yaml/v2 `readerc.go`): a bad
/// leading byte, a sequence cut off by the end of the document, a bad continuation byte, an
/// overlong encoding, or a surrogate / out-of-range code point.
pub fn yaml_utf8_problem(bytes: &[u8]) -> &'static str {
    let at = std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to());
    let rest = &bytes[at..];
    let Some(&lead) = rest.first() else {
        return "incomplete UTF-8 octet sequence";
    };
    let (width, mut value) = match lead {
        b if b & 0xE0 == 0xC0 => (2, u32::from(b & 0x1F)),
        b if b & 0xF0 == 0xE0 => (3, u32::from(b & 0x0F)),
        b if b & 0xF8 == 0xF0 => (4, u32::from(b & 0x07)),
        _ => return "invalid leading UTF-8 octet",
    };
    if rest.len() < width {
        return "incomplete UTF-8 octet sequence";
    }
    for &octet in &rest[1..width] {
        if octet & 0xC0 != 0x80 {
            return "invalid trailing UTF-8 octet";
        }
        value = (value << 6) | u32::from(octet & 0x3F);
    }
    let shortest = match width {
        2 => value >= 0x80,
        3 => value >= 0x800,
        _ => value >= 0x10000,
    };
    if !shortest {
        return "invalid length of a UTF-8 sequence";
    }
    "invalid Unicode character"
}

/// [`push_document`] for each `(source, content)` of `documents`, after growing `out` once
/// by exactly what they take: the manifest text is the largest string of a render, and
/// growing it by doubling would hold the old and the new buffer at once.
pub fn push_documents<'a>(
    out: &mut String,
    documents: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) {
    let length: usize = documents
        .clone()
        .map(|(source, content)| "---\n# Source: ".len() + source.len() + 1 + content.len() + 1)
        .sum();
    out.reserve_exact(length);
    let expected = out.len() + length;
    for (source, content) in documents {
        push_document(out, source, content);
    }
    debug_assert_eq!(out.len(), expected);
}

/// Helm's document framing: `---\n# Source: NAME\nCONTENT\n`.
pub fn push_document(out: &mut String, source: &str, content: &str) {
    out.push_str("---\n# Source: ");
    out.push_str(source);
    out.push('\n');
    out.push_str(content);
    out.push('\n');
}

/// Removes every rendered file whose name ends in `NOTES.txt` and returns the notes Helm
/// keeps: the root chart's `<name>/templates/NOTES.txt`, or with `sub_notes` all of them
/// (in name order; Helm's order there is Go's random map order) joined by `\n`.
fn extract_notes(files: &mut BTreeMap<String, String>, root: &str, sub_notes: bool) -> String {
    let root_notes = format!("{root}/templates/{NOTES_SUFFIX}");
    let names: Vec<String> = files
        .keys()
        .filter(|k| k.ends_with(NOTES_SUFFIX))
        .cloned()
        .collect();
    let mut notes = String::new();
    for name in names {
        if let Some(text) = files.remove(&name)
            && (sub_notes || name == root_notes)
        {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(&text);
        }
    }
    notes
}

#[cfg(test)]
mod tests;

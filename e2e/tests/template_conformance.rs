//! Differential test of the template engine (`wheelhouse::template`) against the real `helm`.
//!
//! The probe chart `e2e/probes/template` holds several hundred one-feature templates (see its
//! README). This test renders it with `helm template` (v4.3.1, built by the e2e tools) and with
//! the engine, and compares:
//!
//! - output probes (`templates/*.yaml` other than `err-*`): byte for byte. `helm template
//!   --debug` prints every rendered file raw as `---\n# Source: probe/templates/F\nOUTPUT\n`
//!   when some output is not YAML (`templates/file-force-raw.yaml` guarantees that), skipping
//!   files whose output is only whitespace;
//! - execution-error probes (`templates/err-NAME.yaml`, guarded by `.Values.probe`): one helm
//!   run per probe with `--set probe=err-NAME`; helm's `Error: MESSAGE` must equal the engine's
//!   error formatted as Helm does ([`template::helm_exec_error_message`]). To keep these runs
//!   fast they use a copy of the chart holding only the helpers and the `err-*` templates;
//! - parse-error probes (`parse-errors/NAME.yaml`): each alone in a copy of the chart, compared
//!   with [`template::helm_parse_error_message`] (or, for the checks Go makes at execution, such
//!   as `nil is not a command`, with the execution error).
//!
//! It prints one line per differing probe, then `template-conformance: N/M identical`, and
//! fails if any probe differs, except those listed in [`KNOWN_DIFFERENCES`] with a reason.
//!
//! The root data is built here the way Helm v4.3.1 builds it (`pkg/engine/engine.go`
//! `recAllTpls`/`render`, `pkg/chart/common/util/values.go` `ToRenderValues`): `.Values`
//! (`common.Values`, with its `Table`, `AsMap` and `YAML` methods) from `values.yaml` read by
//! [`wheelhouse::codec::yaml::load_values`] with nulls dropped (as Helm's coalescing does) plus
//! the `--set` overrides the test passes to helm,
//! `.Release` (`Name`, `Namespace`, `IsInstall`, `IsUpgrade`, `Revision` (int), `Service`),
//! `.Chart` (the metadata fields of `Chart.yaml` that the probes use, plus `IsRoot`),
//! `.Subcharts` (empty) and `.Template` (`Name`, `BasePath`). `.Files` and `.Capabilities`
//! are not provided; no probe uses them. This construction moves onto the chart renderer
//! (`wheelhouse::chart`) once that lands, so that it is tested here too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use wheelhouse::template::funcs::helm as helm_engine_funcs;
use wheelhouse::template::gofmt::go_quote;
use wheelhouse::template::helm_funcs::{self, HelmFuncOptions};
use wheelhouse::template::value::Str;
use wheelhouse::template::{
    self, CollType, ElemType, FuncError, FuncMap, Method, NamedType, Options, ParamType, Signature,
    TemplateSet, Value, sprig,
};

const CHART_NAME: &str = "probe";
const RELEASE_NAME: &str = "conformance";
const NAMESPACE: &str = "probes";
/// A `--set` override, to cover values that reach templates as `int64` (Helm's `strvals`
/// parses integers as `int64`, while `values.yaml` numbers are `float64`).
const SET_NAME: &str = "setme";
const SET_VALUE: i64 = 12_345_678_901;
/// `values.yaml` key that selects the active error probe.
const PROBE_KEY: &str = "probe";
const ERROR_PREFIX: &str = "err-";
/// Text helm appends to render errors when run without `--debug`.
const DEBUG_HINT: &str = "\n\nUse --debug flag to render out invalid YAML";

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("probes/template")
}

fn helm_binary() -> PathBuf {
    wheelhouse_e2e::tools_dir().join("helm")
}

/// One template file of the chart: Helm's name (`probe/templates/F`) and its source.
#[derive(Clone)]
struct TemplateFile {
    name: String,
    source: String,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The files of `dir`, sorted by file name, as `(file name, source)`.
fn files_in(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read dir {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let file = path
                .file_name()
                .and_then(|f| f.to_str())
                .expect("UTF-8 file name")
                .to_string();
            (file, read(&path))
        })
        .collect();
    out.sort();
    out
}

/// Helm's parse and render order (`sortTemplates`): more path segments first, then reverse
/// lexical order.
fn helm_order(files: &mut [TemplateFile]) {
    files.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        cb.cmp(&ca).then_with(|| b.name.cmp(&a.name))
    });
}

fn is_partial(name: &str) -> bool {
    name.rsplit('/').next().is_some_and(|f| f.starts_with('_'))
}

fn probe_file(name: &str) -> &str {
    name.strip_prefix(&format!("{CHART_NAME}/templates/"))
        .unwrap_or(name)
}

fn is_error_probe(name: &str) -> bool {
    probe_file(name).starts_with(ERROR_PREFIX)
}

// ------------------------------------------------------------------------------------------
// Root data, as Helm builds it.

fn str_map(entries: impl IntoIterator<Item = (&'static str, Value)>) -> BTreeMap<Str, Value> {
    entries
        .into_iter()
        .map(|(k, v)| (Str::from(k), v))
        .collect()
}

/// Helm's `common.Values`: a named `map[string]interface {}` with methods `Table(name)
/// (Values, error)`, `AsMap() map[string]interface {}` and `YAML() (string, error)`
/// (helm v4.3.1 `pkg/chart/common/values.go`).
fn values_type() -> CollType {
    let as_map = Method {
        name: "AsMap".to_string(),
        sig: Signature::new([]),
        call: Arc::new(|receiver: &Value, _: &[Value]| match receiver {
            Value::Map(m) => Ok(Value::map(m.borrow().entries.clone())),
            _ => Ok(Value::map(BTreeMap::new())),
        }),
    };
    let table = Method {
        name: "Table".to_string(),
        sig: Signature::new([ParamType::String]),
        call: Arc::new(|receiver: &Value, args: &[Value]| {
            let path = args.first().and_then(Value::as_str).unwrap_or_default();
            let mut table = match receiver {
                Value::Map(m) => m.borrow().entries.clone(),
                _ => BTreeMap::new(),
            };
            // Helm splits the path at dots and descends one table per segment.
            for key in path.split('.') {
                let next = match table.get(key) {
                    Some(Value::Map(m)) => m.borrow().entries.clone(),
                    _ => {
                        return Err(FuncError::new(format!("{} is not a table", go_quote(key))));
                    }
                };
                table = next;
            }
            Ok(Value::typed_map(values_type(), table))
        }),
    };
    let yaml = Method {
        name: "YAML".to_string(),
        sig: Signature::new([]),
        call: Arc::new(|receiver: &Value, _: &[Value]| {
            let mut text = wheelhouse::codec::yaml::to_yaml(&receiver.to_json());
            text.push('\n');
            Ok(Value::from(text))
        }),
    };
    CollType {
        elem: ElemType::Interface,
        named: Some(Arc::new(NamedType {
            name: "common.Values".to_string(),
            methods: vec![as_map, table, yaml],
        })),
    }
}

fn named_values(entries: BTreeMap<Str, Value>) -> Value {
    Value::typed_map(values_type(), entries)
}

/// Helm's `cleanNilValues` (`pkg/chart/common/util/coalesce.go`): coalescing drops null
/// entries of the chart's default values, recursively through maps (not lists).
fn without_nulls(map: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
    serde_json::Value::Object(
        map.iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::Object(inner) => (k.clone(), without_nulls(inner)),
                other => (k.clone(), other.clone()),
            })
            .collect(),
    )
}

/// `.Values`: `values.yaml` as Helm coalesces it (nulls dropped), with the `--set` overrides
/// of this run on top.
fn chart_values(chart: &Path, probe: &str) -> Value {
    let text = read(&chart.join("values.yaml"));
    let json = wheelhouse::codec::yaml::load_values(&text).expect("values.yaml loads");
    let mut entries: BTreeMap<Str, Value> = match Value::from_json(&without_nulls(&json)) {
        Value::Map(m) => m.borrow().entries.clone(),
        _ => BTreeMap::new(),
    };
    entries.insert(Str::from(SET_NAME), Value::int64(SET_VALUE));
    entries.insert(Str::from(PROBE_KEY), Value::from(probe));
    named_values(entries)
}

/// `.Chart`: the metadata map (`MetadataAsMap`) with the fields the probes read.
fn chart_metadata(chart: &Path) -> Value {
    let text = read(&chart.join("Chart.yaml"));
    let meta = wheelhouse::codec::yaml::load_values(&text).expect("Chart.yaml loads");
    let field = |key: &str| {
        Value::from(
            meta.get(key)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
        )
    };
    Value::map(str_map([
        ("Name", field("name")),
        ("Version", field("version")),
        ("AppVersion", field("appVersion")),
        ("Description", field("description")),
        ("APIVersion", field("apiVersion")),
        ("Type", field("type")),
        ("IsRoot", Value::Bool(true)),
    ]))
}

/// The top-level map shared by every template of one render (Helm mutates its `Template`
/// entry per file, and template side effects on it persist across files).
fn root_data(chart: &Path, probe: &str) -> Value {
    let release = Value::map(str_map([
        ("Name", Value::from(RELEASE_NAME)),
        ("Namespace", Value::from(NAMESPACE)),
        ("IsUpgrade", Value::Bool(false)),
        ("IsInstall", Value::Bool(true)),
        ("Revision", Value::int(1)),
        ("Service", Value::from("Helm")),
    ]));
    named_values(str_map([
        ("Chart", chart_metadata(chart)),
        ("Release", release),
        ("Values", chart_values(chart, probe)),
        ("Subcharts", Value::map(BTreeMap::new())),
    ]))
}

fn set_template(root: &Value, name: &str) {
    if let Value::Map(m) = root {
        let template = named_values(str_map([
            ("Name", Value::from(name)),
            ("BasePath", Value::from(format!("{CHART_NAME}/templates"))),
        ]));
        m.borrow_mut()
            .entries
            .insert(Str::from("Template"), template);
    }
}

// ------------------------------------------------------------------------------------------
// The engine side.

/// Helm's function map: Sprig (minus `env`/`expandenv`), Helm's functions, then the engine's
/// `include`/`tpl`/`required`/`fail`.
fn helm_function_map() -> FuncMap {
    let mut funcs = FuncMap::new();
    sprig::register(&mut funcs);
    helm_funcs::register(&mut funcs, &HelmFuncOptions::default());
    helm_engine_funcs::register(&mut funcs);
    funcs
}

/// Parses all files into one set in Helm's order; a parse error is returned Helm-formatted.
fn engine_set(files: &[TemplateFile]) -> Result<TemplateSet, String> {
    let mut set = TemplateSet::new("gotpl", helm_function_map(), Options::default());
    for file in files {
        set.add(&file.name, &file.source)
            .map_err(|e| template::helm_parse_error_message(&file.name, &e))?;
    }
    Ok(set)
}

/// Renders one file as Helm's `render` loop does (setting `.Template` first); an error is
/// returned Helm-formatted.
fn engine_render(set: &TemplateSet, root: &Value, name: &str) -> Result<String, String> {
    set_template(root, name);
    set.render_bytes(name, root)
        .map(|bytes| show_bytes(&bytes))
        .map_err(|e| template::helm_exec_error_message(name, &e))
}

/// Output bytes as text for comparison: UTF-8 as is, every other byte as `⟨NN⟩` (hex), so
/// that a raw byte and a U+FFFD are told apart. Applied to helm's output and the engine's.
fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\u{27e8}{b:02x}\u{27e9}"));
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// The helm side.

struct HelmRun {
    success: bool,
    stdout: String,
    stderr: String,
}

fn run_helm(chart: &Path, probe: &str, debug: bool) -> HelmRun {
    let mut cmd = Command::new(helm_binary());
    cmd.arg("template")
        .arg(RELEASE_NAME)
        .arg(chart)
        .arg("--namespace")
        .arg(NAMESPACE)
        .arg("--set")
        .arg(format!("{SET_NAME}={SET_VALUE}"))
        .arg("--set")
        .arg(format!("{PROBE_KEY}={probe}"))
        .env("HELM_CACHE_HOME", scratch_dir().join("helm-cache"))
        .env("HELM_CONFIG_HOME", scratch_dir().join("helm-config"))
        .env("HELM_DATA_HOME", scratch_dir().join("helm-data"));
    if debug {
        cmd.arg("--debug");
    }
    let out = cmd.output().expect("helm runs");
    HelmRun {
        success: out.status.success(),
        stdout: show_bytes(&out.stdout),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Splits `helm template --debug` raw output into `(template name, output)` blocks; also
/// returns the name of the last block, whose trailing whitespace helm trims away (it prints
/// `strings.TrimSpace` of the whole manifest).
fn parse_raw_blocks(stdout: &str) -> (BTreeMap<String, String>, Option<String>) {
    const MARKER: &str = "---\n# Source: ";
    let mut starts: Vec<usize> = Vec::new();
    let mut from = 0;
    while let Some(i) = stdout[from..].find(MARKER) {
        let at = from + i;
        if at == 0 || stdout.as_bytes()[at - 1] == b'\n' {
            starts.push(at);
        }
        from = at + MARKER.len();
    }
    let mut blocks = BTreeMap::new();
    let mut last = None;
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(stdout.len());
        let block = &stdout[start + MARKER.len()..end];
        let (name, rest) = block.split_once('\n').unwrap_or((block, ""));
        // Each block is the file's output followed by one newline.
        let output = rest.strip_suffix('\n').unwrap_or(rest);
        blocks.insert(name.to_string(), output.to_string());
        last = Some(name.to_string());
    }
    (blocks, last)
}

/// The template error of a helm run: the message of `Error: MESSAGE` on stderr, or `None`
/// when rendering succeeded (the run then succeeds or fails only on its output not being
/// YAML).
fn helm_template_error(run: &HelmRun) -> Option<String> {
    if run.success {
        return None;
    }
    let at = run.stderr.find("Error: ")?;
    let message = &run.stderr[at + "Error: ".len()..];
    let message = message.strip_suffix('\n').unwrap_or(message);
    let message = message.strip_suffix(DEBUG_HINT).unwrap_or(message);
    if message.starts_with("YAML parse error on ") {
        return None;
    }
    Some(message.to_string())
}

// ------------------------------------------------------------------------------------------
// Temporary charts for error probes.

fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!(
        "wheelhouse-template-conformance-{}",
        std::process::id()
    ))
}

/// Writes a chart with the probe chart's `Chart.yaml` and `values.yaml` and the given
/// templates, returning its directory.
fn temp_chart(label: &str, templates: &[TemplateFile]) -> PathBuf {
    let source = chart_dir();
    let dir = scratch_dir().join(label);
    let templates_dir = dir.join("templates");
    std::fs::create_dir_all(&templates_dir).expect("create temporary chart");
    for fixed in ["Chart.yaml", "values.yaml"] {
        std::fs::copy(source.join(fixed), dir.join(fixed)).expect("copy chart file");
    }
    for t in templates {
        std::fs::write(templates_dir.join(probe_file(&t.name)), &t.source).expect("write template");
    }
    dir
}

// ------------------------------------------------------------------------------------------

/// Probes whose difference from helm is deliberate (or owned by another module), with the
/// reason. The test fails if one of them becomes identical, so the list cannot go stale.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Outcome of one probe.
struct Outcome {
    probe: String,
    identical: bool,
    helm: String,
    engine: String,
}

fn escape(s: &str) -> String {
    const LIMIT: usize = 600;
    let e = format!("{s:?}");
    if e.len() > LIMIT {
        let mut cut = LIMIT;
        while !e.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &e[..cut])
    } else {
        e
    }
}

/// Runs `helm template --debug` on the probe chart and returns every file's raw output.
fn helm_outputs(chart: &Path) -> (BTreeMap<String, String>, Option<String>) {
    let run = run_helm(chart, "none", true);
    assert!(
        !run.success && run.stderr.contains("Error: YAML parse error"),
        "helm template must fail only on the deliberately invalid YAML, which makes it print \
         every template raw; stderr:\n{}",
        run.stderr
    );
    parse_raw_blocks(&run.stdout)
}

fn output_probes(chart: &Path, files: &[TemplateFile]) -> Vec<Outcome> {
    let (mut blocks, last) = helm_outputs(chart);
    // Helm prints files in Go's random map order; take the file that came last (and lost its
    // trailing whitespace) from a run in which another file is last.
    if let Some(last) = last {
        for _ in 0..5 {
            let (again, again_last) = helm_outputs(chart);
            if again_last.as_ref() != Some(&last) {
                match again.get(&last) {
                    Some(output) => blocks.insert(last.clone(), output.clone()),
                    None => blocks.remove(&last),
                };
                break;
            }
        }
    }
    let set = engine_set(files).unwrap_or_else(|e| panic!("the probe chart must parse: {e}"));
    let root = root_data(chart, "none");
    let mut outcomes = Vec::new();
    for file in files {
        if is_partial(&file.name) || is_error_probe(&file.name) {
            continue;
        }
        let engine = engine_render(&set, &root, &file.name);
        let helm = blocks.get(&file.name);
        let identical = match (&engine, helm) {
            (Ok(out), Some(h)) => out == h,
            // helm skips files whose output is only whitespace.
            (Ok(out), None) => out.trim().is_empty(),
            (Err(_), _) => false,
        };
        outcomes.push(Outcome {
            probe: probe_file(&file.name).to_string(),
            identical,
            helm: helm.cloned().unwrap_or_else(|| "(whitespace only)".into()),
            engine: match engine {
                Ok(s) => s,
                Err(e) => format!("ERROR: {e}"),
            },
        });
    }
    outcomes
}

fn error_probes(chart_files: &[TemplateFile]) -> Vec<Outcome> {
    // A chart with the helpers and the error probes only: every other template renders
    // without error, so leaving them out changes no message but saves key generation.
    let files: Vec<TemplateFile> = chart_files
        .iter()
        .filter(|f| is_partial(&f.name) || is_error_probe(&f.name))
        .cloned()
        .collect();
    let chart = temp_chart("errors", &files);
    let set = engine_set(&files).unwrap_or_else(|e| panic!("the error probes must parse: {e}"));
    let probes: Vec<&TemplateFile> = files.iter().filter(|f| !is_partial(&f.name)).collect();
    let helm_runs: Vec<HelmRun> = std::thread::scope(|s| {
        let workers: Vec<_> = probes
            .chunks(probes.len().div_ceil(4).max(1))
            .map(|chunk| {
                let chart = &chart;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|f| run_helm(chart, &error_probe_id(&f.name), false))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("helm worker"))
            .collect()
    });
    probes
        .iter()
        .zip(helm_runs)
        .map(|(file, run)| {
            let id = error_probe_id(&file.name);
            let root = root_data(&chart, &id);
            // Helm stops at the first file that fails, in its render order.
            let engine = files
                .iter()
                .filter(|f| !is_partial(&f.name))
                .find_map(|f| engine_render(&set, &root, &f.name).err());
            let helm = helm_template_error(&run);
            Outcome {
                probe: probe_file(&file.name).to_string(),
                identical: helm.is_some() && helm == engine,
                helm: helm.unwrap_or_else(|| "(rendered without error: not an error probe)".into()),
                engine: engine.unwrap_or_else(|| "(no error)".into()),
            }
        })
        .collect()
}

fn error_probe_id(name: &str) -> String {
    probe_file(name)
        .strip_suffix(".yaml")
        .unwrap_or(probe_file(name))
        .to_string()
}

fn parse_error_probes(chart: &Path) -> Vec<Outcome> {
    files_in(&chart.join("parse-errors"))
        .into_iter()
        .map(|(file, source)| {
            let t = TemplateFile {
                name: format!("{CHART_NAME}/templates/{file}"),
                source,
            };
            let dir = temp_chart(&format!("parse-{file}"), std::slice::from_ref(&t));
            let run = run_helm(&dir, "none", false);
            let helm = helm_template_error(&run);
            // Some of Go's checks (`nil is not a command`, undefined assigned variables)
            // happen at execution, so a file that parses is also rendered.
            let engine = match engine_set(std::slice::from_ref(&t)) {
                Err(e) => Some(e),
                Ok(set) => engine_render(&set, &root_data(&dir, "none"), &t.name).err(),
            };
            Outcome {
                probe: format!("parse-errors/{file}"),
                identical: helm.is_some() && helm == engine,
                helm: helm.unwrap_or_else(|| "(rendered without error: not an error probe)".into()),
                engine: engine.unwrap_or_else(|| "(no error)".into()),
            }
        })
        .collect()
}

#[test]
fn template_conformance() {
    let chart = chart_dir();
    let mut files: Vec<TemplateFile> = files_in(&chart.join("templates"))
        .into_iter()
        .map(|(file, source)| TemplateFile {
            name: format!("{CHART_NAME}/templates/{file}"),
            source,
        })
        .collect();
    helm_order(&mut files);

    let mut outcomes = output_probes(&chart, &files);
    outcomes.extend(error_probes(&files));
    outcomes.extend(parse_error_probes(&chart));
    let _ = std::fs::remove_dir_all(scratch_dir());

    let known = |probe: &str| {
        KNOWN_DIFFERENCES
            .iter()
            .find(|(p, _)| *p == probe)
            .map(|(_, reason)| *reason)
    };
    let mut failures = 0;
    let mut known_count = 0;
    for o in &outcomes {
        match (o.identical, known(&o.probe)) {
            (true, None) => {}
            (true, Some(_)) => {
                failures += 1;
                println!(
                    "STALE {}: now identical; remove it from KNOWN_DIFFERENCES",
                    o.probe
                );
            }
            (false, reason) => {
                let label = if reason.is_some() { "KNOWN" } else { "DIFF" };
                if reason.is_some() {
                    known_count += 1;
                } else {
                    failures += 1;
                }
                println!(
                    "{label} {}\n  helm:   {}\n  engine: {}",
                    o.probe,
                    escape(&o.helm),
                    escape(&o.engine)
                );
                if let Some(reason) = reason {
                    println!("  reason: {reason}");
                }
            }
        }
    }
    let identical = outcomes.iter().filter(|o| o.identical).count();
    println!(
        "template-conformance: {identical}/{} identical ({known_count} known differences)",
        outcomes.len()
    );
    assert!(
        failures == 0,
        "{failures} template probes differ from helm (listed above)"
    );
}

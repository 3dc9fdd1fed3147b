//! Template engine benchmark: parse a chart's templates once, render them many times.
//!
//! Inputs (the same the Go benchmark in `benches/go` renders):
//! - `scaffold`: the templates and values of `helm create scaffold` (Helm v4.3.1), copied to
//!   `benches/data/scaffold`;
//! - `kube-prometheus-stack`: the largest chart of the conformance corpus, read from
//!   `../shared/conformance/charts/kube-prometheus-stack` (skipped when absent), with its four
//!   subcharts.
//!
//! `benches/data/<chart>.plan.json` is the render plan written by `go run ./benches/go export`:
//! every template in Helm's parse order and, per chart scope, the `.Values` (coalesced by Helm's
//! own library), `.Chart` and `.Release` Helm's engine would pass, plus the capabilities. The
//! bench adds the objects templates call methods on: `.Capabilities` (`KubeVersion` with
//! `Version`/`Major`/`Minor` and `String`/`GitVersion`, `APIVersions.Has`) and a minimal
//! `.Files` (`Get`, `Glob`; empty, as no template enabled by the default values reads files).
//! `bench_rsa_key` times one RSA key of the size Sprig's certificate functions make.
//! `bench_chart_render` times the real path instead (`chart::render::render`, which builds
//! all of this itself) on the corpus charts.
//!
//! One "render" executes every non-partial template of the chart once (like one `helm
//! template`, without loading or YAML post-processing). Besides criterion's timings the bench
//! prints allocations per render, counted by a global allocator wrapper.

// A benchmark is test code: a missing input file or a template that fails is a broken setup
// and should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::alloc::System;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use wheelhouse::template::funcs::helm as helm_engine_funcs;
use wheelhouse::template::helm_funcs::{self, HelmFuncOptions};
use wheelhouse::template::value::{JsonNumbers, Str};
use wheelhouse::template::{
    CollType, ElemType, FuncError, FuncMap, Method, NamedType, Object, Options, ParamType,
    Signature, TemplateSet, Value, sprig,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// One template of the plan.
struct PlannedTemplate {
    name: String,
    scope: String,
    base_path: String,
}

/// A chart ready to render: the parsed set and the data of each scope.
struct Workload {
    label: &'static str,
    /// Template names and sources in Helm's parse order.
    sources: Vec<(String, String)>,
    set: TemplateSet,
    templates: Vec<PlannedTemplate>,
    scopes: BTreeMap<String, Value>,
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn function_map() -> FuncMap {
    let mut funcs = FuncMap::new();
    sprig::register(&mut funcs);
    helm_funcs::register(&mut funcs, &HelmFuncOptions::default());
    helm_engine_funcs::register(&mut funcs);
    funcs
}

fn str_map(entries: Vec<(&str, Value)>) -> BTreeMap<Str, Value> {
    entries
        .into_iter()
        .map(|(k, v)| (Str::from(k), v))
        .collect()
}

/// Helm's `common.Values` named map type (the `Table`/`AsMap` methods are not needed here).
fn values_type() -> CollType {
    CollType {
        elem: ElemType::Interface,
        named: Some(Arc::new(NamedType {
            name: "common.Values".to_string(),
            methods: Vec::new(),
        })),
    }
}

/// A minimal `engine.files` (`map[string][]byte` with `Get` and `Glob`), holding no files.
fn files_value() -> Value {
    let get = Method {
        name: "Get".to_string(),
        sig: Signature::new([ParamType::String]),
        call: Arc::new(|receiver: &Value, args: &[Value]| {
            let name = args.first().and_then(Value::as_str).unwrap_or_default();
            let data = match receiver {
                Value::Map(m) => match m.borrow().entries.get(name) {
                    Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            Ok(Value::from(data))
        }),
    };
    let glob = Method {
        name: "Glob".to_string(),
        sig: Signature::new([ParamType::String]),
        call: Arc::new(|_: &Value, _: &[Value]| Ok(files_value())),
    };
    let ty = CollType {
        elem: ElemType::Bytes,
        named: Some(Arc::new(NamedType {
            name: "engine.files".to_string(),
            methods: vec![get, glob],
        })),
    };
    Value::typed_map(ty, BTreeMap::new())
}

/// Helm's `common.KubeVersion` (fields `Version`, `Major`, `Minor`; methods `String`,
/// `GitVersion`).
#[derive(Debug, Clone)]
struct KubeVersion {
    version: String,
    major: String,
    minor: String,
}

impl Object for KubeVersion {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("common.KubeVersion")
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::from(self.version.as_str())),
            "Major" => Some(Value::from(self.major.as_str())),
            "Minor" => Some(Value::from(self.minor.as_str())),
            _ => None,
        }
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        matches!(name, "String" | "GitVersion").then(|| Signature::new([]))
    }
    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        Ok(Value::from(self.version.as_str()))
    }
    fn fields(&self) -> Vec<(String, Value)> {
        ["Version", "Major", "Minor"]
            .iter()
            .filter_map(|f| self.field(f).map(|v| (f.to_string(), v)))
            .collect()
    }
    fn go_string(&self) -> Option<String> {
        Some(self.version.clone())
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Version": self.version, "Major": self.major, "Minor": self.minor})
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Helm's `*common.Capabilities` (`KubeVersion`, `APIVersions`).
#[derive(Debug)]
struct Capabilities {
    kube: KubeVersion,
    api_versions: Value,
}

impl Object for Capabilities {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*common.Capabilities")
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::object(self.kube.clone())),
            "APIVersions" => Some(self.api_versions.clone()),
            _ => None,
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        ["KubeVersion", "APIVersions"]
            .iter()
            .filter_map(|f| self.field(f).map(|v| (f.to_string(), v)))
            .collect()
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"KubeVersion": self.kube.to_json(), "APIVersions": self.api_versions.to_json()})
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `common.VersionSet` (`[]string` with `Has`).
fn version_set(versions: &[serde_json::Value]) -> Value {
    let has = Method {
        name: "Has".to_string(),
        sig: Signature::new([ParamType::String]),
        call: Arc::new(|receiver: &Value, args: &[Value]| {
            let wanted = args.first().and_then(Value::as_str).unwrap_or_default();
            let found = match receiver {
                Value::List(l) => l.items.iter().any(|v| v.as_str() == Some(wanted)),
                _ => false,
            };
            Ok(Value::Bool(found))
        }),
    };
    let items = versions
        .iter()
        .filter_map(|v| v.as_str())
        .map(Value::from)
        .collect();
    let ty = CollType {
        elem: ElemType::String,
        named: Some(Arc::new(NamedType {
            name: "common.VersionSet".to_string(),
            methods: vec![has],
        })),
    };
    Value::List(std::rc::Rc::new(wheelhouse::template::List { ty, items }))
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Loads a chart's plan and templates and parses them into one set (Helm's order).
fn load(label: &'static str, chart_dir: &Path) -> Workload {
    let plan_path = repo_dir().join(format!("benches/data/{label}.plan.json"));
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).expect("the render plan exists"))
            .expect("the render plan is JSON");

    let mut templates = Vec::new();
    let mut sources = Vec::new();
    for t in plan["templates"].as_array().expect("templates") {
        let name = text(t, "name");
        let source = std::fs::read_to_string(chart_dir.join(text(t, "path")))
            .expect("the template file exists");
        sources.push((name.clone(), source));
        templates.push(PlannedTemplate {
            name,
            scope: text(t, "scope"),
            base_path: text(t, "base_path"),
        });
    }

    let set = parse_all(&sources);
    let kube = KubeVersion {
        version: text(&plan, "kube_version"),
        major: text(&plan, "kube_major"),
        minor: text(&plan, "kube_minor"),
    };
    let api_versions = plan["api_versions"].as_array().cloned().unwrap_or_default();
    let mut scopes = BTreeMap::new();
    for (scope, data) in plan["scopes"].as_object().expect("scopes") {
        let values = match Value::from_json_with(&data["Values"], JsonNumbers::Float64) {
            Value::Map(m) => Value::typed_map(values_type(), m.borrow().entries.clone()),
            _ => Value::typed_map(values_type(), BTreeMap::new()),
        };
        let release = match Value::from_json(&data["Release"]) {
            Value::Map(m) => {
                // Helm's Revision is a Go int; JSON made it a float.
                m.borrow_mut()
                    .entries
                    .insert(Str::from("Revision"), Value::int(1));
                Value::Map(m)
            }
            other => other,
        };
        let capabilities = Value::object(Capabilities {
            kube: kube.clone(),
            api_versions: version_set(&api_versions),
        });
        let top = Value::typed_map(
            values_type(),
            str_map(vec![
                ("Values", values),
                ("Chart", Value::from_json(&data["Chart"])),
                ("Release", release),
                ("Capabilities", capabilities),
                ("Files", files_value()),
                ("Subcharts", Value::map(BTreeMap::new())),
            ]),
        );
        scopes.insert(scope.clone(), top);
    }
    Workload {
        label,
        sources,
        set,
        templates,
        scopes,
    }
}

/// Parses all sources into one set, as Helm does before rendering.
fn parse_all(sources: &[(String, String)]) -> TemplateSet {
    let mut set = TemplateSet::new("gotpl", function_map(), Options::default());
    for (name, source) in sources {
        set.add(name, source)
            .unwrap_or_else(|e| panic!("{name} parses: {e}"));
    }
    set
}

impl Workload {
    /// Renders every non-partial template once; returns the bytes produced.
    fn render_all(&self) -> usize {
        let mut total = 0;
        for t in &self.templates {
            if t.name
                .rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with('_'))
            {
                continue;
            }
            let top = &self.scopes[&t.scope];
            if let Value::Map(m) = top {
                let template = Value::typed_map(
                    values_type(),
                    str_map(vec![
                        ("Name", Value::from(t.name.as_str())),
                        ("BasePath", Value::from(t.base_path.as_str())),
                    ]),
                );
                m.borrow_mut()
                    .entries
                    .insert(Str::from("Template"), template);
            }
            let out = self
                .set
                .render(&t.name, top)
                .unwrap_or_else(|e| panic!("{} renders: {e}", t.name));
            total += black_box(out).len();
        }
        total
    }

    /// Prints the output size and the allocations of one render (after a warm-up render).
    fn report_allocations(&self) {
        let bytes = self.render_all();
        let region = Region::new(GLOBAL);
        let runs = 20;
        for _ in 0..runs {
            self.render_all();
        }
        let change = region.change();
        println!(
            "{}: {} templates, {} bytes per render; {} allocations and {} bytes allocated per render",
            self.label,
            self.templates.len(),
            bytes,
            change.allocations / runs,
            change.bytes_allocated / runs
        );
    }
}

/// The shared directory holding the corpus: `WHEELHOUSE_SHARED_DIR`, else `../shared`.
fn shared_dir() -> PathBuf {
    std::env::var_os("WHEELHOUSE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_dir().join("../shared"))
}

fn workloads() -> Vec<Workload> {
    let mut out = vec![load("scaffold", &repo_dir().join("benches/data/scaffold"))];
    let kps = shared_dir().join("conformance/charts/kube-prometheus-stack");
    if kps.is_dir() {
        out.push(load("kube-prometheus-stack", &kps));
    } else {
        eprintln!(
            "skipping kube-prometheus-stack: {} not found",
            kps.display()
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    for w in workloads() {
        w.report_allocations();
        c.bench_function(&format!("{}/render", w.label), |b| {
            b.iter(|| w.render_all())
        });
        c.bench_function(&format!("{}/parse", w.label), |b| {
            b.iter(|| parse_all(&w.sources))
        });
    }
}

/// The real code path of `helm template`/`wheelhouse template` after loading: values,
/// `.Capabilities`, the engine, manifest splitting and sorting (`chart::render::render`),
/// on the corpus charts that exist locally.
fn bench_chart_render(c: &mut Criterion) {
    use wheelhouse::chart::load::{Limits, load_dir};
    use wheelhouse::chart::render::{RenderOptions, render};
    let corpus = shared_dir().join("conformance/charts");
    for name in ["kube-prometheus-stack", "argo-cd", "nginx"] {
        let dir = corpus.join(name);
        if !dir.is_dir() {
            eprintln!(
                "skipping chart::render on {name}: {} not found",
                dir.display()
            );
            continue;
        }
        let chart = load_dir(&dir, &Limits::default()).expect("the corpus chart loads");
        let options = RenderOptions::template("bench", "bench");
        let values = serde_json::Map::new();
        c.bench_function(&format!("{name}/chart-render"), |b| {
            b.iter(|| render(black_box(&chart), &values, &options).expect("the chart renders"))
        });
    }
}

/// A 2048-bit RSA key as `genCA`, `genSelfSignedCert` and `genSignedCert` make one: the
/// slowest function a chart can call (two threads search for its primes; the base-2
/// Miller–Rabin tests run on AVX-512 IFMA when the CPU has it). The search length is random,
/// so single samples vary widely; criterion's mean over many keys is the figure.
fn bench_rsa_key(c: &mut Criterion) {
    use wheelhouse::template::sprig::rsa_keygen;
    let mut group = c.benchmark_group("sprig");
    group.sample_size(50);
    group.bench_function("rsa-2048-key", |b| {
        b.iter(|| rsa_keygen::generate(2048).expect("a key"))
    });
    group.finish();
}

criterion_group!(benches, bench, bench_chart_render, bench_rsa_key);
criterion_main!(benches);

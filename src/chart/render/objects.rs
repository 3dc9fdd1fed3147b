//! The built-in objects templates see, with the Go types and methods Helm 4.3.1 gives them:
//!
//! - `.Capabilities`: `*common.Capabilities` (`pkg/chart/common/capabilities.go`) with
//!   `KubeVersion` (`common.KubeVersion`: `Version`, `Major`, `Minor`, `String`,
//!   `GitVersion`), `APIVersions` (`common.VersionSet` with `Has`) and `HelmVersion`
//!   (`version.BuildInfo`); [`Capabilities::helm_default`] is what `helm template` uses.
//! - `.Release`: `map[string]interface {}` with `Name`, `Namespace`, `IsUpgrade`,
//!   `IsInstall`, `Revision` (`int`), `Service` (`pkg/chart/common/util/values.go`).
//! - `.Chart`: the chart's metadata turned into a `map[string]interface {}` keyed by Go field
//!   names, plus `IsRoot` (`structToMap` in `pkg/chart/common.go`).
//! - `.Values` and `.Template`: `common.Values`, a named map type with the methods `YAML`,
//!   `Table`, `AsMap`, `PathValue` and `Encode` (`pkg/chart/common/values.go`), which shadow
//!   values keys of the same names as in Go.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use serde_json::json;

use crate::chart::model::{Dependency, Maintainer, Metadata};
use crate::codec;
use crate::semver::kube::KubeVersion;
use crate::template::value::{CollType, ElemType, Method, NamedType, Str};
use crate::template::{FuncError, Object, ParamType, Signature, Value};

/// Helm's default `.Capabilities.APIVersions` (Go: `common.DefaultVersionSet`, the API
/// group versions registered in client-go's scheme plus apiextensions v1beta1 and v1, in
/// the scheme's priority order). Taken from the output of the pinned helm v4.3.1 binary
/// (`{{ toJson .Capabilities.APIVersions }}` under `helm template`); it depends on the
/// client-go version Helm is built with (v0.37).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "lifecycle.k8s.io/v1alpha1",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// Kubernetes version Helm assumes without a cluster: client-go's minor with major 1
/// (Go: `makeDefaultCapabilities`; Helm v4.3.1 is built with client-go v0.37).
pub const DEFAULT_KUBE_VERSION: &str = "v1.37.0";

/// Build information of a Helm binary (Go: `internal/version.BuildInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmBuildInfo {
    /// `Version`, e.g. `v4.3.1`.
    pub version: String,
    /// `GitCommit` (empty in the pinned build).
    pub git_commit: String,
    /// `GitTreeState`, e.g. `clean`.
    pub git_tree_state: String,
    /// `GoVersion`, e.g. `go1.26.8`.
    pub go_version: String,
    /// `KubeClientVersion`, e.g. `v1.37`.
    pub kube_client_version: String,
}

impl HelmBuildInfo {
    /// What the pinned helm v4.3.1 binary reports (`helm version`:
    /// `version.BuildInfo{Version:"v4.3.1", GitCommit:"", GitTreeState:"clean",
    /// GoVersion:"go1.26.8", KubeClientVersion:"v1.37"}`), so that
    /// `.Capabilities.HelmVersion` renders as it does under that binary.
    pub fn pinned_helm() -> HelmBuildInfo {
        HelmBuildInfo {
            version: "v4.3.1".into(),
            git_commit: String::new(),
            git_tree_state: "clean".into(),
            go_version: "go1.26.8".into(),
            kube_client_version: "v1.37".into(),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        self.to_json_with(&|_, k| k.to_owned())
    }

    /// [`HelmBuildInfo::to_json`] with keys built by `key(field position, name)`.
    fn to_json_with(&self, key: &dyn Fn(usize, &str) -> String) -> serde_json::Value {
        // Go: `json:"version,omitempty"` etc.; `kube_client_version` has no omitempty.
        let mut m = serde_json::Map::new();
        for (i, (name, value)) in [
            ("version", &self.version),
            ("git_commit", &self.git_commit),
            ("git_tree_state", &self.git_tree_state),
            ("go_version", &self.go_version),
        ]
        .into_iter()
        .enumerate()
        {
            if !value.is_empty() {
                m.insert(key(i, name), json!(value));
            }
        }
        m.insert(
            key(4, "kube_client_version"),
            json!(self.kube_client_version),
        );
        serde_json::Value::Object(m)
    }
}

/// What the cluster offers (Go: `common.Capabilities`): plain data, turned into the
/// `.Capabilities` object per render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The Kubernetes version (`.Capabilities.KubeVersion`).
    pub kube_version: KubeVersion,
    /// API group versions (and `group/version/Kind` entries) the cluster serves.
    pub api_versions: Vec<String>,
    /// The Helm build the render impersonates.
    pub helm_version: HelmBuildInfo,
}

impl Capabilities {
    /// Helm's offline defaults (Go: `common.DefaultCapabilities`): Kubernetes
    /// [`DEFAULT_KUBE_VERSION`], [`DEFAULT_API_VERSIONS`], the pinned Helm build.
    pub fn helm_default() -> Capabilities {
        let kube_version = KubeVersion::parse(DEFAULT_KUBE_VERSION)
            .unwrap_or_else(|_| KubeVersion::from_server(DEFAULT_KUBE_VERSION, "1", "37"));
        Capabilities {
            kube_version,
            api_versions: DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
            helm_version: HelmBuildInfo::pinned_helm(),
        }
    }

    /// The template value (`*common.Capabilities`).
    pub fn to_value(&self) -> Value {
        Value::object(CapabilitiesObject(Rc::new(self.clone())))
    }
}

#[derive(Debug)]
struct CapabilitiesObject(Rc<Capabilities>);

impl Object for CapabilitiesObject {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*common.Capabilities")
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::object(KubeVersionObject(
                self.0.kube_version.clone(),
            ))),
            "APIVersions" => Some(version_set(&self.0.api_versions)),
            "HelmVersion" => Some(Value::object(BuildInfoObject(self.0.helm_version.clone()))),
            _ => None,
        }
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        (name == "Copy").then(|| Signature::new([]))
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        match name {
            "Copy" => Ok(Value::object(CapabilitiesObject(Rc::new(
                (*self.0).clone(),
            )))),
            _ => Err(FuncError::new(format!("method {name} not implemented"))),
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        ["KubeVersion", "APIVersions", "HelmVersion"]
            .iter()
            .filter_map(|n| self.field(n).map(|v| (n.to_string(), v)))
            .collect()
    }
    fn to_json(&self) -> serde_json::Value {
        self.to_json_ordered(&|_, k| k.to_owned())
    }
    fn to_json_ordered(&self, key: &dyn Fn(usize, &str) -> String) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert(
            key(0, "KubeVersion"),
            kube_version_json(&self.0.kube_version, key),
        );
        m.insert(key(1, "APIVersions"), json!(self.0.api_versions));
        m.insert(key(2, "HelmVersion"), self.0.helm_version.to_json_with(key));
        serde_json::Value::Object(m)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `common.KubeVersion` as `encoding/json` writes it, keys built by `key(position, name)`.
fn kube_version_json(k: &KubeVersion, key: &dyn Fn(usize, &str) -> String) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert(key(0, "Version"), json!(k.version));
    m.insert(key(1, "Major"), json!(k.major));
    m.insert(key(2, "Minor"), json!(k.minor));
    serde_json::Value::Object(m)
}

/// `common.KubeVersion`, reached through the `*common.Capabilities` pointer (addressable, so
/// its pointer methods `String` and `GitVersion` are callable and printing uses `String`).
#[derive(Debug)]
struct KubeVersionObject(KubeVersion);

impl Object for KubeVersionObject {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("common.KubeVersion")
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::from(self.0.version.as_str())),
            "Major" => Some(Value::from(self.0.major.as_str())),
            "Minor" => Some(Value::from(self.0.minor.as_str())),
            _ => None,
        }
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        matches!(name, "String" | "GitVersion").then(|| Signature::new([]))
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        match name {
            "String" => Ok(Value::from(self.0.constraint_version())),
            "GitVersion" => Ok(Value::from(self.0.version.as_str())),
            _ => Err(FuncError::new(format!("method {name} not implemented"))),
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Version".into(), Value::from(self.0.version.as_str())),
            (
                "normalizedVersion".into(),
                Value::from(self.0.constraint_version()),
            ),
            ("Major".into(), Value::from(self.0.major.as_str())),
            ("Minor".into(), Value::from(self.0.minor.as_str())),
        ]
    }
    fn go_string(&self) -> Option<String> {
        Some(self.0.constraint_version().to_string())
    }
    fn to_json(&self) -> serde_json::Value {
        kube_version_json(&self.0, &|_, k| k.to_owned())
    }
    fn to_json_ordered(&self, key: &dyn Fn(usize, &str) -> String) -> serde_json::Value {
        kube_version_json(&self.0, key)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `version.BuildInfo`.
#[derive(Debug)]
struct BuildInfoObject(HelmBuildInfo);

impl Object for BuildInfoObject {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("version.BuildInfo")
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, name: &str) -> Option<Value> {
        let b = &self.0;
        let s = match name {
            "Version" => &b.version,
            "GitCommit" => &b.git_commit,
            "GitTreeState" => &b.git_tree_state,
            "GoVersion" => &b.go_version,
            "KubeClientVersion" => &b.kube_client_version,
            _ => return None,
        };
        Some(Value::from(s.as_str()))
    }
    fn fields(&self) -> Vec<(String, Value)> {
        [
            "Version",
            "GitCommit",
            "GitTreeState",
            "GoVersion",
            "KubeClientVersion",
        ]
        .iter()
        .filter_map(|n| self.field(n).map(|v| (n.to_string(), v)))
        .collect()
    }
    fn to_json(&self) -> serde_json::Value {
        self.0.to_json()
    }
    fn to_json_ordered(&self, key: &dyn Fn(usize, &str) -> String) -> serde_json::Value {
        self.0.to_json_with(key)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `common.VersionSet` (`[]string` with `Has`).
fn version_set(versions: &[String]) -> Value {
    static TYPE: OnceLock<Arc<NamedType>> = OnceLock::new();
    let named = TYPE.get_or_init(|| {
        Arc::new(NamedType {
            name: "common.VersionSet".into(),
            methods: vec![Method {
                name: "Has".into(),
                sig: Signature::new([ParamType::String]),
                call: Arc::new(|recv: &Value, args: &[Value]| {
                    let wanted = args.first().and_then(Value::as_str).unwrap_or_default();
                    let has = match recv {
                        Value::List(l) => l.items.iter().any(|v| v.as_str() == Some(wanted)),
                        _ => false,
                    };
                    Ok(Value::Bool(has))
                }),
            }],
        })
    });
    Value::List(Rc::new(crate::template::List {
        ty: CollType {
            elem: ElemType::String,
            named: Some(Arc::clone(named)),
        },
        items: versions.iter().map(|v| Value::from(v.as_str())).collect(),
    }))
}

/// Release facts for `.Release` (Go: `common.ReleaseOptions` plus `Service`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision number (1 for an install).
    pub revision: i64,
    /// Whether this render is for an upgrade (or a rollback).
    pub is_upgrade: bool,
    /// Whether this render is for an install.
    pub is_install: bool,
}

impl ReleaseInfo {
    /// The `.Release` map.
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert(Str::from("Name"), Value::from(self.name.as_str()));
        m.insert(Str::from("Namespace"), Value::from(self.namespace.as_str()));
        m.insert(Str::from("IsUpgrade"), Value::Bool(self.is_upgrade));
        m.insert(Str::from("IsInstall"), Value::Bool(self.is_install));
        m.insert(Str::from("Revision"), Value::int(self.revision));
        m.insert(Str::from("Service"), Value::from("Helm"));
        Value::map(m)
    }
}

fn strings_any(items: &[String]) -> Value {
    Value::list(items.iter().map(|s| Value::from(s.as_str())).collect())
}

fn maintainer_value(m: &Maintainer) -> Value {
    let mut e = BTreeMap::new();
    e.insert(Str::from("Name"), Value::from(m.name.as_str()));
    e.insert(Str::from("Email"), Value::from(m.email.as_str()));
    e.insert(Str::from("URL"), Value::from(m.url.as_str()));
    Value::map(e)
}

fn dependency_value(d: &Dependency) -> Value {
    let mut e = BTreeMap::new();
    e.insert(Str::from("Name"), Value::from(d.name.as_str()));
    e.insert(Str::from("Version"), Value::from(d.version.as_str()));
    e.insert(Str::from("Repository"), Value::from(d.repository.as_str()));
    e.insert(Str::from("Condition"), Value::from(d.condition.as_str()));
    e.insert(Str::from("Tags"), strings_any(&d.tags));
    e.insert(Str::from("Enabled"), Value::Bool(d.enabled));
    e.insert(
        Str::from("ImportValues"),
        Value::list(d.import_values.iter().map(Value::from_json).collect()),
    );
    e.insert(Str::from("Alias"), Value::from(d.alias.as_str()));
    Value::map(e)
}

/// The `.Chart` map: every `Chart.yaml` field under its Go name (`Name`, `Home`, `Sources`,
/// `Version`, `Description`, `Keywords`, `Maintainers`, `Icon`, `APIVersion`, `Condition`,
/// `Tags`, `AppVersion`, `Deprecated`, `Annotations`, `KubeVersion`, `Dependencies`, `Type`),
/// lists as `[]interface {}` (empty, never nil), `Annotations` a `map[string]string` (nil when
/// the chart has none), plus `IsRoot` when `is_root` is given (the engine adds it; the
/// top-level render values do not have it).
pub fn chart_value(metadata: &Metadata, is_root: Option<bool>) -> Value {
    let mut e = BTreeMap::new();
    let s = |v: &String| Value::from(v.as_str());
    e.insert(Str::from("Name"), s(&metadata.name));
    e.insert(Str::from("Home"), s(&metadata.home));
    e.insert(Str::from("Sources"), strings_any(&metadata.sources));
    e.insert(Str::from("Version"), s(&metadata.version));
    e.insert(Str::from("Description"), s(&metadata.description));
    e.insert(Str::from("Keywords"), strings_any(&metadata.keywords));
    e.insert(
        Str::from("Maintainers"),
        Value::list(metadata.maintainers.iter().map(maintainer_value).collect()),
    );
    e.insert(Str::from("Icon"), s(&metadata.icon));
    e.insert(Str::from("APIVersion"), s(&metadata.api_version));
    e.insert(Str::from("Condition"), s(&metadata.condition));
    e.insert(Str::from("Tags"), s(&metadata.tags));
    e.insert(Str::from("AppVersion"), s(&metadata.app_version));
    e.insert(Str::from("Deprecated"), Value::Bool(metadata.deprecated));
    e.insert(
        Str::from("Annotations"),
        annotations_value(&metadata.annotations),
    );
    e.insert(Str::from("KubeVersion"), s(&metadata.kube_version));
    e.insert(
        Str::from("Dependencies"),
        Value::list(metadata.dependencies.iter().map(dependency_value).collect()),
    );
    e.insert(Str::from("Type"), s(&metadata.chart_type));
    if let Some(root) = is_root {
        e.insert(Str::from("IsRoot"), Value::Bool(root));
    }
    Value::map(e)
}

/// `Annotations` as a `map[string]string`; a chart without annotations has a nil map (JSON
/// `null`), as in Go. (An explicit empty `annotations: {}` is not told apart from none.)
fn annotations_value(annotations: &BTreeMap<String, String>) -> Value {
    if annotations.is_empty() {
        return Value::nil_map(CollType::of(ElemType::String));
    }
    Value::typed_map(
        CollType::of(ElemType::String),
        annotations
            .iter()
            .map(|(k, v)| (Str::from(k.as_str()), Value::from(v.as_str())))
            .collect(),
    )
}

/// The named type `common.Values` (`map[string]interface {}` with Helm's methods).
pub fn values_type() -> CollType {
    static TYPE: OnceLock<Arc<NamedType>> = OnceLock::new();
    let named = TYPE.get_or_init(|| {
        let method =
            |name: &str, sig: Signature, f: fn(&Value, &[Value]) -> Result<Value, FuncError>| {
                Method {
                    name: name.into(),
                    sig,
                    call: Arc::new(f),
                }
            };
        Arc::new(NamedType {
            name: "common.Values".into(),
            methods: vec![
                method("AsMap", Signature::new([]), values_as_map),
                method(
                    "Encode",
                    Signature::new([ParamType::Named(Cow::Borrowed("io.Writer"))]),
                    |_, _| Err(FuncError::new("Encode cannot write from a template")),
                ),
                method(
                    "PathValue",
                    Signature::new([ParamType::String]),
                    values_path_value,
                ),
                method("Table", Signature::new([ParamType::String]), values_table),
                method("YAML", Signature::new([]), values_yaml),
            ],
        })
    });
    CollType {
        elem: ElemType::Interface,
        named: Some(Arc::clone(named)),
    }
}

/// A `common.Values` map holding `entries`.
pub fn values_value(entries: BTreeMap<Str, Value>) -> Value {
    Value::typed_map(values_type(), entries)
}

fn map_entries(v: &Value) -> BTreeMap<Str, Value> {
    match v {
        Value::Map(m) => m.borrow().entries.clone(),
        _ => BTreeMap::new(),
    }
}

fn values_as_map(recv: &Value, _: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::map(map_entries(recv)))
}

fn values_yaml(recv: &Value, _: &[Value]) -> Result<Value, FuncError> {
    // Go: `yaml.Marshal(v)` keeps its trailing newline; `must_to_yaml` trims one.
    codec::yaml::must_to_yaml(&recv.to_json())
        .map(|s| Value::from(format!("{s}\n")))
        .map_err(|e| FuncError::new(e.to_string()))
}

/// Go: `Values.Table`: walks `.`-separated names through nested maps.
fn table_lookup(recv: &Value, name: &str) -> Result<BTreeMap<Str, Value>, String> {
    let mut table = map_entries(recv);
    for part in name.split('.') {
        match table.get(part) {
            Some(Value::Map(m)) => {
                let next = m.borrow().entries.clone();
                table = next;
            }
            _ => return Err(format!("{} is not a table", go_quote(part))),
        }
    }
    Ok(table)
}

fn values_table(recv: &Value, args: &[Value]) -> Result<Value, FuncError> {
    let name = args.first().and_then(Value::as_str).unwrap_or_default();
    table_lookup(recv, name)
        .map(values_value)
        .map_err(FuncError::new)
}

fn values_path_value(recv: &Value, args: &[Value]) -> Result<Value, FuncError> {
    let path = args.first().and_then(Value::as_str).unwrap_or_default();
    if path.is_empty() {
        return Err(FuncError::new("YAML path cannot be empty"));
    }
    let parts: Vec<&str> = path.split('.').collect();
    let (key, tables) = match parts.split_last() {
        Some(split) => split,
        None => return Err(FuncError::new("YAML path cannot be empty")),
    };
    let no_value = || FuncError::new(format!("{} is not a value", go_quote(key)));
    let table = if tables.is_empty() {
        map_entries(recv)
    } else {
        table_lookup(recv, &tables.join(".")).map_err(|_| no_value())?
    };
    match table.get(*key) {
        Some(Value::Map(_)) | None => Err(no_value()),
        Some(v) => Ok(v.clone()),
    }
}

fn go_quote(s: &str) -> String {
    crate::template::gofmt::go_quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_version_json_omits_empty_commit() {
        let j = HelmBuildInfo::pinned_helm().to_json();
        assert_eq!(
            serde_json::to_string(&j).unwrap_or_default(),
            r#"{"git_tree_state":"clean","go_version":"go1.26.8","kube_client_version":"v1.37","version":"v4.3.1"}"#
        );
    }

    #[test]
    fn default_capabilities_use_client_go_minor() {
        let caps = Capabilities::helm_default();
        assert_eq!(caps.kube_version.version, "v1.37.0");
        assert_eq!(caps.kube_version.minor, "37");
        assert_eq!(caps.api_versions.first().map(String::as_str), Some("v1"));
    }
}

//! The loaded form of a Helm chart: metadata, lock, templates, values, schema, other files and
//! subcharts, as Helm 4.3.1's `pkg/chart/v2.Chart` holds them after loading.
//!
//! A [`Chart`] owns its subcharts ([`Chart::dependencies`]) as a tree. Helm's charts also point
//! at their parent; here the parent chain is not stored, because the values code renames
//! aliased subcharts (Helm copies the chart and sets `Metadata.Name` to the alias) and a stored
//! path would go stale. Paths are computed from the current names instead: [`Chart::walk`]
//! yields every chart with its [`ChartPath`] (`ChartFullPath()` / `ChartPath()` in
//! pkg/chart/v2/chart.go), which is what `.Template.Name` (`parent/charts/sub/templates/x.yaml`)
//! and the CRD file names are built from.
//!
//! Names of files are slash-separated and relative to the chart's own root (`templates/x.yaml`,
//! `files/a.txt`, `crds/c.yaml`), with any UTF-8 byte order mark already stripped from the data.
//! Every list keeps the order in which the loader met the files (directory walk order, which
//! sorts names within each directory, or archive entry order), as Helm's does; that order is
//! visible in Helm's output for CRDs.

use std::sync::Arc;

use serde_json::{Map, Value};

/// `apiVersion: v1` (Helm 2 charts; dependencies may live in `requirements.yaml`).
pub const API_VERSION_V1: &str = "v1";
/// `apiVersion: v2` (Helm 3 and 4 charts).
pub const API_VERSION_V2: &str = "v2";
/// `apiVersion: v3` (Helm 4's experimental chart format, loaded by `internal/chart/v3`).
pub const API_VERSION_V3: &str = "v3";

/// One file of a chart (Helm: `common.File`). The modification time Helm keeps is not modelled:
/// nothing that renders or installs a chart reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Slash-separated path relative to the chart root, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// Contents, UTF-8 BOM removed. Shared so that copying a chart (aliases) is cheap.
    pub data: Arc<[u8]>,
}

impl File {
    /// A file with the given name and contents.
    pub fn new(name: impl Into<String>, data: impl Into<Arc<[u8]>>) -> File {
        File {
            name: name.into(),
            data: data.into(),
        }
    }
}

/// A maintainer entry of `Chart.yaml` (Helm: `v2.Maintainer`). Strings are sanitized as Helm's
/// `Validate` does (whitespace becomes a space, other unprintable characters are dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    /// `name`.
    pub name: String,
    /// `email`.
    pub email: String,
    /// `url`.
    pub url: String,
}

/// A dependency declared in `Chart.yaml` (or `requirements.yaml` for apiVersion v1), or
/// recorded in a lock file (Helm: `v2.Dependency`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// `name`: the subchart's chart name.
    pub name: String,
    /// `version`: a semver constraint (a single version in lock files).
    pub version: String,
    /// `repository`: URL, `@alias`, `file://…`, or `oci://…`.
    pub repository: String,
    /// `condition`: comma-separated values paths (`sub.enabled,global.sub.enabled`); "" if none.
    pub condition: String,
    /// `tags`: tag names whose `tags.<name>` values enable the subchart.
    pub tags: Vec<String>,
    /// `enabled`: Helm sets this while resolving conditions and tags; as loaded it is whatever
    /// the file said (normally `false`).
    pub enabled: bool,
    /// `import-values`, each item as written: a string (a child values path, imported from
    /// `exports.<path>` or the path itself) or a map with `child` and `parent` keys. Items of
    /// any other shape are kept too; Helm ignores them when importing.
    pub import_values: Vec<Value>,
    /// `alias`: the name the subchart takes in the parent (matches `^[a-zA-Z0-9_-]+$`); "".
    pub alias: String,
}

/// Everything `Chart.yaml` declares (Helm: `v2.Metadata`), after Helm's validation and string
/// sanitizing. Unknown keys in the file are ignored, as Helm ignores them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// `name` (required; not `.`/`..`, no path separators).
    pub name: String,
    /// `home`: project home page URL.
    pub home: String,
    /// `sources`: source code URLs.
    pub sources: Vec<String>,
    /// `version` (required; a Masterminds semver version, kept exactly as written).
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`: icon URL.
    pub icon: String,
    /// `apiVersion`: `v1`, `v2` or `v3`. A chart loaded without one gets `v1`, as in Helm
    /// (subcharts may carry other non-empty strings; Helm does not check them).
    pub api_version: String,
    /// `condition` (a v1 leftover; not used when rendering).
    pub condition: String,
    /// `tags` (a v1 leftover, a single string; not used when rendering).
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations` (string to string).
    pub annotations: std::collections::BTreeMap<String, String>,
    /// `kubeVersion`: a semver constraint on the Kubernetes version; "" if none.
    pub kube_version: String,
    /// `dependencies` (for apiVersion v1 charts, those of `requirements.yaml`).
    pub dependencies: Vec<Dependency>,
    /// `type`: "", `application` or `library` (as written; compare with
    /// [`Chart::is_library`]).
    pub chart_type: String,
}

/// A lock file (`Chart.lock`, or `requirements.lock` for v1 charts) (Helm: `v2.Lock`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lock {
    /// `generated`: the RFC 3339 timestamp exactly as written ("" if absent).
    pub generated: String,
    /// `digest`: hash of the dependency declarations.
    pub digest: String,
    /// `dependencies`: the resolved dependencies (each `version` a single version).
    pub dependencies: Vec<Dependency>,
}

/// A loaded chart (Helm: `v2.Chart`).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Parsed and validated `Chart.yaml` (plus `requirements.yaml` for apiVersion v1).
    pub metadata: Metadata,
    /// `Chart.lock` or `requirements.lock`, if present.
    pub lock: Option<Lock>,
    /// Files under `templates/` (names keep the `templates/` prefix), in load order. Includes
    /// partials (`_helpers.tpl`) and `NOTES.txt`; the renderer decides what to do with them.
    pub templates: Vec<File>,
    /// `values.yaml` parsed as Helm does (`codec::yaml::load_values`: every document merged,
    /// numbers as `f64`); empty when the chart has no `values.yaml`.
    pub values: Map<String, Value>,
    /// The bytes of `values.yaml` (BOM stripped), if the chart has one.
    pub values_raw: Option<Arc<[u8]>>,
    /// The bytes of `values.schema.json`, if present (not parsed here).
    pub schema: Option<Arc<[u8]>>,
    /// Every other file: what `.Files` exposes. This is all files except `Chart.yaml`,
    /// `Chart.lock`, `values.yaml`, `values.schema.json`, `templates/…`, and `charts/…`
    /// (but `charts/*.prov` files are kept here). For apiVersion v1 charts `requirements.yaml`
    /// and `requirements.lock` are also kept here; for v2 they are not. `crds/…` files are
    /// here too (see [`Chart::crd_objects`]).
    pub files: Vec<File>,
    /// Every file of the chart itself as loaded, in load order, including `Chart.yaml`,
    /// values, templates and the files of subcharts under `charts/` (Helm's `Raw`).
    pub raw: Vec<File>,
    /// Subcharts loaded from `charts/` (directories and `.tgz` archives, recursively), sorted
    /// by their entry name under `charts/` (Helm iterates a Go map here, so its order is
    /// random; sorting makes ours reproducible). Entries whose name starts with `_` or `.`
    /// are not charts and are skipped, as in Helm.
    pub dependencies: Vec<Chart>,
}

/// Where a chart sits in a chart tree, computed from the current chart names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartPath {
    /// Helm's `ChartFullPath()`: the root's name, then `/charts/<name>` per level, e.g.
    /// `parent/charts/sub`. Template names are `<full>/templates/x.yaml`.
    pub full: String,
    /// Helm's `ChartPath()`: names joined by `.`, e.g. `parent.sub`.
    pub dotted: String,
    /// Nesting depth: 0 for the root chart.
    pub depth: usize,
}

impl ChartPath {
    /// The path of a root chart named `name`.
    pub fn root(name: &str) -> ChartPath {
        ChartPath {
            full: name.to_owned(),
            dotted: name.to_owned(),
            depth: 0,
        }
    }

    /// The path of a subchart named `name` directly under this chart.
    pub fn child(&self, name: &str) -> ChartPath {
        ChartPath {
            full: format!("{}/charts/{name}", self.full),
            dotted: format!("{}.{name}", self.dotted),
            depth: self.depth + 1,
        }
    }

    /// Whether this is the root chart.
    pub fn is_root(&self) -> bool {
        self.depth == 0
    }
}

/// A CRD file of a chart with the name Helm gives it (Helm: `v2.CRD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crd<'a> {
    /// The file name within its chart, e.g. `crds/crontab.yaml`.
    pub name: &'a str,
    /// `ChartFullPath()` joined with the file name, e.g. `parent/charts/sub/crds/crontab.yaml`.
    pub filename: String,
    /// The file.
    pub file: &'a File,
}

impl Chart {
    /// The chart's name (`metadata.name`).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether the chart is a library chart (`type` equal to `library`, ignoring ASCII case,
    /// as Helm's `IsLibraryChart`). Library charts render helpers only and cannot be installed.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }

    /// `metadata.appVersion`.
    pub fn app_version(&self) -> &str {
        &self.metadata.app_version
    }

    /// This chart and all its subcharts, depth first (a chart before its dependencies, which
    /// come in [`Chart::dependencies`] order), each with its path computed from the current
    /// names, starting with this chart as the root.
    pub fn walk(&self) -> Vec<(ChartPath, &Chart)> {
        let mut out = Vec::new();
        let mut stack = vec![(ChartPath::root(self.name()), self)];
        while let Some((path, chart)) = stack.pop() {
            for dep in chart.dependencies.iter().rev() {
                stack.push((path.child(dep.name()), dep));
            }
            out.push((path, chart));
        }
        out
    }

    /// The CRD files of this chart only: files under `crds/` whose extension is `.yaml`, `.yml`
    /// or `.json` (any ASCII case), in load order (Helm: the filter in `CRDs()`).
    pub fn own_crds(&self) -> impl Iterator<Item = &File> {
        self.files
            .iter()
            .filter(|f| f.name.starts_with("crds/") && has_manifest_extension(&f.name))
    }

    /// The CRD files of this chart and then of every subchart, depth first, with the file
    /// names Helm gives them (Helm: `CRDObjects()`), taking this chart as the root.
    pub fn crd_objects(&self) -> Vec<Crd<'_>> {
        let mut out = Vec::new();
        for (path, chart) in self.walk() {
            for file in chart.own_crds() {
                out.push(Crd {
                    name: &file.name,
                    filename: format!("{}/{}", path.full, file.name),
                    file,
                });
            }
        }
        out
    }

    /// The subchart loaded for a `charts/` entry whose chart name is `name`, if any.
    pub fn dependency(&self, name: &str) -> Option<&Chart> {
        self.dependencies.iter().find(|d| d.name() == name)
    }
}

/// Helm's `hasManifestExtension`: `.yaml`, `.yml` or `.json`, ASCII case ignored. The
/// extension is what Go's `filepath.Ext` returns: from the last `.` of the last path element.
pub fn has_manifest_extension(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    match base.rfind('.') {
        Some(dot) => {
            let ext = &base[dot..];
            ext.eq_ignore_ascii_case(".yaml")
                || ext.eq_ignore_ascii_case(".yml")
                || ext.eq_ignore_ascii_case(".json")
        }
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn chart(name: &str, deps: Vec<Chart>, files: &[&str]) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.to_owned(),
                version: "1.0.0".to_owned(),
                api_version: API_VERSION_V2.to_owned(),
                ..Metadata::default()
            },
            lock: None,
            templates: Vec::new(),
            values: Map::new(),
            values_raw: None,
            schema: None,
            files: files
                .iter()
                .map(|n| File::new(*n, Arc::<[u8]>::from(&b"x"[..])))
                .collect(),
            raw: Vec::new(),
            dependencies: deps,
        }
    }

    #[test]
    fn walk_gives_helm_full_paths_depth_first() {
        let c = chart(
            "top",
            vec![
                chart("a", vec![chart("deep", vec![], &[])], &[]),
                chart("b", vec![], &[]),
            ],
            &[],
        );
        let paths: Vec<(String, String)> = c
            .walk()
            .into_iter()
            .map(|(p, _)| (p.full, p.dotted))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("top".into(), "top".into()),
                ("top/charts/a".into(), "top.a".into()),
                ("top/charts/a/charts/deep".into(), "top.a.deep".into()),
                ("top/charts/b".into(), "top.b".into()),
            ]
        );
    }

    #[test]
    fn crd_objects_filter_extension_and_prefix() {
        let c = chart(
            "top",
            vec![chart("sub", vec![], &["crds/s.YML", "crds/readme.md"])],
            &[
                "crds/a.yaml",
                "crds/b.json",
                "crds/c.txt",
                "files/crds/d.yaml",
            ],
        );
        let got: Vec<String> = c.crd_objects().into_iter().map(|c| c.filename).collect();
        assert_eq!(
            got,
            vec![
                "top/crds/a.yaml",
                "top/crds/b.json",
                "top/charts/sub/crds/s.YML"
            ]
        );
    }

    #[test]
    fn manifest_extension_uses_last_element() {
        assert!(has_manifest_extension("crds/x.Yaml"));
        assert!(!has_manifest_extension("crds.yaml/x"));
        assert!(!has_manifest_extension("crds/yaml"));
        assert!(has_manifest_extension("crds/.json"));
    }

    #[test]
    fn library_type_ignores_case() {
        let mut c = chart("l", vec![], &[]);
        c.metadata.chart_type = "Library".into();
        assert!(c.is_library());
        c.metadata.chart_type = "application".into();
        assert!(!c.is_library());
    }
}

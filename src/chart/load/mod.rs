//! Loading charts as Helm 4.3.1 does: from a directory ([`load_dir`]), from a `.tgz` archive
//! held in memory ([`load_archive`]), or from a list of files ([`load_files`]).
//!
//! Sources: `pkg/chart/loader/load.go` (apiVersion dispatch), `pkg/chart/v2/loader/load.go`
//! (`LoadFiles`: which file goes where, subcharts), `internal/chart/v3/loader/load.go` (the v3
//! variant), `pkg/chart/v2/loader/directory.go`, `pkg/chart/loader/archive/archive.go`,
//! `pkg/ignore/rules.go`, `pkg/chart/v2/metadata.go` (validation).
//!
//! Classification of a chart's files ([`load_files`]):
//! - `Chart.yaml` → [`Metadata`](crate::chart::model::Metadata); an empty `apiVersion` becomes
//!   `v1`. `requirements.yaml` (v1/v2 only) is decoded into the same metadata (it normally
//!   brings `dependencies`) and, for v1 charts, also kept in `files`.
//! - `Chart.lock` → lock; `requirements.lock` (v1/v2 only) → lock, and for v1 also in `files`.
//! - `values.yaml` → values (multi-document, merged); `values.schema.json` → schema.
//! - `templates/…` → templates. `charts/*.prov` → files. Other `charts/<entry>/…` and
//!   `charts/<entry>.tgz` → subcharts (entries starting with `_` or `.` are skipped).
//! - Everything else (including `crds/…`, `.helmignore`, `README.md`) → files.
//!
//! Then `Chart.yaml file is missing` if there was none, then metadata validation, then the
//! subcharts are loaded recursively (with the parent's loader version, as Helm does).
//!
//! Archive and directory limits are in [`Limits`]; see [`archive`] for the archive rules and
//! the checks that are stricter than Helm's.

pub mod archive;
pub mod dir;
pub mod ignore;
mod metadata;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::chart::model::{API_VERSION_V1, API_VERSION_V3, Chart, File};
use metadata::{Package, RawMetadata};

pub use ignore::IgnoreRules;

/// Size limits applied while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes of all files of one archive or directory (Helm's
    /// `MaxDecompressedChartSize`, 100 MiB). As in Helm, an archive fails when its files use
    /// the whole budget exactly; a directory fails only when it goes over. Each subchart
    /// archive under `charts/` gets its own budget, as in Helm.
    pub max_chart_bytes: u64,
    /// Bytes of any single file (Helm's `MaxDecompressedFileSize`, 5 MiB; Helm 4.3.1 no longer
    /// enforces it, Wheelhouse does, for archives and directories alike).
    pub max_file_bytes: u64,
    /// Bytes of the whole decompressed tar stream, headers and skipped entries included: the
    /// point at which inflating stops. Defaults to `max_chart_bytes` plus 32 MiB for tar
    /// headers and padding.
    pub max_stream_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_chart_bytes: 100 * 1024 * 1024,
            max_file_bytes: 5 * 1024 * 1024,
            max_stream_bytes: 132 * 1024 * 1024,
        }
    }
}

/// Why a chart could not be loaded. `Display` gives Helm's text where Helm has one (plus the
/// entry or path, which Helm often omits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// No `Chart.yaml` among the chart's files.
    #[error("Chart.yaml file is missing")]
    ChartYamlMissing,
    /// The chart directory has no readable `Chart.yaml` (`path` is the file looked for).
    #[error("unable to detect chart at {path}: {message}")]
    NoChartYaml {
        /// The `Chart.yaml` path looked for.
        path: String,
        /// Why it could not be read.
        message: String,
    },
    /// An archive without `Chart.yaml` at its chart root.
    #[error("unable to detect chart version, no Chart.yaml found")]
    NoChartYamlInArchive,
    /// `Chart.yaml` names an apiVersion other than v1, v2, v3 or none.
    #[error("unsupported chart version")]
    UnsupportedApiVersion {
        /// The apiVersion found.
        api_version: String,
    },
    /// A YAML file of the chart could not be decoded (`file` is `Chart.yaml`, `Chart.lock`,
    /// `values.yaml`, `requirements.yaml` or `requirements.lock`).
    #[error("cannot load {file}: {message}")]
    Parse {
        /// The chart file.
        file: String,
        /// The decoder's message (Helm's text).
        message: String,
    },
    /// `Chart.yaml` failed Helm's validation.
    #[error("validation: {message}")]
    Validation {
        /// Helm's message, e.g. `chart.metadata.name is required`.
        message: String,
    },
    /// A subchart under `charts/` failed to load.
    #[error("error unpacking subchart {entry} in {parent}: {source}")]
    Subchart {
        /// The entry under `charts/` (directory or `.tgz` name).
        entry: String,
        /// The parent chart's name.
        parent: String,
        /// The subchart's error.
        source: Box<LoadError>,
    },
    /// A `charts/<x>.tgz/…` path: a directory named like an archive.
    #[error("error unpacking subchart tar in {parent}: expected {expected}, got {got}")]
    SubchartTarName {
        /// The parent chart's name.
        parent: String,
        /// The entry name.
        expected: String,
        /// The first file found under it.
        got: String,
    },
    /// The data is not gzip (Go: `gzip: invalid header`).
    #[error("stream does not appear to be a valid chart file (details: gzip: invalid header)")]
    NotGzip,
    /// A subchart archive's gzip or tar stream is unreadable (Helm's text passed through).
    #[error("{message}")]
    SubchartArchive {
        /// The decoder's message, e.g. `gzip: invalid header`, `unexpected EOF`.
        message: String,
    },
    /// The gzip or tar stream is corrupt.
    #[error("unable to load chart archive{}: {message}", entry_suffix(.entry))]
    Archive {
        /// The entry being read, if any.
        entry: Option<String>,
        /// The decoder's message.
        message: String,
    },
    /// An entry with an absolute path inside the chart directory.
    #[error("chart illegally contains absolute paths: {entry:?}")]
    AbsolutePath {
        /// The entry name as in the archive.
        entry: String,
    },
    /// An entry that is the chart directory itself or has no chart directory.
    #[error("chart illegally contains content outside the base directory: {entry:?}")]
    OutsideBaseDirectory {
        /// The entry name as in the archive.
        entry: String,
    },
    /// An entry whose cleaned path starts with `..`.
    #[error("chart illegally references parent directory: {entry:?}")]
    ParentDirectory {
        /// The entry name as in the archive.
        entry: String,
    },
    /// An entry whose cleaned path starts with a drive letter (`c:/`).
    #[error("chart contains illegally named files: {entry:?}")]
    IllegalName {
        /// The entry name as in the archive.
        entry: String,
    },
    /// A `Chart.yaml` entry at the top level of the archive, outside any chart directory.
    #[error("chart yaml not in base directory: {entry:?}")]
    ChartYamlNotInBase {
        /// The entry name as in the archive.
        entry: String,
    },
    /// A symbolic or hard link entry (Wheelhouse refuses them; Helm stores them as files).
    #[error("chart archive contains a {} entry {entry:?} -> {target:?}", if *.hard { "hard link" } else { "symbolic link" })]
    Link {
        /// The entry name as in the archive.
        entry: String,
        /// The link target.
        target: String,
        /// Whether it is a hard link.
        hard: bool,
    },
    /// A device, FIFO or other special entry (refused; Helm stores them as files).
    #[error("chart archive contains a {kind} entry {entry:?}")]
    SpecialEntry {
        /// The entry name as in the archive.
        entry: String,
        /// What kind of entry it is.
        kind: &'static str,
    },
    /// Two entries with the same path after cleaning (refused; Helm keeps both).
    #[error("chart archive contains {path:?} more than once (entry {entry:?})")]
    DuplicateEntry {
        /// The second entry's name as in the archive.
        entry: String,
        /// The cleaned chart-relative path.
        path: String,
    },
    /// An entry or file name that is not valid UTF-8 (refused).
    #[error("chart contains a file name that is not UTF-8: {entry:?}")]
    NonUtf8Name {
        /// The name, with invalid bytes replaced.
        entry: String,
    },
    /// The archive's files add up to the chart limit or more.
    #[error("decompressed chart is larger than the maximum size {limit} (at entry {entry:?})")]
    ChartTooLarge {
        /// The entry that crossed the limit.
        entry: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The decompressed tar stream went past its cap (a decompression bomb).
    #[error("decompressed chart archive stream is larger than the maximum size {limit}{}", entry_suffix(.entry))]
    ArchiveStreamTooLarge {
        /// The entry being read when the cap was hit, if any.
        entry: Option<String>,
        /// The cap in bytes.
        limit: u64,
    },
    /// One file is larger than the per-file limit.
    #[error("file {entry:?} is larger than the maximum file size {limit} ({size} bytes or more)")]
    FileTooLarge {
        /// The entry or chart-relative path.
        entry: String,
        /// Its size as declared or read.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The directory's files add up to more than the chart limit.
    #[error("error reading {path}: chart exceeds maximum decompressed size of {limit} bytes")]
    DirectoryTooLarge {
        /// The chart-relative path that crossed the limit.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// An archive without files.
    #[error("no files in chart archive")]
    EmptyArchive,
    /// A device, socket, FIFO or other irregular file in a chart directory.
    #[error("cannot load irregular file {path} as it has file mode type bits set")]
    IrregularFile {
        /// The file's path.
        path: String,
    },
    /// A symbolic link that leads back into a directory being walked.
    #[error("symbolic link cycle at {path}")]
    SymlinkLoop {
        /// The path where the cycle closes.
        path: String,
    },
    /// A bad `.helmignore` rule.
    #[error(".helmignore line {line}: {message}")]
    Ignore {
        /// 1-based line number.
        line: usize,
        /// Helm's message.
        message: String,
    },
    /// A file system error.
    #[error("{path}: {message}")]
    Io {
        /// The path involved.
        path: String,
        /// The OS error text.
        message: String,
    },
}

fn entry_suffix(entry: &Option<String>) -> String {
    match entry {
        Some(e) => format!(" (at entry {e:?})"),
        None => String::new(),
    }
}

impl LoadError {
    fn io(path: &Path, e: std::io::Error) -> LoadError {
        LoadError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Loads a chart directory (Helm: `loader.Load` on a directory).
///
/// Reads `dir/Chart.yaml` to choose the loader by apiVersion, then reads the directory
/// honouring `.helmignore` and classifies the files as [`load_files`] does.
///
/// # Errors
/// [`LoadError::NoChartYaml`] when `dir/Chart.yaml` cannot be read,
/// [`LoadError::UnsupportedApiVersion`], the directory errors of [`dir::read_dir`], and those of
/// [`load_files`].
pub fn load_dir(dir: &Path, limits: &Limits) -> Result<Chart, LoadError> {
    load_dir_observed(dir, limits, &mut |_| {})
}

/// [`load_dir`] calling `on_file` with each file of the directory as soon as it is read
/// (chart-relative name and contents), before the chart is assembled: a renderer can start
/// parsing templates meanwhile (`wheelhouse template`).
///
/// # Errors
/// As [`load_dir`].
pub fn load_dir_observed(
    dir: &Path,
    limits: &Limits,
    on_file: &mut dyn FnMut(&File),
) -> Result<Chart, LoadError> {
    let top = std::path::absolute(dir).map_err(|e| LoadError::io(dir, e))?;
    let chart_yaml = top.join("Chart.yaml");
    let text = std::fs::read(&chart_yaml).map_err(|e| LoadError::NoChartYaml {
        path: chart_yaml.display().to_string(),
        message: go_io_message(&chart_yaml, &e),
    })?;
    let package = package_for(&text)?;
    let files = dir::read_dir_observed(&top, limits, on_file)?;
    load_with(files, package, limits)
}

/// Loads a `.tgz` chart archive held in memory (Helm: `loader.LoadArchive`).
///
/// # Errors
/// The archive errors of [`archive::read_archive`], [`LoadError::NoChartYamlInArchive`],
/// [`LoadError::UnsupportedApiVersion`], and those of [`load_files`].
pub fn load_archive(data: &[u8], limits: &Limits) -> Result<Chart, LoadError> {
    load_archive_observed(data, limits, &mut |_| {})
}

/// [`load_archive`] calling `on_file` with each file of the archive once all are read and
/// before the chart is assembled (see [`load_dir_observed`]).
///
/// # Errors
/// As [`load_archive`].
pub fn load_archive_observed(
    data: &[u8],
    limits: &Limits,
    on_file: &mut dyn FnMut(&File),
) -> Result<Chart, LoadError> {
    let files = archive::read_archive(data, limits)?;
    files.iter().for_each(&mut *on_file);
    let Some(chart_yaml) = files.iter().find(|f| f.name == "Chart.yaml") else {
        return Err(LoadError::NoChartYamlInArchive);
    };
    let package = package_for(&chart_yaml.data)?;
    load_with(files, package, limits)
}

/// Builds a chart from its files (Helm: `LoadFiles` of the v2 loader, or of the v3 loader when
/// `Chart.yaml` says `apiVersion: v3`). File names are chart-relative (`templates/x.yaml`);
/// BOMs must already be stripped. Subchart archives under `charts/` are read with `limits`.
///
/// # Errors
/// [`LoadError::Parse`] for undecodable YAML, [`LoadError::ChartYamlMissing`],
/// [`LoadError::Validation`], and [`LoadError::Subchart`] / [`LoadError::SubchartTarName`] for
/// subcharts.
pub fn load_files(files: Vec<File>, limits: &Limits) -> Result<Chart, LoadError> {
    let package = match files.iter().find(|f| f.name == "Chart.yaml") {
        Some(f) => package_for(&f.data).unwrap_or(Package::V2),
        None => Package::V2,
    };
    load_with(files, package, limits)
}

/// The loader Helm picks for a chart from its `Chart.yaml` (pkg/chart/loader/load.go).
fn package_for(chart_yaml: &[u8]) -> Result<Package, LoadError> {
    let chart_yaml = chart_yaml
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(chart_yaml);
    let api = metadata::decode_api_version(&String::from_utf8_lossy(chart_yaml))?;
    match api.as_str() {
        "" | "v1" | "v2" => Ok(Package::V2),
        "v3" => Ok(Package::V3),
        _ => Err(LoadError::UnsupportedApiVersion { api_version: api }),
    }
}

fn go_io_message(path: &Path, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => e.to_string(),
    };
    format!("open {}: {what}", path.display())
}

fn load_with(files: Vec<File>, package: Package, limits: &Limits) -> Result<Chart, LoadError> {
    let mut raw_meta: Option<RawMetadata> = None;
    let mut raw = Vec::with_capacity(files.len());
    for f in &files {
        raw.push(f.clone());
        if f.name == "Chart.yaml" {
            let m = raw_meta.get_or_insert_with(RawMetadata::default);
            metadata::decode_metadata("Chart.yaml", &String::from_utf8_lossy(&f.data), m, package)?;
            if m.api_version_mut().is_empty() {
                *m.api_version_mut() = match package {
                    Package::V2 => API_VERSION_V1.to_owned(),
                    Package::V3 => API_VERSION_V3.to_owned(),
                };
            }
        }
    }

    let mut lock = None;
    let mut templates = Vec::new();
    let mut values = serde_json::Map::new();
    let mut values_raw = None;
    let mut schema = None;
    let mut chart_files = Vec::new();
    // Subchart entries in first-seen order with their files (names relative to `charts/`).
    let mut subcharts: BTreeMap<String, Vec<File>> = BTreeMap::new();
    let is_v1 = |m: &Option<RawMetadata>| {
        m.as_ref()
            .is_some_and(|m| m.meta.api_version == API_VERSION_V1)
    };
    for f in files {
        let name = f.name.as_str();
        match name {
            "Chart.yaml" => {}
            "Chart.lock" => {
                lock = Some(metadata::decode_lock(
                    "Chart.lock",
                    &String::from_utf8_lossy(&f.data),
                    package,
                )?);
            }
            "values.yaml" => {
                values = crate::codec::yaml::load_values(&String::from_utf8_lossy(&f.data))
                    .map_err(|e| LoadError::Parse {
                        file: "values.yaml".to_owned(),
                        message: e.to_string(),
                    })?;
                values_raw = Some(Arc::clone(&f.data));
            }
            "values.schema.json" => schema = Some(Arc::clone(&f.data)),
            "requirements.yaml" if package == Package::V2 => {
                let m = raw_meta.get_or_insert_with(RawMetadata::default);
                metadata::decode_metadata(
                    "requirements.yaml",
                    &String::from_utf8_lossy(&f.data),
                    m,
                    package,
                )?;
                if is_v1(&raw_meta) {
                    chart_files.push(f);
                }
            }
            "requirements.lock" if package == Package::V2 => {
                lock = Some(metadata::decode_lock(
                    "requirements.lock",
                    &String::from_utf8_lossy(&f.data),
                    package,
                )?);
                raw_meta.get_or_insert_with(RawMetadata::default);
                if is_v1(&raw_meta) {
                    chart_files.push(f);
                }
            }
            _ if name.starts_with("templates/") => templates.push(f),
            _ if name.starts_with("charts/") => {
                if go_ext(name) == ".prov" {
                    chart_files.push(f);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let entry = rest.split('/').next().unwrap_or_default().to_owned();
                let file = File {
                    name: rest.to_owned(),
                    data: f.data,
                };
                subcharts.entry(entry).or_default().push(file);
            }
            _ => chart_files.push(f),
        }
    }

    let Some(raw_meta) = raw_meta else {
        return Err(LoadError::ChartYamlMissing);
    };
    let metadata = metadata::validate(raw_meta)?;
    let parent = metadata.name.clone();

    let mut dependencies = Vec::new();
    for (entry, files) in subcharts {
        if entry.starts_with('_') || entry.starts_with('.') {
            continue;
        }
        let loaded = if go_ext(&entry) == ".tgz" {
            let first = &files[0];
            if first.name != entry {
                return Err(LoadError::SubchartTarName {
                    parent,
                    expected: entry,
                    got: first.name.clone(),
                });
            }
            archive::read_archive(&first.data, limits)
                .map_err(|e| match e {
                    // Helm's v2 LoadArchive passes the gzip/tar error through unwrapped.
                    LoadError::NotGzip => LoadError::SubchartArchive {
                        message: "gzip: invalid header".to_owned(),
                    },
                    LoadError::Archive {
                        entry: None,
                        message,
                    } => LoadError::SubchartArchive { message },
                    other => other,
                })
                .and_then(|fs| load_with(fs, package, limits))
        } else {
            let inner: Vec<File> = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    Some(File {
                        name: rest.to_owned(),
                        data: f.data,
                    })
                })
                .collect();
            load_with(inner, package, limits)
        };
        match loaded {
            Ok(c) => dependencies.push(c),
            Err(e) => {
                return Err(LoadError::Subchart {
                    entry,
                    parent,
                    source: Box::new(e),
                });
            }
        }
    }

    Ok(Chart {
        metadata,
        lock,
        templates,
        values,
        values_raw,
        schema,
        files: chart_files,
        raw,
        dependencies,
    })
}

/// Go's `filepath.Ext`.
fn go_ext(name: &str) -> &str {
    let base_start = name.rfind('/').map_or(0, |i| i + 1);
    match name[base_start..].rfind('.') {
        Some(dot) => &name[base_start + dot..],
        None => "",
    }
}

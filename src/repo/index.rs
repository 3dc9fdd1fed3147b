//! A chart repository's `index.yaml`, read in one pass into a compact form that keeps only
//! what chart resolution needs.
//!
//! Helm (`pkg/repo/v1/index.go`, `loadIndex`) decodes the whole file into Go structs: JSON
//! through `encoding/json` when the bytes are valid JSON, otherwise YAML through
//! `sigs.k8s.io/yaml.UnmarshalStrict` (go-yaml v2 typing, unknown fields and duplicate keys are
//! errors). It then drops `null` entries and entries that fail `Metadata.Validate`, defaults an
//! empty entry `apiVersion` to `v1`, sorts each chart's versions newest first, and fails when
//! the file has no `apiVersion`.
//!
//! [`Index::parse`] follows those rules but never builds a document tree: it walks the parser's
//! events once and keeps, per chart version, only `version`, `urls`, `digest`, `created`,
//! `deprecated`, `apiVersion` and `kubeVersion` (see [`ChartVersion`]). Scalars are typed with
//! go-yaml v2's rules (`crate::codec::yaml`), so a value Helm would refuse (an unquoted
//! `version: 1.10` is a number, not a string) is refused here too; the other string, string
//! list and boolean fields of an entry are type-checked the same way and dropped. Differences
//! from Helm: the contents of `maintainers`, `annotations`, `dependencies` and of the top-level
//! fields other than `apiVersion` and `entries` are skipped without a type check; YAML aliases may expand to at most as many nodes as the document itself holds
//! (plus [`ALIAS_EXPANSION_SLACK`]) on top of go-yaml's own aliasing ratio, which bounds an
//! alias bomb in time and memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use granit_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::codec::yaml::resolve::{self, Flavor, Resolved};
use crate::semver::{Constraints, Version};

/// Default limit on the size of a fetched `index.yaml`, in bytes (50 MiB).
pub const DEFAULT_MAX_INDEX_BYTES: u64 = 50 * 1024 * 1024;

/// How many nodes YAML aliases may expand to beyond the number of nodes written in the
/// document itself.
pub const ALIAS_EXPANSION_SLACK: u64 = 10_000;

/// Deepest nesting accepted (go-yaml's limit).
const MAX_DEPTH: usize = 10_000;

/// Most merge keys (`<<`) followed inside one entry.
const MAX_MERGE_DEPTH: usize = 32;

/// Why an index could not be read. `Display` names the file and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The file is empty (Helm: `ErrEmptyIndexYaml`).
    #[error("empty index.yaml file")]
    Empty,
    /// The file is not UTF-8 text.
    #[error("index.yaml is not UTF-8 text (byte {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The file is not valid YAML (or JSON).
    #[error("index.yaml is not valid YAML: line {line}: {problem}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// The parser's description.
        problem: String,
    },
    /// YAML aliases expand to too many nodes (a "billion laughs" document).
    #[error(
        "index.yaml: document contains excessive aliasing (YAML aliases expand to more nodes than allowed)"
    )]
    ExcessiveAliasing,
    /// An alias names an anchor that is not (yet) defined, or that contains the alias.
    #[error("index.yaml: unknown anchor '{name}' referenced")]
    UnknownAnchor {
        /// The anchor's name.
        name: String,
    },
    /// Nesting deeper than 10000 levels.
    #[error("index.yaml: exceeded max depth of {MAX_DEPTH}")]
    TooDeep,
    /// A field holds the wrong kind of value, e.g. an unquoted `version: 1.10` (a number).
    #[error("index.yaml: {path} must be {expected}, found {found}")]
    FieldType {
        /// Where: `entries.nginx[3].version`.
        path: String,
        /// What Helm's type needs (`a string`, `a mapping`, ...).
        expected: &'static str,
        /// What the file holds (`a number`, `a sequence`, ...).
        found: &'static str,
    },
    /// A field Helm's index type does not have (Helm reads YAML indexes strictly).
    #[error("index.yaml: unknown field \"{field}\" in {path}")]
    UnknownField {
        /// The mapping holding it (`the top level`, `entries.nginx[0]`).
        path: String,
        /// The field's name.
        field: String,
    },
    /// A key appears twice in one mapping (Helm reads YAML indexes strictly).
    #[error("index.yaml: key \"{key}\" already set in {path}")]
    DuplicateKey {
        /// The mapping holding it.
        path: String,
        /// The repeated key.
        key: String,
    },
    /// The file has no top-level `apiVersion` (Helm: `ErrNoAPIVersion`).
    #[error("index.yaml: no API version specified")]
    NoApiVersion,
}

impl IndexError {
    /// A PascalCase reason for conditions, events and metrics; all index errors are
    /// permanent for the bytes fetched (a new fetch may bring a fixed index).
    pub fn reason(&self) -> &'static str {
        match self {
            IndexError::ExcessiveAliasing | IndexError::TooDeep => "IndexTooComplex",
            _ => "InvalidIndex",
        }
    }
}

/// Why [`Index::resolve`] found no chart version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The index has no chart of that name (Helm: `ErrNoChartName`).
    #[error("chart \"{name}\" not found in repository index")]
    ChartNotFound {
        /// The chart name asked for.
        name: String,
    },
    /// The chart has no (valid) versions (Helm: `ErrNoChartVersion`).
    #[error("chart \"{name}\" has no versions in repository index")]
    NoVersions {
        /// The chart name.
        name: String,
    },
    /// The version constraint does not parse.
    #[error("invalid version constraint \"{constraint}\" for chart \"{name}\"")]
    InvalidConstraint {
        /// The chart name.
        name: String,
        /// The constraint as given.
        constraint: String,
        /// The semver parser's error.
        #[source]
        source: crate::semver::Error,
    },
    /// No version satisfies the constraint.
    #[error(
        "no version of chart \"{name}\" satisfies \"{constraint}\" (newest version in the index: {newest})"
    )]
    NoMatchingVersion {
        /// The chart name.
        name: String,
        /// The constraint (`*` when none was given).
        constraint: String,
        /// The newest version the index has for the chart.
        newest: String,
    },
}

impl ResolveError {
    /// A PascalCase reason for conditions, events and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            ResolveError::InvalidConstraint { .. } => "InvalidVersion",
            _ => "ChartVersionNotFound",
        }
    }
}

/// One version of a chart as listed in an index: only what resolution and fetching need.
///
/// Source: Helm's `repo.ChartVersion` (`pkg/repo/v1/index.go`) and the `Metadata` it embeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartVersion {
    /// The chart version as written (`version`), valid Masterminds semver.
    pub version: Box<str>,
    /// Where the archive can be downloaded (`urls`), absolute or relative to the repository
    /// URL; Helm uses the first.
    pub urls: Box<[Box<str>]>,
    /// SHA-256 of the archive as hex (`digest`), when the index has one.
    pub digest: Option<Box<str>>,
    /// When the version was indexed (`created`, RFC 3339 text as written), when present.
    pub created: Option<Box<str>>,
    /// Whether the chart version is deprecated (`deprecated`). Deprecated versions are still
    /// eligible for resolution, as in Helm.
    pub deprecated: bool,
    /// The chart's `apiVersion` (`v1` when the entry has none, as Helm defaults it).
    pub api_version: Cow<'static, str>,
    /// The chart's `kubeVersion` constraint, when present.
    pub kube_version: Option<Box<str>>,
}

/// An index entry Helm skips while loading (with a warning), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    /// The chart name the entry is listed under.
    pub chart: String,
    /// The entry's version (empty when it has none).
    pub version: String,
    /// Helm's validation message, e.g. `chart.metadata.version "x" is invalid`.
    pub reason: String,
}

/// A parsed repository index: chart names to their versions, newest first.
#[derive(Debug, Clone, Default)]
pub struct Index {
    api_version: Box<str>,
    entries: HashMap<Box<str>, Box<[ChartVersion]>>,
    skipped: Vec<SkippedEntry>,
}

/// Most skipped entries remembered (their number is still counted).
const MAX_SKIPPED_KEPT: usize = 100;

impl Index {
    /// Reads an index from the bytes of `index.yaml` (YAML, or JSON as Helm also accepts).
    ///
    /// The caller bounds the input size (the fetcher applies [`DEFAULT_MAX_INDEX_BYTES`]).
    /// Memory used while parsing is the input plus the compact result plus the parser's
    /// small state (and, only for documents with anchors, a copy of the anchored events).
    ///
    /// # Errors
    /// [`IndexError::Empty`], [`IndexError::NotUtf8`], [`IndexError::Syntax`],
    /// [`IndexError::ExcessiveAliasing`], [`IndexError::UnknownAnchor`],
    /// [`IndexError::TooDeep`], [`IndexError::FieldType`], [`IndexError::UnknownField`] and
    /// [`IndexError::DuplicateKey`] (YAML only, as Helm), [`IndexError::NoApiVersion`].
    pub fn parse(data: &[u8]) -> Result<Index, IndexError> {
        if data.is_empty() {
            return Err(IndexError::Empty);
        }
        let text = std::str::from_utf8(data).map_err(|e| IndexError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        // Helm: valid JSON goes to encoding/json (lenient), anything else to strict YAML.
        let strict = serde_json::from_slice::<serde::de::IgnoredAny>(data).is_err();
        let mut reader = Reader {
            source: Source::new(text),
            strict,
            index: Index::default(),
            skipped_total: 0,
        };
        reader.document()?;
        let mut index = reader.index;
        if index.api_version.is_empty() {
            return Err(IndexError::NoApiVersion);
        }
        index.skipped.shrink_to_fit();
        Ok(index)
    }

    /// The index's `apiVersion`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The chart names, in no particular order.
    pub fn chart_names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(|k| &**k)
    }

    /// Number of charts.
    pub fn chart_count(&self) -> usize {
        self.entries.len()
    }

    /// Number of chart versions over all charts.
    pub fn version_count(&self) -> usize {
        self.entries.values().map(|v| v.len()).sum()
    }

    /// The versions of one chart, newest first (Helm's `SortEntries`), or `None` when the
    /// index has no chart of that name.
    pub fn versions(&self, chart: &str) -> Option<&[ChartVersion]> {
        self.entries.get(chart).map(|v| &**v)
    }

    /// Entries skipped while loading because they fail Helm's validation (at most the first
    /// 100 are kept).
    pub fn skipped(&self) -> &[SkippedEntry] {
        &self.skipped
    }

    /// Picks the version of `chart` that Helm would install for `constraint`.
    ///
    /// Rules (Helm `IndexFile.Get`, `pkg/repo/v1/index.go`): with a non-empty constraint, a
    /// version whose text equals it exactly wins; otherwise the newest version satisfying the
    /// Masterminds constraint (`*` when empty). Prereleases match only a constraint that has
    /// a prerelease itself; deprecated versions are eligible.
    ///
    /// # Errors
    /// [`ResolveError::ChartNotFound`], [`ResolveError::NoVersions`],
    /// [`ResolveError::InvalidConstraint`], [`ResolveError::NoMatchingVersion`].
    pub fn resolve(&self, chart: &str, constraint: &str) -> Result<&ChartVersion, ResolveError> {
        let versions = self
            .versions(chart)
            .ok_or_else(|| ResolveError::ChartNotFound {
                name: chart.to_owned(),
            })?;
        let Some(newest) = versions.first() else {
            return Err(ResolveError::NoVersions {
                name: chart.to_owned(),
            });
        };
        let wanted = if constraint.is_empty() {
            "*"
        } else {
            constraint
        };
        let constraints =
            Constraints::parse(wanted).map_err(|source| ResolveError::InvalidConstraint {
                name: chart.to_owned(),
                constraint: constraint.to_owned(),
                source,
            })?;
        if !constraint.is_empty()
            && let Some(exact) = versions.iter().find(|v| &*v.version == constraint)
        {
            return Ok(exact);
        }
        versions
            .iter()
            .find(|v| Version::parse(&v.version).is_ok_and(|parsed| constraints.check(&parsed)))
            .ok_or_else(|| ResolveError::NoMatchingVersion {
                name: chart.to_owned(),
                constraint: wanted.to_owned(),
                newest: newest.version.to_string(),
            })
    }
}

// ---- events ------------------------------------------------------------------------------

/// What a scalar is under go-yaml v2's typing (as far as Helm's types care).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Null,
    Bool(bool),
    Number,
    Timestamp,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Str | Kind::Timestamp => "a string",
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number => "a number",
        }
    }
}

/// The events the reader consumes; aliases are expanded by [`Source`].
enum Ev<'a> {
    Scalar(Cow<'a, str>, Kind),
    SeqStart,
    SeqEnd,
    MapStart,
    MapEnd,
    /// End of the first document.
    End,
}

impl Ev<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Ev::Scalar(_, kind) => kind.describe(),
            Ev::SeqStart => "a sequence",
            Ev::MapStart => "a mapping",
            Ev::SeqEnd | Ev::MapEnd | Ev::End => "nothing",
        }
    }
}

/// An event kept for replaying an anchored node.
enum Recorded {
    Scalar(Box<str>, Kind),
    SeqStart,
    SeqEnd,
    MapStart,
    MapEnd,
    Alias(usize),
}

type EventIter<'a> =
    Box<dyn Iterator<Item = Result<(Event<'a>, granit_parser::Span), ScanError>> + 'a>;

/// The parser's events with aliases expanded from recordings of their anchored nodes.
struct Source<'a> {
    events: EventIter<'a>,
    /// Events of anchored nodes (nested anchors share one buffer).
    recorded: Vec<Recorded>,
    /// Open recordings: anchor id, start in `recorded`, nesting level where the node began.
    recording: Vec<(usize, usize, usize)>,
    /// Completed anchors: id to range in `recorded`.
    anchors: HashMap<usize, (usize, usize)>,
    /// Anchor ids to names, for messages.
    anchor_names: HashMap<usize, String>,
    /// Alias expansions in progress: next position and end in `recorded`.
    replay: Vec<(usize, usize)>,
    level: usize,
    decode_count: u64,
    alias_count: u64,
    in_document: bool,
    finished: bool,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Source<'a> {
        let mut options = granit_parser::Options::default();
        options.set_emit_comments(false);
        options.emit_anchor_events = true;
        options.emit_unresolved_aliases = true;
        options.flow_nesting_limit = MAX_DEPTH;
        options.block_nesting_limit = MAX_DEPTH;
        Source {
            events: Box::new(Parser::new_from_str_with_options(text, options)),
            recorded: Vec::new(),
            recording: Vec::new(),
            anchors: HashMap::new(),
            anchor_names: HashMap::new(),
            replay: Vec::new(),
            level: 0,
            decode_count: 0,
            alias_count: 0,
            in_document: false,
            finished: false,
        }
    }

    /// Counts one node; go-yaml's aliasing ratio plus the absolute expansion bound.
    fn count(&mut self, from_alias: bool) -> Result<(), IndexError> {
        self.decode_count += 1;
        if from_alias {
            self.alias_count += 1;
        }
        let ratio_exceeded = self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count);
        let own = self.decode_count - self.alias_count;
        if ratio_exceeded || self.alias_count > own + ALIAS_EXPANSION_SLACK {
            return Err(IndexError::ExcessiveAliasing);
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Ev<'a>, IndexError> {
        loop {
            if let Some((pos, end)) = self.replay.last_mut() {
                if *pos >= *end {
                    self.replay.pop();
                    continue;
                }
                let at = *pos;
                *pos += 1;
                let ev = match &self.recorded[at] {
                    Recorded::Scalar(value, kind) => {
                        Ev::Scalar(Cow::Owned(value.to_string()), *kind)
                    }
                    Recorded::SeqStart => Ev::SeqStart,
                    Recorded::SeqEnd => Ev::SeqEnd,
                    Recorded::MapStart => Ev::MapStart,
                    Recorded::MapEnd => Ev::MapEnd,
                    Recorded::Alias(id) => {
                        let id = *id;
                        self.count(true)?;
                        self.start_alias(id)?;
                        continue;
                    }
                };
                if matches!(ev, Ev::Scalar(..) | Ev::SeqStart | Ev::MapStart) {
                    self.count(true)?;
                }
                return Ok(ev);
            }
            if self.finished {
                return Ok(Ev::End);
            }
            let Some(item) = self.events.next() else {
                self.finished = true;
                return Ok(Ev::End);
            };
            let (event, span) = item.map_err(|e| IndexError::Syntax {
                line: e.marker().line().max(1),
                problem: e.info().to_owned(),
            })?;
            let _ = span;
            match event {
                Event::StreamStart => {}
                Event::DocumentStart(..) => self.in_document = true,
                Event::DocumentEnd | Event::StreamEnd => {
                    // go-yaml reads only the first document.
                    self.finished = true;
                    return Ok(Ev::End);
                }
                Event::Anchor(id, name) => {
                    self.anchor_names.insert(id, name.into_owned());
                }
                Event::UnresolvedAlias(name) => {
                    return Err(IndexError::UnknownAnchor {
                        name: name.into_owned(),
                    });
                }
                Event::Alias(id) => {
                    if !self.in_document {
                        continue;
                    }
                    self.count(false)?;
                    if !self.recording.is_empty() {
                        self.recorded.push(Recorded::Alias(id));
                    }
                    self.start_alias(id)?;
                }
                Event::Scalar(value, style, anchor, tag) => {
                    self.count(false)?;
                    let kind = scalar_kind(&value, style, tag.as_deref());
                    if anchor != 0 || !self.recording.is_empty() {
                        if anchor != 0 {
                            self.recording
                                .push((anchor, self.recorded.len(), self.level));
                        }
                        self.recorded
                            .push(Recorded::Scalar(value.to_string().into_boxed_str(), kind));
                        if anchor != 0 {
                            self.finish_recording();
                        }
                    }
                    return Ok(Ev::Scalar(value, kind));
                }
                Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                    self.count(false)?;
                    let is_map = matches!(event, Event::MappingStart(..));
                    if anchor != 0 {
                        self.recording
                            .push((anchor, self.recorded.len(), self.level));
                    }
                    if !self.recording.is_empty() {
                        self.recorded.push(if is_map {
                            Recorded::MapStart
                        } else {
                            Recorded::SeqStart
                        });
                    }
                    self.level += 1;
                    if self.level > MAX_DEPTH {
                        return Err(IndexError::TooDeep);
                    }
                    return Ok(if is_map { Ev::MapStart } else { Ev::SeqStart });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let is_map = matches!(event, Event::MappingEnd);
                    self.level = self.level.saturating_sub(1);
                    if !self.recording.is_empty() {
                        self.recorded.push(if is_map {
                            Recorded::MapEnd
                        } else {
                            Recorded::SeqEnd
                        });
                        self.finish_recording();
                    }
                    return Ok(if is_map { Ev::MapEnd } else { Ev::SeqEnd });
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
    }

    /// Closes the innermost recording when its node just ended.
    fn finish_recording(&mut self) {
        while let Some(&(id, start, level)) = self.recording.last() {
            if level != self.level {
                break;
            }
            self.recording.pop();
            self.anchors.insert(id, (start, self.recorded.len()));
        }
    }

    fn start_alias(&mut self, id: usize) -> Result<(), IndexError> {
        let Some(&(start, end)) = self.anchors.get(&id) else {
            // Defined but not complete: the alias sits inside its own anchor.
            return Err(IndexError::UnknownAnchor {
                name: self.anchor_names.get(&id).cloned().unwrap_or_default(),
            });
        };
        if self.replay.len() >= MAX_DEPTH {
            return Err(IndexError::TooDeep);
        }
        self.replay.push((start, end));
        Ok(())
    }
}

/// go-yaml v2's `allowedAliasRatio` (decode.go).
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Types a scalar as go-yaml v2 does when decoding into `interface{}`.
fn scalar_kind(value: &str, style: ScalarStyle, tag: Option<&granit_parser::Tag>) -> Kind {
    let from_resolved = |r: Resolved| match r {
        Resolved::Null => Kind::Null,
        Resolved::Bool(b) => Kind::Bool(b),
        Resolved::Int(_) | Resolved::Uint(_) | Resolved::Float(_) => Kind::Number,
        Resolved::Timestamp => Kind::Timestamp,
        Resolved::Str | Resolved::Merge => Kind::Str,
    };
    let full = tag.map(|t| format!("{}{}", t.handle(), t.suffix()));
    match full.as_deref() {
        Some(full) if full != "!" => {
            match full
                .strip_prefix("tag:yaml.org,2002:")
                .or_else(|| full.strip_prefix("!!"))
                .unwrap_or(full)
            {
                "null" => Kind::Null,
                "bool" | "int" | "float" => {
                    from_resolved(resolve::resolve_plain(value, Flavor::V2))
                }
                "timestamp" => Kind::Timestamp,
                _ => Kind::Str,
            }
        }
        _ if style == ScalarStyle::Plain => {
            from_resolved(resolve::resolve_plain(value, Flavor::V2))
        }
        _ => Kind::Str,
    }
}

// ---- the reader --------------------------------------------------------------------------

struct Reader<'a> {
    source: Source<'a>,
    /// YAML input: unknown fields and duplicate keys are errors (Helm's `UnmarshalStrict`).
    strict: bool,
    index: Index,
    skipped_total: usize,
}

/// Fields of one entry while it is read.
#[derive(Default)]
struct EntryFields {
    name: Option<String>,
    version: Option<String>,
    urls: Vec<Box<str>>,
    digest: Option<String>,
    created: Option<String>,
    deprecated: bool,
    api_version: Option<String>,
    kube_version: Option<String>,
    chart_type: Option<String>,
    /// Bit per known field, for duplicate detection.
    seen: u64,
}

/// Fields of Helm's `ChartVersion` (with its embedded `Metadata`), in encoding/json's
/// case-insensitive matching. The index is the field's bit in [`EntryFields::seen`].
const ENTRY_FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
    "urls",
    "created",
    "removed",
    "digest",
    "checksum",
    "engine",
    "tillerVersion",
    "url",
];

/// Top-level fields of Helm's `IndexFile`.
const ROOT_FIELDS: &[&str] = &[
    "serverInfo",
    "apiVersion",
    "generated",
    "entries",
    "publicKeys",
    "annotations",
];

fn field_index(fields: &[&str], key: &str) -> Option<usize> {
    fields
        .iter()
        .position(|f| *f == key)
        .or_else(|| fields.iter().position(|f| f.eq_ignore_ascii_case(key)))
}

impl<'a> Reader<'a> {
    fn document(&mut self) -> Result<(), IndexError> {
        match self.source.next()? {
            Ev::End | Ev::Scalar(_, Kind::Null) => Ok(()),
            Ev::MapStart => {
                self.root()?;
                // Read to the end of the document so trailing syntax errors surface.
                while !matches!(self.source.next()?, Ev::End) {}
                Ok(())
            }
            other => Err(IndexError::FieldType {
                path: "the document".to_owned(),
                expected: "a mapping",
                found: other.describe(),
            }),
        }
    }

    fn root(&mut self) -> Result<(), IndexError> {
        let mut seen = 0u64;
        while let Some(key) = self.key("the top level")? {
            let Some(field) = field_index(ROOT_FIELDS, &key) else {
                if self.strict {
                    return Err(IndexError::UnknownField {
                        path: "the top level".to_owned(),
                        field: key,
                    });
                }
                self.skip()?;
                continue;
            };
            self.check_duplicate(&mut seen, field, "the top level", &key)?;
            match ROOT_FIELDS[field] {
                "apiVersion" => {
                    self.index.api_version = self
                        .string("apiVersion")?
                        .unwrap_or_default()
                        .into_boxed_str();
                }
                "entries" => self.entries()?,
                _ => self.skip()?,
            }
        }
        Ok(())
    }

    fn check_duplicate(
        &self,
        seen: &mut u64,
        field: usize,
        path: &str,
        key: &str,
    ) -> Result<(), IndexError> {
        let bit = 1u64 << field;
        if self.strict && *seen & bit != 0 {
            return Err(IndexError::DuplicateKey {
                path: path.to_owned(),
                key: key.to_owned(),
            });
        }
        *seen |= bit;
        Ok(())
    }

    /// The next key of a mapping, or `None` at its end.
    fn key(&mut self, path: &str) -> Result<Option<String>, IndexError> {
        match self.source.next()? {
            Ev::MapEnd | Ev::End => Ok(None),
            Ev::Scalar(key, _) => Ok(Some(key.into_owned())),
            other => Err(IndexError::FieldType {
                path: format!("a key in {path}"),
                expected: "a string",
                found: other.describe(),
            }),
        }
    }

    /// Skips one node (already started or not), iteratively.
    fn skip(&mut self) -> Result<(), IndexError> {
        let first = self.source.next()?;
        self.skip_rest(first)
    }

    fn skip_rest(&mut self, first: Ev<'a>) -> Result<(), IndexError> {
        let mut depth: usize = match first {
            Ev::SeqStart | Ev::MapStart => 1,
            _ => return Ok(()),
        };
        while depth > 0 {
            match self.source.next()? {
                Ev::SeqStart | Ev::MapStart => depth += 1,
                Ev::SeqEnd | Ev::MapEnd => depth -= 1,
                Ev::End => return Ok(()),
                Ev::Scalar(..) => {}
            }
        }
        Ok(())
    }

    /// A string field; `None` for null (encoding/json leaves the Go string empty).
    fn string(&mut self, path: &str) -> Result<Option<String>, IndexError> {
        match self.source.next()? {
            Ev::Scalar(value, Kind::Str | Kind::Timestamp) => Ok(Some(value.into_owned())),
            Ev::Scalar(_, Kind::Null) => Ok(None),
            other => Err(IndexError::FieldType {
                path: path.to_owned(),
                expected: "a string",
                found: other.describe(),
            }),
        }
    }

    /// Type-checks a list of strings without keeping it.
    fn check_string_list(&mut self, path: &str) -> Result<(), IndexError> {
        match self.source.next()? {
            Ev::SeqStart => {}
            Ev::Scalar(_, Kind::Null) => return Ok(()),
            other => {
                return Err(IndexError::FieldType {
                    path: path.to_owned(),
                    expected: "a list of strings",
                    found: other.describe(),
                });
            }
        }
        let mut position = 0usize;
        loop {
            match self.source.next()? {
                Ev::SeqEnd | Ev::End => return Ok(()),
                Ev::Scalar(_, Kind::Str | Kind::Timestamp | Kind::Null) => {}
                other => check_string(other, &format!("{path}[{position}]"))?,
            }
            position += 1;
        }
    }

    /// A boolean field; null is false (encoding/json leaves the Go bool unset).
    fn boolean(&mut self, path: &str) -> Result<bool, IndexError> {
        match self.source.next()? {
            Ev::Scalar(_, Kind::Bool(b)) => Ok(b),
            Ev::Scalar(_, Kind::Null) => Ok(false),
            other => Err(IndexError::FieldType {
                path: path.to_owned(),
                expected: "a boolean",
                found: other.describe(),
            }),
        }
    }

    fn entries(&mut self) -> Result<(), IndexError> {
        match self.source.next()? {
            Ev::MapStart => {}
            Ev::Scalar(_, Kind::Null) => return Ok(()),
            other => {
                return Err(IndexError::FieldType {
                    path: "entries".to_owned(),
                    expected: "a mapping of chart names to lists of versions",
                    found: other.describe(),
                });
            }
        }
        while let Some(name) = self.key("entries")? {
            let path = format!("entries.{name}");
            let versions = match self.source.next()? {
                Ev::SeqStart => self.versions(&name, &path)?,
                Ev::Scalar(_, Kind::Null) => Vec::new(),
                other => {
                    return Err(IndexError::FieldType {
                        path,
                        expected: "a list of chart versions",
                        found: other.describe(),
                    });
                }
            };
            match self.index.entries.entry(name.into_boxed_str()) {
                Entry::Occupied(mut slot) => {
                    if self.strict {
                        return Err(IndexError::DuplicateKey {
                            path: "entries".to_owned(),
                            key: slot.key().to_string(),
                        });
                    }
                    slot.insert(versions.into_boxed_slice());
                }
                Entry::Vacant(slot) => {
                    slot.insert(versions.into_boxed_slice());
                }
            }
        }
        Ok(())
    }

    fn versions(&mut self, chart: &str, path: &str) -> Result<Vec<ChartVersion>, IndexError> {
        let mut versions: Vec<(Version, ChartVersion)> = Vec::new();
        let mut position = 0usize;
        loop {
            let item_path = || format!("{path}[{position}]");
            match self.source.next()? {
                Ev::SeqEnd | Ev::End => break,
                // Helm drops null entries with a warning.
                Ev::Scalar(_, Kind::Null) => {}
                Ev::MapStart => {
                    let mut fields = EntryFields::default();
                    self.entry_fields(&mut fields, &item_path(), 0)?;
                    match validate(chart, fields) {
                        Ok(pair) => versions.push(pair),
                        Err(skipped) => {
                            self.skipped_total += 1;
                            if self.index.skipped.len() < MAX_SKIPPED_KEPT {
                                self.index.skipped.push(skipped);
                            }
                        }
                    }
                }
                other => {
                    return Err(IndexError::FieldType {
                        path: item_path(),
                        expected: "a mapping",
                        found: other.describe(),
                    });
                }
            }
            position += 1;
        }
        // Helm: sort.Sort(sort.Reverse(versions)), newest first. Stable here.
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(versions.into_iter().map(|(_, v)| v).collect())
    }

    /// Reads the fields of one entry mapping (whose start was consumed) into `fields`.
    fn entry_fields(
        &mut self,
        fields: &mut EntryFields,
        path: &str,
        merge_depth: usize,
    ) -> Result<(), IndexError> {
        while let Some(key) = self.key(path)? {
            if key == "<<" {
                self.merge(fields, path, merge_depth)?;
                continue;
            }
            let Some(field) = field_index(ENTRY_FIELDS, &key) else {
                if self.strict {
                    return Err(IndexError::UnknownField {
                        path: path.to_owned(),
                        field: key,
                    });
                }
                self.skip()?;
                continue;
            };
            let mut seen = fields.seen;
            self.check_duplicate(&mut seen, field, path, &key)?;
            fields.seen = seen;
            let name = ENTRY_FIELDS[field];
            let field_path = || format!("{path}.{name}");
            match name {
                "name" => fields.name = self.string(&field_path())?,
                "version" => fields.version = self.string(&field_path())?,
                "digest" => fields.digest = self.string(&field_path())?,
                "created" => fields.created = self.string(&field_path())?,
                "apiVersion" => fields.api_version = self.string(&field_path())?,
                "kubeVersion" => fields.kube_version = self.string(&field_path())?,
                "type" => fields.chart_type = self.string(&field_path())?,
                "deprecated" => fields.deprecated = self.boolean(&field_path())?,
                "urls" => fields.urls = self.urls(&field_path())?,
                // Not kept, but typed as Helm's structs type them, so an index Helm
                // refuses (say an unquoted `appVersion: 1.10`) is refused here too.
                "home" | "description" | "icon" | "condition" | "tags" | "appVersion"
                | "checksum" | "engine" | "tillerVersion" | "url" => {
                    let event = self.source.next()?;
                    check_string(event, &field_path())?;
                }
                "sources" | "keywords" => self.check_string_list(&field_path())?,
                "removed" => {
                    self.boolean(&field_path())?;
                }
                _ => self.skip()?,
            }
        }
        Ok(())
    }

    fn urls(&mut self, path: &str) -> Result<Vec<Box<str>>, IndexError> {
        let mut urls = Vec::new();
        match self.source.next()? {
            Ev::SeqStart => {}
            Ev::Scalar(_, Kind::Null) => return Ok(urls),
            other => {
                return Err(IndexError::FieldType {
                    path: path.to_owned(),
                    expected: "a list of strings",
                    found: other.describe(),
                });
            }
        }
        loop {
            match self.source.next()? {
                Ev::SeqEnd | Ev::End => break,
                Ev::Scalar(value, Kind::Str | Kind::Timestamp) => {
                    urls.push(value.into_owned().into_boxed_str());
                }
                // encoding/json leaves a null element as "".
                Ev::Scalar(_, Kind::Null) => urls.push(Box::from("")),
                other => {
                    return Err(IndexError::FieldType {
                        path: format!("{path}[{}]", urls.len()),
                        expected: "a string",
                        found: other.describe(),
                    });
                }
            }
        }
        Ok(urls)
    }

    /// A merge key's value: a mapping or a sequence of mappings merged into the entry.
    fn merge(
        &mut self,
        fields: &mut EntryFields,
        path: &str,
        merge_depth: usize,
    ) -> Result<(), IndexError> {
        if merge_depth >= MAX_MERGE_DEPTH {
            return Err(IndexError::TooDeep);
        }
        let expected = "a mapping or a list of mappings (merge key)";
        match self.source.next()? {
            Ev::MapStart => self.merge_map(fields, path, merge_depth),
            Ev::SeqStart => loop {
                match self.source.next()? {
                    Ev::SeqEnd | Ev::End => return Ok(()),
                    Ev::MapStart => self.merge_map(fields, path, merge_depth)?,
                    other => {
                        return Err(IndexError::FieldType {
                            path: format!("{path}.<<"),
                            expected,
                            found: other.describe(),
                        });
                    }
                }
            },
            other => Err(IndexError::FieldType {
                path: format!("{path}.<<"),
                expected,
                found: other.describe(),
            }),
        }
    }

    fn merge_map(
        &mut self,
        fields: &mut EntryFields,
        path: &str,
        merge_depth: usize,
    ) -> Result<(), IndexError> {
        // Keys merged in may repeat keys of the entry: not duplicates.
        let seen = fields.seen;
        fields.seen = 0;
        let result = self.entry_fields(fields, path, merge_depth + 1);
        fields.seen = seen;
        result
    }
}

/// Checks that an event is a string (or null) as a Go `string` field needs.
fn check_string(event: Ev<'_>, path: &str) -> Result<(), IndexError> {
    match event {
        Ev::Scalar(_, Kind::Str | Kind::Timestamp | Kind::Null) => Ok(()),
        other => Err(IndexError::FieldType {
            path: path.to_owned(),
            expected: "a string",
            found: other.describe(),
        }),
    }
}

/// Helm's `loadIndex` per-entry defaults and `Metadata.Validate` (the checks that decide
/// whether an entry is kept), then the compact form plus its parsed version for sorting.
fn validate(chart: &str, fields: EntryFields) -> Result<(Version, ChartVersion), SkippedEntry> {
    let name = sanitize(fields.name.as_deref().unwrap_or(""));
    let version_text = fields.version.unwrap_or_default();
    let skip = |reason: String| SkippedEntry {
        chart: chart.to_owned(),
        version: version_text.clone(),
        reason,
    };
    if name.is_empty() {
        return Err(skip("chart.metadata.name is required".to_owned()));
    }
    if name == "." || name == ".." {
        return Err(skip(format!("chart.metadata.name {name:?} is not allowed")));
    }
    if name.contains('/') {
        return Err(skip(format!("chart.metadata.name {name:?} is invalid")));
    }
    if version_text.is_empty() {
        return Err(skip("chart.metadata.version is required".to_owned()));
    }
    let Ok(version) = Version::parse(&version_text) else {
        return Err(skip(format!(
            "chart.metadata.version {version_text:?} is invalid"
        )));
    };
    if !matches!(
        fields.chart_type.as_deref(),
        None | Some("" | "application" | "library")
    ) {
        return Err(skip(
            "chart.metadata.type must be application or library".to_owned(),
        ));
    }
    let api_version = match fields.api_version.as_deref() {
        None | Some("") | Some("v1") => Cow::Borrowed("v1"),
        Some("v2") => Cow::Borrowed("v2"),
        Some("v3") => Cow::Borrowed("v3"),
        Some(other) => Cow::Owned(other.to_owned()),
    };
    let entry = ChartVersion {
        version: version_text.into_boxed_str(),
        urls: fields.urls.into_boxed_slice(),
        digest: fields
            .digest
            .filter(|d| !d.is_empty())
            .map(String::into_boxed_str),
        created: fields
            .created
            .filter(|c| !c.is_empty())
            .map(String::into_boxed_str),
        deprecated: fields.deprecated,
        api_version,
        kube_version: fields
            .kube_version
            .map(|k| sanitize(&k))
            .filter(|k| !k.is_empty())
            .map(String::into_boxed_str),
    };
    Ok((version, entry))
}

/// Helm's `sanitizeString`: whitespace becomes a space, other non-printable characters go.
fn sanitize(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;

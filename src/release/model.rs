//! Helm 4's release record: what one revision of a release stores, in the JSON shape Helm
//! 4.3.1 writes (`pkg/release/v1` `Release`, `Info`, `Hook`, `HookExecution`; the chart as
//! `pkg/chart/v2` `Chart`, `Metadata`, `Dependency`, `Lock` and `pkg/chart/common` `File`).
//!
//! Fields are declared in Go's struct order and carry Go's `omitempty`/`omitzero` rules, so
//! that [`super::codec::to_json`] writes the bytes Helm's `json.Marshal` writes. Reading is as
//! lenient as Go's decoder where it matters for records written by Helm 3 and 4: `null` for
//! maps, lists and objects, and `""` or Go's zero time for unset times; unknown fields are
//! ignored. It is stricter in one way: a status, hook event, hook phase or apply method outside
//! Helm's vocabulary is a decode error (Go would keep any string).
//!
//! Byte slices (`[]byte`: file data, the schema) are standard base64 with padding, as Go
//! writes them. Numbers inside values are written as Go writes a `float64` decoded from JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::status::ReleaseStatus;
use super::timestamp::{self, Timestamp, TimestampError};
use crate::chart::model as chart;

/// Errors from building a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The lock file's `generated` is not an RFC 3339 time (Helm fails to load such a
    /// `Chart.lock`: its `generated` is a Go `time.Time`).
    #[error("the chart lock's generated time {value:?} is not an RFC 3339 time")]
    LockGenerated {
        /// The value as written in the lock file.
        value: String,
        /// Why it does not parse.
        #[source]
        source: TimestampError,
    },
    /// A wire string outside Helm's vocabulary for `what` (a hook event, phase, apply method).
    #[error("unknown {what} {value:?}")]
    UnknownWord {
        /// What kind of word it is.
        what: &'static str,
        /// The text read.
        value: String,
    },
}

/// One revision of a release (Helm: `release.Release`; JSON field `version` is the
/// revision).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Release {
    /// Release name (`name`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Status, times, description and notes (`info`).
    #[serde(default, deserialize_with = "null_default")]
    pub info: Info,
    /// The chart released (`chart`), without its subcharts (Helm does not serialise them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartRecord>,
    /// The values the user supplied, not coalesced with the chart's (`config`).
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        deserialize_with = "null_default"
    )]
    pub config: Map<String, Value>,
    /// The rendered manifest, without hooks and CRDs (`manifest`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// The chart's hooks with their last runs (`hooks`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub hooks: Vec<Hook>,
    /// Revision number, from 1 (`version`).
    #[serde(rename = "version", default, skip_serializing_if = "is_zero_u32")]
    pub revision: u32,
    /// Namespace of the release (`namespace`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Labels of the storage Secret (not in the JSON: Helm keeps them in the Secret's
    /// metadata). Read from a Secret fetched by name they exclude Helm's system labels; read
    /// from a listing they include them, as in Helm's driver. Written as the Secret's labels,
    /// under Helm's system labels.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// How the objects were applied (`apply_method`); `None` means client-side, as Helm reads
    /// records written before Helm 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_method: Option<ApplyMethod>,
}

impl Release {
    /// Sets status and description together (Helm: `Release.SetStatus`).
    pub fn set_status(&mut self, status: ReleaseStatus, description: impl Into<String>) {
        self.info.status = status;
        self.info.description = description.into();
    }

    /// The chart's `name-version` as `helm list` shows it, `""` without metadata.
    pub fn chart_label(&self) -> String {
        self.chart
            .as_ref()
            .and_then(|c| c.metadata.as_ref())
            .map(|m| format!("{}-{}", m.name, m.version))
            .unwrap_or_default()
    }
}

/// Release information (Helm: `release.Info`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Info {
    /// When the first revision of the release was deployed (`first_deployed`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub first_deployed: Option<Timestamp>,
    /// When this revision was deployed (`last_deployed`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub last_deployed: Option<Timestamp>,
    /// When the uninstall started (`deleted`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub deleted: Option<Timestamp>,
    /// The human-readable log entry of this revision (`description`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The status (`status`); a record without one reads as `unknown`.
    #[serde(default)]
    pub status: ReleaseStatus,
    /// The revision a rollback went back to; 0 when not a rollback (`rollback_revision`).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub rollback_revision: u32,
    /// The rendered `NOTES.txt` (`notes`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Deployed objects by kind (`resources`), which Helm fills only for `helm status
    /// --show-resources` and does not normally store; kept as read.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        deserialize_with = "null_default"
    )]
    pub resources: Map<String, Value>,
}

/// A hook of the release (Helm: `release.Hook`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Hook {
    /// Object name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Object kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Template path, e.g. `podinfo/templates/tests/grpc.yaml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The rendered manifest of the hook object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// Events the hook runs on, in annotation order.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub events: Vec<HookEvent>,
    /// The last run (`last_run`, always written).
    #[serde(default, deserialize_with = "null_default")]
    pub last_run: HookExecution,
    /// `helm.sh/hook-weight` (an `int` in Go).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` entries, as written.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub delete_policies: Vec<HookDeletePolicy>,
    /// `helm.sh/hook-output-log-policy` entries, as written.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub output_log_policies: Vec<HookOutputLogPolicy>,
}

/// The last run of a hook (Helm: `release.HookExecution`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HookExecution {
    /// When it started (`started_at`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub started_at: Option<Timestamp>,
    /// When it completed (`completed_at`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub completed_at: Option<Timestamp>,
    /// Outcome (`phase`, always written; `""` for a hook that never ran).
    #[serde(default)]
    pub phase: HookPhase,
}

/// Defines a Go string enum: wire strings, `as_str`, `FromStr`, serde as a string.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in Helm's declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }
        }

        impl FromStr for $name {
            type Err = ModelError;

            fn from_str(s: &str) -> Result<Self, ModelError> {
                match s {
                    $($wire => Ok($name::$variant),)*
                    _ => Err(ModelError::UnknownWord { what: $what, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum!(
    /// A hook event (Helm: `release.HookEvent`; the `helm.sh/hook` annotation values).
    HookEvent, "hook event", {
        /// `pre-install`.
        PreInstall => "pre-install",
        /// `post-install`.
        PostInstall => "post-install",
        /// `pre-delete`.
        PreDelete => "pre-delete",
        /// `post-delete`.
        PostDelete => "post-delete",
        /// `pre-upgrade`.
        PreUpgrade => "pre-upgrade",
        /// `post-upgrade`.
        PostUpgrade => "post-upgrade",
        /// `pre-rollback`.
        PreRollback => "pre-rollback",
        /// `post-rollback`.
        PostRollback => "post-rollback",
        /// `test`.
        Test => "test",
    }
);

wire_enum!(
    /// The outcome of a hook run (Helm: `release.HookPhase`).
    #[derive(Default)]
    HookPhase, "hook phase", {
        /// `""`: the hook has not run (Go's zero value, what Helm stores for hooks of events
        /// that have not happened).
        #[default]
        NotRun => "",
        /// `Unknown`.
        Unknown => "Unknown",
        /// `Running`.
        Running => "Running",
        /// `Succeeded`.
        Succeeded => "Succeeded",
        /// `Failed`.
        Failed => "Failed",
    }
);

wire_enum!(
    /// How a revision's objects were applied (Helm: `release.ApplyMethod`).
    ApplyMethod, "apply method", {
        /// `csa`: client-side apply (three-way merge patches).
        ClientSide => "csa",
        /// `ssa`: server-side apply.
        ServerSide => "ssa",
    }
);

/// Defines a Go string type with known values that Helm nevertheless stores unchecked.
macro_rules! open_wire_enum {
    ($(#[$meta:meta])* $name:ident, { $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// Any other text: Helm records annotation values without checking them.
            Other(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($wire => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok($name::from(String::deserialize(deserializer)?.as_str()))
            }
        }
    };
}

open_wire_enum!(
    /// A hook delete policy (Helm: `release.HookDeletePolicy`).
    HookDeletePolicy, {
        /// `hook-succeeded`.
        HookSucceeded => "hook-succeeded",
        /// `hook-failed`.
        HookFailed => "hook-failed",
        /// `before-hook-creation`.
        BeforeHookCreation => "before-hook-creation",
    }
);

open_wire_enum!(
    /// A hook output log policy (Helm: `release.HookOutputLogPolicy`).
    HookOutputLogPolicy, {
        /// `hook-succeeded`.
        HookSucceeded => "hook-succeeded",
        /// `hook-failed`.
        HookFailed => "hook-failed",
    }
);

/// The chart as a release record holds it (Helm: `chart.Chart` marshalled to JSON): the root
/// chart only, without `Raw` and subcharts, which Helm does not serialise.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChartRecord {
    /// `Chart.yaml` (`metadata`, `null` when absent).
    #[serde(default)]
    pub metadata: Option<MetadataRecord>,
    /// `Chart.lock` (`lock`, `null` when absent).
    #[serde(default)]
    pub lock: Option<LockRecord>,
    /// Files under `templates/` (`templates`; `null` when the chart has none).
    #[serde(default)]
    pub templates: Option<Vec<FileRecord>>,
    /// The chart's default values (`values`; `null` when the chart has no `values.yaml` and
    /// Helm did not fill them while processing dependencies).
    #[serde(default)]
    pub values: Option<Map<String, Value>>,
    /// `values.schema.json` bytes (`schema`, base64; `null` when absent).
    #[serde(default, with = "base64_option")]
    pub schema: Option<Vec<u8>>,
    /// Modification time of the schema file (`schemamodtime`, always written).
    #[serde(rename = "schemamodtime", default, with = "timestamp::always")]
    pub schema_mod_time: Option<Timestamp>,
    /// Every other file of the chart (`files`; `null` when none).
    #[serde(default)]
    pub files: Option<Vec<FileRecord>>,
    /// Modification time of `Chart.yaml` (`modtime`, omitted when unset).
    #[serde(
        rename = "modtime",
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub mod_time: Option<Timestamp>,
}

/// A chart file in a record (Helm: `common.File`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path relative to the chart root.
    #[serde(default)]
    pub name: String,
    /// Contents (base64 in JSON).
    #[serde(default, with = "base64_bytes")]
    pub data: Vec<u8>,
    /// Modification time (`modtime`, omitted when unset).
    #[serde(
        rename = "modtime",
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::optional"
    )]
    pub mod_time: Option<Timestamp>,
}

/// `Chart.yaml` in a record (Helm: `chart.Metadata`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MetadataRecord {
    /// `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `home`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    /// `sources`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub sources: Vec<String>,
    /// `version`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `keywords`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub keywords: Vec<String>,
    /// `maintainers`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub maintainers: Vec<MaintainerRecord>,
    /// `icon`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    /// `apiVersion`.
    #[serde(
        rename = "apiVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub api_version: String,
    /// `condition`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// `tags` (one string).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    /// `appVersion`.
    #[serde(
        rename = "appVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub app_version: String,
    /// `deprecated`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// `annotations`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_default"
    )]
    pub annotations: BTreeMap<String, String>,
    /// `kubeVersion`.
    #[serde(
        rename = "kubeVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub kube_version: String,
    /// `dependencies`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub dependencies: Vec<DependencyRecord>,
    /// `type`.
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub chart_type: String,
}

/// A maintainer in a record (Helm: `chart.Maintainer`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaintainerRecord {
    /// `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `email`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// `url`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// A dependency in a record (Helm: `chart.Dependency`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DependencyRecord {
    /// `name` (always written).
    #[serde(default)]
    pub name: String,
    /// `version`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// `repository` (always written).
    #[serde(default)]
    pub repository: String,
    /// `condition`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// `tags`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub tags: Vec<String>,
    /// `enabled`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// `import-values`, each item as written.
    #[serde(
        rename = "import-values",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub import_values: Vec<Value>,
    /// `alias`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

/// A lock file in a record (Helm: `chart.Lock`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LockRecord {
    /// `generated` (always written; Go's zero time when unset).
    #[serde(default, with = "timestamp::always")]
    pub generated: Option<Timestamp>,
    /// `digest` (always written).
    #[serde(default)]
    pub digest: String,
    /// `dependencies` (always written; `null` when absent).
    #[serde(default)]
    pub dependencies: Option<Vec<DependencyRecord>>,
}

impl ChartRecord {
    /// The record of a loaded chart, as Helm's `json.Marshal` of its `*chart.Chart` sees it.
    ///
    /// Pass the chart as the install/upgrade renders it, after dependency processing: Helm
    /// stores the same chart object, whose `values` import-values may have changed and whose
    /// dependencies' `enabled` flags are set. `values` is `null` only when the chart has no
    /// `values.yaml` and declares no dependencies (Helm fills `Values` while processing
    /// dependencies whenever `Chart.yaml` lists any). Templates and files are `null` when
    /// there are none, as Go's nil slices. Modification times are not in the chart model and
    /// are left unset (Helm reads a record without them).
    ///
    /// # Errors
    /// [`ModelError::LockGenerated`] when the lock's `generated` is not RFC 3339.
    pub fn from_chart(chart: &chart::Chart) -> Result<ChartRecord, ModelError> {
        let lock = chart.lock.as_ref().map(lock_record).transpose()?;
        let files = |list: &[chart::File]| {
            (!list.is_empty()).then(|| list.iter().map(FileRecord::from).collect::<Vec<_>>())
        };
        let has_values = chart.values_raw.is_some() || !chart.metadata.dependencies.is_empty();
        Ok(ChartRecord {
            metadata: Some(MetadataRecord::from(&chart.metadata)),
            lock,
            templates: files(&chart.templates),
            values: has_values.then(|| chart.values.clone()),
            schema: chart.schema.as_ref().map(|s| s.to_vec()),
            schema_mod_time: None,
            files: files(&chart.files),
            mod_time: None,
        })
    }
}

impl From<&chart::File> for FileRecord {
    fn from(file: &chart::File) -> Self {
        FileRecord {
            name: file.name.clone(),
            data: file.data.to_vec(),
            mod_time: None,
        }
    }
}

impl From<&chart::Metadata> for MetadataRecord {
    fn from(m: &chart::Metadata) -> Self {
        MetadataRecord {
            name: m.name.clone(),
            home: m.home.clone(),
            sources: m.sources.clone(),
            version: m.version.clone(),
            description: m.description.clone(),
            keywords: m.keywords.clone(),
            maintainers: m
                .maintainers
                .iter()
                .map(|x| MaintainerRecord {
                    name: x.name.clone(),
                    email: x.email.clone(),
                    url: x.url.clone(),
                })
                .collect(),
            icon: m.icon.clone(),
            api_version: m.api_version.clone(),
            condition: m.condition.clone(),
            tags: m.tags.clone(),
            app_version: m.app_version.clone(),
            deprecated: m.deprecated,
            annotations: m.annotations.clone(),
            kube_version: m.kube_version.clone(),
            dependencies: m.dependencies.iter().map(DependencyRecord::from).collect(),
            chart_type: m.chart_type.clone(),
        }
    }
}

impl From<&chart::Dependency> for DependencyRecord {
    fn from(d: &chart::Dependency) -> Self {
        DependencyRecord {
            name: d.name.clone(),
            version: d.version.clone(),
            repository: d.repository.clone(),
            condition: d.condition.clone(),
            tags: d.tags.clone(),
            enabled: d.enabled,
            import_values: d.import_values.clone(),
            alias: d.alias.clone(),
        }
    }
}

fn lock_record(lock: &chart::Lock) -> Result<LockRecord, ModelError> {
    let generated = if lock.generated.is_empty() {
        None
    } else {
        let time =
            Timestamp::parse(&lock.generated).map_err(|source| ModelError::LockGenerated {
                value: lock.generated.clone(),
                source,
            })?;
        (!time.is_go_zero()).then_some(time)
    };
    Ok(LockRecord {
        generated,
        digest: lock.digest.clone(),
        // A lock file always has its `dependencies` key in practice; an empty list is
        // written as Helm writes a nil slice.
        dependencies: (!lock.dependencies.is_empty()).then(|| {
            lock.dependencies
                .iter()
                .map(DependencyRecord::from)
                .collect()
        }),
    })
}

/// Reads `null` as the type's default (Go leaves a nil map/slice/pointer).
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Go `[]byte` in JSON: standard base64 with padding; `null` reads as empty.
mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => decode(&text).map_err(serde::de::Error::custom),
            None => Ok(Vec::new()),
        }
    }

    /// Go's decoder skips `\r` and `\n` inside base64 text.
    pub(super) fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        if text.contains(['\r', '\n']) {
            let cleaned: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            STANDARD.decode(cleaned)
        } else {
            STANDARD.decode(text)
        }
    }
}

/// Go `[]byte` that may be nil: `None` is `null`.
mod base64_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_str(&STANDARD.encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| base64_bytes::decode(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    #[test]
    fn hook_words_round_trip() {
        for event in HookEvent::ALL {
            assert_eq!(event.as_str().parse::<HookEvent>(), Ok(*event));
        }
        assert!("pre-instal".parse::<HookEvent>().is_err());
        assert_eq!(
            HookDeletePolicy::from("before-hook-creation"),
            HookDeletePolicy::BeforeHookCreation
        );
        assert_eq!(
            HookDeletePolicy::from("whenever").as_str(),
            "whenever",
            "Helm stores unchecked policies"
        );
        assert_eq!(HookPhase::default().as_str(), "");
    }

    #[test]
    fn null_and_empty_times_read_as_unset() {
        let info: Info = serde_json::from_value(json!({
            "first_deployed": "", "last_deployed": null, "deleted": "0001-01-01T00:00:00Z",
            "status": "deployed", "description": "Install complete"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.first_deployed, None);
        assert_eq!(info.last_deployed, None);
        assert_eq!(info.deleted, None);
        assert_eq!(info.status, ReleaseStatus::Deployed);
        let hook: Hook = serde_json::from_value(json!({
            "name": "h", "last_run": {"started_at": "", "completed_at": "", "phase": "Succeeded"}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hook.last_run.phase, HookPhase::Succeeded);
        assert_eq!(hook.last_run.started_at, None);
    }

    #[test]
    fn chart_record_from_model_follows_go_nil_rules() {
        let model = chart::Chart {
            metadata: chart::Metadata {
                name: "c".into(),
                version: "1.0.0".into(),
                api_version: "v2".into(),
                ..chart::Metadata::default()
            },
            lock: Some(chart::Lock {
                generated: "2024-05-01T10:00:00.5+02:00".into(),
                digest: "sha256:x".into(),
                dependencies: Vec::new(),
            }),
            templates: vec![chart::File::new(
                "templates/a.yaml",
                Arc::<[u8]>::from(&b"a: 1"[..]),
            )],
            values: Map::new(),
            values_raw: None,
            schema: Some(Arc::<[u8]>::from(&b"{}"[..])),
            files: Vec::new(),
            raw: Vec::new(),
            dependencies: Vec::new(),
        };
        let record = ChartRecord::from_chart(&model).unwrap_or_else(|e| panic!("{e}"));
        let value = serde_json::to_value(&record).unwrap_or_default();
        assert_eq!(
            value,
            json!({
                "metadata": {"name": "c", "version": "1.0.0", "apiVersion": "v2"},
                "lock": {"generated": "2024-05-01T10:00:00.5+02:00", "digest": "sha256:x",
                         "dependencies": null},
                "templates": [{"name": "templates/a.yaml", "data": "YTogMQ=="}],
                "values": null,
                "schema": "e30=",
                "schemamodtime": "0001-01-01T00:00:00Z",
                "files": null
            })
        );
        let mut bad = model.clone();
        if let Some(lock) = bad.lock.as_mut() {
            lock.generated = "May 1st".into();
        }
        assert!(matches!(
            ChartRecord::from_chart(&bad),
            Err(ModelError::LockGenerated { .. })
        ));
    }
}

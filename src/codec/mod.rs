//! Byte-exact YAML, JSON and TOML encoding and decoding as Helm 4.3.1 (Go 1.26) performs it.
//!
//! Pure functions over [`serde_json::Value`], the interchange type of Wheelhouse: objects are
//! sorted maps, an `i64`/`u64` number stands for a Go integer and an `f64` number for a Go
//! float64. Nothing here knows about charts or templates.
//!
//! - [`json`]: Go `encoding/json` (Helm's `toJson`, `fromJson`, `fromJsonArray`).
//! - [`yaml`]: sigs.k8s.io/yaml v1.6.0 over go.yaml.in/yaml v2.4.4 (Helm's `toYaml`,
//!   `fromYaml`, `fromYamlArray`, values files) and go.yaml.in/yaml v3.0.5 (`toYamlPretty`).
//! - [`toml`]: github.com/BurntSushi/toml v1.6.0 (Helm's `toToml`, `fromToml`).

pub mod json;
pub mod toml;
pub mod toml_check;
pub mod yaml;

mod gofmt;

#[cfg(test)]
mod tests;

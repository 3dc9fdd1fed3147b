//! The user's values from the command line, merged as Helm 4.3.1's `values.Options.MergeValues`
//! does (`pkg/cli/values/options.go`).
//!
//! Order: every `-f/--values` file in turn (each read as Helm reads values files and merged
//! over the previous ones, maps key by key), then all `--set-json`, then `--set`, then
//! `--set-string`, then `--set-file`, then `--set-literal`, each group in the order given.
//! Files are read through a caller-supplied function so this stays free of I/O.

use serde_json::{Map, Value};

use super::strvals::{self, StrvalsError};
use crate::codec::json::{self as gojson};
use crate::codec::yaml::{self, YamlError};

/// The value flags of `helm install/upgrade/template` (Helm: `values.Options`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueOptions {
    /// `-f/--values`: paths (or whatever the reader understands, e.g. `-` or URLs).
    pub value_files: Vec<String>,
    /// `--set-json`: `key=json` lines, or whole JSON objects (`{"a":1}`).
    pub json_values: Vec<String>,
    /// `--set`.
    pub values: Vec<String>,
    /// `--set-string`.
    pub string_values: Vec<String>,
    /// `--set-file`: `key=path` lines; the file contents become string values.
    pub file_values: Vec<String>,
    /// `--set-literal`.
    pub literal_values: Vec<String>,
}

/// Why the user's values could not be built. `Display` is Helm's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserValuesError {
    /// A `-f` file could not be read; `message` is the reader's text (Helm prints the
    /// `os.ReadFile` error as is, e.g. `open x.yaml: no such file or directory`).
    #[error("{message}")]
    Read {
        /// The path as given.
        path: String,
        /// The reader's error text.
        message: String,
    },
    /// A `-f` file is not valid values YAML.
    #[error("failed to parse {path}: {source}")]
    Parse {
        /// The path as given.
        path: String,
        /// The YAML error.
        source: YamlError,
    },
    /// A `--set-json` JSON object is not valid (Helm does not say why).
    #[error("failed parsing --set-json data JSON: {value}")]
    SetJsonObject {
        /// The flag's value.
        value: String,
    },
    /// A `--set-json` `key=json` line is not valid (Helm does not say why; `source` does).
    #[error("failed parsing --set-json data {value}")]
    SetJson {
        /// The flag's value.
        value: String,
        /// The parser's error.
        source: StrvalsError,
    },
    /// A `--set` line is not valid.
    #[error("failed parsing --set data: {source}")]
    Set {
        /// The parser's error.
        source: StrvalsError,
    },
    /// A `--set-string` line is not valid.
    #[error("failed parsing --set-string data: {source}")]
    SetString {
        /// The parser's error.
        source: StrvalsError,
    },
    /// A `--set-file` line is not valid or a file could not be read.
    #[error("failed parsing --set-file data: {source}")]
    SetFile {
        /// The parser's or reader's error.
        source: StrvalsError,
    },
    /// A `--set-literal` line is not valid.
    #[error("failed parsing --set-literal data: {source}")]
    SetLiteral {
        /// The parser's error.
        source: StrvalsError,
    },
}

/// A function reading a `-f` or `--set-file` path: the file's text, or an error text worded
/// as the caller wants it shown (Helm: `open <path>: no such file or directory`).
pub type ReadFile<'r> = dyn FnMut(&str) -> Result<String, String> + 'r;

impl ValueOptions {
    /// Helm's `MergeValues`: the user-supplied values, in Helm's order (see module docs).
    /// Numbers from files and `--set-json` are `f64`; `--set` integers are `i64`.
    ///
    /// # Errors
    /// [`UserValuesError`] for the first file or flag that fails, with Helm's text.
    pub fn merge_values(
        &self,
        read: &mut ReadFile<'_>,
    ) -> Result<Map<String, Value>, UserValuesError> {
        let mut base = Map::new();
        for path in &self.value_files {
            let text = read(path).map_err(|message| UserValuesError::Read {
                path: path.clone(),
                message,
            })?;
            let current = yaml::load_values(&text).map_err(|source| UserValuesError::Parse {
                path: path.clone(),
                source,
            })?;
            merge_maps(&mut base, current);
        }
        for value in &self.json_values {
            let trimmed = value.trim_matches(char::is_whitespace);
            if trimmed.starts_with('{') {
                match gojson::parse(trimmed) {
                    Ok(Value::Object(map)) => merge_maps(&mut base, map),
                    _ => {
                        return Err(UserValuesError::SetJsonObject {
                            value: value.clone(),
                        });
                    }
                }
            } else {
                strvals::parse_json_into(value, &mut base).map_err(|source| {
                    UserValuesError::SetJson {
                        value: value.clone(),
                        source,
                    }
                })?;
            }
        }
        for value in &self.values {
            strvals::parse_into(value, &mut base)
                .map_err(|source| UserValuesError::Set { source })?;
        }
        for value in &self.string_values {
            strvals::parse_into_string(value, &mut base)
                .map_err(|source| UserValuesError::SetString { source })?;
        }
        for value in &self.file_values {
            let mut reader = |path: &str| read(path).map(Value::String);
            strvals::parse_into_file(value, &mut base, &mut reader)
                .map_err(|source| UserValuesError::SetFile { source })?;
        }
        for value in &self.literal_values {
            strvals::parse_literal_into(value, &mut base)
                .map_err(|source| UserValuesError::SetLiteral { source })?;
        }
        Ok(base)
    }
}

/// Helm's `loader.MergeMaps`: `b` over `a`; where both hold maps they merge recursively.
pub fn merge_maps(a: &mut Map<String, Value>, b: Map<String, Value>) {
    for (key, value) in b {
        match (a.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || merge_maps(existing, incoming));
            }
            (_, value) => {
                a.insert(key, value);
            }
        }
    }
}

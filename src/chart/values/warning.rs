//! Warnings Helm logs while it builds a chart's values.
//!
//! Helm 4.3.1 reports some questionable values through `log/slog` instead of failing
//! (`pkg/chart/v2/util/dependencies.go`: a condition or tag that is not a bool, an
//! `import-values` entry naming a missing table). The values code returns them as data; the
//! caller decides where they go (`wheelhouse template` prints them on stderr in slog's text
//! form, as `helm template` does).

use std::fmt;

/// Severity of a [`Warning`], as slog's level names print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningLevel {
    /// `INFO` (Helm's `log.Printf` calls, which slog's default logger turns into `INFO`).
    Info,
    /// `WARN` (`slog.Warn`).
    Warn,
}

impl fmt::Display for WarningLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WarningLevel::Info => "INFO",
            WarningLevel::Warn => "WARN",
        })
    }
}

/// One log record Helm would emit: level, message and attributes in Helm's order
/// (for example `returned non-bool value` with `path=backend.enabled chart=backend`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Severity.
    pub level: WarningLevel,
    /// The message, as Helm words it.
    pub message: String,
    /// Attribute keys and their values as text (errors as their `Error()` text).
    pub attrs: Vec<(String, String)>,
}

impl Warning {
    /// A `WARN` record with the given message and attributes.
    pub fn warn<K, V>(message: &str, attrs: impl IntoIterator<Item = (K, V)>) -> Warning
    where
        K: Into<String>,
        V: Into<String>,
    {
        Warning {
            level: WarningLevel::Warn,
            message: message.to_owned(),
            attrs: attrs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

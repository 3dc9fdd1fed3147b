//! Helm's `kubeVersion` check: which Kubernetes version a chart's `kubeVersion` constraint is
//! tested against, and how.
//!
//! Helm 4.3.1 (`pkg/action/action.go`, `renderResources`) rejects a chart whose
//! `Chart.yaml` `kubeVersion` is non-empty and for which [`is_compatible_range`] is false,
//! with the message
//! `chart requires kubeVersion: <kubeVersion> which is incompatible with Kubernetes <version>`
//! where `<version>` is [`KubeVersion::version`].
//!
//! The version tested is [`KubeVersion::constraint_version`] (Go: `KubeVersion.String()`):
//! - talking to a cluster (`getCapabilities`), it is the server's `gitVersion` verbatim, e.g.
//!   `v1.33.0-gke.1000`. Masterminds/semver reads the vendor suffix as a prerelease, so
//!   `>=1.25.0` does not admit it while `>=1.25.0-0` does (a prerelease version only passes a
//!   constraint group that mentions a prerelease);
//! - given `--kube-version` ([`KubeVersion::parse`], Go: `ParseKubeVersion`), it is the
//!   version with everything after the numbers removed, e.g. `v1.33.0`.

use super::go_quote::quote;
use super::{Constraints, Version};

/// Whether `version` satisfies `constraint`; any parse failure of either gives `false`
/// (Go: `IsCompatibleRange` in `pkg/chart/v2/util/compatible.go`, identical in
/// `internal/chart/v3/util/compatible.go`).
///
/// Helm calls it with a chart's `kubeVersion` and [`KubeVersion::constraint_version`], and
/// with a dependency's `version` range and the subchart's `version`.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let Ok(version) = Version::parse(version) else {
        return false;
    };
    let Ok(constraints) = Constraints::parse(constraint) else {
        return false;
    };
    constraints.check(&version)
}

/// The Kubernetes version Helm renders for (Go: `common.KubeVersion` in
/// `pkg/chart/common/capabilities.go`). Templates see it as `.Capabilities.KubeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// Full version, `v`-prefixed (e.g. `v1.33.4-gke.1245000`); Go: `Version`.
    pub version: String,
    /// Major version as text (e.g. `1`); Go: `Major`.
    pub major: String,
    /// Minor version as text (e.g. `33`, or `33+` as some servers report); Go: `Minor`.
    pub minor: String,
    /// The suffix-free version used for constraint checks, when parsed from a flag.
    normalized: Option<String>,
}

/// Why [`KubeVersion::parse`] rejected a string (the messages of Kubernetes'
/// `k8s.io/apimachinery/pkg/util/version.ParseGeneric`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeVersionError {
    /// No leading number (after optional spaces and `v`), or a newline after the numbers.
    #[error("could not parse {} as version", quote(.input))]
    Unparseable {
        /// The whole input.
        input: String,
    },
    /// Fewer than two dot-separated numbers.
    #[error("illegal version string {}", quote(.input))]
    TooFewComponents {
        /// The whole input.
        input: String,
    },
    /// The first number has a leading zero.
    #[error("illegal zero-prefixed version component {} in {}", quote(.component), quote(.input))]
    ZeroPrefixed {
        /// The offending number.
        component: String,
        /// The whole input.
        input: String,
    },
    /// A number does not fit in 64 bits.
    #[error(
        "illegal non-numeric version component {} in {}: strconv.ParseUint: parsing {}: value out of range",
        quote(.component),
        quote(.input),
        quote(.component)
    )]
    OutOfRange {
        /// The offending number.
        component: String,
        /// The whole input.
        input: String,
    },
}

impl KubeVersion {
    /// The version as reported by a cluster's `/version` endpoint (Go: the `KubeVersion`
    /// `getCapabilities` builds): `git_version` is used verbatim for constraint checks.
    pub fn from_server(git_version: &str, major: &str, minor: &str) -> KubeVersion {
        KubeVersion {
            version: git_version.to_string(),
            major: major.to_string(),
            minor: minor.to_string(),
            normalized: None,
        }
    }

    /// Parses a version given on the command line (Go: `ParseKubeVersion`, which uses
    /// Kubernetes' `ParseGeneric`): optional surrounding spaces and `v`, two or more
    /// dot-separated numbers (the first without a leading zero), then anything without a
    /// newline, which is ignored. [`KubeVersion::version`] is the input with a `v` prepended
    /// when it does not start with one; the constraint version is `v` plus the numbers.
    ///
    /// # Errors
    /// [`KubeVersionError`] with Kubernetes' message.
    pub fn parse(input: &str) -> Result<KubeVersion, KubeVersionError> {
        let numbers = generic_components(input)?;
        let mut values = Vec::with_capacity(numbers.len());
        for (index, component) in numbers.iter().enumerate() {
            if index == 0 && component.starts_with('0') && *component != "0" {
                return Err(KubeVersionError::ZeroPrefixed {
                    component: component.to_string(),
                    input: input.to_string(),
                });
            }
            let value: u64 = component
                .parse()
                .map_err(|_| KubeVersionError::OutOfRange {
                    component: component.to_string(),
                    input: input.to_string(),
                })?;
            values.push(value);
        }
        let normalized = values
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".");
        let version = if input.starts_with('v') {
            input.to_string()
        } else {
            format!("v{input}")
        };
        let text = |i: usize| values.get(i).map(u64::to_string).unwrap_or_default();
        Ok(KubeVersion {
            version,
            major: text(0),
            minor: text(1),
            normalized: Some(format!("v{normalized}")),
        })
    }

    /// The version constraints are checked against (Go: `KubeVersion.String()`): the
    /// normalized version when parsed from a flag, else [`KubeVersion::version`].
    pub fn constraint_version(&self) -> &str {
        self.normalized.as_deref().unwrap_or(&self.version)
    }

    /// Whether a chart with this `kubeVersion` constraint may be rendered for this version
    /// (Helm skips the check when the chart's `kubeVersion` is empty; this function does not).
    pub fn is_compatible(&self, constraint: &str) -> bool {
        is_compatible_range(constraint, self.constraint_version())
    }
}

/// The dot-separated leading numbers of a generic Kubernetes version, at least two.
fn generic_components(input: &str) -> Result<Vec<&str>, KubeVersionError> {
    let unparseable = || KubeVersionError::Unparseable {
        input: input.to_string(),
    };
    let trimmed = input.trim_start_matches(['\t', '\n', '\u{c}', '\r', ' ']);
    let unprefixed = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let mut end = 0;
    let bytes = unprefixed.as_bytes();
    loop {
        let digits = bytes.get(end..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        });
        if digits == 0 {
            // A dot not followed by a digit is left to the ignored suffix.
            if end == 0 {
                return Err(unparseable());
            }
            end -= 1;
            break;
        }
        end += digits;
        if bytes.get(end) != Some(&b'.') {
            break;
        }
        end += 1;
    }
    let (numbers, suffix) = unprefixed.split_at(end);
    if suffix.contains('\n') {
        return Err(unparseable());
    }
    let components: Vec<&str> = numbers.split('.').collect();
    if components.len() < 2 {
        return Err(KubeVersionError::TooFewComponents {
            input: input.to_string(),
        });
    }
    Ok(components)
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn vendor_suffixes_need_the_prerelease_trick_against_a_server_version() {
        let gke = KubeVersion::from_server("v1.33.0-gke.1000", "1", "33+");
        assert_eq!(gke.constraint_version(), "v1.33.0-gke.1000");
        assert!(!gke.is_compatible(">=1.25.0"));
        assert!(gke.is_compatible(">=1.25.0-0"));
    }

    #[test]
    fn flag_versions_are_normalized() {
        let flag = KubeVersion::parse("1.33.0-gke.1000").expect("valid");
        assert_eq!(flag.version, "v1.33.0-gke.1000");
        assert_eq!(flag.constraint_version(), "v1.33.0");
        assert_eq!((flag.major.as_str(), flag.minor.as_str()), ("1", "33"));
        assert!(flag.is_compatible(">=1.25.0"));
        assert_eq!(
            KubeVersion::parse("v1")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("illegal version string \"v1\"")
        );
    }

    #[test]
    fn unparseable_inputs_are_incompatible() {
        assert!(!is_compatible_range("", "v1.33.0"));
        assert!(!is_compatible_range(">=1.0.0", "not-a-version"));
        assert!(is_compatible_range(">=1.0.0", "v1.33.0"));
    }
}

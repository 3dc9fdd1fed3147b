//! Charts in OCI registries, pulled as Helm 4.3.1 pulls them, with the `oci-client` crate.
//!
//! - References: `oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]` ([`OciReference::parse`],
//!   Helm `pkg/registry/reference.go`; a `+` in the tag becomes `_`, as OCI tags cannot hold
//!   `+`).
//! - Tag resolution ([`resolve_tag`], Helm `Client.ValidateReference` and
//!   `GetTagMatchingVersionOrConstraint`): the version defaults to the reference's tag; a
//!   version that parses as semver *is* the tag; otherwise the registry's tags are listed,
//!   those that are strict semver (after `_`→`+`) are sorted newest first, an exact text match
//!   wins, else the first satisfying the constraint (no constraint: `*`). A digest reference
//!   is pulled by digest; with a version too, the tag must point at that digest.
//! - Manifests: the config must have Helm's config media type; the chart is the layer with
//!   Helm's chart media type or the legacy `application/tar+gzip`; a provenance layer is
//!   returned when present. Layer sizes are checked against the limit before the download,
//!   and `oci-client` checks each blob's digest.
//! - Auth: anonymous, basic, or a bearer token; [`auth_from_docker_config`] reads a
//!   `.dockerconfigjson` Secret's bytes.

use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciManifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::cache::{CacheError, ChartCache};
use super::digest;
use super::http::DEFAULT_MAX_CHART_BYTES;
use crate::chart::load::{self, Limits, LoadError};
use crate::semver::{Constraints, Version};

/// Helm's chart config media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm's chart content layer media type.
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Helm's provenance layer media type.
pub const PROV_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";
/// The legacy chart layer media type, still accepted on pull.
pub const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";

/// Largest provenance layer accepted, in bytes.
const MAX_PROV_BYTES: i64 = 1024 * 1024;

/// An OCI failure; messages name the reference.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// The reference does not parse.
    #[error("invalid OCI reference \"{reference}\": {problem}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong.
        problem: String,
    },
    /// The `.dockerconfigjson` does not parse.
    #[error("invalid .dockerconfigjson: {problem}")]
    InvalidDockerConfig {
        /// What is wrong.
        problem: String,
    },
    /// The version and the reference's tag disagree (Helm's wording).
    #[error("chart reference and version mismatch: {version} is not {tag}")]
    VersionMismatch {
        /// The version asked for.
        version: String,
        /// The reference's tag.
        tag: String,
    },
    /// The tag points at another digest than the reference's (Helm's wording).
    #[error("chart reference digest mismatch: {actual} is not {expected}")]
    DigestMismatch {
        /// The digest the tag resolves to.
        actual: String,
        /// The reference's digest.
        expected: String,
    },
    /// The repository has no semver tags (Helm's wording).
    #[error("unable to locate any tags in provided repository: {reference}")]
    NoTags {
        /// The reference.
        reference: String,
    },
    /// No tag satisfies the constraint (Helm's wording).
    #[error("could not locate a version matching provided version string {version}")]
    NoMatchingTag {
        /// The version constraint.
        version: String,
    },
    /// The version constraint does not parse.
    #[error("invalid version constraint \"{version}\"")]
    InvalidConstraint {
        /// The constraint.
        version: String,
        /// The parser's error.
        #[source]
        source: crate::semver::Error,
    },
    /// The registry refused the credentials (or wants some).
    #[error("registry refused access to {reference}; check the registry credentials")]
    Unauthorized {
        /// The reference.
        reference: String,
        /// The client's error.
        #[source]
        source: OciDistributionError,
    },
    /// Another registry or transport failure.
    #[error("failed to pull {reference} from the registry")]
    Registry {
        /// The reference.
        reference: String,
        /// The client's error.
        #[source]
        source: OciDistributionError,
    },
    /// The manifest is not a Helm chart manifest (Helm's wording).
    #[error("{reference}: {problem}")]
    NotAChart {
        /// The reference.
        reference: String,
        /// Helm's message, e.g. `could not load config with mediatype ...`.
        problem: String,
    },
    /// The chart layer is larger than allowed.
    #[error("chart layer of {reference} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The reference.
        reference: String,
        /// The declared size.
        size: i64,
        /// The limit.
        limit: u64,
    },
    /// The pulled archive is not a chart archive Helm would load safely.
    #[error("chart archive from {reference} is not a valid chart")]
    Archive {
        /// The reference.
        reference: String,
        /// The loader's error.
        #[source]
        source: LoadError,
    },
    /// The archive could not be stored in the cache.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl OciError {
    /// A PascalCase reason for conditions, events and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            OciError::InvalidReference { .. } => "InvalidURL",
            OciError::InvalidDockerConfig { .. } => "InvalidCredentials",
            OciError::VersionMismatch { .. } | OciError::DigestMismatch { .. } => {
                "ReferenceMismatch"
            }
            OciError::NoTags { .. } | OciError::NoMatchingTag { .. } => "ChartVersionNotFound",
            OciError::InvalidConstraint { .. } => "InvalidVersion",
            OciError::Unauthorized { .. } => "Unauthorized",
            OciError::Registry { .. } => "FetchFailed",
            OciError::NotAChart { .. } => "NotAChart",
            OciError::TooLarge { .. } => "TooLarge",
            OciError::Archive { .. } => "InvalidChartArchive",
            OciError::Cache(_) => "CacheError",
        }
    }
}

/// A parsed `oci://` chart reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciReference {
    /// `host[:port]`.
    pub registry: String,
    /// The repository path (`charts/podinfo`).
    pub repository: String,
    /// The tag as written (with `+` already turned into `_`), if any.
    pub tag: Option<String>,
    /// `sha256:<hex>`, if any.
    pub digest: Option<String>,
}

impl OciReference {
    /// Parses `oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]` (the `oci://` prefix is optional).
    ///
    /// # Errors
    /// [`OciError::InvalidReference`] when there is no repository, or the digest is not
    /// `sha256:` and 64 hex digits.
    pub fn parse(reference: &str) -> Result<OciReference, OciError> {
        let invalid = |problem: &str| OciError::InvalidReference {
            reference: reference.to_owned(),
            problem: problem.to_owned(),
        };
        let mut raw = reference.strip_prefix("oci://").unwrap_or(reference);
        let mut digest = None;
        if let Some(at) = raw.rfind('@') {
            let d = &raw[at + 1..];
            let hex = d
                .strip_prefix("sha256:")
                .ok_or_else(|| invalid("only sha256 digests are supported"))?;
            digest::normalize(hex).map_err(|_| invalid("malformed sha256 digest"))?;
            digest = Some(d.to_owned());
            raw = &raw[..at];
        }
        let (registry, rest) = raw
            .split_once('/')
            .ok_or_else(|| invalid("missing repository path"))?;
        let mut repository = rest;
        let mut tag = None;
        if let Some(colon) = rest.rfind(':')
            && !rest[colon..].contains('/')
        {
            tag = Some(rest[colon + 1..].replace('+', "_")).filter(|t| !t.is_empty());
            repository = &rest[..colon];
        }
        if registry.is_empty() || repository.is_empty() {
            return Err(invalid("missing registry or repository"));
        }
        Ok(OciReference {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }

    fn base(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    fn with_tag(&self, tag: &str) -> Result<Reference, OciError> {
        let text = format!("{}:{tag}", self.base());
        Reference::from_str(&text).map_err(|e| OciError::InvalidReference {
            reference: text,
            problem: e.to_string(),
        })
    }

    fn with_digest(&self, digest: &str) -> Result<Reference, OciError> {
        let text = format!("{}@{digest}", self.base());
        Reference::from_str(&text).map_err(|e| OciError::InvalidReference {
            reference: text,
            problem: e.to_string(),
        })
    }
}

impl std::fmt::Display for OciReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oci://{}", self.base())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Registry credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum OciAuth {
    /// No credentials.
    #[default]
    Anonymous,
    /// User name and password (or an identity token as the password).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// A bearer token sent as is.
    Bearer(String),
}

impl std::fmt::Debug for OciAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OciAuth::Anonymous => f.write_str("Anonymous"),
            OciAuth::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            OciAuth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl OciAuth {
    fn to_client(&self) -> RegistryAuth {
        match self {
            OciAuth::Anonymous => RegistryAuth::Anonymous,
            OciAuth::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
            OciAuth::Bearer(token) => RegistryAuth::Bearer(token.clone()),
        }
    }
}

/// The credentials for `registry` in a `.dockerconfigjson` (`{"auths": {HOST: {...}}}` with
/// `username`/`password`, or `auth` = base64 of `user:password`, or `registrytoken`);
/// [`OciAuth::Anonymous`] when the registry is not listed. Hosts match with or without a
/// scheme prefix.
///
/// # Errors
/// [`OciError::InvalidDockerConfig`] for malformed JSON or `auth`.
pub fn auth_from_docker_config(json: &[u8], registry: &str) -> Result<OciAuth, OciError> {
    let bad = |problem: String| OciError::InvalidDockerConfig { problem };
    let config: serde_json::Value = serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else {
        return Ok(OciAuth::Anonymous);
    };
    let entry = auths.iter().find(|(host, _)| {
        let host = host
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        host == registry
    });
    let Some((_, entry)) = entry else {
        return Ok(OciAuth::Anonymous);
    };
    let field = |name: &str| entry.get(name).and_then(|v| v.as_str()).unwrap_or("");
    if !field("registrytoken").is_empty() {
        return Ok(OciAuth::Bearer(field("registrytoken").to_owned()));
    }
    if !field("username").is_empty() || !field("password").is_empty() {
        return Ok(OciAuth::Basic {
            username: field("username").to_owned(),
            password: field("password").to_owned(),
        });
    }
    if !field("auth").is_empty() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(field("auth"))
            .map_err(|e| bad(format!("auth of {registry}: {e}")))?;
        let text = String::from_utf8(decoded).map_err(|e| bad(e.to_string()))?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| bad(format!("auth of {registry} is not user:password")))?;
        return Ok(OciAuth::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        });
    }
    Ok(OciAuth::Anonymous)
}

/// How to talk to a registry, as plain data.
#[derive(Debug, Clone)]
pub struct OciOptions {
    /// Credentials.
    pub auth: OciAuth,
    /// Plain HTTP instead of HTTPS (a HelmRepository's `insecure`, Helm's `--plain-http`).
    pub plain_http: bool,
    /// CA certificates (PEM) to trust instead of the system roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Read and connect timeout.
    pub timeout: Duration,
    /// Largest chart layer accepted, in bytes.
    pub max_chart_bytes: u64,
}

impl Default for OciOptions {
    fn default() -> OciOptions {
        OciOptions {
            auth: OciAuth::Anonymous,
            plain_http: false,
            ca_pem: None,
            timeout: super::http::DEFAULT_TIMEOUT,
            max_chart_bytes: DEFAULT_MAX_CHART_BYTES,
        }
    }
}

/// A chart pulled from a registry.
#[derive(Debug, Clone)]
pub struct OciChart {
    /// The chart archive.
    pub data: Vec<u8>,
    /// SHA-256 (hex) of the archive: the chart layer's digest.
    pub digest: String,
    /// The manifest digest (`sha256:...`).
    pub manifest_digest: String,
    /// The tag pulled, or `None` when pulled by digest only.
    pub tag: Option<String>,
    /// The provenance layer, when the manifest has one.
    pub provenance: Option<Vec<u8>>,
    /// Whether the archive came from the cache (the manifest is always fetched).
    pub from_cache: bool,
}

/// Helm's choice among a repository's tags for `version` (`GetTagMatchingVersionOrConstraint`
/// over the strict-semver tags sorted newest first): an exact text match, else the newest
/// satisfying the constraint (`*` when empty). Returns the tag in its semver form (`+`).
///
/// # Errors
/// [`OciError::InvalidConstraint`], [`OciError::NoMatchingTag`].
pub fn resolve_tag(tags: &[String], version: &str) -> Result<String, OciError> {
    let mut versions: Vec<Version> = tags
        .iter()
        .filter_map(|t| Version::parse_strict(&t.replace('_', "+")).ok())
        .collect();
    versions.sort_by(|a, b| b.cmp(a));
    let texts: Vec<String> = versions.iter().map(ToString::to_string).collect();
    if !version.is_empty()
        && let Some(exact) = texts.iter().find(|t| *t == version)
    {
        return Ok(exact.clone());
    }
    let wanted = if version.is_empty() { "*" } else { version };
    let constraints = Constraints::parse(wanted).map_err(|source| OciError::InvalidConstraint {
        version: version.to_owned(),
        source,
    })?;
    texts
        .iter()
        .find(|t| Version::parse(t).is_ok_and(|v| constraints.check(&v)))
        .cloned()
        .ok_or_else(|| OciError::NoMatchingTag {
            version: version.to_owned(),
        })
}

/// A registry client.
#[derive(Clone)]
pub struct OciClient {
    client: Client,
    options: OciOptions,
}

impl std::fmt::Debug for OciClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciClient")
            .field("options", &self.options)
            .finish()
    }
}

impl OciClient {
    /// Builds a client (installs the ring TLS provider if needed).
    pub fn new(options: OciOptions) -> OciClient {
        crate::tls::install_crypto_provider();
        let mut config = ClientConfig {
            protocol: if options.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            read_timeout: Some(options.timeout),
            connect_timeout: Some(options.timeout),
            ..ClientConfig::default()
        };
        if let Some(ca) = &options.ca_pem {
            config.tls_certs_only = vec![Certificate {
                encoding: CertificateEncoding::Pem,
                data: ca.clone(),
            }];
        }
        OciClient {
            client: Client::new(config),
            options,
        }
    }

    fn registry_error(&self, reference: &str, source: OciDistributionError) -> OciError {
        let unauthorized = match &source {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => true,
            OciDistributionError::ServerError { code, .. } => *code == 401 || *code == 403,
            OciDistributionError::RegistryError { envelope, .. } => {
                envelope.errors.iter().any(|e| {
                    matches!(
                        e.code,
                        oci_client::errors::OciErrorCode::Unauthorized
                            | oci_client::errors::OciErrorCode::Denied
                    )
                })
            }
            _ => false,
        };
        if unauthorized {
            OciError::Unauthorized {
                reference: reference.to_owned(),
                source,
            }
        } else {
            OciError::Registry {
                reference: reference.to_owned(),
                source,
            }
        }
    }

    /// The strict-semver tags of the repository as listed by the registry.
    ///
    /// # Errors
    /// [`OciError::Unauthorized`], [`OciError::Registry`].
    pub async fn tags(&self, reference: &OciReference) -> Result<Vec<String>, OciError> {
        let probe = reference.with_tag("latest")?;
        let response = self
            .client
            .list_tags(&probe, &self.options.auth.to_client(), None, None)
            .await
            .map_err(|e| self.registry_error(&reference.to_string(), e))?;
        Ok(response.tags)
    }

    /// Resolves `version` against the reference as Helm does and returns the oci-client
    /// reference to pull plus the tag (semver form) it names.
    ///
    /// # Errors
    /// [`OciError::VersionMismatch`], [`OciError::DigestMismatch`], [`OciError::NoTags`],
    /// [`OciError::NoMatchingTag`], [`OciError::InvalidConstraint`], registry errors.
    pub async fn resolve(
        &self,
        reference: &OciReference,
        version: &str,
    ) -> Result<(Reference, Option<String>), OciError> {
        let tag_form = |v: &str| v.replace('+', "_");
        let mut version = version.trim().to_owned();
        if version.is_empty() {
            // The reference's tag (already in `_` form) is the default version.
            version = reference
                .tag
                .clone()
                .map(|t| t.replace('_', "+"))
                .unwrap_or_default();
        } else if let Some(tag) = &reference.tag
            && *tag != tag_form(&version)
        {
            return Err(OciError::VersionMismatch {
                version,
                tag: tag.clone(),
            });
        }
        if let Some(digest) = &reference.digest {
            if !version.is_empty() {
                let tagged = reference.with_tag(&tag_form(&version))?;
                if let Ok(actual) = self
                    .client
                    .fetch_manifest_digest(&tagged, &self.options.auth.to_client())
                    .await
                    && actual != *digest
                {
                    return Err(OciError::DigestMismatch {
                        actual,
                        expected: digest.clone(),
                    });
                }
            }
            return Ok((reference.with_digest(digest)?, None));
        }
        let tag = if !version.is_empty() && Version::parse(&version).is_ok() {
            version
        } else {
            let tags = self.tags(reference).await?;
            let strict = tags
                .iter()
                .filter(|t| Version::parse_strict(&t.replace('_', "+")).is_ok())
                .count();
            if strict == 0 {
                return Err(OciError::NoTags {
                    reference: reference.to_string(),
                });
            }
            resolve_tag(&tags, &version)?
        };
        Ok((reference.with_tag(&tag_form(&tag))?, Some(tag)))
    }

    /// Resolves and pulls a chart: the manifest, then the chart layer (from `cache` when it
    /// holds the layer's digest), then the provenance layer if any. The archive is checked
    /// with Helm's archive rules before it is cached.
    ///
    /// # Errors
    /// Those of [`OciClient::resolve`], [`OciError::NotAChart`], [`OciError::TooLarge`],
    /// [`OciError::Archive`], [`OciError::Cache`], registry errors.
    pub async fn pull_chart(
        &self,
        reference: &OciReference,
        version: &str,
        cache: Option<&ChartCache>,
    ) -> Result<OciChart, OciError> {
        let (target, tag) = self.resolve(reference, version).await?;
        let name = target.whole();
        let auth = self.options.auth.to_client();
        let (manifest, manifest_digest) = self
            .client
            .pull_manifest(&target, &auth)
            .await
            .map_err(|e| self.registry_error(&name, e))?;
        let not_a_chart = |problem: String| OciError::NotAChart {
            reference: name.clone(),
            problem,
        };
        let OciManifest::Image(manifest) = manifest else {
            return Err(not_a_chart(
                "an image index is not a chart manifest".to_owned(),
            ));
        };
        if manifest.config.media_type != CONFIG_MEDIA_TYPE {
            return Err(not_a_chart(format!(
                "could not load config with mediatype {CONFIG_MEDIA_TYPE}"
            )));
        }
        let chart_layer = manifest
            .layers
            .iter()
            .find(|l| {
                l.media_type == CHART_LAYER_MEDIA_TYPE
                    || l.media_type == LEGACY_CHART_LAYER_MEDIA_TYPE
            })
            .ok_or_else(|| {
                not_a_chart(format!(
                    "manifest does not contain a layer with mediatype {CHART_LAYER_MEDIA_TYPE}"
                ))
            })?;
        let limit = self.options.max_chart_bytes;
        if chart_layer.size < 0 || chart_layer.size as u64 > limit {
            return Err(OciError::TooLarge {
                reference: name,
                size: chart_layer.size,
                limit,
            });
        }
        let layer_hex = chart_layer
            .digest
            .strip_prefix("sha256:")
            .and_then(|h| digest::normalize(h).ok())
            .ok_or_else(|| {
                not_a_chart(format!(
                    "chart layer digest {} is not sha256",
                    chart_layer.digest
                ))
            })?;
        let cached = cache.and_then(|c| c.get(&layer_hex));
        let from_cache = cached.is_some();
        let data = match cached {
            Some(data) => data,
            None => {
                let mut data = Vec::with_capacity(usize::try_from(chart_layer.size).unwrap_or(0));
                self.client
                    .pull_blob(&target, chart_layer, &mut data)
                    .await
                    .map_err(|e| self.registry_error(&name, e))?;
                load::archive::read_archive(&data, &Limits::default()).map_err(|source| {
                    OciError::Archive {
                        reference: name.clone(),
                        source,
                    }
                })?;
                if let Some(cache) = cache {
                    cache.insert(&data)?;
                }
                data
            }
        };
        let provenance = match manifest
            .layers
            .iter()
            .find(|l| l.media_type == PROV_LAYER_MEDIA_TYPE)
        {
            Some(layer) if layer.size <= MAX_PROV_BYTES => {
                let mut prov = Vec::new();
                self.client
                    .pull_blob(&target, layer, &mut prov)
                    .await
                    .map_err(|e| self.registry_error(&name, e))?;
                Some(prov)
            }
            _ => None,
        };
        Ok(OciChart {
            data,
            digest: layer_hex,
            manifest_digest,
            tag,
            provenance,
            from_cache,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn parses_references_like_helm() {
        let r = OciReference::parse("oci://localhost:5000/charts/demo:1.0.0+build.1").expect("ref");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "charts/demo");
        assert_eq!(r.tag.as_deref(), Some("1.0.0_build.1"));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = OciReference::parse(&format!("oci://ghcr.io/x/y@{d}")).expect("ref");
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some(d.as_str())));
        assert!(OciReference::parse("oci://nohost").is_err());
        assert!(OciReference::parse("oci://h/x@sha256:abc").is_err());
    }

    #[test]
    fn resolves_tags_like_helm() {
        let tags: Vec<String> = [
            "0.1.0",
            "1.0.0",
            "1.2.0_build.5",
            "2.0.0-rc.1",
            "latest",
            "v3.0.0",
            "1.10.0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let pick = |v: &str| resolve_tag(&tags, v).ok();
        // `v3.0.0` is not strict semver and `latest` is not semver: never chosen.
        assert_eq!(pick("").as_deref(), Some("1.10.0"));
        assert_eq!(pick("~1.2").as_deref(), Some("1.2.0+build.5"));
        assert_eq!(pick(">=2.0.0-0").as_deref(), Some("2.0.0-rc.1"));
        assert_eq!(pick("^0"), Some("0.1.0".to_owned()));
        assert!(matches!(
            resolve_tag(&tags, "^5"),
            Err(OciError::NoMatchingTag { .. })
        ));
    }

    #[test]
    fn reads_docker_config() {
        let json = br#"{"auths":{"https://reg.example.com":{"auth":"dXNlcjpwYXNz"},"other:5000":{"username":"a","password":"b"}}}"#;
        assert_eq!(
            auth_from_docker_config(json, "reg.example.com").expect("auth"),
            OciAuth::Basic {
                username: "user".into(),
                password: "pass".into()
            }
        );
        assert_eq!(
            auth_from_docker_config(json, "other:5000").expect("auth"),
            OciAuth::Basic {
                username: "a".into(),
                password: "b".into()
            }
        );
        assert_eq!(
            auth_from_docker_config(json, "nope").expect("auth"),
            OciAuth::Anonymous
        );
        assert!(auth_from_docker_config(b"{", "x").is_err());
    }
}

//! Fetching from classic HTTP(S) chart repositories: `index.yaml` with conditional requests,
//! and chart archives, with Helm's credential scoping plus limits Helm lacks.
//!
//! A [`RepositoryClient`] is built from plain data ([`RepositoryOptions`]: URL, basic-auth
//! strings, PEM bytes for a CA and a client certificate) so a controller can pass Secret
//! contents directly. Every request has a timeout and a bounded number of redirects; bodies
//! are read incrementally and abandoned once they pass the size limit (the `Content-Length`
//! header is checked first). Basic auth goes only to URLs with the repository's scheme, host
//! and port unless `pass_credentials` is set (Helm `pkg/getter/httpgetter.go`); on redirects
//! reqwest drops the `Authorization` header when the host changes.
//!
//! [`fetch_chart`] ties the pieces together: cache lookup by the index digest, download,
//! digest check, archive check (Helm's archive limits and path rules from
//! [`crate::chart::load::archive`]), and insertion into the [`ChartCache`].

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use url::Url;

use super::cache::{CacheError, ChartCache};
use super::digest::{self, DigestError};
use super::index::{ChartVersion, DEFAULT_MAX_INDEX_BYTES};
use super::url::{
    UrlError, credentials_allowed, index_url, parse_repository_url, resolve_chart_url,
};
use crate::chart::load::{self, Limits, LoadError};

/// Default request timeout (Flux's HelmRepository default, 60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Default limit on redirects followed per request (Go's `net/http` default, 10).
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// Default limit on a downloaded chart archive, in bytes: Helm's limit on the decompressed
/// chart (`MaxDecompressedChartSize`, 100 MiB), which a compressed archive cannot exceed
/// usefully.
pub const DEFAULT_MAX_CHART_BYTES: u64 = 100 * 1024 * 1024;

/// Largest provenance file accepted, in bytes (1 MiB).
pub const MAX_PROVENANCE_BYTES: u64 = 1024 * 1024;

/// User agent sent with every request.
pub const USER_AGENT: &str = concat!("wheelhouse/", env!("CARGO_PKG_VERSION"));

/// Basic-auth credentials (a Secret's `username` and `password`).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A client certificate and its private key, both PEM (a Secret's `tls.crt` and `tls.key`).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The certificate chain, PEM.
    pub cert_pem: Vec<u8>,
    /// The private key (PKCS#8, PKCS#1 or SEC1), PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Everything needed to talk to one chart repository, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryOptions {
    /// The repository URL (`http` or `https`), the directory holding `index.yaml`.
    pub url: String,
    /// Basic-auth credentials, if the repository needs them.
    pub basic_auth: Option<BasicAuth>,
    /// Send the credentials to chart URLs on other hosts too (Helm's `--pass-credentials`).
    pub pass_credentials: bool,
    /// CA certificates (PEM) to trust instead of the system roots (a Secret's `ca.crt`).
    pub ca_pem: Option<Vec<u8>>,
    /// A client certificate for mutual TLS.
    pub client_certificate: Option<ClientCertificate>,
    /// Timeout of each whole request, body included.
    pub timeout: Duration,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// Largest `index.yaml` accepted, in bytes.
    pub max_index_bytes: u64,
    /// Largest chart archive accepted, in bytes.
    pub max_chart_bytes: u64,
}

impl RepositoryOptions {
    /// Options for `url` with the defaults: no credentials, system roots,
    /// [`DEFAULT_TIMEOUT`], [`DEFAULT_MAX_REDIRECTS`], [`DEFAULT_MAX_INDEX_BYTES`],
    /// [`DEFAULT_MAX_CHART_BYTES`].
    pub fn new(url: impl Into<String>) -> RepositoryOptions {
        RepositoryOptions {
            url: url.into(),
            basic_auth: None,
            pass_credentials: false,
            ca_pem: None,
            client_certificate: None,
            timeout: DEFAULT_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_index_bytes: DEFAULT_MAX_INDEX_BYTES,
            max_chart_bytes: DEFAULT_MAX_CHART_BYTES,
        }
    }
}

/// What a fetch can fail with. Messages name the URL and say what to change.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The repository or chart URL is not usable.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The CA bundle does not parse as PEM certificates.
    #[error("the CA certificate (ca.crt) is not valid PEM")]
    InvalidCa {
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// The client certificate or key does not parse.
    #[error("the client certificate or key (tls.crt/tls.key) is not valid PEM")]
    InvalidClientCertificate {
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// The HTTP client could not be built.
    #[error("failed to set up the HTTP client")]
    Client {
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// No response within the timeout.
    #[error("timed out after {timeout:?} fetching {url} (raise the timeout or check the server)")]
    Timeout {
        /// The URL requested.
        url: String,
        /// The timeout.
        timeout: Duration,
    },
    /// Redirects went on past the limit (or loop).
    #[error("too many redirects (more than {max}) fetching {url}")]
    TooManyRedirects {
        /// The URL requested.
        url: String,
        /// The limit.
        max: usize,
    },
    /// The server answered 401 or 403.
    #[error("{url} refused access ({status}); check the repository credentials")]
    Unauthorized {
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// The server answered with another non-success status (Helm: `failed to fetch URL : STATUS`).
    #[error("failed to fetch {url} : {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// The request failed (connection, TLS, or the body was cut off).
    #[error("request to {url} failed")]
    Request {
        /// The URL requested.
        url: String,
        /// reqwest's error (its chain has the cause, e.g. a certificate problem).
        #[source]
        source: reqwest::Error,
    },
    /// The body is larger than allowed.
    #[error("{what} at {url} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// `index.yaml` or `chart archive`.
        what: &'static str,
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The index entry lists no URL to download the chart from (Helm's wording).
    #[error("chart \"{chart}\" version \"{version}\" has no downloadable URLs")]
    NoUrls {
        /// The chart name.
        chart: String,
        /// The version.
        version: String,
    },
    /// The downloaded archive does not match the index digest (or the digest is malformed).
    #[error("chart {url}")]
    Digest {
        /// The chart URL.
        url: String,
        /// The mismatch, naming both digests.
        #[source]
        source: DigestError,
    },
    /// The downloaded archive is not a chart archive Helm would load safely.
    #[error("chart archive {url} is not a valid chart")]
    Archive {
        /// The chart URL.
        url: String,
        /// The loader's error (e.g. a path-traversal entry).
        #[source]
        source: LoadError,
    },
    /// The archive could not be stored in the cache.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl FetchError {
    /// A PascalCase reason for conditions, events and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::Url(_) => "InvalidURL",
            FetchError::InvalidCa { .. } | FetchError::InvalidClientCertificate { .. } => {
                "InvalidCertificate"
            }
            FetchError::Client { .. } => "ClientError",
            FetchError::Timeout { .. } => "Timeout",
            FetchError::TooManyRedirects { .. } => "TooManyRedirects",
            FetchError::Unauthorized { .. } => "Unauthorized",
            FetchError::Status { .. } | FetchError::Request { .. } => "FetchFailed",
            FetchError::TooLarge { .. } => "TooLarge",
            FetchError::NoUrls { .. } => "NoChartURL",
            FetchError::Digest { .. } => "DigestMismatch",
            FetchError::Archive { .. } => "InvalidChartArchive",
            FetchError::Cache(_) => "CacheError",
        }
    }

    /// Whether retrying the same request may succeed (network trouble, 5xx, timeouts).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Request { .. } | FetchError::Cache(_) => true,
            FetchError::Status { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            _ => false,
        }
    }
}

/// The cache validators of a fetched index, sent back on the next fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` response header.
    pub etag: Option<String>,
    /// The `Last-Modified` response header.
    pub last_modified: Option<String>,
}

/// A freshly downloaded index.
#[derive(Debug, Clone)]
pub struct FetchedIndex {
    /// The bytes as served.
    pub data: Vec<u8>,
    /// `sha256:<hex>` of the bytes: the artifact revision.
    pub revision: String,
    /// Validators for the next conditional request.
    pub validators: Validators,
}

/// The outcome of [`RepositoryClient::fetch_index`].
#[derive(Debug, Clone)]
pub enum IndexFetch {
    /// The server says the index did not change since the validators were issued (304).
    NotModified,
    /// A new copy.
    Fetched(FetchedIndex),
}

/// An HTTP client for one chart repository.
#[derive(Debug, Clone)]
pub struct RepositoryClient {
    client: reqwest::Client,
    repository: Url,
    options: RepositoryOptions,
}

impl RepositoryClient {
    /// Builds a client (installs the ring TLS provider if needed).
    ///
    /// # Errors
    /// [`FetchError::Url`] for a malformed or non-HTTP URL, [`FetchError::InvalidCa`],
    /// [`FetchError::InvalidClientCertificate`], [`FetchError::Client`].
    pub fn new(options: RepositoryOptions) -> Result<RepositoryClient, FetchError> {
        crate::tls::install_crypto_provider();
        let repository = parse_repository_url(&options.url)?;
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::limited(options.max_redirects));
        if let Some(ca) = &options.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(ca)
                .map_err(|source| FetchError::InvalidCa { source })?;
            // Helm trusts only the given CA when one is set.
            builder = builder.tls_certs_only(certs);
        }
        if let Some(client) = &options.client_certificate {
            let mut pem = client.cert_pem.clone();
            pem.push(b'\n');
            pem.extend_from_slice(&client.key_pem);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|source| FetchError::InvalidClientCertificate { source })?;
            builder = builder.identity(identity);
        }
        let client = builder
            .build()
            .map_err(|source| FetchError::Client { source })?;
        Ok(RepositoryClient {
            client,
            repository,
            options,
        })
    }

    /// The repository URL.
    pub fn repository_url(&self) -> &Url {
        &self.repository
    }

    /// The options the client was built from.
    pub fn options(&self) -> &RepositoryOptions {
        &self.options
    }

    /// Fetches `index.yaml`, conditionally when `previous` validators are given.
    ///
    /// # Errors
    /// [`FetchError::Timeout`], [`FetchError::TooManyRedirects`],
    /// [`FetchError::Unauthorized`], [`FetchError::Status`], [`FetchError::Request`],
    /// [`FetchError::TooLarge`] past `max_index_bytes`.
    pub async fn fetch_index(
        &self,
        previous: Option<&Validators>,
    ) -> Result<IndexFetch, FetchError> {
        let url = index_url(&self.repository);
        let mut headers = HeaderMap::new();
        if let Some(previous) = previous {
            if let Some(value) = previous
                .etag
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(IF_NONE_MATCH, value);
            }
            if let Some(value) = previous
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(IF_MODIFIED_SINCE, value);
            }
        }
        let response = self.send(&url, headers).await?;
        if response.status() == StatusCode::NOT_MODIFIED && previous.is_some() {
            return Ok(IndexFetch::NotModified);
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        let data = self
            .read_body(
                response,
                url.as_str(),
                "index.yaml",
                self.options.max_index_bytes,
            )
            .await?;
        let revision = format!("sha256:{}", digest::sha256_hex(&data));
        Ok(IndexFetch::Fetched(FetchedIndex {
            data,
            revision,
            validators,
        }))
    }

    /// The absolute download URL of a chart version (`urls[0]` resolved as Helm does).
    ///
    /// # Errors
    /// [`FetchError::NoUrls`], [`FetchError::Url`].
    pub fn chart_url(&self, chart: &str, version: &ChartVersion) -> Result<Url, FetchError> {
        let Some(first) = version.urls.first() else {
            return Err(FetchError::NoUrls {
                chart: chart.to_owned(),
                version: version.version.to_string(),
            });
        };
        Ok(resolve_chart_url(&self.repository, first)?)
    }

    /// Downloads a chart archive (no digest check; see [`fetch_chart`]).
    ///
    /// # Errors
    /// As [`RepositoryClient::fetch_index`], with `max_chart_bytes` as the limit.
    pub async fn download(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        let response = self.send(url, HeaderMap::new()).await?;
        self.read_body(
            response,
            url.as_str(),
            "chart archive",
            self.options.max_chart_bytes,
        )
        .await
    }

    /// Downloads the provenance file of a chart: the chart URL with `.prov` appended to its
    /// path (Helm's convention), limited to 1 MiB.
    ///
    /// # Errors
    /// As [`RepositoryClient::download`].
    pub async fn download_provenance(&self, chart_url: &Url) -> Result<Vec<u8>, FetchError> {
        let mut url = chart_url.clone();
        let path = format!("{}.prov", url.path());
        url.set_path(&path);
        let response = self.send(&url, HeaderMap::new()).await?;
        self.read_body(
            response,
            url.as_str(),
            "provenance file",
            MAX_PROVENANCE_BYTES,
        )
        .await
    }

    async fn send(&self, url: &Url, headers: HeaderMap) -> Result<reqwest::Response, FetchError> {
        let mut request = self.client.get(url.clone()).headers(headers);
        if let Some(auth) = &self.options.basic_auth
            && credentials_allowed(&self.repository, url, self.options.pass_credentials)
        {
            request = request.basic_auth(&auth.username, Some(&auth.password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.request_error(url.as_str(), e))?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(FetchError::Unauthorized {
                url: url.to_string(),
                status,
            });
        }
        Err(FetchError::Status {
            url: url.to_string(),
            status,
        })
    }

    fn request_error(&self, url: &str, source: reqwest::Error) -> FetchError {
        if source.is_timeout() {
            FetchError::Timeout {
                url: url.to_owned(),
                timeout: self.options.timeout,
            }
        } else if source.is_redirect() {
            FetchError::TooManyRedirects {
                url: url.to_owned(),
                max: self.options.max_redirects,
            }
        } else {
            FetchError::Request {
                url: url.to_owned(),
                source,
            }
        }
    }

    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &str,
        what: &'static str,
        limit: u64,
    ) -> Result<Vec<u8>, FetchError> {
        let too_large = || FetchError::TooLarge {
            what,
            url: url.to_owned(),
            limit,
        };
        let declared = response.content_length();
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let capacity = declared.unwrap_or(0).min(limit);
        let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.request_error(url, e))?
        {
            if (data.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            data.extend_from_slice(&chunk);
        }
        Ok(data)
    }
}

/// A chart archive ready to load.
#[derive(Debug, Clone)]
pub struct FetchedChart {
    /// The archive bytes (verified against the index digest when it has one).
    pub data: Vec<u8>,
    /// SHA-256 of the archive, lowercase hex.
    pub digest: String,
    /// Where it was (or would have been) downloaded from.
    pub url: Url,
    /// Whether it came from the cache without a download.
    pub from_cache: bool,
}

/// Gets the archive of one chart version: from `cache` when the index digest is there, else
/// downloaded from `urls[0]`, checked against the index digest, checked to be a loadable,
/// safe chart archive (Helm's limits and path rules), and stored in `cache`.
///
/// # Errors
/// [`FetchError::NoUrls`], [`FetchError::Url`], the download errors of
/// [`RepositoryClient::download`], [`FetchError::Digest`] (naming both digests),
/// [`FetchError::Archive`], [`FetchError::Cache`].
pub async fn fetch_chart(
    client: &RepositoryClient,
    cache: Option<&ChartCache>,
    chart: &str,
    version: &ChartVersion,
) -> Result<FetchedChart, FetchError> {
    let url = client.chart_url(chart, version)?;
    let expected = match version.digest.as_deref() {
        Some(d) => Some(digest::normalize(d).map_err(|source| FetchError::Digest {
            url: url.to_string(),
            source,
        })?),
        None => None,
    };
    if let (Some(cache), Some(expected)) = (cache, expected.as_deref())
        && let Some(data) = cache.get(expected)
    {
        return Ok(FetchedChart {
            data,
            digest: expected.to_owned(),
            url,
            from_cache: true,
        });
    }
    let data = client.download(&url).await?;
    let actual = match expected.as_deref() {
        Some(expected) => digest::verify(expected, &data).map_err(|source| FetchError::Digest {
            url: url.to_string(),
            source,
        })?,
        None => digest::sha256_hex(&data),
    };
    load::archive::read_archive(&data, &Limits::default()).map_err(|source| {
        FetchError::Archive {
            url: url.to_string(),
            source,
        }
    })?;
    if let Some(cache) = cache {
        cache.insert(&data)?;
    }
    Ok(FetchedChart {
        data,
        digest: actual,
        url,
        from_cache: false,
    })
}

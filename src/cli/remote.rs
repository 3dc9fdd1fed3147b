//! Charts from repositories for `wheelhouse template`, as `helm template` locates them
//! (Helm `pkg/action/install.go`, `ChartPathOptions.LocateChart`): `--repo URL NAME` with
//! `--version`, an absolute `http(s)://…/x.tgz` chart URL, and `oci://` references. Uses [`crate::repo`], so the
//! archive is also checked against the index digest (Helm does not check it).

use std::time::Duration;

use crate::repo::http::{BasicAuth, ClientCertificate, FetchError, IndexFetch, RepositoryOptions};
use crate::repo::index::{Index, ResolveError};
use crate::repo::{RepositoryClient, fetch_chart};

/// Where the chart comes from and how to authenticate, from the command's flags.
#[derive(Debug, Clone, Default)]
pub struct RemoteChart {
    /// `--repo`: the chart repository URL (None for a chart URL).
    pub repo: Option<String>,
    /// The chart name (with `--repo`) or the chart URL.
    pub name: String,
    /// `--version` (empty: the newest stable version).
    pub version: String,
    /// `--username` / `--password`.
    pub basic_auth: Option<BasicAuth>,
    /// `--ca-file` contents.
    pub ca_pem: Option<Vec<u8>>,
    /// `--cert-file` / `--key-file` contents.
    pub client_certificate: Option<ClientCertificate>,
    /// `--pass-credentials`.
    pub pass_credentials: bool,
    /// `--plain-http` (OCI only).
    pub plain_http: bool,
    /// With `--verify`: the keyring's bytes; the chart's provenance must verify against it.
    pub keyring: Option<Vec<u8>>,
}

/// Why a remote chart could not be had; `Display` follows Helm's wording where it has one.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The index could not be fetched or read (Helm's wording, with the cause appended).
    #[error("looks like \"{url}\" is not a valid chart repository or cannot be reached: {cause}")]
    Unreachable {
        /// The repository URL.
        url: String,
        /// The cause, as an error chain.
        cause: String,
    },
    /// No such chart or version in the index (Helm's `ChartNotFoundError`).
    #[error("{chart} not found in {url} repository")]
    NotFound {
        /// `chart "NAME"` or `chart "NAME" version "V"`.
        chart: String,
        /// The repository URL.
        url: String,
        /// Why, in Wheelhouse's words (not printed; Helm prints none).
        reason: Box<ResolveError>,
    },
    /// The archive could not be downloaded or failed its checks.
    #[error("{cause}")]
    Download {
        /// The cause, as an error chain.
        cause: String,
    },
    /// The OCI pull failed (Helm's wording where it has one).
    #[error("{cause}")]
    Oci {
        /// The cause, as an error chain.
        cause: String,
    },
    /// `--verify` failed.
    #[error("{cause}")]
    Provenance {
        /// The cause, as an error chain.
        cause: String,
    },
    /// The async runtime could not start.
    #[error("failed to start the I/O runtime: {0}")]
    Runtime(String),
}

/// The error and its sources joined by ": ".
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn options(url: &str, remote: &RemoteChart) -> RepositoryOptions {
    RepositoryOptions {
        basic_auth: remote.basic_auth.clone(),
        ca_pem: remote.ca_pem.clone(),
        client_certificate: remote.client_certificate.clone(),
        pass_credentials: remote.pass_credentials,
        timeout: Duration::from_secs(120),
        ..RepositoryOptions::new(url)
    }
}

/// Fetches the chart archive bytes.
///
/// # Errors
/// [`RemoteError`] with Helm's wording for an unreachable repository or a missing chart.
pub fn fetch(remote: &RemoteChart) -> Result<Vec<u8>, RemoteError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RemoteError::Runtime(e.to_string()))?;
    runtime.block_on(fetch_async(remote))
}

async fn fetch_async(remote: &RemoteChart) -> Result<Vec<u8>, RemoteError> {
    let download = |e: FetchError| RemoteError::Download { cause: chain(&e) };
    if remote.repo.is_none() && remote.name.starts_with("oci://") {
        return fetch_oci(remote).await;
    }
    let Some(repo) = &remote.repo else {
        // A chart URL: download it as is.
        let client = RepositoryClient::new(options(&remote.name, remote)).map_err(download)?;
        let url = client.repository_url().clone();
        let data = client.download(&url).await.map_err(download)?;
        if let Some(keyring) = &remote.keyring {
            let prov = client.download_provenance(&url).await.map_err(download)?;
            let name = url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or_default()
                .to_owned();
            crate::repo::provenance::verify(&data, Some(&name), &prov, keyring)
                .map_err(|e| RemoteError::Provenance { cause: chain(&e) })?;
        }
        return Ok(data);
    };
    let unreachable = |cause: String| RemoteError::Unreachable {
        url: repo.clone(),
        cause,
    };
    let client =
        RepositoryClient::new(options(repo, remote)).map_err(|e| unreachable(chain(&e)))?;
    let fetched = match client.fetch_index(None).await {
        Ok(IndexFetch::Fetched(fetched)) => fetched,
        Ok(IndexFetch::NotModified) => {
            return Err(unreachable("unexpected 304 Not Modified".to_owned()));
        }
        Err(e) => return Err(unreachable(chain(&e))),
    };
    let index = Index::parse(&fetched.data).map_err(|e| unreachable(chain(&e)))?;
    drop(fetched);
    let version = index
        .resolve(&remote.name, &remote.version)
        .map_err(|reason| {
            let mut chart = format!("chart {:?}", remote.name);
            if !remote.version.is_empty() {
                chart = format!("{chart} version {:?}", remote.version);
            }
            RemoteError::NotFound {
                chart,
                url: repo.clone(),
                reason: Box::new(reason),
            }
        })?;
    let fetched = fetch_chart(&client, None, &remote.name, version)
        .await
        .map_err(download)?;
    if let Some(keyring) = &remote.keyring {
        let prov = client
            .download_provenance(&fetched.url)
            .await
            .map_err(download)?;
        let name = fetched
            .url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default()
            .to_owned();
        crate::repo::provenance::verify(&fetched.data, Some(&name), &prov, keyring)
            .map_err(|e| RemoteError::Provenance { cause: chain(&e) })?;
    }
    Ok(fetched.data)
}

async fn fetch_oci(remote: &RemoteChart) -> Result<Vec<u8>, RemoteError> {
    use crate::repo::oci::{OciAuth, OciClient, OciOptions, OciReference};
    let oci = |e: &dyn std::error::Error| RemoteError::Oci { cause: chain(e) };
    let reference = OciReference::parse(&remote.name).map_err(|e| oci(&e))?;
    let auth = match &remote.basic_auth {
        Some(basic) => OciAuth::Basic {
            username: basic.username.clone(),
            password: basic.password.clone(),
        },
        None => OciAuth::Anonymous,
    };
    let client = OciClient::new(OciOptions {
        auth,
        plain_http: remote.plain_http,
        ca_pem: remote.ca_pem.clone(),
        ..OciOptions::default()
    });
    let chart = client
        .pull_chart(&reference, &remote.version, None)
        .await
        .map_err(|e| oci(&e))?;
    if let Some(keyring) = &remote.keyring {
        let Some(prov) = &chart.provenance else {
            return Err(RemoteError::Provenance {
                cause: format!(
                    "manifest does not contain a layer with mediatype {}",
                    crate::repo::oci::PROV_LAYER_MEDIA_TYPE
                ),
            });
        };
        crate::repo::provenance::verify(&chart.data, None, prov, keyring)
            .map_err(|e| RemoteError::Provenance { cause: chain(&e) })?;
    }
    Ok(chart.data)
}

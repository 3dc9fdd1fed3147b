//! Chart URLs from an index entry, resolved against the repository URL as Helm does, and the
//! rule for which URLs receive the repository's credentials.
//!
//! Source: Helm `pkg/repo/v1/chartrepo.go` (`ResolveReferenceURL`) and the HTTP getter's
//! credential rule in `pkg/getter/httpgetter.go` (credentials go to the repository's own
//! scheme, host and port, or everywhere with `passCredentials`).

use url::Url;

/// Why a URL could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The repository URL does not parse.
    #[error("invalid repository URL \"{url}\"")]
    InvalidRepositoryUrl {
        /// The URL as given.
        url: String,
        /// The parser's error.
        #[source]
        source: url::ParseError,
    },
    /// The repository URL's scheme is not one Wheelhouse fetches from.
    #[error("unsupported repository URL scheme \"{scheme}\" in \"{url}\" (use http, https or oci)")]
    UnsupportedScheme {
        /// The URL as given.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// A chart URL from the index does not resolve against the repository URL.
    #[error("invalid chart URL \"{url}\" in the repository index")]
    InvalidChartUrl {
        /// The URL as written in the index.
        url: String,
        /// The parser's error.
        #[source]
        source: url::ParseError,
    },
}

/// Parses an HTTP(S) chart repository URL.
///
/// # Errors
/// [`UrlError::InvalidRepositoryUrl`]; [`UrlError::UnsupportedScheme`] for anything but
/// `http` and `https`.
pub fn parse_repository_url(url: &str) -> Result<Url, UrlError> {
    let parsed = Url::parse(url).map_err(|source| UrlError::InvalidRepositoryUrl {
        url: url.to_owned(),
        source,
    })?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(UrlError::UnsupportedScheme {
            url: url.to_owned(),
            scheme: other.to_owned(),
        }),
    }
}

/// Resolves a URL from an index entry (`urls[0]`) against the repository URL.
///
/// Helm's rules: an absolute URL is used as is; a relative one is resolved against the
/// repository URL with a trailing `/` added to its path (so `https://host/charts` +
/// `x.tgz` is `https://host/charts/x.tgz`, while `/x.tgz` is host-absolute), and the result
/// carries the repository URL's query string (the reference's own query is dropped).
///
/// # Errors
/// [`UrlError::InvalidChartUrl`] when the reference does not resolve.
pub fn resolve_chart_url(repository: &Url, reference: &str) -> Result<Url, UrlError> {
    let invalid = |source| UrlError::InvalidChartUrl {
        url: reference.to_owned(),
        source,
    };
    match Url::parse(reference) {
        Ok(absolute) => return Ok(absolute),
        Err(url::ParseError::RelativeUrlWithoutBase) => {}
        Err(source) => return Err(invalid(source)),
    }
    let mut base = repository.clone();
    let query = base.query().map(str::to_owned);
    let path = format!("{}/", base.path().trim_end_matches('/'));
    base.set_path(&path);
    base.set_query(None);
    let mut resolved = base.join(reference).map_err(invalid)?;
    resolved.set_query(query.as_deref());
    Ok(resolved)
}

/// The URL of the repository's index: `index.yaml` resolved against the repository URL (so
/// the repository's query string is kept).
pub fn index_url(repository: &Url) -> Url {
    let mut base = repository.clone();
    let path = format!("{}/index.yaml", base.path().trim_end_matches('/'));
    base.set_path(&path);
    base
}

/// Whether `url` may receive the repository's credentials: same scheme, host and port as
/// the repository, or any URL when `pass_credentials` is set.
pub fn credentials_allowed(repository: &Url, url: &Url, pass_credentials: bool) -> bool {
    pass_credentials
        || (repository.scheme() == url.scheme()
            && repository.host_str() == url.host_str()
            && repository.port_or_known_default() == url.port_or_known_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::expect_used, reason = "test inputs are valid")]
    fn resolve(base: &str, reference: &str) -> String {
        let base = Url::parse(base).expect("base");
        resolve_chart_url(&base, reference)
            .expect("resolves")
            .to_string()
    }

    #[test]
    fn resolves_like_helm() {
        // Vectors from Helm's TestResolveReferenceURL (pkg/repo/v1/chartrepo_test.go).
        let cases = [
            (
                "http://localhost:8123/",
                "/nginx-0.2.0.tgz",
                "http://localhost:8123/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123/charts/",
                "nginx-0.2.0.tgz",
                "http://localhost:8123/charts/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123/charts/",
                "/nginx-0.2.0.tgz",
                "http://localhost:8123/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123/charts-with-no-trailing-slash",
                "nginx-0.2.0.tgz",
                "http://localhost:8123/charts-with-no-trailing-slash/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123",
                "https://charts.helm.sh/stable/nginx-0.2.0.tgz",
                "https://charts.helm.sh/stable/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123/charts%2fwith%2fescaped%2fslash",
                "nginx-0.2.0.tgz",
                "http://localhost:8123/charts%2fwith%2fescaped%2fslash/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123/charts%2fwith%2fescaped%2fslash",
                "/nginx-0.2.0.tgz",
                "http://localhost:8123/nginx-0.2.0.tgz",
            ),
            (
                "http://localhost:8123/charts?with=queryparameter",
                "nginx-0.2.0.tgz",
                "http://localhost:8123/charts/nginx-0.2.0.tgz?with=queryparameter",
            ),
            (
                "http://localhost:8123/charts?with=queryparameter",
                "/nginx-0.2.0.tgz",
                "http://localhost:8123/nginx-0.2.0.tgz?with=queryparameter",
            ),
            // The reference's own query is replaced by the repository's (none here).
            (
                "http://localhost:8123/charts",
                "x.tgz?sig=1",
                "http://localhost:8123/charts/x.tgz",
            ),
        ];
        for (base, reference, want) in cases {
            assert_eq!(resolve(base, reference), want, "{base} + {reference}");
        }
    }

    #[test]
    #[allow(clippy::expect_used, reason = "test inputs are valid")]
    fn index_url_keeps_query() {
        let repo = Url::parse("https://h/charts/?token=x").expect("url");
        assert_eq!(
            index_url(&repo).as_str(),
            "https://h/charts/index.yaml?token=x"
        );
        let repo = Url::parse("https://h").expect("url");
        assert_eq!(index_url(&repo).as_str(), "https://h/index.yaml");
    }

    #[test]
    #[allow(clippy::expect_used, reason = "test inputs are valid")]
    fn credentials_only_to_same_origin() {
        let repo = Url::parse("https://charts.example.com/stable").expect("url");
        let same = Url::parse("https://charts.example.com:443/x.tgz").expect("url");
        let other_host = Url::parse("https://cdn.example.com/x.tgz").expect("url");
        let other_scheme = Url::parse("http://charts.example.com/x.tgz").expect("url");
        let other_port = Url::parse("https://charts.example.com:8443/x.tgz").expect("url");
        assert!(credentials_allowed(&repo, &same, false));
        assert!(!credentials_allowed(&repo, &other_host, false));
        assert!(!credentials_allowed(&repo, &other_scheme, false));
        assert!(!credentials_allowed(&repo, &other_port, false));
        assert!(credentials_allowed(&repo, &other_host, true));
    }

    #[test]
    fn rejects_other_schemes() {
        assert!(matches!(
            parse_repository_url("ftp://x/"),
            Err(UrlError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            parse_repository_url("not a url"),
            Err(UrlError::InvalidRepositoryUrl { .. })
        ));
    }
}

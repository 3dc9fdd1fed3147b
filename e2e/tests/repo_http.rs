//! The chart repository library (`wheelhouse::repo`) against a real HTTP(S) chart repository:
//! charts packaged and indexed by the real `helm package` / `helm repo index` (a generated
//! chart in several versions plus corpus charts), served by the test server of
//! `wheelhouse_e2e::chart_server`. No cluster is needed; `helm` comes from the e2e tools.
//!
//! Cases: resolution compared with `helm show chart --repo --version` for a table of
//! constraints; download, digest and cache (the second fetch makes no request); conditional
//! index requests; basic auth; credentials kept to the repository's host unless
//! `pass_credentials`; HTTPS with a CA made by the test; a 500; a response slower than the
//! timeout; a truncated archive; an archive that does not match the index digest; an index
//! over the size limit; an alias-bomb index; a redirect loop; an archive with a
//! path-traversal entry.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use wheelhouse::repo::http::{BasicAuth, FetchError, IndexFetch, RepositoryOptions};
use wheelhouse::repo::index::{Index, IndexError};
use wheelhouse::repo::{ChartCache, RepositoryClient, fetch_chart};
use wheelhouse_e2e::chart_server::{Behaviour, ChartServer, ServerOptions, path_traversal_archive};
use wheelhouse_e2e::error_chain;

fn helm() -> PathBuf {
    wheelhouse_e2e::tools_dir().join("helm")
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("wheelhouse-repo-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_helm(home: &Path, args: &[&str]) -> String {
    let output = Command::new(helm())
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("run helm");
    assert!(
        output.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Versions of the generated chart `demo`: (version, deprecated).
const DEMO_VERSIONS: &[(&str, bool)] = &[
    ("0.1.0", false),
    ("0.2.0", false),
    ("1.0.0", false),
    ("1.0.1", true),
    ("1.1.0-rc.1", false),
    ("2.0.0-alpha", false),
];

/// Corpus charts packaged into the repository too.
const CORPUS: &[&str] = &["podinfo", "grafana", "nginx"];

/// Writes the `demo` chart source in `version` under `dir`.
fn write_demo(dir: &Path, version: &str, deprecated: bool) -> PathBuf {
    let chart = dir.join(format!("src-demo-{version}")).join("demo");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: demo\nversion: {version}\nappVersion: \"{version}\"\ndeprecated: {deprecated}\ndescription: demo chart\n"
        ),
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("values.yaml"), "greeting: hello\n").expect("values");
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-demo\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  version: {{ .Chart.Version | quote }}\n",
    )
    .expect("template");
    chart
}

/// A repository directory with packaged charts and `index.yaml` (with `--url` when given).
fn build_repo(scratch: &Path, url: Option<&str>) -> PathBuf {
    let out = scratch.join("repo");
    std::fs::create_dir_all(&out).expect("mkdir");
    let out_s = out.to_str().expect("utf8");
    for (version, deprecated) in DEMO_VERSIONS {
        let chart = write_demo(scratch, version, *deprecated);
        run_helm(
            scratch,
            &["package", chart.to_str().expect("utf8"), "-d", out_s],
        );
    }
    let corpus = wheelhouse_e2e::shared_dir().join("conformance/charts");
    for name in CORPUS {
        run_helm(
            scratch,
            &[
                "package",
                corpus.join(name).to_str().expect("utf8"),
                "-d",
                out_s,
            ],
        );
    }
    let mut args = vec!["repo", "index", out_s];
    if let Some(url) = url {
        args.extend(["--url", url]);
    }
    run_helm(scratch, &args);
    out
}

fn server(root: &Path) -> ChartServer {
    ChartServer::start(ServerOptions {
        root: root.to_path_buf(),
        ..ServerOptions::default()
    })
}

fn client(options: RepositoryOptions) -> RepositoryClient {
    RepositoryClient::new(options).expect("client")
}

async fn load_index(client: &RepositoryClient) -> Index {
    match client.fetch_index(None).await.expect("index fetch") {
        IndexFetch::Fetched(fetched) => Index::parse(&fetched.data).expect("index parses"),
        IndexFetch::NotModified => panic!("unconditional fetch answered 304"),
    }
}

fn sha256_file(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).expect("read")))
}

/// The version `helm show chart NAME --repo URL --version C` picks, or None when helm fails.
fn helm_pick(scratch: &Path, url: &str, chart: &str, constraint: &str) -> Option<String> {
    let mut args = vec!["show", "chart", chart, "--repo", url];
    if !constraint.is_empty() {
        args.extend(["--version", constraint]);
    }
    let output = Command::new(helm())
        .args(&args)
        .env("HELM_CONFIG_HOME", scratch.join("config"))
        .env("HELM_CACHE_HOME", scratch.join("cache"))
        .env("HELM_DATA_HOME", scratch.join("data"))
        .output()
        .expect("run helm");
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .map(str::to_owned)
}

#[tokio::test]
async fn resolves_like_helm_downloads_verifies_and_caches() {
    let scratch = Scratch::new("basic");
    let root = build_repo(&scratch.0, None);
    let server = server(&root);
    let client = client(RepositoryOptions::new(format!("{}/", server.url)));
    let index = load_index(&client).await;
    assert_eq!(index.chart_count(), 1 + CORPUS.len());
    assert_eq!(
        index.versions("demo").map(<[_]>::len),
        Some(DEMO_VERSIONS.len())
    );

    let constraints = [
        "",
        "0.1.0",
        "^0.1",
        "~1.0",
        "1.x",
        ">=1.1.0-0",
        "2.0.0-alpha",
        ">0.1.0 <1.0.0",
        "^1.0.0",
        "1.0.1",
        "<0.1.0",
        "^3",
        "1.0",
        "v1.0.0",
    ];
    let mut compared = 0;
    for constraint in constraints {
        let ours = index
            .resolve("demo", constraint)
            .ok()
            .map(|v| v.version.to_string());
        let helms = helm_pick(&scratch.0, &server.url, "demo", constraint);
        assert_eq!(ours, helms, "constraint {constraint:?}");
        compared += 1;
    }
    for chart in CORPUS {
        let ours = index.resolve(chart, "").ok().map(|v| v.version.to_string());
        assert_eq!(
            ours,
            helm_pick(&scratch.0, &server.url, chart, ""),
            "{chart}"
        );
        compared += 1;
    }
    println!("resolution: {compared} cases identical to helm show chart");

    // Download, verify, cache.
    let cache_dir = scratch.0.join("cache-dir");
    let cache = ChartCache::open(&cache_dir, 100 * 1024 * 1024).expect("cache");
    let version = index.resolve("podinfo", "").expect("podinfo");
    let fetched = fetch_chart(&client, Some(&cache), "podinfo", version)
        .await
        .expect("fetch podinfo");
    assert!(!fetched.from_cache);
    let file = root.join(format!("podinfo-{}.tgz", version.version));
    assert_eq!(fetched.digest, sha256_file(&file));
    assert!(cache.contains(&fetched.digest));
    assert!(cache_dir.join(format!("{}.tgz", fetched.digest)).is_file());
    let chart =
        wheelhouse::chart::load::load_archive(&fetched.data, &Default::default()).expect("loads");
    assert_eq!(chart.metadata.name, "podinfo");
    let downloads = |server: &ChartServer| {
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(".tgz"))
            .count()
    };
    let before = downloads(&server);
    let again = fetch_chart(&client, Some(&cache), "podinfo", version)
        .await
        .expect("fetch again");
    assert!(again.from_cache);
    assert_eq!(again.data, fetched.data);
    assert_eq!(
        downloads(&server),
        before,
        "a cached chart is not downloaded again"
    );

    // Conditional request: same ETag, 304.
    let IndexFetch::Fetched(first) = client.fetch_index(None).await.expect("fetch") else {
        panic!("want a body");
    };
    assert_eq!(
        first.revision,
        format!("sha256:{}", sha256_file(&root.join("index.yaml")))
    );
    assert!(first.validators.etag.is_some());
    let second = client
        .fetch_index(Some(&first.validators))
        .await
        .expect("conditional fetch");
    assert!(matches!(second, IndexFetch::NotModified));
}

#[tokio::test]
async fn basic_auth_and_credential_scope() {
    let scratch = Scratch::new("auth");
    // Charts on a second server (another port: another origin) without auth.
    let charts = ChartServer::start(ServerOptions {
        root: scratch.0.join("repo"),
        ..ServerOptions::default()
    });
    let root = build_repo(&scratch.0, Some(&charts.url));
    let repo = ChartServer::start(ServerOptions {
        root: root.clone(),
        basic_auth: Some(("alice".into(), "s3cret".into())),
        ..ServerOptions::default()
    });

    let anonymous = client(RepositoryOptions::new(&repo.url));
    let err = anonymous.fetch_index(None).await.expect_err("401");
    assert!(matches!(err, FetchError::Unauthorized { .. }), "{err}");
    assert_eq!(err.reason(), "Unauthorized");
    let wrong = client(RepositoryOptions {
        basic_auth: Some(BasicAuth {
            username: "alice".into(),
            password: "wrong".into(),
        }),
        ..RepositoryOptions::new(&repo.url)
    });
    assert!(matches!(
        wrong.fetch_index(None).await,
        Err(FetchError::Unauthorized { .. })
    ));

    let options = RepositoryOptions {
        basic_auth: Some(BasicAuth {
            username: "alice".into(),
            password: "s3cret".into(),
        }),
        ..RepositoryOptions::new(&repo.url)
    };
    let authed = client(options.clone());
    let index = load_index(&authed).await;
    let version = index.resolve("demo", "^1").expect("demo");
    fetch_chart(&authed, None, "demo", version)
        .await
        .expect("download from the other host");
    let sent = charts.requests();
    assert!(
        !sent.is_empty() && sent.iter().all(|r| !r.authorized),
        "{sent:?}"
    );

    let passing = client(RepositoryOptions {
        pass_credentials: true,
        ..options
    });
    fetch_chart(&passing, None, "demo", version)
        .await
        .expect("download");
    assert!(charts.requests().last().is_some_and(|r| r.authorized));
}

#[tokio::test]
async fn https_with_a_test_ca() {
    let scratch = Scratch::new("https");
    let root = build_repo(&scratch.0, None);
    let server = ChartServer::start(ServerOptions {
        root,
        tls: true,
        ..ServerOptions::default()
    });
    assert!(server.url.starts_with("https://"));
    let ca = server.ca_pem.clone().expect("ca");
    let trusted = client(RepositoryOptions {
        ca_pem: Some(ca.into_bytes()),
        ..RepositoryOptions::new(&server.url)
    });
    let index = load_index(&trusted).await;
    let version = index.resolve("demo", "").expect("demo");
    fetch_chart(&trusted, None, "demo", version)
        .await
        .expect("https download");

    let untrusted = client(RepositoryOptions::new(&server.url));
    let err = untrusted.fetch_index(None).await.expect_err("unknown CA");
    let chain = error_chain(&err);
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");

    let garbage = RepositoryClient::new(RepositoryOptions {
        ca_pem: Some(b"not pem".to_vec()),
        ..RepositoryOptions::new(&server.url)
    });
    // reqwest accepts an empty bundle; a bundle without certificates trusts nothing.
    if let Ok(garbage) = garbage {
        assert!(garbage.fetch_index(None).await.is_err());
    }
}

#[tokio::test]
async fn server_error_slow_response_and_redirect_loop() {
    let scratch = Scratch::new("failures");
    let root = build_repo(&scratch.0, None);
    let server = server(&root);

    server.set_behaviour("/index.yaml", Some(Behaviour::Status(500)));
    let plain = client(RepositoryOptions::new(&server.url));
    let err = plain.fetch_index(None).await.expect_err("500");
    assert_eq!(
        err.to_string(),
        format!(
            "failed to fetch {}/index.yaml : 500 Internal Server Error",
            server.url
        )
    );
    assert!(err.is_transient());

    server.set_behaviour(
        "/index.yaml",
        Some(Behaviour::Delay(Duration::from_secs(4))),
    );
    let impatient = client(RepositoryOptions {
        timeout: Duration::from_secs(1),
        ..RepositoryOptions::new(&server.url)
    });
    let err = impatient.fetch_index(None).await.expect_err("timeout");
    assert!(
        matches!(err, FetchError::Timeout { .. }),
        "{}",
        error_chain(&err)
    );
    assert!(err.to_string().contains("timed out after 1s"), "{err}");

    server.set_behaviour("/index.yaml", Some(Behaviour::RedirectLoop));
    let err = plain.fetch_index(None).await.expect_err("redirect loop");
    assert!(
        matches!(err, FetchError::TooManyRedirects { max: 10, .. }),
        "{}",
        error_chain(&err)
    );
    assert_eq!(err.reason(), "TooManyRedirects");
}

#[tokio::test]
async fn broken_archives_never_reach_the_cache() {
    let scratch = Scratch::new("archives");
    let root = build_repo(&scratch.0, None);
    let server = server(&root);
    let client = client(RepositoryOptions::new(&server.url));
    let index = load_index(&client).await;
    let cache = ChartCache::open(scratch.0.join("cache-dir"), 1 << 30).expect("cache");
    let version = index.resolve("demo", "1.0.0").expect("demo");
    let path = format!("/demo-{}.tgz", version.version);
    let expected = sha256_file(&root.join(path.trim_start_matches('/')));

    // Truncated body (the announced length is not delivered).
    server.set_behaviour(&path, Some(Behaviour::Truncate));
    let err = fetch_chart(&client, Some(&cache), "demo", version)
        .await
        .expect_err("truncated");
    assert!(
        matches!(err, FetchError::Request { .. } | FetchError::Digest { .. }),
        "{}",
        error_chain(&err)
    );

    // Another (valid) chart archive served in its place: the digest check names both.
    let other = std::fs::read(root.join("demo-0.1.0.tgz")).expect("other archive");
    let other_digest = format!("{:x}", Sha256::digest(&other));
    server.set_behaviour(&path, Some(Behaviour::Body(other)));
    let err = fetch_chart(&client, Some(&cache), "demo", version)
        .await
        .expect_err("mismatch");
    assert_eq!(err.reason(), "DigestMismatch");
    let chain = error_chain(&err);
    assert!(
        chain.contains(&format!(
            "chart archive digest mismatch: index says sha256:{expected}, downloaded sha256:{other_digest}"
        )),
        "{chain}"
    );
    assert!(cache.is_empty());

    // A path-traversal entry: listed in the index with its true digest, refused on load.
    let evil = path_traversal_archive();
    let evil_digest = format!("{:x}", Sha256::digest(&evil));
    std::fs::write(root.join("evil-0.1.0.tgz"), &evil).expect("write");
    let index_text = std::fs::read_to_string(root.join("index.yaml")).expect("index");
    let entry = format!(
        "entries:\n  evil:\n  - apiVersion: v2\n    created: \"2024-01-01T00:00:00Z\"\n    digest: {evil_digest}\n    name: evil\n    urls:\n    - evil-0.1.0.tgz\n    version: 0.1.0\n"
    );
    std::fs::write(
        root.join("index.yaml"),
        index_text.replacen("entries:\n", &entry, 1),
    )
    .expect("index");
    let index = load_index(&client).await;
    let evil_version = index.resolve("evil", "").expect("evil listed");
    let err = fetch_chart(&client, Some(&cache), "evil", evil_version)
        .await
        .expect_err("refused");
    assert_eq!(err.reason(), "InvalidChartArchive", "{}", error_chain(&err));
    println!("path traversal: {}", error_chain(&err));
    assert!(cache.is_empty());
}

#[tokio::test]
async fn oversized_and_alias_bomb_indexes() {
    let scratch = Scratch::new("indexes");
    let root = build_repo(&scratch.0, None);
    let server = server(&root);
    let client = client(RepositoryOptions::new(&server.url));

    // One byte over the default 50 MiB limit.
    let mut big = b"apiVersion: v1\nentries: {}\n#".to_vec();
    big.resize(50 * 1024 * 1024 + 1, b'x');
    server.set_behaviour("/index.yaml", Some(Behaviour::Body(big)));
    let err = client.fetch_index(None).await.expect_err("too large");
    assert_eq!(err.reason(), "TooLarge");
    assert!(
        err.to_string()
            .contains("larger than the limit of 52428800 bytes"),
        "{err}"
    );

    let mut bomb = String::from(
        "apiVersion: v1\nserverInfo:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let item = format!("*a{}", level - 1);
        bomb.push_str(&format!(
            "  a{level}: &a{level} [{}]\n",
            [item.as_str(); 9].join(", ")
        ));
    }
    bomb.push_str("entries: {}\n");
    server.set_behaviour("/index.yaml", Some(Behaviour::Body(bomb.into_bytes())));
    let IndexFetch::Fetched(fetched) = client.fetch_index(None).await.expect("fetch") else {
        panic!("want a body");
    };
    let started = std::time::Instant::now();
    assert_eq!(
        Index::parse(&fetched.data).err(),
        Some(IndexError::ExcessiveAliasing)
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// `wheelhouse template` with `--repo`/`--version` and chart URLs, compared with
/// `helm template` given the same arguments (exit status, stdout, stderr identical).
#[test]
fn template_from_a_repository_matches_helm() {
    let scratch = Scratch::new("template");
    let root = build_repo(&scratch.0, None);
    let open = server(&root);
    let locked = ChartServer::start(ServerOptions {
        root: root.clone(),
        basic_auth: Some(("bob".into(), "pw".into())),
        ..ServerOptions::default()
    });
    let url = open.url.clone();
    let cases: Vec<Vec<String>> = vec![
        vec!["rel", "demo", "--repo", &url],
        vec!["rel", "demo", "--repo", &url, "--version", "~1.0"],
        vec!["rel", "demo", "--repo", &url, "--version", "0.1.0"],
        vec!["rel", "demo", "--repo", &url, "--devel"],
        vec!["rel", "demo", "--repo", &url, "--version", "^9"],
        vec!["rel", "nope", "--repo", &url],
        // Test pods carry random suffixes: skip them.
        vec![
            "rel",
            "podinfo",
            "--repo",
            &url,
            "-n",
            "demo",
            "--set",
            "replicaCount=3",
            "--skip-tests",
        ],
        // A user-provided admin Secret avoids grafana's random password.
        vec![
            "rel",
            "grafana",
            "--repo",
            &url,
            "-n",
            "mon",
            "--set",
            "admin.existingSecret=adm",
        ],
        vec!["rel", &format!("{url}/demo-0.2.0.tgz")],
        vec![
            "rel",
            "demo",
            "--repo",
            &locked.url,
            "--username",
            "bob",
            "--password",
            "pw",
        ],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_owned).collect())
    .collect();
    let mut identical = 0;
    for args in &cases {
        let mut helm_args = vec!["template".to_owned()];
        helm_args.extend(args.iter().cloned());
        let output = Command::new(helm())
            .args(&helm_args)
            .env("HELM_CONFIG_HOME", scratch.0.join("config"))
            .env("HELM_CACHE_HOME", scratch.0.join("cache"))
            .env("HELM_DATA_HOME", scratch.0.join("data"))
            .output()
            .expect("helm");
        let mut argv = vec!["wheelhouse template".to_owned()];
        argv.extend(args.iter().cloned());
        let parsed = wheelhouse::cli::template::parse_argv(&argv).expect("argv");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = wheelhouse::cli::template::execute(&parsed, &mut out, &mut err);
        let helm_code = u8::try_from(output.status.code().unwrap_or(-1)).unwrap_or(255);
        assert_eq!(
            code,
            helm_code,
            "exit status for {args:?}: {}",
            String::from_utf8_lossy(&err)
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&output.stdout),
            "stdout for {args:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&err),
            String::from_utf8_lossy(&output.stderr),
            "stderr for {args:?}"
        );
        identical += 1;
    }
    println!(
        "template --repo: {identical}/{} identical to helm",
        cases.len()
    );
}

//! OCI chart pulls (`wheelhouse::repo::oci`) against a real registry: the CNCF distribution
//! registry on loopback (`wheelhouse_e2e::oci_registry`), with charts pushed by the real
//! `helm push`. Resolution by tag, by constraint (compared with `helm show chart` on the same
//! references) and by digest; the cache; auth off and on (htpasswd; basic auth and a
//! `.dockerconfigjson`). No cluster is needed.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use wheelhouse::repo::ChartCache;
use wheelhouse::repo::oci::{
    OciAuth, OciClient, OciError, OciOptions, OciReference, auth_from_docker_config,
};
use wheelhouse_e2e::oci_registry::OciRegistry;

fn helm() -> PathBuf {
    wheelhouse_e2e::tools_dir().join("helm")
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("wheelhouse-oci-{name}-{}", std::process::id()));
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

fn helm_cmd(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(helm())
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .output()
        .expect("run helm")
}

fn run_helm(home: &Path, args: &[&str]) -> String {
    let output = helm_cmd(home, args);
    assert!(
        output.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const VERSIONS: &[&str] = &["0.1.0", "1.0.0", "1.2.0+build.5", "1.3.0", "2.0.0-rc.1"];

/// Packages `demo` in every version of [`VERSIONS`] plus the corpus `podinfo`; returns the
/// archive paths.
fn package_all(scratch: &Path) -> Vec<PathBuf> {
    let out = scratch.join("packages");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut archives = Vec::new();
    for version in VERSIONS {
        let chart = scratch.join(format!("src-{version}")).join("demo");
        std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: demo\nversion: {version}\n"),
        )
        .expect("Chart.yaml");
        std::fs::write(
            chart.join("templates/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  v: {{ .Chart.Version | quote }}\n",
        )
        .expect("template");
        run_helm(
            scratch,
            &[
                "package",
                chart.to_str().expect("utf8"),
                "-d",
                out.to_str().expect("utf8"),
            ],
        );
        archives.push(out.join(format!("demo-{version}.tgz")));
    }
    let podinfo = wheelhouse_e2e::shared_dir().join("conformance/charts/podinfo");
    let text = run_helm(
        scratch,
        &[
            "package",
            podinfo.to_str().expect("utf8"),
            "-d",
            out.to_str().expect("utf8"),
        ],
    );
    let path = text.trim().rsplit(": ").next().expect("path");
    archives.push(PathBuf::from(path));
    archives
}

fn push_all(scratch: &Path, archives: &[PathBuf], host: &str) {
    for archive in archives {
        run_helm(
            scratch,
            &[
                "push",
                archive.to_str().expect("utf8"),
                &format!("oci://{host}/charts"),
                "--plain-http",
            ],
        );
    }
}

fn sha256_file(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).expect("read")))
}

/// The version `helm show chart REF [--version V] --plain-http` picks, or None on failure.
fn helm_pick(scratch: &Path, reference: &str, version: &str) -> Option<String> {
    let mut args = vec!["show", "chart", reference, "--plain-http"];
    if !version.is_empty() {
        args.extend(["--version", version]);
    }
    let output = helm_cmd(scratch, &args);
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .map(str::to_owned)
}

fn plain(auth: OciAuth) -> OciClient {
    OciClient::new(OciOptions {
        auth,
        plain_http: true,
        ..OciOptions::default()
    })
}

#[tokio::test]
async fn pulls_by_tag_constraint_and_digest_like_helm() {
    let scratch = Scratch::new("anon");
    let registry = OciRegistry::start(&scratch.0.join("registry"), None);
    let archives = package_all(&scratch.0);
    push_all(&scratch.0, &archives, &registry.host);
    let client = plain(OciAuth::Anonymous);
    let demo = format!("oci://{}/charts/demo", registry.host);
    let reference = OciReference::parse(&demo).expect("ref");

    // By tag (the version is the tag).
    let pulled = client
        .pull_chart(&reference, "1.0.0", None)
        .await
        .expect("pull 1.0.0");
    assert_eq!(pulled.digest, sha256_file(&archives[1]));
    assert_eq!(pulled.data, std::fs::read(&archives[1]).expect("read"));
    assert_eq!(pulled.tag.as_deref(), Some("1.0.0"));
    // `+` in the version becomes `_` in the tag.
    let build = client
        .pull_chart(&reference, "1.2.0+build.5", None)
        .await
        .expect("pull +build");
    assert_eq!(build.digest, sha256_file(&archives[2]));

    // By constraint: compare with helm's choice.
    let mut compared = 0;
    for version in [
        "",
        "^1",
        "~1.2",
        ">=2.0.0-0",
        "<1",
        "1.2.0+build.5",
        "0.1.0",
        "^9",
        "1.x",
    ] {
        let ours = client
            .pull_chart(&reference, version, None)
            .await
            .ok()
            .and_then(|c| c.tag);
        let helms = helm_pick(&scratch.0, &demo, version);
        assert_eq!(ours, helms, "version {version:?}");
        compared += 1;
    }
    let err = client
        .pull_chart(&reference, "^9", None)
        .await
        .expect_err("no match");
    assert_eq!(
        err.to_string(),
        "could not locate a version matching provided version string ^9"
    );
    println!("oci resolution: {compared} cases identical to helm show chart");

    // By digest, and a version that contradicts the digest.
    let by_digest =
        OciReference::parse(&format!("{demo}@{}", pulled.manifest_digest)).expect("ref");
    let again = client
        .pull_chart(&by_digest, "", None)
        .await
        .expect("pull by digest");
    assert_eq!(again.data, pulled.data);
    assert_eq!(
        helm_pick(
            &scratch.0,
            &format!("{demo}@{}", pulled.manifest_digest),
            ""
        ),
        Some("1.0.0".to_owned())
    );
    let err = client
        .pull_chart(&by_digest, "0.1.0", None)
        .await
        .expect_err("digest mismatch");
    assert!(matches!(err, OciError::DigestMismatch { .. }), "{err}");
    // A tag in the reference and a different version.
    let tagged = OciReference::parse(&format!("{demo}:1.0.0")).expect("ref");
    let err = client
        .pull_chart(&tagged, "1.3.0", None)
        .await
        .expect_err("mismatch");
    assert_eq!(
        err.to_string(),
        "chart reference and version mismatch: 1.3.0 is not 1.0.0"
    );
    let from_tag = client
        .pull_chart(&tagged, "", None)
        .await
        .expect("tag in the reference");
    assert_eq!(from_tag.digest, pulled.digest);

    // Cache by layer digest.
    let cache = ChartCache::open(scratch.0.join("cache"), 1 << 30).expect("cache");
    let podinfo =
        OciReference::parse(&format!("oci://{}/charts/podinfo", registry.host)).expect("ref");
    let first = client
        .pull_chart(&podinfo, "", Some(&cache))
        .await
        .expect("podinfo");
    assert!(!first.from_cache && cache.contains(&first.digest));
    assert_eq!(first.digest, sha256_file(archives.last().expect("podinfo")));
    let second = client
        .pull_chart(&podinfo, "", Some(&cache))
        .await
        .expect("podinfo again");
    assert!(second.from_cache);
    let chart =
        wheelhouse::chart::load::load_archive(&second.data, &Default::default()).expect("loads");
    assert_eq!(chart.metadata.name, "podinfo");
}

#[tokio::test]
async fn registry_with_htpasswd_auth() {
    let scratch = Scratch::new("auth");
    let registry = OciRegistry::start(&scratch.0.join("registry"), Some(("carol", "pa55")));
    let archives = package_all(&scratch.0);
    run_helm(
        &scratch.0,
        &[
            "registry",
            "login",
            &registry.host,
            "--username",
            "carol",
            "--password",
            "pa55",
            "--plain-http",
        ],
    );
    push_all(&scratch.0, &archives[..2], &registry.host);
    let reference =
        OciReference::parse(&format!("oci://{}/charts/demo", registry.host)).expect("ref");

    let err = plain(OciAuth::Anonymous)
        .pull_chart(&reference, "", None)
        .await
        .expect_err("anonymous refused");
    assert_eq!(err.reason(), "Unauthorized", "{err}");
    let err = plain(OciAuth::Basic {
        username: "carol".into(),
        password: "nope".into(),
    })
    .pull_chart(&reference, "1.0.0", None)
    .await
    .expect_err("wrong password refused");
    assert_eq!(err.reason(), "Unauthorized", "{err}");

    let basic = plain(OciAuth::Basic {
        username: "carol".into(),
        password: "pa55".into(),
    });
    let pulled = basic
        .pull_chart(&reference, "", None)
        .await
        .expect("pull with basic auth");
    assert_eq!(pulled.tag.as_deref(), Some("1.0.0"));
    assert_eq!(pulled.digest, sha256_file(&archives[1]));

    let docker_config = format!(
        r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
        registry.host,
        base64::engine::general_purpose::STANDARD.encode("carol:pa55")
    );
    let auth = auth_from_docker_config(docker_config.as_bytes(), &registry.host).expect("config");
    let pulled = plain(auth)
        .pull_chart(&reference, "0.1.0", None)
        .await
        .expect("pull with dockerconfig");
    assert_eq!(pulled.digest, sha256_file(&archives[0]));
}

/// `wheelhouse template` on `oci://` references, compared with `helm template` given the same
/// arguments (exit status, stdout and the `Error:` line identical).
#[test]
fn template_from_a_registry_matches_helm() {
    let scratch = Scratch::new("template");
    let registry = OciRegistry::start(&scratch.0.join("registry"), None);
    let archives = package_all(&scratch.0);
    push_all(&scratch.0, &archives, &registry.host);
    let demo = format!("oci://{}/charts/demo", registry.host);
    let podinfo = format!("oci://{}/charts/podinfo", registry.host);
    let cases: Vec<Vec<String>> = vec![
        vec!["rel", &demo, "--plain-http"],
        vec!["rel", &demo, "--plain-http", "--version", "~1.2"],
        vec!["rel", &format!("{demo}:0.1.0"), "--plain-http"],
        vec!["rel", &demo, "--plain-http", "--version", "^9"],
        vec!["rel", &podinfo, "--plain-http", "-n", "x", "--skip-tests"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_owned).collect())
    .collect();
    for args in &cases {
        let mut helm_args = vec!["template".to_owned()];
        helm_args.extend(args.iter().cloned());
        let helm_args: Vec<&str> = helm_args.iter().map(String::as_str).collect();
        let output = helm_cmd(&scratch.0, &helm_args);
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
        // Helm's registry client writes progress notes (`Pulled:`, `Digest:`, the note on
        // `_` in tags) to stderr; compare only the error line.
        let error_line = |text: &[u8]| {
            String::from_utf8_lossy(text)
                .lines()
                .filter(|l| l.starts_with("Error: "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            error_line(&err),
            error_line(&output.stderr),
            "stderr for {args:?}"
        );
    }
    println!(
        "template oci://: {}/{} identical to helm",
        cases.len(),
        cases.len()
    );
}

#[tokio::test]
async fn registry_over_https_with_a_test_ca() {
    let scratch = Scratch::new("https");
    let (ca, cert, key) = wheelhouse_e2e::chart_server::test_pki_pem();
    let registry =
        OciRegistry::start_with_tls(&scratch.0.join("registry"), None, Some((&cert, &key)));
    let ca_file = scratch.0.join("ca.crt");
    std::fs::write(&ca_file, &ca).expect("ca");
    let archives = package_all(&scratch.0);
    run_helm(
        &scratch.0,
        &[
            "push",
            archives[1].to_str().expect("utf8"),
            &format!("oci://{}/charts", registry.host),
            "--ca-file",
            ca_file.to_str().expect("utf8"),
        ],
    );
    let reference =
        OciReference::parse(&format!("oci://{}/charts/demo", registry.host)).expect("ref");
    let trusted = OciClient::new(OciOptions {
        ca_pem: Some(ca.into_bytes()),
        ..OciOptions::default()
    });
    let pulled = trusted
        .pull_chart(&reference, "", None)
        .await
        .expect("https pull");
    assert_eq!(pulled.digest, sha256_file(&archives[1]));
    let untrusted = OciClient::new(OciOptions::default());
    let err = untrusted
        .pull_chart(&reference, "1.0.0", None)
        .await
        .expect_err("unknown CA");
    let chain = wheelhouse_e2e::error_chain(&err);
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
}

//! Provenance verification (`wheelhouse::repo::provenance`) of charts signed by the real
//! `helm package --sign` with keys made by `gpg` in the test: served by the test chart
//! repository (the `.prov` beside the archive) and pushed to the distribution registry (the
//! provenance layer). A good signature verifies; a tampered archive and a wrong key fail; every
//! verdict is cross-checked with `helm verify`. No cluster is needed.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::path::{Path, PathBuf};
use std::process::Command;

use wheelhouse::repo::http::{IndexFetch, RepositoryOptions};
use wheelhouse::repo::index::Index;
use wheelhouse::repo::oci::{OciAuth, OciClient, OciOptions, OciReference};
use wheelhouse::repo::provenance::{self, ProvenanceError};
use wheelhouse::repo::{RepositoryClient, fetch_chart};
use wheelhouse_e2e::chart_server::{ChartServer, ServerOptions};
use wheelhouse_e2e::oci_registry::OciRegistry;

fn helm() -> PathBuf {
    wheelhouse_e2e::tools_dir().join("helm")
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("wheelhouse-prov-{name}-{}", std::process::id()));
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

fn run(program: &Path, args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    let mut command = Command::new(program);
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run")
}

fn must(output: std::process::Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A signing key made by gpg in its own home: returns (public keyring, legacy secret keyring).
fn make_key(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let home = dir.join(format!("gnupg-{name}"));
    std::fs::create_dir_all(&home).expect("mkdir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let gpg = PathBuf::from("gpg");
    let env = [("GNUPGHOME", home.as_path())];
    let uid = format!("{name} <{name}@example.com>");
    must(
        run(
            &gpg,
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                &uid,
                "rsa2048",
                "sign",
                "never",
            ],
            &env,
        ),
        "gpg --quick-gen-key",
    );
    let public = dir.join(format!("{name}-pubring.gpg"));
    let secret = dir.join(format!("{name}-secring.gpg"));
    std::fs::write(&public, run(&gpg, &["--export"], &env).stdout).expect("pubring");
    std::fs::write(&secret, run(&gpg, &["--export-secret-keys"], &env).stdout).expect("secring");
    (public, secret)
}

/// Packages and signs a small chart with `helm package --sign`; returns the archive path.
fn package_signed(dir: &Path, out: &Path, signer: &str, secring: &Path) -> PathBuf {
    let chart = dir.join("src").join("signed");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: signed\nversion: 1.0.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .expect("template");
    std::fs::create_dir_all(out).expect("mkdir");
    let env = [
        ("HELM_CONFIG_HOME", dir.join("config")),
        ("HELM_CACHE_HOME", dir.join("cache")),
        ("HELM_DATA_HOME", dir.join("data")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    must(
        run(
            &helm(),
            &[
                "package",
                chart.to_str().expect("utf8"),
                "-d",
                out.to_str().expect("utf8"),
                "--sign",
                "--key",
                signer,
                "--keyring",
                secring.to_str().expect("utf8"),
            ],
            &env,
        ),
        "helm package --sign",
    );
    out.join("signed-1.0.0.tgz")
}

/// `helm verify ARCHIVE --keyring KEYRING` succeeds?
fn helm_verifies(archive: &Path, keyring: &Path) -> bool {
    run(
        &helm(),
        &[
            "verify",
            archive.to_str().expect("utf8"),
            "--keyring",
            keyring.to_str().expect("utf8"),
        ],
        &[],
    )
    .status
    .success()
}

#[tokio::test]
async fn signed_charts_verify_and_tampering_or_a_wrong_key_fail() {
    let scratch = Scratch::new("http");
    let (public, secret) = make_key(&scratch.0, "signer");
    let (other_public, _) = make_key(&scratch.0, "stranger");
    let repo = scratch.0.join("repo");
    let archive = package_signed(&scratch.0, &repo, "signer", &secret);
    assert!(repo.join("signed-1.0.0.tgz.prov").is_file());
    must(
        run(
            &helm(),
            &["repo", "index", repo.to_str().expect("utf8")],
            &[],
        ),
        "helm repo index",
    );

    let server = ChartServer::start(ServerOptions {
        root: repo.clone(),
        ..ServerOptions::default()
    });
    let client = RepositoryClient::new(RepositoryOptions::new(&server.url)).expect("client");
    let IndexFetch::Fetched(fetched) = client.fetch_index(None).await.expect("index") else {
        panic!("want a body");
    };
    let index = Index::parse(&fetched.data).expect("parse");
    let version = index.resolve("signed", "").expect("signed");
    let chart = fetch_chart(&client, None, "signed", version)
        .await
        .expect("chart");
    let prov = client.download_provenance(&chart.url).await.expect("prov");
    let keyring = std::fs::read(&public).expect("keyring");

    // Good signature.
    let verified = provenance::verify(&chart.data, Some("signed-1.0.0.tgz"), &prov, &keyring)
        .expect("verifies");
    assert_eq!(
        verified.signed_by,
        vec!["signer <signer@example.com>".to_owned()]
    );
    assert_eq!(verified.file_hash, format!("sha256:{}", chart.digest));
    assert!(helm_verifies(&archive, &public));
    // Armored keyring works too.
    let armored = run(
        Path::new("gpg"),
        &["--armor", "--export"],
        &[("GNUPGHOME", &scratch.0.join("gnupg-signer"))],
    )
    .stdout;
    provenance::verify(&chart.data, None, &prov, &armored).expect("armored keyring verifies");

    // Wrong key.
    let stranger = std::fs::read(&other_public).expect("keyring");
    let err = provenance::verify(&chart.data, Some("signed-1.0.0.tgz"), &prov, &stranger)
        .expect_err("wrong key");
    assert!(matches!(err, ProvenanceError::BadSignature { .. }), "{err}");
    assert!(!helm_verifies(&archive, &other_public));

    // Tampered archive (one byte changed near the end of the gzip stream).
    let mut tampered = chart.data.clone();
    let at = tampered.len() - 10;
    tampered[at] ^= 0xff;
    let err = provenance::verify(&tampered, Some("signed-1.0.0.tgz"), &prov, &keyring)
        .expect_err("tampered");
    assert!(matches!(err, ProvenanceError::HashMismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("sha256 sum does not match for signed-1.0.0.tgz"),
        "{err}"
    );
    let tampered_path = scratch.0.join("tampered").join("signed-1.0.0.tgz");
    std::fs::create_dir_all(tampered_path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&tampered_path, &tampered).expect("write");
    std::fs::copy(
        repo.join("signed-1.0.0.tgz.prov"),
        scratch.0.join("tampered/signed-1.0.0.tgz.prov"),
    )
    .expect("copy");
    assert!(!helm_verifies(&tampered_path, &public));

    // Tampered signed text (the hash line edited): the signature no longer verifies.
    let text = String::from_utf8_lossy(&prov).replace("sha256:", "sha256:0");
    let err = provenance::verify(&chart.data, None, text.as_bytes(), &keyring).expect_err("edited");
    assert!(matches!(err, ProvenanceError::BadSignature { .. }), "{err}");
    // Not a provenance file at all.
    let err = provenance::verify(&chart.data, None, b"hello", &keyring).expect_err("garbage");
    assert!(
        matches!(err, ProvenanceError::NoSignatureBlock { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn provenance_layer_from_a_registry() {
    let scratch = Scratch::new("oci");
    let (public, secret) = make_key(&scratch.0, "signer");
    let out = scratch.0.join("out");
    let archive = package_signed(&scratch.0, &out, "signer", &secret);
    let registry = OciRegistry::start(&scratch.0.join("registry"), None);
    let env = [
        ("HELM_CONFIG_HOME", scratch.0.join("config")),
        ("HELM_CACHE_HOME", scratch.0.join("cache")),
        ("HELM_DATA_HOME", scratch.0.join("data")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    must(
        run(
            &helm(),
            &[
                "push",
                archive.to_str().expect("utf8"),
                &format!("oci://{}/charts", registry.host),
                "--plain-http",
            ],
            &env,
        ),
        "helm push",
    );
    let client = OciClient::new(OciOptions {
        auth: OciAuth::Anonymous,
        plain_http: true,
        ..OciOptions::default()
    });
    let reference =
        OciReference::parse(&format!("oci://{}/charts/signed", registry.host)).expect("ref");
    let pulled = client
        .pull_chart(&reference, "1.0.0", None)
        .await
        .expect("pull");
    let prov = pulled
        .provenance
        .expect("helm push uploads the .prov as a layer");
    let keyring = std::fs::read(&public).expect("keyring");
    let verified = provenance::verify(&pulled.data, None, &prov, &keyring).expect("verifies");
    assert_eq!(verified.file_name, "signed-1.0.0.tgz");
}

/// `wheelhouse template --verify --keyring` on a local archive, a repository chart and a
/// chart URL, against `helm template` with the same arguments: exit status and stdout
/// identical (error wordings of the OpenPGP layer differ, so stderr is not compared).
#[test]
fn template_verify_matches_helm() {
    let scratch = Scratch::new("template");
    let (public, secret) = make_key(&scratch.0, "signer");
    let (stranger, _) = make_key(&scratch.0, "stranger");
    let repo = scratch.0.join("repo");
    let archive = package_signed(&scratch.0, &repo, "signer", &secret);
    must(
        run(
            &helm(),
            &["repo", "index", repo.to_str().expect("utf8")],
            &[],
        ),
        "helm repo index",
    );
    let tampered_dir = scratch.0.join("tampered");
    std::fs::create_dir_all(&tampered_dir).expect("mkdir");
    let mut bytes = std::fs::read(&archive).expect("archive");
    let at = bytes.len() - 10;
    bytes[at] ^= 0xff;
    let tampered = tampered_dir.join("signed-1.0.0.tgz");
    std::fs::write(&tampered, bytes).expect("write");
    std::fs::copy(
        repo.join("signed-1.0.0.tgz.prov"),
        tampered_dir.join("signed-1.0.0.tgz.prov"),
    )
    .expect("copy");
    let server = ChartServer::start(ServerOptions {
        root: repo.clone(),
        ..ServerOptions::default()
    });
    let s = |p: &Path| p.to_str().expect("utf8").to_owned();
    let cases: Vec<(Vec<String>, bool)> = vec![
        (
            vec![
                "rel".into(),
                s(&archive),
                "--verify".into(),
                "--keyring".into(),
                s(&public),
            ],
            true,
        ),
        (
            vec![
                "rel".into(),
                s(&archive),
                "--verify".into(),
                "--keyring".into(),
                s(&stranger),
            ],
            false,
        ),
        (
            vec![
                "rel".into(),
                s(&tampered),
                "--verify".into(),
                "--keyring".into(),
                s(&public),
            ],
            false,
        ),
        (
            vec![
                "rel".into(),
                "signed".into(),
                "--repo".into(),
                server.url.clone(),
                "--verify".into(),
                "--keyring".into(),
                s(&public),
            ],
            true,
        ),
        (
            vec![
                "rel".into(),
                "signed".into(),
                "--repo".into(),
                server.url.clone(),
                "--verify".into(),
                "--keyring".into(),
                s(&stranger),
            ],
            false,
        ),
        (
            vec![
                "rel".into(),
                format!("{}/signed-1.0.0.tgz", server.url),
                "--verify".into(),
                "--keyring".into(),
                s(&public),
            ],
            true,
        ),
    ];
    let env = [
        ("HELM_CONFIG_HOME", scratch.0.join("config")),
        ("HELM_CACHE_HOME", scratch.0.join("cache")),
        ("HELM_DATA_HOME", scratch.0.join("data")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    for (args, ok) in &cases {
        let mut helm_args = vec!["template"];
        helm_args.extend(args.iter().map(String::as_str));
        let output = run(&helm(), &helm_args, &env);
        let mut argv = vec!["wheelhouse template".to_owned()];
        argv.extend(args.iter().cloned());
        let parsed = wheelhouse::cli::template::parse_argv(&argv).expect("argv");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = wheelhouse::cli::template::execute(&parsed, &mut out, &mut err);
        assert_eq!(
            output.status.success(),
            *ok,
            "helm on {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            code == 0,
            *ok,
            "wheelhouse on {args:?}: {}",
            String::from_utf8_lossy(&err)
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&output.stdout),
            "{args:?}"
        );
        println!(
            "{args:?}: helm {:?} / wheelhouse {:?}",
            String::from_utf8_lossy(&output.stderr).trim(),
            String::from_utf8_lossy(&err).trim()
        );
    }
}

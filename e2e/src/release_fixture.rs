//! Shared set-up for tests of the HelmRelease controller: a chart repository packaged and
//! indexed by the real `helm` and served by [`ChartServer`], a `wheelhouse run` process that
//! watches only the test's namespace, and small helpers to apply YAML with the real `kubectl`
//! and to read HelmRelease conditions.
#![allow(clippy::expect_used, reason = "test set-up fails loudly")]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use serde_json::Value;
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition::{self, find_condition};

use crate::chart_server::{ChartServer, ServerOptions};
use crate::operator::Operator;
use crate::{TestNamespace, cluster, install_wheelhouse_crds, shared_dir};

/// A directory under the temporary directory, removed (with its contents) when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    /// Creates `<tmp>/wheelhouse-<label>-<pid>`, emptied first if it exists.
    pub fn create(label: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("wheelhouse-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir scratch dir");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `helm` or `kubectl` (any other `program` means kubectl) of the local cluster with
/// `args`, feeding `stdin` when given, and returns its output whatever the exit status.
pub fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut command = cluster().command(match program {
        "helm" => cluster().helm.clone(),
        _ => cluster().kubectl.clone(),
    });
    command.args(args);
    command.stdin(Stdio::piped());
    command.stdout(Stdio::piped());
    command.stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

/// Asserts that `output` is a success (panicking with `what` and its stderr otherwise) and
/// returns its stdout as text.
pub fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes a chart directory `<parent>/<name>` from `(relative path, content)` pairs and returns
/// its path.
pub fn write_chart(parent: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = parent.join(name);
    for (path, content) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, content).expect("write chart file");
    }
    dir
}

/// The chart directories every [`ReleaseSetup`] repository holds: podinfo from the conformance
/// corpus and `broken`, a chart whose template fails unless `needed` is set.
fn standard_charts(parent: &Path) -> Vec<PathBuf> {
    let broken = write_chart(
        parent,
        "broken",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: broken\nversion: 1.0.0\n",
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required \"value .Values.needed is required\" .Values.needed }}\n",
            ),
        ],
    );
    vec![shared_dir().join("conformance/charts/podinfo"), broken]
}

/// A test's HelmRelease environment; dropping it stops the operator, then deletes the
/// namespace (see [`TestNamespace`]'s drop) and stops the chart server.
pub struct ReleaseSetup {
    /// First, so it is dropped (killed) first: a running operator would put the finalizers
    /// back that the namespace's drop removes.
    pub operator: Operator,
    pub client: Client,
    pub namespace: TestNamespace,
    pub server: ChartServer,
    /// Holds `repo/` (what the server serves) and the chart sources.
    pub dir: ScratchDir,
}

impl ReleaseSetup {
    /// Sets up a namespace named after `test`, a repository with podinfo, `broken` and
    /// `extra_charts` (chart directories, packaged by `helm package` and indexed by
    /// `helm repo index`), and an operator started with `--watch-namespace <ns>` plus
    /// `operator_args`.
    pub async fn start(test: &str, extra_charts: &[PathBuf], operator_args: &[&str]) -> Self {
        let dir = ScratchDir::create(&format!("hr-{test}"));
        let mut charts = standard_charts(&dir.0);
        charts.extend(extra_charts.iter().cloned());
        Self::start_with(test, dir, &charts, operator_args).await
    }

    /// As [`ReleaseSetup::start`], with exactly `charts` in the repository, packaged from
    /// directories (usually under `dir`).
    pub async fn start_with(
        test: &str,
        dir: ScratchDir,
        charts: &[PathBuf],
        operator_args: &[&str],
    ) -> Self {
        wheelhouse::tls::install_crypto_provider();
        let client = cluster().client().await.expect("client");
        install_wheelhouse_crds(&client).await.expect("CRDs");
        let namespace = TestNamespace::create(&client, test).await.expect("ns");
        let repo = dir.0.join("repo");
        std::fs::create_dir_all(&repo).expect("mkdir repo");
        let repo_s = repo.to_str().expect("utf8");
        for chart in charts {
            ok(
                run(
                    "helm",
                    &["package", chart.to_str().expect("utf8"), "-d", repo_s],
                    None,
                ),
                "helm package",
            );
        }
        ok(
            run("helm", &["repo", "index", repo_s], None),
            "helm repo index",
        );
        let server = ChartServer::start(ServerOptions {
            root: repo,
            ..ServerOptions::default()
        });
        let mut args = vec!["--watch-namespace", namespace.name.as_str()];
        args.extend_from_slice(operator_args);
        let operator = Operator::start(test, &args).expect("operator");
        ReleaseSetup {
            client,
            namespace,
            server,
            dir,
            operator,
        }
    }

    /// The test namespace's name.
    pub fn ns(&self) -> &str {
        &self.namespace.name
    }
}

/// `kubectl apply -n <namespace> -f -` of `yaml`; panics when kubectl fails.
pub fn apply_yaml(namespace: &str, yaml: &str) {
    ok(
        run(
            "kubectl",
            &["apply", "-n", namespace, "-f", "-"],
            Some(yaml),
        ),
        "kubectl apply",
    );
}

/// The Ready condition as `(status, reason, message)`, when there is one.
pub fn ready_status(hr: &HelmRelease) -> Option<(String, String, String)> {
    let status = hr.status.as_ref()?;
    let ready = find_condition(&status.conditions, condition::READY)?;
    Some((
        ready.status.clone(),
        ready.reason.clone(),
        ready.message.clone(),
    ))
}

/// Ready=True for the current generation, not Reconciling, and the newest history entry at
/// `revision`.
pub fn is_ready_at(revision: i32) -> impl Fn(&HelmRelease) -> bool {
    move |hr: &HelmRelease| {
        hr.status.as_ref().is_some_and(|s| {
            s.observed_generation == hr.metadata.generation
                && condition::is_true(&s.conditions, condition::READY)
                && !condition::is_true(&s.conditions, condition::RECONCILING)
                && s.history.first().is_some_and(|h| h.revision == revision)
        })
    }
}

/// Ready=False with `reason`.
pub fn not_ready_with(reason: &'static str) -> impl Fn(&HelmRelease) -> bool {
    move |hr: &HelmRelease| {
        ready_status(hr).is_some_and(|(status, r, _)| status == "False" && r == reason)
    }
}

/// A HelmRelease named `name` for podinfo `6.x` from the HelmRepository `charts`; `extra_spec`
/// is appended to `spec` (two-space indented YAML lines).
pub fn podinfo_release(name: &str, extra_spec: &str) -> String {
    chart_release(name, "podinfo", "6.x", extra_spec)
}

/// A HelmRelease named `name` for `chart` at `version` from the HelmRepository `charts`.
pub fn chart_release(name: &str, chart: &str, version: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRelease\nmetadata:\n  name: {name}\nspec:\n  chart:\n    spec:\n      chart: {chart}\n      version: \"{version}\"\n      sourceRef: {{kind: HelmRepository, name: charts}}\n{extra_spec}"
    )
}

/// A HelmRepository named `charts` for `url`, interval 1m.
pub fn repository_yaml(url: &str) -> String {
    format!(
        "apiVersion: helm.wheelhouse.dev/v1\nkind: HelmRepository\nmetadata:\n  name: charts\nspec:\n  url: {url}\n  interval: 1m\n"
    )
}

/// Names of the release Secrets (`owner=helm,name=<release>`) in `namespace`, sorted.
pub async fn release_secrets(client: &Client, namespace: &str, release: &str) -> Vec<String> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let mut names: Vec<String> = secrets
        .list(&ListParams::default().labels(&format!("owner=helm,name={release}")))
        .await
        .expect("list")
        .items
        .iter()
        .map(|s| s.name_any())
        .collect();
    names.sort();
    names
}

/// `tiny` 1.0.0: one ConfigMap `<release>-main` holding `.Values.message`; installs at once
/// (nothing to wait for).
pub fn tiny_chart(parent: &Path) -> PathBuf {
    write_chart(
        parent,
        "tiny",
        &[
            ("Chart.yaml", "apiVersion: v2\nname: tiny\nversion: 1.0.0\n"),
            ("values.yaml", "message: v1\n"),
            (
                "templates/main.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-main\ndata:\n  message: {{ .Values.message | quote }}\n",
            ),
        ],
    )
}

/// The `message` of the ConfigMap `name`, `None` when it does not exist.
pub async fn config_map_message(setup: &ReleaseSetup, name: &str) -> Option<String> {
    Api::<ConfigMap>::namespaced(setup.client.clone(), setup.ns())
        .get_opt(name)
        .await
        .expect("get ConfigMap")
        .and_then(|c| c.data)
        .and_then(|d| d.get("message").cloned())
}

/// `helm history <release> -o json` as `(revision, status, description)`, oldest first.
pub fn helm_history(namespace: &str, release: &str) -> Vec<(u64, String, String)> {
    let text = ok(
        run(
            "helm",
            &["history", release, "-n", namespace, "-o", "json"],
            None,
        ),
        "helm history",
    );
    let entries: Vec<Value> = serde_json::from_str(&text).expect("helm history json");
    entries
        .iter()
        .map(|e| {
            (
                e["revision"].as_u64().expect("revision"),
                e["status"].as_str().expect("status").to_owned(),
                e["description"].as_str().expect("description").to_owned(),
            )
        })
        .collect()
}

/// `helm get values <release> --revision <revision> -o json`.
pub fn helm_values(namespace: &str, release: &str, revision: u64) -> Value {
    let text = ok(
        run(
            "helm",
            &[
                "get",
                "values",
                release,
                "-n",
                namespace,
                "--revision",
                &revision.to_string(),
                "-o",
                "json",
            ],
            None,
        ),
        "helm get values",
    );
    serde_json::from_str(&text).expect("helm get values json")
}

/// Asks for a reconcile of `resource` (`hr/<name>` or `helmrepo/<name>`) in `namespace` by
/// setting `reconcile.wheelhouse.dev/requestedAt` to `token`; the controller echoes the token in
/// `status.lastHandledReconcileAt` once it handled the request.
pub fn request_reconcile(namespace: &str, resource: &str, token: &str) {
    ok(
        run(
            "kubectl",
            &[
                "annotate",
                "-n",
                namespace,
                resource,
                "--overwrite",
                &format!("reconcile.wheelhouse.dev/requestedAt={token}"),
            ],
            None,
        ),
        "kubectl annotate",
    );
}

/// The HelmRelease handled the reconcile request `token` (see [`request_reconcile`]).
pub fn handled(token: &'static str) -> impl Fn(&HelmRelease) -> bool {
    move |hr: &HelmRelease| {
        hr.status
            .as_ref()
            .and_then(|s| s.last_handled_reconcile_at.as_deref())
            == Some(token)
    }
}

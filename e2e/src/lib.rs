//! End-to-end test support: a real local control plane and helpers for tests that use it.
//!
//! [`cluster()`] brings the local cluster up once per test binary through `e2e/cluster.sh up`
//! (which reuses a running cluster, so a whole `cargo test` run pays the start-up once), or
//! reuses the one named by `KUBECONFIG`, `HELM` and `KUBECTL` when all three are set. It is left
//! running afterwards; `e2e/test.sh` (the project's test command) tears it down at the end.
//!
//! Each test makes its own labelled namespace with [`TestNamespace::create`], which is deleted
//! when the value is dropped (also when the test panics). Tests synchronise on the API server
//! with watches ([`wait_for`], [`wait_for_deletion`]), never with sleeps.
#![forbid(unsafe_code)]

pub mod chart_server;
pub mod oci_registry;
pub mod operator;
pub mod release_fixture;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config, Resource};
use serde::de::DeserializeOwned;

/// Label put on every namespace a test creates, so leftovers can be found and removed.
pub const TEST_NAMESPACE_LABEL: &str = "wheelhouse.dev/e2e";
/// Annotation that makes the local cluster's kwok fail a pod once it runs (see
/// `e2e/kwok-stages.yaml`): its containers terminate with exit code 1 and the pod is `Failed`.
pub const POD_FAILURE_ANNOTATION: &str = "wheelhouse.dev/e2e-fail";

/// Errors from the test support.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `e2e/cluster.sh up` failed; its stderr explains why.
    #[error("e2e/cluster.sh up failed with {status}:\n{stderr}")]
    ClusterUp { status: String, stderr: String },
    /// A program could not be started.
    #[error("could not run {program}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// `cluster.sh up` printed no value for a variable the tests need.
    #[error("e2e/cluster.sh up printed no {0}")]
    MissingExport(&'static str),
    /// The kubeconfig could not be read or turned into a client.
    #[error("could not build a client from kubeconfig {path}")]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A Kubernetes API call failed.
    #[error("{action} failed")]
    Api {
        action: String,
        #[source]
        source: kube::Error,
    },
    /// A watch ended with an error.
    #[error("watching {what} failed")]
    Watch {
        what: String,
        #[source]
        source: watcher::Error,
    },
    /// The condition did not hold in time; `last_seen` is the last state the watch delivered.
    #[error("timed out after {timeout:?} waiting for {what}; last seen: {last_seen}")]
    Timeout {
        what: String,
        timeout: Duration,
        last_seen: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The local cluster and the tools built with it.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Admin kubeconfig (client certificate in `system:masters`).
    pub kubeconfig: PathBuf,
    /// The `helm` binary built from the pinned Helm 4 module: the oracle.
    pub helm: PathBuf,
    /// `kubectl` of the cluster's Kubernetes version.
    pub kubectl: PathBuf,
    /// Every exported variable (`KUBECONFIG`, `HELM`, `HELM_CONFIG_HOME`, ...), to pass to
    /// child processes so they act on this cluster.
    pub env: BTreeMap<String, String>,
}

/// The cluster for this test binary, started on first use (see the module docs).
///
/// # Panics
/// When the cluster cannot be brought up; the message carries `cluster.sh`'s error.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(|| Cluster::start().map_err(|e| error_chain(&e))) {
        Ok(cluster) => cluster,
        Err(message) => panic!("the local test cluster is not available: {message}"),
    }
}

impl Cluster {
    fn start() -> Result<Self> {
        let preset: BTreeMap<String, String> = ["KUBECONFIG", "HELM", "KUBECTL"]
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        let env = if preset.len() == 3 {
            // Take every related variable from the environment too (HELM_*_HOME).
            std::env::vars()
                .filter(|(k, _)| preset.contains_key(k) || k.starts_with("HELM_"))
                .collect()
        } else {
            let script = repo_root().join("e2e/cluster.sh");
            let output = Command::new("bash")
                .arg(&script)
                .arg("up")
                .output()
                .map_err(|source| Error::Spawn {
                    program: script.display().to_string(),
                    source,
                })?;
            if !output.status.success() {
                return Err(Error::ClusterUp {
                    status: output.status.to_string(),
                    stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                });
            }
            parse_exports(&String::from_utf8_lossy(&output.stdout))
        };
        let path = |key: &'static str| -> Result<PathBuf> {
            env.get(key)
                .map(PathBuf::from)
                .ok_or(Error::MissingExport(key))
        };
        Ok(Cluster {
            kubeconfig: path("KUBECONFIG")?,
            helm: path("HELM")?,
            kubectl: path("KUBECTL")?,
            env,
        })
    }

    /// A new client for the admin user. Make one per test: a client belongs to the tokio
    /// runtime it was made on, and `#[tokio::test]` gives each test its own runtime.
    pub async fn client(&self) -> Result<Client> {
        Client::try_from(self.config().await?).map_err(|source| Error::Kubeconfig {
            path: self.kubeconfig.clone(),
            source: Box::new(source),
        })
    }

    /// The admin client configuration, to derive other identities from (e.g. a token).
    pub async fn config(&self) -> Result<Config> {
        let wrap = |source: Box<dyn std::error::Error + Send + Sync>| Error::Kubeconfig {
            path: self.kubeconfig.clone(),
            source,
        };
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).map_err(|e| wrap(Box::new(e)))?;
        Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| wrap(Box::new(e)))
    }

    /// A command for one of the cluster's tools (`helm`, `kubectl`, or any program) with the
    /// cluster's environment set.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.envs(&self.env);
        command
    }
}

/// The directory of the tools built from Go modules (`helm`, `kubectl`, the control plane), for
/// tests that need a tool but no cluster: `WHEELHOUSE_E2E_BIN` when set, else what
/// `e2e/cluster.sh build` builds (once per machine, cached) and prints.
///
/// # Panics
/// When the tools cannot be built; the message carries `cluster.sh`'s error.
pub fn tools_dir() -> &'static Path {
    static TOOLS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = TOOLS.get_or_init(|| {
        if let Some(dir) = std::env::var_os("WHEELHOUSE_E2E_BIN") {
            return Ok(PathBuf::from(dir));
        }
        let script = repo_root().join("e2e/cluster.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("build")
            .output()
            .map_err(|e| format!("could not run {}: {e}", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "e2e/cluster.sh build failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        ))
    });
    match found {
        Ok(dir) => dir,
        Err(message) => panic!("the e2e tools are not available: {message}"),
    }
}

/// Parses the `export NAME=VALUE` lines of `cluster.sh` (values quoted with bash's `%q`).
fn parse_exports(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|assignment| assignment.split_once('='))
        .map(|(name, value)| (name.to_owned(), unquote_bash(value)))
        .collect()
}

/// Undoes bash `printf %q` quoting for the forms it uses on paths: backslash escapes and
/// `$'...'` strings are not expected in the paths cluster.sh prints, so a backslash simply
/// escapes the next character.
fn unquote_bash(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '\'' => {}
            _ => out.push(c),
        }
    }
    out
}

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The shared material beside the work tree (`../shared`), or `WHEELHOUSE_SHARED_DIR`.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("WHEELHOUSE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"))
}

/// A namespace of one test, labelled [`TEST_NAMESPACE_LABEL`], deleted on drop.
#[derive(Debug)]
pub struct TestNamespace {
    /// The namespace's name: `e2e-<test>-<suffix>`.
    pub name: String,
    kubectl: PathBuf,
    env: BTreeMap<String, String>,
}

impl TestNamespace {
    /// Creates a fresh namespace for the test named `test` (lowercase letters, digits, `-`).
    pub async fn create(client: &Client, test: &str) -> Result<Self> {
        let cluster = cluster();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let suffix = format!(
            "{:x}",
            (nanos ^ std::process::id().rotate_left(16)) & 0xffffff
        );
        let mut prefix: String = format!("e2e-{test}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        prefix.truncate(63 - suffix.len() - 1);
        let name = format!("{}-{suffix}", prefix.trim_end_matches('-'));
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(BTreeMap::from([
                    (TEST_NAMESPACE_LABEL.to_owned(), "true".to_owned()),
                    (
                        format!("{TEST_NAMESPACE_LABEL}-test"),
                        prefix.chars().skip(4).collect(),
                    ),
                ])),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .map_err(|source| Error::Api {
                action: format!("creating namespace {name}"),
                source,
            })?;
        Ok(TestNamespace {
            name,
            kubectl: cluster.kubectl.clone(),
            env: cluster.env.clone(),
        })
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // Drop cannot await, and the test's runtime may be shutting down: kubectl is synchronous.
        let result = Command::new(&self.kubectl)
            .envs(&self.env)
            .args([
                "delete",
                "namespace",
                &self.name,
                "--wait=false",
                "--ignore-not-found",
            ])
            .output();
        if let Err(error) = result {
            eprintln!("could not delete test namespace {}: {error}", self.name);
        }
        // HelmReleases keep Wheelhouse's finalizer when the test's operator stops before it
        // uninstalled them (it usually stops right after this), which would leave the
        // namespace Terminating on the shared cluster for good. A detached janitor gives the
        // deletion 20 s, then removes the finalizers of what is left (the releases' objects go
        // with the namespace anyway).
        let janitor = Command::new("sh")
            .envs(&self.env)
            .args([
                "-c",
                r#"k=$0 ns=$1
"$k" wait --for=delete "namespace/$ns" --timeout=20s >/dev/null 2>&1 && exit 0
"$k" get helmreleases -n "$ns" -o name 2>/dev/null | while read -r hr; do
  "$k" patch -n "$ns" "$hr" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
done"#,
            ])
            .arg(&self.kubectl)
            .arg(&self.name)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Err(error) = janitor {
            eprintln!("could not watch the deletion of {}: {error}", self.name);
        }
    }
}

/// Watches the object `name` until `condition` holds for it, and returns that state.
///
/// `what` describes the wait for the error message. The watch starts with a list, so a
/// condition that already holds returns at once.
///
/// # Errors
/// [`Error::Timeout`] after `timeout` (with the last state seen), [`Error::Watch`] when the
/// watch fails.
pub async fn wait_for<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    timeout: Duration,
    condition: impl Fn(&K) -> bool,
) -> Result<K>
where
    K: Resource + Clone + Debug + DeserializeOwned + serde::Serialize + Send + 'static,
{
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher::watcher(api.clone(), config)
        .applied_objects()
        .boxed();
    let mut last_seen = String::from("nothing (the object does not exist)");
    let found = tokio::time::timeout(timeout, async {
        while let Some(object) = stream.try_next().await.map_err(|source| Error::Watch {
            what: what.to_owned(),
            source,
        })? {
            if condition(&object) {
                return Ok(Some(object));
            }
            last_seen = summarize(&object);
        }
        Ok(None)
    })
    .await;
    match found {
        Ok(Ok(Some(object))) => Ok(object),
        Ok(Err(error)) => Err(error),
        Ok(Ok(None)) | Err(_) => Err(Error::Timeout {
            what: what.to_owned(),
            timeout,
            last_seen,
        }),
    }
}

/// Watches until the object `name` no longer exists (returns at once if it never did).
///
/// # Errors
/// [`Error::Timeout`] after `timeout`, [`Error::Api`]/[`Error::Watch`] on API failures.
pub async fn wait_for_deletion<K>(api: &Api<K>, name: &str, timeout: Duration) -> Result<()>
where
    K: Resource + Clone + Debug + DeserializeOwned + serde::Serialize + Send + 'static,
{
    let what = format!("deletion of {name}");
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher::watcher(api.clone(), config).boxed();
    let mut last_seen = String::from("nothing yet");
    let result = tokio::time::timeout(timeout, async {
        while let Some(event) = stream.try_next().await.map_err(|source| Error::Watch {
            what: what.clone(),
            source,
        })? {
            match event {
                watcher::Event::Delete(_) => return Ok(()),
                // A (re)list that does not contain the object: it is gone.
                watcher::Event::InitDone => {
                    if api
                        .get_opt(name)
                        .await
                        .map_err(|source| Error::Api {
                            action: format!("getting {name}"),
                            source,
                        })?
                        .is_none()
                    {
                        return Ok(());
                    }
                }
                watcher::Event::Apply(object) | watcher::Event::InitApply(object) => {
                    last_seen = summarize(&object);
                }
                watcher::Event::Init => {}
            }
        }
        Ok(())
    })
    .await;
    result.unwrap_or_else(|_| {
        Err(Error::Timeout {
            what,
            timeout,
            last_seen,
        })
    })
}

/// A short JSON rendering of an object's status (or the whole object), for error messages.
fn summarize<K: serde::Serialize>(object: &K) -> String {
    let value = serde_json::to_value(object).unwrap_or_default();
    let shown = value.get("status").unwrap_or(&value);
    let mut text = shown.to_string();
    if text.len() > 2000 {
        let mut cut = 2000;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// The error and its sources joined by ": ".
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Installs (server-side applies) Wheelhouse's CRDs from the Rust types and waits until the
/// API server serves them (`Established`, then discoverable).
///
/// # Errors
/// [`Error::Api`] when the apply fails, [`Error::Timeout`] when they are not established in 60s.
pub async fn install_wheelhouse_crds(client: &Client) -> Result<()> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Patch, PatchParams};
    let api = Api::<CustomResourceDefinition>::all(client.clone());
    for crd in wheelhouse::api::crd::all() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        api.patch(
            &name,
            &PatchParams::apply("wheelhouse-e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .map_err(|source| Error::Api {
            action: format!("applying CRD {name}"),
            source,
        })?;
        wait_for(
            &api,
            &name,
            "CRD established",
            Duration::from_secs(60),
            |crd| {
                crd.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| {
                        c.iter()
                            .any(|c| c.type_ == "Established" && c.status == "True")
                    })
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cluster_exports() {
        let env = parse_exports(
            "export KUBECONFIG=/a/b/admin.kubeconfig\nexport HELM=/x\\ y/helm\nnoise\n",
        );
        assert_eq!(env["KUBECONFIG"], "/a/b/admin.kubeconfig");
        assert_eq!(env["HELM"], "/x y/helm");
        assert_eq!(env.len(), 2);
    }
}

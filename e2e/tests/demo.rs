//! The one-command demo (`e2e/demo.sh`, README's first command) against the running local
//! cluster: every sample HelmRelease of `config/samples` becomes Ready and is listed by
//! `helm list -A`; `demo.sh down` uninstalls the releases, stops every process the demo
//! started and leaves the cluster, which it did not start, running.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ListParams};
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition;
use wheelhouse_e2e::operator::operator_binary;
use wheelhouse_e2e::release_fixture::{ScratchDir, ok, run};
use wheelhouse_e2e::{TestNamespace, cluster, repo_root, shared_dir};

/// The HelmReleases of `config/samples`.
const SAMPLE_RELEASES: [&str; 4] = [
    "podinfo",
    "podinfo-frontend",
    "podinfo-oci",
    "podinfo-values",
];
/// The HelmRepositories of `config/samples`.
const SAMPLE_REPOSITORIES: [&str; 2] = ["podinfo", "podinfo-oci"];

/// Runs `bash e2e/demo.sh <args>` with its state in `state` and its objects in `namespace`.
fn demo(state: &Path, namespace: &str, args: &[&str]) -> Output {
    cluster()
        .command("bash")
        .arg(repo_root().join("e2e/demo.sh"))
        .args(args)
        .current_dir(repo_root())
        .env("WHEELHOUSE_BIN", operator_binary())
        .env("WHEELHOUSE_SHARED_DIR", shared_dir())
        .env("WHEELHOUSE_DEMO_STATE_DIR", state)
        .env("WHEELHOUSE_DEMO_NAMESPACE", namespace)
        .output()
        .expect("run e2e/demo.sh")
}

/// Stops the demo when the test ends early, so a failure leaves nothing running.
struct DemoGuard {
    state: PathBuf,
    namespace: String,
}

impl Drop for DemoGuard {
    fn drop(&mut self) {
        if self.state.exists() {
            let _ = demo(&self.state, &self.namespace, &["down"]);
        }
    }
}

/// The rows of the table that follows the line `$ <command>` in the demo's output, each as
/// column name → cell; `split` cuts a row into cells. Only the trailing columns may contain
/// spaces (kubectl's MESSAGE and AGE, helm's UPDATED is split by tabs), so cells are matched
/// to the header by position.
fn table_after(
    output: &str,
    command: &str,
    split: impl Fn(&str) -> Vec<String>,
) -> Vec<BTreeMap<String, String>> {
    let marker = format!("$ {command}");
    let section = output
        .split_once(&marker)
        .unwrap_or_else(|| panic!("the demo printed no `{command}`:\n{output}"))
        .1;
    let mut rows = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for line in section.lines().skip(1) {
        if line.starts_with("$ ") || line.starts_with("Logs:") {
            break;
        }
        if line.trim().is_empty() {
            // kubectl separates the tables of different kinds with an empty line.
            header = None;
            continue;
        }
        let cells = split(line);
        match &header {
            None => header = Some(cells),
            Some(names) => rows.push(names.iter().cloned().zip(cells).collect()),
        }
    }
    rows
}

fn by_whitespace(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

fn by_tab(line: &str) -> Vec<String> {
    line.split('\t').map(|c| c.trim().to_owned()).collect()
}

/// Helm's `updated` time (`2026-11-21 05:50:06.1029 +0000 UTC`, always UTC here) as
/// (date, seconds into the day), which orders two times correctly.
fn helm_time(text: &str) -> (String, f64) {
    let mut parts = text.split(' ');
    let date = parts.next().expect("date").to_owned();
    let time = parts.next().expect("time");
    let seconds = time
        .split(':')
        .map(|p| p.parse::<f64>().expect("time field"))
        .fold(0.0, |total, part| total * 60.0 + part);
    (date, seconds)
}

fn process_is_the_demos(pid: &str, state: &Path) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(&*state.to_string_lossy()))
        .unwrap_or(false)
}

#[tokio::test]
async fn demo_reconciles_the_samples_then_down_stops_what_it_started() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    // A namespace the demo did not create: `down` must uninstall the releases (through the
    // operator) and delete what it applied, but keep the namespace.
    let namespace = TestNamespace::create(&client, "demo").await.expect("ns");
    let scratch = ScratchDir::create("demo");
    let state = scratch.0.join("state");
    let _guard = DemoGuard {
        state: state.clone(),
        namespace: namespace.name.clone(),
    };

    let up = demo(&state, &namespace.name, &[]);
    let stdout = String::from_utf8_lossy(&up.stdout).into_owned();
    assert!(
        up.status.success(),
        "e2e/demo.sh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&up.stderr)
    );

    // What the demo printed: every sample Ready, every release deployed.
    let objects = table_after(
        &stdout,
        "kubectl get helmrepositories,helmreleases -A",
        by_whitespace,
    );
    let ready_in_output = |kind: &str, name: &str| {
        objects.iter().any(|row| {
            row.get("NAMESPACE") == Some(&namespace.name)
                && row.get("NAME") == Some(&format!("{kind}.helm.wheelhouse.dev/{name}"))
                && row.get("READY").map(String::as_str) == Some("True")
        })
    };
    for name in SAMPLE_REPOSITORIES {
        assert!(
            ready_in_output("helmrepository", name),
            "HelmRepository {name} not shown Ready:\n{stdout}"
        );
    }
    for name in SAMPLE_RELEASES {
        assert!(
            ready_in_output("helmrelease", name),
            "HelmRelease {name} not shown Ready:\n{stdout}"
        );
    }
    let releases = table_after(&stdout, "helm list -A", by_tab);
    for name in SAMPLE_RELEASES {
        assert!(
            releases.iter().any(|row| {
                row.get("NAME").map(String::as_str) == Some(name)
                    && row.get("NAMESPACE") == Some(&namespace.name)
                    && row.get("STATUS").map(String::as_str) == Some("deployed")
                    && row.get("CHART").is_some_and(|c| c.starts_with("podinfo-"))
            }),
            "helm list -A shows no deployed release {name}:\n{stdout}"
        );
    }

    // The same from the API server and helm, beyond what the demo printed.
    let hrs: Api<HelmRelease> = Api::namespaced(client.clone(), &namespace.name);
    for name in SAMPLE_RELEASES {
        let hr = hrs.get(name).await.expect("get HelmRelease");
        let status = hr.status.as_ref().expect("status");
        assert!(
            condition::is_true(&status.conditions, condition::READY),
            "{name}: {:?}",
            status.conditions
        );
    }
    // valuesFrom: the ConfigMap's values reached the release.
    let values = ok(
        run(
            "helm",
            &[
                "get",
                "values",
                "podinfo-values",
                "-n",
                &namespace.name,
                "-o",
                "json",
            ],
            None,
        ),
        "helm get values",
    );
    let values: serde_json::Value = serde_json::from_str(&values).expect("values JSON");
    assert_eq!(
        values["ui"]["message"], "hello from a ConfigMap",
        "{values}"
    );
    assert_eq!(values["replicaCount"], 1, "{values}");
    // dependsOn: the frontend was installed only after podinfo.
    let list = ok(
        run("helm", &["list", "-n", &namespace.name, "-o", "json"], None),
        "helm list",
    );
    let list: Vec<serde_json::Value> = serde_json::from_str(&list).expect("helm list JSON");
    let updated = |name: &str| {
        let entry = list
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no release {name} in {list:?}"));
        helm_time(entry["updated"].as_str().expect("updated"))
    };
    assert!(
        updated("podinfo-frontend") > updated("podinfo"),
        "podinfo-frontend was installed before podinfo: {list:?}"
    );

    // The demo reused the cluster and recorded its processes.
    assert_eq!(
        std::fs::read_to_string(state.join("started-cluster"))
            .expect("started-cluster")
            .trim(),
        "no"
    );
    let mut pids = Vec::new();
    for entry in std::fs::read_dir(state.join("pids")).expect("pids") {
        let entry = entry.expect("pid entry");
        let pid = std::fs::read_to_string(entry.path()).expect("pid");
        pids.push((entry.file_name(), pid.trim().to_owned()));
    }
    pids.sort();
    let names: Vec<_> = pids.iter().map(|(n, _)| n.to_string_lossy()).collect();
    assert_eq!(names, ["charts", "operator", "registry"]);
    for (name, pid) in &pids {
        assert!(
            process_is_the_demos(pid, &state),
            "{name:?} (pid {pid}) is not running"
        );
    }

    let down = demo(&state, &namespace.name, &["down"]);
    assert!(
        down.status.success(),
        "e2e/demo.sh down failed:\n{}\n{}",
        String::from_utf8_lossy(&down.stdout),
        String::from_utf8_lossy(&down.stderr)
    );
    for (name, pid) in &pids {
        assert!(
            !process_is_the_demos(pid, &state),
            "{name:?} (pid {pid}) still runs after down"
        );
    }
    assert!(!state.exists(), "down left its state directory");
    // The operator uninstalled the releases before it stopped: no release Secrets, no
    // Deployments, nothing the demo applied; the namespace it did not create is still there.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), &namespace.name);
    let left = secrets
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .expect("list Secrets");
    assert!(left.items.is_empty(), "release Secrets left: {left:?}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace.name);
    let left = deployments
        .list(&ListParams::default())
        .await
        .expect("list Deployments");
    assert!(left.items.is_empty(), "Deployments left: {left:?}");
    assert!(
        hrs.list(&ListParams::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace.name);
    assert!(
        config_maps
            .get_opt("podinfo-values")
            .await
            .expect("get")
            .is_none()
    );
    Api::<Namespace>::all(client.clone())
        .get(&namespace.name)
        .await
        .expect("the namespace the demo did not create is kept");

    // The cluster, which the demo did not start, still runs.
    let env = cluster()
        .command("bash")
        .arg(repo_root().join("e2e/cluster.sh"))
        .arg("env")
        .output()
        .expect("cluster.sh env");
    assert!(env.status.success(), "the cluster stopped");
    client
        .apiserver_version()
        .await
        .expect("the API server answers");
}

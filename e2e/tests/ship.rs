//! Shipping Wheelhouse: its own Helm chart (lint, template checked against a golden file made
//! by the real helm, rendered byte-identically by `wheelhouse template`, installed onto the
//! local cluster) and the kustomize layout (`kubectl apply -k config/default`, samples
//! accepted by the API server).
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::process::Output;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::Api;
use wheelhouse_e2e::{
    TestNamespace, cluster, install_wheelhouse_crds, repo_root, tools_dir, wait_for,
};

fn run(program: &str, args: &[&str]) -> Output {
    let path = match program {
        "helm" => tools_dir().join("helm"),
        "kubectl" => tools_dir().join("kubectl"),
        _ => wheelhouse_e2e::operator::operator_binary(),
    };
    let mut command = if program == "wheelhouse" {
        std::process::Command::new(path)
    } else {
        cluster().command(path)
    };
    command
        .current_dir(repo_root())
        .args(args)
        .output()
        .expect("spawn")
}

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn operator_chart_lints_and_renders_identically_with_wheelhouse() {
    let lint = ok(
        run("helm", &["lint", "--strict", "charts/wheelhouse"]),
        "helm lint --strict",
    );
    assert!(lint.contains("0 chart(s) failed"), "{lint}");

    let helm = ok(
        run(
            "helm",
            &[
                "template",
                "wh",
                "charts/wheelhouse",
                "-n",
                "wheelhouse-system",
            ],
        ),
        "helm template",
    );
    let golden =
        std::fs::read_to_string(repo_root().join("e2e/fixtures/golden/wheelhouse-chart.yaml"))
            .expect("golden");
    assert!(
        helm == golden,
        "helm template of charts/wheelhouse changed: regenerate e2e/fixtures/golden/wheelhouse-chart.yaml with `helm template wh charts/wheelhouse -n wheelhouse-system` and review it"
    );
    for needle in [
        "readOnlyRootFilesystem: true",
        "runAsNonRoot: true",
        "type: RuntimeDefault",
        "drop: [\"ALL\"]",
        "path: /healthz",
        "path: /readyz",
        "--leader-elect",
        "name: wh-wheelhouse-chart-resources",
    ] {
        assert!(helm.contains(needle), "rendered chart lacks {needle:?}");
    }

    // The renderer's self-check: our own chart, default and non-default values.
    let variants: [&[&str]; 2] = [
        &[],
        &[
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "watchNamespaces={a,b}",
            "--set",
            "noCrossNamespaceRefs=true",
            "--set",
            "defaultServiceAccount=deployer",
            "--set",
            "rbac.chartResources=false",
            "--set",
            "leaderElection.enabled=false",
            "--set",
            "nodeSelector.disk=ssd",
        ],
    ];
    for extra in variants {
        let mut args = vec!["template", "wh", "charts/wheelhouse", "-n", "ops"];
        args.extend_from_slice(extra);
        let helm = ok(run("helm", &args), "helm template");
        let ours = ok(run("wheelhouse", &args), "wheelhouse template");
        assert!(
            helm == ours,
            "wheelhouse template differs from helm template for {extra:?}"
        );
    }
}

#[tokio::test]
async fn operator_chart_installs_onto_the_cluster() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    install_wheelhouse_crds(&client).await.expect("CRDs");
    let namespace = TestNamespace::create(&client, "ship-chart")
        .await
        .expect("ns");
    let release = format!("wh-{}", &namespace.name[namespace.name.len() - 6..]);
    ok(
        run(
            "helm",
            &[
                "install",
                &release,
                "charts/wheelhouse",
                "-n",
                &namespace.name,
                "--set",
                "replicaCount=1",
            ],
        ),
        "helm install",
    );
    let fullname = format!("{release}-wheelhouse");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace.name);
    let deployment = wait_for(
        &deployments,
        &fullname,
        "Deployment created",
        Duration::from_secs(60),
        |_: &Deployment| true,
    )
    .await
    .expect("deployment");
    let spec = deployment.spec.template.spec.expect("pod spec");
    assert_eq!(
        spec.service_account_name.as_deref(),
        Some(fullname.as_str())
    );
    Api::<ServiceAccount>::namespaced(client.clone(), &namespace.name)
        .get(&fullname)
        .await
        .expect("service account");
    let roles: Api<ClusterRole> = Api::all(client.clone());
    roles
        .get(&format!("{fullname}-manager"))
        .await
        .expect("manager ClusterRole");
    roles
        .get(&format!("{fullname}-chart-resources"))
        .await
        .expect("chart-resources ClusterRole");
    let status = ok(
        run(
            "helm",
            &["status", &release, "-n", &namespace.name, "-o", "json"],
        ),
        "helm status",
    );
    assert!(status.contains("\"status\":\"deployed\""), "{status}");
    ok(
        run("helm", &["uninstall", &release, "-n", &namespace.name]),
        "helm uninstall",
    );
    assert!(
        roles
            .get_opt(&format!("{fullname}-manager"))
            .await
            .expect("get")
            .is_none(),
        "cluster RBAC removed"
    );
}

#[tokio::test]
async fn kustomize_layout_applies_and_samples_are_accepted() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    install_wheelhouse_crds(&client).await.expect("CRDs");
    let rendered = ok(
        run("kubectl", &["kustomize", "config/default"]),
        "kubectl kustomize",
    );
    for kind in [
        "Namespace",
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
    ] {
        assert!(
            rendered.contains(&format!("kind: {kind}\n")),
            "config/default lacks a {kind}"
        );
    }
    ok(
        run(
            "kubectl",
            &[
                "apply",
                "--server-side",
                "--force-conflicts",
                "-k",
                "config/default",
            ],
        ),
        "kubectl apply -k config/default",
    );
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "wheelhouse-system");
    let deployment = deployments
        .get("wheelhouse")
        .await
        .expect("Deployment created");
    let container = &deployment.spec.template.spec.expect("pod").containers[0];
    assert!(
        container
            .args
            .as_ref()
            .expect("args")
            .iter()
            .any(|a| a == "--leader-elect")
    );
    let samples = ok(
        run(
            "kubectl",
            &["apply", "--dry-run=server", "-k", "config/samples"],
        ),
        "samples dry run",
    );
    assert!(
        samples.contains("helmrelease.helm.wheelhouse.dev/podinfo created (server dry run)"),
        "{samples}"
    );
    // Clean up what is not shared (the CRDs stay: other tests use them).
    for (kind, name) in [
        ("clusterrolebinding", "wheelhouse-manager"),
        ("clusterrolebinding", "wheelhouse-chart-resources"),
        ("clusterrole", "wheelhouse-manager"),
        ("clusterrole", "wheelhouse-chart-resources"),
        ("namespace", "wheelhouse-system"),
    ] {
        ok(
            run(
                "kubectl",
                &["delete", kind, name, "--ignore-not-found", "--wait=false"],
            ),
            "cleanup",
        );
    }
}

//! Crash safety (issue 7 test 4): the operator is SIGKILLed at varying points of upgrades
//! (before, during and after the pending record, mid-apply, mid-wait, before finalising) and
//! restarted; every time the release converges to `deployed` with no gap in history, no stuck
//! `pending-*` revision and the objects of the latest values in place.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition;
use wheelhouse::release::SecretStorage;
use wheelhouse_e2e::chart_server::{ChartServer, ServerOptions};
use wheelhouse_e2e::operator::Operator;
use wheelhouse_e2e::{TestNamespace, cluster, install_wheelhouse_crds, shared_dir, wait_for};

const KILLS: usize = 20;

#[tokio::test]
async fn killed_operator_always_converges_without_stuck_releases() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    install_wheelhouse_crds(&client).await.expect("CRDs");
    let namespace = TestNamespace::create(&client, "crash").await.expect("ns");
    let ns = namespace.name.as_str();

    let dir = std::env::temp_dir().join(format!("wheelhouse-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let dir_s = dir.to_str().expect("utf8");
    let podinfo = shared_dir().join("conformance/charts/podinfo");
    for args in [
        vec!["package", podinfo.to_str().expect("utf8"), "-d", dir_s],
        vec!["repo", "index", dir_s],
    ] {
        let output = cluster()
            .command(&cluster().helm)
            .args(&args)
            .output()
            .expect("helm");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let server = ChartServer::start(ServerOptions {
        root: dir.clone(),
        ..ServerOptions::default()
    });
    let repository: wheelhouse::api::HelmRepository = serde_json::from_value(json!({
        "apiVersion": "helm.wheelhouse.dev/v1", "kind": "HelmRepository",
        "metadata": {"name": "charts"}, "spec": {"url": server.url},
    }))
    .expect("repository");
    let release: HelmRelease = serde_json::from_value(json!({
        "apiVersion": "helm.wheelhouse.dev/v1", "kind": "HelmRelease",
        "metadata": {"name": "podinfo"},
        "spec": {
            "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
            "maxHistory": 0,
            "values": {"replicaCount": 1, "ui": {"message": "start"}},
        },
    }))
    .expect("release");
    Api::<wheelhouse::api::HelmRepository>::namespaced(client.clone(), ns)
        .create(&Default::default(), &repository)
        .await
        .expect("create repository");
    let releases: Api<HelmRelease> = Api::namespaced(client.clone(), ns);
    releases
        .create(&Default::default(), &release)
        .await
        .expect("create release");

    let args = ["--watch-namespace", ns];
    let mut operator = Operator::start("crash-0", &args).expect("operator");
    let converged = |message: String| {
        move |hr: &HelmRelease| {
            hr.status.as_ref().is_some_and(|s| {
                s.observed_generation == hr.metadata.generation
                    && condition::is_true(&s.conditions, condition::READY)
                    && !condition::is_true(&s.conditions, condition::RECONCILING)
                    && s.history.first().is_some_and(|h| h.status == "deployed")
            }) && hr
                .spec
                .values
                .as_ref()
                .is_some_and(|v| v["ui"]["message"] == message.as_str())
        }
    };
    wait_for(
        &releases,
        "podinfo",
        "installed",
        Duration::from_secs(90),
        converged("start".to_owned()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", operator.log_text()));

    let storage = SecretStorage::new(client.clone(), ns);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let mut recoveries = Vec::new();
    for kill in 1..=KILLS {
        let message = format!("kill-{kill}");
        releases
            .patch(
                "podinfo",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"values": {"ui": {"message": message}}}})),
            )
            .await
            .expect("patch");
        // Spread the kills over the upgrade: from before the reconcile starts to after it ends.
        tokio::time::sleep(Duration::from_millis(((kill * 37) % 400) as u64)).await;
        operator.kill();
        let restarted = Instant::now();
        operator = Operator::start(&format!("crash-{kill}"), &args).expect("operator");
        wait_for(
            &releases,
            "podinfo",
            &format!("converged after kill {kill}"),
            Duration::from_secs(90),
            converged(message.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("kill {kill}: {e}\n{}", operator.log_text()));
        recoveries.push(restarted.elapsed());

        let history = storage.history("podinfo").await.expect("history");
        let revisions: Vec<u32> = history.iter().map(|r| r.revision).collect();
        let expected: Vec<u32> = (1..=revisions.len() as u32).collect();
        assert_eq!(revisions, expected, "kill {kill}: gap in history");
        assert!(
            history.iter().all(|r| !r.info.status.is_pending()),
            "kill {kill}: stuck pending revision"
        );
        let latest = history.last().expect("latest");
        assert_eq!(latest.info.status.as_str(), "deployed", "kill {kill}");
        assert_eq!(
            latest.config["ui"]["message"],
            message.as_str(),
            "kill {kill}: latest values"
        );
        assert_eq!(
            history
                .iter()
                .filter(|r| r.info.status.as_str() == "deployed")
                .count(),
            1,
            "kill {kill}: one deployed revision"
        );
        let deployment = deployments.get("podinfo").await.expect("deployment exists");
        let env = deployment.spec.template.spec.expect("pod").containers[0]
            .env
            .clone()
            .unwrap_or_default();
        assert!(
            env.iter()
                .any(|e| e.value.as_deref() == Some(message.as_str())),
            "kill {kill}: the Deployment carries the latest values"
        );
    }
    let unlocked = storage
        .history("podinfo")
        .await
        .expect("history")
        .iter()
        .filter(|r| {
            r.info.description.contains("unlock") || r.info.description.contains("interrupted")
        })
        .count();
    let slowest = recoveries.iter().max().copied().unwrap_or_default();
    println!(
        "crash-safety: {KILLS} kills, all converged; {unlocked} revisions recovered from a pending state; slowest recovery {slowest:?}"
    );
}

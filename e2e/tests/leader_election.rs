//! Two `wheelhouse run --leader-elect` processes: only the Lease holder reconciles; when it is
//! killed, the standby takes the Lease within the lease duration and reconciling continues.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Client;
use kube::api::{Api, PostParams};
use serde_json::json;
use wheelhouse::api::HelmRepository;
use wheelhouse_e2e::operator::Operator;
use wheelhouse_e2e::{TestNamespace, cluster, install_wheelhouse_crds, wait_for};

const LEASE: &str = "wheelhouse-e2e-leader";

fn repository(name: &str) -> HelmRepository {
    // Nothing listens on port 9 (discard): every fetch fails fast, and the failure written
    // to status proves that a reconcile happened.
    serde_json::from_value(json!({
        "apiVersion": "helm.wheelhouse.dev/v1",
        "kind": "HelmRepository",
        "metadata": {"name": name},
        "spec": {"url": "http://127.0.0.1:9/charts", "timeout": "2s"},
    }))
    .unwrap_or_else(|e| panic!("sample: {e}"))
}

fn reconciled(repository: &HelmRepository) -> bool {
    repository
        .status
        .as_ref()
        .is_some_and(|s| !s.conditions.is_empty())
}

async fn holder(leases: &Api<Lease>) -> Option<String> {
    leases
        .get_opt(LEASE)
        .await
        .ok()
        .flatten()
        .and_then(|l| l.spec)
        .and_then(|s| s.holder_identity)
}

fn start(namespace: &str, name: &str) -> Operator {
    Operator::start(
        name,
        &[
            "--watch-namespace",
            namespace,
            "--leader-elect",
            "--leader-election-id",
            LEASE,
            "--leader-election-namespace",
            namespace,
        ],
    )
    .unwrap_or_else(|e| panic!("start {name}: {e}"))
}

#[tokio::test]
#[allow(clippy::expect_used, reason = "test")]
async fn only_the_leader_reconciles_and_a_standby_takes_over() {
    wheelhouse::tls::install_crypto_provider();
    let client: Client = cluster().client().await.expect("client");
    install_wheelhouse_crds(&client).await.expect("CRDs");
    let namespace = TestNamespace::create(&client, "leader").await.expect("ns");
    let repositories: Api<HelmRepository> = Api::namespaced(client.clone(), &namespace.name);
    let leases: Api<Lease> = Api::namespaced(client.clone(), &namespace.name);

    let mut first = start(&namespace.name, "leader-a");
    let mut second = start(&namespace.name, "leader-b");

    repositories
        .create(&PostParams::default(), &repository("before"))
        .await
        .expect("create");
    wait_for(
        &repositories,
        "before",
        "first reconcile",
        Duration::from_secs(60),
        reconciled,
    )
    .await
    .expect("the leader reconciles");

    // Exactly one process logged that it leads, and it is the Lease holder.
    let holder_identity = holder(&leases).await.expect("Lease has a holder");
    let leading: Vec<&Operator> = [&first, &second]
        .into_iter()
        .filter(|o| o.log_text().contains("became leader"))
        .collect();
    assert_eq!(
        leading.len(),
        1,
        "exactly one leader; logs:\n{}\n---\n{}",
        first.log_text(),
        second.log_text()
    );
    let first_leads = first.log_text().contains("became leader");
    let standby_log = if first_leads {
        second.log_text()
    } else {
        first.log_text()
    };
    assert!(
        !standby_log.contains("starting the HelmRepository controller"),
        "the standby must not run controllers:\n{standby_log}"
    );

    // Kill the leader (SIGKILL: no release of the Lease) and time the takeover.
    let killed_at = Instant::now();
    let (leader, standby) = if first_leads {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    leader.kill();
    let deadline = Duration::from_secs(15 + 20);
    loop {
        if standby.log_text().contains("became leader") {
            break;
        }
        assert!(
            killed_at.elapsed() < deadline,
            "standby did not take over within {deadline:?}:\n{}",
            standby.log_text()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let takeover = killed_at.elapsed();
    let new_holder = holder(&leases).await.expect("Lease has a holder");
    assert_ne!(new_holder, holder_identity, "the Lease changed hands");
    println!("leader-election: standby took over {takeover:?} after the leader was killed");

    repositories
        .create(&PostParams::default(), &repository("after"))
        .await
        .expect("create");
    wait_for(
        &repositories,
        "after",
        "reconcile by the new leader",
        Duration::from_secs(60),
        reconciled,
    )
    .await
    .expect("the new leader reconciles");
    assert!(!standby.has_exited(), "the new leader keeps running");
}

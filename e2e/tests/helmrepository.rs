//! The HelmRepository controller against the test chart server's failure switches (issue 5):
//! each case is a HelmRepository on the real cluster whose conditions must say what went wrong
//! with the reason a user can act on; the good cases (basic auth from a Secret, HTTPS with a CA
//! from `certSecretRef`) must become Ready with an artifact.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use serde_json::json;
use wheelhouse::api::HelmRepository;
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse_e2e::chart_server::{Behaviour, ChartServer, ServerOptions};
use wheelhouse_e2e::operator::Operator;
use wheelhouse_e2e::{TestNamespace, cluster, install_wheelhouse_crds, shared_dir, wait_for};

const TIMEOUT: Duration = Duration::from_secs(90);

fn repository(name: &str, url: &str, extra: serde_json::Value) -> HelmRepository {
    let mut spec = json!({"url": url, "timeout": "3s"});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(json!({
        "apiVersion": "helm.wheelhouse.dev/v1", "kind": "HelmRepository",
        "metadata": {"name": name}, "spec": spec,
    }))
    .expect("repository")
}

fn secret(name: &str, data: &[(&str, &str)]) -> Secret {
    Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            ..Default::default()
        },
        string_data: Some(
            data.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Default::default()
    }
}

fn ready_false(reason: &'static str, needle: &'static str) -> impl Fn(&HelmRepository) -> bool {
    move |r: &HelmRepository| {
        r.status.as_ref().is_some_and(|s| {
            find_condition(&s.conditions, condition::READY).is_some_and(|c| {
                c.status == "False" && c.reason == reason && c.message.contains(needle)
            })
        })
    }
}

fn ready_with_artifact(r: &HelmRepository) -> bool {
    r.status.as_ref().is_some_and(|s| {
        condition::is_true(&s.conditions, condition::READY)
            && s.artifact.as_ref().is_some_and(|a| a.charts >= 1)
    })
}

#[tokio::test]
async fn repository_conditions_name_each_server_failure() {
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    install_wheelhouse_crds(&client).await.expect("CRDs");
    let namespace = TestNamespace::create(&client, "helmrepo")
        .await
        .expect("ns");
    let ns = namespace.name.as_str();

    let dir = std::env::temp_dir().join(format!("wheelhouse-helmrepo-{}", std::process::id()));
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
    let serve = |options: ServerOptions| {
        ChartServer::start(ServerOptions {
            root: dir.clone(),
            ..options
        })
    };
    let plain = serve(ServerOptions::default());
    let auth = serve(ServerOptions {
        basic_auth: Some(("alice".into(), "s3cret".into())),
        ..ServerOptions::default()
    });
    let tls = serve(ServerOptions {
        tls: true,
        ..ServerOptions::default()
    });
    let failing = serve(ServerOptions::default());
    failing.set_behaviour("/index.yaml", Some(Behaviour::Status(500)));
    let slow = serve(ServerOptions::default());
    slow.set_behaviour(
        "/index.yaml",
        Some(Behaviour::Delay(Duration::from_secs(6))),
    );
    let looping = serve(ServerOptions::default());
    looping.set_behaviour("/index.yaml", Some(Behaviour::RedirectLoop));
    let bomb = serve(ServerOptions::default());
    let mut text = String::from(
        "apiVersion: v1\nserverInfo:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let item = format!("*a{}", level - 1);
        text.push_str(&format!(
            "  a{level}: &a{level} [{}]\n",
            [item.as_str(); 9].join(", ")
        ));
    }
    text.push_str("entries: {}\n");
    bomb.set_behaviour("/index.yaml", Some(Behaviour::Body(text.into_bytes())));
    let big = serve(ServerOptions::default());
    let mut body = b"apiVersion: v1\nentries: {}\n#".to_vec();
    body.resize(2 * 1024 * 1024, b'x');
    big.set_behaviour("/index.yaml", Some(Behaviour::Body(body)));

    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    secrets
        .create(
            &PostParams::default(),
            &secret("auth", &[("username", "alice"), ("password", "s3cret")]),
        )
        .await
        .expect("secret");
    secrets
        .create(
            &PostParams::default(),
            &secret("wrong-auth", &[("username", "alice"), ("password", "nope")]),
        )
        .await
        .expect("secret");
    secrets
        .create(
            &PostParams::default(),
            &secret("ca", &[("ca.crt", tls.ca_pem.as_deref().expect("ca"))]),
        )
        .await
        .expect("secret");

    let repositories: Api<HelmRepository> = Api::namespaced(client.clone(), ns);
    let cases = [
        repository("plain", &plain.url, json!({})),
        repository("auth", &auth.url, json!({"secretRef": {"name": "auth"}})),
        repository("no-credentials", &auth.url, json!({})),
        repository(
            "wrong-credentials",
            &auth.url,
            json!({"secretRef": {"name": "wrong-auth"}}),
        ),
        repository("https", &tls.url, json!({"certSecretRef": {"name": "ca"}})),
        repository("https-untrusted", &tls.url, json!({})),
        repository("server-error", &failing.url, json!({})),
        repository("slow", &slow.url, json!({})),
        repository("redirect-loop", &looping.url, json!({})),
        repository("alias-bomb", &bomb.url, json!({})),
        repository("too-large", &big.url, json!({})),
    ];
    for case in &cases {
        repositories
            .create(&PostParams::default(), case)
            .await
            .expect("create");
    }
    let operator = Operator::start(
        "helmrepo",
        &["--watch-namespace", ns, "--max-index-size", "1Mi"],
    )
    .expect("operator");
    let log = || operator.log_text();

    for name in ["plain", "auth", "https"] {
        wait_for(
            &repositories,
            name,
            "Ready with an artifact",
            TIMEOUT,
            ready_with_artifact,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}\n{}", log()));
    }
    let failures: [(&str, &'static str, &'static str); 8] = [
        ("no-credentials", "Unauthorized", "401"),
        (
            "wrong-credentials",
            "Unauthorized",
            "check the repository credentials",
        ),
        ("https-untrusted", "FetchFailed", "certificate"),
        ("server-error", "FetchFailed", "500"),
        ("slow", "Timeout", "timed out"),
        ("redirect-loop", "TooManyRedirects", "too many redirects"),
        ("alias-bomb", "IndexParseFailed", "aliasing"),
        (
            "too-large",
            "TooLarge",
            "larger than the limit of 1048576 bytes",
        ),
    ];
    for (name, reason, needle) in failures {
        wait_for(
            &repositories,
            name,
            reason,
            TIMEOUT,
            ready_false(reason, needle),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}\n{}", log()));
    }
    let events = cluster()
        .command(&cluster().kubectl)
        .args(["get", "events", "-n", ns, "-o", "json"])
        .output()
        .expect("kubectl");
    let events = String::from_utf8_lossy(&events.stdout);
    for reason in [
        "NewArtifact",
        "Unauthorized",
        "Timeout",
        "TooManyRedirects",
        "IndexParseFailed",
        "TooLarge",
    ] {
        assert!(
            events.contains(&format!("\"reason\": \"{reason}\"")),
            "no Event with reason {reason}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

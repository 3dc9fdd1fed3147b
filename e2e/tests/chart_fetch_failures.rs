//! Chart fetch failures through the operator (issue 5's server switches, on the local
//! cluster): a truncated chart archive, an archive whose digest does not match the index and an
//! archive with a path-traversal entry each leave the HelmRelease Ready=False with the reason
//! and a message naming the problem, an Event, the HelmRepository itself Ready, and nothing in
//! the chart cache; once the server behaves, the chart is fetched, cached under its digest and
//! released.
#![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use kube::api::Api;
use sha2::{Digest as _, Sha256};
use wheelhouse::api::condition::{self, find_condition};
use wheelhouse::api::{HelmRelease, HelmRepository};
use wheelhouse_e2e::chart_server::{Behaviour, path_traversal_archive};
use wheelhouse_e2e::release_fixture::{
    ReleaseSetup, ScratchDir, apply_yaml, chart_release, is_ready_at, ok, podinfo_release,
    ready_status, repository_yaml, request_reconcile, run,
};
use wheelhouse_e2e::wait_for;

const TIMEOUT: Duration = Duration::from_secs(90);

fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// The archives in the operator's chart cache directory, by file name.
fn cached_archives(cache: &Path) -> BTreeSet<String> {
    std::fs::read_dir(cache)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".tgz"))
                .collect()
        })
        .unwrap_or_default()
}

/// The single file in `repo` whose name starts with `prefix`.
fn archive_named(repo: &Path, prefix: &str) -> String {
    std::fs::read_dir(repo)
        .expect("repo dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .find(|n| n.starts_with(prefix) && n.ends_with(".tgz"))
        .unwrap_or_else(|| panic!("no {prefix}*.tgz in {}", repo.display()))
}

fn ready_false_with(
    reason: &'static str,
    needle: String,
) -> impl Fn(&HelmRelease) -> bool + Send + 'static {
    move |hr: &HelmRelease| {
        ready_status(hr).is_some_and(|(status, r, message)| {
            status == "False" && r == reason && message.contains(&needle)
        })
    }
}

#[tokio::test]
async fn broken_chart_archives_fail_the_release_and_stay_out_of_the_cache() {
    let cache = ScratchDir::create("fetch-cache");
    let cache_dir = cache.0.join("charts");
    let setup = ReleaseSetup::start(
        "hr-fetch",
        &[],
        &["--chart-cache-dir", cache_dir.to_str().expect("utf8")],
    )
    .await;
    let ns = setup.ns().to_owned();
    let repo = setup.dir.0.join("repo");

    // The index as the real `helm repo index` wrote it, then made to lie: `broken`'s digest is
    // another archive's, and an `evil` chart is listed with its true digest.
    let broken_archive = archive_named(&repo, "broken-");
    let broken_digest = sha256_hex(&std::fs::read(repo.join(&broken_archive)).expect("read"));
    let wrong_digest = sha256_hex(b"not the archive");
    let evil = path_traversal_archive();
    std::fs::write(repo.join("evil-0.1.0.tgz"), &evil).expect("write evil");
    let index = std::fs::read_to_string(repo.join("index.yaml")).expect("index");
    assert!(index.contains(&broken_digest), "helm wrote broken's digest");
    let evil_entry = format!(
        "entries:\n  evil:\n  - apiVersion: v2\n    created: \"2024-01-01T00:00:00Z\"\n    digest: {}\n    name: evil\n    urls:\n    - evil-0.1.0.tgz\n    version: 0.1.0\n",
        sha256_hex(&evil)
    );
    std::fs::write(
        repo.join("index.yaml"),
        index
            .replace(&broken_digest, &wrong_digest)
            .replacen("entries:\n", &evil_entry, 1),
    )
    .expect("write index");

    // podinfo's archive is cut in half on the wire.
    let podinfo_archive = archive_named(&repo, "podinfo-");
    let podinfo_digest = sha256_hex(&std::fs::read(repo.join(&podinfo_archive)).expect("read"));
    let podinfo_path = format!("/{podinfo_archive}");
    setup
        .server
        .set_behaviour(&podinfo_path, Some(Behaviour::Truncate));

    apply_yaml(&ns, &repository_yaml(&setup.server.url));
    apply_yaml(&ns, &podinfo_release("truncated", ""));
    apply_yaml(
        &ns,
        &chart_release("mismatch", "broken", "1.0.0", "  values:\n    needed: x\n"),
    );
    apply_yaml(&ns, &chart_release("evil", "evil", "*", ""));

    let releases: Api<HelmRelease> = Api::namespaced(setup.client.clone(), &ns);
    let with_log =
        |e: wheelhouse_e2e::Error| panic!("{e}\noperator log:\n{}", setup.operator.log_text());
    let truncated = wait_for(
        &releases,
        "truncated",
        "truncated archive reported",
        TIMEOUT,
        ready_false_with("FetchFailed", podinfo_archive.clone()),
    )
    .await
    .unwrap_or_else(with_log);
    let mismatch = wait_for(
        &releases,
        "mismatch",
        "digest mismatch reported",
        TIMEOUT,
        ready_false_with(
            "DigestMismatch",
            format!(
                "chart archive digest mismatch: index says sha256:{wrong_digest}, downloaded sha256:{broken_digest}"
            ),
        ),
    )
    .await
    .unwrap_or_else(with_log);
    let hostile = wait_for(
        &releases,
        "evil",
        "path traversal reported",
        TIMEOUT,
        ready_false_with("InvalidChartArchive", "escape.txt".to_owned()),
    )
    .await
    .unwrap_or_else(with_log);
    for hr in [&truncated, &mismatch, &hostile] {
        let (_, reason, message) = ready_status(hr).expect("ready");
        println!("{}: {reason}: {message}", kube::ResourceExt::name_any(hr));
        assert!(
            hr.status.as_ref().is_some_and(|s| s.history.is_empty()),
            "nothing released"
        );
    }

    // The repository itself is fine: its index was fetched and parsed.
    let repositories: Api<HelmRepository> = Api::namespaced(setup.client.clone(), &ns);
    let repository = repositories.get("charts").await.expect("repository");
    let ready = repository
        .status
        .as_ref()
        .and_then(|s| find_condition(&s.conditions, condition::READY))
        .expect("repository Ready condition");
    assert_eq!(ready.status, "True", "{}", ready.message);

    // One Event per failure, with the same reasons.
    let events = ok(
        run("kubectl", &["get", "events", "-n", &ns, "-o", "json"], None),
        "kubectl get events",
    );
    for reason in ["FetchFailed", "DigestMismatch", "InvalidChartArchive"] {
        assert!(
            events.contains(&format!("\"reason\": \"{reason}\"")),
            "no Event with reason {reason}"
        );
    }

    // Nothing that failed verification reached the cache.
    assert_eq!(cached_archives(&cache_dir), BTreeSet::new());
    assert!(
        !cache.0.join("escape.txt").exists() && !setup.dir.0.join("escape.txt").exists(),
        "no file written outside the chart"
    );

    // The server behaves again: podinfo is fetched whole, cached under its digest, released.
    setup.server.set_behaviour(&podinfo_path, None);
    request_reconcile(&ns, "hr/truncated", "whole");
    wait_for(&releases, "truncated", "released", TIMEOUT, is_ready_at(1))
        .await
        .unwrap_or_else(with_log);
    assert_eq!(
        cached_archives(&cache_dir),
        BTreeSet::from([format!("{podinfo_digest}.tgz")])
    );
}

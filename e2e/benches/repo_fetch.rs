//! Time to resolve and fetch a chart, uncached versus cached (`wheelhouse::repo`).
//!
//! Serves the corpus charts `podinfo` and `grafana`, packaged and indexed by the real `helm`,
//! from the test chart server on loopback. Each iteration resolves the chart in the parsed
//! index and calls `fetch_chart`: "uncached" with an empty cache (download, digest check,
//! archive check, cache insert), "cached" with the archive already cached (digest lookup and
//! re-hash of the cached file, no request). Also the index fetch + parse. Prints medians.
//!
//! Run: `cargo bench -p wheelhouse-e2e --bench repo_fetch` (needs the e2e tools for `helm`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use wheelhouse::repo::http::{IndexFetch, RepositoryOptions};
use wheelhouse::repo::index::Index;
use wheelhouse::repo::{ChartCache, RepositoryClient, fetch_chart};
use wheelhouse_e2e::chart_server::{ChartServer, ServerOptions};

const ITERATIONS: usize = 30;

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn helm(dir: &Path, args: &[&str]) {
    let helm = wheelhouse_e2e::tools_dir().join("helm");
    let status = Command::new(helm)
        .args(args)
        .env("HELM_CONFIG_HOME", dir.join("config"))
        .env("HELM_CACHE_HOME", dir.join("cache"))
        .env("HELM_DATA_HOME", dir.join("data"))
        .status();
    assert!(status.is_ok_and(|s| s.success()), "helm {args:?} failed");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let scratch =
        std::env::temp_dir().join(format!("wheelhouse-bench-fetch-{}", std::process::id()));
    let repo = scratch.join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    let corpus = wheelhouse_e2e::shared_dir().join("conformance/charts");
    for chart in ["podinfo", "grafana"] {
        let src = corpus.join(chart);
        helm(
            &scratch,
            &[
                "package",
                src.to_str().expect("utf8"),
                "-d",
                repo.to_str().expect("utf8"),
            ],
        );
    }
    helm(&scratch, &["repo", "index", repo.to_str().expect("utf8")]);
    let server = ChartServer::start(ServerOptions {
        root: repo.clone(),
        ..ServerOptions::default()
    });
    let client = RepositoryClient::new(RepositoryOptions::new(&server.url)).expect("client");

    let mut index_times = Vec::new();
    let mut index = None;
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        let IndexFetch::Fetched(fetched) = client.fetch_index(None).await.expect("index") else {
            panic!("want a body");
        };
        index = Some(Index::parse(&fetched.data).expect("parse"));
        index_times.push(t.elapsed());
    }
    let index = index.expect("index");
    println!("index fetch + parse: median {:.2} ms", median(index_times));

    for chart in ["podinfo", "grafana"] {
        let size = index
            .resolve(chart, "")
            .ok()
            .and_then(|v| std::fs::metadata(repo.join(format!("{chart}-{}.tgz", v.version))).ok())
            .map(|m| m.len())
            .unwrap_or(0);
        let mut uncached = Vec::new();
        for i in 0..ITERATIONS {
            let cache = ChartCache::open(scratch.join(format!("cold-{chart}-{i}")), 1 << 30)
                .expect("cache");
            let t = Instant::now();
            let version = index.resolve(chart, "").expect("resolve");
            let fetched = fetch_chart(&client, Some(&cache), chart, version)
                .await
                .expect("fetch");
            uncached.push(t.elapsed());
            assert!(!fetched.from_cache);
        }
        let cache =
            ChartCache::open(scratch.join(format!("warm-{chart}")), 1 << 30).expect("cache");
        let version = index.resolve(chart, "").expect("resolve");
        fetch_chart(&client, Some(&cache), chart, version)
            .await
            .expect("warm up");
        let mut cached = Vec::new();
        for _ in 0..ITERATIONS {
            let t = Instant::now();
            let version = index.resolve(chart, "").expect("resolve");
            let fetched = fetch_chart(&client, Some(&cache), chart, version)
                .await
                .expect("fetch");
            cached.push(t.elapsed());
            assert!(fetched.from_cache);
        }
        println!(
            "{chart} ({:.1} KiB archive): resolve + fetch uncached median {:.2} ms, cached median {:.3} ms",
            size as f64 / 1024.0,
            median(uncached),
            median(cached)
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&scratch);
}

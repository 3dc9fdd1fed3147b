//! Waits until N HelmReleases in the given namespaces are Ready, for `e2e/bench/scale.sh`:
//! `wheelhouse-scale-wait N TIMEOUT_SECONDS NAMESPACE...`. One watch over every namespace (a
//! `kubectl wait` per object costs a request each, and polling lists of N objects loads the
//! API server and the machine), so the time it returns is when the last release became Ready.
//! Uses the cluster of `KUBECONFIG`. Exits 0 when N are Ready, 1 on timeout (printing how many
//! were) or error.

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;
use std::time::Duration;

use futures::TryStreamExt;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use wheelhouse::api::HelmRelease;
use wheelhouse::api::condition;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(timeout), namespaces) = (
        args.first().and_then(|a| a.parse::<usize>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
        args.iter().skip(2).cloned().collect::<BTreeSet<String>>(),
    ) else {
        eprintln!("usage: wheelhouse-scale-wait N TIMEOUT_SECONDS NAMESPACE...");
        return ExitCode::from(2);
    };
    wheelhouse::tls::install_crypto_provider();
    let client = match Client::try_default().await {
        Ok(client) => client,
        Err(error) => {
            eprintln!("wheelhouse-scale-wait: {error}");
            return ExitCode::FAILURE;
        }
    };
    let api: Api<HelmRelease> = Api::all(client);
    let mut ready: HashMap<(String, String), bool> = HashMap::new();
    let count = |ready: &HashMap<(String, String), bool>| ready.values().filter(|r| **r).count();
    let stream = watcher(api, watcher::Config::default()).applied_objects();
    let watched = tokio::time::timeout(Duration::from_secs(timeout), async {
        let mut stream = std::pin::pin!(stream);
        while let Some(hr) = stream.try_next().await? {
            let namespace = hr.namespace().unwrap_or_default();
            if !namespaces.contains(&namespace) {
                continue;
            }
            let is_ready = hr
                .status
                .as_ref()
                .is_some_and(|s| condition::is_true(&s.conditions, condition::READY));
            ready.insert((namespace, hr.name_any()), is_ready);
            if count(&ready) >= n {
                return Ok(());
            }
        }
        Ok::<(), watcher::Error>(())
    })
    .await;
    match watched {
        Ok(Ok(())) if count(&ready) >= n => ExitCode::SUCCESS,
        Ok(Ok(())) => {
            eprintln!("wheelhouse-scale-wait: the watch ended");
            ExitCode::FAILURE
        }
        Ok(Err(error)) => {
            eprintln!("wheelhouse-scale-wait: watch failed: {error}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!(
                "wheelhouse-scale-wait: {} of {n} Ready after {timeout} s",
                count(&ready)
            );
            ExitCode::FAILURE
        }
    }
}

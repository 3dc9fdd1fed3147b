//! Timing of Wheelhouse's release actions against the real `helm` on the same cluster, for
//! podinfo: install, no-op upgrade, upgrade with one changed object, uninstall. Each side
//! waits for readiness (Wheelhouse by kstatus; `helm --wait=watcher`) and for deletion on
//! uninstall (`helm uninstall --wait`). Prints the median and range of wall-clock times over
//! `RUNS` rounds (first argument, default 5), each round in a fresh namespace.
//!
//! Run through `e2e/bench/actions.sh`. `helm`'s figures include its process start-up (about
//! what a CLI user pays); Wheelhouse's are in-process calls with one shared client.

#![allow(clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use wheelhouse::action::{
    self, ChartInput, InstallOptions, Releaser, UninstallOptions, UpgradeOptions,
};
use wheelhouse::chart::load::{Limits, load_dir};
use wheelhouse_e2e::{TestNamespace, cluster, error_chain, shared_dir};

const STEPS: [&str; 4] = [
    "install",
    "upgrade (no change)",
    "upgrade (one object changed)",
    "uninstall",
];

fn helm(args: &[&str]) -> Duration {
    let cluster = cluster();
    let start = Instant::now();
    let output = cluster
        .command(&cluster.helm)
        .args(args)
        .output()
        .expect("run helm");
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "{:>8.0} ms  ({:.0}-{:.0})",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    )
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    wheelhouse::tls::install_crypto_provider();
    let client = cluster().client().await.expect("client");
    let dir = shared_dir().join("conformance/charts/podinfo");
    let dir_text = dir.display().to_string();
    let chart = load_dir(&dir, &Limits::default()).expect("podinfo");
    let base: Map<String, Value> = Map::new();
    let changed: Map<String, Value> = json!({"ui": {"message": "changed"}})
        .as_object()
        .cloned()
        .expect("map");
    let timeout = Duration::from_secs(120);
    let mut ours: Vec<Vec<Duration>> = vec![Vec::new(); 4];
    let mut theirs: Vec<Vec<Duration>> = vec![Vec::new(); 4];
    let mut helm_list: Vec<Duration> = Vec::new();
    for _ in 0..runs {
        let ns = TestNamespace::create(&client, "bench-ours")
            .await
            .expect("ns");
        let releaser = Releaser::new(client.clone(), &ns.name, 10);
        let mut install = InstallOptions::new("podinfo", &ns.name);
        install.timeout = timeout;
        let mut upgrade = UpgradeOptions::new("podinfo");
        upgrade.timeout = timeout;
        let mut uninstall = UninstallOptions::new("podinfo");
        uninstall.timeout = timeout;
        let fail = |e: action::ActionError| panic!("{}", error_chain(&e));
        let start = Instant::now();
        action::install(
            &releaser,
            ChartInput {
                chart: &chart,
                values: &base,
            },
            &install,
        )
        .await
        .unwrap_or_else(fail);
        ours[0].push(start.elapsed());
        let start = Instant::now();
        action::upgrade(
            &releaser,
            ChartInput {
                chart: &chart,
                values: &base,
            },
            &upgrade,
        )
        .await
        .unwrap_or_else(fail);
        ours[1].push(start.elapsed());
        let start = Instant::now();
        action::upgrade(
            &releaser,
            ChartInput {
                chart: &chart,
                values: &changed,
            },
            &upgrade,
        )
        .await
        .unwrap_or_else(fail);
        ours[2].push(start.elapsed());
        let start = Instant::now();
        action::uninstall(&releaser, &uninstall)
            .await
            .unwrap_or_else(fail);
        ours[3].push(start.elapsed());

        let ns = TestNamespace::create(&client, "bench-helm")
            .await
            .expect("ns");
        let n = ns.name.as_str();
        let wait = ["--wait=watcher", "--timeout", "120s"];
        theirs[0].push(helm(
            &[&["install", "podinfo", &dir_text, "-n", n][..], &wait].concat(),
        ));
        theirs[1].push(helm(
            &[&["upgrade", "podinfo", &dir_text, "-n", n][..], &wait].concat(),
        ));
        theirs[2].push(helm(
            &[
                &[
                    "upgrade",
                    "podinfo",
                    &dir_text,
                    "-n",
                    n,
                    "--set",
                    "ui.message=changed",
                ][..],
                &wait,
            ]
            .concat(),
        ));
        theirs[3].push(helm(&[
            "uninstall",
            "podinfo",
            "-n",
            n,
            "--wait",
            "--timeout",
            "120s",
        ]));
        helm_list.push(helm(&["list", "-n", n]));
    }
    println!("podinfo, {runs} rounds, median (min-max) wall time");
    println!(
        "{:<30} {:>26} {:>26}",
        "action", "wheelhouse", "helm v4.3.1"
    );
    for (i, step) in STEPS.iter().enumerate() {
        println!(
            "{:<30} {:>26} {:>26}",
            step,
            summary(&mut ours[i]),
            summary(&mut theirs[i])
        );
    }
    println!(
        "{:<30} {:>26} {:>26}",
        "helm start-up (`helm list`)",
        "",
        summary(&mut helm_list)
    );
}

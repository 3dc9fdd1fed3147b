//! Memory and time of reading a large chart repository index (`wheelhouse::repo::index`).
//!
//! Generates a realistic index of 20,000 chart versions (500 charts × 40 versions, entries
//! shaped like Bitnami's: annotations, dependencies, maintainers, keywords, sources, a
//! description, icon, digest, created, urls) in a child process, then in a fresh process:
//! reads the file, parses it, and prints
//! - the file size,
//! - peak memory while loading: the process's peak RSS (`VmHWM`) minus its RSS before the
//!   file was read (file bytes included: the fetcher holds them during parsing),
//! - resident memory after: live heap bytes of the parsed index once the file bytes are
//!   dropped (counted by `stats_alloc`), and the RSS growth for comparison,
//! - parse time (median of 5) and resolve time.
//!
//! Run: `cargo bench --bench repo_index` (targets: peak ≤ 3× and resident ≤ 1× file size).

use std::alloc::System;
use std::fmt::Write as _;
use std::time::Instant;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use wheelhouse::repo::index::Index;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CHARTS: usize = 500;
const VERSIONS: usize = 40;
const GENERATE_ENV: &str = "WHEELHOUSE_BENCH_GENERATE_INDEX";

fn generate() -> String {
    let categories = [
        "Database",
        "Analytics",
        "Infrastructure",
        "WebServer",
        "CMS",
    ];
    let mut out = String::from("apiVersion: v1\nentries:\n");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hex = || {
        let mut s = String::with_capacity(64);
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let _ = write!(s, "{seed:016x}");
        }
        s
    };
    for c in 0..CHARTS {
        let name = format!("chart-{c:03}");
        let _ = writeln!(out, "  {name}:");
        for v in (0..VERSIONS).rev() {
            let version = format!("{}.{}.{}", 10 + v / 10, v % 10, c % 7);
            let app = format!("{}.{}.{}", 1 + v / 8, v % 8, 3);
            let category = categories[c % categories.len()];
            let digest = hex();
            let _ = write!(
                out,
                "  - annotations:\n      category: {category}\n      images: |\n        - name: {name}\n          image: docker.io/bitnami/{name}:{app}-debian-12-r{v}\n        - name: os-shell\n          image: docker.io/bitnami/os-shell:12-debian-12-r{c}\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: {app}\n    created: \"2024-{:02}-{:02}T12:34:56.{:09}Z\"\n    dependencies:\n    - name: common\n      repository: oci://registry-1.docker.io/bitnamicharts\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    description: {name} is an open source project that provides a high-performance service for {category} workloads, packaged by Bitnami.\n    digest: {digest}\n    home: https://bitnami.com\n    icon: https://bitnami.com/assets/stacks/{name}/img/{name}-stack-220x234.png\n    keywords:\n    - {name}\n    - {}\n    - bitnami\n    maintainers:\n    - name: Broadcom, Inc. All Rights Reserved.\n      url: https://github.com/bitnami/charts\n    name: {name}\n    sources:\n    - https://github.com/bitnami/charts/tree/main/bitnami/{name}\n    urls:\n    - https://charts.bitnami.com/bitnami/{name}-{version}.tgz\n    version: {version}\n",
                1 + v % 12,
                1 + c % 28,
                (c * 7919 + v) % 1_000_000_000,
                category.to_lowercase(),
            );
        }
    }
    out.push_str("generated: \"2024-06-01T00:00:00Z\"\n");
    out
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let path = std::env::temp_dir().join(format!(
        "wheelhouse-bench-index-{}.yaml",
        std::process::id()
    ));
    if let Some(target) = std::env::var_os(GENERATE_ENV) {
        if let Err(e) = std::fs::write(&target, generate()) {
            eprintln!("cannot write {}: {e}", target.to_string_lossy());
            std::process::exit(1);
        }
        return;
    }
    // Generate in a child so this process's peak RSS reflects only the load.
    let status = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .env(GENERATE_ENV, &path)
            .status()
    });
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("generating the index failed");
        std::process::exit(1);
    }

    let rss_before = status_kib("VmRSS:") * 1024;
    let region = Region::new(GLOBAL);
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("read: {e}");
            std::process::exit(1);
        }
    };
    let file_size = data.len() as u64;
    let started = Instant::now();
    let index = match Index::parse(&data) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("parse: {e}");
            std::process::exit(1);
        }
    };
    let first_parse = started.elapsed();
    let peak = status_kib("VmHWM:") * 1024 - rss_before;
    drop(data);
    let stats = region.change();
    // stats_alloc counts realloc growth in bytes_allocated and shrinkage in
    // bytes_deallocated already.
    let live = stats.bytes_allocated as i64 - stats.bytes_deallocated as i64;
    let rss_after = (status_kib("VmRSS:") * 1024).saturating_sub(rss_before);

    let data = std::fs::read(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let again = Index::parse(&data).map(|i| i.version_count()).unwrap_or(0);
        times.push(t.elapsed());
        assert_eq!(again, CHARTS * VERSIONS);
    }
    times.sort();
    let t = Instant::now();
    let mut resolved = 0;
    for c in 0..CHARTS {
        if index.resolve(&format!("chart-{c:03}"), "^12").is_ok() {
            resolved += 1;
        }
    }
    let resolve_each = t.elapsed() / CHARTS as u32;

    println!(
        "index: {} charts, {} versions",
        index.chart_count(),
        index.version_count()
    );
    println!("file size:                     {:>8.2} MiB", mib(file_size));
    println!(
        "peak while loading (RSS HWM):  {:>8.2} MiB  ({:.2}x file size, file bytes included)",
        mib(peak),
        peak as f64 / file_size as f64
    );
    println!(
        "resident after (live heap):    {:>8.2} MiB  ({:.2}x file size)",
        mib(live.max(0) as u64),
        live as f64 / file_size as f64
    );
    println!(
        "resident after (RSS growth):   {:>8.2} MiB  ({:.2}x file size, allocator-retained memory included)",
        mib(rss_after),
        rss_after as f64 / file_size as f64
    );
    println!(
        "parse time: first {:.0} ms, median of 5 {:.0} ms",
        first_parse.as_secs_f64() * 1e3,
        times[2].as_secs_f64() * 1e3
    );
    println!(
        "resolve ^12 per chart: {:.1} µs ({resolved} charts resolved)",
        resolve_each.as_secs_f64() * 1e6
    );
}

//! Runs one `wheelhouse::action::upgrade` in its own process, so that a test can kill it
//! mid-action (issue 6, test 8): `wheelhouse-action-upgrade NAMESPACE RELEASE CHART_DIR
//! VALUES_JSON`. Uses the cluster of `KUBECONFIG`. Exits 0 on success, 1 on failure.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Map, Value};
use wheelhouse::action::{self, ChartInput, Releaser, UpgradeOptions};
use wheelhouse::chart::load::{Limits, load_dir};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [namespace, release, chart_dir, values] = args.as_slice() else {
        eprintln!("usage: wheelhouse-action-upgrade NAMESPACE RELEASE CHART_DIR VALUES_JSON");
        return ExitCode::from(2);
    };
    wheelhouse::tls::install_crypto_provider();
    let result = async {
        let client = kube::Client::try_default()
            .await
            .map_err(|e| e.to_string())?;
        let chart =
            load_dir(Path::new(chart_dir), &Limits::default()).map_err(|e| e.to_string())?;
        let values: Map<String, Value> = serde_json::from_str(values).map_err(|e| e.to_string())?;
        let releaser = Releaser::new(client, namespace, 10);
        let mut options = UpgradeOptions::new(release);
        options.timeout = Duration::from_secs(300);
        action::upgrade(
            &releaser,
            ChartInput {
                chart: &chart,
                values: &values,
            },
            &options,
        )
        .await
        .map_err(|e| wheelhouse_e2e::error_chain(&e))
    }
    .await;
    match result {
        Ok(outcome) => {
            println!("revision {} {}", outcome.revision, outcome.status);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

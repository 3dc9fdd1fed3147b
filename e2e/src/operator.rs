//! A `wheelhouse run` process for end-to-end tests: started against the local cluster on free
//! loopback ports, its log kept in a file, killed (SIGKILL) on drop or on request so crash
//! tests can restart it.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Stdio};

use crate::{Error, Result, cluster, repo_root};

/// The `wheelhouse` binary under test: `WHEELHOUSE_BIN` when set, else the workspace's
/// `target/debug/wheelhouse` (e2e/test.sh builds it before the end-to-end tests).
pub fn operator_binary() -> PathBuf {
    std::env::var_os("WHEELHOUSE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo_root().join("target"));
            target.join("debug/wheelhouse")
        })
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|source| Error::Spawn {
        program: "a loopback listener".to_owned(),
        source,
    })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| Error::Spawn {
            program: "a loopback listener".to_owned(),
            source,
        })
}

/// A running operator process.
#[derive(Debug)]
pub struct Operator {
    child: Child,
    /// The log file (stdout and stderr).
    pub log: PathBuf,
    /// Port of `/metrics` on 127.0.0.1.
    pub metrics_port: u16,
    /// Port of `/healthz` and `/readyz` on 127.0.0.1.
    pub probe_port: u16,
}

impl Operator {
    /// Starts `wheelhouse run --kubeconfig <admin> <args>` with JSON logs at debug level for
    /// Wheelhouse, logging to a file named after `name` in the system temp directory.
    ///
    /// # Errors
    /// [`Error::Spawn`] when the binary cannot be started.
    pub fn start(name: &str, args: &[&str]) -> Result<Operator> {
        let cluster = cluster();
        let metrics_port = free_port()?;
        let probe_port = free_port()?;
        let log = std::env::temp_dir().join(format!(
            "wheelhouse-e2e-{name}-{}-{metrics_port}.log",
            std::process::id()
        ));
        let spawn_error = |source| Error::Spawn {
            program: operator_binary().display().to_string(),
            source,
        };
        let file = File::create(&log).map_err(spawn_error)?;
        let err = file.try_clone().map_err(spawn_error)?;
        let child = cluster
            .command(operator_binary())
            .arg("--log-level")
            .arg("info,wheelhouse=debug")
            .arg("run")
            .arg("--kubeconfig")
            .arg(&cluster.kubeconfig)
            .arg("--metrics-bind-address")
            .arg(format!("127.0.0.1:{metrics_port}"))
            .arg("--health-probe-bind-address")
            .arg(format!("127.0.0.1:{probe_port}"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(spawn_error)?;
        Ok(Operator {
            child,
            log,
            metrics_port,
            probe_port,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills the process with SIGKILL (a crash) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

//! A real OCI registry for tests: the CNCF distribution registry (`registry`, built from its Go
//! module by `e2e/cluster.sh build`), started on a free loopback port with filesystem storage
//! in a scratch directory, optionally with htpasswd basic auth. Stopped (by its pid) on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `registry` binary: beside the other tools when that directory has it, else from this
/// work tree's `e2e/cluster.sh build` (which builds and caches it).
///
/// # Panics
/// When the tools cannot be built.
pub fn registry_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(dir) = std::env::var_os("WHEELHOUSE_E2E_BIN") {
                let candidate = PathBuf::from(dir).join("registry");
                if candidate.exists() {
                    return candidate;
                }
            }
            let script = crate::repo_root().join("e2e/cluster.sh");
            let output = Command::new("bash")
                .arg(&script)
                .arg("build")
                .env_remove("WHEELHOUSE_E2E_BIN")
                .output()
                .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
            assert!(
                output.status.success(),
                "e2e/cluster.sh build failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join("registry")
        })
        .clone()
}

/// A running registry.
#[derive(Debug)]
pub struct OciRegistry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    child: Child,
    dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// `GET /v2/` status code, if the registry answers.
fn probe(host: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(
            format!("GET /v2/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

impl OciRegistry {
    /// Starts a registry storing under `dir` (created), with htpasswd auth for
    /// `credentials` when given; waits until `/v2/` answers.
    ///
    /// # Panics
    /// When the registry does not start within 30 s (its log is in `dir/registry.log`).
    pub fn start(dir: &Path, credentials: Option<(&str, &str)>) -> OciRegistry {
        OciRegistry::start_with_tls(dir, credentials, None)
    }

    /// Like [`OciRegistry::start`], serving HTTPS with `tls` = (certificate PEM, key PEM) when
    /// given.
    ///
    /// # Panics
    /// As [`OciRegistry::start`].
    pub fn start_with_tls(
        dir: &Path,
        credentials: Option<(&str, &str)>,
        tls: Option<(&str, &str)>,
    ) -> OciRegistry {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n",
            dir.join("data").display()
        );
        if let Some((cert, key)) = tls {
            let cert_path = dir.join("tls.crt");
            let key_path = dir.join("tls.key");
            std::fs::write(&cert_path, cert).unwrap_or_else(|e| panic!("cert: {e}"));
            std::fs::write(&key_path, key).unwrap_or_else(|e| panic!("key: {e}"));
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert_path.display(),
                key_path.display()
            ));
        }
        if let Some((user, password)) = credentials {
            let hash = bcrypt::hash(password, 5).unwrap_or_else(|e| panic!("bcrypt: {e}"));
            let htpasswd = dir.join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n"))
                .unwrap_or_else(|e| panic!("htpasswd: {e}"));
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: wheelhouse-e2e\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config).unwrap_or_else(|e| panic!("config: {e}"));
        let log =
            std::fs::File::create(dir.join("registry.log")).unwrap_or_else(|e| panic!("log: {e}"));
        let log_err = log.try_clone().unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new(registry_binary())
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("start registry: {e}"));
        let registry = OciRegistry {
            host,
            child,
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while probe(&registry.host).is_none() {
            assert!(
                Instant::now() < deadline,
                "registry did not start; log: {}",
                std::fs::read_to_string(registry.dir.join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }
}

impl Drop for OciRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

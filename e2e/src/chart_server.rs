//! A small HTTP(S) chart repository server for tests: serves the files of one directory
//! (charts packaged and indexed by the real `helm`) on a loopback port, with switches for the
//! failures a repository can show: basic auth required, HTTPS with a CA made here, a status
//! code, a slow response, a truncated body, a redirect loop.
//!
//! One thread per connection, `Connection: close`, `GET` only. Every request is logged (path
//! and whether it carried an `Authorization` header) so tests can assert which requests went
//! out and where credentials were sent. `ETag`/`If-None-Match` give `304 Not Modified`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest as _, Sha256};

/// What the server does instead of serving a path's file.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Wait this long before answering normally.
    Delay(Duration),
    /// Announce the full length but send only the first half of the body, then close.
    Truncate,
    /// Redirect (302) to the same path, forever.
    RedirectLoop,
    /// Redirect (302) to this absolute URL.
    RedirectTo(String),
    /// Serve these bytes instead of the file.
    Body(Vec<u8>),
}

/// How to run the server.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// The directory whose files are served (`/x.tgz` is `root/x.tgz`).
    pub root: PathBuf,
    /// Require these basic-auth credentials on every request.
    pub basic_auth: Option<(String, String)>,
    /// Serve HTTPS with a certificate for `127.0.0.1`/`localhost` issued by a fresh CA.
    pub tls: bool,
    /// Per-path behaviours (paths as requested, without the query, e.g. `/index.yaml`).
    pub behaviours: HashMap<String, Behaviour>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The path without the query.
    pub path: String,
    /// Whether an `Authorization` header came with it.
    pub authorized: bool,
    /// The status answered.
    pub status: u16,
}

/// A running server; stops when dropped.
pub struct ChartServer {
    /// Base URL, `http(s)://127.0.0.1:PORT`.
    pub url: String,
    /// The CA certificate (PEM) that issued the server certificate, with `tls`.
    pub ca_pem: Option<String>,
    addr: SocketAddr,
    behaviours: Arc<Mutex<HashMap<String, Behaviour>>>,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for ChartServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartServer")
            .field("url", &self.url)
            .finish()
    }
}

/// A CA and a server certificate it issued for `127.0.0.1` and `localhost`.
struct TestPki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// PEM files of a fresh test CA and a server certificate it issued for `127.0.0.1` and
/// `localhost`: (CA certificate, server certificate, server key).
///
/// # Panics
/// When rcgen fails (test setup).
pub fn test_pki_pem() -> (String, String, String) {
    let pki = make_pki().unwrap_or_else(|e| panic!("test PKI: {e}"));
    (pki.ca_pem, pki.cert_pem, pki.key_pem)
}

fn make_pki() -> Result<TestPki, rcgen::Error> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wheelhouse e2e test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
    params
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    Ok(TestPki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

impl ChartServer {
    /// Starts a server on a free loopback port.
    ///
    /// # Panics
    /// When the port cannot be bound or the certificates cannot be made (test setup).
    pub fn start(options: ServerOptions) -> ChartServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let (tls, ca_pem) = if options.tls {
            let pki = make_pki().unwrap_or_else(|e| panic!("test PKI: {e}"));
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|b| {
                    b.with_no_client_auth()
                        .with_single_cert(vec![pki.cert], pki.key)
                })
                .unwrap_or_else(|e| panic!("rustls server config: {e}"));
            (Some(Arc::new(config)), Some(pki.ca_pem))
        } else {
            (None, None)
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = ChartServer {
            url: format!("{scheme}://{addr}"),
            ca_pem,
            addr,
            behaviours: Arc::new(Mutex::new(options.behaviours.clone())),
            log: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let shared = Shared {
            root: options.root.clone(),
            basic_auth: options.basic_auth.clone(),
            behaviours: Arc::clone(&server.behaviours),
            log: Arc::clone(&server.log),
        };
        let stop = Arc::clone(&server.stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    match tls {
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let mut tls_stream = rustls::StreamOwned::new(conn, stream);
                            shared.handle(&mut tls_stream);
                            tls_stream.conn.send_close_notify();
                            let _ = tls_stream.flush();
                        }
                        None => {
                            let mut stream = stream;
                            shared.handle(&mut stream);
                        }
                    }
                });
            }
        });
        server
    }

    /// Replaces the behaviour for one path (`None` serves the file again).
    pub fn set_behaviour(&self, path: &str, behaviour: Option<Behaviour>) {
        let mut map = self.behaviours.lock().unwrap_or_else(|e| e.into_inner());
        match behaviour {
            Some(b) => map.insert(path.to_owned(), b),
            None => map.remove(path),
        };
    }

    /// The requests served so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for ChartServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
    }
}

#[derive(Clone)]
struct Shared {
    root: PathBuf,
    basic_auth: Option<(String, String)>,
    behaviours: Arc<Mutex<HashMap<String, Behaviour>>>,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
}

struct Request {
    path: String,
    headers: HashMap<String, String>,
}

fn read_request(stream: &mut dyn Read) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_owned();
    let path = target.split('?').next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Request { path, headers })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        304 => "Not Modified",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn respond(
    stream: &mut dyn Write,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    send: usize,
) {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body[..send.min(body.len())]);
    let _ = stream.flush();
}

/// A response decided before anything is written, so the request is logged before the client
/// can see the answer (a test reading `requests()` right after a fetch then sees it).
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Bytes of `body` actually sent (less than its length to truncate).
    send: usize,
    delay: Option<Duration>,
}

impl Reply {
    fn empty(status: u16, headers: Vec<(&'static str, String)>) -> Self {
        Reply {
            status,
            headers,
            body: Vec::new(),
            send: 0,
            delay: None,
        }
    }
}

impl Shared {
    fn handle<S: Read + Write>(&self, stream: &mut S) {
        let Some(request) = read_request(stream) else {
            return;
        };
        let authorized = request.headers.contains_key("authorization");
        let reply = self.answer(&request);
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(LoggedRequest {
                path: request.path,
                authorized,
                status: reply.status,
            });
        if let Some(delay) = reply.delay {
            std::thread::sleep(delay);
        }
        respond(
            stream,
            reply.status,
            &reply.headers,
            &reply.body,
            reply.send,
        );
    }

    fn answer(&self, request: &Request) -> Reply {
        if let Some((user, password)) = &self.basic_auth {
            let want = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            );
            if request.headers.get("authorization") != Some(&want) {
                let header = ("WWW-Authenticate", "Basic realm=\"charts\"".to_owned());
                return Reply::empty(401, vec![header]);
            }
        }
        let behaviour = self
            .behaviours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&request.path)
            .cloned();
        let mut body_override = None;
        let mut truncate = false;
        let mut delay = None;
        match behaviour {
            Some(Behaviour::Status(status)) => return Reply::empty(status, Vec::new()),
            Some(Behaviour::Delay(wait)) => delay = Some(wait),
            Some(Behaviour::Truncate) => truncate = true,
            Some(Behaviour::RedirectLoop) => {
                return Reply::empty(302, vec![("Location", request.path.clone())]);
            }
            Some(Behaviour::RedirectTo(url)) => return Reply::empty(302, vec![("Location", url)]),
            Some(Behaviour::Body(body)) => body_override = Some(body),
            None => {}
        }
        let body = match body_override {
            Some(body) => body,
            None => {
                match safe_join(&self.root, &request.path).and_then(|p| std::fs::read(p).ok()) {
                    Some(body) => body,
                    None => return Reply::empty(404, Vec::new()),
                }
            }
        };
        let etag = format!("\"{:x}\"", Sha256::digest(&body));
        if request.headers.get("if-none-match") == Some(&etag) {
            return Reply::empty(304, vec![("ETag", etag)]);
        }
        let send = if truncate { body.len() / 2 } else { body.len() };
        Reply {
            status: 200,
            headers: vec![
                ("ETag", etag),
                ("Last-Modified", "Sat, 01 Jan 2000 00:00:00 GMT".to_owned()),
            ],
            body,
            send,
            delay,
        }
    }
}

/// `root` joined with a URL path, refusing `..` and absolute components.
fn safe_join(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = Path::new(url_path.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// A hostile chart archive: a gzipped tar with `evil/Chart.yaml` and an entry `evil/../../escape.txt`.
#[allow(clippy::expect_used, reason = "writing to memory cannot fail")]
pub fn path_traversal_archive() -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    let chart_yaml = b"apiVersion: v2\nname: evil\nversion: 0.1.0\n";
    let mut header = tar::Header::new_gnu();
    header.set_path("evil/Chart.yaml").expect("path");
    header.set_size(chart_yaml.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append(&header, &chart_yaml[..]).expect("append");
    let payload = b"escaped\n";
    let mut header = tar::Header::new_gnu();
    // set_path refuses `..`; write the name field directly.
    let name = b"evil/../../escape.txt";
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.set_size(payload.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    builder.append(&header, &payload[..]).expect("append");
    builder
        .into_inner()
        .and_then(|gz| gz.finish())
        .expect("finish")
}

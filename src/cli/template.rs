//! `wheelhouse template [NAME] CHART [flags]`: renders a chart locally and prints exactly
//! what `helm template` (Helm v4.3.1, `pkg/cmd/template.go`) prints for the same flags.
//!
//! - CHART is a chart directory or a `.tgz` archive, a chart name with `--repo URL`
//!   (`--version`, `--devel`, `--username`/`--password`, `--ca-file`, `--cert-file`/`--key-file`,
//!   `--pass-credentials`, `--verify`/`--keyring`), an `http(s)://` chart URL, or an `oci://` reference (`--plain-http`) (see
//!   [`crate::cli::remote`]).
//!   NAME defaults to `release-name`, the namespace to `default`.
//! - stdout: the release manifest (trimmed, one newline), then every hook
//!   (`---\n# Source: PATH\nMANIFEST\n`) unless `--skip-tests` drops test hooks; with
//!   `--show-only`, only the documents whose `# Source:` path (without the chart name)
//!   matches one of the patterns (Go's `filepath.Match`), in pattern order.
//! - stderr and exit status 1 on failure: `Error: MESSAGE`, with Helm's wording; failures
//!   inside rendering get Helm's `\n\nUse --debug flag to render out invalid YAML`.
//!   Helm's log lines that `helm template` shows (a deprecated chart, skipped unknown hooks,
//!   the values [`Warning`]s: non-bool conditions or tags, missing import-values tables) go
//!   to stderr in the form of Helm's slog text handler without time: `level=... msg=...`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Parser};
use serde_json::{Map, Value as Json};

use crate::chart::load::{self, Limits};
use crate::chart::manifest::split_manifests;
use crate::chart::model::{Chart, File};
use crate::chart::render::{self, Capabilities, RenderError, RenderOptions, TemplatesWhileLoading};
use crate::chart::values::{UserValuesError, ValueOptions, Warning};
use crate::semver::kube::KubeVersion;
use crate::template::sprig::{crypto, rsa_keygen};

/// Release name `helm template` uses when none is given.
pub const DEFAULT_RELEASE_NAME: &str = "release-name";

/// Flags of `wheelhouse template`, named as `helm template`'s.
#[derive(Debug, Clone, Default, Args)]
pub struct TemplateArgs {
    /// `[NAME] CHART`: the release name (default `release-name`) and the chart directory or
    /// `.tgz` archive.
    #[arg(value_name = "NAME_AND_CHART")]
    pub args: Vec<String>,
    /// Values files (can be repeated or comma-separated); later files win.
    #[arg(short = 'f', long = "values", value_delimiter = ',')]
    pub values: Vec<String>,
    /// Set values on the command line (`key1=val1,key2=val2`).
    #[arg(long = "set")]
    pub set: Vec<String>,
    /// Set string values on the command line.
    #[arg(long = "set-string")]
    pub set_string: Vec<String>,
    /// Set JSON values on the command line (`key=jsonval` or a JSON object).
    #[arg(long = "set-json")]
    pub set_json: Vec<String>,
    /// Set values from files (`key=path`).
    #[arg(long = "set-file")]
    pub set_file: Vec<String>,
    /// Set a literal string value (`key=rest of the line`).
    #[arg(long = "set-literal")]
    pub set_literal: Vec<String>,
    /// Namespace of the release.
    #[arg(short = 'n', long = "namespace", default_value = "default")]
    pub namespace: String,
    /// Kubernetes version used for `.Capabilities.KubeVersion`.
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` (repeatable, comma-separated).
    #[arg(short = 'a', long = "api-versions", value_delimiter = ',')]
    pub api_versions: Vec<String>,
    /// Include CRDs (from `crds/`) in the output.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Skip test hooks in the output.
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Only show manifests rendered from the given templates (glob patterns, repeatable).
    #[arg(short = 's', long = "show-only")]
    pub show_only: Vec<String>,
    /// Set `.Release.IsUpgrade` instead of `.Release.IsInstall`.
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// Chart repository URL where to locate the requested chart (CHART is then its name).
    #[arg(long = "repo")]
    pub repo: Option<String>,
    /// Version constraint for the chart from a repository (exact version, or a range such as
    /// `^1.2`); the newest stable version when empty.
    #[arg(long = "version", default_value = "")]
    pub version: String,
    /// Use development versions too (`>0.0.0-0` when `--version` is not set).
    #[arg(long = "devel")]
    pub devel: bool,
    /// Chart repository user name.
    #[arg(long = "username")]
    pub username: Option<String>,
    /// Chart repository password.
    #[arg(long = "password")]
    pub password: Option<String>,
    /// Verify the repository's certificate with this CA bundle (PEM file).
    #[arg(long = "ca-file")]
    pub ca_file: Option<String>,
    /// Client certificate (PEM file) for the repository.
    #[arg(long = "cert-file")]
    pub cert_file: Option<String>,
    /// Client key (PEM file) for the repository.
    #[arg(long = "key-file")]
    pub key_file: Option<String>,
    /// Send the credentials to chart URLs on other hosts too.
    #[arg(long = "pass-credentials")]
    pub pass_credentials: bool,
    /// Use plain HTTP for `oci://` registries.
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// Verify the chart's provenance (`.prov`) before using it.
    #[arg(long = "verify")]
    pub verify: bool,
    /// Public keys for `--verify` (default `$GNUPGHOME/pubring.gpg` or `~/.gnupg/pubring.gpg`).
    #[arg(long = "keyring")]
    pub keyring: Option<String>,
}

/// `wheelhouse template` as a command of its own, for [`parse_argv`].
#[derive(Debug, Parser)]
#[command(name = "wheelhouse template")]
struct TemplateCommand {
    #[command(flatten)]
    args: TemplateArgs,
}

/// Parses an argument vector (program name first, then `[NAME] CHART [flags]`) with the
/// same definitions the `wheelhouse template` subcommand uses.
///
/// # Errors
/// clap's error for unknown flags or missing flag values.
pub fn parse_argv(argv: &[String]) -> Result<TemplateArgs, clap::Error> {
    TemplateCommand::try_parse_from(argv).map(|c| c.args)
}

/// A failure of the command; `Display` is the text after `Error: `.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No CHART argument.
    #[error(
        "\"wheelhouse template\" requires at least 1 argument\n\nUsage:  wheelhouse template [NAME] [CHART] [flags]"
    )]
    MissingChart,
    /// More than two positional arguments.
    #[error("expected at most two arguments, unexpected arguments: {}", .0.join(", "))]
    TooManyArguments(Vec<String>),
    /// `--kube-version` does not parse.
    #[error("invalid kube version '{input}': {source}")]
    KubeVersion {
        /// The flag's value.
        input: String,
        /// The parser's error.
        source: crate::semver::kube::KubeVersionError,
    },
    /// The chart path does not exist.
    #[error("path {} not found", crate::template::gofmt::go_quote(.0))]
    ChartNotFound(String),
    /// A file could not be read (values file, `--set-file`, archive).
    #[error("open {path}: {message}")]
    Read {
        /// The path as given.
        path: String,
        /// The OS error text (Go's wording).
        message: String,
    },
    /// A values file or a `--set*` flag is not valid.
    #[error(transparent)]
    Values(UserValuesError),
    /// The chart does not load.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// Rendering failed.
    #[error("{0}")]
    Render(RenderError),
    /// `--verify` failed for a local chart (Helm's wording where it has one).
    #[error("{0}")]
    Verify(String),
    /// The chart could not be had from its repository or URL.
    #[error(transparent)]
    Remote(Box<crate::cli::remote::RemoteError>),
    /// A `--show-only` pattern matched nothing.
    #[error("could not find template {0} in chart")]
    TemplateNotFound(String),
}

impl TemplateError {
    /// The text after `Error: `, with Helm's debug hint for failures inside rendering.
    pub fn helm_message(&self) -> String {
        match self {
            TemplateError::Render(e) if e.has_partial_release() => {
                format!("{e}\n\nUse --debug flag to render out invalid YAML")
            }
            other => other.to_string(),
        }
    }
}

/// Runs the command with the process's stdout and stderr; exit status 0 or 1. For the
/// process's `main` only: the process must exit afterwards, since memory the render would free
/// in the background is left to the OS
/// ([`crate::helper_threads::leave_teardown_to_exit`]).
pub fn run(args: TemplateArgs) -> ExitCode {
    crate::helper_threads::leave_teardown_to_exit();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = execute(&args, &mut stdout.lock(), &mut stderr.lock());
    ExitCode::from(code)
}

/// Runs the command writing to the given streams; returns the exit status (0 or 1).
/// Write failures on the streams are ignored, as Helm ignores them.
pub fn execute(args: &TemplateArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let mut log = Vec::new();
    let result = template(args, &mut log);
    for line in &log {
        let _ = writeln!(err, "{line}");
    }
    match result {
        Ok(text) => {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            0
        }
        Err(e) => {
            let _ = writeln!(err, "Error: {}", e.helm_message());
            1
        }
    }
}

/// The whole command: returns stdout's text; `log` collects Helm's log lines.
fn template(args: &TemplateArgs, log: &mut Vec<String>) -> Result<String, TemplateError> {
    let kube_version =
        match &args.kube_version {
            Some(input) if !input.is_empty() => Some(KubeVersion::parse(input).map_err(
                |source| TemplateError::KubeVersion {
                    input: input.clone(),
                    source,
                },
            )?),
            _ => None,
        };
    let (name, chart_ref) = match args.args.as_slice() {
        [] => return Err(TemplateError::MissingChart),
        [chart] => (DEFAULT_RELEASE_NAME.to_string(), chart.clone()),
        [name, chart] => (name.clone(), chart.clone()),
        [_, _, rest @ ..] => return Err(TemplateError::TooManyArguments(rest.to_vec())),
    };
    let chart_ref = chart_ref.trim().to_string();
    let chart_path = Path::new(&chart_ref);
    let remote = args.repo.is_some()
        || chart_ref.starts_with("oci://")
        || ((chart_ref.starts_with("https://") || chart_ref.starts_with("http://"))
            && !chart_path.exists());
    if !remote && !chart_path.exists() {
        return Err(TemplateError::ChartNotFound(chart_ref));
    }
    // Helm locates (downloads) the chart before it merges values, and loads it after.
    if args.verify && !remote {
        verify_local(chart_path, &keyring_path(args))?;
    }
    let downloaded = if remote {
        Some(
            crate::cli::remote::fetch(&remote_chart(args, &chart_ref)?)
                .map_err(|e| TemplateError::Remote(Box::new(e)))?,
        )
    } else {
        None
    };
    let user_values = merge_values(args)?;
    let mut options = RenderOptions::template(&name, &args.namespace);
    // Templates start parsing on a helper thread while the chart is still being read.
    let mut loading_templates = TemplatesWhileLoading::new(&options.engine);
    let mut on_file = |file: &File| loading_templates.offer(&file.name, &file.data);
    let chart = match downloaded {
        Some(data) => load::load_archive_observed(&data, &Limits::default(), &mut on_file)?,
        None => load_chart(chart_path, &mut on_file)?,
    };
    render::check_installable_type(&chart).map_err(TemplateError::Render)?;
    if chart.metadata.deprecated {
        log.push("level=WARN msg=\"this chart is deprecated\"".to_string());
    }
    render::check_dependencies(&chart).map_err(TemplateError::Render)?;
    // New RSA keys are the slowest part of rendering a chart that makes certificates: start
    // (at most two, one per core here) while values and templates are processed.
    rsa_keygen::prefetch(key_generating_calls(&chart).min(MAX_PREFETCHED_KEYS));

    options.release.is_upgrade = args.is_upgrade;
    options.release.is_install = !args.is_upgrade;
    options.include_crds = args.include_crds;
    let mut caps = Capabilities::helm_default();
    if let Some(kv) = kube_version {
        caps.kube_version = kv;
    }
    caps.api_versions.extend(args.api_versions.iter().cloned());
    options.capabilities = caps;

    let mut warnings = Vec::new();
    let result = render::render_logged_owned(
        chart,
        &user_values,
        &options,
        &mut warnings,
        loading_templates.into_parse_ahead(),
    );
    for warning in &warnings {
        log.push(slog_text_line(warning));
    }
    let rendered = result.map_err(|e| {
        // Helm's action logger reports these two before returning them.
        match &e {
            RenderError::InvalidReleaseName { name, reason } => log.push(format!(
                "level=ERROR msg=\"release name check failed\" error={}",
                slog_text_value(&format!(
                    "release name {}: {reason}",
                    crate::template::gofmt::go_quote(name)
                ))
            )),
            RenderError::Dependencies { message } => log.push(format!(
                "level=ERROR msg=\"chart dependencies processing failed\" error={}",
                slog_text_value(message)
            )),
            _ => {}
        }
        TemplateError::Render(e)
    })?;
    for skipped in &rendered.skipped_hooks {
        log.push(format!(
            "level=INFO msg=\"skipping unknown hooks\" hookTypes={}",
            slog_text_value(&skipped.hook_types)
        ));
    }

    // Helm prints the trimmed manifest, a newline, then the hooks. The manifest text is
    // reused in place and everything else the render returned is freed at once (on another
    // thread): this is the largest string of the run, so a copy of it would be the peak of
    // its memory.
    let render::RenderedChart {
        manifest: mut manifests,
        hooks,
        manifests: documents,
        crds,
        notes,
        skipped_hooks,
        warnings,
    } = rendered;
    crate::helper_threads::drop_in_background(
        "render-drop",
        (documents, crds, notes, skipped_hooks, warnings),
    );
    manifests.truncate(manifests.trim_end().len());
    let leading = manifests.len() - manifests.trim_start().len();
    manifests.drain(..leading);
    manifests.push('\n');
    render::push_documents(
        &mut manifests,
        hooks
            .iter()
            .filter(|hook| !(args.skip_tests && hook.is_test()))
            .map(|hook| (hook.path.as_str(), hook.manifest.as_str())),
    );
    if args.show_only.is_empty() {
        return Ok(manifests);
    }
    show_only(&manifests, &args.show_only)
}

/// `--show-only`: the documents whose source path matches each pattern, in pattern order.
fn show_only(manifests: &str, patterns: &[String]) -> Result<String, TemplateError> {
    let documents = split_manifests(manifests);
    let mut out = String::new();
    for pattern in patterns {
        let mut missing = true;
        for document in &documents {
            let Some(path) = source_path(document) else {
                continue;
            };
            if glob_match(pattern, path) {
                out.push_str("---\n");
                out.push_str(document);
                out.push('\n');
                missing = false;
            }
        }
        if missing {
            return Err(TemplateError::TemplateNotFound(pattern.clone()));
        }
    }
    Ok(out)
}

/// Helm's `# Source: [^/]+/(.+)` submatch: the source path without its first element.
fn source_path(document: &str) -> Option<&str> {
    let mut search = document;
    while let Some(at) = search.find("# Source: ") {
        let after = &search[at + "# Source: ".len()..];
        if let Some(slash) = after.find('/')
            && slash > 0
        {
            let rest = &after[slash + 1..];
            let line = rest.split('\n').next().unwrap_or(rest);
            if !line.is_empty() {
                return Some(line);
            }
        }
        search = &search[at + 1..];
    }
    None
}

/// Go's `filepath.Match` on Unix (`*`, `?`, `[...]` classes, `\` escapes; `*` and `?` do
/// not cross `/`). A malformed pattern matches nothing (Helm ignores the error).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    crate::chart::load::ignore::go_match(pattern, name).unwrap_or(false)
}

/// Quotes a value as Go's `slog.TextHandler` does: bare unless empty or it holds a space,
/// `=`, `"`, or a non-printable character.
fn slog_text_value(s: &str) -> String {
    // Go's `log/slog` `needsQuoting`: empty, space, `=`, `"`, ASCII controls, and any
    // non-ASCII rune that is the replacement character, white space or not printable.
    let needs_quote = s.is_empty()
        || s.chars().any(|c| {
            if c.is_ascii() {
                c == ' ' || c == '=' || c == '"' || c.is_ascii_control()
            } else {
                c == '\u{fffd}' || c.is_whitespace() || !crate::template::gofmt::is_print(c)
            }
        });
    if needs_quote {
        crate::template::gofmt::go_quote(s)
    } else {
        s.to_string()
    }
}

/// The remote chart the flags describe (files named by `--ca-file` etc. are read here).
fn remote_chart(
    args: &TemplateArgs,
    chart_ref: &str,
) -> Result<crate::cli::remote::RemoteChart, TemplateError> {
    use crate::repo::http::{BasicAuth, ClientCertificate};
    let mut version = args.version.trim().to_string();
    if version.is_empty() && args.devel {
        version = ">0.0.0-0".to_string();
    }
    let basic_auth = match (&args.username, &args.password) {
        (None, None) => None,
        (username, password) => Some(BasicAuth {
            username: username.clone().unwrap_or_default(),
            password: password.clone().unwrap_or_default(),
        }),
    };
    let ca_pem = args.ca_file.as_deref().map(read_file).transpose()?;
    let client_certificate = match (&args.cert_file, &args.key_file) {
        (Some(cert), Some(key)) => Some(ClientCertificate {
            cert_pem: read_file(cert)?,
            key_pem: read_file(key)?,
        }),
        _ => None,
    };
    Ok(crate::cli::remote::RemoteChart {
        repo: args.repo.clone(),
        name: chart_ref.to_string(),
        version,
        basic_auth,
        ca_pem,
        client_certificate,
        pass_credentials: args.pass_credentials,
        plain_http: args.plain_http,
        keyring: if args.verify {
            Some(read_keyring(&keyring_path(args))?)
        } else {
            None
        },
    })
}

/// `--keyring`, or Helm's default: the legacy `pubring.gpg` under `$GNUPGHOME` or `~/.gnupg`.
fn keyring_path(args: &TemplateArgs) -> String {
    if let Some(path) = &args.keyring {
        return path.clone();
    }
    let home = std::env::var("GNUPGHOME")
        .unwrap_or_else(|_| format!("{}/.gnupg", std::env::var("HOME").unwrap_or_default()));
    format!("{home}/pubring.gpg")
}

fn read_keyring(path: &str) -> Result<Vec<u8>, TemplateError> {
    std::fs::read(path).map_err(|e| {
        let TemplateError::Read { path, message } = read_error(path, &e) else {
            return TemplateError::Verify(format!("failed to load keyring: {e}"));
        };
        TemplateError::Verify(format!("failed to load keyring: open {path}: {message}"))
    })
}

/// Helm's `VerifyChart` for a local archive and its `.prov` beside it.
fn verify_local(path: &Path, keyring: &str) -> Result<(), TemplateError> {
    if path.is_dir() {
        return Err(TemplateError::Verify(
            "unpacked charts cannot be verified".to_string(),
        ));
    }
    let prov_path = format!("{}.prov", path.display());
    let Ok(prov) = std::fs::read(&prov_path) else {
        return Err(TemplateError::Verify(format!(
            "could not load provenance file {prov_path}: stat {prov_path}: no such file or directory"
        )));
    };
    let keyring = read_keyring(keyring)?;
    let archive = std::fs::read(path).map_err(|e| read_error(&path.display().to_string(), &e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::repo::provenance::verify(&archive, Some(&name), &prov, &keyring)
        .map(|_| ())
        .map_err(|e| TemplateError::Verify(e.to_string()))
}

/// One record in the form of slog's text handler as Helm configures it (no time):
/// `level=WARN msg=MESSAGE key=value…`.
fn slog_text_line(warning: &Warning) -> String {
    let mut line = format!(
        "level={} msg={}",
        warning.level,
        slog_text_value(&warning.message)
    );
    for (key, value) in &warning.attrs {
        line.push(' ');
        line.push_str(&slog_text_value(key));
        line.push('=');
        line.push_str(&slog_text_value(value));
    }
    line
}

/// Loads a chart directory or `.tgz` archive.
fn load_chart(path: &Path, on_file: &mut dyn FnMut(&File)) -> Result<Chart, TemplateError> {
    let limits = Limits::default();
    if path.is_dir() {
        return Ok(load::load_dir_observed(path, &limits, on_file)?);
    }
    let data = std::fs::read(path).map_err(|e| read_error(&path.display().to_string(), &e))?;
    Ok(load::load_archive_observed(&data, &limits, on_file)?)
}

/// Go's `*PathError` text for a failed read.
fn read_error(path: &str, e: &std::io::Error) -> TemplateError {
    let message = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    };
    TemplateError::Read {
        path: path.to_string(),
        message,
    }
}

fn read_file(path: &str) -> Result<Vec<u8>, TemplateError> {
    if path.trim() == "-" {
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut data)
            .map_err(|e| read_error(path, &e))?;
        return Ok(data);
    }
    std::fs::read(path).map_err(|e| {
        if path_is_dir(path) {
            return TemplateError::Read {
                path: path.to_string(),
                message: "is a directory".to_string(),
            };
        }
        read_error(path, &e)
    })
}

fn path_is_dir(path: &str) -> bool {
    Path::new(path).is_dir()
}

/// Helm's `values.Options.MergeValues` over the command's flags, reading files from disk.
fn merge_values(args: &TemplateArgs) -> Result<Map<String, Json>, TemplateError> {
    let options = ValueOptions {
        value_files: args.values.clone(),
        json_values: args.set_json.clone(),
        values: args.set.clone(),
        string_values: args.set_string.clone(),
        file_values: args.set_file.clone(),
        literal_values: args.set_literal.clone(),
    };
    let mut read = |path: &str| -> Result<String, String> {
        read_file(path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| e.to_string())
    };
    options
        .merge_values(&mut read)
        .map_err(TemplateError::Values)
}

/// Keys `wheelhouse template` generates ahead of use at most.
const MAX_PREFETCHED_KEYS: usize = 2;

/// Named calls of key-generating functions in the templates of `chart` and its subcharts
/// ([`crypto::key_generating_calls`]).
fn key_generating_calls(chart: &Chart) -> usize {
    chart
        .templates
        .iter()
        .map(|file| crypto::key_generating_calls(&file.data))
        .sum::<usize>()
        + chart
            .dependencies
            .iter()
            .map(key_generating_calls)
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_follows_go_filepath_match() {
        // Expectations from Go's path/filepath match_test.go table.
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "-", true),
            ("[\\-x]", "a", false),
            ("[]a]", "]", false),
            ("[-]", "-", false),
            ("[x-]", "x", false),
            ("[a-b-c]", "a", false),
            ("[", "a", false),
            ("[^", "a", false),
            ("[^bc", "a", false),
            ("a[", "a", false),
            ("a[", "ab", false),
            ("*x", "xxx", true),
            ("templates/*.yaml", "templates/a.yaml", true),
            ("templates/*", "templates/sub/a.yaml", false),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(glob_match(pattern, name), *want, "{pattern} vs {name}");
        }
    }

    #[test]
    fn source_path_drops_the_chart_name() {
        assert_eq!(
            source_path("# Source: top/charts/sub/templates/a.yaml\nkind: X\n"),
            Some("charts/sub/templates/a.yaml")
        );
        assert_eq!(source_path("kind: X\n"), None);
    }

    #[test]
    fn slog_quotes_like_go() {
        assert_eq!(slog_text_value("test-failure"), "test-failure");
        assert_eq!(slog_text_value(""), "\"\"");
        assert_eq!(slog_text_value("a b"), "\"a b\"");
    }
}

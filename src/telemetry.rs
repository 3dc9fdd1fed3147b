//! Logging setup: `tracing` events written to stderr as human-readable text or JSON lines.

use tracing_subscriber::EnvFilter;

/// Output format of log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line, with the span fields of the event.
    Json,
}

/// Errors from [`init_logging`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The level or filter directive did not parse (syntax of `tracing_subscriber::EnvFilter`).
    #[error("invalid log level or filter {directive:?}")]
    InvalidFilter {
        directive: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber was already installed in this process.
    #[error("logging was already initialised")]
    AlreadyInitialised(#[source] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber.
///
/// `level` is an `EnvFilter` directive such as `info` or `wheelhouse=debug,kube=warn`; the
/// `RUST_LOG` environment variable, when set, takes precedence. Lines go to stderr.
///
/// # Errors
/// [`Error::InvalidFilter`] for a directive that does not parse, [`Error::AlreadyInitialised`]
/// when called twice.
pub fn init_logging(format: LogFormat, level: &str) -> Result<(), Error> {
    use tracing_subscriber::util::SubscriberInitExt;
    let directive = std::env::var("RUST_LOG").unwrap_or_else(|_| level.to_owned());
    let filter = EnvFilter::try_new(&directive).map_err(|source| Error::InvalidFilter {
        directive: directive.clone(),
        source,
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.finish().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).finish().try_init(),
    }
    .map_err(Error::AlreadyInitialised)
}

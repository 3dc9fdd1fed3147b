//! The `wheelhouse` command: the operator (`run`) and tools for people and tests.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wheelhouse::telemetry::{self, LogFormat};

/// Wheelhouse makes Helm releases declarative: HelmRelease objects in, Helm releases out.
#[derive(Debug, Parser)]
#[command(name = "wheelhouse", version, about, long_about = None)]
struct Cli {
    /// Log line format.
    #[arg(
        long,
        global = true,
        env = "WHEELHOUSE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// Log level or filter directive (e.g. `info`, `wheelhouse=debug,kube=warn`); RUST_LOG wins.
    #[arg(
        long,
        global = true,
        env = "WHEELHOUSE_LOG_LEVEL",
        default_value = "info"
    )]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the operator: the HelmRepository and HelmRelease controllers, metrics and probe
    /// endpoints, optional leader election.
    Run(Box<wheelhouse::cli::run::RunArgs>),
    /// Render a chart locally and print exactly what `helm template` prints.
    Template(Box<wheelhouse::cli::template::TemplateArgs>),
    /// Print the CustomResourceDefinitions of Wheelhouse's resources as YAML, or write one
    /// file per CRD into a directory (this is how `crds/` is produced).
    Crds {
        /// Write `<group>_<plural>.yaml` files into this directory instead of printing.
        #[arg(long, value_name = "DIR")]
        output_dir: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let Cli {
        log_format,
        log_level,
        command,
    } = Cli::parse();
    if let Err(error) = telemetry::init_logging(log_format, &log_level) {
        eprintln!("wheelhouse: {error}");
        return ExitCode::from(2);
    }
    wheelhouse::tls::install_crypto_provider();
    match command {
        Command::Run(args) => wheelhouse::cli::run::run(*args),
        Command::Template(args) => wheelhouse::cli::template::run(*args),
        Command::Crds { output_dir } => print_crds(output_dir.as_deref()),
    }
}

/// `wheelhouse crds`: prints every CRD, or writes one file per CRD into `output_dir`.
fn print_crds(output_dir: Option<&std::path::Path>) -> ExitCode {
    use wheelhouse::api::crd;
    let Some(dir) = output_dir else {
        print!("{}", crd::all_yaml());
        return ExitCode::SUCCESS;
    };
    for definition in crd::all() {
        let path = dir.join(crd::file_name(&definition));
        if let Err(error) = std::fs::write(&path, crd::to_yaml_document(&definition)) {
            eprintln!("wheelhouse: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

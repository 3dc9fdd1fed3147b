//! Command-line subcommands other than the operator itself, each a clap `Args` struct and a
//! `run` function returning the process exit code.

pub mod remote;
pub mod run;
pub mod template;

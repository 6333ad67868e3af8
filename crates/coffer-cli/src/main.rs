//! `coffer`: the command-line front end. Thin: it parses, calls `coffer-core`, and
//! prints. Exit codes: 0 success, 1 operation error, 2 usage error, 130 interrupted.

mod agent_api;
mod cli;
mod commands;
mod context;
mod index_sink;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::context::UsageError;

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,coffer_core=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFFER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    coffer_backup::limit_malloc_arenas();
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coffer: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("coffer: error: {err}");
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else if matches!(
                err.downcast_ref::<coffer_core::Error>(),
                Some(coffer_core::Error::Cancelled(_))
            ) {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

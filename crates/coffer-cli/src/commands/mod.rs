//! One file per verb.

mod agent;
mod bucket;
mod completions;
mod cp;
mod jobs;
mod ls;
mod mv;
mod presign;
mod profile;
mod region;
mod remote;
mod rm;
mod serve;
mod stat;
mod transfers;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::context::Context;

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Result<()> {
    if cli.remote.is_some() && !matches!(cli.command, Command::Jobs(_)) {
        return crate::context::usage(
            "--remote works with `jobs` commands for now; browse and transfer on a remote \
             agent from the desktop app or a browser",
        );
    }
    match cli.command {
        Command::Profile(cmd) => profile::run(cmd).await,
        Command::Ls(args) => ls::run(&Context::open(&cli.profile)?, args).await,
        Command::Mb(args) => bucket::make(&Context::open(&cli.profile)?, args).await,
        Command::Rb(args) => bucket::remove(&Context::open(&cli.profile)?, args).await,
        Command::Cp(args) => cp::run(&Context::open(&cli.profile)?, args).await,
        Command::Mv(args) => mv::run(&Context::open(&cli.profile)?, args).await,
        Command::Rm(args) => rm::run(&Context::open(&cli.profile)?, args).await,
        Command::Stat(args) => stat::run(&Context::open(&cli.profile)?, args).await,
        Command::Presign(args) => presign::run(&Context::open(&cli.profile)?, args).await,
        Command::Region(args) => region::run(&Context::open(&cli.profile)?, args).await,
        Command::Transfers(cmd) => transfers::run(&Context::open(&cli.profile)?, cmd).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Agent(args) => agent::run(args).await,
        Command::Jobs(cmd) => jobs::run(cmd, &cli.profile, cli.remote.as_deref()).await,
        Command::Remote(cmd) => remote::run(cmd).await,
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man => completions::man(),
    }
}

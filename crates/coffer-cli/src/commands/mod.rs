//! One file per verb.

mod agent;
mod backup;
mod bucket;
mod completions;
mod config;
pub(crate) mod cp;
mod find;
mod index;
mod jobs;
mod ls;
mod mirror;
mod mv;
mod presign;
mod profile;
mod region;
mod remote;
mod replicate;
mod restore_version;
mod rm;
mod rules;
mod serve;
mod shares;
mod stat;
mod transfers;
mod versions;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::context::Context;

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Result<()> {
    let remote = cli.remote.as_deref();
    if let Some(name) = remote
        && matches!(
            cli.command,
            Command::Serve(_)
                | Command::Agent(_)
                | Command::Remote(_)
                | Command::Completions(_)
                | Command::Man
        )
    {
        return crate::context::usage(format!(
            "--remote {name}: this command runs on this machine only"
        ));
    }
    let ctx = || Context::open(&cli.profile, remote);
    match cli.command {
        Command::Profile(cmd) => profile::run(cmd, remote).await,
        Command::Ls(args) => ls::run(&ctx().await?, args).await,
        Command::Mb(args) => bucket::make(&ctx().await?, args).await,
        Command::Rb(args) => bucket::remove(&ctx().await?, args).await,
        Command::Cp(args) => cp::run(&ctx().await?, args).await,
        Command::Mv(args) => mv::run(&ctx().await?, args).await,
        Command::Rm(args) => rm::run(&ctx().await?, args).await,
        Command::Stat(args) => stat::run(&ctx().await?, args).await,
        Command::Versions(args) => versions::run(&ctx().await?, args).await,
        Command::RestoreVersion(args) => restore_version::run(&ctx().await?, args).await,
        Command::Presign(args) => presign::run(&ctx().await?, args).await,
        Command::Find(args) => find::run(args, &cli.profile, remote).await,
        Command::Index(cmd) => index::run(cmd, &cli.profile, remote).await,
        Command::Shares(cmd) => shares::run(&ctx().await?, cmd).await,
        Command::Rules(cmd) => rules::run(&ctx().await?, cmd).await,
        Command::Region(args) => region::run(&ctx().await?, args).await,
        Command::Transfers(cmd) => transfers::run(&ctx().await?, cmd).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Agent(args) => agent::run(args).await,
        Command::Jobs(cmd) => jobs::run(cmd, &cli.profile, remote).await,
        Command::Backup(cmd) => backup::run(&ctx().await?, cmd).await,
        Command::Replicate(cmd) => replicate::run(cmd, &cli.profile, remote).await,
        Command::Mirror(cmd) => mirror::run(cmd, &cli.profile, remote).await,
        Command::Config(cmd) => config::run(cmd, &cli.profile).await,
        Command::Remote(cmd) => remote::run(cmd).await,
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man => completions::man(),
    }
}

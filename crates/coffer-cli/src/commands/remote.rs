//! `coffer remote …`: remote agents (another machine's `coffer agent --listen --tls`
//! or `coffer serve --tls`), kept by the core ([`coffer_core::agent::remotes`]).

use std::io::Read;

use anyhow::{Result, anyhow};
use coffer_core::Sensitive;
use coffer_core::agent::remotes;
use coffer_core::session::Session;
use serde_json::json;

use crate::cli::{RemoteAddArgs, RemoteCommand};
use crate::context::usage;
use crate::output;

/// Runs a remote command.
pub async fn run(cmd: RemoteCommand) -> Result<()> {
    let session = Session::connect_default()?;
    match cmd {
        RemoteCommand::Add(args) => add(&session, args).await,
        RemoteCommand::List(flag) => {
            for r in remotes::list(&session)? {
                if flag.json {
                    output::json(&r)?;
                } else {
                    println!(
                        "{:<16} {:<32} {}",
                        r.name,
                        r.url,
                        r.fingerprint.as_deref().unwrap_or("(no TLS)")
                    );
                }
            }
            Ok(())
        }
        RemoteCommand::Remove(args) => {
            if !remotes::remove(&session, &args.name)? {
                return Err(anyhow!("no remote agent `{}`", args.name));
            }
            println!("remote agent `{}` removed, with its token", args.name);
            Ok(())
        }
    }
}

async fn add(session: &Session, args: RemoteAddArgs) -> Result<()> {
    if !args.token_stdin {
        return usage(
            "give the agent's API token on stdin with --token-stdin (`coffer serve \
             --print-token` there)",
        );
    }
    let mut token = String::new();
    std::io::stdin().read_to_string(&mut token)?;
    let token = Sensitive::new(token.trim().to_string());
    let remote = remotes::add(
        session,
        &args.name,
        &args.url,
        token,
        args.fingerprint.clone(),
    )
    .await
    .map_err(|e| match e {
        // A wrong name, URL, token or fingerprint is a usage error; the agent's
        // refusals are not.
        coffer_core::Error::InvalidInput { .. } => crate::context::UsageError(e.to_string()).into(),
        e => anyhow::Error::from(e),
    })?;
    if args.json {
        return output::json(&json!(remote));
    }
    println!("remote agent `{}` added: {}", remote.name, remote.url);
    match (&remote.fingerprint, &args.fingerprint) {
        (Some(f), None) => println!(
            "pinned its certificate, SHA256 {f}\ncheck that `coffer serve --print-token` on \
             that machine shows the same"
        ),
        (Some(f), Some(_)) => println!("its certificate matches SHA256 {f}"),
        (None, _) => println!("plain http (this machine only)"),
    }
    println!("use it with: coffer --remote {} jobs list", remote.name);
    Ok(())
}

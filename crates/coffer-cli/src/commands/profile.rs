//! `coffer profile add|list|show|remove|test`.

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use coffer_core::profile::{Profile, ProfileDraft, import_aws_profile};
use coffer_core::sensitive::Sensitive;
use coffer_core::session::Session;
use serde_json::json;

use crate::cli::{ProfileAddArgs, ProfileCommand};
use crate::context::usage;
use crate::output;

fn read_secret_stdin() -> Result<Sensitive<String>> {
    if std::io::stdin().is_terminal() {
        eprint!("Secret access key: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let secret = line.trim_end_matches(['\r', '\n']).to_string();
    if secret.is_empty() {
        return usage("--secret-stdin: stdin gave an empty secret");
    }
    Ok(Sensitive::new(secret))
}

fn print_profile(p: &Profile, json: bool) -> Result<()> {
    if json {
        return output::json(p);
    }
    println!("Name:        {}", p.name);
    println!("Endpoint:    {}", p.endpoint_display());
    println!(
        "Region:      {}",
        p.region.as_deref().unwrap_or("(detected per bucket)")
    );
    println!("Addressing:  {:?}", p.addressing);
    println!("Credentials: {}", p.credentials.describe());
    Ok(())
}

async fn add(session: &Session, args: ProfileAddArgs) -> Result<()> {
    let mut draft = ProfileDraft {
        name: args.name.clone(),
        endpoint: args.endpoint,
        region: args.region,
        path_style: match (args.path_style, args.virtual_host) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        access_key_id: args.access_key_id,
        anonymous: args.anonymous,
        ..Default::default()
    };
    if args.secret_stdin {
        draft.secret_access_key = Some(read_secret_stdin()?);
    }
    if let Some(aws) = &args.from_aws_profile {
        draft.apply_aws_import(import_aws_profile(aws).await?);
    }
    draft.fill_from_env();
    if draft.access_key_id.is_none() && draft.aws_profile.is_none() && !draft.anonymous {
        return usage(
            "give credentials: --access-key-id ID --secret-stdin, --from-aws-profile P, \
             AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or --anonymous",
        );
    }
    let profile = session.profiles().add(draft, args.replace)?;
    if args.json {
        output::json(&profile)
    } else {
        println!(
            "profile `{}` saved; its secret is in the OS keychain",
            profile.name
        );
        Ok(())
    }
}

/// Runs a profile command.
pub async fn run(cmd: ProfileCommand) -> Result<()> {
    let session = Session::connect_default()?;
    match cmd {
        ProfileCommand::Add(args) => add(&session, args).await,
        ProfileCommand::List(flag) => {
            for p in session.profiles().list()? {
                if flag.json {
                    output::json(&p)?;
                } else {
                    println!("{:<20} {}", p.name, p.endpoint_display());
                }
            }
            Ok(())
        }
        ProfileCommand::Show(args) => {
            print_profile(&session.profiles().get(&args.name)?, args.json)
        }
        ProfileCommand::Remove(args) => {
            session.profiles().remove(&args.name)?;
            if args.json {
                output::json(&json!({ "removed": args.name }))
            } else {
                println!("profile `{}` removed, with its secrets", args.name);
                Ok(())
            }
        }
        ProfileCommand::Test(args) => {
            let profile = session.profiles().get(&args.name)?;
            let store = session.store(&profile)?;
            let started = std::time::Instant::now();
            let buckets = store.list_buckets().await?;
            let ms = started.elapsed().as_millis();
            if args.json {
                output::json(&json!({
                    "profile": profile.name, "ok": true,
                    "buckets": buckets.len(), "latency_ms": ms
                }))
            } else {
                println!(
                    "ok: profile `{}` reached {} and signed in; {} bucket(s) visible ({ms} ms)",
                    profile.name,
                    profile.endpoint_display(),
                    buckets.len()
                );
                Ok(())
            }
        }
    }
}

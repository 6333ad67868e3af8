//! `coffer profile add|list|show|remove|test`.

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use coffer_core::profile::{Profile, ProfileDraft, import_aws_profile};
use coffer_core::sensitive::Sensitive;
use coffer_core::session::Session;
use serde_json::json;

use crate::agent_api::{AgentApi, profile_path};
use crate::cli::{ProfileAddArgs, ProfileCommand};
use crate::context::{Context, usage};
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

/// The profile a `profile add` describes, with its secrets.
async fn draft(args: &ProfileAddArgs) -> Result<ProfileDraft> {
    let mut draft = ProfileDraft {
        name: args.name.clone(),
        endpoint: args.endpoint.clone(),
        region: args.region.clone(),
        path_style: match (args.path_style, args.virtual_host) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        access_key_id: args.access_key_id.clone(),
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
    Ok(draft)
}

/// Where the profiles are: this machine's, or a remote agent's (through its API).
enum Profiles {
    Here(Session),
    There(AgentApi),
}

impl Profiles {
    fn open(remote: Option<&str>) -> Result<Profiles> {
        Ok(match remote {
            None => Profiles::Here(Session::connect_default()?),
            Some(name) => Profiles::There(AgentApi::remote(name)?),
        })
    }

    async fn list(&self) -> Result<Vec<Profile>> {
        match self {
            Profiles::Here(session) => Ok(session.profiles().list()?),
            Profiles::There(api) => Ok(serde_json::from_value(
                api.call("GET", "/api/v1/profiles", None).await?,
            )?),
        }
    }

    async fn get(&self, name: &str) -> Result<Profile> {
        match self {
            Profiles::Here(session) => Ok(session.profiles().get(name)?),
            Profiles::There(api) => Ok(serde_json::from_value(
                api.call("GET", &profile_path(name), None).await?,
            )?),
        }
    }

    async fn add(&self, draft: ProfileDraft, replace: bool) -> Result<Profile> {
        match self {
            Profiles::Here(session) => Ok(session.profiles().add(draft, replace)?),
            Profiles::There(api) => {
                let secret = |s: &Option<Sensitive<String>>| s.as_ref().map(|s| s.expose().clone());
                let body = json!({
                    "name": draft.name,
                    "endpoint": draft.endpoint,
                    "region": draft.region,
                    "path_style": draft.path_style,
                    "access_key_id": draft.access_key_id,
                    "secret_access_key": secret(&draft.secret_access_key),
                    "session_token": secret(&draft.session_token),
                    "from_aws_profile": draft.aws_profile,
                    "anonymous": draft.anonymous,
                    "replace": replace,
                });
                Ok(serde_json::from_value(
                    api.call("POST", "/api/v1/profiles", Some(body)).await?,
                )?)
            }
        }
    }

    async fn remove(&self, name: &str) -> Result<()> {
        match self {
            Profiles::Here(session) => Ok(session.profiles().remove(name)?),
            Profiles::There(api) => {
                api.call("DELETE", &profile_path(name), None).await?;
                Ok(())
            }
        }
    }
}

/// Runs a profile command, here or on the remote agent.
pub async fn run(cmd: ProfileCommand, remote: Option<&str>) -> Result<()> {
    if let ProfileCommand::Test(args) = &cmd {
        return test(&Context::open(&args.name, remote).await?, args.json).await;
    }
    let profiles = Profiles::open(remote)?;
    match cmd {
        ProfileCommand::Add(args) => {
            let profile = profiles.add(draft(&args).await?, args.replace).await?;
            if args.json {
                return output::json(&profile);
            }
            match remote {
                None => println!(
                    "profile `{}` saved; its secret is in the OS keychain",
                    profile.name
                ),
                Some(agent) => println!(
                    "profile `{}` saved on `{agent}`; its secret is in that machine's keychain",
                    profile.name
                ),
            }
            Ok(())
        }
        ProfileCommand::List(flag) => {
            for p in profiles.list().await? {
                if flag.json {
                    output::json(&p)?;
                } else {
                    println!("{:<20} {}", p.name, p.endpoint_display());
                }
            }
            Ok(())
        }
        ProfileCommand::Show(args) => print_profile(&profiles.get(&args.name).await?, args.json),
        ProfileCommand::Remove(args) => {
            profiles.remove(&args.name).await?;
            if args.json {
                output::json(&json!({ "removed": args.name }))
            } else {
                println!("profile `{}` removed, with its secrets", args.name);
                Ok(())
            }
        }
        ProfileCommand::Test(_) => Ok(()),
    }
}

/// Lists the buckets of the profile, to show it works.
async fn test(ctx: &Context, json: bool) -> Result<()> {
    let store = ctx.store()?;
    let started = std::time::Instant::now();
    let buckets = store.list_buckets().await?;
    let ms = started.elapsed().as_millis();
    if json {
        return output::json(&json!({
            "profile": ctx.profile.name, "ok": true,
            "buckets": buckets.len(), "latency_ms": ms
        }));
    }
    println!(
        "ok: profile `{}` reached {} and signed in; {} bucket(s) visible ({ms} ms)",
        ctx.profile.name,
        ctx.profile.endpoint_display(),
        buckets.len()
    );
    Ok(())
}

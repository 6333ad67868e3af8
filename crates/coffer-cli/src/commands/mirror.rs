//! `coffer mirror …`: thin over `coffer_replicate::mirror`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use coffer_core::meta::MetaDb;
use coffer_core::uri::{Location, ProfiledLocation};
use coffer_replicate::mirror::kind::MirrorParams;
use coffer_replicate::mirror::run_pass;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::agent_api::AgentApi;
use crate::cli::{MirrorAddArgs, MirrorCommand, MirrorNameArgs};
use crate::context::{UsageError, usage};
use crate::output;

/// Runs a `mirror` verb.
pub async fn run(cmd: MirrorCommand, profile: &str, remote: Option<&str>) -> Result<()> {
    let api = match remote {
        Some(name) => AgentApi::remote(name)?,
        None => AgentApi::open().await?,
    };
    match cmd {
        MirrorCommand::Add(args) => add(&api, args, profile).await,
        MirrorCommand::Run(args) => run_now(&api, args).await,
        MirrorCommand::List(flag) => list(&api, flag.json).await,
        MirrorCommand::Remove(args) => remove(&api, args).await,
    }
}

/// A side as a job's param: an absolute folder, or `PROFILE:s3://…`.
fn side(input: &str, profile: &str) -> Result<String> {
    let loc = ProfiledLocation::parse(input).map_err(|e| UsageError(e.to_string()))?;
    Ok(match &loc.location {
        Location::Local(path) => std::path::absolute(path)
            .map_err(|e| UsageError(format!("{input}: {e}")))?
            .display()
            .to_string(),
        Location::S3(url) => format!("{}:{url}", loc.profile_or(profile)),
    })
}

async fn mirrors(api: &AgentApi) -> Result<Vec<Value>> {
    let jobs = api.call("GET", "/api/v1/jobs", None).await?;
    Ok(jobs
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["kind"] == "mirror")
        .cloned()
        .collect())
}

async fn find(api: &AgentApi, name: &str) -> Result<Value> {
    mirrors(api)
        .await?
        .into_iter()
        .find(|j| j["params"]["name"] == name)
        .ok_or_else(|| UsageError(format!("no mirror `{name}` (see `coffer mirror list`)")).into())
}

async fn add(api: &AgentApi, args: MirrorAddArgs, profile: &str) -> Result<()> {
    if mirrors(api)
        .await?
        .iter()
        .any(|j| j["params"]["name"] == args.name.as_str())
    {
        return usage(format!("a mirror called `{}` exists", args.name));
    }
    let params = json!({
        "name": args.name,
        "src": side(&args.src, profile)?,
        "dst": side(&args.dst, profile)?,
        "delete": args.delete,
        "watch": args.watch,
        "checksum": args.checksum,
    });
    let body = json!({
        "kind": "mirror",
        "params": params,
        "schedule": args.every.as_ref().map(|e| json!({ "every": e })),
        "notify": { "on_failure": true, "on_success": false },
    });
    let job = api.call("POST", "/api/v1/jobs", Some(body)).await?;
    if args.json {
        return output::json(&job);
    }
    println!(
        "mirror `{}` added: {} -> {}{}",
        args.name,
        job["params"]["src"].as_str().unwrap_or(""),
        job["params"]["dst"].as_str().unwrap_or(""),
        if args.watch {
            ", watching for changes"
        } else if args.every.is_some() {
            ", on its schedule"
        } else {
            ", one pass now"
        }
    );
    if !api.is_agent() {
        println!(
            "no agent runs now: mirrors run while the desktop app, `coffer serve` or `coffer agent` \
             runs (`coffer mirror run {}` runs a pass here, now)",
            args.name
        );
    }
    Ok(())
}

async fn run_now(api: &AgentApi, args: MirrorNameArgs) -> Result<()> {
    let job = find(api, &args.name).await?;
    let id = job["id"].as_str().unwrap_or_default().to_string();
    if api.is_agent() {
        if job["state"] != "running" {
            api.call("POST", &format!("/api/v1/jobs/{id}/run"), None)
                .await?;
        }
        // Wait for the run to end (a watching mirror has done its first pass when
        // its details say so).
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = api.call("GET", &format!("/api/v1/jobs/{id}"), None).await?;
            if now["state"] != "running" && now["state"] != "queued" {
                let history = api
                    .call("GET", &format!("/api/v1/jobs/{id}/history"), None)
                    .await?;
                let last = history
                    .as_array()
                    .and_then(|h| h.last())
                    .cloned()
                    .unwrap_or(Value::Null);
                if args.json {
                    return output::json(&last);
                }
                print_report(&args.name, &last["details"]);
                if now["state"] == "failed" {
                    anyhow::bail!(
                        "{}",
                        now["error"]["message"]
                            .as_str()
                            .unwrap_or("the mirror failed")
                    );
                }
                return Ok(());
            }
            if job["params"]["watch"] == true && now["state"] == "running" {
                println!(
                    "mirror `{}` is watching in the agent; its first pass ran when it started",
                    args.name
                );
                return Ok(());
            }
        }
    }
    // No agent: a pass here, now, on the data dir this process opened.
    let Some(state) = api.local() else {
        anyhow::bail!("no agent and no local data dir");
    };
    let params: MirrorParams = serde_json::from_value(job["params"].clone())
        .map_err(|e| anyhow::anyhow!("the job's params are unreadable: {e}"))?;
    let stores = state.stores();
    let db: Arc<dyn MetaDb> = state.session().db().clone();
    let mirror = params
        .mirror(&stores, db)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let (tracker, bar) = output::tracker("mirror");
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let report = run_pass(&mirror, &tracker, &cancel).await;
    output::done(bar);
    let report = report?;
    if args.json {
        output::json(&report)?;
    } else {
        print_report(&args.name, &serde_json::to_value(&report)?);
    }
    if !report.failed.is_empty() {
        anyhow::bail!("{} entries failed", report.failed.len());
    }
    Ok(())
}

fn print_report(name: &str, r: &Value) {
    println!(
        "mirror `{name}`: {} copied ({}), {} unchanged, {} moved to the trash",
        r["copied"].as_u64().unwrap_or(0),
        output::size(r["bytes"].as_u64().unwrap_or(0)),
        r["unchanged"].as_u64().unwrap_or(0),
        r["trashed"].as_u64().unwrap_or(0)
    );
    for (what, list) in [("skipped", &r["skipped"]), ("failed", &r["failed"])] {
        for item in list.as_array().into_iter().flatten() {
            println!(
                "  {what}: {}: {}",
                item[0].as_str().unwrap_or(""),
                item[1].as_str().unwrap_or("")
            );
        }
    }
}

async fn list(api: &AgentApi, json_out: bool) -> Result<()> {
    let jobs = mirrors(api).await?;
    if json_out {
        return output::json(&jobs);
    }
    if jobs.is_empty() {
        println!("no mirrors (add one with `coffer mirror add NAME SRC DST`)");
    }
    for j in &jobs {
        let p = &j["params"];
        let flags: Vec<&str> = [
            ("delete", "delete"),
            ("watch", "watch"),
            ("checksum", "checksum"),
        ]
        .iter()
        .filter(|(k, _)| p[*k] == true)
        .map(|(_, v)| *v)
        .collect();
        println!(
            "{:<16} {:<10} {} -> {}{}",
            p["name"].as_str().unwrap_or(""),
            j["state"].as_str().unwrap_or("?"),
            p["src"].as_str().unwrap_or(""),
            p["dst"].as_str().unwrap_or(""),
            if flags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", flags.join(", "))
            }
        );
    }
    Ok(())
}

async fn remove(api: &AgentApi, args: MirrorNameArgs) -> Result<()> {
    let job = find(api, &args.name).await?;
    let id = job["id"].as_str().unwrap_or_default();
    api.remove_job(id, &job["state"]).await?;
    if args.json {
        return output::json(&json!({ "removed": args.name }));
    }
    println!("removed mirror `{}`; what it copied stays", args.name);
    Ok(())
}

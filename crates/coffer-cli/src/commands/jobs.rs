//! `coffer jobs …`: the job engine from the terminal. When an agent owns the data dir
//! the requests go to it (and its jobs keep running after the command); otherwise
//! this process runs the engine for as long as the command lasts, so `run` and an
//! unscheduled `add` wait for the run to end, showing its progress.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};

use crate::agent_api::AgentApi;
use crate::cli::{JobIdArgs, JobsAddArgs, JobsCommand};
use crate::context::{UsageError, usage};
use crate::output;

/// Runs a jobs command.
pub async fn run(cmd: JobsCommand, profile: &str, remote: Option<&str>) -> Result<()> {
    let api = match remote {
        Some(name) => AgentApi::remote(name)?,
        None => AgentApi::open().await?,
    };
    match cmd {
        JobsCommand::List(flag) => {
            let jobs = api.call("GET", "/api/v1/jobs", None).await?;
            if flag.json {
                return output::json(&jobs);
            }
            print_list(jobs.as_array().map(Vec::as_slice).unwrap_or_default());
            Ok(())
        }
        JobsCommand::Show(args) => {
            let id = resolve(&api, &args.id).await?;
            let job = api.call("GET", &format!("/api/v1/jobs/{id}"), None).await?;
            if args.json {
                return output::json(&job);
            }
            print_job(&job);
            Ok(())
        }
        JobsCommand::History(args) => {
            let id = resolve(&api, &args.id).await?;
            let runs = api
                .call("GET", &format!("/api/v1/jobs/{id}/history"), None)
                .await?;
            if args.json {
                return output::json(&runs);
            }
            print_history(runs.as_array().map(Vec::as_slice).unwrap_or_default());
            Ok(())
        }
        JobsCommand::Run(args) => {
            let id = resolve(&api, &args.id).await?;
            let job = api
                .call("POST", &format!("/api/v1/jobs/{id}/run"), None)
                .await?;
            follow(&api, &job, args.json).await
        }
        JobsCommand::Pause(args) => action(&api, &args, "pause").await,
        JobsCommand::Resume(args) => {
            let id = resolve(&api, &args.id).await?;
            let job = api
                .call("POST", &format!("/api/v1/jobs/{id}/resume"), None)
                .await?;
            follow(&api, &job, args.json).await
        }
        JobsCommand::Cancel(args) => action(&api, &args, "cancel").await,
        JobsCommand::Retry(args) => {
            let id = resolve(&api, &args.id).await?;
            let job = api
                .call("POST", &format!("/api/v1/jobs/{id}/retry"), None)
                .await?;
            follow(&api, &job, args.json).await
        }
        JobsCommand::Enable(args) => edit(&api, &args, json!({ "enabled": true })).await,
        JobsCommand::Disable(args) => edit(&api, &args, json!({ "enabled": false })).await,
        JobsCommand::Rm(args) => {
            let id = resolve(&api, &args.id).await?;
            api.call("DELETE", &format!("/api/v1/jobs/{id}"), None)
                .await?;
            if args.json {
                output::json(&json!({ "removed": id }))
            } else {
                println!("job {} removed, with its history", short(&id));
                Ok(())
            }
        }
        JobsCommand::Add(args) => add(&api, *args, profile).await,
    }
}

async fn action(api: &AgentApi, args: &JobIdArgs, verb: &str) -> Result<()> {
    let id = resolve(api, &args.id).await?;
    let job = api
        .call("POST", &format!("/api/v1/jobs/{id}/{verb}"), None)
        .await?;
    if args.json {
        return output::json(&job);
    }
    println!(
        "{} {}: {}",
        short(&id),
        job["name"].as_str().unwrap_or(""),
        state(&job)
    );
    Ok(())
}

async fn edit(api: &AgentApi, args: &JobIdArgs, change: Value) -> Result<()> {
    let id = resolve(api, &args.id).await?;
    let job = api
        .call("PUT", &format!("/api/v1/jobs/{id}"), Some(change))
        .await?;
    if args.json {
        return output::json(&job);
    }
    print_job(&job);
    Ok(())
}

/// Builds a job from the flags: transfers take `--from`/`--to`, any kind `--param
/// KEY=VALUE` and `--params JSON`.
async fn add(api: &AgentApi, args: JobsAddArgs, profile: &str) -> Result<()> {
    let mut params = match &args.params {
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| UsageError(format!("--params is not JSON: {e}")))?,
        None => json!({}),
    };
    if !params.is_object() {
        return usage("--params must be a JSON object");
    }
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let transfer = transfer_params(&args.kind, from, to, profile)?;
        if let (Some(obj), Some(t)) = (params.as_object_mut(), transfer.as_object()) {
            obj.extend(t.clone());
        }
    } else if args.from.is_some() || args.to.is_some() {
        return usage("--from and --to go together");
    }
    if let Some(repo) = &args.repo {
        let backup = backup_params(&args, repo, profile)?;
        if let (Some(obj), Some(b)) = (params.as_object_mut(), backup.as_object()) {
            obj.extend(b.clone());
        }
    } else if !args.source.is_empty() {
        return usage("--source needs --repo (the backup repository)");
    }
    for pair in &args.param {
        let Some((k, v)) = pair.split_once('=') else {
            return usage(format!("--param `{pair}`: write KEY=VALUE"));
        };
        let value = serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.into()));
        if let Some(obj) = params.as_object_mut() {
            obj.insert(k.to_string(), value);
        }
    }
    let schedule = match (&args.schedule, &args.every) {
        (Some(_), Some(_)) => return usage("give --schedule or --every, not both"),
        (Some(cron), None) => Some(json!({ "cron": cron, "tz": args.tz })),
        (None, Some(every)) => Some(json!({ "every": every })),
        (None, None) => None,
    };
    let mut body = json!({
        "kind": args.kind,
        "name": args.name,
        "params": params,
        "schedule": schedule,
        "webhook": args.webhook,
    });
    // A job added here notifies when a run fails (whatever its kind's default, which
    // for transfers is the desktop's batch notice), and on success when asked.
    body["notify"] = json!({ "on_failure": true, "on_success": args.notify_success });
    let job = api.call("POST", "/api/v1/jobs", Some(body)).await?;
    if job["schedule"].is_null() {
        // Queued at once: follow it like `run`.
        return follow(api, &job, args.json).await;
    }
    if args.json {
        output::json(&job)?;
    } else {
        println!(
            "job {} `{}` added: {}",
            short(job["id"].as_str().unwrap_or("")),
            job["name"].as_str().unwrap_or(""),
            describe_schedule(&job["schedule"]),
        );
        if let Some(next) = job["next_run"].as_str() {
            println!("next run: {next}");
        }
        if !api.is_agent() {
            println!(
                "no agent runs now: scheduled jobs run while the desktop app, `coffer serve` \
                 or `coffer agent` runs"
            );
        }
    }
    Ok(())
}

/// Params of a backup job: `--repo s3://… --source DIR… [--exclude …] [--keep-* N]`.
fn backup_params(args: &JobsAddArgs, repo: &str, profile: &str) -> Result<Value> {
    if args.kind != "backup" {
        return usage(format!("--repo is for backup jobs, not `{}`", args.kind));
    }
    if args.source.is_empty() {
        return usage("give at least one --source folder to back up");
    }
    let mut sources = Vec::new();
    for source in &args.source {
        let absolute = std::path::absolute(source)
            .map_err(|e| UsageError(format!("--source {}: {e}", source.display())))?;
        sources.push(absolute);
    }
    let k = &args.keep;
    let keep = [
        k.keep_last,
        k.keep_hourly,
        k.keep_daily,
        k.keep_weekly,
        k.keep_monthly,
        k.keep_yearly,
    ]
    .iter()
    .any(Option::is_some)
    .then(|| {
        json!({
            "last": k.keep_last, "hourly": k.keep_hourly, "daily": k.keep_daily,
            "weekly": k.keep_weekly, "monthly": k.keep_monthly, "yearly": k.keep_yearly,
        })
    });
    if args.prune && keep.is_none() {
        return usage("--prune runs after forget: give --keep-* rules as well");
    }
    Ok(json!({
        "profile": profile,
        "repo": repo,
        "paths": sources,
        "excludes": args.exclude,
        "one_file_system": args.one_file_system,
        "exclude_caches": args.exclude_caches,
        "tags": args.tag,
        "keep": keep,
        "prune": args.prune,
    }))
}

/// Params of an upload (`--from PATH --to s3://…`) or a download (`--from s3://…
/// --to DIR`).
fn transfer_params(kind: &str, from: &str, to: &str, profile: &str) -> Result<Value> {
    let absolute = |p: &str| -> Result<String> {
        let path = std::path::Path::new(p);
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()?.join(path)
        };
        Ok(path.to_string_lossy().into_owned())
    };
    let (remote, local) = match kind {
        "upload" => (to, absolute(from)?),
        "download" => (from, absolute(to)?),
        other => {
            return usage(format!(
                "--from/--to are for upload and download jobs; give a `{other}` job --param or --params"
            ));
        }
    };
    let url = crate::context::s3_url(remote)?;
    Ok(json!({ "profile": profile, "bucket": url.bucket, "key": url.key, "path": local }))
}

/// The length of a job id (hex).
const ID_LEN: usize = 32;

/// A job id from a unique prefix of it (a whole id is taken as it is).
async fn resolve(api: &AgentApi, given: &str) -> Result<String> {
    if given.len() == ID_LEN && given.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(given.to_string());
    }
    let jobs = api.call("GET", "/api/v1/jobs", None).await?;
    let matching: Vec<&str> = jobs
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|j| j["id"].as_str())
        .filter(|id| id.starts_with(given))
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(anyhow::anyhow!(
            "no job `{given}` (`coffer jobs list` shows them)"
        )),
        many => usage(format!(
            "`{given}` matches {} jobs; give more of the id",
            many.len()
        )),
    }
}

/// Waits for the run of `job` to end, with a progress bar on a terminal. With an
/// agent, Ctrl-C only stops watching; without one, it stops the run (which goes on
/// from where it stopped at the next start).
async fn follow(api: &AgentApi, job: &Value, json_out: bool) -> Result<()> {
    let id = job["id"].as_str().unwrap_or_default().to_string();
    let bar = (!json_out && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(job["name"].as_str().unwrap_or("job").to_string());
        bar
    });
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let last = loop {
        let now = api.call("GET", &format!("/api/v1/jobs/{id}"), None).await?;
        if let (Some(bar), Some(p)) = (&bar, now["progress"].as_object()) {
            let done = p.get("bytes_done").and_then(Value::as_u64).unwrap_or(0);
            let total = p.get("bytes_total").and_then(Value::as_u64).unwrap_or(0);
            bar.set_length(total.max(done));
            bar.set_position(done);
        }
        let busy = matches!(now["state"].as_str(), Some("queued" | "running"));
        if !busy {
            break now;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = &mut interrupted => {
                if let Some(bar) = &bar { bar.finish_and_clear(); }
                match api.local() {
                    Some(state) => {
                        state.engine().shutdown().await;
                        eprintln!("coffer: interrupted; the job stopped and goes on from there at the next start");
                    }
                    None => eprintln!(
                        "coffer: stopped watching; the job goes on in the agent (`coffer jobs show {}`)",
                        short(&id)
                    ),
                }
                return Err(coffer_core::Error::Cancelled(String::new()).into());
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if json_out {
        output::json(&last)?;
    } else {
        let bytes = last["last_run"]["bytes"].as_u64().unwrap_or(0);
        println!(
            "{} {}: {} ({})",
            short(&id),
            last["name"].as_str().unwrap_or(""),
            state(&last),
            output::size(bytes)
        );
    }
    match last["state"].as_str() {
        Some("failed") => Err(anyhow::anyhow!(
            "{}",
            last["error"]["message"]
                .as_str()
                .unwrap_or("the job failed")
        )),
        _ => Ok(()),
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn state(job: &Value) -> String {
    let state = job["state"].as_str().unwrap_or("?");
    match job["error"]["message"].as_str() {
        Some(why) if state == "failed" => format!("failed: {why}"),
        _ => state.to_string(),
    }
}

fn describe_schedule(s: &Value) -> String {
    if let Some(every) = s["every"].as_str() {
        return format!("every {every}");
    }
    match (s["cron"].as_str(), s["tz"].as_str()) {
        (Some(cron), Some(tz)) => format!("cron `{cron}` ({tz})"),
        (Some(cron), None) => format!("cron `{cron}` (UTC)"),
        _ => "no schedule".into(),
    }
}

fn print_list(jobs: &[Value]) {
    if jobs.is_empty() {
        println!("no jobs");
        return;
    }
    println!(
        "{:<8}  {:<9}  {:<28}  {:<9}  {:<20}  NEXT RUN",
        "ID", "KIND", "NAME", "STATE", "LAST RUN"
    );
    for j in jobs {
        let last = match (
            j["last_run"]["result"].as_str(),
            j["last_run"]["started"].as_str(),
        ) {
            (Some(result), Some(at)) => format!("{result} {}", at.get(..16).unwrap_or(at)),
            _ => "-".into(),
        };
        let next = match (j["enabled"].as_bool(), j["next_run"].as_str()) {
            (Some(false), _) => "disabled".to_string(),
            (_, Some(at)) => at.get(..16).unwrap_or(at).to_string(),
            _ => "-".into(),
        };
        println!(
            "{:<8}  {:<9}  {:<28}  {:<9}  {:<20}  {}",
            short(j["id"].as_str().unwrap_or("")),
            j["kind"].as_str().unwrap_or(""),
            truncate(j["name"].as_str().unwrap_or(""), 28),
            j["state"].as_str().unwrap_or(""),
            last,
            next
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn print_job(j: &Value) {
    println!("id:        {}", j["id"].as_str().unwrap_or(""));
    println!("name:      {}", j["name"].as_str().unwrap_or(""));
    println!("kind:      {}", j["kind"].as_str().unwrap_or(""));
    println!("state:     {}", state(j));
    println!("params:    {}", j["params"]);
    if !j["schedule"].is_null() {
        let on = if j["enabled"].as_bool() == Some(false) {
            " (disabled)"
        } else {
            ""
        };
        println!("schedule:  {}{on}", describe_schedule(&j["schedule"]));
    }
    if let Some(next) = j["next_run"].as_str() {
        println!("next run:  {next}");
    }
    if let Some(result) = j["last_run"]["result"].as_str() {
        println!(
            "last run:  {result} at {} ({})",
            j["last_run"]["started"].as_str().unwrap_or(""),
            output::size(j["last_run"]["bytes"].as_u64().unwrap_or(0))
        );
    }
    if let Some(hook) = j["webhook"].as_str() {
        println!("webhook:   {hook}");
    }
}

fn print_history(runs: &[Value]) {
    if runs.is_empty() {
        println!("no runs yet");
        return;
    }
    println!(
        "{:<20}  {:>9}  {:<11}  {:>10}  ERROR",
        "STARTED", "SECONDS", "RESULT", "BYTES"
    );
    for r in runs {
        let started = r["started"].as_str().unwrap_or("");
        let secs = match (
            r["started"].as_str().and_then(parse_time),
            r["ended"].as_str().and_then(parse_time),
        ) {
            (Some(a), Some(b)) => format!("{:.1}", (b - a).as_seconds_f64()),
            _ => "-".into(),
        };
        println!(
            "{:<20}  {:>9}  {:<11}  {:>10}  {}",
            started.get(..19).unwrap_or(started),
            secs,
            r["result"].as_str().unwrap_or(""),
            output::size(r["bytes"].as_u64().unwrap_or(0)),
            r["error"].as_str().unwrap_or("")
        );
    }
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

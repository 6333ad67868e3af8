//! `coffer replicate …`: thin over `coffer-replicate`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use coffer_core::store::Store;
use coffer_core::uri::{Location, ProfiledLocation};
use coffer_replicate::{Replica, Replicator, ReplicatorConfig, RestoreOptions, Retention, Target};
use tokio_util::sync::CancellationToken;

use crate::agent_api::AgentApi;
use crate::cli::{
    ReplicateAddArgs, ReplicateCommand, ReplicateNameArgs, ReplicateRestoreArgs, ReplicateRunArgs,
};
use crate::context::{Context, usage};
use crate::output;
use serde_json::{Value, json};

/// Runs a `replicate` verb.
pub async fn run(cmd: ReplicateCommand, profile: &str, remote: Option<&str>) -> Result<()> {
    let api = || async {
        match remote {
            Some(name) => AgentApi::remote(name),
            None => AgentApi::open().await,
        }
    };
    match cmd {
        ReplicateCommand::Run(args) => {
            foreground(&Context::open(profile, remote).await?, args).await
        }
        ReplicateCommand::Restore(args) => {
            restore(&Context::open(profile, remote).await?, args).await
        }
        ReplicateCommand::Add(args) => add(&api().await?, args, profile).await,
        ReplicateCommand::List(flag) => list(&api().await?, flag.json).await,
        ReplicateCommand::Status(args) => status(&api().await?, args).await,
        ReplicateCommand::Remove(args) => remove(&api().await?, args).await,
        ReplicateCommand::Drill(args) => drill(&api().await?, args).await,
    }
}

/// A replica location: `[PROFILE:]s3://BUCKET[/PREFIX]`, its store, bucket and
/// prefix.
fn replica_store(ctx: &Context, input: &str) -> Result<(String, Arc<dyn Store>, String, String)> {
    let parsed =
        ProfiledLocation::parse(input).map_err(|e| crate::context::UsageError(e.to_string()))?;
    let Location::S3(url) = &parsed.location else {
        return usage(format!(
            "`{input}`: a replica is [PROFILE:]s3://BUCKET/PREFIX, not a local path"
        ));
    };
    let store = match &parsed.profile {
        None => ctx.session.store(&ctx.profile)?,
        Some(name) => {
            let profile = ctx.session.profiles().get(name)?;
            ctx.session.store(&profile)?
        }
    };
    let name = format!("{}:{}", parsed.profile_or(&ctx.profile.name), url);
    Ok((name, store, url.bucket.clone(), url.key.clone()))
}

/// One database to replicate in the foreground.
struct Foreground {
    db: std::path::PathBuf,
    name: Option<String>,
    replicas: Vec<String>,
    interval: Duration,
    snapshot_every: Duration,
    retain: Duration,
}

async fn foreground(ctx: &Context, args: ReplicateRunArgs) -> Result<()> {
    let Some(file) = &args.config else {
        let Some(db) = args.db.clone() else {
            return usage("give DB and a replica, or --config coffer.yml");
        };
        let one = Foreground {
            db,
            name: args.name.clone(),
            replicas: args.replicas.clone(),
            interval: args.interval,
            snapshot_every: args.snapshot_every,
            retain: args.retain,
        };
        return replicate_one(ctx, one, args.json, None).await;
    };
    let config = coffer_replicate::config::Config::load(file)?;
    if config.dbs.is_empty() {
        return usage(format!(
            "{}: no databases (`dbs:`) to replicate",
            file.display()
        ));
    }
    let cancel = CancellationToken::new();
    spawn_signals(cancel.clone());
    let mut runs = Vec::new();
    for db in &config.dbs {
        let mut replicas = Vec::new();
        for r in &db.replicas {
            let (profile, url) = r.resolve(&ctx.profile.name)?;
            replicas.push(format!("{profile}:{url}"));
        }
        let one = Foreground {
            db: db.path.clone(),
            name: db.name.clone(),
            replicas,
            interval: db.interval.unwrap_or(args.interval),
            snapshot_every: db.snapshot_every.unwrap_or(args.snapshot_every),
            retain: db.retain.unwrap_or(args.retain),
        };
        runs.push(replicate_one(ctx, one, args.json, Some(cancel.clone())));
    }
    let results = futures::future::join_all(runs).await;
    let failed: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| format!("{e:#}")))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", failed.join("; "))
    }
}

/// Replicates one database until `shared_cancel` (or, without one, Ctrl-C or
/// SIGTERM), then makes a last sync.
async fn replicate_one(
    ctx: &Context,
    args: Foreground,
    json_out: bool,
    shared_cancel: Option<CancellationToken>,
) -> Result<()> {
    let db_id = match &args.name {
        Some(n) => n.clone(),
        None => args
            .db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                crate::context::UsageError(format!("{}: not a file", args.db.display()))
            })?,
    };
    let mut replicas = Vec::new();
    for input in &args.replicas {
        let (name, store, bucket, prefix) = replica_store(ctx, input)?;
        replicas.push(Replica::new(name, store, bucket, &prefix, &db_id)?);
    }
    let spool = ctx
        .session
        .data_dir()
        .root()
        .join("replicate")
        .join(format!("spool-{}-{db_id}", std::process::id()));
    let mut config = ReplicatorConfig::new(args.db.clone(), spool.clone(), replicas);
    config.interval = args.interval;
    config.snapshot_every = args.snapshot_every;
    config.retention = Retention {
        retain: args.retain,
        ..Retention::default()
    };
    let replicator = Replicator::start(config)
        .await
        .with_context(|| format!("cannot replicate {}", args.db.display()))?;
    let status = replicator.status();
    let first = status.lock().map(|s| s.clone()).unwrap_or_default();
    if json_out {
        output::json(&first)?;
    } else {
        let targets: Vec<&str> = first.replicas.iter().map(|r| r.name.as_str()).collect();
        eprintln!(
            "replicating {} to {} (lineage {}, TXID {}); Ctrl-C or SIGTERM stops after a last sync",
            args.db.display(),
            targets.join(", "),
            first.lineage,
            first.txid
        );
    }
    let cancel = match shared_cancel {
        Some(c) => c,
        None => {
            let c = CancellationToken::new();
            spawn_signals(c.clone());
            c
        }
    };
    let done = CancellationToken::new();
    let reporter = {
        let status = status.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut last = (first.txid, first.alert.clone());
            loop {
                tokio::select! {
                    () = done.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                let Ok(now) = status.lock().map(|s| s.clone()) else {
                    break;
                };
                let key = (now.txid, now.alert.clone());
                if key == last {
                    continue;
                }
                if json_out {
                    let _ = output::json(&now);
                } else if now.alert != last.1
                    && let Some(alert) = &now.alert
                {
                    eprintln!("alert: {alert}");
                }
                last = key;
            }
        })
    };
    let result = replicator.run(cancel).await;
    done.cancel();
    let _ = reporter.await;
    let _ = std::fs::remove_dir_all(&spool);
    let end = status.lock().map(|s| s.clone()).unwrap_or_default();
    if json_out {
        output::json(&end)?;
    } else {
        eprintln!(
            "{}: stopped at TXID {} (lineage {})",
            args.db.display(),
            end.txid,
            end.lineage
        );
    }
    result.with_context(|| format!("replication of {} stopped", args.db.display()))
}

/// Ctrl-C and SIGTERM cancel `token`.
fn spawn_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
        token.cancel();
    });
}

async fn restore(ctx: &Context, args: ReplicateRestoreArgs) -> Result<()> {
    let (name, store, bucket, prefix) = replica_store(ctx, &args.replica)?;
    let target = match (&args.timestamp, args.txid) {
        (Some(t), _) => {
            let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|e| {
                    crate::context::UsageError(format!(
                        "--timestamp `{t}`: {e} (use RFC 3339, e.g. 2026-12-01T08:30:00Z)"
                    ))
                })?;
            let ms = at.unix_timestamp_nanos() / 1_000_000;
            Target::Time(u64::try_from(ms).map_err(|_| {
                crate::context::UsageError(format!("--timestamp `{t}` is before 1970"))
            })?)
        }
        (None, Some(n)) => Target::Txid(n),
        (None, None) => Target::Latest,
    };
    let replica = Replica::locate(&name, store, &bucket, &prefix).await?;
    let cancel = CancellationToken::new();
    spawn_signals(cancel.clone());
    let options = RestoreOptions {
        target,
        to: args.to.clone(),
        force: args.force,
        concurrency: args.concurrency.max(1),
    };
    let report = coffer_replicate::restore(&replica, &options, &cancel).await?;
    if args.json {
        return output::json(&report);
    }
    let when =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(report.ts_ms) * 1_000_000)
            .map(output::rfc3339)
            .unwrap_or_default();
    println!(
        "restored {} at TXID {} ({when}) into {}: {} object(s), {}; integrity ok{}",
        replica.name,
        report.txid,
        report.path.display(),
        report.objects,
        output::size(report.bytes),
        if report.checksum_verified {
            ", checksum ok"
        } else {
            ""
        }
    );
    Ok(())
}

/// `[PROFILE:]s3://…` → `{profile, url}` of a job's params.
fn target(input: &str, profile: &str) -> Result<Value> {
    let parsed =
        ProfiledLocation::parse(input).map_err(|e| crate::context::UsageError(e.to_string()))?;
    let Location::S3(url) = &parsed.location else {
        return usage(format!(
            "`{input}`: a replica is [PROFILE:]s3://BUCKET/PREFIX, not a local path"
        ));
    };
    Ok(json!({ "profile": parsed.profile_or(profile), "url": url.to_string() }))
}

async fn add(api: &AgentApi, args: ReplicateAddArgs, profile: &str) -> Result<()> {
    let db = std::path::absolute(&args.db)
        .map_err(|e| crate::context::UsageError(format!("{}: {e}", args.db.display())))?;
    let replicas = args
        .replicas
        .iter()
        .map(|r| target(r, profile))
        .collect::<Result<Vec<_>>>()?;
    let preview = api
        .call(
            "POST",
            "/api/v1/replication/preview",
            Some(json!({
                "db": db,
                "interval_ms": args.interval.as_millis() as u64,
                "replicas": replicas.len(),
                "snapshot_every_s": args.snapshot_every.as_secs(),
                "retain_s": args.retain.as_secs(),
                "window_ms": 3000,
            })),
        )
        .await?;
    if !args.json {
        print_preview(&preview);
    }
    if args.preview {
        return if args.json {
            output::json(&preview)
        } else {
            Ok(())
        };
    }
    let params = json!({
        "db": db,
        "name": args.name,
        "replicas": replicas,
        "interval_ms": args.interval.as_millis() as u64,
        "snapshot_every_s": args.snapshot_every.as_secs(),
        "retain_s": args.retain.as_secs(),
        "drill_every_s": args.drill_every.as_secs(),
    });
    let body = json!({
        "kind": "replicate",
        "params": params,
        "notify": { "on_failure": true, "on_success": false },
    });
    let job = api.call("POST", "/api/v1/jobs", Some(body)).await?;
    if args.json {
        return output::json(&json!({ "job": job, "preview": preview }));
    }
    println!(
        "job {} `{}` added",
        job["id"].as_str().unwrap_or("").get(..8).unwrap_or(""),
        job["name"].as_str().unwrap_or("")
    );
    if !api.is_agent() {
        println!(
            "no agent runs now: the database is replicated while the desktop app, `coffer serve` \
             or `coffer agent` runs (start one of them; `coffer replicate run` replicates in the foreground)"
        );
    }
    Ok(())
}

fn print_preview(p: &Value) {
    let rate = &p["rate"];
    let hour = &p["per_hour"];
    let month = &p["per_month"];
    let n = |v: &Value| v.as_f64().unwrap_or(0.0);
    println!(
        "write rate: {:.1} transactions/s, {} of pages/s (watched for {} ms)",
        n(&rate["commits_per_s"]),
        output::size(n(&rate["bytes_per_s"]) as u64),
        rate["window_ms"]
    );
    println!(
        "requests: {:.0}/hour while writing ({:.0} PUT, {:.0} LIST, {:.0} GET), {:.0}/month; none while idle",
        n(&hour["put"]) + n(&hour["list"]) + n(&hour["get"]) + n(&hour["delete"]),
        n(&hour["put"]),
        n(&hour["list"]),
        n(&hour["get"]),
        n(&month["put"]) + n(&month["list"]) + n(&month["get"]) + n(&month["delete"]),
    );
    println!(
        "stored: about {}; uploaded: about {}/month",
        output::size(n(&p["stored_bytes"]) as u64),
        output::size(n(&p["uploaded_bytes_month"]) as u64)
    );
    for provider in p["providers"].as_array().into_iter().flatten() {
        println!(
            "  {:<20} ${:.2}/month (requests ${:.2}, storage ${:.2})",
            provider["provider"].as_str().unwrap_or(""),
            n(&provider["total_usd"]),
            n(&provider["requests_usd"]),
            n(&provider["storage_usd"])
        );
    }
    println!("  (list prices, free tiers and egress left out; an estimate at the rate watched)");
}

/// The replication job `name` names.
async fn find(api: &AgentApi, name: &str) -> Result<Value> {
    let jobs = api.call("GET", "/api/v1/replication", None).await?;
    let matches: Vec<&Value> = jobs
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| {
            let id = j["job"]["id"].as_str().unwrap_or("");
            id.starts_with(name)
                || j["job"]["name"].as_str() == Some(name)
                || j["params"]["name"].as_str() == Some(name)
                || j["params"]["db"].as_str() == Some(name)
                || std::path::absolute(name)
                    .ok()
                    .is_some_and(|p| j["params"]["db"].as_str() == p.to_str())
                || j["params"]["db"]
                    .as_str()
                    .and_then(|p| std::path::Path::new(p).file_name())
                    .is_some_and(|f| f.to_str() == Some(name))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => usage(format!(
            "no replication job `{name}` (see `coffer replicate list`)"
        )),
        many => usage(format!(
            "`{name}` names {} replication jobs; give the id",
            many.len()
        )),
    }
}

fn lag(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn ago(ms: Option<u64>) -> String {
    match ms {
        Some(t) => {
            let now = coffer_replicate::clock::now_ms();
            format!(
                "{} ago",
                output::rounded(time::Duration::milliseconds(now.saturating_sub(t) as i64))
            )
        }
        None => "never".into(),
    }
}

async fn list(api: &AgentApi, json_out: bool) -> Result<()> {
    let jobs = api.call("GET", "/api/v1/replication", None).await?;
    if json_out {
        return output::json(&jobs);
    }
    let jobs = jobs.as_array().cloned().unwrap_or_default();
    if jobs.is_empty() {
        println!("no replication jobs (add one with `coffer replicate add DB s3://BUCKET/PREFIX`)");
        return Ok(());
    }
    for j in &jobs {
        let st = &j["status"];
        let replicas = st["replicas"].as_array().cloned().unwrap_or_default();
        let worst = replicas.iter().filter_map(|r| r["lag_ms"].as_u64()).max();
        let last = replicas
            .iter()
            .filter_map(|r| r["last_sync_ms"].as_u64())
            .max();
        println!(
            "{}  {:<10} {}  TXID {}  lag {}  last sync {}{}",
            j["job"]["id"].as_str().unwrap_or("").get(..8).unwrap_or(""),
            j["job"]["state"].as_str().unwrap_or("?"),
            j["params"]["db"].as_str().unwrap_or(""),
            st["txid"].as_u64().unwrap_or(0),
            worst.map_or("-".into(), lag),
            ago(last),
            st["alert"]
                .as_str()
                .map(|a| format!("  ALERT: {a}"))
                .unwrap_or_default()
        );
    }
    if !api.is_agent() {
        println!(
            "(no agent runs now: these jobs replicate while the desktop app, `coffer serve` or `coffer agent` runs)"
        );
    }
    Ok(())
}

async fn status(api: &AgentApi, args: ReplicateNameArgs) -> Result<()> {
    let jobs = match &args.name {
        Some(name) => vec![find(api, name).await?],
        None => api
            .call("GET", "/api/v1/replication", None)
            .await?
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    if args.json {
        return output::json(&jobs);
    }
    for j in &jobs {
        let st = &j["status"];
        println!(
            "{} ({}) job {} {}{}",
            j["params"]["db"].as_str().unwrap_or(""),
            j["job"]["name"].as_str().unwrap_or(""),
            j["job"]["id"].as_str().unwrap_or(""),
            j["job"]["state"].as_str().unwrap_or("?"),
            if j["live"].as_bool() == Some(true) {
                ""
            } else {
                " (not running: its last known state)"
            }
        );
        println!(
            "  lineage {}  TXID {}  log {}  last checkpoint {}",
            st["lineage"].as_str().unwrap_or("-"),
            st["txid"].as_u64().unwrap_or(0),
            output::size(st["wal_bytes"].as_u64().unwrap_or(0)),
            ago(st["last_checkpoint_ms"].as_u64())
        );
        if let Some(alert) = st["alert"].as_str() {
            println!("  ALERT: {alert}");
        }
        for r in st["replicas"].as_array().into_iter().flatten() {
            let q = &r["requests"];
            println!(
                "  {}: TXID {}, lag {}, {} pending, last sync {}, last snapshot {}, {} sent, requests {} PUT {} LIST {} GET {} DELETE{}",
                r["name"].as_str().unwrap_or(""),
                r["txid"].as_u64().unwrap_or(0),
                lag(r["lag_ms"].as_u64().unwrap_or(0)),
                r["pending"].as_u64().unwrap_or(0),
                ago(r["last_sync_ms"].as_u64()),
                ago(r["last_snapshot_ms"].as_u64()),
                output::size(r["bytes"].as_u64().unwrap_or(0)),
                q["put"],
                q["list"],
                q["get"],
                q["delete"],
                r["error"]
                    .as_str()
                    .map(|e| format!("; error: {e}"))
                    .unwrap_or_default()
            );
        }
        for d in st["drills"].as_array().into_iter().flatten() {
            print_drill(d);
        }
    }
    Ok(())
}

fn print_drill(d: &Value) {
    if d["ok"].as_bool() == Some(true) {
        println!(
            "  drill {} {}: restored TXID {} ({} old) from {} object(s), {} in {} ms: ok",
            d["replica"].as_str().unwrap_or(""),
            ago(d["at_ms"].as_u64()),
            d["txid"],
            lag(d["age_ms"].as_u64().unwrap_or(0)),
            d["objects"],
            output::size(d["db_bytes"].as_u64().unwrap_or(0)),
            d["took_ms"]
        );
    } else {
        println!(
            "  drill {} {}: FAILED: {}",
            d["replica"].as_str().unwrap_or(""),
            ago(d["at_ms"].as_u64()),
            d["error"].as_str().unwrap_or("")
        );
    }
}

async fn remove(api: &AgentApi, args: ReplicateNameArgs) -> Result<()> {
    let Some(name) = &args.name else {
        return usage("name the job to remove (see `coffer replicate list`)");
    };
    let job = find(api, name).await?;
    let id = job["job"]["id"].as_str().unwrap_or_default();
    api.remove_job(id, &job["job"]["state"]).await?;
    if args.json {
        return output::json(&json!({ "removed": id }));
    }
    println!(
        "removed job {} ({}); the replicas were left as they are",
        id.get(..8).unwrap_or(id),
        job["params"]["db"].as_str().unwrap_or("")
    );
    Ok(())
}

async fn drill(api: &AgentApi, args: ReplicateNameArgs) -> Result<()> {
    let Some(name) = &args.name else {
        return usage("name the job to drill (see `coffer replicate list`)");
    };
    let job = find(api, name).await?;
    let id = job["job"]["id"].as_str().unwrap_or_default();
    let reports = api
        .call("POST", &format!("/api/v1/replication/{id}/drill"), None)
        .await?;
    if args.json {
        output::json(&reports)?;
    } else {
        for d in reports.as_array().into_iter().flatten() {
            print_drill(d);
        }
    }
    let failed = reports
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["ok"].as_bool() != Some(true))
        .count();
    if failed > 0 {
        anyhow::bail!("{failed} replica(s) failed the drill");
    }
    Ok(())
}

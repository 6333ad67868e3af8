//! `coffer replicate …`: thin over `coffer-replicate`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use coffer_core::store::Store;
use coffer_core::uri::{Location, ProfiledLocation};
use coffer_replicate::{Replica, Replicator, ReplicatorConfig, RestoreOptions, Retention, Target};
use tokio_util::sync::CancellationToken;

use crate::cli::{ReplicateCommand, ReplicateRestoreArgs, ReplicateRunArgs};
use crate::context::{Context, usage};
use crate::output;

/// Runs a `replicate` verb.
pub async fn run(ctx: &Context, cmd: ReplicateCommand) -> Result<()> {
    match cmd {
        ReplicateCommand::Run(args) => foreground(ctx, args).await,
        ReplicateCommand::Restore(args) => restore(ctx, args).await,
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

async fn foreground(ctx: &Context, args: ReplicateRunArgs) -> Result<()> {
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
        .join(format!("spool-{}", std::process::id()));
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
    if args.json {
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
    let cancel = CancellationToken::new();
    spawn_signals(cancel.clone());
    let reporter = {
        let status = status.clone();
        let cancel = cancel.clone();
        let json = args.json;
        tokio::spawn(async move {
            let mut last = (first.txid, first.alert.clone());
            loop {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                let Ok(now) = status.lock().map(|s| s.clone()) else {
                    break;
                };
                let key = (now.txid, now.alert.clone());
                if key == last {
                    continue;
                }
                if json {
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
    let result = replicator.run(cancel.clone()).await;
    cancel.cancel();
    let _ = reporter.await;
    let _ = std::fs::remove_dir_all(&spool);
    let end = status.lock().map(|s| s.clone()).unwrap_or_default();
    if args.json {
        output::json(&end)?;
    } else {
        eprintln!("stopped at TXID {} (lineage {})", end.txid, end.lineage);
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

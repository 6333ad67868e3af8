//! `coffer config check`: validates a coffer.yml.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use coffer_core::paths::DataDir;
use coffer_core::session::Session;
use coffer_replicate::config::Config;
use serde_json::json;

use crate::cli::{ConfigCheckArgs, ConfigCommand};
use crate::output;

/// Runs a `config` verb.
pub async fn run(cmd: ConfigCommand, profile: &str) -> Result<()> {
    match cmd {
        ConfigCommand::Check(args) => check(args, profile),
    }
}

/// The file a command means: the one given, else `./coffer.yml`, else the data
/// dir's.
pub fn config_path(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path);
    }
    let here = PathBuf::from("coffer.yml");
    if here.exists() {
        return Ok(here);
    }
    Ok(DataDir::discover()?.root().join("coffer.yml"))
}

fn check(args: ConfigCheckArgs, default_profile: &str) -> Result<()> {
    let path = config_path(args.file)?;
    let config = Config::load(&path)?;
    let session =
        Session::connect_default().context("cannot open the data dir to check profiles")?;
    let mut problems = Vec::new();
    let mut dbs = Vec::new();
    for db in &config.dbs {
        if !db.path.is_file() {
            problems.push(format!(
                "{}: no such database file (yet)",
                db.path.display()
            ));
        }
        let mut replicas = Vec::new();
        for r in &db.replicas {
            let (profile, url) = r.resolve(default_profile)?;
            if let Err(e) = session.profiles().get(&profile) {
                problems.push(format!("{}: {e}", r.url));
            }
            replicas.push(format!("{profile}:{url}"));
        }
        dbs.push(json!({
            "path": db.path, "name": db.name, "replicas": replicas,
            "interval": db.interval.map(|d| humantime::format_duration(d).to_string()),
            "snapshot_every": db.snapshot_every.map(|d| humantime::format_duration(d).to_string()),
            "retain": db.retain.map(|d| humantime::format_duration(d).to_string()),
        }));
    }
    let mirrors: Vec<_> = config
        .mirrors
        .iter()
        .map(|m| json!({"name": m.name, "src": m.src, "dst": m.dst, "delete": m.delete, "watch": m.watch, "checksum": m.checksum}))
        .collect();
    if args.json {
        output::json(&json!({"file": path, "dbs": dbs, "mirrors": mirrors, "problems": problems}))?;
    } else {
        println!("{}: valid", path.display());
        for db in &dbs {
            println!(
                "  database {} -> {}",
                db["path"].as_str().unwrap_or(""),
                db["replicas"]
                    .as_array()
                    .map(|r| r
                        .iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
        }
        for m in &mirrors {
            println!(
                "  mirror {}: {} -> {}{}{}",
                m["name"].as_str().unwrap_or(""),
                m["src"].as_str().unwrap_or(""),
                m["dst"].as_str().unwrap_or(""),
                if m["delete"] == true {
                    " (delete extras)"
                } else {
                    ""
                },
                if m["watch"] == true { " (watch)" } else { "" }
            );
        }
        for p in &problems {
            println!("  warning: {p}");
        }
    }
    Ok(())
}

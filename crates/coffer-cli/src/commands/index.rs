//! `coffer index`: the local index of buckets, kept by whoever owns the data dir (the
//! agent, or this process when none runs).

use anyhow::Result;
use serde_json::{Value, json};

use crate::agent_api::{AgentApi, profile_path};
use crate::cli::IndexCommand;
use crate::context::s3_bucket;
use crate::output;

/// The API path of a bucket's index.
pub fn index_path(profile: &str, bucket: &str, rest: &str) -> String {
    format!(
        "{}/buckets/{}/index{rest}",
        profile_path(profile),
        percent_encoding::utf8_percent_encode(bucket, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// How long ago an RFC 3339 time was, for people.
pub fn age(as_of: &Value) -> String {
    let Some(t) = as_of.as_str().and_then(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    }) else {
        return "never".into();
    };
    format!(
        "{} ago",
        output::rounded(time::OffsetDateTime::now_utc() - t)
    )
}

/// Runs a `coffer index` verb.
pub async fn run(cmd: IndexCommand, profile: &str, remote: Option<&str>) -> Result<()> {
    let api = match remote {
        Some(name) => AgentApi::remote(name)?,
        None => AgentApi::open().await?,
    };
    match cmd {
        IndexCommand::Status(flag) => {
            let all = api.call("GET", "/api/v1/index", None).await?;
            if flag.json {
                return output::json(&all);
            }
            let indexes = all["indexes"].as_array().cloned().unwrap_or_default();
            if indexes.is_empty() {
                println!("no bucket is indexed; `coffer index refresh s3://bucket` indexes one");
            }
            for i in &indexes {
                println!(
                    "s3://{}  ({})  {}  {} objects, {}, as of {}{}",
                    i["bucket"].as_str().unwrap_or(""),
                    i["profile"].as_str().unwrap_or(""),
                    i["state"].as_str().unwrap_or(""),
                    i["objects"].as_u64().unwrap_or(0),
                    output::size(i["bytes"].as_u64().unwrap_or(0)),
                    age(&i["as_of"]),
                    i["error"]
                        .as_str()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default(),
                );
            }
            println!(
                "index size on disk: {}",
                output::size(all["disk_bytes"].as_u64().unwrap_or(0))
            );
            Ok(())
        }
        IndexCommand::Refresh(args) => {
            let bucket = s3_bucket(&args.bucket)?;
            let info = api
                .call(
                    "POST",
                    &index_path(profile, &bucket, ""),
                    Some(json!({ "force": true, "wait": true })),
                )
                .await?;
            if args.json {
                return output::json(&info);
            }
            if info["state"] != "ready" {
                anyhow::bail!(
                    "indexing s3://{bucket} failed: {}",
                    info["error"].as_str().unwrap_or("unknown error")
                );
            }
            println!(
                "indexed s3://{bucket}: {} objects, {}",
                info["objects"].as_u64().unwrap_or(0),
                output::size(info["bytes"].as_u64().unwrap_or(0))
            );
            Ok(())
        }
        IndexCommand::Forget(args) => {
            let bucket = s3_bucket(&args.bucket)?;
            api.call("DELETE", &index_path(profile, &bucket, ""), None)
                .await?;
            if args.json {
                return output::json(&json!({ "forgotten": bucket }));
            }
            println!("forgot the index of s3://{bucket}");
            Ok(())
        }
    }
}

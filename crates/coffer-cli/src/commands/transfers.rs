//! `coffer transfers list|cleanup`.

use anyhow::Result;
use coffer_core::transfer::TransferConfig;
use serde_json::json;

use crate::cli::TransfersCommand;
use crate::context::{Context, s3_url};
use crate::output;

/// Lists or cleans up resumable uploads.
pub async fn run(ctx: &Context, cmd: TransfersCommand) -> Result<()> {
    let transfers = ctx.engine(TransferConfig::default())?;
    match cmd {
        TransfersCommand::List(flag) => {
            let list = transfers.list_transfers()?;
            for t in &list {
                if flag.json {
                    output::json(t)?;
                } else {
                    println!(
                        "{}  s3://{}/{}  {}/{} parts  {} of {}  from {}",
                        t.record.started,
                        t.record.upload.bucket,
                        t.record.upload.key,
                        t.parts_done,
                        t.parts_total,
                        output::size(t.bytes_done),
                        output::size(t.record.size),
                        t.record.source.display()
                    );
                }
            }
            if list.is_empty() && !flag.json {
                println!("no unfinished uploads");
            }
            Ok(())
        }
        TransfersCommand::Cleanup(args) => {
            let bucket = args.bucket.as_deref().map(s3_url).transpose()?;
            let report = transfers
                .cleanup(args.older_than, bucket.as_ref().map(|b| b.bucket.as_str()))
                .await?;
            if args.json {
                return output::json(&json!({
                    "aborted": report.aborted.iter().map(|(b, u)| json!({
                        "bucket": b, "key": u.key, "upload_id": u.upload_id
                    })).collect::<Vec<_>>(),
                    "kept": report.kept,
                    "records_dropped": report.records_dropped,
                }));
            }
            for (bucket, upload) in &report.aborted {
                println!(
                    "aborted: s3://{bucket}/{} (upload {})",
                    upload.key, upload.upload_id
                );
            }
            println!(
                "{} upload(s) aborted, {} younger than {} kept",
                report.aborted.len(),
                report.kept,
                humantime::format_duration(args.older_than)
            );
            Ok(())
        }
    }
}

//! `coffer rm`: one object, or a prefix with --recursive (asks first unless --yes).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Result;
use coffer_core::store::ObjectRef;
use serde_json::json;

use crate::cli::{RmArgs, TuneArgs};
use crate::context::{Context, s3_url, usage};
use crate::output;

fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return usage(format!(
            "{question} Add --yes to confirm without a terminal."
        ));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Deletes.
pub async fn run(ctx: &Context, args: RmArgs) -> Result<()> {
    let url = s3_url(&args.url)?;
    let transfers = ctx.transfers(&TuneArgs {
        part_size: 8 * 1024 * 1024,
        concurrency: 8,
    })?;
    if !args.recursive {
        if url.is_prefix() {
            return usage(format!(
                "`{}` is a prefix; add --recursive to delete everything under it",
                args.url
            ));
        }
        transfers
            .delete_object(&ObjectRef::new(&url.bucket, &url.key))
            .await?;
        if args.json {
            output::json(&json!({ "deleted": 1 }))?;
        } else {
            println!("delete: {url}");
        }
        return Ok(());
    }
    if !args.yes && !confirm(&format!("Delete every object under {url}?"))? {
        return usage("nothing was deleted");
    }
    let (tracker, bar) = output::tracker("delete");
    let result = transfers
        .delete_prefix(&url.bucket, &url.key, &tracker)
        .await;
    output::done(bar);
    let report = result?;
    if args.json {
        output::json(&json!({ "deleted": report.items, "bytes": report.bytes }))
    } else {
        println!("deleted {} object(s) under {url}", report.items);
        Ok(())
    }
}

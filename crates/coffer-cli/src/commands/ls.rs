//! `coffer ls`: buckets, one folder level, or a recursive listing. Pages are printed
//! as they arrive; nothing holds the whole listing.

use std::fmt::Write as _;

use anyhow::Result;
use coffer_core::store::{ListRequest, StoreExt};
use futures::StreamExt;
use serde_json::json;

use crate::cli::LsArgs;
use crate::context::{Context, s3_url};
use crate::output;

fn date(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| {
        t.format(&time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .ok()
    })
    .unwrap_or_else(|| " ".repeat(19))
}

/// Lists.
pub async fn run(ctx: &Context, args: LsArgs) -> Result<()> {
    let store = ctx.store()?;
    let Some(url) = args.url else {
        for bucket in store.list_buckets().await? {
            if args.json {
                output::json(&bucket)?;
            } else {
                println!("{}  s3://{}", date(bucket.created), bucket.name);
            }
        }
        return Ok(());
    };
    let url = s3_url(&url)?;
    let request = if args.recursive {
        ListRequest::recursive(&url.bucket, &url.key)
    } else {
        ListRequest::folder(&url.bucket, &url.key)
    };
    let mut pages = store.list_stream(request);
    // One write per page: a recursive listing of a large bucket is 100,000s of lines,
    // and a line-buffered stdout would make a system call for each.
    let mut text = String::new();
    while let Some(page) = pages.next().await {
        let page = page?;
        text.clear();
        for prefix in &page.common_prefixes {
            if args.json {
                text.push_str(&serde_json::to_string(&json!({ "prefix": prefix }))?);
                text.push('\n');
            } else {
                let _ = writeln!(text, "{:>19}  {:>12}  {prefix}", "", "PRE");
            }
        }
        for object in &page.objects {
            if args.json {
                text.push_str(&serde_json::to_string(object)?);
                text.push('\n');
            } else {
                let _ = writeln!(
                    text,
                    "{}  {:>12}  {}",
                    date(object.last_modified),
                    object.size,
                    object.key
                );
            }
        }
        output::write_stdout(text.as_bytes())?;
    }
    Ok(())
}

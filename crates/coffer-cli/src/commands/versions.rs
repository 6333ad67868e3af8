//! `coffer versions`: every version and delete marker of one object.

use anyhow::Result;

use crate::cli::VersionsArgs;
use crate::context::{Context, s3_url, usage};
use crate::output;

/// Lists an object's versions, newest first.
pub async fn run(ctx: &Context, args: VersionsArgs) -> Result<()> {
    let url = s3_url(&args.url)?;
    if url.key.is_empty() || url.key.ends_with('/') {
        return usage(format!(
            "`{}`: give an object, as s3://bucket/key",
            args.url
        ));
    }
    let versions = ctx.store()?.list_versions(&url.bucket, &url.key).await?;
    if args.json {
        for v in &versions {
            println!("{}", serde_json::to_string(v)?);
        }
        return Ok(());
    }
    if versions.is_empty() {
        println!("no versions of s3://{}/{}", url.bucket, url.key);
        return Ok(());
    }
    for v in &versions {
        let when = v
            .last_modified
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into());
        let what = if v.is_delete_marker {
            "delete marker".to_string()
        } else {
            output::size(v.size)
        };
        let latest = if v.is_latest { "  (latest)" } else { "" };
        println!("{}  {when}  {what:>13}{latest}", v.version_id);
    }
    Ok(())
}

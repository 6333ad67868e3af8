//! `coffer presign`: a URL that works without credentials until it expires. Every
//! link is recorded (`coffer shares list`); the URL itself is only printed.

use anyhow::Result;
use coffer_core::share::{self, ShareRequest};
use coffer_core::store::PresignMethod;
use serde_json::json;

use crate::cli::PresignArgs;
use crate::context::{Context, s3_url, usage};
use crate::output;

/// Prints a presigned URL.
pub async fn run(ctx: &Context, args: PresignArgs) -> Result<()> {
    let url = s3_url(&args.url)?;
    if url.key.is_empty() {
        return usage(format!(
            "`{}`: give an object, as s3://bucket/key",
            args.url
        ));
    }
    let method = if args.put {
        PresignMethod::Put
    } else {
        PresignMethod::Get
    };
    let made = share::make(
        ctx.store()?.as_ref(),
        ctx.session.db().as_ref(),
        ShareRequest {
            profile: &ctx.profile_ref(),
            bucket: &url.bucket,
            key: &url.key,
            method,
            expires_in: args.expires,
            via: "cli",
        },
    )
    .await?;
    if args.json {
        return output::json(&json!({
            "url": made.url,
            "expires_at": output::rfc3339(made.record.expires_at()),
            "expires_secs": made.record.expires_secs,
            "share_id": made.record.id,
        }));
    }
    println!("{}", made.url);
    Ok(())
}

//! `coffer presign`: a URL that works without credentials until it expires.

use anyhow::Result;
use coffer_core::store::PresignMethod;

use crate::cli::PresignArgs;
use crate::context::{Context, s3_url, usage};

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
    let signed = ctx
        .store()?
        .presign(method, &url.bucket, &url.key, args.expires)
        .await?;
    println!("{signed}");
    Ok(())
}

//! `coffer mb` and `coffer rb`.

use anyhow::Result;

use crate::cli::BucketArgs;
use crate::context::{Context, s3_url, usage};

fn bucket_only(input: &str) -> Result<String> {
    let url = s3_url(input)?;
    if !url.key.is_empty() {
        return usage(format!("`{input}`: give a bucket only, as s3://bucket"));
    }
    Ok(url.bucket)
}

/// Makes a bucket.
pub async fn make(ctx: &Context, args: BucketArgs) -> Result<()> {
    let bucket = bucket_only(&args.url)?;
    ctx.store()?.create_bucket(&bucket).await?;
    println!("make_bucket: s3://{bucket}");
    Ok(())
}

/// Removes an empty bucket.
pub async fn remove(ctx: &Context, args: BucketArgs) -> Result<()> {
    let bucket = bucket_only(&args.url)?;
    ctx.store()?.delete_bucket(&bucket).await?;
    println!("remove_bucket: s3://{bucket}");
    Ok(())
}

//! `coffer mb` and `coffer rb`.

use anyhow::Result;

use crate::cli::BucketArgs;
use crate::context::{Context, s3_bucket};

/// Makes a bucket.
pub async fn make(ctx: &Context, args: BucketArgs) -> Result<()> {
    let bucket = s3_bucket(&args.url)?;
    ctx.store()?.create_bucket(&bucket).await?;
    println!("make_bucket: s3://{bucket}");
    Ok(())
}

/// Removes an empty bucket.
pub async fn remove(ctx: &Context, args: BucketArgs) -> Result<()> {
    let bucket = s3_bucket(&args.url)?;
    ctx.store()?.delete_bucket(&bucket).await?;
    println!("remove_bucket: s3://{bucket}");
    Ok(())
}

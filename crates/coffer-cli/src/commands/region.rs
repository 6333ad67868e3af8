//! `coffer region`: a bucket's region and where it came from.

use anyhow::Result;

use crate::cli::RegionArgs;
use crate::context::{Context, s3_url};
use crate::output;

/// Shows the region.
pub async fn run(ctx: &Context, args: RegionArgs) -> Result<()> {
    let url = s3_url(&args.url)?;
    let info = ctx.store()?.bucket_region(&url.bucket).await?;
    if args.json {
        output::json(&info)
    } else {
        println!("s3://{}: {}", url.bucket, info.explain());
        Ok(())
    }
}

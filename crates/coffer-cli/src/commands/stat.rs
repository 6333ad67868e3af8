//! `coffer stat`: one object's metadata.

use anyhow::Result;

use crate::cli::StatArgs;
use crate::context::{Context, s3_url, usage};
use crate::output;

/// Shows an object's metadata.
pub async fn run(ctx: &Context, args: StatArgs) -> Result<()> {
    let url = s3_url(&args.url)?;
    if url.key.is_empty() {
        return usage(format!(
            "`{}`: give an object, as s3://bucket/key",
            args.url
        ));
    }
    let meta = ctx.store()?.head(&url.bucket, &url.key).await?;
    if args.json {
        return output::json(&meta);
    }
    println!("Key:           {}", meta.key);
    println!(
        "Size:          {} ({} bytes)",
        output::size(meta.size),
        meta.size
    );
    if let Some(t) = meta.last_modified {
        println!("Last modified: {t}");
    }
    let show = |label: &str, v: &Option<String>| {
        if let Some(v) = v {
            println!("{label:<15}{v}");
        }
    };
    show("ETag:", &meta.etag);
    show("Content-Type:", &meta.content_type);
    show("Cache-Control:", &meta.cache_control);
    show("Storage class:", &meta.storage_class);
    if let Some(c) = &meta.checksum {
        println!("Checksum:      {c}");
    }
    if let Some(n) = meta.parts_count {
        println!("Parts:         {n}");
    }
    for (k, v) in &meta.metadata {
        println!("Metadata:      {k}={v}");
    }
    Ok(())
}

//! `coffer restore-version`: an older version of an object made current again.

use anyhow::Result;
use coffer_core::store::ObjectRef;
use serde_json::json;

use crate::cli::RestoreVersionArgs;
use crate::context::{Context, s3_url, usage};

/// Copies the version over its own key on the server; the versions in between stay.
pub async fn run(ctx: &Context, args: RestoreVersionArgs) -> Result<()> {
    let url = s3_url(&args.url)?;
    if url.key.is_empty() || url.key.ends_with('/') {
        return usage(format!(
            "`{}`: give an object, as s3://bucket/key",
            args.url
        ));
    }
    let store = ctx.store()?;
    let versions = store.list_versions(&url.bucket, &url.key).await?;
    let Some(version) = versions.iter().find(|v| v.version_id == args.version_id) else {
        return usage(format!(
            "--version-id: s3://{}/{} has no version `{}` (`coffer versions` lists them)",
            url.bucket, url.key, args.version_id
        ));
    };
    if version.is_delete_marker {
        return usage(format!(
            "--version-id: `{}` is a delete marker; to undelete, restore the version before it",
            args.version_id
        ));
    }
    let object = ObjectRef::new(&url.bucket, &url.key);
    store
        .copy_version(&object, &args.version_id, &object)
        .await?;
    if args.json {
        println!(
            "{}",
            json!({ "bucket": url.bucket, "key": url.key, "restored": args.version_id })
        );
    } else {
        println!(
            "restored: s3://{}/{} is version {} again",
            url.bucket, url.key, args.version_id
        );
    }
    Ok(())
}

//! `coffer mv`: server-side move and rename (S3 → S3); for local ↔ S3, a verified
//! copy followed by deleting the source.

use anyhow::Result;
use coffer_core::store::ObjectRef;
use coffer_core::uri::Location;
use serde_json::json;

use coffer_core::transfer::{Destination, Downloaded, Uploaded, upload_key};

use super::cp::local_destination;
use crate::cli::MvArgs;
use crate::context::{Context, UsageError, usage};
use crate::output;

fn location(input: &str) -> Result<Location> {
    Location::parse(input).map_err(|e| UsageError(e.to_string()).into())
}

/// Moves.
pub async fn run(ctx: &Context, args: MvArgs) -> Result<()> {
    let mut transfers = ctx.transfers(&args.tune)?;
    if args.no_rules {
        transfers = transfers.without_rules();
    }
    let (tracker, bar) = output::tracker("move");
    let result: Result<serde_json::Value> = async {
        match (location(&args.src)?, location(&args.dst)?) {
            (Location::S3(src), Location::S3(dst)) => {
                if args.recursive || src.is_prefix() {
                    if !args.recursive {
                        return usage(format!("`{src}` is a prefix; add --recursive to move it"));
                    }
                    let report = transfers
                        .move_prefix(
                            &ObjectRef::new(&src.bucket, &src.key),
                            &ObjectRef::new(&dst.bucket, &dst.key),
                            &tracker,
                        )
                        .await?;
                    return Ok(json!({ "report": report }));
                }
                let source = ObjectRef::new(&src.bucket, &src.key);
                let target = ObjectRef::new(&dst.bucket, upload_key(&dst.key, src.file_name()));
                let size = transfers.move_object(&source, &target, &tracker).await?;
                Ok(json!({ "source": source, "target": target, "size": size }))
            }
            (Location::Local(src), Location::S3(dst)) => {
                if src.is_dir() {
                    return usage(
                        "moving a local folder is not supported; use `coffer cp --recursive`, \
                         then delete the folder yourself",
                    );
                }
                let Uploaded::File(report) = transfers
                    .upload_path(&src, &dst.bucket, &dst.key, &Default::default(), &tracker)
                    .await?
                else {
                    return usage("moving a local folder is not supported");
                };
                std::fs::remove_file(&src).map_err(|e| {
                    coffer_core::Error::io("uploaded, but cannot delete", src.clone(), e)
                })?;
                Ok(serde_json::to_value(report)?)
            }
            (Location::S3(src), Location::Local(dst)) => {
                if src.is_prefix() {
                    return usage("moving a prefix to local files is not supported; use `coffer cp --recursive` then `coffer rm --recursive`");
                }
                let dst = local_destination(&dst, &args.dst);
                let source = ObjectRef::new(&src.bucket, &src.key);
                let Downloaded::File(report) = transfers
                    .download_path(&src.bucket, &src.key, Destination::At(&dst), &tracker)
                    .await?
                else {
                    return usage("moving a prefix to local files is not supported");
                };
                transfers.delete_object(&source).await?;
                Ok(serde_json::to_value(report)?)
            }
            (Location::Local(_), Location::Local(_)) => {
                usage("both sides are local paths; one side must be s3://bucket/key")
            }
        }
    }
    .await;
    output::done(bar);
    let value = result?;
    if args.json {
        output::json(&value)
    } else {
        println!("move: {} to {}", args.src, args.dst);
        Ok(())
    }
}

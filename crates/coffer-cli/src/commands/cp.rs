//! `coffer cp`: local → S3 (upload), S3 → local (download), S3 → S3 (server copy).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use coffer_core::store::{ObjectRef, PutOptions};
use coffer_core::uri::{Location, S3Url};
use serde_json::json;

use crate::cli::CpArgs;
use crate::context::{Context, UsageError, usage};
use crate::output;

fn location(input: &str) -> Result<Location> {
    Location::parse(input).map_err(|e| UsageError(e.to_string()).into())
}

/// The options given on the command line; `None` when none were.
fn put_options(args: &CpArgs) -> Result<Option<PutOptions>> {
    let mut metadata = BTreeMap::new();
    for pair in &args.metadata {
        let Some((k, v)) = pair.split_once('=') else {
            return usage(format!("--metadata `{pair}`: write KEY=VALUE"));
        };
        metadata.insert(k.to_lowercase(), v.to_string());
    }
    let given = args.content_type.is_some()
        || args.cache_control.is_some()
        || args.storage_class.is_some()
        || !metadata.is_empty();
    Ok(given.then(|| PutOptions {
        content_type: args.content_type.clone(),
        cache_control: args.cache_control.clone(),
        storage_class: args.storage_class.clone(),
        metadata,
        checksum: true,
    }))
}

/// The key a single file or object lands at: into the prefix when the target ends
/// with `/` (or is the bucket), else the target key itself.
pub fn target_key(dst: &S3Url, file_name: &str) -> String {
    if dst.is_prefix() {
        format!("{}{file_name}", dst.key)
    } else {
        dst.key.clone()
    }
}

/// The local file a single object lands in.
pub fn target_path(dst: &Path, dst_raw: &str, key_name: &str) -> PathBuf {
    if dst.is_dir() || dst_raw.ends_with('/') || dst_raw.ends_with(std::path::MAIN_SEPARATOR) {
        dst.join(key_name)
    } else {
        dst.to_path_buf()
    }
}

/// Copies.
pub async fn run(ctx: &Context, args: CpArgs) -> Result<()> {
    let options = put_options(&args)?;
    let transfers = ctx.transfers(&args.tune)?;
    match (location(&args.src)?, location(&args.dst)?) {
        (Location::Local(_), Location::Local(_)) => {
            usage("both sides are local paths; one side must be s3://bucket/key")
        }
        (Location::Local(src), Location::S3(dst)) => {
            let options = options.unwrap_or_default();
            if src.is_dir() {
                if !args.recursive {
                    return usage(format!(
                        "`{}` is a folder; add --recursive to upload it",
                        src.display()
                    ));
                }
                let (tracker, bar) = output::tracker("upload");
                let result = transfers
                    .upload_dir(&src, &dst.bucket, &dst.key, &options, &tracker)
                    .await;
                output::done(bar);
                let report = result?;
                let progress = tracker.finish();
                if args.json {
                    output::json(&json!({ "report": report, "progress": progress }))?;
                } else {
                    println!("{}", output::summary("uploaded", &progress));
                }
                return Ok(());
            }
            let name = src
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let target = ObjectRef::new(&dst.bucket, target_key(&dst, &name));
            let (tracker, bar) = output::tracker("upload");
            let result = transfers
                .upload_file(&src, &target, &options, &tracker)
                .await;
            output::done(bar);
            let report = result?;
            if args.json {
                output::json(&report)?;
            } else {
                println!(
                    "upload: {} to s3://{}/{}",
                    src.display(),
                    report.bucket,
                    report.key
                );
                if report.parts_resumed > 0 {
                    println!(
                        "resumed: {} part(s) were already on the server",
                        report.parts_resumed
                    );
                }
            }
            Ok(())
        }
        (Location::S3(src), Location::Local(dst)) => {
            let (tracker, bar) = output::tracker("download");
            if args.recursive {
                let result = transfers
                    .download_prefix(&src.bucket, &src.key, &dst, &tracker)
                    .await;
                output::done(bar);
                let report = result?;
                let progress = tracker.finish();
                if args.json {
                    output::json(&json!({ "report": report, "progress": progress }))?;
                } else {
                    println!("{}", output::summary("downloaded", &progress));
                }
                return Ok(());
            }
            if src.is_prefix() {
                output::done(bar);
                return usage(format!(
                    "`{src}` is a prefix; add --recursive to download everything under it"
                ));
            }
            let path = target_path(&dst, &args.dst, src.file_name());
            let source = ObjectRef::new(&src.bucket, &src.key);
            let result = transfers.download_object(&source, &path, &tracker).await;
            output::done(bar);
            let report = result?;
            if args.json {
                output::json(&report)?;
            } else {
                println!("download: {src} to {}", report.path.display());
            }
            Ok(())
        }
        (Location::S3(src), Location::S3(dst)) => {
            let (tracker, bar) = output::tracker("copy");
            if args.recursive {
                let result = transfers
                    .copy_prefix(
                        &ObjectRef::new(&src.bucket, &src.key),
                        &ObjectRef::new(&dst.bucket, &dst.key),
                        &tracker,
                    )
                    .await;
                output::done(bar);
                let report = result?;
                let progress = tracker.finish();
                if args.json {
                    output::json(&json!({ "report": report, "progress": progress }))?;
                } else {
                    println!("{}", output::summary("copied", &progress));
                }
                return Ok(());
            }
            if src.is_prefix() {
                output::done(bar);
                return usage(format!("`{src}` is a prefix; add --recursive to copy it"));
            }
            let source = ObjectRef::new(&src.bucket, &src.key);
            let target = ObjectRef::new(&dst.bucket, target_key(&dst, src.file_name()));
            let result = transfers
                .copy_object(&source, &target, options.as_ref(), &tracker)
                .await;
            output::done(bar);
            let size = result?;
            if args.json {
                output::json(&json!({
                    "source": source, "target": target, "size": size
                }))?;
            } else {
                println!("copy: {src} to s3://{}/{}", target.bucket, target.key);
            }
            Ok(())
        }
    }
}

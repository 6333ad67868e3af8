//! `coffer cp`: local → S3 (upload), S3 → local (download), S3 → S3 (server copy).
//! What a request means (a folder under a prefix, a file at a key or under a prefix,
//! a download at a path) is the core's (`coffer_core::transfer::request`); this file
//! adds the command's own rules (`--recursive`) and its output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use coffer_core::store::{ObjectRef, PutOptions};
use coffer_core::transfer::{Destination, Downloaded, Uploaded, as_folder, upload_key};
use coffer_core::uri::Location;
use serde_json::json;

use crate::cli::CpArgs;
use crate::context::{Context, UsageError, usage};
use crate::output;

fn location(input: &str) -> Result<Location> {
    Location::parse(input).map_err(|e| UsageError(e.to_string()).into())
}

/// `--metadata K=V` pairs; names in lowercase.
pub fn metadata_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut metadata = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            return usage(format!("--metadata `{pair}`: write KEY=VALUE"));
        };
        metadata.insert(k.to_lowercase(), v.to_string());
    }
    Ok(metadata)
}

/// The options given on the command line; `None` when none were.
fn put_options(args: &CpArgs) -> Result<Option<PutOptions>> {
    let metadata = metadata_pairs(&args.metadata)?;
    let given = args.content_type.is_some()
        || args.cache_control.is_some()
        || args.content_disposition.is_some()
        || args.storage_class.is_some()
        || !metadata.is_empty();
    Ok(given.then(|| PutOptions {
        content_type: args.content_type.clone(),
        cache_control: args.cache_control.clone(),
        content_disposition: args.content_disposition.clone(),
        storage_class: args.storage_class.clone(),
        metadata,
        checksum: true,
    }))
}

/// The local destination as written: a trailing `/` (a folder to create) is kept, so
/// that the object goes under its own name there.
pub fn local_destination(dst: &Path, raw: &str) -> PathBuf {
    let mut path = dst.as_os_str().to_owned();
    let slash = raw.ends_with('/') || raw.ends_with(std::path::MAIN_SEPARATOR);
    if slash
        && !path
            .to_string_lossy()
            .ends_with(['/', std::path::MAIN_SEPARATOR])
    {
        path.push("/");
    }
    PathBuf::from(path)
}

/// Copies.
pub async fn run(ctx: &Context, args: CpArgs) -> Result<()> {
    let options = put_options(&args)?;
    let mut transfers = ctx.transfers(&args.tune)?;
    if args.no_rules {
        transfers = transfers.without_rules();
    }
    if let Some(version) = &args.version_id {
        return download_version(&transfers, &args, version).await;
    }
    match (location(&args.src)?, location(&args.dst)?) {
        (Location::Local(_), Location::Local(_)) => {
            usage("both sides are local paths; one side must be s3://bucket/key")
        }
        (Location::Local(src), Location::S3(dst)) => {
            let options = options.unwrap_or_default();
            if src.is_dir() && !args.recursive {
                return usage(format!(
                    "`{}` is a folder; add --recursive to upload it",
                    src.display()
                ));
            }
            let (tracker, bar) = output::tracker("upload");
            let result = transfers
                .upload_path(&src, &dst.bucket, &dst.key, &options, &tracker)
                .await;
            output::done(bar);
            match result? {
                Uploaded::Folder(report) => {
                    let progress = tracker.finish();
                    if args.json {
                        output::json(&json!({ "report": report, "progress": progress }))?;
                    } else {
                        println!("{}", output::summary("uploaded", &progress));
                    }
                }
                Uploaded::File(report) if args.json => output::json(&report)?,
                Uploaded::File(report) => {
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
            }
            Ok(())
        }
        (Location::S3(src), Location::Local(dst)) => {
            if src.is_prefix() && !args.recursive {
                return usage(format!(
                    "`{src}` is a prefix; add --recursive to download everything under it"
                ));
            }
            // With --recursive, the key is a prefix whether or not it ends in `/`.
            let key = if args.recursive {
                as_folder(&src.key)
            } else {
                src.key.clone()
            };
            let dst = local_destination(&dst, &args.dst);
            let (tracker, bar) = output::tracker("download");
            let result = transfers
                .download_path(&src.bucket, &key, Destination::At(&dst), &tracker)
                .await;
            output::done(bar);
            match result? {
                Downloaded::Folder(report) => {
                    let progress = tracker.finish();
                    if args.json {
                        output::json(&json!({ "report": report, "progress": progress }))?;
                    } else {
                        println!("{}", output::summary("downloaded", &progress));
                    }
                }
                Downloaded::File(report) if args.json => output::json(&report)?,
                Downloaded::File(report) => {
                    println!("download: {src} to {}", report.path.display());
                }
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
            let target = ObjectRef::new(&dst.bucket, upload_key(&dst.key, src.file_name()));
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

/// `cp s3://bucket/key --version-id ID DEST`: one version, downloaded.
async fn download_version(
    transfers: &coffer_core::transfer::Transfers,
    args: &CpArgs,
    version: &str,
) -> Result<()> {
    let (Location::S3(src), Location::Local(dst)) = (location(&args.src)?, location(&args.dst)?)
    else {
        return usage("--version-id downloads a version: from s3://bucket/key to a local path");
    };
    if args.recursive {
        return usage("--version-id names one object's version; leave out --recursive");
    }
    let dst = local_destination(&dst, &args.dst);
    let (tracker, bar) = output::tracker("download");
    let result = transfers
        .download_version_path(
            &src.bucket,
            &src.key,
            version,
            Destination::At(&dst),
            &tracker,
        )
        .await;
    output::done(bar);
    let report = result?;
    if args.json {
        output::json(&report)?;
    } else {
        println!(
            "download: {src} (version {version}) to {}",
            report.path.display()
        );
    }
    Ok(())
}

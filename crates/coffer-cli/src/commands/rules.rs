//! `coffer rules`: upload header rules, per bucket of the profile. Every matching
//! rule applies to an upload, in order (a later one wins); `cp --no-rules` skips them.

use anyhow::Result;
use coffer_core::rules::{self, BucketRule, UploadRule};
use serde_json::json;

use crate::cli::{RulesAddArgs, RulesCommand, RulesListArgs, RulesRemoveArgs};
use crate::commands::cp::metadata_pairs;
use crate::context::{Context, s3_bucket, usage};
use crate::output;

/// Runs a `coffer rules` verb.
pub async fn run(ctx: &Context, cmd: RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::List(args) => list(ctx, args),
        RulesCommand::Add(args) => add(ctx, args),
        RulesCommand::Remove(args) => remove(ctx, args),
    }
}

/// One line for people: `ID  GLOB  → headers`.
fn describe(rule: &UploadRule) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("Content-Type", &rule.content_type),
        ("Cache-Control", &rule.cache_control),
        ("Content-Disposition", &rule.content_disposition),
        ("storage class", &rule.storage_class),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name}: {v}"));
        }
    }
    for (k, v) in &rule.metadata {
        parts.push(format!("x-amz-meta-{k}: {v}"));
    }
    format!("{}  {}  → {}", rule.id, rule.glob, parts.join("; "))
}

fn list(ctx: &Context, args: RulesListArgs) -> Result<()> {
    let db = ctx.session.db();
    let profile = ctx.profile_ref();
    let all: Vec<BucketRule> = match &args.bucket {
        Some(input) => {
            let bucket = s3_bucket(input)?;
            rules::list(db.as_ref(), &profile, &bucket)?
                .into_iter()
                .map(|rule| BucketRule {
                    bucket: bucket.clone(),
                    rule,
                })
                .collect()
        }
        None => rules::list_profile(db.as_ref(), &profile)?,
    };
    if args.json {
        for rule in &all {
            output::json(rule)?;
        }
        return Ok(());
    }
    if all.is_empty() {
        println!(
            "no upload rules for profile `{profile}`; `coffer rules add s3://bucket '*.css' \
             --cache-control 'public, max-age=31536000, immutable'` adds one"
        );
        return Ok(());
    }
    let mut last = None;
    for r in &all {
        if last != Some(&r.bucket) {
            println!("s3://{}", r.bucket);
            last = Some(&r.bucket);
        }
        println!("  {}", describe(&r.rule));
    }
    Ok(())
}

fn add(ctx: &Context, args: RulesAddArgs) -> Result<()> {
    let bucket = s3_bucket(&args.bucket)?;
    if args.position == Some(0) {
        return usage("--position counts from 1");
    }
    let rule = UploadRule {
        id: String::new(),
        glob: args.glob.clone(),
        content_type: args.content_type.clone(),
        cache_control: args.cache_control.clone(),
        content_disposition: args.content_disposition.clone(),
        storage_class: args.storage_class.clone(),
        metadata: metadata_pairs(&args.metadata)?,
    };
    let saved = rules::add(
        ctx.session.db().as_ref(),
        &ctx.profile_ref(),
        &bucket,
        rule,
        args.position.map(|p| p - 1),
    )?;
    if args.json {
        return output::json(&BucketRule {
            bucket,
            rule: saved,
        });
    }
    println!("added to s3://{bucket}: {}", describe(&saved));
    Ok(())
}

fn remove(ctx: &Context, args: RulesRemoveArgs) -> Result<()> {
    let db = ctx.session.db();
    let profile = ctx.profile_ref();
    let bucket = match &args.bucket {
        Some(input) => s3_bucket(input)?,
        None => rules::list_profile(db.as_ref(), &profile)?
            .into_iter()
            .find(|r| r.rule.id == args.id)
            .map(|r| r.bucket)
            .ok_or_else(|| coffer_core::Error::NotFound {
                what: format!("upload rule `{}` in profile `{profile}`", args.id),
                hint: "`coffer rules list` shows the rules and their ids",
            })?,
    };
    rules::remove(db.as_ref(), &profile, &bucket, &args.id)?;
    if args.json {
        return output::json(&json!({ "removed": args.id, "bucket": bucket }));
    }
    println!("removed upload rule {} from s3://{bucket}", args.id);
    Ok(())
}

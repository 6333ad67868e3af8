//! `coffer shares`: the share links made so far (recorded by `coffer presign`, the
//! app and the API). A link cannot be revoked before it expires except by rotating
//! the key that signed it; `forget` only removes its record.

use anyhow::Result;
use coffer_core::share::{self, ShareRecord};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::{ShareIdArgs, SharesCommand};
use crate::context::Context;
use crate::output;

/// Runs a `coffer shares` verb.
pub async fn run(ctx: &Context, cmd: SharesCommand) -> Result<()> {
    match cmd {
        SharesCommand::List(flag) => list(ctx, flag.json),
        SharesCommand::Url(args) => url(ctx, args).await,
        SharesCommand::Forget(args) => {
            share::forget(ctx.session.db().as_ref(), &args.id)?;
            if args.json {
                return output::json(&json!({ "forgotten": args.id }));
            }
            println!(
                "forgot share link {}; the link itself works until it expires (only \
                 rotating the profile's key revokes it sooner)",
                args.id
            );
            Ok(())
        }
    }
}

/// A record as JSON, with its expiry and state.
fn to_json(record: &ShareRecord, now: OffsetDateTime) -> serde_json::Value {
    json!({
        "id": record.id,
        "profile": record.profile,
        "bucket": record.bucket,
        "key": record.key,
        "method": record.method,
        "created_at": output::rfc3339(record.created_at),
        "expires_at": output::rfc3339(record.expires_at()),
        "expires_secs": record.expires_secs,
        "expired": record.is_expired(now),
        "via": record.via,
    })
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let records = share::list(ctx.session.db().as_ref(), now)?;
    if json {
        for record in &records {
            output::json(&to_json(record, now))?;
        }
        return Ok(());
    }
    if records.is_empty() {
        println!("no share links yet; `coffer presign s3://bucket/key` makes one");
        return Ok(());
    }
    for r in &records {
        let left = r.expires_at() - now;
        let when = if r.is_expired(now) {
            format!("expired {} ago", output::rounded(-left))
        } else {
            format!("expires in {}", output::rounded(left))
        };
        println!(
            "{}  {:<24}  {:<3}  s3://{}/{}  ({}, by {}, until {})",
            r.id,
            when,
            serde_json::to_value(r.method)?.as_str().unwrap_or("GET"),
            r.bucket,
            r.key,
            r.profile,
            r.via,
            output::rfc3339(r.expires_at()),
        );
    }
    Ok(())
}

async fn url(ctx: &Context, args: ShareIdArgs) -> Result<()> {
    let db = ctx.session.db();
    let record = share::get(db.as_ref(), &args.id)?;
    let store = if record.profile == ctx.profile_ref() {
        ctx.store()?
    } else {
        let profile = ctx.session.profiles().get(&record.profile)?;
        ctx.session.store(&profile)?
    };
    let (url, record) = share::url_again(
        store.as_ref(),
        db.as_ref(),
        &args.id,
        OffsetDateTime::now_utc(),
    )
    .await?;
    if args.json {
        return output::json(&json!({
            "url": url,
            "expires_at": output::rfc3339(record.expires_at()),
        }));
    }
    println!("{url}");
    Ok(())
}

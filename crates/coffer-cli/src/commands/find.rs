//! `coffer find`: search a bucket. With an index (`coffer index refresh`), the owner
//! of the data dir answers from it and the command says how old it is; without one,
//! or with `--fresh`, the bucket is listed now and filtered the same way.

use std::time::Instant;

use anyhow::Result;
use coffer_core::store::{ListRequest, ObjectSummary};
use coffer_index::Query;
use serde_json::{Value, json};

use crate::agent_api::AgentApi;
use crate::cli::FindArgs;
use crate::commands::index::{age, index_path};
use crate::context::{Context, UsageError, s3_url};
use crate::output;

/// Searches.
pub async fn run(args: FindArgs, profile: &str, remote: Option<&str>) -> Result<()> {
    let url = s3_url(&args.url)?;
    let query = Query {
        pattern: args.pattern.clone().unwrap_or_default(),
        prefix: url.key.clone(),
        larger: args.larger,
        smaller: args.smaller,
        newer: args.newer,
        older: args.older,
        storage_class: args.storage_class.clone(),
        limit: args.limit,
    };
    // A bad glob is a usage error, whichever way the search goes.
    query.matcher().map_err(|e| UsageError(e.to_string()))?;
    if !args.fresh {
        let api = match remote {
            Some(name) => AgentApi::remote(name)?,
            None => AgentApi::open().await?,
        };
        let all = api.call("GET", "/api/v1/index", None).await?;
        let ready = all["indexes"].as_array().is_some_and(|list| {
            list.iter().any(|i| {
                i["profile"] == profile
                    && i["bucket"] == url.bucket.as_str()
                    && i["as_of"].is_string()
            })
        });
        if ready {
            return from_index(&api, profile, &url.bucket, &query, &args).await;
        }
        eprintln!(
            "coffer: s3://{} has no index; listing it now (`coffer index refresh s3://{}` \
             builds one, for instant searches)",
            url.bucket, url.bucket
        );
    }
    listing(profile, remote, &url.bucket, &query, &args).await
}

fn print(o: &ObjectSummary, bucket: &str, json: bool) -> Result<()> {
    if json {
        return output::json(o);
    }
    let when = o
        .last_modified
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_else(|| "-".into());
    println!(
        "{when}  {:>11}  s3://{bucket}/{}",
        output::size(o.size),
        o.key
    );
    Ok(())
}

async fn from_index(
    api: &AgentApi,
    profile: &str,
    bucket: &str,
    query: &Query,
    args: &FindArgs,
) -> Result<()> {
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    params.append_pair("q", &query.pattern);
    params.append_pair("prefix", &query.prefix);
    params.append_pair("limit", &query.limit.to_string());
    if let Some(n) = query.larger {
        params.append_pair("larger", &n.to_string());
    }
    if let Some(n) = query.smaller {
        params.append_pair("smaller", &n.to_string());
    }
    if let Some(d) = query.newer {
        params.append_pair("newer", &d.as_secs().to_string());
    }
    if let Some(d) = query.older {
        params.append_pair("older", &d.as_secs().to_string());
    }
    if let Some(c) = &query.storage_class {
        params.append_pair("class", c);
    }
    let path = format!(
        "{}?{}",
        index_path(profile, bucket, "/search"),
        params.finish()
    );
    let bytes = api.call_bytes("GET", &path, None).await?;
    let mut summary = Value::Null;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let value: Value = serde_json::from_slice(line)?;
        if value["done"] == true {
            summary = value;
            continue;
        }
        let o: ObjectSummary = serde_json::from_value(value)?;
        print(&o, bucket, args.json)?;
    }
    if let Some(error) = summary.get("error") {
        anyhow::bail!(
            "{}",
            error["message"].as_str().unwrap_or("the search failed")
        );
    }
    if args.json {
        summary["source"] = json!("index");
        return output::json(&summary);
    }
    eprintln!(
        "coffer: {} match(es) from the index as of {} ({} objects searched in {} ms{}); \
         --fresh lists the bucket instead",
        summary["matches"].as_u64().unwrap_or(0),
        age(&summary["as_of"]),
        summary["scanned"].as_u64().unwrap_or(0),
        summary["elapsed_ms"].as_u64().unwrap_or(0),
        if summary["truncated"] == true {
            ", stopped at --limit"
        } else {
            ""
        },
    );
    Ok(())
}

async fn listing(
    profile: &str,
    remote: Option<&str>,
    bucket: &str,
    query: &Query,
    args: &FindArgs,
) -> Result<()> {
    let started = Instant::now();
    let ctx = Context::open(profile, remote).await?;
    let store = ctx.store()?;
    let matcher = query.matcher()?;
    let request = ListRequest::recursive(bucket, query.prefix.clone());
    let (mut token, mut matches, mut scanned, mut truncated) =
        (None::<String>, 0usize, 0u64, false);
    'pages: loop {
        let page = store.list_page(&request, token.as_deref()).await?;
        for o in &page.objects {
            scanned += 1;
            if matcher.matches(o) {
                if matches == query.limit {
                    truncated = true;
                    break 'pages;
                }
                matches += 1;
                print(o, bucket, args.json)?;
            }
        }
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if args.json {
        return output::json(&json!({
            "done": true, "matches": matches, "scanned": scanned, "truncated": truncated,
            "elapsed_ms": elapsed_ms, "source": "listing",
        }));
    }
    eprintln!(
        "coffer: {matches} match(es) from a listing of {scanned} objects made now ({elapsed_ms} ms)"
    );
    Ok(())
}

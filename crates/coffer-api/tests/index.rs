//! The bucket index through the API, on Garage, at the size the issue names: a
//! 100,000-object prefix indexed (memory measured while it runs), a folder answered
//! from the index as the server lists it, an object added and one deleted by the
//! aws-cli behind Coffer's back seen after a refresh, Coffer's own writes seen at
//! once, and a glob search that returns exactly what a full listing filtered the
//! same way returns.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use coffer_core::secret::MemorySecretStore;
use coffer_core::store::{Body, ListRequest, PutOptions};
use coffer_index::Query;
use common::{add_profile, call, call_raw, host_at, q};
use futures::StreamExt;
use serde_json::{Value, json};

const OBJECTS: usize = 100_000;

fn key(i: usize) -> String {
    let ext = if (i / 100).is_multiple_of(10) {
        "jpg"
    } else {
        "txt"
    };
    format!("many/d{:02}/f{i:06} ü+%.{ext}", i % 100)
}

/// The resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn aws(server: &coffer_testkit::S3Server, args: &[&str]) {
    let status = std::process::Command::new("aws")
        .args([
            "--endpoint-url",
            &server.endpoint,
            "--region",
            &server.region,
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run the aws-cli (scripts/setup.sh installs it)");
    assert!(status.success(), "aws {args:?}");
}

async fn search(host: &coffer_api::ApiHost, base: &str, query: &str) -> (Vec<String>, Value) {
    let (s, bytes) = call_raw(
        host,
        "GET",
        &format!("{base}/index/search?{query}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let mut keys = Vec::new();
    let mut summary = Value::Null;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).expect("a JSON line");
        if v["done"] == true {
            summary = v;
        } else {
            keys.push(v["key"].as_str().expect("key").to_string());
        }
    }
    (keys, summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_100k_prefix_on_garage_is_indexed_refreshed_and_searched() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    let server = coffer_testkit::garage();
    add_profile(&host, "g", &server.endpoint).await;
    let bucket = server.fresh_bucket("api-index");
    let base = format!("/api/v1/profiles/g/buckets/{bucket}");
    let (_, store) = host.state().store("g").expect("store");

    let started = std::time::Instant::now();
    futures::stream::iter(0..OBJECTS)
        .map(|i| {
            let store = store.clone();
            let bucket = bucket.clone();
            async move {
                store
                    .put(
                        &bucket,
                        &key(i),
                        Body::Bytes(bytes::Bytes::from(vec![b'x'; i % 7])),
                        &PutOptions::default(),
                    )
                    .await
                    .expect("put");
            }
        })
        .buffer_unordered(256)
        .collect::<Vec<()>>()
        .await;
    store
        .put(
            &bucket,
            "top.jpg",
            Body::Bytes(bytes::Bytes::from_static(b"top")),
            &PutOptions::default(),
        )
        .await
        .expect("put");
    eprintln!("{OBJECTS} objects uploaded in {:?}", started.elapsed());

    // Not indexed yet: a folder from the index is a 404 that says so.
    let (s, none) = call(
        &host,
        "GET",
        &format!("{base}/index/list?prefix=many%2F"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{none}");

    // Index it, sampling this process's memory while it runs.
    let baseline = rss_kib();
    let (peak, done) = (
        Arc::new(AtomicU64::new(baseline)),
        Arc::new(AtomicBool::new(false)),
    );
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let started = std::time::Instant::now();
    let (s, info) = call(
        &host,
        "POST",
        &format!("{base}/index"),
        json!({ "wait": true, "force": true }),
    )
    .await;
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    assert_eq!(s, StatusCode::OK, "{info}");
    assert_eq!(info["state"], "ready", "{info}");
    assert_eq!(info["objects"], OBJECTS as u64 + 1);
    let grew_mib = peak.load(Ordering::Relaxed).saturating_sub(baseline) / 1024;
    eprintln!(
        "indexed {} objects in {took:?}; memory grew by {grew_mib} MiB",
        OBJECTS + 1
    );
    // The index lives on disk: sled's 32 MiB cache, the pages in flight, and the
    // allocator's slack; nothing grows with the bucket.
    assert!(grew_mib < 64, "indexing grew memory by {grew_mib} MiB");

    // A folder from the index is what the server lists, first page and all.
    let (s, root) = call(
        &host,
        "GET",
        &format!("{base}/index/list?prefix=many%2F"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{root}");
    let folders: Vec<String> = (0..100).map(|d| format!("many/d{d:02}/")).collect();
    assert_eq!(root["common_prefixes"], json!(folders));
    let d07 = "many/d07/";
    let (_, page) = call(
        &host,
        "GET",
        &format!("{base}/index/list?prefix={}&limit=1000", q(d07)),
        Value::Null,
    )
    .await;
    let listed = store
        .list_page(&ListRequest::folder(&bucket, d07), None)
        .await
        .expect("list");
    let from_index: Vec<&str> = page["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["key"].as_str().expect("key"))
        .collect();
    let from_server: Vec<&str> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(from_index, from_server);
    assert!(page["as_of"].is_string());

    // Behind Coffer's back: one object added and one deleted with the aws-cli. The
    // index does not know yet; a refresh of the folder finds both.
    let added = "many/d07/added by aws ü.jpg";
    let deleted = key(7);
    let file = dir.path().join("added.jpg");
    std::fs::write(&file, "added").expect("write");
    aws(
        server,
        &[
            "s3api",
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            added,
            "--body",
            file.to_str().expect("utf-8"),
        ],
    );
    aws(
        server,
        &[
            "s3api",
            "delete-object",
            "--bucket",
            &bucket,
            "--key",
            &deleted,
        ],
    );
    let (before, _) = search(&host, &base, &format!("q={}", q("added by aws"))).await;
    assert!(before.is_empty());
    let (s, change) = call(
        &host,
        "POST",
        &format!("{base}/index/refresh-folder?prefix={}", q(d07)),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{change}");
    assert_eq!(
        (change["added"].clone(), change["removed"].clone()),
        (json!(1), json!(1)),
        "{change}"
    );
    let (after, _) = search(&host, &base, &format!("q={}", q("added by aws"))).await;
    assert_eq!(after, [added]);

    // Coffer's own writes show at once, without a refresh.
    let (s, _) = call_raw(
        &host,
        "PUT",
        &format!("{base}/object?key={}", q("many/d08/mine.jpg")),
        Value::String("mine".into()),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &host,
        "POST",
        &format!("{base}/delete"),
        json!({ "keys": [key(8)], "prefixes": [] }),
    )
    .await;
    assert!(s.is_success(), "{s}");
    let (mine, _) = search(&host, &base, "q=mine.jpg").await;
    assert_eq!(mine, ["many/d08/mine.jpg"]);
    let (gone, _) = search(&host, &base, &format!("q={}", q(&key(8)))).await;
    assert!(gone.is_empty());

    // A glob search returns exactly what a full listing filtered the same way does.
    let pattern = "many/d0[0-4]/*.jpg";
    let (found, summary) = search(&host, &base, &format!("q={}&limit=100000", q(pattern))).await;
    assert_eq!(summary["truncated"], false);
    let matcher = Query {
        pattern: pattern.into(),
        limit: OBJECTS,
        ..Query::default()
    }
    .matcher()
    .expect("matcher");
    let mut expected = Vec::new();
    let mut token = None;
    loop {
        let page = store
            .list_page(&ListRequest::recursive(&bucket, ""), token.as_deref())
            .await
            .expect("list");
        expected.extend(
            page.objects
                .iter()
                .filter(|o| matcher.matches(o))
                .map(|o| o.key.clone()),
        );
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(found.len(), 5 * 100);
    assert_eq!(found, expected);
    // Filters: size and substring.
    let (small, _) = search(
        &host,
        &base,
        &format!("q={}&smaller=1&limit=100000", q("d01/")),
    )
    .await;
    assert_eq!(
        small.len(),
        (0..OBJECTS)
            .filter(|i| i % 100 == 1 && i.is_multiple_of(7))
            .count()
    );

    // Folder sizes, and a full refresh that agrees with what the index kept.
    let (_, size) = call(
        &host,
        "GET",
        &format!("{base}/index/size?prefix={}", q(d07)),
        Value::Null,
    )
    .await;
    assert_eq!(size["objects"], 1000);
    let (_, before) = call(&host, "GET", &format!("{base}/index"), Value::Null).await;
    let (_, rebuilt) = call(
        &host,
        "POST",
        &format!("{base}/index"),
        json!({ "wait": true, "force": true }),
    )
    .await;
    assert_eq!(rebuilt["objects"], before["objects"]);
    assert_eq!(rebuilt["bytes"], before["bytes"]);

    // Forget it.
    let (s, _) = call(&host, "DELETE", &format!("{base}/index"), Value::Null).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, all) = call(&host, "GET", "/api/v1/index", Value::Null).await;
    assert_eq!(all["indexes"], json!([]));
    host.shutdown().await;
}

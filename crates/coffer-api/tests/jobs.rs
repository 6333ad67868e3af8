//! Transfer jobs against Garage, through the API in-process: pause and resume,
//! a queue that survives a restart (the multipart upload goes on from its last
//! part), cancel (nothing left on the server), failure then retry; and the file
//! manager's edits (metadata, new folder, delete selection, ranged reads) on odd keys.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use coffer_core::secret::{MemorySecretStore, SecretStore};
use serde_json::{Value, json};

use common::{TOKEN, add_profile, call, call_raw, host_at, q, wait_job};

const MIB: u64 = 1024 * 1024;

fn write_file(path: &Path, len: u64) {
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(path, data).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_a_restart_keep_the_upload_going() {
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("jobs");
    let proxy = coffer_testkit::ThrottleProxy::start(server.socket_addr(), 4 * MIB);
    let dir = tempfile::tempdir().expect("dir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let file = dir.path().join("big file é+%.bin");
    write_file(&file, 30 * MIB);

    let host = host_at(dir.path(), secrets.clone()).await;
    add_profile(&host, "g", &proxy.endpoint()).await;
    let (s, _) = call(
        &host,
        "PUT",
        "/api/v1/settings/transfers",
        json!({ "part_size": 5 * MIB, "concurrency": 1 }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, created) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "upload", "params": { "profile": "g", "bucket": bucket, "key": "dir//big file é+%.bin", "path": file } }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_string();

    // Pause once a part is on the server.
    wait_job(&host, &id, "a part sent", |j| {
        j["progress"]["bytes_done"].as_u64().unwrap_or(0) >= 5 * MIB
    })
    .await;
    let (s, paused) = call(
        &host,
        "POST",
        &format!("/api/v1/jobs/{id}/pause"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{paused}");
    wait_job(&host, &id, "paused", |j| j["state"] == "paused").await;
    // Resuming a job that is not paused is a clear conflict.
    let (s, body) = call(
        &host,
        "POST",
        &format!("/api/v1/jobs/{id}/retry"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");

    // Resume, then stop the whole API mid-way (as a quit or a kill would).
    call(
        &host,
        "POST",
        &format!("/api/v1/jobs/{id}/resume"),
        Value::Null,
    )
    .await;
    wait_job(&host, &id, "running again", |j| j["state"] == "running").await;
    host.shutdown().await;
    wait_job(&host, &id, "queued for the next start", |j| {
        j["state"] == "queued"
    })
    .await;
    drop(host);
    // The process is gone, and so are its connections: without this, the proxy
    // would go on feeding Garage the stopped part's buffered bytes after the restart.
    proxy.cut_all();
    // sled lets go of the data dir once every handle is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A new process: the job starts again by itself and goes on from its parts.
    proxy.set_rate(0);
    let host = host_at(dir.path(), secrets).await;
    let done = wait_job(&host, &id, "done after the restart", |j| {
        j["state"] == "done"
    })
    .await;
    assert!(
        done["progress"]["bytes_resumed"].as_u64().unwrap_or(0) >= 5 * MIB,
        "resumed, not sent again: {done}"
    );
    let (s, meta) = call(
        &host,
        "GET",
        &format!(
            "/api/v1/profiles/g/buckets/{bucket}/object/meta?key={}",
            q("dir//big file é+%.bin")
        ),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{meta}");
    assert_eq!(meta["size"], 30 * MIB);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_leaves_nothing_and_a_failure_can_be_retried() {
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("jobs-cancel");
    let proxy = coffer_testkit::ThrottleProxy::start(server.socket_addr(), 2 * MIB);
    let dir = tempfile::tempdir().expect("dir");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    add_profile(&host, "g", &proxy.endpoint()).await;
    call(
        &host,
        "PUT",
        "/api/v1/settings/transfers",
        json!({ "part_size": 5 * MIB, "concurrency": 1 }),
    )
    .await;
    let file = dir.path().join("c.bin");
    write_file(&file, 20 * MIB);
    let (_, created) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "upload", "params": { "profile": "g", "bucket": bucket, "key": "c.bin", "path": file } }),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    wait_job(&host, &id, "a part sent", |j| {
        j["progress"]["bytes_done"].as_u64().unwrap_or(0) >= 5 * MIB
    })
    .await;
    call(
        &host,
        "POST",
        &format!("/api/v1/jobs/{id}/cancel"),
        Value::Null,
    )
    .await;
    wait_job(&host, &id, "canceled", |j| j["state"] == "canceled").await;
    // The multipart upload is aborted: nothing to resume, nothing left on the server.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, records) = call(&host, "GET", "/api/v1/profiles/g/transfers", Value::Null).await;
        if records.as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(Instant::now() < deadline, "resume record kept: {records}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, cleanup) = call(
        &host,
        "POST",
        "/api/v1/profiles/g/transfers/cleanup",
        json!({ "older_than_secs": 0, "bucket": bucket }),
    )
    .await;
    assert_eq!(cleanup["aborted"], 0, "already aborted: {cleanup}");
    // Forget it.
    let (s, _) = call(&host, "DELETE", &format!("/api/v1/jobs/{id}"), Value::Null).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A download of a missing object fails with the core's error; once the object
    // exists, retry finishes it.
    proxy.set_rate(0);
    let into = dir.path().join("down");
    std::fs::create_dir_all(&into).expect("mkdir");
    let (_, created) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "download", "params": { "profile": "g", "bucket": bucket, "key": "later.txt", "path": into } }),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    let failed = wait_job(&host, &id, "failed", |j| j["state"] == "failed").await;
    assert_eq!(failed["error"]["code"], "no_such_key", "{failed}");
    let small = dir.path().join("later.txt");
    std::fs::write(&small, b"now here\n").expect("write");
    let (_, up) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "upload", "params": { "profile": "g", "bucket": bucket, "key": "later.txt", "path": small } }),
    )
    .await;
    let up_id = up["id"].as_str().expect("id").to_string();
    wait_job(&host, &up_id, "uploaded", |j| j["state"] == "done").await;
    call(
        &host,
        "POST",
        &format!("/api/v1/jobs/{id}/retry"),
        Value::Null,
    )
    .await;
    wait_job(&host, &id, "done on retry", |j| j["state"] == "done").await;
    assert_eq!(
        std::fs::read(into.join("later.txt")).expect("read"),
        b"now here\n"
    );

    // Paths outside the allowed folders are refused for HTTP callers.
    let (s, body) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "upload", "params": { "profile": "g", "bucket": bucket, "key": "x", "path": "/etc/hostname" } }),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_folders_selection_delete_and_ranges_on_odd_keys() {
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("edits");
    let dir = tempfile::tempdir().expect("dir");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    add_profile(&host, "g", &server.endpoint).await;
    let base = format!("/api/v1/profiles/g/buckets/{bucket}");
    let keys = ["a b/100% +x.txt", "ünï/códe//n.csv", "plain.json"];
    for key in keys {
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").expect("write");
        let (_, up) = call(
            &host,
            "POST",
            "/api/v1/jobs",
            json!({ "kind": "upload", "params": { "profile": "g", "bucket": bucket, "key": key, "path": path } }),
        )
        .await;
        let id = up["id"].as_str().expect("id").to_string();
        wait_job(&host, &id, "uploaded", |j| j["state"] == "done").await;
    }

    // Metadata, saved by a copy in place.
    let (s, meta) = call(
        &host,
        "POST",
        &format!("{base}/metadata"),
        json!({ "key": keys[0], "content_type": "text/x-test", "cache_control": "max-age=60", "metadata": { "owner": "ünïcode ok" } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{meta}");
    assert_eq!(meta["content_type"], "text/x-test");
    assert_eq!(meta["cache_control"], "max-age=60");
    assert_eq!(meta["size"], 10, "{meta}");
    let (s, body) = call(
        &host,
        "POST",
        &format!("{base}/metadata"),
        json!({ "key": keys[0], "metadata": { "bad name!": "x" } }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // Ranged reads for previews.
    let (s, bytes) = call_raw(
        &host,
        "GET",
        &format!("{base}/object?key={}", q(keys[1])),
        Value::Null,
        Some("bytes=2-5"),
    )
    .await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&bytes[..], b"2345");
    let (s, _) = call_raw(
        &host,
        "GET",
        &format!("{base}/object?key={}", q(keys[1])),
        Value::Null,
        Some("bytes=50-"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // A new folder shows in the listing.
    let (s, _) = call(
        &host,
        "POST",
        &format!("{base}/folder"),
        json!({ "key": "new % folder" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = call(
        &host,
        "POST",
        &format!("{base}/folder"),
        json!({ "key": "/" }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, page) = call(
        &host,
        "GET",
        &format!("{base}/objects?prefix="),
        Value::Null,
    )
    .await;
    assert!(
        page["common_prefixes"]
            .to_string()
            .contains("new % folder/"),
        "{page}"
    );

    // Delete a selection: one object and two folders; the whole bucket is refused.
    let (s, _) = call(
        &host,
        "POST",
        &format!("{base}/delete"),
        json!({ "prefixes": [""] }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, report) = call(
        &host,
        "POST",
        &format!("{base}/delete"),
        json!({ "keys": [keys[2]], "prefixes": ["a b/", "ünï/"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["deleted"], 3, "{report}");
    let (_, page) = call(
        &host,
        "GET",
        &format!("{base}/objects?prefix=&recursive=true"),
        Value::Null,
    )
    .await;
    assert_eq!(
        page["objects"].as_array().map(Vec::len),
        Some(1),
        "only the folder marker: {page}"
    );

    // Settings: UI and token rotation (the old token stops at once).
    let (s, ui) = call(
        &host,
        "PUT",
        "/api/v1/settings/ui",
        json!({ "notifications": false, "theme": "dark" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ui}");
    let (_, ui) = call(&host, "GET", "/api/v1/settings/ui", Value::Null).await;
    assert_eq!(ui["theme"], "dark");
    let (s, _) = call(
        &host,
        "PUT",
        "/api/v1/settings/ui",
        json!({ "notifications": true, "theme": "neon" }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(
        &host,
        "PUT",
        "/api/v1/settings/transfers",
        json!({ "part_size": 1024, "concurrency": 4 }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, rotated) = call(&host, "POST", "/api/v1/settings/api/token", Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(rotated["token"], TOKEN);
    let (s, _) = call(&host, "GET", "/api/v1/jobs", Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old token is refused");
}

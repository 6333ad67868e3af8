//! The backup routes against Garage, through the API in-process: a repository made
//! (and a foreign bucket refused, 409), a backup job of kind `backup` run now with its
//! run details in the history, snapshots, a folder of a snapshot, a file's timeline,
//! a restore inside the allowed folders (outside: 403; over a changed file: 409),
//! forget as a dry run, and check.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use coffer_core::secret::MemorySecretStore;
use serde_json::{Value, json};

use common::{add_profile, call, host_at, q, wait_job};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backups_through_the_api() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    let server = coffer_testkit::garage();
    add_profile(&host, "garage", &server.endpoint).await;

    // A foreign bucket is refused with the words that say why.
    let foreign = server.fresh_bucket("api-bk-foreign");
    let (status, _) = call(
        &host,
        "POST",
        &format!("/api/v1/profiles/garage/buckets/{foreign}/folder"),
        json!({"key": "photos/"}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = call(
        &host,
        "POST",
        "/api/v1/backups/repos",
        json!({"profile": "garage", "repo": format!("s3://{foreign}"), "password": "pw", "create": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "not_dedicated");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("first keys: photos/")),
        "{body}"
    );

    // A new repository; the password goes to the keychain.
    let bucket = server.fresh_bucket("api-bk");
    let repo = format!("s3://{bucket}/r");
    let (status, record) = call(
        &host,
        "POST",
        "/api/v1/backups/repos",
        json!({"profile": "garage", "repo": repo, "password": "pw", "create": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["url"], format!("{repo}/"));
    let (_, repos) = call(&host, "GET", "/api/v1/backups/repos", Value::Null).await;
    assert_eq!(repos.as_array().map(Vec::len), Some(1));
    // Connecting with a wrong password is refused.
    let (status, body) = call(
        &host,
        "POST",
        "/api/v1/backups/repos",
        json!({"profile": "garage", "repo": repo, "password": "wrong"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "wrong_password");

    // A backup job, run now.
    let src = dir.path().join("src dir");
    std::fs::create_dir_all(src.join("sub")).expect("mkdir");
    std::fs::write(src.join("sub/ü 1+%.txt"), b"first").expect("write");
    std::fs::write(src.join("b.txt"), vec![7u8; 100_000]).expect("write");
    let (status, job) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({"kind": "backup", "params": {"profile": "garage", "repo": repo, "paths": [src]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_str().expect("id").to_string();
    let done = wait_job(&host, &id, "backup done", |j| j["state"] == "done").await;
    assert_eq!(done["kind"], "backup");
    let (_, history) = call(
        &host,
        "GET",
        &format!("/api/v1/jobs/{id}/history"),
        Value::Null,
    )
    .await;
    let details = &history[0]["details"];
    assert_eq!(details["files_new"], 2, "{history}");
    assert!(
        details["repo_size"].as_u64().is_some_and(|s| s > 0),
        "{details}"
    );
    // A second run after a change.
    std::fs::write(src.join("sub/ü 1+%.txt"), b"second version").expect("write");
    call(
        &host,
        "POST",
        &format!("/api/v1/jobs/{id}/run"),
        Value::Null,
    )
    .await;
    wait_job(&host, &id, "second run", |j| {
        j["state"] == "done" && j["last_run"]["seq"] == 2
    })
    .await;

    // Snapshots, a folder, a timeline.
    let query = format!("profile=garage&repo={}", q(&repo));
    let (status, snaps) = call(
        &host,
        "GET",
        &format!("/api/v1/backups/snapshots?{query}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{snaps}");
    assert_eq!(snaps.as_array().map(Vec::len), Some(2));
    let folder = format!("{}/sub", src.display());
    let (status, entries) = call(
        &host,
        "GET",
        &format!(
            "/api/v1/backups/ls?{query}&snapshot=latest&path={}",
            q(&folder)
        ),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    assert_eq!(entries[0]["name"], "ü 1+%.txt");
    let file = format!("{folder}/ü 1+%.txt");
    let (_, versions) = call(
        &host,
        "GET",
        &format!("/api/v1/backups/timeline?{query}&path={}", q(&file)),
        Value::Null,
    )
    .await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    let first_version = versions[0]["snapshots"][0]
        .as_str()
        .expect("snapshot")
        .to_string();

    // Restore the first version of the file: outside the allowed folders 403, inside ok.
    let (status, _) = call(
        &host,
        "POST",
        "/api/v1/backups/restore",
        json!({"profile": "garage", "repo": repo, "snapshot": first_version, "path": file, "target": "/etc/coffer-restore"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let target = dir.path().join("restored");
    let (status, outcome) = call(
        &host,
        "POST",
        "/api/v1/backups/restore",
        json!({"profile": "garage", "repo": repo, "snapshot": first_version, "path": file, "target": target}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        std::fs::read(target.join("ü 1+%.txt")).expect("restored"),
        b"first"
    );
    // The latest version over it: refused without a choice, done with one.
    let latest = json!({"profile": "garage", "repo": repo, "snapshot": "latest", "path": file, "target": target});
    let (status, body) = call(&host, "POST", "/api/v1/backups/restore", latest.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "would_overwrite");
    let mut replace = latest;
    replace["overwrite"] = json!("if-changed");
    let (status, _) = call(&host, "POST", "/api/v1/backups/restore", replace).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        std::fs::read(target.join("ü 1+%.txt")).expect("restored"),
        b"second version"
    );

    // Retention as a dry run, and check.
    let (status, forget) = call(
        &host,
        "POST",
        "/api/v1/backups/forget",
        json!({"profile": "garage", "repo": repo, "keep": {"last": 1}, "dry_run": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{forget}");
    assert_eq!(forget["forget"]["removed"], 1);
    let (status, check) = call(
        &host,
        "POST",
        "/api/v1/backups/check",
        json!({"profile": "garage", "repo": repo, "read_data_subset": "100%"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["ok"], true);
    host.shutdown().await;
}

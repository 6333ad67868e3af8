//! Object versions through the API, on moto (which keeps versions): versioning turned
//! on, three writes of one key listed newest first, the first made current again, a
//! delete undone, a version deleted for good; and Garage's refusal in words.

mod common;

use std::sync::Arc;

use coffer_core::secret::MemorySecretStore;
use common::{call, call_raw, host_at, q, wait_job};
use serde_json::{Value, json};

async fn add_profile_for(
    host: &coffer_api::ApiHost,
    name: &str,
    server: &coffer_testkit::S3Server,
) {
    let (status, body) = call(
        host,
        "POST",
        "/api/v1/profiles",
        json!({
            "name": name, "endpoint": server.endpoint, "region": server.region,
            "path_style": true, "access_key_id": server.access_key_id,
            "secret_access_key": server.secret_access_key,
        }),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_on_moto_and_the_refusal_on_garage() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    let moto = coffer_testkit::moto();
    add_profile_for(&host, "moto", moto).await;
    let bucket = moto.fresh_bucket("api-versions");
    let base = format!("/api/v1/profiles/moto/buckets/{bucket}");
    let key = "docs/plan ü+%.txt";

    let (status, state) = call(&host, "GET", &format!("{base}/versioning"), json!({})).await;
    assert_eq!(
        (status.as_u16(), state["state"].clone()),
        (200, json!("off"))
    );
    let (status, state) = call(
        &host,
        "PUT",
        &format!("{base}/versioning"),
        json!({ "enabled": true }),
    )
    .await;
    assert_eq!(
        (status.as_u16(), state["state"].clone()),
        (200, json!("enabled"))
    );

    for body in ["one", "two two", "three three three"] {
        let (status, _) = call_raw(
            &host,
            "PUT",
            &format!("{base}/object?key={}", q(key)),
            Value::String(body.into()),
            None,
        )
        .await;
        assert!(status.is_success(), "{status}");
    }
    let versions_url = format!("{base}/object/versions?key={}", q(key));
    let (status, listed) = call(&host, "GET", &versions_url, json!({})).await;
    assert_eq!(status.as_u16(), 200, "{listed}");
    let listed = listed.as_array().expect("array").clone();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0]["is_latest"], true);
    let first = listed[2]["version_id"].as_str().expect("id").to_string();

    // A version's bytes.
    let (status, bytes) = call_raw(
        &host,
        "GET",
        &format!(
            "{base}/object/version?key={}&version_id={}",
            q(key),
            q(&first)
        ),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(&bytes[..], b"\"one\"", "the first write (a JSON string)");

    // A download job of a version (how the desktop downloads), into a folder.
    let into = dir.path().join("downloads");
    std::fs::create_dir_all(&into).expect("mkdir");
    let (status, created) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "download", "params": {
            "profile": "moto", "bucket": bucket, "key": key, "path": into, "version_id": first,
        } }),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let done = wait_job(&host, &id, "the version's download", |j| {
        j["state"] == "done" || j["state"] == "failed"
    })
    .await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        std::fs::read(into.join("plan ü+%.txt")).expect("downloaded"),
        b"\"one\"",
        "the first version's bytes"
    );
    // An upload takes no version id.
    let (status, refused) = call(
        &host,
        "POST",
        "/api/v1/jobs",
        json!({ "kind": "upload", "params": {
            "profile": "moto", "bucket": bucket, "key": "x", "path": into, "version_id": first,
        } }),
    )
    .await;
    assert_eq!(status.as_u16(), 400, "{refused}");

    // The first made current again: four versions, the newest with the first's size.
    let (status, after) = call(
        &host,
        "POST",
        &format!("{base}/object/restore-version"),
        json!({ "key": key, "version_id": first }),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{after}");
    assert_eq!(after.as_array().map(Vec::len), Some(4));
    assert_eq!(after[0]["size"], listed[2]["size"]);

    // A version that does not exist, said in words.
    let (status, err) = call(
        &host,
        "POST",
        &format!("{base}/object/restore-version"),
        json!({ "key": key, "version_id": "nope" }),
    )
    .await;
    assert_eq!(status.as_u16(), 400, "{err}");
    assert!(err.to_string().contains("no version"), "{err}");

    // One version deleted for good.
    let (status, after) = call(
        &host,
        "DELETE",
        &format!(
            "{base}/object/version?key={}&version_id={}",
            q(key),
            q(&first)
        ),
        json!({}),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{after}");
    assert_eq!(after.as_array().map(Vec::len), Some(3));
    assert!(
        after
            .as_array()
            .is_some_and(|a| a.iter().all(|v| v["version_id"] != first.as_str()))
    );

    // Deleted: the key's delete marker is listed in its folder, and removing the
    // marker undeletes it.
    let (status, _) = call(
        &host,
        "DELETE",
        &format!("{base}/object?key={}", q(key)),
        json!({}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let (status, deleted) = call(
        &host,
        "GET",
        &format!("{base}/deleted?prefix={}", q("docs/")),
        json!({}),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{deleted}");
    let deleted = deleted.as_array().expect("array").clone();
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0]["key"], key);
    assert_eq!(deleted[0]["is_delete_marker"], true);
    let marker = deleted[0]["version_id"].as_str().expect("id").to_string();
    let (status, _) = call(
        &host,
        "GET",
        &format!("{base}/deleted?prefix=docs"),
        json!({}),
    )
    .await;
    assert_eq!(status.as_u16(), 400, "a prefix that is not a folder");
    let (status, after) = call(
        &host,
        "DELETE",
        &format!(
            "{base}/object/version?key={}&version_id={}",
            q(key),
            q(&marker)
        ),
        json!({}),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{after}");
    assert_eq!(after[0]["is_delete_marker"], false, "{after}");
    let (_, deleted) = call(
        &host,
        "GET",
        &format!("{base}/deleted?prefix={}", q("docs/")),
        json!({}),
    )
    .await;
    assert_eq!(deleted.as_array().map(Vec::len), Some(0), "{deleted}");

    // Garage keeps one version of each object: 400 `unsupported`, in words.
    let garage = coffer_testkit::garage();
    add_profile_for(&host, "garage", garage).await;
    let g_bucket = garage.fresh_bucket("api-noversions");
    let (status, err) = call(
        &host,
        "GET",
        &format!("/api/v1/profiles/garage/buckets/{g_bucket}/object/versions?key=a"),
        json!({}),
    )
    .await;
    assert_eq!(status.as_u16(), 400, "{err}");
    assert_eq!(err["code"], "unsupported", "{err}");
    assert!(
        err.to_string()
            .contains("does not implement bucket versioning"),
        "{err}"
    );
}

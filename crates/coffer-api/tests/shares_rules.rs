//! Share links and upload header rules through the API, on Garage: a presigned URL
//! is recorded (who made it, its expiry), given again identical, refused once
//! expired, and forgotten; a bucket's rules are saved whole, previewed, and applied
//! to streamed uploads and upload jobs unless `no_rules` says not to.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use coffer_core::secret::MemorySecretStore;
use common::{TOKEN, add_profile, call, host_at, q, wait_job};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A request with the token and the given extra headers.
async fn send(
    host: &coffer_api::ApiHost,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = host
        .embedded()
        .expect("embedded")
        .oneshot(request.body(Body::from(body)).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn meta(host: &coffer_api::ApiHost, bucket: &str, key: &str) -> Value {
    let (s, meta) = call(
        host,
        "GET",
        &format!(
            "/api/v1/profiles/g/buckets/{bucket}/object/meta?key={}",
            q(key)
        ),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{meta}");
    meta
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_links_are_recorded_given_again_and_forgotten() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    let server = coffer_testkit::garage();
    add_profile(&host, "g", &server.endpoint).await;
    let bucket = server.fresh_bucket("api-shares");
    let base = format!("/api/v1/profiles/g/buckets/{bucket}");
    let key = "shared/ünï code+%.txt";
    let (s, _) = send(
        &host,
        "PUT",
        &format!("{base}/object?key={}", q(key)),
        &[],
        b"shared bytes".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // Made by an HTTP client: one hour by default, recorded as made through the API.
    let (s, made) = call(
        &host,
        "POST",
        &format!("{base}/presign"),
        json!({ "key": key }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{made}");
    assert_eq!(made["expires_secs"], 3600);
    let url = made["url"].as_str().expect("url").to_string();
    let id = made["share_id"].as_str().expect("id").to_string();
    let fetched = reqwest::get(&url).await.expect("GET");
    assert_eq!(fetched.status().as_u16(), 200);
    // Made by a browser (it sends Sec-Fetch-Mode), for a day.
    let (s, web) = send(
        &host,
        "POST",
        &format!("{base}/presign"),
        &[
            ("content-type", "application/json"),
            ("sec-fetch-mode", "cors"),
        ],
        serde_json::to_vec(&json!({ "key": key, "expires_secs": 86400 })).expect("json"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{web}");
    // One that expires at once.
    let (s, short) = call(
        &host,
        "POST",
        &format!("{base}/presign"),
        json!({ "key": key, "expires_secs": 1 }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{short}");
    let short_id = short["share_id"].as_str().expect("id").to_string();
    // Past S3's 7 days: refused in words, nothing recorded.
    let (s, refused) = call(
        &host,
        "POST",
        &format!("{base}/presign"),
        json!({ "key": key, "expires_secs": 604_801 }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["message"].as_str().unwrap_or("").contains("7 days"),
        "{refused}"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let (s, listed) = call(&host, "GET", "/api/v1/shares", Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    let shares = listed["shares"].as_array().expect("shares").clone();
    assert_eq!(shares.len(), 3, "{listed}");
    assert_eq!(shares[0]["id"], web["share_id"], "newest live first");
    assert_eq!(shares[0]["via"], "web");
    assert_eq!(shares[0]["expires_secs"], 86400);
    assert_eq!(shares[1]["id"], id.as_str());
    assert_eq!(shares[1]["via"], "api");
    assert_eq!(shares[1]["key"], key);
    assert_eq!(shares[1]["profile"], "g");
    assert_eq!(shares[1]["method"], "GET");
    assert_eq!(shares[1]["expired"], false);
    assert_eq!(shares[1]["expires_at"], made["expires_at"]);
    assert_eq!(shares[2]["id"], short_id.as_str());
    assert_eq!(shares[2]["expired"], true);

    // Copy again: the same URL; an expired one is 410 Gone.
    let (s, again) = call(
        &host,
        "POST",
        &format!("/api/v1/shares/{id}/url"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["url"], url.as_str());
    let (s, gone) = call(
        &host,
        "POST",
        &format!("/api/v1/shares/{short_id}/url"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (s, gone["code"].clone()),
        (StatusCode::GONE, json!("expired"))
    );

    // Forget, then it is unknown.
    let (s, _) = call(
        &host,
        "DELETE",
        &format!("/api/v1/shares/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, unknown) = call(
        &host,
        "DELETE",
        &format!("/api/v1/shares/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (s, unknown["code"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    let (_, listed) = call(&host, "GET", "/api/v1/shares", Value::Null).await;
    assert_eq!(listed["shares"].as_array().map(Vec::len), Some(2));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_rules_are_saved_previewed_and_applied_unless_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = host_at(dir.path(), Arc::new(MemorySecretStore::default())).await;
    let server = coffer_testkit::garage();
    add_profile(&host, "g", &server.endpoint).await;
    let bucket = server.fresh_bucket("api-rules");
    let base = format!("/api/v1/profiles/g/buckets/{bucket}");

    // A bad rule fails the whole save, naming it; nothing is saved.
    let (s, bad) = call(
        &host,
        "PUT",
        &format!("{base}/rules"),
        json!({ "rules": [
            { "glob": "*.css", "cache_control": IMMUTABLE },
            { "glob": "*.js", "cache_control": "a\r\nx-amz-acl: public-read" },
        ] }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    assert!(
        bad["message"]
            .as_str()
            .unwrap_or("")
            .contains("upload rule 2"),
        "{bad}"
    );
    let (_, none) = call(&host, "GET", &format!("{base}/rules"), Value::Null).await;
    assert_eq!(none["rules"], json!([]));

    let (s, saved) = call(
        &host,
        "PUT",
        &format!("{base}/rules"),
        json!({ "rules": [
            { "glob": "*.css", "cache_control": IMMUTABLE, "metadata": { "Team": "web" } },
            { "glob": "downloads/**", "content_disposition": "attachment" },
        ] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    let css_id = saved["rules"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(saved["rules"][0]["metadata"]["team"], "web");
    let (_, read) = call(&host, "GET", &format!("{base}/rules"), Value::Null).await;
    assert_eq!(read, saved);

    // The preview shows what uploads would get, Content-Type from the extension.
    let (s, preview) = call(
        &host,
        "POST",
        &format!("{base}/rules/preview"),
        json!({ "keys": ["web/site ü.css", "downloads/a.css", "index.html"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    let p = &preview["previews"];
    assert_eq!(p[0]["rule_ids"], json!([css_id]));
    assert_eq!(p[0]["headers"]["cache_control"], IMMUTABLE);
    assert_eq!(p[0]["headers"]["content_type"], "text/css");
    assert_eq!(p[1]["rule_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(p[1]["headers"]["content_disposition"], "attachment");
    assert_eq!(p[2]["rule_ids"], json!([]));
    assert_eq!(p[2]["headers"]["content_type"], "text/html");
    assert!(p[2]["headers"]["cache_control"].is_null());

    // A streamed upload as a browser sends it (Content-Type from the file): the rule
    // applies; with no_rules it does not.
    let put = |key: &str, extra: &str| format!("{base}/object?key={}{extra}", q(key));
    let browser = [("content-type", "text/css"), ("sec-fetch-mode", "cors")];
    let (s, _) = send(
        &host,
        "PUT",
        &put("web/site.css", ""),
        &browser,
        b"p{}".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let m = meta(&host, &bucket, "web/site.css").await;
    assert_eq!(m["cache_control"], IMMUTABLE, "{m}");
    assert_eq!(m["content_type"], "text/css", "{m}");
    assert_eq!(m["metadata"]["team"], "web", "{m}");
    let (s, _) = send(
        &host,
        "PUT",
        &put("web/plain.css", "&no_rules=true"),
        &browser,
        b"p{}".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let m = meta(&host, &bucket, "web/plain.css").await;
    assert!(m["cache_control"].is_null(), "{m}");
    assert_eq!(m["content_type"], "text/css", "{m}");
    // A client's own Cache-Control wins over the rule.
    let (s, _) = send(
        &host,
        "PUT",
        &put("web/own.css", ""),
        &[("cache-control", "no-store")],
        b"p{}".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        meta(&host, &bucket, "web/own.css").await["cache_control"],
        "no-store"
    );

    // Upload jobs (the desktop's drops): the rule applies unless no_rules.
    let file = dir.path().join("job.css");
    std::fs::write(&file, "a{}").expect("write");
    for (key, no_rules) in [("jobs/ruled.css", false), ("jobs/plain.css", true)] {
        let (s, created) = call(
            &host,
            "POST",
            "/api/v1/jobs",
            json!({ "kind": "upload", "params": {
                "profile": "g", "bucket": bucket, "key": key, "path": file, "no_rules": no_rules,
            } }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().expect("id").to_string();
        wait_job(&host, &id, "the upload", |j| j["state"] == "done").await;
    }
    assert_eq!(
        meta(&host, &bucket, "jobs/ruled.css").await["cache_control"],
        IMMUTABLE
    );
    assert!(meta(&host, &bucket, "jobs/plain.css").await["cache_control"].is_null());

    // Add one, list the profile's, remove one; an unknown id is 404.
    let (s, added) = call(
        &host,
        "POST",
        &format!("{base}/rules"),
        json!({ "glob": "*.woff2", "cache_control": IMMUTABLE, "position": 0 }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let (_, all) = call(&host, "GET", "/api/v1/profiles/g/rules", Value::Null).await;
    let all = all["rules"].as_array().expect("rules").clone();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["glob"], "*.woff2");
    assert_eq!(all[0]["bucket"], bucket.as_str());
    let (s, _) = call(
        &host,
        "DELETE",
        &format!("{base}/rules/{css_id}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        &host,
        "DELETE",
        &format!("{base}/rules/{css_id}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    host.shutdown().await;
}

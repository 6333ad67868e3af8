//! Shared helpers of the API's integration tests: a host over a data dir (the
//! embedded router, in-process), JSON calls with the token, Garage profiles, and
//! waiting for a job.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use coffer_api::settings::file::ApiConfig;
use coffer_api::{ApiHost, ApiState};
use coffer_core::Sensitive;
use coffer_core::paths::DataDir;
use coffer_core::secret::SecretStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The API token of the test hosts.
pub const TOKEN: &str = "jobs-token";

pub async fn host_at(dir: &Path, secrets: Arc<dyn SecretStore>) -> Arc<ApiHost> {
    let session = Session::open(DataDir::at(dir), secrets).expect("session");
    let state = ApiState::new(
        session,
        Sensitive::new(TOKEN.into()),
        TransferConfig::default(),
        vec![dir.to_path_buf()],
    )
    .expect("state");
    ApiHost::start(state, ApiConfig::default(), None)
        .await
        .expect("host")
}

pub async fn call(host: &ApiHost, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, bytes) = call_raw(host, method, path, body, None).await;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

pub async fn call_raw(
    host: &ApiHost,
    method: &str,
    path: &str,
    body: Value,
    range: Option<&str>,
) -> (StatusCode, bytes::Bytes) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json");
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(serde_json::to_vec(&body).expect("json"))
    };
    let response = host
        .embedded()
        .expect("embedded")
        .oneshot(request.body(body).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, bytes)
}

pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn add_profile(host: &ApiHost, name: &str, endpoint: &str) {
    let server = coffer_testkit::garage();
    let (status, body) = call(
        host,
        "POST",
        "/api/v1/profiles",
        json!({
            "name": name, "endpoint": endpoint, "region": server.region, "path_style": true,
            "access_key_id": server.access_key_id, "secret_access_key": server.secret_access_key,
        }),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
}

pub async fn job(host: &ApiHost, id: &str) -> Value {
    let (_, jobs) = call(host, "GET", "/api/v1/jobs", Value::Null).await;
    jobs.as_array()
        .and_then(|a| a.iter().find(|j| j["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

pub async fn wait_job(host: &ApiHost, id: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let j = job(host, id).await;
        if ok(&j) {
            return j;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {j}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

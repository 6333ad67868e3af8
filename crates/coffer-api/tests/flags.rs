//! The `api.embedded` and `api.standalone` switches: both on at once, and the
//! listener switched off and on at run time while the embedded API keeps answering.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use coffer_api::settings::file::ApiConfig;
use coffer_api::{ApiHost, ApiState};
use coffer_core::Sensitive;
use coffer_core::paths::DataDir;
use coffer_core::secret::MemorySecretStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;
use tower::ServiceExt;

const TOKEN: &str = "flags-token";

async fn embedded_get(host: &ApiHost, path: &str) -> StatusCode {
    let router = host.embedded().expect("embedded is on");
    let request = Request::get(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    router.oneshot(request).await.expect("answer").status()
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> Result<u16, reqwest::Error> {
    reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .map(|r| r.status().as_u16())
}

#[tokio::test]
async fn both_on_then_standalone_off_and_on_again() {
    let dir = tempfile::tempdir().expect("dir");
    let session = Session::open(
        DataDir::at(dir.path()),
        Arc::new(MemorySecretStore::default()),
    )
    .expect("session");
    let state = ApiState::new(
        session,
        Sensitive::new(TOKEN.into()),
        TransferConfig::default(),
        Vec::new(),
    )
    .expect("state");
    let config = ApiConfig {
        embedded: true,
        standalone: true,
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..ApiConfig::default()
    };
    let file = dir.path().join("coffer.toml");
    let host = ApiHost::start(state, config, Some(file))
        .await
        .expect("host");

    // Both at once.
    let addr = host.standalone_addr().await.expect("listening");
    assert_eq!(
        embedded_get(&host, "/api/v1/profiles").await,
        StatusCode::OK
    );
    assert_eq!(http_get(addr, "/api/v1/profiles").await.expect("http"), 200);

    // Off through the settings route, called in-process: the port closes, the
    // embedded API goes on, and the change is saved.
    let router = host.embedded().expect("embedded");
    let request = Request::put("/api/v1/settings/api")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"standalone": false}"#))
        .expect("request");
    assert_eq!(
        router.oneshot(request).await.expect("answer").status(),
        StatusCode::OK
    );
    assert!(host.standalone_addr().await.is_none());
    let mut closed = false;
    for _ in 0..50 {
        if http_get(addr, "/api/v1/health").await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(closed, "the port still answers");
    assert_eq!(
        embedded_get(&host, "/api/v1/profiles").await,
        StatusCode::OK
    );
    assert!(!ApiConfig::load(dir.path()).expect("saved").standalone);

    // And on again, on a port of its own.
    let addr = host
        .set_standalone(true, Some("127.0.0.1:0".parse().expect("addr")))
        .await
        .expect("on")
        .expect("bound");
    assert_eq!(http_get(addr, "/api/v1/profiles").await.expect("http"), 200);

    // The embedded API can be switched off too.
    host.set_embedded(false).expect("off");
    assert!(host.embedded().is_none());
    assert_eq!(http_get(addr, "/api/v1/profiles").await.expect("http"), 200);
    host.shutdown().await;
}

#[tokio::test]
async fn an_empty_token_lets_no_http_client_in() {
    let dir = tempfile::tempdir().expect("dir");
    let session = Session::open(
        DataDir::at(dir.path()),
        Arc::new(MemorySecretStore::default()),
    )
    .expect("session");
    // The desktop without a keychain runs with no token.
    let state = ApiState::new(
        session,
        Sensitive::new(String::new()),
        TransferConfig::default(),
        Vec::new(),
    )
    .expect("state");
    let host = ApiHost::start(state, ApiConfig::default(), None)
        .await
        .expect("host");
    for header in ["Bearer ", "Bearer  ", "Bearer"] {
        let request = Request::get("/api/v1/profiles")
            .header("authorization", header)
            .body(Body::empty())
            .expect("request");
        let router = host.embedded().expect("embedded");
        let status = router.oneshot(request).await.expect("answer").status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}");
    }
}

//! The window's calls to the core API: the same routes a browser uses, answered
//! in-process by the embedded router (no socket, no token: the request is marked as
//! the desktop's own).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use coffer_api::ErrorBody;
use coffer_api::state::Caller;
use http_body_util::BodyExt;
use serde::Deserialize;
use tauri::State;
use tower::ServiceExt;

use crate::Desktop;

/// The most a preview may read.
const BYTES_LIMIT: u64 = 16 * 1024 * 1024;

/// A JSON call.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The route, starting with `/api/v1/`.
    pub path: String,
    /// Query parameters.
    #[serde(default)]
    pub query: Option<BTreeMap<String, String>>,
    /// The JSON body.
    pub body: Option<serde_json::Value>,
}

/// A ranged read of an object, for previews.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BytesRequest {
    /// The object route (`/api/v1/profiles/P/buckets/B/object`).
    pub path: String,
    /// Query parameters (`key`).
    #[serde(default)]
    pub query: Option<BTreeMap<String, String>>,
    /// The last byte wanted (inclusive); at most 16 MiB are read.
    pub range_end: Option<u64>,
}

pub(crate) fn error(code: &str, message: impl Into<String>) -> ErrorBody {
    ErrorBody {
        code: code.into(),
        message: message.into(),
    }
}

/// The URI of a route with its query, or an error for anything outside the API.
fn uri(path: &str, query: Option<&BTreeMap<String, String>>) -> Result<String, ErrorBody> {
    if !path.starts_with("/api/v1/") || path.contains("..") || path.contains('?') {
        return Err(error("bad_request", format!("not an API route: {path}")));
    }
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(path.to_string());
    };
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    Ok(format!("{path}?{}", q.finish()))
}

/// An answer: status, content type, body.
pub type Answer = (StatusCode, String, bytes::Bytes);

/// Sends one request to the agent the window shows: a remote one
/// ([`crate::remote_files`] keeps transfers of this computer's files here), or this
/// computer.
async fn call(desktop: &Desktop, request: Request<Body>) -> Result<Answer, ErrorBody> {
    if let Some((name, remote)) = desktop.remote() {
        return crate::remote_files::call(desktop, &name, &remote, request).await;
    }
    call_here(desktop, request).await
}

/// Sends one request to this computer: the embedded router, or the local agent this
/// app is the window of.
pub async fn call_here(desktop: &Desktop, request: Request<Body>) -> Result<Answer, ErrorBody> {
    let host = match &desktop.backend {
        crate::Backend::Local(host) => host,
        crate::Backend::Agent(client) => return call_agent(client, request).await,
    };
    let router = host.embedded().ok_or_else(|| {
        error(
            "api_off",
            "the embedded API is switched off (api.embedded = false in coffer.toml)",
        )
    })?;
    let mut request = request;
    request.extensions_mut().insert(Caller::Desktop);
    let response = router
        .oneshot(request)
        .await
        .map_err(|e| error("internal", e.to_string()))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| error("internal", e.to_string()))?
        .to_bytes();
    Ok((status, content_type, body))
}

/// Sends one request to an agent (over its socket, or a remote one over TLS).
pub async fn call_agent(
    client: &coffer_core::agent::Client,
    request: Request<Body>,
) -> Result<Answer, ErrorBody> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| error("internal", e.to_string()))?
        .to_bytes();
    let request = Request::from_parts(parts, http_body_util::Full::new(body));
    let (status, headers, body) = client
        .send(request)
        .await
        .map_err(|e| error("agent_gone", e.to_string()))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Ok((status, content_type, body))
}

fn failure(status: StatusCode, body: &[u8]) -> ErrorBody {
    serde_json::from_slice::<ErrorBody>(body).unwrap_or_else(|_| {
        error(
            "internal",
            format!("the API answered {status} without a message"),
        )
    })
}

/// Calls a JSON route; resolves with its JSON answer (`null` for no content) or
/// rejects with the API's `{code, message}`.
#[tauri::command]
pub async fn api_json(
    desktop: State<'_, Desktop>,
    request: ApiRequest,
) -> Result<serde_json::Value, ErrorBody> {
    let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| error("bad_request", format!("no such method: {}", request.method)))?;
    let mut builder = Request::builder()
        .method(method)
        .uri(uri(&request.path, request.query.as_ref())?);
    let body = match request.body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&json).map_err(|e| error("bad_request", e.to_string()))?)
        }
        None => Body::empty(),
    };
    let http = builder
        .body(body)
        .map_err(|e| error("bad_request", e.to_string()))?;
    let (status, _, body) = call(&desktop, http).await?;
    if !status.is_success() {
        return Err(failure(status, &body));
    }
    if body.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&body).map_err(|e| error("internal", format!("not JSON: {e}")))
}

/// Reads the first bytes of an object (a preview); resolves with an ArrayBuffer.
#[tauri::command]
pub async fn api_bytes(
    desktop: State<'_, Desktop>,
    request: BytesRequest,
) -> Result<tauri::ipc::Response, ErrorBody> {
    let end = request
        .range_end
        .unwrap_or(BYTES_LIMIT - 1)
        .min(BYTES_LIMIT - 1);
    let http = Request::builder()
        .method(Method::GET)
        .uri(uri(&request.path, request.query.as_ref())?)
        .header(header::RANGE, format!("bytes=0-{end}"))
        .body(Body::empty())
        .map_err(|e| error("bad_request", e.to_string()))?;
    let (status, _, body) = call(&desktop, http).await?;
    if !status.is_success() {
        return Err(failure(status, &body));
    }
    Ok(tauri::ipc::Response::new(body.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_routes_with_encoded_queries() {
        let mut q = BTreeMap::new();
        q.insert("key".to_string(), "a b/100%+é//x".to_string());
        assert_eq!(
            uri("/api/v1/profiles/p/buckets/b/object", Some(&q)).expect("uri"),
            "/api/v1/profiles/p/buckets/b/object?key=a+b%2F100%25%2B%C3%A9%2F%2Fx"
        );
        assert!(uri("/etc/passwd", None).is_err());
        assert!(uri("/api/v1/../x", None).is_err());
        assert!(uri("/api/v1/jobs?x=1", None).is_err());
    }
}

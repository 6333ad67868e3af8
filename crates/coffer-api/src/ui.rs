//! The web UI's static files, served at `/` (so that a browser gets the same UI as
//! the desktop window). They are read from the built UI folder ([`ui_dir`]); without
//! one, `/` is a single page that says what this agent is and where its API lives.

use std::path::{Component, Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The page served at `/` when no built UI is found.
const PLACEHOLDER: &str = include_str!("../assets/index.html");

/// The UI's Content-Security-Policy: its own files, its own API, nothing else.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'";

/// The built UI: `COFFER_UI_DIR` if set, else `share/coffer/ui` beside the binary's
/// folder (an install), else the source tree's `ui/dist` (a build from source).
/// `None` when none of them holds an `index.html`. Looked for once per process.
pub fn ui_dir() -> Option<PathBuf> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(find_ui_dir).clone()
}

fn find_ui_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("COFFER_UI_DIR") {
        candidates.push(PathBuf::from(dir));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(bin) = exe.parent()
    {
        candidates.push(bin.join("../share/coffer/ui"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist"));
    candidates
        .into_iter()
        .find(|dir| dir.join("index.html").is_file())
}

fn with_headers(content_type: &str, body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A file of the UI for `path` (`/` is `index.html`), or `None`. Paths that leave the
/// UI folder are refused.
async fn file(path: &str) -> Option<Response> {
    let dir = ui_dir()?;
    let relative = match path.trim_start_matches('/') {
        "" => "index.html",
        other => other,
    };
    let relative = Path::new(relative);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let full = dir.join(relative);
    let body = tokio::fs::read(&full).await.ok()?;
    let content_type = mime_guess::from_path(&full)
        .first_raw()
        .map(|m| {
            if m.starts_with("text/") || m == "application/javascript" {
                format!("{m}; charset=utf-8")
            } else {
                m.to_string()
            }
        })
        .unwrap_or_else(|| "application/octet-stream".into());
    Some(with_headers(&content_type, body))
}

/// `GET /`.
pub async fn index() -> Response {
    match file("/").await {
        Some(response) => response,
        None => with_headers("text/html; charset=utf-8", PLACEHOLDER.as_bytes().to_vec()),
    }
}

/// Anything no route matched: a UI file for a GET outside `/api/`, else a JSON 404.
pub async fn fallback(uri: Uri) -> Response {
    let path = uri.path();
    if !path.starts_with("/api/")
        && let Some(response) = file(path).await
    {
        return response;
    }
    ApiError::NotFound("no such route; see /api/v1/openapi.json".into()).into_response()
}

//! The web UI's static files, embedded in the binary and served at `/`. Until the
//! desktop's web UI is built into `ui/dist`, this is a single page that says what
//! the agent is and where its API lives.

use axum::http::header;
use axum::response::IntoResponse;

/// The page served at `/`.
const INDEX: &str = include_str!("../assets/index.html");

/// `GET /`.
pub async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'self' 'unsafe-inline'",
            ),
        ],
        INDEX,
    )
}

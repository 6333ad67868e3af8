//! `GET /api/v1/health`: whether the API answers, for probes and service managers.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The answer of `health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always true when it answers.
    pub ok: bool,
    /// The Coffer version.
    pub version: &'static str,
}

/// Answers without a token.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta",
    responses((status = 200, description = "The API answers", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        ok: true,
        version: env!("CARGO_PKG_VERSION"),
    })
}

//! The API switches: `GET`/`PUT /api/v1/settings/api`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Body;
use crate::host::ApiHost;
use crate::state::ApiState;

/// The API switches as they are now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSettings {
    /// The in-process API.
    pub embedded: bool,
    /// The HTTP listener.
    pub standalone: bool,
    /// Its configured address.
    #[schema(value_type = String)]
    pub listen: SocketAddr,
    /// Where it is bound now, if on.
    #[schema(value_type = Option<String>)]
    pub bound: Option<SocketAddr>,
}

/// A change of switches; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiSettingsChange {
    /// Turn the in-process API on or off.
    pub embedded: Option<bool>,
    /// Turn the HTTP listener on or off.
    pub standalone: Option<bool>,
    /// Where the listener binds.
    #[schema(value_type = Option<String>)]
    pub listen: Option<SocketAddr>,
}

fn host(state: &ApiState) -> ApiResult<std::sync::Arc<ApiHost>> {
    state
        .host()
        .ok_or_else(|| ApiError::NotFound("this API has no switchable listeners".into()))
}

async fn settings_of(host: &ApiHost) -> ApiSettings {
    let config = host.config();
    ApiSettings {
        embedded: config.embedded,
        standalone: config.standalone,
        listen: config.listen,
        bound: host.standalone_addr().await,
    }
}

/// The API switches.
#[utoipa::path(get, path = "/api/v1/settings/api", tag = "settings",
    responses((status = 200, description = "The switches", body = ApiSettings)),
    security(("token" = [])))]
pub async fn get(State(state): State<ApiState>) -> ApiResult<Json<ApiSettings>> {
    let host = host(&state)?;
    Ok(Json(settings_of(&host).await))
}

/// Turns the embedded API or the HTTP listener on or off, at once and without a
/// restart; the change is saved to `coffer.toml`.
#[utoipa::path(put, path = "/api/v1/settings/api", tag = "settings",
    request_body = ApiSettingsChange,
    responses((status = 200, description = "The switches now", body = ApiSettings),
        (status = 400, description = "Cannot listen there", body = ErrorBody)),
    security(("token" = [])))]
pub async fn put(
    State(state): State<ApiState>,
    Body(change): Body<ApiSettingsChange>,
) -> ApiResult<Json<ApiSettings>> {
    let host = host(&state)?;
    if let Some(on) = change.embedded {
        host.set_embedded(on)?;
    }
    if change.standalone.is_some() || change.listen.is_some() {
        let on = change.standalone.unwrap_or(host.config().standalone);
        host.set_standalone(on, change.listen).await?;
    }
    Ok(Json(settings_of(&host).await))
}

//! Profiles, without secrets: `GET /api/v1/profiles`, `GET /api/v1/profiles/{profile}`.

use axum::Json;
use axum::extract::State;
use coffer_core::profile::Profile;

use crate::error::ApiResult;
use crate::extract::Params;
use crate::state::ApiState;

/// Every profile (the `local` one included). No secret is ever part of a profile.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "profiles",
    responses((status = 200, description = "The profiles", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> ApiResult<Json<Vec<Profile>>> {
    Ok(Json(state.session().profiles().list()?))
}

/// One profile.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}", tag = "profiles",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 200, description = "The profile", body = Object),
        (status = 404, description = "No such profile", body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn get(
    State(state): State<ApiState>,
    Params(name): Params<String>,
) -> ApiResult<Json<Profile>> {
    Ok(Json(state.session().profiles().get(&name)?))
}

//! The settings routes: part size and concurrency, notifications and theme, the API
//! token (shown and rotated), and the AWS profiles to import. HTTP only: what the
//! settings are and where they are kept is [`crate::settings`].

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Body;
use crate::settings::stored::{self, TransferSettings, UiSettings};
use crate::state::ApiState;

/// The API token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    /// The token requests carry as `Authorization: Bearer TOKEN`.
    pub token: String,
}

/// Part size and concurrency.
#[utoipa::path(get, path = "/api/v1/settings/transfers", tag = "settings",
    responses((status = 200, description = "The settings", body = TransferSettings)),
    security(("token" = [])))]
pub async fn get_transfers(State(state): State<ApiState>) -> Json<TransferSettings> {
    let c = state.transfer_config();
    Json(TransferSettings {
        part_size: c.part_size,
        concurrency: c.concurrency,
    })
}

/// Changes part size and concurrency for transfers started from now on.
#[utoipa::path(put, path = "/api/v1/settings/transfers", tag = "settings",
    request_body = TransferSettings,
    responses((status = 200, description = "Saved", body = TransferSettings),
        (status = 400, description = "Out of range", body = ErrorBody)),
    security(("token" = [])))]
pub async fn put_transfers(
    State(state): State<ApiState>,
    Body(settings): Body<TransferSettings>,
) -> ApiResult<Json<TransferSettings>> {
    stored::save_transfers(&state, &settings)?;
    Ok(Json(settings))
}

/// Notifications and theme.
#[utoipa::path(get, path = "/api/v1/settings/ui", tag = "settings",
    responses((status = 200, description = "The settings", body = UiSettings)),
    security(("token" = [])))]
pub async fn get_ui(State(state): State<ApiState>) -> Json<UiSettings> {
    Json(stored::ui_settings(&state))
}

/// Changes notifications and theme.
#[utoipa::path(put, path = "/api/v1/settings/ui", tag = "settings",
    request_body = UiSettings,
    responses((status = 200, description = "Saved", body = UiSettings),
        (status = 400, description = "Unknown theme", body = ErrorBody)),
    security(("token" = [])))]
pub async fn put_ui(
    State(state): State<ApiState>,
    Body(settings): Body<UiSettings>,
) -> ApiResult<Json<UiSettings>> {
    stored::save_ui(&state, &settings)?;
    Ok(Json(settings))
}

/// The API token, to paste into a browser or another client.
#[utoipa::path(get, path = "/api/v1/settings/api/token", tag = "settings",
    responses((status = 200, description = "The token", body = TokenAnswer)),
    security(("token" = [])))]
pub async fn get_token(State(state): State<ApiState>) -> Json<TokenAnswer> {
    Json(TokenAnswer {
        token: state.token().expose().clone(),
    })
}

/// Replaces the token (kept in the keychain); the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/settings/api/token", tag = "settings",
    responses((status = 200, description = "The new token", body = TokenAnswer)),
    security(("token" = [])))]
pub async fn rotate_token(State(state): State<ApiState>) -> ApiResult<Json<TokenAnswer>> {
    let token = crate::settings::token::rotate(state.session().secrets().as_ref())?;
    let answer = TokenAnswer {
        token: token.expose().clone(),
    };
    state.set_token(token);
    Ok(Json(answer))
}

/// The AWS profiles that can be imported.
#[utoipa::path(get, path = "/api/v1/aws-profiles", tag = "profiles",
    responses((status = 200, description = "Profile names", body = Vec<String>)),
    security(("token" = [])))]
pub async fn aws_profiles() -> ApiResult<Json<Vec<String>>> {
    Ok(Json(coffer_core::profile::list_aws_profiles().await?))
}

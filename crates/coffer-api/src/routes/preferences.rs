//! The settings a user changes in the app: part size and concurrency, notifications
//! and theme, the API token (shown and rotated), and the AWS profiles to import.
//! Saved in the meta db (tree [`TREE`]) and read back at start ([`load`]).

use axum::Json;
use axum::extract::State;
use coffer_core::meta::MetaDbExt;
use coffer_core::transfer::TransferConfig;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Body;
use crate::state::ApiState;

/// The meta-db tree of the settings.
pub const TREE: &str = "settings";

const MIB: u64 = 1024 * 1024;

/// Part size and concurrency of new transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferSettings {
    /// Bytes per part of a multipart transfer, 5 MiB to 5 GiB.
    pub part_size: u64,
    /// Parts (or small files) in flight per transfer, 1 to 64.
    pub concurrency: usize,
}

/// The app's look and notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    /// Desktop notifications when a batch of transfers ends.
    pub notifications: bool,
    /// `system` (follow the desktop), `light` or `dark`.
    pub theme: String,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            notifications: true,
            theme: "system".into(),
        }
    }
}

/// The API token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    /// The token requests carry as `Authorization: Bearer TOKEN`.
    pub token: String,
}

/// Applies the saved transfer settings to `state` (at start).
pub fn load(state: &ApiState) {
    match state
        .session()
        .db()
        .get_json::<TransferSettings>(TREE, "transfers")
    {
        Ok(Some(saved)) if check(&saved).is_ok() => apply(state, &saved),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot read the saved transfer settings: {e}"),
    }
}

/// The UI settings (defaults when none are saved).
pub fn ui_settings(state: &ApiState) -> UiSettings {
    state
        .session()
        .db()
        .get_json::<UiSettings>(TREE, "ui")
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Makes `settings` the part size and concurrency of transfers started from now on.
fn apply(state: &ApiState, settings: &TransferSettings) {
    state.set_transfer_config(TransferConfig {
        part_size: settings.part_size,
        concurrency: settings.concurrency,
        ..state.transfer_config()
    });
}

fn check(s: &TransferSettings) -> ApiResult<()> {
    if !(5 * MIB..=5 * 1024 * MIB).contains(&s.part_size) {
        return Err(ApiError::bad_request(
            "part_size must be 5 MiB to 5 GiB (S3's limits for a part)",
        ));
    }
    if !(1..=64).contains(&s.concurrency) {
        return Err(ApiError::bad_request("concurrency must be 1 to 64"));
    }
    Ok(())
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
    check(&settings)?;
    state
        .session()
        .db()
        .put_json(TREE, "transfers", &settings)?;
    state.set_transfer_config(TransferConfig {
        part_size: settings.part_size,
        concurrency: settings.concurrency,
        ..state.transfer_config()
    });
    Ok(Json(settings))
}

/// Notifications and theme.
#[utoipa::path(get, path = "/api/v1/settings/ui", tag = "settings",
    responses((status = 200, description = "The settings", body = UiSettings)),
    security(("token" = [])))]
pub async fn get_ui(State(state): State<ApiState>) -> Json<UiSettings> {
    Json(ui_settings(&state))
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
    if !["system", "light", "dark"].contains(&settings.theme.as_str()) {
        return Err(ApiError::bad_request(
            "theme must be `system`, `light` or `dark`",
        ));
    }
    state.session().db().put_json(TREE, "ui", &settings)?;
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
    let token = crate::token::rotate(state.session().secrets().as_ref())?;
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

//! The settings a user changes in the app and that are kept in the local database
//! (tree [`TREE`]): part size and concurrency of transfers, notifications and theme.
//! Read back at start ([`load`]); changed through [`save_transfers`] and [`save_ui`].

use coffer_core::meta::MetaDbExt;
use coffer_core::transfer::TransferConfig;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
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
pub(crate) fn apply(state: &ApiState, settings: &TransferSettings) {
    state.set_transfer_config(TransferConfig {
        part_size: settings.part_size,
        concurrency: settings.concurrency,
        ..state.transfer_config()
    });
}

/// Checks transfer settings against S3's limits (a part of 5 MiB to 5 GiB) and ours
/// (1 to 64 at once).
pub fn check(s: &TransferSettings) -> ApiResult<()> {
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

/// Checks, saves and applies transfer settings (to transfers started from now on).
pub fn save_transfers(state: &ApiState, settings: &TransferSettings) -> ApiResult<()> {
    check(settings)?;
    state.session().db().put_json(TREE, "transfers", settings)?;
    apply(state, settings);
    Ok(())
}

/// Checks and saves the UI settings.
pub fn save_ui(state: &ApiState, settings: &UiSettings) -> ApiResult<()> {
    if !["system", "light", "dark"].contains(&settings.theme.as_str()) {
        return Err(ApiError::bad_request(
            "theme must be `system`, `light` or `dark`",
        ));
    }
    state.session().db().put_json(TREE, "ui", settings)?;
    Ok(())
}

//! Starts the core in this process: the session (data dir, keychain), the sample
//! objects of the `local` profile, and the API host with its saved switches.

use std::sync::Arc;

use coffer_api::config::ApiConfig;
use coffer_api::{ApiHost, ApiState, token};
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;

use crate::DesktopError;

/// Opens the session and starts the API host (and the standalone listener when
/// `api.standalone` is on in `coffer.toml`).
pub fn start() -> Result<Arc<ApiHost>, DesktopError> {
    let core = |e: &dyn std::fmt::Display| DesktopError::Core(e.to_string());
    let session = Session::open_default().map_err(|e| core(&e))?;
    let api_token = match token::api_token(
        session.secrets().as_ref(),
        std::env::var("COFFER_API_TOKEN").ok(),
    ) {
        Ok(token) => token,
        Err(e) => {
            // The window needs no token (it calls in-process); only the standalone
            // listener does, and it stays unusable until the keychain is back.
            tracing::warn!("no API token from the keychain ({e}); the HTTP API refuses all calls");
            coffer_core::Sensitive::new(String::new())
        }
    };
    let root = session.data_dir().root().to_path_buf();
    let config = ApiConfig::load(&root).map_err(|e| core(&e))?;
    tauri::async_runtime::block_on(async move {
        if let Err(e) = coffer_core::samples::seed(&session).await {
            tracing::warn!("could not put the sample objects: {e}");
        }
        let state = ApiState::new(
            session,
            api_token,
            TransferConfig::default(),
            config.allowed_dirs.clone(),
        );
        ApiHost::start(state, config, Some(root.join("coffer.toml")))
            .await
            .map_err(|e| core(&e))
    })
}

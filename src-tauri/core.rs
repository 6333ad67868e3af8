//! Starts the core in this process: the session (data dir, keychain), the sample
//! objects of the `local` profile, and the API host with its saved switches.

use std::sync::Arc;

use coffer_api::settings::file::ApiConfig;
use coffer_api::settings::token;
use coffer_api::{ApiHost, ApiState};
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;

use crate::{Backend, DesktopError};

/// When an agent owns the data dir, attaches to it (the app is its window); else opens
/// the session and starts the API host here (with the agent socket, and the
/// standalone listener when `api.standalone` is on in `coffer.toml`).
pub fn start() -> Result<Backend, DesktopError> {
    let core = |e: &dyn std::fmt::Display| DesktopError::Core(e.to_string());
    let data = coffer_core::paths::DataDir::discover().map_err(|e| core(&e))?;
    let client = coffer_core::agent::Client::new(data.agent_socket());
    if let Some(owner) = tauri::async_runtime::block_on(client.hello()) {
        tracing::info!(owner = %owner.role, pid = owner.pid, "the data dir is owned by an agent: attaching to it");
        return Ok(Backend::Agent(client));
    }
    start_local().map(Backend::Local)
}

/// Opens the session and starts the API host in this process.
pub fn start_local() -> Result<Arc<ApiHost>, DesktopError> {
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
        )
        .map_err(|e| core(&e))?;
        let host = ApiHost::start(state, config, Some(root.join("coffer.toml")))
            .await
            .map_err(|e| core(&e))?;
        // Other coffer commands of this user attach to the app while it runs.
        #[cfg(unix)]
        if let Err(e) = host.listen_socket("desktop").await {
            tracing::warn!("no agent socket: {e}; coffer commands wait for the app to quit");
        }
        Ok(host)
    })
}

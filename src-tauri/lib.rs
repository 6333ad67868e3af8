//! Coffer's desktop app: a thin Tauri 2 shell over the core.
//!
//! - [`core`]: opens the session and starts the API host (embedded, and the
//!   standalone listener when switched on) in this process.
//! - [`commands`]: what the window may call, one file per area. The window talks to
//!   the same HTTP API as a browser does, in-process ([`commands::api`]); progress
//!   streams over a `tauri::ipc::Channel` ([`commands::events`]).
//! - [`tray`], [`notify`], [`watch`]: the tray menu, desktop notifications, and the
//!   task that keeps both in step with the transfer queue.
//! - [`window`]: closing the window while transfers run hides it to the tray.

pub mod commands;
pub mod core;
pub mod notify;
pub mod tray;
pub mod watch;
pub mod window;

use std::sync::Arc;

use coffer_api::ApiHost;

/// What went wrong starting the app.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// The core could not start (data dir, keychain, config).
    #[error("{0}")]
    Core(String),
    /// Tauri could not start (display, webview).
    #[error(transparent)]
    Tauri(#[from] tauri::Error),
}

/// What the commands share: the API host of this process.
pub struct Desktop {
    /// The host: its embedded router answers the window's calls.
    pub host: Arc<ApiHost>,
}

/// The commands the window may call (each also needs its `allow-…` permission in
/// `src-tauri/capabilities`).
#[macro_export]
macro_rules! handlers {
    () => {
        tauri::generate_handler![
            $crate::commands::api::api_json,
            $crate::commands::api::api_bytes,
            $crate::commands::events::api_events,
            $crate::commands::dialog::choose_folder,
            $crate::commands::dialog::choose_files,
        ]
    };
}

/// Runs the app until it quits.
pub fn run() -> Result<(), DesktopError> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COFFER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,coffer=info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            let host = core::start().map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            window::open_main(app.handle())?;
            tray::install(app.handle(), &host);
            watch::spawn(app.handle().clone(), host.clone());
            use tauri::Manager;
            app.manage(Desktop { host });
            Ok(())
        })
        .on_window_event(window::on_event)
        .invoke_handler(handlers!())
        .build(tauri::generate_context!())?;
    app.run(window::on_run_event);
    Ok(())
}

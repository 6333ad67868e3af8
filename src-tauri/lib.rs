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
//! - [`remote_files`]: while the window shows a remote agent, transfers of this
//!   computer's files run here, against the agent's profile.

pub mod batch;
pub mod commands;
pub mod core;
pub mod notify;
pub mod remote_files;
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

/// Where the window's calls go.
pub enum Backend {
    /// This process owns the data dir: its host's embedded router answers.
    Local(Arc<ApiHost>),
    /// An agent (`coffer agent`, `coffer serve`) owns it: this app is its window, over
    /// the agent's socket; closing the app leaves the agent's jobs running.
    Agent(coffer_core::agent::Client),
}

/// What the commands share: where the API is.
pub struct Desktop {
    /// This computer: this process's host, or the local agent's socket.
    pub backend: Backend,
    /// The data dir's session (remote agents are kept there), when reachable.
    pub session: Option<coffer_core::session::Session>,
    /// The remote agent the window shows instead of this computer.
    remote: std::sync::Mutex<Option<(String, coffer_core::agent::Client)>>,
}

impl Desktop {
    /// The app over `backend`, with the data dir's session for the remote agents.
    pub fn new(backend: Backend, session: Option<coffer_core::session::Session>) -> Self {
        Desktop {
            backend,
            session,
            remote: std::sync::Mutex::new(None),
        }
    }

    /// The app over its own host.
    pub fn local(host: Arc<ApiHost>) -> Self {
        let session = host.state().session().clone();
        Self::new(Backend::Local(host), Some(session))
    }

    /// The remote agent in use, if any.
    pub fn remote(&self) -> Option<(String, coffer_core::agent::Client)> {
        self.remote
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Shows a remote agent (or this computer again).
    pub fn use_remote(&self, remote: Option<(String, coffer_core::agent::Client)>) {
        *self.remote.lock().unwrap_or_else(|e| e.into_inner()) = remote;
    }

    /// The host, when this process owns the data dir.
    pub fn host(&self) -> Option<&Arc<ApiHost>> {
        match &self.backend {
            Backend::Local(host) => Some(host),
            Backend::Agent(_) => None,
        }
    }
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
            $crate::commands::agents::agents_list,
            $crate::commands::agents::agent_add,
            $crate::commands::agents::agent_remove,
            $crate::commands::agents::agent_use,
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
            let backend = core::start().map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            let session = match &backend {
                Backend::Local(host) => Some(host.state().session().clone()),
                // Attached: the data dir through the agent, for the remote agents list.
                Backend::Agent(_) => coffer_core::session::Session::connect_default().ok(),
            };
            let desktop = Desktop::new(backend, session);
            window::open_main(app.handle())?;
            tray::install(app.handle(), &desktop);
            watch::spawn(app.handle().clone(), &desktop);
            use tauri::Manager;
            app.manage(desktop);
            Ok(())
        })
        .on_window_event(window::on_event)
        .invoke_handler(handlers!())
        .build(tauri::generate_context!())?;
    app.run(window::on_run_event);
    Ok(())
}

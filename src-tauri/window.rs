//! The main window: opened at start, hidden to the tray when closed while transfers
//! run (said once, by a notification), shown again from the tray.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

use crate::Desktop;
use crate::batch::QueueStatus;
use crate::notify::{DesktopNotifier, Notifier};

/// The main window's label.
pub const MAIN: &str = "main";

/// Whether "still running in the tray" was said already.
static TOLD_HIDDEN: AtomicBool = AtomicBool::new(false);

/// Opens the main window.
pub fn open_main(app: &AppHandle) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Coffer")
        .inner_size(1180.0, 760.0)
        .min_inner_size(720.0, 480.0)
        .build()?;
    Ok(())
}

/// Shows and focuses the main window.
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Window events: a close while transfers run hides the window instead.
pub fn on_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let Some(desktop) = window.try_state::<Desktop>() else {
        return;
    };
    // An agent's window closes: the agent keeps running its jobs.
    let Some(host) = desktop.host() else {
        return;
    };
    let status = QueueStatus::of(&host.state().engine().list());
    if status.active == 0 {
        return;
    }
    api.prevent_close();
    let _ = window.hide();
    if !TOLD_HIDDEN.swap(true, Ordering::SeqCst) {
        std::thread::spawn(|| {
            if let Err(e) = DesktopNotifier::default().notify(
                "Coffer is still transferring",
                "The window is hidden; the transfers go on. Open Coffer from the tray icon.",
            ) {
                tracing::warn!("{e}");
            }
        });
    }
}

/// App events: on exit, transfers stop at a part boundary and keep their state.
pub fn on_run_event(app: &AppHandle, event: RunEvent) {
    if let RunEvent::Exit = event
        && let Some(desktop) = app.try_state::<Desktop>()
        && let Some(host) = desktop.host().cloned()
    {
        tauri::async_runtime::block_on(async move {
            let _ = tokio::time::timeout(Duration::from_secs(8), host.shutdown()).await;
        });
    }
}

/// Quits from the tray (transfers stop at a part boundary on exit).
pub fn quit(app: &AppHandle) {
    app.exit(0);
}

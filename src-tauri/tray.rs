//! The tray icon: "Show Coffer", the transfer status line, "Pause all" / "Resume
//! all", and "Quit". [`watch`](crate::watch) keeps the status line and the pause
//! item in step with the queue.

use std::sync::Arc;

use coffer_api::ApiHost;
use coffer_api::jobs::{batch::QueueStatus, control};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

/// The menu items that change.
pub struct TrayItems {
    /// "2 transfers · 45%".
    pub status: MenuItem<Wry>,
    /// "Pause all" or "Resume all".
    pub toggle: MenuItem<Wry>,
}

impl TrayItems {
    /// Shows `status` in the menu.
    pub fn show(&self, status: &QueueStatus) {
        let _ = self.status.set_text(status.line());
        let (text, enabled) = if status.active > 0 {
            ("Pause all", true)
        } else if status.paused > 0 {
            ("Resume all", true)
        } else {
            ("Pause all", false)
        };
        let _ = self.toggle.set_text(text);
        let _ = self.toggle.set_enabled(enabled);
    }
}

/// Adds the tray icon. A desktop without a tray (no appindicator) only loses the
/// icon; the app goes on, and says so in the log.
pub fn install(app: &AppHandle, host: &Arc<ApiHost>) {
    if let Err(e) = try_install(app, host) {
        tracing::warn!("no tray icon: {e}");
    }
}

fn try_install(app: &AppHandle, host: &Arc<ApiHost>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Coffer", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "No transfers", false, None::<&str>)?;
    let toggle = MenuItem::with_id(app, "toggle", "Pause all", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[&show, &separator, &status, &toggle, &separator, &quit],
    )?;
    let icon = tauri::image::Image::from_bytes(include_bytes!("../icons/tray.png"))?;
    let host = host.clone();
    TrayIconBuilder::with_id("coffer")
        .icon(icon)
        .tooltip("Coffer")
        .menu(&menu)
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "show" => crate::window::show_main(app),
            "toggle" => {
                let state = host.state();
                let status = QueueStatus::of(&coffer_api::jobs::list(state));
                if status.active > 0 {
                    control::pause_all(state);
                } else {
                    control::resume_all(state);
                }
            }
            "quit" => crate::window::quit(app),
            _ => {}
        })
        .build(app)?;
    app.manage(TrayItems { status, toggle });
    Ok(())
}

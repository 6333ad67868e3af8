//! The tray icon: "Show Coffer", the transfer status line, "Pause all" / "Resume
//! all", and "Quit". [`watch`](crate::watch) keeps the status line and the pause
//! item in step with the queue.

use crate::batch::QueueStatus;
use crate::{Backend, Desktop};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

/// The menu items that change.
pub struct TrayItems {
    /// "2 jobs running · 45%".
    pub status: MenuItem<Wry>,
    /// "Next: backup of home at 03:00 UTC" (hidden text when nothing is scheduled).
    pub next: MenuItem<Wry>,
    /// "Pause all" or "Resume all".
    pub toggle: MenuItem<Wry>,
}

impl TrayItems {
    /// Shows `status` in the menu.
    pub fn show(&self, status: &QueueStatus) {
        let _ = self.status.set_text(status.line());
        let _ = self.next.set_text(
            status
                .next_line()
                .unwrap_or_else(|| "Nothing scheduled".into()),
        );
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
pub fn install(app: &AppHandle, desktop: &Desktop) {
    if let Err(e) = try_install(app, desktop) {
        tracing::warn!("no tray icon: {e}");
    }
}

fn try_install(app: &AppHandle, desktop: &Desktop) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Coffer", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "No jobs running", false, None::<&str>)?;
    let next = MenuItem::with_id(app, "next", "Nothing scheduled", false, None::<&str>)?;
    let toggle = MenuItem::with_id(app, "toggle", "Pause all", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[
            &show, &separator, &status, &next, &toggle, &separator, &quit,
        ],
    )?;
    let icon = tauri::image::Image::from_bytes(include_bytes!("../icons/tray.png"))?;
    let backend = match &desktop.backend {
        Backend::Local(host) => Backend::Local(host.clone()),
        Backend::Agent(client) => Backend::Agent(client.clone()),
    };
    let first = match &backend {
        Backend::Local(host) => QueueStatus::of(&host.state().engine().list()),
        Backend::Agent(_) => QueueStatus::of(&[]),
    };
    TrayIconBuilder::with_id("coffer")
        .icon(icon)
        .tooltip("Coffer")
        .menu(&menu)
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "show" => crate::window::show_main(app),
            "toggle" => match &backend {
                Backend::Local(host) => {
                    let engine = host.state().engine();
                    let status = QueueStatus::of(&engine.list());
                    if status.active > 0 {
                        engine.pause_all();
                    } else {
                        engine.resume_all();
                    }
                }
                Backend::Agent(client) => {
                    let client = client.clone();
                    tauri::async_runtime::spawn(async move {
                        let jobs = crate::watch::agent_jobs(&client).await.unwrap_or_default();
                        let verb = if QueueStatus::of(&jobs).active > 0 {
                            "pause-all"
                        } else {
                            "resume-all"
                        };
                        let path = format!("/api/v1/jobs/{verb}");
                        if let Err(e) = client.request(http::Method::POST, &path, None).await {
                            tracing::warn!("{e}");
                        }
                    });
                }
            },
            "quit" => crate::window::quit(app),
            _ => {}
        })
        .build(app)?;
    let items = TrayItems {
        status,
        next,
        toggle,
    };
    items.show(&first);
    app.manage(items);
    Ok(())
}

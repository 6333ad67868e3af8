//! Desktop notifications through notify-rust (the freedesktop notification daemon on
//! the session bus): what the desktop app shows, and what an owner of the data dir
//! without a window (`coffer agent`, `coffer serve`) shows when the user's session bus
//! is there.
//!
//! notify-rust can block for good when a daemon never answers, so [`show`] sends from
//! a thread of its own and waits at most a timeout.

use std::sync::mpsc;
use std::time::Duration;

/// How long a notification may take before it is given up.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a notification was not shown.
#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    /// The daemon refused it or is not there.
    #[error("the notification could not be shown: {0}")]
    Failed(String),
    /// The daemon did not answer in time.
    #[error("the notification daemon did not answer within {0:?}")]
    Timeout(Duration),
}

/// Shows `title` and `body` as `app_name`, waiting at most `timeout`.
pub fn show(app_name: &str, title: &str, body: &str, timeout: Duration) -> Result<(), ShowError> {
    let (tx, rx) = mpsc::channel();
    let (app, title, body) = (app_name.to_string(), title.to_string(), body.to_string());
    std::thread::Builder::new()
        .name("notify".into())
        .spawn(move || {
            let shown = notify_rust::Notification::new()
                .appname(&app)
                .summary(&title)
                .body(&body)
                .show()
                .map(drop)
                .map_err(|e| e.to_string());
            let _ = tx.send(shown);
        })
        .map_err(|e| ShowError::Failed(e.to_string()))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ShowError::Failed(e)),
        // The thread is left behind; it ends when the daemon answers or the process quits.
        Err(_) => Err(ShowError::Timeout(timeout)),
    }
}

/// Whether this process has a session bus to send notifications on (a login session,
/// or a systemd user service; not a bare ssh session or a container).
pub fn session_bus() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists())
}

//! Desktop notifications. [`Notifier`] is the seam; [`DesktopNotifier`] sends
//! through notify-rust off the calling thread with a timeout, because notify-rust
//! can block for good when a notification daemon never answers (the sending itself is
//! `coffer_jobs::desktop_notify`, which the headless agent uses too).

use std::time::Duration;

/// How long a notification may take before it is given up.
pub const TIMEOUT: Duration = coffer_jobs::desktop_notify::TIMEOUT;

/// Why a notification was not shown.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The daemon refused it or is not there.
    #[error("the notification could not be shown: {0}")]
    Failed(String),
    /// The daemon did not answer in time.
    #[error("the notification daemon did not answer within {0:?}")]
    Timeout(Duration),
}

/// Shows desktop notifications.
///
/// Contract: `notify` returns within a bounded time whatever the daemon does, never
/// panics, and is safe to call from any thread; an error means the user did not see
/// the message (callers log it and go on).
pub trait Notifier: Send + Sync {
    /// Shows `title` with `body`.
    fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError>;
}

/// notify-rust on a thread of its own, waited for at most `timeout`.
#[derive(Debug, Clone)]
pub struct DesktopNotifier {
    /// The app name the daemon shows.
    pub app_name: String,
    /// How long to wait.
    pub timeout: Duration,
}

impl Default for DesktopNotifier {
    fn default() -> Self {
        DesktopNotifier {
            app_name: "Coffer".into(),
            timeout: TIMEOUT,
        }
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError> {
        use coffer_jobs::desktop_notify::{ShowError, show};
        show(&self.app_name, title, body, self.timeout).map_err(|e| match e {
            ShowError::Failed(why) => NotifyError::Failed(why),
            ShowError::Timeout(t) => NotifyError::Timeout(t),
        })
    }
}

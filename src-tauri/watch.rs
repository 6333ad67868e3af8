//! Follows the transfer queue: updates the tray's status line and sends a
//! notification when a batch of transfers ends (if notifications are on).

use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_api::events::EventKind;
use coffer_api::jobs::JobState;
use coffer_api::jobs::batch::{BatchWatcher, QueueStatus};
use coffer_api::routes::preferences::ui_settings;
use coffer_api::{ApiHost, ApiState};
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::notify::{DesktopNotifier, Notifier};
use crate::tray::TrayItems;

/// How often the tray's line changes at most while bytes move.
const TRAY_EVERY: Duration = Duration::from_millis(500);

/// Starts the watcher.
pub fn spawn(app: AppHandle, host: Arc<ApiHost>) {
    let notifier: Arc<dyn Notifier> = Arc::new(DesktopNotifier::default());
    let on_status = move |status: &QueueStatus| {
        if let Some(items) = app.try_state::<TrayItems>() {
            items.show(status);
        }
    };
    tauri::async_runtime::spawn(watch(host.state().clone(), on_status, notifier));
}

/// Watches the queue of `state` until its event channel closes: `on_status` gets the
/// queue's status after each change (at most every [`TRAY_EVERY`] while bytes
/// move), and `notifier` the end of each batch when notifications are on.
pub async fn watch(
    state: ApiState,
    on_status: impl Fn(&QueueStatus) + Send + 'static,
    notifier: Arc<dyn Notifier>,
) {
    let mut events = state.subscribe();
    let mut batch = BatchWatcher::default();
    let mut last_status = Instant::now() - TRAY_EVERY;
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if !matches!(event.kind, EventKind::Job) {
            continue;
        }
        if let Some(job) = &event.job {
            batch.note(job);
        }
        // Progress of a running job changes no state: it only moves the tray's
        // percentage, at most every TRAY_EVERY.
        let progress_only = event
            .job
            .as_ref()
            .is_some_and(|j| j.state == JobState::Running && j.progress.is_some());
        if progress_only && last_status.elapsed() < TRAY_EVERY {
            continue;
        }
        let jobs = coffer_api::jobs::list(&state);
        last_status = Instant::now();
        on_status(&QueueStatus::of(&jobs));
        if progress_only {
            continue;
        }
        if let Some(outcome) = batch.observe(&jobs)
            && ui_settings(&state).notifications
        {
            let (title, body) = outcome.message();
            let notifier = notifier.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = notifier.notify(&title, &body) {
                    tracing::warn!("{e}");
                }
            });
        }
    }
}

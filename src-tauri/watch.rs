//! Follows the job engine's bus: updates the tray's status line, sends a
//! notification when a batch of transfers ends, and passes the other jobs' alerts
//! (failures, successes when asked, webhooks) to the engine's alerts task; all only
//! when notifications are on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_api::routes::preferences::ui_settings;
use coffer_api::{ApiHost, ApiState};
use coffer_jobs::EventKind;
use tauri::{AppHandle, Manager};

use crate::batch::{BatchWatcher, QueueStatus};
use crate::notify::{DesktopNotifier, Notifier};
use crate::tray::TrayItems;

/// How often the tray's line changes at most while bytes move.
const TRAY_EVERY: Duration = Duration::from_millis(500);

/// Starts the watcher, over this process's engine or the agent's.
pub fn spawn(app: AppHandle, desktop: &crate::Desktop) {
    match &desktop.backend {
        crate::Backend::Local(host) => spawn_local(app, host.clone()),
        crate::Backend::Agent(client) => spawn_agent(app, client.clone()),
    }
}

/// How often the window of an agent reads the agent's jobs for the tray.
const AGENT_POLL: Duration = Duration::from_secs(1);

/// The jobs of the agent.
pub async fn agent_jobs(client: &coffer_core::agent::Client) -> Option<Vec<coffer_jobs::JobView>> {
    let (status, body) = client
        .request(http::Method::GET, "/api/v1/jobs", None)
        .await
        .ok()?;
    (status == 200).then(|| serde_json::from_slice(&body).ok())?
}

/// The tray and the batch notifications of an agent's window: the agent's job list,
/// read every second (the agent runs its own alerts for other jobs).
fn spawn_agent(app: AppHandle, client: coffer_core::agent::Client) {
    let notifier: Arc<dyn Notifier> = Arc::new(DesktopNotifier::default());
    tauri::async_runtime::spawn(async move {
        let mut batch = BatchWatcher::default();
        loop {
            if let Some(jobs) = agent_jobs(&client).await {
                if let Some(items) = app.try_state::<TrayItems>() {
                    items.show(&QueueStatus::of(&jobs));
                }
                if let Some(outcome) = batch.observe(&jobs) {
                    let (title, body) = outcome.message();
                    let notifier = notifier.clone();
                    std::thread::spawn(move || {
                        if let Err(e) = notifier.notify(&title, &body) {
                            tracing::warn!("{e}");
                        }
                    });
                }
            }
            tokio::time::sleep(AGENT_POLL).await;
        }
    });
}

/// Starts the watcher over this process's host.
fn spawn_local(app: AppHandle, host: Arc<ApiHost>) {
    let notifier: Arc<dyn Notifier> = Arc::new(DesktopNotifier::default());
    let on_status = move |status: &QueueStatus| {
        if let Some(items) = app.try_state::<TrayItems>() {
            items.show(status);
        }
    };
    let state = host.state().clone();
    tauri::async_runtime::spawn(async move {
        // Jobs of other kinds notify by their own settings (and call their webhooks).
        let alerts: Arc<dyn coffer_jobs::Notifier> = Arc::new(JobAlerts {
            state: state.clone(),
            notifier: notifier.clone(),
        });
        let _alerts = coffer_jobs::alerts::spawn(state.engine(), Some(alerts));
        watch(state, on_status, notifier).await;
    });
}

/// The engine's alerts through the desktop notifier, off the async threads, unless
/// notifications are off in Settings. Transfers are told of by batch instead.
struct JobAlerts {
    state: ApiState,
    notifier: Arc<dyn Notifier>,
}

impl coffer_jobs::Notifier for JobAlerts {
    fn notify(&self, title: &str, body: &str) {
        if !ui_settings(&self.state).notifications {
            return;
        }
        let (notifier, title, body) = (self.notifier.clone(), title.to_string(), body.to_string());
        std::thread::spawn(move || {
            if let Err(e) = notifier.notify(&title, &body) {
                tracing::warn!("{e}");
            }
        });
    }
}

/// Watches the queue of `state` until its event channel closes: `on_status` gets the
/// queue's status after each change (at most every [`TRAY_EVERY`] while bytes
/// move), and `notifier` the end of each batch when notifications are on.
pub async fn watch(
    state: ApiState,
    on_status: impl Fn(&QueueStatus) + Send + 'static,
    notifier: Arc<dyn Notifier>,
) {
    let mut events = state.engine().subscribe();
    let mut batch = BatchWatcher::default();
    let mut last_status = Instant::now() - TRAY_EVERY;
    while let Some(event) = events.recv().await {
        batch.note(&event.job);
        // A progress tick changes no state: it only moves the tray's percentage, at
        // most every TRAY_EVERY.
        let progress_only = event.kind == EventKind::Progress;
        if progress_only && last_status.elapsed() < TRAY_EVERY {
            continue;
        }
        let jobs = state.engine().list();
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

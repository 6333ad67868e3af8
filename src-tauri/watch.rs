//! Follows the job engine's bus: updates the tray's status line, sends a
//! notification when a batch of transfers ends, and passes the other jobs' alerts
//! (failures, successes when asked, webhooks) to the engine's alerts task; all only
//! when notifications are on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_api::settings::stored::ui_settings;
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

/// The tray and the notifications of an agent's window: the agent's job list, read
/// every second. A batch of transfers that ends is told as in this process; another
/// job whose run ended is told by its own settings (the engine's wording), unless the
/// agent tells of it itself (its hello says so).
fn spawn_agent(app: AppHandle, client: coffer_core::agent::Client) {
    let notifier: Arc<dyn Notifier> = Arc::new(DesktopNotifier::default());
    tauri::async_runtime::spawn(async move {
        // An agent with the session bus tells of its jobs itself; told twice is noise.
        let agent_notifies = client.hello().await.is_some_and(|h| h.notifies);
        let mut batch = BatchWatcher::default();
        let mut runs = EndedRuns::default();
        loop {
            if let Some(jobs) = agent_jobs(&client).await {
                if let Some(items) = app.try_state::<TrayItems>() {
                    items.show(&QueueStatus::of(&jobs));
                }
                let mut messages: Vec<(String, String)> = batch
                    .observe(&jobs)
                    .map(|o| o.message())
                    .into_iter()
                    .collect();
                let ended = runs.ended(&jobs);
                if !agent_notifies {
                    messages.extend(ended);
                }
                for (title, body) in messages {
                    notify_in_background(&notifier, title, body);
                }
            }
            tokio::time::sleep(AGENT_POLL).await;
        }
    });
}

/// Tells which jobs (other than one-off transfers) ended a run since the last look,
/// from the last run's id.
#[derive(Debug, Default)]
pub struct EndedRuns {
    seen: Option<std::collections::HashMap<String, String>>,
}

impl EndedRuns {
    /// The notifications due for `jobs`: none the first time (what ended before the
    /// window opened is old news).
    pub fn ended(&mut self, jobs: &[coffer_jobs::JobView]) -> Vec<(String, String)> {
        let now: std::collections::HashMap<String, String> = jobs
            .iter()
            .filter_map(|j| Some((j.def.id.clone(), j.status.last_run.as_ref()?.id.clone())))
            .collect();
        let Some(before) = self.seen.replace(now.clone()) else {
            return Vec::new();
        };
        jobs.iter()
            .filter(|j| !crate::batch::is_transfer(j))
            .filter(|j| now.get(&j.def.id) != before.get(&j.def.id) && now.contains_key(&j.def.id))
            .filter_map(|j| {
                let kind = match j.status.state {
                    coffer_jobs::JobState::Failed => EventKind::Failed,
                    coffer_jobs::JobState::Done => EventKind::Done,
                    _ => return None,
                };
                coffer_jobs::alerts::notification(&coffer_jobs::Event {
                    kind,
                    job: j.clone(),
                })
            })
            .collect()
    }
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
        state.set_notifies(true);
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
        notify_in_background(&self.notifier, title.to_string(), body.to_string());
    }
}

/// Shows a notification from a thread of its own (the daemon may be slow to answer);
/// a failure is logged.
fn notify_in_background(notifier: &Arc<dyn Notifier>, title: String, body: String) {
    let notifier = notifier.clone();
    std::thread::spawn(move || {
        if let Err(e) = notifier.notify(&title, &body) {
            tracing::warn!("{e}");
        }
    });
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
            notify_in_background(&notifier, title, body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use coffer_jobs::{
        JobDef, JobError, JobState, JobStatus, JobView, NotifyPolicy, RunRecord, RunResult,
        Schedule, Trigger,
    };

    fn job(state: JobState, run: Option<&str>) -> JobView {
        let mut status = JobStatus::new(state);
        status.error = (state == JobState::Failed)
            .then(|| JobError::new("access_denied", "the server refused the key"));
        status.last_run = run.map(|id| RunRecord {
            id: id.into(),
            job: "j".into(),
            seq: 1,
            trigger: Trigger::Schedule,
            started: Utc::now(),
            ended: Some(Utc::now()),
            result: RunResult::Failed,
            bytes: 0,
            items: 0,
            error: None,
            details: None,
        });
        JobView {
            def: JobDef {
                id: "j".into(),
                kind: "upload".into(),
                name: "nightly".into(),
                params: serde_json::json!({}),
                schedule: Some(Schedule::every("1d")),
                enabled: true,
                notify: NotifyPolicy::default(),
                webhook: None,
                created: Utc::now(),
                oneoff: false,
            },
            status,
            can_pause: true,
        }
    }

    #[test]
    fn a_scheduled_jobs_new_failure_notifies_once() {
        let mut ended = EndedRuns::default();
        // What ended before the window opened is not told.
        assert!(ended.ended(&[job(JobState::Failed, Some("r1"))]).is_empty());
        assert!(
            ended
                .ended(&[job(JobState::Running, Some("r1"))])
                .is_empty()
        );
        let told = ended.ended(&[job(JobState::Failed, Some("r2"))]);
        assert_eq!(
            told,
            vec![(
                "Job failed: nightly".to_string(),
                "the server refused the key".to_string()
            )]
        );
        assert!(ended.ended(&[job(JobState::Failed, Some("r2"))]).is_empty());
    }
}

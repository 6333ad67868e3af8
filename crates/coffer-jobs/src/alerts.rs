//! What the user hears of a job's end: a desktop notification (on failure, and on
//! success when the job asks) through the [`Notifier`] seam, and a POST of JSON to the
//! job's webhook. Both read the bus, so they never hold a job up.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::engine::Engine;
use crate::events::{Event, EventKind};

/// How long one webhook call may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a webhook is tried.
pub const WEBHOOK_TRIES: u32 = 3;

/// Shows a desktop notification.
///
/// Contract: `notify` returns quickly whatever the notification daemon does (a daemon
/// that never answers must not block the caller); failures are logged, not returned.
pub trait Notifier: Send + Sync {
    /// Shows `title` and `body`.
    fn notify(&self, title: &str, body: &str);
}

/// The notification for an event, if the job wants one.
pub fn notification(event: &Event) -> Option<(String, String)> {
    let job = &event.job;
    match event.kind {
        EventKind::Failed if job.def.notify.on_failure => Some((
            format!("Job failed: {}", job.def.name),
            job.status
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "it failed".into()),
        )),
        EventKind::Alert if job.def.notify.on_failure => job
            .status
            .alert
            .as_ref()
            .map(|a| (format!("Alert: {}", job.def.name), a.clone())),
        EventKind::Done if job.def.notify.on_success => {
            let run = job.status.last_run.as_ref();
            let secs = run.and_then(|r| r.seconds()).unwrap_or_default();
            let bytes = run.map(|r| r.bytes).unwrap_or_default();
            Some((
                format!("Job finished: {}", job.def.name),
                format!(
                    "{} in {:.0} s.",
                    bytesize::ByteSize(bytes).display().iec(),
                    secs
                ),
            ))
        }
        _ => None,
    }
}

/// The JSON a webhook receives at the end of a run.
pub fn webhook_body(event: &Event) -> serde_json::Value {
    let job = &event.job;
    json!({
        "event": event.kind,
        "job": {
            "id": job.def.id,
            "kind": job.def.kind,
            "name": job.def.name,
            "state": job.status.state,
        },
        "run": job.status.last_run,
        "error": job.status.error,
        "alert": job.status.alert,
    })
}

/// Follows `engine`'s bus: notifies through `notifier` (when given) and calls the
/// jobs' webhooks. Ends when the engine is dropped.
pub fn spawn(engine: &Engine, notifier: Option<Arc<dyn Notifier>>) -> tokio::task::JoinHandle<()> {
    let mut events = engine.subscribe();
    let client = match webhook_client() {
        Ok(client) => Some(client),
        Err(e) => {
            tracing::warn!("webhooks are off: {e}");
            None
        }
    };
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let (Some(notifier), Some((title, body))) = (&notifier, notification(&event)) {
                notifier.notify(&title, &body);
            }
            // The end of a run, or an alert raised or cleared while one runs.
            let tell = matches!(
                event.kind,
                EventKind::Done | EventKind::Failed | EventKind::Canceled | EventKind::Alert
            );
            if let (true, Some(url), Some(client)) = (tell, event.job.def.webhook.clone(), &client)
            {
                let body = webhook_body(&event);
                let client = client.clone();
                tokio::spawn(async move { call_webhook(&client, &url, &body).await });
            }
        }
    })
}

/// The HTTP client of webhooks: https with the system's root certificates (rustls),
/// and [`WEBHOOK_TIMEOUT`] per call.
pub fn webhook_client() -> Result<reqwest::Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the system has but rustls cannot read is skipped.
        let _ = roots.add(cert);
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(WEBHOOK_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

/// POSTs `body` to `url`, tried [`WEBHOOK_TRIES`] times with a growing pause; returns
/// whether it was accepted (a 2xx answer).
pub async fn call_webhook(client: &reqwest::Client, url: &str, body: &serde_json::Value) -> bool {
    for attempt in 1..=WEBHOOK_TRIES {
        match client.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => return true,
            // The URL is the user's and may carry a secret: log its host only.
            Ok(r) => tracing::warn!(
                host = %host_of(url), status = %r.status(), attempt,
                "the job's webhook refused the call"
            ),
            Err(e) => tracing::warn!(
                host = %host_of(url), attempt,
                "the job's webhook could not be reached: {}", e.without_url()
            ),
        }
        if attempt < WEBHOOK_TRIES {
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
        }
    }
    false
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_webhook_client_speaks_https() {
        super::webhook_client().expect("an https client with the system's roots");
    }
}

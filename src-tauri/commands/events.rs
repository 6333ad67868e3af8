//! Live events for the window, over a `tauri::ipc::Channel`: the job engine's events
//! (one-off transfers are one-off jobs, so theirs too), in an envelope
//! (`{stream: "job", data}`), from this process or from the agent this app is the
//! window of (its SSE stream, read over the socket).

use coffer_api::ApiState;
use futures::StreamExt;
use serde_json::Value;
use tauri::State;
use tauri::ipc::Channel;

use crate::{Backend, Desktop};

/// Sends every job event to `on_event` until the window goes away (the
/// channel refuses a message) or the app stops.
#[tauri::command]
pub async fn api_events(desktop: State<'_, Desktop>, on_event: Channel<Value>) -> Result<(), ()> {
    if let Some((name, remote)) = desktop.remote() {
        forward_agent(remote, on_event.clone(), None);
        // This computer's transfers against that agent, shown as the agent's.
        match &desktop.backend {
            Backend::Local(host) => forward_as(host.state().clone(), on_event, Some(name)).await,
            Backend::Agent(client) => forward_agent(client.clone(), on_event, Some(name)),
        }
        return Ok(());
    }
    match &desktop.backend {
        Backend::Local(host) => forward(host.state().clone(), on_event).await,
        Backend::Agent(client) => forward_agent(client.clone(), on_event, None),
    }
    Ok(())
}

/// The event to pass on: every one with no `only`; with `only: Some(agent)`, the
/// events of this computer's jobs against that agent, shown as the agent's.
fn pass(mut event: Value, only: Option<&str>) -> Option<Value> {
    match only {
        None => Some(event),
        Some(agent) => {
            crate::remote_files::as_agents(&mut event["data"]["job"], agent).then_some(event)
        }
    }
}

/// Subscribes to the events of `state` now, and forwards them to `channel` from a
/// task of their own.
pub async fn forward(state: ApiState, channel: Channel<Value>) {
    forward_as(state, channel, None).await;
}

/// [`forward`], passing only what [`pass`] lets through.
async fn forward_as(state: ApiState, channel: Channel<Value>, only: Option<String>) {
    let mut events = Box::pin(coffer_api::events::stream(&state));
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.next().await {
            let Some(value) = serde_json::to_value(&event)
                .ok()
                .and_then(|v| pass(v, only.as_deref()))
            else {
                continue;
            };
            if channel.send(value).is_err() {
                break;
            }
        }
    });
}

/// Reads the agent's SSE stream and forwards each event as `{stream, data}` (only
/// what [`pass`] lets through).
fn forward_agent(
    client: coffer_core::agent::Client,
    channel: Channel<Value>,
    only: Option<String>,
) {
    tauri::async_runtime::spawn(async move {
        let Ok(request) = http::Request::get("/api/v1/events")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
        else {
            return;
        };
        let response = match client.open(request).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("no events from the agent: {e}");
                return;
            }
        };
        let mut body = http_body_util::BodyStream::new(response.into_body());
        let mut sse = Sse::default();
        while let Some(Ok(frame)) = body.next().await {
            let Ok(data) = frame.into_data() else {
                continue;
            };
            for (name, data) in sse.feed(&data) {
                let Ok(data) = serde_json::from_str::<Value>(&data) else {
                    continue;
                };
                let event = serde_json::json!({ "stream": name, "data": data });
                let Some(event) = pass(event, only.as_deref()) else {
                    continue;
                };
                if channel.send(event).is_err() {
                    return;
                }
            }
        }
    });
}

/// A Server-Sent Events reader: bytes in, `(event name, data)` out.
#[derive(Debug, Default)]
pub struct Sse {
    buffer: String,
    name: String,
    data: String,
}

impl Sse {
    /// Takes more bytes; returns the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
        self.buffer.push_str(&String::from_utf8_lossy(bytes));
        let mut out = Vec::new();
        while let Some(end) = self.buffer.find('\n') {
            let line: String = self.buffer.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    let name = if self.name.is_empty() {
                        "message".to_string()
                    } else {
                        std::mem::take(&mut self.name)
                    };
                    out.push((name, std::mem::take(&mut self.data)));
                }
                self.name.clear();
            } else if let Some(v) = line.strip_prefix("event:") {
                self.name = v.trim_start().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Sse, pass};

    #[test]
    fn a_remote_window_gets_only_this_computers_jobs_against_that_agent() {
        let event = |profile: &str| {
            serde_json::json!({ "stream": "job", "data": { "kind": "done",
                "job": { "id": "x", "params": { "profile": profile } } } })
        };
        let passed = pass(event("remote/nas/work"), Some("nas")).expect("passed");
        assert_eq!(passed["data"]["job"]["params"]["profile"], "work");
        assert!(pass(event("work"), Some("nas")).is_none());
        assert!(pass(event("remote/other/work"), Some("nas")).is_none());
        assert_eq!(pass(event("work"), None), Some(event("work")));
    }

    #[test]
    fn sse_frames_split_anywhere() {
        let mut sse = Sse::default();
        assert!(sse.feed(b"event: job\ndata: {\"a\"").is_empty());
        let got = sse.feed(b":1}\n\n: keep-alive\n\nevent: transfer\r\ndata: 2\r\n\r\n");
        assert_eq!(
            got,
            vec![
                ("job".to_string(), "{\"a\":1}".to_string()),
                ("transfer".to_string(), "2".to_string())
            ]
        );
    }
}

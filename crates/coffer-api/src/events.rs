//! Live events, pushed to every connected client with Server-Sent Events
//! (`GET /api/v1/events`): two browser tabs see the same queue live.
//!
//! One stream, the job engine's typed events ([`coffer_jobs::Event`]: queued,
//! started, progress, done, failed, paused, canceled, scheduled, changed, removed),
//! each with the job as it is now, under the SSE event name `job`. One-off transfers
//! (a browser's streamed upload, the `upload-file`/`download-file` routes) are one-off
//! jobs of the engine, so they come the same way. A slow client loses progress ticks,
//! never a change of state.
//!
//! The desktop gets the same events in an envelope, [`Envelope`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde::Serialize;

use crate::state::ApiState;

/// An event as the desktop's channel carries it: `{"stream": "job", "data": {...}}`
/// (the same envelope as before there was one stream, so the window reads both).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "stream", content = "data", rename_all = "snake_case")]
pub enum Envelope {
    /// A job event (boxed: it carries the whole job).
    Job(Box<coffer_jobs::Event>),
}

impl Envelope {
    /// The SSE event name and the JSON data.
    pub fn sse(&self) -> (&'static str, String) {
        match self {
            Envelope::Job(e) => ("job", serde_json::to_string(e).unwrap_or_default()),
        }
    }
}

/// The events of `state` from now on: ends when the state goes away.
pub fn stream(state: &ApiState) -> impl Stream<Item = Envelope> + Send + use<> {
    futures::stream::unfold(state.engine().subscribe(), |mut events| async move {
        let event = events.recv().await?;
        Some((Envelope::Job(Box::new(event)), events))
    })
}

/// `GET /api/v1/events`: a stream of job events as they happen.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "transfers",
    responses((status = 200, description = "A text/event-stream of `job` events", content_type = "text/event-stream")),
    security(("token" = []))
)]
pub async fn events(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    use futures::StreamExt;
    let stream = stream(&state).map(|envelope| {
        let (name, data) = envelope.sse();
        Ok(SseEvent::default().event(name).data(data))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

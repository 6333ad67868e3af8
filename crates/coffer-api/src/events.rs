//! Live events, pushed to every connected client with Server-Sent Events
//! (`GET /api/v1/events`): two browser tabs see the same queue live.
//!
//! Two streams share the connection, told apart by the SSE event name:
//! - `job`: the job engine's typed events ([`coffer_jobs::Event`]: queued, started,
//!   progress, done, failed, paused, canceled, scheduled, changed, removed), each with
//!   the job as it is now; a slow client loses progress ticks, never a change of state;
//! - `transfer`: one-off transfers that are not jobs (a browser's streamed upload, the
//!   `upload-file`/`download-file` routes): [`Event`].
//!
//! The desktop gets the same two streams in one envelope, [`Envelope`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use coffer_core::transfer::Progress;
use futures::Stream;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::state::ApiState;

/// What happened to a transfer.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// It started.
    Started,
    /// It moved on.
    Progress,
    /// It finished.
    Done,
    /// It failed; `error` says why.
    Failed,
}

/// One transfer event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    /// The transfer's id (the same for all its events).
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// The profile.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// The key (or prefix).
    pub key: String,
    /// Bytes, rate and ETA so far.
    #[schema(value_type = Object)]
    pub progress: Option<Progress>,
    /// Why it failed.
    pub error: Option<ErrorBody>,
}

/// An event of either stream, as the desktop's channel carries it:
/// `{"stream": "job", "data": {...}}` or `{"stream": "transfer", "data": {...}}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "stream", content = "data", rename_all = "snake_case")]
pub enum Envelope {
    /// A job event (boxed: it carries the whole job).
    Job(Box<coffer_jobs::Event>),
    /// A one-off transfer's event (boxed too: it carries a progress snapshot).
    Transfer(Box<Event>),
}

impl Envelope {
    /// The SSE event name and the JSON data.
    pub fn sse(&self) -> (&'static str, String) {
        match self {
            Envelope::Job(e) => ("job", serde_json::to_string(e).unwrap_or_default()),
            Envelope::Transfer(e) => ("transfer", serde_json::to_string(e).unwrap_or_default()),
        }
    }
}

/// Both streams of `state` from now on, merged: ends when the state goes away.
pub fn stream(state: &ApiState) -> impl Stream<Item = Envelope> + Send + use<> {
    let transfers = futures::stream::unfold(state.subscribe(), |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((Envelope::Transfer(Box::new(event)), receiver)),
                // A slow client missed some progress; it gets the next ones.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let jobs = futures::stream::unfold(state.engine().subscribe(), |mut events| async move {
        let event = events.recv().await?;
        Some((Envelope::Job(Box::new(event)), events))
    });
    futures::stream::select(jobs, transfers)
}

/// `GET /api/v1/events`: a stream of [`Event`]s as they happen.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "transfers",
    responses((status = 200, description = "A text/event-stream of `job` and `transfer` events", content_type = "text/event-stream")),
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

//! Transfer events, pushed to every connected client with Server-Sent Events
//! (`GET /api/v1/events`): two browser tabs see the same queue live.

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
    /// A transfer job changed (state or progress); `job` is its new state.
    Job,
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
    /// The job, for `kind: job`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub job: Option<crate::jobs::Job>,
}

/// `GET /api/v1/events`: a stream of [`Event`]s as they happen.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "transfers",
    responses((status = 200, description = "A text/event-stream of transfer events", content_type = "text/event-stream")),
    security(("token" = []))
)]
pub async fn events(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = state.subscribe();
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    let sse = SseEvent::default().event("transfer").data(data);
                    return Some((Ok(sse), receiver));
                }
                // A slow client missed some; it gets the next ones.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

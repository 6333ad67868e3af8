//! Live transfer events for the window, over a `tauri::ipc::Channel`.

use coffer_api::ApiState;
use coffer_api::events::Event;
use tauri::State;
use tauri::ipc::Channel;
use tokio::sync::broadcast::error::RecvError;

use crate::Desktop;

/// Sends every transfer and job event to `on_event` until the window goes away (the
/// channel refuses a message) or the app stops.
#[tauri::command]
pub async fn api_events(desktop: State<'_, Desktop>, on_event: Channel<Event>) -> Result<(), ()> {
    forward(desktop.host.state().clone(), on_event).await;
    Ok(())
}

/// Subscribes to the events of `state` now, and forwards them to `channel` from a
/// task of their own.
pub async fn forward(state: ApiState, channel: Channel<Event>) {
    let mut events = state.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if channel.send(event).is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "the window fell behind on events");
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

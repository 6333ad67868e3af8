//! The agent switcher: `This computer` and the remote agents the user added (URL,
//! token, the certificate pinned on first use). Switching points the window's calls
//! and events at that agent; the window reloads to show it.

use coffer_api::ErrorBody;
use coffer_core::Sensitive;
use coffer_core::agent::remotes::{self, RemoteAgent};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::Desktop;

fn error(e: impl std::fmt::Display, code: &str) -> ErrorBody {
    ErrorBody {
        code: code.into(),
        message: e.to_string(),
    }
}

fn session(desktop: &Desktop) -> Result<&coffer_core::session::Session, ErrorBody> {
    desktop.session.as_ref().ok_or_else(|| {
        error(
            "remote agents are kept in the data dir, which this window cannot reach",
            "unavailable",
        )
    })
}

/// The agents the window can show.
#[derive(Debug, Serialize)]
pub struct Agents {
    /// The remote agent in use, or `None` for this computer.
    pub current: Option<String>,
    /// The remote agents added.
    pub remotes: Vec<RemoteAgent>,
}

/// Lists the agents.
#[tauri::command]
pub async fn agents_list(desktop: State<'_, Desktop>) -> Result<Agents, ErrorBody> {
    let remotes = match &desktop.session {
        Some(session) => remotes::list(session).map_err(|e| error(&e, e.code()))?,
        None => Vec::new(),
    };
    Ok(Agents {
        current: desktop.remote().map(|(name, _)| name),
        remotes,
    })
}

/// A remote agent to add.
#[derive(Debug, Deserialize)]
pub struct NewAgent {
    /// A name for it.
    pub name: String,
    /// `https://host:port`.
    pub url: String,
    /// Its API token (`coffer serve --print-token` there).
    pub token: String,
    /// The certificate's SHA-256 fingerprint, if known; else the one shown is pinned.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// Adds a remote agent after checking that it answers with this token; returns it
/// with the fingerprint pinned (for the window to show).
#[tauri::command]
pub async fn agent_add(
    desktop: State<'_, Desktop>,
    agent: NewAgent,
) -> Result<RemoteAgent, ErrorBody> {
    let session = session(&desktop)?;
    remotes::add(
        session,
        agent.name.trim(),
        agent.url.trim(),
        Sensitive::new(agent.token.trim().to_string()),
        agent.fingerprint.filter(|f| !f.trim().is_empty()),
    )
    .await
    .map_err(|e| error(&e, e.code()))
}

/// Removes a remote agent (switching back to this computer if it was in use).
#[tauri::command]
pub async fn agent_remove(desktop: State<'_, Desktop>, name: String) -> Result<(), ErrorBody> {
    let session = session(&desktop)?;
    if desktop.remote().is_some_and(|(current, _)| current == name) {
        desktop.use_remote(None);
    }
    remotes::remove(session, &name).map_err(|e| error(&e, e.code()))?;
    Ok(())
}

/// Points the window at a remote agent, or back at this computer (`None`).
#[tauri::command]
pub async fn agent_use(desktop: State<'_, Desktop>, name: Option<String>) -> Result<(), ErrorBody> {
    match name {
        None => desktop.use_remote(None),
        Some(name) => {
            let session = session(&desktop)?;
            let client = remotes::client(session, &name).map_err(|e| error(&e, e.code()))?;
            desktop.use_remote(Some((name, client)));
        }
    }
    Ok(())
}

//! The API of whoever runs the jobs: the agent that owns the data dir, over its Unix
//! socket; a remote agent (`--remote NAME`), over TLS; or (when no agent runs) this
//! process, with the same routes called in-process. Either way the CLI sends the same
//! requests and gets the same answers.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use axum::body::Body;
use coffer_api::ApiState;
use coffer_api::state::Caller;
use coffer_core::Sensitive;
use coffer_core::agent::Client;
use coffer_core::paths::DataDir;
use coffer_core::secret::KeychainStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::context::UsageError;

/// The API route of profile `name`.
pub fn profile_path(name: &str) -> String {
    format!(
        "/api/v1/profiles/{}",
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// Where requests go.
pub enum AgentApi {
    /// The agent, over its socket.
    Agent(Client),
    /// This process: the data dir opened here, the engine not started (runs start
    /// only when a command asks for one), its routes called in-process.
    Local(ApiState, axum::Router),
}

impl AgentApi {
    /// The API of the remote agent called `name` (`coffer remote add`).
    pub fn remote(name: &str) -> Result<AgentApi> {
        let session = Session::connect_default()?;
        Ok(AgentApi::Agent(coffer_core::agent::remotes::client(
            &session, name,
        )?))
    }

    /// The agent's API when one owns the data dir, else this process's.
    pub async fn open() -> Result<AgentApi> {
        let data = DataDir::discover()?;
        let client = Client::new(data.agent_socket());
        if let Some(hello) = client.hello().await {
            tracing::info!(owner = %hello.role, pid = hello.pid, "jobs: attached to the agent");
            return Ok(AgentApi::Agent(client));
        }
        tracing::info!("jobs: no agent owns the data dir; working on it here");
        let session = Session::open(data, Arc::new(KeychainStore::default()))?;
        let state = ApiState::new(
            session,
            Sensitive::new(String::new()),
            TransferConfig::default(),
            Vec::new(),
        )?;
        coffer_api::settings::stored::load(&state);
        let router = coffer_api::router(state.clone(), None);
        Ok(AgentApi::Local(state, router))
    }

    /// Whether an agent runs the jobs (else this process does, while it lives).
    pub fn is_agent(&self) -> bool {
        matches!(self, AgentApi::Agent(_))
    }

    /// The in-process state, when there is no agent.
    pub fn local(&self) -> Option<&ApiState> {
        match self {
            AgentApi::Local(state, _) => Some(state),
            AgentApi::Agent(_) => None,
        }
    }

    /// Sends a request; returns the JSON answer (`null` for none). An answer of 400 is
    /// a usage error (exit 2); other refusals are errors with the server's message.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let bytes = self.call_bytes(method, path, body).await?;
        Ok(if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        })
    }

    /// As [`AgentApi::call`], the answer's bytes as they came (JSON lines).
    pub async fn call_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Vec<u8>> {
        let method = http::Method::from_bytes(method.as_bytes())?;
        let body = body.map(|b| serde_json::to_vec(&b)).transpose()?;
        let (status, bytes) = match self {
            AgentApi::Agent(client) => {
                let (status, bytes) = client.request(method, path, body).await?;
                (status, bytes.to_vec())
            }
            AgentApi::Local(_, router) => {
                let mut request = http::Request::builder().method(method).uri(path);
                if body.is_some() {
                    request = request.header(http::header::CONTENT_TYPE, "application/json");
                }
                let mut request = request.body(Body::from(body.unwrap_or_default()))?;
                request.extensions_mut().insert(Caller::Desktop);
                let response = router.clone().oneshot(request).await?;
                let status = response.status().as_u16();
                let bytes = response.into_body().collect().await?.to_bytes().to_vec();
                (status, bytes)
            }
        };
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let message = value["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("the agent answered {status}"));
        if status == 400 {
            return Err(UsageError(message).into());
        }
        Err(anyhow!(message))
    }

    /// Removes job `id`, cancelling it first when it runs (or is queued) and waiting
    /// up to 2 minutes for it to stop (a replicator's last sync, a mirror's pass).
    pub async fn remove_job(&self, id: &str, state: &Value) -> Result<()> {
        if state == "running" || state == "queued" {
            self.call("POST", &format!("/api/v1/jobs/{id}/cancel"), None)
                .await?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                let now = self
                    .call("GET", &format!("/api/v1/jobs/{id}"), None)
                    .await?;
                if now["state"] != "running" && now["state"] != "queued" {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(anyhow!("job {id} did not stop within 2 minutes; try again"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        self.call("DELETE", &format!("/api/v1/jobs/{id}"), None)
            .await?;
        Ok(())
    }
}

//! Transfers of this computer's files while the window shows a remote agent.
//!
//! A dropped file lives here and a download's folder is here, so those jobs cannot
//! run on the remote agent. They run in this computer's engine instead, against the
//! agent's profile as `remote/AGENT/PROFILE` (a `Store` through the agent's API, see
//! `coffer_core::agent::remotes`), with everything a local job has: pause, resume,
//! retry after a restart, notifications. To the window they look like the agent's own
//! jobs: the job list and the events merge them in, with their profile shown as the
//! agent's (`PROFILE`), and actions on them come back here.
//!
//! Everything else the window asks goes to the remote agent.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use coffer_api::ErrorBody;
use coffer_core::agent::{Client, remotes};
use http_body_util::BodyExt;
use serde_json::Value;

use crate::Desktop;
use crate::commands::api::{Answer, call_agent, call_here, error};

/// The job kinds that read or write local files.
const LOCAL_FILE_KINDS: [&str; 2] = ["upload", "download"];

/// The profile prefix of this computer's jobs against `agent`.
fn prefix(agent: &str) -> String {
    remotes::profile_ref(agent, "")
}

/// Whether `job` (a job's JSON) is this computer's job against `agent`; if so, shows
/// its profile as the agent's.
pub fn as_agents(job: &mut Value, agent: &str) -> bool {
    let Some(profile) = job["params"]["profile"].as_str() else {
        return false;
    };
    let Some(bare) = profile.strip_prefix(&prefix(agent)) else {
        return false;
    };
    job["params"]["profile"] = Value::String(bare.to_string());
    true
}

/// This computer's jobs against `agent`, as the window shows them.
async fn here_jobs(desktop: &Desktop, agent: &str) -> Result<Vec<Value>, ErrorBody> {
    let request = Request::get("/api/v1/jobs")
        .body(Body::empty())
        .map_err(|e| error("internal", e.to_string()))?;
    let (status, _, body) = call_here(desktop, request).await?;
    if !status.is_success() {
        return Ok(Vec::new());
    }
    let jobs: Vec<Value> = serde_json::from_slice(&body).unwrap_or_default();
    Ok(jobs
        .into_iter()
        .filter_map(|mut job| as_agents(&mut job, agent).then_some(job))
        .collect())
}

fn json_answer(status: StatusCode, value: &Value) -> Answer {
    (
        status,
        "application/json".to_string(),
        bytes::Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
    )
}

/// A JSON answer with every job in it shown as the agent's.
fn shown(answer: Answer, agent: &str) -> Answer {
    let (status, content_type, body) = answer;
    let Ok(mut value) = serde_json::from_slice::<Value>(&body) else {
        return (status, content_type, body);
    };
    match &mut value {
        Value::Array(jobs) => jobs.iter_mut().for_each(|j| {
            as_agents(j, agent);
        }),
        job => {
            as_agents(job, agent);
        }
    }
    json_answer(status, &value)
}

fn rebuild(parts: &axum::http::request::Parts, body: bytes::Bytes) -> Request<Body> {
    let mut request = Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone());
    for (name, value) in &parts.headers {
        request = request.header(name, value);
    }
    request
        .body(Body::from(body))
        .unwrap_or_else(|_| Request::new(Body::empty()))
}

/// Sends one of the window's requests while it shows the remote agent `agent`.
pub async fn call(
    desktop: &Desktop,
    agent: &str,
    remote: &Client,
    request: Request<Body>,
) -> Result<Answer, ErrorBody> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| error("internal", e.to_string()))?
        .to_bytes();
    let path = parts.uri.path().to_string();
    let method = parts.method.clone();
    let to_remote = |body| call_agent(remote, rebuild(&parts, body));

    // A new job of a local-file kind: here, against the agent's profile.
    if method == Method::POST && path == "/api/v1/jobs" {
        let mut job: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let kind = job["kind"].as_str().unwrap_or_default();
        if LOCAL_FILE_KINDS.contains(&kind)
            && let Some(profile) = job["params"]["profile"].as_str()
        {
            job["params"]["profile"] = Value::String(remotes::profile_ref(agent, profile));
            let body = bytes::Bytes::from(serde_json::to_vec(&job).unwrap_or_default());
            let answer = call_here(desktop, rebuild(&parts, body)).await?;
            return Ok(shown(answer, agent));
        }
        return to_remote(body).await;
    }
    // The job list: the agent's, and this computer's jobs against it.
    if method == Method::GET && path == "/api/v1/jobs" {
        let (status, content_type, answer) = to_remote(body).await?;
        if !status.is_success() {
            return Ok((status, content_type, answer));
        }
        let mut jobs: Vec<Value> = serde_json::from_slice(&answer).unwrap_or_default();
        jobs.extend(here_jobs(desktop, agent).await?);
        jobs.sort_by(|a, b| a["created"].as_str().cmp(&b["created"].as_str()));
        return Ok(json_answer(status, &Value::Array(jobs)));
    }
    // Pause or resume everything: the agent's jobs, and this computer's against it
    // (one by one: this computer's other jobs are not the window's now).
    if method == Method::POST
        && (path == "/api/v1/jobs/pause-all" || path == "/api/v1/jobs/resume-all")
    {
        let (status, content_type, answer) = to_remote(body).await?;
        let action = if path.ends_with("pause-all") {
            "pause"
        } else {
            "resume"
        };
        for job in here_jobs(desktop, agent).await? {
            let busy = matches!(job["state"].as_str(), Some("queued" | "running"));
            let paused = job["state"].as_str() == Some("paused");
            let can_pause = job["can_pause"].as_bool().unwrap_or(false);
            let wanted = if action == "pause" {
                busy && can_pause
            } else {
                paused
            };
            let Some(id) = job["id"].as_str().filter(|_| wanted) else {
                continue;
            };
            if let Ok(request) =
                Request::post(format!("/api/v1/jobs/{id}/{action}")).body(Body::empty())
            {
                let _ = call_here(desktop, request).await;
            }
        }
        if !status.is_success() {
            return Ok((status, content_type, answer));
        }
        let mut jobs: Vec<Value> = serde_json::from_slice(&answer).unwrap_or_default();
        jobs.extend(here_jobs(desktop, agent).await?);
        return Ok(json_answer(status, &Value::Array(jobs)));
    }
    // One job: here when it is one of this computer's jobs against the agent.
    if let Some(id) = path
        .strip_prefix("/api/v1/jobs/")
        .and_then(|rest| rest.split('/').next())
        && !id.is_empty()
    {
        let mine = here_jobs(desktop, agent)
            .await?
            .iter()
            .any(|j| j["id"].as_str() == Some(id));
        if mine {
            let answer = call_here(desktop, rebuild(&parts, body)).await?;
            return Ok(shown(answer, agent));
        }
    }
    to_remote(body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_computers_jobs_against_the_agent_are_shown_as_its_own() {
        let mut mine = serde_json::json!({ "id": "a", "params": { "profile": "remote/nas/work" } });
        assert!(as_agents(&mut mine, "nas"));
        assert_eq!(mine["params"]["profile"], "work");
        let mut other_agent =
            serde_json::json!({ "id": "b", "params": { "profile": "remote/nas2/work" } });
        assert!(!as_agents(&mut other_agent, "nas"));
        let mut local = serde_json::json!({ "id": "c", "params": { "profile": "work" } });
        assert!(!as_agents(&mut local, "nas"));
        assert_eq!(local["params"]["profile"], "work");
        let mut no_params = serde_json::json!({ "id": "d" });
        assert!(!as_agents(&mut no_params, "nas"));
    }
}

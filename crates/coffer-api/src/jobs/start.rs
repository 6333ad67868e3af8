//! Queuing a job, and bringing the saved queue back at start.

use coffer_core::meta::MetaDbExt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Entry, Job, JobKind, JobRequest, JobState, TREE, announce, run};
use crate::error::{ApiError, ApiResult};
use crate::state::{ApiState, Caller};

/// Checks `request` and queues it; it starts as soon as a slot is free.
pub fn enqueue(state: &ApiState, request: JobRequest, caller: Caller) -> ApiResult<Job> {
    let object = crate::routes::objects::object_ref(&request.bucket, &request.key)?;
    // The profile must exist; its store opens now so that a bad profile fails here.
    state.store(&request.profile)?;
    let path = state.path_for(&request.path, caller)?;
    match request.kind {
        JobKind::Upload if !path.exists() => {
            return Err(ApiError::bad_request(format!(
                "`{}` does not exist",
                path.display()
            )));
        }
        JobKind::Download if path.exists() && !path.is_dir() => {
            return Err(ApiError::bad_request(format!(
                "`{}` is not a folder",
                path.display()
            )));
        }
        _ => {}
    }
    let job = Job {
        id: uuid::Uuid::new_v4().simple().to_string(),
        kind: request.kind,
        profile: request.profile,
        bucket: object.bucket,
        key: object.key,
        path,
        state: JobState::Queued,
        progress: None,
        error: None,
        created: now(),
    };
    insert(state, job.clone());
    announce(state, &job, true);
    run::spawn(state, &job.id);
    Ok(job)
}

fn insert(state: &ApiState, job: Job) {
    state.jobs().lock().insert(
        job.id.clone(),
        Entry {
            job,
            cancel: None,
            stop: None,
        },
    );
}

/// The time now, in RFC 3339 (UTC, to the nanosecond, so that order is creation
/// order).
fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Loads the saved jobs and starts again those that were queued or running when the
/// process stopped. Paused jobs stay paused; finished ones are kept for the panel.
/// Returns how many started again.
pub fn restore(state: &ApiState) -> usize {
    let saved: Vec<(String, Job)> = match state.session().db().scan_json(TREE, "") {
        Ok(saved) => saved,
        Err(e) => {
            tracing::warn!("cannot read the saved jobs: {e}");
            return 0;
        }
    };
    let mut again = Vec::new();
    for (_, mut job) in saved {
        if matches!(job.state, JobState::Queued | JobState::Running) {
            job.state = JobState::Queued;
            again.push(job.id.clone());
        }
        insert(state, job);
    }
    for id in &again {
        run::spawn(state, id);
    }
    if !again.is_empty() {
        tracing::info!(jobs = again.len(), "transfer jobs resumed after a restart");
    }
    again.len()
}

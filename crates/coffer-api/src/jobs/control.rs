//! What a user does to jobs: pause, resume, cancel, retry, forget; all at once for
//! the tray's "Pause all" / "Resume all".

use super::{Job, JobState, Stop, TREE, run, update};
use crate::error::{ApiError, ApiResult};
use crate::state::ApiState;

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no transfer job `{id}`"))
}

fn conflict(job: &Job, verb: &str) -> ApiError {
    // The variants are single words; lower case is their JSON name.
    let state = format!("{:?}", job.state).to_lowercase();
    ApiError::Conflict(format!("cannot {verb} a job that is {state}"))
}

/// Pauses a queued or running job; a running one stops at its next part boundary
/// and keeps what it sent. Pausing a paused job is a no-op.
pub fn pause(state: &ApiState, id: &str) -> ApiResult<Job> {
    stop(state, id, Stop::Pause)
}

/// Cancels a job that has not finished; a cancelled upload's multipart upload is
/// aborted on the server.
pub fn cancel(state: &ApiState, id: &str) -> ApiResult<Job> {
    stop(state, id, Stop::Cancel)
}

fn stop(state: &ApiState, id: &str, why: Stop) -> ApiResult<Job> {
    let current = super::get(state, id).ok_or_else(|| not_found(id))?;
    let verb = match why {
        Stop::Pause => "pause",
        Stop::Cancel => "cancel",
    };
    match (current.state, why) {
        (JobState::Paused, Stop::Pause) => return Ok(current),
        (JobState::Queued | JobState::Running, _) | (JobState::Paused, Stop::Cancel) => {}
        _ => return Err(conflict(&current, verb)),
    }
    update(state, id, |entry| match &entry.cancel {
        // Running: the task records the end state when the transfer stops.
        Some(token) => {
            entry.stop = Some(why);
            token.cancel();
        }
        None => {
            entry.job.state = match why {
                Stop::Pause => JobState::Paused,
                Stop::Cancel => JobState::Canceled,
            }
        }
    })
    .ok_or_else(|| not_found(id))
}

/// Queues a paused job again; it goes on where it stopped.
pub fn resume(state: &ApiState, id: &str) -> ApiResult<Job> {
    requeue(state, id, &[JobState::Paused], "resume")
}

/// Queues a failed or cancelled job again.
pub fn retry(state: &ApiState, id: &str) -> ApiResult<Job> {
    requeue(state, id, &[JobState::Failed, JobState::Canceled], "retry")
}

fn requeue(state: &ApiState, id: &str, from: &[JobState], verb: &str) -> ApiResult<Job> {
    let current = super::get(state, id).ok_or_else(|| not_found(id))?;
    if !from.contains(&current.state) {
        return Err(conflict(&current, verb));
    }
    let job = update(state, id, |entry| {
        entry.job.state = JobState::Queued;
        entry.job.error = None;
        entry.stop = None;
    })
    .ok_or_else(|| not_found(id))?;
    run::spawn(state, id);
    Ok(job)
}

/// Forgets a job that is not running (cancel it first).
pub fn forget(state: &ApiState, id: &str) -> ApiResult<()> {
    let current = super::get(state, id).ok_or_else(|| not_found(id))?;
    if matches!(current.state, JobState::Running | JobState::Queued) {
        return Err(conflict(&current, "remove"));
    }
    state.jobs().lock().remove(id);
    state.session().db().delete(TREE, id.as_bytes())?;
    Ok(())
}

/// Pauses every queued or running job; returns the jobs after.
pub fn pause_all(state: &ApiState) -> Vec<Job> {
    for job in super::list(state) {
        if matches!(job.state, JobState::Queued | JobState::Running) {
            let _ = pause(state, &job.id);
        }
    }
    super::list(state)
}

/// Resumes every paused job; returns the jobs after.
pub fn resume_all(state: &ApiState) -> Vec<Job> {
    for job in super::list(state) {
        if job.state == JobState::Paused {
            let _ = resume(state, &job.id);
        }
    }
    super::list(state)
}

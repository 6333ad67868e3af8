//! Transfer jobs (the queue behind the transfers panel): queue, list, pause,
//! resume, cancel, retry, forget. See [`crate::jobs`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::jobs::{self, Job, JobRequest, control};
use crate::state::{ApiState, Caller};

/// Every job, oldest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    responses((status = 200, description = "The jobs", body = Vec<Job>)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> Json<Vec<Job>> {
    Json(jobs::list(&state))
}

/// Queues an upload or a download; it runs in the background and reports through
/// `job` events.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs",
    request_body = JobRequest,
    responses((status = 201, description = "Queued", body = Job),
        (status = 400, description = "Bad path or key", body = ErrorBody),
        (status = 403, description = "Outside the allowed folders", body = ErrorBody)),
    security(("token" = [])))]
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Body(request): Body<JobRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    Ok((
        StatusCode::CREATED,
        Json(jobs::enqueue(&state, request, caller)?),
    ))
}

macro_rules! job_action {
    ($name:ident, $verb:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/api/v1/jobs/{id}/", $verb), tag = "jobs",
            params(("id" = String, Path, description = "Job id")),
            responses((status = 200, description = "The job now", body = Job),
                (status = 404, description = "No such job", body = ErrorBody),
                (status = 409, description = "Not possible in its state", body = ErrorBody)),
            security(("token" = [])))]
        pub async fn $name(
            State(state): State<ApiState>,
            Params(id): Params<String>,
        ) -> ApiResult<Json<Job>> {
            Ok(Json(control::$name(&state, &id)?))
        }
    };
}

job_action!(pause, "pause", "Pauses a job; it keeps what it sent.");
job_action!(resume, "resume", "Resumes a paused job where it stopped.");
job_action!(
    cancel,
    "cancel",
    "Cancels a job (an upload's parts are aborted)."
);
job_action!(retry, "retry", "Starts a failed or cancelled job again.");

/// Forgets a finished, failed, cancelled or paused job.
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 204, description = "Forgotten"),
        (status = 409, description = "Still queued or running", body = ErrorBody)),
    security(("token" = [])))]
pub async fn forget(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<StatusCode> {
    control::forget(&state, &id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pauses every queued or running job.
#[utoipa::path(post, path = "/api/v1/jobs/pause-all", tag = "jobs",
    responses((status = 200, description = "The jobs now", body = Vec<Job>)),
    security(("token" = [])))]
pub async fn pause_all(State(state): State<ApiState>) -> Json<Vec<Job>> {
    Json(control::pause_all(&state))
}

/// Resumes every paused job.
#[utoipa::path(post, path = "/api/v1/jobs/resume-all", tag = "jobs",
    responses((status = 200, description = "The jobs now", body = Vec<Job>)),
    security(("token" = [])))]
pub async fn resume_all(State(state): State<ApiState>) -> Json<Vec<Job>> {
    Json(control::resume_all(&state))
}

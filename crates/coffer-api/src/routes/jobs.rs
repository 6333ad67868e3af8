//! Jobs of every kind (transfers today; backups, replication, mirrors later): add,
//! list, show, edit, run now, pause, resume, cancel, retry, history, remove. The work
//! is the engine's ([`coffer_jobs::Engine`]); these handlers only speak HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use coffer_jobs::engine::JobEdit;
use coffer_jobs::{JobView, NewJob, RunRecord};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::jobs::api_error;
use crate::state::{ApiState, Caller};

/// Every job, oldest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    responses((status = 200, description = "The jobs", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> Json<Vec<JobView>> {
    Json(state.engine().list())
}

/// The registered job kinds.
#[utoipa::path(get, path = "/api/v1/jobs/kinds", tag = "jobs",
    responses((status = 200, description = "Kind names", body = Vec<String>)),
    security(("token" = [])))]
pub async fn kinds(State(state): State<ApiState>) -> Json<Vec<&'static str>> {
    Json(state.engine().kinds().names())
}

/// Adds a job: `{kind, params, name?, schedule?, enabled?, notify?, webhook?, run_now?}`.
/// Without a schedule it is queued at once; it reports through `job` events.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs",
    request_body = Object,
    responses((status = 201, description = "Added", body = Object),
        (status = 400, description = "Unknown kind, or a field is wrong (named)", body = ErrorBody),
        (status = 403, description = "A path outside the allowed folders", body = ErrorBody)),
    security(("token" = [])))]
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Body(new): Body<NewJob>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::jobs::add(&state, new, caller)?),
    ))
}

/// One job.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job", body = Object),
        (status = 404, description = "No such job", body = ErrorBody)),
    security(("token" = [])))]
pub async fn get(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(state.engine().get(&id).map_err(api_error)?))
}

/// Changes a job's name, schedule, enabled switch, notifications or webhook.
#[utoipa::path(put, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    request_body = Object,
    responses((status = 200, description = "The job now", body = Object),
        (status = 400, description = "A field is wrong (named)", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody)),
    security(("token" = [])))]
pub async fn edit(
    State(state): State<ApiState>,
    Params(id): Params<String>,
    Body(edit): Body<JobEdit>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(state.engine().edit(&id, edit).map_err(api_error)?))
}

/// A job's runs, oldest first.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/history", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The runs", body = Vec<Object>),
        (status = 404, description = "No such job", body = ErrorBody)),
    security(("token" = [])))]
pub async fn history(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<Json<Vec<RunRecord>>> {
    Ok(Json(state.engine().history(&id).map_err(api_error)?))
}

macro_rules! job_action {
    ($name:ident, $method:ident, $verb:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/api/v1/jobs/{id}/", $verb), tag = "jobs",
            params(("id" = String, Path, description = "Job id")),
            responses((status = 200, description = "The job now", body = Object),
                (status = 404, description = "No such job", body = ErrorBody),
                (status = 409, description = "Not possible in its state", body = ErrorBody)),
            security(("token" = [])))]
        pub async fn $name(
            State(state): State<ApiState>,
            Params(id): Params<String>,
        ) -> ApiResult<Json<JobView>> {
            Ok(Json(state.engine().$method(&id).map_err(api_error)?))
        }
    };
}

job_action!(pause, pause, "pause", "Pauses a job; it keeps what it did.");
job_action!(
    resume,
    resume,
    "resume",
    "Resumes a paused job where it stopped."
);
job_action!(
    cancel,
    cancel,
    "cancel",
    "Cancels a job (an upload's parts are aborted)."
);
job_action!(
    retry,
    retry,
    "retry",
    "Starts a failed or cancelled job again."
);
job_action!(
    run,
    run_now,
    "run",
    "Runs a job now (not while it is queued or running)."
);

/// Removes a job that is not queued or running, with its history.
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "Still queued or running", body = ErrorBody)),
    security(("token" = [])))]
pub async fn forget(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<StatusCode> {
    state.engine().remove(&id).map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pauses every queued or running job that can pause.
#[utoipa::path(post, path = "/api/v1/jobs/pause-all", tag = "jobs",
    responses((status = 200, description = "The jobs now", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn pause_all(State(state): State<ApiState>) -> Json<Vec<JobView>> {
    Json(state.engine().pause_all())
}

/// Resumes every paused job.
#[utoipa::path(post, path = "/api/v1/jobs/resume-all", tag = "jobs",
    responses((status = 200, description = "The jobs now", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn resume_all(State(state): State<ApiState>) -> Json<Vec<JobView>> {
    Json(state.engine().resume_all())
}

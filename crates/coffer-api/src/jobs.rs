//! The API's side of the job engine ([`coffer_jobs`]): which local paths a caller's
//! jobs may use, and the engine's errors as HTTP answers. The routes are in
//! [`crate::routes::jobs`].

use std::path::{Path, PathBuf};

use coffer_jobs::{JobView, JobsError, NewJob, PrepareEnv};

use crate::error::{ApiError, ApiResult};
use crate::state::{ApiState, Caller};

/// An engine error as an API error: unknown kinds and bad fields are 400 (the field
/// named), paths outside the allowed folders 403, a state that does not allow it 409.
pub fn api_error(e: JobsError) -> ApiError {
    match e {
        JobsError::NotFound(id) => ApiError::NotFound(format!("no job `{id}`")),
        e @ (JobsError::UnknownKind { .. } | JobsError::Invalid { .. }) => {
            ApiError::BadRequest(e.to_string())
        }
        JobsError::Forbidden(m) => ApiError::Forbidden(m),
        JobsError::Conflict(m) => ApiError::Conflict(m),
        JobsError::Core(e) => ApiError::Core(e),
    }
}

/// Checks `new` for `caller` (its local paths included) and adds it to the engine.
pub fn add(state: &ApiState, new: NewJob, caller: Caller) -> ApiResult<JobView> {
    let check = |path: &Path| -> Result<PathBuf, JobsError> {
        state.path_for(path, caller).map_err(|e| match e {
            ApiError::Forbidden(m) => JobsError::Forbidden(m),
            other => JobsError::invalid("params.path", other.to_string()),
        })
    };
    state
        .engine()
        .add(new, &PrepareEnv::new(&check))
        .map_err(api_error)
}

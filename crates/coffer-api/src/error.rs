//! Errors as the API answers them: JSON `{code, message}` with the right status.
//! User input never gets a 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coffer_core::Error as CoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code (`no_such_key`, `unauthorized`...).
    pub code: String,
    /// A sentence for people, saying what to do.
    pub message: String,
}

/// An error answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An error of the core (boxed: it is large, and errors travel by value).
    #[error(transparent)]
    Core(Box<CoreError>),
    /// No token, or a wrong one.
    #[error("{0}")]
    Unauthorized(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The request asks for something the configuration does not allow.
    #[error("{0}")]
    Forbidden(String),
    /// No such route or resource.
    #[error("{0}")]
    NotFound(String),
    /// The request body is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The resource is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// An error of a backup operation (boxed, as `Core`).
    #[error(transparent)]
    Backup(Box<coffer_backup::Error>),
    /// An error of replication or a restore (boxed, as `Core`).
    #[error(transparent)]
    Replicate(Box<coffer_replicate::ReplicateError>),
}

impl From<coffer_replicate::ReplicateError> for ApiError {
    fn from(e: coffer_replicate::ReplicateError) -> Self {
        match e {
            coffer_replicate::ReplicateError::Store(core) => ApiError::Core(core),
            other => ApiError::Replicate(Box::new(other)),
        }
    }
}

impl From<coffer_backup::Error> for ApiError {
    fn from(e: coffer_backup::Error) -> Self {
        match e {
            coffer_backup::Error::Store(core) => ApiError::Core(core),
            other => ApiError::Backup(Box::new(other)),
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Core(Box::new(e))
    }
}

impl ApiError {
    /// A malformed request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    /// The `{code, message}` body of this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.status_and_code().1.to_string(),
            message: self.to_string(),
        }
    }

    /// The status and code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Core(e) => (core_status(e), e.code()),
            ApiError::Backup(e) => (backup_status(e), e.code()),
            ApiError::Replicate(e) => (replicate_status(e), e.code()),
        }
    }
}

/// The HTTP status for a core error. The upstream S3 server's refusals are 403 (not
/// 401, which is about this API's own token); its failures are 502.
pub fn core_status(e: &CoreError) -> StatusCode {
    match e.code() {
        "access_denied" => StatusCode::FORBIDDEN,
        "no_such_bucket" | "no_such_key" | "no_such_upload" | "profile_not_found" | "not_found" => {
            StatusCode::NOT_FOUND
        }
        "bucket_exists" | "profile_exists" | "bucket_not_empty" | "file_changed" => {
            StatusCode::CONFLICT
        }
        "invalid_input" | "unsupported" | "local_io" | "secret_missing" => StatusCode::BAD_REQUEST,
        "unreachable" | "network" | "service" | "integrity_mismatch" | "batch" => {
            StatusCode::BAD_GATEWAY
        }
        "keychain_unavailable" | "keychain" | "cancelled" => StatusCode::SERVICE_UNAVAILABLE,
        "expired" => StatusCode::GONE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The HTTP status for a backup error.
pub fn backup_status(e: &coffer_backup::Error) -> StatusCode {
    match e.code() {
        "not_dedicated" | "already_repository" | "locked" | "append_only" | "would_overwrite" => {
            StatusCode::CONFLICT
        }
        "not_repository" | "not_found" => StatusCode::NOT_FOUND,
        "wrong_password" => StatusCode::FORBIDDEN,
        "no_password" | "invalid" | "io" => StatusCode::BAD_REQUEST,
        "cancelled" => StatusCode::SERVICE_UNAVAILABLE,
        "verification" | "cryptography" | "damaged" => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::warn!(code, error = %self, "request failed");
        }
        let body = ErrorBody {
            code: code.to_string(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

fn replicate_status(e: &coffer_replicate::ReplicateError) -> StatusCode {
    use coffer_replicate::ReplicateError as E;
    match e {
        E::Plan(_) => StatusCode::NOT_FOUND,
        E::Exists(_) => StatusCode::CONFLICT,
        E::Invalid(_) | E::Database(_) => StatusCode::BAD_REQUEST,
        E::Corrupt { .. } | E::Verify(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::Cancelled => StatusCode::SERVICE_UNAVAILABLE,
        E::Store(core) => core_status(core),
        E::Io { .. } | E::Sqlite { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

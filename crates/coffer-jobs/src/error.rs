//! Errors: [`JobsError`] for what a caller of the engine did wrong (no such job, bad
//! params, a state that does not allow it), [`JobError`] for why a run failed, kept in
//! the job's status and history.

use serde::{Deserialize, Serialize};

/// Why a job's run failed, as the API, the history and notifications show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    /// A stable, machine-readable code (`access_denied`, `interrupted`...).
    pub code: String,
    /// A sentence for people, saying what to do.
    pub message: String,
}

impl JobError {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        JobError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<coffer_core::Error> for JobError {
    fn from(e: coffer_core::Error) -> Self {
        JobError::new(e.code(), e.to_string())
    }
}

/// What went wrong with a request to the engine.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// No job with that id.
    #[error("no job `{0}`")]
    NotFound(String),
    /// No kind of that name is registered.
    #[error("unknown job kind `{kind}`; known kinds: {known}")]
    UnknownKind {
        /// The name asked for.
        kind: String,
        /// The registered names.
        known: String,
    },
    /// The params, schedule or another field are wrong; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault (`params.bucket`, `schedule`...).
        field: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// The params name a local path the caller may not use.
    #[error("{0}")]
    Forbidden(String),
    /// The job's state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// The local database failed (boxed: the core's error is large, and errors travel
    /// by value).
    #[error(transparent)]
    Core(Box<coffer_core::Error>),
}

impl From<coffer_core::Error> for JobsError {
    fn from(e: coffer_core::Error) -> Self {
        JobsError::Core(Box::new(e))
    }
}

impl JobsError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        JobsError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, JobsError>;

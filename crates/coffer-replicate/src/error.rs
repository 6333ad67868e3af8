//! The replication error.

use std::path::{Path, PathBuf};

/// What went wrong while replicating or restoring.
#[derive(Debug, thiserror::Error)]
pub enum ReplicateError {
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused something.
    #[error("{path}: SQLite: {source}")]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The database cannot be replicated as it is (not WAL, a page size that changed).
    #[error("{0}")]
    Database(String),
    /// An object of the replica is not a valid segment (damaged, truncated, foreign).
    #[error("{key}: {reason}")]
    Corrupt {
        /// The object's key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The replica holds no history that reaches the requested point, or has a gap.
    #[error("{0}")]
    Plan(String),
    /// A restore's target exists and `--force` was not given.
    #[error("{0} exists; pass --force to replace it")]
    Exists(PathBuf),
    /// The restored database failed its checks; nothing was put at the target.
    #[error("the restored database failed its check: {0}")]
    Verify(String),
    /// A bad argument (a location, a duration).
    #[error("{0}")]
    Invalid(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(Box<coffer_core::Error>),
    /// Stopped by the caller.
    #[error("stopped")]
    Cancelled,
}

impl From<coffer_core::Error> for ReplicateError {
    fn from(e: coffer_core::Error) -> Self {
        ReplicateError::Store(Box::new(e))
    }
}

impl ReplicateError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ReplicateError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A SQLite error on the database at `path`.
    pub fn sqlite(path: &Path, source: rusqlite::Error) -> Self {
        ReplicateError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A short machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReplicateError::Io { .. } => "io",
            ReplicateError::Sqlite { .. } => "sqlite",
            ReplicateError::Database(_) => "database",
            ReplicateError::Corrupt { .. } => "corrupt",
            ReplicateError::Plan(_) => "no_history",
            ReplicateError::Exists(_) => "exists",
            ReplicateError::Verify(_) => "verify_failed",
            ReplicateError::Invalid(_) => "invalid",
            ReplicateError::Store(e) => e.code(),
            ReplicateError::Cancelled => "cancelled",
        }
    }
}

/// The crate's result.
pub type Result<T, E = ReplicateError> = std::result::Result<T, E>;

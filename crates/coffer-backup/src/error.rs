//! Errors of backup operations, each with a stable code and a sentence for people.

use rustic_core::RusticError;

/// A result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a backup operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed (access denied, no such bucket, network...): the core's error,
    /// with its own code and words (boxed: it is large).
    #[error(transparent)]
    Store(Box<coffer_core::Error>),
    /// The target holds other data: backups need a bucket or prefix of their own.
    #[error(
        "{location} is not empty and is not a backup repository (first keys: {first_keys}): \
         pick an empty bucket or prefix for backups"
    )]
    NotDedicated {
        /// The target, as `s3://bucket/prefix/`.
        location: String,
        /// The first few keys found there, comma-separated.
        first_keys: String,
    },
    /// `init` on a target that already holds a repository.
    #[error("{location} already holds a backup repository: open it instead of creating one")]
    AlreadyRepository {
        /// The target.
        location: String,
    },
    /// `open` on a target that holds no repository.
    #[error(
        "{location} holds no backup repository (no `config` object): create one with \
         `coffer backup init {location}`"
    )]
    NotRepository {
        /// The target.
        location: String,
    },
    /// No key of the repository opens with this password.
    #[error(
        "wrong password for the backup repository at {location}: no key of the \
         repository opens with it"
    )]
    WrongPassword {
        /// The target.
        location: String,
    },
    /// No password was given and the keychain has none for this repository.
    #[error(
        "no password for the backup repository at {location}: the keychain has none \
         for it; give it with --password-stdin"
    )]
    NoPassword {
        /// The target.
        location: String,
    },
    /// Another process holds the repository's lock.
    #[error("{0}")]
    Locked(String),
    /// The repository is in append-only mode and the operation would delete or rewrite.
    #[error(
        "the repository at {location} is append-only: {what} would delete or rewrite \
         objects; run it from a machine with full access to a repository opened without \
         append-only mode"
    )]
    AppendOnly {
        /// The target.
        location: String,
        /// What was refused.
        what: String,
    },
    /// A snapshot id, prefix or path that matches nothing (or more than one thing).
    #[error("{0}")]
    NotFound(String),
    /// A bad argument; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The argument at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A restore would overwrite files that exist and differ.
    #[error(
        "{count} file(s) in {target} exist and differ from the snapshot (first: {first}); \
         nothing was written. Choose --overwrite if-changed or always to replace them"
    )]
    WouldOverwrite {
        /// The restore target.
        target: String,
        /// How many files.
        count: usize,
        /// The first few, comma-separated.
        first: String,
    },
    /// A local file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A blob read from the repository is damaged: nothing was written from it.
    #[error(
        "blob {blob} in pack {pack} {what} (needed for {file}): the repository is damaged; \
         `coffer backup check --read-data-subset 100%` names every snapshot affected"
    )]
    Damaged {
        /// The pack's id.
        pack: String,
        /// The blob's id.
        blob: String,
        /// A file it belongs to.
        file: String,
        /// What is wrong ("does not decrypt", "does not match its id").
        what: String,
    },
    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// rustic_core reported an error; `message` is its sentence.
    #[error("{message}")]
    Engine {
        /// A stable code derived from rustic's error kind.
        code: &'static str,
        /// Its guidance, with the context filled in.
        message: String,
    },
}

impl From<coffer_core::Error> for Error {
    fn from(e: coffer_core::Error) -> Self {
        Error::Store(Box::new(e))
    }
}

impl From<Box<coffer_core::Error>> for Error {
    fn from(e: Box<coffer_core::Error>) -> Self {
        Error::Store(e)
    }
}

impl Error {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(e) => e.code(),
            Error::NotDedicated { .. } => "not_dedicated",
            Error::AlreadyRepository { .. } => "already_repository",
            Error::NotRepository { .. } => "not_repository",
            Error::WrongPassword { .. } => "wrong_password",
            Error::NoPassword { .. } => "no_password",
            Error::Locked(_) => "locked",
            Error::AppendOnly { .. } => "append_only",
            Error::NotFound(_) => "not_found",
            Error::Invalid { .. } => "invalid",
            Error::WouldOverwrite { .. } => "would_overwrite",
            Error::Io { .. } => "io",
            Error::Damaged { .. } => "damaged",
            Error::Cancelled => "cancelled",
            Error::Engine { code, .. } => code,
        }
    }

    /// An invalid-argument error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// Converts a rustic error: a store error that travelled through rustic comes back
    /// as itself; others keep rustic's sentence with its context filled in.
    pub fn from_rustic(err: Box<RusticError>) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> =
            std::error::Error::source(err.as_ref());
        while let Some(cause) = source {
            if let Some(store) = cause.downcast_ref::<StoreFailure>() {
                return store.to_error();
            }
            source = cause.source();
        }
        let log = err.display_log();
        let message = log.strip_prefix("Error: ").unwrap_or(&log);
        // "... (kind: related to X, code: C)": keep the sentence only.
        let message = message
            .split_once(" (kind: related to")
            .map_or(message, |(m, _)| m)
            .trim()
            .to_string();
        // The first line of rustic's Display names the kind: "... related to `X`."
        let full = err.to_string();
        let code = match full.lines().next().unwrap_or_default() {
            l if l.contains("`cryptographic operations`") => "cryptography",
            l if l.contains("`verification`") => "verification",
            l if l.contains("`append-only mode`") => "append_only",
            l if l.contains("`invalid user input`") => "invalid",
            _ => "backup_engine",
        };
        Error::Engine { code, message }
    }
}

/// A store error carried through rustic_core as the source of its error, so that
/// [`Error::from_rustic`] can give the caller the store's own error back.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct StoreFailure {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) inner: std::sync::Mutex<Option<coffer_core::Error>>,
}

impl StoreFailure {
    pub(crate) fn new(err: coffer_core::Error) -> Self {
        StoreFailure {
            code: err.code(),
            message: err.to_string(),
            inner: std::sync::Mutex::new(Some(err)),
        }
    }

    fn to_error(&self) -> Error {
        if let Ok(mut inner) = self.inner.lock()
            && let Some(err) = inner.take()
        {
            return Error::Store(Box::new(err));
        }
        Error::Engine {
            code: self.code,
            message: self.message.clone(),
        }
    }
}

//! The one error type of the core.
//!
//! Every variant carries what the user needs to act: the profile, the bucket and key,
//! the path or URL, and a hint. Front ends show `{code, message}`: [`Error::code`] is a
//! stable machine-readable string, and `Display` is the message.

use std::path::PathBuf;

/// A `Result` with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, phrased for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server refused the credentials or the permission.
    #[error(
        "access denied for profile `{profile}`{}: check the access key and secret \
         (`coffer profile add {profile} ...` replaces them){}",
        target(.bucket.as_deref(), .key.as_deref()),
        detail_suffix(.detail)
    )]
    AccessDenied {
        /// Profile in use.
        profile: String,
        /// Bucket involved, if any.
        bucket: Option<String>,
        /// Key involved, if any.
        key: Option<String>,
        /// What the server said.
        detail: String,
    },

    /// The bucket does not exist.
    #[error(
        "bucket `{bucket}` does not exist for profile `{profile}`: check the name \
         (`coffer --profile {profile} ls` lists the buckets)"
    )]
    NoSuchBucket {
        /// Profile in use.
        profile: String,
        /// The missing bucket.
        bucket: String,
    },

    /// The object does not exist.
    #[error("object `{key}` not found in bucket `{bucket}` (profile `{profile}`)")]
    NoSuchKey {
        /// Profile in use.
        profile: String,
        /// Bucket searched.
        bucket: String,
        /// The missing key.
        key: String,
    },

    /// A multipart upload is gone on the server (completed, aborted or expired).
    #[error("multipart upload `{upload_id}` for `{bucket}/{key}` no longer exists on the server")]
    NoSuchUpload {
        /// Bucket of the upload.
        bucket: String,
        /// Key of the upload.
        key: String,
        /// The upload id.
        upload_id: String,
    },

    /// The bucket name is already taken.
    #[error("bucket `{bucket}` already exists (profile `{profile}`)")]
    BucketExists {
        /// Profile in use.
        profile: String,
        /// The bucket.
        bucket: String,
    },

    /// The bucket still holds objects.
    #[error(
        "bucket `{bucket}` is not empty: delete its objects first \
         (`coffer rm s3://{bucket}/ --recursive`)"
    )]
    BucketNotEmpty {
        /// The bucket.
        bucket: String,
    },

    /// The endpoint could not be reached at all.
    #[error(
        "cannot reach {url} for profile `{profile}`: {cause}. Check the endpoint URL \
         and that the server is running"
    )]
    Unreachable {
        /// Profile in use.
        profile: String,
        /// The URL tried.
        url: String,
        /// The underlying cause.
        cause: String,
    },

    /// A request failed in transit (timeout, reset) after it started.
    #[error("network error talking to {url} for profile `{profile}`: {cause}")]
    Network {
        /// Profile in use.
        profile: String,
        /// The URL tried.
        url: String,
        /// The underlying cause.
        cause: String,
    },

    /// Any other answer from the server.
    #[error("the server refused the request for profile `{profile}`{} ({code}{}): {message}",
        target(.bucket.as_deref(), .key.as_deref()),
        .status.map(|s| format!(", HTTP {s}")).unwrap_or_default())]
    Service {
        /// Profile in use.
        profile: String,
        /// Bucket involved, if any.
        bucket: Option<String>,
        /// Key involved, if any.
        key: Option<String>,
        /// The S3 error code, such as `SlowDown`.
        code: String,
        /// The server's message.
        message: String,
        /// HTTP status, if there was a response.
        status: Option<u16>,
    },

    /// A local file or folder could not be used.
    #[error("{action} `{}`: {source}", .path.display())]
    LocalIo {
        /// What Coffer was doing ("cannot read", "cannot create"...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// The source file changed while it was being uploaded.
    #[error(
        "`{}` changed while it was uploading ({what}); nothing was stored. \
         Upload it again once it has stopped changing",
        .path.display()
    )]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// What changed, e.g. "size 10 → 12 bytes".
        what: String,
    },

    /// What arrived is not what was sent or announced.
    #[error("integrity check failed for `{bucket}/{key}`: {what}; the damaged copy was discarded")]
    IntegrityMismatch {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// Which check failed, with expected and actual values.
        what: String,
    },

    /// The user gave something that cannot work.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid ("S3 URL", "part size"...).
        what: String,
        /// Why, and what would be valid.
        reason: String,
    },

    /// No profile by that name.
    #[error("profile `{0}` not found: `coffer profile list` shows the profiles")]
    ProfileNotFound(String),

    /// A profile by that name exists already.
    #[error("profile `{0}` already exists: remove it first with `coffer profile remove {0}`")]
    ProfileExists(String),

    /// The OS keychain cannot be used; secrets are never stored anywhere else.
    #[error(
        "the OS keychain is not available ({reason}). Coffer keeps secrets only in the \
         keychain and never falls back to plaintext. {hint}"
    )]
    KeychainUnavailable {
        /// What went wrong.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },

    /// The keychain has no secret for a profile that needs one.
    #[error(
        "no secret for profile `{profile}` in the OS keychain: store it again with \
         `coffer profile add {profile} --access-key-id ID --secret-stdin` (after \
         `coffer profile remove {profile}`)"
    )]
    SecretMissing {
        /// The profile.
        profile: String,
    },

    /// Any other keychain failure.
    #[error("keychain error: {0}")]
    Keychain(String),

    /// The local state database failed.
    #[error("local state database {}: {cause}", .path.display())]
    MetaDb {
        /// Where the database lives.
        path: PathBuf,
        /// What went wrong.
        cause: String,
    },

    /// The operation was cancelled (Ctrl-C, shutdown); resumable state was kept.
    #[error("cancelled{}", detail_suffix(.0))]
    Cancelled(String),

    /// The backend cannot do this.
    #[error("{operation} is not supported by {backend}: {reason}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The backend ("the local profile").
        backend: &'static str,
        /// Why, and what to use instead.
        reason: &'static str,
    },

    /// An agent (the owner of the data dir, or a remote one) refused a request. The
    /// message is the agent's own, already phrased for people.
    #[error("{message}")]
    Agent {
        /// The agent's code (`access_denied`, `unsupported`...).
        code: String,
        /// The agent's message.
        message: String,
    },

    /// A record Coffer keeps (a share link, an upload rule) does not exist.
    #[error("no {what}: {hint}")]
    NotFound {
        /// What was looked for ("share link `ab12`").
        what: String,
        /// Where to look instead.
        hint: &'static str,
    },

    /// Something that lives for a limited time (a share link) has run out.
    #[error("{what} expired {when}; make a new one")]
    Expired {
        /// What expired.
        what: String,
        /// When, in words.
        when: String,
    },

    /// Several items of a batch failed; the first errors are listed.
    #[error("{failed} of {total} items failed; first: {first}")]
    Batch {
        /// How many failed.
        failed: usize,
        /// How many there were.
        total: usize,
        /// The first error's message.
        first: String,
    },
}

fn target(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (Some(b), Some(k)) => format!(" on `{b}/{k}`"),
        (Some(b), None) => format!(" on bucket `{b}`"),
        _ => String::new(),
    }
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

/// Every code [`Error::code`] gives, so that an agent's answer keeps its code.
const CODES: &[&str] = &[
    "access_denied",
    "no_such_bucket",
    "no_such_key",
    "no_such_upload",
    "bucket_exists",
    "bucket_not_empty",
    "unreachable",
    "network",
    "service",
    "local_io",
    "file_changed",
    "integrity_mismatch",
    "invalid_input",
    "profile_not_found",
    "profile_exists",
    "keychain_unavailable",
    "secret_missing",
    "keychain",
    "meta_db",
    "cancelled",
    "unsupported",
    "batch",
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "expired",
    "too_large",
    "conflict",
    "certificate_changed",
];

impl Error {
    /// A stable, machine-readable code for front ends (`{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::AccessDenied { .. } => "access_denied",
            Error::NoSuchBucket { .. } => "no_such_bucket",
            Error::NoSuchKey { .. } => "no_such_key",
            Error::NoSuchUpload { .. } => "no_such_upload",
            Error::BucketExists { .. } => "bucket_exists",
            Error::BucketNotEmpty { .. } => "bucket_not_empty",
            Error::Unreachable { .. } => "unreachable",
            Error::Network { .. } => "network",
            Error::Service { .. } => "service",
            Error::LocalIo { .. } => "local_io",
            Error::FileChanged { .. } => "file_changed",
            Error::IntegrityMismatch { .. } => "integrity_mismatch",
            Error::InvalidInput { .. } => "invalid_input",
            Error::ProfileNotFound(_) => "profile_not_found",
            Error::ProfileExists(_) => "profile_exists",
            Error::KeychainUnavailable { .. } => "keychain_unavailable",
            Error::SecretMissing { .. } => "secret_missing",
            Error::Keychain(_) => "keychain",
            Error::MetaDb { .. } => "meta_db",
            Error::Cancelled(_) => "cancelled",
            Error::Unsupported { .. } => "unsupported",
            Error::Batch { .. } => "batch",
            Error::NotFound { .. } => "not_found",
            Error::Expired { .. } => "expired",
            Error::Agent { code, .. } => CODES
                .iter()
                .find(|known| **known == code.as_str())
                .copied()
                .unwrap_or("agent"),
        }
    }

    /// Whether trying the same request again may succeed (timeouts, throttling, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. } => true,
            Error::Service { status, code, .. } => {
                matches!(status, Some(500..=599) | Some(429))
                    || matches!(
                        code.as_str(),
                        "SlowDown"
                            | "Throttling"
                            | "ThrottlingException"
                            | "RequestTimeout"
                            | "RequestTimeTooSkewed"
                            | "InternalError"
                            | "ServiceUnavailable"
                    )
            }
            _ => false,
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::LocalIo`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::LocalIo {
            action,
            path: path.into(),
            source,
        }
    }
}

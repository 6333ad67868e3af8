//! Share links: every presigned URL made from the app, the API or the CLI is recorded
//! in the local database, so that it can be found, copied again and forgotten.
//!
//! The record never holds the URL or its signature. Presigning is deterministic
//! ([`Store::presign`](crate::store::Store::presign)), so "copy again" signs the same
//! request for the same moment and lifetime and gets the same URL, as long as the
//! profile's key is the same. A link cannot be revoked before it expires except by
//! rotating that key; forgetting a record only removes it from the list.
//!
//! One verb per file: [`make`], [`list`] (and [`get`]), [`url_again`], [`forget`].

mod forget;
mod list;
mod make;
mod url;

pub use forget::forget;
pub use list::list;
pub use make::{MadeShare, ShareRequest, make};
pub use url::{get, url_again};

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::store::PresignMethod;

/// The tree of share records, keyed by id.
pub const TREE_SHARES: &str = "shares";
/// The lifetime offered by default: the shortest that fits most shares.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(3600);
/// The longest lifetime S3 allows a presigned URL (SigV4): 7 days.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long an expired link stays listed before its record is dropped.
pub const KEEP_EXPIRED: Duration = Duration::from_secs(30 * 24 * 3600);

/// What Coffer remembers of one share link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// A short random id (`coffer shares forget ID`).
    pub id: String,
    /// The profile whose key signed the link.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// GET (download) or PUT (upload).
    pub method: PresignMethod,
    /// When it was made (the signature is for this moment to the whole second).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Its lifetime in seconds.
    pub expires_secs: u64,
    /// Who made it: `cli`, `desktop`, `web` or `api`.
    pub via: String,
}

impl ShareRecord {
    /// The moment the signature is for: `created_at` to the whole second (SigV4's
    /// precision).
    pub fn signed_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.created_at.unix_timestamp())
            .unwrap_or(self.created_at)
    }

    /// When the link stops working.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.signed_at() + Duration::from_secs(self.expires_secs)
    }

    /// Whether the link has stopped working at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at()
    }
}

/// Checks a lifetime against S3's limits: 1 second to 7 days.
pub fn check_expiry(expires_in: Duration) -> crate::Result<()> {
    if expires_in < Duration::from_secs(1) || expires_in > MAX_EXPIRY {
        return Err(crate::Error::invalid(
            "link lifetime",
            format!(
                "{} s; a presigned link lives from 1 second to 7 days (604800 s), \
                 the most S3 allows",
                expires_in.as_secs()
            ),
        ));
    }
    Ok(())
}

//! Making a share link: sign it, then record it.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use super::{ShareRecord, TREE_SHARES, check_expiry};
use crate::error::{Error, Result};
use crate::meta::{MetaDb, MetaDbExt};
use crate::store::{PresignMethod, Store};

/// A link just made, and its record.
#[derive(Debug, Clone)]
pub struct MadeShare {
    /// The presigned URL (a bearer credential until it expires: never log it).
    pub url: String,
    /// What was recorded.
    pub record: ShareRecord,
}

/// What a new share link is for.
#[derive(Debug, Clone)]
pub struct ShareRequest<'a> {
    /// The profile whose store signs it.
    pub profile: &'a str,
    /// The bucket.
    pub bucket: &'a str,
    /// The object's key.
    pub key: &'a str,
    /// GET or PUT.
    pub method: PresignMethod,
    /// Its lifetime (1 s to 7 days).
    pub expires_in: Duration,
    /// Who asks: `cli`, `desktop`, `web` or `api`.
    pub via: &'a str,
}

/// Signs a link with `store` and records it in `db`. The record is flushed before
/// the URL is returned, so a link is never handed out unlisted.
pub async fn make(
    store: &dyn Store,
    db: &dyn MetaDb,
    request: ShareRequest<'_>,
) -> Result<MadeShare> {
    check_expiry(request.expires_in)?;
    let now = OffsetDateTime::now_utc();
    let secs = u64::try_from(now.unix_timestamp())
        .map_err(|_| Error::invalid("clock", "the system clock is before 1970"))?;
    let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let url = store
        .presign(
            request.method,
            request.bucket,
            request.key,
            signed_at,
            request.expires_in,
        )
        .await?;
    let record = ShareRecord {
        id: new_id(),
        profile: request.profile.to_string(),
        bucket: request.bucket.to_string(),
        key: request.key.to_string(),
        method: request.method,
        created_at: now,
        expires_secs: request.expires_in.as_secs(),
        via: request.via.to_string(),
    };
    db.put_json(TREE_SHARES, &record.id, &record)?;
    db.flush()?;
    tracing::info!(
        share = %record.id,
        bucket = %record.bucket,
        key = %record.key,
        expires_secs = record.expires_secs,
        "made a share link"
    );
    Ok(MadeShare { url, record })
}

/// Twelve hex digits from a random UUID: short enough to type, unique enough for
/// one person's links.
fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

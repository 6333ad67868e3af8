//! Copy again: the same link, signed again for the same moment and lifetime.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use super::{ShareRecord, TREE_SHARES};
use crate::error::{Error, Result};
use crate::meta::{MetaDb, MetaDbExt};
use crate::store::Store;

/// The record under `id`, or a clear error.
pub fn get(db: &dyn MetaDb, id: &str) -> Result<ShareRecord> {
    db.get_json::<ShareRecord>(TREE_SHARES, id)?
        .ok_or_else(|| Error::NotFound {
            what: format!("share link `{id}`"),
            hint: "`coffer shares list` shows the recorded links",
        })
}

/// The URL of the recorded link `id`, signed by `store` (the record's profile). A
/// link that has expired is refused: it would not work.
pub async fn url_again(
    store: &dyn Store,
    db: &dyn MetaDb,
    id: &str,
    now: OffsetDateTime,
) -> Result<(String, ShareRecord)> {
    let record = get(db, id)?;
    if record.is_expired(now) {
        return Err(Error::Expired {
            what: format!("share link `{id}` ({}/{})", record.bucket, record.key),
            when: format!("at {}", rfc3339(record.expires_at())),
        });
    }
    let secs = u64::try_from(record.signed_at().unix_timestamp())
        .map_err(|_| Error::invalid("share record", "made before 1970"))?;
    let url = store
        .presign(
            record.method,
            &record.bucket,
            &record.key,
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            Duration::from_secs(record.expires_secs),
        )
        .await?;
    Ok((url, record))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

//! Listing share links: live ones first, newest first; then expired ones, the most
//! recently expired first. Records expired longer than [`KEEP_EXPIRED`] are dropped.

use time::OffsetDateTime;

use super::{KEEP_EXPIRED, ShareRecord, TREE_SHARES};
use crate::error::Result;
use crate::meta::{MetaDb, MetaDbExt};

/// Every recorded link, in display order, as of `now`.
pub fn list(db: &dyn MetaDb, now: OffsetDateTime) -> Result<Vec<ShareRecord>> {
    let mut shares = Vec::new();
    for (id, record) in db.scan_json::<ShareRecord>(TREE_SHARES, "")? {
        if now - record.expires_at() > KEEP_EXPIRED {
            db.delete(TREE_SHARES, id.as_bytes())?;
            continue;
        }
        shares.push(record);
    }
    shares.sort_by(|a, b| {
        let (a_live, b_live) = (!a.is_expired(now), !b.is_expired(now));
        b_live.cmp(&a_live).then_with(|| {
            if a_live {
                b.created_at.cmp(&a.created_at)
            } else {
                b.expires_at().cmp(&a.expires_at())
            }
            .then_with(|| a.id.cmp(&b.id))
        })
    });
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::meta::MemoryDb;
    use crate::store::PresignMethod;

    fn record(id: &str, created_ago: u64, expires_secs: u64, now: OffsetDateTime) -> ShareRecord {
        ShareRecord {
            id: id.into(),
            profile: "p".into(),
            bucket: "b".into(),
            key: format!("k/{id} ü+%.txt"),
            method: PresignMethod::Get,
            created_at: now - Duration::from_secs(created_ago),
            expires_secs,
            via: "cli".into(),
        }
    }

    #[test]
    fn live_links_come_first_and_old_expired_ones_are_dropped() {
        let db = MemoryDb::default();
        let now = OffsetDateTime::now_utc();
        let day = 24 * 3600;
        for r in [
            record("old-live", 600, 3600, now),
            record("new-live", 60, 3600, now),
            record("expired-long-ago", 40 * day, 3600, now),
            record("expired-yesterday", day + 3600, 3600, now),
            record("expired-just-now", 7200, 3600, now),
        ] {
            db.put_json(TREE_SHARES, &r.id, &r).expect("put");
        }
        let ids: Vec<String> = list(&db, now)
            .expect("list")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            ids,
            [
                "new-live",
                "old-live",
                "expired-just-now",
                "expired-yesterday"
            ]
        );
        assert_eq!(db.get(TREE_SHARES, b"expired-long-ago").expect("get"), None);
    }
}

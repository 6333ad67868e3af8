//! Retention: old segments deleted in batches, never one a restore still needs.

use std::time::Duration;

use crate::error::Result;
use crate::key::{Lineage, SNAPSHOT_LEVEL, SegmentKey};
use crate::plan::History;
use crate::replica::Replica;

/// How long each level is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retention {
    /// Snapshots (and everything before the oldest one kept) are kept this long; the
    /// newest snapshot is always kept.
    #[serde(with = "humantime_serde_secs")]
    pub retain: Duration,
    /// Level-0 segments already merged into level 1 are kept this long.
    #[serde(with = "humantime_serde_secs")]
    pub level0: Duration,
    /// Level-1 segments already merged into level 2 are kept this long.
    #[serde(with = "humantime_serde_secs")]
    pub level1: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            retain: Duration::from_secs(7 * 24 * 3600),
            level0: Duration::from_secs(3600),
            level1: Duration::from_secs(24 * 3600),
        }
    }
}

/// Durations as whole seconds in JSON.
mod humantime_serde_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}

/// What retention deleted.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Retained {
    /// Objects deleted.
    pub deleted: usize,
    /// Objects kept.
    pub kept: usize,
}

/// Which segments of `history` may go at `now_ms` under `policy`:
/// - snapshots older than `retain`, but never the newest;
/// - anything (any level) that ends before the oldest snapshot kept and is older
///   than `retain`;
/// - a level-0 (level-1) segment already covered by level 1 (level 2) and older than
///   `level0` (`level1`).
pub fn expired(history: &History, policy: &Retention, now_ms: u64) -> Vec<SegmentKey> {
    let ms = |d: Duration| d.as_millis() as u64;
    let cutoff = now_ms.saturating_sub(ms(policy.retain));
    let snapshots = history
        .levels
        .get(&SNAPSHOT_LEVEL)
        .cloned()
        .unwrap_or_default();
    let Some(newest) = snapshots
        .iter()
        .max_by_key(|s| (s.key.max_txid, s.key.ts_ms))
    else {
        return Vec::new();
    };
    let floor = snapshots
        .iter()
        .filter(|s| s.key.ts_ms >= cutoff || s.key == newest.key)
        .map(|s| s.key.max_txid)
        .min()
        .unwrap_or(newest.key.max_txid);
    let covered = |level: u32| {
        history
            .levels
            .get(&level)
            .and_then(|v| v.iter().map(|l| l.key.max_txid).max())
            .unwrap_or(0)
    };
    let mut out = Vec::new();
    for (level, listed) in &history.levels {
        for l in listed {
            let k = l.key;
            let expired = if *level == SNAPSHOT_LEVEL {
                k != newest.key && k.ts_ms < cutoff && k.max_txid <= floor
            } else if k.max_txid < floor && k.ts_ms < cutoff {
                true
            } else if *level < 2 {
                let keep = if *level == 0 {
                    policy.level0
                } else {
                    policy.level1
                };
                k.max_txid <= covered(level + 1) && k.ts_ms < now_ms.saturating_sub(ms(keep))
            } else {
                false
            };
            if expired && !(*level == SNAPSHOT_LEVEL && k.max_txid == floor) {
                out.push(k);
            }
        }
    }
    out
}

/// Applies `policy` to one lineage: four LISTs, then deletes in batches of 1,000.
pub async fn enforce(
    replica: &Replica,
    lineage: &Lineage,
    policy: &Retention,
    now_ms: u64,
) -> Result<Retained> {
    let history = History::read(replica, *lineage).await?;
    let total = history.all().count();
    let expired = expired(&history, policy, now_ms);
    if !expired.is_empty() {
        replica.delete(lineage, &expired).await?;
        tracing::debug!(replica = %replica.name, deleted = expired.len(), "retention");
    }
    Ok(Retained {
        deleted: expired.len(),
        kept: total - expired.len(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::replica::Listed;

    #[test]
    fn keeps_what_a_restore_needs() {
        let l = |level, min, max, ts| Listed {
            key: SegmentKey {
                level,
                min_txid: min,
                max_txid: max,
                ts_ms: ts,
            },
            size: 0,
        };
        let mut levels = BTreeMap::new();
        levels.insert(9, vec![l(9, 1, 1, 0), l(9, 5, 5, 500)]);
        levels.insert(
            0,
            vec![
                l(0, 2, 2, 10),
                l(0, 3, 3, 20),
                l(0, 6, 6, 600),
                l(0, 7, 7, 990),
            ],
        );
        levels.insert(1, vec![l(1, 2, 3, 20), l(1, 6, 6, 600)]);
        let history = History {
            lineage: Some(Lineage([0; 16])),
            levels,
        };
        let policy = Retention {
            retain: Duration::from_millis(600),
            level0: Duration::from_millis(100),
            level1: Duration::from_millis(100),
        };
        let mut gone = expired(&history, &policy, 1000);
        gone.sort();
        // The old snapshot and everything before the kept one go; L0 6 is covered by
        // L1 and old; L0 7 is not covered; the newest snapshot stays.
        let txids: Vec<(u32, u64)> = gone.iter().map(|k| (k.level, k.max_txid)).collect();
        assert_eq!(txids, vec![(0, 2), (0, 3), (0, 6), (1, 3), (9, 1)]);
    }
}

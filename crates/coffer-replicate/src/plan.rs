//! Planning a restore from listings alone: one LIST per level, no HEAD, no GET.

use std::collections::{BTreeMap, HashMap};

use crate::error::{ReplicateError, Result};
use crate::key::{Lineage, SNAPSHOT_LEVEL};
use crate::replica::{Listed, Replica};

/// The levels a replica holds, finest first, snapshots last.
pub const LEVELS: [u32; 4] = [0, 1, 2, SNAPSHOT_LEVEL];

/// What to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The newest state the replica holds.
    Latest,
    /// The state right after this transaction.
    Txid(u64),
    /// The newest state made at or before this time (ms since the epoch).
    Time(u64),
}

/// One lineage's segments, by level.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The lineage.
    pub lineage: Option<Lineage>,
    /// Level → its segments in TXID order.
    pub levels: BTreeMap<u32, Vec<Listed>>,
}

impl History {
    /// Lists every level of `lineage` (one LIST each).
    pub async fn read(replica: &Replica, lineage: Lineage) -> Result<History> {
        let mut levels = BTreeMap::new();
        for level in LEVELS {
            levels.insert(level, replica.list_level(&lineage, level).await?);
        }
        Ok(History {
            lineage: Some(lineage),
            levels,
        })
    }

    /// Every segment, all levels.
    pub fn all(&self) -> impl Iterator<Item = &Listed> {
        self.levels.values().flatten()
    }

    /// The newest TXID held, and its timestamp.
    pub fn newest(&self) -> Option<(u64, u64)> {
        self.all().map(|l| (l.key.max_txid, l.key.ts_ms)).max()
    }
}

/// The objects to apply, in order: a snapshot, then segments.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The lineage.
    pub lineage: Lineage,
    /// The snapshot first, then segments in TXID order.
    pub steps: Vec<Listed>,
    /// The TXID the restore reaches.
    pub txid: u64,
    /// The timestamp of that state.
    pub ts_ms: u64,
}

impl Plan {
    /// How many bytes the plan downloads.
    pub fn bytes(&self) -> u64 {
        self.steps.iter().map(|s| s.size).sum()
    }
}

/// Plans a restore of `history` to `target`: the newest snapshot at or before the
/// target's TXID, then the fewest segments (highest levels first) that reach it
/// exactly. A gap is never skipped: a point that cannot be reached exactly is not
/// offered, and `Txid(n)` that cannot be reached is an error naming the nearest.
pub fn plan(history: &History, target: Target) -> Result<Plan> {
    let Some(lineage) = history.lineage else {
        return Err(ReplicateError::Plan("the replica holds no history".into()));
    };
    let snapshots: Vec<&Listed> = history
        .levels
        .get(&SNAPSHOT_LEVEL)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    if snapshots.is_empty() {
        return Err(ReplicateError::Plan(
            "the replica holds no snapshot of this lineage yet".into(),
        ));
    }
    let mut starting: HashMap<u64, Vec<&Listed>> = HashMap::new();
    for (level, listed) in &history.levels {
        if *level == SNAPSHOT_LEVEL {
            continue;
        }
        for l in listed {
            starting.entry(l.key.min_txid).or_default().push(l);
        }
    }
    // Candidate end points, newest first: (txid, ts).
    let mut ends: Vec<(u64, u64)> = history
        .all()
        .map(|l| (l.key.max_txid, l.key.ts_ms))
        .filter(|(txid, ts)| match target {
            Target::Latest => true,
            Target::Txid(n) => *txid == n,
            Target::Time(t) => *ts <= t,
        })
        .collect();
    ends.sort_unstable_by(|a, b| b.cmp(a));
    ends.dedup_by_key(|e| e.0);
    for (end, _) in &ends {
        if let Some(plan) = chain(lineage, &snapshots, &starting, *end) {
            return Ok(plan);
        }
    }
    Err(ReplicateError::Plan(match target {
        Target::Txid(n) => {
            let reachable: Vec<u64> = history
                .all()
                .map(|l| l.key.max_txid)
                .filter(|t| chain(lineage, &snapshots, &starting, *t).is_some())
                .collect();
            let below = reachable.iter().filter(|t| **t < n).max();
            let above = reachable.iter().filter(|t| **t > n).min();
            format!(
                "TXID {n} cannot be restored exactly from this replica (nearest: {}, {})",
                below.map_or("none before".into(), |t| format!("{t} before")),
                above.map_or("none after".into(), |t| format!("{t} after")),
            )
        }
        Target::Time(_) => "the replica holds no state from that time or before".into(),
        Target::Latest => "the replica's history has a gap after its newest snapshot".into(),
    }))
}

fn chain(
    lineage: Lineage,
    snapshots: &[&Listed],
    starting: &HashMap<u64, Vec<&Listed>>,
    end: u64,
) -> Option<Plan> {
    let snapshot = snapshots
        .iter()
        .filter(|s| s.key.max_txid <= end)
        .max_by_key(|s| (s.key.max_txid, s.key.ts_ms))?;
    let mut steps = vec![(*snapshot).clone()];
    let mut ts = snapshot.key.ts_ms;
    let mut next = snapshot.key.max_txid + 1;
    while next <= end {
        let step = starting
            .get(&next)?
            .iter()
            .filter(|l| l.key.max_txid <= end)
            .max_by_key(|l| (l.key.max_txid, l.key.level))?;
        ts = step.key.ts_ms;
        next = step.key.max_txid + 1;
        steps.push((*step).clone());
    }
    Some(Plan {
        lineage,
        steps,
        txid: end,
        ts_ms: ts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SegmentKey;

    fn seg(level: u32, min: u64, max: u64, ts: u64) -> Listed {
        Listed {
            key: SegmentKey {
                level,
                min_txid: min,
                max_txid: max,
                ts_ms: ts,
            },
            size: 1,
        }
    }

    fn history(segs: Vec<Listed>) -> History {
        let mut h = History {
            lineage: Some(Lineage([1; 16])),
            levels: BTreeMap::new(),
        };
        for s in segs {
            h.levels.entry(s.key.level).or_default().push(s);
        }
        h
    }

    #[test]
    fn fewest_objects_and_never_a_gap() -> Result<()> {
        let h = history(vec![
            seg(9, 1, 1, 10),
            seg(0, 2, 2, 20),
            seg(0, 3, 3, 30),
            seg(0, 4, 4, 40),
            seg(1, 2, 4, 40),
            seg(0, 6, 6, 60),
        ]);
        let p = plan(&h, Target::Latest)?;
        // 5 is missing: the newest reachable point is 4, through the level-1 segment.
        assert_eq!(p.txid, 4);
        assert_eq!(p.steps.len(), 2);
        let p = plan(&h, Target::Txid(3))?;
        assert_eq!(p.steps.len(), 3);
        let p = plan(&h, Target::Time(35))?;
        assert_eq!((p.txid, p.ts_ms), (3, 30));
        assert!(plan(&h, Target::Time(5)).is_err());
        let err = match plan(&h, Target::Txid(6)) {
            Ok(p) => panic!("planned {p:?}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("4 before"), "{err}");
        Ok(())
    }

    #[test]
    fn a_snapshot_bridges_a_lost_position() -> Result<()> {
        let h = history(vec![
            seg(9, 1, 1, 10),
            seg(0, 2, 2, 20),
            seg(9, 4, 4, 40),
            seg(0, 5, 5, 50),
        ]);
        let p = plan(&h, Target::Latest)?;
        assert_eq!((p.txid, p.steps.len()), (5, 2));
        assert_eq!(plan(&h, Target::Time(30))?.txid, 2);
        Ok(())
    }
}

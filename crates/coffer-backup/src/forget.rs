//! Retention: which snapshots to keep (restic's keep-* rules, per host and paths),
//! forgetting the others, with a dry run that shows what would go.

use rustic_core::jiff::Zoned;
use rustic_core::{ForgetGroups, Grouped, KeepOptions, SnapshotGroupCriterion};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};
use crate::snapshots::SnapshotInfo;

/// How many snapshots to keep, by restic's rules: the last N, and the last one of
/// each of the last N hours, days, weeks, months and years. Applied per group of
/// snapshots with the same host and paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeepPolicy {
    /// Keep the last N snapshots.
    pub last: Option<u32>,
    /// Keep the last snapshot of each of the last N hours.
    pub hourly: Option<u32>,
    /// … days.
    pub daily: Option<u32>,
    /// … weeks.
    pub weekly: Option<u32>,
    /// … months.
    pub monthly: Option<u32>,
    /// … years.
    pub yearly: Option<u32>,
}

impl KeepPolicy {
    /// Whether any rule is set (forget refuses an empty policy: it would drop all).
    pub fn is_set(&self) -> bool {
        [
            self.last,
            self.hourly,
            self.daily,
            self.weekly,
            self.monthly,
            self.yearly,
        ]
        .iter()
        .any(Option::is_some)
    }

    fn to_rustic(self) -> KeepOptions {
        let n = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
        let mut keep = KeepOptions::default();
        keep.keep_last = n(self.last);
        keep.keep_hourly = n(self.hourly);
        keep.keep_daily = n(self.daily);
        keep.keep_weekly = n(self.weekly);
        keep.keep_monthly = n(self.monthly);
        keep.keep_yearly = n(self.yearly);
        keep
    }
}

/// One snapshot's fate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The snapshot.
    pub snapshot: SnapshotInfo,
    /// Whether it is kept.
    pub keep: bool,
    /// Why (`last`, `daily`…), as rustic gives it.
    pub reasons: Vec<String>,
}

/// What forget did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForgetOutcome {
    /// Every snapshot with its fate, newest first within each group.
    pub decisions: Vec<Decision>,
    /// How many snapshots were (or would be) removed.
    pub removed: usize,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl Repo {
    /// Applies `policy`; removes the snapshots it does not keep unless `dry_run`.
    /// Removing takes restic's exclusive lock and is refused on an append-only host.
    pub async fn forget(&self, policy: KeepPolicy, dry_run: bool) -> Result<ForgetOutcome> {
        if !policy.is_set() {
            return Err(Error::invalid(
                "keep",
                "give at least one --keep-* rule; with none, every snapshot would go",
            ));
        }
        if !dry_run {
            self.deny_if_append_only("forget")?;
        }
        let repo = self.clone();
        blocking(move || {
            let lock = if dry_run {
                None
            } else {
                Some(repo.lock_blocking(true)?)
            };
            let snaps = repo.inner.get_all_snapshots().map_err(Error::from_rustic)?;
            let mut criterion = SnapshotGroupCriterion::default();
            criterion.hostname = true;
            criterion.paths = true;
            criterion.label = true;
            criterion.tags = false;
            let grouped = Grouped::from_items(snaps, criterion);
            let groups = ForgetGroups::from_grouped_snapshots_with_retention(
                grouped,
                &policy.to_rustic(),
                &Zoned::now(),
            )
            .map_err(Error::from_rustic)?;
            let mut decisions = Vec::new();
            for group in &groups.0 {
                for item in &group.items {
                    decisions.push(Decision {
                        snapshot: SnapshotInfo::from(&item.snapshot),
                        keep: item.keep,
                        reasons: item.reasons.clone(),
                    });
                }
            }
            let ids = groups.into_forget_ids();
            let removed = ids.len();
            if !dry_run && !ids.is_empty() {
                repo.inner
                    .delete_snapshots(&ids)
                    .map_err(Error::from_rustic)?;
            }
            if let Some(lock) = lock {
                lock.release();
            }
            Ok(ForgetOutcome {
                decisions,
                removed,
                dry_run,
            })
        })
        .await
    }
}

//! The cost preview: requests per hour and month, bytes, and an approximate monthly
//! bill per provider, from the sync interval and the measured write rate, before a
//! job is enabled.
//!
//! Prices are list prices (USD) of each provider's standard class, as published in
//! 2025; they are estimates, not quotes: free tiers, regions and egress are left out.

use std::time::Duration;

use crate::measure::WriteRate;
use crate::retain::Retention;

/// What the preview is computed from.
#[derive(Debug, Clone, Copy)]
pub struct CostInput {
    /// The write rate (measured, or assumed).
    pub rate: WriteRate,
    /// The sync interval.
    pub interval: Duration,
    /// The database's size in bytes.
    pub db_bytes: u64,
    /// How many replicas.
    pub replicas: u32,
    /// Snapshot interval.
    pub snapshot_every: Duration,
    /// Compaction intervals (level 1, level 2).
    pub compact_every: [Duration; 2],
    /// Retention.
    pub retention: Retention,
}

/// Requests by type.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct RequestCounts {
    /// PUTs (and upload parts).
    pub put: f64,
    /// LISTs.
    pub list: f64,
    /// GETs.
    pub get: f64,
    /// Batch deletes.
    pub delete: f64,
}

impl RequestCounts {
    fn scaled(self, k: f64) -> RequestCounts {
        RequestCounts {
            put: self.put * k,
            list: self.list * k,
            get: self.get * k,
            delete: self.delete * k,
        }
    }

    /// Every request.
    pub fn total(&self) -> f64 {
        self.put + self.list + self.get + self.delete
    }
}

/// One provider's estimate.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ProviderCost {
    /// The provider.
    pub provider: String,
    /// Requests per month, USD.
    pub requests_usd: f64,
    /// Storage per month, USD.
    pub storage_usd: f64,
    /// Both.
    pub total_usd: f64,
}

/// The preview.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct CostPreview {
    /// The write rate it assumes.
    pub rate: WriteRate,
    /// Requests per hour while the database is written at that rate (all replicas).
    pub per_hour: RequestCounts,
    /// Requests per hour while it is idle: none (a `stat` of the log, no request).
    pub idle_per_hour: RequestCounts,
    /// Requests per month (730 h) at that rate.
    pub per_month: RequestCounts,
    /// Bytes uploaded per month.
    pub uploaded_bytes_month: f64,
    /// Bytes kept in each replica, roughly.
    pub stored_bytes: f64,
    /// The estimate per provider.
    pub providers: Vec<ProviderCost>,
}

const HOURS_PER_MONTH: f64 = 730.0;
/// zstd level 1 on SQLite pages, a conservative ratio.
const COMPRESSION: f64 = 0.5;
const GB: f64 = 1e9;

/// Computes the preview.
pub fn preview(input: &CostInput) -> CostPreview {
    let secs = |d: Duration| d.as_secs_f64().max(0.001);
    let writing = input.rate.commits_per_s > 0.0;
    // One PUT per sync that found commits.
    let syncs = if writing {
        (3600.0 / secs(input.interval)).min(input.rate.commits_per_s * 3600.0)
    } else {
        0.0
    };
    let l1 = if writing {
        3600.0 / secs(input.compact_every[0])
    } else {
        0.0
    };
    let l2 = if writing {
        3600.0 / secs(input.compact_every[1])
    } else {
        0.0
    };
    let snapshots = if writing {
        3600.0 / secs(input.snapshot_every)
    } else {
        0.0
    };
    let snapshot_parts = (input.db_bytes as f64 * COMPRESSION / (32.0 * 1024.0 * 1024.0))
        .ceil()
        .max(1.0);
    // Each compaction: 2 LISTs, a GET per segment merged, a PUT; then retention:
    // 4 LISTs and a batch delete.
    let one = RequestCounts {
        put: syncs + l1 + l2 + snapshots * snapshot_parts,
        list: (l1 + l2) * (2.0 + 4.0) + snapshots * 4.0,
        // Level 1 reads each shipped segment once, level 2 each level-1 segment.
        get: syncs + if l2 > 0.0 { l1 } else { 0.0 },
        delete: l1 + l2,
    };
    let per_hour = one.scaled(f64::from(input.replicas));
    let per_month = per_hour.scaled(HOURS_PER_MONTH);
    let page_bytes_hour = input.rate.bytes_per_s * 3600.0 * COMPRESSION;
    let db = input.db_bytes as f64 * COMPRESSION;
    // A compaction merges pages written again and again: a level-1 segment holds at
    // most the database, and so does a level-2 one.
    let per_l1 = (page_bytes_hour / l1.max(1e-9)).min(db.max(1.0));
    let per_l2 = (page_bytes_hour / l2.max(1e-9)).min(db.max(1.0));
    let uploaded_hour = if writing {
        page_bytes_hour + per_l1 * l1 + per_l2 * l2 + snapshots * db
    } else {
        0.0
    };
    let uploaded_bytes_month = uploaded_hour * HOURS_PER_MONTH * f64::from(input.replicas);
    let kept_snapshots = (secs(input.retention.retain) / secs(input.snapshot_every)).ceil() + 1.0;
    let hours = |d: Duration| secs(d) / 3600.0;
    let history = if writing {
        page_bytes_hour * hours(input.retention.level0)
            + per_l1 * l1 * hours(input.retention.level1)
            + per_l2 * l2 * hours(input.retention.retain)
    } else {
        0.0
    };
    let stored_bytes = kept_snapshots * db + history;
    let stored_gb = stored_bytes * f64::from(input.replicas) / GB;
    let m = per_month;
    let providers = vec![
        provider(
            "Amazon S3 Standard",
            (m.put + m.list) * 0.005 / 1e3 + m.get * 0.0004 / 1e3,
            stored_gb * 0.023,
        ),
        provider(
            "Cloudflare R2",
            (m.put + m.list) * 4.50 / 1e6 + m.get * 0.36 / 1e6,
            stored_gb * 0.015,
        ),
        provider(
            "Backblaze B2",
            m.get * 0.004 / 1e4 + m.list * 0.004 / 1e3,
            stored_gb * 0.006,
        ),
    ];
    CostPreview {
        rate: input.rate,
        per_hour,
        idle_per_hour: RequestCounts::default(),
        per_month,
        uploaded_bytes_month,
        stored_bytes,
        providers,
    }
}

fn provider(name: &str, requests_usd: f64, storage_usd: f64) -> ProviderCost {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    ProviderCost {
        provider: name.into(),
        requests_usd: round(requests_usd),
        storage_usd: round(storage_usd),
        total_usd: round(requests_usd + storage_usd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(commits_per_s: f64) -> CostInput {
        CostInput {
            rate: WriteRate {
                commits_per_s,
                bytes_per_s: commits_per_s * 8192.0,
                window_ms: 5000,
            },
            interval: Duration::from_secs(1),
            db_bytes: 100 << 20,
            replicas: 1,
            snapshot_every: Duration::from_secs(86400),
            compact_every: [Duration::from_secs(300), Duration::from_secs(3600)],
            retention: Retention::default(),
        }
    }

    #[test]
    fn idle_costs_no_request_and_a_busy_one_second_sync_is_about_13_dollars_on_s3() {
        let idle = preview(&input(0.0));
        assert_eq!(idle.per_hour.total(), 0.0);
        let busy = preview(&input(50.0));
        // 3,600 PUTs an hour: Litestream's users counted about $13 a month (#261).
        assert!(
            (busy.per_hour.put - 3600.0).abs() < 200.0,
            "{:?}",
            busy.per_hour
        );
        let s3 = &busy.providers[0];
        assert!(s3.requests_usd > 12.0 && s3.requests_usd < 15.0, "{s3:?}");
        // A slow writer: one PUT per commit, not per second.
        let slow = preview(&input(0.01));
        assert!(slow.per_hour.put < 100.0, "{:?}", slow.per_hour);
    }
}

//! One pass of a mirror.

use std::collections::HashMap;
use std::path::Path;

use coffer_core::meta::MetaDbExt;
use coffer_core::transfer::Tracker;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::copy::{copy_entry, stamp, trash};
use super::scan::{Entry, scan};
use super::{Mirror, Recorded, STATE_TREE, Side, is_md5, state_key};
use crate::error::{ReplicateError, Result};

/// What a pass did.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct PassReport {
    /// Entries copied.
    pub copied: u64,
    /// Bytes copied.
    pub bytes: u64,
    /// Entries found the same.
    pub unchanged: u64,
    /// Extras moved to the trash and removed.
    pub trashed: u64,
    /// Entries left out, and why (a symbolic link, a key no file name can hold...).
    pub skipped: Vec<(String, String)>,
    /// Entries that failed, and why.
    pub failed: Vec<(String, String)>,
}

fn md5_of(path: &Path) -> std::io::Result<String> {
    use md5::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = md5::Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The MD5 of a local side's file `rel`, when the side is local.
async fn local_md5(side: &Side, rel: &str) -> Option<String> {
    let Side::Local(root) = side else { return None };
    let path = coffer_core::transfer::local_path_for_key(root, rel).ok()?;
    tokio::task::spawn_blocking(move || md5_of(&path).ok())
        .await
        .ok()
        .flatten()
}

/// Whether `rel` needs no copy.
async fn unchanged(
    m: &Mirror,
    rel: &str,
    s: &Entry,
    d: &Entry,
    rec: Option<&Recorded>,
) -> (bool, Option<String>) {
    if m.checksum {
        let src_sum = match &m.src {
            Side::Local(_) => local_md5(&m.src, rel).await,
            Side::Bucket { .. } => s.etag.clone(),
        };
        let dst_sum = match &m.dst {
            Side::Local(_) => local_md5(&m.dst, rel).await,
            Side::Bucket { .. } => d.etag.clone(),
        };
        let comparable = is_md5(&src_sum) && is_md5(&dst_sum);
        let same = if comparable {
            src_sum == dst_sum
        } else {
            // A multipart ETag is not an MD5: trust what the last copy recorded.
            rec.is_some_and(|r| {
                r.src_etag == src_sum
                    && r.dst_size == d.size
                    && (d.etag.is_none() || r.dst_etag == d.etag)
            })
        };
        return (same && s.size == d.size, src_sum);
    }
    let same = match rec {
        Some(r) => {
            r.src_size == s.size
                && r.src_mtime_ms == s.mtime_ms
                && r.dst_size == d.size
                && match (&r.dst_etag, &d.etag) {
                    (Some(a), Some(b)) => a == b,
                    _ => r.dst_mtime_ms == d.mtime_ms,
                }
        }
        None => s.size == d.size && d.mtime_ms >= s.mtime_ms,
    };
    (same, s.etag.clone())
}

/// Runs one pass of `m`: copies what changed, then (with `delete`) moves the
/// destination's extras to the trash. An entry that fails is reported and the pass
/// goes on; a cancelled pass stops between entries, and what it copied is recorded.
pub async fn run_pass(
    m: &Mirror,
    tracker: &Tracker,
    cancel: &CancellationToken,
) -> Result<PassReport> {
    let (src, dst) = tokio::try_join!(scan(&m.src), scan(&m.dst))?;
    let prefix = state_key(&m.name, "");
    let recorded: HashMap<String, Recorded> =
        m.db.scan_json::<Recorded>(STATE_TREE, &prefix)?
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|r| (r.to_string(), v)))
            .collect();
    let mut report = PassReport {
        skipped: src.skipped.clone(),
        ..PassReport::default()
    };
    let mut todo = Vec::new();
    for (rel, s) in &src.entries {
        if let Some(d) = dst.entries.get(rel) {
            let (same, src_sum) = unchanged(m, rel, s, d, recorded.get(rel)).await;
            if same {
                report.unchanged += 1;
                if !recorded.contains_key(rel) {
                    record(m, rel, s, src_sum, d)?;
                }
                continue;
            }
        }
        todo.push((rel.clone(), s.clone()));
    }
    tracker.add_total(todo.iter().map(|(_, s)| s.size).sum(), 0);
    let results: Vec<(String, u64, Result<()>)> = futures::stream::iter(todo)
        .map(|(rel, s)| async move {
            if cancel.is_cancelled() {
                return (rel, 0, Err(ReplicateError::Cancelled));
            }
            let src_sum = if m.checksum {
                local_md5(&m.src, &rel).await.or(s.etag.clone())
            } else {
                s.etag.clone()
            };
            let done = match copy_entry(m, &rel, &s, tracker).await {
                Ok(d) => record(m, &rel, &s, src_sum, &d),
                Err(e) => Err(e),
            };
            (rel, s.size, done)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut cancelled = false;
    for (rel, size, done) in results {
        match done {
            Ok(()) => {
                report.copied += 1;
                report.bytes += size;
            }
            Err(ReplicateError::Cancelled) => cancelled = true,
            Err(ReplicateError::Store(e)) if e.code() == "cancelled" => cancelled = true,
            Err(e) => report.failed.push((rel, e.to_string())),
        }
    }
    if cancelled {
        return Err(ReplicateError::Cancelled);
    }
    if m.delete {
        let stamp = stamp();
        for rel in dst.entries.keys().filter(|r| !src.entries.contains_key(*r)) {
            if cancel.is_cancelled() {
                return Err(ReplicateError::Cancelled);
            }
            match trash(m, rel, &stamp, tracker).await {
                Ok(()) => {
                    report.trashed += 1;
                    m.db.delete(STATE_TREE, state_key(&m.name, rel).as_bytes())?;
                }
                Err(e) => report
                    .failed
                    .push((rel.clone(), format!("could not move it to the trash: {e}"))),
            }
        }
    }
    Ok(report)
}

/// Records that `rel` is at the destination as `d`, from the source's `s`.
pub(crate) fn record(
    m: &Mirror,
    rel: &str,
    s: &Entry,
    src_sum: Option<String>,
    d: &Entry,
) -> Result<()> {
    let rec = Recorded {
        src_size: s.size,
        src_mtime_ms: s.mtime_ms,
        src_etag: src_sum,
        dst_size: d.size,
        dst_etag: d.etag.clone(),
        dst_mtime_ms: d.mtime_ms,
    };
    m.db.put_json(STATE_TREE, &state_key(&m.name, rel), &rec)?;
    Ok(())
}

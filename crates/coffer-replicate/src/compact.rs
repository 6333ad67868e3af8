//! Compaction: the segments of one level merged into fewer, larger ones a level up,
//! so that a restore fetches a few dozen objects, not one per second of history.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::error::{ReplicateError, Result};
use crate::key::{Lineage, SegmentKey};
use crate::replica::{Listed, Replica};
use crate::segment::{self, SegmentHeader, SegmentReader};

/// What a compaction made.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Compacted {
    /// The segments written at the level.
    pub written: usize,
    /// The segments they merge.
    pub merged: usize,
    /// Bytes uploaded.
    pub bytes: u64,
}

/// Merges the segments of `level - 1` newer than `level`'s newest into `level`: one
/// new segment per run of consecutive TXIDs (a TXID held only by a snapshot breaks a
/// run). Two LISTs, one GET per merged segment, one PUT per run. Inputs are deleted
/// later, by retention.
pub async fn compact(
    replica: &Replica,
    lineage: &Lineage,
    level: u32,
    spool: &Path,
) -> Result<Compacted> {
    if level == 0 {
        return Err(ReplicateError::Invalid(
            "level 0 is not made by compaction".into(),
        ));
    }
    let done = replica.list_level(lineage, level).await?;
    let floor = done.iter().map(|l| l.key.max_txid).max().unwrap_or(0);
    let inputs: Vec<Listed> = replica
        .list_level(lineage, level - 1)
        .await?
        .into_iter()
        .filter(|l| l.key.min_txid > floor)
        .collect();
    let mut report = Compacted::default();
    for run in runs(inputs) {
        let made = merge_run(replica, lineage, level, &run, spool).await?;
        report.written += 1;
        report.merged += run.len();
        report.bytes += made;
    }
    Ok(report)
}

/// Splits segments (in TXID order) into runs of consecutive TXIDs.
fn runs(inputs: Vec<Listed>) -> Vec<Vec<Listed>> {
    let mut out: Vec<Vec<Listed>> = Vec::new();
    for l in inputs {
        match out.last_mut() {
            Some(run)
                if run
                    .last()
                    .is_some_and(|p| p.key.max_txid + 1 == l.key.min_txid) =>
            {
                run.push(l);
            }
            _ => out.push(vec![l]),
        }
    }
    out
}

async fn merge_run(
    replica: &Replica,
    lineage: &Lineage,
    level: u32,
    run: &[Listed],
    spool: &Path,
) -> Result<u64> {
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return Ok(0);
    };
    let mut files = Vec::new();
    let cleanup = |files: &[PathBuf]| {
        for f in files {
            let _ = std::fs::remove_file(f);
        }
    };
    for (i, step) in run.iter().enumerate() {
        let path = spool.join(format!(
            "{lineage}-compact-{level}-{i}-{:08x}.in",
            rand::random::<u32>()
        ));
        files.push(path.clone());
        if let Err(e) = fetch(replica, lineage, step, &path).await {
            cleanup(&files);
            return Err(e);
        }
    }
    let key = SegmentKey {
        level,
        min_txid: first.key.min_txid,
        max_txid: last.key.max_txid,
        ts_ms: last.key.ts_ms,
    };
    let out = spool.join(format!("{lineage}-{}-{level}.out", key.file_name()));
    let keys: Vec<String> = run.iter().map(|s| replica.key(lineage, &s.key)).collect();
    let inputs = files.clone();
    let out_path = out.clone();
    let lineage_bytes = lineage.0;
    let merged = tokio::task::spawn_blocking(move || {
        merge_files(&inputs, &keys, &out_path, key, lineage_bytes)
    })
    .await
    .map_err(|e| ReplicateError::Plan(format!("compaction failed: {e}")));
    cleanup(&files);
    let size = match merged {
        Ok(Ok(size)) => size,
        Ok(Err(e)) | Err(e) => {
            let _ = std::fs::remove_file(&out);
            return Err(e);
        }
    };
    let put = replica.put_segment(lineage, &key, &out).await;
    let _ = std::fs::remove_file(&out);
    put?;
    tracing::debug!(replica = %replica.name, level, min = key.min_txid, max = key.max_txid, inputs = run.len(), "compacted");
    Ok(size)
}

async fn fetch(replica: &Replica, lineage: &Lineage, step: &Listed, path: &Path) -> Result<()> {
    let mut object = replica.get_segment(lineage, &step.key, None).await?;
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| ReplicateError::io(path, e))?;
    while let Some(chunk) = object.body.next().await {
        file.write_all(&chunk?)
            .await
            .map_err(|e| ReplicateError::io(path, e))?;
    }
    file.flush().await.map_err(|e| ReplicateError::io(path, e))
}

/// A k-way merge by page number: each page from the newest input holding it, unless
/// a later input truncated the database below it. Memory: one page per input.
fn merge_files(
    inputs: &[PathBuf],
    keys: &[String],
    out: &Path,
    key: SegmentKey,
    lineage: [u8; 16],
) -> Result<u64> {
    let mut readers = Vec::new();
    for (path, name) in inputs.iter().zip(keys) {
        let file = File::open(path).map_err(|e| ReplicateError::io(path, e))?;
        readers.push(SegmentReader::new(
            BufReader::with_capacity(256 << 10, file),
            name,
        )?);
    }
    let headers: Vec<SegmentHeader> = readers.iter().map(|r| r.header().clone()).collect();
    let (Some(first), Some(last)) = (headers.first(), headers.last()) else {
        return Ok(0);
    };
    let page_size = first.page_size;
    if headers
        .iter()
        .any(|h| h.page_size != page_size || h.lineage != lineage)
    {
        return Err(ReplicateError::Corrupt {
            key: keys.join(", "),
            reason: "segments of one run differ in page size or lineage".into(),
        });
    }
    // The smallest database size from each input on: a page above it was truncated
    // away after that input.
    let mut floor = vec![0u32; headers.len()];
    let mut min = u32::MAX;
    for (i, h) in headers.iter().enumerate().rev() {
        min = min.min(h.db_pages);
        floor[i] = min;
    }
    let header = SegmentHeader {
        snapshot: false,
        page_size,
        level: key.level,
        db_pages: last.db_pages,
        page_count: 0,
        min_txid: key.min_txid,
        max_txid: key.max_txid,
        ts_ms: key.ts_ms,
        lineage,
        position: last.position,
    };
    let io = |e| ReplicateError::io(out, e);
    let mut writer = segment::create_file(out, header).map_err(io)?;
    let mut bufs: Vec<Vec<u8>> = vec![vec![0u8; page_size as usize]; readers.len()];
    let mut heads: Vec<Option<u32>> = Vec::with_capacity(readers.len());
    for (r, buf) in readers.iter_mut().zip(bufs.iter_mut()) {
        heads.push(r.next_page(buf)?);
    }
    while let Some(page) = heads.iter().flatten().min().copied() {
        let newest = (0..readers.len()).rev().find(|i| heads[*i] == Some(page));
        if let Some(i) = newest
            && page <= floor[i]
        {
            writer.add(page, &bufs[i]).map_err(io)?;
        }
        for i in 0..readers.len() {
            if heads[i] == Some(page) {
                heads[i] = readers[i].next_page(&mut bufs[i])?;
            }
        }
    }
    let checksum = readers.last().and_then(SegmentReader::db_checksum);
    let (_, size) = segment::finish_file(writer, checksum).map_err(io)?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_break_at_gaps() {
        let l = |min, max| Listed {
            key: SegmentKey {
                level: 0,
                min_txid: min,
                max_txid: max,
                ts_ms: 0,
            },
            size: 0,
        };
        let r = runs(vec![l(2, 2), l(3, 4), l(6, 6), l(7, 7)]);
        assert_eq!(r.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2]);
    }
}

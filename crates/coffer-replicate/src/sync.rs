//! Sync: ship what was committed since the last sync as one level-0 segment.

use std::time::SystemTime;

use crate::error::{ReplicateError, Result};
use crate::key::SegmentKey;
use crate::segment::{self, SegmentHeader};
use crate::shipper::{Generation, Made, Shipper};
use crate::wal::{self, Cursor};

/// Whether the shipper can go on in the log as it is now.
enum Follow {
    Go,
    Lost(String),
}

impl Shipper {
    /// Ships the transactions committed since the last sync (one level-0 segment), or
    /// makes a snapshot when one is needed (the position was lost). Costs a `stat` of the log and nothing else
    /// while the database is idle.
    pub fn sync(&mut self) -> Result<Vec<Made>> {
        if !self.needs_snapshot {
            let made = self.sync_frames()?;
            if !self.needs_snapshot {
                return Ok(made.into_iter().collect());
            }
        }
        self.snapshot()
    }

    /// Ships the committed frames (never a snapshot: when the position is lost, it
    /// only marks a snapshot as needed).
    pub(crate) fn sync_frames(&mut self) -> Result<Option<Made>> {
        let stat = match std::fs::metadata(self.db.wal_path()) {
            Ok(m) => (m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0, SystemTime::UNIX_EPOCH),
            Err(e) => return Err(ReplicateError::io(self.db.wal_path(), e)),
        };
        if self.idle_stat == Some(stat) {
            return Ok(None);
        }
        if let Follow::Lost(reason) = self.follow()? {
            self.lose(reason);
            return Ok(None);
        }
        let Some(from) = self.generation.as_ref().map(|g| g.cursor) else {
            self.idle_stat = Some(stat);
            return Ok(None);
        };
        let made = self.ship_range(from)?;
        if made.is_none() && !self.needs_snapshot {
            self.idle_stat = Some(stat);
        }
        Ok(made)
    }

    /// Marks the position lost: the next segment is a full snapshot.
    pub(crate) fn lose(&mut self, reason: String) {
        tracing::warn!(db = %self.db.path().display(), %reason, "a snapshot is needed");
        self.needs_snapshot = true;
        self.snapshot_reason = Some(reason);
        self.sums = None;
    }

    /// Compares the log's header with the generation followed.
    fn follow(&mut self) -> Result<Follow> {
        let header = wal::read_header(self.db.wal_path())?;
        match (&self.generation, header) {
            (None, None) => Ok(Follow::Go),
            (None, Some(header)) => {
                // The first log since the shipper started (everything before was in
                // the database file, which the last image covered).
                self.generation = Some(Generation::start(header));
                self.pinned_at = Some(wal::HEADER_SIZE);
                self.checkpointed_at = wal::HEADER_SIZE;
                Ok(Follow::Go)
            }
            (Some(_), None) => Ok(Follow::Lost(
                "the write-ahead log was removed or emptied by another process".into(),
            )),
            (Some(g), Some(header)) if g.header.salts == header.salts => Ok(Follow::Go),
            (Some(g), Some(header)) => {
                // A restart is safe to follow only when the pin was held since it was
                // taken at the end of what was shipped: SQLite then cannot have
                // restarted the log past frames the shipper never saw.
                let continuous = self.db.pinned()
                    && self.pinned_at == Some(g.cursor.offset)
                    && header.salts.0 == g.header.salts.0.wrapping_add(1)
                    && header.page_size == g.header.page_size;
                if continuous {
                    self.generation = Some(Generation::start(header));
                    self.pinned_at = Some(wal::HEADER_SIZE);
                    self.checkpointed_at = wal::HEADER_SIZE;
                    Ok(Follow::Go)
                } else {
                    Ok(Follow::Lost(
                        "the write-ahead log was restarted past frames Coffer had not shipped (was the replicator stopped?)"
                            .into(),
                    ))
                }
            }
        }
    }

    /// Ships the committed frames after `from` in the current generation as the next
    /// level-0 segment; `None` when nothing was committed.
    pub(crate) fn ship_range(&mut self, from: Cursor) -> Result<Option<Made>> {
        let Some(generation) = self.generation.as_ref() else {
            return Ok(None);
        };
        let header = generation.header;
        let wal_path = self.db.wal_path().to_path_buf();
        let committed_at = std::fs::metadata(&wal_path)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| SystemTime::now());
        let scan = wal::scan(&wal_path, &header, from)?;
        let Some(end) = scan.end else {
            return Ok(None);
        };
        let txid = self.txid + 1;
        let key = SegmentKey {
            level: 0,
            min_txid: txid,
            max_txid: txid,
            ts_ms: self.clock.now(),
        };
        let mut next = generation.clone();
        next.cursor = end;
        next.pages.extend(scan.pages.iter().map(|(p, o)| (*p, *o)));
        let seg_header = SegmentHeader {
            snapshot: false,
            page_size: header.page_size,
            level: 0,
            db_pages: scan.db_pages,
            page_count: 0,
            min_txid: txid,
            max_txid: txid,
            ts_ms: key.ts_ms,
            lineage: self.lineage.0,
            position: next.position(),
        };
        let path = self.segment_path(&key);
        let io = |e| ReplicateError::io(&path, e);
        let file = self.db.open_wal()?;
        let mut writer = segment::create_file(&path, seg_header).map_err(io)?;
        let mut sums = self.sums.clone();
        let mut buf = vec![0u8; header.page_size as usize];
        for (&page, &offset) in scan.pages.range(..=scan.db_pages) {
            let ok = wal::read_frame_page(&file, offset, page, header.salts, &mut buf)
                .map_err(|e| ReplicateError::io(&wal_path, e))?;
            if !ok {
                drop(writer);
                let _ = std::fs::remove_file(&path);
                self.lose("a frame changed while it was read: the log was restarted".into());
                return Ok(None);
            }
            let crc = writer.add(page, &buf).map_err(io)?;
            if let Some(s) = sums.as_mut() {
                s.set(page, crc);
            }
        }
        if let Some(s) = sums.as_mut() {
            s.truncate(scan.db_pages);
            if s.crcs.len() != scan.db_pages as usize {
                // The database grew by pages no frame wrote: the checksum is unknown.
                sums = None;
            }
        }
        let (seg_header, size) =
            segment::finish_file(writer, sums.as_ref().map(|s| s.xor)).map_err(io)?;
        self.txid = txid;
        self.generation = Some(next);
        self.sums = sums;
        self.idle_stat = None;
        tracing::debug!(
            db = %self.db.path().display(),
            txid,
            commits = scan.commits,
            pages = seg_header.page_count,
            "shipped"
        );
        Ok(Some(Made {
            lineage: self.lineage,
            key,
            header: seg_header,
            path,
            size,
            commits: scan.commits,
            committed_at,
        }))
    }
}

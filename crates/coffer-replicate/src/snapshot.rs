//! Snapshot: a full image of the database as one segment (level
//! [`SNAPSHOT_LEVEL`](crate::key::SNAPSHOT_LEVEL)).

use std::os::unix::fs::FileExt;
use std::time::SystemTime;

use crate::error::{ReplicateError, Result};
use crate::key::{SNAPSHOT_LEVEL, SegmentKey};
use crate::segment::{self, FileWriter, SegmentHeader};
use crate::shipper::{Generation, Made, PageSums, Shipper};
use crate::wal;

impl Shipper {
    /// Makes a snapshot. Under the write lock it ships what is committed (when the
    /// position still holds) and takes the pin again at the log's end; then, with
    /// writers free to go on, it reads the pinned image: each page from its latest
    /// log frame up to the pin, or from the database file (which no checkpoint can
    /// change past the pin). When the position was lost, the image is the next TXID;
    /// else it is the image at the current TXID.
    pub fn snapshot(&mut self) -> Result<Vec<Made>> {
        let mut made = Vec::new();
        {
            let _lock = self.db.write_lock()?;
            if !self.needs_snapshot {
                made.extend(self.sync_frames()?);
            }
            if self.needs_snapshot {
                self.generation = match wal::read_header(self.db.wal_path())? {
                    Some(header) => {
                        let mut g = Generation::start(header);
                        let scan = wal::scan(self.db.wal_path(), &header, g.cursor)?;
                        if let Some(end) = scan.end {
                            g.cursor = end;
                            g.pages = scan.pages;
                        }
                        Some(g)
                    }
                    None => None,
                };
                self.checkpointed_at = wal::HEADER_SIZE;
            }
            self.db.unpin()?;
            self.db.pin()?;
            self.pinned_at = self.generation.as_ref().map(|g| g.cursor.offset);
        }
        let lost = self.needs_snapshot;
        let txid = if lost || self.txid == 0 {
            self.txid + 1
        } else {
            self.txid
        };
        let ts_ms = self.clock.now();
        let key = SegmentKey {
            level: SNAPSHOT_LEVEL,
            min_txid: txid,
            max_txid: txid,
            ts_ms,
        };
        let pages = self.db.pinned_page_count()?;
        let header = SegmentHeader {
            snapshot: true,
            page_size: self.db.page_size(),
            level: SNAPSHOT_LEVEL,
            db_pages: pages,
            page_count: 0,
            min_txid: txid,
            max_txid: txid,
            ts_ms,
            lineage: self.lineage.0,
            position: self
                .generation
                .as_ref()
                .map(Generation::position)
                .unwrap_or_default(),
        };
        let path = self.segment_path(&key);
        let io = |e| ReplicateError::io(&path, e);
        let mut writer = segment::create_file(&path, header).map_err(io)?;
        let written = self.image(Some(&mut writer));
        let (pages, sums) = match written {
            Ok(v) => v,
            Err(e) => {
                drop(writer);
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
        };
        let (header, size) = segment::finish_file(writer, Some(sums.xor)).map_err(io)?;
        tracing::info!(
            db = %self.db.path().display(),
            txid,
            pages,
            bytes = size,
            reason = self.snapshot_reason.as_deref().unwrap_or("scheduled"),
            "snapshot"
        );
        self.txid = txid;
        self.sums = Some(sums);
        self.needs_snapshot = false;
        self.snapshot_reason = None;
        self.idle_stat = None;
        made.push(Made {
            lineage: self.lineage,
            key,
            header,
            path,
            size,
            commits: 0,
            committed_at: SystemTime::now(),
        });
        Ok(made)
    }

    /// Reads the image the pin sees, page by page, into `writer` if given; returns
    /// the page count and the page checksums.
    pub(crate) fn image(&self, mut writer: Option<&mut FileWriter>) -> Result<(u32, PageSums)> {
        let pages = self.db.pinned_page_count()?;
        let page_size = self.db.page_size();
        if let Some(g) = &self.generation
            && g.header.page_size != page_size
        {
            return Err(ReplicateError::Database(format!(
                "{}: the log's page size ({}) differs from the database's ({page_size})",
                self.db.path().display(),
                g.header.page_size
            )));
        }
        let file = self.db.file();
        let log = match &self.generation {
            Some(_) => Some(self.db.open_wal()?),
            None => None,
        };
        let mut buf = vec![0u8; page_size as usize];
        let mut sums = PageSums::default();
        for page in 1..=pages {
            let mut found = false;
            if let (Some(g), Some(log)) = (&self.generation, &log)
                && let Some(offset) = g.pages.get(&page)
            {
                // A frame that no longer checks means the log was restarted since the
                // pin was taken, which SQLite allows only once every frame up to the
                // pin is in the database file: read it there.
                found = wal::read_frame_page(log, *offset, page, g.header.salts, &mut buf)
                    .map_err(|e| ReplicateError::io(self.db.wal_path(), e))?;
            }
            if !found {
                let at = u64::from(page - 1) * u64::from(page_size);
                file.read_exact_at(&mut buf, at).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        ReplicateError::Database(format!(
                            "{}: page {page} is in neither the database file nor the log",
                            self.db.path().display()
                        ))
                    } else {
                        ReplicateError::io(self.db.path(), e)
                    }
                })?;
            }
            let crc = match writer.as_deref_mut() {
                Some(w) => w
                    .add(page, &buf)
                    .map_err(|e| ReplicateError::io(self.db.path(), e))?,
                None => segment::page_crc(page, &buf),
            };
            sums.set(page, crc);
        }
        Ok((pages, sums))
    }
}

//! [`Shipper`]: turns the local database's committed WAL frames into segment files,
//! in TXID order, and knows where in the log it stands.
//!
//! It is the blocking half of replication (SQLite and local files); the
//! [`Replicator`](crate::Replicator) runs it on a blocking thread and uploads what it
//! makes. Its verbs are in their own files: `sync.rs` (ship what was committed since
//! the last sync), `checkpoint.rs` (a PASSIVE checkpoint under the write lock) and
//! `snapshot.rs` (a full image).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::clock::MonotonicClock;
use crate::database::Database;
use crate::error::{ReplicateError, Result};
use crate::key::{Lineage, SegmentKey};
use crate::segment::{SegmentHeader, WalPosition};
use crate::wal::{self, Cursor, WalHeader};

/// Where a replica's history ends, read from its newest segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// The lineage.
    pub lineage: Lineage,
    /// The newest TXID.
    pub txid: u64,
    /// Its timestamp (the clock never goes below it).
    pub ts_ms: u64,
    /// Where in the WAL it ended; `None` when the replicas disagree (a snapshot is
    /// made).
    pub position: Option<WalPosition>,
    /// The database's page size then.
    pub page_size: u32,
}

/// A segment file the shipper made, waiting to be uploaded.
#[derive(Debug, Clone)]
pub struct Made {
    /// The lineage it belongs to.
    pub lineage: Lineage,
    /// Its key.
    pub key: SegmentKey,
    /// Its header.
    pub header: SegmentHeader,
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// Transactions it holds (0 for a snapshot).
    pub commits: u64,
    /// When the newest of them reached the log (the log's modification time).
    pub committed_at: SystemTime,
}

/// The log generation the shipper follows (a checkpoint that copies every frame lets
/// the next writer restart the log with new salts: a new generation).
#[derive(Debug, Clone)]
pub(crate) struct Generation {
    pub(crate) header: WalHeader,
    /// Where the next scan starts: after the last shipped commit.
    pub(crate) cursor: Cursor,
    /// The latest committed frame of each page up to `cursor`: page → frame offset.
    pub(crate) pages: BTreeMap<u32, u64>,
}

impl Generation {
    pub(crate) fn start(header: WalHeader) -> Generation {
        Generation {
            header,
            cursor: Cursor {
                offset: wal::HEADER_SIZE,
                checksum: header.checksum,
            },
            pages: BTreeMap::new(),
        }
    }

    pub(crate) fn position(&self) -> WalPosition {
        WalPosition {
            salts: self.header.salts,
            offset: self.cursor.offset,
            checksum: self.cursor.checksum,
            checkpoint_seq: self.header.checkpoint_seq,
        }
    }
}

/// The database's checksum, kept page by page: the CRC-64 of each page.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageSums {
    pub(crate) crcs: Vec<u64>,
    pub(crate) xor: u64,
}

impl PageSums {
    pub(crate) fn set(&mut self, page: u32, crc: u64) {
        let i = page as usize - 1;
        if self.crcs.len() <= i {
            self.crcs.resize(i + 1, 0);
        }
        self.xor ^= self.crcs[i] ^ crc;
        self.crcs[i] = crc;
    }

    pub(crate) fn truncate(&mut self, pages: u32) {
        for crc in self.crcs.drain(pages as usize..) {
            self.xor ^= crc;
        }
    }
}

/// Ships one database.
pub struct Shipper {
    pub(crate) db: Database,
    pub(crate) spool: PathBuf,
    pub(crate) lineage: Lineage,
    pub(crate) txid: u64,
    pub(crate) clock: MonotonicClock,
    pub(crate) generation: Option<Generation>,
    /// The log offset the pin was taken at, under the write lock; `None` once the
    /// pin was lost.
    pub(crate) pinned_at: Option<u64>,
    /// The page checksums at `txid`, when known.
    pub(crate) sums: Option<PageSums>,
    /// The log's size and time at the last sync that found nothing new.
    pub(crate) idle_stat: Option<(u64, SystemTime)>,
    pub(crate) needs_snapshot: bool,
    /// The log offset of the last checkpoint in the current generation.
    pub(crate) checkpointed_at: u64,
    /// Why the last snapshot was needed, for the status.
    pub(crate) snapshot_reason: Option<String>,
}

impl std::fmt::Debug for Shipper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shipper")
            .field("db", &self.db)
            .field("lineage", &self.lineage.to_string())
            .field("txid", &self.txid)
            .finish_non_exhaustive()
    }
}

impl Shipper {
    /// Opens `db` and decides where to go on from: `resume` (the replicas' newest
    /// position) when the local log still goes on from it, else a full snapshot as the
    /// next TXID. Segment files are written in `spool`. Returns the shipper and the
    /// segments made while starting (the frames committed since `resume`, or the
    /// snapshot).
    pub fn start(db: &Path, spool: &Path, resume: Option<Resume>) -> Result<(Shipper, Vec<Made>)> {
        std::fs::create_dir_all(spool).map_err(|e| ReplicateError::io(spool, e))?;
        let database = Database::open(db)?;
        let clock = MonotonicClock::new(resume.as_ref().map_or(0, |r| r.ts_ms));
        let page_size = database.page_size();
        let (lineage, txid) = match &resume {
            Some(r) if r.page_size == page_size => (r.lineage, r.txid),
            Some(r) => {
                tracing::info!(
                    db = %db.display(),
                    old = r.page_size,
                    new = page_size,
                    "the page size changed: a new lineage"
                );
                (Lineage::new(clock.peek()), 0)
            }
            None => (Lineage::new(clock.peek()), 0),
        };
        let mut shipper = Shipper {
            db: database,
            spool: spool.to_path_buf(),
            lineage,
            txid,
            clock,
            generation: None,
            pinned_at: None,
            sums: None,
            idle_stat: None,
            needs_snapshot: true,
            checkpointed_at: wal::HEADER_SIZE,
            snapshot_reason: Some(if resume.is_some() {
                "the local log no longer goes on from the replica's position".into()
            } else {
                "the replica holds no history of this database".into()
            }),
        };
        let resumed = {
            let _lock = shipper.db.write_lock()?;
            let header = wal::read_header(shipper.db.wal_path())?;
            let mut resumed = None;
            if let Some(header) = header {
                let full = wal::scan(
                    shipper.db.wal_path(),
                    &header,
                    Generation::start(header).cursor,
                )?;
                let mut generation = Generation::start(header);
                if let Some(end) = full.end {
                    generation.cursor = end;
                    generation.pages = full.pages;
                }
                if let Some(r) = resume.as_ref().filter(|r| r.page_size == page_size) {
                    resumed = shipper.resume_point(&header, &generation, r)?;
                }
                shipper.generation = Some(generation);
            }
            shipper.db.unpin()?;
            shipper.db.pin()?;
            shipper.pinned_at = shipper.generation.as_ref().map(|g| g.cursor.offset);
            resumed
        };
        let mut made = Vec::new();
        match resumed {
            Some(from) => {
                // The replica's history goes on: learn the page checksums at the log's
                // end, then ship what was committed since the replica's position.
                shipper.needs_snapshot = false;
                shipper.snapshot_reason = None;
                shipper.sums = Some(shipper.image(None)?.1);
                if let Some(m) = shipper.ship_range(from)? {
                    made.push(m);
                }
            }
            None => made.extend(shipper.snapshot()?),
        }
        Ok((shipper, made))
    }

    /// Where to go on from `resume` in `generation`, if the local log still holds it.
    fn resume_point(
        &self,
        header: &WalHeader,
        generation: &Generation,
        resume: &Resume,
    ) -> Result<Option<Cursor>> {
        let Some(p) = &resume.position else {
            return Ok(None);
        };
        if header.salts != p.salts || p.offset > generation.cursor.offset {
            return Ok(None);
        }
        let found = wal::checksum_before(self.db.wal_path(), header, p.offset)?;
        Ok((found == Some(p.checksum)).then_some(Cursor {
            offset: p.offset,
            checksum: p.checksum,
        }))
    }

    /// The lineage being written.
    pub fn lineage(&self) -> Lineage {
        self.lineage
    }

    /// The last TXID made.
    pub fn txid(&self) -> u64 {
        self.txid
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        self.db.path()
    }

    /// Whether the next sync makes a snapshot, and why.
    pub fn snapshot_due(&self) -> Option<&str> {
        if self.needs_snapshot {
            Some(
                self.snapshot_reason
                    .as_deref()
                    .unwrap_or("a snapshot is due"),
            )
        } else {
            None
        }
    }

    /// The log's size on disk (0 when there is none).
    pub fn wal_size(&self) -> u64 {
        std::fs::metadata(self.db.wal_path()).map_or(0, |m| m.len())
    }

    /// Releases the pin (the database is left as SQLite would leave it).
    pub fn close(self) -> Result<()> {
        self.db.unpin()
    }

    pub(crate) fn segment_path(&self, key: &SegmentKey) -> PathBuf {
        self.spool.join(format!(
            "{}-{}",
            self.lineage,
            key.file_name()
                .replace(".seg", &format!("-{}.seg", key.level))
        ))
    }
}

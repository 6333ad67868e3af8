//! Writing the contents of restored files, in memory that does not grow with them.
//!
//! rustic_core's own restore reads packs with 20 threads and queues every decrypted
//! blob for writing without a bound: when the disk is slower than the network, a
//! 2 GiB restore held 300 MiB of blobs waiting, and a read error panicked a thread.
//! Coffer plans and writes the contents itself and leaves the rest (folders first,
//! then symlinks, modes, mtimes and ownership) to rustic:
//!
//! - **Plan.** For every file to write, each blob of its content is looked up in the
//!   index; the plan groups blobs by pack and by offset, each with the files and
//!   offsets it goes to (a blob shared by many files is read once).
//! - **Resume.** A file that exists already keeps the blobs whose bytes at their
//!   offset hash to the blob's id; only the others are read. A restore killed halfway
//!   through a big file goes on from where its bytes stop being right.
//! - **Read.** [`WORKERS`] threads take ranges of contiguous blobs of one pack, at most
//!   [`RANGE_LIMIT`] long (a single larger blob alone). Each blob is decrypted,
//!   decompressed, checked against its id (SHA-256) and written at its offsets before
//!   the next: memory stays near `WORKERS × (RANGE_LIMIT + 2 blobs)`.
//! - **Errors.** The first error stops the other workers after their current range,
//!   and is returned: a blob that does not decrypt or does not match its id names its
//!   pack and a file it belongs to; nothing is written from it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::num::NonZeroU32;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rustic_core::repofile::{MasterKey, Node, PackId};
use rustic_core::{DataId, FileType, Id, IndexedFullStatus, ReadBackend, Repository};

use crate::backend::StoreBackend;
use crate::crypto::decrypt_blob;
use crate::error::{Error, Result};
use crate::progress::Reporter;
use crate::restore::sha256;

/// How many ranges are read, decrypted and written at once.
pub const WORKERS: usize = 6;
/// The longest range of contiguous blobs read in one request (a single larger blob is
/// read alone).
pub const RANGE_LIMIT: u32 = 4 << 20;

/// One blob to read, and where its bytes go.
#[derive(Debug)]
struct PlannedBlob {
    id: DataId,
    /// Its length in the pack (encrypted, maybe compressed).
    length: u32,
    uncompressed: Option<NonZeroU32>,
    /// (file index, offset in that file).
    targets: Vec<(usize, u64)>,
}

/// One request: contiguous blobs of one pack.
#[derive(Debug)]
struct Range {
    pack: PackId,
    offset: u32,
    length: u32,
    blobs: Vec<(u32, PlannedBlob)>,
}

/// What to write: built file by file, then written by [`ContentPlan::write`].
#[derive(Debug, Default)]
pub(crate) struct ContentPlan {
    files: Vec<PathBuf>,
    /// Bytes of each file still to write (a file is done when it reaches 0).
    left: Vec<u64>,
    packs: BTreeMap<PackId, BTreeMap<u32, PlannedBlob>>,
    /// Bytes to write in all.
    pub bytes: u64,
    /// Bytes of existing files found right already (not read again).
    pub matched: u64,
}

impl ContentPlan {
    /// Plans `node`'s content into `path`: creates the file (or keeps the one there)
    /// at its final length, and notes every blob whose bytes are not already right.
    pub(crate) fn add_file(
        &mut self,
        repo: &Repository<IndexedFullStatus>,
        path: &Path,
        node: &Node,
    ) -> Result<()> {
        let existing = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .ok();
        let existing_len = existing
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map_or(0, |m| m.len());
        let index = self.files.len();
        let mut pos = 0u64;
        let mut left = 0u64;
        let mut buf = Vec::new();
        for id in node.content.iter().flatten() {
            let entry = repo.get_index_entry(id).map_err(Error::from_rustic)?;
            let location = entry.location;
            let len = u64::from(location.data_length());
            let right = existing.as_ref().is_some_and(|f| {
                pos + len <= existing_len && {
                    buf.resize(len as usize, 0);
                    f.read_exact_at(&mut buf, pos).is_ok() && Id::new(sha256(&buf)) == **id
                }
            });
            if right {
                self.matched += len;
            } else {
                self.packs
                    .entry(entry.pack)
                    .or_default()
                    .entry(location.offset)
                    .or_insert_with(|| PlannedBlob {
                        id: *id,
                        length: location.length,
                        uncompressed: location.uncompressed_length,
                        targets: Vec::new(),
                    })
                    .targets
                    .push((index, pos));
                left += len;
            }
            pos += len;
        }
        drop(existing);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.set_len(pos).map_err(|e| Error::io(path, e))?;
        self.files.push(path.to_path_buf());
        self.left.push(left);
        self.bytes += left;
        Ok(())
    }

    /// Files planned.
    pub(crate) fn files(&self) -> usize {
        self.files.len()
    }

    /// The plan as requests, pack by pack, blob by blob.
    fn ranges(&mut self) -> Vec<Range> {
        let mut out = Vec::new();
        for (pack, blobs) in std::mem::take(&mut self.packs) {
            let mut current: Option<Range> = None;
            for (offset, blob) in blobs {
                if let Some(range) = current.as_mut()
                    && range.offset + range.length == offset
                    && range.length + blob.length <= RANGE_LIMIT
                {
                    range.length += blob.length;
                    range.blobs.push((offset, blob));
                    continue;
                }
                out.extend(current.take());
                current = Some(Range {
                    pack,
                    offset,
                    length: blob.length,
                    blobs: vec![(offset, blob)],
                });
            }
            out.extend(current);
        }
        out
    }

    /// Reads, checks and writes every planned blob (see the module's doc).
    pub(crate) fn write(
        mut self,
        backend: &StoreBackend,
        key: &MasterKey,
        reporter: &Reporter,
    ) -> Result<()> {
        let counters = reporter.counters();
        counters.bytes_total.store(self.bytes, Ordering::Relaxed);
        counters
            .files_total
            .store(self.files.len() as u64, Ordering::Relaxed);
        let done_already = self.left.iter().filter(|l| **l == 0).count() as u64;
        counters.files_done.store(done_already, Ordering::Relaxed);
        counters.totals_known.store(1, Ordering::Relaxed);
        reporter.report(true);

        let ranges = Mutex::new(self.ranges().into_iter());
        let left: Vec<AtomicU64> = self.left.iter().map(|l| AtomicU64::new(*l)).collect();
        let job = Job {
            files: &self.files,
            left: &left,
            backend,
            key,
            reporter,
            stop: AtomicBool::new(false),
            first_error: Mutex::new(None),
        };
        std::thread::scope(|scope| {
            for _ in 0..WORKERS {
                scope.spawn(|| job.work(&ranges));
            }
        });
        reporter.report(true);
        let first = job
            .first_error
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        first.map_or(Ok(()), Err)
    }
}

/// What the workers share.
struct Job<'a> {
    files: &'a [PathBuf],
    left: &'a [AtomicU64],
    backend: &'a StoreBackend,
    key: &'a MasterKey,
    reporter: &'a Reporter,
    stop: AtomicBool,
    first_error: Mutex<Option<Error>>,
}

impl Job<'_> {
    fn work(&self, ranges: &Mutex<std::vec::IntoIter<Range>>) {
        // The file last written, kept open for the next blob of the same file.
        let mut open: Option<(usize, File)> = None;
        while !self.stop.load(Ordering::SeqCst) {
            let next = ranges.lock().map_or(None, |mut r| r.next());
            let Some(range) = next else { break };
            if let Err(e) = self.range(range, &mut open) {
                self.stop.store(true, Ordering::SeqCst);
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert(e);
                }
            }
        }
    }

    fn range(&self, range: Range, open: &mut Option<(usize, File)>) -> Result<()> {
        let data = self
            .backend
            .read_partial(
                FileType::Pack,
                &range.pack,
                false,
                range.offset,
                range.length,
            )
            .map_err(Error::from_rustic)?;
        for (offset, blob) in range.blobs {
            let start = (offset - range.offset) as usize;
            let stored = data
                .get(start..start + blob.length as usize)
                .ok_or_else(|| self.damaged(&range.pack, &blob, "is cut short"))?;
            let plain = decrypt_blob(self.key, stored, blob.uncompressed)
                .ok_or_else(|| self.damaged(&range.pack, &blob, "does not decrypt"))?;
            if Id::new(sha256(&plain)) != *blob.id {
                return Err(self.damaged(&range.pack, &blob, "does not match its id"));
            }
            for &(index, pos) in &blob.targets {
                let file = match open {
                    Some((i, f)) if *i == index => f,
                    _ => {
                        let path = &self.files[index];
                        let f = OpenOptions::new()
                            .write(true)
                            .custom_flags(libc::O_NOFOLLOW)
                            .open(path)
                            .map_err(|e| Error::io(path, e))?;
                        &open.insert((index, f)).1
                    }
                };
                file.write_all_at(&plain, pos)
                    .map_err(|e| Error::io(&self.files[index], e))?;
                let len = plain.len() as u64;
                let counters = self.reporter.counters();
                counters.bytes_done.fetch_add(len, Ordering::Relaxed);
                if self.left[index].fetch_sub(len, Ordering::SeqCst) == len {
                    counters.files_done.fetch_add(1, Ordering::Relaxed);
                }
                self.reporter.report(false);
            }
        }
        Ok(())
    }

    fn damaged(&self, pack: &PackId, blob: &PlannedBlob, what: &str) -> Error {
        let file = blob
            .targets
            .first()
            .map(|(i, _)| self.files[*i].display().to_string())
            .unwrap_or_default();
        Error::Damaged {
            pack: pack.to_hex().to_string(),
            blob: blob.id.to_hex().to_string(),
            file,
            what: what.to_string(),
        }
    }
}

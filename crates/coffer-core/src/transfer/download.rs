//! Download one object: parallel ranged GETs written in place into a temp file beside
//! the destination, checked (size, CRC32C), then renamed over it. A failed or
//! cancelled download leaves no partial file behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;

use super::{Tracker, Transfers};
use crate::checksum;
use crate::error::{Error, Result};
use crate::store::{ByteRange, Checksum, ChecksumAlgorithm, ChecksumKind, ObjectRef};

/// How many times one range is tried when the connection breaks mid-body.
const RANGE_ATTEMPTS: u32 = 3;

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadReport {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Where the object was saved.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// How it was verified ("size, CRC32C (full object)", "size").
    pub verified: String,
}

/// The temp file of one download; deleted unless the download completed.
struct TempFile {
    path: PathBuf,
    keep: bool,
    /// One range writes at a time: writes to one file serialize on its inode lock in
    /// the kernel anyway, and threads that contend for that lock spin (measured: a
    /// tenth of the CPU of a large download), while waiting here costs nothing.
    writing: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn temp_path_for(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    let tmp = format!(".{name}.coffer-{}.part", uuid::Uuid::new_v4().simple());
    dest.with_file_name(tmp)
}

/// Bytes gathered before one write to the file: few large writes, run off the async
/// threads, rather than one per network chunk.
const WRITE_BLOCK: usize = 1024 * 1024;

/// Writes one range of the temp file on the blocking pool, a block of
/// [`WRITE_BLOCK`] bytes at a time. The network's chunks are kept as they came and
/// written with one vectored write (no copy into a buffer of ours). Memory: one block
/// per range in flight.
struct RangeWriter {
    file: Option<std::fs::File>,
    writing: Arc<tokio::sync::Mutex<()>>,
    chunks: Vec<Bytes>,
    pending: usize,
    path: PathBuf,
}

impl RangeWriter {
    /// Opens the temp file at `start`; `whole` creates (or truncates) it first, and
    /// its folder if that is missing.
    async fn open(temp: &TempFile, start: u64, whole: bool) -> Result<Self> {
        let path = temp.path.as_path();
        let owned = path.to_path_buf();
        let file = blocking(path, move || {
            use std::io::{Seek, SeekFrom};
            if whole {
                let create = || {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(&owned)
                };
                return match create() {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        if let Some(parent) = owned.parent() {
                            std::fs::create_dir_all(parent)?;
                        }
                        create()
                    }
                    other => other,
                };
            }
            let mut file = std::fs::OpenOptions::new().write(true).open(&owned)?;
            file.seek(SeekFrom::Start(start))?;
            Ok(file)
        })
        .await?;
        Ok(RangeWriter {
            file: Some(file),
            writing: temp.writing.clone(),
            chunks: Vec::new(),
            pending: 0,
            path: path.to_path_buf(),
        })
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.pending += chunk.len();
        self.chunks.push(chunk);
        if self.pending >= WRITE_BLOCK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.chunks.is_empty() {
            return Ok(());
        }
        let (Some(mut file), chunks) = (self.file.take(), std::mem::take(&mut self.chunks)) else {
            return Err(Error::io(
                "cannot write",
                &self.path,
                std::io::Error::other("an earlier write failed"),
            ));
        };
        let _turn = self.writing.lock().await;
        let (file, mut chunks) = blocking(&self.path, move || {
            write_all_chunks(&mut file, &chunks)?;
            Ok((file, chunks))
        })
        .await?;
        chunks.clear();
        self.file = Some(file);
        self.chunks = chunks;
        self.pending = 0;
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        self.flush().await
    }
}

/// Writes every chunk, in order, with as few vectored writes as the system allows.
fn write_all_chunks(file: &mut std::fs::File, chunks: &[Bytes]) -> std::io::Result<()> {
    use std::io::{IoSlice, Write};
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut rest = slices.as_mut_slice();
    while !rest.is_empty() {
        let n = file.write_vectored(rest)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WriteZero,
                "the file took no more bytes",
            ));
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    Ok(())
}

/// Runs file work on the blocking pool; errors name `path`.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|e| Error::io("cannot write", path, e))
}

/// A range's result: where it starts, its length and its CRC32C.
struct Piece {
    start: u64,
    len: u64,
    crc: u32,
}

impl Transfers {
    /// Downloads `source` to the file `dest` (replaced if it exists).
    pub async fn download_object(
        &self,
        source: &ObjectRef,
        dest: &Path,
        tracker: &Tracker,
    ) -> Result<DownloadReport> {
        let meta = self.store.head(&source.bucket, &source.key).await?;
        tracker.add_total(meta.size, 1);
        self.fetch_object(source, None, meta.size, meta.checksum, dest, tracker)
            .await
    }

    /// Downloads one version of `source` (bucket versioning) to the file `dest`, with
    /// the same parallel ranges and checks as the current version.
    pub async fn download_version(
        &self,
        source: &ObjectRef,
        version_id: &str,
        dest: &Path,
        tracker: &Tracker,
    ) -> Result<DownloadReport> {
        let versions = self
            .store
            .list_versions(&source.bucket, &source.key)
            .await?;
        let version = versions
            .iter()
            .find(|v| v.version_id == version_id)
            .ok_or_else(|| {
                Error::invalid(
                    "version-id",
                    format!(
                        "s3://{}/{} has no version `{version_id}` (`coffer versions` lists them)",
                        source.bucket, source.key
                    ),
                )
            })?;
        if version.is_delete_marker {
            return Err(Error::invalid(
                "version-id",
                format!("`{version_id}` is a delete marker: it has no bytes to download"),
            ));
        }
        tracker.add_total(version.size, 1);
        self.fetch_object(source, Some(version_id), version.size, None, dest, tracker)
            .await
    }

    /// Downloads an object whose size is known (from a listing or a HEAD). Objects of
    /// at most one part are fetched with one GET and no HEAD; larger ones are fetched
    /// in parallel ranges.
    pub(crate) async fn fetch_object(
        &self,
        source: &ObjectRef,
        version: Option<&str>,
        size: u64,
        known_checksum: Option<Checksum>,
        dest: &Path,
        tracker: &Tracker,
    ) -> Result<DownloadReport> {
        self.check_cancelled()?;
        let mut temp = TempFile {
            path: temp_path_for(dest),
            keep: false,
            writing: Arc::default(),
        };
        let part = self.config.part_size;
        let (pieces, checksum) = if size <= part {
            // One GET into a new temp file: the file (and its folder, if missing) is
            // made when the answer arrives, in one trip to the blocking pool.
            let (piece, etag_checksum) = self
                .fetch_range(source, version, None, size, &temp, tracker)
                .await?;
            (vec![piece], etag_checksum.or(known_checksum))
        } else {
            if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| Error::io("cannot create", parent, e))?;
            }
            let file = tokio::fs::File::create(&temp.path)
                .await
                .map_err(|e| Error::io("cannot create", &temp.path, e))?;
            file.set_len(size)
                .await
                .map_err(|e| Error::io("cannot write", &temp.path, e))?;
            drop(file);
            let checksum = match (known_checksum, version) {
                (Some(c), _) => Some(c),
                // A HEAD tells the current version's checksum, not an older one's.
                (None, Some(_)) => None,
                (None, None) => self.store.head(&source.bucket, &source.key).await?.checksum,
            };
            let ranges: Vec<ByteRange> = (0..size.div_ceil(part))
                .map(|i| ByteRange {
                    start: i * part,
                    end: ((i + 1) * part).min(size),
                })
                .collect();
            let temp_ref = &temp;
            let mut pieces: Vec<Piece> = stream::iter(ranges)
                .map(|range| async move {
                    let (piece, _) = self
                        .fetch_range(source, version, Some(range), size, temp_ref, tracker)
                        .await?;
                    Ok::<_, Error>(piece)
                })
                .buffer_unordered(self.config.concurrency)
                .try_collect()
                .await?;
            pieces.sort_by_key(|p| p.start);
            (pieces, checksum)
        };

        let received: u64 = pieces.iter().map(|p| p.len).sum();
        let mismatch = |what: String| Error::IntegrityMismatch {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            what,
        };
        if received != size {
            return Err(mismatch(format!(
                "expected {size} bytes, received {received}"
            )));
        }
        let verified = match checksum {
            Some(c) if c.algorithm == ChecksumAlgorithm::Crc32c => match c.kind {
                ChecksumKind::FullObject => {
                    let crc = match pieces.as_slice() {
                        [one] => one.crc,
                        _ => pieces
                            .iter()
                            .fold(0u32, |acc, p| checksum::combine(acc, p.crc, p.len)),
                    };
                    let expected = checksum::decode(&c.value);
                    if expected != Some(crc) {
                        return Err(mismatch(format!(
                            "CRC32C {} expected, {} computed",
                            c.value,
                            checksum::encode(crc)
                        )));
                    }
                    "size, CRC32C (full object)".to_string()
                }
                ChecksumKind::Composite { parts } => {
                    self.verify_composite(source, &temp.path, &c, parts).await?;
                    format!("size, CRC32C (composite of {parts} parts)")
                }
            },
            _ => "size".to_string(),
        };

        // No fsync before the rename, as s5cmd, rclone and the aws-cli: the rename
        // already guarantees that a failed, cancelled or killed download never leaves
        // a partial file under the real name, and the bytes are still on the server.
        // An fsync per file cost 0.4 ms per small file and a full writeback of a large
        // one (docs/BENCHMARKS.md).
        tokio::fs::rename(&temp.path, dest)
            .await
            .map_err(|e| Error::io("cannot write", dest, e))?;
        temp.keep = true;
        tracker.item_done();
        Ok(DownloadReport {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            path: dest.to_path_buf(),
            size,
            verified,
        })
    }

    /// Fetches one range (or the whole object) into its place in the temp file, with
    /// a few attempts if the body breaks off. Returns the piece and, for a whole-object
    /// GET, the checksum the server sent.
    async fn fetch_range(
        &self,
        source: &ObjectRef,
        version: Option<&str>,
        range: Option<ByteRange>,
        size: u64,
        temp: &TempFile,
        tracker: &Tracker,
    ) -> Result<(Piece, Option<Checksum>)> {
        let (start, len) = range.map_or((0, size), |r| (r.start, r.len()));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut moved = 0u64;
            let work = async {
                let asked = range.filter(|_| size > 0);
                let mut object = match version {
                    None => self.store.get(&source.bucket, &source.key, asked).await?,
                    Some(v) => {
                        self.store
                            .get_version(&source.bucket, &source.key, v, asked)
                            .await?
                    }
                };
                if object.total_size != size {
                    return Err(Error::IntegrityMismatch {
                        bucket: source.bucket.clone(),
                        key: source.key.clone(),
                        what: format!(
                            "the object changed during the download (size {size} → {})",
                            object.total_size
                        ),
                    });
                }
                let mut out = RangeWriter::open(temp, start, range.is_none()).await?;
                let mut crc = 0u32;
                let mut got = 0u64;
                while let Some(chunk) = object.body.next().await {
                    let chunk = chunk?;
                    got += chunk.len() as u64;
                    if got > len {
                        return Err(Error::IntegrityMismatch {
                            bucket: source.bucket.clone(),
                            key: source.key.clone(),
                            what: format!("the server sent more than the {len} bytes asked"),
                        });
                    }
                    crc = checksum::update(crc, &chunk);
                    let n = chunk.len() as u64;
                    out.write(chunk).await?;
                    tracker.add_bytes(n);
                    moved += n;
                }
                out.finish().await?;
                Ok((
                    Piece {
                        start,
                        len: got,
                        crc,
                    },
                    object.checksum.take(),
                ))
            };
            let result = self.with_permit_for(len, work).await;
            match result {
                Err(e) if e.is_retryable() && attempt < RANGE_ATTEMPTS => {
                    tracing::debug!(key = %source.key, attempt, error = %e, "retrying a range");
                    tracker.undo_bytes(moved);
                }
                other => return other,
            }
        }
    }

    /// Checks a composite CRC32C: the part sizes and CRCs come from HEAD with
    /// `partNumber`, and the downloaded file is read once more, part by part.
    async fn verify_composite(
        &self,
        source: &ObjectRef,
        temp: &Path,
        expected: &Checksum,
        parts: u32,
    ) -> Result<()> {
        let mismatch = |what: String| Error::IntegrityMismatch {
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            what,
        };
        let mut file = tokio::fs::File::open(temp)
            .await
            .map_err(|e| Error::io("cannot read", temp, e))?;
        let mut crcs = Vec::with_capacity(parts as usize);
        let mut buf = vec![0u8; 256 * 1024];
        for number in 1..=parts {
            let Some(part) = self
                .store
                .head_part(&source.bucket, &source.key, number)
                .await?
            else {
                return Ok(());
            };
            let mut left = part.size;
            let mut crc = 0u32;
            while left > 0 {
                let want = buf.len().min(left as usize);
                let n = tokio::io::AsyncReadExt::read(&mut file, &mut buf[..want])
                    .await
                    .map_err(|e| Error::io("cannot read", temp, e))?;
                if n == 0 {
                    return Err(mismatch(format!("part {number} is shorter than announced")));
                }
                crc = checksum::update(crc, &buf[..n]);
                left -= n as u64;
            }
            if let Some(value) = part.crc32c.as_deref()
                && checksum::decode(value) != Some(crc)
            {
                return Err(mismatch(format!(
                    "part {number}: CRC32C {value} expected, {} computed",
                    checksum::encode(crc)
                )));
            }
            crcs.push(crc);
        }
        let composite = checksum::composite(&crcs);
        if checksum::decode(&expected.value) != Some(composite) {
            return Err(mismatch(format!(
                "composite CRC32C {} expected, {} computed",
                expected.value,
                checksum::encode(composite)
            )));
        }
        Ok(())
    }
}

//! rustic_core's backend traits over Coffer's `Store` seam.
//!
//! rustic_core calls its backend from its own threads and blocks on each call; the
//! store is async. [`StoreBackend`] keeps the runtime's handle and blocks on the store's
//! future, so it must only be used from a thread that is not running async tasks (a
//! `spawn_blocking` thread or one rustic started). Every verb of this crate runs
//! rustic there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{Bytes, BytesMut};
use coffer_core::store::{ByteRange, ListRequest, PutOptions, Store, StoreExt};
use futures::TryStreamExt;
use rustic_core::{
    BytesList, ErrorKind, FileType, Id, ReadBackend, RusticError, RusticResult, WriteBackend,
};
use tokio::runtime::Handle;

use crate::error::StoreFailure;
use crate::location::RepoLocation;

/// A restic repository's objects in a bucket and prefix of a [`Store`].
///
/// Layout (restic's): `config`, `keys/ID`, `snapshots/ID`, `index/ID`, `locks/ID`,
/// `data/XX/ID` where `XX` is the first two hex digits of the ID.
#[derive(Clone)]
pub struct StoreBackend {
    store: Arc<dyn Store>,
    location: RepoLocation,
    handle: Handle,
    /// Set when an operation is cancelled: every write fails from then on, so that a
    /// cancelled backup never writes its snapshot.
    refused: Arc<AtomicBool>,
    /// Bounds the pack reads in flight: rustic's restore reads with 20 threads, each
    /// holding up to a pack's worth of bytes.
    reads: Arc<Slots>,
    /// Writes under way (rustic's packer thread may still be uploading when an
    /// operation has already failed).
    writing: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a write as ended when dropped.
struct WriteDone<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for WriteDone<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How many pack reads may be in flight at once (each up to a pack, 16–64 MiB).
pub const PACK_READS_AT_ONCE: usize = 4;

/// A counting semaphore for blocking threads.
#[derive(Debug)]
struct Slots {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl Slots {
    fn new(n: usize) -> Self {
        Slots {
            free: std::sync::Mutex::new(n),
            freed: std::sync::Condvar::new(),
        }
    }

    fn take(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'a>(&'a Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

impl std::fmt::Debug for StoreBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreBackend")
            .field("store", &self.store.describe())
            .field("location", &self.location.to_string())
            .finish()
    }
}

impl StoreBackend {
    /// A backend for the repository at `location` in `store`, driving the store on
    /// `handle`'s runtime.
    pub fn new(store: Arc<dyn Store>, location: RepoLocation, handle: Handle) -> Self {
        StoreBackend {
            store,
            location,
            handle,
            refused: Arc::new(AtomicBool::new(false)),
            reads: Arc::new(Slots::new(PACK_READS_AT_ONCE)),
            writing: Arc::default(),
        }
    }

    /// Waits (blocking) until no write is under way, at most `limit`: after a failed
    /// or cancelled operation, so that what reached the repository is settled when
    /// the caller hears of the end.
    pub fn wait_for_writes(&self, limit: std::time::Duration) {
        let deadline = std::time::Instant::now() + limit;
        while self.writing.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// From now on every write fails (a cancelled operation).
    pub fn refuse_writes(&self) {
        self.refused.store(true, Ordering::SeqCst);
    }

    /// The same backend for a new operation: writes allowed, its own count of writes
    /// under way. A cancelled operation's threads that rustic leaves running keep the
    /// old backend, whose writes stay refused: they can never land while the next
    /// operation runs (a pack no index names).
    pub fn for_new_operation(&self) -> StoreBackend {
        StoreBackend {
            store: Arc::clone(&self.store),
            location: self.location.clone(),
            handle: self.handle.clone(),
            refused: Arc::new(AtomicBool::new(false)),
            reads: Arc::clone(&self.reads),
            writing: Arc::default(),
        }
    }

    /// The repository's location.
    pub fn location_ref(&self) -> &RepoLocation {
        &self.location
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The key of a repository file.
    pub fn key(&self, tpe: FileType, id: &Id) -> String {
        let hex = id.to_hex();
        match tpe {
            FileType::Config => self.location.key("config"),
            FileType::Pack => {
                self.location
                    .key(&format!("data/{}/{}", &hex.as_str()[..2], hex.as_str()))
            }
            other => self
                .location
                .key(&format!("{}/{}", other.dirname(), hex.as_str())),
        }
    }

    /// Runs a store future to its end on the runtime, from a blocking thread.
    pub(crate) fn block<T>(
        &self,
        what: &'static str,
        fut: impl Future<Output = coffer_core::Result<T>>,
    ) -> RusticResult<T> {
        self.handle.block_on(fut).map_err(|e| store_error(what, e))
    }

    /// Every object under `dir/` with its size, by one recursive listing.
    pub(crate) fn list_dir(&self, dir: &str) -> RusticResult<Vec<(String, u64)>> {
        let request = ListRequest::recursive(&self.location.bucket, self.location.key(dir));
        self.block("list", async {
            let mut out = Vec::new();
            let mut pages = self.store.list_stream(request);
            while let Some(page) = pages.try_next().await? {
                out.extend(page.objects.into_iter().map(|o| (o.key, o.size)));
            }
            Ok(out)
        })
    }

    /// Reads a whole object by key.
    pub(crate) fn get_key(&self, key: &str) -> RusticResult<Bytes> {
        self.block("read", async {
            let got = self.store.get(&self.location.bucket, key, None).await?;
            collect(got.body, got.total_size).await
        })
    }

    /// Writes a whole object by key.
    pub(crate) fn put_key(&self, key: &str, bytes: Bytes) -> RusticResult<()> {
        self.writing.fetch_add(1, Ordering::SeqCst);
        let _done = WriteDone(&self.writing);
        if self.refused.load(Ordering::SeqCst) {
            return Err(RusticError::new(
                ErrorKind::Backend,
                "the operation was cancelled: nothing more is written",
            ));
        }
        self.block("write", async {
            self.store
                .put(
                    &self.location.bucket,
                    key,
                    bytes.into(),
                    &PutOptions::default(),
                )
                .await
                .map(|_| ())
        })
    }

    /// Deletes objects by key.
    pub(crate) fn delete_keys(&self, keys: &[String]) -> RusticResult<()> {
        self.block("delete", async {
            let failed = self.store.delete_keys(&self.location.bucket, keys).await?;
            match failed.first() {
                None => Ok(()),
                Some(f) => Err(coffer_core::Error::Batch {
                    failed: failed.len(),
                    total: keys.len(),
                    first: format!("could not delete {}: {}", f.key, f.message),
                }),
            }
        })
    }
}

async fn collect(
    mut body: futures::stream::BoxStream<'static, coffer_core::Result<Bytes>>,
    size_hint: u64,
) -> coffer_core::Result<Bytes> {
    let mut buf = BytesMut::with_capacity(usize::try_from(size_hint).unwrap_or(0).min(256 << 20));
    while let Some(chunk) = body.try_next().await? {
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A store error as rustic's error, with the store's error inside for
/// [`crate::Error::from_rustic`] to give back.
pub(crate) fn store_error(what: &'static str, err: coffer_core::Error) -> Box<RusticError> {
    let message = err.to_string();
    RusticError::with_source(
        ErrorKind::Backend,
        format!("{what} failed: {message}"),
        StoreFailure::new(err),
    )
}

impl ReadBackend for StoreBackend {
    fn location(&self) -> String {
        format!("{} ({})", self.location, self.store.describe())
    }

    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        if tpe == FileType::Config {
            let key = self.location.key("config");
            let bucket = self.location.bucket.clone();
            let found = self.block("list", async {
                match self.store.head(&bucket, &key).await {
                    Ok(meta) => Ok(Some(meta.size)),
                    Err(coffer_core::Error::NoSuchKey { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            })?;
            return Ok(found
                .map(|size| (Id::default(), u32::try_from(size).unwrap_or(u32::MAX)))
                .into_iter()
                .collect());
        }
        let mut out = Vec::new();
        for (key, size) in self.list_dir(&format!("{}/", tpe.dirname()))? {
            let name = key.rsplit('/').next().unwrap_or_default();
            let Ok(id) = name.parse::<Id>() else {
                tracing::warn!(key, "not a repository file name; skipped");
                continue;
            };
            let size = u32::try_from(size).map_err(|_| {
                RusticError::new(
                    ErrorKind::Backend,
                    "repository file {key} is larger than 4 GiB, which restic never writes",
                )
                .attach_context("key", key.clone())
            })?;
            out.push((id, size));
        }
        Ok(out)
    }

    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        self.get_key(&self.key(tpe, id))
    }

    fn read_partial(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        offset: u32,
        length: u32,
    ) -> RusticResult<Bytes> {
        let key = self.key(tpe, id);
        // Large reads (pack data) wait for a slot; small ones (headers, trees) do not.
        let _slot = (tpe == FileType::Pack && length > 1 << 20).then(|| self.reads.take());
        let range = ByteRange {
            start: u64::from(offset),
            end: u64::from(offset) + u64::from(length),
        };
        self.block("read", async {
            let got = self
                .store
                .get(&self.location.bucket, &key, Some(range))
                .await?;
            let bytes = collect(got.body, u64::from(length)).await?;
            if bytes.len() != length as usize {
                return Err(coffer_core::Error::IntegrityMismatch {
                    bucket: self.location.bucket.clone(),
                    key: key.clone(),
                    what: format!("asked for {length} bytes at {offset}, got {}", bytes.len()),
                });
            }
            Ok(bytes)
        })
    }

    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        self.key(tpe, id)
    }
}

impl WriteBackend for StoreBackend {
    fn create(&self) -> RusticResult<()> {
        // Folders do not exist in a bucket; the bucket itself is made by `init`.
        Ok(())
    }

    fn write_bytes(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        buf: BytesList,
    ) -> RusticResult<()> {
        let parts = buf.into_vec();
        let bytes = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            let mut joined = BytesMut::with_capacity(parts.iter().map(Bytes::len).sum());
            for p in parts {
                joined.extend_from_slice(&p);
            }
            joined.freeze()
        };
        self.put_key(&self.key(tpe, id), bytes)
    }

    fn remove(&self, tpe: FileType, id: &Id, _cacheable: bool) -> RusticResult<()> {
        self.delete_keys(&[self.key(tpe, id)])
    }
}

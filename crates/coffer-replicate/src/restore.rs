//! Restore: a database rebuilt from a replica, at its newest state or at a TXID or a
//! time, written page by page into a temporary file beside the target, checked, then
//! renamed into place.

use std::fs::File;
use std::io::BufReader;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use crate::error::{ReplicateError, Result};
use crate::key::Lineage;
use crate::plan::{self, History, Plan, Target};
use crate::replica::{Listed, Replica};
use crate::segment::{self, SegmentReader};

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Which state.
    pub target: Target,
    /// Where the database goes.
    pub to: PathBuf,
    /// Replace an existing file (and drop its stale `-wal` and `-shm`).
    pub force: bool,
    /// Segments downloaded at once.
    pub concurrency: usize,
}

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    /// The lineage restored from.
    pub lineage: String,
    /// The TXID reached.
    pub txid: u64,
    /// That state's timestamp (ms since the epoch).
    pub ts_ms: u64,
    /// Objects fetched.
    pub objects: usize,
    /// Bytes fetched.
    pub bytes: u64,
    /// The database's size in pages.
    pub pages: u32,
    /// Its page size.
    pub page_size: u32,
    /// Whether the database checksum was known and matched.
    pub checksum_verified: bool,
    /// Where it went.
    pub path: PathBuf,
}

/// Finds the plan: the newest lineage that can reach `target` (an older one when the
/// target time is before the newest lineage began).
pub async fn find_plan(replica: &Replica, target: Target) -> Result<Plan> {
    let lineages = replica.lineages().await?;
    if lineages.is_empty() {
        return Err(ReplicateError::Plan(format!(
            "no replicated database at {} (nothing under s3://{}/{})",
            replica.name,
            replica.bucket(),
            replica.root()
        )));
    }
    let mut last = None;
    for lineage in lineages.iter().rev() {
        let history = History::read(replica, *lineage).await?;
        match plan::plan(&history, target) {
            Ok(p) => return Ok(p),
            Err(e) => last = Some(e),
        }
        if !matches!(target, Target::Time(_)) {
            break;
        }
    }
    Err(last.unwrap_or_else(|| ReplicateError::Plan("no history".into())))
}

/// A page-addressed file being rebuilt.
struct Image {
    file: File,
    path: PathBuf,
    page_size: u32,
    pages: u32,
    checksum: Option<u64>,
}

impl Image {
    /// Applies one segment from `input`, checking that it is the one planned.
    fn apply(
        &mut self,
        input: impl std::io::Read,
        step: &Listed,
        lineage: &Lineage,
        key: &str,
    ) -> Result<u32> {
        let mut reader = SegmentReader::new(input, key)?;
        let h = reader.header().clone();
        let corrupt = |reason: String| ReplicateError::Corrupt {
            key: key.to_string(),
            reason,
        };
        if h.lineage != lineage.0
            || h.min_txid != step.key.min_txid
            || h.max_txid != step.key.max_txid
            || h.level != step.key.level
        {
            return Err(corrupt("its header does not match its name".into()));
        }
        if self.page_size == 0 {
            if !h.snapshot {
                return Err(corrupt("a restore must start from a snapshot".into()));
            }
            self.page_size = h.page_size;
        } else if h.page_size != self.page_size {
            return Err(corrupt(format!(
                "page size {} differs from the snapshot's {}",
                h.page_size, self.page_size
            )));
        }
        let io = |e| ReplicateError::io(&self.path, e);
        if h.db_pages < self.pages {
            self.file
                .set_len(u64::from(h.db_pages) * u64::from(self.page_size))
                .map_err(io)?;
        }
        let mut buf = vec![0u8; self.page_size as usize];
        while let Some(page) = reader.next_page(&mut buf)? {
            if page > h.db_pages {
                return Err(corrupt(format!(
                    "page {page} is past the database's end ({} pages)",
                    h.db_pages
                )));
            }
            self.file
                .write_all_at(&buf, u64::from(page - 1) * u64::from(self.page_size))
                .map_err(io)?;
        }
        self.pages = h.db_pages;
        self.checksum = reader.db_checksum();
        Ok(reader.header().page_count)
    }
}

/// Restores the replica to `options.to`. Nothing is put at the target unless the
/// database passes its checks: the database checksum (when the replica knows it),
/// the page count, and `PRAGMA integrity_check`.
pub async fn restore(
    replica: &Replica,
    options: &RestoreOptions,
    cancel: &CancellationToken,
) -> Result<RestoreReport> {
    let to = absolute(&options.to)?;
    if to.exists() && !options.force {
        return Err(ReplicateError::Exists(to));
    }
    let plan = find_plan(replica, options.target).await?;
    let temp = temp_path(&to, "restore");
    let result = rebuild(replica, &plan, &temp, options.concurrency.max(1), cancel).await;
    let result = match result {
        Ok(image) => finish(image, &temp, &to, options.force).await,
        Err(e) => Err(e),
    };
    let image = match result {
        Ok(image) => image,
        Err(e) => {
            remove_all(&temp);
            return Err(e);
        }
    };
    Ok(RestoreReport {
        lineage: plan.lineage.to_string(),
        txid: plan.txid,
        ts_ms: plan.ts_ms,
        objects: plan.steps.len(),
        bytes: plan.bytes(),
        pages: image.pages,
        page_size: image.page_size,
        checksum_verified: image.checksum.is_some(),
        path: to,
    })
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| ReplicateError::io(path, e))
}

/// `DIR/.NAME.coffer-WHAT-RANDOM`, beside `to`.
pub(crate) fn temp_path(to: &Path, what: &str) -> PathBuf {
    let name = to
        .file_name()
        .map_or_else(|| "db".into(), |n| n.to_string_lossy().into_owned());
    let random: u32 = rand::random();
    to.with_file_name(format!(".{name}.coffer-{what}-{random:08x}"))
}

fn remove_all(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Downloads the plan's objects (segments in parallel, to temporary files) and
/// writes their pages into `temp`.
async fn rebuild(
    replica: &Replica,
    plan: &Plan,
    temp: &Path,
    concurrency: usize,
    cancel: &CancellationToken,
) -> Result<Image> {
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|e| ReplicateError::io(temp, e))?;
    let image = Image {
        file,
        path: temp.to_path_buf(),
        page_size: 0,
        pages: 0,
        checksum: None,
    };
    let Some((snapshot, rest)) = plan.steps.split_first() else {
        return Err(ReplicateError::Plan("an empty plan".into()));
    };
    // Segments go to disk in parallel while the snapshot streams into the image.
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut downloads = Vec::new();
    for (i, step) in rest.iter().enumerate() {
        let replica = replica.clone();
        let step = step.clone();
        let lineage = plan.lineage;
        let limit = limit.clone();
        let path = temp_path(temp, &format!("seg{i}"));
        let cancel = cancel.clone();
        downloads.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = download(&replica, &lineage, &step, &path, &cancel).await;
            if result.is_err() {
                let _ = std::fs::remove_file(&path);
            }
            result.map(|()| path)
        }));
    }
    let abort = |downloads: &[tokio::task::JoinHandle<Result<PathBuf>>]| {
        for d in downloads {
            d.abort();
        }
    };
    let applied = stream_snapshot(replica, plan, snapshot, image, cancel).await;
    let mut image = match applied {
        Ok(image) => image,
        Err(e) => {
            abort(&downloads);
            return Err(e);
        }
    };
    let mut iter = downloads.into_iter().zip(rest.iter());
    while let Some((handle, step)) = iter.next() {
        let downloaded = match handle.await {
            Ok(r) => r,
            Err(e) => Err(ReplicateError::Plan(format!("a download task failed: {e}"))),
        };
        let path = match downloaded {
            Ok(p) => p,
            Err(e) => {
                let rest: Vec<_> = iter.map(|(h, _)| h).collect();
                abort(&rest);
                return Err(e);
            }
        };
        let key = replica.key(&plan.lineage, &step.key);
        let step = step.clone();
        let lineage = plan.lineage;
        let applied = tokio::task::spawn_blocking(move || {
            let input = File::open(&path).map_err(|e| ReplicateError::io(&path, e));
            let r = input.and_then(|f| {
                image
                    .apply(BufReader::with_capacity(1 << 20, f), &step, &lineage, &key)
                    .map(|_| ())
            });
            let _ = std::fs::remove_file(&path);
            r.map(|()| image)
        })
        .await;
        image = match applied {
            Ok(Ok(image)) => image,
            Ok(Err(e)) => {
                let rest: Vec<_> = iter.map(|(h, _)| h).collect();
                abort(&rest);
                return Err(e);
            }
            Err(e) => {
                return Err(ReplicateError::Plan(format!(
                    "applying a segment failed: {e}"
                )));
            }
        };
    }
    Ok(image)
}

async fn stream_snapshot(
    replica: &Replica,
    plan: &Plan,
    step: &Listed,
    mut image: Image,
    cancel: &CancellationToken,
) -> Result<Image> {
    let object = tokio::select! {
        o = replica.get_segment(&plan.lineage, &step.key, None) => o?,
        () = cancel.cancelled() => return Err(ReplicateError::Cancelled),
    };
    let cancel = cancel.clone();
    let body = object
        .body
        .take_until(Box::pin(async move { cancel.cancelled().await }))
        .map(|chunk| chunk.map_err(std::io::Error::other));
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(body));
    let key = replica.key(&plan.lineage, &step.key);
    let step = step.clone();
    let lineage = plan.lineage;
    tokio::task::spawn_blocking(move || {
        image
            .apply(
                BufReader::with_capacity(1 << 20, reader),
                &step,
                &lineage,
                &key,
            )
            .map(|_| image)
    })
    .await
    .map_err(|e| ReplicateError::Plan(format!("applying the snapshot failed: {e}")))?
}

async fn download(
    replica: &Replica,
    lineage: &Lineage,
    step: &Listed,
    path: &Path,
    cancel: &CancellationToken,
) -> Result<()> {
    let mut object = replica.get_segment(lineage, &step.key, None).await?;
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| ReplicateError::io(path, e))?;
    loop {
        let chunk = tokio::select! {
            c = object.body.next() => c,
            () = cancel.cancelled() => return Err(ReplicateError::Cancelled),
        };
        let Some(chunk) = chunk else { break };
        file.write_all(&chunk?)
            .await
            .map_err(|e| ReplicateError::io(path, e))?;
    }
    file.flush()
        .await
        .map_err(|e| ReplicateError::io(path, e))?;
    Ok(())
}

/// Truncates, checks and renames the image into place.
async fn finish(image: Image, temp: &Path, to: &Path, force: bool) -> Result<Image> {
    let temp = temp.to_path_buf();
    let to = to.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let io = |e| ReplicateError::io(&temp, e);
        let size = u64::from(image.pages) * u64::from(image.page_size);
        image.file.set_len(size).map_err(io)?;
        if let Some(expected) = image.checksum {
            let mut buf = vec![0u8; image.page_size as usize];
            let mut sum = 0u64;
            for page in 1..=image.pages {
                image
                    .file
                    .read_exact_at(&mut buf, u64::from(page - 1) * u64::from(image.page_size))
                    .map_err(io)?;
                sum ^= segment::page_crc(page, &buf);
            }
            if sum != expected {
                return Err(ReplicateError::Verify(format!(
                    "the database checksum is {sum:016x}, the replica says {expected:016x}"
                )));
            }
        }
        image.file.sync_all().map_err(io)?;
        check_integrity(&temp, image.pages)?;
        if to.exists() && !force {
            return Err(ReplicateError::Exists(to));
        }
        if force {
            // A stale log beside the target would be replayed onto the restored file.
            for suffix in ["-wal", "-shm"] {
                let mut p = to.as_os_str().to_os_string();
                p.push(suffix);
                match std::fs::remove_file(PathBuf::from(&p)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(ReplicateError::io(Path::new(&p), e)),
                }
            }
        }
        std::fs::rename(&temp, &to).map_err(|e| ReplicateError::io(&to, e))?;
        if let Some(dir) = to.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(image)
    })
    .await
    .map_err(|e| ReplicateError::Verify(format!("the check failed to run: {e}")))?
}

/// `PRAGMA integrity_check` and the page count; leaves no `-wal` or `-shm` behind.
pub(crate) fn check_integrity(path: &Path, pages: u32) -> Result<()> {
    let result = (|| {
        let conn = rusqlite::Connection::open(path).map_err(|e| ReplicateError::sqlite(path, e))?;
        let sql = |e| ReplicateError::sqlite(path, e);
        let count: u32 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(sql)?;
        if count != pages {
            return Err(ReplicateError::Verify(format!(
                "SQLite sees {count} pages, the replica {pages}"
            )));
        }
        let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(sql)?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(sql)?
            .collect::<rusqlite::Result<_>>()
            .map_err(sql)?;
        if rows != ["ok"] {
            return Err(ReplicateError::Verify(rows.join("; ")));
        }
        drop(stmt);
        conn.close().map_err(|(_, e)| sql(e))?;
        Ok(())
    })();
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    result
}

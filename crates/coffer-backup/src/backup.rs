//! Backing up folders into a snapshot.
//!
//! The walk, chunking, dedup, compression and encryption are rustic_core's; this file
//! adds what Coffer promises around them:
//! - excludes as restic has them (`--exclude GLOB`, `--exclude-file F` with one
//!   gitignore-style pattern per line), `.gitignore` files in the tree on request,
//!   one-file-system, exclude-caches (`CACHEDIR.TAG`) and tags;
//! - progress with files, bytes, rate and ETA ([`crate::progress`]);
//! - a shared restic lock for the whole run ([`crate::lock`]);
//! - **resume**: a run that was killed leaves packs that reached the repository but
//!   no index naming them. A marker in the host's state dir says a run was under way;
//!   the next run then indexes those packs first (reading only their headers), so
//!   their data is not uploaded again;
//! - cancellation that never leaves a partial snapshot: once cancelled, the walk ends,
//!   files are no longer opened, and every write to the repository is refused, the
//!   snapshot's included.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustic_core::repofile::SnapshotFile;
use rustic_core::{
    BackupOptions, LocalSource, LocalSourceFilterOptions, LocalSourceSaveOptions, PathList,
    ReadSource, ReadSourceEntry, ReadSourceOpen, RepairIndexOptions, RusticResult, SnapshotOptions,
    StringList,
};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};
use crate::progress::{Counters, ProgressSink, Reporter};
use crate::snapshots::SnapshotInfo;

/// What to back up and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackupRequest {
    /// Folders (or files) to back up.
    pub paths: Vec<PathBuf>,
    /// Globs to leave out (`*.tmp`, `node_modules`, `/home/me/big`).
    pub excludes: Vec<String>,
    /// Files of patterns to leave out, one per line, `.gitignore` style (`#` comments,
    /// `!` to take a path back in).
    pub exclude_files: Vec<PathBuf>,
    /// Honour `.gitignore` files found in the tree.
    pub git_ignore: bool,
    /// Stay on the file system of each path (no mounted disks below it).
    pub one_file_system: bool,
    /// Leave out folders that hold a `CACHEDIR.TAG`.
    pub exclude_caches: bool,
    /// Tags of the snapshot.
    pub tags: Vec<String>,
    /// The host name recorded in the snapshot (default: this machine's).
    pub hostname: Option<String>,
}

/// What a backup run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupOutcome {
    /// The snapshot it wrote.
    pub snapshot: SnapshotInfo,
    /// New files.
    pub files_new: u64,
    /// Changed files.
    pub files_changed: u64,
    /// Unchanged files.
    pub files_unmodified: u64,
    /// Bytes of new data, before compression.
    pub bytes_added: u64,
    /// Bytes of new data as stored.
    pub bytes_added_packed: u64,
    /// The repository's size after the run (all packs).
    pub repo_size: u64,
    /// Packs of an interrupted earlier run that were indexed and reused.
    pub resumed_packs: u64,
    /// Files and folders that could not be read, and were left out.
    pub errors: u64,
    /// The first of those errors, in words.
    pub first_errors: Vec<String>,
}

/// How many skipped-file errors are kept in words.
const KEPT_ERRORS: usize = 20;

impl BackupRequest {
    fn validate(&self) -> Result<()> {
        if self.paths.is_empty() {
            return Err(Error::invalid(
                "paths",
                "give at least one folder to back up",
            ));
        }
        for path in &self.paths {
            std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }

    /// rustic's filter options: our excludes become `!glob` overrides.
    fn filters(&self) -> Result<(rustic_core::Excludes, LocalSourceFilterOptions)> {
        let mut globs = Vec::new();
        for glob in &self.excludes {
            globs.push(exclude_glob(glob));
        }
        for file in &self.exclude_files {
            let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
            for line in text.lines() {
                let line = line.trim_end();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                globs.push(match line.strip_prefix('!') {
                    // Taken back in.
                    Some(pattern) => pattern.to_string(),
                    None => exclude_glob(line),
                });
            }
        }
        let mut excludes = rustic_core::Excludes::default();
        excludes.globs = globs;
        let mut filter = LocalSourceFilterOptions::default();
        filter.git_ignore = self.git_ignore;
        filter.no_require_git = true;
        filter.one_file_system = self.one_file_system;
        if self.exclude_caches {
            filter.exclude_if_present = vec!["CACHEDIR.TAG".into()];
        }
        Ok((excludes, filter))
    }
}

fn exclude_glob(glob: &str) -> String {
    format!("!{glob}")
}

impl Repo {
    /// Backs up `request.paths` into a new snapshot.
    pub async fn backup(
        &self,
        request: BackupRequest,
        sink: Arc<dyn ProgressSink>,
        cancel: CancellationToken,
    ) -> Result<BackupOutcome> {
        request.validate()?;
        // A backend of its own: writes of an earlier, cancelled run stay refused.
        let mut repo = self.clone();
        repo.backend = self.backend.for_new_operation();
        let counters = Arc::new(Counters::default());
        let reporter = Reporter::new(sink, Arc::clone(&counters), "backing up");
        let cancelled = Arc::new(AtomicBool::new(false));
        let watcher = {
            let cancelled = Arc::clone(&cancelled);
            let cancel = cancel.clone();
            let backend = repo.backend.clone();
            tokio::spawn(async move {
                cancel.cancelled().await;
                // Writes are refused before the walk is told to stop: a walk cut short
                // can then never be saved as a snapshot.
                backend.refuse_writes();
                cancelled.store(true, Ordering::SeqCst);
            })
        };
        let result = blocking({
            let cancelled = Arc::clone(&cancelled);
            move || {
                let result = repo.backup_blocking(&request, &reporter, &cancelled);
                if result.is_err() {
                    // rustic's packer may still be uploading a pack: let it land.
                    repo.backend
                        .wait_for_writes(std::time::Duration::from_secs(120));
                }
                result
            }
        })
        .await;
        watcher.abort();
        match result {
            Err(_) if cancel.is_cancelled() => Err(Error::Cancelled),
            other => other,
        }
    }

    fn backup_blocking(
        &self,
        request: &BackupRequest,
        reporter: &Arc<Reporter>,
        cancelled: &Arc<AtomicBool>,
    ) -> Result<BackupOutcome> {
        let lock = self.lock_blocking(false)?;
        let marker = self.run_marker();
        let mut resumed_packs = 0;
        if let Some(marker) = &marker
            && marker.exists()
        {
            resumed_packs = self.resume_blocking(reporter)?;
        }
        if let Some(marker) = &marker {
            if let Some(dir) = marker.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            std::fs::write(marker, b"").map_err(|e| Error::io(marker, e))?;
        }

        let _attached = self.bars.attach(reporter);
        let repo = self.indexed_ids()?;

        let (excludes, filter) = request.filters()?;
        let paths = PathList::from_iter(request.paths.iter().cloned())
            .sanitize()
            .map_err(|e| Error::invalid("paths", e.to_string()))?
            .merge();
        let backup_paths = paths.paths();
        let source = LocalSource::new(
            LocalSourceSaveOptions::default(),
            &excludes,
            &filter,
            &backup_paths,
        )
        .map_err(Error::from_rustic)?;
        let source = CountedSource {
            inner: source,
            counters: Arc::clone(reporter.counters()),
            cancelled: Arc::clone(cancelled),
            first_errors: Arc::default(),
        };
        let first_errors = Arc::clone(&source.first_errors);

        let mut snap_opts = SnapshotOptions::default();
        if let Some(host) = &request.hostname {
            snap_opts.host = Some(host.clone());
        }
        for tag in &request.tags {
            snap_opts = snap_opts
                .add_tags(tag)
                .map_err(|e| Error::invalid("tags", e.display_log()))?;
        }
        let snap = snap_opts.to_snapshot().map_err(Error::from_rustic)?;
        let mut snap = snap;
        snap.paths = StringList::default();

        reporter.phase("backing up");
        let written: SnapshotFile = repo
            .archive(&BackupOptions::default(), &source, snap, &backup_paths)
            .map_err(Error::from_rustic)?;
        // Saved: the walk was complete (a cancelled walk cannot be saved), so a
        // cancellation that came after the last write changes nothing.
        reporter.report(true);
        if let Some(marker) = &marker {
            let _ = std::fs::remove_file(marker);
        }
        let repo_size = self.repo_size_blocking()?;
        lock.release();
        let summary = written.summary.clone().unwrap_or_default();
        let errors = reporter.counters().errors.load(Ordering::Relaxed);
        Ok(BackupOutcome {
            snapshot: SnapshotInfo::from(&written),
            files_new: summary.files_new,
            files_changed: summary.files_changed,
            files_unmodified: summary.files_unmodified,
            bytes_added: summary.data_added,
            bytes_added_packed: summary.data_added_packed,
            repo_size,
            resumed_packs,
            errors,
            first_errors: first_errors.lock().map(|e| e.clone()).unwrap_or_default(),
        })
    }

    /// The marker that says a backup of this repository is under way on this host.
    fn run_marker(&self) -> Option<PathBuf> {
        self.options
            .state_dir
            .as_ref()
            .map(|dir| dir.join(format!("backup-running-{}", self.id())))
    }

    /// Indexes the packs an interrupted run left without an index; returns how many.
    fn resume_blocking(&self, reporter: &Arc<Reporter>) -> Result<u64> {
        if self.options.append_only {
            tracing::info!("append-only host: packs of an interrupted run are not re-indexed");
            return Ok(0);
        }
        reporter.phase("resuming: indexing packs of the interrupted run");
        let before = self.indexed_pack_count()?;
        self.inner
            .repair_index(&RepairIndexOptions::default(), false)
            .map_err(Error::from_rustic)?;
        let after = self.indexed_pack_count()?;
        let resumed = after.saturating_sub(before);
        tracing::info!(resumed, "indexed packs of an interrupted backup");
        Ok(resumed as u64)
    }

    fn indexed_pack_count(&self) -> Result<usize> {
        let infos = self.inner.infos_index().map_err(Error::from_rustic)?;
        Ok(infos.packs.iter().map(|p| p.count as usize).sum())
    }

    /// The size of every pack in the repository (one listing of `data/`).
    pub(crate) fn repo_size_blocking(&self) -> Result<u64> {
        Ok(self
            .backend
            .list_dir("data/")
            .map_err(Error::from_rustic)?
            .iter()
            .map(|(_, size)| *size)
            .sum())
    }
}

/// The local source, counting files, keeping the first errors, and stopping when
/// cancelled.
struct CountedSource {
    inner: LocalSource,
    counters: Arc<Counters>,
    cancelled: Arc<AtomicBool>,
    first_errors: Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountedSource {
    fn note_error(counters: &Counters, first: &std::sync::Mutex<Vec<String>>, message: String) {
        counters.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = first.lock()
            && first.len() < KEPT_ERRORS
        {
            first.push(message);
        }
    }
}

impl ReadSource for CountedSource {
    type Open = CountedOpen;
    type Iter = Box<dyn Iterator<Item = RusticResult<ReadSourceEntry<CountedOpen>>> + Send>;

    fn size(&self) -> RusticResult<Option<u64>> {
        // One walk with the same filters: bytes and files in all.
        let mut bytes = 0u64;
        let mut files = 0u64;
        for entry in self.inner.entries() {
            if self.cancelled.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if let Ok(entry) = entry
                && entry.node.is_file()
            {
                files += 1;
                bytes += entry.node.meta.size;
            }
        }
        self.counters.files_total.store(files, Ordering::Relaxed);
        Ok(Some(bytes))
    }

    fn entries(&self) -> Self::Iter {
        let counters = Arc::clone(&self.counters);
        let cancelled = Arc::clone(&self.cancelled);
        let first_errors = Arc::clone(&self.first_errors);
        Box::new(
            self.inner
                .entries()
                .take_while(move |_| !cancelled.load(Ordering::Relaxed))
                .map(move |entry| match entry {
                    Ok(ReadSourceEntry { path, node, open }) => {
                        if node.is_file() {
                            counters.files_done.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(ReadSourceEntry {
                            open: open.map(|open| CountedOpen {
                                path: path.clone(),
                                inner: open,
                                counters: Arc::clone(&counters),
                                first_errors: Arc::clone(&first_errors),
                            }),
                            path,
                            node,
                        })
                    }
                    Err(err) => {
                        CountedSource::note_error(&counters, &first_errors, err.display_log());
                        Err(err)
                    }
                }),
        )
    }
}

/// A file to open, counting an error when it cannot be.
struct CountedOpen {
    path: PathBuf,
    inner: <LocalSource as ReadSource>::Open,
    counters: Arc<Counters>,
    first_errors: Arc<std::sync::Mutex<Vec<String>>>,
}

impl ReadSourceOpen for CountedOpen {
    type Reader = <<LocalSource as ReadSource>::Open as ReadSourceOpen>::Reader;

    fn open(self) -> RusticResult<Self::Reader> {
        self.inner.open().inspect_err(|err| {
            CountedSource::note_error(
                &self.counters,
                &self.first_errors,
                format!("{}: {}", self.path.display(), err.display_log()),
            );
        })
    }
}

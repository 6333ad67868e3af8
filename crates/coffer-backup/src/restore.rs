//! Restoring a snapshot, or a path in it, to a folder.
//!
//! rustic_core writes the files (in place, by blob, in parallel; modes, mtimes and,
//! as root, ownership are set after the contents). Coffer adds the overwrite rule:
//!
//! - [`Overwrite::Never`] (the default): before anything is written, every file of
//!   the snapshot that exists in the target is compared by size and mtime; if any
//!   differs, the restore is refused and names them. Identical files are left alone.
//! - [`Overwrite::IfChanged`]: files that differ are rewritten; identical ones are
//!   left alone.
//! - [`Overwrite::Always`]: every file of the snapshot that exists in the target is
//!   rewritten.
//!
//! Files in the target that the snapshot does not have are never touched.
//!
//! **Resume.** A restore writes a journal in the host's state dir
//! (`restore-<hash>.json`: repository, snapshot, path, target, start time) and removes
//! it when done. Run again after an interruption, it restores only what is missing or
//! differs; with `Never`, a differing file whose status changed (ctime) after the
//! journal's start time is taken as one the interrupted run was writing, not as the
//! user's.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustic_core::repofile::Node;
use rustic_core::{
    IndexedFullStatus, LocalDestination, LsOptions, Repository, RestoreOptions, RestorePlan,
    RusticResult,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::ls::tree_path;
use crate::open::{Repo, blocking};
use crate::progress::{Counters, ProgressSink, Reporter};

mod contents;
use contents::ContentPlan;

/// What to do with files that already exist in the target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overwrite {
    /// Refuse when an existing file differs (the default).
    #[default]
    Never,
    /// Replace files that differ.
    IfChanged,
    /// Replace every existing file of the snapshot.
    Always,
}

impl std::str::FromStr for Overwrite {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "never" => Ok(Overwrite::Never),
            "if-changed" => Ok(Overwrite::IfChanged),
            "always" => Ok(Overwrite::Always),
            other => Err(Error::invalid(
                "overwrite",
                format!("`{other}`: choose never, if-changed or always"),
            )),
        }
    }
}

/// What to restore, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRequest {
    /// The snapshot: an id, an id prefix or `latest`.
    pub snapshot: String,
    /// A path inside it (`/` or empty for all of it).
    #[serde(default)]
    pub path: String,
    /// The folder to restore into (made when missing).
    pub target: PathBuf,
    /// What to do with existing files.
    #[serde(default)]
    pub overwrite: Overwrite,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreOutcome {
    /// The snapshot's full id.
    pub snapshot: String,
    /// Files written (new or replaced).
    pub files_restored: u64,
    /// Files that were already there and identical.
    pub files_unchanged: u64,
    /// Existing files replaced.
    pub files_replaced: u64,
    /// Folders made.
    pub dirs_restored: u64,
    /// Bytes written.
    pub bytes_restored: u64,
    /// Whether this run went on from an interrupted one.
    pub resumed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    repository: String,
    snapshot: String,
    path: String,
    target: PathBuf,
    #[serde(with = "time::serde::rfc3339")]
    started: OffsetDateTime,
}

/// How many conflicting files a refusal names.
const SHOWN_CONFLICTS: usize = 5;

impl Repo {
    /// Restores `request.path` of `request.snapshot` into `request.target`.
    pub async fn restore(
        &self,
        request: RestoreRequest,
        sink: Arc<dyn ProgressSink>,
    ) -> Result<RestoreOutcome> {
        let snap = self.snapshot_file(&request.snapshot).await?;
        let repo = self.clone();
        let counters = Arc::new(Counters::default());
        let reporter = Reporter::new(sink, counters, "restoring file contents");
        blocking(move || repo.restore_blocking(&request, &snap, &reporter)).await
    }

    fn restore_blocking(
        &self,
        request: &RestoreRequest,
        snap: &rustic_core::repofile::SnapshotFile,
        reporter: &Arc<Reporter>,
    ) -> Result<RestoreOutcome> {
        let _attached = self.bars.attach(reporter);
        let lock = self.lock_blocking(false)?;
        let snap_id = snap.id.to_hex().to_string();
        let path = tree_path(&request.path);
        std::fs::create_dir_all(&request.target).map_err(|e| Error::io(&request.target, e))?;
        let target =
            std::fs::canonicalize(&request.target).map_err(|e| Error::io(&request.target, e))?;

        let journal_path = self.options.state_dir.as_ref().map(|dir| {
            dir.join(format!(
                "restore-{}.json",
                hex::encode(
                    &sha256(
                        format!("{}\n{snap_id}\n{path}\n{}", self.id(), target.display())
                            .as_bytes()
                    )[..12]
                )
            ))
        });
        let earlier = journal_path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<Journal>(&b).ok());
        let resumed = earlier.is_some();
        let since = earlier.as_ref().map(|j| j.started);

        reporter.phase("reading the index");
        let repo = self.indexed_full()?;
        let node = repo
            .node_from_snapshot_and_path(snap, &path)
            .map_err(|_| Error::NotFound(format!("no `/{path}` in snapshot {}", &snap_id[..8])))?;

        // Where each snapshot entry lands: the target itself for the node, then below.
        let dest_root = if node.is_dir() {
            target.clone()
        } else {
            target.join(&node.name)
        };
        let land = |rel: &Path| -> PathBuf {
            if node.is_dir() {
                target.join(rel)
            } else {
                dest_root.clone()
            }
        };

        // The overwrite rule, before anything is written.
        reporter.phase("comparing with the target");
        let mut conflicts = Vec::new();
        let mut conflict_count = 0usize;
        let mut to_remove = Vec::new();
        let entries = walk(&repo, &node)?;
        for item in entries {
            let (rel, entry) = item.map_err(Error::from_rustic)?;
            if !entry.is_file() {
                continue;
            }
            let dest = land(&rel);
            let Ok(meta) = std::fs::symlink_metadata(&dest) else {
                continue;
            };
            let same = same_file(&meta, &entry);
            match request.overwrite {
                Overwrite::Always => to_remove.push(dest),
                Overwrite::IfChanged => {
                    if !meta.is_file() && !same {
                        to_remove.push(dest);
                    }
                }
                Overwrite::Never => {
                    if same {
                        continue;
                    }
                    if !written_since(&meta, since) {
                        conflict_count += 1;
                        if conflicts.len() < SHOWN_CONFLICTS {
                            conflicts.push(dest.display().to_string());
                        }
                    }
                }
            }
        }
        if conflict_count > 0 {
            return Err(Error::WouldOverwrite {
                target: target.display().to_string(),
                count: conflict_count,
                first: conflicts.join(", "),
            });
        }

        if let Some(journal_path) = &journal_path
            && earlier.is_none()
        {
            let journal = Journal {
                repository: self.id(),
                snapshot: snap_id.clone(),
                path: path.clone(),
                target: target.clone(),
                started: OffsetDateTime::now_utc(),
            };
            if let Some(dir) = journal_path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let bytes = serde_json::to_vec(&journal)
                .map_err(|e| Error::invalid("journal", e.to_string()))?;
            std::fs::write(journal_path, bytes).map_err(|e| Error::io(journal_path, e))?;
        }
        for path in &to_remove {
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
                Ok(_) => std::fs::remove_file(path),
                Err(_) => Ok(()),
            }
            .map_err(|e| Error::io(path, e))?;
        }

        // Folders and file contents are Coffer's (restore/contents.rs: bounded memory,
        // every blob checked); then rustic makes symlinks and special files and sets
        // modes, mtimes and ownership.
        reporter.phase("planning");
        let mut plan = ContentPlan::default();
        let mut counts = RestoreOutcome::default();
        let mut link_sources: BTreeMap<(u64, u64), PathBuf> = BTreeMap::new();
        let mut hard_links: Vec<(PathBuf, PathBuf)> = Vec::new();
        let entries = walk(&repo, &node)?;
        for item in entries {
            let (rel, entry) = item.map_err(Error::from_rustic)?;
            check_relative(&rel)?;
            let dest = land(&rel);
            if entry.is_dir() {
                if !dest.is_dir() {
                    std::fs::create_dir_all(&dest).map_err(|e| Error::io(&dest, e))?;
                    counts.dirs_restored += 1;
                }
                continue;
            }
            if !entry.is_file() {
                continue;
            }
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                let real = std::fs::canonicalize(parent).map_err(|e| Error::io(parent, e))?;
                if !real.starts_with(&target) {
                    return Err(Error::invalid(
                        "path",
                        format!(
                            "{} leads out of {} through a symlink: nothing is written there",
                            dest.display(),
                            target.display()
                        ),
                    ));
                }
            }
            let m = &entry.meta;
            if m.links > 1 && m.device_id != 0 && m.inode != 0 {
                if let Some(source) = link_sources.get(&(m.device_id, m.inode)) {
                    hard_links.push((source.clone(), dest));
                    continue;
                }
                link_sources.insert((m.device_id, m.inode), dest.clone());
            }
            match std::fs::symlink_metadata(&dest) {
                Ok(meta) if same_file(&meta, &entry) => {
                    counts.files_unchanged += 1;
                    continue;
                }
                // A file the interrupted run had begun is not the user's.
                Ok(meta) if !written_since(&meta, since) => counts.files_replaced += 1,
                Ok(_) => {}
                Err(_) => {}
            }
            plan.add_file(&repo, &dest, &entry)?;
        }
        counts.files_restored = plan.files() as u64;
        counts.bytes_restored = plan.bytes;
        reporter.phase("restoring file contents");
        plan.write(&self.backend, &self.key, reporter)?;
        for (source, dest) in hard_links {
            if std::fs::symlink_metadata(&dest).is_ok() {
                std::fs::remove_file(&dest).map_err(|e| Error::io(&dest, e))?;
            }
            std::fs::hard_link(&source, &dest).map_err(|e| Error::io(&dest, e))?;
        }

        reporter.phase("setting metadata");
        let dest = LocalDestination::new(&dest_root.display().to_string(), true, !node.is_dir())
            .map_err(Error::from_rustic)?;
        let mut opts = RestoreOptions::default();
        // Ownership only as root (restic does the same); modes and mtimes always.
        opts.no_ownership = !is_root();
        repo.restore(RestorePlan::default(), &opts, walk(&repo, &node)?, &dest)
            .map_err(Error::from_rustic)?;
        reporter.phase("done");
        if let Some(journal_path) = &journal_path {
            let _ = std::fs::remove_file(journal_path);
        }
        lock.release();
        Ok(RestoreOutcome {
            snapshot: snap_id,
            resumed,
            ..counts
        })
    }
}

/// Entries of a snapshot's tree with their paths.
type Entries<'a> = Box<dyn Iterator<Item = RusticResult<(PathBuf, Node)>> + 'a>;

/// Every entry below `node`, recursively, with its path relative to it (a file: itself,
/// with an empty path).
fn walk<'a>(repo: &'a Repository<IndexedFullStatus>, node: &Node) -> Result<Entries<'a>> {
    if !node.is_dir() {
        return Ok(Box::new(std::iter::once(Ok((
            PathBuf::new(),
            node.clone(),
        )))));
    }
    let mut opts = LsOptions::default();
    opts.recursive = true;
    Ok(Box::new(repo.ls(node, &opts).map_err(Error::from_rustic)?))
}

/// Whether a file's status changed after an interrupted restore started (`since`, from
/// its journal): then that run was writing it (1 s of slack for clock granularity).
fn written_since(meta: &std::fs::Metadata, since: Option<OffsetDateTime>) -> bool {
    since.is_some_and(|since| {
        OffsetDateTime::from_unix_timestamp(meta.ctime())
            .is_ok_and(|ctime| ctime >= since - time::Duration::seconds(1))
    })
}

/// Whether an existing `meta` is the snapshot's file `entry`: a file of its size and
/// mtime (to the nanosecond).
fn same_file(meta: &std::fs::Metadata, entry: &Node) -> bool {
    meta.is_file()
        && meta.len() == entry.meta.size
        && entry.meta.mtime.is_some_and(|m| {
            m.as_second() == meta.mtime() && i64::from(m.subsec_nanosecond()) == meta.mtime_nsec()
        })
}

/// A path from a snapshot must stay below the target: only plain names, never `..`,
/// a root or a prefix (a hostile repository could hold any name).
fn check_relative(rel: &Path) -> Result<()> {
    if rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        Ok(())
    } else {
        Err(Error::invalid(
            "path",
            format!(
                "the snapshot holds `{}`, which would leave the target: nothing is written there",
                rel.display()
            ),
        ))
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

//! Pruning: removing data no snapshot needs any more (rustic's plan: unused packs go,
//! partly used ones are repacked when worth it).

use rustic_core::PruneOptions;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};

/// What prune did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    /// Packs removed.
    pub packs_removed: u64,
    /// Packs repacked (their used blobs copied to new packs).
    pub packs_repacked: u64,
    /// Packs kept as they are.
    pub packs_kept: u64,
    /// Bytes freed (unused data removed).
    pub bytes_freed: u64,
    /// The repository's size after (in a dry run: now).
    pub repo_size: u64,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl Repo {
    /// Removes unreferenced data; with `dry_run`, only says what would go. Takes
    /// restic's exclusive lock; refused on an append-only host.
    pub async fn prune(&self, dry_run: bool) -> Result<PruneOutcome> {
        if !dry_run {
            self.deny_if_append_only("prune")?;
        }
        let repo = self.clone();
        blocking(move || {
            let lock = if dry_run {
                None
            } else {
                Some(repo.lock_blocking(true)?)
            };
            let mut opts = PruneOptions::default();
            // restic deletes at once under its exclusive lock; so does Coffer (rustic's
            // default marks packs and deletes them a day later).
            opts.instant_delete = true;
            let plan = repo.inner.prune_plan(&opts).map_err(Error::from_rustic)?;
            let stats = &plan.stats;
            let size = stats.size_sum();
            let mut outcome = PruneOutcome {
                packs_removed: stats.packs_to_delete.remove,
                packs_repacked: stats.packs.repack,
                packs_kept: stats.packs.keep,
                bytes_freed: size.remove + size.repackrm,
                repo_size: 0,
                dry_run,
            };
            if !dry_run {
                repo.inner.prune(&opts, plan).map_err(Error::from_rustic)?;
            }
            outcome.repo_size = repo.repo_size_blocking()?;
            if let Some(lock) = lock {
                lock.release();
            }
            Ok(outcome)
        })
        .await
    }
}

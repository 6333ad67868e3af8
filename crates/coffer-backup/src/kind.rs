//! Backups as a job kind of the engine: schedules, history, notifications, webhooks
//! and the tray come from `coffer-jobs`; a run is one [`Repo::backup`], then the
//! job's retention (forget, and prune when asked).
//!
//! A run can pause: what reached the repository stays, and the next run goes on from
//! there ([`crate::backup`]'s resume). A run the agent was running when it stopped is
//! queued again. Backups have a lane of their own, one at a time.

use std::sync::Arc;
use std::time::Instant;

use coffer_core::session::Session;
use coffer_jobs::{
    AfterRestart, JobError, JobsError, Kind, Lane, PrepareEnv, Prepared, RunContext, Stores,
};
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::backup::BackupRequest;
use crate::error::Error;
use crate::forget::KeepPolicy;
use crate::location::RepoLocation;
use crate::progress::Progress;

/// The params of a backup job. (`request`'s fields sit at the top level; serde cannot
/// refuse unknown fields beside a flattened struct.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupParams {
    /// The profile whose store holds the repository.
    pub profile: String,
    /// The repository: `s3://bucket/prefix/`.
    pub repo: String,
    /// What to back up and how.
    #[serde(flatten)]
    pub request: BackupRequest,
    /// Retention applied after each run (forget), when set.
    #[serde(default)]
    pub keep: Option<KeepPolicy>,
    /// Prune after forgetting.
    #[serde(default)]
    pub prune: bool,
}

/// The backup kind.
#[derive(Debug, Clone)]
pub struct BackupKind {
    session: Session,
}

impl BackupKind {
    /// The kind, reaching keychain, database and data dir through `session`.
    pub fn new(session: Session) -> Self {
        BackupKind { session }
    }

    fn access(&self, stores: &dyn Stores, profile: &str) -> Result<Access, JobError> {
        let (profile, store) = stores.store(profile)?;
        Ok(Access {
            store,
            profile: profile.name,
            secrets: self.session.secrets().clone(),
            db: self.session.db().clone(),
            data_dir: self.session.data_dir().root().to_path_buf(),
        })
    }
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        JobError::new(e.code(), e.to_string())
    }
}

#[async_trait::async_trait]
impl Kind for BackupKind {
    fn name(&self) -> &'static str {
        "backup"
    }

    fn prepare(
        &self,
        params: serde_json::Value,
        env: &PrepareEnv<'_>,
        stores: &dyn Stores,
    ) -> Result<Prepared, JobsError> {
        let mut p: BackupParams = coffer_jobs::kind::parse_params(params)?;
        let location = RepoLocation::parse(&p.repo)
            .map_err(|e| JobsError::invalid("params.repo", e.to_string()))?;
        p.repo = location.to_string();
        stores.store(&p.profile)?;
        if p.request.paths.is_empty() {
            return Err(JobsError::invalid(
                "params.paths",
                "give at least one folder to back up",
            ));
        }
        let mut paths = Vec::new();
        for path in &p.request.paths {
            paths.push(env.local_path(path)?);
        }
        p.request.paths = paths;
        let mut files = Vec::new();
        for file in &p.request.exclude_files {
            files.push(env.local_path(file)?);
        }
        p.request.exclude_files = files;
        if p.keep.is_some_and(|k| !k.is_set()) {
            p.keep = None;
        }
        if p.prune && p.keep.is_none() {
            return Err(JobsError::invalid(
                "params.prune",
                "prune runs after forget: give keep rules as well",
            ));
        }
        let what = p
            .request
            .paths
            .iter()
            .map(|p| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let name = format!("backup of {what}");
        let params =
            serde_json::to_value(&p).map_err(|e| JobsError::invalid("params", e.to_string()))?;
        Ok(Prepared { params, name })
    }

    fn can_pause(&self) -> bool {
        true
    }

    fn lane(&self) -> Lane {
        Lane {
            name: "backup",
            at_once: 1,
        }
    }

    fn after_restart(&self) -> AfterRestart {
        AfterRestart::Resume
    }

    async fn run(&self, ctx: RunContext) -> Result<(), JobError> {
        let p: BackupParams = ctx.params()?;
        let location = RepoLocation::parse(&p.repo).map_err(JobError::from)?;
        let access = self.access(ctx.stores.as_ref(), &p.profile)?;
        let repo = access.open(location, None).await?;
        let started = Instant::now();
        let sink = {
            let ctx = ctx.clone();
            Arc::new(move |progress: &Progress| {
                ctx.progress(&progress.to_job_progress("backup", started))
            })
        };
        let outcome = repo
            .backup(p.request.clone(), sink, ctx.cancel.clone())
            .await?;
        let mut details = serde_json::json!({
            "snapshot": outcome.snapshot.id,
            "files_new": outcome.files_new,
            "files_changed": outcome.files_changed,
            "files_unmodified": outcome.files_unmodified,
            "bytes_added": outcome.bytes_added,
            "bytes_added_packed": outcome.bytes_added_packed,
            "repo_size": outcome.repo_size,
            "resumed_packs": outcome.resumed_packs,
            "errors": outcome.errors,
            "first_errors": outcome.first_errors,
        });
        if let Some(keep) = p.keep {
            let forgot = repo.forget(keep, false).await?;
            details["forgotten"] = forgot.removed.into();
            if p.prune && forgot.removed > 0 {
                let pruned = repo.prune(false).await?;
                details["pruned_bytes"] = pruned.bytes_freed.into();
                details["repo_size"] = pruned.repo_size.into();
            }
        }
        ctx.set_details(details);
        let total = outcome
            .snapshot
            .summary
            .as_ref()
            .map_or(0, |s| s.total_bytes);
        ctx.progress(&coffer_core::transfer::Progress {
            operation: "backup",
            bytes_done: total,
            bytes_total: total,
            bytes_resumed: 0,
            items_done: outcome.files_new + outcome.files_changed + outcome.files_unmodified,
            items_total: outcome.files_new + outcome.files_changed + outcome.files_unmodified,
            rate: 0.0,
            eta: None,
            elapsed: started.elapsed(),
            finished: true,
        });
        Ok(())
    }
}

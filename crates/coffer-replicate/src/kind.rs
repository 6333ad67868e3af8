//! Replication as a job kind of the engine: the agent (desktop or `coffer serve`)
//! keeps each database replicated while it runs; pausing a job stops its
//! replicator after a last sync, resuming starts it again where the replicas stand.
//!
//! A run lasts as long as the job is enabled ([`Kind::continuous`]): it never holds
//! back transfers or backups. Its live state is kept in [`Live`] for the API's
//! `/api/v1/replication` routes; a restore drill runs on its own schedule.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coffer_core::uri::S3Url;
use coffer_jobs::{
    AfterRestart, JobError, JobsError, Kind, Lane, PrepareEnv, Prepared, RunContext, Stores,
};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::drill::{DrillReport, drill};
use crate::error::ReplicateError;
use crate::replica::Replica;
use crate::replicator::{Replicator, ReplicatorConfig, Status};
use crate::retain::Retention;

/// One replica of a job: a profile and `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaTarget {
    /// The profile.
    pub profile: String,
    /// `s3://BUCKET/PREFIX`: the database goes to `PREFIX/NAME/`.
    pub url: String,
}

fn default_interval() -> u64 {
    1000
}
fn default_snapshot() -> u64 {
    86_400
}
fn default_retain() -> u64 {
    7 * 86_400
}
fn default_drill() -> u64 {
    86_400
}
fn default_lag_alert() -> u64 {
    60
}

/// The params of a replication job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicateParams {
    /// The database file.
    pub db: PathBuf,
    /// Its name in the replicas (the file's name when not given).
    #[serde(default)]
    pub name: Option<String>,
    /// Where it goes.
    pub replicas: Vec<ReplicaTarget>,
    /// Sync interval, ms.
    #[serde(default = "default_interval")]
    pub interval_ms: u64,
    /// Snapshot interval, s.
    #[serde(default = "default_snapshot")]
    pub snapshot_every_s: u64,
    /// How long history is kept, s.
    #[serde(default = "default_retain")]
    pub retain_s: u64,
    /// Restore drill interval, s (0: never).
    #[serde(default = "default_drill")]
    pub drill_every_s: u64,
    /// Alert when a replica is this many seconds behind.
    #[serde(default = "default_lag_alert")]
    pub lag_alert_s: u64,
}

impl ReplicateParams {
    /// The database's name in the replicas.
    pub fn db_id(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.db
                .file_name()
                .map_or_else(|| "db".into(), |n| n.to_string_lossy().into_owned())
        })
    }

    /// The replicas, reached through `stores`.
    pub fn replicas(&self, stores: &dyn Stores) -> Result<Vec<Replica>, JobError> {
        let id = self.db_id();
        let mut out = Vec::new();
        for t in &self.replicas {
            let url = S3Url::parse(&t.url).map_err(JobError::from)?;
            let (_, store) = stores.store(&t.profile)?;
            out.push(
                Replica::new(
                    format!("{}:{}", t.profile, url),
                    store,
                    url.bucket.clone(),
                    &url.key,
                    &id,
                )
                .map_err(JobError::from)?,
            );
        }
        Ok(out)
    }
}

impl From<ReplicateError> for JobError {
    fn from(e: ReplicateError) -> Self {
        JobError::new(e.code(), e.to_string())
    }
}

/// The live state of every running replication job, by job id.
#[derive(Debug, Clone, Default)]
pub struct Live {
    jobs: Arc<Mutex<BTreeMap<String, Arc<Mutex<Status>>>>>,
}

impl Live {
    /// The status of job `id`, while it runs.
    pub fn get(&self, id: &str) -> Option<Status> {
        let jobs = self.jobs.lock().ok()?;
        let status = jobs.get(id)?.lock().ok()?.clone();
        Some(status)
    }

    /// Every running job's status.
    pub fn all(&self) -> Vec<(String, Status)> {
        let Ok(jobs) = self.jobs.lock() else {
            return Vec::new();
        };
        jobs.iter()
            .filter_map(|(id, s)| s.lock().ok().map(|s| (id.clone(), s.clone())))
            .collect()
    }

    fn insert(&self, id: &str, status: Arc<Mutex<Status>>) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(id.to_string(), status);
        }
    }

    fn remove(&self, id: &str) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.remove(id);
        }
    }
}

/// The replication kind.
#[derive(Debug, Clone)]
pub struct ReplicateKind {
    data_dir: PathBuf,
    live: Live,
}

impl ReplicateKind {
    /// The kind, with spools and drills under `data_dir/replicate`.
    pub fn new(data_dir: PathBuf) -> Self {
        ReplicateKind {
            data_dir,
            live: Live::default(),
        }
    }

    /// The live states, for the API.
    pub fn live(&self) -> Live {
        self.live.clone()
    }

    fn dir(&self, job: &str, what: &str) -> PathBuf {
        self.data_dir
            .join("replicate")
            .join(format!("{job}-{what}"))
    }

    /// Runs a restore drill of every replica of `params` now.
    pub async fn drill_now(
        &self,
        job: &str,
        params: &ReplicateParams,
        stores: &dyn Stores,
        cancel: &CancellationToken,
    ) -> Result<Vec<DrillReport>, JobError> {
        let mut reports = Vec::new();
        for replica in params.replicas(stores)? {
            reports.push(drill(&replica, &self.dir(job, "drill"), cancel).await);
        }
        let _ = std::fs::remove_dir_all(self.dir(job, "drill"));
        if let Ok(jobs) = self.live.jobs.lock()
            && let Some(status) = jobs.get(job)
            && let Ok(mut s) = status.lock()
        {
            s.drills = reports.clone();
        }
        Ok(reports)
    }
}

#[async_trait::async_trait]
impl Kind for ReplicateKind {
    fn name(&self) -> &'static str {
        "replicate"
    }

    fn prepare(
        &self,
        params: serde_json::Value,
        env: &PrepareEnv<'_>,
        stores: &dyn Stores,
    ) -> Result<Prepared, JobsError> {
        let mut p: ReplicateParams = coffer_jobs::kind::parse_params(params)?;
        p.db = env.local_path(&p.db)?;
        match std::fs::metadata(&p.db) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(JobsError::invalid(
                    "params.db",
                    format!("{} is not a file", p.db.display()),
                ));
            }
            Err(e) => {
                return Err(JobsError::invalid(
                    "params.db",
                    format!("{}: {e}", p.db.display()),
                ));
            }
        }
        if !crate::key::valid_db_id(&p.db_id()) {
            return Err(JobsError::invalid(
                "params.name",
                "one folder name, no control characters",
            ));
        }
        if p.replicas.is_empty() {
            return Err(JobsError::invalid(
                "params.replicas",
                "give at least one replica",
            ));
        }
        for (i, t) in p.replicas.iter_mut().enumerate() {
            let url = S3Url::parse(&t.url).map_err(|e| {
                JobsError::invalid(format!("params.replicas[{i}].url"), e.to_string())
            })?;
            t.url = url.to_string();
            stores.store(&t.profile)?;
        }
        if p.interval_ms < 100 {
            return Err(JobsError::invalid("params.interval_ms", "at least 100 ms"));
        }
        if p.snapshot_every_s < 60 || p.retain_s < 60 {
            return Err(JobsError::invalid(
                "params.snapshot_every_s",
                "snapshots and retention are at least a minute",
            ));
        }
        let name = format!(
            "replication of {}",
            p.db.file_name().map_or_else(
                || p.db.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            )
        );
        let params =
            serde_json::to_value(&p).map_err(|e| JobsError::invalid("params", e.to_string()))?;
        Ok(Prepared { params, name })
    }

    fn can_pause(&self) -> bool {
        true
    }

    fn continuous(&self) -> bool {
        true
    }

    fn lane(&self) -> Lane {
        Lane {
            name: "replicate",
            at_once: 64,
        }
    }

    fn after_restart(&self) -> AfterRestart {
        AfterRestart::Resume
    }

    async fn run(&self, ctx: RunContext) -> Result<(), JobError> {
        let p: ReplicateParams = ctx.params()?;
        let replicas = p.replicas(ctx.stores.as_ref())?;
        let spool = self.dir(&ctx.job, "spool");
        let mut config = ReplicatorConfig::new(p.db.clone(), spool.clone(), replicas);
        config.interval = Duration::from_millis(p.interval_ms);
        config.snapshot_every = Duration::from_secs(p.snapshot_every_s);
        config.lag_alert = Duration::from_secs(p.lag_alert_s);
        config.retention = Retention {
            retain: Duration::from_secs(p.retain_s),
            ..Retention::default()
        };
        let replicator = Replicator::start(config).await?;
        let status = replicator.status();
        self.live.insert(&ctx.job, status.clone());
        let watcher = {
            let ctx = ctx.clone();
            let status = status.clone();
            let kind = self.clone();
            let params = p.clone();
            tokio::spawn(async move {
                let mut next_drill =
                    tokio::time::Instant::now() + Duration::from_secs(p.drill_every_s.max(1));
                loop {
                    tokio::select! {
                        () = ctx.cancel.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_secs(2)) => {}
                    }
                    let alert = match status.lock() {
                        Ok(s) => {
                            ctx.set_details(serde_json::to_value(&*s).unwrap_or_default());
                            s.alert.clone()
                        }
                        Err(_) => None,
                    };
                    ctx.alert(alert);
                    if params.drill_every_s > 0 && tokio::time::Instant::now() >= next_drill {
                        next_drill =
                            tokio::time::Instant::now() + Duration::from_secs(params.drill_every_s);
                        if let Err(e) = kind
                            .drill_now(&ctx.job, &params, ctx.stores.as_ref(), &ctx.cancel)
                            .await
                        {
                            tracing::warn!(job = %ctx.job, error = %e, "restore drill could not start");
                        }
                    }
                }
            })
        };
        let result = replicator.run(ctx.cancel.clone()).await;
        let _ = watcher.await;
        if let Ok(s) = status.lock() {
            ctx.set_details(serde_json::to_value(&*s).unwrap_or_default());
        }
        self.live.remove(&ctx.job);
        let _ = std::fs::remove_dir_all(&spool);
        result?;
        Err(JobError::new(
            "stopped",
            "replication stopped after a last sync",
        ))
    }
}

//! Where jobs live in the local database: trees of their own, with a schema version.
//!
//! | tree | key | value |
//! |---|---|---|
//! | [`TREE_DEFS`] | job id | [`JobDef`] (JSON) |
//! | [`TREE_STATUS`] | job id | [`JobStatus`] (JSON) |
//! | [`TREE_RUNS`] | `job id/sequence (20 digits)` | [`RunRecord`] (JSON) |
//! | `schema` ([`coffer_core::meta::TREE_SCHEMA`]) | `jobs` | the version, [`SCHEMA_VERSION`] |
//!
//! Version 1 replaced the transfer queue's own tree (`jobs`, one record per transfer,
//! written by Coffer 0.1's API); [`open`] moves such records into the new trees once.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use coffer_core::meta::{MetaDb, MetaDbExt, TREE_SCHEMA};
use serde::Deserialize;

use crate::error::{JobError, Result};
use crate::model::{JobDef, JobState, JobStatus, NotifyPolicy, RunRecord};

/// Job definitions.
pub const TREE_DEFS: &str = "job_defs";
/// Job statuses.
pub const TREE_STATUS: &str = "job_status";
/// Runs, per job, oldest first.
pub const TREE_RUNS: &str = "job_runs";
/// The transfer queue's tree before the engine (read once, then emptied).
pub const LEGACY_TREE: &str = "jobs";
/// The version of the jobs' trees.
pub const SCHEMA_VERSION: u32 = 1;

/// How much history is kept per job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The most runs kept.
    pub max_runs: usize,
    /// Runs older than this are dropped (the newest one is always kept).
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_runs: 200,
            max_age: Duration::days(90),
        }
    }
}

/// The jobs' records in a [`MetaDb`].
#[derive(Debug, Clone)]
pub struct JobStore {
    db: Arc<dyn MetaDb>,
}

/// Opens the jobs' trees, migrating older records first.
pub fn open(db: Arc<dyn MetaDb>) -> Result<JobStore> {
    let store = JobStore { db };
    let version: Option<u32> = store.db.get_json(TREE_SCHEMA, "jobs")?;
    match version {
        Some(v) if v > SCHEMA_VERSION => {
            return Err(coffer_core::Error::MetaDb {
                path: TREE_SCHEMA.into(),
                cause: format!(
                    "the jobs were saved by a newer Coffer (schema {v}, this one reads \
                     {SCHEMA_VERSION}); update Coffer"
                ),
            }
            .into());
        }
        Some(_) => {}
        None => {
            let moved = migrate_legacy(&store)?;
            if moved > 0 {
                tracing::info!(
                    jobs = moved,
                    "transfer jobs moved to the job engine's trees"
                );
            }
            store.db.put_json(TREE_SCHEMA, "jobs", &SCHEMA_VERSION)?;
            store.db.flush()?;
        }
    }
    Ok(store)
}

impl JobStore {
    /// Every job's definition and status (a definition without a status gets an idle
    /// one).
    pub fn load(&self) -> Result<Vec<(JobDef, JobStatus)>> {
        let defs: Vec<(String, JobDef)> = self.db.scan_json(TREE_DEFS, "")?;
        let mut out = Vec::with_capacity(defs.len());
        for (id, def) in defs {
            let status = self
                .db
                .get_json::<JobStatus>(TREE_STATUS, &id)
                .ok()
                .flatten()
                .unwrap_or_else(|| JobStatus::new(JobState::Idle));
            out.push((def, status));
        }
        Ok(out)
    }

    /// Saves a definition.
    pub fn put_def(&self, def: &JobDef) -> Result<()> {
        Ok(self.db.put_json(TREE_DEFS, &def.id, def)?)
    }

    /// Saves a status.
    pub fn put_status(&self, id: &str, status: &JobStatus) -> Result<()> {
        Ok(self.db.put_json(TREE_STATUS, id, status)?)
    }

    /// Removes a job and its history.
    pub fn remove(&self, id: &str) -> Result<()> {
        for (key, _) in self.db.scan_prefix(TREE_RUNS, run_prefix(id).as_bytes())? {
            self.db.delete(TREE_RUNS, &key)?;
        }
        self.db.delete(TREE_STATUS, id.as_bytes())?;
        self.db.delete(TREE_DEFS, id.as_bytes())?;
        Ok(())
    }

    /// The sequence number of a job's next run: one more than its last one.
    pub fn next_seq(&self, id: &str) -> Result<u64> {
        Ok(self.runs(id)?.last().map_or(1, |r| r.seq + 1))
    }

    /// Saves a run (new or ended) and makes it durable.
    pub fn put_run(&self, run: &RunRecord) -> Result<()> {
        self.db.put_json(TREE_RUNS, &run_key(run), run)?;
        Ok(self.db.flush()?)
    }

    /// A job's runs, oldest first.
    pub fn runs(&self, id: &str) -> Result<Vec<RunRecord>> {
        Ok(self
            .db
            .scan_json::<RunRecord>(TREE_RUNS, &run_prefix(id))?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// Drops a job's runs beyond `keep`, counting from the newest; never the newest.
    pub fn trim(&self, id: &str, keep: Retention, now: DateTime<Utc>) -> Result<usize> {
        let runs = self.runs(id)?;
        let count = runs.len();
        let mut dropped = 0;
        for (i, run) in runs.iter().enumerate() {
            let newest = i + 1 == count;
            let too_many = count - i > keep.max_runs;
            let too_old = now - run.started > keep.max_age;
            if !newest && (too_many || too_old) {
                self.db.delete(TREE_RUNS, run_key(run).as_bytes())?;
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<()> {
        Ok(self.db.flush()?)
    }
}

fn run_prefix(job: &str) -> String {
    format!("{job}/")
}

fn run_key(run: &RunRecord) -> String {
    format!("{}/{:020}", run.job, run.seq)
}

/// A record of the transfer queue before the engine.
#[derive(Deserialize)]
struct LegacyJob {
    id: String,
    kind: String,
    profile: String,
    bucket: String,
    key: String,
    path: std::path::PathBuf,
    state: JobState,
    #[serde(default)]
    progress: Option<coffer_core::transfer::Progress>,
    #[serde(default)]
    error: Option<JobError>,
    created: String,
}

/// Moves the transfer queue's records into the engine's trees; returns how many.
fn migrate_legacy(store: &JobStore) -> Result<usize> {
    let mut moved = 0;
    for (key, value) in store.db.scan_prefix(LEGACY_TREE, b"")? {
        match serde_json::from_slice::<LegacyJob>(&value) {
            Ok(old) => {
                let created = DateTime::parse_from_rfc3339(&old.created)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|_| Utc::now());
                let params = serde_json::json!({
                    "profile": old.profile,
                    "bucket": old.bucket,
                    "key": old.key,
                    "path": old.path,
                });
                let name = crate::kinds::transfer::display_name(&old.kind, &old.bucket, &old.key);
                let def = JobDef {
                    id: old.id.clone(),
                    kind: old.kind,
                    name,
                    params,
                    schedule: None,
                    enabled: true,
                    notify: NotifyPolicy {
                        on_failure: false,
                        on_success: false,
                    },
                    webhook: None,
                    created,
                    oneoff: false,
                };
                let mut status = JobStatus::new(old.state);
                status.progress = old.progress;
                status.error = old.error;
                status.queued_at = Some(created);
                store.put_def(&def)?;
                store.put_status(&def.id, &status)?;
                moved += 1;
            }
            Err(e) => tracing::warn!(
                key = %String::from_utf8_lossy(&key),
                "an old transfer job could not be read and is dropped: {e}"
            ),
        }
        store.db.delete(LEGACY_TREE, &key)?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RunResult, Trigger};
    use coffer_core::meta::MemoryDb;

    fn run(job: &str, n: i64, at: DateTime<Utc>) -> RunRecord {
        RunRecord {
            id: format!("r{n}"),
            job: job.into(),
            seq: n as u64 + 1,
            trigger: Trigger::Schedule,
            started: at,
            ended: Some(at),
            result: RunResult::Done,
            bytes: 0,
            items: 0,
            error: None,
            details: None,
        }
    }

    #[test]
    fn history_is_trimmed_by_count_and_age_but_keeps_the_newest() {
        let store = open(Arc::new(MemoryDb::default())).expect("open");
        let now = Utc::now();
        for n in 0..10 {
            store
                .put_run(&run("a", n, now - Duration::days(10 - n)))
                .expect("run");
        }
        store.put_run(&run("b", 0, now)).expect("other job");
        let keep = Retention {
            max_runs: 5,
            max_age: Duration::days(3),
        };
        store.trim("a", keep, now).expect("trim");
        let left: Vec<String> = store
            .runs("a")
            .expect("runs")
            .into_iter()
            .map(|r| r.id)
            .collect();
        // Days 10..1 ago: only those within 3 days (r7, r8, r9) remain.
        assert_eq!(left, vec!["r7", "r8", "r9"]);
        assert_eq!(store.runs("b").expect("b").len(), 1);
        let old = Retention {
            max_runs: 5,
            max_age: Duration::days(0),
        };
        store
            .trim("a", old, now + Duration::days(30))
            .expect("trim");
        assert_eq!(store.runs("a").expect("runs").len(), 1, "the newest stays");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
        db.put_json(TREE_SCHEMA, "jobs", &(SCHEMA_VERSION + 1))
            .expect("put");
        let e = open(db).expect_err("newer");
        assert!(e.to_string().contains("newer Coffer"), "{e}");
    }
}

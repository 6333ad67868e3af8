//! [`Replicator`]: one database replicated to one or more replicas, continuously.
//!
//! Each step: a sync (a `stat` of the log; nothing more while the database is idle),
//! a checkpoint when the log holds enough frames, a snapshot when one is due, the
//! uploads, then compaction and retention when their time has come and something
//! was written since. Segments wait in the spool until every replica has them; a
//! replica that fails keeps its queue and catches up at the next step.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::error::{ReplicateError, Result};
use crate::key::Lineage;
use crate::plan::History;
use crate::replica::Replica;
use crate::retain::{self, Retention};
use crate::segment::SegmentHeader;
use crate::shipper::{Made, Resume, Shipper};
use crate::{compact, plan};

/// How a database is replicated.
#[derive(Debug, Clone)]
pub struct ReplicatorConfig {
    /// The database file.
    pub db: PathBuf,
    /// Where segment files wait for their uploads.
    pub spool: PathBuf,
    /// Where they go.
    pub replicas: Vec<Replica>,
    /// How often to sync: the longest a commit waits before its upload starts. Steps
    /// start every `interval` minus the last step's own time (at least a tenth of
    /// it), so that the time from a commit to its upload's end stays within it.
    pub interval: Duration,
    /// Checkpoint once the log holds this many frames past the last checkpoint (at
    /// most every 10 s, unless it holds ten times as many).
    pub checkpoint_frames: u64,
    /// Raise an alert when the log grows past this many bytes.
    pub wal_alert_bytes: u64,
    /// Make a snapshot this often.
    pub snapshot_every: Duration,
    /// Compact into level 1 this often, and into level 2 this often.
    pub compact_every: [Duration; 2],
    /// How long segments are kept.
    pub retention: Retention,
    /// Drop a replica's queue (it gets a snapshot) past this many bytes.
    pub max_queue_bytes: u64,
    /// Raise an alert when a replica is this far behind.
    pub lag_alert: Duration,
}

impl ReplicatorConfig {
    /// The defaults: sync every second, checkpoint at 1,000 frames, alert at
    /// 256 MiB of log, a snapshot a day, level 1 every 5 minutes, level 2 every hour.
    pub fn new(db: PathBuf, spool: PathBuf, replicas: Vec<Replica>) -> Self {
        ReplicatorConfig {
            db,
            spool,
            replicas,
            interval: Duration::from_secs(1),
            checkpoint_frames: 1000,
            wal_alert_bytes: 256 << 20,
            snapshot_every: Duration::from_secs(24 * 3600),
            compact_every: [Duration::from_secs(300), Duration::from_secs(3600)],
            retention: Retention::default(),
            max_queue_bytes: 512 << 20,
            lag_alert: Duration::from_secs(60),
        }
    }
}

/// One replica's state, as the status shows it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReplicaStatus {
    /// The replica's name.
    pub name: String,
    /// The newest TXID it holds.
    pub txid: u64,
    /// Segments waiting for it.
    pub pending: usize,
    /// How far behind the database it is, in ms (0: caught up).
    pub lag_ms: u64,
    /// The last successful upload (ms since the epoch).
    pub last_sync_ms: Option<u64>,
    /// The last snapshot it received (ms since the epoch).
    pub last_snapshot_ms: Option<u64>,
    /// The last error, until an upload succeeds.
    pub error: Option<String>,
    /// Bytes uploaded since start.
    pub bytes: u64,
    /// Requests made since start, by type.
    pub requests: Requests,
    /// Bytes uploaded per hour: (the hour's start in ms since the epoch, bytes), the
    /// last 48 hours.
    pub bytes_per_hour: VecDeque<(u64, u64)>,
    /// Lag of each uploaded segment (ms from its commit to the upload's end), the
    /// latest 1,000.
    #[serde(skip)]
    pub lags: VecDeque<u64>,
}

impl ReplicaStatus {
    fn add_bytes(&mut self, bytes: u64, now_ms: u64) {
        let hour = now_ms - now_ms % 3_600_000;
        match self.bytes_per_hour.back_mut() {
            Some((h, b)) if *h == hour => *b += bytes,
            _ => {
                self.bytes_per_hour.push_back((hour, bytes));
                if self.bytes_per_hour.len() > 48 {
                    self.bytes_per_hour.pop_front();
                }
            }
        }
    }

    /// The lag percentiles of the latest uploads: (p50, p99) in ms.
    pub fn lag_percentiles(&self) -> Option<(u64, u64)> {
        if self.lags.is_empty() {
            return None;
        }
        let mut v: Vec<u64> = self.lags.iter().copied().collect();
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.99)))
    }
}

/// Requests made, by type.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Requests {
    /// PUTs (and parts).
    pub put: u64,
    /// LISTs.
    pub list: u64,
    /// GETs.
    pub get: u64,
    /// Delete batches.
    pub delete: u64,
}

/// The replication of one database, as the status shows it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Status {
    /// The database.
    pub db: PathBuf,
    /// The lineage being written.
    pub lineage: String,
    /// The newest TXID made.
    pub txid: u64,
    /// The log's size.
    pub wal_bytes: u64,
    /// An alert, when the log is too large or a replica fails.
    pub alert: Option<String>,
    /// The last checkpoint (ms since the epoch).
    pub last_checkpoint_ms: Option<u64>,
    /// Each replica.
    pub replicas: Vec<ReplicaStatus>,
    /// The latest restore drill of each replica.
    pub drills: Vec<crate::drill::DrillReport>,
}

struct ReplicaState {
    replica: Replica,
    queue: VecDeque<Arc<Made>>,
    status: ReplicaStatus,
    compacted_txid: [u64; 2],
    compacted_at: [Instant; 2],
    retained_txid: u64,
}

/// Replicates one database.
pub struct Replicator {
    config: ReplicatorConfig,
    shipper: Arc<Mutex<Option<Shipper>>>,
    replicas: Vec<ReplicaState>,
    status: Arc<Mutex<Status>>,
    last_snapshot: Instant,
    last_snapshot_txid: u64,
    /// When the last step's sync had reached every replica (or found nothing).
    shipped_at: Option<Instant>,
    last_checkpoint: Instant,
}

impl std::fmt::Debug for Replicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replicator")
            .field("db", &self.config.db)
            .finish_non_exhaustive()
    }
}

/// The newest position one replica holds: one LIST per level, and a ranged GET of
/// the newest segment's header.
pub async fn newest_position(replica: &Replica) -> Result<Option<Resume>> {
    let lineages = replica.lineages().await?;
    let Some(lineage) = lineages.last() else {
        return Ok(None);
    };
    let history = History::read(replica, *lineage).await?;
    let Some(newest) = history
        .all()
        .max_by_key(|l| (l.key.max_txid, l.key.level == 0, l.key.ts_ms))
        .cloned()
    else {
        return Ok(None);
    };
    let ts_ms = history.all().map(|l| l.key.ts_ms).max().unwrap_or(0);
    let range = coffer_core::store::ByteRange {
        start: 0,
        end: crate::segment::HEADER_LEN as u64,
    };
    let mut object = replica
        .get_segment(lineage, &newest.key, Some(range))
        .await?;
    let mut head = Vec::new();
    use futures::StreamExt;
    while let Some(chunk) = object.body.next().await {
        head.extend_from_slice(&chunk?);
    }
    let key = replica.key(lineage, &newest.key);
    let header = SegmentHeader::decode(&head, &key)?;
    Ok(Some(Resume {
        lineage: *lineage,
        txid: newest.key.max_txid,
        ts_ms,
        position: Some(header.position),
        page_size: header.page_size,
    }))
}

/// Where all replicas agree to go on from: their common position, or (when they
/// differ) the newest lineage and TXID with no position, so that a snapshot is made.
fn agree(positions: &[Option<Resume>]) -> Option<Resume> {
    let newest = positions
        .iter()
        .flatten()
        .max_by_key(|r| (r.lineage, r.txid))?
        .clone();
    let unanimous = positions.iter().all(|p| p.as_ref() == Some(&newest));
    let ts_ms = positions
        .iter()
        .flatten()
        .map(|r| r.ts_ms)
        .max()
        .unwrap_or(0);
    Some(Resume {
        position: if unanimous { newest.position } else { None },
        ts_ms,
        ..newest
    })
}

async fn blocking<T: Send + 'static>(
    shipper: &Arc<Mutex<Option<Shipper>>>,
    work: impl FnOnce(&mut Shipper) -> Result<T> + Send + 'static,
) -> Result<T> {
    let shipper = shipper.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = shipper
            .lock()
            .map_err(|_| ReplicateError::Database("the shipper was poisoned".into()))?;
        let shipper = guard
            .as_mut()
            .ok_or_else(|| ReplicateError::Database("the replicator was stopped".into()))?;
        work(shipper)
    })
    .await
    .map_err(|e| ReplicateError::Database(format!("the replicator's thread failed: {e}")))?
}

impl Replicator {
    /// Reads where the replicas stand, opens the database, and ships what it must to
    /// start (what was committed since, or a snapshot).
    pub async fn start(config: ReplicatorConfig) -> Result<Replicator> {
        if config.replicas.is_empty() {
            return Err(ReplicateError::Invalid(
                "a database needs at least one replica".into(),
            ));
        }
        let mut positions = Vec::new();
        let mut replicas = Vec::new();
        for replica in &config.replicas {
            let position = newest_position(replica).await?;
            let mut status = ReplicaStatus {
                name: replica.name.clone(),
                txid: position.as_ref().map_or(0, |p| p.txid),
                ..ReplicaStatus::default()
            };
            status.requests.list += plan::LEVELS.len() as u64 + 1;
            status.requests.get += u64::from(position.is_some());
            replicas.push(ReplicaState {
                replica: replica.clone(),
                queue: VecDeque::new(),
                status,
                compacted_txid: [0; 2],
                compacted_at: [Instant::now(); 2],
                retained_txid: 0,
            });
            positions.push(position);
        }
        let resume = agree(&positions);
        let (db, spool) = (config.db.clone(), config.spool.clone());
        let (shipper, made) =
            tokio::task::spawn_blocking(move || Shipper::start(&db, &spool, resume))
                .await
                .map_err(|e| {
                    ReplicateError::Database(format!("the replicator's thread failed: {e}"))
                })??;
        let status = Status {
            db: config.db.clone(),
            lineage: shipper.lineage().to_string(),
            txid: shipper.txid(),
            ..Status::default()
        };
        let mut replicator = Replicator {
            config,
            shipper: Arc::new(Mutex::new(Some(shipper))),
            replicas,
            status: Arc::new(Mutex::new(status)),
            last_snapshot: Instant::now(),
            last_snapshot_txid: 0,
            shipped_at: None,
            last_checkpoint: Instant::now() - Duration::from_secs(3600),
        };
        replicator.enqueue(made);
        replicator.upload().await;
        replicator.publish();
        Ok(replicator)
    }

    /// The status, shared: it is updated after every step.
    pub fn status(&self) -> Arc<Mutex<Status>> {
        self.status.clone()
    }

    /// The lineage being written.
    pub fn lineage(&self) -> Option<Lineage> {
        self.shipper
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(Shipper::lineage))
    }

    fn enqueue(&mut self, made: Vec<Made>) {
        for m in made {
            if m.header.snapshot {
                self.last_snapshot = Instant::now();
                self.last_snapshot_txid = m.key.max_txid;
            }
            let m = Arc::new(m);
            for r in &mut self.replicas {
                r.queue.push_back(m.clone());
            }
        }
    }

    /// One step: sync, checkpoint when due, snapshot when due, upload, then
    /// compaction and retention when due. Errors of one replica are kept in its
    /// status; an error of the database itself is returned.
    pub async fn step(&mut self) -> Result<()> {
        let made = blocking(&self.shipper, Shipper::sync).await?;
        let shipped = !made.is_empty();
        self.enqueue(made);
        // What was committed goes up first; the checkpoint and the rest come after,
        // off the path from a commit to its upload.
        if shipped {
            self.upload().await;
        }
        self.shipped_at = Some(Instant::now());
        let frames = self.config.checkpoint_frames;
        // At most one checkpoint per 10 s unless the log runs away (10× the frames):
        // each one costs a write lock and a small segment of its own.
        let recent = self.last_checkpoint.elapsed() < Duration::from_secs(10);
        let (made, checkpointed) = blocking(&self.shipper, move |s| {
            let due = s.frames_since_checkpoint();
            if due >= frames.saturating_mul(10) || (due >= frames && !recent) {
                s.checkpoint().map(|(m, c)| (m, c.is_some()))
            } else {
                Ok((Vec::new(), false))
            }
        })
        .await?;
        self.enqueue(made);
        if checkpointed {
            self.last_checkpoint = Instant::now();
            if let Ok(mut st) = self.status.lock() {
                st.last_checkpoint_ms = Some(now_ms());
            }
        }
        let txid = self.txid();
        if self.last_snapshot.elapsed() >= self.config.snapshot_every
            && txid != self.last_snapshot_txid
        {
            let made = blocking(&self.shipper, Shipper::snapshot).await?;
            self.enqueue(made);
        }
        if self
            .replicas
            .iter()
            .any(|r| r.queue.iter().map(|m| m.size).sum::<u64>() > self.config.max_queue_bytes)
        {
            // A replica far behind gets a fresh image instead of an ever longer queue.
            for r in &mut self.replicas {
                if r.queue.iter().map(|m| m.size).sum::<u64>() > self.config.max_queue_bytes {
                    tracing::warn!(replica = %r.replica.name, "too far behind: its queue is replaced by a snapshot");
                    r.queue.clear();
                }
            }
            let made = blocking(&self.shipper, Shipper::snapshot).await?;
            self.enqueue(made);
        }
        self.upload().await;
        self.maintain().await;
        self.publish();
        Ok(())
    }

    fn txid(&self) -> u64 {
        self.shipper
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(Shipper::txid))
            .unwrap_or(0)
    }

    /// Uploads each replica's queue in order; a failure stops that replica's queue
    /// until the next step.
    async fn upload(&mut self) {
        let uploads = self.replicas.iter_mut().map(|r| async move {
            while let Some(m) = r.queue.front().cloned() {
                match r.replica.put_segment(&m.lineage, &m.key, &m.path).await {
                    Ok(()) => {
                        let now = SystemTime::now();
                        let lag = now
                            .duration_since(m.committed_at)
                            .map_or(0, |d| d.as_millis() as u64);
                        r.queue.pop_front();
                        let s = &mut r.status;
                        s.txid = m.key.max_txid;
                        s.bytes += m.size;
                        s.add_bytes(m.size, now_ms());
                        s.requests.put += m.size.div_ceil(32 << 20).max(1);
                        s.last_sync_ms = Some(now_ms());
                        if m.header.snapshot {
                            s.last_snapshot_ms = Some(now_ms());
                        } else {
                            s.lags.push_back(lag);
                            if s.lags.len() > 1000 {
                                s.lags.pop_front();
                            }
                        }
                        s.error = None;
                    }
                    Err(e) => {
                        tracing::warn!(replica = %r.replica.name, error = %e, "upload failed; will retry");
                        r.status.error = Some(e.to_string());
                        break;
                    }
                }
            }
        });
        futures::future::join_all(uploads).await;
        // Files every replica has are no longer needed.
        let waiting: std::collections::HashSet<PathBuf> = self
            .replicas
            .iter()
            .flat_map(|r| r.queue.iter().map(|m| m.path.clone()))
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.config.spool) {
            let lineage = self.lineage().map(|l| l.to_string()).unwrap_or_default();
            for entry in entries.flatten() {
                let path = entry.path();
                let ours = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&lineage) && n.ends_with(".seg"));
                if ours && !waiting.contains(&path) {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }

    /// Compaction and retention, per replica, when due and when something new was
    /// uploaded since the last time (an idle database costs no request).
    async fn maintain(&mut self) {
        let Some(lineage) = self.lineage() else {
            return;
        };
        let spool = self.config.spool.clone();
        for r in &mut self.replicas {
            if !r.queue.is_empty() {
                continue;
            }
            let mut changed = false;
            for (i, level) in [1u32, 2].into_iter().enumerate() {
                if r.status.txid > r.compacted_txid[i]
                    && r.compacted_at[i].elapsed() >= self.config.compact_every[i]
                {
                    match compact::compact(&r.replica, &lineage, level, &spool).await {
                        Ok(c) => {
                            r.status.requests.list += 2;
                            r.status.requests.get += c.merged as u64;
                            r.status.requests.put += c.written as u64;
                            r.compacted_txid[i] = r.status.txid;
                            r.compacted_at[i] = Instant::now();
                            changed |= c.written > 0;
                        }
                        Err(e) => {
                            tracing::warn!(replica = %r.replica.name, level, error = %e, "compaction failed");
                            r.status.error = Some(e.to_string());
                        }
                    }
                }
            }
            let snapshot_new = self.last_snapshot_txid > r.retained_txid;
            if changed || snapshot_new {
                match retain::enforce(&r.replica, &lineage, &self.config.retention, now_ms()).await
                {
                    Ok(done) => {
                        r.status.requests.list += plan::LEVELS.len() as u64;
                        r.status.requests.delete += (done.deleted as u64).div_ceil(1000);
                        r.retained_txid = self.last_snapshot_txid;
                    }
                    Err(e) => {
                        tracing::warn!(replica = %r.replica.name, error = %e, "retention failed");
                        r.status.error = Some(e.to_string());
                    }
                }
            }
        }
    }

    fn publish(&self) {
        let (lineage, txid, wal) = match self.shipper.lock() {
            Ok(s) => match s.as_ref() {
                Some(s) => (s.lineage().to_string(), s.txid(), s.wal_size()),
                None => return,
            },
            Err(_) => return,
        };
        let now = SystemTime::now();
        let replicas: Vec<ReplicaStatus> = self
            .replicas
            .iter()
            .map(|r| {
                let mut s = r.status.clone();
                s.pending = r.queue.len();
                s.lag_ms = r.queue.front().map_or(0, |m| {
                    now.duration_since(m.committed_at)
                        .map_or(0, |d| d.as_millis() as u64)
                });
                s
            })
            .collect();
        let lagging = replicas
            .iter()
            .find(|r| r.lag_ms > self.config.lag_alert.as_millis() as u64);
        let alert = if wal > self.config.wal_alert_bytes {
            Some(format!(
                "the write-ahead log is {} MiB (over {} MiB): a long read transaction may be blocking checkpoints",
                wal >> 20,
                self.config.wal_alert_bytes >> 20
            ))
        } else if let Some(r) = replicas.iter().find(|r| r.error.is_some()) {
            Some(format!(
                "replica {} failing: {}",
                r.name,
                r.error.as_deref().unwrap_or_default()
            ))
        } else {
            lagging.map(|r| format!("replica {} is {} s behind", r.name, r.lag_ms / 1000))
        };
        if let Ok(mut st) = self.status.lock() {
            st.lineage = lineage;
            st.txid = txid;
            st.wal_bytes = wal;
            st.alert = alert;
            st.replicas = replicas;
        }
    }

    /// Runs steps every `interval` until `cancel`, then a last sync and upload, and
    /// releases the database.
    pub async fn run(self, cancel: CancellationToken) -> Result<()> {
        self.run_observed(cancel, |_, _| {}).await
    }

    /// As [`run`](Self::run); `observe` hears when each step started and when what
    /// its sync found had reached the replicas (the lag benchmark measures
    /// commit-to-upload time with it).
    pub async fn run_observed(
        mut self,
        cancel: CancellationToken,
        mut observe: impl FnMut(Instant, Instant) + Send,
    ) -> Result<()> {
        let mut next = tokio::time::Instant::now() + self.config.interval;
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep_until(next) => {}
            }
            let started = Instant::now();
            if let Err(e) = self.step().await {
                tracing::warn!(db = %self.config.db.display(), error = %e, "replication step failed");
                if let Ok(mut st) = self.status.lock() {
                    st.alert = Some(e.to_string());
                }
            }
            let shipped = self.shipped_at.take().unwrap_or_else(Instant::now);
            let took = shipped.saturating_duration_since(started);
            observe(started, shipped);
            let wait = self
                .config
                .interval
                .saturating_sub(took)
                .max(self.config.interval / 10);
            next = tokio::time::Instant::from_std(started) + wait;
        }
        self.stop().await
    }

    /// A last sync and upload, then the database is released.
    pub async fn stop(mut self) -> Result<()> {
        let last = blocking(&self.shipper, Shipper::sync).await;
        if let Ok(made) = last {
            self.enqueue(made);
        }
        self.upload().await;
        self.publish();
        let shipper = self.shipper.lock().ok().and_then(|mut s| s.take());
        if let Some(s) = shipper {
            tokio::task::spawn_blocking(move || s.close())
                .await
                .map_err(|e| {
                    ReplicateError::Database(format!("the replicator's thread failed: {e}"))
                })??;
        }
        let left: usize = self.replicas.iter().map(|r| r.queue.len()).sum();
        if left > 0 {
            return Err(ReplicateError::Plan(format!(
                "{left} segments could not be uploaded before stopping; the next start ships them again"
            )));
        }
        Ok(())
    }
}

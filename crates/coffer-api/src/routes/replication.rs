//! Replication jobs (`coffer_replicate`): each `replicate` job with its live state
//! (lag, last sync and snapshot, bytes per hour, drills), a restore drill now, the
//! restore points of a replica (the timeline), a restore, and the cost preview.
//! Jobs are added, paused and removed through `/api/v1/jobs` like any other kind.

use std::path::PathBuf;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use coffer_jobs::JobView;
use coffer_replicate::cost::{CostInput, CostPreview, preview};
use coffer_replicate::drill::DrillReport;
use coffer_replicate::kind::{ReplicateKind, ReplicateParams};
use coffer_replicate::plan::History;
use coffer_replicate::{RestoreOptions, RestoreReport, Retention, Status, Target};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::state::{ApiState, Caller};

/// A replication job and, while it runs, its live state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicationJob {
    /// The job (id, name, state, schedule...).
    #[schema(value_type = Object)]
    pub job: JobView,
    /// Its params.
    #[schema(value_type = Object)]
    pub params: ReplicateParams,
    /// The live state while it runs; else the one its last run left.
    #[schema(value_type = Option<Object>)]
    pub status: Option<Status>,
    /// Whether `status` is live.
    pub live: bool,
}

fn kind(state: &ApiState) -> ApiResult<&ReplicateKind> {
    state
        .replicate()
        .ok_or_else(|| ApiError::NotFound("this agent does not run replication jobs".into()))
}

fn job(state: &ApiState, id: &str) -> ApiResult<ReplicationJob> {
    let view = state.engine().get(id).map_err(crate::jobs::api_error)?;
    if view.def.kind != "replicate" {
        return Err(ApiError::NotFound(format!(
            "job {id} is not a replication job"
        )));
    }
    describe(state, view)
}

fn describe(state: &ApiState, view: JobView) -> ApiResult<ReplicationJob> {
    let params: ReplicateParams = serde_json::from_value(view.def.params.clone())
        .map_err(|e| ApiError::bad_request(format!("the job's params are unreadable: {e}")))?;
    let live = state.replicate().and_then(|k| k.live().get(&view.def.id));
    let (status, is_live) = match live {
        Some(s) => (Some(s), true),
        None => {
            let last = state
                .engine()
                .history(&view.def.id)
                .ok()
                .and_then(|runs| runs.into_iter().rev().find_map(|r| r.details))
                .and_then(|d| serde_json::from_value::<Status>(d).ok());
            (last, false)
        }
    };
    Ok(ReplicationJob {
        job: view,
        params,
        status,
        live: is_live,
    })
}

/// Every replication job.
#[utoipa::path(get, path = "/api/v1/replication", tag = "replication",
    responses((status = 200, description = "The jobs", body = Vec<ReplicationJob>)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> ApiResult<Json<Vec<ReplicationJob>>> {
    let mut out = Vec::new();
    for view in state.engine().list() {
        if view.def.kind == "replicate" {
            out.push(describe(&state, view)?);
        }
    }
    Ok(Json(out))
}

/// One replication job.
#[utoipa::path(get, path = "/api/v1/replication/{id}", tag = "replication",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job", body = ReplicationJob),
        (status = 404, description = "No such replication job", body = ErrorBody)),
    security(("token" = [])))]
pub async fn get(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<Json<ReplicationJob>> {
    Ok(Json(job(&state, &id)?))
}

/// Runs a restore drill of every replica of the job now: each restored to a
/// temporary file, checked, timed and deleted.
#[utoipa::path(post, path = "/api/v1/replication/{id}/drill", tag = "replication",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "One report per replica", body = Vec<Object>),
        (status = 404, description = "No such replication job", body = ErrorBody)),
    security(("token" = [])))]
pub async fn drill(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<Json<Vec<DrillReport>>> {
    let job = job(&state, &id)?;
    let stores = state.stores();
    let reports = kind(&state)?
        .drill_now(&id, &job.params, &stores, &CancellationToken::new())
        .await
        .map_err(|e| ApiError::bad_request(e.message))?;
    Ok(Json(reports))
}

/// A restore point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    /// The TXID.
    pub txid: u64,
    /// When it was made (ms since the epoch).
    pub ts_ms: u64,
    /// The level of the object that ends there (9: a snapshot).
    pub level: u32,
}

/// What one replica can restore.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// The replica.
    pub replica: String,
    /// Its newest lineage.
    pub lineage: Option<String>,
    /// Restore points, oldest first (a level-0 segment and the compaction that
    /// covers it end at the same TXID: it is listed once).
    pub points: Vec<Point>,
    /// Objects and bytes held.
    pub objects: usize,
    /// Bytes held.
    pub bytes: u64,
}

/// The restore points of each replica (one LIST per level).
#[utoipa::path(get, path = "/api/v1/replication/{id}/timeline", tag = "replication",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "One timeline per replica", body = Vec<Timeline>),
        (status = 404, description = "No such replication job", body = ErrorBody)),
    security(("token" = [])))]
pub async fn timeline(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<Json<Vec<Timeline>>> {
    let job = job(&state, &id)?;
    let stores = state.stores();
    let replicas = job
        .params
        .replicas(&stores)
        .map_err(|e| ApiError::bad_request(e.message))?;
    let mut out = Vec::new();
    for replica in replicas {
        let lineage = replica.lineages().await?.last().copied();
        let Some(lineage) = lineage else {
            out.push(Timeline {
                replica: replica.name.clone(),
                lineage: None,
                points: Vec::new(),
                objects: 0,
                bytes: 0,
            });
            continue;
        };
        let history = History::read(&replica, lineage).await?;
        let mut points: Vec<Point> = history
            .all()
            .map(|l| Point {
                txid: l.key.max_txid,
                ts_ms: l.key.ts_ms,
                level: l.key.level,
            })
            .collect();
        points.sort_by_key(|p| (p.txid, p.level));
        points.dedup_by_key(|p| p.txid);
        out.push(Timeline {
            replica: replica.name.clone(),
            lineage: Some(lineage.to_string()),
            points,
            objects: history.all().count(),
            bytes: history.all().map(|l| l.size).sum(),
        });
    }
    Ok(Json(out))
}

/// `POST …/restore`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// Where the database goes (an absolute path; for an HTTP client, inside the
    /// allowed folders).
    #[schema(value_type = String)]
    pub to: PathBuf,
    /// The newest state at or before this time (ms since the epoch).
    #[serde(default)]
    pub timestamp_ms: Option<u64>,
    /// The state right after this transaction.
    #[serde(default)]
    pub txid: Option<u64>,
    /// Replace an existing file.
    #[serde(default)]
    pub force: bool,
    /// Which replica (its index in the job's list; the first by default).
    #[serde(default)]
    pub replica: usize,
}

/// Restores a replica of the job to a file, at its newest state, a time or a TXID.
#[utoipa::path(post, path = "/api/v1/replication/{id}/restore", tag = "replication",
    params(("id" = String, Path, description = "Job id")),
    request_body = RestoreRequest,
    responses((status = 200, description = "What was restored", body = Object),
        (status = 404, description = "No such job, or nothing to restore", body = ErrorBody),
        (status = 409, description = "The file exists and force was not given", body = ErrorBody)),
    security(("token" = [])))]
pub async fn restore(
    State(state): State<ApiState>,
    caller: Caller,
    Params(id): Params<String>,
    Body(body): Body<RestoreRequest>,
) -> ApiResult<Json<RestoreReport>> {
    let job = job(&state, &id)?;
    let to = state.path_for(&body.to, caller)?;
    let target = match (body.timestamp_ms, body.txid) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("give timestamp_ms or txid, not both"));
        }
        (Some(t), None) => Target::Time(t),
        (None, Some(n)) => Target::Txid(n),
        (None, None) => Target::Latest,
    };
    let stores = state.stores();
    let replicas = job
        .params
        .replicas(&stores)
        .map_err(|e| ApiError::bad_request(e.message))?;
    let replica = replicas.get(body.replica).ok_or_else(|| {
        ApiError::bad_request(format!("the job has {} replica(s)", replicas.len()))
    })?;
    let options = RestoreOptions {
        target,
        to,
        force: body.force,
        concurrency: 8,
    };
    Ok(Json(
        coffer_replicate::restore(replica, &options, &state.cancel_token()).await?,
    ))
}

/// `POST /api/v1/replication/preview`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The database file.
    #[schema(value_type = String)]
    pub db: PathBuf,
    /// Sync interval, ms (1,000 by default).
    #[serde(default)]
    pub interval_ms: Option<u64>,
    /// How many replicas (1 by default).
    #[serde(default)]
    pub replicas: Option<u32>,
    /// Snapshot interval, s (a day by default).
    #[serde(default)]
    pub snapshot_every_s: Option<u64>,
    /// Retention, s (7 days by default).
    #[serde(default)]
    pub retain_s: Option<u64>,
    /// How long to watch the database's writes, ms (5,000 by default, at most 60,000).
    #[serde(default)]
    pub window_ms: Option<u64>,
}

/// The cost preview of replicating a database: its write rate, watched for a few
/// seconds, turned into requests per hour and month and a monthly estimate for S3,
/// R2 and B2.
#[utoipa::path(post, path = "/api/v1/replication/preview", tag = "replication",
    request_body = PreviewRequest,
    responses((status = 200, description = "The preview", body = Object),
        (status = 400, description = "Not a database", body = ErrorBody)),
    security(("token" = [])))]
pub async fn cost_preview(
    State(state): State<ApiState>,
    caller: Caller,
    Body(body): Body<PreviewRequest>,
) -> ApiResult<Json<CostPreview>> {
    let db = state.path_for(&body.db, caller)?;
    let db_bytes = std::fs::metadata(&db)
        .map_err(|e| ApiError::bad_request(format!("{}: {e}", db.display())))?
        .len();
    let window = Duration::from_millis(body.window_ms.unwrap_or(5000).clamp(100, 60_000));
    let measured = db.clone();
    let rate =
        tokio::task::spawn_blocking(move || coffer_replicate::measure::measure(&measured, window))
            .await
            .map_err(|e| ApiError::bad_request(format!("the measure stopped: {e}")))??;
    Ok(Json(preview(&CostInput {
        rate,
        interval: Duration::from_millis(body.interval_ms.unwrap_or(1000).max(100)),
        db_bytes,
        replicas: body.replicas.unwrap_or(1).max(1),
        snapshot_every: Duration::from_secs(body.snapshot_every_s.unwrap_or(86_400).max(60)),
        compact_every: [Duration::from_secs(300), Duration::from_secs(3600)],
        retention: Retention {
            retain: Duration::from_secs(body.retain_s.unwrap_or(7 * 86_400).max(60)),
            ..Retention::default()
        },
    })))
}

//! The local index of buckets (`coffer_index`): which buckets are indexed and how
//! fresh, building or refreshing one, forgetting it, a folder from the index, a
//! folder refreshed from the server, folder sizes, whole-bucket search (streamed as
//! JSON lines), and the settings. The index lives in the process that owns the data
//! dir; `refresh_loop` keeps every index fresh in the background.

use std::time::Duration;

use axum::Json;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use coffer_index::{FolderChange, FolderPage, FolderSize, IndexInfo, IndexSettings, Query};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params, QueryParams};
use crate::state::ApiState;

/// Every indexed bucket, and the index's size on disk.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexList {
    /// The indexed buckets.
    #[schema(value_type = Vec<Object>)]
    pub indexes: Vec<IndexInfo>,
    /// The whole index's size on disk, in bytes.
    pub disk_bytes: u64,
}

/// `POST …/index`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BuildRequest {
    /// Index past the automatic limit (the user said yes).
    pub force: bool,
    /// Answer when the build is done (the CLI), not at once.
    pub wait: bool,
}

/// `?prefix=&start_after=&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FolderQuery {
    /// The folder (`""` for the bucket's root; ends in `/` otherwise).
    #[serde(default)]
    pub prefix: String,
    /// Continue after this key or subfolder (an earlier page's `next_token`).
    pub start_after: Option<String>,
    /// Entries per page (1 to 10,000; default 1,000).
    pub limit: Option<usize>,
}

/// `?prefix=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PrefixQuery {
    /// The prefix.
    #[serde(default)]
    pub prefix: String,
}

/// `?q=&prefix=&larger=&smaller=&newer=&older=&class=&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A substring, or a glob on the whole key when it holds `* ? [ {`; case is
    /// ignored. Empty: everything (with the filters).
    #[serde(default)]
    pub q: String,
    /// Only under this prefix.
    #[serde(default)]
    pub prefix: String,
    /// Larger than this many bytes.
    pub larger: Option<u64>,
    /// Smaller than this many bytes.
    pub smaller: Option<u64>,
    /// Modified within this many seconds.
    pub newer: Option<u64>,
    /// Modified longer ago than this many seconds.
    pub older: Option<u64>,
    /// This storage class.
    pub class: Option<String>,
    /// At most this many matches (default 1,000; at most 100,000).
    pub limit: Option<usize>,
}

/// A blocking task that panicked or was cancelled.
fn joined(e: tokio::task::JoinError) -> ApiError {
    coffer_core::Error::Cancelled(format!("the index task stopped: {e}")).into()
}

fn store_of(
    state: &ApiState,
    profile: &str,
) -> ApiResult<std::sync::Arc<dyn coffer_core::store::Store>> {
    Ok(state.store(profile)?.1)
}

/// Every indexed bucket.
#[utoipa::path(get, path = "/api/v1/index", tag = "index",
    responses((status = 200, description = "The indexes", body = IndexList)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> ApiResult<Json<IndexList>> {
    Ok(Json(IndexList {
        indexes: state.index().infos()?,
        disk_bytes: state.index().disk_bytes(),
    }))
}

/// The index settings.
#[utoipa::path(get, path = "/api/v1/settings/index", tag = "index",
    responses((status = 200, description = "The settings", body = Object)),
    security(("token" = [])))]
pub async fn get_settings(State(state): State<ApiState>) -> Json<IndexSettings> {
    Json(state.index().settings())
}

/// Changes the index settings.
#[utoipa::path(put, path = "/api/v1/settings/index", tag = "index",
    request_body = Object,
    responses((status = 200, description = "The settings", body = Object),
        (status = 400, description = "A bad value", body = ErrorBody)),
    security(("token" = [])))]
pub async fn put_settings(
    State(state): State<ApiState>,
    Body(body): Body<IndexSettings>,
) -> ApiResult<Json<IndexSettings>> {
    Ok(Json(state.index().set_settings(body)?))
}

/// A bucket's index.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 200, description = "The index", body = Object),
        (status = 404, description = "Not indexed", body = ErrorBody)),
    security(("token" = [])))]
pub async fn get(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<Json<IndexInfo>> {
    state
        .index()
        .info(&profile, &bucket)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("bucket `{bucket}` has no index")))
}

/// Builds a bucket's index, or refreshes it whole, in the background (or before
/// answering, with `wait`). Without `force`, a bucket over the automatic limit ends
/// `too_big`.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = BuildRequest,
    responses((status = 202, description = "Started (or done, with wait)", body = Object)),
    security(("token" = [])))]
pub async fn build(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(request): Body<BuildRequest>,
) -> ApiResult<(StatusCode, Json<IndexInfo>)> {
    coffer_core::uri::validate_bucket_name(&bucket)?;
    let store = store_of(&state, &profile)?;
    let limit = (!request.force).then(|| state.index().settings().auto_limit);
    let index = state.index().clone();
    let run = {
        let (profile, bucket) = (profile.clone(), bucket.clone());
        async move { index.build(store, &profile, &bucket, limit).await }
    };
    if request.wait {
        return Ok((StatusCode::OK, Json(run.await?)));
    }
    tokio::spawn(async move {
        if let Err(e) = run.await {
            tracing::warn!(error = %e, "index build failed");
        }
    });
    // Let the build record its state before answering.
    tokio::task::yield_now().await;
    let info = state.index().info(&profile, &bucket)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(info.ok_or_else(|| ApiError::NotFound("the index build did not start".into()))?),
    ))
}

/// Forgets a bucket's index.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 204, description = "Forgotten"),
        (status = 404, description = "Not indexed", body = ErrorBody)),
    security(("token" = [])))]
pub async fn forget(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<StatusCode> {
    state.index().forget(&profile, &bucket)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a `coffer` command attached to this agent made to a bucket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    /// Objects written (`{"put": [key, entry]}`) and deleted (`{"delete": key}`).
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<coffer_index::Change>,
}

/// Applies the writes a `coffer` command attached to this agent made (its own
/// requests to the server), so the index shows them at once.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index/changes", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = Changes,
    responses((status = 204, description = "Applied (ignored for a bucket without an index)")),
    security(("token" = [])))]
pub async fn changes(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<Changes>,
) -> ApiResult<StatusCode> {
    state.index().apply(&profile, &bucket, body.changes)?;
    Ok(StatusCode::NO_CONTENT)
}

/// One folder level from the index (the shape of `…/objects`).
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index/list", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), FolderQuery),
    responses((status = 200, description = "One page", body = Object),
        (status = 404, description = "Not indexed", body = ErrorBody)),
    security(("token" = [])))]
pub async fn folder(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<FolderQuery>,
) -> ApiResult<Json<FolderPage>> {
    let index = state.index().clone();
    let page = tokio::task::spawn_blocking(move || {
        index
            .list_folder(
                &profile,
                &bucket,
                &q.prefix,
                q.start_after.as_deref(),
                q.limit.unwrap_or(1000),
            )
            .map_err(ApiError::from)
    })
    .await
    .map_err(joined)??;
    Ok(Json(page))
}

/// Lists one folder level on the server and applies the difference to the index.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index/refresh-folder", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), PrefixQuery),
    responses((status = 200, description = "What changed", body = Object),
        (status = 404, description = "Not indexed", body = ErrorBody)),
    security(("token" = [])))]
pub async fn refresh_folder(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<PrefixQuery>,
) -> ApiResult<Json<FolderChange>> {
    let store = store_of(&state, &profile)?;
    Ok(Json(
        state
            .index()
            .refresh_folder(store.as_ref(), &profile, &bucket, &q.prefix)
            .await?,
    ))
}

/// The objects and bytes under a prefix, from the index.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index/size", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), PrefixQuery),
    responses((status = 200, description = "The size", body = Object),
        (status = 404, description = "Not indexed", body = ErrorBody)),
    security(("token" = [])))]
pub async fn size(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<PrefixQuery>,
) -> ApiResult<Json<FolderSize>> {
    let index = state.index().clone();
    let size = tokio::task::spawn_blocking(move || {
        index
            .folder_size(&profile, &bucket, &q.prefix)
            .map_err(ApiError::from)
    })
    .await
    .map_err(joined)??;
    Ok(Json(size))
}

/// Searches the bucket's index. The answer streams as JSON lines: one object per
/// match, in key order, then `{"done": true, …}` with the counts.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/index/search", tag = "index",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), SearchQuery),
    responses((status = 200, description = "JSON lines", content_type = "application/x-ndjson", body = String),
        (status = 404, description = "Not indexed", body = ErrorBody)),
    security(("token" = [])))]
pub async fn search(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<SearchQuery>,
) -> ApiResult<Response> {
    let query = Query {
        pattern: q.q,
        prefix: q.prefix,
        larger: q.larger,
        smaller: q.smaller,
        newer: q.newer.map(Duration::from_secs),
        older: q.older.map(Duration::from_secs),
        storage_class: q.class.filter(|c| !c.trim().is_empty()),
        limit: q.limit.unwrap_or(1000),
    };
    let index = state.index().clone();
    // Fail before streaming when there is no index or the pattern is bad.
    index.check_search(&profile, &bucket, &query)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    tokio::task::spawn_blocking(move || {
        let mut lines = Vec::with_capacity(64 * 1024);
        let send =
            |lines: &mut Vec<u8>| tx.blocking_send(Bytes::from(std::mem::take(lines))).is_ok();
        let mut sent_first = false;
        let result = index.search(&profile, &bucket, &query, |o| {
            if serde_json::to_writer(&mut lines, &o).is_err() {
                return false;
            }
            lines.push(b'\n');
            // The first match goes at once; then lines go out in 64 KiB chunks.
            if !sent_first || lines.len() >= 64 * 1024 {
                sent_first = true;
                return send(&mut lines);
            }
            true
        });
        let last = match result {
            Ok(summary) => serde_json::json!({
                "done": true,
                "matches": summary.matches,
                "scanned": summary.scanned,
                "truncated": summary.truncated,
                "as_of": summary.as_of.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
                "elapsed_ms": summary.elapsed_ms,
            }),
            Err(e) => {
                serde_json::json!({ "done": true, "error": { "code": e.code(), "message": e.to_string() } })
            }
        };
        let _ = serde_json::to_writer(&mut lines, &last);
        lines.push(b'\n');
        send(&mut lines);
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<Bytes, std::io::Error>(chunk), rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        HttpBody::from_stream(stream),
    )
        .into_response())
}

/// Keeps every index fresh: every minute, the indexes older than the refresh
/// interval are listed again, one at a time, until `stop`.
pub async fn refresh_loop(state: ApiState, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
        refresh_due(&state).await;
    }
}

/// One step of [`refresh_loop`]: refreshes the indexes that are due.
pub async fn refresh_due(state: &ApiState) {
    let due = match state.index().due_for_refresh() {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the index");
            return;
        }
    };
    for (profile, bucket) in due {
        let store = match state.store(&profile) {
            Ok((_, store)) => store,
            Err(e) => {
                tracing::info!(profile, bucket, error = %e, "index not refreshed");
                continue;
            }
        };
        if let Err(e) = state.index().build(store, &profile, &bucket, None).await {
            tracing::warn!(profile, bucket, error = %e, "index refresh failed");
        }
    }
}

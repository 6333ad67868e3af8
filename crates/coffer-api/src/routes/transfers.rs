//! Transfers: resumable uploads, cleanup, and file transfers inside the allowed
//! folders; each transfer is a one-off job of the engine, so its progress goes out as
//! the engine's job events.

use std::path::PathBuf;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use coffer_core::store::{ObjectRef, PutOptions};
use coffer_core::transfer::{DownloadReport, Tracker, TransferState, Transfers, UploadReport};
use coffer_core::uri::validate_bucket_name;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::state::ApiState;

/// Runs one transfer as a one-off job of the engine ([`coffer_jobs::OneOff`]): its
/// progress and its end go out as the engine's job events, and cancelling the job
/// stops the transfer. `id` is the client's own id for it (`x-coffer-job-id`), used
/// when valid; `path` is the local file, when there is one.
pub async fn tracked<T, Fut>(
    state: &ApiState,
    profile: &str,
    object: &ObjectRef,
    operation: &'static str,
    id: Option<&str>,
    path: Option<&std::path::Path>,
    work: impl FnOnce(Transfers, Tracker) -> Fut,
) -> ApiResult<T>
where
    Fut: std::future::Future<Output = coffer_core::Result<T>>,
{
    let mut params = json!({ "profile": profile, "bucket": object.bucket, "key": object.key });
    if let Some(path) = path {
        params["path"] = json!(path);
    }
    let transfers = state.transfers(profile)?;
    let job = state
        .engine()
        .track(operation, object.key.clone(), params, id);
    let token = job.cancel_token();
    // Stopping the API's transfers (at shutdown) stops this one too.
    let link = {
        let (stopping, token) = (state.stopping(), token.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = stopping.cancelled() => token.cancel(),
                () = token.cancelled() => {}
            }
        })
    };
    let transfers = transfers.with_cancel(token);
    let tracker = Tracker::new(operation, Some(job.progress_sink()));
    let result = work(transfers, tracker.clone()).await;
    link.abort();
    let error = result
        .as_ref()
        .err()
        .map(|e| coffer_jobs::JobError::new(e.code(), e.to_string()));
    job.finish(error, Some(tracker.finish()));
    Ok(result?)
}

/// The unfinished, resumable uploads of a profile.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/transfers", tag = "transfers",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 200, description = "Resumable uploads", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn list(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
) -> ApiResult<Json<Vec<TransferState>>> {
    Ok(Json(state.transfers(&profile)?.list_transfers()?))
}

/// `POST .../transfers/cleanup`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupRequest {
    /// Abort uploads started longer ago than this many seconds (default: a day).
    pub older_than_secs: Option<u64>,
    /// Only this bucket (default: every bucket of the profile).
    pub bucket: Option<String>,
}

/// What a cleanup did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CleanupAnswer {
    /// Uploads aborted.
    pub aborted: usize,
    /// Uploads left alone, being younger.
    pub kept: usize,
    /// Local resume records dropped.
    pub records_dropped: usize,
}

/// Aborts orphaned multipart uploads.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/transfers/cleanup", tag = "transfers",
    params(("profile" = String, Path, description = "Profile name")),
    request_body = CleanupRequest,
    responses((status = 200, description = "Done", body = CleanupAnswer)),
    security(("token" = [])))]
pub async fn cleanup(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
    Body(body): Body<CleanupRequest>,
) -> ApiResult<Json<CleanupAnswer>> {
    if let Some(bucket) = &body.bucket {
        validate_bucket_name(bucket)?;
    }
    let older_than = Duration::from_secs(body.older_than_secs.unwrap_or(24 * 3600));
    let report = state
        .transfers(&profile)?
        .cleanup(older_than, body.bucket.as_deref())
        .await?;
    Ok(Json(CleanupAnswer {
        aborted: report.aborted.len(),
        kept: report.kept,
        records_dropped: report.records_dropped,
    }))
}

/// A transfer between a local file (inside the allowed folders) and an object.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileTransfer {
    /// The local file: an absolute path inside `api.allowed_dirs`.
    #[schema(value_type = String)]
    pub path: PathBuf,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

fn object_of(body: &FileTransfer) -> ApiResult<ObjectRef> {
    super::objects::object_ref(&body.bucket, &body.key)
}

/// Uploads a local file (resumable, like `coffer cp`).
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/transfers/upload-file", tag = "transfers",
    params(("profile" = String, Path, description = "Profile name")),
    request_body = FileTransfer,
    responses((status = 200, description = "Uploaded", body = Object),
        (status = 403, description = "Outside the allowed folders", body = ErrorBody)),
    security(("token" = [])))]
pub async fn upload_file(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
    Body(body): Body<FileTransfer>,
) -> ApiResult<Json<UploadReport>> {
    let object = object_of(&body)?;
    let path = state.allowed_path(&body.path)?;
    let report = tracked(
        &state,
        &profile,
        &object,
        "upload",
        None,
        Some(&path),
        |transfers, tracker| {
            let (object, path) = (&object, &path);
            async move {
                transfers
                    .upload_file(path, object, &PutOptions::default(), &tracker)
                    .await
            }
        },
    )
    .await?;
    Ok(Json(report))
}

/// Downloads an object to a local file (verified, then renamed into place).
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/transfers/download-file", tag = "transfers",
    params(("profile" = String, Path, description = "Profile name")),
    request_body = FileTransfer,
    responses((status = 200, description = "Downloaded", body = Object),
        (status = 403, description = "Outside the allowed folders", body = ErrorBody)),
    security(("token" = [])))]
pub async fn download_file(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
    Body(body): Body<FileTransfer>,
) -> ApiResult<Json<DownloadReport>> {
    let object = object_of(&body)?;
    let path = state.allowed_path(&body.path)?;
    let report = tracked(
        &state,
        &profile,
        &object,
        "download",
        None,
        Some(&path),
        |transfers, tracker| {
            let (object, path) = (&object, &path);
            async move { transfers.download_object(object, path, &tracker).await }
        },
    )
    .await?;
    Ok(Json(report))
}

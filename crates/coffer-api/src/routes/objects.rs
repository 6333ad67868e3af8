//! Objects of a bucket. Keys travel in the query string (`?key=`), percent-encoded,
//! so that any key — `//`, a leading `/`, `%`, `+`, unicode — means exactly itself.

use std::time::Duration;

use axum::Json;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffer_core::Error as CoreError;
use coffer_core::share;
use coffer_core::store::{
    ByteRange, ListPage, ListRequest, ObjectMeta, ObjectRef, PresignMethod, PutOptions,
};
use coffer_core::transfer::{Tracker, UploadReport};
use coffer_core::uri::validate_bucket_name;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params, QueryParams};
use crate::state::{ApiState, Caller};

/// The header in which a client names the job of its streamed upload (1 to 64 of
/// `A-Z a-z 0-9 _ -`), so that its own row and the engine's job share an id.
pub const JOB_ID_HEADER: &str = "x-coffer-job-id";

/// A valid bucket name and key, as an object reference; else a 400.
pub(crate) fn object_ref(bucket: &str, key: &str) -> ApiResult<ObjectRef> {
    Ok(ObjectRef::checked(bucket, key)?)
}

/// `?key=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    /// The object's key.
    pub key: String,
}

/// `?key=&no_rules=`: an upload's target.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The object's key.
    pub key: String,
    /// Skip the bucket's upload rules.
    #[serde(default)]
    pub no_rules: bool,
}

/// What to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only keys that start with this.
    #[serde(default)]
    pub prefix: String,
    /// List everything under the prefix instead of one level.
    #[serde(default)]
    pub recursive: bool,
    /// The `next_token` of the previous page.
    pub continuation: Option<String>,
    /// Entries per page, 1 to 1000 (default 1000).
    pub max_keys: Option<u32>,
}

/// One page of a listing; ask again with `continuation` for the next one.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/objects", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), ListQuery),
    responses((status = 200, description = "A page", body = Object),
        (status = 404, description = "No such bucket", body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<ListPage>> {
    validate_bucket_name(&bucket)?;
    let max_keys = q.max_keys.unwrap_or(1000);
    if !(1..=1000).contains(&max_keys) {
        return Err(ApiError::bad_request("max_keys must be 1 to 1000"));
    }
    let (_, store) = state.store(&profile)?;
    let request = ListRequest {
        bucket,
        prefix: q.prefix,
        delimiter: (!q.recursive).then(|| "/".to_string()),
        max_keys,
    };
    Ok(Json(
        store.list_page(&request, q.continuation.as_deref()).await?,
    ))
}

/// The object's metadata (HEAD).
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object/meta", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), KeyQuery),
    responses((status = 200, description = "The metadata", body = Object),
        (status = 404, description = "No such object", body = ErrorBody)),
    security(("token" = [])))]
pub async fn meta(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<KeyQuery>,
) -> ApiResult<Json<ObjectMeta>> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.head(&object.bucket, &object.key).await?))
}

/// The object's bytes, streamed as they arrive from the store.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), KeyQuery),
    responses((status = 200, description = "The bytes", content_type = "application/octet-stream"),
        (status = 404, description = "No such object", body = ErrorBody)),
    security(("token" = [])))]
pub async fn download(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<KeyQuery>,
    request_headers: HeaderMap,
) -> ApiResult<Response> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    let meta = store.head(&object.bucket, &object.key).await?;
    let range = match request_headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(value) => parse_range(value, meta.size)?,
        None => None,
    };
    let got = store.get(&object.bucket, &object.key, range).await?;
    let mut headers = HeaderMap::new();
    let length = range.map_or(got.total_size, |r| r.end - r.start);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let content_type = meta
        .content_type
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Some(etag) = got
        .etag
        .and_then(|e| HeaderValue::from_str(&format!("\"{e}\"")).ok())
    {
        headers.insert(header::ETAG, etag);
    }
    // The whole object's checksum, for a client that checks what it receives (an
    // agent's profile used as a store by another machine).
    if let Some(checksum) = got
        .checksum
        .as_ref()
        .filter(|_| range.is_none())
        .and_then(|c| serde_json::to_string(c).ok())
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(coffer_core::agent::CHECKSUM_HEADER, checksum);
    }
    let status = match range {
        Some(r) => {
            let value = format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size);
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::CONTENT_RANGE, v);
            }
            StatusCode::PARTIAL_CONTENT
        }
        None => StatusCode::OK,
    };
    let body = HttpBody::from_stream(got.body.map_err(std::io::Error::other));
    Ok((status, headers, body).into_response())
}

/// One `Range: bytes=A-B` (or `A-`, or `-N` for the last N bytes) over an object of
/// `size` bytes. `None` for an empty object (the whole, empty body is the answer);
/// a range that cannot be satisfied or several ranges are a 400 saying so.
fn parse_range(value: &str, size: u64) -> ApiResult<Option<ByteRange>> {
    let bad = || ApiError::bad_request(format!("unsupported Range `{value}`: use one `bytes=A-B`"));
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    if spec.contains(',') {
        return Err(bad());
    }
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    if size == 0 {
        return Ok(None);
    }
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let (start, end) = match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, false) => (size.saturating_sub(num(b)?), size),
        (false, true) => (num(a)?, size),
        (false, false) => (num(a)?, num(b)?.saturating_add(1).min(size)),
        (true, true) => return Err(bad()),
    };
    if start >= size || start >= end {
        return Err(ApiError::bad_request(format!(
            "Range `{value}` is outside the object's {size} bytes"
        )));
    }
    Ok(Some(ByteRange { start, end }))
}

#[cfg(test)]
mod range_tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |v, n| parse_range(v, n).ok().flatten().map(|r| (r.start, r.end));
        assert_eq!(r("bytes=0-99", 1000), Some((0, 100)));
        assert_eq!(r("bytes=0-99999", 1000), Some((0, 1000)));
        assert_eq!(r("bytes=10-", 1000), Some((10, 1000)));
        assert_eq!(r("bytes=-10", 1000), Some((990, 1000)));
        assert_eq!(r("bytes=0-10", 0), None);
        assert!(parse_range("bytes=2000-", 1000).is_err());
        assert!(parse_range("bytes=0-1,5-6", 1000).is_err());
        assert!(parse_range("items=0-1", 1000).is_err());
        assert!(parse_range("bytes=x-1", 1000).is_err());
    }
}

/// Stores the request body as the object, streaming it to the store part by part:
/// memory stays at part size × concurrency, whatever the size. If the client goes
/// away mid-way, the multipart upload is aborted and no object appears.
#[utoipa::path(put, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "Stored", body = Object),
        (status = 404, description = "No such bucket", body = ErrorBody)),
    security(("token" = [])))]
pub async fn upload(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
    headers: HeaderMap,
    request_body: HttpBody,
) -> ApiResult<Json<UploadReport>> {
    let object = object_ref(&bucket, &q.key)?;
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // A Content-Type that only restates the extension (what a browser sends for a
    // file) or says nothing (octet-stream) is a guess: the bucket's rules may set
    // another, and the engine guesses the same one again otherwise. Any other one is
    // the client's choice and wins over the rules.
    let guessed = coffer_core::transfer::guess_content_type(&object.key);
    let options = PutOptions {
        content_type: header(header::CONTENT_TYPE)
            .filter(|t| t != "application/octet-stream" && Some(t) != guessed.as_ref()),
        cache_control: header(header::CACHE_CONTROL),
        content_disposition: header(header::CONTENT_DISPOSITION),
        ..PutOptions::default()
    };
    let no_rules = q.no_rules;
    // The client's own id for this upload, so its row and the job are one.
    let job_id = headers
        .get(JOB_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = request_body
        .into_data_stream()
        .map_err(|e| CoreError::Network {
            profile: profile.clone(),
            url: "the client".into(),
            cause: format!("the request body broke off: {e}"),
        });
    let report = crate::routes::transfers::tracked(
        &state,
        &profile,
        &object,
        "upload",
        job_id.as_deref(),
        None,
        |transfers, tracker| {
            let (object, options) = (&object, &options);
            let transfers = if no_rules {
                transfers.without_rules()
            } else {
                transfers
            };
            async move {
                transfers
                    .upload_stream(body, object, options, &tracker)
                    .await
            }
        },
    )
    .await?;
    Ok(Json(report))
}

/// Deletes one object.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), KeyQuery),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such object", body = ErrorBody)),
    security(("token" = [])))]
pub async fn delete(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<KeyQuery>,
) -> ApiResult<StatusCode> {
    let object = object_ref(&bucket, &q.key)?;
    state.transfers(&profile)?.delete_object(&object).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A server-side copy or move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The source key, or prefix (ending in `/`) with `recursive`.
    pub key: String,
    /// The target bucket (default: the same bucket).
    pub target_bucket: Option<String>,
    /// The target key, or prefix with `recursive`.
    pub target_key: String,
    /// Copy everything under the prefix.
    #[serde(default)]
    pub recursive: bool,
}

/// What a copy or move did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopyReport {
    /// Objects copied or moved.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
}

async fn copy_or_move(
    state: &ApiState,
    profile: &str,
    bucket: &str,
    body: CopyRequest,
    remove_source: bool,
) -> ApiResult<CopyReport> {
    let source = object_ref(bucket, &body.key)?;
    let target = object_ref(
        body.target_bucket.as_deref().unwrap_or(bucket),
        &body.target_key,
    )?;
    let transfers = state.transfers(profile)?;
    let tracker = Tracker::silent(if remove_source { "move" } else { "copy" });
    if body.recursive {
        let report = if remove_source {
            transfers.move_prefix(&source, &target, &tracker).await?
        } else {
            transfers.copy_prefix(&source, &target, &tracker).await?
        };
        return Ok(CopyReport {
            items: report.items,
            bytes: report.bytes,
        });
    }
    let bytes = if remove_source {
        transfers.move_object(&source, &target, &tracker).await?
    } else {
        transfers
            .copy_object(&source, &target, None, &tracker)
            .await?
    };
    Ok(CopyReport { items: 1, bytes })
}

/// Copies on the server (CopyObject, or UploadPartCopy above 5 GiB).
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/copy", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = CopyRequest,
    responses((status = 200, description = "Copied", body = CopyReport),
        (status = 404, description = "No such object", body = ErrorBody)),
    security(("token" = [])))]
pub async fn copy(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<CopyRequest>,
) -> ApiResult<Json<CopyReport>> {
    Ok(Json(
        copy_or_move(&state, &profile, &bucket, body, false).await?,
    ))
}

/// Moves or renames on the server (copy, then delete the source).
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/move", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = CopyRequest,
    responses((status = 200, description = "Moved", body = CopyReport),
        (status = 404, description = "No such object", body = ErrorBody)),
    security(("token" = [])))]
pub async fn rename(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<CopyRequest>,
) -> ApiResult<Json<CopyReport>> {
    Ok(Json(
        copy_or_move(&state, &profile, &bucket, body, true).await?,
    ))
}

/// `POST .../presign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresignRequest {
    /// The object's key.
    pub key: String,
    /// `GET` (share) or `PUT` (let someone upload).
    #[serde(default = "default_method")]
    #[schema(value_type = String)]
    pub method: PresignMethod,
    /// Seconds until the link expires (1 to 604800, S3's 7 days; default 3600).
    pub expires_secs: Option<u64>,
}

pub(crate) fn default_method() -> PresignMethod {
    PresignMethod::Get
}

/// A presigned URL, recorded as a share link.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresignAnswer {
    /// The URL.
    pub url: String,
    /// Seconds it stays valid.
    pub expires_secs: u64,
    /// When it stops working (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub expires_at: time::OffsetDateTime,
    /// The share record's id (`/api/v1/shares/{id}`).
    pub share_id: String,
}

/// A presigned URL that lets anyone GET (or PUT) the object until it expires. It is
/// recorded as a share link (`GET /api/v1/shares`); it cannot be revoked before it
/// expires except by rotating the access key that signed it.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/presign", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = PresignRequest,
    responses((status = 200, description = "The URL", body = PresignAnswer),
        (status = 400, description = "Bad expiry, or a profile without URLs", body = ErrorBody)),
    security(("token" = [])))]
pub async fn presign(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body<PresignRequest>,
) -> ApiResult<Json<PresignAnswer>> {
    let object = object_ref(&bucket, &body.key)?;
    let expires_in = body
        .expires_secs
        .map(Duration::from_secs)
        .unwrap_or(share::DEFAULT_EXPIRY);
    let (_, store) = state.store(&profile)?;
    let made = share::make(
        store.as_ref(),
        state.session().db().as_ref(),
        share::ShareRequest {
            profile: &profile,
            bucket: &object.bucket,
            key: &object.key,
            method: body.method,
            expires_in,
            via: super::shares::via(caller, &headers),
        },
    )
    .await?;
    Ok(Json(PresignAnswer {
        url: made.url,
        expires_secs: made.record.expires_secs,
        expires_at: made.record.expires_at(),
        share_id: made.record.id,
    }))
}

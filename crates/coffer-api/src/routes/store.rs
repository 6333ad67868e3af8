//! A profile's store, one operation per route (`…/buckets/{bucket}/store/…`): what
//! another machine needs to use this agent's profile as its own `Store`
//! ([`coffer_core::agent::AgentStore`], behind `coffer --remote NAME …`). The browsing
//! routes cover listing, HEAD, GET and presigning; these add the rest: a raw put,
//! multipart uploads, part copies, batch deletes and copies with new metadata.
//!
//! Upload bodies are checked against the CRC32C the client sent (`x-coffer-crc32c`)
//! before they go on to the store. A body up to [`IN_MEMORY`] is held in memory; a
//! larger one (a multipart part) is spooled to a file in the data dir's `tmp/`,
//! removed once sent, so memory does not grow with the part size.

use axum::Json;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::{Bytes, BytesMut};
use coffer_core::Error as CoreError;
use coffer_core::agent::{CRC_HEADER, OPTIONS_HEADER};
use coffer_core::checksum;
use coffer_core::store::{
    Body as StoreBody, ByteRange, CompletedPart, DeleteFailure, MultipartUploadInfo, ObjectRef,
    PartMeta, PutOptions, PutResult, UploadRef,
};
use coffer_core::uri::validate_bucket_name;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::objects::object_ref;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params, QueryParams};
use crate::state::ApiState;

/// Upload bodies up to this size are held in memory; larger ones (parts) are spooled
/// to disk, where the page cache keeps them cheap: with parts in memory, an agent
/// serving 8 parallel 8 MiB parts held 200+ MiB (`bench/remote.sh`).
pub const IN_MEMORY: usize = 1024 * 1024;

/// `?key=&part=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PartQuery {
    /// The object's key.
    pub key: String,
    /// The part number (from 1).
    pub part: u32,
}

/// `?key=&upload_id=` (and `&part=` for one part).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The object's key.
    pub key: String,
    /// The multipart upload's id.
    pub upload_id: String,
    /// The part number (from 1), for a part.
    pub part: Option<u32>,
}

/// `?key=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KeyOnly {
    /// The object's key.
    pub key: String,
}

/// A new multipart upload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewUpload {
    /// Its id.
    pub upload_id: String,
}

/// `POST …/store/uploads/part-copy`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartCopy {
    /// The object whose bytes are copied.
    #[schema(value_type = Object)]
    pub source: ObjectRef,
    /// Which bytes (`start..end`).
    #[schema(value_type = Object)]
    pub range: ByteRange,
}

/// `POST …/store/uploads/complete`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Complete {
    /// The parts, in order.
    #[schema(value_type = Vec<Object>)]
    pub parts: Vec<CompletedPart>,
}

/// `POST …/store/delete`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteKeys {
    /// Up to 1,000 keys.
    pub keys: Vec<String>,
}

/// `POST …/store/copy`: a server-side copy into this bucket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyObject {
    /// The object copied.
    #[schema(value_type = Object)]
    pub source: ObjectRef,
    /// The new key, in the bucket of the path.
    pub key: String,
    /// New metadata; `None` copies the source's.
    #[schema(value_type = Option<Object>)]
    pub options: Option<PutOptions>,
}

fn upload_ref(bucket: &str, q: &UploadQuery) -> ApiResult<UploadRef> {
    let object = object_ref(bucket, &q.key)?;
    if q.upload_id.is_empty() {
        return Err(ApiError::bad_request("upload_id is empty"));
    }
    Ok(UploadRef {
        bucket: object.bucket,
        key: object.key,
        upload_id: q.upload_id.clone(),
    })
}

fn part_number(q: &UploadQuery) -> ApiResult<u32> {
    match q.part {
        Some(n @ 1..=10_000) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!(
            "part {n}: part numbers are 1 to 10000"
        ))),
        None => Err(ApiError::bad_request("part: the part number is missing")),
    }
}

/// An upload body received whole: in memory, or in a temporary file that lives as
/// long as this value.
struct Received {
    body: StoreBody,
    _spool: Option<tempfile::TempPath>,
}

/// Receives an upload body, checking its length and the CRC32C the client sent.
async fn receive(
    state: &ApiState,
    profile: &str,
    object: &ObjectRef,
    headers: &HeaderMap,
    body: HttpBody,
) -> ApiResult<Received> {
    let expected = match headers.get(CRC_HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(checksum::decode)
                .ok_or_else(|| ApiError::bad_request(format!("{CRC_HEADER} is not a CRC32C")))?,
        ),
        None => None,
    };
    let broke = |e: &dyn std::fmt::Display| CoreError::Network {
        profile: profile.to_string(),
        url: "the client".into(),
        cause: format!("the request body broke off: {e}"),
    };
    let mut stream = body.into_data_stream();
    let (mut crc, mut size) = (0u32, 0u64);
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut memory = BytesMut::with_capacity(announced.min(IN_MEMORY));
    let mut spool: Option<(tokio::fs::File, tempfile::TempPath)> = None;
    while let Some(chunk) = stream.next().await {
        let chunk: Bytes = chunk.map_err(|e| broke(&e))?;
        crc = checksum::update(crc, &chunk);
        size += chunk.len() as u64;
        if spool.is_none() && memory.len() + chunk.len() > IN_MEMORY {
            let dir = state.session().data_dir().root().join("tmp");
            std::fs::create_dir_all(&dir).map_err(|e| CoreError::io("cannot create", &dir, e))?;
            let (file, path) = tempfile::Builder::new()
                .prefix("upload-")
                .tempfile_in(&dir)
                .map_err(|e| CoreError::io("cannot create a file in", &dir, e))?
                .into_parts();
            let mut file = tokio::fs::File::from_std(file);
            file.write_all(&memory)
                .await
                .map_err(|e| CoreError::io("cannot write", &*path, e))?;
            memory = BytesMut::new();
            spool = Some((file, path));
        }
        match &mut spool {
            Some((file, path)) => file
                .write_all(&chunk)
                .await
                .map_err(|e| CoreError::io("cannot write", &**path, e))?,
            None => memory.extend_from_slice(&chunk),
        }
    }
    if let Some(expected) = expected
        && expected != crc
    {
        return Err(CoreError::IntegrityMismatch {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            what: format!(
                "the upload's CRC32C is {}, the client sent {}",
                checksum::encode(crc),
                checksum::encode(expected)
            ),
        }
        .into());
    }
    Ok(match spool {
        None => Received {
            body: StoreBody::Bytes(memory.freeze()),
            _spool: None,
        },
        Some((mut file, path)) => {
            file.flush()
                .await
                .map_err(|e| CoreError::io("cannot write", &*path, e))?;
            Received {
                body: StoreBody::File {
                    path: path.to_path_buf(),
                    offset: 0,
                    len: size,
                },
                _spool: Some(path),
            }
        }
    })
}

/// The `PutOptions` a client sent in `x-coffer-put-options` (JSON, percent-encoded).
fn put_options(headers: &HeaderMap) -> ApiResult<PutOptions> {
    let Some(value) = headers.get(OPTIONS_HEADER) else {
        return Ok(PutOptions::default());
    };
    let bad = |why: String| ApiError::bad_request(format!("{OPTIONS_HEADER}: {why}"));
    let text = value.to_str().map_err(|e| bad(e.to_string()))?;
    let json = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(&json).map_err(|e| bad(e.to_string()))
}

/// Stores the body as the object in one request (Store `put`).
#[utoipa::path(put, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/object", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), KeyOnly),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "Stored", body = Object),
        (status = 502, description = "The bytes arrived damaged", body = ErrorBody)),
    security(("token" = [])))]
pub async fn put(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<KeyOnly>,
    headers: HeaderMap,
    body: HttpBody,
) -> ApiResult<Json<PutResult>> {
    let object = object_ref(&bucket, &q.key)?;
    let options = put_options(&headers)?;
    let (_, store) = state.store(&profile)?;
    let received = receive(&state, &profile, &object, &headers, body).await?;
    Ok(Json(
        store
            .put(&object.bucket, &object.key, received.body.clone(), &options)
            .await?,
    ))
}

/// Size and checksum of one part of a multipart object; `null` when the server cannot
/// tell.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/part", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), PartQuery),
    responses((status = 200, description = "The part", body = Object)),
    security(("token" = [])))]
pub async fn head_part(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<PartQuery>,
) -> ApiResult<Json<Option<PartMeta>>> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(
        store.head_part(&object.bucket, &object.key, q.part).await?,
    ))
}

/// Starts a multipart upload.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), KeyOnly),
    request_body = Object,
    responses((status = 200, description = "Started", body = NewUpload)),
    security(("token" = [])))]
pub async fn create_upload(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<KeyOnly>,
    Body(options): Body<PutOptions>,
) -> ApiResult<Json<NewUpload>> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    let upload_id = store
        .create_multipart(&object.bucket, &object.key, &options)
        .await?;
    Ok(Json(NewUpload { upload_id }))
}

/// The multipart uploads in progress in the bucket.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 200, description = "The uploads", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn list_uploads(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<Json<Vec<MultipartUploadInfo>>> {
    validate_bucket_name(&bucket)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.list_multipart_uploads(&bucket).await?))
}

/// Aborts a multipart upload.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), UploadQuery),
    responses((status = 204, description = "Aborted"),
        (status = 404, description = "No such upload", body = ErrorBody)),
    security(("token" = [])))]
pub async fn abort_upload(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
) -> ApiResult<StatusCode> {
    let upload = upload_ref(&bucket, &q)?;
    let (_, store) = state.store(&profile)?;
    store.abort_multipart(&upload).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads one part.
#[utoipa::path(put, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads/part", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "The part", body = Object)),
    security(("token" = [])))]
pub async fn upload_part(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
    headers: HeaderMap,
    body: HttpBody,
) -> ApiResult<Json<CompletedPart>> {
    let upload = upload_ref(&bucket, &q)?;
    let part = part_number(&q)?;
    let (_, store) = state.store(&profile)?;
    let object = ObjectRef::new(&upload.bucket, &upload.key);
    let received = receive(&state, &profile, &object, &headers, body).await?;
    Ok(Json(
        store
            .upload_part(&upload, part, received.body.clone())
            .await?,
    ))
}

/// Copies a range of an object into a part, on the server.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads/part-copy", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), UploadQuery),
    request_body = PartCopy,
    responses((status = 200, description = "The part", body = Object)),
    security(("token" = [])))]
pub async fn upload_part_copy(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
    Body(body): Body<PartCopy>,
) -> ApiResult<Json<CompletedPart>> {
    let upload = upload_ref(&bucket, &q)?;
    let part = part_number(&q)?;
    let source = object_ref(&body.source.bucket, &body.source.key)?;
    if body.range.start > body.range.end {
        return Err(ApiError::bad_request("range: start is after end"));
    }
    let (_, store) = state.store(&profile)?;
    Ok(Json(
        store
            .upload_part_copy(&upload, part, &source, body.range)
            .await?,
    ))
}

/// The parts the server holds for an upload.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads/parts", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), UploadQuery),
    responses((status = 200, description = "The parts", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn list_parts(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
) -> ApiResult<Json<Vec<CompletedPart>>> {
    let upload = upload_ref(&bucket, &q)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.list_parts(&upload).await?))
}

/// Completes a multipart upload.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/uploads/complete", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), UploadQuery),
    request_body = Complete,
    responses((status = 200, description = "The object", body = Object)),
    security(("token" = [])))]
pub async fn complete_upload(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
    Body(body): Body<Complete>,
) -> ApiResult<Json<PutResult>> {
    let upload = upload_ref(&bucket, &q)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.complete_multipart(&upload, &body.parts).await?))
}

/// Deletes up to 1,000 keys; answers the keys that failed.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/delete", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = DeleteKeys,
    responses((status = 200, description = "The keys that failed", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn delete_many(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<DeleteKeys>,
) -> ApiResult<Json<Vec<DeleteFailure>>> {
    validate_bucket_name(&bucket)?;
    if body.keys.len() > 1000 {
        return Err(ApiError::bad_request("keys: at most 1000 per call"));
    }
    for key in &body.keys {
        object_ref(&bucket, key)?;
    }
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.delete_many(&bucket, &body.keys).await?))
}

/// Copies an object of at most 5 GiB on the server, with new metadata if given.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/copy", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = CopyObject,
    responses((status = 204, description = "Copied"),
        (status = 404, description = "No such source", body = ErrorBody)),
    security(("token" = [])))]
pub async fn copy_object(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<CopyObject>,
) -> ApiResult<StatusCode> {
    let source = object_ref(&body.source.bucket, &body.source.key)?;
    let target = object_ref(&bucket, &body.key)?;
    let (_, store) = state.store(&profile)?;
    store
        .copy_object(&source, &target, body.options.as_ref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A raw presign: the URL only, signed for a given moment, and not recorded as a
/// share link (the machine that asks keeps its own record).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPresign {
    /// The object's key.
    pub key: String,
    /// `GET` or `PUT`.
    #[serde(default = "super::objects::default_method")]
    #[schema(value_type = String)]
    pub method: coffer_core::store::PresignMethod,
    /// The moment it is signed for, in seconds since 1970 (default: now).
    pub signed_at: Option<u64>,
    /// Seconds until it expires (1 to 604800).
    pub expires_secs: u64,
}

/// A presigned URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct RawPresignAnswer {
    /// The URL.
    pub url: String,
}

/// Presigns a URL for the given moment and lifetime (the same arguments give the same
/// URL); nothing is recorded.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/store/presign", tag = "store",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = RawPresign,
    responses((status = 200, description = "The URL", body = RawPresignAnswer),
        (status = 400, description = "Bad expiry, or a profile without URLs", body = ErrorBody)),
    security(("token" = [])))]
pub async fn presign(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<RawPresign>,
) -> ApiResult<Json<RawPresignAnswer>> {
    let object = object_ref(&bucket, &body.key)?;
    let expires_in = std::time::Duration::from_secs(body.expires_secs);
    coffer_core::share::check_expiry(expires_in)?;
    let signed_at = match body.signed_at {
        Some(secs) => std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        None => std::time::SystemTime::now(),
    };
    let (_, store) = state.store(&profile)?;
    let url = store
        .presign(
            body.method,
            &object.bucket,
            &object.key,
            signed_at,
            expires_in,
        )
        .await?;
    Ok(Json(RawPresignAnswer { url }))
}

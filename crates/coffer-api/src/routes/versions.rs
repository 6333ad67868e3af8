//! Object versions of buckets with versioning: the bucket's state (read, turned on or
//! suspended), the versions and delete markers of a key, a version made current again
//! (a server-side copy over the key) and a version deleted for good. A server without
//! versioning answers 400 `unsupported`, in words.

use axum::Json;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffer_core::store::{ObjectVersion, Versioning};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::objects::{KeyQuery, object_ref};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params, QueryParams};
use crate::state::ApiState;

/// A bucket's versioning state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersioningState {
    /// `off`, `enabled` or `suspended`.
    #[schema(value_type = String)]
    pub state: Versioning,
}

/// Turn versioning on or suspend it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVersioning {
    /// `true`: on; `false`: suspended.
    pub enabled: bool,
}

/// One version of one object.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionRef {
    /// The object's key.
    pub key: String,
    /// The version id.
    pub version_id: String,
}

/// The bucket's versioning state.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/versioning", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 200, description = "The state", body = VersioningState),
        (status = 400, description = "The server has no versioning", body = ErrorBody)),
    security(("token" = [])))]
pub async fn get_versioning(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<Json<VersioningState>> {
    let (_, store) = state.store(&profile)?;
    Ok(Json(VersioningState {
        state: store.versioning(&bucket).await?,
    }))
}

/// Turns versioning on, or suspends it.
#[utoipa::path(put, path = "/api/v1/profiles/{profile}/buckets/{bucket}/versioning", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = SetVersioning,
    responses((status = 200, description = "The new state", body = VersioningState),
        (status = 400, description = "The server has no versioning", body = ErrorBody)),
    security(("token" = [])))]
pub async fn set_versioning(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<SetVersioning>,
) -> ApiResult<Json<VersioningState>> {
    let (_, store) = state.store(&profile)?;
    store.set_versioning(&bucket, body.enabled).await?;
    Ok(Json(VersioningState {
        state: store.versioning(&bucket).await?,
    }))
}

/// Every version and delete marker of an object, newest first.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object/versions", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), KeyQuery),
    responses((status = 200, description = "The versions", body = Vec<Object>),
        (status = 400, description = "The server has no versioning", body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<KeyQuery>,
) -> ApiResult<Json<Vec<ObjectVersion>>> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(
        store.list_versions(&object.bucket, &object.key).await?,
    ))
}

/// Makes a version current again: a server-side copy of it over its key (the
/// versions in between stay). Restoring the version under a delete marker undeletes.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object/restore-version", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = VersionRef,
    responses((status = 200, description = "The key's versions after the copy", body = Vec<Object>),
        (status = 400, description = "No such version, a delete marker, or no versioning", body = ErrorBody)),
    security(("token" = [])))]
pub async fn restore(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<VersionRef>,
) -> ApiResult<Json<Vec<ObjectVersion>>> {
    let object = object_ref(&bucket, &body.key)?;
    let (_, store) = state.store(&profile)?;
    let versions = store.list_versions(&object.bucket, &object.key).await?;
    match versions.iter().find(|v| v.version_id == body.version_id) {
        None => {
            return Err(ApiError::BadRequest(format!(
                "version_id: {} has no version `{}`",
                body.key, body.version_id
            )));
        }
        Some(v) if v.is_delete_marker => {
            return Err(ApiError::BadRequest(
                "version_id: a delete marker has no bytes; restore the version under it".into(),
            ));
        }
        Some(_) => {}
    }
    store
        .copy_version(&object, &body.version_id, &object)
        .await?;
    Ok(Json(
        store.list_versions(&object.bucket, &object.key).await?,
    ))
}

/// The bytes of one version, streamed as they arrive (the whole version; ranges are
/// the current object's route's).
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object/version", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), VersionRef),
    responses((status = 200, description = "The bytes", content_type = "application/octet-stream"),
        (status = 404, description = "No such version", body = ErrorBody)),
    security(("token" = [])))]
pub async fn download(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<VersionRef>,
) -> ApiResult<Response> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    let got = store
        .get_version(&object.bucket, &object.key, &q.version_id, None)
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(got.total_size));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(etag) = got
        .etag
        .and_then(|e| HeaderValue::from_str(&format!("\"{e}\"")).ok())
    {
        headers.insert(header::ETAG, etag);
    }
    let body = HttpBody::from_stream(got.body.map_err(std::io::Error::other));
    Ok((StatusCode::OK, headers, body).into_response())
}

/// `?prefix=`: a folder (`""` at the root, else ending in `/`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PrefixQuery {
    /// The folder.
    #[serde(default)]
    pub prefix: String,
}

/// The keys of a folder whose latest version is a delete marker (those markers,
/// newest first). Deleting a marker (`DELETE …/object/version`) undeletes its key.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/deleted", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), PrefixQuery),
    responses((status = 200, description = "The delete markers", body = Vec<Object>),
        (status = 400, description = "The server has no versioning", body = ErrorBody)),
    security(("token" = [])))]
pub async fn deleted(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<PrefixQuery>,
) -> ApiResult<Json<Vec<ObjectVersion>>> {
    if !(q.prefix.is_empty() || q.prefix.ends_with('/')) {
        return Err(ApiError::BadRequest(format!(
            "prefix: `{}` is not a folder (it ends with `/`, or is empty for the root)",
            q.prefix
        )));
    }
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.list_deleted(&bucket, &q.prefix).await?))
}

/// Deletes one version (or delete marker) for good.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}/buckets/{bucket}/object/version", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"), VersionRef),
    responses((status = 200, description = "The key's versions after the delete", body = Vec<Object>),
        (status = 400, description = "The server has no versioning", body = ErrorBody)),
    security(("token" = [])))]
pub async fn delete(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    QueryParams(q): QueryParams<VersionRef>,
) -> ApiResult<Json<Vec<ObjectVersion>>> {
    let object = object_ref(&bucket, &q.key)?;
    let (_, store) = state.store(&profile)?;
    store
        .delete_version(&object.bucket, &object.key, &q.version_id)
        .await?;
    Ok(Json(
        store.list_versions(&object.bucket, &object.key).await?,
    ))
}

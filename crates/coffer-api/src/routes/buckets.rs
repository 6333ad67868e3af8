//! Buckets of a profile: list, create, delete, region.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use coffer_core::store::{BucketInfo, RegionInfo};
use coffer_core::uri::validate_bucket_name;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::state::ApiState;

/// `POST .../buckets`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucket {
    /// The new bucket's name.
    pub name: String,
}

/// The buckets the profile can see.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets", tag = "buckets",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 200, description = "The buckets", body = Vec<Object>),
        (status = 404, description = "No such profile", body = ErrorBody)),
    security(("token" = [])))]
pub async fn list(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
) -> ApiResult<Json<Vec<BucketInfo>>> {
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.list_buckets().await?))
}

/// Creates a bucket.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets", tag = "buckets",
    params(("profile" = String, Path, description = "Profile name")),
    request_body = CreateBucket,
    responses((status = 201, description = "Created"),
        (status = 400, description = "Bad name", body = ErrorBody),
        (status = 409, description = "It exists", body = ErrorBody)),
    security(("token" = [])))]
pub async fn create(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
    Body(body): Body<CreateBucket>,
) -> ApiResult<StatusCode> {
    validate_bucket_name(&body.name)?;
    let (_, store) = state.store(&profile)?;
    store.create_bucket(&body.name).await?;
    Ok(StatusCode::CREATED)
}

/// Deletes an empty bucket.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}/buckets/{bucket}", tag = "buckets",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such bucket", body = ErrorBody),
        (status = 409, description = "Not empty", body = ErrorBody)),
    security(("token" = [])))]
pub async fn delete(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<StatusCode> {
    validate_bucket_name(&bucket)?;
    let (_, store) = state.store(&profile)?;
    store.delete_bucket(&bucket).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The bucket's region and how it was found.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/region", tag = "buckets",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 200, description = "The region", body = Object),
        (status = 404, description = "No such bucket", body = ErrorBody)),
    security(("token" = [])))]
pub async fn region(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<Json<RegionInfo>> {
    validate_bucket_name(&bucket)?;
    let (_, store) = state.store(&profile)?;
    Ok(Json(store.bucket_region(&bucket).await?))
}

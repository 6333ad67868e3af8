//! Edits a file manager makes: object metadata (copy in place), a new folder, and
//! deleting a selection of objects and folders at once.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use coffer_core::store::{ObjectMeta, PutOptions};
use coffer_core::transfer::{Tracker, as_folder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::objects::object_ref;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::state::ApiState;

/// New metadata for an object.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataChange {
    /// The object.
    pub key: String,
    /// The new Content-Type (none: the server's default).
    pub content_type: Option<String>,
    /// The new Cache-Control (none: no header).
    pub cache_control: Option<String>,
    /// The user metadata, replacing what was there.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// Replaces an object's Content-Type, Cache-Control and user metadata by copying it
/// onto itself on the server (objects up to 5 GiB; larger ones are copied part by
/// part). The storage class is kept.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/metadata", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = MetadataChange,
    responses((status = 200, description = "The metadata now", body = Object),
        (status = 400, description = "Bad header value", body = ErrorBody),
        (status = 404, description = "No such object", body = ErrorBody)),
    security(("token" = [])))]
pub async fn set_metadata(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(change): Body<MetadataChange>,
) -> ApiResult<Json<ObjectMeta>> {
    let object = object_ref(&bucket, &change.key)?;
    for (name, value) in &change.metadata {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(ApiError::bad_request(format!(
                "metadata name `{name}`: use letters, digits, `-` and `_`"
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "metadata `{name}`: the value has a control character"
            )));
        }
    }
    let (_, store) = state.store(&profile)?;
    let before = store.head(&object.bucket, &object.key).await?;
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let options = PutOptions {
        content_type: blank(change.content_type),
        cache_control: blank(change.cache_control),
        storage_class: before.storage_class.clone(),
        metadata: change.metadata,
        ..PutOptions::default()
    };
    let transfers = state.transfers(&profile)?;
    transfers
        .copy_object(&object, &object, Some(&options), &Tracker::silent("copy"))
        .await?;
    Ok(Json(store.head(&object.bucket, &object.key).await?))
}

/// A folder to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFolder {
    /// The folder's prefix; a trailing `/` is added when missing.
    pub key: String,
}

/// Creates an empty folder: a zero-byte object whose key ends in `/`, as the S3
/// consoles do, so that it shows in a listing before anything is put in it.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/folder", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = NewFolder,
    responses((status = 201, description = "Created"),
        (status = 400, description = "Bad name", body = ErrorBody)),
    security(("token" = [])))]
pub async fn create_folder(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(folder): Body<NewFolder>,
) -> ApiResult<StatusCode> {
    let name = folder.key.trim_end_matches('/');
    if name.is_empty() || name.rsplit('/').next().is_some_and(|s| s.trim().is_empty()) {
        return Err(ApiError::bad_request("a folder needs a name"));
    }
    let object = object_ref(&bucket, &format!("{name}/"))?;
    let (_, store) = state.store(&profile)?;
    store
        .put(
            &object.bucket,
            &object.key,
            bytes::Bytes::new().into(),
            &PutOptions::default(),
        )
        .await?;
    Ok(StatusCode::CREATED)
}

/// Objects and folders to delete.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSelection {
    /// Keys of objects.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Folder prefixes: everything under each goes.
    #[serde(default)]
    pub prefixes: Vec<String>,
}

/// What a delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeleteReport {
    /// Objects deleted.
    pub deleted: u64,
}

/// Deletes a selection: objects by key and folders with everything under them. An
/// empty prefix (the whole bucket) is refused.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/delete", tag = "objects",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = DeleteSelection,
    responses((status = 200, description = "Deleted", body = DeleteReport),
        (status = 400, description = "Bad key", body = ErrorBody)),
    security(("token" = [])))]
pub async fn delete_selection(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(selection): Body<DeleteSelection>,
) -> ApiResult<Json<DeleteReport>> {
    let objects = selection
        .keys
        .iter()
        .map(|k| object_ref(&bucket, k))
        .collect::<ApiResult<Vec<_>>>()?;
    for prefix in &selection.prefixes {
        if prefix.trim_matches('/').is_empty() {
            return Err(ApiError::bad_request(
                "refusing to delete a whole bucket from a selection",
            ));
        }
        object_ref(&bucket, prefix)?;
    }
    let transfers = state.transfers(&profile)?;
    let mut deleted = 0;
    for object in &objects {
        transfers.delete_object(object).await?;
        deleted += 1;
    }
    for prefix in &selection.prefixes {
        let report = transfers
            .delete_prefix(&bucket, &as_folder(prefix), &Tracker::silent("delete"))
            .await?;
        deleted += report.items;
    }
    Ok(Json(DeleteReport { deleted }))
}

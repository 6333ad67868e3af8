//! Upload header rules (`coffer_core::rules`): a bucket's ordered list, read and
//! replaced whole (the editor), one added or removed (the CLI), every bucket's of a
//! profile, and a preview of what an upload of some keys would be given.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use coffer_core::rules::{self, BucketRule, RuleSet, UploadRule};
use coffer_core::store::PutOptions;
use coffer_core::uri::validate_bucket_name;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::state::ApiState;

/// The most keys one preview may ask about.
pub const PREVIEW_MAX: usize = 1000;

/// A bucket's rules, in order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleList {
    /// The rules; every matching one applies, a later one winning.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<UploadRule>,
}

/// Every rule of a profile, with its bucket.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileRules {
    /// The rules, by bucket, each bucket's in order.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<BucketRule>,
}

/// One rule to add, at an optional position.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRule {
    /// The rule (its `id` is ignored).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rule: UploadRule,
    /// Where in the list (0-based; default: the end).
    pub position: Option<usize>,
}

/// Keys whose upload to preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Up to 1,000 keys.
    pub keys: Vec<String>,
}

/// What an upload of one key would be given.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// The key.
    pub key: String,
    /// The rules that match it, in order.
    pub rule_ids: Vec<String>,
    /// The headers and storage class it would be stored with.
    pub headers: Headers,
}

/// Headers an upload is stored with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Headers {
    /// Content-Type (from the rules, else the extension).
    pub content_type: Option<String>,
    /// Cache-Control.
    pub cache_control: Option<String>,
    /// Content-Disposition.
    pub content_disposition: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
    /// User metadata.
    pub metadata: BTreeMap<String, String>,
}

/// The previews, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Previews {
    /// One per key.
    pub previews: Vec<Preview>,
}

/// Checks that the profile exists and the bucket name is valid.
fn check(state: &ApiState, profile: &str, bucket: Option<&str>) -> ApiResult<()> {
    state.store(profile)?;
    if let Some(bucket) = bucket {
        validate_bucket_name(bucket)?;
    }
    Ok(())
}

/// A bucket's upload rules, in order.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/buckets/{bucket}/rules", tag = "rules",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    responses((status = 200, description = "The rules", body = RuleList)),
    security(("token" = [])))]
pub async fn list(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
) -> ApiResult<Json<RuleList>> {
    check(&state, &profile, Some(&bucket))?;
    Ok(Json(RuleList {
        rules: rules::list(state.session().db().as_ref(), &profile, &bucket)?,
    }))
}

/// Replaces a bucket's whole ordered list. A bad rule fails the save with a message
/// naming it, and nothing is saved.
#[utoipa::path(put, path = "/api/v1/profiles/{profile}/buckets/{bucket}/rules", tag = "rules",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = RuleList,
    responses((status = 200, description = "The rules as saved", body = RuleList),
        (status = 400, description = "A bad rule", body = ErrorBody)),
    security(("token" = [])))]
pub async fn save(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<RuleList>,
) -> ApiResult<Json<RuleList>> {
    check(&state, &profile, Some(&bucket))?;
    Ok(Json(RuleList {
        rules: rules::save(state.session().db().as_ref(), &profile, &bucket, body.rules)?,
    }))
}

/// Adds one rule (at the end, or at `position`).
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/rules", tag = "rules",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = NewRule,
    responses((status = 201, description = "The rule as saved", body = Object),
        (status = 400, description = "A bad rule", body = ErrorBody)),
    security(("token" = [])))]
pub async fn add(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<NewRule>,
) -> ApiResult<(StatusCode, Json<UploadRule>)> {
    check(&state, &profile, Some(&bucket))?;
    let rule = rules::add(
        state.session().db().as_ref(),
        &profile,
        &bucket,
        body.rule,
        body.position,
    )?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Removes one rule.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}/buckets/{bucket}/rules/{id}", tag = "rules",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name"),
        ("id" = String, Path, description = "The rule's id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such rule", body = ErrorBody)),
    security(("token" = [])))]
pub async fn remove(
    State(state): State<ApiState>,
    Params((profile, bucket, id)): Params<(String, String, String)>,
) -> ApiResult<StatusCode> {
    check(&state, &profile, Some(&bucket))?;
    rules::remove(state.session().db().as_ref(), &profile, &bucket, &id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every rule of every bucket of the profile.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}/rules", tag = "rules",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 200, description = "The rules", body = ProfileRules)),
    security(("token" = [])))]
pub async fn list_profile(
    State(state): State<ApiState>,
    Params(profile): Params<String>,
) -> ApiResult<Json<ProfileRules>> {
    check(&state, &profile, None)?;
    Ok(Json(ProfileRules {
        rules: rules::list_profile(state.session().db().as_ref(), &profile)?,
    }))
}

/// What an upload of each key would be stored with: the rules, then the extension's
/// Content-Type. Shown before an upload starts.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/buckets/{bucket}/rules/preview", tag = "rules",
    params(("profile" = String, Path, description = "Profile name"),
        ("bucket" = String, Path, description = "Bucket name")),
    request_body = PreviewRequest,
    responses((status = 200, description = "One preview per key", body = Previews),
        (status = 400, description = "Too many keys", body = ErrorBody)),
    security(("token" = [])))]
pub async fn preview(
    State(state): State<ApiState>,
    Params((profile, bucket)): Params<(String, String)>,
    Body(body): Body<PreviewRequest>,
) -> ApiResult<Json<Previews>> {
    check(&state, &profile, Some(&bucket))?;
    if body.keys.len() > PREVIEW_MAX {
        return Err(ApiError::bad_request(format!(
            "keys: at most {PREVIEW_MAX} per preview"
        )));
    }
    let set = RuleSet::new(rules::list(
        state.session().db().as_ref(),
        &profile,
        &bucket,
    )?);
    let previews = body
        .keys
        .into_iter()
        .map(|key| {
            let applied = set.apply(&key, &PutOptions::default());
            let o = applied.options;
            Preview {
                headers: Headers {
                    content_type: o
                        .content_type
                        .or_else(|| coffer_core::transfer::guess_content_type(&key)),
                    cache_control: o.cache_control,
                    content_disposition: o.content_disposition,
                    storage_class: o.storage_class,
                    metadata: o.metadata,
                },
                rule_ids: applied.rule_ids,
                key,
            }
        })
        .collect();
    Ok(Json(Previews { previews }))
}

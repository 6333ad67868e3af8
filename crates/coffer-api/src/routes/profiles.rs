//! Profiles, without secrets: list, show, add (the secret goes to the keychain),
//! remove, test.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use coffer_core::Sensitive;
use coffer_core::profile::{Profile, ProfileDraft, import_aws_profile};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, Params};
use crate::state::ApiState;

/// Every profile (the `local` one included). No secret is ever part of a profile.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "profiles",
    responses((status = 200, description = "The profiles", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> ApiResult<Json<Vec<Profile>>> {
    Ok(Json(state.session().profiles().list()?))
}

/// One profile.
#[utoipa::path(get, path = "/api/v1/profiles/{profile}", tag = "profiles",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 200, description = "The profile", body = Object),
        (status = 404, description = "No such profile", body = ErrorBody)),
    security(("token" = [])))]
pub async fn get(
    State(state): State<ApiState>,
    Params(name): Params<String>,
) -> ApiResult<Json<Profile>> {
    Ok(Json(state.session().profiles().get(&name)?))
}

/// `POST /api/v1/profiles`: a new profile. The secret goes to the keychain and is
/// never given back.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    /// Unique name: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// The endpoint URL; absent for AWS S3.
    pub endpoint: Option<String>,
    /// The default region.
    pub region: Option<String>,
    /// Path-style addressing (default: path-style for IPs and localhost).
    pub path_style: Option<bool>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key (stored in the keychain only).
    pub secret_access_key: Option<String>,
    /// A session token, for temporary credentials.
    pub session_token: Option<String>,
    /// Take region, endpoint and keys from this AWS profile (`~/.aws/config`).
    pub from_aws_profile: Option<String>,
    /// Sign nothing (public buckets).
    #[serde(default)]
    pub anonymous: bool,
    /// Replace a profile of the same name.
    #[serde(default)]
    pub replace: bool,
}

impl std::fmt::Debug for NewProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProfile")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Runs a keychain call (D-Bus, blocking) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::bad_request(format!("the keychain call failed: {e}")))?
}

/// Adds a profile.
#[utoipa::path(post, path = "/api/v1/profiles", tag = "profiles",
    request_body = NewProfile,
    responses((status = 201, description = "Saved", body = Object),
        (status = 400, description = "Invalid", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 503, description = "No keychain", body = ErrorBody)),
    security(("token" = [])))]
pub async fn add(
    State(state): State<ApiState>,
    Body(body): Body<NewProfile>,
) -> ApiResult<(StatusCode, Json<Profile>)> {
    let mut draft = ProfileDraft {
        name: body.name,
        endpoint: body.endpoint,
        region: body.region,
        path_style: body.path_style,
        access_key_id: body.access_key_id,
        secret_access_key: body.secret_access_key.map(Sensitive::new),
        session_token: body.session_token.map(Sensitive::new),
        anonymous: body.anonymous,
        ..Default::default()
    };
    if let Some(aws) = &body.from_aws_profile {
        draft.apply_aws_import(import_aws_profile(aws).await?);
    }
    if draft.access_key_id.is_none() && draft.aws_profile.is_none() && !draft.anonymous {
        return Err(ApiError::bad_request(
            "give credentials: access_key_id and secret_access_key, from_aws_profile, or \
             anonymous",
        ));
    }
    let profiles = state.session().profiles().clone();
    let replace = body.replace;
    let profile = blocking(move || Ok(profiles.add(draft, replace)?)).await?;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// Removes a profile and its secrets.
#[utoipa::path(delete, path = "/api/v1/profiles/{profile}", tag = "profiles",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such profile", body = ErrorBody)),
    security(("token" = [])))]
pub async fn remove(
    State(state): State<ApiState>,
    Params(name): Params<String>,
) -> ApiResult<StatusCode> {
    let profiles = state.session().profiles().clone();
    blocking(move || Ok(profiles.remove(&name)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a connection test found.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestAnswer {
    /// It connected and signed in.
    pub ok: bool,
    /// Buckets visible.
    pub buckets: usize,
    /// Round trip of the listing, in milliseconds.
    pub latency_ms: u64,
}

/// Tests a profile: lists its buckets.
#[utoipa::path(post, path = "/api/v1/profiles/{profile}/test", tag = "profiles",
    params(("profile" = String, Path, description = "Profile name")),
    responses((status = 200, description = "It works", body = TestAnswer),
        (status = 403, description = "Access denied", body = ErrorBody),
        (status = 502, description = "Unreachable", body = ErrorBody)),
    security(("token" = [])))]
pub async fn test(
    State(state): State<ApiState>,
    Params(name): Params<String>,
) -> ApiResult<Json<TestAnswer>> {
    let (_, store) = state.store(&name)?;
    let started = std::time::Instant::now();
    let buckets = store.list_buckets().await?.len();
    Ok(Json(TestAnswer {
        ok: true,
        buckets,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }))
}

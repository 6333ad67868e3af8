//! Share links: a presigned URL made here is recorded (`coffer_core::share`); these
//! routes list the records, give a live link again, and forget one. The record never
//! holds the URL: "again" signs the same request for the same moment.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use coffer_core::share::{self, ShareRecord};
use coffer_core::store::PresignMethod;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Params;
use crate::state::{ApiState, Caller};

/// One recorded link.
#[derive(Debug, Serialize, ToSchema)]
pub struct Share {
    /// Its id.
    pub id: String,
    /// The profile whose key signed it.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// `GET` (download) or `PUT` (upload).
    #[schema(value_type = String)]
    pub method: PresignMethod,
    /// When it was made (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When it stops working (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub expires_at: OffsetDateTime,
    /// Its lifetime in seconds.
    pub expires_secs: u64,
    /// Whether it has stopped working.
    pub expired: bool,
    /// Who made it: `cli`, `desktop`, `web` or `api`.
    pub via: String,
}

impl Share {
    /// The view of a record as of `now`.
    pub fn of(record: ShareRecord, now: OffsetDateTime) -> Share {
        Share {
            expires_at: record.expires_at(),
            expired: record.is_expired(now),
            id: record.id,
            profile: record.profile,
            bucket: record.bucket,
            key: record.key,
            method: record.method,
            created_at: record.created_at,
            expires_secs: record.expires_secs,
            via: record.via,
        }
    }
}

/// Every recorded link.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareList {
    /// Live links first (newest first), then expired ones (latest first).
    pub shares: Vec<Share>,
}

/// A link given again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareUrl {
    /// The URL.
    pub url: String,
    /// When it stops working (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub expires_at: OffsetDateTime,
}

/// Who is asking, for a new record: the desktop window (or a local process on the
/// agent socket), a browser (it sends `Sec-Fetch-Mode`), or another HTTP client.
pub(crate) fn via(caller: Caller, headers: &HeaderMap) -> &'static str {
    match caller {
        Caller::Desktop => "desktop",
        Caller::Remote if headers.contains_key("sec-fetch-mode") => "web",
        Caller::Remote => "api",
    }
}

/// Every recorded share link; records expired more than 30 days ago are dropped.
#[utoipa::path(get, path = "/api/v1/shares", tag = "shares",
    responses((status = 200, description = "The links", body = ShareList)),
    security(("token" = [])))]
pub async fn list(State(state): State<ApiState>) -> ApiResult<Json<ShareList>> {
    let now = OffsetDateTime::now_utc();
    let shares = share::list(state.session().db().as_ref(), now)?
        .into_iter()
        .map(|r| Share::of(r, now))
        .collect();
    Ok(Json(ShareList { shares }))
}

/// The same link again (signed again for the same moment and lifetime).
#[utoipa::path(post, path = "/api/v1/shares/{id}/url", tag = "shares",
    params(("id" = String, Path, description = "The link's id")),
    responses((status = 200, description = "The URL", body = ShareUrl),
        (status = 404, description = "No such link", body = ErrorBody),
        (status = 410, description = "It has expired", body = ErrorBody)),
    security(("token" = [])))]
pub async fn url(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<Json<ShareUrl>> {
    let db = state.session().db().clone();
    let record = share::get(db.as_ref(), &id)?;
    let (_, store) = state.store(&record.profile)?;
    let (url, record) =
        share::url_again(store.as_ref(), db.as_ref(), &id, OffsetDateTime::now_utc()).await?;
    Ok(Json(ShareUrl {
        url,
        expires_at: record.expires_at(),
    }))
}

/// Forgets a link's record. The link keeps working until it expires: a presigned URL
/// cannot be revoked except by rotating the access key that signed it.
#[utoipa::path(delete, path = "/api/v1/shares/{id}", tag = "shares",
    params(("id" = String, Path, description = "The link's id")),
    responses((status = 204, description = "Forgotten"),
        (status = 404, description = "No such link", body = ErrorBody)),
    security(("token" = [])))]
pub async fn forget(
    State(state): State<ApiState>,
    Params(id): Params<String>,
) -> ApiResult<StatusCode> {
    share::forget(state.session().db().as_ref(), &id)?;
    Ok(StatusCode::NO_CONTENT)
}

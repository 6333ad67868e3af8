//! Backups: repositories (create or connect; the password goes to the keychain),
//! snapshots, browsing a snapshot, a path's timeline, restore (a one-off job with
//! progress), retention, prune and check. Backup jobs themselves are `/api/v1/jobs`
//! of kind `backup`; their runs' `details` carry the snapshot and the sizes.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use coffer_backup::check::{CheckOutcome, CheckRequest};
use coffer_backup::forget::{ForgetOutcome, KeepPolicy};
use coffer_backup::ls::Entry;
use coffer_backup::prune::PruneOutcome;
use coffer_backup::restore::{Overwrite, RestoreOutcome, RestoreRequest};
use coffer_backup::snapshots::SnapshotInfo;
use coffer_backup::timeline::Version;
use coffer_backup::{Access, Repo, RepoLocation, RepoRecord};
use coffer_core::Sensitive;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Body, QueryParams};
use crate::state::{ApiState, Caller};

/// Which repository: a profile and an `s3://` URL.
#[derive(Debug, Clone, Deserialize, ToSchema, IntoParams)]
pub struct RepoQuery {
    /// The profile whose store holds it.
    pub profile: String,
    /// `s3://bucket[/prefix]`.
    pub repo: String,
}

fn access(state: &ApiState, profile: &str) -> ApiResult<Access> {
    let (profile, store) = state.store(profile)?;
    let session = state.session();
    Ok(Access {
        store,
        profile: profile.name,
        secrets: session.secrets().clone(),
        db: session.db().clone(),
        data_dir: session.data_dir().root().to_path_buf(),
    })
}

fn location(repo: &str) -> ApiResult<RepoLocation> {
    Ok(RepoLocation::parse(repo)?)
}

async fn open(state: &ApiState, profile: &str, repo: &str) -> ApiResult<Repo> {
    let access = access(state, profile)?;
    Ok(state.backups().open(&access, location(repo)?, None).await?)
}

/// The repositories this host knows.
#[utoipa::path(get, path = "/api/v1/backups/repos", tag = "backups",
    responses((status = 200, description = "Known repositories", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn repos(State(state): State<ApiState>) -> ApiResult<Json<Vec<RepoRecord>>> {
    Ok(Json(Access::records(state.session().db().as_ref())?))
}

/// `POST /api/v1/backups/repos`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRepo {
    /// The profile.
    pub profile: String,
    /// `s3://bucket[/prefix]`.
    pub repo: String,
    /// The repository's password; kept in the keychain.
    pub password: String,
    /// Create a new repository (an empty bucket or prefix only); otherwise connect to
    /// an existing one.
    #[serde(default)]
    pub create: bool,
    /// This host never deletes or rewrites the repository's objects.
    #[serde(default)]
    pub append_only: bool,
}

/// Creates a repository, or connects to one; the password goes to the keychain.
#[utoipa::path(post, path = "/api/v1/backups/repos", tag = "backups",
    request_body = AddRepo,
    responses((status = 200, description = "The repository", body = Object),
        (status = 409, description = "Not empty and not a repository, or already one", body = ErrorBody),
        (status = 403, description = "Wrong password", body = ErrorBody)),
    security(("token" = [])))]
pub async fn add_repo(
    State(state): State<ApiState>,
    Body(body): Body<AddRepo>,
) -> ApiResult<Json<RepoRecord>> {
    let access = access(&state, &body.profile)?;
    let location = location(&body.repo)?;
    let password = Sensitive::new(body.password);
    if body.create {
        access
            .init(location.clone(), &password, body.append_only)
            .await?;
    } else {
        state
            .backups()
            .open(&access, location.clone(), Some(password.clone()))
            .await?;
        coffer_backup::password::store(&access.secrets, &access.profile, &location, &password)
            .await?;
        access.set_append_only(&location, body.append_only)?;
    }
    state.backups().forget(&access, &location);
    let record = access
        .record(&location)?
        .ok_or_else(|| ApiError::NotFound(format!("{location} was not recorded")))?;
    Ok(Json(record))
}

/// The snapshots, oldest first.
#[utoipa::path(get, path = "/api/v1/backups/snapshots", tag = "backups", params(RepoQuery),
    responses((status = 200, description = "Snapshots", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn snapshots(
    State(state): State<ApiState>,
    QueryParams(q): QueryParams<RepoQuery>,
) -> ApiResult<Json<Vec<SnapshotInfo>>> {
    Ok(Json(
        open(&state, &q.profile, &q.repo).await?.snapshots().await?,
    ))
}

/// `GET /api/v1/backups/ls`.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
pub struct LsQuery {
    /// The profile.
    pub profile: String,
    /// The repository.
    pub repo: String,
    /// The snapshot (id, prefix or `latest`).
    pub snapshot: String,
    /// A folder in it (default: the root).
    #[serde(default)]
    pub path: String,
}

/// The entries of a folder of a snapshot.
#[utoipa::path(get, path = "/api/v1/backups/ls", tag = "backups", params(LsQuery),
    responses((status = 200, description = "Entries", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn ls(
    State(state): State<ApiState>,
    QueryParams(q): QueryParams<LsQuery>,
) -> ApiResult<Json<Vec<Entry>>> {
    let repo = open(&state, &q.profile, &q.repo).await?;
    Ok(Json(repo.ls(&q.snapshot, &q.path, false).await?))
}

/// `GET /api/v1/backups/timeline`.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
pub struct TimelineQuery {
    /// The profile.
    pub profile: String,
    /// The repository.
    pub repo: String,
    /// The path as backed up.
    pub path: String,
}

/// Every distinct version of a path across all snapshots.
#[utoipa::path(get, path = "/api/v1/backups/timeline", tag = "backups", params(TimelineQuery),
    responses((status = 200, description = "Versions, oldest first", body = Vec<Object>)),
    security(("token" = [])))]
pub async fn timeline(
    State(state): State<ApiState>,
    QueryParams(q): QueryParams<TimelineQuery>,
) -> ApiResult<Json<Vec<Version>>> {
    let repo = open(&state, &q.profile, &q.repo).await?;
    Ok(Json(repo.timeline(&q.path).await?))
}

/// `POST /api/v1/backups/restore`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    /// The profile.
    pub profile: String,
    /// The repository.
    pub repo: String,
    /// The snapshot (id, prefix or `latest`).
    pub snapshot: String,
    /// A path in it (default: all of it).
    #[serde(default)]
    pub path: String,
    /// The folder to restore into.
    #[schema(value_type = String)]
    pub target: std::path::PathBuf,
    /// `never` (default), `if-changed` or `always`.
    #[serde(default)]
    pub overwrite: Option<String>,
}

/// Restores a snapshot (or a path in it) into a local folder, as a one-off job with
/// progress (`x-coffer-job-id` names it).
#[utoipa::path(post, path = "/api/v1/backups/restore", tag = "backups",
    request_body = RestoreBody,
    responses((status = 200, description = "Restored", body = Object),
        (status = 409, description = "Existing files differ and overwrite is never", body = ErrorBody),
        (status = 403, description = "Outside the allowed folders", body = ErrorBody)),
    security(("token" = [])))]
pub async fn restore(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body<RestoreBody>,
) -> ApiResult<Json<RestoreOutcome>> {
    let target = state.path_for(&body.target, caller)?;
    let overwrite: Overwrite = match body.overwrite.as_deref() {
        None => Overwrite::Never,
        Some(s) => s.parse()?,
    };
    let repo = open(&state, &body.profile, &body.repo).await?;
    let id = headers
        .get(super::objects::JOB_ID_HEADER)
        .and_then(|v| v.to_str().ok());
    let params = serde_json::json!({
        "profile": body.profile, "repo": body.repo, "snapshot": body.snapshot,
        "path": body.path, "target": target,
    });
    let name = format!(
        "restore of {} to {}",
        if body.path.is_empty() {
            body.snapshot.as_str()
        } else {
            body.path.as_str()
        },
        target.display()
    );
    let job = state.engine().track("restore", name, params, id);
    let sink = {
        let progress = job.progress_sink();
        let started = std::time::Instant::now();
        std::sync::Arc::new(move |p: &coffer_backup::progress::Progress| {
            progress(&p.to_job_progress("restore", started));
        })
    };
    let result = repo
        .restore(
            RestoreRequest {
                snapshot: body.snapshot,
                path: body.path,
                target,
                overwrite,
            },
            sink,
        )
        .await;
    job.finish(
        result
            .as_ref()
            .err()
            .map(|e| coffer_jobs::JobError::new(e.code(), e.to_string())),
        None,
    );
    Ok(Json(result?))
}

/// `POST /api/v1/backups/forget`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgetBody {
    /// The profile.
    pub profile: String,
    /// The repository.
    pub repo: String,
    /// keep-* rules: `{last, hourly, daily, weekly, monthly, yearly}`.
    #[schema(value_type = Object)]
    pub keep: KeepPolicy,
    /// Prune afterwards.
    #[serde(default)]
    pub prune: bool,
    /// Only say what would go.
    #[serde(default)]
    pub dry_run: bool,
}

/// What forget (and prune) did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForgetAnswer {
    /// Every snapshot's fate.
    #[schema(value_type = Object)]
    pub forget: ForgetOutcome,
    /// The prune that followed, when asked.
    #[schema(value_type = Object)]
    pub prune: Option<PruneOutcome>,
}

/// Applies keep-* rules (a dry run shows what would go).
#[utoipa::path(post, path = "/api/v1/backups/forget", tag = "backups",
    request_body = ForgetBody,
    responses((status = 200, description = "Decisions", body = ForgetAnswer),
        (status = 409, description = "Locked, or append-only here", body = ErrorBody)),
    security(("token" = [])))]
pub async fn forget(
    State(state): State<ApiState>,
    Body(body): Body<ForgetBody>,
) -> ApiResult<Json<ForgetAnswer>> {
    let repo = open(&state, &body.profile, &body.repo).await?;
    let forget = repo.forget(body.keep, body.dry_run).await?;
    let prune = if body.prune && (forget.removed > 0 || body.dry_run) {
        Some(repo.prune(body.dry_run).await?)
    } else {
        None
    };
    Ok(Json(ForgetAnswer { forget, prune }))
}

/// `POST /api/v1/backups/prune`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PruneBody {
    /// The profile.
    pub profile: String,
    /// The repository.
    pub repo: String,
    /// Only say what would go.
    #[serde(default)]
    pub dry_run: bool,
}

/// Removes data no snapshot needs.
#[utoipa::path(post, path = "/api/v1/backups/prune", tag = "backups",
    request_body = PruneBody,
    responses((status = 200, description = "What went", body = Object)),
    security(("token" = [])))]
pub async fn prune(
    State(state): State<ApiState>,
    Body(body): Body<PruneBody>,
) -> ApiResult<Json<PruneOutcome>> {
    let repo = open(&state, &body.profile, &body.repo).await?;
    Ok(Json(repo.prune(body.dry_run).await?))
}

/// `POST /api/v1/backups/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The profile.
    pub profile: String,
    /// The repository.
    pub repo: String,
    /// Also read this part of the data: `all`, `10%`, `n/m` or a size.
    #[serde(default)]
    pub read_data_subset: Option<String>,
}

/// Checks the repository; findings name packs and the snapshots affected.
#[utoipa::path(post, path = "/api/v1/backups/check", tag = "backups",
    request_body = CheckBody,
    responses((status = 200, description = "Findings", body = Object)),
    security(("token" = [])))]
pub async fn check(
    State(state): State<ApiState>,
    Body(body): Body<CheckBody>,
) -> ApiResult<Json<CheckOutcome>> {
    let repo = open(&state, &body.profile, &body.repo).await?;
    Ok(Json(
        repo.check(CheckRequest {
            read_data_subset: body.read_data_subset,
        })
        .await?,
    ))
}

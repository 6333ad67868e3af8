//! Coffer's core API over HTTP, on axum.
//!
//! - Routes are versioned under `/api/v1`; the OpenAPI document is at
//!   `/api/v1/openapi.json` ([`openapi::ApiDoc`]).
//! - Every route but `health` and `openapi.json` needs `Authorization: Bearer TOKEN`
//!   ([`auth`]); a token in the URL is refused.
//! - Errors are JSON `{code, message}` with the right status ([`error`]); user input
//!   never gets a 500.
//! - Uploads and downloads stream; other bodies are limited to [`BODY_LIMIT`].
//! - Transfer events go to every client over Server-Sent Events ([`events`]).
//!
//! The same [`router`] serves the standalone listener (`coffer serve`), the desktop's
//! embedded API and the agent's Unix socket ([`agent`]), which other `coffer`
//! processes of the same user attach to.

#[cfg(unix)]
pub mod agent;
pub mod auth;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod host;
pub mod jobs;
pub mod openapi;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;
pub mod tls;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::cors::CorsLayer;
use utoipa::OpenApi;

pub use error::{ApiError, ApiResult, ErrorBody};
pub use health::health;
pub use host::ApiHost;
pub use state::ApiState;

use routes::{
    backups, buckets, edit, index as index_routes, jobs as job_routes, objects, preferences,
    profiles, replication, rules, settings as api_switches, shares, store as raw_store, transfers,
    versions,
};

/// The largest JSON request body accepted (uploads stream and are not limited).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The API's routes over `state`. `ui_origin` is the only origin CORS lets in (the
/// web UI's own, e.g. `http://127.0.0.1:8421`); `None` allows no cross-origin calls.
pub fn router(state: ApiState, ui_origin: Option<&str>) -> Router {
    let object_routes = Router::new().route(
        "/api/v1/profiles/{profile}/buckets/{bucket}/object",
        get(objects::download)
            .put(objects::upload)
            .delete(objects::delete)
            // The upload streams: no size limit on its body.
            .layer(DefaultBodyLimit::disable()),
    );
    // A profile's store, one operation per route, for another machine's Coffer.
    let store = "/api/v1/profiles/{profile}/buckets/{bucket}/store";
    let store_routes = Router::new()
        .route(
            &format!("{store}/object"),
            axum::routing::put(raw_store::put).layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{store}/uploads/part"),
            axum::routing::put(raw_store::upload_part).layer(DefaultBodyLimit::disable()),
        )
        .route(&format!("{store}/part"), get(raw_store::head_part))
        .route(
            &format!("{store}/uploads"),
            get(raw_store::list_uploads)
                .post(raw_store::create_upload)
                .delete(raw_store::abort_upload),
        )
        .route(
            &format!("{store}/uploads/part-copy"),
            post(raw_store::upload_part_copy),
        )
        .route(
            &format!("{store}/uploads/parts"),
            get(raw_store::list_parts),
        )
        .route(
            &format!("{store}/uploads/complete"),
            post(raw_store::complete_upload),
        )
        .route(&format!("{store}/delete"), post(raw_store::delete_many))
        .route(&format!("{store}/copy"), post(raw_store::copy_object))
        .route(&format!("{store}/presign"), post(raw_store::presign));
    let protected = Router::new()
        .route("/api/v1/profiles", get(profiles::list).post(profiles::add))
        .route(
            "/api/v1/profiles/{profile}",
            get(profiles::get).delete(profiles::remove),
        )
        .route("/api/v1/profiles/{profile}/test", post(profiles::test))
        .route(
            "/api/v1/profiles/{profile}/buckets",
            get(buckets::list).post(buckets::create),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}",
            axum::routing::delete(buckets::delete),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/region",
            get(buckets::region),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/objects",
            get(objects::list),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/object/meta",
            get(objects::meta),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/versioning",
            get(versions::get_versioning).put(versions::set_versioning),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/object/versions",
            get(versions::list),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/deleted",
            get(versions::deleted),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/object/restore-version",
            post(versions::restore),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/object/version",
            get(versions::download).delete(versions::delete),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/copy",
            post(objects::copy),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/move",
            post(objects::rename),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/presign",
            post(objects::presign),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/rules",
            get(rules::list).put(rules::save).post(rules::add),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/rules/preview",
            post(rules::preview),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/rules/{id}",
            axum::routing::delete(rules::remove),
        )
        .route("/api/v1/profiles/{profile}/rules", get(rules::list_profile))
        .route("/api/v1/replication", get(replication::list))
        .route(
            "/api/v1/replication/preview",
            post(replication::cost_preview),
        )
        .route("/api/v1/replication/{id}", get(replication::get))
        .route("/api/v1/replication/{id}/drill", post(replication::drill))
        .route(
            "/api/v1/replication/{id}/timeline",
            get(replication::timeline),
        )
        .route(
            "/api/v1/replication/{id}/restore",
            post(replication::restore),
        )
        .route("/api/v1/index", get(index_routes::list))
        .route(
            "/api/v1/settings/index",
            get(index_routes::get_settings).put(index_routes::put_settings),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/index",
            get(index_routes::get)
                .post(index_routes::build)
                .delete(index_routes::forget),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/index/list",
            get(index_routes::folder),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/index/refresh-folder",
            post(index_routes::refresh_folder),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/index/changes",
            post(index_routes::changes),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/index/size",
            get(index_routes::size),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/index/search",
            get(index_routes::search),
        )
        .route("/api/v1/shares", get(shares::list))
        .route("/api/v1/shares/{id}", axum::routing::delete(shares::forget))
        .route("/api/v1/shares/{id}/url", post(shares::url))
        .route("/api/v1/profiles/{profile}/transfers", get(transfers::list))
        .route(
            "/api/v1/profiles/{profile}/transfers/cleanup",
            post(transfers::cleanup),
        )
        .route(
            "/api/v1/profiles/{profile}/transfers/upload-file",
            post(transfers::upload_file),
        )
        .route(
            "/api/v1/profiles/{profile}/transfers/download-file",
            post(transfers::download_file),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/metadata",
            post(edit::set_metadata),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/folder",
            post(edit::create_folder),
        )
        .route(
            "/api/v1/profiles/{profile}/buckets/{bucket}/delete",
            post(edit::delete_selection),
        )
        .route(
            "/api/v1/jobs",
            get(job_routes::list).post(job_routes::create),
        )
        .route("/api/v1/jobs/kinds", get(job_routes::kinds))
        .route("/api/v1/jobs/pause-all", post(job_routes::pause_all))
        .route("/api/v1/jobs/resume-all", post(job_routes::resume_all))
        .route(
            "/api/v1/jobs/{id}",
            get(job_routes::get)
                .put(job_routes::edit)
                .delete(job_routes::forget),
        )
        .route("/api/v1/jobs/{id}/history", get(job_routes::history))
        .route("/api/v1/jobs/{id}/run", post(job_routes::run))
        .route("/api/v1/jobs/{id}/pause", post(job_routes::pause))
        .route("/api/v1/jobs/{id}/resume", post(job_routes::resume))
        .route("/api/v1/jobs/{id}/cancel", post(job_routes::cancel))
        .route("/api/v1/jobs/{id}/retry", post(job_routes::retry))
        .route(
            "/api/v1/settings/transfers",
            get(preferences::get_transfers).put(preferences::put_transfers),
        )
        .route(
            "/api/v1/settings/ui",
            get(preferences::get_ui).put(preferences::put_ui),
        )
        .route(
            "/api/v1/settings/api/token",
            get(preferences::get_token).post(preferences::rotate_token),
        )
        .route("/api/v1/aws-profiles", get(preferences::aws_profiles))
        .route(
            "/api/v1/backups/repos",
            get(backups::repos).post(backups::add_repo),
        )
        .route("/api/v1/backups/snapshots", get(backups::snapshots))
        .route("/api/v1/backups/ls", get(backups::ls))
        .route("/api/v1/backups/timeline", get(backups::timeline))
        .route("/api/v1/backups/restore", post(backups::restore))
        .route("/api/v1/backups/forget", post(backups::forget))
        .route("/api/v1/backups/prune", post(backups::prune))
        .route("/api/v1/backups/check", post(backups::check))
        .route("/api/v1/events", get(events::events))
        .route(
            "/api/v1/settings/api",
            get(api_switches::get).put(api_switches::put),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(object_routes)
        .merge(store_routes)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));

    let open = Router::new()
        .route("/", get(ui::index))
        .route("/api/v1/health", get(health::health))
        .route(
            "/api/v1/openapi.json",
            get(|| async { axum::Json(openapi::ApiDoc::openapi()) }),
        );

    let mut cors = CorsLayer::new()
        .allow_methods([Method::GET, Method::PUT, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::CACHE_CONTROL,
            HeaderName::from_static(routes::objects::JOB_ID_HEADER),
        ]);
    if let Some(origin) = ui_origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        cors = cors.allow_origin(origin);
    }

    protected
        .merge(open)
        .fallback(ui::fallback)
        .layer(cors)
        .with_state(state)
}

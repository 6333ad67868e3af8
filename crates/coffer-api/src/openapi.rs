//! The OpenAPI 3 document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    backups, buckets, edit, index, jobs, objects, preferences, profiles, replication, rules,
    settings, shares, store, transfers, versions,
};

/// Adds the bearer-token scheme the handlers name.
struct TokenScheme;

impl Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Coffer API", description = "Coffer's core over HTTP: profiles, buckets, objects, share links, upload rules, the bucket index, transfers, jobs, backups, replication."),
    paths(
        crate::health::health,
        profiles::list, profiles::get, profiles::add, profiles::remove, profiles::test,
        buckets::list, buckets::create, buckets::delete, buckets::region,
        objects::list, objects::meta, objects::download, objects::upload, objects::delete,
        objects::copy, objects::rename, objects::presign,
        versions::get_versioning, versions::set_versioning, versions::list, versions::restore,
        versions::download, versions::delete, versions::deleted,
        transfers::list, transfers::cleanup, transfers::upload_file, transfers::download_file,
        crate::events::events,
        settings::get, settings::put,
        edit::set_metadata, edit::create_folder, edit::delete_selection,
        jobs::list, jobs::kinds, jobs::create, jobs::get, jobs::edit, jobs::history,
        jobs::pause, jobs::resume, jobs::cancel, jobs::retry, jobs::run,
        jobs::forget, jobs::pause_all, jobs::resume_all,
        preferences::get_transfers, preferences::put_transfers, preferences::get_ui,
        preferences::put_ui, preferences::get_token, preferences::rotate_token,
        preferences::aws_profiles,
        store::put, store::head_part, store::create_upload, store::list_uploads,
        store::abort_upload, store::upload_part, store::upload_part_copy, store::list_parts,
        store::complete_upload, store::delete_many, store::copy_object, store::presign,
        rules::list, rules::save, rules::add, rules::remove, rules::list_profile, rules::preview,
        shares::list, shares::url, shares::forget,
        index::list, index::get_settings, index::put_settings, index::get, index::build,
        index::forget, index::folder, index::refresh_folder, index::size, index::search,
        index::changes,
        replication::list, replication::get, replication::drill, replication::timeline,
        replication::restore, replication::cost_preview,
        backups::repos, backups::add_repo, backups::snapshots, backups::ls, backups::timeline,
        backups::restore, backups::forget, backups::prune, backups::check,
    ),
    components(schemas(
        crate::error::ErrorBody, crate::health::Health,
        profiles::NewProfile, profiles::TestAnswer,
        buckets::CreateBucket, objects::CopyRequest, objects::CopyReport,
        objects::PresignRequest, objects::PresignAnswer,
        versions::VersioningState, versions::SetVersioning, versions::VersionRef,
        transfers::CleanupRequest, transfers::CleanupAnswer, transfers::FileTransfer,
        settings::ApiSettings, settings::ApiSettingsChange,
        edit::MetadataChange, edit::NewFolder, edit::DeleteSelection, edit::DeleteReport,
        crate::settings::stored::TransferSettings, crate::settings::stored::UiSettings,
        preferences::TokenAnswer,
        store::NewUpload, store::PartCopy, store::Complete, store::DeleteKeys, store::CopyObject,
        store::RawPresign, store::RawPresignAnswer,
        rules::RuleList, rules::ProfileRules, rules::NewRule, rules::PreviewRequest, rules::Preview,
        rules::Headers, rules::Previews, index::IndexList, index::BuildRequest, replication::ReplicationJob, replication::Point, replication::Timeline, replication::RestoreRequest, replication::PreviewRequest, index::Changes, shares::Share, shares::ShareList, shares::ShareUrl,
        backups::RepoQuery, backups::AddRepo, backups::LsQuery, backups::TimelineQuery,
        backups::RestoreBody, backups::ForgetBody, backups::ForgetAnswer, backups::PruneBody,
        backups::CheckBody,
    )),
    modifiers(&TokenScheme),
)]
pub struct ApiDoc;

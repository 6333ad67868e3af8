//! The OpenAPI 3 document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{buckets, objects, profiles, settings, transfers};

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
    info(title = "Coffer API", description = "Coffer's core over HTTP: profiles, buckets, objects, transfers."),
    paths(
        crate::health::health,
        profiles::list, profiles::get, profiles::add, profiles::remove, profiles::test,
        buckets::list, buckets::create, buckets::delete, buckets::region,
        objects::list, objects::meta, objects::download, objects::upload, objects::delete,
        objects::copy, objects::rename, objects::presign,
        transfers::list, transfers::cleanup, transfers::upload_file, transfers::download_file,
        crate::events::events,
        settings::get, settings::put,
    ),
    components(schemas(
        crate::error::ErrorBody, crate::health::Health,
        profiles::NewProfile, profiles::TestAnswer,
        buckets::CreateBucket, objects::CopyRequest, objects::CopyReport,
        objects::PresignRequest, objects::PresignAnswer,
        transfers::CleanupRequest, transfers::CleanupAnswer, transfers::FileTransfer,
        crate::events::Event, crate::events::EventKind,
        settings::ApiSettings, settings::ApiSettingsChange,
    )),
    modifiers(&TokenScheme),
)]
pub struct ApiDoc;

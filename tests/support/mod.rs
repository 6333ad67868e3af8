//! What the desktop tests share: an API host over a fresh data dir whose `local`
//! profile holds the sample objects.

use std::path::Path;
use std::sync::Arc;

use coffer_api::settings::file::ApiConfig;
use coffer_api::{ApiHost, ApiState};
use coffer_core::paths::DataDir;
use coffer_core::secret::MemorySecretStore;
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;

/// A host over `dir/home` (secrets in memory), the samples seeded, started on `runtime`.
pub fn local_host(runtime: &tokio::runtime::Runtime, dir: &Path) -> Arc<ApiHost> {
    let session = Session::open(
        DataDir::at(dir.join("home")),
        Arc::new(MemorySecretStore::default()),
    )
    .expect("session");
    runtime.block_on(async {
        coffer_core::samples::seed(&session).await.expect("samples");
        let state = ApiState::new(
            session,
            "test-token".to_string().into(),
            TransferConfig::default(),
            Vec::new(),
        )
        .expect("state");
        ApiHost::start(state, ApiConfig::default(), None)
            .await
            .expect("host")
    })
}

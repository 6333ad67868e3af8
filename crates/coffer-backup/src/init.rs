//! Creating a repository, on an empty bucket or prefix only.

use std::sync::Arc;

use coffer_core::Sensitive;
use coffer_core::store::Store;
use rustic_core::{ConfigOptions, Credentials, KeyOptions};
use tokio::runtime::Handle;

use crate::backend::StoreBackend;
use crate::error::{Error, Result};
use crate::location::RepoLocation;
use crate::open::{OpenOptions, Repo, blocking, unopened};
use crate::progress::Bars;
use crate::target::{self, TargetState};

/// The size data packs start at: 8 MiB, half restic's default. rustic holds several
/// packs in memory on their way out (filling, hashing, uploading), so this halves
/// what a backup holds (a 1 GiB backup: 163 → 131 MiB peak RSS) for twice the PUTs;
/// and a pack still filling when a backup is killed is less work lost. restic reads
/// packs of any size. Packs grow with the repository, up to the limit below.
pub const DATAPACK_SIZE: u64 = 8 * 1024 * 1024;
/// The largest data pack Coffer writes (packs grow with the repository; rustic holds
/// a pack in memory while it fills, so this bounds memory).
pub const DATAPACK_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Makes a new restic repository (format version 2, zstd compression) at `location`,
/// creating the bucket when it does not exist. Refused, before anything is written,
/// when the target holds anything.
pub async fn init(
    store: Arc<dyn Store>,
    location: RepoLocation,
    password: &Sensitive<String>,
    options: OpenOptions,
) -> Result<Repo> {
    if password.expose().is_empty() {
        return Err(Error::invalid("password", "the password is empty"));
    }
    if target::check_for_init(store.as_ref(), &location).await? == TargetState::NoBucket {
        store.create_bucket(&location.bucket).await?;
    }
    let backend = StoreBackend::new(store, location, Handle::current());
    let password = password.expose().clone();
    blocking(move || {
        let bars = Bars::default();
        let repo = unopened(&backend, &options, &bars)?;
        let mut config = ConfigOptions::default();
        config.set_version = Some(2);
        config.set_datapack_size = Some(bytesize::ByteSize::b(DATAPACK_SIZE));
        config.set_datapack_size_limit = Some(bytesize::ByteSize::b(DATAPACK_SIZE_LIMIT));
        let inner = repo
            .init(
                &Credentials::password(&password),
                &KeyOptions::default(),
                &config,
            )
            .map_err(Error::from_rustic)?;
        Ok(Repo {
            key: inner.key(),
            inner: std::sync::Arc::new(inner),
            backend,
            bars,
            options,
        })
    })
    .await
}

//! Opening a repository: the dedicated-target check, then rustic's key search.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::Sensitive;
use coffer_core::store::Store;
use rustic_core::repofile::MasterKey;
use rustic_core::{
    Credentials, IndexedFullStatus, IndexedIdsStatus, OpenStatus, Repository, RepositoryBackends,
    RepositoryOptions,
};
use tokio::runtime::Handle;

use crate::backend::StoreBackend;
use crate::error::{Error, Result};
use crate::location::RepoLocation;
use crate::progress::Bars;
use crate::target;

/// How to open a repository.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// rustic's local cache of index and snapshot files (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// This host never deletes or rewrites an object of the repository: no forget,
    /// prune, key removal or removal of another process's lock.
    pub append_only: bool,
    /// Where this host keeps what an interrupted restore needs to resume
    /// (`DATA_DIR/backup/restores`); `None`: a temp dir.
    pub state_dir: Option<PathBuf>,
}

/// An open repository. Cheap to clone; clones share the open repository.
#[derive(Clone)]
pub struct Repo {
    pub(crate) inner: Arc<Repository<OpenStatus>>,
    /// The master key, to open the repository again without the password (rustic's
    /// indexed states consume the open repository).
    pub(crate) key: MasterKey,
    pub(crate) backend: StoreBackend,
    pub(crate) bars: Bars,
    pub(crate) options: OpenOptions,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("location", &self.backend.location_ref().to_string())
            .field("append_only", &self.options.append_only)
            .finish_non_exhaustive()
    }
}

/// rustic's repository over `backend`, not opened yet.
pub(crate) fn unopened(
    backend: &StoreBackend,
    options: &OpenOptions,
    bars: &Bars,
) -> Result<Repository<()>> {
    let mut repo_opts = RepositoryOptions::default();
    match &options.cache_dir {
        Some(dir) => repo_opts.cache_dir = Some(dir.clone()),
        None => repo_opts.no_cache = true,
    }
    let backends = RepositoryBackends::new(Arc::new(backend.clone()), None);
    Repository::new_with_progress(&repo_opts, &backends, bars.clone()).map_err(Error::from_rustic)
}

/// Runs blocking rustic work on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Engine {
            code: "backup_engine",
            message: format!("the backup engine stopped: {e}"),
        })?
}

impl Repo {
    /// Opens the repository at `location` with `password`, after checking that the
    /// target holds a restic `config` (and nothing is written before that).
    pub async fn open(
        store: Arc<dyn Store>,
        location: RepoLocation,
        password: &Sensitive<String>,
        options: OpenOptions,
    ) -> Result<Repo> {
        let credentials = Credentials::password(password.expose());
        Self::open_with(store, location, credentials, options).await
    }

    /// Opens the repository at `location` with its master key (no key derivation),
    /// after the same check as [`Repo::open`].
    pub(crate) async fn open_with_key(
        store: Arc<dyn Store>,
        location: RepoLocation,
        key: MasterKey,
        options: OpenOptions,
    ) -> Result<Repo> {
        Self::open_with(store, location, Credentials::Masterkey(key), options).await
    }

    async fn open_with(
        store: Arc<dyn Store>,
        location: RepoLocation,
        credentials: Credentials,
        options: OpenOptions,
    ) -> Result<Repo> {
        target::check_for_open(store.as_ref(), &location).await?;
        let backend = StoreBackend::new(store, location, Handle::current());
        blocking(move || {
            let bars = Bars::default();
            let repo = unopened(&backend, &options, &bars)?;
            let inner = repo
                .open(&credentials)
                .map_err(|e| open_error(e, backend.location_ref()))?;
            Ok(Repo {
                key: inner.key(),
                inner: Arc::new(inner),
                backend,
                bars,
                options,
            })
        })
        .await
    }

    /// Where the repository is.
    pub fn location(&self) -> &RepoLocation {
        self.backend.location_ref()
    }

    /// The repository id (restic's `config` id).
    pub fn id(&self) -> String {
        self.inner.config().id.to_hex().to_string()
    }

    /// The options it was opened with.
    pub fn options(&self) -> &OpenOptions {
        &self.options
    }

    /// The repository opened again with its master key (no key derivation: reads the
    /// config), for rustic's operations that consume it.
    pub(crate) fn reopened(&self) -> Result<Repository<OpenStatus>> {
        unopened(&self.backend, &self.options, &self.bars)?
            .open(&Credentials::Masterkey(self.key.clone()))
            .map_err(Error::from_rustic)
    }

    /// With the ids of every blob in the index (for backups and tree walks).
    pub(crate) fn indexed_ids(&self) -> Result<Repository<IndexedIdsStatus>> {
        self.reopened()?
            .to_indexed_ids()
            .map_err(Error::from_rustic)
    }

    /// With the full index (for restores and data reads).
    pub(crate) fn indexed_full(&self) -> Result<Repository<IndexedFullStatus>> {
        self.reopened()?.to_indexed().map_err(Error::from_rustic)
    }

    /// Refuses `what` on an append-only host.
    pub(crate) fn deny_if_append_only(&self, what: &str) -> Result<()> {
        if self.options.append_only {
            return Err(Error::AppendOnly {
                location: self.location().to_string(),
                what: what.to_string(),
            });
        }
        Ok(())
    }
}

/// A wrong password in words; other errors as they are.
pub(crate) fn open_error(err: Box<rustic_core::RusticError>, location: &RepoLocation) -> Error {
    if err.is_incorrect_password() {
        Error::WrongPassword {
            location: location.to_string(),
        }
    } else {
        Error::from_rustic(err)
    }
}

//! [`ApiState`]: what every handler shares — the session, one store per profile (one
//! connection pool each), the transfer settings and the job engine (whose bus carries
//! every event, one-off transfers' included).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use coffer_core::Sensitive;
use coffer_core::profile::Profile;
use coffer_core::session::Session;
use coffer_core::store::Store;
use coffer_core::transfer::{TransferConfig, Transfers};
use coffer_jobs::{Engine, EngineBuilder, SessionStores, Stores};
use tokio_util::sync::CancellationToken;

use crate::error::{ApiError, ApiResult};
use crate::host::ApiHost;

/// Who sent a request. The desktop shell inserts [`Caller::Desktop`] into the
/// extensions of the requests it makes in-process; nothing arriving over HTTP can
/// carry it, so HTTP clients are always [`Caller::Remote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Caller {
    /// The desktop app's own window, through IPC.
    Desktop,
    /// Anything else (an HTTP client of the listener).
    #[default]
    Remote,
}

impl Caller {
    /// The caller of a request, from its extensions.
    pub fn of(extensions: &axum::http::Extensions) -> Caller {
        extensions.get::<Caller>().copied().unwrap_or_default()
    }
}

/// Shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<Inner>,
}

struct Inner {
    token: Mutex<Sensitive<String>>,
    allowed_dirs: Vec<PathBuf>,
    stores: SessionStores,
    engine: Engine,
    /// Cancelled at shutdown: uploads stop at a part boundary, keeping their state.
    cancel: CancellationToken,
    /// Whether this process shows its jobs' desktop notifications itself.
    notifies: std::sync::atomic::AtomicBool,
    /// The host whose switches the settings routes turn.
    host: OnceLock<Weak<ApiHost>>,
    /// Backup repositories opened by earlier requests.
    backups: coffer_backup::RepoCache,
    /// The local index of buckets (`DATA_DIR/index`).
    index: coffer_index::Index,
    /// The replication kind registered with the engine (set by `new`).
    replicate: OnceLock<coffer_replicate::kind::ReplicateKind>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("data_dir", &self.inner.stores.session().data_dir())
            .field("allowed_dirs", &self.inner.allowed_dirs)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// State over `session`, accepting `token`, with the job engine over the
    /// session's database (the built-in kinds). `allowed_dirs` are the only local
    /// folders the API may read or write (none by default). Fails when the saved jobs
    /// cannot be read (a database written by a newer Coffer).
    pub fn new(
        session: Session,
        token: Sensitive<String>,
        transfer: TransferConfig,
        allowed_dirs: Vec<PathBuf>,
    ) -> ApiResult<Self> {
        let index = coffer_index::Index::open(&session.data_dir().index())?;
        let wrap_index = index.clone();
        let stores = SessionStores::new(session, transfer).with_wrapper(Arc::new(
            move |profile: &str, store: Arc<dyn coffer_core::store::Store>| {
                Arc::new(coffer_index::IndexingStore::new(
                    store,
                    Arc::new(wrap_index.clone()),
                    profile,
                )) as Arc<dyn coffer_core::store::Store>
            },
        ));
        let replicate = coffer_replicate::kind::ReplicateKind::new(
            stores.session().data_dir().root().to_path_buf(),
        );
        let engine = EngineBuilder::new(Arc::new(stores.clone()))
            .builtin_kinds()
            .kind(Arc::new(coffer_backup::kind::BackupKind::new(
                stores.session().clone(),
            )))
            .kind(Arc::new(replicate.clone()))
            .kind(Arc::new(coffer_replicate::mirror::kind::MirrorKind::new(
                stores.session().db().clone(),
            )))
            .open(stores.session().db().clone())
            .map_err(crate::jobs::api_error)?;
        let state = Self::with_engine(stores, engine, index, token, allowed_dirs);
        // The kind the engine runs is the one whose live states the routes show.
        let _ = state.inner.replicate.set(replicate);
        Ok(state)
    }

    /// The replication kind (live states, drills), when the engine runs it.
    pub fn replicate(&self) -> Option<&coffer_replicate::kind::ReplicateKind> {
        self.inner.replicate.get()
    }

    /// The local index of buckets.
    pub fn index(&self) -> &coffer_index::Index {
        &self.inner.index
    }

    /// State over a job engine and a bucket index built by the caller (with its own
    /// kinds or clock).
    pub fn with_engine(
        stores: SessionStores,
        engine: Engine,
        index: coffer_index::Index,
        token: Sensitive<String>,
        allowed_dirs: Vec<PathBuf>,
    ) -> Self {
        ApiState {
            inner: Arc::new(Inner {
                token: Mutex::new(token),
                allowed_dirs,
                stores,
                engine,
                cancel: CancellationToken::new(),
                notifies: std::sync::atomic::AtomicBool::new(false),
                host: OnceLock::new(),
                backups: coffer_backup::RepoCache::default(),
                index,
                replicate: OnceLock::new(),
            }),
        }
    }

    /// Backup repositories kept open between requests.
    pub fn backups(&self) -> &coffer_backup::RepoCache {
        &self.inner.backups
    }

    /// The session.
    pub fn session(&self) -> &Session {
        self.inner.stores.session()
    }

    /// The job engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The token requests must carry.
    pub(crate) fn token(&self) -> Sensitive<String> {
        let token = self.inner.token.lock().unwrap_or_else(|e| e.into_inner());
        Sensitive::new(token.expose().clone())
    }

    /// Makes `token` the one requests must carry, from the next request on.
    pub(crate) fn set_token(&self, token: Sensitive<String>) {
        *self.inner.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// A profile and its store, opened once and reused while the profile is unchanged.
    pub fn store(&self, name: &str) -> ApiResult<(Profile, Arc<dyn Store>)> {
        Ok(self.inner.stores.store(name)?)
    }

    /// A transfer engine for a profile, sharing its store; stopped at shutdown.
    pub fn transfers(&self, name: &str) -> ApiResult<Transfers> {
        Ok(self
            .inner
            .stores
            .transfers(name)?
            .with_cancel(self.inner.cancel.child_token()))
    }

    /// The part size and concurrency new transfers use.
    pub fn transfer_config(&self) -> TransferConfig {
        self.inner.stores.transfer_config()
    }

    /// Changes the part size and concurrency of transfers started from now on.
    pub fn set_transfer_config(&self, config: TransferConfig) {
        self.inner.stores.set_transfer_config(config);
    }

    /// Lets the settings routes reach the host's switches.
    pub(crate) fn attach_host(&self, host: &Arc<ApiHost>) {
        let _ = self.inner.host.set(Arc::downgrade(host));
    }

    /// The host, when the state runs under one.
    pub(crate) fn host(&self) -> Option<Arc<ApiHost>> {
        self.inner.host.get().and_then(Weak::upgrade)
    }

    /// The profiles' stores as jobs see them.
    pub fn stores(&self) -> SessionStores {
        self.inner.stores.clone()
    }

    /// Cancelled when one-off work must stop ([`stop_transfers`](Self::stop_transfers)).
    pub fn cancel_token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// Stops every one-off transfer at its next part boundary (their resume state is
    /// kept); jobs stop with [`Engine::shutdown`].
    pub fn stop_transfers(&self) {
        self.inner.cancel.cancel();
    }

    /// Says whether this process shows its jobs' desktop notifications itself (the
    /// agent's hello tells an attached window, which then does not show them again).
    pub fn set_notifies(&self, on: bool) {
        self.inner
            .notifies
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether this process shows its jobs' desktop notifications itself.
    pub fn notifies(&self) -> bool {
        self.inner
            .notifies
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Fires when one-off transfers must stop ([`ApiState::stop_transfers`]).
    pub(crate) fn stopping(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// `path` for `caller`: the desktop's own window ([`Caller::Desktop`]) may use any
    /// absolute path (its user picked it in a dialog or dropped it); an HTTP client
    /// only paths inside the allowed folders.
    pub fn path_for(&self, path: &Path, caller: Caller) -> ApiResult<PathBuf> {
        match caller {
            Caller::Desktop if path.is_absolute() => Ok(path.to_path_buf()),
            Caller::Desktop => Err(ApiError::bad_request(format!(
                "`{}` is not an absolute path",
                path.display()
            ))),
            Caller::Remote => self.allowed_path(path),
        }
    }

    /// `path`, if it lies inside one of the allowed folders; else a 403 that says how
    /// to allow it.
    pub fn allowed_path(&self, path: &Path) -> ApiResult<PathBuf> {
        let refuse = || {
            ApiError::Forbidden(format!(
                "`{}` is outside the folders this API may use; add its folder to \
                 api.allowed_dirs in coffer.toml",
                path.display()
            ))
        };
        if !path.is_absolute()
            || path
                .components()
                .any(|c| c == std::path::Component::ParentDir)
        {
            return Err(refuse());
        }
        // The deepest existing ancestor, resolved, decides (the file may not exist yet).
        let mut existing = path;
        let resolved = loop {
            match existing.canonicalize() {
                Ok(p) => match path.strip_prefix(existing) {
                    // `join("")` would add a trailing `/`, which a file path must not have.
                    Ok(rest) if !rest.as_os_str().is_empty() => break p.join(rest),
                    _ => break p,
                },
                Err(_) => match existing.parent() {
                    Some(parent) => existing = parent,
                    None => return Err(refuse()),
                },
            }
        };
        let inside = self.inner.allowed_dirs.iter().any(|dir| {
            dir.canonicalize()
                .map(|d| resolved.starts_with(d))
                .unwrap_or(false)
        });
        if inside { Ok(resolved) } else { Err(refuse()) }
    }
}

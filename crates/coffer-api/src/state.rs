//! [`ApiState`]: what every handler shares — the session, one store per profile (one
//! connection pool each), the transfer settings and the event channel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use coffer_core::Sensitive;
use coffer_core::profile::Profile;
use coffer_core::session::Session;
use coffer_core::store::Store;
use coffer_core::transfer::{TransferConfig, Transfers};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::host::ApiHost;

/// How many events a slow client may fall behind before it misses some.
const EVENT_BACKLOG: usize = 1024;

/// The open store of each profile, with the profile it was opened for.
type Stores = HashMap<String, (Profile, Arc<dyn Store>)>;

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
    session: Session,
    token: Mutex<Sensitive<String>>,
    transfer: Mutex<TransferConfig>,
    allowed_dirs: Vec<PathBuf>,
    jobs: crate::jobs::Table,
    stores: Mutex<Stores>,
    events: broadcast::Sender<Event>,
    /// Cancelled at shutdown: uploads stop at a part boundary, keeping their state.
    cancel: CancellationToken,
    /// The host whose switches the settings routes turn.
    host: OnceLock<Weak<ApiHost>>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("data_dir", &self.inner.session.data_dir())
            .field("allowed_dirs", &self.inner.allowed_dirs)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// State over `session`, accepting `token`. `allowed_dirs` are the only local
    /// folders the API may read or write (none by default).
    pub fn new(
        session: Session,
        token: Sensitive<String>,
        transfer: TransferConfig,
        allowed_dirs: Vec<PathBuf>,
    ) -> Self {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        ApiState {
            inner: Arc::new(Inner {
                session,
                token: Mutex::new(token),
                transfer: Mutex::new(transfer),
                allowed_dirs,
                jobs: crate::jobs::Table::default(),
                stores: Mutex::default(),
                events,
                cancel: CancellationToken::new(),
                host: OnceLock::new(),
            }),
        }
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.inner.session
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
        let profile = self.inner.session.profiles().get(name)?;
        let mut stores = self.inner.stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached, store)) = stores.get(name)
            && *cached == profile
        {
            return Ok((profile, store.clone()));
        }
        let store = self.inner.session.store(&profile)?;
        stores.insert(name.to_string(), (profile.clone(), store.clone()));
        Ok((profile, store))
    }

    /// A transfer engine for a profile, sharing its store.
    pub fn transfers(&self, name: &str) -> ApiResult<Transfers> {
        let (profile, store) = self.store(name)?;
        Ok(Transfers::new(
            store,
            self.inner.session.db().clone(),
            profile.name,
            self.transfer_config(),
        )?
        .with_cancel(self.inner.cancel.child_token()))
    }

    /// The part size and concurrency new transfers use.
    pub fn transfer_config(&self) -> TransferConfig {
        *self
            .inner
            .transfer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the part size and concurrency of transfers started from now on.
    pub fn set_transfer_config(&self, config: TransferConfig) {
        *self
            .inner
            .transfer
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// The transfer jobs (the queue behind the transfers panel).
    pub(crate) fn jobs(&self) -> &crate::jobs::Table {
        &self.inner.jobs
    }

    /// A token cancelled at shutdown (and by `cancel` of its own).
    pub(crate) fn shutdown_child(&self) -> CancellationToken {
        self.inner.cancel.child_token()
    }

    /// Whether shutdown has begun.
    pub(crate) fn shutting_down(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Lets the settings routes reach the host's switches.
    pub(crate) fn attach_host(&self, host: &Arc<ApiHost>) {
        let _ = self.inner.host.set(Arc::downgrade(host));
    }

    /// The host, when the state runs under one.
    pub(crate) fn host(&self) -> Option<Arc<ApiHost>> {
        self.inner.host.get().and_then(Weak::upgrade)
    }

    /// Stops every transfer at its next part boundary (their resume state is kept).
    pub fn stop_transfers(&self) {
        self.inner.cancel.cancel();
    }

    /// Sends an event to every connected client (none listening is fine).
    pub fn publish(&self, event: Event) {
        let _ = self.inner.events.send(event);
    }

    /// A receiver of the events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
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

//! [`Stores`]: how a running job reaches a profile's store and transfer engine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use coffer_core::agent::remotes;
use coffer_core::profile::Profile;
use coffer_core::session::Session;
use coffer_core::store::Store;
use coffer_core::transfer::{TransferConfig, Transfers};

/// Gives jobs the stores of the profiles.
///
/// Contract: `store` returns the store of the profile as saved now (a profile edited
/// since the last call gets a new store), or of a remote agent's profile for a name
/// `remote/AGENT/PROFILE`; `transfers` shares that store and uses the
/// transfer settings in force now. Both fail with the core's error for a profile that
/// does not exist or cannot open (no secret in the keychain...).
// The core's own error type, as the core returns it: large, but boxing it here would
// only make every caller unbox it again.
#[allow(clippy::result_large_err)]
pub trait Stores: Send + Sync + std::fmt::Debug {
    /// The profile and its store.
    fn store(&self, profile: &str) -> coffer_core::Result<(Profile, Arc<dyn Store>)>;
    /// A transfer engine over the profile's store.
    fn transfers(&self, profile: &str) -> coffer_core::Result<Transfers>;
}

/// The open store of each profile, with the profile it was opened for.
type Cache = HashMap<String, (Profile, Arc<dyn Store>)>;

/// Wraps each profile's store as it is opened (the API adds the bucket index's
/// `IndexingStore` this way): `(profile name, store) → store`.
pub type StoreWrapper = Arc<dyn Fn(&str, Arc<dyn Store>) -> Arc<dyn Store> + Send + Sync>;

/// [`Stores`] over a session: one store per profile (one connection pool each),
/// reopened when the profile changes, and transfer settings changeable at run time.
#[derive(Clone)]
pub struct SessionStores {
    session: Session,
    cache: Arc<Mutex<Cache>>,
    config: Arc<Mutex<TransferConfig>>,
    wrapper: Option<StoreWrapper>,
}

impl std::fmt::Debug for SessionStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStores")
            .field("session", &self.session)
            .field("wrapped", &self.wrapper.is_some())
            .finish_non_exhaustive()
    }
}

impl SessionStores {
    /// Stores of `session`'s profiles, transferring with `config`.
    pub fn new(session: Session, config: TransferConfig) -> Self {
        SessionStores {
            session,
            cache: Arc::default(),
            config: Arc::new(Mutex::new(config)),
            wrapper: None,
        }
    }

    /// The same stores, each wrapped by `wrapper` when it is opened.
    pub fn with_wrapper(mut self, wrapper: StoreWrapper) -> Self {
        self.wrapper = Some(wrapper);
        self
    }

    /// The transfer settings new transfers use.
    pub fn transfer_config(&self) -> TransferConfig {
        *self.config.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Changes the transfer settings of transfers started from now on.
    pub fn set_transfer_config(&self, config: TransferConfig) {
        *self.config.lock().unwrap_or_else(|e| e.into_inner()) = config;
    }
}

impl Stores for SessionStores {
    fn store(&self, name: &str) -> coffer_core::Result<(Profile, Arc<dyn Store>)> {
        // A remote agent's profile (`remote/AGENT/PROFILE`): a job here that reads or
        // writes local files, with the bytes going through that agent.
        if let Some((agent, profile)) = remotes::split_profile_ref(name) {
            return remotes::remote_profile(&self.session, agent, profile);
        }
        let profile = self.session.profiles().get(name)?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached, store)) = cache.get(name)
            && *cached == profile
        {
            return Ok((profile, store.clone()));
        }
        let mut store = self.session.store(&profile)?;
        if let Some(wrap) = &self.wrapper {
            store = wrap(name, store);
        }
        cache.insert(name.to_string(), (profile.clone(), store.clone()));
        Ok((profile, store))
    }

    fn transfers(&self, name: &str) -> coffer_core::Result<Transfers> {
        let (profile, store) = self.store(name)?;
        Transfers::new(
            store,
            self.session.db().clone(),
            profile.name,
            self.transfer_config(),
        )
    }
}

//! [`Session`]: the data dir, the local database, the profiles and their secrets, put
//! together; it opens a profile's [`Store`] and [`Transfers`] ready to use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::agent::{AgentDb, Hello};
use crate::error::Result;
use crate::meta::{MetaDb, SledDb};
use crate::paths::DataDir;
use crate::profile::{Profile, Profiles};
use crate::region::RegionCache;
use crate::secret::{KeychainStore, SecretStore};
use crate::store::s3::S3Settings;
use crate::store::{LocalStore, RetryPolicy, RetryStore, S3Store, Store};
use crate::transfer::{TransferConfig, Transfers};

/// Everything a front end needs to work with profiles and stores.
#[derive(Debug, Clone)]
pub struct Session {
    data: DataDir,
    db: Arc<dyn MetaDb>,
    secrets: Arc<dyn SecretStore>,
    profiles: Profiles,
    /// The owner this session is attached to, if another process owns the data dir.
    owner: Option<Hello>,
}

/// How long [`Session::connect`] waits for a data dir held by a process that does not
/// answer on the agent socket (a CLI command running on its own) to be free.
const OWNER_WAIT: Duration = Duration::from_secs(10);

impl Session {
    /// Opens the data dir (`COFFER_HOME` or XDG) with the OS keychain.
    pub fn open_default() -> Result<Self> {
        Self::open(DataDir::discover()?, Arc::new(KeychainStore::default()))
    }

    /// Opens a data dir with a given secret store, as its owner (the local database
    /// itself). The keychain is only touched when a profile's secret is needed, so the
    /// `local` profile works without one.
    pub fn open(data: DataDir, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        data.ensure()?;
        if let Some(agent) = AgentDb::connect(&data.agent_socket())? {
            let owner = agent.owner();
            return Err(crate::Error::MetaDb {
                path: data.root().to_path_buf(),
                cause: format!(
                    "this data dir is owned by Coffer's {} (pid {}); stop it first, or use \
                     `coffer` commands, which attach to it",
                    owner.role, owner.pid
                ),
            });
        }
        let db: Arc<dyn MetaDb> = Arc::new(SledDb::open(&data.meta_db())?);
        Ok(Self::with_db(data, db, secrets, None))
    }

    /// The data dir (`COFFER_HOME` or XDG) for a command: attached to its owner when
    /// one answers on the agent socket, else opened by this process (as its owner for
    /// the time being). See [`Session::connect`].
    pub fn connect_default() -> Result<Self> {
        Self::connect(DataDir::discover()?, Arc::new(KeychainStore::default()))
    }

    /// Opens `data` for a short-lived command. When the desktop app, `coffer serve` or
    /// `coffer agent` owns it, the session goes through that owner's socket for the
    /// local database ([`AgentDb`]) and does everything else itself. When nobody owns
    /// it, the session opens the database itself. A data dir held by a process that
    /// does not answer (another command) is waited for, up to 10 s.
    pub fn connect(data: DataDir, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        data.ensure()?;
        let started = Instant::now();
        loop {
            if let Some(agent) = AgentDb::connect(&data.agent_socket())? {
                let owner = agent.owner().clone();
                tracing::info!(
                    socket = %data.agent_socket().display(),
                    owner = %owner.role,
                    pid = owner.pid,
                    "attached to the Coffer agent that owns the data dir"
                );
                let db: Arc<dyn MetaDb> = Arc::new(agent);
                return Ok(Self::with_db(data, db, secrets, Some(owner)));
            }
            if let Some(db) = SledDb::try_open(&data.meta_db())? {
                tracing::info!(data_dir = %data.root().display(), "no agent owns the data dir; opened it here");
                return Ok(Self::with_db(data, Arc::new(db), secrets, None));
            }
            if started.elapsed() > OWNER_WAIT {
                return Err(SledDb::locked(&data.meta_db()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn with_db(
        data: DataDir,
        db: Arc<dyn MetaDb>,
        secrets: Arc<dyn SecretStore>,
        owner: Option<Hello>,
    ) -> Self {
        Session {
            profiles: Profiles::new(db.clone(), secrets.clone()),
            secrets,
            data,
            db,
            owner,
        }
    }

    /// The agent this session is attached to, or `None` when it opened the data dir
    /// itself.
    pub fn owner(&self) -> Option<&Hello> {
        self.owner.as_ref()
    }

    /// The data dir.
    pub fn data_dir(&self) -> &DataDir {
        &self.data
    }

    /// The local database.
    pub fn db(&self) -> &Arc<dyn MetaDb> {
        &self.db
    }

    /// The secret store (the OS keychain), for secrets other than profiles' (the API
    /// token).
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// The saved profiles.
    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    /// The store of a profile, with retries on transient failures.
    pub fn store(&self, profile: &Profile) -> Result<Arc<dyn Store>> {
        let inner: Arc<dyn Store> = if profile.is_local() {
            Arc::new(LocalStore::open(self.data.local_store())?)
        } else {
            let credentials = self.profiles.resolve_credentials(profile)?;
            Arc::new(S3Store::new(S3Settings {
                profile: profile.name.clone(),
                endpoint: profile.endpoint.clone(),
                region: profile.region.clone(),
                path_style: profile.addressing == crate::profile::Addressing::Path,
                credentials,
                regions: RegionCache::new(profile.name.clone(), Some(self.db.clone())),
            }))
        };
        Ok(Arc::new(RetryStore::new(inner, RetryPolicy::default())))
    }

    /// The transfer engine of a profile.
    pub fn transfers(&self, profile: &Profile, config: TransferConfig) -> Result<Transfers> {
        Transfers::new(
            self.store(profile)?,
            self.db.clone(),
            profile.name.clone(),
            config,
        )
    }
}

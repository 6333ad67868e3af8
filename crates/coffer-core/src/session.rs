//! [`Session`]: the data dir, the local database, the profiles and their secrets, put
//! together; it opens a profile's [`Store`] and [`Transfers`] ready to use.

use std::sync::Arc;

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
}

impl Session {
    /// Opens the data dir (`COFFER_HOME` or XDG) with the OS keychain.
    pub fn open_default() -> Result<Self> {
        Self::open(DataDir::discover()?, Arc::new(KeychainStore::default()))
    }

    /// Opens a data dir with a given secret store. The keychain is only touched when
    /// a profile's secret is needed, so the `local` profile works without one.
    pub fn open(data: DataDir, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        data.ensure()?;
        let db: Arc<dyn MetaDb> = Arc::new(SledDb::open(&data.meta_db())?);
        Ok(Session {
            profiles: Profiles::new(db.clone(), secrets.clone()),
            secrets,
            data,
            db,
        })
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

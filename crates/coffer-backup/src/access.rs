//! How an adapter (CLI, API, job kind) reaches a repository: a profile's store, the
//! keychain for the password, the local database for what this host knows of the
//! repository (append-only mode), and the data dir for caches and resume state.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::Sensitive;
use coffer_core::meta::{MetaDb, MetaDbExt};
use coffer_core::secret::SecretStore;
use coffer_core::store::Store;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::location::RepoLocation;
use crate::open::{OpenOptions, Repo};
use crate::password;

/// The local database tree of known repositories.
pub const TREE: &str = "backup_repos";

/// What this host knows of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoRecord {
    /// The profile its store belongs to.
    pub profile: String,
    /// `s3://bucket/prefix/`.
    pub url: String,
    /// This host never deletes or rewrites its objects.
    #[serde(default)]
    pub append_only: bool,
    /// restic's repository id.
    #[serde(default)]
    pub repo_id: Option<String>,
    /// When this host first used it.
    #[serde(with = "time::serde::rfc3339")]
    pub added: OffsetDateTime,
}

/// Everything needed to reach repositories of one profile.
#[derive(Clone)]
pub struct Access {
    /// The profile's store.
    pub store: Arc<dyn Store>,
    /// The profile's name (for keychain entries and records).
    pub profile: String,
    /// The keychain.
    pub secrets: Arc<dyn SecretStore>,
    /// The local database.
    pub db: Arc<dyn MetaDb>,
    /// The data dir (caches under `cache/backup`, resume state under `backup`).
    pub data_dir: PathBuf,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl Access {
    fn record_key(&self, location: &RepoLocation) -> String {
        location.id(&self.profile)
    }

    /// What this host knows of the repository at `location`.
    pub fn record(&self, location: &RepoLocation) -> Result<Option<RepoRecord>> {
        Ok(self.db.get_json(TREE, &self.record_key(location))?)
    }

    /// Every repository this host knows, of every profile.
    pub fn records(db: &dyn MetaDb) -> Result<Vec<RepoRecord>> {
        Ok(db
            .scan_json::<RepoRecord>(TREE, "")?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    fn options(&self, append_only: bool) -> OpenOptions {
        OpenOptions {
            cache_dir: Some(self.data_dir.join("cache").join("backup")),
            append_only,
            state_dir: Some(self.data_dir.join("backup")),
        }
    }

    /// Creates a repository; the password goes to the keychain.
    pub async fn init(
        &self,
        location: RepoLocation,
        password: &Sensitive<String>,
        append_only: bool,
    ) -> Result<Repo> {
        let repo = crate::init::init(
            Arc::clone(&self.store),
            location.clone(),
            password,
            self.options(append_only),
        )
        .await?;
        password::store(&self.secrets, &self.profile, &location, password).await?;
        password::cache_master_key(&self.secrets, &self.profile, &location, &repo.key).await;
        self.remember(&location, append_only, &repo)?;
        Ok(repo)
    }

    /// Opens a repository with the given password, or the keychain's (its master key
    /// when the keychain keeps one: see [`password`]). A repository opened with a given
    /// password that the keychain does not have yet is remembered (the password is not
    /// stored: `--password-stdin` stays the caller's choice).
    pub async fn open(
        &self,
        location: RepoLocation,
        given: Option<Sensitive<String>>,
    ) -> Result<Repo> {
        let record = self.record(&location)?;
        let append_only = record.as_ref().is_some_and(|r| r.append_only);
        let from_keychain = given.is_none();
        if from_keychain
            && let Some(key) =
                password::cached_master_key(&self.secrets, &self.profile, &location).await
        {
            match Repo::open_with_key(
                Arc::clone(&self.store),
                location.clone(),
                key,
                self.options(append_only),
            )
            .await
            {
                Ok(repo) => {
                    if record.is_none() {
                        self.remember(&location, append_only, &repo)?;
                    }
                    return Ok(repo);
                }
                Err(e) => tracing::info!(
                    code = e.code(),
                    "the kept master key did not open the repository; trying the password"
                ),
            }
        }
        let password = password::resolve(&self.secrets, &self.profile, &location, given).await?;
        let repo = Repo::open(
            Arc::clone(&self.store),
            location.clone(),
            &password,
            self.options(append_only),
        )
        .await?;
        if from_keychain {
            password::cache_master_key(&self.secrets, &self.profile, &location, &repo.key).await;
        }
        if record.is_none() {
            self.remember(&location, append_only, &repo)?;
        }
        Ok(repo)
    }

    /// Sets this host's append-only mode for a repository.
    pub fn set_append_only(&self, location: &RepoLocation, append_only: bool) -> Result<()> {
        let mut record = self.record(location)?.ok_or_else(|| {
            Error::NotFound(format!("this host has not used a repository at {location}"))
        })?;
        record.append_only = append_only;
        self.db
            .put_json(TREE, &self.record_key(location), &record)?;
        Ok(())
    }

    fn remember(&self, location: &RepoLocation, append_only: bool, repo: &Repo) -> Result<()> {
        let record = RepoRecord {
            profile: self.profile.clone(),
            url: location.to_string(),
            append_only,
            repo_id: Some(repo.id()),
            added: OffsetDateTime::now_utc(),
        };
        self.db
            .put_json(TREE, &self.record_key(location), &record)?;
        Ok(())
    }
}

/// Open repositories, kept for the next request (opening derives the key from the
/// password, which takes a moment on purpose).
#[derive(Debug, Clone, Default)]
pub struct RepoCache {
    repos: Arc<std::sync::Mutex<std::collections::HashMap<String, Repo>>>,
}

impl RepoCache {
    /// The repository at `location`, opened with the keychain's password (or
    /// `given`) the first time.
    pub async fn open(
        &self,
        access: &Access,
        location: RepoLocation,
        given: Option<Sensitive<String>>,
    ) -> Result<Repo> {
        let key = location.id(&access.profile);
        if given.is_none()
            && let Some(repo) = self.repos.lock().ok().and_then(|r| r.get(&key).cloned())
        {
            return Ok(repo);
        }
        let repo = access.open(location, given).await?;
        if let Ok(mut repos) = self.repos.lock() {
            repos.insert(key, repo.clone());
        }
        Ok(repo)
    }

    /// Forgets the open repository at `location` (after a password change).
    pub fn forget(&self, access: &Access, location: &RepoLocation) {
        if let Ok(mut repos) = self.repos.lock() {
            repos.remove(&location.id(&access.profile));
        }
    }
}

//! The repository's keys: each key is the master key encrypted with one password, so
//! a repository can have several passwords, and changing one is adding a key and
//! removing the old one.

use rustic_core::FileType;
use rustic_core::repofile::{KeyFile, KeyId};
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};
use crate::snapshots::to_offset;

/// A key as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key's id.
    pub id: String,
    /// Whether it is the key this session opened the repository with.
    pub current: bool,
    /// The host that made it.
    pub hostname: Option<String>,
    /// The user that made it.
    pub username: Option<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
}

impl Repo {
    /// Every key of the repository.
    pub async fn keys(&self) -> Result<Vec<KeyInfo>> {
        let repo = self.clone();
        blocking(move || {
            let current = *repo.inner.key_id();
            let ids: Vec<KeyId> = repo
                .inner
                .list::<KeyId>()
                .map_err(Error::from_rustic)?
                .collect();
            let mut out = Vec::new();
            for id in ids {
                let hex = id.to_hex().to_string();
                // Key files are plain JSON (the master key inside is encrypted).
                let raw = rustic_core::ReadBackend::read_full(
                    &repo.backend,
                    FileType::Key,
                    &id.into_inner(),
                )
                .map_err(Error::from_rustic)?;
                let file: Option<KeyFile> = serde_json::from_slice(&raw).ok();
                out.push(KeyInfo {
                    current: current == Some(id),
                    hostname: file.as_ref().and_then(|f| f.hostname.clone()),
                    username: file.as_ref().and_then(|f| f.username.clone()),
                    created: file
                        .as_ref()
                        .and_then(|f| f.created.as_ref())
                        .map(to_offset),
                    id: hex,
                });
            }
            out.sort_by_key(|k| k.created);
            Ok(out)
        })
        .await
    }

    /// Adds a key for `password`; returns its id.
    pub async fn add_key(&self, password: &coffer_core::Sensitive<String>) -> Result<String> {
        if password.expose().is_empty() {
            return Err(Error::invalid("password", "the new password is empty"));
        }
        let repo = self.clone();
        let password = password.expose().clone();
        blocking(move || {
            let mut opts = rustic_core::KeyOptions::default();
            opts.hostname = Some(gethostname::gethostname().to_string_lossy().into_owned());
            opts.username = std::env::var("USER").ok();
            opts.with_created = true;
            let id = repo
                .inner
                .add_key(&password, &opts)
                .map_err(Error::from_rustic)?;
            Ok(id.to_hex().to_string())
        })
        .await
    }

    /// Removes the key whose id starts with `id_prefix`. The key in use cannot be
    /// removed, nor the last one; refused on an append-only host.
    pub async fn remove_key(&self, id_prefix: &str) -> Result<String> {
        self.deny_if_append_only("removing a key")?;
        let keys = self.keys().await?;
        let matching: Vec<_> = keys
            .iter()
            .filter(|k| k.id.starts_with(id_prefix))
            .collect();
        let key = match matching.as_slice() {
            [] => {
                return Err(Error::NotFound(format!(
                    "no key `{id_prefix}` in {}",
                    self.location()
                )));
            }
            [one] => *one,
            _ => {
                return Err(Error::invalid(
                    "key",
                    format!(
                        "`{id_prefix}` matches {} keys: give more of the id",
                        matching.len()
                    ),
                ));
            }
        };
        if key.current {
            return Err(Error::invalid(
                "key",
                format!(
                    "key {} is the one this password opened; open the repository with another \
                     password to remove it, or use `key passwd` to replace it",
                    &key.id[..8]
                ),
            ));
        }
        let id: KeyId = key
            .id
            .parse::<rustic_core::Id>()
            .map_err(|e| Error::invalid("key", e.display_log()))?
            .into();
        let repo = self.clone();
        let hex = key.id.clone();
        blocking(move || {
            let lock = repo.lock_blocking(true)?;
            repo.inner.delete_key(&id).map_err(Error::from_rustic)?;
            lock.release();
            Ok(hex)
        })
        .await
    }

    /// Replaces the current key's password: adds a key for `new`, then removes the
    /// key in use. Returns the new key's id; the repository must be opened again with
    /// the new password. Refused on an append-only host (it removes a key).
    pub async fn change_password(&self, new: &coffer_core::Sensitive<String>) -> Result<String> {
        self.deny_if_append_only("changing the password")?;
        let added = self.add_key(new).await?;
        let old = *self.inner.key_id();
        if let Some(old) = old {
            let repo = self.clone();
            blocking(move || {
                let lock = repo.lock_blocking(true)?;
                // The key in use cannot be removed by rustic's own check; remove the
                // object directly, now that another key opens the repository.
                repo.backend
                    .delete_keys(&[repo.backend.key(FileType::Key, &old.into_inner())])
                    .map_err(Error::from_rustic)?;
                lock.release();
                Ok(())
            })
            .await?;
        }
        Ok(added)
    }
}

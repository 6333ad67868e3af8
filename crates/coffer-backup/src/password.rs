//! Repository passwords in the OS keychain.
//!
//! One entry per repository, named after the profile, bucket and prefix
//! (`backup/PROFILE/BUCKET/PREFIX/password`). `init` stores it; every other verb reads it
//! unless the caller gives one (`--password-stdin`). A password never goes to a file or
//! a log.
//!
//! Beside it, `backup/PROFILE/BUCKET/PREFIX/master-key` keeps the master key the
//! password unlocks. Unlocking runs scrypt, slow and memory-hard on purpose (128 MiB
//! and most of a second for keys rustic makes); with the master key at hand, opening
//! a repository from the keychain costs neither. The entry gives the same access as
//! the password (restic's master key never changes, so anyone who had the password
//! could have kept it), and lives and goes with it. A key that no longer opens the
//! repository (another repository made at the same place) is passed over, and the
//! password's replaces it.

use std::sync::Arc;

use coffer_core::Sensitive;
use coffer_core::secret::SecretStore;
use rustic_core::repofile::MasterKey;

use crate::error::{Error, Result};
use crate::location::RepoLocation;

/// The keychain entry name of a repository's password.
pub fn entry_name(profile: &str, location: &RepoLocation) -> String {
    format!("backup/{}/password", location.id(profile))
}

/// The keychain entry name of a repository's master key.
pub fn master_key_entry_name(profile: &str, location: &RepoLocation) -> String {
    format!("backup/{}/master-key", location.id(profile))
}

/// The master key the keychain keeps for a repository, if any (a keychain error or an
/// entry that does not parse counts as none: the password is the way in).
pub(crate) async fn cached_master_key(
    secrets: &Arc<dyn SecretStore>,
    profile: &str,
    location: &RepoLocation,
) -> Option<MasterKey> {
    let name = master_key_entry_name(profile, location);
    let secrets = Arc::clone(secrets);
    let found = tokio::task::spawn_blocking(move || secrets.get(&name).ok().flatten())
        .await
        .ok()??;
    serde_json::from_str(found.expose()).ok()
}

/// Keeps a repository's master key in the keychain. A failure is logged, not
/// returned: the next open derives the key from the password again.
pub(crate) async fn cache_master_key(
    secrets: &Arc<dyn SecretStore>,
    profile: &str,
    location: &RepoLocation,
    key: &MasterKey,
) {
    let Ok(json) = serde_json::to_string(key) else {
        return;
    };
    let name = master_key_entry_name(profile, location);
    let secrets = Arc::clone(secrets);
    let stored =
        tokio::task::spawn_blocking(move || secrets.set(&name, &Sensitive::new(json)).is_ok())
            .await;
    if !matches!(stored, Ok(true)) {
        tracing::warn!(repository = %location, "the master key could not be kept in the keychain");
    }
}

/// The password of a repository: the one given, or the keychain's.
pub async fn resolve(
    secrets: &Arc<dyn SecretStore>,
    profile: &str,
    location: &RepoLocation,
    given: Option<Sensitive<String>>,
) -> Result<Sensitive<String>> {
    if let Some(given) = given {
        return Ok(given);
    }
    let name = entry_name(profile, location);
    let secrets = Arc::clone(secrets);
    let found = tokio::task::spawn_blocking(move || secrets.get(&name).map_err(Box::new))
        .await
        .map_err(|e| Error::invalid("keychain", e.to_string()))??;
    found.ok_or_else(|| Error::NoPassword {
        location: location.to_string(),
    })
}

/// Stores (or replaces) a repository's password in the keychain.
pub async fn store(
    secrets: &Arc<dyn SecretStore>,
    profile: &str,
    location: &RepoLocation,
    password: &Sensitive<String>,
) -> Result<()> {
    let name = entry_name(profile, location);
    let secrets = Arc::clone(secrets);
    let password = password.clone();
    tokio::task::spawn_blocking(move || secrets.set(&name, &password).map_err(Box::new))
        .await
        .map_err(|e| Error::invalid("keychain", e.to_string()))??;
    Ok(())
}

/// Removes a repository's password, and the master key kept with it, from the
/// keychain.
pub async fn forget(
    secrets: &Arc<dyn SecretStore>,
    profile: &str,
    location: &RepoLocation,
) -> Result<()> {
    let names = [
        entry_name(profile, location),
        master_key_entry_name(profile, location),
    ];
    let secrets = Arc::clone(secrets);
    tokio::task::spawn_blocking(move || {
        names
            .iter()
            .try_for_each(|name| secrets.delete(name).map_err(Box::new))
    })
    .await
    .map_err(|e| Error::invalid("keychain", e.to_string()))??;
    Ok(())
}

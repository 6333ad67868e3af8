//! Repository passwords in the OS keychain.
//!
//! One entry per repository, named after the profile, bucket and prefix
//! (`backup/PROFILE/BUCKET/PREFIX/password`). `init` stores it; every other verb reads it
//! unless the caller gives one (`--password-stdin`). A password never goes to a file or
//! a log.

use std::sync::Arc;

use coffer_core::Sensitive;
use coffer_core::secret::SecretStore;

use crate::error::{Error, Result};
use crate::location::RepoLocation;

/// The keychain entry name of a repository's password.
pub fn entry_name(profile: &str, location: &RepoLocation) -> String {
    format!("backup/{}/password", location.id(profile))
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

/// Removes a repository's password from the keychain.
pub async fn forget(
    secrets: &Arc<dyn SecretStore>,
    profile: &str,
    location: &RepoLocation,
) -> Result<()> {
    let name = entry_name(profile, location);
    let secrets = Arc::clone(secrets);
    tokio::task::spawn_blocking(move || secrets.delete(&name).map_err(Box::new))
        .await
        .map_err(|e| Error::invalid("keychain", e.to_string()))??;
    Ok(())
}

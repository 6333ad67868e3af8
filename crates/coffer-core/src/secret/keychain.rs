//! The OS keychain, through the `keyring` crate.

use super::SecretStore;
use crate::error::{Error, Result};
use crate::sensitive::Sensitive;

/// The service name under which every Coffer secret is filed in the keychain.
pub const SERVICE: &str = "coffer";

const HINT: &str = "On Linux, Coffer needs a Secret Service such as gnome-keyring on the \
                    D-Bus session bus, unlocked: log in to a desktop session, or run \
                    `dbus-run-session -- sh -c 'printf %s PASSWORD | \
                    gnome-keyring-daemon --unlock --components=secrets; coffer ...'`.";

/// Secrets in the OS keychain. Every entry is filed under the service `coffer`, with
/// the entry name as the account.
#[derive(Debug, Clone)]
pub struct KeychainStore {
    service: String,
}

impl Default for KeychainStore {
    fn default() -> Self {
        KeychainStore {
            service: SERVICE.to_string(),
        }
    }
}

impl KeychainStore {
    /// A store under another service name (tests use their own).
    pub fn with_service(service: impl Into<String>) -> Self {
        KeychainStore {
            service: service.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, name).map_err(map_err)
    }
}

fn map_err(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoDefaultStore => Error::KeychainUnavailable {
            reason: match keyring::Entry::store_status() {
                Err(init) => format!("no keychain service could be opened: {init}"),
                Ok(()) => "no keychain service was found".into(),
            },
            hint: HINT,
        },
        keyring::Error::NoStorageAccess(inner) => Error::KeychainUnavailable {
            reason: format!("the keychain is locked or refused access: {inner}"),
            hint: HINT,
        },
        keyring::Error::PlatformFailure(inner) => Error::KeychainUnavailable {
            reason: format!("the keychain service failed: {inner}"),
            hint: HINT,
        },
        other => Error::Keychain(other.to_string()),
    }
}

impl SecretStore for KeychainStore {
    fn set(&self, name: &str, secret: &Sensitive<String>) -> Result<()> {
        self.entry(name)?
            .set_password(secret.expose())
            .map_err(map_err)?;
        tracing::debug!(name, "secret stored in the keychain");
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Sensitive<String>>> {
        match self.entry(name)?.get_password() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }

    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}

//! The `SecretStore` seam: the only place secrets are kept.
//!
//! The real implementation is the OS keychain through the `keyring` crate
//! ([`KeychainStore`]: Secret Service on Linux, Keychain on macOS, Credential Manager
//! on Windows). [`MemorySecretStore`] exists for unit tests only.

mod keychain;
mod memory;

pub use keychain::KeychainStore;
pub use memory::MemorySecretStore;

use crate::error::Result;
use crate::sensitive::Sensitive;

/// Where secrets live.
///
/// Contract:
/// - `set` stores the secret under `name`, replacing any earlier one; after it returns,
///   `get(name)` gives it back, in this process and in the next.
/// - `get` of an unknown name is `Ok(None)`, not an error.
/// - `delete` of an unknown name is not an error.
/// - When the backing keychain is missing or locked, every call fails with
///   `Error::KeychainUnavailable`; an implementation never falls back to a file.
/// - Implementations never log the secret (it arrives as [`Sensitive`]).
///
/// Calls may block (D-Bus); call them from `spawn_blocking` in async code.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// Stores a secret.
    fn set(&self, name: &str, secret: &Sensitive<String>) -> Result<()>;
    /// Reads a secret.
    fn get(&self, name: &str) -> Result<Option<Sensitive<String>>>;
    /// Removes a secret.
    fn delete(&self, name: &str) -> Result<()>;
}

/// The keychain entry name of a profile's secret access key.
pub fn secret_key_name(profile: &str) -> String {
    format!("profile/{profile}/secret-access-key")
}

/// The keychain entry name of a profile's session token.
pub fn session_token_name(profile: &str) -> String {
    format!("profile/{profile}/session-token")
}

/// The behaviour every `SecretStore` must show, as a check that panics on the first
/// difference. Public so that integration tests run it on the real keychain.
#[doc(hidden)]
pub mod conformance {
    use super::*;

    /// Runs every check on `store`, with names under `ns` so that runs stay apart.
    pub fn run(store: &dyn SecretStore, ns: &str) {
        let name = format!("{ns}/conformance");
        store.delete(&name).expect("delete before");
        assert!(store.get(&name).expect("get missing").is_none());
        store
            .set(&name, &Sensitive::new("first".to_string()))
            .expect("set");
        assert_eq!(
            store.get(&name).expect("get").map(|s| s.expose().clone()),
            Some("first".to_string())
        );
        store
            .set(&name, &Sensitive::new("second ü".to_string()))
            .expect("replace");
        assert_eq!(
            store.get(&name).expect("get").map(|s| s.expose().clone()),
            Some("second ü".to_string())
        );
        store.delete(&name).expect("delete");
        store.delete(&name).expect("delete again");
        assert!(store.get(&name).expect("get deleted").is_none());
    }

    #[cfg(test)]
    #[test]
    fn memory_store() {
        run(&MemorySecretStore::default(), "mem");
    }
}

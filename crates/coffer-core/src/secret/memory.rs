//! An in-memory [`SecretStore`], for unit tests only.

use std::collections::HashMap;
use std::sync::Mutex;

use super::SecretStore;
use crate::error::Result;
use crate::sensitive::Sensitive;

/// Secrets held in memory. Never used by the shipped binaries.
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    entries: Mutex<HashMap<String, Sensitive<String>>>,
}

impl MemorySecretStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sensitive<String>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecretStore for MemorySecretStore {
    fn set(&self, name: &str, secret: &Sensitive<String>) -> Result<()> {
        self.lock().insert(name.to_string(), secret.clone());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Sensitive<String>>> {
        Ok(self.lock().get(name).cloned())
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.lock().remove(name);
        Ok(())
    }
}

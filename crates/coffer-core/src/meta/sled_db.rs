//! The sled-backed [`MetaDb`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::MetaDb;
use crate::error::{Error, Result};

/// How long to wait for another Coffer process to release the database.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// The real local database: a sled directory inside the data dir.
#[derive(Debug, Clone)]
pub struct SledDb {
    db: sled::Db,
    path: PathBuf,
}

impl SledDb {
    /// Opens (or creates) the database at `path`. sled allows one process at a time;
    /// if another Coffer process holds it, this waits up to 10 s, then says so.
    pub fn open(path: &Path) -> Result<Self> {
        let started = Instant::now();
        loop {
            if let Some(db) = Self::try_open(path)? {
                return Ok(db);
            }
            if started.elapsed() > LOCK_WAIT {
                return Err(Self::locked(path));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Opens (or creates) the database at `path` unless another process holds it
    /// (`Ok(None)` then), without waiting.
    pub fn try_open(path: &Path) -> Result<Option<Self>> {
        match sled::Config::new()
            .path(path)
            .mode(sled::Mode::LowSpace)
            .open()
        {
            Ok(db) => Ok(Some(SledDb {
                db,
                path: path.to_path_buf(),
            })),
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("lock") =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::MetaDb {
                path: path.to_path_buf(),
                cause: format!(
                    "{e}; if it is damaged, move the folder aside and add the profiles \
                     again (secrets stay in the keychain)"
                ),
            }),
        }
    }

    /// The error for a database another process holds.
    pub fn locked(path: &Path) -> Error {
        Error::MetaDb {
            path: path.to_path_buf(),
            cause: "another Coffer process is using it; wait for it to finish, or give \
                    this one its own COFFER_HOME"
                .into(),
        }
    }

    fn tree(&self, name: &str) -> Result<sled::Tree> {
        self.db.open_tree(name).map_err(|e| self.err(e))
    }

    fn err(&self, e: sled::Error) -> Error {
        Error::MetaDb {
            path: self.path.clone(),
            cause: e.to_string(),
        }
    }
}

impl MetaDb for SledDb {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree(tree)?
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|v| v.to_vec()))
    }

    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.tree(tree)?
            .insert(key, value)
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn delete(&self, tree: &str, key: &[u8]) -> Result<()> {
        self.tree(tree)?.remove(key).map_err(|e| self.err(e))?;
        Ok(())
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.tree(tree)?
            .scan_prefix(prefix)
            .map(|r| {
                r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.err(e))
            })
            .collect()
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map_err(|e| self.err(e))?;
        Ok(())
    }
}

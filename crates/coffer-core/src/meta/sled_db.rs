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
        match open_waiting(&Self::config(path)) {
            Ok(Some(db)) => Ok(SledDb {
                db,
                path: path.to_path_buf(),
            }),
            Ok(None) => Err(Self::locked(path)),
            Err(e) => Err(Self::damaged(path, e)),
        }
    }

    fn config(path: &Path) -> sled::Config {
        sled::Config::new().path(path).mode(sled::Mode::LowSpace)
    }

    fn damaged(path: &Path, e: sled::Error) -> Error {
        Error::MetaDb {
            path: path.to_path_buf(),
            cause: format!(
                "{e}; if it is damaged, move the folder aside and add the profiles \
                 again (secrets stay in the keychain)"
            ),
        }
    }

    /// Opens (or creates) the database at `path` unless another process holds it
    /// (`Ok(None)` then), without waiting.
    pub fn try_open(path: &Path) -> Result<Option<Self>> {
        match Self::config(path).open() {
            Ok(db) => Ok(Some(SledDb {
                db,
                path: path.to_path_buf(),
            })),
            Err(e) if is_locked(&e) => Ok(None),
            Err(e) => Err(Self::damaged(path, e)),
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

/// Opens the sled database `config` describes, waiting up to 10 s while its lock is
/// held: by another process, or by the background flush of a handle this process has
/// just dropped (sled lets go of the lock only when its last IO thread ends).
/// `Ok(None)` when the lock is still held after the wait; any other failure is returned
/// as it is.
pub fn open_waiting(config: &sled::Config) -> std::result::Result<Option<sled::Db>, sled::Error> {
    let started = Instant::now();
    loop {
        match config.open() {
            Ok(db) => return Ok(Some(db)),
            Err(e) if is_locked(&e) => {
                if started.elapsed() > LOCK_WAIT {
                    return Ok(None);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether opening failed only because another handle holds the database's lock.
fn is_locked(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io)
        if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock"))
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

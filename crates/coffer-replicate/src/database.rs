//! [`Database`]: the replicated SQLite database and the three connections the
//! replicator holds on it.
//!
//! - `pin` holds a read transaction at all times but during a checkpoint. While it is
//!   held, no other process can reset (restart) the WAL past frames it has not seen:
//!   a checkpoint never copies frames past the pin's read mark, and a restart needs
//!   every frame copied.
//! - `lock` takes the write lock (`BEGIN IMMEDIATE`) around the last copy of the log
//!   before a checkpoint, and around re-pinning, so that the pin starts exactly where
//!   the shipped log ends.
//! - `checkpointer` runs `PRAGMA wal_checkpoint(PASSIVE)`: SQLite refuses to
//!   checkpoint from a connection with an open transaction.
//!
//! None of them ever writes to the database.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{ReplicateError, Result};

/// How long the replicator waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database being replicated.
pub struct Database {
    path: PathBuf,
    wal: PathBuf,
    pin: Connection,
    lock: Arc<Mutex<Connection>>,
    checkpointer: Connection,
    /// The database file, opened once and kept open: closing any descriptor of the
    /// file would drop every POSIX lock this process holds on it, SQLite's included.
    file: File,
    pinned: std::cell::Cell<bool>,
    page_size: u32,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .field("pinned", &self.pinned.get())
            .finish_non_exhaustive()
    }
}

/// How a checkpoint went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointResult {
    /// Frames in the log.
    pub log: i64,
    /// Frames copied into the database.
    pub copied: i64,
}

impl CheckpointResult {
    /// Whether every frame was copied (the next write restarts the log).
    pub fn complete(&self) -> bool {
        self.log >= 0 && self.log == self.copied
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| ReplicateError::sqlite(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| ReplicateError::sqlite(path, e))?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| ReplicateError::sqlite(path, e))?;
    // When the replicator is the last to close the database, SQLite would copy the
    // log into it and delete it, and the next start could not prove that the log
    // goes on from the replica's position (it would upload a snapshot).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .map_err(|e| ReplicateError::sqlite(path, e))?;
    Ok(conn)
}

impl Database {
    /// Opens the database at `path` for replication: it must exist; it is put in WAL
    /// mode if it is not, and the connections' autocheckpoint is off.
    pub fn open(path: &Path) -> Result<Database> {
        let meta = std::fs::metadata(path).map_err(|e| ReplicateError::io(path, e))?;
        if !meta.is_file() {
            return Err(ReplicateError::Database(format!(
                "{} is not a file",
                path.display()
            )));
        }
        let pin = open(path)?;
        let sql = |e| ReplicateError::sqlite(path, e);
        let mode: String = pin
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(ReplicateError::Database(format!(
                "{} cannot be put in WAL mode (it is in {mode} mode); SQLite replication needs WAL",
                path.display()
            )));
        }
        let page_size: u32 = pin
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(sql)?;
        let lock = Arc::new(Mutex::new(open(path)?));
        let file = File::open(path).map_err(|e| ReplicateError::io(path, e))?;
        let checkpointer = open(path)?;
        let mut wal = path.as_os_str().to_os_string();
        wal.push("-wal");
        Ok(Database {
            path: path.to_path_buf(),
            wal: PathBuf::from(wal),
            pin,
            lock,
            checkpointer,
            file,
            pinned: std::cell::Cell::new(false),
            page_size,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its write-ahead log.
    pub fn wal_path(&self) -> &Path {
        &self.wal
    }

    /// The page size when it was opened.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    fn sql(&self, e: rusqlite::Error) -> ReplicateError {
        ReplicateError::sqlite(&self.path, e)
    }

    /// Starts the pin's read transaction (if not held).
    pub fn pin(&self) -> Result<()> {
        if self.pinned.get() {
            return Ok(());
        }
        self.pin.execute_batch("BEGIN").map_err(|e| self.sql(e))?;
        let read: rusqlite::Result<i64> =
            self.pin
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0));
        if let Err(e) = read {
            let _ = self.pin.execute_batch("ROLLBACK");
            return Err(self.sql(e));
        }
        self.pinned.set(true);
        Ok(())
    }

    /// Ends the pin's read transaction.
    pub fn unpin(&self) -> Result<()> {
        if self.pinned.get() {
            self.pinned.set(false);
            self.pin.execute_batch("COMMIT").map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    /// Whether the pin is held.
    pub fn pinned(&self) -> bool {
        self.pinned.get()
    }

    /// The database's size in pages as the pin sees it.
    pub fn pinned_page_count(&self) -> Result<u32> {
        self.pin
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    /// Takes the write lock (waiting up to 10 s for another writer); it is released
    /// when the guard drops.
    pub fn write_lock(&self) -> Result<WriteLock> {
        let conn = self
            .lock
            .lock()
            .map_err(|_| ReplicateError::Database("the lock connection was poisoned".into()))?;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.sql(e))?;
        drop(conn);
        Ok(WriteLock {
            conn: self.lock.clone(),
            path: self.path.clone(),
        })
    }

    /// A PASSIVE checkpoint (the pin must not be held, or nothing is copied).
    pub fn checkpoint(&self) -> Result<CheckpointResult> {
        let (_busy, log, copied): (i64, i64, i64) = self
            .checkpointer
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| self.sql(e))?;
        Ok(CheckpointResult { log, copied })
    }

    /// The database file, for reading pages. Never close a descriptor of it while
    /// the connections are open (see the field).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Opens the log for reading frames.
    pub fn open_wal(&self) -> Result<File> {
        File::open(&self.wal).map_err(|e| ReplicateError::io(&self.wal, e))
    }
}

/// The write lock; released (rolled back: nothing was written) on drop.
pub struct WriteLock {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let released = match self.conn.lock() {
            Ok(conn) => conn.execute_batch("ROLLBACK").map_err(|e| e.to_string()),
            Err(_) => Err("the lock connection was poisoned".into()),
        };
        if let Err(e) = released {
            tracing::warn!(db = %self.path.display(), error = %e, "could not release the write lock");
        }
    }
}

//! The restore drill: the replica restored to a temporary file, checked, timed,
//! and deleted. A replica nobody ever restored from is a hope, not a backup.

use std::path::Path;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::plan::Target;
use crate::replica::Replica;
use crate::restore::{RestoreOptions, restore, temp_path};

/// How a drill went.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct DrillReport {
    /// The replica drilled.
    pub replica: String,
    /// When it ran (ms since the epoch).
    pub at_ms: u64,
    /// Whether the restore passed every check.
    pub ok: bool,
    /// The TXID restored.
    pub txid: Option<u64>,
    /// How old that state was when the drill ran, in ms.
    pub age_ms: Option<u64>,
    /// Objects and bytes fetched.
    pub objects: usize,
    /// Bytes fetched.
    pub bytes: u64,
    /// The database's size.
    pub db_bytes: u64,
    /// How long the restore took, in ms.
    pub took_ms: u64,
    /// Whether the database checksum was checked too.
    pub checksum_verified: bool,
    /// What failed.
    pub error: Option<String>,
}

/// Restores `replica`'s newest state into `dir` (a temporary file), checks it
/// (checksum, page count, `integrity_check`), and deletes it.
pub async fn drill(replica: &Replica, dir: &Path, cancel: &CancellationToken) -> DrillReport {
    let started = Instant::now();
    let at_ms = now_ms();
    let _ = std::fs::create_dir_all(dir);
    let to = temp_path(&dir.join("drill.db"), "drill");
    let options = RestoreOptions {
        target: Target::Latest,
        to: to.clone(),
        force: false,
        concurrency: 8,
    };
    let result = restore(replica, &options, cancel).await;
    let _ = std::fs::remove_file(&to);
    let took_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(r) => DrillReport {
            replica: replica.name.clone(),
            at_ms,
            ok: true,
            txid: Some(r.txid),
            age_ms: Some(at_ms.saturating_sub(r.ts_ms)),
            objects: r.objects,
            bytes: r.bytes,
            db_bytes: u64::from(r.pages) * u64::from(r.page_size),
            took_ms,
            checksum_verified: r.checksum_verified,
            error: None,
        },
        Err(e) => DrillReport {
            replica: replica.name.clone(),
            at_ms,
            ok: false,
            txid: None,
            age_ms: None,
            objects: 0,
            bytes: 0,
            db_bytes: 0,
            took_ms,
            checksum_verified: false,
            error: Some(e.to_string()),
        },
    }
}

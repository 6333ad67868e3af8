//! Mirrors: one-way copies of a folder to a bucket, a bucket to a folder, or a bucket
//! to a bucket (across profiles and providers).
//!
//! - `scan.rs` lists a side (a folder walk, or a LIST of the prefix: never a HEAD per
//!   object) into entries: relative key, size, time, ETag.
//! - `pass.rs` runs one pass: what changed (by size and time against what the last
//!   pass recorded, or by checksum) is copied and verified; with `delete`, extras at
//!   the destination are moved to a trash prefix (`.coffer-trash/<time>/`) first.
//! - `copy.rs` copies one entry with its Content-Type, Cache-Control and user
//!   metadata, each verified by checksum.
//! - `watch.rs` follows a local source with `notify` and mirrors each change.
//! - `kind.rs`: the `mirror` job kind.
//!
//! What a pass copied is recorded in the meta database (tree `mirror_state`), so that
//! an interrupted pass goes on where it stopped and the next one copies only changes.

mod copy;
pub mod kind;
mod pass;
mod scan;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::meta::MetaDb;
use coffer_core::transfer::Transfers;
use serde::{Deserialize, Serialize};

pub use pass::{PassReport, run_pass};
pub use watch::watch;

/// The folder, under a mirror's destination, where extras go before deletion.
pub const TRASH: &str = ".coffer-trash";

/// One side of a mirror.
#[derive(Debug, Clone)]
pub enum Side {
    /// A folder on this machine.
    Local(PathBuf),
    /// A prefix of a bucket, through a profile's transfer engine.
    Bucket {
        /// The profile (stores of one profile can copy on the server).
        profile: String,
        /// Its transfer engine (and store).
        transfers: Transfers,
        /// The bucket.
        bucket: String,
        /// The prefix: empty or ending with `/`.
        prefix: String,
    },
}

impl Side {
    /// A bucket side; `prefix` is made a folder.
    pub fn bucket(
        profile: impl Into<String>,
        transfers: Transfers,
        bucket: impl Into<String>,
        prefix: &str,
    ) -> Side {
        Side::Bucket {
            profile: profile.into(),
            transfers,
            bucket: bucket.into(),
            prefix: coffer_core::transfer::as_folder(prefix.trim_start_matches('/')),
        }
    }

    /// For people and logs.
    pub fn describe(&self) -> String {
        match self {
            Side::Local(p) => p.display().to_string(),
            Side::Bucket {
                profile,
                bucket,
                prefix,
                ..
            } => format!("{profile}:s3://{bucket}/{prefix}"),
        }
    }
}

/// A mirror: what goes where, and how.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// Its name (the key of its recorded state).
    pub name: String,
    /// Where from.
    pub src: Side,
    /// Where to.
    pub dst: Side,
    /// Move extras at the destination to the trash, then delete them.
    pub delete: bool,
    /// Detect changes by checksum (MD5 of local files against ETags) instead of
    /// size and time.
    pub checksum: bool,
    /// Where the state of past passes is kept.
    pub db: Arc<dyn MetaDb>,
}

/// What the last pass recorded of an entry it copied (or found the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Recorded {
    pub(crate) src_size: u64,
    pub(crate) src_mtime_ms: u64,
    pub(crate) src_etag: Option<String>,
    pub(crate) dst_size: u64,
    pub(crate) dst_etag: Option<String>,
    pub(crate) dst_mtime_ms: u64,
}

pub(crate) const STATE_TREE: &str = "mirror_state";

/// Whether an ETag is a plain MD5 (a single-part upload's), not a multipart one.
pub(crate) fn is_md5(etag: &Option<String>) -> bool {
    etag.as_ref()
        .is_some_and(|e| e.len() == 32 && !e.contains('-'))
}

pub(crate) fn state_key(mirror: &str, rel: &str) -> String {
    format!("{mirror}\u{0}{rel}")
}

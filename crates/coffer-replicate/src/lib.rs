//! SQLite replication to any Coffer store, with point-in-time restore.
//!
//! The replicator runs beside the application that writes the database (in the
//! agent, or in the foreground with `coffer replicate run`). It takes over
//! checkpointing: it holds a read transaction so that no other process can restart
//! the write-ahead log past frames it has not shipped, and it checkpoints (PASSIVE
//! only) itself, under the write lock, right after its last copy.
//!
//! - [`wal`]: SQLite's log format; only committed frames whose salts and checksums
//!   check are shipped.
//! - [`segment`]: Coffer's object format (header, zstd pages sorted by page number,
//!   page index, CRC trailer), documented there; [`key`]: the keys,
//!   `<db-id>/<lineage>/<level>/<minTXID>-<maxTXID>-<ts_ms>.seg`.
//! - [`Shipper`] (`shipper.rs`) and its verbs `sync.rs`, `checkpoint.rs`,
//!   `snapshot.rs`: the local, blocking half.
//! - [`Replicator`] (`replicator.rs`): the loop, the uploads to one or more
//!   [`Replica`]s, compaction (`compact.rs`) and retention (`retain.rs`).
//! - [`mirror`]: one-way mirrors between folders and buckets, and their job kind.
//! - [`kind`]: the `replicate` job kind the agent runs; [`drill`]: the restore
//!   drill; [`measure`] and [`cost`]: the write rate and the cost preview.
//! - [`restore`] (`restore.rs`, planned by `plan.rs` from one LIST per level): a
//!   database rebuilt page by page, checked, then renamed into place.

mod checkpoint;
pub mod clock;
pub mod compact;
pub mod config;
pub mod cost;
pub mod database;
pub mod drill;
mod error;
pub mod key;
pub mod kind;
pub mod measure;
pub mod mirror;
pub mod plan;
pub mod replica;
pub mod replicator;
pub mod restore;
pub mod retain;
pub mod segment;
mod shipper;
mod snapshot;
mod sync;
pub mod wal;

pub use error::{ReplicateError, Result};
pub use plan::Target;
pub use replica::Replica;
pub use replicator::{Replicator, ReplicatorConfig, Status};
pub use restore::{RestoreOptions, RestoreReport, restore};
pub use retain::Retention;
pub use shipper::{Made, Resume, Shipper};

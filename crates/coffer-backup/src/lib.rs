//! Coffer's backups: restic-format repositories (v2, compressed) on any Coffer store.
//!
//! The repository engine is rustic_core; this crate gives it Coffer's `Store` seam as
//! its backend ([`backend::StoreBackend`]), so backups get the same region detection,
//! retries, fault injection and `local` profile as every other transfer, and the stock
//! `restic` binary can read what Coffer writes.
//!
//! One verb per file: [`init`], [`open`], [`backup`], [`snapshots`], [`ls`],
//! [`restore`], [`timeline`], [`forget`], [`prune`], [`check`], [`keys`]. A target must
//! be dedicated to backups ([`target`]): `init` takes only an empty bucket or prefix,
//! `open` only one that holds a restic `config`, and anything else is refused before a
//! byte is written. Passwords live in the OS keychain ([`password`]).
//!
//! rustic_core is synchronous: every verb here is `async` and runs it on a blocking
//! thread, where the backend drives the async `Store` with the runtime's handle.

pub mod access;
mod alloc;
pub mod backend;
pub mod backup;
pub mod check;
mod crypto;
mod error;
pub mod forget;
pub mod init;
pub mod keys;
pub mod kind;
pub mod location;
pub mod lock;
pub mod ls;
pub mod open;
pub mod password;
pub mod progress;
pub mod prune;
pub mod restore;
pub mod snapshots;
pub mod target;
pub mod timeline;

pub use access::{Access, RepoCache, RepoRecord};
pub use alloc::limit_malloc_arenas;
pub use error::{Error, Result};
pub use location::RepoLocation;
pub use open::{OpenOptions, Repo};

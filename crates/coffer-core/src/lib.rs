//! Coffer's core: everything the CLI, the API and the desktop app share.
//!
//! - [`profile`]: connection profiles, with secrets only in the [`secret`] store;
//! - [`meta`]: the local database (sled);
//! - [`store`]: the `Store` seam over S3-compatible servers and local folders;
//! - [`transfer`]: uploads, downloads, copies, moves and deletes, with progress and
//!   resumable multipart uploads;
//! - [`share`]: share links (presigned URLs), recorded so they can be found again;
//! - [`rules`]: upload header rules (a glob on the key → headers), per bucket;
//! - [`session`]: opens a profile's store, ready to use; attaches to the data dir's
//!   owner ([`agent`]) when another Coffer process holds it.

pub mod agent;
pub mod checksum;
pub mod error;
pub mod meta;
pub mod paths;
pub mod profile;
pub mod region;
pub mod rules;
pub mod samples;
pub mod secret;
pub mod sensitive;
pub mod session;
pub mod share;
pub mod store;
pub mod transfer;
pub mod uri;

pub use error::{Error, Result};
pub use sensitive::Sensitive;

//! The client side of the agent: a data dir has one owner (the desktop app, `coffer
//! serve` or `coffer agent`), which answers on a Unix socket in the data dir (the
//! server is in the API crate). Any other `coffer` process of the same user attaches
//! to it: [`Client`] sends it HTTP requests, and [`AgentDb`] is the local database
//! reached through it. A remote agent (another machine) is reached over TCP with TLS
//! pinned to its certificate's fingerprint ([`pin`]) and its API token; its profiles are
//! [`AgentStore`]s.

mod client;
mod db;
pub mod pin;
pub mod remotes;
mod store;

pub use client::{Client, Hello};
pub use db::AgentDb;
pub use store::{AgentStore, CHECKSUM_HEADER, CRC_HEADER, OPTIONS_HEADER};

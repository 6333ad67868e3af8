//! Every setting of the API and the desktop, in one place:
//!
//! - [`file`]: the `[api]` table of `coffer.toml` in the data dir (embedded API,
//!   listener, its address, remote access, TLS, allowed folders), with `COFFER_API_*`
//!   environment overrides;
//! - [`stored`]: what the user changes in the app, kept in the local database
//!   (transfer part size and concurrency, notifications, theme);
//! - [`token`]: the API token, kept in the keychain.
//!
//! The routes (`routes/preferences.rs`, `routes/settings.rs`), the host and the
//! desktop call these; the routes keep only HTTP.

pub mod file;
pub mod stored;
pub mod token;

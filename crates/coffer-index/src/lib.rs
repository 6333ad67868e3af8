//! The local index of buckets: a copy of each indexed bucket's listing (key, size,
//! last modified, ETag, storage class) in its own sled database
//! (`DATA_DIR/index`), so that a folder already seen opens at once, the whole
//! bucket can be searched, and folder sizes are known, without asking the server.
//!
//! - [`Index`] (`index.rs`) owns the database: which buckets are indexed, their state,
//!   and the settings. It lives in the process that owns the data dir (the agent).
//! - One verb per file: [`build`](Index::build) lists a bucket again (in parallel over
//!   its first level of prefixes) into a new generation and swaps it in;
//!   [`refresh_folder`](Index::refresh_folder) applies one folder's difference;
//!   [`list_folder`](Index::list_folder) answers a folder from the index;
//!   [`search`](Index::search) scans it; [`folder_size`](Index::folder_size) sums a
//!   prefix; [`forget`](Index::forget) drops it.
//! - [`IndexingStore`] (`store.rs`) wraps a profile's `Store` so that Coffer's own
//!   writes (puts, completed uploads, copies, deletes) update the index at once.
//!
//! Nothing sends a HEAD per object: every entry comes from a listing or from the
//! write Coffer itself made. The index lives on disk; memory stays at sled's cache
//! plus the pages in flight, whatever the bucket's size.

// The core's own error type, as the core returns it (the API maps its codes): large,
// but boxing it here would only make every caller unbox it again.
#![allow(clippy::result_large_err)]

mod blocks;
mod build;
mod entry;
mod folder;
mod index;
mod search;
mod settings;
mod size;
mod store;

pub use entry::Entry;
pub use folder::{FolderChange, FolderPage};
pub use index::{Change, Index, IndexInfo, IndexState};
pub use search::{Matcher, Query, SearchSummary};
pub use settings::IndexSettings;
pub use size::FolderSize;
pub use store::{ChangeSink, IndexingStore};

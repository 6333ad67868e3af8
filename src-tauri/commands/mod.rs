//! The commands the window may call, one file per area. Each needs its `allow-…`
//! permission in `src-tauri/capabilities/main.json`; nothing else is reachable.

pub mod agents;
pub mod api;
pub mod dialog;
pub mod events;

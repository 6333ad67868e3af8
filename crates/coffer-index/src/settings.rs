//! The index settings: whether buckets are indexed on their own when opened, up to
//! how many objects, and how often every index is refreshed.

use coffer_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::index::Index;

/// The key of the settings in the `settings` tree.
const KEY: &str = "settings";

/// How indexing behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexSettings {
    /// Index a bucket when it is opened in the app.
    pub auto: bool,
    /// ...when it holds at most this many objects; above it the user is asked.
    pub auto_limit: u64,
    /// Refresh every index this often, in minutes (0: never).
    pub refresh_minutes: u64,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings {
            auto: true,
            auto_limit: 200_000,
            refresh_minutes: 15,
        }
    }
}

impl IndexSettings {
    /// Checks the values.
    pub fn validate(&self) -> Result<()> {
        if !(1..=1_000_000_000).contains(&self.auto_limit) {
            return Err(Error::invalid(
                "auto_limit",
                "use 1 to 1,000,000,000 objects",
            ));
        }
        if self.refresh_minutes > 7 * 24 * 60 {
            return Err(Error::invalid(
                "refresh_minutes",
                "use 0 (never) to 10080 (a week)",
            ));
        }
        Ok(())
    }
}

impl Index {
    /// The settings (the defaults until saved).
    pub fn settings(&self) -> IndexSettings {
        self.inner
            .db
            .open_tree("settings")
            .ok()
            .and_then(|t| t.get(KEY).ok().flatten())
            .and_then(|v| serde_json::from_slice(&v).ok())
            .unwrap_or_default()
    }

    /// Checks and saves the settings.
    pub fn set_settings(&self, settings: IndexSettings) -> Result<IndexSettings> {
        settings.validate()?;
        let tree = self.tree(b"settings")?;
        let bytes = serde_json::to_vec(&settings).map_err(|e| self.err(e))?;
        tree.insert(KEY, bytes).map_err(|e| self.err(e))?;
        self.flush()?;
        Ok(settings)
    }

    /// The ready indexes whose last build is older than the refresh interval, oldest
    /// first (none when refreshing is off).
    pub fn due_for_refresh(&self) -> coffer_core::Result<Vec<(String, String)>> {
        let minutes = self.settings().refresh_minutes;
        if minutes == 0 {
            return Ok(Vec::new());
        }
        let now = time::OffsetDateTime::now_utc();
        let mut due: Vec<_> = self
            .infos()?
            .into_iter()
            .filter(|i| i.state == crate::IndexState::Ready)
            .filter(|i| {
                i.built_at
                    .is_none_or(|t| now - t >= time::Duration::minutes(minutes as i64))
            })
            .collect();
        due.sort_by_key(|i| i.built_at);
        Ok(due.into_iter().map(|i| (i.profile, i.bucket)).collect())
    }
}

//! Upload header rules in the transfer engine: every upload (a file, a folder, a
//! stream) takes its options from the bucket's rules (see [`crate::rules`]) unless
//! the engine was made [`without_rules`](Transfers::without_rules).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Transfers;
use super::upload::guess_content_type;
use crate::error::Result;
use crate::rules::RuleSet;
use crate::store::{ObjectRef, PutOptions};

/// How long a bucket's rules are reused before they are read again: a folder of
/// 10,000 files reads them once, and an edit shows within seconds.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// The compiled rules of the buckets an engine uploaded to lately.
#[derive(Debug, Default)]
pub(crate) struct RulesCache(Mutex<HashMap<String, (Instant, Arc<RuleSet>)>>);

impl Transfers {
    /// The same engine, uploading without the buckets' upload rules (`--no-rules`).
    pub fn without_rules(mut self) -> Self {
        self.rules = None;
        self
    }

    /// Whether uploads apply the buckets' upload rules.
    pub fn applies_rules(&self) -> bool {
        self.rules.is_some()
    }

    /// The compiled rules of `bucket` (empty when rules are off or none are saved).
    pub fn rules_for(&self, bucket: &str) -> Result<Arc<RuleSet>> {
        let Some(cache) = &self.rules else {
            return Ok(Arc::default());
        };
        if let Ok(entries) = cache.0.lock()
            && let Some((at, set)) = entries.get(bucket)
            && at.elapsed() < FRESH_FOR
        {
            return Ok(set.clone());
        }
        let set = Arc::new(RuleSet::new(crate::rules::list(
            self.db.as_ref(),
            &self.profile,
            bucket,
        )?));
        if let Ok(mut entries) = cache.0.lock() {
            entries.insert(bucket.to_string(), (Instant::now(), set.clone()));
        }
        Ok(set)
    }

    /// The options an upload to `target` is sent with: `explicit`, then the bucket's
    /// rules, then a Content-Type guessed from `name` (the file, or the key).
    pub(crate) fn upload_options(
        &self,
        target: &ObjectRef,
        explicit: &PutOptions,
        name: &Path,
    ) -> Result<PutOptions> {
        let rules = self.rules_for(&target.bucket)?;
        let mut options = if rules.is_empty() {
            explicit.clone()
        } else {
            rules.apply(&target.key, explicit).options
        };
        if options.content_type.is_none() {
            options.content_type = guess_content_type(name);
        }
        Ok(options)
    }
}

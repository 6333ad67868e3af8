//! Adding one rule (the CLI's `coffer rules add`).

use super::{UploadRule, list, save};
use crate::error::Result;
use crate::meta::MetaDb;

/// Appends `rule` to the bucket's rules, or inserts it at `position` (0-based; past
/// the end appends). Returns the rule as saved, with its id.
pub fn add(
    db: &dyn MetaDb,
    profile: &str,
    bucket: &str,
    mut rule: UploadRule,
    position: Option<usize>,
) -> Result<UploadRule> {
    let mut rules = list(db, profile, bucket)?;
    rule.id.clear();
    let at = position.unwrap_or(rules.len()).min(rules.len());
    rules.insert(at, rule);
    let saved = save(db, profile, bucket, rules)?;
    Ok(saved[at].clone())
}

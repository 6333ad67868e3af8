//! Removing one rule by id.

use super::{list, save};
use crate::error::{Error, Result};
use crate::meta::MetaDb;

/// Removes the rule `id` from the bucket's rules; an unknown id is an error.
pub fn remove(db: &dyn MetaDb, profile: &str, bucket: &str, id: &str) -> Result<()> {
    let mut rules = list(db, profile, bucket)?;
    let before = rules.len();
    rules.retain(|r| r.id != id);
    if rules.len() == before {
        return Err(Error::NotFound {
            what: format!("upload rule `{id}` on bucket `{bucket}`"),
            hint: "`coffer rules list s3://BUCKET` shows the rules and their ids",
        });
    }
    save(db, profile, bucket, rules)?;
    Ok(())
}

//! Forgetting a share link's record. The link itself keeps working until it expires.

use super::TREE_SHARES;
use super::url::get;
use crate::error::Result;
use crate::meta::MetaDb;

/// Removes the record `id`; an unknown id is an error that says so.
pub fn forget(db: &dyn MetaDb, id: &str) -> Result<()> {
    get(db, id)?;
    db.delete(TREE_SHARES, id.as_bytes())?;
    db.flush()
}

//! Reading the rules of a bucket, or of every bucket of a profile.

use serde::{Deserialize, Serialize};

use super::{TREE_RULES, UploadRule, db_key};
use crate::error::Result;
use crate::meta::{MetaDb, MetaDbExt};

/// The ordered rules of `bucket` under `profile` (none when nothing was saved).
pub fn list(db: &dyn MetaDb, profile: &str, bucket: &str) -> Result<Vec<UploadRule>> {
    Ok(db
        .get_json::<Vec<UploadRule>>(TREE_RULES, &db_key(profile, bucket))?
        .unwrap_or_default())
}

/// A rule and its bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRule {
    /// The bucket.
    pub bucket: String,
    /// The rule.
    #[serde(flatten)]
    pub rule: UploadRule,
}

/// Every rule of every bucket of `profile`, by bucket name, each bucket's in order.
pub fn list_profile(db: &dyn MetaDb, profile: &str) -> Result<Vec<BucketRule>> {
    let mut out = Vec::new();
    for (key, rules) in db.scan_json::<Vec<UploadRule>>(TREE_RULES, &format!("{profile}\0"))? {
        let bucket = key
            .split_once('\0')
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        out.extend(rules.into_iter().map(|rule| BucketRule {
            bucket: bucket.clone(),
            rule,
        }));
    }
    Ok(out)
}

//! Upload header rules: per profile and bucket, an ordered list of globs on the key,
//! each setting Content-Type, Cache-Control, Content-Disposition, storage class or
//! user metadata on the uploads it matches.
//!
//! - A glob without `/` matches the file name in any folder (`*.css`); one with `/`
//!   matches the whole key (`assets/**/*.js`). `{a,b}` alternatives work.
//! - Every matching rule applies, in order: a later rule's value wins for a field it
//!   sets. A value the uploader gives explicitly (`coffer cp --cache-control`) wins
//!   over every rule. Content-Type then falls back to the extension's type.
//!
//! The rules live in the local database (tree [`TREE_RULES`], one JSON list per
//! profile and bucket). One verb per file: [`list`], [`save`], [`add`], [`remove`],
//! and [`RuleSet`] (in `apply.rs`) which matches keys.

mod add;
mod apply;
mod list;
mod remove;
mod save;

pub use add::add;
pub use apply::{Applied, RuleSet};
pub use list::{BucketRule, list, list_profile};
pub use remove::remove;
pub use save::save;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The tree of rule lists, keyed by `profile\0bucket`.
pub const TREE_RULES: &str = "upload_rules";
/// The most rules one bucket may have.
pub const MAX_RULES: usize = 100;

/// One rule: a glob and the headers it sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRule {
    /// Its id (given when saved; empty in a new rule).
    #[serde(default)]
    pub id: String,
    /// The glob on the key (see the module's docs).
    pub glob: String,
    /// Content-Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Cache-Control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Content-Disposition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// Storage class, e.g. `STANDARD_IA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// User metadata (`x-amz-meta-*`); names are kept in lowercase.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The database key of a bucket's rules.
fn db_key(profile: &str, bucket: &str) -> String {
    format!("{profile}\0{bucket}")
}

impl UploadRule {
    /// Checks and tidies the rule (trimmed values, blank ones dropped, metadata names
    /// in lowercase). `n` is its 1-based position, for the message.
    pub(crate) fn normalized(mut self, n: usize) -> Result<UploadRule> {
        self.glob = self.glob.trim().to_string();
        let label = format!("upload rule {n} (`{}`)", self.glob);
        let what = || label.clone();
        if self.glob.is_empty() {
            return Err(Error::invalid(
                format!("upload rule {n}"),
                "the glob is empty; use e.g. `*.css` or `assets/**/*.js`",
            ));
        }
        apply::compile(&self.glob).map_err(|e| Error::invalid(what(), e))?;
        for (name, value) in [
            ("Content-Type", &mut self.content_type),
            ("Cache-Control", &mut self.cache_control),
            ("Content-Disposition", &mut self.content_disposition),
            ("storage class", &mut self.storage_class),
        ] {
            *value = value
                .take()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if let Some(v) = value {
                header_value(v).map_err(|e| Error::invalid(what(), format!("{name}: {e}")))?;
            }
        }
        if let Some(class) = &self.storage_class
            && !class.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        {
            return Err(Error::invalid(
                what(),
                format!("storage class `{class}`: use S3's names, e.g. STANDARD_IA or GLACIER_IR"),
            ));
        }
        let mut metadata = BTreeMap::new();
        let mut size = 0;
        for (name, value) in std::mem::take(&mut self.metadata) {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            {
                return Err(Error::invalid(
                    what(),
                    format!("metadata name `{name}`: use letters, digits, `-`, `_` and `.` only"),
                ));
            }
            header_value(&value)
                .map_err(|e| Error::invalid(what(), format!("metadata `{name}`: {e}")))?;
            size += name.len() + value.len();
            metadata.insert(name, value);
        }
        if size > 2048 {
            return Err(Error::invalid(
                what(),
                "its metadata is over 2 KB, the most S3 allows",
            ));
        }
        self.metadata = metadata;
        if self.content_type.is_none()
            && self.cache_control.is_none()
            && self.content_disposition.is_none()
            && self.storage_class.is_none()
            && self.metadata.is_empty()
        {
            return Err(Error::invalid(
                what(),
                "it sets nothing; give at least one header, storage class or metadata",
            ));
        }
        Ok(self)
    }
}

/// A header value must be one line of printable text.
fn header_value(value: &str) -> std::result::Result<(), String> {
    if value.len() > 1024 {
        return Err("longer than 1024 bytes".into());
    }
    if value.chars().any(char::is_control) {
        return Err("control characters (such as line breaks) are not allowed".into());
    }
    Ok(())
}

/// A new rule id: eight hex digits.
fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

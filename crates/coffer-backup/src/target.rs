//! The dedicated-target check: a backup repository has its bucket or prefix to itself.
//!
//! A bucket shared with other data leads to confusing errors later (and a prune that
//! meets foreign objects is dangerous), so both checks run before anything is written:
//! - [`check_for_init`]: only an empty bucket or prefix (or a bucket not made yet);
//! - [`check_for_open`]: only a prefix that holds a restic `config` object.

use coffer_core::store::{ListRequest, Store};

use crate::error::{Error, Result};
use crate::location::RepoLocation;

/// How many keys a refusal names.
const SHOWN_KEYS: usize = 5;

/// What a target holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// The bucket does not exist yet.
    NoBucket,
    /// Nothing under the prefix.
    Empty,
    /// A restic `config` object under the prefix.
    Repository,
    /// Other objects; the first few keys (relative to the prefix) and whether more follow.
    Foreign {
        /// The first keys found.
        first_keys: Vec<String>,
        /// Whether there are more than those.
        more: bool,
    },
}

/// Looks at the target with one HEAD and at most one small listing.
pub async fn inspect(store: &dyn Store, location: &RepoLocation) -> Result<TargetState> {
    match store.head(&location.bucket, &location.key("config")).await {
        Ok(_) => return Ok(TargetState::Repository),
        Err(coffer_core::Error::NoSuchKey { .. }) => {}
        Err(coffer_core::Error::NoSuchBucket { .. }) => return Ok(TargetState::NoBucket),
        Err(e) => return Err(e.into()),
    }
    let request = ListRequest {
        max_keys: SHOWN_KEYS as u32 + 1,
        ..ListRequest::recursive(&location.bucket, &location.prefix)
    };
    let page = match store.list_page(&request, None).await {
        Ok(page) => page,
        Err(coffer_core::Error::NoSuchBucket { .. }) => return Ok(TargetState::NoBucket),
        Err(e) => return Err(e.into()),
    };
    if page.objects.is_empty() {
        return Ok(TargetState::Empty);
    }
    let more = page.objects.len() > SHOWN_KEYS || page.next_token.is_some();
    let first_keys = page
        .objects
        .into_iter()
        .take(SHOWN_KEYS)
        .map(|o| {
            o.key
                .strip_prefix(&location.prefix)
                .unwrap_or(&o.key)
                .to_string()
        })
        .collect();
    Ok(TargetState::Foreign { first_keys, more })
}

/// `init` may write here: the bucket is missing or empty under the prefix.
pub async fn check_for_init(store: &dyn Store, location: &RepoLocation) -> Result<TargetState> {
    let state = inspect(store, location).await?;
    match &state {
        TargetState::NoBucket | TargetState::Empty => Ok(state),
        TargetState::Repository => Err(Error::AlreadyRepository {
            location: location.to_string(),
        }),
        TargetState::Foreign { first_keys, more } => {
            Err(not_dedicated(location, first_keys, *more))
        }
    }
}

/// `open` may read here: the prefix holds a restic `config`.
pub async fn check_for_open(store: &dyn Store, location: &RepoLocation) -> Result<()> {
    match inspect(store, location).await? {
        TargetState::Repository => Ok(()),
        TargetState::NoBucket => {
            // The store's own error names the profile and the bucket.
            store
                .list_page(&ListRequest::folder(&location.bucket, ""), None)
                .await?;
            Err(Error::NotRepository {
                location: location.to_string(),
            })
        }
        TargetState::Empty => Err(Error::NotRepository {
            location: location.to_string(),
        }),
        TargetState::Foreign { first_keys, more } => {
            Err(not_dedicated(location, &first_keys, more))
        }
    }
}

fn not_dedicated(location: &RepoLocation, first_keys: &[String], more: bool) -> Error {
    let mut shown = first_keys.join(", ");
    if more {
        shown.push('…');
    }
    Error::NotDedicated {
        location: location.to_string(),
        first_keys: shown,
    }
}

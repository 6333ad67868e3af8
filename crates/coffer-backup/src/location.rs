//! Where a repository lives: a bucket and a prefix (a "folder", possibly the whole
//! bucket).

use std::fmt;

use coffer_core::uri::S3Url;

use crate::error::{Error, Result};

/// A repository's place in a store: `s3://bucket/` or `s3://bucket/some/prefix/`.
///
/// The prefix is empty or ends with `/`; the repository's objects are `config`,
/// `keys/…`, `snapshots/…`, `index/…`, `locks/…` and `data/xx/…` under it, as restic
/// lays them out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoLocation {
    /// The bucket.
    pub bucket: String,
    /// The prefix: empty, or ending with `/`.
    pub prefix: String,
}

impl RepoLocation {
    /// A location from a bucket and a prefix (a missing trailing `/` is added).
    pub fn new(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        let mut prefix = prefix.into();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        RepoLocation {
            bucket: bucket.into(),
            prefix,
        }
    }

    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/prefix[/]`.
    pub fn parse(url: &str) -> Result<Self> {
        let url = S3Url::parse(url)?;
        if url.key.starts_with('/') || url.key.contains("//") {
            return Err(Error::invalid(
                "repository",
                format!(
                    "`{url}` has an empty path segment; a repository prefix is a plain folder \
                     such as s3://{}/backups/",
                    url.bucket
                ),
            ));
        }
        Ok(RepoLocation::new(url.bucket, url.key))
    }

    /// The key of `name` inside the repository (`prefix + name`).
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A stable name for this location under a profile, for keychain entries and
    /// local caches.
    pub fn id(&self, profile: &str) -> String {
        format!("{profile}/{}/{}", self.bucket, self.prefix)
    }
}

impl fmt::Display for RepoLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix() {
        let l = RepoLocation::parse("s3://bkt").expect("bucket");
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("bkt", ""));
        let l = RepoLocation::parse("s3://bkt/x/y").expect("prefix");
        assert_eq!(l.prefix, "x/y/");
        assert_eq!(l.key("config"), "x/y/config");
        assert_eq!(l.to_string(), "s3://bkt/x/y/");
        let l = RepoLocation::parse("s3://bkt/ü é+%/").expect("odd prefix");
        assert_eq!(l.prefix, "ü é+%/");
    }

    #[test]
    fn refuses_empty_segments() {
        assert!(RepoLocation::parse("s3://bkt//x").is_err());
        assert!(RepoLocation::parse("s3://bkt/x//y").is_err());
        assert!(RepoLocation::parse("b/x").is_err());
    }
}

//! `s3://bucket/key` addresses and local paths, as the CLI and the API take them.
//!
//! The key is everything after the first `/` that follows the bucket, byte for byte:
//! no percent-decoding, so `%`, `+`, `?`, `#`, `//` and a leading `/` stay in the key.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// An object address: a bucket and a key (or key prefix, possibly empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Url {
    /// The bucket name.
    pub bucket: String,
    /// The key or prefix; empty for the whole bucket.
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/key`.
    pub fn parse(input: &str) -> Result<Self> {
        let rest = input.strip_prefix("s3://").ok_or_else(|| {
            Error::invalid("S3 URL", format!("`{input}` does not start with s3://"))
        })?;
        let (bucket, key) = match rest.split_once('/') {
            Some((b, k)) => (b, k),
            None => (rest, ""),
        };
        validate_bucket_name(bucket)?;
        if key.len() > 1024 {
            return Err(Error::invalid(
                "S3 URL",
                format!(
                    "the key is {} bytes long; S3 allows at most 1,024",
                    key.len()
                ),
            ));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// Whether the address names a folder (empty key or a key ending in `/`).
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// The last path segment of the key ("c.txt" for "a/b/c.txt").
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or(&self.key)
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Either side of a copy: an object address or a local path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An object or prefix in a bucket.
    S3(S3Url),
    /// A file or folder on this machine.
    Local(PathBuf),
}

impl Location {
    /// `s3://...` is remote; anything else is a local path.
    pub fn parse(input: &str) -> Result<Self> {
        if input.starts_with("s3://") {
            Ok(Location::S3(S3Url::parse(input)?))
        } else if input.is_empty() {
            Err(Error::invalid("path", "an empty path was given"))
        } else {
            Ok(Location::Local(PathBuf::from(input)))
        }
    }
}

/// A location with the profile it is reached through: a local folder, or
/// `[PROFILE:]s3://BUCKET[/PREFIX]` (no profile: the command's default profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfiledLocation {
    /// The profile named before `:s3://`, if any.
    pub profile: Option<String>,
    /// The place.
    pub location: Location,
}

impl ProfiledLocation {
    /// Parses `PROFILE:s3://BUCKET/PREFIX`, `s3://BUCKET/PREFIX` or a local path.
    pub fn parse(input: &str) -> Result<Self> {
        if let Some((profile, rest)) = input.split_once(":s3://")
            && !profile.is_empty()
            && !profile.contains('/')
        {
            crate::profile::validate_profile_name(profile)?;
            return Ok(ProfiledLocation {
                profile: Some(profile.to_string()),
                location: Location::S3(S3Url::parse(&format!("s3://{rest}"))?),
            });
        }
        Ok(ProfiledLocation {
            profile: None,
            location: Location::parse(input)?,
        })
    }

    /// The profile to use: the one named, else `default`.
    pub fn profile_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.profile.as_deref().unwrap_or(default)
    }
}

impl fmt::Display for ProfiledLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.profile, &self.location) {
            (Some(p), Location::S3(url)) => write!(f, "{p}:{url}"),
            (None, Location::S3(url)) => write!(f, "{url}"),
            (_, Location::Local(path)) => write!(f, "{}", path.display()),
        }
    }
}

/// The longest key S3 allows, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Checks a key: 1 to 1,024 bytes of UTF-8 (any character, `/` and `%` included).
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("key", "the key is empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::invalid(
            "key",
            format!("{} bytes long; at most 1,024 are allowed", key.len()),
        ));
    }
    Ok(())
}

/// Checks a bucket name against the S3 rules (3–63 characters of lowercase letters,
/// digits, `-` and `.`, starting and ending with a letter or digit). Names that only
/// legacy regions accept (uppercase, `_`) are allowed too, as some servers still have
/// them.
pub fn validate_bucket_name(name: &str) -> Result<()> {
    let bad = |reason: &str| Err(Error::invalid("bucket name", format!("`{name}`: {reason}")));
    if name.is_empty() {
        return bad("the bucket name is empty (write s3://BUCKET/KEY)");
    }
    if name.len() < 3 || name.len() > 63 {
        return bad("a bucket name has 3 to 63 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return bad("use only letters, digits, `-`, `.` and `_`");
    }
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_last_ok(name.chars().next()) || !first_last_ok(name.chars().last()) {
        return bad("a bucket name starts and ends with a letter or digit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_their_profile() -> Result<()> {
        let l = ProfiledLocation::parse("garage:s3://b-1/p/q")?;
        assert_eq!(l.profile.as_deref(), Some("garage"));
        assert_eq!(l.location, Location::S3(S3Url::parse("s3://b-1/p/q")?));
        assert_eq!(l.to_string(), "garage:s3://b-1/p/q");
        let l = ProfiledLocation::parse("s3://b-1/x")?;
        assert_eq!(
            (l.profile.as_deref(), l.profile_or("default")),
            (None, "default")
        );
        let l = ProfiledLocation::parse("./dir:s3://x")?;
        assert!(matches!(l.location, Location::Local(_)));
        assert!(ProfiledLocation::parse("bad name:s3://bucket").is_err());
        assert!(ProfiledLocation::parse("p:s3://").is_err());
        Ok(())
    }

    #[test]
    fn keys_are_kept_byte_for_byte() {
        for key in ["a+b", "100%", "x?y#z", "//double", "/lead", "sp ace/ü", ""] {
            let url = S3Url::parse(&format!("s3://bucket/{key}")).expect("parse");
            assert_eq!(url.bucket, "bucket");
            assert_eq!(url.key, key);
        }
        assert_eq!(S3Url::parse("s3://bucket").expect("parse").key, "");
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert!(S3Url::parse("http://bucket/key").is_err());
        assert!(S3Url::parse("s3:///key").is_err());
        assert!(S3Url::parse("s3://a/key").is_err());
        assert!(S3Url::parse("s3://-bad/key").is_err());
        assert!(S3Url::parse(&format!("s3://bucket/{}", "k".repeat(1025))).is_err());
    }

    #[test]
    fn locations() {
        assert!(matches!(Location::parse("s3://b12/k"), Ok(Location::S3(_))));
        assert!(matches!(Location::parse("./file"), Ok(Location::Local(_))));
        assert!(Location::parse("").is_err());
    }
}

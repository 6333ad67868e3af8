//! Searching a bucket's index: a substring or a glob on the key, and filters on size,
//! age and storage class. Matches are handed over one by one as the scan finds them.

use std::time::{Duration, Instant};

use coffer_core::store::ObjectSummary;
use coffer_core::{Error, Result};
use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;
use time::OffsetDateTime;

use crate::entry::Entry;
use crate::index::Index;

/// The most matches one search returns.
pub const MAX_MATCHES: usize = 100_000;

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// With any of `* ? [ {`: a glob on the whole key (`**/*.jpg`; `*` stays within a
    /// folder level); otherwise a substring. Both ignore case. Empty: every key.
    pub pattern: String,
    /// Only keys under this prefix.
    pub prefix: String,
    /// Only objects larger than this many bytes.
    pub larger: Option<u64>,
    /// Only objects smaller than this many bytes.
    pub smaller: Option<u64>,
    /// Only objects modified within this long.
    pub newer: Option<Duration>,
    /// Only objects modified longer ago than this.
    pub older: Option<Duration>,
    /// Only this storage class (`STANDARD` also matches objects that state none).
    pub storage_class: Option<String>,
    /// At most this many matches (1 to [`MAX_MATCHES`]).
    pub limit: usize,
}

/// How a search went.
#[derive(Debug, Clone, Serialize)]
pub struct SearchSummary {
    /// Matches handed over.
    pub matches: u64,
    /// Entries looked at.
    pub scanned: u64,
    /// Whether it stopped at the limit (or the receiver stopped it).
    pub truncated: bool,
    /// How fresh the index is.
    #[serde(with = "time::serde::rfc3339::option")]
    pub as_of: Option<OffsetDateTime>,
    /// How long the scan took.
    pub elapsed_ms: u64,
}

/// A compiled key pattern.
enum Pattern {
    All,
    /// Lowercase ASCII: compared byte by byte, ignoring ASCII case, without copying.
    Ascii(Vec<u8>),
    /// Lowercase, for patterns with other characters.
    Unicode(String),
    Glob(GlobMatcher),
}

impl Pattern {
    fn new(pattern: &str) -> Result<Pattern> {
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Ok(Pattern::All);
        }
        if pattern.contains(['*', '?', '[', '{']) {
            let glob = GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| {
                    Error::invalid("search pattern", format!("`{pattern}`: {}", e.kind()))
                })?;
            return Ok(Pattern::Glob(glob.compile_matcher()));
        }
        if pattern.is_ascii() {
            return Ok(Pattern::Ascii(pattern.to_ascii_lowercase().into_bytes()));
        }
        Ok(Pattern::Unicode(pattern.to_lowercase()))
    }

    fn matches(&self, key: &[u8]) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Ascii(needle) => key
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle)),
            Pattern::Unicode(needle) => {
                String::from_utf8_lossy(key).to_lowercase().contains(needle)
            }
            Pattern::Glob(glob) => glob.is_match(String::from_utf8_lossy(key).as_ref()),
        }
    }
}

/// A query compiled to test objects one by one (a search over a listing, without
/// an index: `coffer find --fresh`).
pub struct Matcher {
    pattern: Pattern,
    query: Query,
    now_ms: i64,
}

impl Matcher {
    /// Whether the object matches the pattern, the prefix and the filters.
    pub fn matches(&self, o: &ObjectSummary) -> bool {
        o.key.starts_with(&self.query.prefix)
            && self.pattern.matches(o.key.as_bytes())
            && self.query.keeps(&Entry::of(o), self.now_ms)
    }
}

impl Query {
    /// The query compiled, as of now; a bad glob is an error.
    pub fn matcher(&self) -> Result<Matcher> {
        Ok(Matcher {
            pattern: Pattern::new(&self.pattern)?,
            query: self.clone(),
            now_ms: (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
        })
    }

    /// Whether an entry passes the filters, as of `now_ms`.
    fn keeps(&self, entry: &Entry, now_ms: i64) -> bool {
        if self.larger.is_some_and(|n| entry.size <= n)
            || self.smaller.is_some_and(|n| entry.size >= n)
        {
            return false;
        }
        let age = |d: &Duration| now_ms - i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if let Some(newer) = &self.newer
            && entry.modified_ms.is_none_or(|m| m < age(newer))
        {
            return false;
        }
        if let Some(older) = &self.older
            && entry.modified_ms.is_none_or(|m| m >= age(older))
        {
            return false;
        }
        if let Some(class) = &self.storage_class {
            let own = entry.storage_class.as_deref().unwrap_or("STANDARD");
            if !own.eq_ignore_ascii_case(class) {
                return false;
            }
        }
        true
    }
}

impl Index {
    /// Fails as [`Index::search`] would before finding anything: no index for the
    /// bucket, or a pattern that is not a valid glob.
    pub fn check_search(&self, profile: &str, bucket: &str, query: &Query) -> Result<()> {
        self.current(profile, bucket)?;
        Pattern::new(&query.pattern)?;
        Ok(())
    }

    /// Scans the bucket's index in key order and hands each match to `found`, which
    /// returns `false` to stop. Blocking: run it off the async threads.
    pub fn search(
        &self,
        profile: &str,
        bucket: &str,
        query: &Query,
        mut found: impl FnMut(ObjectSummary) -> bool,
    ) -> Result<SearchSummary> {
        let started = Instant::now();
        let (meta, tree) = self.current(profile, bucket)?;
        let pattern = Pattern::new(&query.pattern)?;
        let limit = query.limit.clamp(1, MAX_MATCHES);
        let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let mut summary = SearchSummary {
            matches: 0,
            scanned: 0,
            truncated: false,
            as_of: meta.built_at,
            elapsed_ms: 0,
        };
        crate::blocks::scan_prefix(&tree, query.prefix.as_bytes(), |k, v| {
            summary.scanned += 1;
            if !pattern.matches(k) {
                return true;
            }
            let Some(entry) = Entry::decode(v) else {
                return true;
            };
            if !query.keeps(&entry, now_ms) {
                return true;
            }
            if summary.matches as usize == limit {
                summary.truncated = true;
                return false;
            }
            summary.matches += 1;
            if !found(entry.summary(String::from_utf8_lossy(k).into_owned())) {
                summary.truncated = true;
                return false;
            }
            true
        })
        .map_err(|e| self.err(e))?;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_ignore_case_and_globs_stay_within_a_level() {
        let p = |s: &str| Pattern::new(s).expect("pattern");
        assert!(p("REPORT").matches("docs/Report 2024.pdf".as_bytes()));
        assert!(p("ü").matches("Bilder/Über.jpg".as_bytes()));
        assert!(p("über").matches("Bilder/ÜBER.jpg".as_bytes()));
        assert!(p("**/*.jpg").matches(b"a/b/c.JPG"));
        assert!(!p("**/*.jpg").matches(b"top.jpg.txt"));
        assert!(p("*.jpg").matches(b"top.jpg"));
        assert!(!p("*.jpg").matches(b"a/top.jpg"));
        assert!(p("").matches(b"anything"));
        assert!(Pattern::new("a[").is_err());
    }

    #[test]
    fn filters_on_size_age_and_class() {
        let now = 1_000_000_000i64;
        let day = 86_400_000i64;
        let entry = |size, age_days: i64, class: Option<&str>| Entry {
            size,
            modified_ms: Some(now - age_days * day),
            etag: None,
            storage_class: class.map(str::to_string),
        };
        let q = Query {
            larger: Some(10),
            smaller: Some(100),
            newer: Some(Duration::from_secs(7 * 86_400)),
            storage_class: Some("standard".into()),
            ..Query::default()
        };
        assert!(q.keeps(&entry(50, 1, None), now));
        assert!(!q.keeps(&entry(10, 1, None), now), "larger is strict");
        assert!(!q.keeps(&entry(100, 1, None), now), "smaller is strict");
        assert!(!q.keeps(&entry(50, 8, None), now), "too old");
        assert!(!q.keeps(&entry(50, 1, Some("GLACIER")), now));
        let older = Query {
            older: Some(Duration::from_secs(7 * 86_400)),
            ..Query::default()
        };
        assert!(older.keeps(&entry(1, 8, None), now));
        assert!(!older.keeps(&entry(1, 6, None), now));
    }
}

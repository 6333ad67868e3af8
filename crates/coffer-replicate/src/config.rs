//! `coffer.yml`: the databases to replicate and their replicas, and the mirror jobs,
//! with `${VAR}` and `${VAR:-default}` expanded from the environment first.
//!
//! ```yaml
//! dbs:
//!   - path: ${DB_PATH}
//!     name: app                  # the folder in the replica (the file's name by default)
//!     interval: 1s
//!     snapshot-every: 24h
//!     retain: 7d
//!     replicas:
//!       - url: ${REPLICA_URL}    # [PROFILE:]s3://BUCKET/PREFIX
//! mirrors:
//!   - name: photos
//!     src: /home/me/Pictures
//!     dst: garage:s3://photos/laptop
//!     delete: false
//!     watch: true
//! ```
//!
//! A variable that is not set (and has no default) is an error naming it and its
//! line: never an empty string. `$${` writes a literal `${`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use coffer_core::uri::{Location, ProfiledLocation};
use serde::Deserialize;

use crate::error::{ReplicateError, Result};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Databases to replicate.
    #[serde(default)]
    pub dbs: Vec<DbConfig>,
    /// Mirror jobs.
    #[serde(default)]
    pub mirrors: Vec<MirrorConfig>,
}

/// One database.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DbConfig {
    /// The database file.
    pub path: PathBuf,
    /// Its folder name in the replicas.
    #[serde(default)]
    pub name: Option<String>,
    /// Sync interval (`1s`).
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    /// Snapshot interval (`24h`).
    #[serde(default, with = "opt_duration")]
    pub snapshot_every: Option<Duration>,
    /// How long history is kept (`7d`).
    #[serde(default, with = "opt_duration")]
    pub retain: Option<Duration>,
    /// Where it goes.
    pub replicas: Vec<ReplicaConfig>,
}

/// One replica.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplicaConfig {
    /// `[PROFILE:]s3://BUCKET/PREFIX`.
    pub url: String,
    /// The profile, when the URL names none.
    #[serde(default)]
    pub profile: Option<String>,
}

/// One mirror job.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MirrorConfig {
    /// Its name.
    pub name: String,
    /// A local folder or `[PROFILE:]s3://BUCKET/PREFIX`.
    pub src: String,
    /// A local folder or `[PROFILE:]s3://BUCKET/PREFIX`.
    pub dst: String,
    /// Delete extras at the destination (to a trash prefix first).
    #[serde(default)]
    pub delete: bool,
    /// Watch a local source and mirror changes as they happen.
    #[serde(default)]
    pub watch: bool,
    /// Detect changes by checksum instead of size and time.
    #[serde(default)]
    pub checksum: bool,
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            humantime::parse_duration(t.trim()).map_err(|e| {
                serde::de::Error::custom(format!("`{t}`: {e} (write 1s, 5m, 24h, 7d)"))
            })
        })
        .transpose()
    }
}

/// Expands `${VAR}` and `${VAR:-default}` in `text` with `lookup`; `$${` is a literal
/// `${`. A variable that is unset (or set but empty, for `:-`) and has no default is
/// an error naming it and its line.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
                continue;
            }
            let Some(body) = after.strip_prefix("${") else {
                out.push('$');
                rest = &after[1..];
                continue;
            };
            let Some(end) = body.find('}') else {
                return Err(ReplicateError::Invalid(format!(
                    "line {}: `${{` without a closing `}}`",
                    n + 1
                )));
            };
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(ReplicateError::Invalid(format!(
                    "line {}: `${{{inner}}}` is not a variable (letters, digits and _)",
                    n + 1
                )));
            }
            let value = match (lookup(name), default) {
                (Some(v), Some(d)) if v.is_empty() => d.to_string(),
                (Some(v), _) => v,
                (None, Some(d)) => d.to_string(),
                (None, None) => {
                    return Err(ReplicateError::Invalid(format!(
                        "line {}: the environment variable {name} is not set (write ${{{name}:-default}} for a default)",
                        n + 1
                    )));
                }
            };
            out.push_str(&value);
            rest = &body[end + 1..];
        }
        out.push_str(rest);
    }
    Ok(out)
}

impl Config {
    /// Parses `text` after expanding variables from the process's environment.
    pub fn parse(text: &str) -> Result<Config> {
        Config::parse_with(text, |name| std::env::var(name).ok())
    }

    /// Parses `text` after expanding variables with `lookup`.
    pub fn parse_with(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let expanded = expand(text, lookup)?;
        let config: Config = serde_saphyr::from_str(&expanded)
            .map_err(|e| ReplicateError::Invalid(format!("not a valid coffer.yml: {e}")))?;
        config.check()?;
        Ok(config)
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| ReplicateError::io(path, e))?;
        Config::parse(&text).map_err(|e| match e {
            ReplicateError::Invalid(m) => {
                ReplicateError::Invalid(format!("{}: {m}", path.display()))
            }
            other => other,
        })
    }

    /// Checks what parsing alone cannot: locations, names, intervals.
    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ReplicateError::Invalid(m));
        for (i, db) in self.dbs.iter().enumerate() {
            let at = format!("dbs[{i}] ({})", db.path.display());
            if db.path.as_os_str().is_empty() {
                return bad(format!("dbs[{i}]: `path` is empty"));
            }
            if db.replicas.is_empty() {
                return bad(format!("{at}: give at least one replica"));
            }
            if let Some(name) = &db.name
                && !crate::key::valid_db_id(name)
            {
                return bad(format!("{at}: name {name:?} must be one folder name"));
            }
            if db.interval.is_some_and(|d| d < Duration::from_millis(100)) {
                return bad(format!("{at}: interval is at least 100ms"));
            }
            for (j, r) in db.replicas.iter().enumerate() {
                let loc = ProfiledLocation::parse(&r.url)
                    .map_err(|e| ReplicateError::Invalid(format!("{at}: replicas[{j}]: {e}")))?;
                if !matches!(loc.location, Location::S3(_)) {
                    return bad(format!(
                        "{at}: replicas[{j}]: `{}` is not [PROFILE:]s3://BUCKET/PREFIX",
                        r.url
                    ));
                }
                if loc.profile.is_some() && r.profile.is_some() {
                    return bad(format!("{at}: replicas[{j}]: the profile is named twice"));
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, m) in self.mirrors.iter().enumerate() {
            if !names.insert(m.name.as_str()) {
                return bad(format!("mirrors[{i}]: the name {:?} is used twice", m.name));
            }
            for (field, value) in [("src", &m.src), ("dst", &m.dst)] {
                ProfiledLocation::parse(value).map_err(|e| {
                    ReplicateError::Invalid(format!("mirrors[{i}] ({}): {field}: {e}", m.name))
                })?;
            }
        }
        Ok(())
    }
}

impl ReplicaConfig {
    /// The replica's profile (the URL's, this entry's, or `default`) and
    /// `s3://BUCKET/PREFIX`.
    pub fn resolve(&self, default: &str) -> Result<(String, coffer_core::uri::S3Url)> {
        let loc = ProfiledLocation::parse(&self.url)
            .map_err(|e| ReplicateError::Invalid(e.to_string()))?;
        let Location::S3(url) = loc.location else {
            return Err(ReplicateError::Invalid(format!(
                "`{}` is not an s3:// URL",
                self.url
            )));
        };
        let profile = loc
            .profile
            .or_else(|| self.profile.clone())
            .unwrap_or_else(|| default.to_string());
        Ok((profile, url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "DB_PATH" => Some("/data/app.db".into()),
            "REPLICA_URL" => Some("garage:s3://backups/app".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_expand_and_a_missing_one_is_named() {
        assert_eq!(
            expand("a ${DB_PATH} b", env).ok().as_deref(),
            Some("a /data/app.db b")
        );
        assert_eq!(
            expand("${NOPE:-x}|${EMPTY:-y}|$${LIT}|$5", env)
                .ok()
                .as_deref(),
            Some("x|y|${LIT}|$5")
        );
        let err = expand("ok\n  path: ${MISSING_DB}\n", env)
            .map(|_| ())
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("MISSING_DB") && err.contains("line 2"),
            "{err}"
        );
        assert!(expand("${unclosed", env).is_err());
        assert!(expand("${BAD-NAME}", env).is_err());
    }

    #[test]
    fn litestream_shaped_config_parses() -> Result<()> {
        let text = "dbs:\n  - path: ${DB_PATH}\n    interval: 2s\n    replicas:\n      - url: ${REPLICA_URL}\nmirrors:\n  - name: photos\n    src: /home/me/Pictures\n    dst: s3://photos/laptop\n    watch: true\n";
        let c = Config::parse_with(text, env)?;
        assert_eq!(c.dbs[0].path, PathBuf::from("/data/app.db"));
        assert_eq!(c.dbs[0].interval, Some(Duration::from_secs(2)));
        let (profile, url) = c.dbs[0].replicas[0].resolve("default")?;
        assert_eq!(
            (profile.as_str(), url.bucket.as_str(), url.key.as_str()),
            ("garage", "backups", "app")
        );
        assert!(c.mirrors[0].watch);
        for bad in [
            "dbs:\n  - path: /a\n    replicas: []\n",
            "dbs:\n  - path: /a\n    replicas:\n      - url: /local\n",
            "dbs:\n  - path: /a\n    region: x\n    replicas:\n      - url: s3://b/p\n",
            "dbs:\n  - path: /a\n    interval: soon\n    replicas:\n      - url: s3://b/p\n",
            "mirrors:\n  - {name: a, src: /x, dst: s3://bb/p}\n  - {name: a, src: /y, dst: s3://bb/q}\n",
            "dbs: [\n",
        ] {
            assert!(Config::parse_with(bad, env).is_err(), "{bad}");
        }
        Ok(())
    }
}

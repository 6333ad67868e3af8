//! The API's settings: the `[api]` table of `coffer.toml` in the data dir, with
//! `COFFER_API_*` environment overrides.
//!
//! ```toml
//! [api]
//! embedded = true              # the in-process API the desktop uses
//! standalone = false           # the HTTP listener
//! listen = "127.0.0.1:8421"
//! allow_remote = false         # needed for a non-loopback listen address
//! behind_tls_proxy = false     # a non-loopback listener must be behind TLS…
//! tls = false                  # …or speak it: a self-signed certificate in the data dir
//! tls_cert = "/path/cert.pem"  # or the user's own certificate chain…
//! tls_key = "/path/key.pem"    # …and key
//! allowed_dirs = []            # local folders the API may read and write
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8421";

/// What went wrong with the settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path} is not valid: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// An environment override is not valid.
    #[error("{name}=`{value}`: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// The listener would be reachable from the network without the safeguards.
    #[error("{0}")]
    Unsafe(String),
}

/// The whole file; only `[api]` is read here.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct File {
    api: ApiConfig,
}

/// The `[api]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// The in-process API (the desktop's).
    pub embedded: bool,
    /// The HTTP listener.
    pub standalone: bool,
    /// Where the listener binds.
    pub listen: SocketAddr,
    /// Allow a non-loopback listen address.
    pub allow_remote: bool,
    /// The listener sits behind a proxy that terminates TLS.
    pub behind_tls_proxy: bool,
    /// The listener speaks TLS itself: with `tls_cert` and `tls_key` when given, else
    /// with a self-signed certificate kept in the data dir.
    pub tls: bool,
    /// The certificate chain (PEM) for TLS.
    pub tls_cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Local folders the API may read and write (none by default).
    pub allowed_dirs: Vec<PathBuf>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            embedded: true,
            standalone: false,
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8421))),
            allow_remote: false,
            behind_tls_proxy: false,
            tls: false,
            tls_cert: None,
            tls_key: None,
            allowed_dirs: Vec::new(),
        }
    }
}

fn flag(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Env {
            name,
            value: value.to_string(),
            message: "use true or false".into(),
        }),
    }
}

impl ApiConfig {
    /// Reads `coffer.toml` in `data_dir` (defaults when it is absent), then applies
    /// the environment overrides.
    pub fn load(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join("coffer.toml");
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str::<File>(&text)
                    .map_err(|e| ConfigError::Invalid {
                        path: path.clone(),
                        message: e.to_string(),
                    })?
                    .api
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ApiConfig::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Applies `COFFER_API_EMBEDDED`, `COFFER_API_STANDALONE`, `COFFER_API_LISTEN` and
    /// `COFFER_API_ALLOWED_DIRS` (separated like `PATH`).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = var("COFFER_API_EMBEDDED") {
            self.embedded = flag("COFFER_API_EMBEDDED", &v)?;
        }
        if let Some(v) = var("COFFER_API_STANDALONE") {
            self.standalone = flag("COFFER_API_STANDALONE", &v)?;
        }
        if let Some(v) = var("COFFER_API_LISTEN") {
            self.listen = v.parse().map_err(|_| ConfigError::Env {
                name: "COFFER_API_LISTEN",
                value: v.clone(),
                message: "write an address and port, e.g. 127.0.0.1:8421".into(),
            })?;
        }
        if let Some(v) = var("COFFER_API_ALLOWED_DIRS") {
            self.allowed_dirs = std::env::split_paths(&v).collect();
        }
        Ok(())
    }

    /// Saves these settings as the `[api]` table of `path`, keeping the file's other
    /// tables. Written to a temp file and renamed, so a crash leaves the old file.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let mut table = match std::fs::read_to_string(path) {
            Ok(text) => text
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let api = toml::Value::try_from(self).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        table.insert("api".into(), api);
        let text = toml::to_string_pretty(&table).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let temp = path.with_extension("toml.tmp");
        std::fs::write(&temp, text)
            .and_then(|()| std::fs::rename(&temp, path))
            .map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Checks that a listener on a non-loopback address was asked for explicitly and
    /// sits behind TLS. Returns a warning to print when it is reachable from the
    /// network.
    pub fn check_listen(&self) -> Result<Option<String>, ConfigError> {
        if self.listen.ip().is_loopback() {
            return Ok(None);
        }
        if !self.allow_remote {
            return Err(ConfigError::Unsafe(format!(
                "{} is reachable from the network; pass --allow-remote (or set \
                 api.allow_remote) to mean it",
                self.listen
            )));
        }
        if !self.behind_tls_proxy && !self.tls {
            return Err(ConfigError::Unsafe(format!(
                "a listener on {} must speak TLS: pass --tls (a self-signed certificate) \
                 or --tls-cert and --tls-key, or put it behind a TLS-terminating proxy and \
                 pass --behind-tls-proxy",
                self.listen
            )));
        }
        Ok(Some(format!(
            "warning: the API listens on {} and is reachable from the network; only \
             the token protects it",
            self.listen
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_env() {
        let dir = tempfile::tempdir().expect("dir");
        let config = ApiConfig::load(dir.path()).expect("defaults");
        assert!(config.embedded && !config.standalone);
        assert!(config.listen.ip().is_loopback());

        let mut config = ApiConfig::default();
        config
            .apply_env(|n| match n {
                "COFFER_API_STANDALONE" => Some("on".into()),
                "COFFER_API_LISTEN" => Some("127.0.0.1:9999".into()),
                _ => None,
            })
            .expect("env");
        assert!(config.standalone);
        assert_eq!(config.listen.port(), 9999);
        let err = config
            .apply_env(|n| (n == "COFFER_API_EMBEDDED").then(|| "maybe".into()))
            .expect_err("bad flag");
        assert!(err.to_string().contains("COFFER_API_EMBEDDED"));
    }

    #[test]
    fn broken_file_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("coffer.toml"),
            "[api]\nstandalone = maybe\n",
        )
        .expect("write");
        let err = ApiConfig::load(dir.path()).expect_err("broken");
        assert!(err.to_string().contains("coffer.toml"), "{err}");
        std::fs::write(dir.path().join("coffer.toml"), "[api]\nstandalon = true\n").expect("write");
        let err = ApiConfig::load(dir.path()).expect_err("unknown field");
        assert!(err.to_string().contains("standalon"), "{err}");
    }

    #[test]
    fn saved_settings_load_back_and_keep_other_tables() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("coffer.toml");
        std::fs::write(&path, "[ui]\ntheme = \"dark\"\n").expect("write");
        let config = ApiConfig {
            standalone: true,
            listen: "127.0.0.1:9001".parse().expect("addr"),
            ..ApiConfig::default()
        };
        config.save(&path).expect("save");
        assert_eq!(ApiConfig::load(dir.path()).expect("load"), config);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("theme = \"dark\""), "{text}");
    }

    #[test]
    fn remote_listeners_need_both_flags() {
        let mut config = ApiConfig {
            listen: "0.0.0.0:8421".parse().expect("addr"),
            ..ApiConfig::default()
        };
        assert!(config.check_listen().is_err());
        config.allow_remote = true;
        assert!(config.check_listen().is_err());
        config.behind_tls_proxy = true;
        assert!(config.check_listen().expect("ok").is_some());
        config.behind_tls_proxy = false;
        config.tls = true;
        assert!(
            config
                .check_listen()
                .expect("native TLS is enough")
                .is_some()
        );
    }
}

//! Where Coffer keeps its local state.
//!
//! The data dir follows XDG (`$XDG_DATA_HOME/coffer`, usually `~/.local/share/coffer`,
//! and the platform equivalents elsewhere). `COFFER_HOME` overrides it, for tests and
//! for portable use.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that overrides the data dir.
pub const HOME_ENV: &str = "COFFER_HOME";

/// The folders inside the data dir.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data dir from `COFFER_HOME`, or the XDG default.
    pub fn discover() -> Result<Self> {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::at(PathBuf::from(home)));
        }
        let dirs = directories::ProjectDirs::from("", "", "coffer").ok_or_else(|| {
            Error::invalid(
                "data dir",
                format!("no home directory was found; set {HOME_ENV} to a folder"),
            )
        })?;
        Ok(Self::at(dirs.data_dir().to_path_buf()))
    }

    /// A data dir at an explicit place.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    /// The root of the data dir.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The sled database of profiles, region cache and transfer state.
    pub fn meta_db(&self) -> PathBuf {
        self.root.join("meta")
    }

    /// The local index of buckets (its own sled database; only copies of listings).
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }

    /// The Unix socket the owner of the data dir (the agent: the desktop app, `coffer
    /// serve` or `coffer agent`) answers on; other `coffer` processes attach to it.
    pub fn agent_socket(&self) -> PathBuf {
        self.root.join("agent.sock")
    }

    /// The folders of the `local` profile: each top-level folder is a bucket.
    pub fn local_store(&self) -> PathBuf {
        self.root.join("local")
    }

    /// Creates the data dir if needed, readable only by the user.
    pub fn ensure(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| Error::io("cannot create the data dir", &self.root, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let perms = std::fs::Permissions::from_mode(0o700);
            std::fs::set_permissions(&self.root, perms)
                .map_err(|e| Error::io("cannot restrict the data dir", &self.root, e))?;
        }
        Ok(())
    }
}

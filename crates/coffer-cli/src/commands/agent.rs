//! `coffer agent`: owns the data dir headless (jobs, schedules, the agent socket),
//! with a TCP listener only when asked; `--install-service` sets it up to start at
//! login.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::serve::{Owner, own};
use crate::cli::AgentArgs;

/// The systemd user unit, as shipped in `contrib/systemd/`.
const UNIT: &str = include_str!("../../../../contrib/systemd/coffer-agent.service");
/// The XDG autostart entry, as shipped in `contrib/`.
const AUTOSTART: &str = include_str!("../../../../contrib/coffer-agent.desktop");

/// Runs the agent until a stop signal (or installs it as a service).
pub async fn run(args: AgentArgs) -> Result<()> {
    if args.install_service {
        return install_service();
    }
    own(Owner {
        role: "agent",
        listen: args.listen.map(Some),
        access: args.access,
        print_token: false,
        rotate_token: false,
        print_url: false,
        samples: false,
    })
    .await
}

fn config_home() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".config"))
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the systemd user unit and enables it when `systemctl --user` works; else
/// the XDG autostart entry. Says what it did.
fn install_service() -> Result<()> {
    let config = config_home()?;
    let unit = config.join("systemd/user/coffer-agent.service");
    write(&unit, UNIT)?;
    println!("wrote {}", unit.display());
    let systemctl = |args: &[&str]| {
        std::process::Command::new("systemctl")
            .arg("--user")
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if systemctl(&["daemon-reload"]) && systemctl(&["enable", "--now", "coffer-agent.service"]) {
        println!("enabled and started coffer-agent.service (systemctl --user status coffer-agent)");
        println!(
            "to keep it running when you are logged out: loginctl enable-linger {}",
            std::env::var("USER").unwrap_or_else(|_| "$USER".into())
        );
        return Ok(());
    }
    let entry = config.join("autostart/coffer-agent.desktop");
    write(&entry, AUTOSTART)?;
    println!(
        "no systemd user session here; wrote {} instead: the agent starts at your next login",
        entry.display()
    );
    println!("start it now with: coffer agent &");
    Ok(())
}

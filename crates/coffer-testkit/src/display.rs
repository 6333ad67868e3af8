//! A private X display (Xvfb) for tests of windows and notifications, and dunst on
//! it: the notification daemon whose history a test reads back with `dunstctl`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::process::Supervised;

/// An Xvfb server on a free display number, stopped on drop.
#[derive(Debug)]
pub struct Xvfb {
    server: Supervised,
    /// `:N`, for `DISPLAY`.
    pub display: String,
    _dir: tempfile::TempDir,
}

impl Xvfb {
    /// Starts Xvfb (1280×800, 24 bit) and waits until its socket is there.
    pub fn start() -> Result<Xvfb, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        // Display numbers from 90 up, skipping ones whose lock file exists.
        let number = (90..190)
            .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .ok_or("no free X display number")?;
        let display = format!(":{number}");
        let args: Vec<OsString> = [
            display.as_str(),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let server = Supervised::spawn(
            "xvfb",
            Path::new("/usr/bin/Xvfb"),
            &args,
            &[],
            dir.path(),
            &dir.path().join("xvfb.log"),
        )?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > deadline || !server.is_running() {
                return Err(format!("Xvfb did not start: {}", server.log_tail(2000)));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Xvfb {
            server,
            display,
            _dir: dir,
        })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        self.server.stop();
    }
}

/// dunst on `display`, owning the session bus's notification name; stopped on drop.
#[derive(Debug)]
pub struct Dunst {
    server: Supervised,
    _dir: tempfile::TempDir,
}

impl Dunst {
    /// Starts dunst and waits until `dunstctl` reaches it.
    pub fn start(display: &str) -> Result<Dunst, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let server = Supervised::spawn(
            "dunst",
            Path::new("/usr/bin/dunst"),
            &[],
            &[("DISPLAY", display)],
            dir.path(),
            &dir.path().join("dunst.log"),
        )?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let up = std::process::Command::new("dunstctl")
                .arg("is-paused")
                .output()
                .is_ok_and(|o| o.status.success());
            if up {
                break;
            }
            if Instant::now() > deadline || !server.is_running() {
                return Err(format!("dunst did not start: {}", server.log_tail(2000)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Dunst { server, _dir: dir })
    }

    /// Closes what is on screen (so that it moves to the history), then returns
    /// `dunstctl history` (JSON) as text.
    pub fn history(&self) -> String {
        let _ = std::process::Command::new("dunstctl")
            .arg("close-all")
            .output();
        std::process::Command::new("dunstctl")
            .arg("history")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for Dunst {
    fn drop(&mut self) {
        self.server.stop();
    }
}

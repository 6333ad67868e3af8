//! Starting a server process that cannot outlive the test process.
//!
//! The servers live in `static`s, which Rust never drops, so a `Drop` impl alone
//! would leave them running after the test binary exits. Instead each server is
//! started by a tiny `sh` watchdog that polls the test process's PID and kills the
//! server (then deletes its temp dir) once the test process is gone, however it
//! ended — even by `SIGKILL`. No `unsafe` or `prctl` needed. The watchdog runs in its
//! own process group, so a Ctrl-C (or `timeout`) aimed at the test's process group
//! kills the test but not the watchdog, which then cleans up.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The watchdog. Arguments: parent PID, pid file, dir to delete once the parent is
/// gone, then the server command line. It writes the server's PID to the pid file,
/// waits while both the parent and the server live, then stops the server (TERM,
/// then KILL after 10 s). `dash` reaps finished background jobs, so `kill -0`
/// really fails once the server has exited.
const WATCHDOG: &str = r#"
trap '' HUP INT
parent=$1; pidfile=$2; cleanup=$3; shift 3
"$@" &
s=$!
echo "$s" > "$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
while kill -0 "$parent" 2>/dev/null && kill -0 "$s" 2>/dev/null; do sleep 0.5; done
kill "$s" 2>/dev/null
i=0
while kill -0 "$s" 2>/dev/null && [ "$i" -lt 40 ]; do sleep 0.25; i=$((i+1)); done
kill -9 "$s" 2>/dev/null
wait "$s" 2>/dev/null
if ! kill -0 "$parent" 2>/dev/null; then rm -rf "$cleanup"; fi
"#;

/// A server process started under the watchdog.
#[derive(Debug)]
pub(crate) struct Supervised {
    /// The `sh` watchdog; it exits shortly after the server does.
    watchdog: Mutex<Child>,
    /// The server's own PID.
    server_pid: u32,
    /// Where the server's stdout and stderr go.
    log_path: PathBuf,
    /// What was started, for messages.
    name: String,
}

impl Supervised {
    /// Starts `program args…` in `dir` under the watchdog, with `envs` added and
    /// output to `log_path`. `dir` is deleted by the watchdog if the test process dies
    /// first.
    pub(crate) fn spawn(
        name: &str,
        program: &Path,
        args: &[OsString],
        envs: &[(&str, &str)],
        dir: &Path,
        log_path: &Path,
    ) -> Result<Supervised, String> {
        let log = File::create(log_path)
            .map_err(|e| format!("cannot create log file {}: {e}", log_path.display()))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot clone log file handle: {e}"))?;
        let pidfile = dir.join(format!("{name}.pid"));
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("coffer-testkit-watchdog")
            .arg(std::process::id().to_string())
            .arg(&pidfile)
            .arg(dir)
            .arg(program)
            .args(args)
            .envs(envs.iter().copied())
            .current_dir(dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2));
        let mut watchdog = cmd
            .spawn()
            .map_err(|e| format!("cannot run `sh` to start {name}: {e}"))?;

        // The watchdog writes the pid file right after forking the server.
        let deadline = Instant::now() + Duration::from_secs(10);
        let server_pid = loop {
            if let Ok(text) = std::fs::read_to_string(&pidfile)
                && let Ok(pid) = text.trim().parse::<u32>()
            {
                break pid;
            }
            if let Ok(Some(status)) = watchdog.try_wait() {
                return Err(format!(
                    "{name} watchdog exited early ({status}); log:\n{}",
                    tail(log_path, 4000)
                ));
            }
            if Instant::now() >= deadline {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
                return Err(format!("{name}: watchdog never reported the server PID"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(Supervised {
            watchdog: Mutex::new(watchdog),
            server_pid,
            log_path: log_path.to_path_buf(),
            name: name.to_string(),
        })
    }

    /// The server's PID.
    pub(crate) fn pid(&self) -> u32 {
        self.server_pid
    }

    /// Whether the server still runs (the watchdog exits when the server does).
    pub(crate) fn is_running(&self) -> bool {
        let mut child = self
            .watchdog
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        matches!(child.try_wait(), Ok(None))
    }

    /// The last `max` bytes of the server's log, for failure messages.
    pub(crate) fn log_tail(&self, max: u64) -> String {
        format!(
            "--- last {max} bytes of {} log ({}) ---\n{}\n--- end of log ---",
            self.name,
            self.log_path.display(),
            tail(&self.log_path, max)
        )
    }

    /// Stops the server and waits for the watchdog to finish.
    pub(crate) fn stop(&self) {
        let _ = Command::new("kill")
            .arg(self.server_pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let mut child = self
            .watchdog
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The watchdog escalates to KILL after 10 s; give it a little longer.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = Command::new("kill")
                        .arg("-9")
                        .arg(self.server_pid.to_string())
                        .status();
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `max` bytes of a file, lossily decoded; a note if it cannot be read.
pub(crate) fn tail(path: &Path, max: u64) -> String {
    let Ok(mut f) = File::open(path) else {
        return format!("(cannot open {})", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Finds an executable: `env_var` if set, else `name` on `PATH`, else the extra
/// candidates in order.
pub(crate) fn locate_binary(env_var: &str, name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(extra.iter().cloned())
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

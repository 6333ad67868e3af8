//! restic's repository locks, so that `restic` and Coffer never write at once.
//!
//! A lock is an encrypted JSON object under `locks/` (restic's format: time, exclusive,
//! hostname, username, pid, uid, gid). A backup takes a shared lock; forget, prune and
//! key removal take an exclusive one. Shared locks exist side by side; an exclusive
//! lock excludes every other lock.
//!
//! **Stale locks.** A lock is stale when it was written more than [`STALE_AFTER`]
//! ago (30 minutes, restic's rule; a live holder rewrites its lock every
//! [`REFRESH_EVERY`]), or when it names this host and a process id that is not
//! running. A stale lock is removed before the new one is taken, except on an
//! append-only host, which never deletes another process's object; there a stale lock
//! is only ignored (it does not block a shared lock) and a conflicting fresh one is an
//! error. A host removes its own lock when it is done, in every mode.

use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use rustic_core::repofile::MasterKey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::backend::StoreBackend;
use crate::crypto::{crypto_error, decrypt_file as decrypt, encrypt};
use crate::error::{Error, Result};
use crate::open::{Repo, blocking};

/// A lock older than this is stale (restic's rule).
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 60);
/// How often a held lock is written again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);

/// A restic lock file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// When it was written (refreshed locks carry the refresh time).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Whether it excludes every other lock.
    pub exclusive: bool,
    /// The host of the process holding it.
    pub hostname: String,
    /// The user.
    #[serde(default)]
    pub username: String,
    /// The process id.
    pub pid: i64,
    /// The user id.
    #[serde(default)]
    pub uid: u32,
    /// The group id.
    #[serde(default)]
    pub gid: u32,
}

impl LockInfo {
    fn mine(exclusive: bool) -> Self {
        let (uid, gid) = ids();
        LockInfo {
            time: OffsetDateTime::now_utc(),
            exclusive,
            hostname: hostname(),
            username: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_default(),
            pid: i64::from(std::process::id()),
            uid,
            gid,
        }
    }

    /// Why this lock is stale, or `None` when it is live.
    pub fn stale_reason(&self, now: OffsetDateTime) -> Option<String> {
        let age = now - self.time;
        if age > STALE_AFTER {
            return Some(format!(
                "written {} min ago, more than {} min without a refresh",
                age.whole_minutes(),
                STALE_AFTER.as_secs() / 60
            ));
        }
        if self.hostname == hostname() && !pid_alive(self.pid) {
            return Some(format!(
                "held by process {} on this host, which is not running",
                self.pid
            ));
        }
        None
    }

    fn describe(&self) -> String {
        format!(
            "{} lock of {}@{} (pid {}) from {}",
            if self.exclusive { "an exclusive" } else { "a" },
            self.username,
            self.hostname,
            self.pid,
            self.time.format(&Rfc3339).unwrap_or_default()
        )
    }
}

/// This process's user and group ids (restic records them in its locks).
fn ids() -> (u32, u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata("/proc/self") {
            return (meta.uid(), meta.gid());
        }
    }
    (0, 0)
}

fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

fn pid_alive(pid: i64) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.is_dir() {
        // No way to tell here: only the age rule applies.
        return true;
    }
    pid > 0 && proc.join(pid.to_string()).exists()
}

/// A lock this process holds; refreshed in the background, removed on [`Self::release`]
/// or drop.
#[derive(Debug)]
pub struct RepoLock {
    inner: Option<Held>,
}

#[derive(Debug)]
struct Held {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl RepoLock {
    /// Removes the lock now (blocking; call from a blocking thread).
    pub fn release(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(held) = self.inner.take() {
            let _ = held.stop.send(());
            let _ = held.thread.join();
        }
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A lock found in the repository.
#[derive(Debug, Clone, Serialize)]
pub struct FoundLock {
    /// Its id (the object name under `locks/`).
    pub id: String,
    /// Its content, when it could be read.
    pub info: Option<LockInfo>,
    /// Why it is stale, when it is.
    pub stale: Option<String>,
}

impl Repo {
    /// Every lock in the repository.
    pub async fn locks(&self) -> Result<Vec<FoundLock>> {
        let repo = self.clone();
        blocking(move || list_locks(&repo.backend, &repo.inner.key())).await
    }

    /// Takes restic's lock on the repository (shared or exclusive) and holds it until
    /// the returned lock is released or dropped: for callers that run several
    /// operations, or an outside tool, under one lock.
    pub async fn lock(&self, exclusive: bool) -> Result<RepoLock> {
        let repo = self.clone();
        blocking(move || repo.lock_blocking(exclusive)).await
    }

    /// Takes a lock (shared for a backup, exclusive for forget/prune/key removal),
    /// removing stale locks first unless this host is append-only. Blocking: call from
    /// a blocking thread.
    pub(crate) fn lock_blocking(&self, exclusive: bool) -> Result<RepoLock> {
        let key = self.inner.key();
        let be = &self.backend;
        let conflicts = |ours: Option<&str>| -> Result<Option<String>> {
            for found in list_locks(be, &key)? {
                if Some(found.id.as_str()) == ours {
                    continue;
                }
                let Some(info) = &found.info else { continue };
                if found.stale.is_some() {
                    continue;
                }
                if exclusive || info.exclusive {
                    return Ok(Some(format!(
                        "the repository at {} is locked by {} (lock {}); wait for it to \
                         finish, or remove the lock once that process is gone",
                        be.location_ref(),
                        info.describe(),
                        &found.id[..found.id.len().min(8)]
                    )));
                }
            }
            Ok(None)
        };
        // Stale locks first.
        for found in list_locks(be, &key)? {
            if let Some(reason) = &found.stale {
                if self.options.append_only {
                    tracing::info!(lock = %found.id, reason, "stale lock left in place (append-only host)");
                } else {
                    tracing::info!(lock = %found.id, reason, "removing stale lock");
                    be.delete_keys(&[be.location_ref().key(&format!("locks/{}", found.id))])
                        .map_err(Error::from_rustic)?;
                }
            }
        }
        if let Some(message) = conflicts(None)? {
            return Err(Error::Locked(message));
        }
        let first = write_lock(be, &key, &LockInfo::mine(exclusive))?;
        // Another process may have locked at the same moment: look again.
        if let Some(message) = conflicts(Some(&first))? {
            let _ = be.delete_keys(&[be.location_ref().key(&format!("locks/{first}"))]);
            return Err(Error::Locked(message));
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let be = be.clone();
        let thread = std::thread::Builder::new()
            .name("coffer-backup-lock".into())
            .spawn(move || refresh_until_stopped(&be, &key, exclusive, first, &stopped))
            .map_err(|e| Error::io("lock refresher thread", e))?;
        Ok(RepoLock {
            inner: Some(Held { stop, thread }),
        })
    }
}

fn refresh_until_stopped(
    be: &StoreBackend,
    key: &MasterKey,
    exclusive: bool,
    mut current: String,
    stopped: &mpsc::Receiver<()>,
) {
    // Until released (a message) or the holder is gone (the sender dropped).
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(REFRESH_EVERY) {
        match write_lock(be, key, &LockInfo::mine(exclusive)) {
            Ok(new) => {
                let old = std::mem::replace(&mut current, new);
                if let Err(e) = be.delete_keys(&[be.location_ref().key(&format!("locks/{old}"))]) {
                    tracing::warn!(error = %e.display_log(), "could not remove the previous lock after a refresh");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not refresh the repository lock"),
        }
    }
    if let Err(e) = be.delete_keys(&[be.location_ref().key(&format!("locks/{current}"))]) {
        tracing::warn!(error = %e.display_log(), "could not remove the repository lock; it goes stale in 30 min");
    }
}

fn write_lock(be: &StoreBackend, key: &MasterKey, info: &LockInfo) -> Result<String> {
    let json = serde_json::to_vec(info).map_err(|e| crypto_error(&e.to_string()))?;
    let data = encrypt(key, &json)?;
    let id = hex::encode(sha2_256(&data));
    be.put_key(
        &be.location_ref().key(&format!("locks/{id}")),
        Bytes::from(data),
    )
    .map_err(Error::from_rustic)?;
    Ok(id)
}

fn sha2_256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

fn list_locks(be: &StoreBackend, key: &MasterKey) -> Result<Vec<FoundLock>> {
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for (object, _) in be.list_dir("locks/").map_err(Error::from_rustic)? {
        let id = object.rsplit('/').next().unwrap_or_default().to_string();
        let info = match be.get_key(&object) {
            Ok(data) => decrypt(key, &data)
                .ok()
                .and_then(|plain| serde_json::from_slice::<LockInfo>(&plain).ok()),
            // Removed between the listing and the read: its holder is done.
            Err(_) => continue,
        };
        let stale = info.as_ref().and_then(|i| i.stale_reason(now));
        out.push(FoundLock { id, info, stale });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_rules() {
        let now = OffsetDateTime::now_utc();
        let mut lock = LockInfo::mine(false);
        assert_eq!(lock.stale_reason(now), None, "our own live lock");
        lock.time = now - time::Duration::minutes(31);
        assert!(lock.stale_reason(now).expect("old").contains("min ago"));
        lock.time = now;
        lock.pid = i64::from(i32::MAX);
        assert!(
            lock.stale_reason(now)
                .expect("dead pid")
                .contains("not running")
        );
        lock.hostname = "elsewhere".into();
        assert_eq!(
            lock.stale_reason(now),
            None,
            "another host's pid is not checked"
        );
    }

    #[test]
    fn reads_restic_json() {
        let json = r#"{"time":"2026-11-30T10:00:00.123456789+01:00","exclusive":true,"hostname":"nas","username":"bob","pid":42,"uid":1000,"gid":1000}"#;
        let info: LockInfo = serde_json::from_str(json).expect("restic lock");
        assert!(info.exclusive);
        assert_eq!(info.pid, 42);
    }
}

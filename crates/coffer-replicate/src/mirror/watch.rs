//! Watch mode: a local source followed with `notify`; each change is mirrored
//! within a moment (events are gathered for 300 ms, then handled).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use coffer_core::meta::MetaDbExt;
use coffer_core::transfer::Tracker;
use notify::{RecursiveMode, Watcher};
use tokio_util::sync::CancellationToken;

use super::copy::{copy_entry, stamp, trash};
use super::pass::{record, run_pass};
use super::scan::{Entry, mtime_ms, relative_key};
use super::{Mirror, Recorded, STATE_TREE, Side, TRASH, state_key};
use crate::error::{ReplicateError, Result};

/// How long events are gathered before they are handled.
const SETTLE: Duration = Duration::from_millis(300);

/// Follows the mirror's local source until `cancel`: each file created, changed or
/// removed (with `delete`) is mirrored. A full pass runs first, and again when the
/// system's event queue overflowed. `on_pass` hears about every pass and change.
pub async fn watch(
    m: &Mirror,
    tracker: &Tracker,
    cancel: &CancellationToken,
    on_change: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let Side::Local(root) = &m.src else {
        return Err(ReplicateError::Invalid(
            "watch mode follows a local folder; a bucket source is mirrored by passes".into(),
        ));
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(move |ev| {
        let _ = tx.send(ev);
    })
    .map_err(|e| ReplicateError::Invalid(format!("cannot watch {}: {e}", root.display())))?;
    watcher
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| ReplicateError::Invalid(format!("cannot watch {}: {e}", root.display())))?;
    let report = run_pass(m, tracker, cancel).await?;
    on_change(&format!(
        "pass: {} copied, {} unchanged",
        report.copied, report.unchanged
    ));
    loop {
        let first = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            ev = rx.recv() => ev,
        };
        let Some(first) = first else {
            return Err(ReplicateError::Invalid("the folder watcher stopped".into()));
        };
        let mut events = vec![first];
        let settle = tokio::time::sleep(SETTLE);
        tokio::pin!(settle);
        loop {
            tokio::select! {
                () = &mut settle => break,
                ev = rx.recv() => match ev {
                    Some(ev) => events.push(ev),
                    None => break,
                },
            }
        }
        let mut paths = BTreeSet::new();
        let mut rescan = false;
        for ev in events {
            match ev {
                Ok(ev) if ev.need_rescan() => rescan = true,
                Ok(ev) => paths.extend(ev.paths),
                Err(e) => {
                    tracing::warn!(error = %e, "folder watch error; running a full pass");
                    rescan = true;
                }
            }
        }
        if rescan {
            let report = run_pass(m, tracker, cancel).await?;
            on_change(&format!(
                "pass: {} copied, {} unchanged",
                report.copied, report.unchanged
            ));
            continue;
        }
        for path in paths {
            if cancel.is_cancelled() {
                return Ok(());
            }
            match handle(m, root, &path, tracker).await {
                Ok(Some(what)) => on_change(&what),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "could not mirror a change");
                    on_change(&format!("failed: {}: {e}", path.display()));
                }
            }
        }
    }
}

/// Mirrors what happened at `path`; says what it did.
async fn handle(
    m: &Mirror,
    root: &std::path::Path,
    path: &std::path::Path,
    tracker: &Tracker,
) -> Result<Option<String>> {
    let Ok(rel) = relative_key(root, path) else {
        return Ok(None);
    };
    if rel.is_empty() || rel == TRASH || rel.starts_with(&format!("{TRASH}/")) {
        return Ok(None);
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => {
            let s = Entry {
                size: meta.len(),
                mtime_ms: mtime_ms(&meta),
                etag: None,
            };
            let rec: Option<Recorded> = m.db.get_json(STATE_TREE, &state_key(&m.name, &rel))?;
            if rec.is_some_and(|r| r.src_size == s.size && r.src_mtime_ms == s.mtime_ms) {
                return Ok(None);
            }
            let d = copy_entry(m, &rel, &s, tracker).await?;
            record(m, &rel, &s, None, &d)?;
            Ok(Some(format!("copied {rel}")))
        }
        Ok(meta) if meta.is_dir() => {
            // A folder moved in whole: mirror what it holds.
            let mut copied = 0;
            let files: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .collect();
            for file in files {
                if Box::pin(handle(m, root, &file, tracker)).await?.is_some() {
                    copied += 1;
                }
            }
            Ok((copied > 0).then(|| format!("copied {copied} file(s) under {rel}/")))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !m.delete {
                return Ok(None);
            }
            // A file, or a whole folder, is gone: trash what was mirrored of it.
            let mut gone: Vec<String> = Vec::new();
            if m.db
                .get(STATE_TREE, state_key(&m.name, &rel).as_bytes())?
                .is_some()
            {
                gone.push(rel.clone());
            }
            let under = state_key(&m.name, &format!("{rel}/"));
            let prefix = state_key(&m.name, "");
            for (k, _) in m.db.scan_prefix(STATE_TREE, under.as_bytes())? {
                if let Some(r) = String::from_utf8_lossy(&k).strip_prefix(&prefix) {
                    gone.push(r.to_string());
                }
            }
            let stamp = stamp();
            for r in &gone {
                match trash(m, r, &stamp, tracker).await {
                    Ok(()) => {}
                    Err(ReplicateError::Store(e)) if e.code() == "no_such_key" => {}
                    Err(ReplicateError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                m.db.delete(STATE_TREE, state_key(&m.name, r).as_bytes())?;
            }
            Ok((!gone.is_empty()).then(|| format!("moved {} to the trash", gone.join(", "))))
        }
        Err(e) => Err(ReplicateError::io(path, e)),
    }
}

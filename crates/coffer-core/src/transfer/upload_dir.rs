//! Upload a folder: every file below it, keys relative to it under a prefix, with a
//! bounded number of requests in flight.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::{StreamExt, stream};
use serde::Serialize;

use super::keys::join_key;
use super::upload::fingerprint;
use super::{Tracker, Transfers, batch_result};
use crate::error::{Error, Result};
use crate::store::{ObjectRef, PutOptions};

/// What a folder upload or a prefix download did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    /// Files or objects transferred.
    pub items: u64,
    /// Bytes transferred.
    pub bytes: u64,
}

fn walk(dir: &Path) -> impl Iterator<Item = Result<(PathBuf, PathBuf)>> + '_ {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_map(move |entry| match entry {
            Ok(entry) if entry.file_type().is_dir() => None,
            Ok(entry) => {
                let relative = entry.path().strip_prefix(dir).ok()?.to_path_buf();
                Some(Ok((entry.into_path(), relative)))
            }
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let io = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("a symlink loop"));
                Some(Err(Error::io("cannot read", path, io)))
            }
        })
}

impl Transfers {
    /// Uploads every file under `dir` to `bucket`, at `prefix` + the path relative to
    /// `dir`. Files that fail are reported together at the end; the others are stored.
    pub async fn upload_dir(
        &self,
        dir: &Path,
        bucket: &str,
        prefix: &str,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<BatchReport> {
        let meta = std::fs::metadata(dir).map_err(|e| Error::io("cannot read", dir, e))?;
        if !meta.is_dir() {
            return Err(Error::io(
                "cannot upload",
                dir,
                std::io::Error::other("--recursive needs a folder"),
            ));
        }
        // First pass: sizes only, so that progress has a total and an ETA.
        for (path, _) in walk(dir).flatten() {
            if let Ok(fp) = fingerprint(&path) {
                tracker.add_total(fp.size, 1);
            }
        }
        let errors = Mutex::new(Vec::new());
        let report = Mutex::new(BatchReport::default());
        let total = Mutex::new(0usize);
        // Up to SMALL_IN_FLIGHT small files at once; larger ones start `concurrency`
        // at a time (their parts then share the request permits).
        let gate = self.batch_gate();
        stream::iter(walk(dir))
            .for_each_concurrent(self.batch_width(), |entry| {
                let (errors, report, total, gate) = (&errors, &report, &total, &gate);
                async move {
                    *total.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                    if self.cancel.is_cancelled() {
                        return;
                    }
                    let outcome = async {
                        let (path, relative) = entry?;
                        let key = join_key(prefix, &relative)?;
                        let fp = fingerprint(&path)?;
                        let _turn = gate.turn(fp.size).await?;
                        let target = ObjectRef::new(bucket, key);
                        self.send_file(&path, fp, &target, options, tracker).await
                    }
                    .await;
                    match outcome {
                        Ok(done) => {
                            let mut report = report.lock().unwrap_or_else(|p| p.into_inner());
                            report.items += 1;
                            report.bytes += done.size;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "upload failed");
                            errors.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                        }
                    }
                }
            })
            .await;
        self.check_cancelled()?;
        let total = total.into_inner().unwrap_or_else(|p| p.into_inner());
        batch_result(
            total,
            errors.into_inner().unwrap_or_else(|p| p.into_inner()),
        )?;
        Ok(report.into_inner().unwrap_or_else(|p| p.into_inner()))
    }
}

//! Running one job: wait for a slot, transfer, record how it ended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_core::store::{ObjectRef, PutOptions};
use coffer_core::transfer::{Progress, Tracker};

use super::{Job, JobKind, JobProgress, JobState, Stop, announce, update};
use crate::error::ErrorBody;
use crate::state::ApiState;

/// Starts the job's task; it waits for a free slot, then runs if still queued.
pub(super) fn spawn(state: &ApiState, id: &str) {
    let (state, id) = (state.clone(), id.to_string());
    tokio::spawn(async move {
        let slots = state.jobs().slots.clone();
        let Ok(_slot) = slots.acquire_owned().await else {
            return;
        };
        run(&state, &id).await;
    });
}

async fn run(state: &ApiState, id: &str) {
    if state.shutting_down() {
        return;
    }
    let token = state.shutdown_child();
    let job = {
        let mut entries = state.jobs().lock();
        let Some(entry) = entries.get_mut(id) else {
            return;
        };
        // Paused, cancelled or forgotten while it waited.
        if entry.job.state != JobState::Queued {
            return;
        }
        entry.job.state = JobState::Running;
        entry.job.error = None;
        entry.cancel = Some(token.clone());
        entry.stop = None;
        entry.job.clone()
    };
    announce(state, &job, true);

    let sink = {
        let (state, id) = (state.clone(), id.to_string());
        Arc::new(move |p: &Progress| {
            let job = {
                let mut entries = state.jobs().lock();
                let Some(entry) = entries.get_mut(&id) else {
                    return;
                };
                entry.job.progress = Some(JobProgress::from(p));
                entry.job.clone()
            };
            announce(&state, &job, false);
        })
    };
    let operation = match job.kind {
        JobKind::Upload => "upload",
        JobKind::Download => "download",
    };
    let tracker = Tracker::new(operation, Some(sink));
    let result = transfer(state, &job, token, &tracker).await;
    let last = JobProgress::from(&tracker.finish());
    let shutting_down = state.shutting_down();

    let ended = update(state, id, |entry| {
        entry.cancel = None;
        entry.job.progress = Some(last);
        entry.job.state = match (&result, entry.stop.take()) {
            (Ok(()), _) => JobState::Done,
            (Err(_), Some(Stop::Pause)) => JobState::Paused,
            (Err(_), Some(Stop::Cancel)) => JobState::Canceled,
            // Stopped by shutdown: queued again at the next start.
            (Err(_), None) if shutting_down => JobState::Queued,
            (Err(e), None) => {
                entry.job.error = Some(e.clone());
                JobState::Failed
            }
        };
    });
    if let Some(job) = ended
        && job.state == JobState::Canceled
        && job.kind == JobKind::Upload
    {
        forget_upload(state, &job).await;
    }
}

/// The transfer itself.
async fn transfer(
    state: &ApiState,
    job: &Job,
    token: tokio_util::sync::CancellationToken,
    tracker: &Tracker,
) -> Result<(), ErrorBody> {
    let transfers = state
        .transfers(&job.profile)
        .map_err(|e| e.body())?
        .with_cancel(token);
    let core = |e: coffer_core::Error| ErrorBody {
        code: e.code().to_string(),
        message: e.to_string(),
    };
    let options = PutOptions::default();
    match job.kind {
        // `upload_dir` puts the files under `key` as a folder (a `/` is added).
        JobKind::Upload if job.path.is_dir() => transfers
            .upload_dir(&job.path, &job.bucket, &job.key, &options, tracker)
            .await
            .map(drop)
            .map_err(core),
        JobKind::Upload => {
            let target = ObjectRef::new(&job.bucket, &job.key);
            let options = PutOptions {
                content_type: coffer_core::transfer::guess_content_type(&job.path),
                ..options
            };
            transfers
                .upload_file(&job.path, &target, &options, tracker)
                .await
                .map(drop)
                .map_err(core)
        }
        JobKind::Download if job.key.ends_with('/') => {
            let dest = job.path.join(local_name(&job.key));
            transfers
                .download_prefix(&job.bucket, &job.key, &dest, tracker)
                .await
                .map(drop)
                .map_err(core)
        }
        JobKind::Download => {
            let dest = job.path.join(local_name(&job.key));
            let source = ObjectRef::new(&job.bucket, &job.key);
            transfers
                .download_object(&source, &dest, tracker)
                .await
                .map(drop)
                .map_err(core)
        }
    }
}

/// The local name of an object or prefix: its last segment, made safe for a file
/// name (`..`, `.` and empty segments become `_`).
pub(super) fn local_name(key: &str) -> PathBuf {
    let last = key
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let safe: String = last
        .chars()
        .map(|c| if c == '\\' || c == '\0' { '_' } else { c })
        .collect();
    match safe.as_str() {
        "" | "." | ".." => PathBuf::from("_"),
        _ => Path::new(&safe).to_path_buf(),
    }
}

/// A cancelled upload: abort its multipart upload(s) and drop the resume records,
/// so nothing is left behind on the server.
async fn forget_upload(state: &ApiState, job: &Job) {
    let Ok(transfers) = state.transfers(&job.profile) else {
        return;
    };
    match transfers.abandon_uploads(&job.bucket, &job.path).await {
        Ok(n) => tracing::debug!(job = %job.id, uploads = n, "cancelled upload cleaned up"),
        Err(e) => tracing::warn!(job = %job.id, "cannot clean up a cancelled upload: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_are_the_last_segment_and_safe() {
        assert_eq!(local_name("a/b/c.txt"), PathBuf::from("c.txt"));
        assert_eq!(local_name("a/photos/"), PathBuf::from("photos"));
        assert_eq!(local_name("a/../"), PathBuf::from("_"));
        assert_eq!(local_name("a//"), PathBuf::from("a"));
        assert_eq!(local_name("x\\y"), PathBuf::from("x_y"));
        assert_eq!(
            local_name("été 100% + plus"),
            PathBuf::from("été 100% + plus")
        );
    }
}

//! Uploads and downloads as job kinds: a local file or folder to an object or prefix,
//! and an object or prefix to a local folder.
//!
//! Both can pause: an upload keeps its multipart upload and resume record (the core's),
//! so the next run sends only the parts that are missing; a download of a prefix skips
//! what it already wrote. They share the `transfer` lane, three at a time. A cancelled
//! upload's multipart uploads are aborted so nothing is left on the server.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::store::{ObjectRef, PutOptions};
use coffer_core::transfer::{Destination, last_segment};
use serde::{Deserialize, Serialize};

use crate::error::{JobError, JobsError};
use crate::kind::{AfterRestart, Kind, Lane, PrepareEnv, Prepared, RunContext, parse_params};
use crate::model::NotifyPolicy;
use crate::stores::Stores;

/// How many transfers run at the same time; the others wait, queued.
pub const TRANSFERS_AT_ONCE: usize = 3;

/// The params of an upload or a download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferParams {
    /// The profile.
    pub profile: String,
    /// The bucket.
    pub bucket: String,
    /// Upload: the target key (a folder's prefix; a `/` is added), or a prefix a file
    /// goes under. Download: the object, or a prefix ending in `/` for a whole folder.
    /// What each means is the core's (`coffer_core::transfer::request`).
    pub key: String,
    /// Upload: the local file or folder. Download: the local folder the object (or
    /// folder) is saved into, under its own name.
    pub path: PathBuf,
    /// Download only: this version of the object (bucket versioning) instead of the
    /// current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Upload only: skip the bucket's upload header rules.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_rules: bool,
}

/// "upload of photos", "download of report.pdf".
pub fn display_name(kind: &str, bucket: &str, key: &str) -> String {
    let name = match last_segment(key) {
        "" => bucket,
        name => name,
    };
    format!("{kind} of {name}")
}

fn prepare(
    kind: &'static str,
    params: serde_json::Value,
    env: &PrepareEnv<'_>,
    stores: &dyn Stores,
) -> Result<(TransferParams, String), JobsError> {
    let mut p: TransferParams = parse_params(params)?;
    let object = ObjectRef::checked(p.bucket.clone(), p.key.clone())
        .map_err(|e| JobsError::invalid("params.key", e.to_string()))?;
    // The profile must exist and open now, so that a bad one fails here.
    stores.store(&p.profile)?;
    p.path = env.local_path(&p.path)?;
    let name = display_name(kind, &object.bucket, &object.key);
    Ok((p, name))
}

fn core(e: coffer_core::Error) -> JobError {
    JobError::from(e)
}

fn prepared(p: TransferParams, name: String) -> Result<Prepared, JobsError> {
    Ok(Prepared {
        params: serde_json::to_value(p).map_err(|e| JobsError::invalid("params", e.to_string()))?,
        name,
    })
}

/// The params of a run and a transfer engine for them, stopped with the run.
fn start(ctx: &RunContext) -> Result<(TransferParams, coffer_core::transfer::Transfers), JobError> {
    let p: TransferParams = ctx.params()?;
    let transfers = ctx
        .stores
        .transfers(&p.profile)
        .map_err(core)?
        .with_cancel(ctx.cancel.clone());
    Ok((p, transfers))
}

/// A local file or folder to an object or prefix.
#[derive(Debug, Default, Clone, Copy)]
pub struct Upload;

#[async_trait::async_trait]
impl Kind for Upload {
    fn name(&self) -> &'static str {
        "upload"
    }

    fn prepare(
        &self,
        params: serde_json::Value,
        env: &PrepareEnv<'_>,
        stores: &dyn Stores,
    ) -> Result<Prepared, JobsError> {
        let (p, name) = prepare(self.name(), params, env, stores)?;
        if p.version_id.is_some() {
            return Err(JobsError::invalid(
                "params.version_id",
                "only a download takes a version id",
            ));
        }
        if !p.path.exists() {
            return Err(JobsError::invalid(
                "params.path",
                format!("`{}` does not exist", p.path.display()),
            ));
        }
        prepared(p, name)
    }

    fn can_pause(&self) -> bool {
        true
    }

    fn lane(&self) -> Lane {
        Lane {
            name: "transfer",
            at_once: TRANSFERS_AT_ONCE,
        }
    }

    fn after_restart(&self) -> AfterRestart {
        AfterRestart::Resume
    }

    fn notify_default(&self) -> NotifyPolicy {
        // The desktop tells of a batch of transfers as a whole.
        NotifyPolicy {
            on_failure: false,
            on_success: false,
        }
    }

    async fn run(&self, ctx: RunContext) -> Result<(), JobError> {
        let (p, transfers) = start(&ctx)?;
        let transfers = if p.no_rules {
            transfers.without_rules()
        } else {
            transfers
        };
        let tracker = ctx.tracker("upload");
        let result = transfers
            .upload_path(&p.path, &p.bucket, &p.key, &PutOptions::default(), &tracker)
            .await
            .map(drop);
        tracker.finish();
        result.map_err(core)
    }

    async fn cancelled(&self, params: &serde_json::Value, stores: &Arc<dyn Stores>) {
        let Ok(p) = serde_json::from_value::<TransferParams>(params.clone()) else {
            return;
        };
        let Ok(transfers) = stores.transfers(&p.profile) else {
            return;
        };
        match transfers.abandon_uploads(&p.bucket, &p.path).await {
            Ok(n) => tracing::debug!(uploads = n, "cancelled upload cleaned up"),
            Err(e) => tracing::warn!("cannot clean up a cancelled upload: {e}"),
        }
    }
}

/// An object or prefix to a local folder.
#[derive(Debug, Default, Clone, Copy)]
pub struct Download;

#[async_trait::async_trait]
impl Kind for Download {
    fn name(&self) -> &'static str {
        "download"
    }

    fn prepare(
        &self,
        params: serde_json::Value,
        env: &PrepareEnv<'_>,
        stores: &dyn Stores,
    ) -> Result<Prepared, JobsError> {
        let (p, name) = prepare(self.name(), params, env, stores)?;
        if p.path.exists() && !p.path.is_dir() {
            return Err(JobsError::invalid(
                "params.path",
                format!("`{}` is not a folder", p.path.display()),
            ));
        }
        prepared(p, name)
    }

    fn can_pause(&self) -> bool {
        true
    }

    fn lane(&self) -> Lane {
        Upload.lane()
    }

    fn after_restart(&self) -> AfterRestart {
        AfterRestart::Resume
    }

    fn notify_default(&self) -> NotifyPolicy {
        Upload.notify_default()
    }

    async fn run(&self, ctx: RunContext) -> Result<(), JobError> {
        let (p, transfers) = start(&ctx)?;
        let tracker = ctx.tracker("download");
        let into = Destination::Into(&p.path);
        let result = match &p.version_id {
            None => transfers
                .download_path(&p.bucket, &p.key, into, &tracker)
                .await
                .map(drop),
            Some(version) => transfers
                .download_version_path(&p.bucket, &p.key, version, into, &tracker)
                .await
                .map(drop),
        };
        tracker.finish();
        result.map_err(core)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(display_name("upload", "b", "a/photos/"), "upload of photos");
        assert_eq!(display_name("download", "bkt", ""), "download of bkt");
    }
}

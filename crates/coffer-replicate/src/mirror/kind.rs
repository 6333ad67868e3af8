//! Mirrors as a job kind: a pass per run (on the job's schedule, or `mirror run`),
//! or, in watch mode, a first pass and then every change for as long as the job is
//! enabled.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::meta::MetaDb;
use coffer_core::uri::{Location, ProfiledLocation};
use coffer_jobs::{
    AfterRestart, JobError, JobsError, Kind, Lane, PrepareEnv, Prepared, RunContext, Stores,
};
use serde::{Deserialize, Serialize};

use super::{Mirror, Side, run_pass, watch};

/// The params of a mirror job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorParams {
    /// Its name (unique among mirrors).
    pub name: String,
    /// An absolute folder path, or `PROFILE:s3://BUCKET/PREFIX`.
    pub src: String,
    /// An absolute folder path, or `PROFILE:s3://BUCKET/PREFIX`.
    pub dst: String,
    /// Move extras at the destination to the trash, then delete them.
    #[serde(default)]
    pub delete: bool,
    /// Follow a local source and mirror each change.
    #[serde(default)]
    pub watch: bool,
    /// Detect changes by checksum.
    #[serde(default)]
    pub checksum: bool,
}

fn side(value: &str, stores: &dyn Stores) -> Result<Side, JobError> {
    let loc = ProfiledLocation::parse(value).map_err(JobError::from)?;
    match loc.location {
        Location::Local(path) => Ok(Side::Local(path)),
        Location::S3(url) => {
            let profile = loc
                .profile
                .ok_or_else(|| JobError::new("invalid", format!("`{value}` names no profile")))?;
            let transfers = stores.transfers(&profile)?;
            Ok(Side::bucket(profile, transfers, url.bucket, &url.key))
        }
    }
}

impl MirrorParams {
    /// The mirror these params describe, its state kept in `db`.
    pub fn mirror(&self, stores: &dyn Stores, db: Arc<dyn MetaDb>) -> Result<Mirror, JobError> {
        Ok(Mirror {
            name: self.name.clone(),
            src: side(&self.src, stores)?,
            dst: side(&self.dst, stores)?,
            delete: self.delete,
            checksum: self.checksum,
            db,
        })
    }
}

/// The mirror kind.
#[derive(Debug, Clone)]
pub struct MirrorKind {
    db: Arc<dyn MetaDb>,
}

impl MirrorKind {
    /// The kind, keeping what each pass copied in `db`.
    pub fn new(db: Arc<dyn MetaDb>) -> Self {
        MirrorKind { db }
    }
}

fn normalize(
    value: &str,
    field: &str,
    env: &PrepareEnv<'_>,
    stores: &dyn Stores,
) -> Result<(String, bool), JobsError> {
    let loc =
        ProfiledLocation::parse(value).map_err(|e| JobsError::invalid(field, e.to_string()))?;
    match loc.location {
        Location::Local(path) => {
            let path: PathBuf = env.local_path(&path)?;
            if !path.is_dir() {
                return Err(JobsError::invalid(
                    field,
                    format!("{} is not a folder", path.display()),
                ));
            }
            Ok((path.display().to_string(), true))
        }
        Location::S3(url) => {
            let profile = loc.profile.unwrap_or_else(|| "local".into());
            stores.store(&profile)?;
            Ok((format!("{profile}:{url}"), false))
        }
    }
}

#[async_trait::async_trait]
impl Kind for MirrorKind {
    fn name(&self) -> &'static str {
        "mirror"
    }

    fn prepare(
        &self,
        params: serde_json::Value,
        env: &PrepareEnv<'_>,
        stores: &dyn Stores,
    ) -> Result<Prepared, JobsError> {
        let mut p: MirrorParams = coffer_jobs::kind::parse_params(params)?;
        if p.name.trim().is_empty() || p.name.contains('\0') {
            return Err(JobsError::invalid("params.name", "give the mirror a name"));
        }
        let (src, src_local) = normalize(&p.src, "params.src", env, stores)?;
        let (dst, dst_local) = normalize(&p.dst, "params.dst", env, stores)?;
        if src_local && dst_local {
            return Err(JobsError::invalid(
                "params.dst",
                "a mirror goes between a folder and a bucket, or two buckets",
            ));
        }
        if p.watch && !src_local {
            return Err(JobsError::invalid(
                "params.watch",
                "watch mode follows a local folder",
            ));
        }
        p.src = src;
        p.dst = dst;
        let name = format!("mirror {}", p.name);
        let params =
            serde_json::to_value(&p).map_err(|e| JobsError::invalid("params", e.to_string()))?;
        Ok(Prepared { params, name })
    }

    fn can_pause(&self) -> bool {
        true
    }

    fn continuous(&self) -> bool {
        true
    }

    fn lane(&self) -> Lane {
        Lane {
            name: "mirror",
            at_once: 16,
        }
    }

    fn after_restart(&self) -> AfterRestart {
        AfterRestart::Resume
    }

    async fn run(&self, ctx: RunContext) -> Result<(), JobError> {
        let p: MirrorParams = ctx.params()?;
        let mirror = p.mirror(ctx.stores.as_ref(), self.db.clone())?;
        let tracker = ctx.tracker("mirror");
        if p.watch {
            let changes = std::sync::Mutex::new(Vec::<String>::new());
            let on_change = |what: &str| {
                if let Ok(mut c) = changes.lock() {
                    c.push(what.to_string());
                    let start = c.len().saturating_sub(20);
                    ctx.set_details(
                        serde_json::json!({ "watching": true, "latest": c[start..].to_vec() }),
                    );
                }
            };
            watch(&mirror, &tracker, &ctx.cancel, &on_change).await?;
            return Err(JobError::new("stopped", "the mirror stopped watching"));
        }
        let report = run_pass(&mirror, &tracker, &ctx.cancel).await?;
        ctx.set_details(serde_json::to_value(&report).unwrap_or_default());
        if let Some((rel, why)) = report.failed.first() {
            return Err(JobError::new(
                "partial",
                format!(
                    "{} of {} entries failed (first: {rel}: {why})",
                    report.failed.len(),
                    report.failed.len() as u64 + report.copied
                ),
            ));
        }
        Ok(())
    }
}

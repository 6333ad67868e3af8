//! Checking a repository: its structure (index, packs, snapshots and trees), and on
//! request the data of all packs or a subset (`--read-data-subset 10%`, `1/5`, a
//! size). Every finding is in words; a finding about a pack names the snapshots (and
//! the first files) whose data is in it.

use std::collections::{BTreeMap, BTreeSet};

use rustic_core::repofile::SnapshotFile;
use rustic_core::{CheckOptions, LsOptions, ReadSubsetOption};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::open::{Repo, blocking};

/// What to check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckRequest {
    /// Also read pack data: `None` for the structure only; `all`, `10%`, `1/5` or a
    /// size such as `500MiB`.
    pub read_data_subset: Option<String>,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `error` (the repository is damaged) or `warning` (odd, but data is intact).
    pub level: &'static str,
    /// What is wrong, in words.
    pub message: String,
    /// The pack concerned, when there is one (full id).
    pub pack: Option<String>,
    /// Snapshots with data in that pack (full ids).
    pub snapshots: Vec<String>,
    /// The first files affected, as `SNAPSHOT:PATH`.
    pub files: Vec<String>,
}

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    /// No errors (warnings may remain).
    pub ok: bool,
    /// Everything found.
    pub findings: Vec<Finding>,
    /// Whether pack data was read, and which part.
    pub read_data: Option<String>,
}

/// How many affected files a finding names.
const SHOWN_FILES: usize = 10;

/// The full hex ids a finding's debug form names (`id: …`).
fn ids_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 64 <= bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run == 64 && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            out.push(text[i..i + 64].to_string());
            i += 64;
        } else {
            i += run.max(1);
        }
    }
    out
}

impl Repo {
    /// Checks the repository.
    pub async fn check(&self, request: CheckRequest) -> Result<CheckOutcome> {
        let mut opts = CheckOptions::default();
        if let Some(subset) = &request.read_data_subset {
            opts.read_data = true;
            opts.read_data_subset = subset.parse::<ReadSubsetOption>().map_err(|e| {
                Error::invalid(
                    "read-data-subset",
                    format!(
                        "`{subset}`: {}; use all, a percentage (10%), n/m or a size",
                        e.display_log()
                    ),
                )
            })?;
        }
        let repo = self.clone();
        let read = request.read_data_subset.clone();
        blocking(move || {
            let lock = repo.lock_blocking(false)?;
            let results = repo.inner.check(opts).map_err(Error::from_rustic)?;
            let mut findings = Vec::new();
            for (level, err) in &results.0 {
                let level = if format!("{level:?}") == "Error" {
                    "error"
                } else {
                    "warning"
                };
                let debug = format!("{err:?}");
                let pack = if debug.contains("Pack") || err.to_string().starts_with("pack") {
                    ids_in(&debug).into_iter().next()
                } else {
                    None
                };
                let mut message = err.to_string();
                if let Some(pack) = &pack {
                    message = message.replacen(&pack[..8], pack, 1);
                }
                findings.push(Finding {
                    level,
                    message,
                    pack,
                    snapshots: Vec::new(),
                    files: Vec::new(),
                });
            }
            if findings.iter().any(|f| f.pack.is_some()) {
                repo.affected(&mut findings)?;
            }
            lock.release();
            Ok(CheckOutcome {
                ok: !findings.iter().any(|f| f.level == "error"),
                findings,
                read_data: read,
            })
        })
        .await
    }

    /// Fills in the snapshots and files whose blobs live in each finding's pack.
    fn affected(&self, findings: &mut [Finding]) -> Result<()> {
        let bad: BTreeSet<String> = findings.iter().filter_map(|f| f.pack.clone()).collect();
        let repo = match self.indexed_full() {
            Ok(repo) => repo,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the index to name affected snapshots");
                return Ok(());
            }
        };
        let snaps: Vec<SnapshotFile> =
            self.inner.get_all_snapshots().map_err(Error::from_rustic)?;
        let mut hits: BTreeMap<String, (BTreeSet<String>, Vec<String>)> = BTreeMap::new();
        let mut opts = LsOptions::default();
        opts.recursive = true;
        for snap in &snaps {
            let sid = snap.id.to_hex().to_string();
            let Ok(root) = repo.node_from_snapshot_and_path(snap, "") else {
                continue;
            };
            let Ok(entries) = repo.ls(&root, &opts) else {
                continue;
            };
            for item in entries {
                let Ok((path, node)) = item else { continue };
                let mut packs = Vec::new();
                for blob in node.content.iter().flatten() {
                    if let Ok(entry) = repo.get_index_entry(blob) {
                        packs.push(entry.pack.to_hex().to_string());
                    }
                }
                if let Some(tree) = &node.subtree
                    && let Ok(entry) = repo.get_index_entry(tree)
                {
                    packs.push(entry.pack.to_hex().to_string());
                }
                for pack in packs.into_iter().filter(|p| bad.contains(p)) {
                    let hit = hits.entry(pack).or_default();
                    hit.0.insert(sid.clone());
                    if hit.1.len() < SHOWN_FILES {
                        hit.1.push(format!("{}:/{}", &sid[..8], path.display()));
                    }
                }
            }
        }
        for finding in findings.iter_mut() {
            let Some(pack) = &finding.pack else { continue };
            if let Some((snapshots, files)) = hits.get(pack) {
                finding.snapshots = snapshots.iter().cloned().collect();
                finding.files = files.clone();
                let shorts: Vec<_> = snapshots.iter().map(|s| &s[..8]).collect();
                finding.message.push_str(&format!(
                    "; snapshots affected: {} (first file: {})",
                    shorts.join(", "),
                    files.first().map_or("", String::as_str)
                ));
            } else {
                finding
                    .message
                    .push_str("; no snapshot uses data in this pack");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ids_in;

    #[test]
    fn finds_full_ids() {
        let a = "a".repeat(64);
        let text = format!(
            "PackHashMismatch {{ id: PackId({a}), comp_id: PackId({}) }}",
            "b".repeat(64)
        );
        assert_eq!(ids_in(&text), vec![a, "b".repeat(64)]);
        assert!(ids_in("short abc123").is_empty());
    }
}

//! Where a command's own writes go to keep the bucket index current
//! (`coffer_index::ChangeSink`): to the agent that owns the data dir, over its socket,
//! when one runs; else to the index in the data dir, opened at the first write to a
//! bucket (commands that only read never open it).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use async_trait::async_trait;
use coffer_core::agent::Client;
use coffer_core::{Error, Result};
use coffer_index::{Change, ChangeSink, Entry, Index};

use crate::agent_api::profile_path;

/// The agent's index, through its API.
#[derive(Debug)]
pub struct AgentSink {
    client: Client,
    /// The agent's indexed buckets, as `(profile, bucket)`, asked once.
    indexed: tokio::sync::OnceCell<HashSet<(String, String)>>,
}

impl AgentSink {
    /// Changes go to the agent behind `client`.
    pub fn new(client: Client) -> Self {
        AgentSink {
            client,
            indexed: tokio::sync::OnceCell::new(),
        }
    }
}

fn bucket_path(profile: &str, bucket: &str) -> String {
    format!(
        "{}/buckets/{}/index/changes",
        profile_path(profile),
        percent_encoding::utf8_percent_encode(bucket, percent_encoding::NON_ALPHANUMERIC)
    )
}

#[async_trait]
impl ChangeSink for AgentSink {
    async fn is_indexed(&self, profile: &str, bucket: &str) -> bool {
        let indexed = self
            .indexed
            .get_or_init(|| async {
                let answer = self
                    .client
                    .request(http::Method::GET, "/api/v1/index", None)
                    .await;
                let Ok((200, bytes)) = answer else {
                    return HashSet::new();
                };
                let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                value["indexes"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .filter_map(|i| {
                                Some((
                                    i["profile"].as_str()?.to_string(),
                                    i["bucket"].as_str()?.to_string(),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .await;
        indexed.contains(&(profile.to_string(), bucket.to_string()))
    }

    async fn apply(&self, profile: &str, bucket: &str, changes: Vec<Change>) -> Result<()> {
        let body = serde_json::to_vec(&serde_json::json!({ "changes": changes }))
            .map_err(|e| Error::invalid("index changes", e.to_string()))?;
        let (status, _) = self
            .client
            .request(
                http::Method::POST,
                &bucket_path(profile, bucket),
                Some(body),
            )
            .await?;
        if status != 204 {
            tracing::debug!(status, "the agent did not take the index changes");
        }
        Ok(())
    }

    async fn entry(&self, _profile: &str, _bucket: &str, _key: &str) -> Option<Entry> {
        // One request per copied object would cost as much as the HEAD the store
        // wrapper falls back to.
        None
    }
}

/// The data dir's own index, opened at the first write to a bucket.
#[derive(Debug)]
pub struct LocalSink {
    dir: PathBuf,
    index: OnceLock<Option<Index>>,
}

impl LocalSink {
    /// The index in `dir` (`DATA_DIR/index`).
    pub fn new(dir: PathBuf) -> Self {
        LocalSink {
            dir,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> Option<&Index> {
        self.index
            .get_or_init(|| {
                if !self.dir.exists() {
                    return None;
                }
                Index::open(&self.dir)
                    .map_err(|e| tracing::warn!(error = %e, "the bucket index is not kept current"))
                    .ok()
            })
            .as_ref()
    }
}

#[async_trait]
impl ChangeSink for LocalSink {
    async fn is_indexed(&self, profile: &str, bucket: &str) -> bool {
        self.index().is_some_and(|i| i.is_indexed(profile, bucket))
    }

    async fn apply(&self, profile: &str, bucket: &str, changes: Vec<Change>) -> Result<()> {
        match self.index() {
            Some(index) => index.apply(profile, bucket, changes),
            None => Ok(()),
        }
    }

    async fn entry(&self, profile: &str, bucket: &str, key: &str) -> Option<Entry> {
        self.index()?.entry(profile, bucket, key)
    }
}

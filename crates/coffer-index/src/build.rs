//! Building a bucket's index, or refreshing it whole: list the bucket into a new
//! generation (the root folder first, then each first-level prefix in parallel),
//! apply the writes Coffer made meanwhile, and swap it in.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use coffer_core::store::{ListRequest, Store};
use coffer_core::{Error, Result};
use futures::{StreamExt, TryStreamExt};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::entry::Entry;
use crate::index::{Index, IndexInfo, IndexState, Live, Meta, apply_to, meta_key, tree_name};

/// First-level prefixes listed at once.
const PARALLEL: usize = 8;

/// Why a listing stopped early.
enum Stop {
    /// Past the automatic limit.
    TooBig(u64),
    /// The error.
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Failed(e)
    }
}

/// Running totals of a listing into one tree.
struct Sink {
    tree: sled::Tree,
    progress: Arc<AtomicU64>,
    bytes: AtomicU64,
    limit: Option<u64>,
    cancel: CancellationToken,
}

impl Sink {
    /// Writes one page of objects.
    fn page(
        &self,
        index: &Index,
        objects: &[coffer_core::store::ObjectSummary],
    ) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop::Failed(Error::Cancelled(
                "the index build was stopped".into(),
            )));
        }
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = objects
            .iter()
            .map(|o| (o.key.as_bytes().to_vec(), Entry::of(o).encode()))
            .collect();
        // S3 lists in key order; a server that does not is put in order here.
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
        }
        crate::blocks::write_sorted(&self.tree, &entries).map_err(|e| index.err(e))?;
        let bytes: u64 = objects.iter().map(|o| o.size).sum();
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let listed = self
            .progress
            .fetch_add(objects.len() as u64, Ordering::Relaxed)
            + objects.len() as u64;
        match self.limit {
            Some(limit) if listed > limit => Err(Stop::TooBig(limit)),
            _ => Ok(()),
        }
    }
}

impl Index {
    /// Lists the whole bucket into a new generation and swaps it in. Without `limit`
    /// nothing stops it; with one, a bucket of more objects ends as
    /// [`IndexState::TooBig`] (the user is asked). A build already running for the
    /// bucket is not started twice: its state is returned.
    pub async fn build(
        &self,
        store: Arc<dyn Store>,
        profile: &str,
        bucket: &str,
        limit: Option<u64>,
    ) -> Result<IndexInfo> {
        let key = meta_key(profile, bucket);
        let started = OffsetDateTime::now_utc();
        let (generation, sink) = {
            let _guard = self
                .inner
                .meta_lock
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
            if live.contains_key(&key) {
                drop(live);
                drop(_guard);
                return self.info(profile, bucket)?.ok_or_else(|| self.err("lost"));
            }
            let mut meta = self.get_meta(&key)?.unwrap_or(Meta {
                generation: 0,
                state: IndexState::Building,
                objects: 0,
                bytes: 0,
                built_at: None,
                error: None,
            });
            // A half-written generation left by a crash goes first.
            self.drop_generations(profile, bucket, Some(meta.generation))?;
            meta.state = IndexState::Building;
            meta.error = None;
            self.put_meta(&key, &meta)?;
            let generation = meta.generation + 1;
            let progress = Arc::new(AtomicU64::new(0));
            let cancel = CancellationToken::new();
            live.insert(
                key.clone(),
                Live {
                    progress: progress.clone(),
                    pending: Vec::new(),
                    cancel: cancel.clone(),
                },
            );
            let sink = Sink {
                tree: self.tree(&tree_name(profile, bucket, generation))?,
                progress,
                bytes: AtomicU64::new(0),
                limit,
                cancel,
            };
            (generation, sink)
        };
        tracing::info!(profile, bucket, generation, "indexing a bucket");
        let listed = self.list_into(store.as_ref(), bucket, &sink).await;
        self.finish(profile, bucket, generation, started, &sink, listed)?;
        self.info(profile, bucket)?.ok_or_else(|| self.err("lost"))
    }

    /// The listing: the root folder's objects and first-level prefixes, then every
    /// prefix recursively, [`PARALLEL`] at a time.
    async fn list_into(&self, store: &dyn Store, bucket: &str, sink: &Sink) -> Result<(), Stop> {
        let root = ListRequest::folder(bucket, "");
        let mut token: Option<String> = None;
        let mut prefixes = Vec::new();
        loop {
            let page = store.list_page(&root, token.as_deref()).await?;
            sink.page(self, &page.objects)?;
            prefixes.extend(page.common_prefixes);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        futures::stream::iter(prefixes)
            .map(|prefix| async move {
                let request = ListRequest::recursive(bucket, prefix);
                let mut token: Option<String> = None;
                loop {
                    let page = store.list_page(&request, token.as_deref()).await?;
                    sink.page(self, &page.objects)?;
                    match page.next_token {
                        Some(next) => token = Some(next),
                        None => return Ok::<(), Stop>(()),
                    }
                }
            })
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// Swaps the new generation in (with the writes made meanwhile), or records why
    /// the build stopped and drops it.
    fn finish(
        &self,
        profile: &str,
        bucket: &str,
        generation: u64,
        started: OffsetDateTime,
        sink: &Sink,
        listed: Result<(), Stop>,
    ) -> Result<()> {
        let key = meta_key(profile, bucket);
        let _guard = self
            .inner
            .meta_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let build = self
            .inner
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        // Forgotten while it ran: leave nothing behind.
        let Some(mut meta) = self.get_meta(&key)? else {
            self.drop_generations(profile, bucket, None)?;
            return Ok(());
        };
        match listed {
            Ok(()) => {
                let pending = build.map(|b| b.pending).unwrap_or_default();
                let (objects, bytes) = apply_to(&sink.tree, &pending).map_err(|e| self.err(e))?;
                meta.generation = generation;
                meta.state = IndexState::Ready;
                meta.objects = sink
                    .progress
                    .load(Ordering::Relaxed)
                    .saturating_add_signed(objects);
                meta.bytes = sink
                    .bytes
                    .load(Ordering::Relaxed)
                    .saturating_add_signed(bytes);
                meta.built_at = Some(started);
                meta.error = None;
                self.put_meta(&key, &meta)?;
                self.drop_generations(profile, bucket, Some(generation))?;
                tracing::info!(profile, bucket, objects = meta.objects, "indexed a bucket");
            }
            Err(stop) => {
                self.drop_generations(profile, bucket, Some(meta.generation))?;
                match stop {
                    Stop::TooBig(limit) => {
                        meta.state = IndexState::TooBig;
                        meta.error = Some(format!(
                            "the bucket has more than {limit} objects, the limit for \
                             indexing on its own; index it anyway to search it"
                        ));
                    }
                    Stop::Failed(e) => {
                        tracing::warn!(profile, bucket, error = %e, "indexing failed");
                        meta.state = IndexState::Failed;
                        meta.error = Some(e.to_string());
                    }
                }
                self.put_meta(&key, &meta)?;
            }
        }
        Ok(())
    }
}

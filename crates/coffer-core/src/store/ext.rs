//! [`StoreExt`]: shortcuts built only on the required `Store` methods.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};

use super::{Body, DeleteFailure, ListPage, ListRequest, PutOptions, PutResult, Store};
use crate::error::{Error, Result};

/// The most keys one `DeleteObjects` call takes.
pub const DELETE_BATCH: usize = 1000;

/// Shortcuts for every [`Store`].
#[async_trait]
pub trait StoreExt: Store {
    /// The pages of a listing, fetched one at a time as the stream is polled. Nothing
    /// holds the whole listing in memory.
    fn list_stream<'a>(&'a self, request: ListRequest) -> BoxStream<'a, Result<ListPage>> {
        stream::unfold(Some(None::<String>), move |state| {
            let request = request.clone();
            async move {
                let token = state?;
                match self.list_page(&request, token.as_deref()).await {
                    Ok(page) => {
                        let next = page.next_token.clone().map(Some);
                        Some((Ok(page), next))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            }
        })
        .boxed()
    }

    /// Deletes any number of keys, 1,000 per request. Returns the keys that failed.
    async fn delete_keys(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        let mut failures = Vec::new();
        for chunk in keys.chunks(DELETE_BATCH) {
            failures.extend(self.delete_many(bucket, chunk).await?);
        }
        Ok(failures)
    }

    /// Stores bytes from memory.
    async fn put_bytes(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<PutResult> {
        self.put(
            bucket,
            key,
            Body::Bytes(bytes.into()),
            &PutOptions::default(),
        )
        .await
    }

    /// Reads a whole object into memory (for small objects and tests).
    async fn get_bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        let mut object = self.get(bucket, key, None).await?;
        let mut out = Vec::new();
        while let Some(chunk) = object.body.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    /// Whether an object exists.
    async fn exists(&self, bucket: &str, key: &str) -> Result<bool> {
        match self.head(bucket, key).await {
            Ok(_) => Ok(true),
            Err(Error::NoSuchKey { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl<T: Store + ?Sized> StoreExt for T {}

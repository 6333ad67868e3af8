//! Uploading from a stream of bytes whose length may be unknown (an HTTP request
//! body, a pipe): one PUT when it ends within the first part, a multipart upload
//! otherwise. Memory stays at part size × (concurrency + 1), whatever the length.

use bytes::{Bytes, BytesMut};
use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt};

use super::upload::UploadReport;
use super::{Tracker, Transfers};
use crate::error::{Error, Result};
use crate::store::{Body, CompletedPart, ObjectRef, PutOptions, UploadRef};

impl Transfers {
    /// Uploads the bytes of `body` to `target`. If the stream fails or ends early
    /// (a client that goes away), a started multipart upload is aborted, so no
    /// partial object ever appears; the error is returned.
    ///
    /// The bucket's upload rules apply, and Content-Type falls back to the key's
    /// extension, as for files.
    ///
    /// A stream cannot be read again, so unlike [`Transfers::upload_file`] there is
    /// no resume state: the sender resends.
    pub async fn upload_stream<S>(
        &self,
        body: S,
        target: &ObjectRef,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<UploadReport>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        self.check_cancelled()?;
        let options = &self.upload_options(target, options, std::path::Path::new(&target.key))?;
        let part_size = usize::try_from(self.config.part_size).unwrap_or(usize::MAX);
        let mut body = std::pin::pin!(body);
        tracker.add_total(0, 1);

        let mut first = BytesMut::new();
        let mut ended = false;
        while first.len() < part_size {
            match body.next().await {
                Some(chunk) => first.extend_from_slice(&chunk?),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            let size = first.len() as u64;
            tracker.add_total(size, 0);
            let result = self
                .with_permit(self.store.put(
                    &target.bucket,
                    &target.key,
                    Body::Bytes(first.freeze()),
                    options,
                ))
                .await?;
            tracker.add_bytes(size);
            tracker.item_done();
            return Ok(UploadReport {
                bucket: target.bucket.clone(),
                key: target.key.clone(),
                size,
                etag: result.etag,
                checksum: result.checksum,
                multipart: false,
                parts_resumed: 0,
                bytes_sent: size,
            });
        }

        let upload_id = self
            .store
            .create_multipart(&target.bucket, &target.key, options)
            .await?;
        let upload = UploadRef {
            bucket: target.bucket.clone(),
            key: target.key.clone(),
            upload_id,
        };
        match self
            .send_parts(&mut body, first, part_size, &upload, tracker)
            .await
        {
            Ok((parts, size)) => {
                let result = match self.store.complete_multipart(&upload, &parts).await {
                    Ok(result) => result,
                    Err(e) => {
                        self.abort_quietly(&upload).await;
                        return Err(e);
                    }
                };
                tracker.item_done();
                Ok(UploadReport {
                    bucket: target.bucket.clone(),
                    key: target.key.clone(),
                    size,
                    etag: result.etag,
                    checksum: result.checksum,
                    multipart: true,
                    parts_resumed: 0,
                    bytes_sent: size,
                })
            }
            Err(e) => {
                self.abort_quietly(&upload).await;
                Err(e)
            }
        }
    }

    /// Cuts the stream into parts and sends them, at most `concurrency` at once.
    /// Returns the parts in order and the total size.
    async fn send_parts<S>(
        &self,
        body: &mut std::pin::Pin<&mut S>,
        first: BytesMut,
        part_size: usize,
        upload: &UploadRef,
        tracker: &Tracker,
    ) -> Result<(Vec<CompletedPart>, u64)>
    where
        S: Stream<Item = Result<Bytes>> + Send,
    {
        let mut in_flight = FuturesUnordered::new();
        let mut parts = Vec::new();
        let mut size = 0u64;
        let mut number = 0u32;
        let mut buffer = first;
        let mut ended = false;
        loop {
            // Fill the next part (the first one arrives full).
            while !ended && buffer.len() < part_size {
                match body.next().await {
                    Some(chunk) => buffer.extend_from_slice(&chunk?),
                    None => ended = true,
                }
            }
            if !buffer.is_empty() {
                let bytes = if buffer.len() > part_size {
                    buffer.split_to(part_size).freeze()
                } else {
                    std::mem::take(&mut buffer).freeze()
                };
                number += 1;
                if number as u64 > super::MAX_PARTS {
                    return Err(Error::invalid(
                        "upload",
                        "the stream is longer than 10,000 parts; use a larger part size",
                    ));
                }
                let len = bytes.len() as u64;
                size += len;
                tracker.add_total(len, 0);
                in_flight.push(async move {
                    let part = self
                        .with_permit(self.store.upload_part(upload, number, Body::Bytes(bytes)))
                        .await?;
                    tracker.add_bytes(len);
                    Ok::<_, Error>(part)
                });
            }
            // Keep at most `concurrency` parts in flight.
            while in_flight.len() >= self.config.concurrency
                || (ended && buffer.is_empty() && !in_flight.is_empty())
            {
                if let Some(part) = in_flight.next().await {
                    parts.push(part?);
                }
            }
            if ended && buffer.is_empty() && in_flight.is_empty() {
                break;
            }
        }
        parts.sort_by_key(|p| p.part_number);
        Ok((parts, size))
    }
}

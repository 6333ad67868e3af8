//! [`AgentStore`]: a profile of another agent (a remote machine's `coffer agent` or
//! `coffer serve`), used as a [`Store`] through that agent's HTTP API. Whatever runs on
//! a `Store` here (the CLI's commands, the transfer engine with its resume records)
//! then runs the same against the agent's profiles: the bytes go through the agent,
//! which reaches the S3 server with its own credentials.
//!
//! Each method is one request to `/api/v1/profiles/{profile}/…`; the raw store
//! operations the API's browsing routes do not cover (multipart, batch delete, copy
//! with options) are its `…/store/…` routes. Bodies stream both ways: a file range is
//! read as it is sent, and a download is read as it arrives. Every upload body carries
//! its CRC32C (`x-coffer-crc32c`), which the agent checks before passing it on.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyDataStream, BodyExt, Full, StreamBody};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::client::Client;
use crate::checksum;
use crate::error::{Error, Result};
use crate::store::{
    Body, BucketInfo, ByteRange, Checksum, CompletedPart, DeleteFailure, GetObject, ListPage,
    ListRequest, MultipartUploadInfo, ObjectMeta, ObjectRef, PartMeta, PresignMethod, PutOptions,
    PutResult, RegionInfo, Store, UploadRef,
};

/// The header that carries an upload body's CRC32C (base64), checked by the agent.
pub const CRC_HEADER: &str = "x-coffer-crc32c";
/// The header that carries a `put`'s [`PutOptions`] as JSON.
pub const OPTIONS_HEADER: &str = "x-coffer-put-options";
/// The header of a download that carries the object's [`Checksum`] as JSON.
pub const CHECKSUM_HEADER: &str = "x-coffer-checksum";

/// How many bytes of a file are read at a time, to checksum it and to send it.
const FILE_CHUNK: usize = 256 * 1024;

/// What a path segment may hold as it is (the rest is percent-encoded).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

type RequestBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// What a request was about, to rebuild the core's errors from the agent's answer.
#[derive(Default, Clone, Copy)]
struct About<'a> {
    bucket: Option<&'a str>,
    key: Option<&'a str>,
    upload_id: Option<&'a str>,
}

impl<'a> About<'a> {
    fn bucket(bucket: &'a str) -> Self {
        About {
            bucket: Some(bucket),
            ..About::default()
        }
    }

    fn object(bucket: &'a str, key: &'a str) -> Self {
        About {
            bucket: Some(bucket),
            key: Some(key),
            upload_id: None,
        }
    }

    fn upload(upload: &'a UploadRef) -> Self {
        About {
            bucket: Some(&upload.bucket),
            key: Some(&upload.key),
            upload_id: Some(&upload.upload_id),
        }
    }
}

/// One profile of an agent, as a [`Store`].
#[derive(Clone)]
pub struct AgentStore {
    client: Client,
    /// The agent's name for messages (`nas`).
    agent: String,
    /// The profile's name on the agent.
    profile: String,
}

impl std::fmt::Debug for AgentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentStore")
            .field("agent", &self.agent)
            .field("profile", &self.profile)
            .finish()
    }
}

fn segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        q.append_pair(name, value);
    }
    q.finish()
}

fn empty() -> RequestBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn json_body<T: Serialize>(value: &T) -> Result<RequestBody> {
    let bytes = serde_json::to_vec(value).map_err(|e| Error::invalid("request", e.to_string()))?;
    Ok(Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed_unsync())
}

/// The body of an upload: bytes in memory, or a file range read as it is sent.
async fn upload_body(body: &Body) -> Result<RequestBody> {
    match body {
        Body::Bytes(bytes) => Ok(Full::new(bytes.clone())
            .map_err(|never| match never {})
            .boxed_unsync()),
        Body::File { path, offset, len } => {
            let mut file = tokio::fs::File::open(path)
                .await
                .map_err(|e| Error::io("cannot read", path, e))?;
            file.seek(std::io::SeekFrom::Start(*offset))
                .await
                .map_err(|e| Error::io("cannot read", path, e))?;
            let stream = tokio_util::io::ReaderStream::with_capacity(file.take(*len), FILE_CHUNK)
                .map_ok(hyper::body::Frame::data);
            Ok(StreamBody::new(stream).boxed_unsync())
        }
    }
}

impl AgentStore {
    /// Profile `profile` of the agent that `client` reaches, called `agent` in messages.
    pub fn new(client: Client, agent: impl Into<String>, profile: impl Into<String>) -> Self {
        AgentStore {
            client,
            agent: agent.into(),
            profile: profile.into(),
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/v1/profiles/{}{rest}", segment(&self.profile))
    }

    fn bucket_path(&self, bucket: &str, rest: &str) -> String {
        self.path(&format!("/buckets/{}{rest}", segment(bucket)))
    }

    /// The route `…/store/uploads{rest}` of a multipart upload (and one of its parts).
    fn upload_path(&self, upload: &UploadRef, rest: &str, part: Option<u32>) -> String {
        let part = part.map(|n| n.to_string());
        let mut pairs = vec![
            ("key", upload.key.as_str()),
            ("upload_id", &upload.upload_id),
        ];
        if let Some(part) = &part {
            pairs.push(("part", part));
        }
        self.bucket_path(
            &upload.bucket,
            &format!("/store/uploads{rest}?{}", query(&pairs)),
        )
    }

    /// A transport failure: the agent could not be reached or broke off (retried).
    fn network(&self, cause: impl std::fmt::Display) -> Error {
        Error::Network {
            profile: self.profile.clone(),
            url: format!("the agent `{}`", self.agent),
            cause: cause.to_string(),
        }
    }

    /// The core error for an answer that is not a success.
    fn refused(&self, status: u16, body: &[u8], about: About<'_>) -> Error {
        #[derive(serde::Deserialize)]
        struct Answer {
            code: String,
            message: String,
        }
        let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
            return Error::Agent {
                code: "agent".into(),
                message: format!(
                    "the agent `{}` answered HTTP {status}: {}",
                    self.agent,
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ),
            };
        };
        let profile = self.profile.clone();
        match (
            answer.code.as_str(),
            about.bucket,
            about.key,
            about.upload_id,
        ) {
            ("no_such_bucket", Some(bucket), ..) => Error::NoSuchBucket {
                profile,
                bucket: bucket.into(),
            },
            ("no_such_key", Some(bucket), Some(key), _) => Error::NoSuchKey {
                profile,
                bucket: bucket.into(),
                key: key.into(),
            },
            ("no_such_upload", Some(bucket), Some(key), Some(upload_id)) => Error::NoSuchUpload {
                bucket: bucket.into(),
                key: key.into(),
                upload_id: upload_id.into(),
            },
            ("bucket_exists", Some(bucket), ..) => Error::BucketExists {
                profile,
                bucket: bucket.into(),
            },
            ("bucket_not_empty", Some(bucket), ..) => Error::BucketNotEmpty {
                bucket: bucket.into(),
            },
            _ => Error::Agent {
                code: answer.code,
                message: answer.message,
            },
        }
    }

    /// Sends a request; returns the answer when it is a success.
    async fn send(
        &self,
        request: http::Request<RequestBody>,
        about: About<'_>,
    ) -> Result<http::Response<hyper::body::Incoming>> {
        let response = self.client.open(request).await.map_err(|e| match e {
            Error::MetaDb { cause, .. } => self.network(cause),
            other => other,
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| self.network(e))?
            .to_bytes();
        Err(self.refused(status.as_u16(), &body, about))
    }

    /// A request with a JSON body (or none), answered with JSON.
    async fn call<T: DeserializeOwned>(
        &self,
        method: http::Method,
        path: String,
        body: Option<RequestBody>,
        about: About<'_>,
    ) -> Result<T> {
        let mut builder = http::Request::builder().method(method).uri(path);
        if body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = builder
            .body(body.unwrap_or_else(empty))
            .map_err(|e| Error::invalid("request", e.to_string()))?;
        self.json(request, about).await
    }

    /// Sends a request and reads its JSON answer (`null` for an empty one).
    async fn json<T: DeserializeOwned>(
        &self,
        request: http::Request<RequestBody>,
        about: About<'_>,
    ) -> Result<T> {
        let response = self.send(request, about).await?;
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| self.network(e))?
            .to_bytes();
        let bytes = if bytes.is_empty() {
            Bytes::from_static(b"null")
        } else {
            bytes
        };
        serde_json::from_slice(&bytes).map_err(|e| Error::Agent {
            code: "agent".into(),
            message: format!(
                "the agent `{}` answered in a form this Coffer does not read ({e}); are \
                 both the same version?",
                self.agent
            ),
        })
    }

    /// An upload body with its CRC32C header, answered with JSON.
    async fn upload<T: DeserializeOwned>(
        &self,
        method: http::Method,
        path: String,
        body: &Body,
        options: Option<&PutOptions>,
        about: About<'_>,
    ) -> Result<T> {
        let crc = checksum::of_body(body, FILE_CHUNK).await?;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::CONTENT_TYPE, "application/octet-stream")
            .header(http::header::CONTENT_LENGTH, body.len())
            .header(CRC_HEADER, checksum::encode(crc));
        if let Some(options) = options {
            let json = serde_json::to_string(options)
                .map_err(|e| Error::invalid("request", e.to_string()))?;
            // JSON of user metadata may hold any character; a header holds only
            // visible ASCII, so it is percent-encoded.
            builder = builder.header(
                OPTIONS_HEADER,
                utf8_percent_encode(&json, SEGMENT).to_string(),
            );
        }
        let request = builder
            .body(upload_body(body).await?)
            .map_err(|e| Error::invalid("request", e.to_string()))?;
        self.json(request, about).await
    }
}

/// The answer to `create_multipart`.
#[derive(serde::Deserialize)]
struct UploadId {
    upload_id: String,
}

#[async_trait]
impl Store for AgentStore {
    fn describe(&self) -> String {
        format!("profile `{}` of the agent `{}`", self.profile, self.agent)
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.call(
            http::Method::GET,
            self.path("/buckets"),
            None,
            About::default(),
        )
        .await
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let body = json_body(&serde_json::json!({ "name": bucket }))?;
        let _: serde_json::Value = self
            .call(
                http::Method::POST,
                self.path("/buckets"),
                Some(body),
                About::bucket(bucket),
            )
            .await?;
        Ok(())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let _: serde_json::Value = self
            .call(
                http::Method::DELETE,
                self.bucket_path(bucket, ""),
                None,
                About::bucket(bucket),
            )
            .await?;
        Ok(())
    }

    async fn bucket_region(&self, bucket: &str) -> Result<RegionInfo> {
        self.call(
            http::Method::GET,
            self.bucket_path(bucket, "/region"),
            None,
            About::bucket(bucket),
        )
        .await
    }

    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        let recursive = match request.delimiter.as_deref() {
            None => "true",
            Some("/") => "false",
            Some(_) => {
                return Err(Error::Unsupported {
                    operation: "a listing with a delimiter other than `/`",
                    backend: "a profile of another agent",
                    reason: "the agent's API lists by folder (`/`) or everything",
                });
            }
        };
        let max_keys = request.max_keys.clamp(1, 1000).to_string();
        let mut pairs = vec![
            ("prefix", request.prefix.as_str()),
            ("recursive", recursive),
            ("max_keys", max_keys.as_str()),
        ];
        if let Some(token) = token {
            pairs.push(("continuation", token));
        }
        let path = self.bucket_path(&request.bucket, &format!("/objects?{}", query(&pairs)));
        self.call(
            http::Method::GET,
            path,
            None,
            About::bucket(&request.bucket),
        )
        .await
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let path = self.bucket_path(bucket, &format!("/object/meta?{}", query(&[("key", key)])));
        self.call(http::Method::GET, path, None, About::object(bucket, key))
            .await
    }

    async fn head_part(
        &self,
        bucket: &str,
        key: &str,
        part_number: u32,
    ) -> Result<Option<PartMeta>> {
        let part = part_number.to_string();
        let path = self.bucket_path(
            bucket,
            &format!("/store/part?{}", query(&[("key", key), ("part", &part)])),
        );
        self.call(http::Method::GET, path, None, About::object(bucket, key))
            .await
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetObject> {
        let path = self.bucket_path(bucket, &format!("/object?{}", query(&[("key", key)])));
        let mut builder = http::Request::builder().method(http::Method::GET).uri(path);
        if let Some(range) = range {
            if range.is_empty() {
                return Err(Error::invalid("byte range", "it is empty"));
            }
            builder = builder.header(
                http::header::RANGE,
                format!("bytes={}-{}", range.start, range.end - 1),
            );
        }
        let request = builder
            .body(empty())
            .map_err(|e| Error::invalid("request", e.to_string()))?;
        let response = self.send(request, About::object(bucket, key)).await?;
        let headers = response.headers();
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let length =
            text(http::header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
        // `bytes A-B/TOTAL` on a range; the length of the whole body otherwise.
        let total_size = text(http::header::CONTENT_RANGE.as_str())
            .and_then(|v| v.rsplit('/').next().and_then(|t| t.parse::<u64>().ok()))
            .or(length)
            .ok_or_else(|| Error::Agent {
                code: "agent".into(),
                message: format!("the agent `{}` sent an object without its size", self.agent),
            })?;
        let etag = text(http::header::ETAG.as_str()).map(|e| e.trim_matches('"').to_string());
        let checksum = text(CHECKSUM_HEADER)
            .and_then(|v| serde_json::from_str::<Checksum>(&v).ok())
            .filter(|_| range.is_none());
        let network = self.clone();
        let body = BodyDataStream::new(response.into_body())
            .map_err(move |e| network.network(format!("the download broke off: {e}")))
            .boxed();
        Ok(GetObject {
            total_size,
            etag,
            checksum,
            body,
        })
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Body,
        options: &PutOptions,
    ) -> Result<PutResult> {
        let path = self.bucket_path(bucket, &format!("/store/object?{}", query(&[("key", key)])));
        self.upload(
            http::Method::PUT,
            path,
            &body,
            Some(options),
            About::object(bucket, key),
        )
        .await
    }

    async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String> {
        let path = self.bucket_path(
            bucket,
            &format!("/store/uploads?{}", query(&[("key", key)])),
        );
        let answer: UploadId = self
            .call(
                http::Method::POST,
                path,
                Some(json_body(options)?),
                About::object(bucket, key),
            )
            .await?;
        Ok(answer.upload_id)
    }

    async fn upload_part(
        &self,
        upload: &UploadRef,
        part_number: u32,
        body: Body,
    ) -> Result<CompletedPart> {
        let path = self.upload_path(upload, "/part", Some(part_number));
        self.upload(http::Method::PUT, path, &body, None, About::upload(upload))
            .await
    }

    async fn upload_part_copy(
        &self,
        upload: &UploadRef,
        part_number: u32,
        source: &ObjectRef,
        range: ByteRange,
    ) -> Result<CompletedPart> {
        let path = self.upload_path(upload, "/part-copy", Some(part_number));
        let body = json_body(&serde_json::json!({ "source": source, "range": range }))?;
        self.call(http::Method::POST, path, Some(body), About::upload(upload))
            .await
    }

    async fn complete_multipart(
        &self,
        upload: &UploadRef,
        parts: &[CompletedPart],
    ) -> Result<PutResult> {
        let path = self.upload_path(upload, "/complete", None);
        let body = json_body(&serde_json::json!({ "parts": parts }))?;
        self.call(http::Method::POST, path, Some(body), About::upload(upload))
            .await
    }

    async fn abort_multipart(&self, upload: &UploadRef) -> Result<()> {
        let path = self.upload_path(upload, "", None);
        let _: serde_json::Value = self
            .call(http::Method::DELETE, path, None, About::upload(upload))
            .await?;
        Ok(())
    }

    async fn list_parts(&self, upload: &UploadRef) -> Result<Vec<CompletedPart>> {
        let path = self.upload_path(upload, "/parts", None);
        self.call(http::Method::GET, path, None, About::upload(upload))
            .await
    }

    async fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<MultipartUploadInfo>> {
        self.call(
            http::Method::GET,
            self.bucket_path(bucket, "/store/uploads"),
            None,
            About::bucket(bucket),
        )
        .await
    }

    async fn copy_object(
        &self,
        source: &ObjectRef,
        target: &ObjectRef,
        options: Option<&PutOptions>,
    ) -> Result<()> {
        let body = json_body(&serde_json::json!({
            "source": source,
            "key": target.key,
            "options": options,
        }))?;
        let _: serde_json::Value = self
            .call(
                http::Method::POST,
                self.bucket_path(&target.bucket, "/store/copy"),
                Some(body),
                About::object(&source.bucket, &source.key),
            )
            .await?;
        Ok(())
    }

    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        let body = json_body(&serde_json::json!({ "keys": keys }))?;
        self.call(
            http::Method::POST,
            self.bucket_path(bucket, "/store/delete"),
            Some(body),
            About::bucket(bucket),
        )
        .await
    }

    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &str,
        signed_at: SystemTime,
        expires_in: Duration,
    ) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Answer {
            url: String,
        }
        let signed_at = signed_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| Error::invalid("signing time", "before 1970"))?
            .as_secs();
        let body = json_body(&serde_json::json!({
            "key": key,
            "method": method,
            "signed_at": signed_at,
            "expires_secs": expires_in.as_secs().max(1),
        }))?;
        let answer: Answer = self
            .call(
                http::Method::POST,
                self.bucket_path(bucket, "/store/presign"),
                Some(body),
                About::object(bucket, key),
            )
            .await?;
        Ok(answer.url)
    }
}

//! [`S3Store`]: the `Store` seam over any S3-compatible endpoint, with aws-sdk-s3.
//!
//! One SDK client per region, sharing one connection pool. A bucket's region is
//! detected with HEAD bucket and its `x-amz-bucket-region` header (read on 200, 301,
//! 400 and 403 alike), cached in a [`RegionCache`], and detected again if the server
//! later says the bucket is elsewhere. GetBucketLocation is never used.

mod convert;
mod errors;
mod ops;
mod versions;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

pub(crate) use errors::{Target, map_sdk_error};

use crate::error::{Error, Result};
use crate::profile::ResolvedCredentials;
use crate::region::RegionCache;
use crate::store::{RegionInfo, RegionSource};

/// The longest wait for the next bytes of an answer, unless
/// `COFFER_READ_TIMEOUT_SECS` says otherwise (slow links, tests).
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// [`READ_TIMEOUT`], or `COFFER_READ_TIMEOUT_SECS` when it holds a whole number of
/// seconds above zero.
fn read_timeout() -> Duration {
    std::env::var("COFFER_READ_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&secs| secs > 0)
        .map_or(READ_TIMEOUT, Duration::from_secs)
}

/// The region used when nothing better is known, as the AWS tools do.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How to reach one S3-compatible endpoint.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// The profile name, for messages.
    pub profile: String,
    /// The endpoint URL; `None` for AWS.
    pub endpoint: Option<String>,
    /// The profile's region, used when a bucket's region cannot be detected.
    pub region: Option<String>,
    /// Path-style addressing.
    pub path_style: bool,
    /// What to sign with.
    pub credentials: ResolvedCredentials,
    /// Where detected regions are remembered.
    pub regions: RegionCache,
}

/// A `Store` over an S3-compatible endpoint. Cheap to clone.
#[derive(Debug, Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: S3Settings,
    clients: Mutex<HashMap<String, Client>>,
}

impl S3Store {
    /// A store for these settings. No request is made until the first operation.
    pub fn new(settings: S3Settings) -> Self {
        S3Store {
            inner: Arc::new(Inner {
                settings,
                clients: Mutex::default(),
            }),
        }
    }

    pub(crate) fn profile(&self) -> &str {
        &self.inner.settings.profile
    }

    /// The endpoint as people know it, for messages.
    pub(crate) fn url(&self) -> String {
        match &self.inner.settings.endpoint {
            Some(url) => url.clone(),
            None => format!(
                "https://s3.{}.amazonaws.com",
                self.inner
                    .settings
                    .region
                    .as_deref()
                    .unwrap_or(DEFAULT_REGION)
            ),
        }
    }

    fn home_region(&self) -> &str {
        self.inner
            .settings
            .region
            .as_deref()
            .unwrap_or(DEFAULT_REGION)
    }

    /// The SDK client for a region (built once, then shared).
    pub(crate) fn client(&self, region: &str) -> Client {
        let mut clients = self.inner.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(region) {
            return client.clone();
        }
        let client = Client::from_conf(self.config(region));
        clients.insert(region.to_string(), client.clone());
        client
    }

    fn config(&self, region: &str) -> aws_sdk_s3::Config {
        let s = &self.inner.settings;
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .force_path_style(s.path_style)
            // Retries live in `RetryStore`, one layer for every backend.
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    // A server that accepts and then says nothing: give up on the
                    // read (RetryStore may try again) rather than hang forever. Long
                    // transfers are unaffected: it bounds each wait for data, not the
                    // whole request.
                    .read_timeout(read_timeout())
                    .build(),
            )
            // Coffer asks for CRC32C itself where it wants one, and verifies downloads
            // itself (ranged GETs carry no whole-object checksum).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &s.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        builder = match &s.credentials {
            ResolvedCredentials::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => builder.credentials_provider(Credentials::new(
                access_key_id,
                secret_access_key.expose(),
                session_token.as_ref().map(|t| t.expose().clone()),
                None,
                "coffer",
            )),
            ResolvedCredentials::AwsProfile(name) => builder.credentials_provider(
                ProfileFileCredentialsProvider::builder()
                    .profile_name(name)
                    .build(),
            ),
            ResolvedCredentials::Anonymous => builder.allow_no_auth(),
        };
        builder.build()
    }

    /// The client for a bucket's region (detecting the region on first use).
    pub(crate) async fn client_for(&self, bucket: &str) -> Result<Client> {
        let info = self.region_of(bucket, false).await?;
        Ok(self.client(&info.region))
    }

    /// Runs `op` with the bucket's client; if the server says the bucket lives in
    /// another region, drops the cached region, detects it again and retries once.
    pub(crate) async fn with_bucket<T, F, Fut>(&self, bucket: &str, op: F) -> Result<T>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let client = self.client_for(bucket).await?;
        match op(client).await {
            Err(e) if errors::is_region_error(&e) => {
                tracing::debug!(bucket, error = %e, "region changed; detecting it again");
                self.inner.settings.regions.invalidate(bucket);
                let client = self.client_for(bucket).await?;
                op(client).await
            }
            other => other,
        }
    }

    /// The region of a bucket, from the cache unless `fresh`.
    pub(crate) async fn region_of(&self, bucket: &str, fresh: bool) -> Result<RegionInfo> {
        let cache = &self.inner.settings.regions;
        if !fresh && let Some(hit) = cache.get(bucket) {
            return Ok(hit);
        }
        let (info, cacheable) = self.detect_region(bucket).await?;
        if cacheable {
            cache.put(bucket, &info);
        }
        Ok(info)
    }

    /// HEAD bucket, reading `x-amz-bucket-region` from the answer whatever its status.
    /// Returns the region and whether it is worth caching.
    async fn detect_region(&self, bucket: &str) -> Result<(RegionInfo, bool)> {
        let client = self.client(self.home_region());
        let result = client.head_bucket().bucket(bucket).send().await;
        let (status, header) = match &result {
            Ok(out) => (200, out.bucket_region().map(str::to_string)),
            Err(aws_sdk_s3::error::SdkError::ServiceError(e)) => (
                e.raw().status().as_u16(),
                e.raw()
                    .headers()
                    .get("x-amz-bucket-region")
                    .map(str::to_string),
            ),
            Err(_) => (0, None),
        };
        if let Some(region) = header.filter(|r| !r.is_empty()) {
            tracing::debug!(bucket, region, status, "region from x-amz-bucket-region");
            return Ok((
                RegionInfo {
                    region,
                    source: RegionSource::Header { status },
                    cached: false,
                },
                true,
            ));
        }
        if let Err(err) = result {
            let err = map_sdk_error(err, self.profile(), &self.url(), Target::bucket(bucket));
            // A missing bucket, or no connection at all, is the answer. A refusal
            // without the header (Garage) still lets the real request say why.
            if matches!(
                err,
                Error::NoSuchBucket { .. } | Error::Unreachable { .. } | Error::Network { .. }
            ) {
                return Err(err);
            }
            tracing::debug!(bucket, error = %err, "HEAD bucket gave no region");
            return Ok((self.fallback_region(), false));
        }
        Ok((self.fallback_region(), true))
    }

    fn fallback_region(&self) -> RegionInfo {
        match &self.inner.settings.region {
            Some(region) => RegionInfo {
                region: region.clone(),
                source: RegionSource::Profile,
                cached: false,
            },
            None => RegionInfo {
                region: DEFAULT_REGION.into(),
                source: RegionSource::Default,
                cached: false,
            },
        }
    }

    pub(crate) fn home_client(&self) -> Client {
        self.client(self.home_region())
    }

    pub(crate) fn home_region_name(&self) -> String {
        self.home_region().to_string()
    }

    pub(crate) fn regions(&self) -> &RegionCache {
        &self.inner.settings.regions
    }
}

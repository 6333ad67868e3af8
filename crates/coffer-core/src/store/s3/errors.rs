//! Turning aws-sdk errors into the core [`Error`], with the profile, bucket and key.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::error::Error;

/// What a request was about, for the message.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Target<'a> {
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub fn bucket(bucket: &'a str) -> Self {
        Target {
            bucket: Some(bucket),
            key: None,
        }
    }

    pub fn object(bucket: &'a str, key: &'a str) -> Self {
        Target {
            bucket: Some(bucket),
            key: Some(key),
        }
    }
}

/// Maps an SDK error. `profile` and `url` name where the request went.
pub(crate) fn map_sdk_error<E>(
    err: SdkError<E, HttpResponse>,
    profile: &str,
    url: &str,
    target: Target<'_>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let profile = profile.to_string();
    let url = url.to_string();
    match &err {
        SdkError::ConstructionFailure(_) => Error::invalid(
            "request",
            format!("cannot build it: {}", DisplayErrorContext(&err)),
        ),
        SdkError::TimeoutError(_) => Error::Network {
            profile,
            url,
            cause: "the request timed out".into(),
        },
        SdkError::DispatchFailure(dispatch) => {
            let cause = root_cause(&err);
            let lower = cause.to_lowercase();
            let never_connected = lower.contains("refused")
                || lower.contains("dns error")
                || lower.contains("failed to lookup")
                || lower.contains("no route to host")
                || lower.contains("network is unreachable")
                || lower.contains("invalid peer certificate")
                || lower.contains("certificate");
            if never_connected && !dispatch.is_timeout() {
                Error::Unreachable {
                    profile,
                    url,
                    cause,
                }
            } else {
                Error::Network {
                    profile,
                    url,
                    cause,
                }
            }
        }
        SdkError::ResponseError(_) => Error::Network {
            profile,
            url,
            cause: format!("unreadable answer: {}", root_cause(&err)),
        },
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or("").to_string();
            let message = service
                .err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP {status}"));
            service_error(profile, target, status, code, message)
        }
        _ => Error::Network {
            profile,
            url,
            cause: root_cause(&err),
        },
    }
}

/// Maps an S3 error code and status to the core error.
pub(crate) fn service_error(
    profile: String,
    target: Target<'_>,
    status: u16,
    code: String,
    message: String,
) -> Error {
    let bucket = target.bucket.map(str::to_string);
    let key = target.key.map(str::to_string);
    match code.as_str() {
        "AccessDenied"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "InvalidToken"
        | "ExpiredToken"
        | "InvalidSecurity"
        | "AllAccessDisabled" => {
            return Error::AccessDenied {
                profile,
                bucket,
                key,
                detail: format!("{code}: {message}"),
            };
        }
        "NoSuchBucket" => {
            return Error::NoSuchBucket {
                profile,
                bucket: bucket.unwrap_or_default(),
            };
        }
        "NoSuchKey" => {
            return Error::NoSuchKey {
                profile,
                bucket: bucket.unwrap_or_default(),
                key: key.unwrap_or_default(),
            };
        }
        "NoSuchUpload" => {
            return Error::NoSuchUpload {
                bucket: bucket.unwrap_or_default(),
                key: key.unwrap_or_default(),
                upload_id: String::new(),
            };
        }
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => {
            return Error::BucketExists {
                profile,
                bucket: bucket.unwrap_or_default(),
            };
        }
        "BucketNotEmpty" => {
            return Error::BucketNotEmpty {
                bucket: bucket.unwrap_or_default(),
            };
        }
        _ => {}
    }
    // HEAD answers have no body, so only the status tells.
    if code.is_empty() || code == "Forbidden" || code == "NotFound" {
        match (status, &bucket, &key) {
            (403, _, _) => {
                return Error::AccessDenied {
                    profile,
                    bucket,
                    key,
                    detail: format!("HTTP {status}"),
                };
            }
            (404, Some(b), Some(k)) => {
                return Error::NoSuchKey {
                    profile,
                    bucket: b.clone(),
                    key: k.clone(),
                };
            }
            (404, Some(b), None) => {
                return Error::NoSuchBucket {
                    profile,
                    bucket: b.clone(),
                };
            }
            _ => {}
        }
    }
    Error::Service {
        profile,
        bucket,
        key,
        code: if code.is_empty() {
            format!("HTTP{status}")
        } else {
            code
        },
        message,
        status: Some(status),
    }
}

/// The innermost cause of an error chain, which is where the useful words are
/// ("Connection refused (os error 111)").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current: &(dyn std::error::Error + 'static) = err;
    let mut last_useful = current.to_string();
    while let Some(next) = current.source() {
        let text = next.to_string();
        if !text.is_empty() {
            last_useful = text;
        }
        current = next;
    }
    last_useful
}

/// Whether an error says the request went to the wrong region (so the cached region
/// should be dropped and detected again).
pub(crate) fn is_region_error(err: &Error) -> bool {
    match err {
        Error::Service { code, status, .. } => {
            matches!(
                code.as_str(),
                "PermanentRedirect"
                    | "AuthorizationHeaderMalformed"
                    | "IllegalLocationConstraintException"
            ) || *status == Some(301)
        }
        _ => false,
    }
}

//! Small conversions between SDK values and the `Store` types.

use aws_smithy_types::DateTime;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;

use crate::checksum;
use crate::store::{ByteRange, Checksum, ChecksumAlgorithm, ChecksumKind};

/// An SDK timestamp as `OffsetDateTime`.
pub(crate) fn time(dt: Option<&DateTime>) -> Option<OffsetDateTime> {
    let dt = dt?;
    let nanos = i128::from(dt.secs()) * 1_000_000_000 + i128::from(dt.subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// An ETag without its quotes.
pub(crate) fn etag(raw: Option<&str>) -> Option<String> {
    raw.map(|e| e.trim_matches('"').to_string())
}

/// Characters kept as they are in `x-amz-copy-source`: the unreserved set and `/`.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The `x-amz-copy-source` value: `bucket/key`, with the key URL-encoded so that
/// `+`, `%`, `?`, `#` and spaces survive.
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", utf8_percent_encode(key, COPY_SOURCE))
}

/// `x-amz-copy-source` of one version of an object.
pub(crate) fn copy_source_version(bucket: &str, key: &str, version: &str) -> String {
    format!(
        "{}?versionId={}",
        copy_source(bucket, key),
        utf8_percent_encode(version, COPY_SOURCE)
    )
}

/// An HTTP `Range` header value for a byte range.
pub(crate) fn range_header(range: ByteRange) -> String {
    format!("bytes={}-{}", range.start, range.end.saturating_sub(1))
}

/// The total size from a `Content-Range: bytes a-b/total` header.
pub(crate) fn total_from_content_range(value: Option<&str>) -> Option<u64> {
    value?.rsplit_once('/')?.1.parse().ok()
}

/// The CRC32C checksum a response reports, if any.
pub(crate) fn crc32c(value: Option<&str>, declared: Option<&str>) -> Option<Checksum> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| checksum::parse_header(ChecksumAlgorithm::Crc32c, v, declared))
}

/// An object's CRC32C as a HEAD, GET or CompleteMultipartUpload reports it, or `None`
/// when it cannot be trusted to mean anything.
///
/// A multipart object (its ETag ends in `-N`) may carry a full-object or a composite
/// checksum. Servers that follow S3 say which, with `x-amz-checksum-type` or a `-N`
/// suffix on the value. When a server says neither, what the value covers is unknown
/// (moto 5.1 reports a value that is neither), so it is not used to verify anything.
pub(crate) fn object_crc32c(
    value: Option<&str>,
    declared: Option<&str>,
    etag: Option<&str>,
) -> Option<Checksum> {
    let checksum = crc32c(value, declared)?;
    let multipart = etag
        .map(|e| e.trim_matches('"'))
        .and_then(|e| e.rsplit_once('-'))
        .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    let said = declared.is_some() || matches!(checksum.kind, ChecksumKind::Composite { .. });
    if multipart && !said {
        tracing::debug!("ignoring a multipart object's checksum of undeclared type");
        return None;
    }
    Some(checksum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_encodes_odd_keys() {
        assert_eq!(copy_source("b", "a+b c%/d?#"), "b/a%2Bb%20c%25/d%3F%23");
        assert_eq!(copy_source("b", "//x"), "b///x");
        assert_eq!(copy_source("b", "ü"), "b/%C3%BC");
    }

    #[test]
    fn multipart_checksums_need_a_declared_type() {
        let full = object_crc32c(Some("mnG7TA=="), None, Some("\"abc\""));
        assert_eq!(full.map(|c| c.kind), Some(ChecksumKind::FullObject));
        assert!(object_crc32c(Some("mnG7TA=="), None, Some("\"abc-2\"")).is_none());
        let declared = object_crc32c(Some("mnG7TA=="), Some("FULL_OBJECT"), Some("abc-2"));
        assert_eq!(declared.map(|c| c.kind), Some(ChecksumKind::FullObject));
        let suffixed = object_crc32c(Some("mnG7TA==-2"), None, Some("abc-2"));
        assert_eq!(
            suffixed.map(|c| c.kind),
            Some(ChecksumKind::Composite { parts: 2 })
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(range_header(ByteRange { start: 0, end: 10 }), "bytes=0-9");
        assert_eq!(total_from_content_range(Some("bytes 0-9/123")), Some(123));
    }
}

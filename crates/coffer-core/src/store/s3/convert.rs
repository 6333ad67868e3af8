//! Small conversions between SDK values and the `Store` types.

use aws_smithy_types::DateTime;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;

use crate::checksum;
use crate::store::{ByteRange, Checksum, ChecksumAlgorithm};

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
    fn ranges() {
        assert_eq!(range_header(ByteRange { start: 0, end: 10 }), "bytes=0-9");
        assert_eq!(total_from_content_range(Some("bytes 0-9/123")), Some(123));
    }
}

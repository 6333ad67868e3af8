//! CRC32C helpers: the checksum Coffer sends with uploads and verifies on downloads.
//!
//! CRC32C is computed in hardware on current CPUs, and two CRCs combine into the CRC of
//! the concatenated bytes ([`combine`]), so parallel ranges can be checked against a
//! full-object checksum without a second pass over the data.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::store::{Checksum, ChecksumAlgorithm, ChecksumKind};

/// The CRC32C of `data`, continuing from `crc` (start with 0).
pub fn update(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// The CRC32C of an upload body, computed before it is sent (a header must be known
/// before the body). A file range is read once, `chunk` bytes at a time with one
/// reused buffer (hardware CRC32C, a few GB/s), off the async threads; it is then
/// streamed from the page cache when sent, so memory stays at a few chunks per request
/// whatever the part size.
pub async fn of_body(body: &crate::store::Body, chunk: usize) -> crate::Result<u32> {
    use crate::store::Body;
    match body {
        Body::Bytes(bytes) => Ok(update(0, bytes)),
        Body::File { path, offset, len } => {
            let (path, offset, len) = (path.clone(), *offset, *len);
            let shown = path.clone();
            tokio::task::spawn_blocking(move || {
                of_file_range(&path, offset, len, chunk)
                    .map_err(|e| crate::Error::io("cannot read", &path, e))
            })
            .await
            .map_err(|e| crate::Error::io("cannot read", shown, std::io::Error::other(e)))?
        }
    }
}

/// The CRC32C of `len` bytes of the file at `path` from `offset`, read `chunk` bytes at
/// a time into one buffer. Fails if the file ends before the range does.
pub fn of_file_range(path: &Path, offset: u64, len: u64, chunk: usize) -> std::io::Result<u32> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![
        0u8;
        chunk
            .max(1)
            .min(usize::try_from(len).unwrap_or(usize::MAX).max(1))
    ];
    let (mut crc, mut left) = (0u32, len);
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {left} bytes before the end of the part"),
            ));
        }
        crc = update(crc, &buf[..n]);
        left -= n as u64;
    }
    Ok(crc)
}

/// The CRC32C of `a ++ b`, from the CRCs of `a` and `b` and the length of `b`.
pub fn combine(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    crc32c::crc32c_combine(crc_a, crc_b, len_b as usize)
}

/// The base64 form S3 uses in `x-amz-checksum-crc32c` (big-endian bytes).
pub fn encode(crc: u32) -> String {
    STANDARD.encode(crc.to_be_bytes())
}

/// Parses the base64 form back into a CRC; `None` if it is not one.
pub fn decode(value: &str) -> Option<u32> {
    let bytes = STANDARD.decode(value).ok()?;
    let array: [u8; 4] = bytes.try_into().ok()?;
    Some(u32::from_be_bytes(array))
}

/// The composite checksum of parts, as S3 computes it: the CRC32C of the concatenated
/// big-endian part CRCs.
pub fn composite(part_crcs: &[u32]) -> u32 {
    part_crcs
        .iter()
        .fold(0, |acc, crc| update(acc, &crc.to_be_bytes()))
}

/// Reads a server checksum header value ("abcd==" or "abcd==-3").
pub fn parse_header(algorithm: ChecksumAlgorithm, value: &str, declared: Option<&str>) -> Checksum {
    let (value, kind) = match value.rsplit_once('-') {
        Some((v, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => (
            v.to_string(),
            ChecksumKind::Composite {
                parts: n.parse().unwrap_or(0),
            },
        ),
        _ => {
            let kind = match declared {
                Some(t) if t.eq_ignore_ascii_case("COMPOSITE") => {
                    ChecksumKind::Composite { parts: 0 }
                }
                _ => ChecksumKind::FullObject,
            };
            (value.to_string(), kind)
        }
    };
    Checksum {
        algorithm,
        value,
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_range_matches_the_bytes_and_refuses_a_short_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &data).expect("write");
        for chunk in [1, 1000, 65_536, 1 << 20] {
            assert_eq!(
                of_file_range(&path, 1234, 50_000, chunk).expect("crc"),
                update(0, &data[1234..51_234])
            );
        }
        assert_eq!(of_file_range(&path, 100_000, 0, 10).expect("empty"), 0);
        let short = of_file_range(&path, 90_000, 20_000, 4096).expect_err("short");
        assert_eq!(short.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn known_vector() {
        // RFC 3720 test vector: 32 bytes of zeros.
        assert_eq!(update(0, &[0u8; 32]), 0x8A91_36AA);
        assert_eq!(decode(&encode(0x8A91_36AA)), Some(0x8A91_36AA));
    }

    #[test]
    fn combine_matches_one_pass() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (a, b) = data.split_at(3_333);
        let whole = update(0, &data);
        assert_eq!(combine(update(0, a), update(0, b), b.len() as u64), whole);
    }

    #[test]
    fn header_forms() {
        let c = parse_header(ChecksumAlgorithm::Crc32c, "AAAAAA==-4", None);
        assert_eq!(c.kind, ChecksumKind::Composite { parts: 4 });
        assert_eq!(c.value, "AAAAAA==");
        let f = parse_header(ChecksumAlgorithm::Crc32c, "AAAAAA==", Some("FULL_OBJECT"));
        assert_eq!(f.kind, ChecksumKind::FullObject);
    }
}

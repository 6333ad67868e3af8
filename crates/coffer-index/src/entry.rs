//! One indexed object, as stored: a compact binary value under the key's bytes.
//!
//! Layout: size (u64 LE) · last modified in ms since 1970 (i64 LE; `i64::MIN` for
//! none) · ETag length (u8) and bytes · storage class length (u8) and bytes.

use coffer_core::store::ObjectSummary;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An object as the index keeps it (the key is the sled key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Size in bytes.
    pub size: u64,
    /// Last modified, in milliseconds since 1970.
    pub modified_ms: Option<i64>,
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// The storage class, when the server says.
    pub storage_class: Option<String>,
}

impl Entry {
    /// The entry of a listed object.
    pub fn of(o: &ObjectSummary) -> Entry {
        Entry {
            size: o.size,
            modified_ms: o
                .last_modified
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64),
            etag: o.etag.clone(),
            storage_class: o.storage_class.clone(),
        }
    }

    /// The object summary of `key`.
    pub fn summary(&self, key: String) -> ObjectSummary {
        ObjectSummary {
            key,
            size: self.size,
            last_modified: self.modified(),
            etag: self.etag.clone(),
            storage_class: self.storage_class.clone(),
        }
    }

    /// Last modified, as a time.
    pub fn modified(&self) -> Option<OffsetDateTime> {
        self.modified_ms.and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        })
    }

    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let etag = short(self.etag.as_deref());
        let class = short(self.storage_class.as_deref());
        let mut out = Vec::with_capacity(18 + etag.len() + class.len());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.modified_ms.unwrap_or(i64::MIN).to_le_bytes());
        out.push(etag.len() as u8);
        out.extend_from_slice(etag);
        out.push(class.len() as u8);
        out.extend_from_slice(class);
        out
    }

    /// Decodes stored bytes; `None` when they are not an entry (a damaged value).
    pub fn decode(bytes: &[u8]) -> Option<Entry> {
        let size = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let modified = i64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        let (etag, rest) = text(bytes.get(16..)?)?;
        let (class, _) = text(rest)?;
        Some(Entry {
            size,
            modified_ms: (modified != i64::MIN).then_some(modified),
            etag,
            storage_class: class,
        })
    }

    /// Only the size, read without decoding the rest (folder sizes).
    pub fn size_of(bytes: &[u8]) -> u64 {
        bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0)
    }
}

/// A string of at most 255 bytes (ETags and storage classes are far shorter; a longer
/// one is dropped rather than cut in the middle of a character).
fn short(value: Option<&str>) -> &[u8] {
    match value {
        Some(v) if v.len() <= 255 => v.as_bytes(),
        _ => &[],
    }
}

fn text(bytes: &[u8]) -> Option<(Option<String>, &[u8])> {
    let len = usize::from(*bytes.first()?);
    let value = bytes.get(1..1 + len)?;
    let rest = bytes.get(1 + len..)?;
    let value = (!value.is_empty()).then(|| String::from_utf8_lossy(value).into_owned());
    Some((value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_seen() {
        for entry in [
            Entry {
                size: 5_000_000_000,
                modified_ms: Some(1_764_547_200_123),
                etag: Some("d41d8cd98f00b204e9800998ecf8427e-12".into()),
                storage_class: Some("STANDARD_IA".into()),
            },
            Entry {
                size: 0,
                modified_ms: None,
                etag: None,
                storage_class: None,
            },
        ] {
            let bytes = entry.encode();
            assert_eq!(Entry::decode(&bytes), Some(entry.clone()));
            assert_eq!(Entry::size_of(&bytes), entry.size);
            assert_eq!(Entry::decode(&bytes[..bytes.len() - 1]), None);
        }
        assert_eq!(Entry::decode(b"short"), None);
    }
}

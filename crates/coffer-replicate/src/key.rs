//! Object keys of a replica: `<db-id>/<lineage>/<level>/<minTXID>-<maxTXID>-<ts_ms>.seg`.
//!
//! TXIDs are 16 hex digits, so that a listing (in byte order) is in TXID order;
//! `ts_ms` is the local monotonic clock's milliseconds when the segment was made.
//! Level 0 holds segments as shipped, levels 1 and 2 their compactions, and level
//! [`SNAPSHOT_LEVEL`] full images. A lineage is 32 hex digits: the milliseconds it
//! began at, then random bits, so that lineages sort by age.

use std::fmt;

/// The level that holds snapshots (full images).
pub const SNAPSHOT_LEVEL: u32 = 9;

/// A segment's place in the replica, parsed from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentKey {
    /// The level.
    pub level: u32,
    /// The first transaction it covers.
    pub min_txid: u64,
    /// The last transaction it covers.
    pub max_txid: u64,
    /// When it was made (ms since the epoch, monotonic local clock).
    pub ts_ms: u64,
}

impl SegmentKey {
    /// The key's name within its level's folder.
    pub fn file_name(&self) -> String {
        format!(
            "{:016x}-{:016x}-{}.seg",
            self.min_txid, self.max_txid, self.ts_ms
        )
    }

    /// Parses a file name made by [`file_name`](Self::file_name) in level `level`.
    pub fn parse(level: u32, name: &str) -> Option<SegmentKey> {
        let stem = name.strip_suffix(".seg")?;
        let mut parts = stem.split('-');
        let min = parts.next()?;
        let max = parts.next()?;
        let ts = parts.next()?;
        if parts.next().is_some() || min.len() != 16 || max.len() != 16 {
            return None;
        }
        let key = SegmentKey {
            level,
            min_txid: u64::from_str_radix(min, 16).ok()?,
            max_txid: u64::from_str_radix(max, 16).ok()?,
            ts_ms: ts.parse().ok()?,
        };
        (key.min_txid <= key.max_txid).then_some(key)
    }
}

/// A lineage id: 16 bytes, shown as 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lineage(pub [u8; 16]);

impl Lineage {
    /// A new lineage beginning at `now_ms`.
    pub fn new(now_ms: u64) -> Lineage {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&now_ms.to_be_bytes());
        let random: u64 = rand::random();
        bytes[8..].copy_from_slice(&random.to_be_bytes());
        Lineage(bytes)
    }

    /// Parses 32 hex digits.
    pub fn parse(text: &str) -> Option<Lineage> {
        let text = text.strip_suffix('/').unwrap_or(text);
        if text.len() != 32 {
            return None;
        }
        let bytes = hex::decode(text).ok()?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&bytes);
        Some(Lineage(out))
    }
}

impl fmt::Display for Lineage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Whether `name` may be a database id: a readable name that stays one folder.
pub fn valid_db_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_by_txid() {
        let a = SegmentKey {
            level: 0,
            min_txid: 9,
            max_txid: 10,
            ts_ms: 5,
        };
        let b = SegmentKey {
            level: 0,
            min_txid: 0x1_0000,
            max_txid: 0x1_0000,
            ts_ms: 1,
        };
        assert_eq!(SegmentKey::parse(0, &a.file_name()), Some(a));
        assert!(a.file_name() < b.file_name());
        for bad in [
            "",
            "x.seg",
            "0-1-2.seg",
            "000000000000000a-0000000000000001-1.seg",
        ] {
            assert_eq!(SegmentKey::parse(0, bad), None, "{bad}");
        }
        let l = Lineage::new(77);
        assert_eq!(Lineage::parse(&l.to_string()), Some(l));
        assert!(Lineage::new(1) < Lineage::new(2));
    }
}

//! Reading SQLite's write-ahead log: the header, the frames, their checksums.
//!
//! Format (sqlite.org/fileformat2.html#walformat): a 32-byte header, then frames of a
//! 24-byte header and one page. Every frame carries the header's two salts and a
//! running checksum over the header and all frames before it; a frame whose salts
//! differ or whose checksum does not follow is not part of the log (it is left over
//! from before a restart, or still being written). A frame with a non-zero "database
//! size" field ends a transaction (a commit frame). Only frames up to the last commit
//! frame are committed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{ReplicateError, Result};

/// The size of the WAL header.
pub const HEADER_SIZE: u64 = 32;
/// The size of a frame's header.
pub const FRAME_HEADER_SIZE: u64 = 24;
const MAGIC_LE: u32 = 0x377f_0682;
const MAGIC_BE: u32 = 0x377f_0683;

/// A WAL's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    /// Checksums read words big-endian (else little-endian).
    pub big_endian: bool,
    /// The database's page size.
    pub page_size: u32,
    /// How many times the log was restarted.
    pub checkpoint_seq: u32,
    /// The salts every frame of this log carries.
    pub salts: (u32, u32),
    /// The header's checksum: where the frames' running checksum starts.
    pub checksum: (u32, u32),
}

impl WalHeader {
    /// Parses and checks a header; `None` when the bytes are not a valid header (an
    /// empty or never-written log).
    pub fn parse(bytes: &[u8; 32]) -> Option<WalHeader> {
        let word =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let big_endian = match word(0) {
            MAGIC_BE => true,
            MAGIC_LE => false,
            _ => return None,
        };
        if word(4) != 3_007_000 {
            return None;
        }
        let page_size = word(8);
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return None;
        }
        let checksum = (word(24), word(28));
        if checksum_words(big_endian, (0, 0), &bytes[..24]) != checksum {
            return None;
        }
        Some(WalHeader {
            big_endian,
            page_size,
            checkpoint_seq: word(12),
            salts: (word(16), word(20)),
            checksum,
        })
    }

    /// The size of one frame (header and page).
    pub fn frame_size(&self) -> u64 {
        FRAME_HEADER_SIZE + u64::from(self.page_size)
    }
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), going on from `seed`.
pub fn checksum_words(big_endian: bool, seed: (u32, u32), data: &[u8]) -> (u32, u32) {
    let (mut s0, mut s1) = seed;
    for pair in data.chunks_exact(8) {
        let (a, b) = if big_endian {
            (
                u32::from_be_bytes([pair[0], pair[1], pair[2], pair[3]]),
                u32::from_be_bytes([pair[4], pair[5], pair[6], pair[7]]),
            )
        } else {
            (
                u32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]),
                u32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]),
            )
        };
        s0 = s0.wrapping_add(a).wrapping_add(s1);
        s1 = s1.wrapping_add(b).wrapping_add(s0);
    }
    (s0, s1)
}

/// Where a scan of the log starts: just after a frame whose running checksum is
/// `checksum` (or after the header, with the header's checksum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Byte offset in the log of the next frame.
    pub offset: u64,
    /// The running checksum up to there.
    pub checksum: (u32, u32),
}

/// The committed frames a scan found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The latest frame of each page among the committed frames scanned: page number
    /// → offset of the frame.
    pub pages: BTreeMap<u32, u64>,
    /// How many committed frames were scanned.
    pub frames: u64,
    /// How many transactions they hold.
    pub commits: u64,
    /// After the last commit frame: where the next scan starts. `None` when no
    /// commit frame was found (nothing to ship).
    pub end: Option<Cursor>,
    /// The database's size in pages after the last commit.
    pub db_pages: u32,
}

/// Reads the log's header; `None` when the log is missing, empty or not yet valid.
pub fn read_header(path: &Path) -> Result<Option<WalHeader>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReplicateError::io(path, e)),
    };
    let mut bytes = [0u8; 32];
    match file.read_exact(&mut bytes) {
        Ok(()) => Ok(WalHeader::parse(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(ReplicateError::io(path, e)),
    }
}

/// Scans the committed frames of the log at `path` from `from`, for the log whose
/// header is `header`. Frames after the last commit frame (a transaction still being
/// written) and anything after the first frame that does not check are left out.
pub fn scan(path: &Path, header: &WalHeader, from: Cursor) -> Result<Scan> {
    let file = File::open(path).map_err(|e| ReplicateError::io(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| ReplicateError::io(path, e))?
        .len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    reader
        .seek(SeekFrom::Start(from.offset))
        .map_err(|e| ReplicateError::io(path, e))?;
    let frame_size = header.frame_size();
    let mut frame = vec![0u8; frame_size as usize];
    let mut offset = from.offset;
    let mut checksum = from.checksum;
    let mut pending: Vec<(u32, u64)> = Vec::new();
    let mut scan = Scan::default();
    while offset + frame_size <= len {
        if reader.read_exact(&mut frame).is_err() {
            break;
        }
        let word =
            |i: usize| u32::from_be_bytes([frame[i], frame[i + 1], frame[i + 2], frame[i + 3]]);
        if (word(8), word(12)) != header.salts {
            break;
        }
        let sum = checksum_words(header.big_endian, checksum, &frame[..8]);
        let sum = checksum_words(header.big_endian, sum, &frame[FRAME_HEADER_SIZE as usize..]);
        if sum != (word(16), word(20)) {
            break;
        }
        let page = word(0);
        if page == 0 {
            break;
        }
        checksum = sum;
        pending.push((page, offset));
        offset += frame_size;
        let db_pages = word(4);
        if db_pages != 0 {
            scan.frames += pending.len() as u64;
            scan.commits += 1;
            scan.pages.extend(pending.drain(..));
            scan.db_pages = db_pages;
            scan.end = Some(Cursor { offset, checksum });
        }
    }
    Ok(scan)
}

/// Reads the page of the frame at `offset`, checking that the frame is still page
/// `page` of the log with `salts` (a restarted log reuses offsets).
pub fn read_frame_page(
    file: &File,
    offset: u64,
    page: u32,
    salts: (u32, u32),
    buf: &mut [u8],
) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut head = [0u8; FRAME_HEADER_SIZE as usize];
    if file.read_exact_at(&mut head, offset).is_err() {
        return Ok(false);
    }
    let word = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    if word(0) != page || (word(8), word(12)) != salts {
        return Ok(false);
    }
    file.read_exact_at(buf, offset + FRAME_HEADER_SIZE)?;
    // The frame may have been overwritten between the two reads.
    file.read_exact_at(&mut head, offset)?;
    Ok(word_at(&head, 0) == page && (word_at(&head, 8), word_at(&head, 12)) == salts)
}

fn word_at(bytes: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]])
}

/// The running checksum stored in the frame that ends just before `end`, if that
/// frame belongs to the log with `header`'s salts.
pub fn checksum_before(path: &Path, header: &WalHeader, end: u64) -> Result<Option<(u32, u32)>> {
    use std::os::unix::fs::FileExt;
    if end == HEADER_SIZE {
        return Ok(Some(header.checksum));
    }
    if end < HEADER_SIZE + header.frame_size()
        || !(end - HEADER_SIZE).is_multiple_of(header.frame_size())
    {
        return Ok(None);
    }
    let file = File::open(path).map_err(|e| ReplicateError::io(path, e))?;
    let mut head = [0u8; FRAME_HEADER_SIZE as usize];
    if file
        .read_exact_at(&mut head, end - header.frame_size())
        .is_err()
    {
        return Ok(None);
    }
    if (word_at(&head, 8), word_at(&head, 12)) != header.salts {
        return Ok(None);
    }
    Ok(Some((word_at(&head, 16), word_at(&head, 20))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_are_no_header() {
        assert!(WalHeader::parse(&[0u8; 32]).is_none());
        let mut bytes = [0xffu8; 32];
        bytes[..4].copy_from_slice(&MAGIC_BE.to_be_bytes());
        assert!(WalHeader::parse(&bytes).is_none());
    }

    #[test]
    fn a_real_log_scans_to_its_last_commit() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("t.db");
        let conn = rusqlite::Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "wal")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.execute_batch(
            "CREATE TABLE t(x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);",
        )?;
        let wal = dir.path().join("t.db-wal");
        let header = read_header(&wal)?.ok_or("no header")?;
        assert_eq!(header.page_size, 4096);
        let start = Cursor {
            offset: HEADER_SIZE,
            checksum: header.checksum,
        };
        let scan = scan(&wal, &header, start)?;
        assert_eq!(scan.commits, 3);
        let end = scan.end.ok_or("no commit")?;
        assert_eq!(end.offset, std::fs::metadata(&wal)?.len());
        assert_eq!(
            checksum_before(&wal, &header, end.offset)?,
            Some(end.checksum)
        );
        // Resuming at the end finds nothing new.
        assert!(super::scan(&wal, &header, end)?.end.is_none());
        conn.execute("INSERT INTO t VALUES (3)", [])?;
        let more = super::scan(&wal, &header, end)?;
        assert_eq!(more.commits, 1);
        Ok(())
    }
}

//! The segment: Coffer's object format for replicated pages.
//!
//! One segment holds the pages a range of transactions `[min_txid, max_txid]` left
//! changed (each page once, its latest version), or, for a snapshot, every page of
//! the database. Layout, every integer big-endian:
//!
//! ```text
//! header   "CFRSEG" version:u16=1                         8 bytes
//!          flags:u32 (bit 0 snapshot)
//!          page_size:u32  level:u32  db_pages:u32  page_count:u32
//!          min_txid:u64  max_txid:u64  ts_ms:u64
//!          lineage:[u8;16]
//!          position: salt1:u32 salt2:u32 wal_offset:u64 cksum1:u32 cksum2:u32 checkpoint_seq:u32
//!          reserved:u64
//!          header_crc:u32 (CRC32C of the header before it)   = 112 bytes
//! pages    page_count records, in ascending page number:
//!          page:u32  len:u32  page_crc:u64  zstd(page bytes):[u8; len]
//! index    page_count entries: page:u32  offset:u64 (of its record)
//! trailer  index_offset:u64  db_checksum:u64  has_db_checksum:u32
//!          crc:u32 (CRC32C of every byte before it)  "CFRE"
//! ```
//!
//! `page_crc` is the CRC-64 of the page number and the page's bytes; the database's
//! checksum (`db_checksum`) is the XOR of the `page_crc` of its pages `1..=db_pages`,
//! so that it can be kept up to date page by page. `db_pages` is the database's size
//! in pages after the segment is applied: a restore truncates to it.

use std::io::{Read, Write};

use crate::error::{ReplicateError, Result};

const MAGIC: &[u8; 6] = b"CFRSEG";
const VERSION: u16 = 1;
const TRAILER_MAGIC: &[u8; 4] = b"CFRE";
/// The size of a segment's header.
pub const HEADER_LEN: usize = 112;
const FLAG_SNAPSHOT: u32 = 1;
const CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_XZ);
/// zstd level for pages: fast, and most of the gain.
const ZSTD_LEVEL: i32 = 1;

/// The CRC-64 of page `page` holding `bytes`.
pub fn page_crc(page: u32, bytes: &[u8]) -> u64 {
    let mut digest = CRC64.digest();
    digest.update(&page.to_be_bytes());
    digest.update(bytes);
    digest.finalize()
}

/// Where in a WAL a segment ends: enough to tell, on restart, whether the local log
/// still goes on from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct WalPosition {
    /// The log's salts.
    pub salts: (u32, u32),
    /// The offset just after the segment's last frame.
    pub offset: u64,
    /// The running checksum of that frame.
    pub checksum: (u32, u32),
    /// The log's checkpoint sequence number.
    pub checkpoint_seq: u32,
}

/// A segment's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentHeader {
    /// A full image of the database (else the pages a range of transactions changed).
    pub snapshot: bool,
    /// The database's page size.
    pub page_size: u32,
    /// The compaction level (0: as shipped; snapshots: [`crate::key::SNAPSHOT_LEVEL`]).
    pub level: u32,
    /// The database's size in pages after this segment.
    pub db_pages: u32,
    /// How many pages the segment holds (0 in the stored header of a segment written
    /// in one pass: a reader counts the records).
    pub page_count: u32,
    /// The first transaction it covers.
    pub min_txid: u64,
    /// The last transaction it covers.
    pub max_txid: u64,
    /// When it was made: milliseconds since the epoch, from a clock that never goes
    /// back.
    pub ts_ms: u64,
    /// The lineage it belongs to.
    pub lineage: [u8; 16],
    /// Where in the local WAL it ends.
    pub position: WalPosition,
}

impl SegmentHeader {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let mut w = &mut out[..];
        let flags = if self.snapshot { FLAG_SNAPSHOT } else { 0 };
        // Writing into a fixed buffer of the exact size cannot fail.
        let _ = (|| -> std::io::Result<()> {
            w.write_all(MAGIC)?;
            w.write_all(&VERSION.to_be_bytes())?;
            for v in [
                flags,
                self.page_size,
                self.level,
                self.db_pages,
                self.page_count,
            ] {
                w.write_all(&v.to_be_bytes())?;
            }
            for v in [self.min_txid, self.max_txid, self.ts_ms] {
                w.write_all(&v.to_be_bytes())?;
            }
            w.write_all(&self.lineage)?;
            let p = &self.position;
            w.write_all(&p.salts.0.to_be_bytes())?;
            w.write_all(&p.salts.1.to_be_bytes())?;
            w.write_all(&p.offset.to_be_bytes())?;
            w.write_all(&p.checksum.0.to_be_bytes())?;
            w.write_all(&p.checksum.1.to_be_bytes())?;
            w.write_all(&p.checkpoint_seq.to_be_bytes())?;
            w.write_all(&0u64.to_be_bytes())?;
            Ok(())
        })();
        let crc = crc32c::crc32c(&out[..HEADER_LEN - 4]);
        out[HEADER_LEN - 4..].copy_from_slice(&crc.to_be_bytes());
        out
    }

    /// Parses a header; `key` names the object in errors.
    pub fn decode(bytes: &[u8], key: &str) -> Result<SegmentHeader> {
        let corrupt = |reason: &str| ReplicateError::Corrupt {
            key: key.to_string(),
            reason: reason.to_string(),
        };
        if bytes.len() < HEADER_LEN {
            return Err(corrupt("shorter than a segment header"));
        }
        if &bytes[..6] != MAGIC {
            return Err(corrupt("not a Coffer replication segment"));
        }
        let version = u16::from_be_bytes([bytes[6], bytes[7]]);
        if version != VERSION {
            return Err(corrupt(&format!(
                "segment format version {version}; this Coffer reads version {VERSION}"
            )));
        }
        let stored = be32(bytes, HEADER_LEN - 4);
        if crc32c::crc32c(&bytes[..HEADER_LEN - 4]) != stored {
            return Err(corrupt("the header's checksum does not match"));
        }
        let flags = be32(bytes, 8);
        let mut lineage = [0u8; 16];
        lineage.copy_from_slice(&bytes[52..68]);
        let header = SegmentHeader {
            snapshot: flags & FLAG_SNAPSHOT != 0,
            page_size: be32(bytes, 12),
            level: be32(bytes, 16),
            db_pages: be32(bytes, 20),
            page_count: be32(bytes, 24),
            min_txid: be64(bytes, 28),
            max_txid: be64(bytes, 36),
            ts_ms: be64(bytes, 44),
            lineage,
            position: WalPosition {
                salts: (be32(bytes, 68), be32(bytes, 72)),
                offset: be64(bytes, 76),
                checksum: (be32(bytes, 84), be32(bytes, 88)),
                checkpoint_seq: be32(bytes, 92),
            },
        };
        if !(512..=65536).contains(&header.page_size) || !header.page_size.is_power_of_two() {
            return Err(corrupt("the page size is not one SQLite uses"));
        }
        if header.min_txid > header.max_txid {
            return Err(corrupt("its first transaction is after its last"));
        }
        Ok(header)
    }
}

fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn be64(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_be_bytes(a)
}

/// A writer that hashes what goes through it.
struct Hashing<W> {
    inner: W,
    crc: u32,
    written: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a segment: the header, then pages in ascending order, then `finish`.
pub struct SegmentWriter<W: Write> {
    out: Hashing<W>,
    header: SegmentHeader,
    index: Vec<(u32, u64)>,
    compressor: zstd::bulk::Compressor<'static>,
    last_page: u32,
}

impl<W: Write> SegmentWriter<W> {
    /// Starts a segment with `header`. The header is written as given: a streaming
    /// writer does not know its `page_count` yet and writes 0 (readers count records).
    pub fn new(out: W, header: SegmentHeader) -> std::io::Result<Self> {
        let mut out = Hashing {
            inner: out,
            crc: 0,
            written: 0,
        };
        out.write_all(&header.encode())?;
        Ok(SegmentWriter {
            out,
            header,
            index: Vec::new(),
            compressor: zstd::bulk::Compressor::new(ZSTD_LEVEL)?,
            last_page: 0,
        })
    }

    /// Adds page `page`; pages must come in ascending order, each once. Returns its
    /// CRC-64.
    pub fn add(&mut self, page: u32, bytes: &[u8]) -> std::io::Result<u64> {
        if page <= self.last_page || bytes.len() != self.header.page_size as usize {
            return Err(std::io::Error::other(format!(
                "page {page} out of order or of the wrong size"
            )));
        }
        self.last_page = page;
        let crc = page_crc(page, bytes);
        let packed = self.compressor.compress(bytes)?;
        self.index.push((page, self.out.written));
        self.out.write_all(&page.to_be_bytes())?;
        self.out.write_all(&(packed.len() as u32).to_be_bytes())?;
        self.out.write_all(&crc.to_be_bytes())?;
        self.out.write_all(&packed)?;
        Ok(crc)
    }

    /// Writes the index and the trailer with the database's checksum after this
    /// segment (when known); returns the writer, the header with the real
    /// `page_count`, and the segment's size.
    pub fn finish(mut self, db_checksum: Option<u64>) -> std::io::Result<(W, SegmentHeader, u64)> {
        let index_offset = self.out.written;
        for (page, offset) in &self.index {
            self.out.write_all(&page.to_be_bytes())?;
            self.out.write_all(&offset.to_be_bytes())?;
        }
        self.out.write_all(&index_offset.to_be_bytes())?;
        self.out
            .write_all(&db_checksum.unwrap_or(0).to_be_bytes())?;
        self.out
            .write_all(&u32::from(db_checksum.is_some()).to_be_bytes())?;
        let crc = self.out.crc;
        self.out.inner.write_all(&crc.to_be_bytes())?;
        self.out.inner.write_all(TRAILER_MAGIC)?;
        self.out.flush()?;
        let mut header = self.header;
        header.page_count = self.index.len() as u32;
        Ok((self.out.inner, header, self.out.written + 8))
    }
}

/// A segment being written to a file in the spool.
pub type FileWriter = SegmentWriter<std::io::BufWriter<std::fs::File>>;

/// Starts a segment file at `path`.
pub fn create_file(path: &std::path::Path, header: SegmentHeader) -> std::io::Result<FileWriter> {
    let file = std::fs::File::create(path)?;
    SegmentWriter::new(std::io::BufWriter::with_capacity(1 << 20, file), header)
}

/// Ends a segment file and syncs it; returns the header and the size.
pub fn finish_file(
    writer: FileWriter,
    db_checksum: Option<u64>,
) -> std::io::Result<(SegmentHeader, u64)> {
    let (out, header, size) = writer.finish(db_checksum)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok((header, size))
}

/// Reads a segment front to back from any reader, checking every page's CRC and the
/// whole segment's CRC at the end.
pub struct SegmentReader<R: Read> {
    input: R,
    key: String,
    header: SegmentHeader,
    crc: u32,
    seen: u32,
    last_page: u32,
    packed: Vec<u8>,
    decompressor: zstd::bulk::Decompressor<'static>,
    done: bool,
    db_checksum: Option<u64>,
}

impl<R: Read> SegmentReader<R> {
    /// Reads the header. `key` names the object in errors.
    pub fn new(mut input: R, key: &str) -> Result<Self> {
        let mut head = [0u8; HEADER_LEN];
        input
            .read_exact(&mut head)
            .map_err(|e| read_error(key, e))?;
        let header = SegmentHeader::decode(&head, key)?;
        Ok(SegmentReader {
            input,
            key: key.to_string(),
            header,
            crc: crc32c::crc32c(&head),
            seen: 0,
            last_page: 0,
            packed: Vec::new(),
            decompressor: zstd::bulk::Decompressor::new().map_err(|e| read_error(key, e))?,
            done: false,
            db_checksum: None,
        })
    }

    /// The segment's header. Its `page_count` may be 0 (see [`SegmentWriter::new`]);
    /// the records are what count: after the last page it is their number.
    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    /// The database's checksum after this segment, once every page was read (and
    /// when the writer knew it).
    pub fn db_checksum(&self) -> Option<u64> {
        self.db_checksum
    }

    fn corrupt(&self, reason: impl Into<String>) -> ReplicateError {
        ReplicateError::Corrupt {
            key: self.key.clone(),
            reason: reason.into(),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<()> {
        self.input
            .read_exact(buf)
            .map_err(|e| read_error(&self.key, e))?;
        self.crc = crc32c::crc32c_append(self.crc, buf);
        Ok(())
    }

    /// The next page into `buf` (the page size long), or `None` after the last one,
    /// once the index and the trailer have been checked.
    pub fn next_page(&mut self, buf: &mut [u8]) -> Result<Option<u32>> {
        if self.done {
            return Ok(None);
        }
        let mut head = [0u8; 16];
        // A record starts with its page number; the index starts at the offset the
        // trailer names. Tell them apart by reading the first word: an index entry
        // repeats the first record's page number, so look at what follows instead.
        self.read(&mut head[..4])?;
        let page = be32(&head, 0);
        if page <= self.last_page {
            // This is the index: `page` was the first entry's page number.
            return self.finish_index(page).map(|()| None);
        }
        self.read(&mut head[4..16])?;
        let len = be32(&head, 4) as usize;
        let crc = be64(&head, 8);
        if len > 2 * self.header.page_size as usize + 64 {
            return Err(self.corrupt(format!("page {page}'s record is too long")));
        }
        self.packed.resize(len, 0);
        let mut packed = std::mem::take(&mut self.packed);
        let read = self.read(&mut packed);
        self.packed = packed;
        read?;
        let n = self
            .decompressor
            .decompress_to_buffer(&self.packed, buf)
            .map_err(|e| self.corrupt(format!("page {page} does not decompress: {e}")))?;
        if n != self.header.page_size as usize || page_crc(page, buf) != crc {
            return Err(self.corrupt(format!("page {page} does not match its checksum")));
        }
        self.last_page = page;
        self.seen += 1;
        Ok(Some(page))
    }

    fn finish_index(&mut self, first: u32) -> Result<()> {
        // `first` is the first index entry's page number (or, with no pages, the
        // high word of the trailer's index offset).
        let mut entry = [0u8; 12];
        let mut entries = 0u32;
        let mut word = first;
        if self.seen > 0 {
            // Skip the rest of the index: page:u32 offset:u64 per entry.
            self.read(&mut entry[..8])?;
            entries += 1;
            while entries < self.seen {
                self.read(&mut entry)?;
                entries += 1;
            }
            let mut w = [0u8; 4];
            self.read(&mut w)?;
            word = be32(&w, 0);
        }
        // Trailer: index_offset:u64 (its high word is `word`), db_checksum:u64,
        // has_db_checksum:u32, crc:u32, magic.
        let mut rest = [0u8; 16];
        self.read(&mut rest)?;
        let _index_offset = (u64::from(word) << 32) | u64::from(be32(&rest, 0));
        let sum = be64(&rest, 4);
        let has_sum = be32(&rest, 12);
        let expected = self.crc;
        let mut tail = [0u8; 8];
        self.input
            .read_exact(&mut tail)
            .map_err(|e| read_error(&self.key, e))?;
        if &tail[4..] != TRAILER_MAGIC {
            return Err(self.corrupt("the trailer is missing"));
        }
        if be32(&tail, 0) != expected {
            return Err(self.corrupt("the segment's checksum does not match"));
        }
        self.header.page_count = self.seen;
        self.db_checksum = (has_sum != 0).then_some(sum);
        self.done = true;
        Ok(())
    }
}

fn read_error(key: &str, e: std::io::Error) -> ReplicateError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        ReplicateError::Corrupt {
            key: key.to_string(),
            reason: "the object ends too early (truncated)".into(),
        }
    } else {
        ReplicateError::Corrupt {
            key: key.to_string(),
            reason: format!("unreadable: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SegmentHeader {
        SegmentHeader {
            snapshot: false,
            page_size: 1024,
            level: 0,
            db_pages: 9,
            page_count: 0,
            min_txid: 3,
            max_txid: 5,
            ts_ms: 1_700_000_000_000,
            lineage: [7; 16],
            position: WalPosition {
                salts: (1, 2),
                offset: 4096,
                checksum: (3, 4),
                checkpoint_seq: 0,
            },
        }
    }

    fn encode(pages: &[u32]) -> Vec<u8> {
        let mut w = SegmentWriter::new(Vec::new(), header()).expect("writer");
        for p in pages {
            w.add(*p, &vec![*p as u8; 1024]).expect("add");
        }
        w.finish(Some(42)).expect("finish").0
    }

    fn decode(bytes: &[u8]) -> Result<Vec<u32>> {
        let mut r = SegmentReader::new(bytes, "k")?;
        let mut buf = vec![0u8; 1024];
        let mut out = Vec::new();
        while let Some(p) = r.next_page(&mut buf)? {
            assert!(buf.iter().all(|b| *b == p as u8));
            out.push(p);
        }
        assert_eq!(r.header().page_count as usize, out.len());
        assert_eq!(r.db_checksum(), Some(42));
        Ok(out)
    }

    #[test]
    fn round_trip() -> Result<()> {
        for pages in [vec![], vec![1], vec![1, 2, 7, 9]] {
            assert_eq!(decode(&encode(&pages))?, pages);
        }
        let h = SegmentHeader::decode(&encode(&[1]), "k")?;
        assert_eq!(h.position, header().position);
        Ok(())
    }

    #[test]
    fn damage_is_caught_never_a_panic() {
        let good = encode(&[1, 2, 3]);
        for cut in [0, 10, HEADER_LEN, HEADER_LEN + 20, good.len() - 1] {
            assert!(decode(&good[..cut]).is_err(), "truncated at {cut}");
        }
        for i in (0..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            assert!(decode(&bad).is_err(), "flipped byte {i}");
        }
        assert!(
            SegmentWriter::new(Vec::new(), header())
                .and_then(|mut w| {
                    w.add(2, &[0; 1024])?;
                    w.add(1, &[0; 1024])
                })
                .is_err()
        );
    }
}

//! The write rate of a database, measured from its log without touching it: the
//! commits and frames that appear in a window.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::wal::{self, Cursor};

/// What a database wrote during a window.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct WriteRate {
    /// Transactions per second.
    pub commits_per_s: f64,
    /// Bytes of pages written to the log per second.
    pub bytes_per_s: f64,
    /// How long it was watched, in ms.
    pub window_ms: u64,
}

/// Watches the log of the database at `db` for `window` (a blocking call): reads
/// only; takes no lock.
pub fn measure(db: &Path, window: Duration) -> Result<WriteRate> {
    let mut log = db.as_os_str().to_os_string();
    log.push("-wal");
    let log = std::path::PathBuf::from(log);
    let started = Instant::now();
    let first = end_of(&log)?;
    std::thread::sleep(window);
    let header = wal::read_header(&log)?;
    let elapsed = started.elapsed().as_secs_f64().max(0.001);
    let (commits, frames, page) = match (first, header) {
        (Some((h0, c0)), Some(h1)) if h0.salts == h1.salts => {
            let scan = wal::scan(&log, &h1, c0)?;
            (scan.commits, scan.frames, h1.page_size)
        }
        // A new log started in the window (or the first one appeared): count it whole.
        (_, Some(h1)) => {
            let start = Cursor {
                offset: wal::HEADER_SIZE,
                checksum: h1.checksum,
            };
            let scan = wal::scan(&log, &h1, start)?;
            (scan.commits, scan.frames, h1.page_size)
        }
        (_, None) => (0, 0, 0),
    };
    Ok(WriteRate {
        commits_per_s: commits as f64 / elapsed,
        bytes_per_s: (frames * u64::from(page)) as f64 / elapsed,
        window_ms: (elapsed * 1000.0) as u64,
    })
}

fn end_of(log: &Path) -> Result<Option<(wal::WalHeader, Cursor)>> {
    let Some(header) = wal::read_header(log)? else {
        return Ok(None);
    };
    let start = Cursor {
        offset: wal::HEADER_SIZE,
        checksum: header.checksum,
    };
    let scan = wal::scan(log, &header, start)?;
    Ok(Some((header, scan.end.unwrap_or(start))))
}

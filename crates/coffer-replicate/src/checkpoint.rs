//! Checkpoint: copy the log into the database, PASSIVE only, under the write lock.

use crate::database::CheckpointResult;
use crate::error::Result;
use crate::shipper::{Made, Shipper};

impl Shipper {
    /// Frames shipped in the current log since the last checkpoint.
    pub fn frames_since_checkpoint(&self) -> u64 {
        match &self.generation {
            Some(g) => g.cursor.offset.saturating_sub(self.checkpointed_at) / g.header.frame_size(),
            None => 0,
        }
    }

    /// Takes the write lock, ships every committed frame, releases the pin, runs a
    /// PASSIVE checkpoint, takes the pin again at the log's end and releases the
    /// lock. No frame can be written between the last copy and the checkpoint, so the
    /// log can only be restarted past frames that were shipped. Returns the segments
    /// made and how the checkpoint went (`None` when a snapshot was made instead).
    pub fn checkpoint(&mut self) -> Result<(Vec<Made>, Option<CheckpointResult>)> {
        if self.needs_snapshot {
            return Ok((self.snapshot()?, None));
        }
        let lock = self.db.write_lock()?;
        let made: Vec<Made> = self.sync_frames()?.into_iter().collect();
        if self.needs_snapshot {
            drop(lock);
            return Ok((self.snapshot()?, None));
        }
        self.db.unpin()?;
        let result = self.db.checkpoint();
        let pinned = self.db.pin();
        self.pinned_at = match (&pinned, &self.generation) {
            (Ok(()), Some(g)) => Some(g.cursor.offset),
            _ => None,
        };
        self.checkpointed_at = self
            .generation
            .as_ref()
            .map_or(crate::wal::HEADER_SIZE, |g| g.cursor.offset);
        drop(lock);
        pinned?;
        let result = result?;
        tracing::debug!(
            db = %self.db.path().display(),
            log = result.log,
            copied = result.copied,
            "checkpoint"
        );
        Ok((made, Some(result)))
    }
}

//! [`MonotonicClock`]: segment timestamps that never go back.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the epoch from the system clock, but never less than or equal
/// to the last value given: a segment's timestamp orders it even when the wall
/// clock steps back. Object `LastModified` times are never used.
#[derive(Debug, Clone)]
pub struct MonotonicClock {
    last: u64,
}

/// The system clock in milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl MonotonicClock {
    /// A clock whose next value is above `floor` (the newest timestamp already used).
    pub fn new(floor: u64) -> Self {
        MonotonicClock { last: floor }
    }

    /// The next timestamp.
    pub fn now(&mut self) -> u64 {
        self.last = now_ms().max(self.last + 1);
        self.last
    }

    /// What `now` would give, without using it.
    pub fn peek(&self) -> u64 {
        now_ms().max(self.last + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_back() {
        let mut c = MonotonicClock::new(u64::MAX / 2);
        let a = c.now();
        assert!(c.now() > a);
    }
}

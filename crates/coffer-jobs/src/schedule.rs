//! When a job runs by itself: every interval, or at the times of a cron expression in a
//! time zone.
//!
//! The engine keeps a job's next due time; when the clock passes it the job runs once,
//! and the next due time is the schedule's next slot *after now*. Slots missed while
//! the machine slept or the agent was stopped are therefore run once, not once each.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{JobsError, Result};

/// The shortest interval accepted: a job that runs more often is a loop, not a job.
pub const MIN_EVERY: Duration = Duration::from_secs(10);

/// A job's schedule. In JSON: `{"every": "15m"}` or `{"cron": "0 3 * * *", "tz": "Europe/Paris"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Schedule {
    /// Every interval (humantime: `30s`, `15m`, `1h 30m`, `1d`).
    Every {
        /// The interval.
        every: String,
    },
    /// At the times of a cron expression (five fields, or six with seconds first).
    Cron {
        /// The expression, e.g. `0 3 * * *` for 03:00 every day.
        cron: String,
        /// An IANA time zone (`Europe/Paris`); UTC when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tz: Option<String>,
    },
}

impl Schedule {
    /// Every `every`.
    pub fn every(every: impl Into<String>) -> Self {
        Schedule::Every {
            every: every.into(),
        }
    }

    /// A cron expression in UTC or a time zone.
    pub fn cron(cron: impl Into<String>, tz: Option<String>) -> Self {
        Schedule::Cron {
            cron: cron.into(),
            tz,
        }
    }

    /// Checks that the schedule parses; the error names the field.
    pub fn validate(&self) -> Result<()> {
        match self {
            Schedule::Every { every } => {
                let d = parse_every(every)?;
                if d < MIN_EVERY {
                    return Err(JobsError::invalid(
                        "schedule.every",
                        format!("`{every}` is too short: the shortest interval is 10s"),
                    ));
                }
                Ok(())
            }
            Schedule::Cron { cron, tz } => {
                parse_cron(cron)?;
                parse_tz(tz.as_deref())?;
                Ok(())
            }
        }
    }

    /// The first slot strictly after `after`; `None` if the schedule has no further
    /// slot (or does not parse).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Every { every } => {
                let d = parse_every(every).ok()?;
                let d = chrono::Duration::from_std(d).ok()?;
                after.checked_add_signed(d)
            }
            Schedule::Cron { cron, tz } => {
                let cron = parse_cron(cron).ok()?;
                let tz = parse_tz(tz.as_deref()).ok()?;
                let local = after.with_timezone(&tz);
                cron.find_next_occurrence(&local, false)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
        }
    }

    /// Words for people: "every 15m", "cron `0 3 * * *` (Europe/Paris)".
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every { every } => format!("every {every}"),
            Schedule::Cron { cron, tz: None } => format!("cron `{cron}` (UTC)"),
            Schedule::Cron { cron, tz: Some(tz) } => format!("cron `{cron}` ({tz})"),
        }
    }
}

fn parse_every(every: &str) -> Result<Duration> {
    humantime::parse_duration(every.trim()).map_err(|e| {
        JobsError::invalid(
            "schedule.every",
            format!("`{every}` is not an interval ({e}); write e.g. `30s`, `15m`, `6h` or `1d`"),
        )
    })
}

fn parse_cron(cron: &str) -> Result<croner::Cron> {
    croner::Cron::new(cron.trim())
        .with_seconds_optional()
        .parse()
        .map_err(|e| {
            JobsError::invalid(
                "schedule.cron",
                format!(
                    "`{cron}` is not a cron expression ({e}); write five fields, minute \
                     hour day-of-month month day-of-week, e.g. `0 3 * * *`"
                ),
            )
        })
}

fn parse_tz(tz: Option<&str>) -> Result<chrono_tz::Tz> {
    match tz {
        None => Ok(chrono_tz::UTC),
        Some(name) => chrono_tz::Tz::from_str(name.trim()).map_err(|_| {
            JobsError::invalid(
                "schedule.tz",
                format!("`{name}` is not a time zone; use an IANA name such as `Europe/Paris`"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn every_adds_the_interval() {
        let s = Schedule::every("15m");
        s.validate().expect("valid");
        assert_eq!(
            s.next_after(at(2026, 1, 1, 10, 0)),
            Some(at(2026, 1, 1, 10, 15))
        );
    }

    #[test]
    fn cron_in_a_time_zone() {
        // 03:00 in Paris is 02:00 UTC in winter.
        let s = Schedule::cron("0 3 * * *", Some("Europe/Paris".into()));
        s.validate().expect("valid");
        assert_eq!(
            s.next_after(at(2026, 1, 1, 10, 0)),
            Some(at(2026, 1, 2, 2, 0))
        );
        let utc = Schedule::cron("*/5 * * * *", None);
        assert_eq!(
            utc.next_after(at(2026, 1, 1, 10, 2)),
            Some(at(2026, 1, 1, 10, 5))
        );
        // Strictly after.
        assert_eq!(
            utc.next_after(at(2026, 1, 1, 10, 5)),
            Some(at(2026, 1, 1, 10, 10))
        );
    }

    #[test]
    fn bad_schedules_name_their_field() {
        let e = Schedule::cron("61 * * * *", None)
            .validate()
            .expect_err("bad minute");
        assert!(e.to_string().starts_with("schedule.cron:"), "{e}");
        let e = Schedule::cron("0 3 * * *", Some("Mars/Olympus".into()))
            .validate()
            .expect_err("bad tz");
        assert!(e.to_string().starts_with("schedule.tz:"), "{e}");
        let e = Schedule::every("soon")
            .validate()
            .expect_err("bad interval");
        assert!(e.to_string().starts_with("schedule.every:"), "{e}");
        let e = Schedule::every("1s").validate().expect_err("too short");
        assert!(e.to_string().contains("too short"), "{e}");
    }

    #[test]
    fn json_shapes() {
        let s: Schedule = serde_json::from_str(r#"{"every":"1h"}"#).expect("every");
        assert_eq!(s, Schedule::every("1h"));
        let s: Schedule = serde_json::from_str(r#"{"cron":"0 3 * * *","tz":"UTC"}"#).expect("cron");
        assert_eq!(s, Schedule::cron("0 3 * * *", Some("UTC".into())));
        assert!(serde_json::from_str::<Schedule>(r#"{"at":"3am"}"#).is_err());
    }
}

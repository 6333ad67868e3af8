//! Printing: JSON to stdout for scripts, readable text for people, and progress bars
//! on stderr only when it is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Result;
use coffer_core::transfer::{Progress, Tracker};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Prints one JSON document (or one JSON line) to stdout.
pub fn json<T: Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Writes `bytes` to stdout at once (no line-by-line flushing).
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// A time as RFC 3339, e.g. `2026-12-01T06:00:00Z`.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// A duration for people, to the minute (to the second under one): "2h 5m".
pub fn rounded(d: time::Duration) -> String {
    let secs = d.whole_seconds().max(0) as u64;
    let secs = if secs >= 60 { secs / 60 * 60 } else { secs };
    humantime::format_duration(std::time::Duration::from_secs(secs)).to_string()
}

/// Bytes for people: "1.5 MiB".
pub fn size(bytes: u64) -> String {
    bytesize::ByteSize(bytes).display().iec().to_string()
}

/// A tracker that draws a progress bar on stderr when it is a terminal, and only
/// counts otherwise.
pub fn tracker(operation: &'static str) -> (Tracker, Option<ProgressBar>) {
    if !std::io::stderr().is_terminal() {
        return (Tracker::silent(operation), None);
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(operation);
    let sink_bar = bar.clone();
    let sink = Arc::new(move |p: &Progress| {
        sink_bar.set_length(p.bytes_total.max(p.bytes_done));
        sink_bar.set_position(p.bytes_done);
        if p.items_total > 1 {
            sink_bar.set_message(format!(
                "{} {}/{}",
                p.operation, p.items_done, p.items_total
            ));
        }
    });
    (Tracker::new(operation, Some(sink)), Some(bar))
}

/// Clears the bar, if any.
pub fn done(bar: Option<ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

/// A one-line summary of a finished transfer, for people.
pub fn summary(verb: &str, p: &Progress) -> String {
    let secs = p.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        format!(
            ", {}/s",
            size(((p.bytes_done - p.bytes_resumed) as f64 / secs) as u64)
        )
    } else {
        String::new()
    };
    let resumed = if p.bytes_resumed > 0 {
        format!(" ({} resumed from an earlier run)", size(p.bytes_resumed))
    } else {
        String::new()
    };
    format!(
        "{verb} {} item(s), {}{resumed} in {:.1}s{rate}",
        p.items_done,
        size(p.bytes_done),
        secs
    )
}

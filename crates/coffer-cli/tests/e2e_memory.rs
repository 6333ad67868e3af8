//! The memory regression guard: uploading a 512 MiB file with part size 8 MiB and
//! concurrency 4 must peak below 8 × 4 + 64 MiB above the process's own baseline (what
//! `coffer ls` on the same profile peaks at). Peak RSS is read by `/usr/bin/time -v`'s
//! `%M`, as the benchmark does. Time is never asserted here.
//!
//! Runs on Garage, with the profile's secret in a real gnome-keyring: run through
//! `scripts/with-keyring.sh`.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use support::{Coffer, Run, keyring_ready};

const MIB: u64 = 1024 * 1024;
const TIME: &str = "/usr/bin/time";

/// Runs `coffer ARGS` under `/usr/bin/time` and returns the run and its peak RSS in
/// bytes.
fn peak_rss(c: &Coffer, args: &[&str]) -> (Run, u64) {
    assert!(
        Path::new(TIME).exists(),
        "{TIME} is missing: install Debian's `time` package (scripts/setup.sh does)"
    );
    let inner = c.command(args);
    let report = c.path("time.out");
    let mut cmd = Command::new(TIME);
    cmd.arg("-f").arg("%M").arg("-o").arg(&report);
    cmd.arg(inner.get_program()).args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let run = Run::of(cmd.output().expect("run coffer under /usr/bin/time"));
    let text = std::fs::read_to_string(&report).expect("/usr/bin/time's report");
    let kib: u64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {text:?}"));
    (run, kib * 1024)
}

/// 512 MiB of deterministic, incompressible bytes, written 8 MiB at a time.
fn generate(path: &Path, len: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 8 * MIB as usize];
    let mut left = len;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
    file.flush().expect("flush");
}

#[test]
fn upload_peak_rss_stays_within_parts_in_flight() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-rss");
    let c = Coffer::new();
    let name = c.add_profile(server);
    let file = c.path("big.bin");
    let size = 512 * MIB;
    generate(&file, size);

    let listing = format!("s3://{bucket}");
    let (run, baseline) = peak_rss(&c, &["--profile", &name, "ls", &listing]);
    run.ok();

    let url = format!("s3://{bucket}/big.bin");
    let (run, peak) = peak_rss(
        &c,
        &[
            "--profile",
            &name,
            "cp",
            file.to_str().expect("utf-8"),
            &url,
            "--part-size",
            "8MiB",
            "--concurrency",
            "4",
            "--json",
        ],
    );
    let report = run.ok().json();
    assert_eq!(report["size"], size, "{report}");
    assert_eq!(report["multipart"], true, "{report}");

    let limit = baseline + 8 * 4 * MIB + 64 * MIB;
    eprintln!(
        "peak RSS: upload {} MiB, baseline {} MiB, limit {} MiB",
        peak / MIB,
        baseline / MIB,
        limit / MIB
    );
    assert!(
        peak < limit,
        "uploading 512 MiB peaked at {} MiB; the limit is {} MiB (baseline {} MiB + 8 MiB × 4 + 64 MiB)",
        peak / MIB,
        limit / MIB,
        baseline / MIB
    );

    let stat = c.run_as(&name, &["stat", &url, "--json"]).ok().json();
    assert_eq!(stat["size"], size, "{stat}");
}

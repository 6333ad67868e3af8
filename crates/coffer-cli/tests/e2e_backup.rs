//! `coffer backup` end to end, on Garage, with the real keychain (through
//! scripts/with-keyring.sh) and Debian's `restic` as the outside verifier:
//! - the whole CLI contract (init, run, snapshots, ls, restore, timeline, forget,
//!   prune, check, key list/add/passwd) with `--json`, the password in the keychain
//!   and nowhere else, and clear errors (foreign bucket, wrong password, usage);
//! - the crash drill: `coffer backup run` killed with SIGKILL at 10 random points,
//!   each followed by `restic check` and a rerun; the rerun stores no more than what
//!   had not reached the repository (plus 1 MiB for trees and index), and the final
//!   snapshot is complete.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{Coffer, assert_secret_not_under, keyring_ready, wait_or_kill, write_file};

const PASSWORD: &str = "backup password for e2e";

fn restic(url: &str, password: &str, args: &[&str]) -> std::process::Output {
    let server = coffer_testkit::garage();
    Command::new("restic")
        .args([
            "-r",
            &format!(
                "s3:{}/{}",
                server.endpoint.trim_end_matches('/'),
                url.trim_start_matches("s3://").trim_end_matches('/')
            ),
        ])
        .args(["-o", &format!("s3.region={}", server.region), "--no-cache"])
        .args(args)
        .env("RESTIC_PASSWORD", password)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .output()
        .expect("run restic (scripts/setup.sh installs Debian's package)")
}

/// The bytes of every data pack of the repository at `url`.
fn packed_bytes(c: &Coffer, profile: &str, url: &str) -> u64 {
    let data = format!("{}/data/", url.trim_end_matches('/'));
    let run = c.run_as(profile, &["ls", &data, "--recursive", "--json"]);
    if run.code != 0 {
        return 0;
    }
    run.json_lines()
        .iter()
        .filter_map(|o| o["size"].as_u64())
        .sum()
}

fn same_tree(a: &Path, b: &Path) {
    let ta = support::tree(a);
    let tb = support::tree(b);
    assert_eq!(
        ta.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        tb.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "same files"
    );
    assert!(ta == tb, "same contents");
}

#[test]
fn the_backup_cli_with_the_keychain_and_restic() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("e2e-backup");
    let repo = format!("s3://{bucket}/repo");

    let src = c.path("src");
    for i in 0..30 {
        write_file(
            &src.join(format!("docs/note {i} é+%.txt")),
            500 + i * 100,
            i as u64,
        );
    }
    write_file(&src.join("big.bin"), 5 << 20, 99);
    write_file(&src.join("skip.tmp"), 100, 1);
    write_file(&src.join("cache/CACHEDIR.TAG"), 43, 2);
    write_file(&src.join("cache/blob"), 1000, 3);
    let src_s = src.to_str().expect("utf8");

    // init: the password from stdin goes to the keychain, nowhere else.
    let init = c
        .run_with_stdin(
            &[
                "--profile",
                &profile,
                "backup",
                "init",
                &repo,
                "--password-stdin",
                "--json",
            ],
            PASSWORD,
        )
        .ok()
        .json();
    assert_eq!(init["repository"], format!("{repo}/"));
    assert_secret_not_under(c.home.path(), PASSWORD);
    // A second init on the same place is refused.
    let again = c.run_with_stdin(
        &[
            "--profile",
            &profile,
            "backup",
            "init",
            &repo,
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("already holds a backup repository"),
        "{}",
        again.stderr
    );

    // run, without a password: the keychain's.
    let run = c
        .run_as(
            &profile,
            &[
                "backup",
                "run",
                &repo,
                src_s,
                "--exclude",
                "*.tmp",
                "--exclude-caches",
                "--tag",
                "nightly",
                "--json",
            ],
        )
        .ok()
        .json();
    assert_eq!(run["files_new"], 31, "{run}");
    assert_eq!(run["snapshot"]["tags"][0], "nightly");
    let snaps = c
        .run_as(&profile, &["backup", "snapshots", &repo, "--json"])
        .ok()
        .json();
    assert_eq!(snaps.as_array().map(Vec::len), Some(1));
    let listed = c
        .run_as(&profile, &["backup", "ls", &repo, "latest", src_s])
        .ok();
    assert!(
        listed.stdout.contains("big.bin")
            && !listed.stdout.contains("skip.tmp")
            && !listed.stdout.contains("cache"),
        "{}",
        listed.stdout
    );

    // restic reads it; Coffer restores it.
    let out = restic(&repo, PASSWORD, &["check", "--read-data"]);
    assert!(
        out.status.success(),
        "restic check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = c.path("restored");
    let target_s = target.to_str().expect("utf8");
    c.run_as(
        &profile,
        &["backup", "restore", &repo, "latest", "--target", target_s],
    )
    .ok();
    let inner = target.join(src.strip_prefix("/").expect("absolute"));
    std::fs::remove_file(src.join("skip.tmp")).expect("rm");
    std::fs::remove_dir_all(src.join("cache")).expect("rm");
    same_tree(&src, &inner);
    // An edited file is not overwritten without a choice.
    std::fs::write(inner.join("big.bin"), b"changed").expect("edit");
    let refused = c.run_as(
        &profile,
        &["backup", "restore", &repo, "latest", "--target", target_s],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("exist and differ") && refused.stderr.contains("big.bin"),
        "{}",
        refused.stderr
    );
    c.run_as(
        &profile,
        &[
            "backup",
            "restore",
            &repo,
            "latest",
            "--target",
            target_s,
            "--overwrite",
            "if-changed",
        ],
    )
    .ok();
    same_tree(&src, &inner);
    let bad = c.run_as(
        &profile,
        &[
            "backup",
            "restore",
            &repo,
            "latest",
            "--target",
            target_s,
            "--overwrite",
            "sometimes",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);

    // A new version of a file, then its timeline and retention.
    std::fs::write(src.join("docs/note 1 é+%.txt"), b"second version").expect("edit");
    c.run_as(&profile, &["backup", "run", &repo, src_s]).ok();
    let path = format!("{src_s}/docs/note 1 é+%.txt");
    let versions = c
        .run_as(&profile, &["backup", "timeline", &repo, &path, "--json"])
        .ok()
        .json();
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    let dry = c
        .run_as(
            &profile,
            &["backup", "forget", &repo, "--keep-last", "1", "--dry-run"],
        )
        .ok();
    assert!(
        dry.stdout.contains("1 snapshot(s) would be removed"),
        "{}",
        dry.stdout
    );
    let none = c.run_as(&profile, &["backup", "forget", &repo]);
    assert_eq!(
        none.code, 2,
        "no keep rule is a usage error: {}",
        none.stderr
    );
    c.run_as(
        &profile,
        &["backup", "forget", &repo, "--keep-last", "1", "--prune"],
    )
    .ok();
    let check = c
        .run_as(
            &profile,
            &[
                "backup",
                "check",
                &repo,
                "--read-data-subset",
                "50%",
                "--json",
            ],
        )
        .ok()
        .json();
    assert_eq!(check["ok"], true, "{check}");

    // Keys: add one, change the password; the keychain follows.
    c.run_with_stdin(
        &["--profile", &profile, "backup", "key", "add", &repo],
        "another password\n",
    )
    .ok();
    let keys = c
        .run_as(&profile, &["backup", "key", "list", &repo, "--json"])
        .ok()
        .json();
    assert_eq!(keys.as_array().map(Vec::len), Some(2));
    c.run_with_stdin(
        &["--profile", &profile, "backup", "key", "passwd", &repo],
        "the new password\n",
    )
    .ok();
    c.run_as(&profile, &["backup", "snapshots", &repo]).ok();
    let out = restic(&repo, "the new password", &["snapshots"]);
    assert!(
        out.status.success(),
        "restic with the new password: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_secret_not_under(c.home.path(), "the new password");

    // Wrong password given on stdin.
    let wrong = c.run_with_stdin(
        &[
            "--profile",
            &profile,
            "backup",
            "snapshots",
            &repo,
            "--password-stdin",
        ],
        "nope\n",
    );
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("wrong password"), "{}", wrong.stderr);

    // A foreign bucket is refused, and nothing is written to it.
    let foreign = server.fresh_bucket("e2e-photos");
    let photo = c.path("a.jpg");
    write_file(&photo, 10, 1);
    c.run_as(
        &profile,
        &[
            "cp",
            photo.to_str().expect("utf8"),
            &format!("s3://{foreign}/a.jpg"),
        ],
    )
    .ok();
    let refused = c.run_with_stdin(
        &[
            "--profile",
            &profile,
            "backup",
            "init",
            &format!("s3://{foreign}"),
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(&format!(
            "s3://{foreign}/ is not empty and is not a backup repository (first keys: a.jpg)"
        )),
        "{}",
        refused.stderr
    );
    let left = c
        .run_as(
            &profile,
            &["ls", &format!("s3://{foreign}"), "--recursive", "--json"],
        )
        .ok()
        .json_lines();
    assert_eq!(left.len(), 1, "nothing written: {left:?}");
    // No password anywhere: a usage error that says how to give one.
    let none = c.run_as(
        &profile,
        &["backup", "init", &format!("s3://{bucket}/other")],
    );
    assert_eq!(none.code, 2, "{}", none.stderr);
}

/// A small xorshift for reproducible "random" kill points.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kill_9_during_a_backup_then_run_again() {
    if !keyring_ready() {
        return;
    }
    let points: u64 = std::env::var("COFFER_DRILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("COFFER_DRILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    eprintln!("kill -9 drill: {points} points, seed {seed}");
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let src = c.path("src");
    for i in 0..3 {
        write_file(&src.join(format!("large-{i}.bin")), 16 << 20, 100 + i);
    }
    for i in 0..300 {
        write_file(
            &src.join(format!("small/{}/f{i}.txt", i % 10)),
            1000 + (i as usize % 7) * 1000,
            i,
        );
    }
    let src_s = src.to_str().expect("utf8");

    // A clean backup: how long it takes and how much it stores.
    let bucket = server.fresh_bucket("e2e-drill");
    let clean = format!("s3://{bucket}/clean");
    c.run_with_stdin(
        &[
            "--profile",
            &profile,
            "backup",
            "init",
            &clean,
            "--password-stdin",
        ],
        PASSWORD,
    )
    .ok();
    let started = Instant::now();
    c.run_as(&profile, &["backup", "run", &clean, src_s]).ok();
    let duration = started.elapsed();
    let clean_bytes = packed_bytes(&c, &profile, &clean);
    eprintln!("clean backup: {duration:?}, {clean_bytes} bytes packed");

    let mut rng = Rng(seed | 1);
    let mut worst_extra = 0i64;
    for point in 0..points {
        let repo = format!("s3://{bucket}/drill-{point}");
        c.run_with_stdin(
            &[
                "--profile",
                &profile,
                "backup",
                "init",
                &repo,
                "--password-stdin",
            ],
            PASSWORD,
        )
        .ok();
        // Somewhere between 20% and 95% of a clean run (before that, nothing has
        // reached the repository yet: the process starts and reads the index).
        let at = duration.mul_f64(0.2 + (rng.next() % 750) as f64 / 1000.0);
        let child = c.spawn(&["--profile", &profile, "backup", "run", &repo, src_s]);
        std::thread::sleep(at);
        // SAFETY-free: kill(1) by pid.
        let _ = Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status();
        let killed = wait_or_kill(child, Duration::from_secs(30), "killed backup");
        let before = packed_bytes(&c, &profile, &repo);
        // The interrupted repository is consistent. (`--no-lock`: restic 0.14 does not
        // take a lock past a stale one; Coffer's rerun removes it, and the check after
        // the rerun takes restic's lock.)
        let out = restic(&repo, PASSWORD, &["check", "--no-lock"]);
        assert!(
            out.status.success(),
            "point {point} ({at:?}, exit {}): restic check after kill -9: {}{}",
            killed.code,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let rerun = c
            .run_as(&profile, &["backup", "run", &repo, src_s, "--json"])
            .ok()
            .json();
        let after = packed_bytes(&c, &profile, &repo);
        // What the rerun stored beyond what was missing.
        let extra = (after - before) as i64 - (clean_bytes as i64 - before as i64);
        worst_extra = worst_extra.max(extra);
        eprintln!(
            "point {point}: killed after {at:?} (exit {}); {before} bytes had reached the repository; \
             rerun stored {} ({} reused packs); extra {extra}",
            killed.code,
            after - before,
            rerun["resumed_packs"]
        );
        assert!(
            extra <= 1 << 20,
            "point {point}: the rerun stored {extra} bytes more than what was missing"
        );
        let files = c
            .run_as(
                &profile,
                &[
                    "backup",
                    "ls",
                    &repo,
                    "latest",
                    src_s,
                    "--recursive",
                    "--json",
                ],
            )
            .ok()
            .json();
        let count = files
            .as_array()
            .map_or(0, |a| a.iter().filter(|e| e["kind"] == "file").count());
        assert_eq!(count, 303, "point {point}: the final snapshot is complete");
        let out = restic(&repo, PASSWORD, &["check"]);
        assert!(
            out.status.success(),
            "point {point}: restic check after the rerun: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eprintln!("kill -9 drill: worst extra bytes stored by a rerun: {worst_extra}");

    // A restore killed part-way goes on when run again, with the default
    // `--overwrite never`: the files it was writing are its own.
    let repo = format!("s3://{bucket}/clean");
    let target = c.path("interrupted-restore");
    let target_s = target.to_str().expect("utf8").to_string();
    let started = Instant::now();
    c.run_as(
        &profile,
        &[
            "backup",
            "restore",
            &repo,
            "latest",
            "--target",
            &c.path("timing").display().to_string(),
        ],
    )
    .ok();
    let restore_time = started.elapsed();
    let child = c.spawn(&[
        "--profile",
        &profile,
        "backup",
        "restore",
        &repo,
        "latest",
        "--target",
        &target_s,
    ]);
    std::thread::sleep(restore_time.mul_f64(0.6));
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let killed = wait_or_kill(child, Duration::from_secs(30), "killed restore");
    let resumed = c
        .run_as(
            &profile,
            &[
                "backup", "restore", &repo, "latest", "--target", &target_s, "--json",
            ],
        )
        .ok()
        .json();
    eprintln!(
        "restore killed after {:?} (exit {}), then: {resumed}",
        restore_time.mul_f64(0.6),
        killed.code
    );
    // (A restore that outran the kill leaves no journal: nothing to resume.)
    if killed.code != 0 {
        assert_eq!(resumed["resumed"], true, "{resumed}");
    }
    assert_eq!(
        resumed["files_replaced"], 0,
        "the files the killed run had begun are its own, not replaced: {resumed}"
    );
    same_tree(&src, &target.join(src.strip_prefix("/").expect("absolute")));
    // The last repository restores identical.
    let target = c.path("drill-restore");
    c.run_as(
        &profile,
        &[
            "backup",
            "restore",
            &format!("s3://{bucket}/drill-{}", points - 1),
            "latest",
            "--target",
            target.to_str().expect("utf8"),
        ],
    )
    .ok();
    same_tree(&src, &target.join(src.strip_prefix("/").expect("absolute")));
}

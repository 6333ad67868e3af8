//! `coffer replicate` end to end, on Garage:
//! - the crash drill: a writer inserts `t(id=v)` and sets `c.v=v` in one transaction,
//!   churns a second table and runs a VACUUM every 1,000 transactions, while
//!   `coffer replicate run` is killed with SIGKILL at random moments (0.05 to 3 s
//!   apart, at least 30 times) and started again. The writer is then killed too, a
//!   fresh replicator catches up, and the database is restored to the newest point
//!   (equal to the source) and to 20 random times (each passes `integrity_check`,
//!   `c.v == count(t) == max(id)`, and is not newer than the source was then). The
//!   drill runs with the application's autocheckpoint off and at 1,000 pages.
//! - the CLI's errors: an existing target, a bad timestamp, an unknown TXID, a prefix
//!   holding several databases, a local path as a replica.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use support::{Coffer, keyring_ready, wait_or_kill};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A small xorshift for reproducible "random" points.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One committed transaction: v, when its BEGIN started and when COMMIT returned.
#[derive(Debug, Clone, Copy)]
struct Commit {
    v: i64,
    began_ms: u64,
    ended_ms: u64,
}

fn open_app(path: &Path, autocheckpoint: u32) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "wal_autocheckpoint", autocheckpoint)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v INTEGER);
         CREATE TABLE IF NOT EXISTS c(k INTEGER PRIMARY KEY, v INTEGER);
         INSERT OR IGNORE INTO c VALUES (1, 0);
         CREATE TABLE IF NOT EXISTS churn(id INTEGER PRIMARY KEY, b BLOB);",
    )?;
    Ok(conn)
}

/// The writer: runs until `stop`, then is "killed" (its connection is never closed,
/// so nothing is checkpointed on its way out).
fn writer(
    path: &Path,
    autocheckpoint: u32,
    stop: Arc<AtomicBool>,
) -> rusqlite::Result<Vec<Commit>> {
    let conn = open_app(path, autocheckpoint)?;
    let mut commits = Vec::new();
    let mut v = 0i64;
    while !stop.load(Ordering::Relaxed) {
        v += 1;
        let began_ms = now_ms();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute("INSERT INTO t VALUES (?1, ?1)", [v])?;
        conn.execute("UPDATE c SET v = ?1 WHERE k = 1", [v])?;
        conn.execute(
            "INSERT INTO churn(b) VALUES (randomblob(?1))",
            [200 + (v * 7919) % 3000],
        )?;
        conn.execute("DELETE FROM churn WHERE id % 4 = ?1", [v % 4])?;
        conn.execute_batch("COMMIT")?;
        commits.push(Commit {
            v,
            began_ms,
            ended_ms: now_ms(),
        });
        if v % 1000 == 0 {
            conn.execute_batch("VACUUM")?;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::mem::forget(conn);
    Ok(commits)
}

/// Checks a restored database; returns its v.
fn verify(path: &Path) -> i64 {
    let conn = Connection::open(path).expect("open restored");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok", "{}", path.display());
    let (count, max): (i64, Option<i64>) = conn
        .query_row("SELECT count(*), max(id) FROM t", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("count");
    let v: i64 = conn
        .query_row("SELECT v FROM c WHERE k = 1", [], |r| r.get(0))
        .expect("c.v");
    assert_eq!(count, v, "count(t) == c.v in {}", path.display());
    assert_eq!(max.unwrap_or(0), v, "max(id) == c.v in {}", path.display());
    v
}

fn dump(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open");
    let mut stmt = conn
        .prepare("SELECT id, CAST(v AS BLOB) FROM t UNION ALL SELECT -id, b FROM churn ORDER BY 1")
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

fn kill9(child: &std::process::Child) {
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
}

fn drill(autocheckpoint: u32) {
    if !keyring_ready() {
        return;
    }
    let kills: u64 = std::env::var("COFFER_REPLICATE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let seed: u64 = std::env::var("COFFER_DRILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed + u64::from(autocheckpoint));
    eprintln!("replication drill: {kills} kills, seed {seed}, autocheckpoint {autocheckpoint}");
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("e2e-repl");
    let replica = format!("{profile}:s3://{bucket}/dbs");
    let db = c.path("app.db");
    let db_s = db.to_str().expect("utf8").to_string();
    drop(open_app(&db, autocheckpoint).expect("create"));

    let stop = Arc::new(AtomicBool::new(false));
    let writer_thread = {
        let db = db.clone();
        let stop = stop.clone();
        std::thread::spawn(move || writer(&db, autocheckpoint, stop))
    };
    let started_ms = now_ms();
    let run = |c: &Coffer| c.spawn(&["replicate", "run", &db_s, &replica, "--interval", "200ms"]);
    let mut rng = Rng(seed | 1);
    for i in 0..kills {
        let child = run(&c);
        let delay = Duration::from_millis(50 + rng.below(2950));
        std::thread::sleep(delay);
        kill9(&child);
        let killed = wait_or_kill(child, Duration::from_secs(30), "killed replicator");
        assert!(
            killed.code != 0 || killed.stderr.contains("stopped"),
            "kill {i}: the replicator ended on its own before the kill: {}",
            killed.stderr
        );
    }
    // The writer is killed too; a fresh replicator catches up and stops cleanly.
    stop.store(true, Ordering::Relaxed);
    let commits = writer_thread
        .join()
        .expect("writer thread")
        .expect("writer");
    let ended_ms = now_ms();
    let last = commits.last().copied().expect("the writer wrote");
    eprintln!(
        "replication drill: {} transactions in {:.1} s",
        commits.len(),
        (ended_ms - started_ms) as f64 / 1000.0
    );
    let child = run(&c);
    std::thread::sleep(Duration::from_secs(3));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let stopped = wait_or_kill(child, Duration::from_secs(60), "replicator after SIGTERM");
    assert_eq!(stopped.code, 0, "{}", stopped.stderr);

    // The newest point equals the source.
    let latest = c.path("latest.db");
    c.run_as(
        &profile,
        &[
            "replicate",
            "restore",
            &format!("s3://{bucket}/dbs"),
            "--to",
            latest.to_str().expect("utf8"),
            "--json",
        ],
    )
    .ok();
    assert_eq!(verify(&latest), last.v);
    assert!(
        dump(&latest) == dump(&db),
        "the newest restore equals the source"
    );

    // 20 random times: never newer than the source was then, and not far behind.
    let span = ended_ms.saturating_sub(started_ms).max(1);
    let mut behind = 0u64;
    for i in 0..20 {
        let t = started_ms + rng.below(span);
        let stamp = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t) * 1_000_000)
            .expect("time")
            .format(&time::format_description::well_known::Rfc3339)
            .expect("format");
        let to = c.path(&format!("at-{i}.db"));
        let restored = c.run_as(
            &profile,
            &[
                "replicate",
                "restore",
                &replica,
                "--to",
                to.to_str().expect("utf8"),
                "--timestamp",
                &stamp,
                "--json",
            ],
        );
        // Before the first snapshot there is nothing to restore.
        if restored.code != 0 {
            assert!(
                restored.stderr.contains("no state from that time"),
                "{stamp}: {}",
                restored.stderr
            );
            assert!(
                commits.iter().all(|c| c.ended_ms + 5_000 > t),
                "{stamp}: nothing restorable, though the source had data long before"
            );
            continue;
        }
        let v = verify(&to);
        let began_by_t = commits
            .iter()
            .filter(|c| c.began_ms <= t)
            .map(|c| c.v)
            .max()
            .unwrap_or(0);
        assert!(
            v <= began_by_t,
            "{stamp}: restored v={v}, newer than the source then ({began_by_t})"
        );
        let done_long_before = commits
            .iter()
            .filter(|c| c.ended_ms + 10_000 <= t)
            .map(|c| c.v)
            .max()
            .unwrap_or(0);
        assert!(
            v >= done_long_before,
            "{stamp}: restored v={v}, but v={done_long_before} was committed 10 s before"
        );
        behind = behind.max(began_by_t.saturating_sub(v) as u64);
    }
    eprintln!(
        "replication drill: the restores at random times were at most {behind} transactions behind the source"
    );
    let listing = c.run_as(
        &profile,
        &[
            "ls",
            "--recursive",
            &format!("s3://{bucket}/dbs/"),
            "--json",
        ],
    );
    let keys: Vec<String> = listing
        .ok()
        .json_lines()
        .iter()
        .filter_map(|o| o["key"].as_str().map(str::to_string))
        .collect();
    let snapshots = keys.iter().filter(|k| k.contains("/9/")).count();
    eprintln!(
        "replication drill: {} objects in the replica, {snapshots} of them snapshots (one per start that found the log restarted past its position)",
        keys.len()
    );
}

#[test]
fn crash_drill_with_the_apps_autocheckpoint_off() {
    drill(0);
}

#[test]
fn crash_drill_with_the_apps_autocheckpoint_at_1000_pages() {
    drill(1000);
}

#[test]
fn restore_errors_are_clear_and_touch_nothing() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("e2e-repl-err");
    let replica = format!("s3://{bucket}/many");
    let db = c.path("one.db");
    let _app = open_app(&db, 0).expect("create");
    for name in ["one", "two"] {
        let child = c.spawn(&[
            "--profile",
            &profile,
            "replicate",
            "run",
            db.to_str().expect("utf8"),
            &replica,
            "--name",
            name,
        ]);
        std::thread::sleep(Duration::from_secs(2));
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let run = wait_or_kill(child, Duration::from_secs(30), "replicator");
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let to = c.path("r.db");
    let to_s = to.to_str().expect("utf8");
    let several = c
        .run_as(&profile, &["replicate", "restore", &replica, "--to", to_s])
        .fails(1);
    assert!(
        several.stderr.contains("2 databases (one, two)"),
        "{}",
        several.stderr
    );
    c.run_as(
        &profile,
        &[
            "replicate",
            "restore",
            &format!("{replica}/one"),
            "--to",
            to_s,
        ],
    )
    .ok();
    assert_eq!(verify(&to), 0);
    std::fs::write(c.path("keep.db"), b"precious").expect("write");
    let exists = c
        .run_as(
            &profile,
            &[
                "replicate",
                "restore",
                &format!("{replica}/one"),
                "--to",
                c.path("keep.db").to_str().expect("utf8"),
            ],
        )
        .fails(1);
    assert!(exists.stderr.contains("--force"), "{}", exists.stderr);
    assert_eq!(std::fs::read(c.path("keep.db")).expect("read"), b"precious");
    let bad_time = c
        .run_as(
            &profile,
            &[
                "replicate",
                "restore",
                &format!("{replica}/one"),
                "--to",
                to_s,
                "--force",
                "--timestamp",
                "yesterday",
            ],
        )
        .fails(2);
    assert!(bad_time.stderr.contains("RFC 3339"), "{}", bad_time.stderr);
    let bad_txid = c
        .run_as(
            &profile,
            &[
                "replicate",
                "restore",
                &format!("{replica}/one"),
                "--to",
                to_s,
                "--force",
                "--txid",
                "999",
            ],
        )
        .fails(1);
    assert!(
        bad_txid.stderr.contains("TXID 999 cannot be restored"),
        "{}",
        bad_txid.stderr
    );
    let nothing = c
        .run_as(
            &profile,
            &[
                "replicate",
                "restore",
                &format!("s3://{bucket}/none"),
                "--to",
                to_s,
                "--force",
            ],
        )
        .fails(1);
    assert!(
        nothing.stderr.contains("no replicated database"),
        "{}",
        nothing.stderr
    );
    let local = c
        .run_as(
            &profile,
            &[
                "replicate",
                "run",
                db.to_str().expect("utf8"),
                "/tmp/somewhere",
            ],
        )
        .fails(2);
    assert!(
        local.stderr.contains("not a local path"),
        "{}",
        local.stderr
    );
    let started = Instant::now();
    let missing = c
        .run_as(
            &profile,
            &[
                "replicate",
                "run",
                c.path("missing.db").to_str().expect("utf8"),
                &replica,
            ],
        )
        .fails(1);
    assert!(missing.stderr.contains("missing.db"), "{}", missing.stderr);
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// The agent runs a saved job: `replicate add` shows the cost preview and saves it,
/// the agent replicates while the application writes, `status` shows it, a drill
/// passes, a restart of the agent goes on where it stood, `remove` stops it.
#[test]
fn the_agent_keeps_a_saved_job_replicated() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("e2e-repl-agent");
    let db = c.path("agent app.db");
    let db_s = db.to_str().expect("utf8").to_string();
    let conn = open_app(&db, 0).expect("create");
    let start_agent = || {
        let child = c
            .command(&["agent"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the agent");
        let socket = c.home.path().join("agent.sock");
        support::wait_until(Duration::from_secs(30), "the agent socket", || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        });
        child
    };
    let mut agent = start_agent();
    let added = c
        .run_as(
            &profile,
            &[
                "replicate",
                "add",
                &db_s,
                &format!("s3://{bucket}/dbs"),
                "--interval",
                "200ms",
                "--json",
            ],
        )
        .ok()
        .json();
    assert!(
        added["preview"]["providers"]
            .as_array()
            .is_some_and(|p| p.len() == 3),
        "{added}"
    );
    assert_eq!(added["job"]["kind"], "replicate");
    let id = added["job"]["id"].as_str().expect("id").to_string();
    let mut v = 0;
    let mut write = |n: i64| {
        for _ in 0..n {
            v += 1;
            conn.execute_batch("BEGIN").expect("begin");
            conn.execute("INSERT INTO t VALUES (?1, ?1)", [v])
                .expect("insert");
            conn.execute("UPDATE c SET v = ?1 WHERE k = 1", [v])
                .expect("update");
            conn.execute_batch("COMMIT").expect("commit");
        }
        v
    };
    let status = |c: &Coffer| {
        c.run(&["replicate", "status", &id[..8], "--json"])
            .ok()
            .json()
    };
    let reached = |c: &Coffer, v: i64| {
        support::wait_until(
            Duration::from_secs(30),
            "the agent to ship the writes",
            || {
                let all = status(c);
                let s = &all[0]["status"];
                s["replicas"][0]["pending"] == 0 && {
                    let to = c.path("probe.db");
                    let r = c.run_as(
                        &profile,
                        &[
                            "replicate",
                            "restore",
                            &format!("s3://{bucket}/dbs"),
                            "--to",
                            to.to_str().expect("utf8"),
                            "--force",
                        ],
                    );
                    r.code == 0 && verify(&to) == v
                }
            },
        );
    };
    let v1 = write(50);
    reached(&c, v1);
    let listed = c.run(&["replicate", "list"]).ok();
    assert!(listed.stdout.contains("agent app.db"), "{}", listed.stdout);
    let drill = c
        .run(&["replicate", "drill", "agent app.db", "--json"])
        .ok()
        .json();
    assert_eq!(drill[0]["ok"], true, "{drill}");
    // The agent is killed and started again: the job goes on, without a snapshot.
    let _ = agent.kill();
    let _ = agent.wait();
    let v2 = write(30);
    agent = start_agent();
    reached(&c, v2);
    let keys = support::keys_as(&c, &profile, &format!("s3://{bucket}/dbs/"));
    assert_eq!(
        keys.iter().filter(|k| k.contains("/9/")).count(),
        1,
        "{keys:?}"
    );
    let removed = c.run(&["replicate", "remove", &id[..8]]).ok();
    assert!(removed.stdout.contains("removed job"), "{}", removed.stdout);
    assert!(
        c.run(&["replicate", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let _ = agent.kill();
    let _ = agent.wait();
}

/// `coffer config check` expands `${VAR}` and `${VAR:-default}`, names a missing
/// variable, and `replicate run --config` replicates every database of the file.
#[test]
fn config_check_and_run_from_coffer_yml() {
    if !keyring_ready() {
        return;
    }
    let c = Coffer::new();
    let dir = c.work.path().to_str().expect("utf8").to_string();
    for name in ["a.db", "b.db"] {
        let conn = open_app(&c.path(name), 0).expect("create");
        conn.execute("UPDATE c SET v = 0", []).expect("touch");
    }
    c.run(&["mb", "s3://cfg-bucket"]).ok();
    let file = c.path("coffer.yml");
    std::fs::write(
        &file,
        "dbs:\n  - path: ${DIR}/a.db\n    replicas:\n      - url: ${REPLICA:-local:s3://cfg-bucket/dbs}\n  - path: ${DIR}/b.db\n    interval: 500ms\n    replicas:\n      - url: s3://cfg-bucket/dbs\nmirrors:\n  - name: docs\n    src: ${DIR}\n    dst: s3://cfg-bucket/mirror\n",
    )
    .expect("write");
    let file_s = file.to_str().expect("utf8");
    let missing = c.run(&["config", "check", file_s]).fails(1);
    assert!(
        missing.stderr.contains("DIR is not set") && missing.stderr.contains("line 2"),
        "{}",
        missing.stderr
    );
    let mut with_env = c.command(&["config", "check", file_s, "--json"]);
    with_env.env("DIR", &dir);
    let checked = support::Run::of(with_env.output().expect("run"))
        .ok()
        .json();
    assert_eq!(
        checked["dbs"][0]["replicas"][0], "local:s3://cfg-bucket/dbs",
        "{checked}"
    );
    assert_eq!(checked["mirrors"][0]["src"], dir.as_str());
    let mut run = c.command(&["replicate", "run", "--config", file_s]);
    run.env("DIR", &dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = run.spawn().expect("spawn");
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let stopped = wait_or_kill(child, Duration::from_secs(30), "replicate run --config");
    assert_eq!(stopped.code, 0, "{}", stopped.stderr);
    for name in ["a.db", "b.db"] {
        let to = c.path(&format!("restored-{name}"));
        c.run(&[
            "replicate",
            "restore",
            &format!("s3://cfg-bucket/dbs/{name}"),
            "--to",
            to.to_str().expect("utf8"),
        ])
        .ok();
        assert_eq!(verify(&to), 0);
    }
}

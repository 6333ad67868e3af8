//! The replication benchmark (P6), on a fresh single-node Garage from the testkit:
//!
//! 1. the writer's cost: transactions per second of an unpaced writer, and the commit
//!    latency of a writer paced at RATE, each without and with replication;
//! 2. lag at RATE transactions per second for SECONDS: for every commit, the time
//!    from its COMMIT to the end of the upload that holds it (p50, p99, max);
//! 3. requests per hour while writing, and while idle.
//!
//! Prints Markdown on stdout, progress on stderr. Time is never asserted.
//!
//!   cargo run --release -p coffer-replicate --example replicate_bench
//!   RATE=1000 SECONDS=30 INTERVAL_MS=1000 IDLE=20 cargo run --release ...

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffer_core::Sensitive;
use coffer_core::profile::ResolvedCredentials;
use coffer_core::region::RegionCache;
use coffer_core::store::s3::S3Settings;
use coffer_core::store::{S3Store, Store};
use coffer_replicate::{Replica, Replicator, ReplicatorConfig, Status};
use rusqlite::Connection;
use tokio_util::sync::CancellationToken;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    // The application's own autocheckpoint stays at SQLite's default (1,000 pages).
    conn.pragma_update(None, "synchronous", "normal")?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v INTEGER, pad BLOB)",
    )?;
    Ok(conn)
}

/// Commits of a writer: (BEGIN, COMMIT returned) instants.
struct Writer {
    commits: Vec<(Instant, Instant)>,
}

/// Writes one small transaction after another for `seconds`, `rate` a second (0:
/// as fast as it can).
fn write(path: &Path, rate: u64, seconds: u64, stop: &AtomicBool) -> rusqlite::Result<Writer> {
    let conn = open(path)?;
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut commits = Vec::new();
    let mut v = 0u64;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        if rate > 0 {
            let due = start + Duration::from_secs_f64(v as f64 / rate as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        v += 1;
        let began = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute(
            "INSERT INTO t(v, pad) VALUES (?1, randomblob(100))",
            [v as i64],
        )?;
        conn.execute_batch("COMMIT")?;
        commits.push((began, Instant::now()));
    }
    Ok(Writer { commits })
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn store() -> Arc<dyn Store> {
    let server = coffer_testkit::garage();
    Arc::new(S3Store::new(S3Settings {
        profile: "bench".into(),
        endpoint: Some(server.endpoint.clone()),
        region: Some(server.region.clone()),
        path_style: server.path_style,
        credentials: ResolvedCredentials::Static {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: Sensitive::new(server.secret_access_key.clone()),
            session_token: None,
        },
        regions: RegionCache::new("bench", None),
    }))
}

struct Running {
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), coffer_replicate::ReplicateError>>,
    steps: Arc<Mutex<Vec<(Instant, Instant)>>>,
    status: Arc<Mutex<Status>>,
}

async fn replicate(db: &Path, dir: &Path, interval: Duration, name: &str) -> Res<Running> {
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("bench-repl");
    let replica = Replica::new(
        format!("garage:s3://{bucket}/dbs"),
        store(),
        bucket,
        "dbs",
        name,
    )?;
    let mut config = ReplicatorConfig::new(
        db.to_path_buf(),
        dir.join(format!("spool-{name}")),
        vec![replica],
    );
    config.interval = interval;
    let replicator = Replicator::start(config).await?;
    let status = replicator.status();
    let steps = Arc::new(Mutex::new(Vec::new()));
    let cancel = CancellationToken::new();
    let seen = steps.clone();
    let token = cancel.clone();
    let task = tokio::spawn(async move {
        replicator
            .run_observed(token, move |a, b| {
                if let Ok(mut s) = seen.lock() {
                    s.push((a, b));
                }
            })
            .await
    });
    Ok(Running {
        cancel,
        task,
        steps,
        status,
    })
}

fn requests(status: &Arc<Mutex<Status>>) -> (u64, [u64; 4]) {
    let s = status.lock().map(|s| s.clone()).unwrap_or_default();
    let r = s.replicas.first().map(|r| r.requests).unwrap_or_default();
    (s.txid, [r.put, r.list, r.get, r.delete])
}

fn new_db(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.db"));
    let _ = std::fs::remove_file(&path);
    path
}

async fn blocking_write(path: PathBuf, rate: u64, seconds: u64) -> Res<Writer> {
    let stop = Arc::new(AtomicBool::new(false));
    Ok(tokio::task::spawn_blocking(move || write(&path, rate, seconds, &stop)).await??)
}

fn latency(w: &Writer) -> (f64, f64, f64) {
    let mut l: Vec<f64> = w
        .commits
        .iter()
        .map(|(a, b)| b.duration_since(*a).as_secs_f64() * 1e3)
        .collect();
    l.sort_by(f64::total_cmp);
    let secs = match (w.commits.first(), w.commits.last()) {
        (Some(a), Some(b)) => b.1.duration_since(a.0).as_secs_f64().max(1e-9),
        _ => 1.0,
    };
    (w.commits.len() as f64 / secs, pct(&l, 0.5), pct(&l, 0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let rate = env("RATE", 1000);
    let seconds = env("SECONDS", 30);
    let writer_seconds = env("WRITER_SECONDS", 10);
    let idle = env("IDLE", 20);
    let interval = Duration::from_millis(env("INTERVAL_MS", 1000));
    let dir = tempfile::tempdir()?;
    eprintln!("bench: starting Garage");
    let _ = coffer_testkit::garage();

    // 1. The writer's cost.
    let mut rows = Vec::new();
    for (label, r) in [("unpaced", 0), ("paced", rate)] {
        eprintln!("bench: {label} writer without replication");
        let plain = new_db(dir.path(), &format!("plain-{label}"));
        drop(open(&plain)?);
        let without = latency(&blocking_write(plain, r, writer_seconds).await?);
        eprintln!("bench: {label} writer with replication");
        let db = new_db(dir.path(), &format!("repl-{label}"));
        drop(open(&db)?);
        let running = replicate(&db, dir.path(), interval, &format!("w-{label}")).await?;
        let with = latency(&blocking_write(db, r, writer_seconds).await?);
        running.cancel.cancel();
        running.task.await??;
        rows.push((label, without, with));
    }

    // 2. Lag at RATE, and requests while writing.
    eprintln!("bench: lag at {rate} transactions/s for {seconds} s");
    let db = new_db(dir.path(), "lag");
    drop(open(&db)?);
    let running = replicate(&db, dir.path(), interval, "lag").await?;
    let (_, before) = requests(&running.status);
    let began = Instant::now();
    let writer = blocking_write(db.clone(), rate, seconds).await?;
    // Let the last commits go up.
    tokio::time::sleep(interval * 2 + Duration::from_millis(500)).await;
    let writing_secs = began.elapsed().as_secs_f64();
    let (_, after) = requests(&running.status);
    let steps = running.steps.lock().map(|s| s.clone()).unwrap_or_default();
    let mut lags: Vec<f64> = writer
        .commits
        .iter()
        .filter_map(|(_, committed)| {
            steps
                .iter()
                .find(|(start, _)| start >= committed)
                .map(|(_, end)| end.duration_since(*committed).as_secs_f64() * 1e3)
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let shipped = lags.len();

    // 3. Idle.
    eprintln!("bench: idle for {idle} s");
    let (_, idle_before) = requests(&running.status);
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let (_, idle_after) = requests(&running.status);
    running.cancel.cancel();
    running.task.await??;

    let per_hour = |a: [u64; 4], b: [u64; 4], secs: f64| -> Vec<String> {
        (0..4)
            .map(|i| format!("{:.0}", (b[i] - a[i]) as f64 * 3600.0 / secs.max(1e-9)))
            .collect()
    };
    println!(
        "### Replication (P6), Garage on loopback, sync interval {} ms\n",
        interval.as_millis()
    );
    println!("| writer | without replication | with replication | change |");
    println!("|---|---|---|---|");
    for (label, without, with) in &rows {
        println!(
            "| {label}: transactions/s | {:.0} | {:.0} | {:+.1}% |",
            without.0,
            with.0,
            (with.0 / without.0 - 1.0) * 100.0
        );
        println!(
            "| {label}: commit p50 / p99 (ms) | {:.3} / {:.3} | {:.3} / {:.3} | |",
            without.1, without.2, with.1, with.2
        );
    }
    println!(
        "\nLag at {rate} transactions/s ({} commits, {shipped} seen uploaded): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms.\n",
        writer.commits.len(),
        pct(&lags, 0.5),
        pct(&lags, 0.99),
        lags.last().copied().unwrap_or(f64::NAN)
    );
    let w = per_hour(before, after, writing_secs);
    let i = per_hour(idle_before, idle_after, idle as f64);
    println!("| requests per hour | PUT | LIST | GET | DELETE |");
    println!("|---|---|---|---|---|");
    println!(
        "| while writing | {} | {} | {} | {} |",
        w[0], w[1], w[2], w[3]
    );
    println!("| idle | {} | {} | {} | {} |", i[0], i[1], i[2], i[3]);
    Ok(())
}

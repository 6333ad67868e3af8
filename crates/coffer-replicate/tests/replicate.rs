//! Replication in process, on the `local` store (and through `FaultStore`): round
//! trips at several page sizes, point-in-time restores, resuming after a restart,
//! a lost position, compaction and retention, damaged segments, and a replica that
//! fails for a while. The crash drill with kill -9 against Garage is in
//! `coffer-cli/tests/e2e_replicate.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use coffer_core::store::{Fault, FaultStore, ListRequest, LocalStore, Store, StoreExt};
use coffer_replicate::key::SNAPSHOT_LEVEL;
use coffer_replicate::plan::History;
use coffer_replicate::{
    Replica, Replicator, ReplicatorConfig, RestoreOptions, Retention, Target, compact, restore,
    retain,
};
use rusqlite::Connection;
use tokio_util::sync::CancellationToken;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Fixture {
    dir: tempfile::TempDir,
    store: Arc<dyn Store>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(LocalStore::open(dir.path().join("store")).expect("store"));
    Fixture { dir, store }
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn replica(&self, db_id: &str) -> Replica {
        let _ = self.store.create_bucket("rep").await;
        Replica::new(
            "local:s3://rep/dbs",
            self.store.clone(),
            "rep",
            "dbs",
            db_id,
        )
        .expect("replica")
    }

    fn config(&self, db: &Path, replicas: Vec<Replica>) -> ReplicatorConfig {
        let mut c = ReplicatorConfig::new(db.to_path_buf(), self.path("spool"), replicas);
        c.interval = Duration::from_millis(20);
        c
    }
}

/// The application: its own connection, WAL mode, the given autocheckpoint.
fn app(path: &Path, page_size: u32, autocheckpoint: u32) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", page_size)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "wal_autocheckpoint", autocheckpoint)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v INTEGER);
         CREATE TABLE IF NOT EXISTS c(k INTEGER PRIMARY KEY, v INTEGER);
         INSERT OR IGNORE INTO c VALUES (1, 0);
         CREATE TABLE IF NOT EXISTS churn(id INTEGER PRIMARY KEY, b BLOB);",
    )?;
    Ok(conn)
}

/// One transaction of the drill's writer: `t(id=v)`, `c.v = v`, some churn.
fn write(conn: &Connection, v: i64) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    conn.execute("INSERT INTO t VALUES (?1, ?1)", [v])?;
    conn.execute("UPDATE c SET v = ?1 WHERE k = 1", [v])?;
    conn.execute(
        "INSERT INTO churn(b) VALUES (zeroblob(?1))",
        [300 + (v * 7919) % 2000],
    )?;
    conn.execute("DELETE FROM churn WHERE id % 3 = ?1", [v % 3])?;
    conn.execute_batch("COMMIT")
}

/// Checks a restored database: integrity, and `c.v == count(t) == max(id)`; returns v.
fn verify(path: &Path) -> Result<i64, Box<dyn std::error::Error>> {
    let conn = Connection::open(path)?;
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(ok, "ok", "{}", path.display());
    let (count, max): (i64, Option<i64>) =
        conn.query_row("SELECT count(*), max(id) FROM t", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let v: i64 = conn.query_row("SELECT v FROM c WHERE k = 1", [], |r| r.get(0))?;
    assert_eq!(count, v, "count(t) == c.v in {}", path.display());
    assert_eq!(max.unwrap_or(0), v, "max(id) == c.v in {}", path.display());
    Ok(v)
}

fn dump(path: &Path) -> Result<Vec<(i64, i64)>, Box<dyn std::error::Error>> {
    let conn = Connection::open(path)?;
    let mut stmt =
        conn.prepare("SELECT id, v FROM t UNION ALL SELECT -id, length(b) FROM churn ORDER BY 1")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn options(to: &Path, target: Target) -> RestoreOptions {
    RestoreOptions {
        target,
        to: to.to_path_buf(),
        force: false,
        concurrency: 4,
    }
}

async fn count_level(replica: &Replica, level: u32) -> usize {
    let mut n = 0;
    for lineage in replica.lineages().await.expect("lineages") {
        n += replica
            .list_level(&lineage, level)
            .await
            .expect("list")
            .len();
    }
    n
}

async fn round_trip(page_size: u32) -> TestResult {
    let f = fixture();
    let db = f.path("app.db");
    let conn = app(&db, page_size, 0)?;
    let replica = f.replica(&format!("app-{page_size}")).await;
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    let mut marks = Vec::new();
    for v in 1..=300 {
        write(&conn, v)?;
        if v % 25 == 0 {
            rep.step().await?;
            marks.push((v, rep.status().lock().map_err(|_| "poisoned")?.txid));
        }
        if v == 150 {
            conn.execute_batch("DELETE FROM churn; VACUUM;")?;
        }
    }
    rep.step().await?;
    let to = f.path("restored.db");
    let report = restore(
        &replica,
        &options(&to, Target::Latest),
        &CancellationToken::new(),
    )
    .await?;
    assert!(report.checksum_verified);
    assert_eq!(verify(&to)?, 300);
    assert_eq!(dump(&to)?, dump(&db)?);
    // Every point marked restores to exactly that point.
    for (v, txid) in marks {
        let to = f.path(&format!("at-{txid}.db"));
        restore(
            &replica,
            &options(&to, Target::Txid(txid)),
            &CancellationToken::new(),
        )
        .await?;
        assert_eq!(verify(&to)?, v, "txid {txid}");
    }
    rep.stop().await?;
    Ok(())
}

#[tokio::test]
async fn round_trip_with_1k_pages() -> TestResult {
    round_trip(1024).await
}

#[tokio::test]
async fn round_trip_with_64k_pages() -> TestResult {
    round_trip(65536).await
}

#[tokio::test]
async fn restart_resumes_without_a_snapshot_and_a_lost_position_gets_one() -> TestResult {
    let f = fixture();
    let db = f.path("app.db");
    let conn = app(&db, 4096, 0)?;
    let replica = f.replica("app").await;
    for v in 1..=50 {
        write(&conn, v)?;
    }
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    rep.step().await?;
    rep.stop().await?;
    assert_eq!(count_level(&replica, SNAPSHOT_LEVEL).await, 1);
    for v in 51..=80 {
        write(&conn, v)?;
    }
    // The log still goes on from the replica's position: no second snapshot.
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    rep.step().await?;
    rep.stop().await?;
    assert_eq!(
        count_level(&replica, SNAPSHOT_LEVEL).await,
        1,
        "resumed without a snapshot"
    );
    // With no replicator, the application checkpoints and restarts the log.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    for v in 81..=100 {
        write(&conn, v)?;
    }
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    let status = rep.status();
    rep.step().await?;
    rep.stop().await?;
    assert_eq!(
        count_level(&replica, SNAPSHOT_LEVEL).await,
        2,
        "a lost position makes a snapshot"
    );
    let txid = status.lock().map_err(|_| "poisoned")?.txid;
    let to = f.path("r.db");
    restore(
        &replica,
        &options(&to, Target::Latest),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(verify(&to)?, 100);
    assert_eq!(dump(&to)?, dump(&db)?);
    // The history before the snapshot is still there.
    let to = f.path("r80.db");
    restore(
        &replica,
        &options(&to, Target::Txid(txid - 1)),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(verify(&to)?, 80);
    Ok(())
}

#[tokio::test]
async fn the_app_checkpointing_on_its_own_loses_nothing() -> TestResult {
    let f = fixture();
    let db = f.path("app.db");
    // The application's autocheckpoint at 20 pages: it checkpoints all the time, but
    // the replicator's read transaction keeps it from restarting the log past
    // frames not yet shipped.
    let conn = app(&db, 1024, 20)?;
    let replica = f.replica("busy").await;
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    for v in 1..=400 {
        write(&conn, v)?;
        if v % 40 == 0 {
            rep.step().await?;
        }
    }
    rep.step().await?;
    assert_eq!(
        count_level(&replica, SNAPSHOT_LEVEL).await,
        1,
        "never lost its position"
    );
    assert!(
        rep.status()
            .lock()
            .map_err(|_| "poisoned")?
            .last_checkpoint_ms
            .is_some()
    );
    // The log was restarted (new salts) while it was followed.
    let wal = coffer_replicate::wal::read_header(&f.path("app.db-wal"))?.ok_or("no log")?;
    assert!(wal.checkpoint_seq >= 1, "{wal:?}");
    let to = f.path("r.db");
    restore(
        &replica,
        &options(&to, Target::Latest),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(verify(&to)?, 400);
    assert_eq!(dump(&to)?, dump(&db)?);
    rep.stop().await?;
    Ok(())
}

#[tokio::test]
async fn compaction_and_retention_keep_every_restorable_point() -> TestResult {
    let f = fixture();
    let db = f.path("app.db");
    let conn = app(&db, 4096, 0)?;
    let replica = f.replica("compact").await;
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    for v in 1..=60 {
        write(&conn, v)?;
        rep.step().await?;
    }
    let lineage = rep.lineage().ok_or("no lineage")?;
    let spool = f.path("spool");
    let l1 = compact::compact(&replica, &lineage, 1, &spool).await?;
    assert_eq!((l1.written, l1.merged), (1, 60));
    for v in 61..=70 {
        write(&conn, v)?;
        rep.step().await?;
    }
    let l1 = compact::compact(&replica, &lineage, 1, &spool).await?;
    assert_eq!((l1.written, l1.merged), (1, 10));
    let l2 = compact::compact(&replica, &lineage, 2, &spool).await?;
    assert_eq!((l2.written, l2.merged), (1, 2));
    // A restore to a point inside a merged range still finds it, from level 0.
    let to = f.path("r30.db");
    restore(
        &replica,
        &options(&to, Target::Txid(31)),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(verify(&to)?, 30);
    let policy = Retention {
        retain: Duration::from_secs(3600),
        level0: Duration::ZERO,
        level1: Duration::ZERO,
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let done = retain::enforce(
        &replica,
        &lineage,
        &policy,
        coffer_replicate::clock::now_ms(),
    )
    .await?;
    assert_eq!(done.deleted, 72, "{done:?}");
    let history = History::read(&replica, lineage).await?;
    let at = |level| history.levels.get(&level).map_or(0, Vec::len);
    assert_eq!(
        (at(0), at(1), at(2), at(SNAPSHOT_LEVEL)),
        (0, 0, 1, 1),
        "{history:?}"
    );
    let to = f.path("r.db");
    let report = restore(
        &replica,
        &options(&to, Target::Latest),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(verify(&to)?, 70);
    assert_eq!(report.objects, 2, "{report:?}");
    rep.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_restore_never_replaces_a_file_or_uses_a_damaged_segment() -> TestResult {
    let f = fixture();
    let db = f.path("app.db");
    let conn = app(&db, 4096, 0)?;
    let replica = f.replica("damaged").await;
    let mut rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    for v in 1..=10 {
        write(&conn, v)?;
    }
    rep.step().await?;
    rep.stop().await?;
    let existing = f.path("existing.db");
    std::fs::write(&existing, b"precious")?;
    let err = restore(
        &replica,
        &options(&existing, Target::Latest),
        &CancellationToken::new(),
    )
    .await
    .err()
    .ok_or("restored over a file")?;
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read(&existing)?, b"precious");
    // Damage the newest segment: the restore fails, names it, and leaves nothing.
    let keys = keys(&f.store, "rep", "dbs/damaged/").await?;
    let newest = keys
        .iter()
        .filter(|k| k.contains("/0/"))
        .max()
        .ok_or("no level 0")?;
    let mut bytes = f.store.get_bytes("rep", newest).await?;
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    f.store.put_bytes("rep", newest, bytes).await?;
    let to = f.path("never.db");
    let err = restore(
        &replica,
        &options(&to, Target::Latest),
        &CancellationToken::new(),
    )
    .await
    .err()
    .ok_or("restored from a damaged segment")?;
    assert!(err.to_string().contains(newest.as_str()), "{err}");
    assert!(!to.exists());
    let leftovers: Vec<_> = std::fs::read_dir(f.dir.path())?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("coffer-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    Ok(())
}

#[tokio::test]
async fn a_failing_replica_catches_up_and_the_other_goes_on() -> TestResult {
    let f = fixture();
    let db = f.path("app.db");
    let conn = app(&db, 4096, 0)?;
    let good = f.replica("two").await;
    let faulty = Arc::new(FaultStore::new(
        f.store.clone(),
        vec![Fault::transient("put", 2, 5)],
    ));
    let _ = f.store.create_bucket("rep2").await;
    let bad = Replica::new("faulty", faulty.clone(), "rep2", "dbs", "two")?;
    let mut rep = Replicator::start(f.config(&db, vec![good.clone(), bad.clone()])).await?;
    let status = rep.status();
    for v in 1..=20 {
        write(&conn, v)?;
        rep.step().await?;
    }
    rep.stop().await?;
    let st = status.lock().map_err(|_| "poisoned")?.clone();
    assert!(
        st.replicas
            .iter()
            .all(|r| r.pending == 0 && r.txid == st.txid),
        "{st:?}"
    );
    for (replica, name) in [(&good, "a.db"), (&bad, "b.db")] {
        let to = f.path(name);
        restore(
            replica,
            &options(&to, Target::Latest),
            &CancellationToken::new(),
        )
        .await?;
        assert_eq!(verify(&to)?, 20);
    }
    Ok(())
}

/// Every key under `prefix`.
async fn keys(
    store: &Arc<dyn Store>,
    bucket: &str,
    prefix: &str,
) -> coffer_core::Result<Vec<String>> {
    use futures::StreamExt;
    let mut out = Vec::new();
    let mut pages = store.list_stream(ListRequest::recursive(bucket, prefix));
    while let Some(page) = pages.next().await {
        out.extend(page?.objects.into_iter().map(|o| o.key));
    }
    Ok(out)
}

/// The short crash drill, in process and through the fault-injecting store: a writer
/// keeps writing while the replicator is dropped without a last sync (as a kill
/// would leave it) at random moments and started again, each time over a store that
/// fails some of its puts, gets and lists (retried by `RetryStore`). Every restore,
/// to the newest point and to earlier TXIDs, passes its checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_and_faults_lose_nothing() -> TestResult {
    use coffer_core::store::{RetryPolicy, RetryStore};
    use std::sync::atomic::{AtomicBool, Ordering};
    let f = fixture();
    let db = f.path("app.db");
    drop(app(&db, 1024, 100)?);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let db = db.clone();
        let stop = stop.clone();
        std::thread::spawn(move || -> rusqlite::Result<i64> {
            let conn = app(&db, 1024, 100)?;
            let mut v = 0;
            while !stop.load(Ordering::Relaxed) {
                v += 1;
                write(&conn, v)?;
                if v % 500 == 0 {
                    conn.execute_batch("VACUUM")?;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            std::mem::forget(conn);
            Ok(v)
        })
    };
    let _ = f.store.create_bucket("rep").await;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..8 {
        let faulty: Arc<dyn Store> = Arc::new(RetryStore::new(
            Arc::new(FaultStore::new(
                f.store.clone(),
                vec![
                    Fault::transient("put", (next() % 5) as u32, 2),
                    Fault::transient("list_page", (next() % 5) as u32, 1),
                    Fault::transient("get", (next() % 3) as u32, 1),
                ],
            )),
            RetryPolicy::default(),
        ));
        let replica = Replica::new("faulty", faulty, "rep", "dbs", "drill")?;
        let rep = Replicator::start(f.config(&db, vec![replica])).await?;
        let cancel = CancellationToken::new();
        let task = tokio::spawn(rep.run(cancel.clone()));
        tokio::time::sleep(Duration::from_millis(50 + next() % 600)).await;
        // A kill: no last sync, nothing released in order.
        task.abort();
        let _ = task.await;
        eprintln!("round {round}: killed");
    }
    stop.store(true, Ordering::Relaxed);
    let last = writer.join().map_err(|_| "writer panicked")??;
    let replica = f.replica("drill").await;
    let rep = Replicator::start(f.config(&db, vec![replica.clone()])).await?;
    rep.stop().await?;
    let to = f.path("latest.db");
    restore(
        &replica,
        &options(&to, Target::Latest),
        &CancellationToken::new(),
    )
    .await?;
    assert_eq!(verify(&to)?, last);
    assert_eq!(dump(&to)?, dump(&db)?);
    let lineage = *replica.lineages().await?.last().ok_or("no lineage")?;
    let history = History::read(&replica, lineage).await?;
    let mut txids: Vec<u64> = history.all().map(|l| l.key.max_txid).collect();
    txids.sort_unstable();
    txids.dedup();
    let mut previous = 0;
    for (i, txid) in txids.iter().enumerate().step_by((txids.len() / 10).max(1)) {
        let to = f.path(&format!("at-{i}.db"));
        restore(
            &replica,
            &options(&to, Target::Txid(*txid)),
            &CancellationToken::new(),
        )
        .await?;
        let v = verify(&to)?;
        assert!(
            v >= previous,
            "txid {txid}: v={v} went back from {previous}"
        );
        previous = v;
    }
    Ok(())
}

//! The web UI in a real browser: Playwright (playwright-core driving Debian's
//! Chromium) against a real `coffer serve` backed by Garage. The flow itself is in
//! `ui/e2e/` (TypeScript); this test prepares the server side (a Garage profile, an
//! empty bucket, a prefix of 10,000 objects; for the backups page an empty bucket, a
//! bucket holding a foreign object, a folder to back up and one to restore into, both
//! inside the API's allowed folders), starts `coffer serve` with the built UI and runs
//! `npm run e2e` with what it needs in the environment.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Coffer, keyring_ready, wait_or_kill};

const TOKEN: &str = "webui-test-token-0123456789";
const BIG: usize = 10_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built UI and its test packages, or `None` (skip) outside CI.
fn ui_ready() -> bool {
    let ui = repo().join("ui");
    let ready = ui.join("dist/index.html").is_file()
        && ui.join("node_modules/playwright-core").is_dir()
        && Path::new("/usr/bin/chromium").is_file();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must build the UI first (scripts/build-ui.sh) and have /usr/bin/chromium"
        );
        eprintln!("skipped: run scripts/build-ui.sh (and scripts/setup.sh for chromium)");
    }
    ready
}

#[test]
fn the_web_ui_flow_in_chromium_against_garage() {
    if !keyring_ready() || !ui_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("webui");
    let big = server.fresh_bucket("webui-big");

    // 10,000 one-line objects under many/ (names sort as they are numbered).
    let many = c.path("many");
    std::fs::create_dir_all(&many).expect("mkdir");
    for i in 0..BIG {
        std::fs::write(many.join(format!("obj-{i:05}.txt")), format!("{i}\n")).expect("write");
    }
    c.run_as(
        &profile,
        &[
            "cp",
            "--recursive",
            many.to_str().expect("utf-8"),
            &format!("s3://{big}/many/"),
        ],
    )
    .ok();

    // Backups (ui/e2e/backups.e2e.ts): an empty bucket for a new repository; a bucket
    // holding someone else's object, where creating one is refused; a folder to back
    // up (with a file the flow rewrites between two runs, one `*.tmp` it excludes and
    // 10,000 files in one folder) and one to restore into. The API may use the
    // scratch folder holding both (COFFER_API_ALLOWED_DIRS).
    let backup_bucket = server.fresh_bucket("webui-backup");
    let foreign = server.fresh_bucket("webui-foreign");
    let foreign_key = "not-a-backup.txt";
    let foreign_file = c.path(foreign_key);
    std::fs::write(&foreign_file, "someone else's data\n").expect("write");
    c.run_as(
        &profile,
        &[
            "cp",
            foreign_file.to_str().expect("utf-8"),
            &format!("s3://{foreign}/{foreign_key}"),
        ],
    )
    .ok();
    let src = c.path("backup-src");
    let docs = src.join("docs");
    let big_dir = src.join("big");
    std::fs::create_dir_all(&docs).expect("mkdir");
    std::fs::create_dir_all(&big_dir).expect("mkdir");
    std::fs::write(src.join("top.txt"), "top\n").expect("write");
    std::fs::write(docs.join("notes ü +%.txt"), "the first version\n").expect("write");
    std::fs::write(docs.join("skip.tmp"), "left out by *.tmp\n").expect("write");
    for i in 0..BIG {
        std::fs::write(big_dir.join(format!("f-{i:05}.txt")), format!("{i}\n")).expect("write");
    }
    let restore = c.path("restored");

    // Object versions (ui/e2e/versions.e2e.ts): a moto profile and a bucket with
    // versioning on, holding three versions of one key; Garage (the main profile)
    // has none.
    let moto = coffer_testkit::moto();
    let versions_profile = c.add_profile(moto);
    let versions_bucket = moto.fresh_bucket("webui-versions");
    support::turn_versioning_on(moto, &versions_bucket);
    let versions_key = "notes/plan ü+%.txt";
    let versions_file = c.path("plan.txt");
    for body in ["first\n", "second, longer\n", "third, the longest of all\n"] {
        std::fs::write(&versions_file, body).expect("write");
        c.run_as(
            &versions_profile,
            &[
                "cp",
                versions_file.to_str().expect("utf-8"),
                &format!("s3://{versions_bucket}/{versions_key}"),
            ],
        )
        .ok();
    }

    let port = coffer_testkit::free_port();
    let mut serve = c
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("COFFER_API_TOKEN", TOKEN)
        .env("COFFER_UI_DIR", repo().join("ui/dist"))
        .env("COFFER_API_ALLOWED_DIRS", c.work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn coffer serve");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "coffer serve did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Share links (ui/e2e/shares.e2e.ts): two made by the CLI, attached to the
    // running agent, one live for an hour and one that has already expired; the API
    // lists both, with their expiry.
    let shares_file = c.path("shared.txt");
    std::fs::write(&shares_file, "shared by the CLI\n").expect("write");
    let (live_key, expired_key) = ("shares/live ü+%.txt", "shares/expired.txt");
    for key in [live_key, expired_key] {
        c.run_as(
            &profile,
            &[
                "cp",
                shares_file.to_str().expect("utf-8"),
                &format!("s3://{bucket}/{key}"),
            ],
        )
        .ok();
    }
    let live = c
        .run_as(
            &profile,
            &["presign", &format!("s3://{bucket}/{live_key}"), "--json"],
        )
        .ok()
        .json();
    c.run_as(
        &profile,
        &[
            "presign",
            &format!("s3://{bucket}/{expired_key}"),
            "--expires",
            "1s",
        ],
    )
    .ok();
    std::thread::sleep(Duration::from_millis(2100));
    let listed = api_get(&format!("{url}/api/v1/shares"));
    let shares = listed["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 2, "{listed}");
    assert_eq!(shares[0]["key"], live_key);
    assert_eq!(shares[0]["id"], live["share_id"]);
    assert_eq!(shares[0]["via"], "cli");
    assert_eq!(shares[0]["expired"], false);
    assert_eq!(shares[0]["expires_at"], live["expires_at"]);
    assert_eq!(shares[1]["key"], expired_key);
    assert_eq!(shares[1]["expired"], true);

    // The bucket index (ui/e2e/index.e2e.ts): a bucket with six objects and no index.
    let index_bucket = server.fresh_bucket("webui-index");
    let index_tree = c.path("index-tree");
    for key in [
        "docs/a.txt",
        "docs/b.jpg",
        "docs/deep/c.jpg",
        "photos/2024/x.jpg",
        "photos/2024/y.png",
        "top.jpg",
    ] {
        let path = index_tree.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, key).expect("write");
    }
    c.run_as(
        &profile,
        &[
            "cp",
            "-r",
            index_tree.to_str().expect("utf-8"),
            &format!("s3://{index_bucket}/"),
        ],
    )
    .ok();

    // Replication (ui/e2e/replication.e2e.ts): a database a writer keeps writing, in
    // an allowed folder, and an empty bucket.
    let repl_bucket = server.fresh_bucket("webui-repl");
    let repl_db = c.path("repl/app.db");
    std::fs::create_dir_all(repl_db.parent().expect("parent")).expect("mkdir");
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let db = repl_db.clone();
        let writing = writing.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&db).expect("open the database");
            conn.pragma_update(None, "journal_mode", "wal")
                .expect("wal");
            conn.busy_timeout(Duration::from_secs(10)).expect("busy");
            conn.execute_batch("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)")
                .expect("table");
            let mut i = 0u64;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let _ = conn.execute("INSERT INTO t(v) VALUES (?1)", [format!("row {i}")]);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    let artifacts = std::env::var_os("COFFER_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("artifacts"));
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let child = Command::new("npm")
        .args(["run", "e2e", "--silent"])
        .current_dir(repo().join("ui"))
        .env("COFFER_URL", &url)
        .env("COFFER_TOKEN", TOKEN)
        .env("COFFER_PROFILE", &profile)
        .env("COFFER_BUCKET", &bucket)
        .env("COFFER_BIG_BUCKET", &big)
        .env("COFFER_BIG_PREFIX", "many/")
        .env("COFFER_ARTIFACTS", &artifacts)
        .env("COFFER_S3_ENDPOINT", &server.endpoint)
        .env("COFFER_S3_REGION", &server.region)
        .env("COFFER_S3_KEY_ID", &server.access_key_id)
        .env("COFFER_S3_SECRET", &server.secret_access_key)
        .env("COFFER_BACKUP_BUCKET", &backup_bucket)
        .env("COFFER_BACKUP_FOREIGN_BUCKET", &foreign)
        .env("COFFER_BACKUP_FOREIGN_KEY", foreign_key)
        .env("COFFER_BACKUP_SRC", &src)
        .env("COFFER_BACKUP_RESTORE", &restore)
        .env("COFFER_BACKUP_BIG_COUNT", BIG.to_string())
        .env("COFFER_VERSIONS_PROFILE", &versions_profile)
        .env("COFFER_VERSIONS_BUCKET", &versions_bucket)
        .env("COFFER_VERSIONS_KEY", versions_key)
        .env("COFFER_INDEX_BUCKET", &index_bucket)
        .env("COFFER_SHARES_BUCKET", &bucket)
        .env("COFFER_SHARES_LIVE_KEY", live_key)
        .env("COFFER_SHARES_EXPIRED_KEY", expired_key)
        .env("COFFER_REPL_DB", &repl_db)
        .env("COFFER_REPL_BUCKET", &repl_bucket)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("npm run e2e");
    let run = wait_or_kill(child, Duration::from_secs(1200), "npm run e2e");
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = writer.join();
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        run.code == 0,
        "the browser flow failed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    eprintln!("{}", run.stdout);
}

/// `GET url` with the API token, as JSON.
fn api_get(url: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("GET");
        assert!(response.status().is_success(), "{}", response.status());
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("json")
    })
}

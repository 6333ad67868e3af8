//! The web UI in a real browser: Playwright (playwright-core driving Debian's
//! Chromium) against a real `coffer serve` backed by Garage. The flow itself is in
//! `ui/e2e/` (TypeScript); this test prepares the server side (a Garage profile, an
//! empty bucket, a prefix of 10,000 objects), starts `coffer serve` with the built UI
//! and runs `npm run e2e` with what it needs in the environment.

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

    let port = coffer_testkit::free_port();
    let mut serve = c
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("COFFER_API_TOKEN", TOKEN)
        .env("COFFER_UI_DIR", repo().join("ui/dist"))
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
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("npm run e2e");
    let run = wait_or_kill(child, Duration::from_secs(600), "npm run e2e");
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

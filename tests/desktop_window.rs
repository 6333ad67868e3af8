//! The real app in its real webview: `coffer-desktop` under Xvfb, driven over W3C
//! WebDriver by `WebKitWebDriver` (`TAURI_WEBVIEW_AUTOMATION=true`,
//! `webkitgtk:browserOptions.binary`), against Garage. The flow: add a Garage
//! profile, open a bucket, upload by a drop (`tauri://drag-drop` with a real file
//! path), see the object with its size, rename it, delete it, and save a screenshot
//! of the browser view to the artifacts folder. The Backups page in the same window:
//! a repository on the `local` profile, a job run now, its snapshot's tree, a file's
//! timeline and a restore in one click.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn ready() -> bool {
    let ready = Path::new("/usr/bin/WebKitWebDriver").is_file()
        && Path::new("/usr/bin/Xvfb").is_file()
        && std::env::var("COFFER_KEYRING_READY").as_deref() == Ok("1");
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this through scripts/test.sh (WebKitWebDriver, Xvfb, keyring)"
        );
        eprintln!("skipped: needs WebKitWebDriver, Xvfb and the test keyring (scripts/test.sh)");
    }
    ready
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A WebDriver session on the app; the driver is killed on drop.
struct Driver {
    driver: Child,
    base: String,
    session: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Driver {
    fn start(display: &str, home: &Path) -> Driver {
        let port = coffer_testkit::free_port();
        let driver = Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .env("DISPLAY", display)
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("COFFER_HOME", home)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("WebKitWebDriver");
        let mut d = Driver {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            // A WebDriver call that never answers fails the test instead of hanging it.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(90))
                .build()
                .expect("client"),
            runtime: tokio::runtime::Runtime::new().expect("runtime"),
        };
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": env!("CARGO_BIN_EXE_coffer-desktop"), "args": [] }
        }}});
        // The driver needs a moment to listen; retry the session once it does.
        let deadline = Instant::now() + Duration::from_secs(30);
        let answer = loop {
            match d.try_call("POST", "/session", Some(caps.clone())) {
                Ok(v) if v["value"]["sessionId"].is_string() => break v,
                other => {
                    assert!(Instant::now() < deadline, "no WebDriver session: {other:?}");
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        };
        d.session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        d
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        self.runtime.block_on(async {
            let url = format!("{}{path}", self.base);
            let request = match method {
                "GET" => self.client.get(url),
                "DELETE" => self.client.delete(url),
                _ => self
                    .client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(
                        serde_json::to_vec(&body.unwrap_or(json!({})))
                            .map_err(|e| e.to_string())?,
                    ),
            };
            let response = request.send().await.map_err(|e| e.to_string())?;
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let v = self.try_call(method, &path, body).expect("WebDriver call");
        assert!(v["value"]["error"].is_null(), "{method} {path}: {v}");
        v["value"].clone()
    }

    fn exec(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits until `script` returns something truthy; returns it.
    fn wait(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.exec(script, args.clone());
            if !(v.is_null() || v == json!(false)) {
                return v;
            }
            if Instant::now() > deadline {
                let text = self.exec("return document.body.innerText.slice(0, 2000)", json!([]));
                panic!("timed out waiting for {what}; the page says:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn find(&self, css: &str) -> String {
        let script = "return document.querySelector(arguments[0]) ? true : false";
        self.wait(css, script, json!([css]));
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT].as_str().expect("element id").to_string()
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64"))
            .expect("png");
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.try_call("DELETE", &format!("/session/{}", self.session), None);
        // The app the driver started goes too, even when closing the session failed
        // (under load): a window left running keeps its agent's connections open.
        if let Ok(out) = Command::new("pgrep")
            .args(["-P", &self.driver.id().to_string()])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// One window at a time: each test starts Xvfb, WebKitWebDriver and the app, and two
/// cores run them better in turn than together.
static ONE_WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_window() -> std::sync::MutexGuard<'static, ()> {
    ONE_WINDOW
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn css_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn add_a_garage_profile_upload_by_drop_rename_delete() {
    if !ready() {
        return;
    }
    let _window = one_window();
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("desk");
    let xvfb = coffer_testkit::Xvfb::start().expect("Xvfb");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let file = dir.path().join("photo one+100%.bin");
    let size = 300_000usize;
    std::fs::write(&file, vec![7u8; size]).expect("write");
    let profile = format!("garage-{}", std::process::id());

    let started = Instant::now();
    let d = Driver::start(&xvfb.display, &home);
    // The local profile's sample bucket shows first.
    d.find("[data-testid=bucket-row][data-bucket=samples]");
    eprintln!("window interactive after {:?}", started.elapsed());

    // 1. Add a Garage profile. 2. Open a bucket.
    add_profile_and_open(&d, &profile, &server.endpoint, &bucket);

    // 3. Upload through a drop of a real file path.
    drop_path(&d, &file);

    // 4. The object shows with its size.
    let key = "photo one+100%.bin";
    let row = format!("[data-testid=row][data-key={}]", css_str(key));
    let shown = d.wait(
        "the uploaded object",
        "const r = document.querySelector(arguments[0]); return r && r.dataset.size",
        json!([row]),
    );
    assert_eq!(shown, json!(size.to_string()), "size shown");
    let artifacts = std::env::var_os("COFFER_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("artifacts"));
    std::fs::create_dir_all(&artifacts).expect("artifacts");
    let shot = artifacts.join("desktop-browser.png");
    d.screenshot(&shot);
    eprintln!("screenshot: {}", shot.display());

    // Ctrl+C on the selected object copies a presigned link, which works.
    d.click(&row);
    d.call(
        "POST",
        "/actions",
        Some(
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
                { "type": "keyDown", "value": "\u{E009}" },
                { "type": "keyDown", "value": "c" },
                { "type": "keyUp", "value": "c" },
                { "type": "keyUp", "value": "\u{E009}" },
            ]}]}),
        ),
    );
    let toast = d.wait(
        "the share link toast",
        "const t = [...document.querySelectorAll('[data-testid=toast]')].map(e => e.innerText).join(' '); \
         return t.includes('Share link') ? t : null",
        json!([]),
    );
    assert!(toast.to_string().contains("copied"), "{toast}");
    // The X clipboard holds a presigned link that fetches the object.
    let copied = Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", &xvfb.display)
        .output()
        .expect("xclip");
    let url = String::from_utf8_lossy(&copied.stdout).to_string();
    assert!(
        url.starts_with("http") && url.contains("X-Amz-Signature"),
        "{url:?}"
    );
    let fetched = d.runtime.block_on(async {
        let response = reqwest::get(&url).await.expect("GET the share link");
        (
            response.status().as_u16(),
            response.bytes().await.map(|b| b.len()).unwrap_or(0),
        )
    });
    assert_eq!(fetched, (200, size), "the link serves the object");

    // 5. Rename it, then delete it.
    d.click("[data-testid=rename]");
    d.type_into("[data-testid=rename-input]", "renamed é.bin");
    d.click("[data-testid=rename-confirm]");
    let renamed = format!("[data-testid=row][data-key={}]", css_str("renamed é.bin"));
    d.find(&renamed);
    d.wait(
        "the old name to go",
        "return !document.querySelector(arguments[0])",
        json!([row]),
    );
    d.click(&renamed);
    d.click("[data-testid=delete]");
    let count = d.wait(
        "the delete confirmation",
        "const c = document.querySelector('[data-testid=delete-count]'); return c && c.dataset.count",
        json!([]),
    );
    assert_eq!(count, json!("1"));
    d.click("[data-testid=delete-confirm]");
    d.wait(
        "the object to go",
        "return !document.querySelector(arguments[0])",
        json!([renamed]),
    );
}

/// Adds a profile for Garage at `endpoint` through the form, then opens `bucket`.
fn add_profile_and_open(d: &Driver, profile: &str, endpoint: &str, bucket: &str) {
    let server = coffer_testkit::garage();
    d.click("[data-testid=nav-profiles]");
    d.click("[data-testid=add-profile]");
    d.type_into("[data-testid=pf-name]", profile);
    d.type_into("[data-testid=pf-endpoint]", endpoint);
    d.type_into("[data-testid=pf-region]", &server.region);
    d.click("[data-testid=pf-path-style]");
    d.type_into("[data-testid=pf-key-id]", &server.access_key_id);
    d.type_into("[data-testid=pf-secret]", &server.secret_access_key);
    d.click("[data-testid=pf-save]");
    let item = format!("[data-testid=profile-item][data-name={}]", css_str(profile));
    d.find(&item);
    // The secret is never shown back.
    let page = d.exec("return document.body.innerText", json!([]));
    assert!(!page.to_string().contains(&server.secret_access_key));
    d.click(&format!("{item} [data-testid=profile-use]"));
    d.click(&format!(
        "[data-testid=bucket-row][data-bucket={}]",
        css_str(bucket)
    ));
}

/// Drops `path` on the window as the OS would (Tauri's drag-drop event).
fn drop_path(d: &Driver, path: &Path) {
    d.exec(
        "window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event: 'tauri://drag-drop', \
         payload: { paths: [arguments[0]], position: { x: 600, y: 300 } } }); return true",
        json!([path.to_str().expect("utf-8")]),
    );
}

#[test]
fn the_app_started_on_a_data_dir_an_agent_owns_is_its_window() {
    if !ready() {
        return;
    }
    let _window = one_window();
    let xvfb = coffer_testkit::Xvfb::start().expect("Xvfb");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    // The agent: this test process owns the data dir and answers on its socket.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let host = runtime.block_on(async {
        let session = coffer_core::session::Session::open(
            coffer_core::paths::DataDir::at(&home),
            std::sync::Arc::new(coffer_core::secret::MemorySecretStore::default()),
        )
        .expect("session");
        let state = coffer_api::ApiState::new(
            session,
            coffer_core::Sensitive::new("agent-token".into()),
            coffer_core::transfer::TransferConfig::default(),
            Vec::new(),
        )
        .expect("state");
        let host = coffer_api::ApiHost::start(
            state,
            coffer_api::settings::file::ApiConfig::default(),
            None,
        )
        .await
        .expect("host");
        host.listen_socket("agent").await.expect("socket");
        let (_, store) = host.state().store("local").expect("local store");
        store.create_bucket("agent-owned").await.expect("bucket");
        host
    });
    runtime.block_on(async {
        let (_, store) = host.state().store("local").expect("local store");
        let body = coffer_core::store::Body::Bytes(bytes::Bytes::from_static(b"kept by the agent"));
        store
            .put(
                "agent-owned",
                "from agent.txt",
                body,
                &coffer_core::store::PutOptions::default(),
            )
            .await
            .expect("put");
    });

    let d = Driver::start(&xvfb.display, &home);
    // No samples: the app did not open the data dir itself; it shows the agent's.
    d.click("[data-testid=bucket-row][data-bucket=agent-owned]");
    d.find(&format!(
        "[data-testid=row][data-key={}]",
        css_str("from agent.txt")
    ));
    let buckets = d.exec(
        "return [...document.querySelectorAll('[data-testid=bucket-row]')].length",
        json!([]),
    );
    assert!(buckets.as_u64().is_some_and(|n| n >= 1), "{buckets}");
    drop(d);
    // The window is gone; the agent still answers.
    assert!(host.state().engine().list().is_empty());
    runtime.block_on(host.shutdown());
}

/// Sets a `<select>` to `value` as a person would (the change event included).
fn select(d: &Driver, css: &str, value: &str) {
    d.find(&format!("{css} option[value={}]", css_str(value)));
    d.exec(
        "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
         s.dispatchEvent(new Event('change', { bubbles: true })); return true",
        json!([css, value]),
    );
}

#[test]
fn the_backups_page_in_the_window_backs_up_browses_and_restores() {
    if !ready() {
        return;
    }
    let _window = one_window();
    let xvfb = coffer_testkit::Xvfb::start().expect("Xvfb");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let src = std::fs::canonicalize(dir.path())
        .expect("canonical")
        .join("backup src");
    std::fs::create_dir_all(src.join("docs")).expect("src");
    let body = "notes kept by the desktop test ü\n";
    std::fs::write(src.join("docs/notes ü +%.txt"), body).expect("write");
    std::fs::write(src.join("top.bin"), vec![5u8; 200_000]).expect("write");
    let restore = dir.path().join("restored");
    let url = format!("s3://desk-backups-{}/", std::process::id());
    let password = "desktop backup password";

    let d = Driver::start(&xvfb.display, &home);
    d.find("[data-testid=bucket-row][data-bucket=samples]");
    d.click("[data-testid=nav-backups]");
    d.find("[data-testid=backups-view][data-loaded=true]");

    // A repository on the embedded `local` profile, made through the form.
    d.click("[data-testid=backups-tab-repos]");
    d.click("[data-testid=backup-repo-add]");
    d.find("[data-testid=backup-repo-dialog]");
    select(&d, "[data-testid=backup-repo-profile]", "local");
    d.click("[data-testid=backup-repo-mode-create]");
    d.type_into("[data-testid=backup-repo-url]", &url);
    d.type_into("[data-testid=backup-repo-password]", password);
    d.type_into("[data-testid=backup-repo-password2]", password);
    d.click("[data-testid=backup-repo-save]");
    d.find(&format!(
        "[data-testid=repo-row][data-url={}][data-profile=local]",
        css_str(&url)
    ));
    let page = d.exec("return document.documentElement.outerHTML", json!([]));
    assert!(
        !page.to_string().contains(password),
        "the password stays out of the page"
    );

    // A job of the folder, run now: it ends done with a snapshot.
    d.click("[data-testid=backups-tab-jobs]");
    d.click("[data-testid=backup-job-new]");
    d.find("[data-testid=backup-job-dialog]");
    select(&d, "[data-testid=bj-repo]", &format!("local:{url}"));
    d.type_into("[data-testid=bj-paths]", src.to_str().expect("utf-8"));
    d.click("[data-testid=bj-schedule-mode-none]");
    d.click("[data-testid=bj-save]");
    let job_row = format!("[data-testid=backup-job-row][data-repo={}]", css_str(&url));
    d.find(&job_row);
    d.click(&format!("{job_row} [data-testid=backup-job-action-run]"));
    d.find(&format!("{job_row}[data-state=done]"));
    let snapshot = d.wait(
        "the run's snapshot",
        "const r = document.querySelector('[data-testid=backup-run-row][data-result=done]'); \
         return r && r.dataset.snapshot",
        json!([]),
    );
    assert_eq!(snapshot.as_str().map(str::len), Some(64), "{snapshot}");

    // The snapshot's tree, a file's timeline, and a restore of it in one click.
    d.click("[data-testid=backups-tab-snapshots]");
    select(&d, "[data-testid=snapshots-repo]", &format!("local:{url}"));
    d.find("[data-testid=snapshot-list][data-count=\"1\"]");
    d.click("[data-testid=snapshot-row] [data-testid=snapshot-open]");
    let tree_row = |path: &Path| {
        format!(
            "[data-testid=tree-row][data-path={}]",
            css_str(path.to_str().expect("utf-8"))
        )
    };
    d.find(&tree_row(&src.join("top.bin")));
    d.click(&tree_row(&src.join("docs")));
    let notes = src.join("docs/notes ü +%.txt");
    d.click(&tree_row(&notes));
    d.find("[data-testid=timeline][data-loaded=true]");
    d.type_into(
        "[data-testid=timeline-target]",
        restore.to_str().expect("utf-8"),
    );
    d.click("[data-testid=timeline-row] [data-testid=timeline-restore]");
    let restored = d.wait(
        "the restore's result",
        "const r = document.querySelector('[data-testid=timeline] [data-testid=restore-result]'); \
         return r && r.dataset.filesRestored",
        json!([]),
    );
    assert_eq!(restored, json!("1"));
    let found = walk_for(&restore, "notes ü +%.txt").expect("the restored file");
    assert_eq!(std::fs::read_to_string(found).expect("read"), body);
    let artifacts = std::env::var_os("COFFER_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("artifacts"));
    std::fs::create_dir_all(&artifacts).expect("artifacts");
    d.screenshot(&artifacts.join("desktop-backups.png"));
}

/// The first file named `name` under `dir`.
fn walk_for(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = walk_for(&path, name) {
                return Some(found);
            }
        } else if entry.file_name() == name {
            return Some(path);
        }
    }
    None
}

//! `coffer serve` as a real process, over real HTTP, with Garage behind it.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::{Coffer, keyring_ready, write_file};

const TOKEN: &str = "test-token-0123456789abcdef";
const MIB: usize = 1024 * 1024;

/// A running `coffer serve`, killed on drop.
struct Served {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
    /// `http://127.0.0.1:PORT/api/v1`.
    base: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Served {
    fn start(c: &Coffer) -> Served {
        let port = coffer_testkit::free_port();
        let child = c
            .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("COFFER_API_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn coffer serve");
        let addr = format!("127.0.0.1:{port}");
        let served = Served {
            child,
            base: format!("http://{addr}/api/v1"),
            addr,
            client: reqwest::Client::new(),
            runtime: tokio::runtime::Runtime::new().expect("runtime"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while served.get_raw("/health", None).map(|(s, _)| s) != Some(200) {
            assert!(Instant::now() < deadline, "coffer serve did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        served
    }

    fn get_raw(&self, path: &str, token: Option<&str>) -> Option<(u16, Vec<u8>)> {
        self.runtime.block_on(async {
            let mut request = self.client.get(format!("{}{path}", self.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            Some((status, response.bytes().await.ok()?.to_vec()))
        })
    }

    /// A request with the token; the status and the body.
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> (u16, Vec<u8>) {
        self.runtime.block_on(async {
            let mut request = self
                .client
                .request(method, format!("{}{path}", self.base))
                .bearer_auth(TOKEN);
            if let Some(body) = body {
                request = request
                    .body(body)
                    .header("content-type", "application/json");
            }
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            (status, response.bytes().await.expect("body").to_vec())
        })
    }

    fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, bytes) = self.call(method, path, body.map(|b| b.to_string().into_bytes()));
        let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, value)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn token_is_required_and_never_in_the_url() {
    let c = Coffer::new();
    let s = Served::start(&c);
    let (status, body) = s.get_raw("/profiles", None).expect("answer");
    assert_eq!(status, 401);
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(
        s.get_raw("/profiles", Some("wrong")).expect("answer").0,
        401
    );
    assert_eq!(s.get_raw("/profiles", Some(TOKEN)).expect("answer").0, 200);
    let (status, _) = s
        .get_raw(&format!("/profiles?access_token={TOKEN}"), Some(TOKEN))
        .expect("answer");
    assert_eq!(status, 401, "a token in the URL is refused");

    // The OpenAPI document is served, and is OpenAPI 3.
    let (status, doc) = s.get_raw("/openapi.json", None).expect("answer");
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_slice(&doc).expect("JSON");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    assert!(doc["paths"]["/api/v1/profiles/{profile}/buckets/{bucket}/object"].is_object());

    // Unknown routes and bad input are JSON errors, not 500s.
    let (status, body) = s.json(reqwest::Method::GET, "/nope", None);
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, body) = s.call(
        reqwest::Method::POST,
        "/profiles/local/buckets",
        Some(b"{not json".to_vec()),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, body) = s.json(
        reqwest::Method::POST,
        "/profiles/local/buckets",
        Some(serde_json::json!({"name": "ok-name", "surprise": 1})),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "bad_request");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * MIB));
    // On a client of its own: the server answers 413 without reading the body and
    // closes that connection, which a pooled client would otherwise reuse.
    let (status, body) = s.runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}/profiles/local/buckets", s.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap_or_default())
    });
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    let (status, body) = s.json(reqwest::Method::GET, "/profiles/nobody/buckets", None);
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("profile_not_found"))
    );
}

#[test]
fn objects_over_http_on_garage() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("api");
    let s = Served::start(&c);
    let b = format!("/profiles/{profile}/buckets/{bucket}");

    // The profile, without its secret.
    let (status, body) = s.json(reqwest::Method::GET, &format!("/profiles/{profile}"), None);
    assert_eq!(status, 200);
    assert!(!body.to_string().contains(&server.secret_access_key));

    // A streamed multipart upload of an odd key.
    let key = "dir/ünï code+%//x.bin";
    let bytes = write_file(&c.path("up.bin"), 20 * MIB + 3, 5);
    let (status, report) = {
        let (status, raw) = s.call(
            reqwest::Method::PUT,
            &format!("{b}/object?key={}", enc(key)),
            Some(bytes.clone()),
        );
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&raw).unwrap_or_default(),
        )
    };
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["multipart"], true);
    assert_eq!(report["size"], bytes.len() as u64);

    let (status, meta) = s.json(
        reqwest::Method::GET,
        &format!("{b}/object/meta?key={}", enc(key)),
        None,
    );
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["key"], key);
    let (status, body) = s.call(
        reqwest::Method::GET,
        &format!("{b}/object?key={}", enc(key)),
        None,
    );
    assert_eq!(status, 200);
    assert!(body == bytes);

    let (status, page) = s.json(
        reqwest::Method::GET,
        &format!("{b}/objects?prefix=dir/"),
        None,
    );
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["common_prefixes"][0], "dir/ünï code+%/");

    // Copy, move, presign, delete.
    let (status, body) = s.json(
        reqwest::Method::POST,
        &format!("{b}/copy"),
        Some(serde_json::json!({"key": key, "target_key": "copy.bin"})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.json(
        reqwest::Method::POST,
        &format!("{b}/move"),
        Some(serde_json::json!({"key": "copy.bin", "target_key": "moved.bin"})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.json(
        reqwest::Method::POST,
        &format!("{b}/presign"),
        Some(serde_json::json!({"key": "moved.bin", "expires_secs": 60})),
    );
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().expect("url").to_string();
    let fetched = s.runtime.block_on(async {
        reqwest::get(&url)
            .await
            .expect("GET")
            .bytes()
            .await
            .expect("body")
    });
    assert!(fetched.as_ref() == bytes.as_slice());
    let (status, _) = s.call(
        reqwest::Method::DELETE,
        &format!("{b}/object?key=moved.bin"),
        None,
    );
    assert_eq!(status, 204);
    let (status, body) = s.json(
        reqwest::Method::GET,
        &format!("{b}/object/meta?key=moved.bin"),
        None,
    );
    assert_eq!((status, body["code"].as_str()), (404, Some("no_such_key")));

    // Local files: none are allowed by default, and traversal is refused.
    for path in ["/etc/passwd", "/tmp/../etc/passwd", "relative/file"] {
        let (status, body) = s.json(
            reqwest::Method::POST,
            &format!("/profiles/{profile}/transfers/download-file"),
            Some(serde_json::json!({"path": path, "bucket": bucket, "key": key})),
        );
        assert_eq!(status, 403, "{path}: {body}");
    }
}

/// A client that goes away mid-upload leaves no object and no open multipart upload.
#[test]
fn client_disconnect_mid_upload_leaves_nothing() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("api-cut");
    let s = Served::start(&c);
    let addr = s.addr.clone();

    let mut stream = TcpStream::connect(&addr).expect("connect");
    let head = format!(
        "PUT /api/v1/profiles/{profile}/buckets/{bucket}/object?key=cut.bin HTTP/1.1\r\n\
         Host: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        40 * MIB
    );
    stream.write_all(head.as_bytes()).expect("head");
    let chunk = vec![7u8; MIB];
    for _ in 0..18 {
        stream.write_all(&chunk).expect("body");
    }
    stream.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(500));
    drop(stream);

    // The server notices, aborts, and keeps answering others.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = s.json(
            reqwest::Method::GET,
            &format!("/profiles/{profile}/buckets/{bucket}/objects?recursive=true"),
            None,
        );
        assert_eq!(status, 200, "{body}");
        assert!(
            body["objects"].as_array().expect("objects").is_empty(),
            "{body}"
        );
        // Once no multipart upload is open on the server, it was aborted.
        if garage_open_uploads(server, &bucket) == 0 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        garage_open_uploads(server, &bucket),
        0,
        "the upload was aborted"
    );
}

/// Open multipart uploads in a bucket, asked with the core's own store.
fn garage_open_uploads(server: &coffer_testkit::S3Server, bucket: &str) -> usize {
    use coffer_core::Sensitive;
    use coffer_core::profile::ResolvedCredentials;
    use coffer_core::region::RegionCache;
    use coffer_core::store::s3::S3Settings;
    use coffer_core::store::{S3Store, Store};
    let store = S3Store::new(S3Settings {
        profile: "check".into(),
        endpoint: Some(server.endpoint.clone()),
        region: Some(server.region.clone()),
        path_style: true,
        credentials: ResolvedCredentials::Static {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: Sensitive::new(server.secret_access_key.clone()),
            session_token: None,
        },
        regions: RegionCache::new("check", None),
    });
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(store.list_multipart_uploads(bucket))
        .expect("list uploads")
        .len()
}

/// SIGTERM stops the server cleanly and soon.
#[test]
fn sigterm_stops_the_server() {
    let c = Coffer::new();
    let mut s = Served::start(&c);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(status) = s.child.try_wait().expect("wait") {
            break status.code();
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));
    let mut err = String::new();
    if let Some(mut stderr) = s.child.stderr.take() {
        let _ = stderr.read_to_string(&mut err);
    }
    assert!(err.contains("stopping"), "{err}");
}

#[test]
fn print_token_and_remote_bind_safeguards() {
    if !keyring_ready() {
        return;
    }
    let c = Coffer::new();
    let first = c.run(&["serve", "--print-token"]).ok().stdout;
    let again = c.run(&["serve", "--print-token"]).ok().stdout;
    assert_eq!(first, again);
    assert_eq!(first.trim().len(), 64);
    let rotated = c.run(&["serve", "--rotate-token"]).ok().stdout;
    assert_ne!(rotated, first);

    let run = c.run(&["serve", "--listen", "0.0.0.0:0"]).fails(2);
    assert!(run.stderr.contains("--allow-remote"), "{}", run.stderr);
    let run = c
        .run(&["serve", "--listen", "0.0.0.0:0", "--allow-remote"])
        .fails(2);
    assert!(run.stderr.contains("TLS"), "{}", run.stderr);
}

/// Two clients on `/events` both see a browser's upload from start to done, as the
/// engine's job events of a one-off job with the id the browser gave it.
#[test]
fn two_clients_see_the_same_transfer_events() {
    let c = Coffer::new();
    let s = Served::start(&c);
    let (status, _) = s.json(
        reqwest::Method::POST,
        "/profiles/local/buckets",
        Some(serde_json::json!({"name": "events"})),
    );
    assert_eq!(status, 201);

    let listen = |base: String| {
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let mut response = reqwest::Client::new()
                    .get(format!("{base}/events"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .expect("events");
                let mut seen = String::new();
                let read = async {
                    while let Some(chunk) = response.chunk().await.expect("chunk") {
                        seen.push_str(&String::from_utf8_lossy(&chunk));
                        if seen.contains("\"kind\":\"done\"") {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(Duration::from_secs(30), read).await;
                seen
            })
        })
    };
    let a = listen(s.base.clone());
    let b = listen(s.base.clone());
    std::thread::sleep(Duration::from_millis(500));
    // The browser names its upload's job, so its row and the job are one.
    let status = s.runtime.block_on(async {
        s.client
            .put(format!(
                "{}/profiles/local/buckets/events/object?key=watched.bin",
                s.base
            ))
            .bearer_auth(TOKEN)
            .header("x-coffer-job-id", "browser-row-7")
            .body(vec![1u8; 3 * MIB])
            .send()
            .await
            .expect("upload")
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    for seen in [a.join().expect("a"), b.join().expect("b")] {
        // One event shape: the engine's job events, under the SSE name `job`.
        assert!(seen.contains("event: job"), "{seen}");
        assert!(!seen.contains("event: transfer"), "{seen}");
        assert!(seen.contains("\"kind\":\"started\""), "{seen}");
        assert!(seen.contains("\"kind\":\"done\""), "{seen}");
        assert!(seen.contains("watched.bin"), "{seen}");
        assert!(seen.contains("\"id\":\"browser-row-7\""), "{seen}");
        assert!(seen.contains("\"oneoff\":true"), "{seen}");
    }
    // It is listed as a job, and can be cleared once done; it cannot run again.
    let (_, jobs) = s.json(reqwest::Method::GET, "/jobs", None);
    let job = jobs
        .as_array()
        .and_then(|j| j.iter().find(|j| j["id"] == "browser-row-7").cloned())
        .expect("listed");
    assert_eq!(job["state"], "done", "{job}");
    let (status, _) = s.json(reqwest::Method::POST, "/jobs/browser-row-7/retry", None);
    assert_eq!(status, 409);
    let (status, _) = s.json(reqwest::Method::DELETE, "/jobs/browser-row-7", None);
    assert_eq!(status, 204);
}

/// schemathesis, from the served OpenAPI document, with a bounded number of examples:
/// no answer may be a 5xx.
#[test]
fn schemathesis_finds_no_server_errors() {
    let st = std::env::var("HOME")
        .map(|h| std::path::PathBuf::from(h).join(".pyenv/shims/st"))
        .ok()
        .filter(|p| p.exists())
        .unwrap_or_else(|| std::path::PathBuf::from("st"));
    if std::process::Command::new(&st)
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "schemathesis (st) is missing; scripts/setup.sh installs it"
        );
        eprintln!("skipped: schemathesis (st) is not installed");
        return;
    }
    let c = Coffer::new();
    let s = Served::start(&c);
    let (status, _) = s.json(
        reqwest::Method::POST,
        "/profiles/local/buckets",
        Some(serde_json::json!({"name": "fuzz"})),
    );
    assert_eq!(status, 201);
    let output = std::process::Command::new(&st)
        .args([
            "run",
            &format!("{}/openapi.json", s.base),
            "--header",
            &format!("Authorization: Bearer {TOKEN}"),
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "10",
            "--generation-deterministic",
            "--request-timeout",
            "20",
            "--exclude-path",
            "/api/v1/events",
        ])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        // Its example cache goes to the working dir: keep it out of the repo.
        .current_dir(c.work.path())
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("passed"), "{stdout}");
}

/// Huge headers are refused without harm, slow clients do not starve others, and
/// CORS lets in only the UI's own origin.
#[test]
fn huge_headers_slow_clients_and_cors() {
    let c = Coffer::new();
    let s = Served::start(&c);
    let addr = s.addr.clone();

    // A 1 MiB header: refused (431) or the connection closed, never a crash.
    let status = s.runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/profiles", s.base))
            .bearer_auth(TOKEN)
            .header("x-huge", "a".repeat(MIB))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    if let Ok(status) = status {
        assert!((400..500).contains(&status), "{status}");
    }
    assert_eq!(s.get_raw("/health", None).expect("still up").0, 200);

    // Fifty clients that send their headers a byte at a time.
    let slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = TcpStream::connect(&addr).expect("connect");
            stream
                .write_all(b"GET /api/v1/profiles HTTP/1.1\r\nHost: x\r\n")
                .expect("start");
            stream
        })
        .collect();
    for _ in 0..5 {
        let (status, _) = s
            .get_raw("/profiles", Some(TOKEN))
            .expect("others are served");
        assert_eq!(status, 200);
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(slow);

    // CORS: the UI's own origin is allowed, another is not.
    let (own, other) = s.runtime.block_on(async {
        let preflight = |origin: String| {
            reqwest::Client::new()
                .request(reqwest::Method::OPTIONS, format!("{}/profiles", s.base))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .send()
        };
        let own_origin = format!("http://{addr}");
        let own = preflight(own_origin).await.expect("preflight");
        let other = preflight("http://evil.example".to_string())
            .await
            .expect("preflight");
        let allow = |r: &reqwest::Response| {
            r.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (allow(&own), allow(&other))
    });
    assert_eq!(own, Some(format!("http://{addr}")));
    // Only the UI's origin is ever named, so a browser on another origin is refused.
    assert_ne!(other.as_deref(), Some("http://evil.example"));
    assert_ne!(other.as_deref(), Some("*"));
}

/// Keys are names, not paths: `..` in a key never reaches outside the local store,
/// and the page at `/` is served without a token.
#[test]
fn traversal_in_keys_stays_inside() {
    let c = Coffer::new();
    let s = Served::start(&c);
    let (status, _) = s.json(
        reqwest::Method::POST,
        "/profiles/local/buckets",
        Some(serde_json::json!({"name": "jail"})),
    );
    assert_eq!(status, 201);
    for key in ["../escape.txt", "../../escape.txt", "a/../../../escape.txt"] {
        let (status, body) = s.call(
            reqwest::Method::PUT,
            &format!("/profiles/local/buckets/jail/object?key={}", enc(key)),
            Some(b"caught".to_vec()),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let (status, meta) = s.json(
            reqwest::Method::GET,
            &format!("/profiles/local/buckets/jail/object/meta?key={}", enc(key)),
            None,
        );
        assert_eq!((status, meta["key"].as_str()), (200, Some(key)));
    }
    // Stored inside the bucket's folder, and nowhere else.
    let jail = c.home.path().join("local").join("jail");
    let outside: Vec<_> = support::files_under(c.home.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("escape"))
        .filter(|p| !p.starts_with(&jail))
        .collect();
    assert!(outside.is_empty(), "{outside:?}");
    let parent = c.home.path().parent().expect("parent");
    assert!(!parent.join("escape.txt").exists());
    assert!(!c.home.path().join("escape.txt").exists());

    let root = format!("http://{}/", s.addr);
    let (status, page) = s.runtime.block_on(async {
        let r = reqwest::get(&root).await.expect("GET /");
        (r.status().as_u16(), r.text().await.expect("page"))
    });
    assert_eq!(status, 200);
    assert!(page.contains("Coffer"), "{page}");
}

/// Profiles through the API: the secret goes to the keychain and never comes back.
#[test]
fn profiles_added_tested_and_removed_over_http() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let s = Served::start(&c);
    let name = support::unique_name("api");
    let (status, body) = s.json(
        reqwest::Method::POST,
        "/profiles",
        Some(serde_json::json!({
            "name": name,
            "endpoint": server.endpoint,
            "region": "garage",
            "path_style": true,
            "access_key_id": server.access_key_id,
            "secret_access_key": server.secret_access_key,
        })),
    );
    assert_eq!(status, 201, "{body}");
    assert!(!body.to_string().contains(&server.secret_access_key));
    let (status, body) = s.json(
        reqwest::Method::POST,
        &format!("/profiles/{name}/test"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    let (status, body) = s.json(reqwest::Method::GET, "/profiles", None);
    assert_eq!(status, 200);
    assert!(!body.to_string().contains(&server.secret_access_key));
    let (status, body) = s.json(
        reqwest::Method::POST,
        "/profiles",
        Some(serde_json::json!({"name": name, "anonymous": true})),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("profile_exists"))
    );
    let (status, _) = s.call(reqwest::Method::DELETE, &format!("/profiles/{name}"), None);
    assert_eq!(status, 204);
    let (status, _) = s.json(reqwest::Method::GET, &format!("/profiles/{name}"), None);
    assert_eq!(status, 404);
}

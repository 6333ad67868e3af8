//! The desktop's commands through Tauri's IPC (`tauri::test::mock_builder`): the
//! window's API calls, errors as `{code, message}`, ranged reads for previews, the
//! permission check, and a `Channel` that receives a transfer job's progress.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffer_api::ApiHost;
use coffer_desktop::Desktop;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

struct Fixture {
    _dir: tempfile::TempDir,
    host: Arc<ApiHost>,
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

fn fixture(runtime: &tokio::runtime::Runtime) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = support::local_host(runtime, dir.path());
    let app = mock_builder()
        .manage(Desktop::local(host.clone()))
        .invoke_handler(coffer_desktop::handlers!())
        .build(tauri::generate_context!(test = true))
        .expect("app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    Fixture {
        _dir: dir,
        host,
        _app: app,
        window,
    }
}

fn invoke_raw(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<InvokeResponseBody, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke_raw(window, cmd, args).map(|body| body.deserialize::<Value>().unwrap_or(Value::Null))
}

fn api(
    window: &WebviewWindow<MockRuntime>,
    method: &str,
    path: &str,
    query: Value,
    body: Value,
) -> Result<Value, Value> {
    invoke(
        window,
        "api_json",
        json!({ "request": { "method": method, "path": path, "query": query, "body": body } }),
    )
}

#[test]
fn the_window_browses_the_local_samples_through_ipc() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let f = fixture(&runtime);
    let profiles =
        api(&f.window, "GET", "/api/v1/profiles", json!({}), Value::Null).expect("profiles");
    assert!(profiles.to_string().contains("\"local\""), "{profiles}");
    let page = api(
        &f.window,
        "GET",
        "/api/v1/profiles/local/buckets/samples/objects",
        json!({ "prefix": "" }),
        Value::Null,
    )
    .expect("listing");
    let prefixes = page["common_prefixes"].to_string();
    assert!(
        prefixes.contains("images/") && prefixes.contains("photos/"),
        "{page}"
    );

    // A folder with an odd name, then a ranged read of a sample for the preview.
    api(
        &f.window,
        "POST",
        "/api/v1/profiles/local/buckets/samples/folder",
        Value::Null,
        json!({ "key": "new 100% + été/" }),
    )
    .expect("new folder");
    let head = invoke_raw(
        &f.window,
        "api_bytes",
        json!({ "request": { "path": "/api/v1/profiles/local/buckets/samples/object", "query": { "key": "data/cities.csv" }, "rangeEnd": 3 } }),
    )
    .expect("ranged read");
    match head {
        InvokeResponseBody::Raw(bytes) => assert_eq!(bytes, b"city"),
        other => panic!("not raw bytes: {other:?}"),
    }
    let page = api(
        &f.window,
        "GET",
        "/api/v1/profiles/local/buckets/samples/objects",
        json!({ "prefix": "" }),
        Value::Null,
    )
    .expect("listing");
    assert!(page.to_string().contains("new 100% + été/"), "{page}");
}

#[test]
fn errors_reach_the_window_as_code_and_message() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let f = fixture(&runtime);
    let err = api(
        &f.window,
        "GET",
        "/api/v1/profiles/local/buckets/no-such-bucket/objects",
        json!({}),
        Value::Null,
    )
    .expect_err("no such bucket");
    assert_eq!(err["code"], "no_such_bucket", "{err}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{err}"
    );

    let err = api(&f.window, "GET", "/etc/passwd", json!({}), Value::Null).expect_err("outside");
    assert_eq!(err["code"], "bad_request", "{err}");

    let err = api(
        &f.window,
        "POST",
        "/api/v1/jobs/nope/pause",
        json!({}),
        Value::Null,
    )
    .expect_err("no job");
    assert_eq!(err["code"], "not_found", "{err}");
}

#[test]
fn a_channel_receives_a_download_jobs_progress() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let f = fixture(&runtime);
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let channel: Channel<Value> = Channel::new(move |body| {
        if let InvokeResponseBody::Json(text) = body
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            sink.lock().expect("lock").push(v);
        }
        Ok(())
    });
    runtime.block_on(coffer_desktop::commands::events::forward(
        f.host.state().clone(),
        channel,
    ));

    let into = f._dir.path().join("downloads");
    std::fs::create_dir_all(&into).expect("mkdir");
    let job = api(
        &f.window,
        "POST",
        "/api/v1/jobs",
        Value::Null,
        json!({ "kind": "download", "params": { "profile": "local", "bucket": "samples", "key": "images/", "path": into } }),
    )
    .expect("job");
    let id = job["id"].as_str().expect("id").to_string();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = received.lock().expect("lock").iter().any(|e| {
            e["stream"] == "job"
                && e["data"]["kind"] == "done"
                && e["data"]["job"]["id"] == id.as_str()
                && e["data"]["job"]["state"] == "done"
        });
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no `done` event: {:?}",
            received.lock().expect("lock")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let events = received.lock().expect("lock").clone();
    let states: Vec<&str> = events
        .iter()
        .filter(|e| e["data"]["job"]["id"] == id.as_str())
        .filter_map(|e| e["data"]["job"]["state"].as_str())
        .collect();
    assert!(states.contains(&"running"), "{states:?}");
    let last = events
        .iter()
        .rev()
        .find(|e| e["data"]["job"]["id"] == id.as_str())
        .expect("last");
    assert_eq!(last["data"]["job"]["progress"]["items_done"], 2, "{last}");
    assert!(into.join("images/coffer.png").is_file());
    assert!(into.join("images/diagram.svg").is_file());
}

#[test]
fn the_window_reaches_only_the_apps_own_commands() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let f = fixture(&runtime);
    // No file-system, shell or HTTP plugin is granted, and the dialog plugin's own
    // commands are not either (folders are asked for through `choose_folder`).
    for cmd in [
        "plugin:dialog|open",
        "plugin:fs|read_file",
        "plugin:http|fetch",
        "plugin:shell|execute",
        "plugin:clipboard-manager|read_text",
    ] {
        let err = invoke(&f.window, cmd, json!({})).expect_err(cmd);
        assert!(err.to_string().contains("not allowed"), "{cmd}: {err}");
    }
}

#[test]
fn the_window_switches_to_a_remote_agent_over_pinned_tls() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let f = fixture(&runtime);
    // The remote agent: another data dir, its listener on TLS (self-signed).
    let far_dir = tempfile::tempdir().expect("tempdir");
    let far = runtime.block_on(async {
        let session = coffer_core::session::Session::open(
            coffer_core::paths::DataDir::at(far_dir.path().join("home")),
            Arc::new(coffer_core::secret::MemorySecretStore::default()),
        )
        .expect("session");
        let state = coffer_api::ApiState::new(
            session,
            "far-token".to_string().into(),
            coffer_core::transfer::TransferConfig::default(),
            Vec::new(),
        )
        .expect("state");
        let config = coffer_api::settings::file::ApiConfig {
            standalone: true,
            listen: "127.0.0.1:0".parse().expect("addr"),
            tls: true,
            ..Default::default()
        };
        let host = ApiHost::start(state, config, None).await.expect("far host");
        let (_, store) = host.state().store("local").expect("store");
        store.create_bucket("far-bucket").await.expect("bucket");
        host
    });
    let addr = runtime
        .block_on(far.standalone_addr())
        .expect("far listens");
    let fingerprint = far.tls_fingerprint().expect("TLS on");
    let url = format!("https://{addr}");

    // A wrong token, then another certificate: refused, saying why.
    let err = invoke(
        &f.window,
        "agent_add",
        json!({ "agent": { "name": "far", "url": url, "token": "nope" } }),
    )
    .expect_err("wrong token");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("refused the token")),
        "{err}"
    );
    let wrong = ["00"; 32].join(":");
    let err = invoke(
        &f.window,
        "agent_add",
        json!({ "agent": { "name": "far", "url": url, "token": "far-token", "fingerprint": wrong } }),
    )
    .expect_err("another certificate");
    let message = err["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&wrong) && message.contains(&fingerprint),
        "{err}"
    );

    // Trust on first use: the certificate shown is pinned, and it is the agent's.
    let added = invoke(
        &f.window,
        "agent_add",
        json!({ "agent": { "name": "far", "url": url, "token": "far-token" } }),
    )
    .expect("added");
    assert_eq!(added["fingerprint"], fingerprint.as_str());
    let listed = invoke(&f.window, "agents_list", json!({})).expect("list");
    assert!(listed["current"].is_null());
    assert_eq!(listed["remotes"][0]["name"], "far");

    // Switched: browsing shows the remote agent's buckets; back: this computer's.
    let buckets = |f: &Fixture| -> Vec<String> {
        let answer = api(
            &f.window,
            "GET",
            "/api/v1/profiles/local/buckets",
            Value::Null,
            Value::Null,
        )
        .expect("buckets");
        answer
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|b| b["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    invoke(&f.window, "agent_use", json!({ "name": "far" })).expect("use far");
    assert_eq!(buckets(&f), vec!["far-bucket".to_string()]);
    let jobs = api(&f.window, "GET", "/api/v1/jobs", Value::Null, Value::Null).expect("jobs");
    assert_eq!(jobs, json!([]));

    // A file of this computer dropped on the remote agent's bucket: the job runs here,
    // against the agent's profile, and shows as the agent's.
    let dropped = f._dir.path().join("dropped é+%.bin");
    let bytes: Vec<u8> = (0..6 * 1024 * 1024 + 7)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    std::fs::write(&dropped, &bytes).expect("write");
    let job = api(
        &f.window,
        "POST",
        "/api/v1/jobs",
        Value::Null,
        json!({ "kind": "upload", "params": { "profile": "local", "bucket": "far-bucket", "key": "in/dropped é+%.bin", "path": dropped } }),
    )
    .expect("upload job");
    assert_eq!(
        job["params"]["profile"], "local",
        "shown as the agent's: {job}"
    );
    let id = job["id"].as_str().expect("id").to_string();
    let wait_done = |id: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let jobs =
                api(&f.window, "GET", "/api/v1/jobs", Value::Null, Value::Null).expect("jobs");
            let job = jobs
                .as_array()
                .and_then(|a| a.iter().find(|j| j["id"] == id).cloned())
                .expect("listed with the agent's jobs");
            assert_ne!(job["state"], "failed", "{job}");
            if job["state"] == "done" {
                return job;
            }
            assert!(Instant::now() < deadline, "not done: {job}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let done = wait_done(&id);
    assert_eq!(done["params"]["profile"], "local");
    let one = api(
        &f.window,
        "GET",
        &format!("/api/v1/jobs/{id}"),
        Value::Null,
        Value::Null,
    )
    .expect("one job, answered here");
    assert_eq!(one["id"], id.as_str());
    let stored = runtime.block_on(async {
        let (_, store) = far.state().store("local").expect("store");
        coffer_core::store::StoreExt::get_bytes(&*store, "far-bucket", "in/dropped é+%.bin")
            .await
            .expect("the object is on the remote agent")
    });
    assert!(stored == bytes, "identical on the agent");
    // And back down into a folder of this computer.
    let into = f._dir.path().join("from-far");
    std::fs::create_dir_all(&into).expect("mkdir");
    let job = api(
        &f.window,
        "POST",
        "/api/v1/jobs",
        Value::Null,
        json!({ "kind": "download", "params": { "profile": "local", "bucket": "far-bucket", "key": "in/dropped é+%.bin", "path": into } }),
    )
    .expect("download job");
    wait_done(job["id"].as_str().expect("id"));
    assert!(std::fs::read(into.join("dropped é+%.bin")).expect("downloaded") == bytes);
    // The remote agent itself never saw a job: they ran here.
    let far_jobs = far.state().engine().list();
    assert!(far_jobs.is_empty(), "{far_jobs:?}");

    invoke(&f.window, "agent_use", json!({ "name": null })).expect("back");
    assert!(buckets(&f).contains(&"samples".to_string()));
    // Here, the same jobs carry their full profile name.
    let here = api(
        &f.window,
        "GET",
        &format!("/api/v1/jobs/{id}"),
        Value::Null,
        Value::Null,
    )
    .expect("here");
    assert_eq!(here["params"]["profile"], "remote/far/local");
    invoke(&f.window, "agent_remove", json!({ "name": "far" })).expect("removed");
    let listed = invoke(&f.window, "agents_list", json!({})).expect("list");
    assert_eq!(listed["remotes"], json!([]));
    runtime.block_on(far.shutdown());
}

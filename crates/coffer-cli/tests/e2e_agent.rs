//! The agent for real: `coffer serve` or `coffer agent` owns the data dir and other
//! `coffer` processes attach to it over its Unix socket, with the same output as
//! when they run alone; jobs from the CLI; a stale socket after kill -9; an upload job
//! that survives a kill -9 of its agent.

mod support;

use std::process::{Child, Stdio};
use std::time::Duration;

use support::{Coffer, Run, keyring_ready, wait_or_kill, wait_until, write_file};

const TOKEN: &str = "agent-test-token-0123456789";
const MIB: usize = 1024 * 1024;

/// A running owner of the data dir, killed (SIGKILL) on drop.
struct Owner {
    child: Child,
}

impl Owner {
    /// Starts `coffer ARGS` (serve or agent) and waits until it answers on its socket.
    fn start(c: &Coffer, args: &[&str]) -> Owner {
        let child = c
            .command(args)
            .env("COFFER_API_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the owner");
        let owner = Owner { child };
        let socket = c.home.path().join("agent.sock");
        wait_until(Duration::from_secs(30), "the agent socket", || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        });
        owner
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// One HTTP request to the agent over its socket (as any process of the user can);
/// returns the status line and body.
fn socket_call(c: &Coffer, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s =
        std::os::unix::net::UnixStream::connect(c.home.path().join("agent.sock")).expect("connect");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer
}

fn same_output(alone: &Run, attached: &Run, what: &str) {
    assert_eq!(alone.code, attached.code, "{what}: exit codes differ");
    assert_eq!(alone.stdout, attached.stdout, "{what}: stdout differs");
}

#[test]
fn commands_attach_to_a_running_serve_with_the_same_output() {
    let c = Coffer::new();
    c.run(&["mb", "s3://attach"]).ok();
    let up = c.path("odd name é+%.bin");
    let data = write_file(&up, 3 * MIB + 17, 7);
    c.run(&[
        "cp",
        up.to_str().expect("utf-8"),
        "s3://attach/dir//odd name é+%.bin",
    ])
    .ok();
    c.run(&["cp", up.to_str().expect("utf-8"), "s3://attach/top.txt"])
        .ok();
    let commands: Vec<Vec<&str>> = vec![
        vec!["ls"],
        vec!["ls", "s3://attach", "--recursive"],
        vec!["ls", "s3://attach", "--recursive", "--json"],
        vec!["ls", "s3://attach/dir/"],
        vec!["stat", "s3://attach/top.txt", "--json"],
        vec!["profile", "list", "--json"],
        vec!["transfers", "list"],
        vec!["jobs", "list"],
        vec!["jobs", "list", "--json"],
        vec!["stat", "s3://attach/missing"],
        vec!["ls", "s3://no-such-bucket-here"],
    ];
    let alone: Vec<Run> = commands.iter().map(|a| c.run(a)).collect();

    let mut owner = Owner::start(&c, &["serve", "--listen", "127.0.0.1:0"]);
    for (args, before) in commands.iter().zip(&alone) {
        let attached = c.run(args);
        same_output(before, &attached, &args.join(" "));
    }
    let verbose = c.run(&["-v", "ls"]).ok();
    assert!(
        verbose.stderr.contains("attached to the Coffer agent"),
        "-v says the mode: {}",
        verbose.stderr
    );

    // cp down and up, rm: through the attached CLI, with the data intact.
    let down = c.path("down");
    std::fs::create_dir_all(&down).expect("mkdir");
    c.run(&[
        "cp",
        "s3://attach/dir//odd name é+%.bin",
        down.to_str().expect("utf-8"),
    ])
    .ok();
    assert_eq!(
        std::fs::read(down.join("odd name é+%.bin")).expect("downloaded"),
        data
    );
    c.run(&["cp", up.to_str().expect("utf-8"), "s3://attach/again.bin"])
        .ok();
    c.run(&["rm", "s3://attach/again.bin"]).ok();
    c.run(&["stat", "s3://attach/again.bin"]).fails(1);
    // A profile added while attached is the agent's too.
    c.run(&["profile", "list"]).ok();

    // kill -9 leaves a stale socket: the next command notices at once and works alone.
    owner.kill9();
    assert!(
        c.home.path().join("agent.sock").exists(),
        "stale socket left"
    );
    let started = std::time::Instant::now();
    let alone_again = c.run(&["-v", "ls", "s3://attach"]).ok();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no hang on a stale socket"
    );
    assert!(
        alone_again.stderr.contains("no agent owns the data dir"),
        "{}",
        alone_again.stderr
    );
    // And a new owner replaces the stale socket.
    let _owner = Owner::start(&c, &["agent"]);
    same_output(&alone[1], &c.run(&commands[1]), "after a new agent");
}

#[test]
fn jobs_from_the_cli_alone_and_through_the_agent() {
    let c = Coffer::new();
    c.run(&["mb", "s3://jobs"]).ok();
    let folder = c.path("photos");
    write_file(&folder.join("a.jpg"), 1000, 1);
    write_file(&folder.join("sub/b é.jpg"), 2000, 2);
    let from = folder.to_str().expect("utf-8");

    // Alone: an unscheduled job runs in the command, which waits for it.
    let run = c
        .run(&[
            "jobs",
            "add",
            "upload",
            "photos",
            "--from",
            from,
            "--to",
            "s3://jobs/photos/",
            "--json",
        ])
        .ok();
    let job = run.json();
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["name"], "photos");
    c.run(&["stat", "s3://jobs/photos/sub/b é.jpg"]).ok();

    // Bad input: a 400 with the field named (exit 2), and nothing saved.
    let bad = c
        .run(&[
            "jobs",
            "add",
            "upload",
            "x",
            "--from",
            "/no/such/dir",
            "--to",
            "s3://jobs/x/",
        ])
        .fails(2);
    assert!(bad.stderr.contains("params.path"), "{}", bad.stderr);
    let bad = c
        .run(&[
            "jobs",
            "add",
            "upload",
            "x",
            "--from",
            from,
            "--to",
            "s3://jobs/x/",
            "--schedule",
            "61 * * * *",
        ])
        .fails(2);
    assert!(bad.stderr.contains("schedule.cron"), "{}", bad.stderr);
    let bad = c
        .run(&["jobs", "add", "teleport", "x", "--param", "a=1"])
        .fails(2);
    assert!(bad.stderr.contains("unknown job kind"), "{}", bad.stderr);
    assert_eq!(
        c.run(&["jobs", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A scheduled one is saved, not run.
    let nightly = c
        .run(&[
            "jobs",
            "add",
            "upload",
            "nightly",
            "--from",
            from,
            "--to",
            "s3://jobs/nightly/",
            "--schedule",
            "0 3 * * *",
            "--tz",
            "Europe/Paris",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(nightly["state"], "idle");
    assert!(nightly["next_run"].is_string(), "{nightly}");
    let id = nightly["id"].as_str().expect("id").to_string();

    // Through an agent: run it now, see its history, disable it, remove it.
    let _agent = Owner::start(&c, &["agent"]);
    let listed = c.run(&["jobs", "list"]).ok();
    assert!(listed.stdout.contains("nightly"), "{}", listed.stdout);
    let done = c.run(&["jobs", "run", &id[..8], "--json"]).ok().json();
    assert_eq!(done["state"], "done", "{done}");
    c.run(&["stat", "s3://jobs/nightly/a.jpg"]).ok();
    let history = c.run(&["jobs", "history", &id, "--json"]).ok().json();
    assert_eq!(history[0]["result"], "done", "{history}");
    assert_eq!(history[0]["trigger"], "manual");
    let shown = c.run(&["jobs", "show", &id]).ok();
    assert!(shown.stdout.contains("Europe/Paris"), "{}", shown.stdout);
    let disabled = c.run(&["jobs", "disable", &id, "--json"]).ok().json();
    assert_eq!(disabled["enabled"], false);
    assert!(disabled["next_run"].is_null());
    c.run(&["jobs", "rm", &id]).ok();
    c.run(&["jobs", "show", &id]).fails(1);
}

#[test]
fn an_upload_job_survives_a_kill_of_its_agent() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("agentkill");
    let proxy = coffer_testkit::ThrottleProxy::start(server.socket_addr(), 4 * MIB as u64);
    let c = Coffer::new();
    let profile = c.add_profile_at(server, &proxy.endpoint(), &server.region);
    let file = c.path("big.bin");
    let data = write_file(&file, 24 * MIB, 3);

    let mut agent = Owner::start(&c, &["agent"]);
    // One part of 5 MiB at a time, so that parts are done when the agent is killed.
    let answer = socket_call(
        &c,
        "PUT",
        "/api/v1/settings/transfers",
        r#"{"part_size":5242880,"concurrency":1}"#,
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let target = format!("s3://{bucket}/big.bin");
    let follower = c.spawn(&[
        "--profile",
        &profile,
        "jobs",
        "add",
        "upload",
        "big",
        "--from",
        file.to_str().expect("utf-8"),
        "--to",
        &target,
    ]);
    let mut id = String::new();
    wait_until(Duration::from_secs(60), "the upload under way", || {
        let jobs = c.run(&["jobs", "list", "--json"]).json();
        let Some(job) = jobs.as_array().and_then(|a| a.first()) else {
            return false;
        };
        id = job["id"].as_str().unwrap_or_default().to_string();
        job["progress"]["bytes_done"].as_u64().unwrap_or(0) >= 6 * MIB as u64
    });
    agent.kill9();
    // The follower loses its agent: it fails, it does not hang.
    wait_or_kill(follower, Duration::from_secs(20), "the follower");

    let _agent = Owner::start(&c, &["agent"]);
    wait_until(
        Duration::from_secs(120),
        "the upload done after the restart",
        || c.run(&["jobs", "show", &id, "--json"]).json()["state"] == "done",
    );
    let history = c.run(&["jobs", "history", &id, "--json"]).ok().json();
    let results: Vec<&str> = history
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["result"].as_str())
        .collect();
    assert_eq!(results, vec!["interrupted", "done"], "{history}");
    let job = c.run(&["jobs", "show", &id, "--json"]).ok().json();
    assert!(
        job["progress"]["bytes_resumed"].as_u64().unwrap_or(0) >= 5 * MIB as u64,
        "the restart went on from the parts already sent: {job}"
    );
    let back = c.path("back");
    std::fs::create_dir_all(&back).expect("mkdir");
    c.run_as(&profile, &["cp", &target, back.to_str().expect("utf-8")])
        .ok();
    assert!(
        std::fs::read(back.join("big.bin")).expect("read") == data,
        "identical"
    );
}

#[test]
fn tls_with_a_pinned_fingerprint_and_a_changed_one_refused() {
    if !keyring_ready() {
        return;
    }
    let server_side = Coffer::new();
    let port = coffer_testkit::free_port();
    let listen = format!("127.0.0.1:{port}");
    let _owner = Owner::start(&server_side, &["serve", "--listen", &listen, "--tls"]);
    let printed = server_side
        .command(&["serve", "--print-token", "--tls"])
        .env("COFFER_API_TOKEN", TOKEN)
        .output()
        .expect("print-token");
    let printed = Run::of(printed).ok();
    let mut lines = printed.stdout.lines();
    assert_eq!(lines.next(), Some(TOKEN));
    let fingerprint = lines
        .next()
        .and_then(|l| l.strip_prefix("TLS certificate SHA256 fingerprint: "))
        .expect("the fingerprint is printed")
        .to_string();
    assert_eq!(fingerprint.len(), 95, "{fingerprint}");
    let url = format!("https://{listen}");

    // Pinned up front: works.
    let client = Coffer::new();
    let name = support::unique_name("far");
    client
        .run_with_stdin(
            &[
                "remote",
                "add",
                &name,
                &url,
                "--token-stdin",
                "--fingerprint",
                &fingerprint,
            ],
            TOKEN,
        )
        .ok();
    let jobs = client
        .run(&["--remote", &name, "jobs", "list", "--json"])
        .ok();
    assert_eq!(jobs.json(), serde_json::json!([]));
    let listed = client.run(&["remote", "list"]).ok();
    assert!(listed.stdout.contains(&fingerprint), "{}", listed.stdout);

    // Trust on first use: the fingerprint is shown and pinned.
    let tofu = Coffer::new();
    let name2 = support::unique_name("tofu");
    let added = tofu
        .run_with_stdin(&["remote", "add", &name2, &url, "--token-stdin"], TOKEN)
        .ok();
    assert!(added.stdout.contains(&fingerprint), "{}", added.stdout);

    // Another fingerprint: refused, naming both.
    let wrong = ["AB"; 32].join(":");
    let other = Coffer::new();
    let refused = other
        .run_with_stdin(
            &[
                "remote",
                "add",
                &support::unique_name("bad"),
                &url,
                "--token-stdin",
                "--fingerprint",
                &wrong,
            ],
            TOKEN,
        )
        .fails(1);
    assert!(
        refused.stderr.contains("certificate changed"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains(&wrong) && refused.stderr.contains(&fingerprint),
        "{}",
        refused.stderr
    );
    // A wrong token: refused too.
    let wrong_token = other
        .run_with_stdin(
            &[
                "remote",
                "add",
                &support::unique_name("tok"),
                &url,
                "--token-stdin",
                "--fingerprint",
                &fingerprint,
            ],
            "not-the-token",
        )
        .fails(1);
    assert!(
        wrong_token.stderr.contains("refused the token"),
        "{}",
        wrong_token.stderr
    );
    // Commands that only make sense here: a clear usage error.
    client.run(&["--remote", &name, "serve"]).fails(2);
    client.run(&["remote", "remove", &name]).ok();
    client.run(&["--remote", &name, "jobs", "list"]).fails(1);
}

/// Starts `coffer serve --tls` on `server_side` and adds it to `client` as a remote
/// agent, pinning its fingerprint; returns the agent and its name.
fn remote_agent(server_side: &Coffer, client: &Coffer) -> (Owner, String) {
    let listen = format!("127.0.0.1:{}", coffer_testkit::free_port());
    let owner = Owner::start(server_side, &["serve", "--listen", &listen, "--tls"]);
    let printed = server_side
        .command(&["serve", "--print-token", "--tls"])
        .env("COFFER_API_TOKEN", TOKEN)
        .output()
        .expect("print-token");
    let printed = Run::of(printed).ok();
    let fingerprint = printed
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("TLS certificate SHA256 fingerprint: "))
        .expect("the fingerprint is printed")
        .to_string();
    let name = support::unique_name("nas");
    client
        .run_with_stdin(
            &[
                "remote",
                "add",
                &name,
                &format!("https://{listen}"),
                "--token-stdin",
                "--fingerprint",
                &fingerprint,
            ],
            TOKEN,
        )
        .ok();
    (owner, name)
}

#[test]
fn any_command_runs_on_a_remote_agent_with_the_same_output() {
    if !keyring_ready() {
        return;
    }
    let garage = coffer_testkit::garage();
    let server_side = Coffer::new();
    let profile = server_side.add_profile(garage);
    let bucket = garage.fresh_bucket("remote-cli");
    let there = |key: &str| format!("s3://{bucket}/{key}");
    let seed = server_side.path("seed.bin");
    write_file(&seed, 2 * MIB + 3, 1);
    let seed_arg = seed.to_str().expect("utf-8");
    server_side
        .run_as(&profile, &["cp", seed_arg, &there("dir//odd é+%.bin")])
        .ok();
    server_side
        .run_as(&profile, &["cp", seed_arg, &there("top.txt")])
        .ok();
    let bucket_url = format!("s3://{bucket}");
    let dir_url = there("dir/");
    let top_url = there("top.txt");
    let missing_url = there("missing");
    let commands: Vec<Vec<&str>> = vec![
        vec!["ls", &bucket_url, "--recursive"],
        vec!["ls", &bucket_url, "--recursive", "--json"],
        vec!["ls", &dir_url],
        vec!["stat", &top_url, "--json"],
        vec!["stat", &missing_url],
        vec!["ls", "s3://no-such-bucket-here"],
        vec!["profile", "show", &profile, "--json"],
        vec!["profile", "list", "--json"],
    ];
    let alone: Vec<Run> = commands
        .iter()
        .map(|a| server_side.run_as(&profile, a))
        .collect();

    let client = Coffer::new();
    let (_owner, name) = remote_agent(&server_side, &client);
    let remote = |args: &[&str]| {
        let mut full = vec!["--remote", name.as_str(), "--profile", profile.as_str()];
        full.extend_from_slice(args);
        client.run(&full)
    };
    for (args, before) in commands.iter().zip(&alone) {
        same_output(before, &remote(args), &args.join(" "));
    }
    let verbose = client.run(&["-v", "--remote", &name, "--profile", &profile, "ls"]);
    assert!(
        verbose.stderr.contains("working on the remote agent"),
        "-v says the mode: {}",
        verbose.stderr
    );

    // Up from this machine (multipart: 3 parts of 5 MiB), down again, identical.
    let up = client.path("up é+%.bin");
    let data = write_file(&up, 12 * MIB + 5, 9);
    remote(&[
        "cp",
        "--part-size",
        "5MiB",
        up.to_str().expect("utf-8"),
        &there("up/big é+%.bin"),
    ])
    .ok();
    let check = server_side.path("check.bin");
    let down = client.path("down.bin");
    remote(&[
        "cp",
        &there("up/big é+%.bin"),
        down.to_str().expect("utf-8"),
    ])
    .ok();
    assert!(std::fs::read(&down).expect("down") == data, "identical");
    // That machine's own CLI (attached to its agent) reads the same bytes.
    server_side
        .run_as(
            &profile,
            &[
                "cp",
                &there("up/big é+%.bin"),
                check.to_str().expect("utf-8"),
            ],
        )
        .ok();
    assert!(
        std::fs::read(&check).expect("check") == data,
        "identical there"
    );

    // Move, remove, presign, make and remove a bucket.
    remote(&["mv", &there("up/big é+%.bin"), &there("moved/big.bin")]).ok();
    remote(&["stat", &there("up/big é+%.bin")]).fails(1);
    remote(&["stat", &there("moved/big.bin")]).ok();
    remote(&["rm", &there("moved/big.bin")]).ok();
    remote(&["stat", &there("moved/big.bin")]).fails(1);
    let url = remote(&["presign", &top_url])
        .ok()
        .stdout
        .trim()
        .to_string();
    let (status, body) = support::http_get(&url);
    assert_eq!(status, 200, "{url}");
    assert_eq!(body.len(), 2 * MIB + 3);
    let extra = support::unique_name("rb");
    remote(&["mb", &format!("s3://{extra}")]).ok();
    remote(&["rb", &format!("s3://{extra}")]).ok();
    // The remote's profiles: an unknown one is named.
    let unknown = client.run(&["--remote", &name, "--profile", "nobody", "ls"]);
    let unknown = unknown.fails(1);
    assert!(unknown.stderr.contains("nobody"), "{}", unknown.stderr);
}

/// A headless agent tells of a job that failed: a desktop notification on the user's
/// session bus (read back from dunst), and the job's webhook; its hello says it
/// notifies, so an attached window does not say it again.
#[test]
fn a_headless_agent_tells_of_a_failed_job_by_notification_and_webhook() {
    let ready = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && std::path::Path::new("/usr/bin/dunst").is_file()
        && std::path::Path::new("/usr/bin/Xvfb").is_file();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this on a session bus (scripts/with-keyring.sh) with dunst and Xvfb"
        );
        eprintln!("skipped: needs a session bus, dunst and Xvfb (scripts/test.sh)");
        return;
    }
    let xvfb = coffer_testkit::Xvfb::start().expect("Xvfb");
    let dunst = coffer_testkit::Dunst::start(&xvfb.display).expect("dunst");
    // The webhook: one request, answered 200.
    let hook = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", hook.local_addr().expect("addr"));
    let received = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = hook.accept().expect("the webhook is called");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut text = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
            if text.ends_with(b"}") {
                break;
            }
        }
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        String::from_utf8_lossy(&text).into_owned()
    });

    let c = Coffer::new();
    let _owner = Owner::start(&c, &["agent"]);
    let hello = socket_call(&c, "GET", "/agent/v1/hello", "");
    assert!(hello.contains("\"notifies\":true"), "{hello}");
    let file = c.path("doomed.bin");
    write_file(&file, 1000, 3);
    c.run(&[
        "jobs",
        "add",
        "upload",
        "doomed",
        "--from",
        file.to_str().expect("utf-8"),
        "--to",
        "s3://no-such-bucket-here/doomed.bin",
        "--webhook",
        &url,
    ])
    .fails(1);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let history = dunst.history();
        if history.contains("Job failed: doomed") {
            assert!(history.contains("no-such-bucket-here"), "{history}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no notification: {history}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let call = received.join().expect("webhook");
    assert!(call.starts_with("POST /hook"), "{call}");
    assert!(call.contains("\"state\":\"failed\""), "{call}");
    assert!(call.contains("doomed"), "{call}");
}

/// The bucket index lives in the agent; a `coffer` command attached to it writes to
/// the server itself and tells the agent, so the agent's index shows the command's
/// uploads and deletes at once, and `coffer find` answers from that index.
#[test]
fn an_attached_commands_writes_reach_the_agents_index() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let bucket = server.fresh_bucket("cli-agent-index");
    let name = c.add_profile(server);
    let b = format!("s3://{bucket}");
    let file = c.path("first.txt");
    write_file(&file, 100, 1);
    let f = file.to_str().expect("utf-8");
    c.run_as(&name, &["cp", f, &format!("{b}/docs/first.txt")])
        .ok();
    let _agent = Owner::start(&c, &["agent"]);
    let built = c
        .run_as(&name, &["index", "refresh", &b, "--json"])
        .ok()
        .json();
    assert_eq!(built["objects"], 1, "{built}");

    c.run_as(&name, &["cp", f, &format!("{b}/docs/second ü+%.txt")])
        .ok();
    c.run_as(&name, &["rm", &format!("{b}/docs/first.txt")])
        .ok();
    let found = c.run_as(&name, &["find", &b, "--json"]).ok();
    let keys: Vec<String> = found
        .json_lines()
        .iter()
        .filter(|v| v["done"] != true)
        .map(|v| v["key"].as_str().expect("key").to_string())
        .collect();
    assert_eq!(keys, ["docs/second ü+%.txt"], "{}", found.stdout);
    let status = socket_call(&c, "GET", "/api/v1/index", "");
    assert!(status.contains("\"objects\":1"), "{status}");
}

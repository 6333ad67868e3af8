//! Bad input and broken servers through the `coffer` binary: each failure exits
//! non-zero with a message that names the profile, endpoint, bucket, key or path
//! involved, and never prints a secret. Profiles live in a real gnome-keyring: run
//! through `scripts/with-keyring.sh`.

mod support;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use coffer_testkit::{S3Server, ServerKind};
use support::{
    Coffer, Run, interrupt, keyring_ready, unique_name, wait_or_kill, wait_until, write_file,
};

/// Adds a profile for `server` with `secret` instead of its real one.
fn add_with_secret(c: &Coffer, server: &S3Server, endpoint: &str, secret: &str) -> String {
    let name = unique_name("err");
    c.run_with_stdin(
        &[
            "profile",
            "add",
            &name,
            "--endpoint",
            endpoint,
            "--region",
            &server.region,
            "--path-style",
            "--access-key-id",
            &server.access_key_id,
            "--secret-stdin",
        ],
        secret,
    )
    .ok();
    name
}

/// A wrong secret: "access denied for profile X: check the access key", on every
/// kind of call, with the bucket named when there is one; with trace logs on, the
/// secret given appears nowhere.
#[test]
fn wrong_secret_is_access_denied() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-denied");
    let mut c = Coffer::new();
    let wrong = format!("Wr0ng-{}-secret-that-must-stay-hidden", std::process::id());
    let name = add_with_secret(&c, server, &server.endpoint, &wrong);
    c.env.push(("COFFER_LOG".into(), "trace".into()));
    let file = c.path("f.txt");
    write_file(&file, 100, 1);
    let b = format!("s3://{bucket}");
    let calls: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["ls"], None),
        (vec!["ls", &b], Some(bucket.as_str())),
        (
            vec!["cp", file.to_str().expect("utf-8"), &b],
            Some(bucket.as_str()),
        ),
        (vec!["stat", "s3://x-any-bucket/k"], Some("x-any-bucket")),
    ];
    let mut outputs = Vec::new();
    for (args, names) in calls {
        let run = c.run_as(&name, &args).fails(1);
        let err = error_line(&run);
        assert!(err.contains("access denied"), "{args:?}: {err}");
        assert!(err.contains(&name), "{args:?}: {err}");
        assert!(err.contains("access key"), "{args:?}: {err}");
        if let Some(bucket) = names {
            assert!(err.contains(bucket), "{args:?}: {err}");
        }
        outputs.push(run);
    }
    let run = c.run(&["profile", "test", &name]).fails(1);
    assert!(error_line(&run).contains("access denied"), "{}", run.stderr);
    outputs.push(run);
    assert!(
        outputs.iter().any(|r| r.stderr.contains("TRACE")),
        "trace logs were on"
    );
    for run in &outputs {
        assert!(
            !run.stdout.contains(&wrong) && !run.stderr.contains(&wrong),
            "the secret was printed"
        );
    }
    support::assert_secret_not_under(c.home.path(), &wrong);
}

/// The last line coffer wrote to stderr that starts with `coffer: error:`.
fn error_line(run: &Run) -> String {
    run.stderr
        .lines()
        .rfind(|l| l.starts_with("coffer: error:"))
        .unwrap_or_else(|| panic!("no error line in:\n{}", run.stderr))
        .to_string()
}

/// Nothing listens at the endpoint: the message names the URL and the cause.
#[test]
fn unreachable_endpoint_names_the_url_and_cause() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let endpoint = format!("http://127.0.0.1:{}", coffer_testkit::free_port());
    let name = add_with_secret(&c, server, &endpoint, &server.secret_access_key);
    let file = c.path("f.txt");
    write_file(&file, 100, 1);
    for args in [
        vec!["ls"],
        vec!["ls", "s3://some-bucket/"],
        vec!["cp", file.to_str().expect("utf-8"), "s3://some-bucket/f"],
        vec![
            "cp",
            "s3://some-bucket/f",
            c.path("g").to_str().expect("utf-8"),
        ],
    ] {
        let run = c.run_as(&name, &args).fails(1);
        let err = error_line(&run);
        assert!(err.contains(&endpoint), "{args:?}: {err}");
        assert!(err.contains(&name), "{args:?}: {err}");
        assert!(err.to_lowercase().contains("refused"), "{args:?}: {err}");
    }
    assert!(!c.path("g").exists());
    let run = c.run(&["profile", "test", &name]).fails(1);
    assert!(error_line(&run).contains(&endpoint), "{}", run.stderr);
}

fn missing_things_on(server: &S3Server) {
    let c = Coffer::new();
    let name = c.add_profile(server);
    let bucket = server.fresh_bucket("cli-missing");
    let gone = format!("{bucket}-gone");
    let file = c.path("here.txt");
    write_file(&file, 100, 1);
    let f = file.to_str().expect("utf-8");
    let out = c.path("out.bin");
    let o = out.to_str().expect("utf-8");

    // A bucket that does not exist is named, whatever the verb.
    for args in [
        vec!["ls".to_string(), format!("s3://{gone}/")],
        vec!["cp".into(), f.into(), format!("s3://{gone}/k")],
        vec!["cp".into(), format!("s3://{gone}/k"), o.into()],
        vec!["stat".into(), format!("s3://{gone}/k")],
        vec!["rb".into(), format!("s3://{gone}")],
        vec!["rm".into(), format!("s3://{gone}/k")],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = c.run_as(&name, &args).fails(1);
        let err = error_line(&run);
        assert!(err.contains(&gone), "{:?} {args:?}: {err}", server.kind);
    }

    // A key that does not exist is named, and no local file appears.
    let key = "no such/key+here.txt";
    let url = format!("s3://{bucket}/{key}");
    for args in [
        vec!["stat", url.as_str()],
        vec!["cp", url.as_str(), o],
        vec!["cp", url.as_str(), "s3://elsewhere-bucket/x"],
        vec!["mv", url.as_str(), o],
        vec!["rm", url.as_str()],
    ] {
        let run = c.run_as(&name, &args).fails(1);
        let err = error_line(&run);
        assert!(err.contains(key), "{:?} {args:?}: {err}", server.kind);
        assert!(err.contains(&bucket), "{:?} {args:?}: {err}", server.kind);
    }
    assert!(!out.exists(), "a download of nothing left a file");
    let leftovers: Vec<_> = std::fs::read_dir(c.work.path())
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "here.txt")
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");

    // A local source that is not there is named.
    let missing = c.path("not here.txt");
    let run = c
        .run_as(
            &name,
            &[
                "cp",
                missing.to_str().expect("utf-8"),
                &format!("s3://{bucket}/x"),
            ],
        )
        .fails(1);
    assert!(error_line(&run).contains("not here.txt"), "{}", run.stderr);

    // A bucket made twice. (moto answers 200 to its owner, as AWS does in
    // us-east-1, so only Garage is checked.)
    if server.kind == ServerKind::Garage {
        let run = c.run_as(&name, &["mb", &format!("s3://{bucket}")]).fails(1);
        let err = error_line(&run);
        assert!(
            err.contains(&bucket) && err.contains("already exists"),
            "{err}"
        );
    }
}

#[test]
fn missing_bucket_key_and_file_on_garage() {
    if !keyring_ready() {
        return;
    }
    missing_things_on(coffer_testkit::garage());
}

#[test]
fn missing_bucket_key_and_file_on_moto() {
    if !keyring_ready() {
        return;
    }
    missing_things_on(coffer_testkit::moto());
}

/// An unreadable local file is named (skipped as root, who can read anything).
#[test]
fn unreadable_local_file_is_named() {
    if !keyring_ready() {
        return;
    }
    let c = Coffer::new();
    let file = c.path("secret-ish.txt");
    write_file(&file, 10, 1);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    if std::fs::read(&file).is_ok() {
        eprintln!("skipped: running as a user who can read a mode-000 file (root)");
        return;
    }
    let server = coffer_testkit::moto();
    let name = c.add_profile(server);
    let bucket = server.fresh_bucket("cli-unreadable");
    let run = c
        .run_as(
            &name,
            &[
                "cp",
                file.to_str().expect("utf-8"),
                &format!("s3://{bucket}/x"),
            ],
        )
        .fails(1);
    assert!(
        error_line(&run).contains("secret-ish.txt"),
        "{}",
        run.stderr
    );
}

/// An endpoint that accepts connections and then never answers: a test server whose
/// accepted sockets are held open and never read.
/// Returns the endpoint and the count of connections accepted so far.
fn black_hole() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    // Lives as long as the test process; the listener is never closed.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    (endpoint, accepted)
}

/// Ctrl-C stops a transfer stuck on a server that never answers: at the latest the
/// second Ctrl-C ends coffer with exit 130.
#[test]
fn ctrl_c_stops_a_transfer_stuck_on_a_silent_server() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::moto();
    let (endpoint, accepted) = black_hole();
    let c = Coffer::new();
    let name = add_with_secret(&c, server, &endpoint, &server.secret_access_key);
    let file = c.path("f.bin");
    write_file(&file, 12 * 1024 * 1024, 1);
    let child = c.spawn(&[
        "--profile",
        &name,
        "cp",
        file.to_str().expect("utf-8"),
        "s3://stuck-bucket/f.bin",
        "--part-size",
        "5MiB",
    ]);
    wait_until(Duration::from_secs(60), "coffer to connect", || {
        accepted.load(Ordering::SeqCst) > 0
    });
    interrupt(&child);
    let mut child = child;
    let mut first_worked = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            first_worked = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !first_worked {
        eprintln!("the first Ctrl-C did not stop coffer within 10 s; sending another");
        interrupt(&child);
    }
    let run = wait_or_kill(child, Duration::from_secs(30), "coffer cp after two Ctrl-C");
    assert_eq!(run.code, 130, "{}\n{}", run.stdout, run.stderr);
}

/// A server that accepts the connection and never answers must not hang coffer
/// forever: the command fails, naming the endpoint.
/// The read timeout is shortened to 2 s (`COFFER_READ_TIMEOUT_SECS`) to keep the test
/// short; the default is 30 s.
#[test]
fn silent_server_times_out() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::moto();
    let (endpoint, _hole) = black_hole();
    let c = Coffer::new();
    let name = add_with_secret(&c, server, &endpoint, &server.secret_access_key);
    let child = c
        .command(&["--profile", &name, "ls"])
        .env("COFFER_READ_TIMEOUT_SECS", "2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let run = wait_or_kill(
        child,
        Duration::from_secs(120),
        "coffer ls on a silent server",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(error_line(&run).contains(&endpoint), "{}", run.stderr);
}

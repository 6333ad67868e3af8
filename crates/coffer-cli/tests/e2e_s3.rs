//! The `coffer` binary against real servers (Garage, moto), with profiles whose
//! secrets live in a real gnome-keyring. Run through `scripts/with-keyring.sh`.

mod support;

use std::time::{Duration, Instant};

use coffer_testkit::ThrottleProxy;
use support::{Coffer, files_under, http_get, http_put, keyring_ready, unique_name, write_file};

const MIB: usize = 1024 * 1024;

/// A whole session on Garage: profile, browse, transfer, share, region, transfers;
/// then no file in the data dir and no output (with trace logs) holds the secret.
#[test]
fn garage_session_and_no_secret_leaks() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let mut c = Coffer::new();
    c.env.push(("COFFER_LOG".into(), "trace".into()));
    let bucket = server.fresh_bucket("cli-session");
    let name = c.add_profile(server);
    // The profile holds no secret, and says where it is.
    let shown = c.run(&["profile", "show", &name, "--json"]).ok();
    let mut outputs = vec![shown.stdout.clone()];
    let shown = shown.json();
    assert_eq!(shown["name"], name.as_str());
    assert!(!shown.to_string().contains(&server.secret_access_key));
    let listed = c.run(&["profile", "list", "--json"]).ok();
    assert!(
        listed
            .json_lines()
            .iter()
            .any(|p| p["name"] == name.as_str()),
        "{}",
        listed.stdout
    );
    outputs.push(listed.stdout.clone());
    let shown_text = c.run(&["profile", "show", &name]).ok().stdout;
    assert!(shown_text.contains(&server.access_key_id), "{shown_text}");
    outputs.push(shown_text);
    let test = c.run(&["profile", "test", &name]).ok();
    assert!(test.stdout.starts_with("ok:"), "{}", test.stdout);

    let mut run = |args: &[&str]| {
        let mut full = vec!["--profile", name.as_str(), "-vv"];
        full.extend_from_slice(args);
        let r = c.run(&full).ok();
        outputs.push(format!("{}\n{}", r.stdout, r.stderr));
        r
    };

    let buckets = run(&["ls", "--json"]).json_lines();
    assert!(buckets.iter().any(|b| b["name"] == bucket.as_str()));

    // A multipart upload with options, then a verified download.
    let file = c.path("big file.bin");
    let bytes = write_file(&file, 20 * MIB + 7, 1);
    let url = format!("s3://{bucket}/dir/big file ü+.bin");
    run(&[
        "cp",
        file.to_str().expect("utf-8"),
        &url,
        "--part-size",
        "5MiB",
        "--concurrency",
        "3",
        "--cache-control",
        "max-age=60",
        "--metadata",
        "owner=ada",
    ]);
    let stat = run(&["stat", &url, "--json"]).json();
    assert_eq!(stat["size"], (20 * MIB + 7) as u64);
    assert_eq!(stat["cache_control"], "max-age=60");
    assert_eq!(stat["metadata"]["owner"], "ada");
    let back = c.path("back.bin");
    run(&["cp", &url, back.to_str().expect("utf-8")]);
    assert!(std::fs::read(&back).expect("read") == bytes);

    // Share links: GET and PUT.
    let link = run(&["presign", &url, "--expires", "10m"]).stdout;
    let (status, body) = http_get(link.trim());
    assert_eq!(status, 200);
    assert!(body == bytes);
    let put_url = format!("s3://{bucket}/uploaded by link.txt");
    let link = run(&["presign", &put_url, "--put"]).stdout;
    assert_eq!(http_put(link.trim(), b"via link".to_vec()), 200);
    assert_eq!(run(&["stat", &put_url, "--json"]).json()["size"], 8);

    // Garage sends no region header: the profile's region, and it says so.
    let region = run(&["region", &format!("s3://{bucket}")]).stdout;
    assert!(
        region.contains("garage") && region.contains("profile"),
        "{region}"
    );

    // Server-side move of a prefix, then a recursive delete.
    run(&[
        "mv",
        &format!("s3://{bucket}/dir/"),
        &format!("s3://{bucket}/moved/"),
        "-r",
    ]);
    let listed = run(&["ls", &format!("s3://{bucket}/"), "--recursive"]).stdout;
    assert!(
        listed.contains("moved/big file ü+.bin") && !listed.contains("dir/"),
        "{listed}"
    );
    run(&["rm", &format!("s3://{bucket}/moved/"), "-r", "--yes"]);
    assert!(
        run(&["transfers", "list"])
            .stdout
            .contains("no unfinished uploads")
    );
    run(&[
        "transfers",
        "cleanup",
        "--older-than",
        "0s",
        &format!("s3://{bucket}"),
    ]);

    // No secret anywhere: not in the data dir, not in any output or log.
    let secret = server.secret_access_key.as_bytes();
    for path in files_under(c.home.path()) {
        let content = std::fs::read(&path).expect("read");
        assert!(
            !content.windows(secret.len()).any(|w| w == secret),
            "the secret is in {}",
            path.display()
        );
    }
    for output in &outputs {
        assert!(
            !output.contains(&server.secret_access_key),
            "the secret was printed"
        );
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("TRACE") || o.contains("DEBUG")),
        "logs were on"
    );
}

/// moto sends `x-amz-bucket-region`: a bucket in eu-west-2 works from a profile that
/// says us-east-1 — listing, upload and presign.
#[test]
fn moto_bucket_in_another_region() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::moto();
    let c = Coffer::new();
    let bucket = server.fresh_bucket_in_region("cli-region", "eu-west-2");
    let name = c.add_profile_at(server, &server.endpoint, "us-east-1");
    let p = ["--profile", name.as_str()];
    let b = format!("s3://{bucket}");

    let region = c.run(&[&p[..], &["region", &b]].concat()).ok().stdout;
    assert!(region.contains("eu-west-2"), "{region}");
    assert!(region.contains("x-amz-bucket-region"), "{region}");

    let file = c.path("r.txt");
    let bytes = write_file(&file, 1000, 3);
    c.run(
        &[
            &p[..],
            &["cp", file.to_str().expect("utf-8"), &format!("{b}/r.txt")],
        ]
        .concat(),
    )
    .ok();
    let listed = c
        .run(&[&p[..], &["ls", &format!("{b}/")]].concat())
        .ok()
        .stdout;
    assert!(listed.contains("r.txt"), "{listed}");
    let link = c
        .run(&[&p[..], &["presign", &format!("{b}/r.txt")]].concat())
        .ok()
        .stdout;
    assert!(link.contains("eu-west-2"), "{link}");
    let (status, body) = http_get(link.trim());
    assert_eq!(status, 200);
    assert!(body == bytes);
}

#[test]
fn wrong_secret_and_unreachable_endpoint() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let name = unique_name("wrong");
    c.run_with_stdin(
        &[
            "profile",
            "add",
            &name,
            "--endpoint",
            &server.endpoint,
            "--region",
            "garage",
            "--path-style",
            "--access-key-id",
            &server.access_key_id,
            "--secret-stdin",
        ],
        "definitely-not-the-secret",
    )
    .ok();
    let run = c.run(&["--profile", &name, "ls"]).fails(1);
    assert!(run.stderr.contains("access denied"), "{}", run.stderr);
    assert!(run.stderr.contains(&name), "{}", run.stderr);
    assert!(run.stderr.contains("access key"), "{}", run.stderr);
    assert!(!run.stderr.contains("definitely-not-the-secret"));
    c.run(&["profile", "test", &name]).fails(1);

    let endpoint = format!("http://127.0.0.1:{}", coffer_testkit::free_port());
    let name = c.add_profile_at(server, &endpoint, "garage");
    let run = c.run(&["--profile", &name, "ls"]).fails(1);
    assert!(run.stderr.contains(&endpoint), "{}", run.stderr);

    let bucket = server.fresh_bucket("cli-missing");
    let good = c.add_profile(server);
    let run = c
        .run(&[
            "--profile",
            &good,
            "stat",
            &format!("s3://{bucket}/no such key"),
        ])
        .fails(1);
    assert!(run.stderr.contains("no such key"), "{}", run.stderr);
    let run = c
        .run(&["--profile", &good, "ls", &format!("s3://{bucket}-nope/")])
        .fails(1);
    assert!(
        run.stderr.contains(&format!("{bucket}-nope")),
        "{}",
        run.stderr
    );
}

/// Without a Secret Service, adding a profile fails with a message that says what to
/// do, and the secret is written nowhere.
#[test]
fn no_keychain_no_plaintext() {
    let mut c = Coffer::new();
    c.env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/coffer-bus".into(),
    ));
    let secret = "secret-that-must-not-land-on-disk";
    let run = c
        .run_with_stdin(
            &[
                "profile",
                "add",
                "nokeychain",
                "--endpoint",
                "http://127.0.0.1:9",
                "--access-key-id",
                "AKIDEXAMPLE",
                "--secret-stdin",
            ],
            secret,
        )
        .fails(1);
    assert!(run.stderr.contains("keychain"), "{}", run.stderr);
    assert!(run.stderr.contains("plaintext"), "{}", run.stderr);
    for path in files_under(c.home.path()) {
        let content = std::fs::read(&path).expect("read");
        assert!(
            !content
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
    // And the profile was not half-created.
    let list = c.run(&["profile", "list"]).ok().stdout;
    assert!(!list.contains("nokeychain"), "{list}");
}

/// Profiles from the AWS world: static keys from the shared files, a
/// `credential_process` resolved at each use, and the standard variables.
#[test]
fn profiles_from_aws_config_and_env() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-aws");
    let mut c = Coffer::new();
    let config = c.path("aws-config");
    let credentials = c.path("aws-credentials");
    std::fs::write(
        &config,
        format!(
            "[profile static]\nregion = garage\nendpoint_url = {e}\n\n\
             [profile process]\nregion = garage\nendpoint_url = {e}\n\
             credential_process = sh -c 'printf \"{{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"%s\\\",\\\"SecretAccessKey\\\":\\\"%s\\\"}}\" \"$COFFER_TEST_ID\" \"$COFFER_TEST_SECRET\"'\n",
            e = server.endpoint
        ),
    )
    .expect("config");
    std::fs::write(
        &credentials,
        format!(
            "[static]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            server.access_key_id, server.secret_access_key
        ),
    )
    .expect("credentials");
    c.env
        .push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    c.env.push((
        "AWS_SHARED_CREDENTIALS_FILE".into(),
        credentials.display().to_string(),
    ));
    c.env
        .push(("COFFER_TEST_ID".into(), server.access_key_id.clone()));
    c.env.push((
        "COFFER_TEST_SECRET".into(),
        server.secret_access_key.clone(),
    ));

    for aws_profile in ["static", "process"] {
        let name = unique_name(aws_profile);
        c.run(&[
            "profile",
            "add",
            &name,
            "--from-aws-profile",
            aws_profile,
            "--path-style",
        ])
        .ok();
        let listed = c.run(&["--profile", &name, "ls"]).ok().stdout;
        assert!(listed.contains(&bucket), "{aws_profile}: {listed}");
    }
    let run = c
        .run(&[
            "profile",
            "add",
            &unique_name("x"),
            "--from-aws-profile",
            "no-such-profile",
        ])
        .fails(1);
    assert!(run.stderr.contains("no-such-profile"), "{}", run.stderr);

    // The standard variables fill what the command line leaves out.
    let mut e = Coffer::new();
    e.env
        .push(("AWS_ACCESS_KEY_ID".into(), server.access_key_id.clone()));
    e.env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        server.secret_access_key.clone(),
    ));
    e.env.push(("AWS_REGION".into(), "garage".into()));
    e.env
        .push(("AWS_ENDPOINT_URL".into(), server.endpoint.clone()));
    let name = unique_name("env");
    e.run(&["profile", "add", &name]).ok();
    let listed = e.run(&["--profile", &name, "ls"]).ok().stdout;
    assert!(listed.contains(&bucket), "{listed}");
}

/// Ctrl-C in the middle of a large upload: the process stops, no object appears, and
/// the same command run again resumes without sending the finished parts again.
#[test]
fn interrupted_upload_resumes() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-resume");
    let proxy = ThrottleProxy::start(server.socket_addr(), 4 * MIB as u64);
    let c = Coffer::new();
    let name = c.add_profile_at(server, &proxy.endpoint(), "garage");
    let file = c.path("large.bin");
    let bytes = write_file(&file, 48 * MIB, 9);
    let url = format!("s3://{bucket}/large.bin");
    let args = [
        "--profile",
        name.as_str(),
        "cp",
        file.to_str().expect("utf-8"),
        url.as_str(),
        "--part-size",
        "5MiB",
        "--concurrency",
        "2",
        "--json",
    ];

    let child = c
        .command(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until about three parts went through the (slow on purpose) proxy.
    let deadline = Instant::now() + Duration::from_secs(120);
    while proxy.bytes_up() < 16 * MIB as u64 {
        assert!(Instant::now() < deadline, "the upload does not move");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("resume"), "{stderr}");
    eprintln!("stopped {:?} after SIGINT", started.elapsed());

    // No object, and a resumable transfer recorded.
    c.run(&["--profile", &name, "stat", &url]).fails(1);
    let state = c
        .run(&["--profile", &name, "transfers", "list", "--json"])
        .ok()
        .json_lines();
    assert_eq!(state.len(), 1, "{state:?}");
    let parts_done = state[0]["parts_done"].as_u64().expect("parts_done");
    assert!(parts_done >= 1, "{state:?}");

    // Again, at full speed: resumes.
    proxy.set_rate(0);
    let report = c.run(&args).ok().json();
    assert!(
        report["parts_resumed"].as_u64().expect("parts_resumed") >= parts_done,
        "{report}"
    );
    assert!(report["bytes_sent"].as_u64().expect("bytes_sent") < bytes.len() as u64);
    let back = c.path("back.bin");
    c.run(&[
        "--profile",
        &name,
        "cp",
        &url,
        back.to_str().expect("utf-8"),
    ])
    .ok();
    assert!(std::fs::read(&back).expect("read") == bytes);
    assert!(
        c.run(&["--profile", &name, "transfers", "list", "--json"])
            .ok()
            .json_lines()
            .is_empty()
    );
}

/// Object versions on moto: three uploads of one key, the list newest first, the
/// middle version downloaded by id, the first one made current again, and a delete
/// undone by restoring the version under the marker. On Garage, which keeps one
/// version of each object, the commands say so in words.
#[test]
fn object_versions_on_moto_and_the_clear_refusal_on_garage() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::moto();
    let c = Coffer::new();
    let bucket = server.fresh_bucket("cli-versions");
    let name = c.add_profile(server);
    support::turn_versioning_on(server, &bucket);
    let url = format!("s3://{bucket}/notes/plan ü+%.txt");
    let file = c.path("plan.txt");
    let mut bodies = Vec::new();
    for (i, len) in [1000usize, 2000, 3000].into_iter().enumerate() {
        bodies.push(write_file(&file, len, i as u64 + 1));
        c.run_as(&name, &["cp", file.to_str().expect("utf-8"), &url])
            .ok();
    }
    let listed = c
        .run_as(&name, &["versions", &url, "--json"])
        .ok()
        .json_lines();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0]["is_latest"], true);
    let sizes: Vec<_> = listed.iter().map(|v| v["size"].as_u64()).collect();
    assert_eq!(
        sizes,
        vec![Some(3000), Some(2000), Some(1000)],
        "newest first"
    );
    let id = |i: usize| listed[i]["version_id"].as_str().expect("id").to_string();
    let text = c.run_as(&name, &["versions", &url]).ok().stdout;
    assert!(text.contains(&id(1)) && text.contains("(latest)"), "{text}");

    // The middle version, downloaded by its id.
    let middle = c.path("middle.txt");
    let middle_s = middle.to_str().expect("utf-8");
    c.run_as(&name, &["cp", &url, "--version-id", &id(1), middle_s])
        .ok();
    assert_eq!(std::fs::read(&middle).expect("read"), bodies[1]);
    let bad = c
        .run_as(
            &name,
            &["cp", &url, "--version-id", "no-such-version", middle_s],
        )
        .fails(1);
    assert!(bad.stderr.contains("no version"), "{}", bad.stderr);

    // The first version made current again: a fourth version with its bytes.
    c.run_as(&name, &["restore-version", &url, "--version-id", &id(2)])
        .ok();
    let now = c.path("now.txt");
    c.run_as(&name, &["cp", &url, now.to_str().expect("utf-8")])
        .ok();
    assert_eq!(std::fs::read(&now).expect("read"), bodies[0]);
    let listed = c
        .run_as(&name, &["versions", &url, "--json"])
        .ok()
        .json_lines();
    assert_eq!(listed.len(), 4, "the versions in between stay: {listed:?}");

    // Deleted: a delete marker on top; restoring the version under it undeletes.
    c.run_as(&name, &["rm", &url]).ok();
    let listed = c
        .run_as(&name, &["versions", &url, "--json"])
        .ok()
        .json_lines();
    assert_eq!(listed[0]["is_delete_marker"], true, "{listed:?}");
    let marker = listed[0]["version_id"].as_str().expect("id").to_string();
    let refused = c
        .run_as(&name, &["restore-version", &url, "--version-id", &marker])
        .fails(2);
    assert!(
        refused.stderr.contains("delete marker"),
        "{}",
        refused.stderr
    );
    let under = listed[1]["version_id"].as_str().expect("id").to_string();
    c.run_as(&name, &["restore-version", &url, "--version-id", &under])
        .ok();
    c.run_as(&name, &["cp", &url, now.to_str().expect("utf-8")])
        .ok();
    assert_eq!(std::fs::read(&now).expect("read"), bodies[0]);

    // Garage keeps one version of each object: said in words, exit 1.
    let garage = coffer_testkit::garage();
    let g_bucket = garage.fresh_bucket("cli-noversions");
    let g_name = c.add_profile(garage);
    let g_url = format!("s3://{g_bucket}/a.txt");
    c.run_as(&g_name, &["cp", file.to_str().expect("utf-8"), &g_url])
        .ok();
    let said = c.run_as(&g_name, &["versions", &g_url]).fails(1);
    assert!(
        said.stderr.contains("does not implement bucket versioning"),
        "{}",
        said.stderr
    );
}

/// Share links on Garage: `presign` records each link (never its signature in a
/// log), `shares list` shows it with its expiry, `shares url` gives the same working
/// URL again, an expired one is listed as expired and refused, and `forget` drops the
/// record. Lifetimes past S3's 7 days are a usage error.
#[test]
fn share_links_are_recorded_listed_given_again_and_forgotten() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let mut c = Coffer::new();
    c.env.push(("COFFER_LOG".into(), "trace".into()));
    let bucket = server.fresh_bucket("cli-shares");
    let name = c.add_profile(server);
    let file = c.path("shared.txt");
    write_file(&file, 1000, 3);
    let live_url = format!("s3://{bucket}/docs/shared ü+%.txt");
    c.run(&with(
        &name,
        &["cp", file.to_str().expect("utf-8"), &live_url],
    ))
    .ok();

    // The default lifetime is one hour; the URL works and is not in any log line.
    let made = c.run(&with(&name, &["presign", &live_url, "--json"])).ok();
    let made_json = made.json();
    let link = made_json["url"].as_str().expect("url").to_string();
    assert!(link.contains("X-Amz-Expires=3600"), "{link}");
    let signature = link
        .split("X-Amz-Signature=")
        .nth(1)
        .expect("a signature")
        .split('&')
        .next()
        .expect("signature");
    assert!(!made.stderr.contains(signature), "{}", made.stderr);
    assert_eq!(http_get(&link).0, 200);
    let id = made_json["share_id"].as_str().expect("id").to_string();

    let expired_url = format!("s3://{bucket}/docs/gone.txt");
    let expired = c
        .run(&with(
            &name,
            &["presign", &expired_url, "--expires", "1s", "--json"],
        ))
        .ok()
        .json();
    let expired_id = expired["share_id"].as_str().expect("id").to_string();
    std::thread::sleep(Duration::from_millis(2100));

    let listed = c.run(&with(&name, &["shares", "list", "--json"])).ok();
    assert!(!listed.stderr.contains(signature), "{}", listed.stderr);
    let listed = listed.json_lines();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str(), "live ones first");
    assert_eq!(listed[0]["key"], "docs/shared ü+%.txt");
    assert_eq!(listed[0]["profile"], name.as_str());
    assert_eq!(listed[0]["method"], "GET");
    assert_eq!(listed[0]["via"], "cli");
    assert_eq!(listed[0]["expired"], false);
    assert_eq!(listed[0]["expires_secs"], 3600);
    assert_eq!(listed[0]["expires_at"], made_json["expires_at"]);
    assert_eq!(listed[1]["id"], expired_id.as_str());
    assert_eq!(listed[1]["expired"], true);
    let text = c.run(&with(&name, &["shares", "list"])).ok().stdout;
    assert!(
        text.contains("expires in 59m") || text.contains("expires in 1h"),
        "{text}"
    );
    assert!(text.contains("expired "), "{text}");

    // Copy again: the very same URL, still working; an expired link is refused.
    let again = c.run(&with(&name, &["shares", "url", &id])).ok().stdout;
    assert_eq!(again.trim(), link);
    assert_eq!(http_get(again.trim()).0, 200);
    let refused = c
        .run(&with(&name, &["shares", "url", &expired_id]))
        .fails(1);
    assert!(refused.stderr.contains("expired"), "{}", refused.stderr);

    // Past S3's limit, a usage error that says why.
    let too_long = c
        .run(&with(&name, &["presign", &live_url, "--expires", "8d"]))
        .fails(2);
    assert!(too_long.stderr.contains("7 days"), "{}", too_long.stderr);

    // Forget: gone from the list; an unknown id is an error that says so.
    c.run(&with(&name, &["shares", "forget", &expired_id])).ok();
    let left = c
        .run(&with(&name, &["shares", "list", "--json"]))
        .ok()
        .json_lines();
    assert_eq!(left.len(), 1);
    let unknown = c
        .run(&with(&name, &["shares", "forget", &expired_id]))
        .fails(1);
    assert!(
        unknown.stderr.contains("no share link"),
        "{}",
        unknown.stderr
    );
}

/// Upload header rules from the CLI on Garage: a `*.css` rule sets Cache-Control on
/// `cp` uploads (a file, a folder, and `mv`), `--no-rules` skips it, an explicit
/// option wins over it, a later rule wins over an earlier one, and a bad rule is
/// refused in words.
#[test]
fn upload_rules_apply_to_cli_uploads_unless_skipped() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let bucket = server.fresh_bucket("cli-rules");
    let name = c.add_profile(server);
    let b = format!("s3://{bucket}");
    const IMMUTABLE: &str = "public, max-age=31536000, immutable";

    let added = c
        .run(&with(
            &name,
            &[
                "rules",
                "add",
                &b,
                "*.css",
                "--cache-control",
                IMMUTABLE,
                "--metadata",
                "Team=web",
                "--json",
            ],
        ))
        .ok()
        .json();
    assert_eq!(added["glob"], "*.css");
    assert_eq!(added["bucket"], bucket.as_str());
    let css_rule = added["id"].as_str().expect("id").to_string();
    let download = c
        .run(&with(
            &name,
            &[
                "rules",
                "add",
                &b,
                "downloads/**",
                "--content-disposition",
                "attachment",
                "--storage-class",
                "STANDARD",
                "--json",
            ],
        ))
        .ok()
        .json();
    let listed = c
        .run(&with(&name, &["rules", "list", &b, "--json"]))
        .ok()
        .json_lines();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], css_rule.as_str());
    assert_eq!(listed[1]["id"], download["id"]);

    let site = c.path("site dir");
    std::fs::create_dir_all(site.join("css")).expect("mkdir");
    std::fs::write(site.join("css/site ü.css"), "body{}").expect("write");
    std::fs::write(site.join("index.html"), "<p>").expect("write");
    let stat = |key: &str| {
        c.run(&with(&name, &["stat", &format!("{b}/{key}"), "--json"]))
            .ok()
            .json()
    };

    // A folder upload: the .css file takes the rule, the .html file does not.
    c.run(&with(
        &name,
        &[
            "cp",
            "-r",
            site.to_str().expect("utf-8"),
            &format!("{b}/www/"),
        ],
    ))
    .ok();
    let css = stat("www/css/site ü.css");
    assert_eq!(css["cache_control"], IMMUTABLE, "{css}");
    assert_eq!(css["content_type"], "text/css", "{css}");
    assert_eq!(css["metadata"]["team"], "web", "{css}");
    let html = stat("www/index.html");
    assert!(html["cache_control"].is_null(), "{html}");
    assert_eq!(html["content_type"], "text/html", "{html}");

    // One file, with --no-rules: nothing from the rules.
    let one = site.join("css/site ü.css");
    let one = one.to_str().expect("utf-8");
    c.run(&with(
        &name,
        &["cp", one, &format!("{b}/plain/site.css"), "--no-rules"],
    ))
    .ok();
    let plain = stat("plain/site.css");
    assert!(plain["cache_control"].is_null(), "{plain}");
    assert!(plain["metadata"].get("team").is_none(), "{plain}");
    // An explicit value wins over the rule; the rule's other fields still apply.
    c.run(&with(
        &name,
        &[
            "cp",
            one,
            &format!("{b}/mine/site.css"),
            "--cache-control",
            "no-store",
        ],
    ))
    .ok();
    let mine = stat("mine/site.css");
    assert_eq!(mine["cache_control"], "no-store");
    assert_eq!(mine["metadata"]["team"], "web");
    // Both rules match under downloads/: each sets its own fields.
    let moved = c.path("report.css");
    std::fs::write(&moved, "p{}").expect("write");
    c.run(&with(
        &name,
        &[
            "mv",
            moved.to_str().expect("utf-8"),
            &format!("{b}/downloads/report.css"),
        ],
    ))
    .ok();
    let report = stat("downloads/report.css");
    assert_eq!(report["cache_control"], IMMUTABLE, "{report}");
    assert_eq!(report["content_disposition"], "attachment", "{report}");

    // A bad rule is refused, naming what is wrong; nothing is added.
    let bad = c
        .run(&with(
            &name,
            &["rules", "add", &b, "a[", "--cache-control", "x"],
        ))
        .fails(1);
    assert!(bad.stderr.contains("glob is not valid"), "{}", bad.stderr);
    let empty = c.run(&with(&name, &["rules", "add", &b, "*.js"])).fails(1);
    assert!(empty.stderr.contains("sets nothing"), "{}", empty.stderr);
    assert_eq!(
        c.run(&with(&name, &["rules", "list", "--json"]))
            .ok()
            .json_lines()
            .len(),
        2
    );

    // Remove by id alone; then uploads get nothing from it.
    c.run(&with(&name, &["rules", "remove", &css_rule])).ok();
    c.run(&with(&name, &["cp", one, &format!("{b}/after/site.css")]))
        .ok();
    assert!(stat("after/site.css")["cache_control"].is_null());
    let unknown = c
        .run(&with(&name, &["rules", "remove", &css_rule]))
        .fails(1);
    assert!(
        unknown.stderr.contains("no upload rule"),
        "{}",
        unknown.stderr
    );
}

/// `--profile NAME ARGS…`.
fn with<'a>(profile: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut full = vec!["--profile", profile];
    full.extend_from_slice(args);
    full
}

/// `coffer find` and `coffer index` on Garage: without an index find lists the
/// bucket and says so; `index refresh` builds one; find then answers from it and
/// says how old it is (an object added behind its back is not seen until a refresh,
/// but is with --fresh); `index status` shows it; `forget` drops it.
#[test]
fn find_answers_from_the_index_and_says_how_old_it_is() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let bucket = server.fresh_bucket("cli-find");
    let name = c.add_profile(server);
    let b = format!("s3://{bucket}");
    let tree = c.path("tree");
    for key in [
        "docs/a.txt",
        "docs/b.jpg",
        "docs/deep/c.JPG",
        "photos/2024/x.jpg",
        "top.jpg",
    ] {
        let path = tree.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, key.as_bytes()).expect("write");
    }
    c.run(&with(
        &name,
        &["cp", "-r", tree.to_str().expect("utf-8"), &format!("{b}/")],
    ))
    .ok();
    let keys = |run: &support::Run| -> Vec<String> {
        run.json_lines()
            .iter()
            .filter(|v| v["done"] != true)
            .map(|v| v["key"].as_str().expect("key").to_string())
            .collect()
    };

    let listed = c
        .run(&with(&name, &["find", &b, "**/*.jpg", "--json"]))
        .ok();
    assert!(listed.stderr.contains("has no index"), "{}", listed.stderr);
    let all_jpg = [
        "docs/b.jpg",
        "docs/deep/c.JPG",
        "photos/2024/x.jpg",
        "top.jpg",
    ];
    assert_eq!(keys(&listed), all_jpg);
    assert_eq!(
        listed.json_lines().last().expect("summary")["source"],
        "listing"
    );

    let built = c
        .run(&with(&name, &["index", "refresh", &b, "--json"]))
        .ok()
        .json();
    assert_eq!(built["state"], "ready", "{built}");
    assert_eq!(built["objects"], 5);
    let status = c.run(&with(&name, &["index", "status"])).ok().stdout;
    assert!(
        status.contains(&bucket) && status.contains("5 objects"),
        "{status}"
    );

    // Behind the index's back (the aws-cli): not seen from the index, seen with
    // --fresh. Coffer's own upload is seen at once.
    let late = c.path("late.jpg");
    std::fs::write(&late, "late").expect("write");
    let status = std::process::Command::new("aws")
        .args([
            "--endpoint-url",
            &server.endpoint,
            "--region",
            &server.region,
        ])
        .args([
            "s3api",
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            "photos/late.jpg",
        ])
        .args(["--body", late.to_str().expect("utf-8")])
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the aws-cli (scripts/setup.sh installs it)");
    assert!(status.success());
    c.run(&with(
        &name,
        &[
            "cp",
            late.to_str().expect("utf-8"),
            &format!("{b}/mine.jpg"),
        ],
    ))
    .ok();
    let indexed = c
        .run(&with(&name, &["find", &b, "**/*.jpg", "--json"]))
        .ok();
    assert_eq!(
        keys(&indexed),
        [
            "docs/b.jpg",
            "docs/deep/c.JPG",
            "mine.jpg",
            "photos/2024/x.jpg",
            "top.jpg"
        ]
    );
    let summary = indexed.json_lines().last().expect("summary").clone();
    assert_eq!(summary["source"], "index");
    assert!(summary["as_of"].is_string(), "{summary}");
    let text = c
        .run(&with(&name, &["find", &format!("{b}/photos/"), "2024"]))
        .ok();
    assert!(text.stdout.contains("photos/2024/x.jpg"), "{}", text.stdout);
    assert!(
        text.stderr.contains("from the index as of"),
        "{}",
        text.stderr
    );
    let fresh = c
        .run(&with(&name, &["find", &b, "**/*.jpg", "--fresh", "--json"]))
        .ok();
    assert!(keys(&fresh).contains(&"photos/late.jpg".to_string()));
    // Filters, and a bad glob is a usage error.
    let big = c
        .run(&with(
            &name,
            &["find", &b, "--larger", "12", "--smaller", "100", "--json"],
        ))
        .ok();
    assert_eq!(keys(&big), ["docs/deep/c.JPG", "photos/2024/x.jpg"]);
    let bad = c.run(&with(&name, &["find", &b, "a["])).fails(2);
    assert!(bad.stderr.contains("search pattern"), "{}", bad.stderr);

    c.run(&with(&name, &["index", "forget", &b])).ok();
    let again = c.run(&with(&name, &["find", &b, "late"])).ok();
    assert!(again.stderr.contains("has no index"), "{}", again.stderr);
}

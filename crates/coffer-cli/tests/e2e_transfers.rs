//! Transfers through the `coffer` binary on real servers: folders and odd keys on
//! Garage and moto, orphaned multipart uploads, a file that changes between runs or
//! while it uploads, Ctrl-C during a download, and a bucket in another region.
//! Profiles keep their secrets in a real gnome-keyring: run through
//! `scripts/with-keyring.sh`.

mod support;

use std::path::Path;
use std::time::Duration;

use coffer_testkit::{S3Server, ServerKind, ThrottleProxy};
use support::{
    Coffer, Run, http_get, http_put, interrupt, keyring_ready, keys_as, tree, wait_or_kill,
    wait_until, write_file,
};

const MIB: usize = 1024 * 1024;
const PATIENCE: Duration = Duration::from_secs(180);

/// Starts `args` (an upload through `proxy`), waits until `after` bytes went through
/// the proxy, sends Ctrl-C and checks that coffer stopped as it should.
///
/// With `second_process`, the upload is first slowed to a crawl and another coffer
/// runs on the same data dir meanwhile: sled admits one process at a time, so that
/// one waits (10 s) and then must say clearly why it gives up.
fn interrupt_upload(
    c: &Coffer,
    proxy: &ThrottleProxy,
    args: &[&str],
    after: u64,
    second_process: bool,
) -> Run {
    let child = c.spawn(args);
    wait_until(PATIENCE, "the upload to send a few parts", || {
        proxy.bytes_up() >= after
    });
    if second_process {
        // 64 KiB/s: the upload cannot finish while the other process waits.
        proxy.set_rate(64 * 1024);
        let second = c.run(&["transfers", "list"]);
        if second.code != 0 {
            let second = second.fails(1);
            assert!(
                second.stderr.contains("another Coffer process")
                    && second.stderr.contains("COFFER_HOME"),
                "a second process gets an unclear message: {}",
                second.stderr
            );
        }
    }
    interrupt(&child);
    let run = wait_or_kill(child, PATIENCE, "coffer cp after Ctrl-C");
    assert_eq!(run.code, 130, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("resume"), "{}", run.stderr);
    run
}

/// `transfers cleanup --older-than 0s s3://bucket --json`: what it aborted.
fn cleanup_now(c: &Coffer, profile: &str, bucket: &str) -> serde_json::Value {
    c.run_as(
        profile,
        &[
            "transfers",
            "cleanup",
            "--older-than",
            "0s",
            &format!("s3://{bucket}"),
            "--json",
        ],
    )
    .ok()
    .json()
}

fn transfers(c: &Coffer, profile: &str) -> Vec<serde_json::Value> {
    c.run_as(profile, &["transfers", "list", "--json"])
        .ok()
        .json_lines()
}

fn download_equals(c: &Coffer, profile: &str, url: &str, bytes: &[u8]) {
    let back = c.path("check.bin");
    c.run_as(profile, &["cp", url, back.to_str().expect("utf-8")])
        .ok();
    assert!(
        std::fs::read(&back).expect("read") == bytes,
        "{url}: the stored object differs"
    );
    std::fs::remove_file(&back).expect("rm");
}

/// An upload stopped with Ctrl-C leaves a multipart upload on the server: `transfers
/// list` shows it, `transfers cleanup` keeps it while it is young and aborts it with
/// `--older-than 0s`; the next `cp` then starts over and stores the right bytes.
#[test]
fn orphaned_upload_is_listed_kept_then_cleaned_up() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-orphan");
    let proxy = ThrottleProxy::start(server.socket_addr(), 4 * MIB as u64);
    let c = Coffer::new();
    let name = c.add_profile_at(server, &proxy.endpoint(), &server.region);
    let file = c.path("orphan.bin");
    let bytes = write_file(&file, 30 * MIB + 3, 21);
    let url = format!("s3://{bucket}/sub/orphan.bin");
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
    interrupt_upload(&c, &proxy, &args, 12 * MIB as u64, true);
    proxy.set_rate(0);
    c.run_as(&name, &["stat", &url]).fails(1);

    let listed = transfers(&c, &name);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let text = c.run_as(&name, &["transfers", "list"]).ok().stdout;
    assert!(text.contains(&url), "{text}");

    // Young uploads are kept by default (24h).
    let kept = c
        .run_as(
            &name,
            &["transfers", "cleanup", &format!("s3://{bucket}"), "--json"],
        )
        .ok()
        .json();
    assert_eq!(kept["aborted"].as_array().map(Vec::len), Some(0), "{kept}");
    assert!(kept["kept"].as_u64() >= Some(1), "{kept}");
    assert_eq!(transfers(&c, &name).len(), 1);

    let cleaned = cleanup_now(&c, &name, &bucket);
    let aborted = cleaned["aborted"].as_array().expect("aborted");
    assert_eq!(aborted.len(), 1, "{cleaned}");
    assert_eq!(aborted[0]["key"], "sub/orphan.bin", "{cleaned}");
    assert_eq!(cleaned["records_dropped"], 1, "{cleaned}");
    assert!(transfers(&c, &name).is_empty());
    let again = cleanup_now(&c, &name, &bucket);
    assert_eq!(
        again["aborted"].as_array().map(Vec::len),
        Some(0),
        "{again}"
    );

    // Nothing left to resume: a fresh upload of every byte.
    let report = c.run(&args).ok().json();
    assert_eq!(report["parts_resumed"], 0, "{report}");
    assert_eq!(report["bytes_sent"], bytes.len(), "{report}");
    download_equals(&c, &name, &url, &bytes);
}

/// A file rewritten (same size, new content) between the interrupted run and the next
/// one must not be completed from the old parts.
#[test]
fn changed_file_is_not_resumed_from_stale_parts() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-stale");
    let proxy = ThrottleProxy::start(server.socket_addr(), 4 * MIB as u64);
    let c = Coffer::new();
    let name = c.add_profile_at(server, &proxy.endpoint(), &server.region);
    let file = c.path("stale.bin");
    write_file(&file, 30 * MIB, 31);
    let url = format!("s3://{bucket}/stale.bin");
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
    interrupt_upload(&c, &proxy, &args, 12 * MIB as u64, false);
    proxy.set_rate(0);
    assert_eq!(transfers(&c, &name).len(), 1);

    let new_bytes = write_file(&file, 30 * MIB, 32);
    // Make sure the modification time moves even on a coarse clock.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(later))
        .expect("set mtime");

    let report = c.run(&args).ok().json();
    assert_eq!(report["parts_resumed"], 0, "{report}");
    download_equals(&c, &name, &url, &new_bytes);
    assert!(transfers(&c, &name).is_empty());
    // The stale multipart upload was aborted, not left behind.
    let cleaned = cleanup_now(&c, &name, &bucket);
    assert_eq!(
        cleaned["aborted"].as_array().map(Vec::len),
        Some(0),
        "{cleaned}"
    );
}

/// A file that grows while it uploads: reported, nothing stored, nothing left to
/// resume or to clean up.
#[test]
fn file_growing_during_upload_is_refused() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-grow");
    let proxy = ThrottleProxy::start(server.socket_addr(), 4 * MIB as u64);
    let c = Coffer::new();
    let name = c.add_profile_at(server, &proxy.endpoint(), &server.region);
    let file = c.path("growing.log");
    write_file(&file, 30 * MIB, 41);
    let url = format!("s3://{bucket}/growing.log");
    let child = c.spawn(&[
        "--profile",
        &name,
        "cp",
        file.to_str().expect("utf-8"),
        &url,
        "--part-size",
        "5MiB",
        "--concurrency",
        "2",
    ]);
    wait_until(PATIENCE, "the upload to move", || {
        proxy.bytes_up() >= 8 * MIB as u64
    });
    {
        use std::io::Write;
        let mut f = std::fs::File::options()
            .append(true)
            .open(&file)
            .expect("open for append");
        f.write_all(&[b'x'; 1024]).expect("append");
    }
    proxy.set_rate(0);
    let run = wait_or_kill(child, PATIENCE, "coffer cp of a growing file");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("growing.log") && run.stderr.contains("changed"),
        "{}",
        run.stderr
    );
    let run = c.run_as(&name, &["stat", &url]).fails(1);
    assert!(run.stderr.contains("growing.log"), "{}", run.stderr);
    assert!(transfers(&c, &name).is_empty());
    let cleaned = cleanup_now(&c, &name, &bucket);
    assert_eq!(
        cleaned["aborted"].as_array().map(Vec::len),
        Some(0),
        "{cleaned}"
    );
}

/// Bytes of `dir`'s entries on disk (allocated, so sparse temp files count what was
/// written).
fn bytes_on_disk(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.blocks() * 512)
                .sum()
        })
        .unwrap_or(0)
}

/// Ctrl-C during a download: exit 130, and neither the file nor a temp file is left.
/// The next run downloads it whole.
#[test]
fn interrupted_download_leaves_no_file() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-down");
    let c = Coffer::new();
    let direct = c.add_profile(server);
    let file = c.path("source.bin");
    let bytes = write_file(&file, 32 * MIB, 51);
    let url = format!("s3://{bucket}/source.bin");
    c.run_as(&direct, &["cp", file.to_str().expect("utf-8"), &url])
        .ok();

    let proxy = ThrottleProxy::start(server.socket_addr(), 2 * MIB as u64);
    let slow = c.add_profile_at(server, &proxy.endpoint(), &server.region);
    let dir = c.path("downloads");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let target = dir.join("copy.bin");
    let args = [
        "--profile",
        slow.as_str(),
        "cp",
        url.as_str(),
        target.to_str().expect("utf-8"),
        "--part-size",
        "5MiB",
        "--concurrency",
        "2",
    ];
    let child = c.spawn(&args);
    wait_until(PATIENCE, "the download to write a few MiB", || {
        bytes_on_disk(&dir) >= 3 * MIB as u64
    });
    interrupt(&child);
    let run = wait_or_kill(child, PATIENCE, "coffer cp (download) after Ctrl-C");
    assert_eq!(run.code, 130, "{}\n{}", run.stdout, run.stderr);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    proxy.set_rate(0);
    c.run(&args).ok();
    assert!(std::fs::read(&target).expect("read") == bytes);
}

/// Keys that servers and URL encoders get wrong. Garage drops the leading `/` of a
/// key (its router trims the path; docs/PITFALLS.md), so that one is left out there.
fn odd_keys(kind: ServerKind) -> Vec<String> {
    let mut keys: Vec<String> = [
        "ünïcødé/日本語 🚀.txt",
        "with space/a  b.txt",
        "percent/100%.txt",
        "percent/%41%2F",
        "plus/a+b",
        "double//slash",
        "q?x=1#frag",
        "amp&eq=;semi,comma'quote\"",
        "tilde~star*paren(1)",
        "/leading",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    keys.push(format!("long/{}x", "é".repeat(509)));
    if kind == ServerKind::Garage {
        keys.retain(|k| !k.starts_with('/'));
    }
    keys.sort();
    keys
}

fn odd_keys_and_folders_on(server: &S3Server) {
    let c = Coffer::new();
    let name = c.add_profile(server);
    let first = server.fresh_bucket("cli-odd");
    let second = server.fresh_bucket("cli-odd-copy");
    let keys = odd_keys(server.kind);
    let file = c.path("f.bin");
    let mut contents = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let bytes = write_file(&file, 500 + i, 60 + i as u64);
        let url = format!("s3://{first}/{key}");
        c.run_as(&name, &["cp", file.to_str().expect("utf-8"), &url])
            .ok();
        let stat = c.run_as(&name, &["stat", &url, "--json"]).ok().json();
        assert_eq!(stat["key"], key.as_str(), "{:?}", server.kind);
        contents.push(bytes);
    }
    assert_eq!(
        keys_as(&c, &name, &format!("s3://{first}")),
        keys,
        "{:?}",
        server.kind
    );

    // Server-side copy of the whole bucket, then delete the source.
    c.run_as(
        &name,
        &[
            "cp",
            &format!("s3://{first}/"),
            &format!("s3://{second}/"),
            "--recursive",
        ],
    )
    .ok();
    assert_eq!(
        keys_as(&c, &name, &format!("s3://{second}")),
        keys,
        "{:?}",
        server.kind
    );
    c.run_as(
        &name,
        &["rm", &format!("s3://{first}/"), "--recursive", "--yes"],
    )
    .ok();
    assert!(keys_as(&c, &name, &format!("s3://{first}")).is_empty());
    for (key, bytes) in keys.iter().zip(&contents) {
        download_equals(&c, &name, &format!("s3://{second}/{key}"), bytes);
    }
    // One by one: each delete takes exactly its key.
    for (i, key) in keys.iter().enumerate() {
        c.run_as(&name, &["rm", &format!("s3://{second}/{key}")])
            .ok();
        let left = keys_as(&c, &name, &format!("s3://{second}"));
        assert_eq!(left.len(), keys.len() - i - 1, "{key:?}: {left:?}");
    }

    // A folder with odd names, one file multipart, up and down.
    let up = c.path("up");
    write_file(&up.join("a b/c+d/100% é.bin"), 11 * MIB, 71);
    write_file(&up.join("a b/c+d/deeper/x"), 1, 72);
    write_file(&up.join("top.txt"), 10, 73);
    write_file(&up.join("zero"), 0, 74);
    c.run_as(
        &name,
        &[
            "cp",
            up.to_str().expect("utf-8"),
            &format!("s3://{first}/tree/"),
            "--recursive",
            "--part-size",
            "5MiB",
        ],
    )
    .ok();
    let down = c.path("down");
    c.run_as(
        &name,
        &[
            "cp",
            &format!("s3://{first}/tree/"),
            down.to_str().expect("utf-8"),
            "--recursive",
        ],
    )
    .ok();
    assert!(
        tree(&up) == tree(&down),
        "{:?}: the tree changed",
        server.kind
    );
    c.run_as(
        &name,
        &[
            "mv",
            &format!("s3://{first}/tree/"),
            &format!("s3://{first}/renamed/"),
            "--recursive",
        ],
    )
    .ok();
    assert!(keys_as(&c, &name, &format!("s3://{first}/tree/")).is_empty());
    assert_eq!(
        keys_as(&c, &name, &format!("s3://{first}/renamed/")).len(),
        4
    );
    c.run_as(
        &name,
        &["rm", &format!("s3://{first}/"), "--recursive", "--yes"],
    )
    .ok();
    for bucket in [&first, &second] {
        c.run_as(&name, &["rb", &format!("s3://{bucket}")]).ok();
    }
    let buckets = c.run_as(&name, &["ls", "--json"]).ok().json_lines();
    assert!(
        buckets
            .iter()
            .all(|b| b["name"] != first.as_str() && b["name"] != second.as_str()),
        "{buckets:?}"
    );
}

#[test]
fn odd_keys_and_folders_on_garage() {
    if !keyring_ready() {
        return;
    }
    odd_keys_and_folders_on(coffer_testkit::garage());
}

#[test]
fn odd_keys_and_folders_on_moto() {
    if !keyring_ready() {
        return;
    }
    odd_keys_and_folders_on(coffer_testkit::moto());
}

/// A moto bucket in eu-west-2 from a profile that says us-east-1: region reported
/// from the header; multipart upload, download, presigned GET and PUT all work.
#[test]
fn moto_bucket_in_eu_west_2_transfers() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::moto();
    let bucket = server.fresh_bucket_in_region("cli-euw2", "eu-west-2");
    let c = Coffer::new();
    let name = c.add_profile_at(server, &server.endpoint, "us-east-1");
    let region = c
        .run_as(&name, &["region", &format!("s3://{bucket}"), "--json"])
        .ok()
        .json();
    assert_eq!(region["region"], "eu-west-2", "{region}");
    let text = c
        .run_as(&name, &["region", &format!("s3://{bucket}")])
        .ok()
        .stdout;
    assert!(
        text.contains("eu-west-2") && text.contains("x-amz-bucket-region"),
        "{text}"
    );

    let file = c.path("big.bin");
    let bytes = write_file(&file, 12 * MIB + 1, 81);
    let url = format!("s3://{bucket}/big.bin");
    let report = c
        .run_as(
            &name,
            &[
                "cp",
                file.to_str().expect("utf-8"),
                &url,
                "--part-size",
                "5MiB",
                "--json",
            ],
        )
        .ok()
        .json();
    assert_eq!(report["multipart"], true, "{report}");
    let stat = c.run_as(&name, &["stat", &url, "--json"]).ok().json();
    assert_eq!(stat["size"], bytes.len());
    download_equals(&c, &name, &url, &bytes);

    let link = c.run_as(&name, &["presign", &url]).ok().stdout;
    let (status, body) = http_get(link.trim());
    assert_eq!(status, 200);
    assert!(body == bytes);

    let put_url = format!("s3://{bucket}/by link.txt");
    let link = c
        .run_as(&name, &["presign", &put_url, "--put", "--expires", "1h"])
        .ok()
        .stdout;
    assert!(link.contains("eu-west-2"), "{link}");
    assert_eq!(http_put(link.trim(), b"hello from a link".to_vec()), 200);
    let stat = c.run_as(&name, &["stat", &put_url, "--json"]).ok().json();
    assert_eq!(stat["size"], 17);

    // Metadata options on the way up, kept by the server.
    let small = c.path("page.html");
    write_file(&small, 100, 82);
    let page = format!("s3://{bucket}/page");
    c.run_as(
        &name,
        &[
            "cp",
            small.to_str().expect("utf-8"),
            &page,
            "--content-type",
            "text/x-coffer",
            "--cache-control",
            "no-store",
            "--storage-class",
            "STANDARD_IA",
            "--metadata",
            "Team=storage",
        ],
    )
    .ok();
    let stat = c.run_as(&name, &["stat", &page, "--json"]).ok().json();
    assert_eq!(stat["content_type"], "text/x-coffer", "{stat}");
    assert_eq!(stat["cache_control"], "no-store", "{stat}");
    assert_eq!(stat["storage_class"], "STANDARD_IA", "{stat}");
    assert_eq!(stat["metadata"]["team"], "storage", "{stat}");
}

/// Without a region in the profile, a server that sends no region header (Garage)
/// gets the default, and `coffer region` says so.
#[test]
fn region_falls_back_to_the_default() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("cli-noregion");
    let c = Coffer::new();
    let name = support::unique_name("noregion");
    c.run_with_stdin(
        &[
            "profile",
            "add",
            &name,
            "--endpoint",
            &server.endpoint,
            "--path-style",
            "--access-key-id",
            &server.access_key_id,
            "--secret-stdin",
        ],
        &server.secret_access_key,
    )
    .ok();
    let text = c
        .run_as(&name, &["region", &format!("s3://{bucket}")])
        .ok()
        .stdout;
    assert!(
        text.contains("us-east-1") && text.contains("default"),
        "{text}"
    );
    let with_region = c.add_profile(server);
    let text = c
        .run_as(&with_region, &["region", &format!("s3://{bucket}")])
        .ok()
        .stdout;
    assert!(
        text.contains(&server.region) && text.contains("profile"),
        "{text}"
    );
    let test = c
        .run(&["profile", "test", &with_region, "--json"])
        .ok()
        .json();
    assert_eq!(test["ok"], true, "{test}");
    assert!(test["buckets"].as_u64() >= Some(1), "{test}");
    let listed = c.run_as(&with_region, &["ls"]).ok().stdout;
    assert!(listed.contains(&bucket), "{listed}");
}

//! The `coffer` binary on the embedded `local` profile: no server, no keychain.

mod support;

use support::{Coffer, files_under, write_file};

fn keys(c: &Coffer, url: &str) -> Vec<String> {
    let mut keys: Vec<String> = c
        .run(&["ls", url, "--recursive", "--json"])
        .ok()
        .json_lines()
        .into_iter()
        .filter_map(|v| v.get("key").and_then(|k| k.as_str()).map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[test]
fn local_profile_round_trip() {
    let c = Coffer::new();
    // The local profile is always there and is the default.
    let profiles = c.run(&["profile", "list", "--json"]).ok().json_lines();
    assert!(
        profiles.iter().any(|p| p["name"] == "local"),
        "{profiles:?}"
    );

    c.run(&["mb", "s3://demo"]).ok();
    let buckets = c.run(&["ls", "--json"]).ok().json_lines();
    assert!(buckets.iter().any(|b| b["name"] == "demo"), "{buckets:?}");

    let file = c.path("hello world.txt");
    let bytes = write_file(&file, 70_000, 1);
    let up = c
        .run(&["cp", file.to_str().expect("utf-8"), "s3://demo/docs/"])
        .ok();
    assert!(
        up.stdout.contains("s3://demo/docs/hello world.txt"),
        "{}",
        up.stdout
    );

    let listing = c.run(&["ls", "s3://demo/"]).ok();
    assert!(listing.stdout.contains("docs/"), "{}", listing.stdout);
    let stat = c
        .run(&["stat", "s3://demo/docs/hello world.txt", "--json"])
        .ok()
        .json();
    assert_eq!(stat["size"], 70_000);
    assert_eq!(stat["content_type"], "text/plain");

    let back = c.path("back.txt");
    c.run(&[
        "cp",
        "s3://demo/docs/hello world.txt",
        back.to_str().expect("utf-8"),
    ])
    .ok();
    assert!(std::fs::read(&back).expect("read back") == bytes);

    // Rename, then delete.
    c.run(&[
        "mv",
        "s3://demo/docs/hello world.txt",
        "s3://demo/renamed.txt",
    ])
    .ok();
    assert_eq!(keys(&c, "s3://demo"), ["renamed.txt"]);
    c.run(&["rm", "s3://demo/renamed.txt"]).ok();
    assert!(keys(&c, "s3://demo").is_empty());
    c.run(&["rb", "s3://demo"]).ok();
    let buckets = c.run(&["ls", "--json"]).ok().json_lines();
    assert!(buckets.iter().all(|b| b["name"] != "demo"));
}

#[test]
fn folders_up_down_move_and_delete() {
    let c = Coffer::new();
    c.run(&["mb", "s3://tree"]).ok();
    let up = c.path("up");
    write_file(&up.join("a.txt"), 10, 1);
    write_file(&up.join("sub/b.bin"), 6 * 1024 * 1024, 2);
    write_file(&up.join("sub/deeper/ç + %.csv"), 300, 3);
    write_file(&up.join("empty"), 0, 4);
    let up_s = up.to_str().expect("utf-8");

    // A folder needs --recursive: a usage error.
    c.run(&["cp", up_s, "s3://tree/x/"]).fails(2);
    c.run(&["cp", up_s, "s3://tree/x/", "--recursive"]).ok();
    assert_eq!(
        keys(&c, "s3://tree/x/"),
        [
            "x/a.txt",
            "x/empty",
            "x/sub/b.bin",
            "x/sub/deeper/ç + %.csv"
        ]
    );

    let down = c.path("down");
    c.run(&["cp", "s3://tree/x/", down.to_str().expect("utf-8"), "-r"])
        .ok();
    let mut a: Vec<_> = files_under(&up)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(&up).expect("under").to_path_buf(),
                std::fs::read(&p).expect("read"),
            )
        })
        .collect();
    let mut b: Vec<_> = files_under(&down)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(&down).expect("under").to_path_buf(),
                std::fs::read(&p).expect("read"),
            )
        })
        .collect();
    a.sort();
    b.sort();
    assert!(a == b, "the downloaded tree differs");

    c.run(&["mv", "s3://tree/x/", "s3://tree/y/", "--recursive"])
        .ok();
    assert!(keys(&c, "s3://tree/x/").is_empty());
    assert_eq!(keys(&c, "s3://tree/y/").len(), 4);

    // Deleting a prefix without a terminal needs --yes; nothing is deleted without it.
    c.run(&["rm", "s3://tree/y/", "--recursive"]).fails(2);
    assert_eq!(keys(&c, "s3://tree/y/").len(), 4);
    c.run(&["rm", "s3://tree/y/", "--recursive", "--yes"]).ok();
    assert!(keys(&c, "s3://tree").is_empty());
}

#[test]
fn odd_keys_round_trip() {
    let c = Coffer::new();
    c.run(&["mb", "s3://odd"]).ok();
    let file = c.path("f.bin");
    for (i, key) in [
        "ünïcødé/日本語 🚀.txt",
        "with space/a  b.txt",
        "percent/100%.txt",
        "percent/%41%2F",
        "plus/a+b",
        "double//slash",
        "/leading",
        "q?x=1#frag",
    ]
    .iter()
    .enumerate()
    {
        let bytes = write_file(&file, 100 + i, i as u64);
        let url = format!("s3://odd/{key}");
        c.run(&["cp", file.to_str().expect("utf-8"), &url]).ok();
        let listed = keys(&c, "s3://odd");
        assert!(listed.iter().any(|k| k == key), "{key:?} not in {listed:?}");
        let stat = c.run(&["stat", &url, "--json"]).ok().json();
        assert_eq!(stat["key"], *key);
        let back = c.path("back.bin");
        c.run(&["cp", &url, back.to_str().expect("utf-8")]).ok();
        assert!(std::fs::read(&back).expect("read") == bytes, "{key:?}");
    }
}

#[test]
fn clear_errors() {
    let c = Coffer::new();
    // Usage errors exit with 2.
    c.run(&["cp"]).fails(2);
    c.run(&["cp", "a", "b"]).fails(2);
    c.run(&["ls", "http://not-s3"]).fails(2);

    let missing = c.path("no such file.txt");
    c.run(&["mb", "s3://errs"]).ok();
    let run = c
        .run(&["cp", missing.to_str().expect("utf-8"), "s3://errs/x"])
        .fails(1);
    assert!(run.stderr.contains("no such file.txt"), "{}", run.stderr);

    let run = c.run(&["ls", "s3://nope-bucket/"]).fails(1);
    assert!(run.stderr.contains("nope-bucket"), "{}", run.stderr);

    let run = c.run(&["stat", "s3://errs/missing key"]).fails(1);
    assert!(run.stderr.contains("missing key"), "{}", run.stderr);

    let run = c.run(&["--profile", "nobody", "ls"]).fails(1);
    assert!(run.stderr.contains("nobody"), "{}", run.stderr);

    // A presigned URL needs an HTTP endpoint; the local profile says so.
    c.run(&[
        "cp",
        c.path("").join("..").to_str().expect("utf-8"),
        "s3://errs/",
    ])
    .fails(2);
    let file = c.path("p.txt");
    write_file(&file, 5, 1);
    c.run(&["cp", file.to_str().expect("utf-8"), "s3://errs/p.txt"])
        .ok();
    let run = c.run(&["presign", "s3://errs/p.txt"]).fails(1);
    assert!(run.stderr.contains("local"), "{}", run.stderr);
}

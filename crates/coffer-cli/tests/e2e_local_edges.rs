//! The `coffer` binary on the `local` profile, at the edges: keys that are long or odd
//! through every verb, bucket rules, usage errors (exit 2), the default profile, logs
//! and quiet output. No server and no keychain.

mod support;

use support::{Coffer, contains_bytes, keys_as, tree, write_file};

/// A key of exactly 1,024 bytes (S3's limit), mostly two-byte characters, with a
/// folder in it: the folder-backed store has to split it over several file names.
fn long_key() -> String {
    let key = format!("long/{}x", "é".repeat(509));
    assert_eq!(key.len(), 1024);
    key
}

const ODD_KEYS: [&str; 12] = [
    "ünïcødé/日本語 🚀.txt",
    "with space/a  b.txt",
    "trailing space ",
    "percent/100%.txt",
    "percent/%41%2F",
    "percent/%",
    "plus/a+b",
    "double//slash",
    "/leading",
    "q?x=1#frag",
    "dots/./../x",
    "%+/%@",
];

/// Each odd key goes up, is listed and stat'ed under exactly its name, comes down
/// byte for byte, is copied and moved on the server to another bucket under the same
/// name, and is deleted.
#[test]
fn odd_and_long_keys_through_every_verb() {
    let c = Coffer::new();
    for bucket in ["odd-src", "odd-copy", "odd-moved"] {
        c.run(&["mb", &format!("s3://{bucket}")]).ok();
    }
    let long = long_key();
    let mut keys: Vec<&str> = ODD_KEYS.to_vec();
    keys.push(&long);
    let file = c.path("f.bin");
    let mut expected = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let bytes = write_file(&file, 1000 + i, 100 + i as u64);
        let src = format!("s3://odd-src/{key}");
        c.run(&["cp", file.to_str().expect("utf-8"), &src]).ok();
        let stat = c.run(&["stat", &src, "--json"]).ok().json();
        assert_eq!(stat["key"], *key);
        assert_eq!(stat["size"], bytes.len());
        c.run(&["cp", &src, &format!("s3://odd-copy/{key}")]).ok();
        expected.push((key.to_string(), bytes));
    }
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(keys_as(&c, "local", "s3://odd-src"), want);
    assert_eq!(keys_as(&c, "local", "s3://odd-copy"), want);

    // The plain listing ends each line with the key, as given.
    let text = c.run(&["ls", "s3://odd-src", "--recursive"]).ok().stdout;
    for key in &keys {
        assert!(
            text.lines().any(|l| l.ends_with(&format!("  {key}"))),
            "{key:?} not listed as such in:\n{text}"
        );
    }

    for (key, bytes) in &expected {
        c.run(&[
            "mv",
            &format!("s3://odd-copy/{key}"),
            &format!("s3://odd-moved/{key}"),
        ])
        .ok();
        let back = c.path("back.bin");
        c.run(&[
            "cp",
            &format!("s3://odd-moved/{key}"),
            back.to_str().expect("utf-8"),
        ])
        .ok();
        assert!(
            std::fs::read(&back).expect("read") == *bytes,
            "{key:?}: the copied and moved object differs"
        );
        let back = c.path("back-src.bin");
        c.run(&[
            "cp",
            &format!("s3://odd-src/{key}"),
            back.to_str().expect("utf-8"),
        ])
        .ok();
        assert!(std::fs::read(&back).expect("read") == *bytes, "{key:?}");
    }
    assert!(keys_as(&c, "local", "s3://odd-copy").is_empty());
    assert_eq!(keys_as(&c, "local", "s3://odd-moved"), want);

    // Delete one at a time: every other key stays.
    for (i, key) in keys.iter().enumerate() {
        c.run(&["rm", &format!("s3://odd-moved/{key}")]).ok();
        let left = keys_as(&c, "local", "s3://odd-moved");
        assert_eq!(left.len(), keys.len() - i - 1, "{key:?}: {left:?}");
        assert!(!left.iter().any(|k| k == key), "{key:?} still listed");
    }
    c.run(&["rb", "s3://odd-moved"]).ok();

    // A key one byte over the limit is refused before anything is sent.
    let too_long = format!("{long}y");
    let run = c
        .run(&[
            "cp",
            file.to_str().expect("utf-8"),
            &format!("s3://odd-src/{too_long}"),
        ])
        .fails(2);
    assert!(run.stderr.contains("1,024"), "{}", run.stderr);
}

/// A folder with odd names goes up and comes down identical; a server-side recursive
/// copy keeps it; downloading into an existing folder lands inside it.
#[test]
fn folders_with_odd_names_and_server_side_copy() {
    let c = Coffer::new();
    c.run(&["mb", "s3://trees"]).ok();
    let up = c.path("up");
    write_file(&up.join("top.txt"), 10, 1);
    write_file(&up.join("a b/c+d/100% é.bin"), 70_000, 2);
    write_file(&up.join("a b/c+d/deeper/still/x"), 1, 3);
    write_file(&up.join(".hidden"), 5, 4);
    write_file(&up.join("zero"), 0, 5);
    c.run(&[
        "cp",
        up.to_str().expect("utf-8"),
        "s3://trees/in/",
        "--recursive",
    ])
    .ok();
    assert_eq!(
        keys_as(&c, "local", "s3://trees/in/"),
        [
            "in/.hidden",
            "in/a b/c+d/100% é.bin",
            "in/a b/c+d/deeper/still/x",
            "in/top.txt",
            "in/zero"
        ]
    );

    // One level at a time: folders are prefixes.
    let level = c.run(&["ls", "s3://trees/in/", "--json"]).ok().json_lines();
    assert!(level.iter().any(|v| v["prefix"] == "in/a b/"), "{level:?}");
    assert!(level.iter().any(|v| v["key"] == "in/top.txt"), "{level:?}");
    assert!(
        !level
            .iter()
            .any(|v| v["key"] == "in/a b/c+d/deeper/still/x"),
        "{level:?}"
    );

    c.run(&["cp", "s3://trees/in/", "s3://trees/copy/", "--recursive"])
        .ok();
    let down = c.path("down");
    c.run(&[
        "cp",
        "s3://trees/copy/",
        down.to_str().expect("utf-8"),
        "--recursive",
    ])
    .ok();
    assert!(tree(&up) == tree(&down), "the tree changed on the way");
    // The source of a copy stays.
    assert_eq!(keys_as(&c, "local", "s3://trees/in/").len(), 5);

    // An existing folder as the target: the object lands inside it.
    let into = c.path("into");
    std::fs::create_dir_all(&into).expect("mkdir");
    c.run(&["cp", "s3://trees/in/top.txt", into.to_str().expect("utf-8")])
        .ok();
    assert_eq!(
        std::fs::read(into.join("top.txt")).expect("read"),
        std::fs::read(up.join("top.txt")).expect("read")
    );

    // A prefix without --recursive is a usage error, and nothing is written.
    let nothing = c.path("nothing");
    c.run(&["cp", "s3://trees/in/", nothing.to_str().expect("utf-8")])
        .fails(2);
    assert!(!nothing.exists());
    c.run(&["cp", "s3://trees/in/", "s3://trees/elsewhere/"])
        .fails(2);
    assert!(keys_as(&c, "local", "s3://trees/elsewhere/").is_empty());
}

/// `mv` between local files and the store moves: the source is gone afterwards.
#[test]
fn move_between_local_and_store() {
    let c = Coffer::new();
    c.run(&["mb", "s3://moves"]).ok();
    let file = c.path("going up.txt");
    let bytes = write_file(&file, 4096, 7);
    c.run(&["mv", file.to_str().expect("utf-8"), "s3://moves/dir/"])
        .ok();
    assert!(!file.exists(), "the local source is still there");
    assert_eq!(keys_as(&c, "local", "s3://moves"), ["dir/going up.txt"]);

    let back = c.path("came down.txt");
    c.run(&[
        "mv",
        "s3://moves/dir/going up.txt",
        back.to_str().expect("utf-8"),
    ])
    .ok();
    assert!(std::fs::read(&back).expect("read") == bytes);
    assert!(keys_as(&c, "local", "s3://moves").is_empty());

    // Moving a local folder is refused (exit 2) and touches nothing.
    let dir = c.path("folder");
    write_file(&dir.join("x"), 3, 1);
    c.run(&["mv", dir.to_str().expect("utf-8"), "s3://moves/"])
        .fails(2);
    assert!(dir.join("x").exists());
    assert!(keys_as(&c, "local", "s3://moves").is_empty());
}

/// Buckets: names are checked, an existing one is not made twice, a full one is not
/// removed, a missing one is named.
#[test]
fn bucket_rules() {
    let c = Coffer::new();
    let run = c.run(&["mb", "s3://ab"]).fails(2);
    assert!(run.stderr.contains("3 to 63"), "{}", run.stderr);
    let run = c.run(&["mb", "s3://no spaces!"]).fails(2);
    assert!(run.stderr.contains("no spaces!"), "{}", run.stderr);
    // Legacy names (uppercase, `_`) are accepted: some servers still have them.
    c.run(&["mb", "s3://Legacy_Name"]).ok();
    c.run(&["rb", "s3://Legacy_Name"]).ok();

    c.run(&["mb", "s3://rules"]).ok();
    let run = c.run(&["mb", "s3://rules"]).fails(1);
    assert!(
        run.stderr.contains("rules") && run.stderr.contains("already exists"),
        "{}",
        run.stderr
    );

    let file = c.path("f");
    write_file(&file, 1, 1);
    c.run(&["cp", file.to_str().expect("utf-8"), "s3://rules/f"])
        .ok();
    let run = c.run(&["rb", "s3://rules"]).fails(1);
    assert!(
        run.stderr.contains("rules") && run.stderr.contains("not empty"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("coffer rm"), "{}", run.stderr);
    // Still there, with its object.
    assert_eq!(keys_as(&c, "local", "s3://rules"), ["f"]);

    let run = c.run(&["rb", "s3://never-made"]).fails(1);
    assert!(run.stderr.contains("never-made"), "{}", run.stderr);
    let run = c.run(&["cp", "s3://never-made/k", "x"]).fails(1);
    assert!(run.stderr.contains("never-made"), "{}", run.stderr);
    let run = c
        .run(&["cp", file.to_str().expect("utf-8"), "s3://never-made/k"])
        .fails(1);
    assert!(run.stderr.contains("never-made"), "{}", run.stderr);
    let buckets = c.run(&["ls", "--json"]).ok().json_lines();
    assert!(buckets.iter().all(|b| b["name"] != "never-made"));
}

/// Calls that cannot work exit with 2, say what is wrong, and change nothing.
#[test]
fn usage_errors_exit_2() {
    let c = Coffer::new();
    c.run(&["mb", "s3://usage"]).ok();
    let file = c.path("f.txt");
    write_file(&file, 100, 1);
    let f = file.to_str().expect("utf-8");
    let other = c.path("other");
    let other = other.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["frobnicate"], "frobnicate"),
        (vec!["cp", f], "DST"),
        (vec!["cp", f, "s3://usage/k", "--part-size", "abc"], "abc"),
        (
            vec!["cp", f, "s3://usage/k", "--part-size", "1KiB"],
            "part size",
        ),
        (
            vec!["cp", f, "s3://usage/k", "--part-size", "6GiB"],
            "part size",
        ),
        (
            vec!["cp", f, "s3://usage/k", "--concurrency", "0"],
            "concurrency",
        ),
        (
            vec!["cp", f, "s3://usage/k", "--concurrency", "100000"],
            "concurrency",
        ),
        (
            vec!["cp", f, "s3://usage/k", "--metadata", "novalue"],
            "KEY=VALUE",
        ),
        (vec!["cp", f, other], "local"),
        (vec!["presign", "s3://usage/k", "--expires", "8d"], "7 days"),
        (vec!["presign", "s3://usage/k", "--expires", "0s"], "7 days"),
        (vec!["presign", "s3://usage/k", "--expires", "soon"], "soon"),
        (vec!["presign", "s3://usage"], "s3://bucket/key"),
        (vec!["stat", "s3://usage"], "s3://bucket/key"),
        (vec!["mb", "s3://usage/key"], "bucket only"),
        (vec!["rm", "s3://usage/prefix/"], "--recursive"),
        (vec!["rm", "s3://usage/", "--recursive"], "--yes"),
        (vec!["ls", "http://usage/"], "s3://"),
        (vec!["ls", "s3://"], "bucket"),
        (vec!["profile", "add", "creds-missing"], "credentials"),
        (
            vec!["profile", "add", "x", "--path-style", "--virtual-host"],
            "--virtual-host",
        ),
    ];
    for (args, says) in cases {
        let run = c.run(&args).fails(2);
        assert!(
            run.stderr.contains(says),
            "`coffer {}` should say {says:?}:\n{}",
            args.join(" "),
            run.stderr
        );
    }
    // Nothing was stored, and no profile was half-made.
    assert!(keys_as(&c, "local", "s3://usage").is_empty());
    let profiles = c.run(&["profile", "list", "--json"]).ok().json_lines();
    assert_eq!(profiles.len(), 1, "{profiles:?}");
}

/// `--profile` defaults to `$COFFER_PROFILE`, then `local`; the flag wins over the
/// variable. An unknown profile is named, with the command that lists them.
#[test]
fn default_profile_and_unknown_profiles() {
    let mut c = Coffer::new();
    c.run(&["mb", "s3://defaults"]).ok();
    let run = c.run(&["--profile", "nobody-here", "ls"]).fails(1);
    assert!(
        run.stderr.contains("nobody-here") && run.stderr.contains("coffer profile list"),
        "{}",
        run.stderr
    );
    let run = c.run(&["profile", "show", "nobody-here"]).fails(1);
    assert!(run.stderr.contains("nobody-here"), "{}", run.stderr);
    let run = c.run(&["profile", "remove", "nobody-here"]).fails(1);
    assert!(run.stderr.contains("nobody-here"), "{}", run.stderr);
    let run = c.run(&["profile", "remove", "local"]).fails(1);
    assert!(run.stderr.contains("local"), "{}", run.stderr);

    c.env.push(("COFFER_PROFILE".into(), "from-the-env".into()));
    let run = c.run(&["ls"]).fails(1);
    assert!(run.stderr.contains("from-the-env"), "{}", run.stderr);
    let listed = c.run(&["--profile", "local", "ls", "--json"]).ok();
    assert!(
        listed.json_lines().iter().any(|b| b["name"] == "defaults"),
        "{}",
        listed.stdout
    );
}

/// Logs go to stderr only, so `--json` output stays parseable at any verbosity; and
/// without a terminal there is no progress bar and no chatter.
#[test]
fn logs_stay_on_stderr_and_output_stays_clean() {
    let mut c = Coffer::new();
    c.run(&["mb", "s3://logs"]).ok();
    let file = c.path("f.bin");
    write_file(&file, 9 * 1024 * 1024, 1);
    let f = file.to_str().expect("utf-8");

    // Quiet by default: nothing on stderr, one line on stdout.
    let run = c.run(&["cp", f, "s3://logs/quiet.bin"]).ok();
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);

    let run = c
        .run(&["-vv", "cp", f, "s3://logs/loud.bin", "--json"])
        .ok();
    assert!(
        run.stderr.contains("DEBUG"),
        "no debug logs: {}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["key"], "loud.bin");
    assert_eq!(report["multipart"], true);
    assert_eq!(report["size"], 9 * 1024 * 1024);

    let run = c.run(&["-v", "ls", "s3://logs", "--json"]).ok();
    assert_eq!(run.json_lines().len(), 2, "{}", run.stdout);

    c.env.push(("COFFER_LOG".into(), "trace".into()));
    let run = c.run(&["stat", "s3://logs/loud.bin", "--json"]).ok();
    assert_eq!(run.json()["size"], 9 * 1024 * 1024);
    let down = c.path("down.bin");
    let down = down.to_str().expect("utf-8");
    let run = c.run(&["cp", "s3://logs/loud.bin", down, "--json"]).ok();
    assert_eq!(run.json()["size"], 9 * 1024 * 1024);
    // Progress bars redraw with carriage returns; none went into the pipe.
    assert!(
        !contains_bytes(run.stderr.as_bytes(), b"\r"),
        "a progress bar went to a pipe"
    );

    // And without logs, a download says nothing on stderr either.
    c.env.clear();
    let run = c.run(&["cp", "s3://logs/loud.bin", down]).ok();
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    assert!(run.stdout.contains("download:"), "{}", run.stdout);
}

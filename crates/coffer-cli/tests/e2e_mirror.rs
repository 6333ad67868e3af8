//! `coffer mirror` end to end, on Garage: odd names round trip folder → bucket →
//! folder; metadata kept bucket → bucket across profiles; deletions go to the trash
//! first; an interrupted (killed) pass goes on and copies only what is left; watch
//! mode in the agent mirrors a change within 2 s.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{Coffer, keyring_ready, keys_as, tree, wait_or_kill, write_file};

const ODD: [&str; 7] = [
    "plain.txt",
    "sp ace/with space.txt",
    "ünï/cödé é.bin",
    "per%cent/100%.txt",
    "plus+sign/a+b.txt",
    "deep/er/and/deeper/file.dat",
    "emoji/😀.txt",
];

fn same_tree(a: &Path, b: &Path) {
    let ta = tree(a);
    let tb = tree(b);
    assert_eq!(
        ta.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        tb.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "same files"
    );
    assert!(ta == tb, "same contents");
}

#[test]
fn odd_names_round_trip_and_deletions_go_to_the_trash() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("e2e-mirror");
    let src = c.path("src");
    for (i, name) in ODD.iter().enumerate() {
        write_file(&src.join(name), 1000 + i * 4000, i as u64);
    }
    write_file(&src.join("big.bin"), 12 << 20, 99);
    let src_s = src.to_str().expect("utf8");
    let url = format!("s3://{bucket}/m/");
    c.run_as(&profile, &["mirror", "add", "up", src_s, &url, "--delete"])
        .ok();
    let first = c
        .run_as(&profile, &["mirror", "run", "up", "--json"])
        .ok()
        .json();
    assert_eq!(first["copied"], ODD.len() as u64 + 1, "{first}");
    let again = c
        .run_as(&profile, &["mirror", "run", "up", "--json"])
        .ok()
        .json();
    assert_eq!(
        (again["copied"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(ODD.len() as u64 + 1)),
        "{again}"
    );

    // Back down into another folder: the same tree.
    let back = c.path("back");
    std::fs::create_dir_all(&back).expect("mkdir");
    c.run_as(
        &profile,
        &["mirror", "add", "down", &url, back.to_str().expect("utf8")],
    )
    .ok();
    c.run_as(&profile, &["mirror", "run", "down"]).ok();
    same_tree(&src, &back);

    // A change and a deletion: the change is copied, the deleted file goes to the
    // trash prefix first.
    std::thread::sleep(Duration::from_millis(20));
    write_file(&src.join("plain.txt"), 777, 7);
    std::fs::remove_file(src.join("per%cent/100%.txt")).expect("rm");
    let third = c
        .run_as(&profile, &["mirror", "run", "up", "--json"])
        .ok()
        .json();
    assert_eq!(
        (third["copied"].as_u64(), third["trashed"].as_u64()),
        (Some(1), Some(1)),
        "{third}"
    );
    let keys = keys_as(&c, &profile, &url);
    assert!(!keys.iter().any(|k| k == "m/per%cent/100%.txt"), "{keys:?}");
    assert!(
        keys.iter()
            .any(|k| k.starts_with("m/.coffer-trash/") && k.ends_with("/per%cent/100%.txt")),
        "{keys:?}"
    );
    let listed = c.run(&["mirror", "list"]).ok();
    assert!(
        listed.stdout.contains("up") && listed.stdout.contains("[delete]"),
        "{}",
        listed.stdout
    );
    c.run(&["mirror", "remove", "up"]).ok();
    c.run(&["mirror", "remove", "down"]).ok();
    assert!(
        c.run(&["mirror", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[test]
fn bucket_to_bucket_across_profiles_keeps_metadata() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let from = c.add_profile(server);
    let to = c.add_profile(server);
    let a = server.fresh_bucket("e2e-mirror-a");
    let b = server.fresh_bucket("e2e-mirror-b");
    let file = c.path("page.html");
    write_file(&file, 5000, 3);
    c.run_as(
        &from,
        &[
            "cp",
            file.to_str().expect("utf8"),
            &format!("s3://{a}/site/page é.html"),
            "--content-type",
            "text/html; charset=utf-8",
            "--cache-control",
            "max-age=60",
            "--metadata",
            "owner=ops",
        ],
    )
    .ok();
    c.run_as(
        &from,
        &[
            "mirror",
            "add",
            "site",
            &format!("s3://{a}/site/"),
            &format!("{to}:s3://{b}/copy/"),
            "--checksum",
        ],
    )
    .ok();
    let done = c
        .run_as(&from, &["mirror", "run", "site", "--json"])
        .ok()
        .json();
    assert_eq!(done["copied"], 1, "{done}");
    let stat = c
        .run_as(
            &to,
            &["stat", &format!("s3://{b}/copy/page é.html"), "--json"],
        )
        .ok()
        .json();
    assert_eq!(stat["content_type"], "text/html; charset=utf-8", "{stat}");
    assert_eq!(stat["cache_control"], "max-age=60", "{stat}");
    assert_eq!(stat["metadata"]["owner"], "ops", "{stat}");
    let again = c
        .run_as(&from, &["mirror", "run", "site", "--json"])
        .ok()
        .json();
    assert_eq!(
        (again["copied"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1)),
        "{again}"
    );
}

#[test]
fn a_killed_pass_goes_on_and_watch_mode_follows_changes() {
    if !keyring_ready() {
        return;
    }
    let server = coffer_testkit::garage();
    let c = Coffer::new();
    let profile = c.add_profile(server);
    let bucket = server.fresh_bucket("e2e-mirror-kill");
    let src = c.path("many");
    for i in 0..2000 {
        write_file(
            &src.join(format!("d{}/f{i}.txt", i % 8)),
            4000 + (i % 5) * 100,
            i as u64,
        );
    }
    let url = format!("s3://{bucket}/many/");
    c.run_as(
        &profile,
        &["mirror", "add", "many", src.to_str().expect("utf8"), &url],
    )
    .ok();
    let child = c.spawn(&["--profile", &profile, "mirror", "run", "many"]);
    // Killed early in the pass (2,000 objects take seconds).
    std::thread::sleep(Duration::from_millis(900));
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let killed = wait_or_kill(child, Duration::from_secs(30), "killed mirror");
    let before = keys_as(&c, &profile, &url).len();
    let rerun = c
        .run_as(&profile, &["mirror", "run", "many", "--json"])
        .ok()
        .json();
    let copied = rerun["copied"].as_u64().unwrap_or(0);
    eprintln!(
        "mirror killed (exit {}) with {before} of 2000 objects up; the rerun copied {copied}",
        killed.code
    );
    assert_ne!(killed.code, 0, "the pass ended before the kill");
    assert!(
        copied <= 2000 - before as u64 + 8,
        "the rerun copied what was already there: {rerun}"
    );
    assert_eq!(
        copied + rerun["unchanged"].as_u64().unwrap_or(0),
        2000,
        "{rerun}"
    );
    let back = c.path("many-back");
    std::fs::create_dir_all(&back).expect("mkdir");
    c.run_as(
        &profile,
        &[
            "mirror",
            "add",
            "many-back",
            &url,
            back.to_str().expect("utf8"),
        ],
    )
    .ok();
    c.run_as(&profile, &["mirror", "run", "many-back"]).ok();
    same_tree(&src, &back);

    // Watch mode, in the agent.
    let watched = c.path("watched");
    write_file(&watched.join("first.txt"), 100, 1);
    let agent = c
        .command(&["agent"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("agent");
    let socket = c.home.path().join("agent.sock");
    support::wait_until(Duration::from_secs(30), "the agent socket", || {
        std::os::unix::net::UnixStream::connect(&socket).is_ok()
    });
    let wurl = format!("s3://{bucket}/watched/");
    c.run_as(
        &profile,
        &[
            "mirror",
            "add",
            "w",
            watched.to_str().expect("utf8"),
            &wurl,
            "--watch",
            "--delete",
        ],
    )
    .ok();
    support::wait_until(Duration::from_secs(30), "the first pass", || {
        keys_as(&c, &profile, &wurl)
            .iter()
            .any(|k| k.ends_with("first.txt"))
    });
    write_file(&watched.join("new/second file.txt"), 3000, 2);
    let started = Instant::now();
    support::wait_until(Duration::from_secs(10), "the change mirrored", || {
        keys_as(&c, &profile, &wurl)
            .iter()
            .any(|k| k.ends_with("new/second file.txt"))
    });
    let took = started.elapsed();
    eprintln!(
        "watch mode: a new file reached the bucket in {} ms",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    std::fs::remove_file(watched.join("first.txt")).expect("rm");
    support::wait_until(Duration::from_secs(10), "the deletion mirrored", || {
        let keys = keys_as(&c, &profile, &wurl);
        !keys.iter().any(|k| k == "watched/first.txt")
            && keys.iter().any(|k| k.contains(".coffer-trash/"))
    });
    let mut agent = agent;
    let _ = agent.kill();
    let _ = agent.wait();
}

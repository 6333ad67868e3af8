//! Secrets and the OS keychain, through the `coffer` binary: the secret lands in the
//! Secret Service (read back with `secret-tool`) and nowhere else, goes with its
//! profile, and a missing, unreachable or locked keychain gets a clear message and no
//! plaintext fallback. Run through `scripts/with-keyring.sh` (the tests that need no
//! keyring run anywhere).

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Coffer, assert_secret_not_under, keyring_ready, unique_name, wait_or_kill};

/// Every Coffer entry in the session keyring, as `secret-tool` prints them (with the
/// secrets).
fn keyring_dump() -> String {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "coffer"])
        .stdin(Stdio::null())
        .output()
        .expect("run secret-tool (Debian: libsecret-tools; scripts/setup.sh installs it)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn add_args<'a>(name: &'a str, endpoint: &'a str) -> Vec<&'a str> {
    vec![
        "profile",
        "add",
        name,
        "--endpoint",
        endpoint,
        "--region",
        "somewhere-1",
        "--access-key-id",
        "AKIDCOFFERTEST",
        "--secret-stdin",
    ]
}

/// The secret goes to the keychain, is shown nowhere, is replaced by `--replace` and
/// leaves with `profile remove`.
#[test]
fn secret_lives_in_the_keychain_and_leaves_with_its_profile() {
    if !keyring_ready() {
        return;
    }
    let c = Coffer::new();
    let name = unique_name("kc");
    let first = format!("first-secret-{name}-Zq9");
    let second = format!("second-secret-{name}-Wx7");
    let endpoint = "http://127.0.0.1:9";

    let added = c
        .run_with_stdin(&add_args(&name, endpoint), &format!("{first}\n"))
        .ok();
    assert!(added.stdout.contains("keychain"), "{}", added.stdout);
    assert!(
        keyring_dump().contains(&first),
        "the secret is not in the keyring"
    );

    let mut outputs = vec![added.stdout, added.stderr];
    for args in [
        vec!["profile", "list"],
        vec!["profile", "list", "--json"],
        vec!["profile", "show", name.as_str()],
        vec!["profile", "show", name.as_str(), "--json"],
    ] {
        let run = c.run(&args).ok();
        assert!(run.stdout.contains(&name), "{}", run.stdout);
        outputs.push(run.stdout);
        outputs.push(run.stderr);
    }
    let shown = c.run(&["profile", "show", &name, "--json"]).ok().json();
    assert_eq!(shown["endpoint"], endpoint, "{shown}");
    assert!(shown.to_string().contains("AKIDCOFFERTEST"), "{shown}");

    // Same name again: refused, and the stored secret is untouched.
    let run = c
        .run_with_stdin(&add_args(&name, endpoint), &second)
        .fails(1);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    let dump = keyring_dump();
    assert!(dump.contains(&first) && !dump.contains(&second));

    // --replace swaps the secret.
    let mut replace = add_args(&name, endpoint);
    replace.push("--replace");
    c.run_with_stdin(&replace, &second).ok();
    let dump = keyring_dump();
    assert!(
        dump.contains(&second) && !dump.contains(&first),
        "--replace kept the old secret"
    );

    for output in &outputs {
        assert!(!output.contains(&first), "a secret was printed: {output}");
    }
    assert_secret_not_under(c.home.path(), &first);
    assert_secret_not_under(c.home.path(), &second);

    c.run(&["profile", "remove", &name]).ok();
    assert!(
        !keyring_dump().contains(&second),
        "`profile remove` left the secret in the keyring"
    );
    let run = c.run(&["profile", "show", &name]).fails(1);
    assert!(run.stderr.contains(&name), "{}", run.stderr);
}

/// What a failed `profile add` must look like: exit 1, a message about the keychain
/// that says what to do, no plaintext anywhere, and no profile left behind.
fn assert_refused_without_plaintext(c: &Coffer, run: support::Run, name: &str, secret: &str) {
    let run = run.fails(1);
    let err = run.stderr.to_lowercase();
    assert!(err.contains("keychain"), "{}", run.stderr);
    assert!(err.contains("not available"), "{}", run.stderr);
    assert!(err.contains("plaintext"), "{}", run.stderr);
    // What to do: a Secret Service such as gnome-keyring, unlocked.
    assert!(err.contains("gnome-keyring"), "{}", run.stderr);
    assert!(!run.stderr.contains(secret) && !run.stdout.contains(secret));
    assert_secret_not_under(c.home.path(), secret);
    let list = c.run(&["profile", "list"]).ok().stdout;
    assert!(!list.contains(name), "a profile was half-made: {list}");
}

/// No session bus at all (no DBUS_SESSION_BUS_ADDRESS, and nothing at the default
/// address either).
#[test]
fn no_session_bus() {
    let c = Coffer::new();
    let empty_runtime = tempfile::tempdir().expect("tempdir");
    let name = unique_name("nobus");
    let secret = format!("no-bus-secret-{name}-Kp3");
    let mut cmd = c.command(&add_args(&name, "http://127.0.0.1:9"));
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", empty_runtime.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn coffer");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(secret.as_bytes())
            .expect("write stdin");
    }
    let run = wait_or_kill(child, Duration::from_secs(60), "profile add without a bus");
    assert_refused_without_plaintext(&c, run, &name, &secret);
}

/// A bus with no Secret Service running: D-Bus starts gnome-keyring on demand, but
/// its keyring is locked and nobody can unlock it (NoStorageAccess in keyring 4).
/// Runs in a private `dbus-run-session` with its own home and XDG dirs, so neither
/// the test keyring nor the user's is touched.
#[test]
fn locked_keyring() {
    if Command::new("dbus-run-session")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "dbus-run-session is missing (scripts/setup.sh installs dbus)"
        );
        eprintln!("skipped: no dbus-run-session");
        return;
    }
    let c = Coffer::new();
    let private = tempfile::tempdir().expect("tempdir");
    let dir = |sub: &str| {
        let p = private.path().join(sub);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    };
    let name = unique_name("locked");
    let secret = format!("locked-secret-{name}-Hv5");
    let mut args = vec!["--", env!("CARGO_BIN_EXE_coffer")];
    args.extend(add_args(&name, "http://127.0.0.1:9"));
    let mut child = Command::new("dbus-run-session")
        .args(&args)
        .env("COFFER_HOME", c.home.path())
        .env("HOME", dir("home"))
        .env("XDG_DATA_HOME", dir("data"))
        .env("XDG_CONFIG_HOME", dir("config"))
        .env("XDG_CACHE_HOME", dir("cache"))
        .env("XDG_RUNTIME_DIR", dir("run"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("GNOME_KEYRING_CONTROL")
        .env_remove("COFFER_PROFILE")
        .env_remove("COFFER_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbus-run-session");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(secret.as_bytes())
            .expect("write stdin");
    }
    let run = wait_or_kill(
        child,
        Duration::from_secs(120),
        "profile add on a locked keyring",
    );
    let lower = run.stderr.to_lowercase();
    assert!(lower.contains("locked"), "{}", run.stderr);
    assert_refused_without_plaintext(&c, run, &name, &secret);
    assert_secret_not_under(private.path(), &secret);
}

/// A profile saved while the keychain worked, used when it does not: a clear message
/// about the keychain, not a signing or network error, and no secret printed.
#[test]
fn keychain_gone_when_the_profile_is_used() {
    if !keyring_ready() {
        return;
    }
    let mut c = Coffer::new();
    let name = unique_name("gone");
    let secret = format!("gone-secret-{name}-Tr4");
    c.run_with_stdin(&add_args(&name, "http://127.0.0.1:9"), &secret)
        .ok();
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a session bus");
    c.env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/coffer-test-bus".into(),
    ));
    for args in [vec!["ls"], vec!["stat", "s3://bucket/key"]] {
        let run = c.run_as(&name, &args).fails(1);
        let lower = run.stderr.to_lowercase();
        assert!(
            lower.contains("keychain") && lower.contains("not available"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("127.0.0.1:9"), "{}", run.stderr);
        assert!(!run.stderr.contains(&secret));
    }
    // Back on the bus, the profile works as before (and the cleanup can remove it).
    c.env.clear();
    c.env.push(("DBUS_SESSION_BUS_ADDRESS".into(), bus));
    let run = c.run_as(&name, &["ls"]).fails(1);
    assert!(run.stderr.contains("127.0.0.1:9"), "{}", run.stderr);
}

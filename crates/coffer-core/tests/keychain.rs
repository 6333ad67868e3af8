//! The keychain `SecretStore` on a real Secret Service (gnome-keyring under
//! `dbus-run-session`, started by `scripts/with-keyring.sh`), and its error when there
//! is no Secret Service at all.

use coffer_core::Error;
use coffer_core::Sensitive;
use coffer_core::secret::{KeychainStore, SecretStore, conformance};

/// Whether a test keyring is up. On CI its absence is a failure, not a skip.
fn keyring_ready() -> bool {
    if std::env::var("COFFER_KEYRING_READY").as_deref() == Ok("1") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the tests through scripts/with-keyring.sh (scripts/test.sh does)"
    );
    eprintln!("skipped: no test keyring; run through scripts/with-keyring.sh");
    false
}

#[test]
fn keychain_conformance() {
    if !keyring_ready() {
        return;
    }
    let store = KeychainStore::with_service(format!("coffer-test-{}", std::process::id()));
    conformance::run(&store, "keychain");
}

#[test]
fn secrets_are_kept_per_service_and_name() {
    if !keyring_ready() {
        return;
    }
    let pid = std::process::id();
    let a = KeychainStore::with_service(format!("coffer-test-a-{pid}"));
    let b = KeychainStore::with_service(format!("coffer-test-b-{pid}"));
    a.set(
        "profile/x/secret-access-key",
        &Sensitive::new("from a".into()),
    )
    .expect("set a");
    assert!(
        b.get("profile/x/secret-access-key")
            .expect("get b")
            .is_none()
    );
    assert!(
        a.get("profile/y/secret-access-key")
            .expect("get y")
            .is_none()
    );
    a.delete("profile/x/secret-access-key").expect("delete");
}

/// Run in a child process whose session bus address leads nowhere (see below).
#[test]
#[ignore = "run by no_secret_service_is_a_clear_error in a child process"]
fn child_without_secret_service() {
    let store = KeychainStore::with_service("coffer-test-nobus");
    let err = store
        .set("x", &Sensitive::new("must not be stored anywhere".into()))
        .expect_err("no Secret Service");
    assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("keychain"), "{message}");
    assert!(message.contains("plaintext"), "{message}");
    let err = store.get("x").expect_err("no Secret Service");
    assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err:?}");
}

#[test]
fn no_secret_service_is_a_clear_error() {
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "child_without_secret_service",
            "--nocapture",
        ])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/coffer-bus",
        )
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

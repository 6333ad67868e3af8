//! Desktop notifications for real: dunst on a private Xvfb display and the session
//! bus of `scripts/with-keyring.sh`; a batch of transfer jobs finishes (or fails)
//! and the notification is read back with `dunstctl history`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_api::jobs::{JobKind, JobRequest};
use coffer_api::state::Caller;
use coffer_desktop::notify::DesktopNotifier;

fn ready() -> bool {
    let ready = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && std::path::Path::new("/usr/bin/dunst").is_file()
        && std::path::Path::new("/usr/bin/Xvfb").is_file();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this on a session bus (scripts/with-keyring.sh) with dunst and Xvfb"
        );
        eprintln!("skipped: needs a session bus, dunst and Xvfb (scripts/test.sh)");
    }
    ready
}

fn wait_for(dunst: &coffer_testkit::Dunst, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let history = dunst.history();
        if history.contains(text) {
            return history;
        }
        assert!(
            Instant::now() < deadline,
            "no notification with {text:?}: {history}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_finished_batch_and_a_failed_one_are_notified() {
    if !ready() {
        return;
    }
    let xvfb = coffer_testkit::Xvfb::start().expect("Xvfb");
    let dunst = coffer_testkit::Dunst::start(&xvfb.display).expect("dunst");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let host = support::local_host(&runtime, dir.path());
    let state = host.state().clone();
    runtime.spawn(coffer_desktop::watch::watch(
        state.clone(),
        |_| {},
        Arc::new(DesktopNotifier::default()),
    ));
    let into = dir.path().join("downloads");
    std::fs::create_dir_all(&into).expect("mkdir");
    let download = |key: &str| JobRequest {
        kind: JobKind::Download,
        profile: "local".into(),
        bucket: "samples".into(),
        key: key.into(),
        path: into.clone(),
    };

    // A batch of two that both finish.
    runtime.block_on(async {
        coffer_api::jobs::enqueue(&state, download("images/"), Caller::Desktop).expect("job 1");
        coffer_api::jobs::enqueue(&state, download("data/"), Caller::Desktop).expect("job 2");
    });
    let history = wait_for(&dunst, "2 transfers finished.");
    assert!(history.contains("Transfers finished"), "{history}");
    assert!(into.join("images/coffer.png").is_file());

    // A batch with a failure names what failed.
    runtime.block_on(async {
        coffer_api::jobs::enqueue(&state, download("no such file.txt"), Caller::Desktop)
            .expect("job 3");
    });
    let history = wait_for(&dunst, "Transfer failed: download of no such file.txt");
    assert!(history.contains("Coffer"), "the app name: {history}");

    // Turned off in Settings: a batch ends and nothing new is shown.
    use coffer_core::meta::MetaDbExt;
    state
        .session()
        .db()
        .put_json(
            coffer_api::routes::preferences::TREE,
            "ui",
            &coffer_api::routes::preferences::UiSettings {
                notifications: false,
                theme: "system".into(),
            },
        )
        .expect("settings");
    let before = dunst.history().matches("\"summary\"").count();
    let quiet = runtime.block_on(async {
        coffer_api::jobs::enqueue(&state, download("README.md"), Caller::Desktop).expect("job 4")
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while coffer_api::jobs::get(&state, &quiet.id).map(|j| j.state)
        != Some(coffer_api::jobs::JobState::Done)
    {
        assert!(Instant::now() < deadline, "job 4 did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(dunst.history().matches("\"summary\"").count(), before);
}

//! Desktop notifications for real: dunst on a private Xvfb display and the session
//! bus of `scripts/with-keyring.sh`; a batch of transfer jobs finishes (or fails)
//! and the notification is read back with `dunstctl history`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_api::state::Caller;
use coffer_desktop::notify::DesktopNotifier;
use coffer_jobs::{JobState, NewJob, NotifyPolicy, Schedule};

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
    let download = |key: &str| NewJob {
        kind: "download".into(),
        params: serde_json::json!({
            "profile": "local", "bucket": "samples", "key": key, "path": into,
        }),
        ..NewJob::default()
    };
    let add = |job: NewJob| {
        let _guard = runtime.enter();
        coffer_api::jobs::add(&state, job, Caller::Desktop).expect("job added")
    };

    // A batch of two that both finish.
    add(download("images/"));
    add(download("data/"));
    let history = wait_for(&dunst, "2 transfers finished.");
    assert!(history.contains("Transfers finished"), "{history}");
    assert!(into.join("images/coffer.png").is_file());

    // A batch with a failure names what failed.
    add(download("no such file.txt"));
    let history = wait_for(&dunst, "Transfer failed: download of no such file.txt");
    assert!(history.contains("Coffer"), "the app name: {history}");

    // A scheduled job that fails tells so by itself (its notify setting), through the
    // engine's alerts, and records the error in its history.
    let alerts: Arc<dyn coffer_jobs::Notifier> = Arc::new(Plain(DesktopNotifier::default()));
    let _alerts = {
        let _guard = runtime.enter();
        coffer_jobs::alerts::spawn(state.engine(), Some(alerts))
    };
    let nightly = add(NewJob {
        schedule: Some(Schedule::every("1d")),
        run_now: Some(true),
        notify: Some(NotifyPolicy {
            on_failure: true,
            on_success: false,
        }),
        name: Some("nightly report".into()),
        ..download("reports/missing.csv")
    });
    let history = wait_for(&dunst, "Job failed: nightly report");
    assert!(history.contains("missing.csv"), "names the key: {history}");
    let runs = state.engine().history(&nightly.def.id).expect("history");
    assert_eq!(runs.len(), 1);
    assert!(
        runs[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("missing.csv")),
        "{runs:?}"
    );
    assert!(
        state
            .engine()
            .get(&nightly.def.id)
            .expect("job")
            .status
            .next_run
            .is_some()
    );

    // Turned off in Settings: a batch ends and nothing new is shown.
    use coffer_core::meta::MetaDbExt;
    state
        .session()
        .db()
        .put_json(
            coffer_api::settings::stored::TREE,
            "ui",
            &coffer_api::settings::stored::UiSettings {
                notifications: false,
                theme: "system".into(),
            },
        )
        .expect("settings");
    let before = dunst.history().matches("\"summary\"").count();
    let quiet = add(download("README.md"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while state
        .engine()
        .get(&quiet.def.id)
        .map(|j| j.status.state)
        .ok()
        != Some(JobState::Done)
    {
        assert!(Instant::now() < deadline, "job 4 did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(dunst.history().matches("\"summary\"").count(), before);
}

/// The desktop notifier as the engine's alerts seam (errors logged).
struct Plain(DesktopNotifier);

impl coffer_jobs::Notifier for Plain {
    fn notify(&self, title: &str, body: &str) {
        use coffer_desktop::notify::Notifier;
        if let Err(e) = self.0.notify(title, body) {
            eprintln!("{e}");
        }
    }
}

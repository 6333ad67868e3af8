//! Coffer's backups against the real thing: a repository on Garage written by Coffer,
//! read by Debian's `restic` (check, restore), and Coffer's own restore, check,
//! retention, keys, locks and resume. One Garage for the whole binary.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use coffer_backup::backup::BackupRequest;
use coffer_backup::check::CheckRequest;
use coffer_backup::forget::KeepPolicy;
use coffer_backup::progress::Progress;
use coffer_backup::restore::{Overwrite, RestoreRequest};
use coffer_backup::{Access, Error, Repo, RepoLocation};
use coffer_core::Sensitive;
use coffer_core::meta::MemoryDb;
use coffer_core::profile::ResolvedCredentials;
use coffer_core::region::RegionCache;
use coffer_core::secret::MemorySecretStore;
use coffer_core::store::s3::S3Settings;
use coffer_core::store::{ListRequest, S3Store, Store, StoreExt};
use coffer_testkit::S3Server;
use futures::TryStreamExt;
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "correct horse battery staple";

fn garage() -> &'static S3Server {
    coffer_testkit::garage()
}

fn store() -> Arc<dyn Store> {
    let server = garage();
    Arc::new(S3Store::new(S3Settings {
        profile: "test".into(),
        endpoint: Some(server.endpoint.clone()),
        region: Some(server.region.clone()),
        path_style: server.path_style,
        credentials: ResolvedCredentials::Static {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: Sensitive::new(server.secret_access_key.clone()),
            session_token: None,
        },
        regions: RegionCache::new("test", None),
    }))
}

fn access(store: Arc<dyn Store>, data: &Path) -> Access {
    Access {
        store,
        profile: "test".into(),
        secrets: Arc::new(MemorySecretStore::default()),
        db: Arc::new(MemoryDb::default()),
        data_dir: data.to_path_buf(),
    }
}

fn password() -> Sensitive<String> {
    Sensitive::new(PASSWORD.to_string())
}

/// `len` deterministic pseudo-random bytes.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A tree with small and large files, odd names, symlinks, a hard link and empty
/// folders.
fn make_tree(root: &Path, large: usize) {
    let w = |rel: &str, len: usize, seed: u64| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data(len, seed)).expect("write");
    };
    for i in 0..60 {
        w(&format!("small/file-{i:03}.txt"), 100 + i * 37, i as u64);
    }
    w("big/large.bin", large, 7);
    w("ünï cödé/日本語 ファイル.txt", 4096, 8);
    w("odd/100% + plus & space.txt", 333, 9);
    w("odd/#hash?.txt", 1, 10);
    w("empty-file", 0, 11);
    std::fs::create_dir_all(root.join("empty/folder/deep")).expect("empty dirs");
    std::os::unix::fs::symlink("small/file-001.txt", root.join("link-to-file")).expect("symlink");
    std::os::unix::fs::symlink("/nonexistent/target", root.join("dangling")).expect("dangling");
    std::fs::hard_link(root.join("small/file-000.txt"), root.join("hard-link")).expect("link");
    std::fs::set_permissions(
        root.join("odd/#hash?.txt"),
        std::fs::Permissions::from_mode(0o640),
    )
    .expect("chmod");
}

/// What a tree holds: per relative path, its type, content, link target, mode and
/// mtime (seconds).
fn describe(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            let rel = path.strip_prefix(root).expect("rel").display().to_string();
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            let what = if meta.file_type().is_symlink() {
                format!(
                    "link {}",
                    std::fs::read_link(&path).expect("readlink").display()
                )
            } else if meta.is_dir() {
                stack.push(path.clone());
                format!("dir {:o}", meta.mode() & 0o7777)
            } else {
                let bytes = std::fs::read(&path).expect("read");
                let sum: u64 = bytes
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (i as u64 + 1) * u64::from(*b))
                    .sum();
                format!(
                    "file {} {sum} {:o} {}",
                    bytes.len(),
                    meta.mode() & 0o7777,
                    meta.mtime()
                )
            };
            out.insert(rel, what);
        }
    }
    out
}

fn restic(url: &str, args: &[&str]) -> std::process::Output {
    let server = garage();
    let endpoint = server.endpoint.trim_end_matches('/');
    Command::new("restic")
        .args([
            "-r",
            &format!(
                "s3:{endpoint}/{}",
                url.trim_start_matches("s3://").trim_end_matches('/')
            ),
        ])
        .args(["-o", &format!("s3.region={}", server.region)])
        .args(["--no-cache"])
        .args(args)
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .output()
        .expect("run restic (Debian's package, installed by scripts/setup.sh)")
}

fn quiet() -> Arc<dyn coffer_backup::progress::ProgressSink> {
    Arc::new(|_: &Progress| {})
}

async fn keys(store: &dyn Store, bucket: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pages = store.list_stream(ListRequest::recursive(bucket, ""));
    while let Some(page) = pages.try_next().await.expect("list") {
        out.extend(page.objects.into_iter().map(|o| o.key));
    }
    out
}

/// A restore of the whole latest snapshot into `target`.
fn whole_latest(target: &Path, overwrite: Overwrite) -> RestoreRequest {
    RestoreRequest {
        snapshot: "latest".into(),
        path: String::new(),
        target: target.to_path_buf(),
        overwrite,
    }
}

fn backup_of(paths: &[&Path]) -> BackupRequest {
    BackupRequest {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        ..BackupRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restic_checks_and_restores_what_coffer_wrote() {
    let store = store();
    let bucket = garage().fresh_bucket("bk-compat");
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    make_tree(&src, 12 << 20);
    let access = access(Arc::clone(&store), &work.path().join("data"));
    let location = RepoLocation::parse(&format!("s3://{bucket}/repo")).expect("url");
    let repo = access
        .init(location.clone(), &password(), false)
        .await
        .expect("init");

    let seen = Arc::new(AtomicU64::new(0));
    let sink = {
        let seen = Arc::clone(&seen);
        Arc::new(move |p: &Progress| {
            seen.fetch_max(p.bytes_done, Ordering::Relaxed);
        })
    };
    let first = repo
        .backup(backup_of(&[&src]), sink, CancellationToken::new())
        .await
        .expect("backup");
    // 65 regular files, a hard link to one of them and 2 symlinks.
    assert_eq!(first.files_new, 68, "{first:?}");
    assert_eq!(first.errors, 0, "{:?}", first.first_errors);
    assert!(first.repo_size > 0);
    assert!(
        seen.load(Ordering::Relaxed) >= 12 << 20,
        "progress reached the bytes"
    );

    // Debian's restic reads it.
    let out = restic(&location.to_string(), &["check", "--read-data"]);
    assert!(
        out.status.success(),
        "restic check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let restic_target = work.path().join("restic-restore");
    let out = restic(
        &location.to_string(),
        &[
            "restore",
            "latest",
            "--target",
            restic_target.to_str().expect("utf8"),
        ],
    );
    assert!(
        out.status.success(),
        "restic restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = describe(&src);
    let inner = |t: &Path| t.join(src.strip_prefix("/").expect("absolute"));
    assert_eq!(
        describe(&inner(&restic_target)),
        want,
        "restic's restore differs"
    );

    // Coffer's own restore gives the same tree.
    let target = work.path().join("coffer-restore");
    let restored = repo
        .restore(whole_latest(&target, Overwrite::Never), quiet())
        .await
        .expect("restore");
    assert_eq!(restored.files_restored, 65, "the regular files");
    assert_eq!(describe(&inner(&target)), want, "Coffer's restore differs");
    let ino = |p: &Path| std::fs::metadata(p).expect("meta").ino();
    assert_eq!(
        ino(&inner(&target).join("hard-link")),
        ino(&inner(&target).join("small/file-000.txt")),
        "the hard link is one again"
    );

    // Again into the same folder: nothing differs, nothing is written.
    let again = repo
        .restore(whole_latest(&target, Overwrite::Never), quiet())
        .await
        .expect("restore again");
    assert_eq!(again.files_restored, 0, "{again:?}");

    // A changed file: refused with never, replaced with if-changed.
    let changed = inner(&target).join("small/file-002.txt");
    std::fs::write(&changed, b"edited by the user").expect("edit");
    let refused = repo
        .restore(whole_latest(&target, Overwrite::Never), quiet())
        .await
        .expect_err("never overwrites");
    assert!(
        matches!(refused, Error::WouldOverwrite { count: 1, .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("file-002.txt"), "{refused}");
    assert_eq!(
        std::fs::read(&changed).expect("read"),
        b"edited by the user"
    );
    repo.restore(whole_latest(&target, Overwrite::IfChanged), quiet())
        .await
        .expect("if-changed");
    assert_eq!(describe(&inner(&target)), want);

    // A large file whose last MiB is wrong (a restore cut short): only the blobs
    // that are not right are read and written again.
    let large = inner(&target).join("big/large.bin");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&large)
        .expect("open");
    std::os::unix::fs::FileExt::write_all_at(&file, &[0u8; 1 << 20], 11 << 20).expect("cut");
    drop(file);
    let mended = repo
        .restore(whole_latest(&target, Overwrite::IfChanged), quiet())
        .await
        .expect("mend");
    assert_eq!(mended.files_restored, 1, "{mended:?}");
    assert!(
        mended.bytes_restored <= 9 << 20,
        "at most the blobs over the last MiB (a blob is at most 8 MiB): {mended:?}"
    );
    assert_eq!(describe(&inner(&target)), want);

    // One path of a snapshot.
    let one = work.path().join("one");
    let path = format!("{}/ünï cödé", src.display());
    repo.restore(
        RestoreRequest {
            snapshot: first.snapshot.short_id.clone(),
            path,
            target: one.clone(),
            overwrite: Overwrite::Never,
        },
        quiet(),
    )
    .await
    .expect("restore a path");
    assert_eq!(
        std::fs::read(one.join("日本語 ファイル.txt")).expect("one file"),
        data(4096, 8)
    );

    // No change: the rerun adds (almost) nothing.
    let rerun = repo
        .backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("rerun");
    assert_eq!(rerun.files_unmodified, 68, "{rerun:?}");
    assert!(rerun.bytes_added < 64 << 10, "{rerun:?}");

    // ls and timeline.
    let listed = repo
        .ls("latest", &format!("{}/odd", src.display()), false)
        .await
        .expect("ls");
    let names: Vec<_> = listed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["#hash?.txt", "100% + plus & space.txt"]);
    std::fs::write(src.join("small/file-003.txt"), b"version two").expect("edit src");
    repo.backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("third");
    let versions = repo
        .timeline(&format!("{}/small/file-003.txt", src.display()))
        .await
        .expect("timeline");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0].snapshots.len(), 2);
    assert_eq!(versions[1].size, 11);

    // Retention: a dry run removes nothing; then keep the last one.
    let dry = repo
        .forget(
            KeepPolicy {
                last: Some(1),
                ..KeepPolicy::default()
            },
            true,
        )
        .await
        .expect("dry");
    assert_eq!(dry.removed, 2);
    assert_eq!(repo.snapshots().await.expect("snaps").len(), 3);
    let done = repo
        .forget(
            KeepPolicy {
                last: Some(1),
                ..KeepPolicy::default()
            },
            false,
        )
        .await
        .expect("forget");
    assert_eq!(done.removed, 2);
    let pruned = repo.prune(false).await.expect("prune");
    assert!(pruned.repo_size > 0);
    let out = restic(&location.to_string(), &["check"]);
    assert!(
        out.status.success(),
        "restic check after prune: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(repo.check(CheckRequest::default()).await.expect("check").ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_foreign_bucket_is_refused_and_nothing_is_written() {
    let store = store();
    let bucket = garage().fresh_bucket("bk-foreign");
    store
        .put_bytes(&bucket, "a.jpg", b"photo".to_vec())
        .await
        .expect("put");
    store
        .put_bytes(&bucket, "b.jpg", b"photo".to_vec())
        .await
        .expect("put");
    let work = tempfile::tempdir().expect("tmp");
    let access = access(Arc::clone(&store), work.path());
    let location = RepoLocation::parse(&format!("s3://{bucket}")).expect("url");
    let err = access
        .init(location.clone(), &password(), false)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "not_dedicated");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "s3://{bucket}/ is not empty and is not a backup repository (first keys: a.jpg, b.jpg)"
        )),
        "{text}"
    );
    assert!(text.contains("pick an empty bucket or prefix"), "{text}");
    let err = access
        .open(location, Some(password()))
        .await
        .expect_err("open refused");
    assert_eq!(err.code(), "not_dedicated");
    assert_eq!(
        keys(store.as_ref(), &bucket).await,
        vec!["a.jpg", "b.jpg"],
        "nothing written"
    );

    // An empty prefix of the same bucket is fine.
    let inside = RepoLocation::parse(&format!("s3://{bucket}/backups/")).expect("url");
    access
        .init(inside.clone(), &password(), false)
        .await
        .expect("init a prefix");
    let err = access
        .init(inside, &password(), false)
        .await
        .expect_err("twice");
    assert_eq!(err.code(), "already_repository");
    // A bucket that does not exist is made.
    let fresh = RepoLocation::parse(&format!("s3://{bucket}-new/r")).expect("url");
    access
        .init(fresh, &password(), false)
        .await
        .expect("init makes the bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_password_and_a_flipped_byte_are_named() {
    let store = store();
    let bucket = garage().fresh_bucket("bk-corrupt");
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    make_tree(&src, 3 << 20);
    let access = access(Arc::clone(&store), &work.path().join("data"));
    let location = RepoLocation::parse(&format!("s3://{bucket}/r")).expect("url");
    let repo = access
        .init(location.clone(), &password(), false)
        .await
        .expect("init");
    let snap = repo
        .backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("backup");

    let wrong = Repo::open(
        Arc::clone(&store),
        location.clone(),
        &Sensitive::new("nope".into()),
        Default::default(),
    )
    .await
    .expect_err("wrong password");
    assert_eq!(wrong.code(), "wrong_password", "{wrong}");
    assert!(wrong.to_string().contains("wrong password"), "{wrong}");

    // Flip one byte in the middle of the largest data pack.
    let packs: Vec<_> = keys(store.as_ref(), &bucket)
        .await
        .into_iter()
        .filter(|k| k.starts_with("r/data/"))
        .collect();
    let mut largest = (String::new(), 0u64);
    for key in &packs {
        let size = store.head(&bucket, key).await.expect("head").size;
        if size > largest.1 {
            largest = (key.clone(), size);
        }
    }
    let mut bytes = store.get_bytes(&bucket, &largest.0).await.expect("get");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    store
        .put_bytes(&bucket, &largest.0, bytes)
        .await
        .expect("put back");
    let pack_id = largest.0.rsplit('/').next().expect("id").to_string();

    let outcome = repo
        .check(CheckRequest {
            read_data_subset: Some("all".into()),
        })
        .await
        .expect("check runs");
    assert!(!outcome.ok, "{outcome:?}");
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.pack.as_deref() == Some(pack_id.as_str()))
        .unwrap_or_else(|| panic!("pack named: {outcome:?}"));
    assert!(finding.message.contains(&pack_id), "{}", finding.message);
    assert!(finding.snapshots.contains(&snap.snapshot.id), "{finding:?}");
    assert!(
        finding.message.contains(&snap.snapshot.short_id),
        "{}",
        finding.message
    );
    // Without reading data, the structure alone is fine.
    assert!(
        repo.check(CheckRequest::default())
            .await
            .expect("structure")
            .ok
    );

    // A restore reads the flipped blob: it stops with the pack and a file named, and
    // never writes the damaged bytes.
    let target = work.path().join("restore");
    let err = repo
        .restore(whole_latest(&target, Overwrite::Never), quiet())
        .await
        .expect_err("damaged pack");
    assert_eq!(err.code(), "damaged", "{err}");
    assert!(err.to_string().contains(&pack_id), "{err}");
    let large = target
        .join(src.strip_prefix("/").expect("absolute"))
        .join("big/large.bin");
    assert!(
        err.to_string().contains(&target.display().to_string()),
        "names the file: {err}"
    );
    let written = std::fs::read(&large).unwrap_or_default();
    let original = data(3 << 20, 7);
    let wrong = written
        .iter()
        .zip(&original)
        .filter(|(a, b)| a != b && **a != 0)
        .count();
    assert_eq!(wrong, 0, "no byte of the damaged blob reached the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_keychain_keeps_the_master_key_and_passes_over_a_stale_one() {
    use coffer_backup::password::{entry_name, master_key_entry_name};
    let store = store();
    let bucket = garage().fresh_bucket("bk-mkey");
    let work = tempfile::tempdir().expect("tmp");
    let access = access(Arc::clone(&store), &work.path().join("data"));
    let location = RepoLocation::parse(&format!("s3://{bucket}/r")).expect("url");
    let made = access
        .init(location.clone(), &password(), false)
        .await
        .expect("init");
    let kept_name = master_key_entry_name("test", &location);
    let kept = access.secrets.get(&kept_name).expect("get").expect("kept");
    assert!(kept.expose().contains("encrypt"), "a master key's JSON");

    // Opened from the keychain without the password.
    access
        .secrets
        .delete(&entry_name("test", &location))
        .expect("drop the password");
    let opened = access.open(location.clone(), None).await.expect("by key");
    assert_eq!(opened.id(), made.id());

    // Another repository at the same place: the kept key does not open it, the
    // password does, and its key replaces the stale one.
    let other = tempfile::tempdir().expect("tmp");
    let elsewhere = access_with_secrets(&access, other.path());
    let all = keys(store.as_ref(), &bucket).await;
    let failed = store.delete_many(&bucket, &all).await.expect("empty");
    assert!(failed.is_empty(), "{failed:?}");
    let second = Sensitive::new("another repository".to_string());
    let remade = elsewhere
        .init(location.clone(), &second, false)
        .await
        .expect("init again");
    access
        .secrets
        .set(&kept_name, &kept)
        .expect("the first repository's key back");
    let reopened = access
        .open(location.clone(), None)
        .await
        .expect("by password");
    assert_eq!(reopened.id(), remade.id());
    let now = access.secrets.get(&kept_name).expect("get").expect("kept");
    assert_ne!(now.expose(), kept.expose(), "the stale key was replaced");

    // A given password always goes through the key derivation, and a wrong one fails.
    let err = access
        .open(location.clone(), Some(Sensitive::new("wrong".into())))
        .await
        .expect_err("wrong given password");
    assert_eq!(err.code(), "wrong_password", "{err}");
    coffer_backup::password::forget(&access.secrets, "test", &location)
        .await
        .expect("forget");
    assert!(access.secrets.get(&kept_name).expect("get").is_none());
}

/// Another host's access to the same store and keychain.
fn access_with_secrets(access: &Access, data: &Path) -> Access {
    Access {
        db: Arc::new(MemoryDb::default()),
        data_dir: data.to_path_buf(),
        ..access.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_locks_and_an_interrupted_backup() {
    let store = store();
    let bucket = garage().fresh_bucket("bk-keys");
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    make_tree(&src, 80 << 20);
    let access = access(Arc::clone(&store), &work.path().join("data"));
    let location = RepoLocation::parse(&format!("s3://{bucket}/r")).expect("url");
    let repo = access
        .init(location.clone(), &password(), false)
        .await
        .expect("init");

    // Keys: add a second password, open with it, remove the first.
    let second = Sensitive::new("second password".to_string());
    let added = repo.add_key(&second).await.expect("add key");
    assert_eq!(repo.keys().await.expect("keys").len(), 2);
    let by_second = Repo::open(
        Arc::clone(&store),
        location.clone(),
        &second,
        Default::default(),
    )
    .await
    .expect("open with second");
    let first_id = repo
        .keys()
        .await
        .expect("keys")
        .into_iter()
        .find(|k| k.current)
        .expect("current")
        .id;
    assert!(
        repo.remove_key(&first_id[..8]).await.is_err(),
        "the key in use stays"
    );
    by_second
        .remove_key(&first_id[..8])
        .await
        .expect("remove the first from the second");
    let left = by_second.keys().await.expect("keys");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, added);
    let err = Repo::open(
        Arc::clone(&store),
        location.clone(),
        &password(),
        Default::default(),
    )
    .await
    .expect_err("old password");
    assert_eq!(err.code(), "wrong_password");
    // Change the password.
    let third = Sensitive::new("third".to_string());
    by_second.change_password(&third).await.expect("passwd");
    let repo = Repo::open(
        Arc::clone(&store),
        location.clone(),
        &third,
        Default::default(),
    )
    .await
    .expect("open with third");
    assert_eq!(repo.keys().await.expect("keys").len(), 1);

    // An exclusive lock held by Coffer stops restic's backup, and the other way round
    // Coffer's forget is refused while the lock is there.
    let lock = repo.lock(true).await.expect("exclusive lock");
    let out = Command::new("restic")
        .args([
            "-r",
            &format!("s3:{}/{bucket}/r", garage().endpoint.trim_end_matches('/')),
        ])
        .args([
            "-o",
            &format!("s3.region={}", garage().region),
            "--no-cache",
            "backup",
            src.to_str().expect("utf8"),
        ])
        .env("RESTIC_PASSWORD", "third")
        .env("AWS_ACCESS_KEY_ID", &garage().access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &garage().secret_access_key)
        .output()
        .expect("restic");
    assert!(!out.status.success(), "restic must wait for Coffer's lock");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("locked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data_dir = work.path().join("data");
    let options = coffer_backup::OpenOptions {
        state_dir: Some(data_dir.join("backup")),
        ..Default::default()
    };
    let repo = Repo::open(Arc::clone(&store), location.clone(), &third, options)
        .await
        .expect("reopen");
    let err = repo
        .forget(
            KeepPolicy {
                last: Some(1),
                ..KeepPolicy::default()
            },
            false,
        )
        .await
        .expect_err("locked");
    assert_eq!(err.code(), "locked", "{err}");
    drop(lock);
    assert!(repo.locks().await.expect("locks").is_empty(), "released");

    // Interrupt a backup as soon as a pack has reached the repository, then run it
    // again: the packs already there are reused, not uploaded again.
    let cancel = CancellationToken::new();
    let watcher = {
        let (cancel, store, bucket) = (cancel.clone(), Arc::clone(&store), bucket.clone());
        tokio::spawn(async move {
            while repo_bytes(store.as_ref(), &bucket).await == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            cancel.cancel();
        })
    };
    let err = repo
        .backup(backup_of(&[&src]), quiet(), cancel)
        .await
        .expect_err("interrupted");
    watcher.abort();
    assert_eq!(err.code(), "cancelled", "{err}");
    assert!(
        repo.snapshots().await.expect("snaps").is_empty(),
        "no partial snapshot"
    );
    let before = repo_bytes(store.as_ref(), &bucket).await;
    assert!(before > 0, "a pack reached the repository");
    let resumed = repo
        .backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("resume");
    assert!(resumed.resumed_packs > 0, "{resumed:?}");
    let after = repo_bytes(store.as_ref(), &bucket).await;
    let total = 80u64 << 20;
    eprintln!(
        "interrupted backup: the first run stored {before} bytes; the rerun indexed {} pack(s) \
         and stored {} of {total}",
        resumed.resumed_packs,
        after - before
    );
    // Nothing is stored twice: the packs of both runs hold the data once, plus trees,
    // small files and pack headers (well under 1 MiB). A cancelled run's threads that
    // outlive it cannot write a pack no index names (they keep their own refused
    // backend).
    assert!(
        after <= total + (1 << 20),
        "the two runs stored {after} bytes for {total} bytes of data"
    );
    assert!(after > before, "the rerun completed the data");
    let snaps = repo.snapshots().await.expect("snapshots");
    assert_eq!(snaps.len(), 1, "one complete snapshot");
    assert!(repo.check(CheckRequest::default()).await.expect("check").ok);
}

async fn repo_bytes(store: &dyn Store, bucket: &str) -> u64 {
    let mut total = 0;
    let mut pages = store.list_stream(ListRequest::recursive(bucket, "r/data/"));
    while let Some(page) = pages.try_next().await.expect("list") {
        total += page.objects.iter().map(|o| o.size).sum::<u64>();
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_only_host_never_deletes_and_leaves_stale_locks() {
    let store = store();
    let bucket = garage().fresh_bucket("bk-append");
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    make_tree(&src, 1 << 20);
    let host = access(Arc::clone(&store), &work.path().join("data"));
    let location = RepoLocation::parse(&format!("s3://{bucket}/r")).expect("url");
    let repo = host
        .init(location.clone(), &password(), true)
        .await
        .expect("init append-only");
    repo.backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("backup");
    repo.backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("again");

    let keep = KeepPolicy {
        last: Some(1),
        ..KeepPolicy::default()
    };
    assert_eq!(
        repo.forget(keep, false).await.expect_err("forget").code(),
        "append_only"
    );
    assert_eq!(
        repo.forget(keep, true)
            .await
            .expect("a dry run is fine")
            .removed,
        1
    );
    assert_eq!(
        repo.prune(false).await.expect_err("prune").code(),
        "append_only"
    );
    assert_eq!(
        repo.remove_key("0").await.expect_err("key").code(),
        "append_only"
    );
    let err = repo
        .change_password(&Sensitive::new("x".into()))
        .await
        .expect_err("passwd");
    assert_eq!(err.code(), "append_only");
    assert!(err.to_string().contains("append-only"), "{err}");

    // A restic killed while it held its lock leaves a stale lock (this host, a dead
    // process): the append-only host backs up beside it and leaves it in place.
    let server = garage();
    let mut held = Command::new("restic")
        .args([
            "-r",
            &format!("s3:{}/{bucket}/r", server.endpoint.trim_end_matches('/')),
        ])
        .args(["-o", &format!("s3.region={}", server.region), "--no-cache"])
        .args(["backup", "--stdin", "--stdin-filename", "piped.txt"])
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("restic");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while repo.locks().await.expect("locks").is_empty() {
        assert!(std::time::Instant::now() < deadline, "restic took no lock");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    held.kill().expect("kill -9 restic");
    held.wait().expect("reaped");
    let locks = repo.locks().await.expect("locks");
    assert_eq!(locks.len(), 1);
    assert!(
        locks[0]
            .stale
            .as_deref()
            .is_some_and(|s| s.contains("not running")),
        "{locks:?}"
    );
    repo.backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("beside a stale lock");
    assert_eq!(
        repo.locks().await.expect("locks").len(),
        1,
        "the stale lock is left in place"
    );

    // A host with full access clears it by the rule and can forget.
    let full = Repo::open(
        Arc::clone(&store),
        location,
        &password(),
        Default::default(),
    )
    .await
    .expect("open");
    let done = full
        .forget(keep, false)
        .await
        .expect("forget from a full-access host");
    assert_eq!(done.removed, 2);
    assert!(
        full.locks().await.expect("locks").is_empty(),
        "stale lock removed, own lock released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_local_profile_holds_a_repository_restic_reads_as_a_folder() {
    // The `local` profile keeps each object as a plain file at its key, so the
    // repository is also a restic repository on disk.
    let root = tempfile::tempdir().expect("root");
    let store: Arc<dyn Store> =
        Arc::new(coffer_core::store::LocalStore::open(root.path()).expect("local store"));
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    make_tree(&src, 2 << 20);
    let host = access(Arc::clone(&store), &work.path().join("data"));
    let location = RepoLocation::parse("s3://local-backups/laptop").expect("url");
    let repo = host
        .init(location, &password(), false)
        .await
        .expect("init makes the bucket");
    repo.backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("backup");
    let on_disk = root.path().join("local-backups/laptop");
    let out = Command::new("restic")
        .args([
            "-r",
            on_disk.to_str().expect("utf8"),
            "--no-cache",
            "check",
            "--read-data",
        ])
        .env("RESTIC_PASSWORD", PASSWORD)
        .output()
        .expect("restic");
    assert!(
        out.status.success(),
        "restic check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = work.path().join("restored");
    repo.restore(whole_latest(&target, Overwrite::Never), quiet())
        .await
        .expect("restore");
    assert_eq!(
        describe(&target.join(src.strip_prefix("/").expect("absolute"))),
        describe(&src)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transient_store_failures_are_retried_under_a_backup_and_a_restore() {
    use coffer_core::store::{Fault, FaultStore, RetryPolicy, RetryStore};
    let bucket = garage().fresh_bucket("bk-faults");
    let faulty = Arc::new(FaultStore::new(
        store(),
        vec![
            Fault::transient("put", 3, 2),
            Fault::transient("get", 5, 3),
            Fault::transient("list_page", 1, 1),
        ],
    ));
    let retrying: Arc<dyn Store> = Arc::new(RetryStore::new(
        faulty.clone(),
        RetryPolicy {
            base_delay: std::time::Duration::from_millis(5),
            ..RetryPolicy::default()
        },
    ));
    let work = tempfile::tempdir().expect("tmp");
    let src = work.path().join("src");
    make_tree(&src, 20 << 20);
    let host = access(Arc::clone(&retrying), &work.path().join("data"));
    let location = RepoLocation::parse(&format!("s3://{bucket}/r")).expect("url");
    let repo = host
        .init(location.clone(), &password(), false)
        .await
        .expect("init");
    repo.backup(backup_of(&[&src]), quiet(), CancellationToken::new())
        .await
        .expect("backup through faults");
    let target = work.path().join("restored");
    repo.restore(whole_latest(&target, Overwrite::Never), quiet())
        .await
        .expect("restore through faults");
    assert_eq!(
        describe(&target.join(src.strip_prefix("/").expect("absolute"))),
        describe(&src)
    );
    assert!(
        faulty.calls("put") > 5 && faulty.calls("get") > 8,
        "the faults were hit"
    );
    let out = restic(&location.to_string(), &["check", "--read-data"]);
    assert!(
        out.status.success(),
        "restic check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

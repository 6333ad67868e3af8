//! The index over the `local` folder store (a real `Store`): built in parallel over
//! first-level prefixes, answered a folder at a time, refreshed after changes made
//! behind its back, searched, summed, kept current by Coffer's own writes, limited,
//! and forgotten. The same index runs over Garage in the API's and CLI's tests.

use std::sync::Arc;

use coffer_core::store::{LocalStore, ObjectRef, Store, StoreExt};
use coffer_index::{Index, IndexState, IndexingStore, Query};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    index: Index,
}

const KEYS: &[&str] = &[
    "docs/a.txt",
    "docs/b.jpg",
    "docs/deep/c.jpg",
    "docs/ünï code+%.JPG",
    "photos/2024/x.jpg",
    "photos/2024/y.png",
    "top.jpg",
    "z/",
];

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> =
        Arc::new(LocalStore::open(dir.path().join("store")).expect("store"));
    store.create_bucket("bkt").await.expect("bucket");
    for (i, key) in KEYS.iter().enumerate() {
        store
            .put_bytes("bkt", key, vec![b'x'; i * 10])
            .await
            .expect("put");
    }
    let index = Index::open(&dir.path().join("index")).expect("index");
    Fixture {
        _dir: dir,
        store,
        index,
    }
}

fn search(index: &Index, query: Query) -> Vec<String> {
    let mut keys = Vec::new();
    index
        .search(
            "p",
            "bkt",
            &Query {
                limit: 1000,
                ..query
            },
            |o| {
                keys.push(o.key);
                true
            },
        )
        .expect("search");
    keys
}

#[tokio::test]
async fn builds_lists_folders_searches_and_sums() {
    let f = fixture().await;
    assert!(
        f.index.list_folder("p", "bkt", "", None, 10).is_err(),
        "no index yet"
    );
    let info = f
        .index
        .build(f.store.clone(), "p", "bkt", None)
        .await
        .expect("build");
    assert_eq!(info.state, IndexState::Ready);
    assert_eq!(info.objects, KEYS.len() as u64);
    assert_eq!(
        info.bytes,
        (0..KEYS.len() as u64).map(|i| i * 10).sum::<u64>()
    );
    assert!(info.built_at.is_some());

    let root = f
        .index
        .list_folder("p", "bkt", "", None, 100)
        .expect("root");
    assert_eq!(root.common_prefixes, ["docs/", "photos/", "z/"]);
    assert_eq!(
        root.objects
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        ["top.jpg"]
    );
    let docs = f
        .index
        .list_folder("p", "bkt", "docs/", None, 100)
        .expect("docs");
    assert_eq!(docs.common_prefixes, ["docs/deep/"]);
    assert_eq!(docs.objects.len(), 3);
    // Pages: two items at a time, through next_token, give the same as one page.
    let mut paged = Vec::new();
    let mut token = None;
    loop {
        let page = f
            .index
            .list_folder("p", "bkt", "docs/", token.as_deref(), 2)
            .expect("page");
        paged.extend(page.common_prefixes.clone());
        paged.extend(page.objects.iter().map(|o| o.key.clone()));
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    paged.sort();
    let mut whole: Vec<String> = docs.objects.iter().map(|o| o.key.clone()).collect();
    whole.extend(docs.common_prefixes.clone());
    whole.sort();
    assert_eq!(paged, whole);

    assert_eq!(
        search(
            &f.index,
            Query {
                pattern: "**/*.jpg".into(),
                ..Query::default()
            }
        ),
        [
            "docs/b.jpg",
            "docs/deep/c.jpg",
            "docs/ünï code+%.JPG",
            "photos/2024/x.jpg",
            "top.jpg"
        ]
    );
    assert_eq!(
        search(
            &f.index,
            Query {
                pattern: "*.jpg".into(),
                ..Query::default()
            }
        ),
        ["top.jpg"]
    );
    assert_eq!(
        search(
            &f.index,
            Query {
                pattern: "2024".into(),
                ..Query::default()
            }
        ),
        ["photos/2024/x.jpg", "photos/2024/y.png"]
    );
    assert_eq!(
        search(
            &f.index,
            Query {
                pattern: "ÜNÏ".into(),
                larger: Some(20),
                ..Query::default()
            }
        ),
        ["docs/ünï code+%.JPG"]
    );
    assert_eq!(
        search(
            &f.index,
            Query {
                prefix: "photos/".into(),
                smaller: Some(45),
                ..Query::default()
            }
        ),
        ["photos/2024/x.jpg"]
    );
    let size = f.index.folder_size("p", "bkt", "docs/").expect("size");
    assert_eq!((size.objects, size.bytes), (4, 10 + 20 + 30));
}

#[tokio::test]
async fn a_folder_refresh_applies_changes_made_behind_its_back() {
    let f = fixture().await;
    f.index
        .build(f.store.clone(), "p", "bkt", None)
        .await
        .expect("build");
    // Behind the index's back: one object added, one changed, one deleted, a
    // subfolder removed and a new one made.
    f.store
        .put_bytes("bkt", "docs/new.txt", b"new".to_vec())
        .await
        .expect("put");
    f.store
        .put_bytes("bkt", "docs/a.txt", b"longer now".to_vec())
        .await
        .expect("put");
    f.store
        .delete_many("bkt", &["docs/b.jpg".into(), "docs/deep/c.jpg".into()])
        .await
        .expect("rm");
    f.store
        .put_bytes("bkt", "docs/fresh/d.txt", b"d".to_vec())
        .await
        .expect("put");
    let change = f
        .index
        .refresh_folder(f.store.as_ref(), "p", "bkt", "docs/")
        .await
        .expect("refresh");
    assert_eq!((change.added, change.updated, change.removed), (2, 1, 2));
    let docs = f
        .index
        .list_folder("p", "bkt", "docs/", None, 100)
        .expect("docs");
    assert_eq!(docs.common_prefixes, ["docs/fresh/"]);
    assert_eq!(
        docs.objects
            .iter()
            .map(|o| (o.key.as_str(), o.size))
            .collect::<Vec<_>>(),
        [
            ("docs/a.txt", 10),
            ("docs/new.txt", 3),
            ("docs/ünï code+%.JPG", 30)
        ]
    );
    let info = f.index.info("p", "bkt").expect("info").expect("indexed");
    assert_eq!(info.objects, KEYS.len() as u64 + 2 - 2);
    // A full refresh agrees with the folder refresh.
    let rebuilt = f
        .index
        .build(f.store.clone(), "p", "bkt", None)
        .await
        .expect("rebuild");
    assert_eq!(rebuilt.objects, info.objects);
    assert_eq!(rebuilt.bytes, info.bytes);
}

#[tokio::test]
async fn coffers_own_writes_show_at_once_and_a_limit_stops_a_build() {
    let f = fixture().await;
    f.index
        .build(f.store.clone(), "p", "bkt", None)
        .await
        .expect("build");
    let wrapped: Arc<dyn Store> = Arc::new(IndexingStore::new(
        f.store.clone(),
        Arc::new(f.index.clone()),
        "p",
    ));
    wrapped
        .put_bytes("bkt", "docs/mine.txt", b"12345".to_vec())
        .await
        .expect("put");
    wrapped
        .copy_object(
            &ObjectRef::new("bkt", "docs/mine.txt"),
            &ObjectRef::new("bkt", "copies/mine.txt"),
            None,
        )
        .await
        .expect("copy");
    wrapped
        .delete_many("bkt", &["top.jpg".into()])
        .await
        .expect("rm");
    let keys = search(&f.index, Query::default());
    assert!(keys.contains(&"docs/mine.txt".to_string()));
    assert!(keys.contains(&"copies/mine.txt".to_string()));
    assert!(!keys.contains(&"top.jpg".to_string()));
    assert_eq!(
        f.index
            .folder_size("p", "bkt", "copies/")
            .expect("size")
            .bytes,
        5
    );
    // A bucket without an index is left alone.
    wrapped.create_bucket("other-bucket").await.expect("bucket");
    wrapped
        .put_bytes("other-bucket", "x", b"x".to_vec())
        .await
        .expect("put");
    assert!(f.index.info("p", "other-bucket").expect("info").is_none());

    // Over the limit: too big, and the old generation still answers.
    let limited = f
        .index
        .build(f.store.clone(), "p", "bkt", Some(3))
        .await
        .expect("build");
    assert_eq!(limited.state, IndexState::TooBig);
    assert!(
        limited
            .error
            .as_deref()
            .unwrap_or("")
            .contains("more than 3")
    );
    assert!(f.index.list_folder("p", "bkt", "docs/", None, 10).is_ok());

    f.index.forget("p", "bkt").expect("forget");
    assert!(f.index.info("p", "bkt").expect("info").is_none());
    assert!(f.index.list_folder("p", "bkt", "", None, 10).is_err());
    assert!(
        f.index.forget("p", "bkt").is_err(),
        "an unknown index says so"
    );
}

#[tokio::test]
async fn a_reopened_index_keeps_its_buckets_and_a_killed_build_is_failed() {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(LocalStore::open(dir.path().join("s")).expect("store"));
    store.create_bucket("bkt").await.expect("bucket");
    store
        .put_bytes("bkt", "k", b"v".to_vec())
        .await
        .expect("put");
    {
        let index = Index::open(&dir.path().join("index")).expect("index");
        index
            .build(store.clone(), "p", "bkt", None)
            .await
            .expect("build");
        index.flush().expect("flush");
    }
    let index = Index::open(&dir.path().join("index")).expect("reopen");
    let info = index.info("p", "bkt").expect("info").expect("kept");
    assert_eq!((info.state, info.objects), (IndexState::Ready, 1));
    assert!(index.disk_bytes() > 0);
}

//! The `Store` conformance checks: the contract in `Store`'s doc, one function per
//! point, each over a [`Fixture`]. `store_conformance.rs` runs them on the `local`
//! store, Garage and moto; the API crate runs them on a profile of an agent reached
//! over HTTP (`AgentStore`).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::{Backend, Fixture, data};
use bytes::Bytes;
use coffer_core::Error;
use coffer_core::checksum;
use coffer_core::store::{
    Body, ByteRange, ChecksumAlgorithm, ChecksumKind, CompletedPart, ListRequest, ObjectRef,
    PresignMethod, PutOptions, StoreExt, UploadRef,
};
use futures::{StreamExt, TryStreamExt};

const MIB: usize = 1024 * 1024;

/// Keys that trip up URL encoding, signing and file systems.
fn odd_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "unicode/ünïcødé 日本語 🚀.txt",
        "with space/a b  c.txt",
        "percent/100%.txt",
        "percent/%2F%41%zz",
        "plus/a+b",
        "plus/+leading and trailing+",
        "query?x=1&y=2#frag",
        "double//slash",
        "/leading-slash",
        "trailing-dots/..",
        "quote'\"<>|\\:*",
        "tilde~and=equals;semicolon,comma@at$dollar!bang(paren)[bracket]",
        "tab\there",
        "a",
        "a/b",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    // The longest key S3 allows: 1,024 bytes, with one 300-byte segment (longer than
    // any file name) and many short ones.
    let mut long = format!("long/{}/", "s".repeat(300));
    while long.len() < 1020 {
        long.push_str("ab/");
    }
    while long.len() < 1024 {
        long.push('z');
    }
    assert_eq!(long.len(), 1024);
    keys.push(long);
    keys
}

async fn list_all(f: &Fixture, request: ListRequest) -> (Vec<String>, Vec<String>, usize) {
    let pages: Vec<_> = f
        .store
        .list_stream(request)
        .try_collect()
        .await
        .expect("list");
    let n = pages.len();
    let keys = pages
        .iter()
        .flat_map(|p| p.objects.iter().map(|o| o.key.clone()))
        .collect();
    let prefixes = pages
        .iter()
        .flat_map(|p| p.common_prefixes.iter().cloned())
        .collect();
    (keys, prefixes, n)
}

pub async fn odd_keys_round_trip(f: Fixture) {
    let keys = odd_keys();
    for key in &keys {
        f.store
            .put_bytes(&f.bucket, key, key.as_bytes().to_vec())
            .await
            .unwrap_or_else(|e| panic!("put {key:?}: {e}"));
    }
    // Garage 2.5 drops the leading slashes of a key (its router trims them from the
    // path), so `/leading-slash` is stored as `leading-slash` there. Checked here so
    // that a Garage that fixes it shows up; see the "pitfalls" notes.
    let stored = |key: &str| -> String {
        if f.backend == Backend::Garage {
            key.trim_start_matches('/').to_string()
        } else {
            key.to_string()
        }
    };
    let contents: BTreeMap<String, String> = keys.iter().map(|k| (stored(k), k.clone())).collect();
    let keys: Vec<String> = contents.keys().cloned().collect();
    // Listed exactly, in byte order.
    let (listed, _, _) = list_all(&f, ListRequest::recursive(&f.bucket, "")).await;
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed, expected);

    for key in &keys {
        let meta = f
            .store
            .head(&f.bucket, key)
            .await
            .unwrap_or_else(|e| panic!("head {key:?}: {e}"));
        let content = &contents[key];
        assert_eq!(meta.size, content.len() as u64, "{key:?}");
        let bytes = f
            .store
            .get_bytes(&f.bucket, key)
            .await
            .unwrap_or_else(|e| panic!("get {key:?}: {e}"));
        assert_eq!(bytes, content.as_bytes(), "{key:?}");
        // A prefix listing of exactly this key finds it.
        let (found, _, _) = list_all(&f, ListRequest::recursive(&f.bucket, key.clone())).await;
        assert!(
            found.contains(key),
            "prefix listing of {key:?} gave {found:?}"
        );
    }

    // Server-side copy keeps odd keys on both sides.
    let source = &keys[0];
    let target = format!("copies/{}+copy %", keys[2]);
    f.store
        .copy_object(
            &ObjectRef::new(&f.bucket, source),
            &ObjectRef::new(&f.bucket, &target),
            None,
        )
        .await
        .expect("copy odd key");
    assert_eq!(
        f.store
            .get_bytes(&f.bucket, &target)
            .await
            .expect("get copy"),
        contents[source].as_bytes()
    );

    let mut all = keys.clone();
    all.push(target);
    let failures = f.store.delete_keys(&f.bucket, &all).await.expect("delete");
    assert!(failures.is_empty(), "{failures:?}");
    let (left, _, _) = list_all(&f, ListRequest::recursive(&f.bucket, "")).await;
    assert!(left.is_empty(), "left after delete: {left:?}");
}

pub async fn delimiter_and_pagination(f: Fixture) {
    let keys = [
        "root.txt",
        "docs/a.txt",
        "docs/b.txt",
        "docs/deep/c.txt",
        "img/x.png",
        "img/y.png",
        "z.txt",
    ];
    for key in keys {
        f.store
            .put_bytes(&f.bucket, key, b"x".to_vec())
            .await
            .expect("put");
    }
    // One level at the root: two files, two folders.
    let (objects, prefixes, _) = list_all(&f, ListRequest::folder(&f.bucket, "")).await;
    assert_eq!(objects, ["root.txt", "z.txt"]);
    assert_eq!(prefixes, ["docs/", "img/"]);

    // One level inside a folder.
    let (objects, prefixes, _) = list_all(&f, ListRequest::folder(&f.bucket, "docs/")).await;
    assert_eq!(objects, ["docs/a.txt", "docs/b.txt"]);
    assert_eq!(prefixes, ["docs/deep/"]);

    // Pages of two, recursively: every key once, in order, over four pages.
    let mut request = ListRequest::recursive(&f.bucket, "");
    request.max_keys = 2;
    let (objects, _, pages) = list_all(&f, request).await;
    let mut sorted = keys.to_vec();
    sorted.sort();
    assert_eq!(objects, sorted);
    assert_eq!(pages, 4);

    // Pages of two with a delimiter: prefixes count against the page size.
    let mut request = ListRequest::folder(&f.bucket, "");
    request.max_keys = 1;
    let (objects, prefixes, pages) = list_all(&f, request).await;
    assert_eq!(objects, ["root.txt", "z.txt"]);
    assert_eq!(prefixes, ["docs/", "img/"]);
    assert_eq!(pages, 4);

    // A prefix that is not a folder boundary.
    let (objects, _, _) = list_all(&f, ListRequest::recursive(&f.bucket, "img/x")).await;
    assert_eq!(objects, ["img/x.png"]);

    // Listing sizes come from the listing itself.
    let page = f
        .store
        .list_page(&ListRequest::recursive(&f.bucket, "docs/"), None)
        .await
        .expect("page");
    assert!(page.objects.iter().all(|o| o.size == 1 && o.etag.is_some()));
    assert!(page.next_token.is_none());
}

pub async fn ranges_and_metadata(f: Fixture) {
    let bytes = data(100_000, 1);
    let mut metadata = BTreeMap::new();
    metadata.insert("owner".to_string(), "ada lovelace".to_string());
    metadata.insert("purpose".to_string(), "conformance".to_string());
    let options = PutOptions {
        content_type: Some("application/x-coffer-test".into()),
        cache_control: Some("max-age=60".into()),
        content_disposition: Some("attachment; filename=\"report ü.bin\"".into()),
        storage_class: None,
        metadata: metadata.clone(),
        checksum: true,
    };
    let put = f
        .store
        .put(
            &f.bucket,
            "obj.bin",
            Body::Bytes(Bytes::from(bytes.clone())),
            &options,
        )
        .await
        .expect("put");
    let crc = checksum::encode(checksum::update(0, &bytes));
    let verified = put.checksum.expect("the put reports the verified CRC32C");
    assert_eq!(verified.algorithm, ChecksumAlgorithm::Crc32c);
    assert_eq!(verified.value, crc);

    let meta = f.store.head(&f.bucket, "obj.bin").await.expect("head");
    assert_eq!(meta.size, bytes.len() as u64);
    assert_eq!(
        meta.content_type.as_deref(),
        Some("application/x-coffer-test")
    );
    assert_eq!(meta.cache_control.as_deref(), Some("max-age=60"));
    assert_eq!(
        meta.content_disposition.as_deref(),
        Some("attachment; filename=\"report ü.bin\"")
    );
    assert_eq!(meta.metadata, metadata);
    assert!(meta.etag.is_some());
    let stored = meta.checksum.expect("HEAD reports the stored checksum");
    assert_eq!(stored.value, crc);
    assert_eq!(stored.kind, ChecksumKind::FullObject);

    for (start, end) in [(0, 1), (10, 5000), (99_999, 100_000), (50_000, 100_000)] {
        let get = f
            .store
            .get(&f.bucket, "obj.bin", Some(ByteRange { start, end }))
            .await
            .expect("ranged get");
        assert_eq!(get.total_size, bytes.len() as u64);
        let got: Vec<Bytes> = get.body.try_collect().await.expect("body");
        assert_eq!(
            got.concat(),
            &bytes[start as usize..end as usize],
            "{start}..{end}"
        );
    }

    // Copy in place with new metadata: the way the UI edits properties.
    let mut new_meta = BTreeMap::new();
    new_meta.insert("owner".to_string(), "grace".to_string());
    let replace = PutOptions {
        content_type: Some("text/plain".into()),
        cache_control: None,
        content_disposition: None,
        storage_class: None,
        metadata: new_meta.clone(),
        checksum: true,
    };
    let here = ObjectRef::new(&f.bucket, "obj.bin");
    f.store
        .copy_object(&here, &here, Some(&replace))
        .await
        .expect("copy in place");
    let meta = f.store.head(&f.bucket, "obj.bin").await.expect("head");
    assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
    assert_eq!(meta.metadata, new_meta);
    assert_eq!(
        f.store.get_bytes(&f.bucket, "obj.bin").await.expect("get"),
        bytes
    );

    // A plain copy keeps the metadata.
    let there = ObjectRef::new(&f.bucket, "copy.bin");
    f.store
        .copy_object(&here, &there, None)
        .await
        .expect("copy");
    let meta = f
        .store
        .head(&f.bucket, "copy.bin")
        .await
        .expect("head copy");
    assert_eq!(meta.metadata, new_meta);
    assert_eq!(meta.content_type.as_deref(), Some("text/plain"));

    // An empty object.
    f.store
        .put_bytes(&f.bucket, "empty", Vec::new())
        .await
        .expect("put empty");
    assert_eq!(
        f.store.head(&f.bucket, "empty").await.expect("head").size,
        0
    );
    assert!(
        f.store
            .get_bytes(&f.bucket, "empty")
            .await
            .expect("get empty")
            .is_empty()
    );
}

/// Starts a multipart upload.
async fn start(f: &Fixture, key: &str, options: &PutOptions) -> UploadRef {
    let upload_id = f
        .store
        .create_multipart(&f.bucket, key, options)
        .await
        .expect("create multipart");
    UploadRef {
        bucket: f.bucket.clone(),
        key: key.to_string(),
        upload_id,
    }
}

pub async fn multipart(f: Fixture) {
    let part1 = data(5 * MIB, 2);
    let part2 = data(5 * MIB, 3);
    let part3 = data(1234, 4);
    let key = "multi/part é+.bin";
    let options = PutOptions::default();
    let upload = start(&f, key, &options).await;

    // Visible as in progress, and no object yet.
    let uploads = f
        .store
        .list_multipart_uploads(&f.bucket)
        .await
        .expect("list uploads");
    assert!(
        uploads
            .iter()
            .any(|u| u.upload_id == upload.upload_id && u.key == key)
    );

    let mut parts: Vec<CompletedPart> = Vec::new();
    // Out of order on purpose.
    for (n, bytes) in [(2u32, &part2), (1, &part1), (3, &part3)] {
        let part = f
            .store
            .upload_part(&upload, n, Body::Bytes(Bytes::from(bytes.clone())))
            .await
            .expect("upload part");
        assert_eq!(part.part_number, n);
        assert_eq!(part.size, bytes.len() as u64);
        assert_eq!(
            part.crc32c.as_deref(),
            Some(checksum::encode(checksum::update(0, bytes)).as_str())
        );
        parts.push(part);
    }
    assert!(!f.store.exists(&f.bucket, key).await.expect("exists"));

    // The server remembers the parts (what resuming relies on).
    let mut listed = f.store.list_parts(&upload).await.expect("list parts");
    listed.sort_by_key(|p| p.part_number);
    assert_eq!(
        listed
            .iter()
            .map(|p| (p.part_number, p.size))
            .collect::<Vec<_>>(),
        [(1, part1.len() as u64), (2, part2.len() as u64), (3, 1234)]
    );
    parts.sort_by_key(|p| p.part_number);
    for (a, b) in listed.iter().zip(&parts) {
        assert_eq!(a.etag, b.etag);
    }

    let done = f
        .store
        .complete_multipart(&upload, &parts)
        .await
        .expect("complete");
    assert!(done.etag.is_some());
    let all = [part1.as_slice(), &part2, &part3].concat();
    assert_eq!(f.store.get_bytes(&f.bucket, key).await.expect("get"), all);
    let meta = f.store.head(&f.bucket, key).await.expect("head");
    assert_eq!(meta.size, all.len() as u64);
    if let Some(part) = f
        .store
        .head_part(&f.bucket, key, 2)
        .await
        .expect("head part")
    {
        assert_eq!(part.size, part2.len() as u64);
        assert_eq!(part.parts_count, Some(3));
    }

    // An aborted upload leaves nothing behind.
    let upload = start(&f, "aborted", &options).await;
    f.store
        .upload_part(&upload, 1, Body::Bytes(Bytes::from(part3.clone())))
        .await
        .expect("part");
    f.store.abort_multipart(&upload).await.expect("abort");
    assert!(!f.store.exists(&f.bucket, "aborted").await.expect("exists"));
    let uploads = f
        .store
        .list_multipart_uploads(&f.bucket)
        .await
        .expect("list");
    assert!(uploads.iter().all(|u| u.upload_id != upload.upload_id));
    let err = f
        .store
        .list_parts(&upload)
        .await
        .expect_err("an aborted upload has no parts");
    assert!(matches!(err, Error::NoSuchUpload { .. }), "{err:?}");
}

pub async fn part_copy(f: Fixture) {
    let source = data(6 * MIB, 5);
    f.store
        .put_bytes(&f.bucket, "big source", source.clone())
        .await
        .expect("put");
    let upload = start(&f, "assembled", &PutOptions::default()).await;
    let from = ObjectRef::new(&f.bucket, "big source");
    let p1 = f
        .store
        .upload_part_copy(
            &upload,
            1,
            &from,
            ByteRange {
                start: 0,
                end: 5 * MIB as u64,
            },
        )
        .await
        .expect("part copy 1");
    let p2 = f
        .store
        .upload_part_copy(
            &upload,
            2,
            &from,
            ByteRange {
                start: 5 * MIB as u64,
                end: source.len() as u64,
            },
        )
        .await
        .expect("part copy 2");
    f.store
        .complete_multipart(&upload, &[p1, p2])
        .await
        .expect("complete");
    assert_eq!(
        f.store
            .get_bytes(&f.bucket, "assembled")
            .await
            .expect("get"),
        source
    );
}

pub async fn missing_things(f: Fixture) {
    let err = f
        .store
        .head(&f.bucket, "no/such key")
        .await
        .expect_err("head missing");
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such key"), "{err}");
    let err = f
        .store
        .get(&f.bucket, "no/such key", None)
        .await
        .expect_err("get missing");
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");

    let missing = format!("{}-missing", f.bucket);
    let err = f
        .store
        .list_page(&ListRequest::folder(&missing, ""), None)
        .await
        .expect_err("list missing bucket");
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{err:?}");
    assert!(err.to_string().contains(&missing), "{err}");
    let err = f
        .store
        .put_bytes(&missing, "k", b"x".to_vec())
        .await
        .expect_err("put to missing bucket");
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{err:?}");

    // Deleting a missing key is not an error.
    let failures = f
        .store
        .delete_many(&f.bucket, &["never existed".to_string()])
        .await
        .expect("delete missing");
    assert!(failures.is_empty());
}

pub async fn buckets(f: Fixture) {
    let name = format!("{}-extra", f.bucket);
    f.store.create_bucket(&name).await.expect("create");
    let names: Vec<String> = f
        .store
        .list_buckets()
        .await
        .expect("list buckets")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert!(
        names.contains(&name) && names.contains(&f.bucket),
        "{names:?}"
    );

    f.store
        .put_bytes(&name, "k", b"x".to_vec())
        .await
        .expect("put");
    let err = f
        .store
        .delete_bucket(&name)
        .await
        .expect_err("a bucket with objects is not deleted");
    assert!(matches!(err, Error::BucketNotEmpty { .. }), "{err:?}");
    f.store
        .delete_many(&name, &["k".to_string()])
        .await
        .expect("delete");
    f.store.delete_bucket(&name).await.expect("delete bucket");
    let names: Vec<String> = f
        .store
        .list_buckets()
        .await
        .expect("list")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert!(!names.contains(&name));
}

pub async fn delete_many(f: Fixture) {
    let keys: Vec<String> = (0..1500).map(|i| format!("many/{i:05}")).collect();
    futures::stream::iter(keys.clone())
        .map(|k| {
            let store = f.store.clone();
            let bucket = f.bucket.clone();
            async move { store.put_bytes(&bucket, &k, Vec::new()).await }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .expect("put many");
    let (listed, _, pages) = list_all(&f, ListRequest::recursive(&f.bucket, "many/")).await;
    assert_eq!(listed.len(), 1500);
    assert_eq!(pages, 2, "1,000 keys per page");
    // More than one call's worth: the Ext shortcut splits it.
    let failures = f.store.delete_keys(&f.bucket, &keys).await.expect("delete");
    assert!(failures.is_empty(), "{failures:?}");
    let (listed, _, _) = list_all(&f, ListRequest::recursive(&f.bucket, "many/")).await;
    assert!(listed.is_empty());
}

pub async fn presign(f: Fixture) {
    let key = "shared/ünï code+plus %.txt";
    if !f.can_presign() {
        let err = f
            .store
            .presign(
                PresignMethod::Get,
                &f.bucket,
                key,
                SystemTime::now(),
                Duration::from_secs(60),
            )
            .await
            .expect_err("local cannot presign");
        assert_eq!(err.code(), "unsupported", "{err:?}");
        return;
    }
    let http = reqwest::Client::new();
    let body = data(3000, 6);

    let put_url = f
        .store
        .presign(
            PresignMethod::Put,
            &f.bucket,
            key,
            SystemTime::now(),
            Duration::from_secs(300),
        )
        .await
        .expect("presign put");
    let response = http
        .put(&put_url)
        .body(body.clone())
        .send()
        .await
        .expect("PUT to presigned URL");
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(f.store.get_bytes(&f.bucket, key).await.expect("get"), body);

    // Signing is deterministic: the same moment and lifetime give the same URL (how
    // a recorded share link is copied again), and another moment another URL.
    let signed_at = SystemTime::now() - Duration::from_secs(5);
    let presign_get = |at: SystemTime| {
        f.store.presign(
            PresignMethod::Get,
            &f.bucket,
            key,
            at,
            Duration::from_secs(300),
        )
    };
    let get_url = presign_get(signed_at).await.expect("presign get");
    assert_eq!(presign_get(signed_at).await.expect("again"), get_url);
    assert_ne!(
        presign_get(signed_at - Duration::from_secs(1))
            .await
            .expect("earlier"),
        get_url
    );
    assert!(get_url.contains("X-Amz-Expires=300"), "{get_url}");
    let response = http.get(&get_url).send().await.expect("GET presigned");
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.bytes().await.expect("body").as_ref(), body);

    // A tampered URL is refused by the server (moto does not check signatures).
    if f.backend == Backend::Moto {
        return;
    }
    let tampered = get_url.replace("X-Amz-Expires=300", "X-Amz-Expires=301");
    let response = http.get(&tampered).send().await.expect("GET tampered");
    assert_eq!(response.status().as_u16(), 403);
}

pub async fn upload_id_survives_new_client(f: Fixture) {
    // The resume state holds only the upload id and the parts; a new store (as after
    // a restart) must be able to continue and complete the upload from them.
    let upload = start(&f, "restart", &PutOptions::default()).await;
    let first = data(5 * MIB, 7);
    let p1 = f
        .store
        .upload_part(&upload, 1, Body::Bytes(Bytes::from(first.clone())))
        .await
        .expect("part 1");
    let again = Fixture::reopen(&f);
    let resumed = UploadRef {
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        upload_id: upload.upload_id.clone(),
    };
    let listed = again.list_parts(&resumed).await.expect("list parts");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].etag, p1.etag);
    let p2 = again
        .upload_part(&resumed, 2, Body::Bytes(Bytes::from_static(b"tail")))
        .await
        .expect("part 2");
    again
        .complete_multipart(&resumed, &[listed[0].clone(), p2])
        .await
        .expect("complete");
    let mut all = first;
    all.extend_from_slice(b"tail");
    assert_eq!(
        f.store.get_bytes(&f.bucket, "restart").await.expect("get"),
        all
    );
}

impl Fixture {
    /// A second store over the same data, as a new process would open it.
    fn reopen(f: &Fixture) -> std::sync::Arc<dyn coffer_core::store::Store> {
        if let Some(reopen) = &f.reopen {
            return reopen();
        }
        match f.backend {
            Backend::Local => {
                let root = f._dir.as_ref().expect("local root").path();
                std::sync::Arc::new(coffer_core::store::LocalStore::open(root).expect("reopen"))
            }
            backend => std::sync::Arc::new(super::s3_store(super::server(backend), None)),
        }
    }
}

//! Region detection by HEAD bucket, and the errors a user meets first: wrong
//! credentials and an endpoint that does not answer.

mod common;

use std::sync::Arc;
use std::time::Duration;

use coffer_core::Error;
use coffer_core::Sensitive;
use coffer_core::meta::{MemoryDb, MetaDb};
use coffer_core::profile::ResolvedCredentials;
use coffer_core::region::RegionCache;
use coffer_core::store::s3::S3Settings;
use coffer_core::store::{
    ListRequest, ObjectRef, PresignMethod, PutOptions, RegionSource, S3Store, Store, StoreExt,
};
use coffer_core::transfer::{Tracker, TransferConfig, Transfers};
use common::{s3_store, write_file};

fn settings(
    endpoint: &str,
    region: Option<&str>,
    secret: &str,
    db: Option<Arc<dyn MetaDb>>,
) -> S3Settings {
    let server = coffer_testkit::garage();
    S3Settings {
        profile: "work".into(),
        endpoint: Some(endpoint.to_string()),
        region: region.map(str::to_string),
        path_style: true,
        credentials: ResolvedCredentials::Static {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: Sensitive::new(secret.to_string()),
            session_token: None,
        },
        regions: RegionCache::new("work", db),
    }
}

/// moto sends `x-amz-bucket-region`: a bucket in eu-west-2 is found there although the
/// profile says us-east-1, and listing, upload and presign all work.
#[tokio::test]
async fn bucket_in_another_region_on_moto() {
    let server = coffer_testkit::moto();
    let bucket = server.fresh_bucket_in_region("region", "eu-west-2");
    let store: Arc<dyn Store> = Arc::new(s3_store(server, Some("us-east-1")));

    let info = store.bucket_region(&bucket).await.expect("region");
    assert_eq!(info.region, "eu-west-2");
    assert_eq!(info.source, RegionSource::Header { status: 200 });
    assert!(!info.cached);
    assert!(info.explain().contains("x-amz-bucket-region"));
    let again = store.bucket_region(&bucket).await.expect("region");
    assert!(again.cached);

    let dir = tempfile::tempdir().expect("temp");
    let file = dir.path().join("r.txt");
    let bytes = write_file(&file, 9 * 1024 * 1024, 3);
    let transfers = Transfers::new(
        store.clone(),
        Arc::new(MemoryDb::default()),
        "test",
        TransferConfig {
            part_size: 5 * 1024 * 1024,
            ..TransferConfig::default()
        },
    )
    .expect("transfers");
    transfers
        .upload_file(
            &file,
            &ObjectRef::new(&bucket, "in eu-west-2.txt"),
            &PutOptions::default(),
            &Tracker::silent("up"),
        )
        .await
        .expect("upload");
    let page = store
        .list_page(&ListRequest::folder(&bucket, ""), None)
        .await
        .expect("list");
    assert_eq!(page.objects.len(), 1);

    let url = store
        .presign(
            PresignMethod::Get,
            &bucket,
            "in eu-west-2.txt",
            std::time::SystemTime::now(),
            Duration::from_secs(600),
        )
        .await
        .expect("presign");
    assert!(
        url.contains("%2Feu-west-2%2Fs3%2F"),
        "signed for the bucket's region: {url}"
    );
    let response = reqwest::get(&url).await.expect("GET");
    assert!(response.status().is_success(), "{}", response.status());
    assert!(response.bytes().await.expect("body").as_ref() == bytes.as_slice());

    // The default-region bucket answers from the header too.
    let plain = server.fresh_bucket("region-default");
    let info = store.bucket_region(&plain).await.expect("region");
    assert_eq!(info.region, "us-east-1");
    assert!(matches!(info.source, RegionSource::Header { .. }));
}

/// Garage sends no region header: the profile's region is used, else us-east-1, and
/// the answer is remembered in the local database.
#[tokio::test]
async fn garage_falls_back_to_the_profile_region() {
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("fallback");
    let db: Arc<dyn MetaDb> = Arc::new(MemoryDb::default());
    let store = S3Store::new(settings(
        &server.endpoint,
        Some("garage"),
        &server.secret_access_key,
        Some(db.clone()),
    ));
    let info = store.bucket_region(&bucket).await.expect("region");
    assert_eq!(info.region, "garage");
    assert_eq!(info.source, RegionSource::Profile);
    store
        .put_bytes(&bucket, "k", b"v".to_vec())
        .await
        .expect("put");

    // A new store over the same database finds it cached.
    let again = S3Store::new(settings(
        &server.endpoint,
        Some("garage"),
        &server.secret_access_key,
        Some(db),
    ));
    assert!(again.bucket_region(&bucket).await.expect("region").cached);

    let no_region = S3Store::new(settings(
        &server.endpoint,
        None,
        &server.secret_access_key,
        None,
    ));
    let info = no_region.bucket_region(&bucket).await.expect("region");
    assert_eq!(info.region, "us-east-1");
    assert_eq!(info.source, RegionSource::Default);
}

#[tokio::test]
async fn wrong_secret_is_access_denied() {
    let server = coffer_testkit::garage();
    let bucket = server.fresh_bucket("denied");
    let store = S3Store::new(settings(
        &server.endpoint,
        Some("garage"),
        "not-the-secret",
        None,
    ));
    let err = store.list_buckets().await.expect_err("wrong secret");
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("access denied for profile `work`"),
        "{message}"
    );
    assert!(message.contains("check the access key"), "{message}");
    assert!(!message.contains("not-the-secret"), "{message}");
    let err = store
        .put_bytes(&bucket, "k", b"v".to_vec())
        .await
        .expect_err("wrong secret");
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn unreachable_endpoint_names_the_url() {
    let endpoint = format!("http://127.0.0.1:{}", coffer_testkit::free_port());
    let store = S3Store::new(settings(&endpoint, Some("garage"), "secret", None));
    let err = store.list_buckets().await.expect_err("nothing listens");
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains(&endpoint), "{err}");
}

/// A one-trick HTTP server: answers every request with `status` and an
/// `x-amz-bucket-region` header, as AWS does for a bucket in another region (301),
/// a request signed for the wrong region (400) or a bucket one may not read (403).
/// Real servers cover the 200 case above; these statuses need AWS itself.
fn region_answerer(status: u16, region: &'static str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => {
                        let answer = format!(
                            "HTTP/1.1 {status} Whatever\r\nx-amz-bucket-region: {region}\r\n\
                             content-length: 0\r\n\r\n"
                        );
                        if reader.get_mut().write_all(answer.as_bytes()).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                }
            }
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn region_header_counts_on_301_400_and_403() {
    for status in [301u16, 400, 403] {
        let endpoint = region_answerer(status, "ap-south-1");
        let store = S3Store::new(settings(&endpoint, Some("us-east-1"), "secret", None));
        let info = store.bucket_region("some-bucket").await.expect("region");
        assert_eq!(info.region, "ap-south-1", "status {status}");
        assert_eq!(info.source, RegionSource::Header { status });
    }
}

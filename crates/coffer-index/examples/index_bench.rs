//! The index's own costs at a million keys, without a server in the way: a build
//! from a listing that a synthetic store serves from memory (1,000 keys a page, as
//! S3 does; the real listing's cost is measured against Garage by `bench/index.sh`),
//! the size on disk, a folder's first page (what a reopen shows), folder sizes, and
//! searches (time to the first match and to the last).
//!
//!     cargo run --release -p coffer-index --example index_bench -- [KEYS]
//!
//! Prints Markdown rows; peak RSS is the process's (VmHWM).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use coffer_core::store::{
    Body, BucketInfo, ByteRange, CompletedPart, DeleteFailure, GetObject, ListPage, ListRequest,
    MultipartUploadInfo, ObjectMeta, ObjectRef, ObjectSummary, PartMeta, PresignMethod, PutOptions,
    PutResult, RegionInfo, Store, UploadRef,
};
use coffer_core::{Error, Result};
use coffer_index::{Index, Query};
use time::OffsetDateTime;

/// The n-th key, in a layout like a real media bucket: 10 first-level prefixes.
fn key(n: u64) -> String {
    match n % 10 {
        0..=5 => format!("photos/{}/{:02}/IMG_{n:07}.jpg", 2015 + n % 10, 1 + n % 12),
        6 | 7 => format!("docs/team-{:02}/report-{n:07}.pdf", n % 50),
        8 => format!("video/raw/clip-{n:07}.mov"),
        _ => format!("backup/{:03}/chunk-{n:07}.bin", n % 997),
    }
}

fn size(n: u64) -> u64 {
    // Deterministic, spread from a few bytes to ~64 MiB.
    (n.wrapping_mul(2_654_435_761) % 1_000_003) * ((n % 67) + 1)
}

/// Serves a sorted listing of `keys` keys from memory.
#[derive(Debug)]
struct Synthetic {
    sorted: Vec<(String, u64)>,
}

fn unsupported() -> Error {
    Error::Unsupported {
        operation: "this operation",
        backend: "the benchmark's synthetic store",
        reason: "it only lists",
    }
}

#[async_trait]
impl Store for Synthetic {
    fn describe(&self) -> String {
        "synthetic".into()
    }
    async fn list_page(&self, request: &ListRequest, token: Option<&str>) -> Result<ListPage> {
        let prefix = request.prefix.as_str();
        let start = match token {
            Some(t) => self.sorted.partition_point(|(k, _)| k.as_str() <= t),
            None => self.sorted.partition_point(|(k, _)| k.as_str() < prefix),
        };
        let mut page = ListPage::default();
        let mut last = None;
        let now = OffsetDateTime::now_utc();
        for (k, n) in self.sorted[start..].iter() {
            if !k.starts_with(prefix) {
                break;
            }
            if page.objects.len() + page.common_prefixes.len() == 1000 {
                page.next_token = last.clone();
                break;
            }
            let rest = &k[prefix.len()..];
            if request.delimiter.is_some()
                && let Some(i) = rest.find('/')
            {
                let folder = format!("{prefix}{}", &rest[..=i]);
                if page.common_prefixes.last() != Some(&folder) {
                    page.common_prefixes.push(folder.clone());
                }
                // Skip to past the folder: the token is the folder's last key.
                last = Some(format!("{folder}\u{10FFFF}"));
                continue;
            }
            page.objects.push(ObjectSummary {
                key: k.clone(),
                size: size(*n),
                last_modified: Some(now - Duration::from_secs(n % (3 * 365 * 86_400))),
                etag: Some(format!("{n:032x}")),
                storage_class: Some(if n % 5 == 0 { "GLACIER_IR" } else { "STANDARD" }.into()),
            });
            last = Some(k.clone());
        }
        Ok(page)
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        Err(unsupported())
    }
    async fn create_bucket(&self, _: &str) -> Result<()> {
        Err(unsupported())
    }
    async fn delete_bucket(&self, _: &str) -> Result<()> {
        Err(unsupported())
    }
    async fn bucket_region(&self, _: &str) -> Result<RegionInfo> {
        Err(unsupported())
    }
    async fn head(&self, _: &str, _: &str) -> Result<ObjectMeta> {
        Err(unsupported())
    }
    async fn head_part(&self, _: &str, _: &str, _: u32) -> Result<Option<PartMeta>> {
        Err(unsupported())
    }
    async fn get(&self, _: &str, _: &str, _: Option<ByteRange>) -> Result<GetObject> {
        Err(unsupported())
    }
    async fn put(&self, _: &str, _: &str, _: Body, _: &PutOptions) -> Result<PutResult> {
        Err(unsupported())
    }
    async fn create_multipart(&self, _: &str, _: &str, _: &PutOptions) -> Result<String> {
        Err(unsupported())
    }
    async fn upload_part(&self, _: &UploadRef, _: u32, _: Body) -> Result<CompletedPart> {
        Err(unsupported())
    }
    async fn upload_part_copy(
        &self,
        _: &UploadRef,
        _: u32,
        _: &ObjectRef,
        _: ByteRange,
    ) -> Result<CompletedPart> {
        Err(unsupported())
    }
    async fn complete_multipart(&self, _: &UploadRef, _: &[CompletedPart]) -> Result<PutResult> {
        Err(unsupported())
    }
    async fn abort_multipart(&self, _: &UploadRef) -> Result<()> {
        Err(unsupported())
    }
    async fn list_parts(&self, _: &UploadRef) -> Result<Vec<CompletedPart>> {
        Err(unsupported())
    }
    async fn list_multipart_uploads(&self, _: &str) -> Result<Vec<MultipartUploadInfo>> {
        Err(unsupported())
    }
    async fn copy_object(
        &self,
        _: &ObjectRef,
        _: &ObjectRef,
        _: Option<&PutOptions>,
    ) -> Result<()> {
        Err(unsupported())
    }
    async fn delete_many(&self, _: &str, _: &[String]) -> Result<Vec<DeleteFailure>> {
        Err(unsupported())
    }
    async fn presign(
        &self,
        _: PresignMethod,
        _: &str,
        _: &str,
        _: SystemTime,
        _: Duration,
    ) -> Result<String> {
        Err(unsupported())
    }
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let keys: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut sorted: Vec<(String, u64)> = (0..keys).map(|n| (key(n), n)).collect();
    sorted.sort();
    let store: Arc<dyn Store> = Arc::new(Synthetic { sorted });
    let rss_before = peak_rss_mib();
    let dir = tempfile::tempdir().map_err(|e| Error::io("cannot create", "tmp", e))?;
    let index = Index::open(&dir.path().join("index"))?;

    let started = Instant::now();
    let info = index.build(store.clone(), "bench", "media", None).await?;
    let build = started.elapsed();
    index.flush()?;
    println!("| keys | {} |", info.objects);
    println!(
        "| build (listing served from memory) | {:.2} s ({:.0} keys/s) |",
        build.as_secs_f64(),
        info.objects as f64 / build.as_secs_f64()
    );
    println!(
        "| size on disk | {:.1} MiB ({:.0} bytes/key) |",
        index.disk_bytes() as f64 / 1048576.0,
        index.disk_bytes() as f64 / info.objects as f64
    );
    println!(
        "| peak RSS after the build (the key list itself: {rss_before} MiB) | {} MiB |",
        peak_rss_mib()
    );

    // A reopen: the first page of a folder with many objects.
    for folder in ["video/raw/", "photos/2019/", ""] {
        let started = Instant::now();
        let page = index.list_folder("bench", "media", folder, None, 1000)?;
        println!(
            "| first page of `{folder}` ({} rows) | {} ms |",
            page.objects.len() + page.common_prefixes.len(),
            ms(started.elapsed())
        );
    }
    let started = Instant::now();
    let size = index.folder_size("bench", "media", "photos/")?;
    println!(
        "| size of `photos/` ({} objects) | {} ms |",
        size.objects,
        ms(started.elapsed())
    );

    let queries = [
        (
            "substring, common: `report`",
            Query {
                pattern: "report".into(),
                ..Query::default()
            },
        ),
        (
            "substring, one match near the end: `clip-0999998`",
            Query {
                pattern: "clip-0999998".into(),
                ..Query::default()
            },
        ),
        (
            "glob `**/*.pdf`",
            Query {
                pattern: "**/*.pdf".into(),
                ..Query::default()
            },
        ),
        (
            "glob `photos/2019/**/*.jpg`, larger than 32 MiB",
            Query {
                pattern: "photos/2019/**/*.jpg".into(),
                larger: Some(32 << 20),
                ..Query::default()
            },
        ),
        (
            "everything in GLACIER_IR, modified within 30 days",
            Query {
                storage_class: Some("GLACIER_IR".into()),
                newer: Some(Duration::from_secs(30 * 86_400)),
                ..Query::default()
            },
        ),
    ];
    println!();
    println!(
        "| search over {} keys | matches | first match ms | all ms |",
        info.objects
    );
    println!("|---|---|---|---|");
    for (label, query) in queries {
        let query = Query {
            limit: 100_000,
            ..query
        };
        let started = Instant::now();
        let mut first = None;
        let summary = index.search("bench", "media", &query, |_| {
            first.get_or_insert_with(|| started.elapsed());
            true
        })?;
        println!(
            "| {label} | {}{} | {} | {} |",
            summary.matches,
            if summary.truncated { " (limit)" } else { "" },
            first.map(ms).unwrap_or_else(|| "–".into()),
            ms(started.elapsed())
        );
    }
    println!();
    println!("peak RSS of the whole run: {} MiB", peak_rss_mib());
    Ok(())
}

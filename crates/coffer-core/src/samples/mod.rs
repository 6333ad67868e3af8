//! Sample objects for the `local` profile, so that a new user sees a working browser
//! at once: images, text, CSV, JSON and a nested folder, in a bucket named
//! [`BUCKET`]. Seeded once: deleting them later does not bring them back.

use bytes::Bytes;

use crate::error::Result;
use crate::meta::MetaDbExt;
use crate::profile::Profile;
use crate::session::Session;
use crate::store::PutOptions;

/// The bucket the samples go in.
pub const BUCKET: &str = "samples";

/// Where the "seeded" mark is kept.
const TREE: &str = "settings";
const MARK: &str = "samples_seeded";

const README: &str = "# Welcome to Coffer\n\nThis `samples` bucket lives on the built-in \
`local` profile: plain folders in Coffer's data dir, no cloud account needed.\n\n\
Try it: open `images/`, preview `data/cities.csv`, drop files here to upload them, \
right-click an object to share, rename or delete it.\n";

const CSV: &str = "city,country,population\nTokyo,Japan,37400068\nDelhi,India,28514000\n\
São Paulo,Brazil,21650000\nLagos,Nigeria,13463000\nParis,France,11017000\n";

const JSON: &str = r#"{"name":"coffer","samples":true,"profile":"local","features":["browse","transfer","share","backup"],"limits":{"part_size_mib":8,"concurrency":8}}"#;

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 80"><rect width="120" height="80" rx="8" fill="#dbeafe"/><circle cx="30" cy="40" r="18" fill="#2563eb"/><rect x="58" y="24" width="48" height="8" rx="4" fill="#1e3a8a"/><rect x="58" y="40" width="36" height="8" rx="4" fill="#3b82f6"/></svg>"##;

const PNG: &[u8] = include_bytes!("coffer.png");

/// The sample objects: key, content type, bytes.
fn samples() -> Vec<(&'static str, &'static str, Bytes)> {
    vec![
        (
            "README.md",
            "text/markdown",
            Bytes::from_static(README.as_bytes()),
        ),
        (
            "data/cities.csv",
            "text/csv",
            Bytes::from_static(CSV.as_bytes()),
        ),
        (
            "data/settings.json",
            "application/json",
            Bytes::from_static(JSON.as_bytes()),
        ),
        ("images/coffer.png", "image/png", Bytes::from_static(PNG)),
        (
            "images/diagram.svg",
            "image/svg+xml",
            Bytes::from_static(SVG.as_bytes()),
        ),
        (
            "photos/2026/trip notes.txt",
            "text/plain",
            Bytes::from_static(b"Day 1: arrived.\nDay 2: museums, 100% rain.\n"),
        ),
    ]
}

/// Puts the samples into the `local` profile's [`BUCKET`] the first time a front
/// end starts, unless the local store already has buckets. Returns whether it did.
pub async fn seed(session: &Session) -> Result<bool> {
    let db = session.db();
    if db.get_json::<bool>(TREE, MARK)?.unwrap_or(false) {
        return Ok(false);
    }
    let store = session.store(&Profile::local())?;
    if !store.list_buckets().await?.is_empty() {
        db.put_json(TREE, MARK, &true)?;
        return Ok(false);
    }
    store.create_bucket(BUCKET).await?;
    for (key, content_type, body) in samples() {
        let options = PutOptions {
            content_type: Some(content_type.to_string()),
            ..PutOptions::default()
        };
        store.put(BUCKET, key, body.into(), &options).await?;
    }
    db.put_json(TREE, MARK, &true)?;
    tracing::info!("sample objects put in the local profile's `{BUCKET}` bucket");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::paths::DataDir;
    use crate::secret::MemorySecretStore;

    #[tokio::test]
    async fn seeds_once_and_not_over_existing_buckets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let session = Session::open(
            DataDir::at(dir.path()),
            Arc::new(MemorySecretStore::default()),
        )
        .expect("session");
        assert!(seed(&session).await.expect("seed"));
        let store = session.store(&Profile::local()).expect("store");
        let meta = store.head(BUCKET, "images/coffer.png").await.expect("head");
        assert_eq!(meta.size, PNG.len() as u64);
        store
            .delete_many(BUCKET, &["README.md".to_string()])
            .await
            .expect("delete one");
        // Not again, even though a sample is gone.
        assert!(!seed(&session).await.expect("seed again"));
        assert!(store.head(BUCKET, "README.md").await.is_err());
    }

    #[tokio::test]
    async fn leaves_a_local_store_with_buckets_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let session = Session::open(
            DataDir::at(dir.path()),
            Arc::new(MemorySecretStore::default()),
        )
        .expect("session");
        let store = session.store(&Profile::local()).expect("store");
        store.create_bucket("mine").await.expect("mb");
        assert!(!seed(&session).await.expect("seed"));
        assert!(store.list_buckets().await.expect("ls").len() == 1);
    }
}

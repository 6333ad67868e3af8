//! [`LocalStore`]: the `Store` seam over folders, for the `local` profile.
//!
//! Each top-level folder of the root is a bucket, and each object is a plain file at
//! the path its key names (see [`keymap`] for the few escapes). What S3 keeps beside
//! the bytes (ETag, CRC32C, Content-Type, user metadata) is kept in a small JSON
//! sidecar under `.coffer/meta/`, keyed by a hash of the key; a file that was changed
//! by hand since (other size or time) simply loses the stale sidecar values.
//!
//! Writes go to `.coffer/tmp/` first and are renamed into place, so a reader never sees
//! half an object, and a crash leaves at most a temp file.

pub mod keymap;
mod listing;
mod ops;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::checksum;
use crate::error::{Error, Result};
use crate::store::{Body, ObjectMeta, PutOptions};
use crate::uri::validate_bucket_name;
use keymap::{SELF_FILE, key_to_components};

/// The folder of Coffer's own bookkeeping inside the root; never a bucket, since
/// bucket names cannot start with a dot.
const INTERNAL: &str = ".coffer";
/// Copy buffer for file bodies.
const COPY_BUFFER: usize = 1024 * 1024;

/// A `Store` over folders. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LocalStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    /// Serializes the moves that turn a file into a folder, so two writers never
    /// race on the same path.
    placement: Mutex<()>,
    levels: listing::LevelCache,
}

/// What the sidecar of an object records.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    pub key: String,
    pub size: u64,
    pub mtime_ns: i128,
    pub etag: String,
    pub crc32c: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    #[serde(default)]
    pub content_disposition: Option<String>,
    pub storage_class: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The digests of bytes as they were written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    pub size: u64,
    pub md5: [u8; 16],
    pub crc32c: u32,
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

impl LocalStore {
    /// A store rooted at `root` (created if missing).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        for dir in ["tmp", "uploads", "meta"] {
            let path = root.join(INTERNAL).join(dir);
            std::fs::create_dir_all(&path).map_err(|e| Error::io("cannot create", &path, e))?;
        }
        Ok(LocalStore {
            inner: Arc::new(Inner {
                root,
                placement: Mutex::new(()),
                levels: listing::LevelCache::default(),
            }),
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    fn internal(&self, sub: &str) -> PathBuf {
        self.inner.root.join(INTERNAL).join(sub)
    }

    pub(crate) fn tmp_path(&self) -> PathBuf {
        self.internal("tmp").join(uuid::Uuid::new_v4().to_string())
    }

    pub(crate) fn uploads_dir(&self) -> PathBuf {
        self.internal("uploads")
    }

    /// The folder of an existing bucket.
    pub(crate) fn bucket_dir(&self, bucket: &str) -> Result<PathBuf> {
        validate_bucket_name(bucket)?;
        let dir = self.inner.root.join(bucket);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(Error::NoSuchBucket {
                profile: crate::profile::LOCAL_PROFILE.into(),
                bucket: bucket.to_string(),
            })
        }
    }

    pub(crate) fn no_such_key(bucket: &str, key: &str) -> Error {
        Error::NoSuchKey {
            profile: crate::profile::LOCAL_PROFILE.into(),
            bucket: bucket.to_string(),
            key: key.to_string(),
        }
    }

    /// The file that holds an object, if it exists.
    pub(crate) fn find_object(&self, bucket: &str, key: &str) -> Result<Option<PathBuf>> {
        let mut path = self.bucket_dir(bucket)?;
        for c in key_to_components(key) {
            path.push(c);
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(path)),
            Ok(m) if m.is_dir() => {
                let inner = path.join(SELF_FILE);
                Ok(inner.is_file().then_some(inner))
            }
            _ => Ok(None),
        }
    }

    /// Moves a finished temp file into place as `key`, making folders as needed. A
    /// file that stands where a folder must go becomes that folder's `%@`.
    pub(crate) fn place(&self, bucket: &str, key: &str, tmp: &Path) -> Result<PathBuf> {
        validate_key(key)?;
        let components = key_to_components(key);
        let _guard = self
            .inner
            .placement
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut path = self.bucket_dir(bucket)?;
        let (last, parents) = components
            .split_last()
            .ok_or_else(|| Error::invalid("key", "the key is empty"))?;
        for c in parents {
            path.push(c);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    // `a` is an object and `a/...` is wanted: `a` becomes `a/%@`.
                    let moved = self.tmp_path();
                    std::fs::rename(&path, &moved)
                        .map_err(|e| Error::io("cannot move", &path, e))?;
                    std::fs::create_dir(&path).map_err(|e| Error::io("cannot create", &path, e))?;
                    std::fs::rename(&moved, path.join(SELF_FILE))
                        .map_err(|e| Error::io("cannot move", &moved, e))?;
                }
                Err(_) => match std::fs::create_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(Error::io("cannot create", &path, e)),
                },
            }
        }
        path.push(last);
        let target = if path.is_dir() {
            path.join(SELF_FILE)
        } else {
            path
        };
        std::fs::rename(tmp, &target).map_err(|e| Error::io("cannot write", &target, e))?;
        Ok(target)
    }

    /// Removes an object's file and sidecar, then the folders it leaves empty.
    /// Returns whether there was an object.
    pub(crate) fn remove_object(&self, bucket: &str, key: &str) -> Result<bool> {
        let _guard = self
            .inner
            .placement
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let bucket_dir = self.bucket_dir(bucket)?;
        let Some(file) = self.find_object(bucket, key)? else {
            return Ok(false);
        };
        std::fs::remove_file(&file).map_err(|e| Error::io("cannot delete", &file, e))?;
        let sidecar = self.sidecar_path(bucket, key);
        let _ = std::fs::remove_file(sidecar);
        let mut dir = file.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == bucket_dir || !d.starts_with(&bucket_dir) {
                break;
            }
            // Stops at the first folder that still holds something.
            if std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(true)
    }

    pub(crate) fn sidecar_path(&self, bucket: &str, key: &str) -> PathBuf {
        let digest = hex::encode(Md5::digest(key.as_bytes()));
        self.internal("meta")
            .join(bucket)
            .join(&digest[..2])
            .join(format!("{digest}.json"))
    }

    pub(crate) fn read_sidecar(&self, bucket: &str, key: &str) -> Option<Sidecar> {
        let bytes = std::fs::read(self.sidecar_path(bucket, key)).ok()?;
        let sidecar: Sidecar = serde_json::from_slice(&bytes).ok()?;
        (sidecar.key == key).then_some(sidecar)
    }

    pub(crate) fn write_sidecar(&self, bucket: &str, sidecar: &Sidecar) -> Result<()> {
        let path = self.sidecar_path(bucket, &sidecar.key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        let tmp = self.tmp_path();
        let bytes =
            serde_json::to_vec(sidecar).map_err(|e| Error::invalid("metadata", e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(|e| Error::io("cannot write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("cannot write", &path, e))?;
        Ok(())
    }

    /// Records the sidecar of a freshly placed object.
    pub(crate) fn record(
        &self,
        bucket: &str,
        key: &str,
        file: &Path,
        etag: String,
        crc32c: Option<String>,
        options: &PutOptions,
    ) -> Result<()> {
        let meta = std::fs::metadata(file).map_err(|e| Error::io("cannot read", file, e))?;
        self.write_sidecar(
            bucket,
            &Sidecar {
                key: key.to_string(),
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
                etag,
                crc32c,
                content_type: options.content_type.clone(),
                cache_control: options.cache_control.clone(),
                content_disposition: options.content_disposition.clone(),
                storage_class: options.storage_class.clone(),
                metadata: options.metadata.clone(),
            },
        )
    }

    /// The metadata of an object file, from its sidecar when that is still valid.
    pub(crate) fn object_meta(&self, bucket: &str, key: &str, file: &Path) -> Result<ObjectMeta> {
        let meta = std::fs::metadata(file).map_err(|e| Error::io("cannot read", file, e))?;
        let mtime = mtime_ns(&meta);
        let sidecar = self
            .read_sidecar(bucket, key)
            .filter(|s| s.size == meta.len() && s.mtime_ns == mtime);
        let fallback_etag =
            || hex::encode(Md5::digest(format!("{}:{mtime}", meta.len()).as_bytes()));
        let sidecar = sidecar.unwrap_or_else(|| Sidecar {
            etag: fallback_etag(),
            content_type: Some(
                mime_guess::from_path(key)
                    .first_or_octet_stream()
                    .essence_str()
                    .to_string(),
            ),
            ..Default::default()
        });
        Ok(ObjectMeta {
            key: key.to_string(),
            size: meta.len(),
            last_modified: OffsetDateTime::from_unix_timestamp_nanos(mtime).ok(),
            etag: Some(sidecar.etag),
            content_type: sidecar.content_type,
            cache_control: sidecar.cache_control,
            content_disposition: sidecar.content_disposition,
            storage_class: sidecar.storage_class,
            metadata: sidecar.metadata,
            checksum: sidecar.crc32c.map(|v| crate::store::Checksum {
                algorithm: crate::store::ChecksumAlgorithm::Crc32c,
                value: v,
                kind: crate::store::ChecksumKind::FullObject,
            }),
            parts_count: None,
        })
    }

    pub(crate) fn levels(&self) -> &listing::LevelCache {
        &self.inner.levels
    }
}

pub(crate) use crate::uri::validate_key;

/// Writes a body into a new file, computing its MD5 and CRC32C on the way.
pub(crate) fn write_body(body: &Body, target: &Path) -> Result<Written> {
    let mut out =
        std::fs::File::create(target).map_err(|e| Error::io("cannot create", target, e))?;
    let mut md5 = Md5::new();
    let mut crc = 0u32;
    let mut size = 0u64;
    let mut feed = |chunk: &[u8], out: &mut std::fs::File| -> Result<()> {
        md5.update(chunk);
        crc = checksum::update(crc, chunk);
        size += chunk.len() as u64;
        out.write_all(chunk)
            .map_err(|e| Error::io("cannot write", target, e))
    };
    match body {
        Body::Bytes(bytes) => feed(bytes, &mut out)?,
        Body::File { path, offset, len } => {
            let mut src =
                std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
            src.seek(SeekFrom::Start(*offset))
                .map_err(|e| Error::io("cannot read", path, e))?;
            let mut src = src.take(*len);
            let mut buf = vec![0u8; COPY_BUFFER.min(*len as usize).max(1)];
            loop {
                let n = src
                    .read(&mut buf)
                    .map_err(|e| Error::io("cannot read", path, e))?;
                if n == 0 {
                    break;
                }
                feed(&buf[..n], &mut out)?;
            }
            if size != *len {
                return Err(Error::FileChanged {
                    path: path.clone(),
                    what: format!("expected {len} bytes at offset {offset}, found {size}"),
                });
            }
        }
    }
    out.sync_all()
        .map_err(|e| Error::io("cannot write", target, e))?;
    Ok(Written {
        size,
        md5: md5.finalize().into(),
        crc32c: crc,
    })
}

/// Runs blocking file work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Cancelled(format!("file task stopped: {e}")))?
}

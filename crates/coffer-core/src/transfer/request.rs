//! What a transfer request means, once for every front end (`coffer cp`, the upload
//! and download job kinds): which local path and which key or prefix a request names,
//! and which of the engine's operations moves it.
//!
//! - An upload of a folder puts its files under the key as a prefix (a `/` is added);
//!   an upload of a file puts it at the key, or under it with its own name when the key
//!   is a prefix (empty, or ending in `/`).
//! - A download of a prefix (a key ending in `/`) writes a folder; a download of an
//!   object writes a file. Where depends on the [`Destination`]: `Into` a folder, under
//!   the key's own name (what a drop on a folder means), or `At` a path, as `cp` takes
//!   it (a folder, or a path ending in `/`, gets the object under its name).

use std::path::{Path, PathBuf};

use super::{BatchReport, DownloadReport, Tracker, Transfers, UploadReport, local_name};
use crate::error::{Error, Result};
use crate::store::{ObjectRef, PutOptions};

/// What an upload did.
#[derive(Debug, Clone)]
pub enum Uploaded {
    /// One file, to one object.
    File(UploadReport),
    /// A folder, under a prefix.
    Folder(BatchReport),
}

/// What a download did.
#[derive(Debug, Clone)]
pub enum Downloaded {
    /// One object, to one file.
    File(DownloadReport),
    /// A prefix, to a folder.
    Folder(BatchReport),
}

/// Where a download goes.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// Into this folder, under the key's own name (`photos/` → `FOLDER/photos`).
    Into(&'a Path),
    /// At this path: the folder a prefix becomes, or the file an object becomes (a
    /// folder, or a path written with a trailing `/`, gets the object under its name).
    At(&'a Path),
}

/// Whether `key` names a prefix rather than an object: empty, or ending in `/`.
pub fn is_prefix(key: &str) -> bool {
    key.is_empty() || key.ends_with('/')
}

/// The key a file called `file_name` is uploaded to under `key`.
pub fn upload_key(key: &str, file_name: &str) -> String {
    if is_prefix(key) {
        format!("{key}{file_name}")
    } else {
        key.to_string()
    }
}

/// The local path a download of `key` writes.
pub fn download_target(key: &str, destination: Destination<'_>) -> PathBuf {
    match destination {
        Destination::Into(folder) => folder.join(local_name(key)),
        Destination::At(path) if is_prefix(key) => path.to_path_buf(),
        Destination::At(path) => {
            let written = path.as_os_str().to_string_lossy();
            if path.is_dir()
                || written.ends_with('/')
                || written.ends_with(std::path::MAIN_SEPARATOR)
            {
                path.join(local_name(key))
            } else {
                path.to_path_buf()
            }
        }
    }
}

impl Transfers {
    /// Uploads the file or folder `source` to `s3://bucket/key` (see the module doc).
    pub async fn upload_path(
        &self,
        source: &Path,
        bucket: &str,
        key: &str,
        options: &PutOptions,
        tracker: &Tracker,
    ) -> Result<Uploaded> {
        if source.is_dir() {
            return Ok(Uploaded::Folder(
                self.upload_dir(source, bucket, key, options, tracker)
                    .await?,
            ));
        }
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = ObjectRef::new(bucket, upload_key(key, &name));
        Ok(Uploaded::File(
            self.upload_file(source, &target, options, tracker).await?,
        ))
    }

    /// Downloads the object or prefix `s3://bucket/key` to `destination` (see the
    /// module doc).
    pub async fn download_path(
        &self,
        bucket: &str,
        key: &str,
        destination: Destination<'_>,
        tracker: &Tracker,
    ) -> Result<Downloaded> {
        let path = download_target(key, destination);
        if is_prefix(key) {
            return Ok(Downloaded::Folder(
                self.download_prefix(bucket, key, &path, tracker).await?,
            ));
        }
        let source = ObjectRef::new(bucket, key);
        Ok(Downloaded::File(
            self.download_object(&source, &path, tracker).await?,
        ))
    }

    /// Downloads one version of the object `s3://bucket/key` to `destination`, named
    /// as a download of the current version would be.
    pub async fn download_version_path(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        destination: Destination<'_>,
        tracker: &Tracker,
    ) -> Result<DownloadReport> {
        if is_prefix(key) {
            return Err(Error::invalid(
                "version-id",
                format!("`{key}` is a prefix: a version belongs to one object"),
            ));
        }
        let path = download_target(key, destination);
        self.download_version(&ObjectRef::new(bucket, key), version_id, &path, tracker)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_paths() {
        assert_eq!(upload_key("in/", "a b.txt"), "in/a b.txt");
        assert_eq!(upload_key("", "a"), "a");
        assert_eq!(upload_key("exact.txt", "a"), "exact.txt");
        let dir = std::env::temp_dir();
        let d = dir.as_path();
        assert_eq!(
            download_target("x/photos/", Destination::Into(d)),
            d.join("photos")
        );
        assert_eq!(
            download_target("x/a.jpg", Destination::Into(d)),
            d.join("a.jpg")
        );
        assert_eq!(
            download_target("x/photos/", Destination::At(d)),
            d.to_path_buf()
        );
        assert_eq!(
            download_target("x/a.jpg", Destination::At(d)),
            d.join("a.jpg")
        );
        let file = d.join("b.jpg");
        assert_eq!(download_target("x/a.jpg", Destination::At(&file)), file);
        let slash = PathBuf::from(format!("{}/new/", d.display()));
        assert_eq!(
            download_target("x/a.jpg", Destination::At(&slash)),
            slash.join("a.jpg")
        );
    }
}

//! Mapping between object keys and local paths, for folder uploads and prefix
//! downloads. Keys are never allowed to escape the target folder.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The local name of an object or prefix: its last segment, made safe for a file
/// name (`..`, `.` and empty segments become `_`; `\\` and NUL become `_`).
pub fn local_name(key: &str) -> PathBuf {
    let last = key
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let safe: String = last
        .chars()
        .map(|c| if c == '\\' || c == '\0' { '_' } else { c })
        .collect();
    match safe.as_str() {
        "" | "." | ".." => PathBuf::from("_"),
        _ => PathBuf::from(safe),
    }
}

/// The last segment of a key or prefix, for people ("c.txt" for "a/b/c.txt",
/// "photos" for "a/photos/"); empty for an empty key.
pub fn last_segment(key: &str) -> &str {
    key.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// `prefix` as a folder: empty, or ending with `/`.
pub fn as_folder(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

/// The key of a file at `relative` (a path inside an uploaded folder) under `prefix`,
/// with `/` between the parts whatever the platform.
pub fn join_key(prefix: &str, relative: &Path) -> Result<String> {
    let mut key = as_folder(prefix);
    let mut first = true;
    for part in relative.components() {
        let Component::Normal(part) = part else {
            return Err(Error::invalid(
                "path",
                format!("`{}` is not a plain relative path", relative.display()),
            ));
        };
        let part = part.to_str().ok_or_else(|| {
            Error::invalid(
                "file name",
                format!(
                    "`{}` is not valid UTF-8, and S3 keys are UTF-8",
                    relative.display()
                ),
            )
        })?;
        if !first {
            key.push('/');
        }
        key.push_str(part);
        first = false;
    }
    Ok(key)
}

/// Where the object with key `relative` (the part of the key below the downloaded
/// prefix) lands under `root`. Keys that would leave `root` or that have no faithful
/// file name (empty segments from `//`, `.`, `..`, a NUL) are refused, naming the key.
pub fn local_path_for_key(root: &Path, relative: &str) -> Result<PathBuf> {
    let refuse = |why: &str| {
        Err(Error::invalid(
            "object key",
            format!(
                "`{relative}` cannot be saved under `{}`: {why}",
                root.display()
            ),
        ))
    };
    if relative.is_empty() {
        return refuse("the key names the folder itself");
    }
    let mut path = root.to_path_buf();
    for segment in relative.split('/') {
        match segment {
            "" => return refuse("it has an empty path segment (`//` or a leading `/`)"),
            "." | ".." => return refuse("it has a `.` or `..` segment"),
            s if s.contains('\0') => return refuse("it contains a NUL byte"),
            #[cfg(windows)]
            s if s.contains(['\\', ':', '*', '?', '"', '<', '>', '|']) => {
                return refuse("it contains a character Windows file names cannot hold");
            }
            s => path.push(s),
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_are_the_last_segment_and_safe() {
        assert_eq!(local_name("a/b/c.txt"), PathBuf::from("c.txt"));
        assert_eq!(local_name("a/photos/"), PathBuf::from("photos"));
        assert_eq!(local_name("a/../"), PathBuf::from("_"));
        assert_eq!(local_name("a//"), PathBuf::from("a"));
        assert_eq!(local_name("x\\y"), PathBuf::from("x_y"));
        assert_eq!(
            local_name("été 100% + plus"),
            PathBuf::from("été 100% + plus")
        );
        assert_eq!(last_segment("a/photos/"), "photos");
        assert_eq!(last_segment(""), "");
    }

    #[test]
    fn folders_end_in_one_slash() {
        assert_eq!(as_folder("a/photos"), "a/photos/");
        assert_eq!(as_folder("a/photos/"), "a/photos/");
        assert_eq!(as_folder(""), "");
    }

    #[test]
    fn keys_from_paths() {
        assert_eq!(join_key("", Path::new("a/b.txt")).expect("key"), "a/b.txt");
        assert_eq!(
            join_key("p", Path::new("a/b.txt")).expect("key"),
            "p/a/b.txt"
        );
        assert_eq!(
            join_key("p/", Path::new("ü x+%.txt")).expect("key"),
            "p/ü x+%.txt"
        );
        assert!(join_key("p", Path::new("../x")).is_err());
    }

    #[test]
    fn paths_from_keys_stay_inside() {
        let root = Path::new("/tmp/dl");
        assert_eq!(
            local_path_for_key(root, "a/b c+%?#.txt").expect("path"),
            root.join("a").join("b c+%?#.txt")
        );
        for bad in [
            "../etc/passwd",
            "a/../../x",
            "a//b",
            "/abs",
            "./x",
            "",
            "a/",
        ] {
            assert!(local_path_for_key(root, bad).is_err(), "{bad}");
        }
    }
}

//! Keys to file paths and back, for the folder-backed store.
//!
//! The mapping keeps ordinary names as they are, so the folders read naturally in a
//! file manager: the key `photos/cat.jpg` is the file `photos/cat.jpg`. Only what a
//! file system cannot hold is escaped, with `%XX`:
//! - an empty segment (from `//`, a leading `/` or a trailing `/`) is the name `%`;
//! - the segments `.` and `..` become `%2E` and `%2E%2E`;
//! - a `%` is written `%25` when it would otherwise read as an escape or a marker;
//! - NUL (and, on Windows, `\ : * ? " < > |` and control characters) are escaped.
//!
//! Two markers need no escape because an encoded name never produces them:
//! - a segment longer than [`MAX_NAME`] bytes is cut into folders whose names end in
//!   `%+` ("continues in the next component");
//! - when a key is both an object and a folder (`a` and `a/b`), the object `a` lives
//!   in the folder as the file `%@` ([`SELF_FILE`]).

/// The longest file name written (bytes); file systems allow 255.
pub const MAX_NAME: usize = 200;
/// The suffix of a folder that holds the first part of an over-long segment.
pub const CONTINUES: &str = "%+";
/// The file that holds the object whose key is also a folder.
pub const SELF_FILE: &str = "%@";
/// The name of an empty segment.
pub const EMPTY: &str = "%";

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn must_escape(c: char) -> bool {
    if c == '\0' {
        return true;
    }
    if cfg!(windows) {
        return c.is_control() || matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|');
    }
    false
}

/// Encodes one key segment (no `/` inside) as a file name, without length splitting.
pub fn encode_segment(segment: &str) -> String {
    if segment.is_empty() {
        return EMPTY.to_string();
    }
    if segment == "." {
        return "%2E".into();
    }
    if segment == ".." {
        return "%2E%2E".into();
    }
    let bytes = segment.as_bytes();
    let mut out = String::with_capacity(segment.len());
    for (i, c) in segment.char_indices() {
        if c == '%' {
            let next = bytes.get(i + 1).copied();
            let next2 = bytes.get(i + 2).copied();
            let reads_as_escape =
                matches!((next, next2), (Some(a), Some(b)) if is_hex(a) && is_hex(b));
            let reads_as_marker = matches!(next, Some(b'+') | Some(b'@') | None);
            if reads_as_escape || reads_as_marker {
                out.push_str("%25");
                continue;
            }
            out.push('%');
        } else if must_escape(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes a file name back into a key segment. Names Coffer did not write decode
/// leniently: a `%` that starts no escape is a plain `%`.
pub fn decode_segment(name: &str) -> String {
    if name == EMPTY {
        return String::new();
    }
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() && is_hex(bytes[i + 1]) && is_hex(bytes[i + 2]) {
            let hex = &name[i + 1..i + 3];
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| name.to_string())
}

/// Splits an encoded name into components of at most [`MAX_NAME`] bytes, never inside
/// an escape or a character. Every component but the last gets the [`CONTINUES`] suffix.
pub fn split_long(encoded: &str) -> Vec<String> {
    if encoded.len() <= MAX_NAME {
        return vec![encoded.to_string()];
    }
    let mut parts = Vec::new();
    let mut rest = encoded;
    while rest.len() > MAX_NAME {
        let mut cut = MAX_NAME - CONTINUES.len();
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        // Do not cut "%XX" in two.
        let head = &rest.as_bytes()[..cut];
        if let Some(pos) = head.iter().rposition(|&b| b == b'%')
            && pos + 3 > cut
        {
            cut = pos;
        }
        parts.push(format!("{}{CONTINUES}", &rest[..cut]));
        rest = &rest[cut..];
    }
    parts.push(rest.to_string());
    parts
}

/// The path components of a key, relative to its bucket folder.
pub fn key_to_components(key: &str) -> Vec<String> {
    key.split('/')
        .flat_map(|segment| split_long(&encode_segment(segment)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_stay_readable() {
        assert_eq!(
            key_to_components("photos/cat.jpg"),
            vec!["photos", "cat.jpg"]
        );
        assert_eq!(encode_segment("100%.txt"), "100%.txt");
        #[cfg(unix)]
        assert_eq!(encode_segment("a+b c ü?#"), "a+b c ü?#");
    }

    #[test]
    fn odd_segments_round_trip() {
        for s in [
            "", ".", "..", "%", "%25", "%@", "%+", "a%2Fb", "x%", "%%", "100%", "é%41", "a\0b",
        ] {
            let enc = encode_segment(s);
            assert_eq!(decode_segment(&enc), s, "segment {s:?} encoded as {enc:?}");
            assert!(
                enc != SELF_FILE && !enc.ends_with(CONTINUES),
                "{s:?} -> {enc:?}"
            );
        }
        assert_eq!(key_to_components("//x/"), vec!["%", "%", "x", "%"]);
    }

    #[test]
    fn long_segments_are_split() {
        let long = "é".repeat(300) + "%41" + &"z".repeat(300);
        let parts = split_long(&encode_segment(&long));
        assert!(parts.len() > 2);
        let mut joined = String::new();
        for p in &parts {
            assert!(p.len() <= MAX_NAME, "{} bytes", p.len());
            joined.push_str(p.strip_suffix(CONTINUES).unwrap_or(p));
        }
        assert_eq!(decode_segment(&joined), long);
    }
}

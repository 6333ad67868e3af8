//! restic's encryption of repository files and blobs: a random 16-byte nonce,
//! AES-256-CTR, and a Poly1305-AES tag, under the repository's master key.
//!
//! rustic_core keeps its own decryption inside the crate; Coffer needs it for lock
//! files (which rustic does not write) and for restores, which Coffer streams itself
//! to keep memory bounded ([`crate::restore`]).

use std::num::NonZeroU32;

use aes256ctr_poly1305aes::Aes256CtrPoly1305Aes;
use aes256ctr_poly1305aes::aead::{self, Aead, AeadInPlace};
use rand::Rng;
use rustic_core::repofile::MasterKey;

use crate::error::{Error, Result};

/// The cipher of `key`.
fn cipher(key: &MasterKey) -> Aes256CtrPoly1305Aes {
    let mut raw = aes256ctr_poly1305aes::Key::default();
    raw[0..32].copy_from_slice(&key.encrypt);
    raw[32..48].copy_from_slice(&key.mac.k);
    raw[48..64].copy_from_slice(&key.mac.r);
    Aes256CtrPoly1305Aes::new(&raw)
}

/// `plain` encrypted as a repository file (nonce, ciphertext, tag).
pub(crate) fn encrypt(key: &MasterKey, plain: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = aead::Nonce::<Aes256CtrPoly1305Aes>::default();
    rand::rng().fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(plain.len() + 32);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plain);
    let tag = cipher(key)
        .encrypt_in_place_detached(&nonce, &[], &mut out[16..])
        .map_err(|_| crypto_error("encrypting a repository file failed"))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The plaintext of an encrypted `data`, or `None` when it is too short or its tag
/// does not match under `key`.
fn open(key: &MasterKey, data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < 32 {
        return None;
    }
    let nonce = aead::Nonce::<Aes256CtrPoly1305Aes>::from_slice(&data[..16]);
    cipher(key).decrypt(nonce, &data[16..]).ok()
}

/// A whole repository file (a lock, for one) decrypted; format 2 marks a zstd body
/// with a leading 2 (JSON starts with `{`).
pub(crate) fn decrypt_file(key: &MasterKey, data: &[u8]) -> Result<Vec<u8>> {
    let plain = open(key, data).ok_or_else(|| {
        crypto_error("a repository file does not decrypt with this repository's key")
    })?;
    match plain.first() {
        Some(2) => zstd::decode_all(&plain[1..])
            .map_err(|e| crypto_error(&format!("a repository file does not decompress: {e}"))),
        _ => Ok(plain),
    }
}

/// A blob as stored in a pack, decrypted and, when the index gives an uncompressed
/// length, decompressed to exactly that length. `None` when it does not decrypt or
/// decompress: the caller names the pack.
pub(crate) fn decrypt_blob(
    key: &MasterKey,
    data: &[u8],
    uncompressed: Option<NonZeroU32>,
) -> Option<Vec<u8>> {
    let plain = open(key, data)?;
    match uncompressed {
        None => Some(plain),
        Some(len) => {
            let len = len.get() as usize;
            let out = zstd::bulk::decompress(&plain, len).ok()?;
            (out.len() == len).then_some(out)
        }
    }
}

/// An error of the cryptography, in words.
pub(crate) fn crypto_error(message: &str) -> Error {
    Error::Engine {
        code: "cryptography",
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_blobs_round_trip() {
        let key = MasterKey::new();
        let data = encrypt(&key, b"{\"a\":1}").expect("encrypt");
        assert_eq!(decrypt_file(&key, &data).expect("decrypt"), b"{\"a\":1}");
        assert!(decrypt_file(&MasterKey::new(), &data).is_err());

        let body = vec![7u8; 100_000];
        let packed = zstd::bulk::compress(&body, 3).expect("compress");
        let stored = encrypt(&key, &packed).expect("encrypt");
        let len = NonZeroU32::new(100_000);
        assert_eq!(decrypt_blob(&key, &stored, len).as_deref(), Some(&body[..]));
        // A wrong length, a flipped byte or a short blob is refused, never guessed.
        assert!(decrypt_blob(&key, &stored, NonZeroU32::new(99_999)).is_none());
        let mut flipped = stored.clone();
        flipped[20] ^= 1;
        assert!(decrypt_blob(&key, &flipped, len).is_none());
        assert!(decrypt_blob(&key, &stored[..20], None).is_none());
    }
}

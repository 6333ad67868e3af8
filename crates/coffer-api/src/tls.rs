//! Native TLS for the TCP listener (`coffer serve --tls`, `coffer agent --listen …
//! --tls`), with rustls.
//!
//! - `--tls`: a self-signed certificate made at first start (rcgen) and kept in the
//!   data dir (`tls/cert.pem`, `tls/key.pem`, the key readable by the user only), so
//!   that its fingerprint stays the same from one start to the next.
//! - `--tls-cert PATH --tls-key PATH`: the user's own certificate chain and key.
//!
//! Clients pin the certificate's SHA-256 fingerprint
//! ([`coffer_core::agent::pin::fingerprint`]) when they add a remote agent (trust on
//! first use); `--print-token` prints it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_core::agent::pin::fingerprint;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{ApiError, ApiResult};

/// A listener's TLS: the rustls server config and the certificate's fingerprint.
#[derive(Clone)]
pub struct Tls {
    /// The server config.
    pub config: Arc<rustls::ServerConfig>,
    /// The SHA-256 fingerprint of the leaf certificate (`AB:CD:…`).
    pub fingerprint: String,
    /// Where the certificate is.
    pub cert_path: PathBuf,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("fingerprint", &self.fingerprint)
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request(message)
}

/// The self-signed certificate of the data dir (`DATA_DIR/tls`), made on first use.
pub fn self_signed(data_dir: &Path) -> ApiResult<Tls> {
    let dir = data_dir.join("tls");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if !cert.exists() || !key.exists() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| bad(format!("cannot create {}: {e}", dir.display())))?;
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
            let host = host.trim();
            if !host.is_empty() {
                names.push(host.to_string());
            }
        }
        let made = rcgen::generate_simple_self_signed(names)
            .map_err(|e| bad(format!("cannot make a certificate: {e}")))?;
        write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
        std::fs::write(&cert, made.cert.pem())
            .map_err(|e| bad(format!("cannot write {}: {e}", cert.display())))?;
        tracing::info!(cert = %cert.display(), "made a self-signed TLS certificate");
    }
    from_files(&cert, &key)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> ApiResult<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| bad(format!("cannot write {}: {e}", path.display())))?;
    file.write_all(bytes)
        .map_err(|e| bad(format!("cannot write {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> ApiResult<()> {
    std::fs::write(path, bytes).map_err(|e| bad(format!("cannot write {}: {e}", path.display())))
}

/// A certificate chain and key from PEM files.
pub fn from_files(cert: &Path, key: &Path) -> ApiResult<Tls> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| {
            bad(format!(
                "cannot read the certificate {}: {e}",
                cert.display()
            ))
        })?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("{} is not a PEM certificate: {e}", cert.display())))?;
    let Some(leaf) = chain.first() else {
        return Err(bad(format!("{} holds no certificate", cert.display())));
    };
    let fingerprint = fingerprint(leaf.as_ref());
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        bad(format!(
            "cannot read the private key {}: {e}",
            key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(format!("the certificate and key do not go together: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        fingerprint,
        cert_path: cert.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let first = self_signed(dir.path()).expect("made");
        let again = self_signed(dir.path()).expect("read back");
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().expect("dir");
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "not a certificate").expect("write");
        let e = from_files(&cert, &cert).expect_err("refused");
        assert!(e.to_string().contains("c.pem"), "{e}");
    }
}

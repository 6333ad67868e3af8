//! Certificate pinning for remote agents: the agent's certificate is trusted when its
//! SHA-256 fingerprint is the one recorded when the agent was added (trust on first
//! use), whatever CA signed it and whatever names it carries. A self-signed
//! certificate made by `coffer serve --tls` is the common case.

use std::sync::{Arc, Mutex};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// The SHA-256 fingerprint of a DER certificate: upper-case hex pairs joined by `:`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A fingerprint as a user may write it (any case, `:` or not, a `SHA256:` prefix),
/// normalized; `None` unless it is 32 bytes of hex.
pub fn normalize(given: &str) -> Option<String> {
    let hex: String = given
        .trim()
        .trim_start_matches("SHA256:")
        .trim_start_matches("sha256:")
        .chars()
        .filter(|c| *c != ':')
        .collect();
    let bytes = hex::decode(hex).ok()?;
    (bytes.len() == 32).then(|| {
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    })
}

/// What the verifier saw in the last handshake.
#[derive(Debug, Default)]
pub struct Seen {
    fingerprint: Mutex<Option<String>>,
    refused: Mutex<Option<String>>,
}

impl Seen {
    /// The fingerprint of the last certificate shown.
    pub fn get(&self) -> Option<String> {
        self.fingerprint
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Why the last certificate was refused, in words, if it was.
    pub fn refused(&self) -> Option<String> {
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Accepts the certificate whose fingerprint is pinned (or any, recording it, when
/// none is pinned yet); signatures are still checked with the certificate's key.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: Option<String>,
    seen: Arc<Seen>,
    provider: Arc<CryptoProvider>,
}

impl PinnedVerifier {
    /// A verifier for `pin` (normalized, or none yet), recording into `seen`.
    pub fn new(pin: Option<String>, seen: Arc<Seen>) -> Self {
        PinnedVerifier {
            pin: pin.as_deref().and_then(normalize).or(pin),
            seen,
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let shown = fingerprint(end_entity.as_ref());
        *self
            .seen
            .fingerprint
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(shown.clone());
        match &self.pin {
            Some(pin) if *pin != shown => {
                let why = format!(
                    "the remote agent's certificate changed: it was SHA256 {pin}, it is now \
                     SHA256 {shown}; if the agent made a new certificate on purpose, remove \
                     the remote and add it again, else do not trust this connection"
                );
                *self.seen.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
                Err(rustls::Error::General(why))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_normalize() {
        let n = normalize(&"ab".repeat(32)).expect("valid");
        assert_eq!(n, ["AB"; 32].join(":"));
        assert_eq!(normalize(&format!("SHA256:{n}")), Some(n.clone()));
        assert_eq!(normalize(&n.to_lowercase()), Some(n));
        assert_eq!(normalize("abc"), None);
    }
}

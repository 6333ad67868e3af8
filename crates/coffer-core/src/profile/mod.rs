//! Connection profiles: where an S3 endpoint is and how to sign in to it.
//!
//! A profile is stored in the `MetaDb` without any secret; its secret access key and
//! session token live only in the `SecretStore` (the OS keychain). The `local` profile
//! always exists and is never stored.

mod aws_import;
mod draft;
mod profiles;

pub use aws_import::{AwsImport, import_aws_profile, list_aws_profiles};
pub use draft::ProfileDraft;
pub use profiles::Profiles;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sensitive::Sensitive;

/// The name of the built-in profile backed by folders in the data dir.
pub const LOCAL_PROFILE: &str = "local";

/// How bucket names go into request URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Addressing {
    /// `https://bucket.host/key`: AWS's default.
    #[default]
    VirtualHost,
    /// `https://host/bucket/key`: what MinIO, Garage and most self-hosted servers want.
    Path,
}

/// Where a profile's credentials come from. Never holds a secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CredentialRef {
    /// An access key id, with the secret (and optional session token) in the keychain.
    Keychain {
        /// The access key id (not a secret).
        access_key_id: String,
        /// Whether a session token is stored too.
        #[serde(default)]
        has_session_token: bool,
    },
    /// Resolved at each use by aws-config from this profile of `~/.aws/config` and
    /// `~/.aws/credentials` (SSO, assume-role and credential_process included).
    AwsProfile {
        /// The AWS profile name.
        name: String,
    },
    /// The standard `AWS_*` environment variables at each use.
    Environment,
    /// Unsigned requests (public buckets).
    Anonymous,
    /// The `local` profile: no credentials.
    Local,
    /// A profile of a remote agent (`remote/AGENT/PROFILE`): the agent holds the
    /// credentials, and requests go through it.
    Agent {
        /// The remote agent's name.
        agent: String,
    },
}

impl CredentialRef {
    /// A short human description ("keychain (AKIA...)").
    pub fn describe(&self) -> String {
        match self {
            CredentialRef::Keychain {
                access_key_id,
                has_session_token,
            } => {
                let token = if *has_session_token {
                    " + session token"
                } else {
                    ""
                };
                format!("access key {access_key_id}, secret in the OS keychain{token}")
            }
            CredentialRef::AwsProfile { name } => format!("AWS profile `{name}` (aws-config)"),
            CredentialRef::Environment => "AWS_* environment variables".into(),
            CredentialRef::Anonymous => "anonymous (unsigned requests)".into(),
            CredentialRef::Local => "none (local folders)".into(),
            CredentialRef::Agent { agent } => {
                format!("held by the remote agent `{agent}` (requests go through it)")
            }
        }
    }
}

/// A saved connection profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Unique name.
    pub name: String,
    /// The endpoint URL; `None` means AWS S3.
    pub endpoint: Option<String>,
    /// The default region (used when a bucket's region cannot be detected).
    pub region: Option<String>,
    /// Path-style or virtual-host addressing.
    pub addressing: Addressing,
    /// Where the credentials are.
    pub credentials: CredentialRef,
}

impl Profile {
    /// The built-in `local` profile.
    pub fn local() -> Self {
        Profile {
            name: LOCAL_PROFILE.into(),
            endpoint: None,
            region: None,
            addressing: Addressing::Path,
            credentials: CredentialRef::Local,
        }
    }

    /// Whether this is the built-in `local` profile.
    pub fn is_local(&self) -> bool {
        self.credentials == CredentialRef::Local
    }

    /// The endpoint for messages ("AWS S3" when none is set).
    pub fn endpoint_display(&self) -> String {
        match (&self.endpoint, self.is_local()) {
            (_, true) => "local folders".into(),
            (Some(url), _) => url.clone(),
            (None, _) => "AWS S3".into(),
        }
    }
}

/// Credentials ready to sign with; produced from a [`CredentialRef`] at use time.
#[derive(Debug, Clone)]
pub enum ResolvedCredentials {
    /// Fixed keys (from the keychain or the environment).
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Sensitive<String>,
        /// Session token, for temporary credentials.
        session_token: Option<Sensitive<String>>,
    },
    /// Let aws-config resolve this AWS profile.
    AwsProfile(String),
    /// Unsigned requests.
    Anonymous,
}

/// Checks a profile name: 1–64 characters of letters, digits, `-`, `_` and `.`.
pub fn validate_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "profile name",
            format!("`{name}`: use 1 to 64 letters, digits, `-`, `_` or `.`"),
        ))
    }
}

/// Checks an endpoint URL: `http` or `https`, with a host, and nothing after the path.
pub fn validate_endpoint(endpoint: &str) -> Result<String> {
    let url = url::Url::parse(endpoint).map_err(|e| {
        Error::invalid(
            "endpoint URL",
            format!("`{endpoint}`: {e} (write it like https://s3.example.com:9000)"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "endpoint URL",
            format!("`{endpoint}`: the scheme must be http or https"),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(
            "endpoint URL",
            format!("`{endpoint}`: no host name"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "endpoint URL",
            format!("`{endpoint}`: an endpoint has no query or fragment"),
        ));
    }
    Ok(endpoint.trim_end_matches('/').to_string())
}

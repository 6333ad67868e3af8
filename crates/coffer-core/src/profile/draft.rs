//! [`ProfileDraft`]: what a user gives to create a profile.

use super::{
    Addressing, AwsImport, CredentialRef, LOCAL_PROFILE, Profile, validate_endpoint,
    validate_profile_name,
};
use crate::error::{Error, Result};
use crate::sensitive::Sensitive;

/// The fields of a new profile, before validation. Secrets travel as [`Sensitive`].
#[derive(Debug, Clone, Default)]
pub struct ProfileDraft {
    /// Profile name.
    pub name: String,
    /// Endpoint URL; `None` for AWS.
    pub endpoint: Option<String>,
    /// Default region.
    pub region: Option<String>,
    /// `Some(true)` for path-style; `None` chooses path-style for IP and localhost
    /// endpoints and virtual-host otherwise.
    pub path_style: Option<bool>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<Sensitive<String>>,
    /// Session token.
    pub session_token: Option<Sensitive<String>>,
    /// An AWS profile to resolve at use time (when it has no fixed keys).
    pub aws_profile: Option<String>,
    /// Sign nothing (public buckets).
    pub anonymous: bool,
}

/// A built draft: the profile, its secret access key and its session token.
pub(crate) type Built = (
    Profile,
    Option<Sensitive<String>>,
    Option<Sensitive<String>>,
);

impl ProfileDraft {
    /// Fills what is still empty from the standard AWS environment variables
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`).
    pub fn fill_from_env(&mut self) {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if self.access_key_id.is_none() && self.aws_profile.is_none() && !self.anonymous {
            self.access_key_id = var("AWS_ACCESS_KEY_ID");
        }
        if self.access_key_id.is_some() {
            if self.secret_access_key.is_none() {
                self.secret_access_key = var("AWS_SECRET_ACCESS_KEY").map(Sensitive::new);
            }
            if self.session_token.is_none() {
                self.session_token = var("AWS_SESSION_TOKEN").map(Sensitive::new);
            }
        }
        if self.region.is_none() {
            self.region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
        }
        if self.endpoint.is_none() {
            self.endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
        }
    }

    /// Takes region, endpoint and keys from an AWS profile where the draft has none.
    pub fn apply_aws_import(&mut self, import: AwsImport) {
        let has_static = import.has_static_keys();
        self.region = self.region.take().or(import.region);
        self.endpoint = self.endpoint.take().or(import.endpoint);
        if self.access_key_id.is_none() {
            if has_static {
                self.access_key_id = import.access_key_id;
                self.secret_access_key = import.secret_access_key;
                self.session_token = import.session_token;
            } else {
                self.aws_profile = Some(import.name);
            }
        }
    }

    /// Validates the draft and splits it into the profile and its secrets.
    pub(crate) fn build(self) -> Result<Built> {
        validate_profile_name(&self.name)?;
        if self.name == LOCAL_PROFILE {
            return Err(Error::invalid(
                "profile name",
                "`local` is the built-in profile over folders in the data dir; choose another name",
            ));
        }
        let endpoint = self
            .endpoint
            .as_deref()
            .map(validate_endpoint)
            .transpose()?;
        if let Some(region) = &self.region
            && (region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(Error::invalid(
                "region",
                format!("`{region}`: a region looks like eu-west-2"),
            ));
        }
        let path_style = self
            .path_style
            .unwrap_or_else(|| endpoint.as_deref().is_some_and(is_local_or_ip));
        let (credentials, secret, token) = match (self.access_key_id, self.anonymous) {
            (Some(id), _) => {
                let id = id.trim().to_string();
                if id.is_empty() {
                    return Err(Error::invalid("access key id", "it is empty"));
                }
                let secret = self
                    .secret_access_key
                    .filter(|s| !s.expose().is_empty())
                    .ok_or_else(|| {
                        Error::invalid(
                            "credentials",
                            "an access key id needs its secret: pipe it to --secret-stdin \
                             or set AWS_SECRET_ACCESS_KEY",
                        )
                    })?;
                let token = self.session_token.filter(|t| !t.expose().is_empty());
                (
                    CredentialRef::Keychain {
                        access_key_id: id,
                        has_session_token: token.is_some(),
                    },
                    Some(secret),
                    token,
                )
            }
            (None, true) => (CredentialRef::Anonymous, None, None),
            (None, false) => match self.aws_profile {
                Some(name) => (CredentialRef::AwsProfile { name }, None, None),
                None => {
                    return Err(Error::invalid(
                        "credentials",
                        "none given: pass --access-key-id with --secret-stdin, \
                         --from-aws-profile NAME, or --anonymous",
                    ));
                }
            },
        };
        let profile = Profile {
            name: self.name,
            endpoint,
            region: self.region,
            addressing: if path_style {
                Addressing::Path
            } else {
                Addressing::VirtualHost
            },
            credentials,
        };
        Ok((profile, secret, token))
    }
}

/// Whether an endpoint's host is an IP address or `localhost`, where virtual-host
/// addressing cannot work.
fn is_local_or_ip(endpoint: &str) -> bool {
    match url::Url::parse(endpoint) {
        Ok(url) => match url.host() {
            Some(url::Host::Ipv4(_)) | Some(url::Host::Ipv6(_)) => true,
            Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
            None => false,
        },
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProfileDraft {
        ProfileDraft {
            name: "work".into(),
            endpoint: Some("http://127.0.0.1:9000/".into()),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some(Sensitive::new("s".into())),
            ..Default::default()
        }
    }

    #[test]
    fn builds_a_keychain_profile() {
        let (p, secret, token) = draft().build().expect("valid");
        assert_eq!(p.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(p.addressing, Addressing::Path);
        assert!(secret.is_some());
        assert!(token.is_none());
        let json = serde_json::to_string(&p).expect("json");
        assert!(
            !json.contains("\"s\""),
            "no secret in the stored record: {json}"
        );
    }

    #[test]
    fn refuses_bad_drafts() {
        let mut d = draft();
        d.secret_access_key = None;
        assert!(d.build().is_err());
        let mut d = draft();
        d.name = "local".into();
        assert!(d.build().is_err());
        let mut d = draft();
        d.endpoint = Some("ftp://x".into());
        assert!(d.build().is_err());
        let mut d = draft();
        d.access_key_id = None;
        assert!(d.build().is_err());
        let mut d = draft();
        d.name = "bad name".into();
        assert!(d.build().is_err());
    }

    #[test]
    fn aws_hosts_default_to_virtual_host() {
        let mut d = draft();
        d.endpoint = Some("https://s3.eu-west-2.amazonaws.com".into());
        let (p, _, _) = d.build().expect("valid");
        assert_eq!(p.addressing, Addressing::VirtualHost);
    }
}

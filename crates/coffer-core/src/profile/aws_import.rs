//! Importing a profile from `~/.aws/config` and `~/.aws/credentials`, through
//! aws-config's own parser (so `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`
//! are honoured as the AWS tools honour them).

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use crate::error::{Error, Result};
use crate::sensitive::Sensitive;

/// What an AWS profile provides.
#[derive(Debug, Clone, Default)]
pub struct AwsImport {
    /// The AWS profile name.
    pub name: String,
    /// `region`, if set.
    pub region: Option<String>,
    /// `endpoint_url`, if set.
    pub endpoint: Option<String>,
    /// `aws_access_key_id`, if the profile has static keys.
    pub access_key_id: Option<String>,
    /// `aws_secret_access_key`, if the profile has static keys.
    pub secret_access_key: Option<Sensitive<String>>,
    /// `aws_session_token`, if set.
    pub session_token: Option<Sensitive<String>>,
}

impl AwsImport {
    /// Whether the profile holds fixed keys that can be copied into the keychain.
    /// Otherwise (SSO, assume-role, credential_process) Coffer keeps a reference and
    /// lets aws-config resolve it at each use.
    pub fn has_static_keys(&self) -> bool {
        self.access_key_id.is_some() && self.secret_access_key.is_some()
    }
}

/// Reads one AWS profile.
pub async fn import_aws_profile(name: &str) -> Result<AwsImport> {
    let set = load_aws_files(Some(name)).await?;
    let profile = set.get_profile(name).ok_or_else(|| {
        Error::invalid(
            "AWS profile",
            format!(
                "`{name}` is not in ~/.aws/config or ~/.aws/credentials \
                 (or the files named by AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)"
            ),
        )
    })?;
    let get = |key: &str| {
        profile
            .get(key)
            .map(str::to_string)
            .filter(|v| !v.is_empty())
    };
    Ok(AwsImport {
        name: name.to_string(),
        region: get("region"),
        endpoint: get("endpoint_url"),
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key").map(Sensitive::new),
        session_token: get("aws_session_token").map(Sensitive::new),
    })
}

/// The names of the AWS profiles in `~/.aws/config` and `~/.aws/credentials` (or the
/// files `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` name), sorted; empty when
/// there are no such files.
pub async fn list_aws_profiles() -> Result<Vec<String>> {
    let set = load_aws_files(None).await?;
    let mut names: Vec<String> = set.profiles().map(str::to_string).collect();
    names.sort();
    Ok(names)
}

/// The AWS config and credentials files, parsed (`selected`: the profile to resolve).
async fn load_aws_files(selected: Option<&str>) -> Result<aws_config::profile::ProfileSet> {
    aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        selected.map(|name| Cow::Owned(name.to_string())),
    )
    .await
    .map_err(|e| {
        Error::invalid(
            "AWS profile",
            format!("cannot read the AWS config files: {e}"),
        )
    })
}

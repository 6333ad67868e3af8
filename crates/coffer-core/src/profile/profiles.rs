//! [`Profiles`]: the saved profiles and their secrets.

use std::sync::Arc;

use super::{CredentialRef, LOCAL_PROFILE, Profile, ProfileDraft, ResolvedCredentials};
use crate::error::{Error, Result};
use crate::meta::{MetaDb, MetaDbExt, TREE_PROFILES};
use crate::secret::{SecretStore, secret_key_name, session_token_name};
use crate::sensitive::Sensitive;

/// Profiles in the `MetaDb`, secrets in the `SecretStore`.
#[derive(Debug, Clone)]
pub struct Profiles {
    db: Arc<dyn MetaDb>,
    secrets: Arc<dyn SecretStore>,
}

impl Profiles {
    /// Profiles over a database and a secret store.
    pub fn new(db: Arc<dyn MetaDb>, secrets: Arc<dyn SecretStore>) -> Self {
        Profiles { db, secrets }
    }

    /// Every profile, `local` first, then by name.
    pub fn list(&self) -> Result<Vec<Profile>> {
        let mut out = vec![Profile::local()];
        out.extend(
            self.db
                .scan_json::<Profile>(TREE_PROFILES, "")?
                .into_iter()
                .map(|(_, p)| p),
        );
        Ok(out)
    }

    /// One profile by name.
    pub fn get(&self, name: &str) -> Result<Profile> {
        if name == LOCAL_PROFILE {
            return Ok(Profile::local());
        }
        self.db
            .get_json::<Profile>(TREE_PROFILES, name)?
            .ok_or_else(|| Error::ProfileNotFound(name.to_string()))
    }

    /// Saves a new profile. Secrets go to the keychain first; if that fails, nothing is
    /// saved at all. With `replace`, an existing profile of that name is overwritten.
    pub fn add(&self, draft: ProfileDraft, replace: bool) -> Result<Profile> {
        let (profile, secret, token) = draft.build()?;
        if !replace
            && self
                .db
                .get(TREE_PROFILES, profile.name.as_bytes())?
                .is_some()
        {
            return Err(Error::ProfileExists(profile.name));
        }
        if let Some(secret) = &secret {
            self.secrets.set(&secret_key_name(&profile.name), secret)?;
        }
        match &token {
            Some(token) => self
                .secrets
                .set(&session_token_name(&profile.name), token)?,
            None => self.secrets.delete(&session_token_name(&profile.name))?,
        }
        self.db.put_json(TREE_PROFILES, &profile.name, &profile)?;
        self.db.flush()?;
        tracing::info!(profile = %profile.name, "profile saved");
        Ok(profile)
    }

    /// Removes a profile and its secrets.
    pub fn remove(&self, name: &str) -> Result<()> {
        if name == LOCAL_PROFILE {
            return Err(Error::invalid(
                "profile",
                "the built-in `local` profile cannot be removed",
            ));
        }
        let profile = self.get(name)?;
        if matches!(profile.credentials, CredentialRef::Keychain { .. }) {
            self.secrets.delete(&secret_key_name(name))?;
            self.secrets.delete(&session_token_name(name))?;
        }
        self.db.delete(TREE_PROFILES, name.as_bytes())?;
        self.db.flush()?;
        tracing::info!(profile = name, "profile removed");
        Ok(())
    }

    /// The credentials to sign with, read from the keychain (or the environment) now.
    pub fn resolve_credentials(&self, profile: &Profile) -> Result<ResolvedCredentials> {
        match &profile.credentials {
            CredentialRef::Keychain {
                access_key_id,
                has_session_token,
            } => {
                let secret = self
                    .secrets
                    .get(&secret_key_name(&profile.name))?
                    .ok_or_else(|| Error::SecretMissing {
                        profile: profile.name.clone(),
                    })?;
                let session_token = if *has_session_token {
                    self.secrets.get(&session_token_name(&profile.name))?
                } else {
                    None
                };
                Ok(ResolvedCredentials::Static {
                    access_key_id: access_key_id.clone(),
                    secret_access_key: secret,
                    session_token,
                })
            }
            CredentialRef::AwsProfile { name } => Ok(ResolvedCredentials::AwsProfile(name.clone())),
            CredentialRef::Environment => {
                let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
                match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                    (Some(id), Some(secret)) => Ok(ResolvedCredentials::Static {
                        access_key_id: id,
                        secret_access_key: Sensitive::new(secret),
                        session_token: var("AWS_SESSION_TOKEN").map(Sensitive::new),
                    }),
                    _ => Err(Error::invalid(
                        "credentials",
                        format!(
                            "profile `{}` reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                             from the environment, and they are not set",
                            profile.name
                        ),
                    )),
                }
            }
            CredentialRef::Anonymous | CredentialRef::Local => Ok(ResolvedCredentials::Anonymous),
            CredentialRef::Agent { agent } => Err(Error::invalid(
                "credentials",
                format!(
                    "profile `{}` is the remote agent `{agent}`'s: its credentials stay there",
                    profile.name
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::MemoryDb;
    use crate::secret::MemorySecretStore;

    fn profiles() -> (Profiles, Arc<MemorySecretStore>) {
        let secrets = Arc::new(MemorySecretStore::default());
        (
            Profiles::new(Arc::new(MemoryDb::default()), secrets.clone()),
            secrets,
        )
    }

    fn draft(name: &str) -> ProfileDraft {
        ProfileDraft {
            name: name.into(),
            endpoint: Some("http://localhost:9000".into()),
            region: Some("garage".into()),
            access_key_id: Some("GKabc".into()),
            secret_access_key: Some(Sensitive::new("topsecret".into())),
            session_token: Some(Sensitive::new("tok".into())),
            ..Default::default()
        }
    }

    #[test]
    fn add_list_resolve_remove() {
        let (p, secrets) = profiles();
        p.add(draft("work"), false).expect("add");
        assert!(matches!(
            p.add(draft("work"), false),
            Err(Error::ProfileExists(_))
        ));
        let names: Vec<_> = p
            .list()
            .expect("list")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, vec!["local", "work"]);
        let work = p.get("work").expect("get");
        match p.resolve_credentials(&work).expect("resolve") {
            ResolvedCredentials::Static {
                secret_access_key,
                session_token,
                ..
            } => {
                assert_eq!(secret_access_key.expose(), "topsecret");
                assert_eq!(
                    session_token.map(|t| t.expose().clone()),
                    Some("tok".into())
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        p.remove("work").expect("remove");
        assert!(
            secrets
                .get(&secret_key_name("work"))
                .expect("get")
                .is_none()
        );
        assert!(matches!(p.get("work"), Err(Error::ProfileNotFound(_))));
        assert!(p.remove("local").is_err());
    }

    #[test]
    fn a_missing_secret_is_named() {
        let (p, secrets) = profiles();
        p.add(draft("work"), false).expect("add");
        secrets.delete(&secret_key_name("work")).expect("delete");
        let work = p.get("work").expect("get");
        let err = p.resolve_credentials(&work).expect_err("missing");
        assert!(err.to_string().contains("work"), "{err}");
    }
}

//! Remote agents the user added: a name, a URL and the pinned fingerprint of the
//! agent's certificate, saved in the local database (tree [`TREE`]); the agent's API
//! token is saved in the keychain only. The CLI (`coffer remote …`, `--remote NAME`)
//! and the desktop's agent switcher share them.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::client::Client;
use super::store::AgentStore;
use crate::Sensitive;
use crate::error::{Error, Result};
use crate::meta::MetaDbExt;
use crate::profile::{Addressing, CredentialRef, Profile};
use crate::session::Session;
use crate::store::{RetryPolicy, RetryStore, Store};

/// The meta-db tree of remote agents, keyed by name.
pub const TREE: &str = "remotes";

/// A remote agent as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAgent {
    /// Its name.
    pub name: String,
    /// Its URL (`https://host:port`).
    pub url: String,
    /// The pinned SHA-256 fingerprint of its certificate (`None`: plain http on this
    /// machine).
    pub fingerprint: Option<String>,
}

fn token_name(name: &str) -> String {
    format!("remote/{name}/token")
}

/// Checks a remote agent's name: letters, digits, `-`, `_` and `.`.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid(
            "remote agent name",
            format!("`{name}`: use 1 to 64 letters, digits, `-`, `_` and `.`"),
        ));
    }
    Ok(())
}

/// Every remote agent, by name.
pub fn list(session: &Session) -> Result<Vec<RemoteAgent>> {
    Ok(session
        .db()
        .scan_json::<RemoteAgent>(TREE, "")?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// A client of the remote agent called `name`.
pub fn client(session: &Session, name: &str) -> Result<Client> {
    let Some(remote) = session.db().get_json::<RemoteAgent>(TREE, name)? else {
        return Err(Error::invalid(
            "remote agent",
            format!("no remote agent `{name}`; `coffer remote add` adds one"),
        ));
    };
    let token = session.secrets().get(&token_name(name))?.ok_or_else(|| {
        Error::invalid(
            "remote agent",
            format!("the token of `{name}` is not in the keychain; remove it and add it again"),
        )
    })?;
    Client::remote(&remote.url, token, remote.fingerprint.clone())
}

/// Checks that the agent at `url` answers with `token` (and, when `fingerprint` is
/// given, shows that certificate), then saves it, pinning the certificate it showed.
/// Returns what was saved. A bad name, URL, token or fingerprint is
/// `Error::InvalidInput`; the agent's refusals (token, certificate) are `Error::Agent`.
pub async fn add(
    session: &Session,
    name: &str,
    url: &str,
    token: Sensitive<String>,
    fingerprint: Option<String>,
) -> Result<RemoteAgent> {
    validate_name(name)?;
    if token.expose().trim().is_empty() {
        return Err(Error::invalid("agent token", "the token is empty"));
    }
    let pin = match &fingerprint {
        Some(given) => Some(super::pin::normalize(given).ok_or_else(|| {
            Error::invalid(
                "fingerprint",
                format!("`{given}` is not a SHA-256 fingerprint (64 hex digits)"),
            )
        })?),
        None => None,
    };
    let client = Client::remote(url, Sensitive::new(token.expose().clone()), pin.clone())?;
    let (status, body) = client
        .request(http::Method::GET, "/api/v1/jobs/kinds", None)
        .await?;
    match status {
        200 => {}
        401 => {
            return Err(Error::Agent {
                code: "unauthorized".into(),
                message: format!(
                    "the agent at {url} refused the token: give the one `coffer serve \
                     --print-token` shows on that machine"
                ),
            });
        }
        _ => {
            return Err(Error::Agent {
                code: "agent".into(),
                message: format!(
                    "the agent at {url} answered {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ),
            });
        }
    }
    let remote = RemoteAgent {
        name: name.to_string(),
        url: url.to_string(),
        fingerprint: pin.or_else(|| client.seen_fingerprint()),
    };
    session.secrets().set(&token_name(name), &token)?;
    session.db().put_json(TREE, name, &remote)?;
    Ok(remote)
}

/// Removes a remote agent and its token; `false` if there was none of that name.
pub fn remove(session: &Session, name: &str) -> Result<bool> {
    if session.db().get(TREE, name.as_bytes())?.is_none() {
        return Ok(false);
    }
    session.db().delete(TREE, name.as_bytes())?;
    session.secrets().delete(&token_name(name))?;
    Ok(true)
}

/// How this machine names profile `profile` of the remote agent `agent` (in jobs that
/// read or write local files against it, and in resume records): `remote/AGENT/PROFILE`.
/// No local profile can have that name (theirs have no `/`).
pub fn profile_ref(agent: &str, profile: &str) -> String {
    format!("remote/{agent}/{profile}")
}

/// The agent and the profile of a `remote/AGENT/PROFILE` name; `None` for any other.
pub fn split_profile_ref(name: &str) -> Option<(&str, &str)> {
    let (agent, profile) = name.strip_prefix("remote/")?.split_once('/')?;
    (!agent.is_empty() && !profile.is_empty()).then_some((agent, profile))
}

/// Profile `profile` of the remote agent `agent` as this machine uses it: a profile
/// named `remote/AGENT/PROFILE` (its credentials stay with the agent) and an
/// [`AgentStore`] with retries. Nothing is sent until the store is used.
pub fn remote_profile(
    session: &Session,
    agent: &str,
    profile: &str,
) -> Result<(Profile, Arc<dyn Store>)> {
    let client = client(session, agent)?;
    let url = session
        .db()
        .get_json::<RemoteAgent>(TREE, agent)?
        .map(|r| r.url);
    let as_here = Profile {
        name: profile_ref(agent, profile),
        endpoint: url,
        region: None,
        addressing: Addressing::Path,
        credentials: CredentialRef::Agent {
            agent: agent.to_string(),
        },
    };
    let store: Arc<dyn Store> = Arc::new(RetryStore::new(
        Arc::new(AgentStore::new(client, agent, profile)),
        RetryPolicy::default(),
    ));
    Ok((as_here, store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_refs() {
        assert_eq!(profile_ref("nas", "work"), "remote/nas/work");
        assert_eq!(split_profile_ref("remote/nas/work"), Some(("nas", "work")));
        assert_eq!(split_profile_ref("remote/nas/"), None);
        assert_eq!(split_profile_ref("work"), None);
        assert_eq!(split_profile_ref("remote/nas"), None);
    }
}

//! What every command needs: the session, the chosen profile, its store and
//! transfer engine, and Ctrl-C wired to cancellation.
//!
//! With `--remote NAME` the profile is one of that agent's, and its store is an
//! [`AgentStore`]: every command runs the same code on it, and the bytes go through
//! the agent. Resume records of uploads stay in this machine's database (the source
//! files are here), under `remote/NAME/PROFILE`.

use std::sync::Arc;

use anyhow::Result;
use coffer_core::agent::{AgentStore, Client, remotes};
use coffer_core::profile::Profile;
use coffer_core::session::Session;
use coffer_core::store::{RetryPolicy, RetryStore, Store};
use coffer_core::transfer::{TransferConfig, Transfers};
use coffer_core::uri::S3Url;
use tokio_util::sync::CancellationToken;

use crate::agent_api::{AgentApi, profile_path};
use crate::cli::TuneArgs;

/// A mistake in how the command was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Fails with a usage error.
pub fn usage<T>(message: impl Into<String>) -> Result<T> {
    Err(UsageError(message.into()).into())
}

/// An `s3://` URL, or a usage error naming the argument.
pub fn s3_url(input: &str) -> Result<S3Url> {
    S3Url::parse(input).map_err(|e| UsageError(e.to_string()).into())
}

/// The bucket of an `s3://bucket` argument; a key after it is a usage error.
pub fn s3_bucket(input: &str) -> Result<String> {
    let url = s3_url(input)?;
    if !url.key.is_empty() {
        return usage(format!("`{input}`: give a bucket only, as s3://bucket"));
    }
    Ok(url.bucket)
}

/// The session with the chosen profile.
pub struct Context {
    pub session: Session,
    pub profile: Profile,
    /// The remote agent whose profile this is (`--remote`), with a client of it.
    remote: Option<(String, Client)>,
}

impl Context {
    /// Opens the data dir and looks the profile up: here, or on the remote agent.
    pub async fn open(profile: &str, remote: Option<&str>) -> Result<Self> {
        let session = Session::connect_default()?;
        let Some(name) = remote else {
            let profile = session.profiles().get(profile)?;
            return Ok(Context {
                session,
                profile,
                remote: None,
            });
        };
        let client = remotes::client(&session, name)?;
        let api = AgentApi::Agent(client.clone());
        let profile: Profile =
            serde_json::from_value(api.call("GET", &profile_path(profile), None).await?)?;
        tracing::info!(agent = name, profile = %profile.name, "working on the remote agent");
        Ok(Context {
            session,
            profile,
            remote: Some((name.to_string(), client)),
        })
    }

    /// The profile's store. Writes to an indexed bucket update the bucket index
    /// (the agent's, when one owns the data dir); with `--remote`, the remote agent
    /// keeps its own index current.
    pub fn store(&self) -> Result<Arc<dyn Store>> {
        match &self.remote {
            None => {
                let store = self.session.store(&self.profile)?;
                let sink: Arc<dyn coffer_index::ChangeSink> = match self.session.owner() {
                    Some(_) => Arc::new(crate::index_sink::AgentSink::new(Client::new(
                        self.session.data_dir().agent_socket(),
                    ))),
                    None => Arc::new(crate::index_sink::LocalSink::new(
                        self.session.data_dir().index(),
                    )),
                };
                Ok(Arc::new(coffer_index::IndexingStore::new(
                    store,
                    sink,
                    self.profile.name.clone(),
                )))
            }
            Some((name, client)) => Ok(Arc::new(RetryStore::new(
                Arc::new(AgentStore::new(client.clone(), name, &self.profile.name)),
                RetryPolicy::default(),
            ))),
        }
    }

    /// The profile's name in this machine's records (resume state, share links,
    /// upload rules): its name, or `remote/AGENT/PROFILE` with `--remote`.
    pub fn profile_ref(&self) -> String {
        match &self.remote {
            None => self.profile.name.clone(),
            Some((agent, _)) => remotes::profile_ref(agent, &self.profile.name),
        }
    }

    /// The transfer engine with `config`, with no cancellation of its own.
    pub fn engine(&self, config: TransferConfig) -> Result<Transfers> {
        Ok(Transfers::new(
            self.store()?,
            self.session.db().clone(),
            self.profile_ref(),
            config,
        )?)
    }

    /// The transfer engine, stopped by Ctrl-C: uploads stop at a part boundary and
    /// keep their resume state.
    pub fn transfers(&self, tune: &TuneArgs) -> Result<Transfers> {
        let config = TransferConfig {
            part_size: tune.part_size,
            concurrency: tune.concurrency,
            multipart_threshold: tune.part_size,
        };
        // Out-of-range --part-size or --concurrency is a usage error (exit 2).
        config.validate().map_err(|e| UsageError(e.to_string()))?;
        let cancel = CancellationToken::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\ncoffer: interrupted; finished parts are kept, run the same command to \
                     resume (Ctrl-C again quits at once)"
                );
                on_signal.cancel();
                // The handler stays installed, so without this a request that ignores
                // the cancellation (a server that never answers) could not be stopped.
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("coffer: interrupted again; quitting now");
                    std::process::exit(130);
                }
            }
        });
        Ok(self.engine(config)?.with_cancel(cancel))
    }
}

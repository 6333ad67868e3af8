//! [`ApiHost`]: the two ways the API runs, each switchable at run time without a
//! restart (the `api.embedded` and `api.standalone` flags):
//! - embedded: the router called in-process (the desktop's IPC goes through it);
//! - standalone: the same router behind an HTTP listener.
//!
//! Both can be on at once. Switching the standalone listener off closes its port while
//! the embedded API keeps answering. Changes are saved to `coffer.toml`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;

use crate::error::{ApiError, ApiResult};
use crate::server::Listener;
use crate::settings::file::ApiConfig;
use crate::state::ApiState;

/// The API's two faces and their switches.
pub struct ApiHost {
    state: ApiState,
    router: Router,
    config: Mutex<ApiConfig>,
    listener: tokio::sync::Mutex<Option<Listener>>,
    /// The listener's certificate fingerprint, when it speaks TLS.
    fingerprint: Mutex<Option<String>>,
    /// The agent's Unix socket, when this process owns the data dir and answers there.
    #[cfg(unix)]
    socket: tokio::sync::Mutex<Option<crate::agent::AgentSocket>>,
    /// Where changed settings are saved (`None`: not saved, e.g. in tests).
    config_file: Option<PathBuf>,
    /// Headless (`coffer serve`): the listener is the only way in, so it cannot be
    /// switched off from a request.
    headless: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for ApiHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiHost")
            .field("config", &self.config())
            .finish_non_exhaustive()
    }
}

impl ApiHost {
    /// Builds the router over `state` and starts the listener if the config says so.
    /// `config_file` is where changes made at run time are saved.
    pub async fn start(
        state: ApiState,
        config: ApiConfig,
        config_file: Option<PathBuf>,
    ) -> ApiResult<Arc<ApiHost>> {
        let origin = format!("http://{}", config.listen);
        let router = crate::router(state.clone(), Some(&origin));
        let host = Arc::new(ApiHost {
            state: state.clone(),
            router,
            config: Mutex::new(config.clone()),
            listener: tokio::sync::Mutex::new(None),
            fingerprint: Mutex::new(None),
            #[cfg(unix)]
            socket: tokio::sync::Mutex::new(None),
            config_file,
            headless: std::sync::atomic::AtomicBool::new(false),
        });
        state.attach_host(&host);
        crate::settings::stored::load(&state);
        state.engine().start();
        tokio::spawn(crate::routes::index::refresh_loop(
            state.clone(),
            state.stopping(),
        ));
        if config.standalone {
            host.open(config.listen).await?;
        }
        Ok(host)
    }

    /// The state the routes share (jobs, events, session).
    pub fn state(&self) -> &ApiState {
        &self.state
    }

    /// Marks the host as headless: the listener cannot be switched off, since
    /// nothing else would reach the API then.
    pub fn set_headless(&self) {
        self.headless
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The current settings.
    pub fn config(&self) -> ApiConfig {
        self.config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The router for in-process calls, if `api.embedded` is on.
    pub fn embedded(&self) -> Option<Router> {
        self.config().embedded.then(|| self.router.clone())
    }

    /// Where the standalone listener is bound, if it is on.
    pub async fn standalone_addr(&self) -> Option<SocketAddr> {
        self.listener
            .lock()
            .await
            .as_ref()
            .map(Listener::local_addr)
    }

    async fn open(&self, listen: SocketAddr) -> ApiResult<SocketAddr> {
        let probe = ApiConfig {
            listen,
            ..self.config()
        };
        if let Some(warning) = probe
            .check_listen()
            .map_err(|e| ApiError::bad_request(e.to_string()))?
        {
            tracing::warn!("{warning}");
        }
        let tls = self.tls()?;
        *self.fingerprint.lock().unwrap_or_else(|e| e.into_inner()) =
            tls.as_ref().map(|t| t.fingerprint.clone());
        let listener = Listener::start_with(self.router.clone(), listen, tls.map(|t| t.config))
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener.local_addr();
        *self.listener.lock().await = Some(listener);
        Ok(addr)
    }

    /// The listener's TLS, as the settings ask: the user's certificate and key, or
    /// the data dir's self-signed one; `None` for plain HTTP.
    pub fn tls(&self) -> ApiResult<Option<crate::tls::Tls>> {
        let config = self.config();
        match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => crate::tls::from_files(cert, key).map(Some),
            (Some(_), None) | (None, Some(_)) => Err(ApiError::bad_request(
                "give both --tls-cert and --tls-key (or neither, for a self-signed certificate)",
            )),
            (None, None) if config.tls => {
                crate::tls::self_signed(self.state.session().data_dir().root()).map(Some)
            }
            (None, None) => Ok(None),
        }
    }

    /// The SHA-256 fingerprint of the listener's certificate, while it speaks TLS.
    pub fn tls_fingerprint(&self) -> Option<String> {
        self.fingerprint
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Turns the standalone listener on (on `listen`, or the configured address) or
    /// off. Returns the bound address when on.
    pub async fn set_standalone(
        &self,
        on: bool,
        listen: Option<SocketAddr>,
    ) -> ApiResult<Option<SocketAddr>> {
        if !on && self.headless.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ApiError::bad_request(
                "this is a headless `coffer serve`: its listener is the only way in; stop \
                 the process instead",
            ));
        }
        if let Some(old) = self.listener.lock().await.take() {
            old.close();
        }
        let listen = listen.unwrap_or_else(|| self.config().listen);
        let addr = if on {
            Some(self.open(listen).await?)
        } else {
            None
        };
        self.update(|c| {
            c.standalone = on;
            c.listen = listen;
        })?;
        Ok(addr)
    }

    /// Turns the embedded API on or off.
    pub fn set_embedded(&self, on: bool) -> ApiResult<()> {
        self.update(|c| c.embedded = on)
    }

    fn update(&self, change: impl FnOnce(&mut ApiConfig)) -> ApiResult<()> {
        let config = {
            let mut config = self.config.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut config);
            config.clone()
        };
        if let Some(path) = &self.config_file {
            config
                .save(path)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
        }
        Ok(())
    }

    /// Answers on the data dir's agent socket, so that other `coffer` processes of
    /// this user attach to this one; `role` says what this process is (`desktop`,
    /// `serve`, `agent`). Returns the socket's path.
    #[cfg(unix)]
    pub async fn listen_socket(&self, role: &str) -> ApiResult<PathBuf> {
        let path = self.state.session().data_dir().agent_socket();
        let socket = crate::agent::AgentSocket::start(self.state.clone(), &path, role).await?;
        if let Some(old) = self.socket.lock().await.replace(socket) {
            old.stop().await;
        }
        Ok(path)
    }

    /// Stops transfers and jobs at a part boundary (a stopped transfer job is queued
    /// again for the next start) and closes the listener.
    pub async fn shutdown(&self) {
        #[cfg(unix)]
        if let Some(socket) = self.socket.lock().await.take() {
            socket.stop().await;
        }
        self.state.stop_transfers();
        self.state.engine().shutdown().await;
        if let Some(listener) = self.listener.lock().await.take() {
            let _ = listener.stop().await;
        }
    }
}

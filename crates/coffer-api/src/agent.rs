//! The agent's Unix socket: whoever owns a data dir (the desktop app, `coffer serve`,
//! `coffer agent`) answers on `DATA_DIR/agent.sock`, and every other `coffer` process
//! of the same user attaches to it instead of failing on sled's lock.
//!
//! - The socket is mode 0600 and each connection's peer credentials are checked: only
//!   the user who owns the socket gets an answer.
//! - It speaks the same HTTP API as `/api/v1`, with no token (the peer check is the
//!   authentication) and with local paths allowed, as for the desktop's window.
//! - It also answers `/agent/v1/…`, which only the socket serves: `hello` (who owns the
//!   data dir) and `meta` (the local database's get, put, delete, scan and flush), so
//!   that an attached CLI reads and writes its profiles and resume records through the
//!   owner ([`coffer_core::meta::AgentDb`] is the client).
//! - A socket left by a killed agent refuses connections; the next owner replaces it.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::server::graceful::GracefulShutdown;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::{ApiError, ApiResult};
use crate::state::{ApiState, Caller};

/// What `GET /agent/v1/hello` answers: who owns the data dir.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    /// The owner's process id.
    pub pid: u32,
    /// What the owner is (`desktop`, `serve`, `agent`).
    pub role: String,
    /// Coffer's version.
    pub version: String,
    /// Whether this owner shows the desktop notifications of its jobs itself.
    pub notifies: bool,
}

/// A running socket listener; dropping it does not stop it, [`AgentSocket::stop`] does.
#[derive(Debug)]
pub struct AgentSocket {
    path: PathBuf,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl AgentSocket {
    /// Binds `path` (replacing a stale socket file) and serves the API of `state` on
    /// it. `role` says what this process is, for `coffer -v` and error messages.
    pub async fn start(state: ApiState, path: &Path, role: &str) -> ApiResult<AgentSocket> {
        let listener = bind(path)?;
        let owner_uid = std::fs::metadata(path)
            .map_err(|e| ApiError::bad_request(format!("cannot read {}: {e}", path.display())))?
            .uid();
        let router = router(state, role);
        let shutdown = CancellationToken::new();
        let stopped = shutdown.clone();
        let task = tokio::spawn(async move {
            let builder = crate::server::http_builder();
            let graceful = GracefulShutdown::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let stream = match accepted {
                            Ok((stream, _)) => stream,
                            Err(e) => {
                                tracing::warn!(error = %e, "agent socket: accept failed");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            }
                        };
                        match stream.peer_cred() {
                            Ok(cred) if cred.uid() == owner_uid => {}
                            Ok(cred) => {
                                tracing::warn!(uid = cred.uid(), "agent socket: another user was refused");
                                continue;
                            }
                            Err(e) => {
                                tracing::warn!("agent socket: no peer credentials ({e}); refused");
                                continue;
                            }
                        }
                        crate::server::serve(&builder, &graceful, stream, router.clone());
                    }
                    () = stopped.cancelled() => break,
                }
            }
            drop(listener);
            graceful.shutdown().await;
        });
        tracing::info!(socket = %path.display(), "agent listening");
        Ok(AgentSocket {
            path: path.to_path_buf(),
            shutdown,
            task,
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops answering and removes the socket file; waits for requests in flight.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the socket at `path`: a live agent there is an error, a stale file is
/// replaced. The socket is made readable by its user only.
fn bind(path: &Path) -> ApiResult<tokio::net::UnixListener> {
    if path.exists() {
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => {
                return Err(ApiError::Conflict(format!(
                    "another Coffer process already answers on {}",
                    path.display()
                )));
            }
            Err(_) => {
                tracing::info!(socket = %path.display(), "replacing a stale agent socket");
                let _ = std::fs::remove_file(path);
            }
        }
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(|e| {
        ApiError::bad_request(format!(
            "cannot listen on {} ({e}); a socket path has at most 107 bytes: give the data \
             dir a shorter path with COFFER_HOME",
            path.display()
        ))
    })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| ApiError::bad_request(format!("cannot restrict {}: {e}", path.display())))?;
    Ok(listener)
}

/// The API plus the socket-only `/agent/v1` routes, every request marked as the
/// trusted local caller.
fn router(state: ApiState, role: &str) -> Router {
    let role = role.to_string();
    let hello_state = state.clone();
    let agent = Router::new()
        .route(
            "/agent/v1/hello",
            get(move || {
                let hello = Hello {
                    pid: std::process::id(),
                    role: role.clone(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    notifies: hello_state.notifies(),
                };
                async move { axum::Json(hello) }
            }),
        )
        .route(
            "/agent/v1/meta/{tree}",
            get(meta_get).put(meta_put).delete(meta_delete),
        )
        .route("/agent/v1/meta/{tree}/scan", get(meta_scan))
        .route("/agent/v1/meta-flush", post(meta_flush))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(state.clone());
    crate::router(state, None)
        .merge(agent)
        .layer(middleware::from_fn(local_caller))
}

/// Marks a request as the local, same-user caller (only this socket's router has it).
async fn local_caller(mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(Caller::Desktop);
    next.run(request).await
}

/// `?key=HEX` or `?prefix=HEX`.
#[derive(Debug, Deserialize)]
struct KeyQuery {
    #[serde(default)]
    key: String,
    #[serde(default)]
    prefix: String,
}

fn unhex(s: &str) -> ApiResult<Vec<u8>> {
    hex::decode(s).map_err(|e| ApiError::bad_request(format!("the key is not hex: {e}")))
}

fn db_error(e: coffer_core::Error) -> Response {
    ApiError::from(e).into_response()
}

/// Runs `op` on the local database with the request's key (`?key=HEX` or
/// `?prefix=HEX`), answering its error as the API's.
fn with_key(
    state: &ApiState,
    query: &KeyQuery,
    op: impl FnOnce(&dyn coffer_core::meta::MetaDb, &[u8]) -> ApiResult<Response>,
) -> Response {
    let key = if query.prefix.is_empty() {
        &query.key
    } else {
        &query.prefix
    };
    match unhex(key) {
        Ok(key) => op(state.session().db().as_ref(), &key).unwrap_or_else(|e| e.into_response()),
        Err(e) => e.into_response(),
    }
}

async fn meta_get(
    State(state): State<ApiState>,
    axum::extract::Path(tree): axum::extract::Path<String>,
    Query(q): Query<KeyQuery>,
) -> Response {
    with_key(&state, &q, |db, key| {
        Ok(match db.get(&tree, key)? {
            Some(value) => (StatusCode::OK, value).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        })
    })
}

async fn meta_put(
    State(state): State<ApiState>,
    axum::extract::Path(tree): axum::extract::Path<String>,
    Query(q): Query<KeyQuery>,
    body: Bytes,
) -> Response {
    with_key(&state, &q, |db, key| {
        db.put(&tree, key, &body)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn meta_delete(
    State(state): State<ApiState>,
    axum::extract::Path(tree): axum::extract::Path<String>,
    Query(q): Query<KeyQuery>,
) -> Response {
    with_key(&state, &q, |db, key| {
        db.delete(&tree, key)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn meta_scan(
    State(state): State<ApiState>,
    axum::extract::Path(tree): axum::extract::Path<String>,
    Query(q): Query<KeyQuery>,
) -> Response {
    with_key(&state, &q, |db, prefix| {
        let hexed: Vec<(String, String)> = db
            .scan_prefix(&tree, prefix)?
            .into_iter()
            .map(|(k, v)| (hex::encode(k), hex::encode(v)))
            .collect();
        Ok(axum::Json(hexed).into_response())
    })
}

async fn meta_flush(State(state): State<ApiState>) -> Response {
    match state.session().db().flush() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => db_error(e),
    }
}

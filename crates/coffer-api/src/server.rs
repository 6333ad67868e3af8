//! The standalone HTTP listener: started and stopped at run time, shut down
//! gracefully, and closed to slow clients.
//!
//! The accept loop is hyper-util's, not `axum::serve`, because it needs a timer:
//! a client gets [`HEADER_READ_TIMEOUT`] to send its request headers (a slow-loris
//! client is dropped, others are served meanwhile), and headers are capped at
//! [`MAX_HEADER_BYTES`] (431 beyond).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a client may take to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most header bytes read before a request is refused.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The HTTP/1 connection builder of every listener: a client gets
/// [`HEADER_READ_TIMEOUT`] to send its headers, at most [`MAX_HEADER_BYTES`] of them.
pub(crate) fn http_builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES);
    builder
}

/// Serves `router` on one accepted connection, in a task of its own, watched by
/// `graceful` so that shutdown lets it finish.
pub(crate) fn serve<S>(
    builder: &Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    stream: S,
    router: Router,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .into_owned();
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "connection ended");
        }
    });
}

/// A running HTTP listener.
#[derive(Debug)]
pub struct Listener {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Listener {
    /// Binds `addr` and serves `router` on it until [`Listener::stop`].
    pub async fn start(router: Router, addr: SocketAddr) -> std::io::Result<Listener> {
        Self::start_with(router, addr, None).await
    }

    /// Binds `addr` and serves `router` on it, over TLS when `tls` is given (each
    /// client gets [`HEADER_READ_TIMEOUT`] for its handshake too).
    pub async fn start_with(
        router: Router,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Listener> {
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        // A listener just closed on the same port may hold it for a moment.
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let stopped = shutdown.clone();
        let task = tokio::spawn(async move {
            let builder = http_builder();
            let graceful = GracefulShutdown::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let stream = match accepted {
                            Ok((stream, _)) => stream,
                            Err(e) => {
                                // Out of file descriptors and the like: wait, go on.
                                tracing::warn!(error = %e, "accept failed");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            }
                        };
                        match &acceptor {
                            None => serve(&builder, &graceful, stream, router.clone()),
                            Some(acceptor) => {
                                let (acceptor, builder, watcher, router) = (
                                    acceptor.clone(),
                                    builder.clone(),
                                    graceful.watcher(),
                                    router.clone(),
                                );
                                tokio::spawn(async move {
                                    let handshake = tokio::time::timeout(
                                        HEADER_READ_TIMEOUT,
                                        acceptor.accept(stream),
                                    );
                                    let stream = match handshake.await {
                                        Ok(Ok(stream)) => stream,
                                        Ok(Err(e)) => {
                                            tracing::debug!(error = %e, "TLS handshake failed");
                                            return;
                                        }
                                        Err(_) => return,
                                    };
                                    let service = TowerToHyperService::new(router);
                                    let connection = builder
                                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                                        .into_owned();
                                    if let Err(e) = watcher.watch(connection).await {
                                        tracing::debug!(error = %e, "connection ended");
                                    }
                                });
                            }
                        }
                    }
                    () = stopped.cancelled() => break,
                }
            }
            drop(listener);
            graceful.shutdown().await;
        });
        tracing::info!(%addr, "API listening");
        Ok(Listener {
            addr,
            shutdown,
            task,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections at once; the requests in flight finish in the
    /// background. (Safe to call from a request served by this very listener.)
    pub fn close(self) {
        self.shutdown.cancel();
    }

    /// Stops accepting connections at once, and waits for the requests in flight.
    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        self.task.await.map_err(std::io::Error::other)
    }
}

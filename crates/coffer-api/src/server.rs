//! The standalone HTTP listener: started and stopped at run time, shut down
//! gracefully.

use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running HTTP listener.
#[derive(Debug)]
pub struct Listener {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl Listener {
    /// Binds `addr` and serves `router` on it until [`Listener::stop`].
    pub async fn start(router: Router, addr: SocketAddr) -> std::io::Result<Listener> {
        // A listener just closed on the same port may hold it for a moment.
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let stopped = shutdown.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { stopped.cancelled().await })
                .await
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
        let addr = self.addr;
        tokio::spawn(async move {
            if let Ok(Err(e)) = self.task.await {
                tracing::warn!(%addr, error = %e, "listener stopped with an error");
            }
        });
    }

    /// Stops accepting connections at once, and waits for the requests in flight.
    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

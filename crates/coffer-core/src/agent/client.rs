//! [`Client`]: HTTP/1.1 requests to an agent, one connection per request (a local
//! connect costs microseconds, and nothing is left half-used when a caller is
//! interrupted): over the agent's Unix socket, or to a remote agent over TCP, with TLS
//! pinned to the certificate's fingerprint and the agent's API token.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

use super::pin::{PinnedVerifier, Seen};
use crate::Sensitive;
use crate::error::{Error, Result};

/// Who owns the data dir, as `GET /agent/v1/hello` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The owner's process id.
    pub pid: u32,
    /// What the owner is (`desktop`, `serve`, `agent`).
    pub role: String,
    /// Its Coffer version.
    pub version: String,
    /// Whether it shows the desktop notifications of its jobs itself (a window
    /// attached to it then does not show them again).
    #[serde(default)]
    pub notifies: bool,
}

/// A remote agent: where, with which token, and which certificate to expect.
struct Remote {
    /// `host:port`.
    authority: String,
    /// The host, for TLS's server name.
    host: String,
    token: Sensitive<String>,
    /// `None`: plain HTTP (loopback only; the URL said `http://`).
    tls: Option<(Arc<rustls::ClientConfig>, Arc<Seen>)>,
}

#[derive(Clone)]
enum Target {
    Socket(PathBuf),
    Remote(Arc<Remote>),
}

/// Talks to one agent.
#[derive(Clone)]
pub struct Client {
    target: Target,
    /// The socket's path or the remote's URL, for messages.
    label: PathBuf,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("agent", &self.label)
            .finish()
    }
}

impl Client {
    /// A client of the agent at `socket` (nothing is connected yet).
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        let socket = socket.into();
        Client {
            label: socket.clone(),
            target: Target::Socket(socket),
        }
    }

    /// A client of a remote agent at `url` (`https://host:port`, or `http://` on a
    /// loopback address), sending `token`. With `https`, the agent's certificate must
    /// have the SHA-256 `fingerprint` (`AB:CD:…`); `None` accepts any certificate once
    /// and records it ([`Client::seen_fingerprint`]): trust on first use.
    pub fn remote(
        url: &str,
        token: Sensitive<String>,
        fingerprint: Option<String>,
    ) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::invalid("agent URL", format!("`{url}`: {e}")))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| Error::invalid("agent URL", format!("`{url}` has no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = match parsed.scheme() {
            "https" => {
                let seen = Arc::new(Seen::default());
                let verifier = PinnedVerifier::new(fingerprint, seen.clone());
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let mut config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| Error::invalid("TLS", e.to_string()))?
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
                    .with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                Some((Arc::new(config), seen))
            }
            "http" => {
                let loopback = host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    return Err(Error::invalid(
                        "agent URL",
                        format!("`{url}`: a remote agent is reached over https"),
                    ));
                }
                None
            }
            other => {
                return Err(Error::invalid(
                    "agent URL",
                    format!("`{url}`: `{other}` is not http or https"),
                ));
            }
        };
        let port = parsed.port_or_known_default().unwrap_or(443);
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Client {
            label: PathBuf::from(url),
            target: Target::Remote(Arc::new(Remote {
                authority,
                host,
                token,
                tls,
            })),
        })
    }

    /// The socket's path, or the remote agent's URL.
    pub fn socket(&self) -> &Path {
        &self.label
    }

    /// The fingerprint of the certificate the remote agent showed in the last
    /// connection, if any.
    pub fn seen_fingerprint(&self) -> Option<String> {
        match &self.target {
            Target::Remote(remote) => remote.tls.as_ref().and_then(|(_, seen)| seen.get()),
            Target::Socket(_) => None,
        }
    }

    /// The agent's hello, if one answers on the socket; `None` when nothing listens
    /// there (no file, or a stale one left by a killed agent: the connection is
    /// refused at once, so this never hangs on it).
    pub async fn hello(&self) -> Option<Hello> {
        let (status, body) = self
            .request(http::Method::GET, "/agent/v1/hello", None)
            .await
            .ok()?;
        if status != 200 {
            return None;
        }
        serde_json::from_slice(&body).ok()
    }

    /// Sends one request with a JSON body (or none); returns the status and the body.
    pub async fn request(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes)> {
        self.request_as(method, path_and_query, body, "application/json")
            .await
    }

    /// Sends one request whose body (if any) is of `content_type`; returns the status
    /// and the body.
    pub async fn request_as(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        content_type: &'static str,
    ) -> Result<(u16, Bytes)> {
        let mut request = http::Request::builder().method(method).uri(path_and_query);
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| Error::invalid("request", e.to_string()))?;
        let (status, _, body) = self.send(request).await?;
        Ok((status.as_u16(), body))
    }

    /// Sends `request` as it is (headers included); returns the status, the headers
    /// and the whole body.
    pub async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<(http::StatusCode, http::HeaderMap, Bytes)> {
        let response = self.open(request).await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| self.gone("broke off its answer", &e))?
            .to_bytes();
        Ok((parts.status, parts.headers, body))
    }

    /// Sends `request` and returns the answer with its body still to read (a stream
    /// of events, an object's bytes). The request's body may itself be a stream.
    pub async fn open<B>(
        &self,
        mut request: http::Request<B>,
    ) -> Result<http::Response<hyper::body::Incoming>>
    where
        B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match &self.target {
            Target::Socket(path) => {
                request.headers_mut().insert(
                    http::header::HOST,
                    http::HeaderValue::from_static("coffer-agent"),
                );
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| self.gone("cannot be reached", &e))?;
                self.exchange(TokioIo::new(stream), request).await
            }
            Target::Remote(remote) => {
                let host = http::HeaderValue::from_str(&remote.authority)
                    .map_err(|e| Error::invalid("agent URL", e.to_string()))?;
                request.headers_mut().insert(http::header::HOST, host);
                let bearer =
                    http::HeaderValue::from_str(&format!("Bearer {}", remote.token.expose()))
                        .map_err(|_| {
                            Error::invalid("agent token", "it holds characters a header cannot")
                        })?;
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, bearer);
                let stream = tokio::net::TcpStream::connect(&remote.authority)
                    .await
                    .map_err(|e| self.gone("cannot be reached", &e))?;
                match &remote.tls {
                    None => self.exchange(TokioIo::new(stream), request).await,
                    Some((config, seen)) => {
                        let name = rustls::pki_types::ServerName::try_from(remote.host.clone())
                            .map_err(|e| Error::invalid("agent URL", e.to_string()))?;
                        let tls = tokio_rustls::TlsConnector::from(config.clone())
                            .connect(name, stream)
                            .await
                            .map_err(|e| match seen.refused() {
                                Some(why) => Error::Agent {
                                    code: "certificate_changed".into(),
                                    message: why,
                                },
                                None => self.gone("refused the TLS handshake", &e),
                            })?;
                        self.exchange(TokioIo::new(tls), request).await
                    }
                }
            }
        }
    }

    async fn exchange<T, B>(
        &self,
        io: T,
        request: http::Request<B>,
    ) -> Result<http::Response<hyper::body::Incoming>>
    where
        T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
        B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| self.gone("refused the connection", &e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        sender
            .send_request(request)
            .await
            .map_err(|e| self.gone("did not answer", &e))
    }

    fn gone(&self, what: &str, e: &dyn std::fmt::Display) -> Error {
        Error::MetaDb {
            path: self.label.clone(),
            cause: format!(
                "the Coffer agent {what} ({e}); if it stopped, start it and run the \
                 command again"
            ),
        }
    }
}

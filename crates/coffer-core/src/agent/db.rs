//! [`AgentDb`]: the local database of an owned data dir, reached through its owner.

use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;

use bytes::Bytes;

use super::client::{Client, Hello};
use crate::error::{Error, Result};
use crate::meta::MetaDb;

type Reply = mpsc::Sender<Result<(u16, Bytes)>>;

struct Call {
    method: http::Method,
    path: String,
    body: Option<Vec<u8>>,
    reply: Reply,
}

/// A [`MetaDb`] whose every call goes to the agent that owns the data dir.
///
/// The trait is synchronous and is called from async code, so the requests run on a
/// thread of their own (with its own small runtime); a call blocks its caller for one
/// local round trip, as a sled call blocks on disk.
pub struct AgentDb {
    client: Client,
    hello: Hello,
    calls: Mutex<mpsc::Sender<Call>>,
}

impl std::fmt::Debug for AgentDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentDb")
            .field("socket", &self.client.socket())
            .field("owner", &self.hello)
            .finish()
    }
}

impl AgentDb {
    /// Attaches to the agent on `socket`; `Ok(None)` when no agent answers there.
    pub fn connect(socket: &Path) -> Result<Option<AgentDb>> {
        // Nothing listens (no file, or one left by a killed agent): answered without
        // starting the worker thread (a command waiting for the data dir asks often).
        if std::os::unix::net::UnixStream::connect(socket).is_err() {
            return Ok(None);
        }
        let client = Client::new(socket);
        let (tx, rx) = mpsc::channel::<Call>();
        let worker = client.clone();
        let (hello_tx, hello_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("coffer-agent-db".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = hello_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = hello_tx.send(Ok(runtime.block_on(worker.hello())));
                while let Ok(call) = rx.recv() {
                    // Values are stored as given: bytes, whatever they hold.
                    let answer = runtime.block_on(worker.request_as(
                        call.method,
                        &call.path,
                        call.body,
                        "application/octet-stream",
                    ));
                    let _ = call.reply.send(answer);
                }
            })
            .map_err(|e| Error::io("cannot start a thread", socket, e))?;
        let hello = match hello_rx.recv() {
            Ok(Ok(Some(hello))) => hello,
            Ok(Ok(None)) => return Ok(None),
            Ok(Err(e)) => {
                return Err(Error::MetaDb {
                    path: socket.to_path_buf(),
                    cause: format!("cannot start the async runtime: {e}"),
                });
            }
            Err(_) => return Ok(None),
        };
        Ok(Some(AgentDb {
            client,
            hello,
            calls: Mutex::new(tx),
        }))
    }

    /// Who owns the data dir.
    pub fn owner(&self) -> &Hello {
        &self.hello
    }

    /// The client of the owner's socket.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn call(
        &self,
        method: http::Method,
        path: String,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes)> {
        let (reply, answer) = mpsc::channel();
        let sent = self
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Call {
                method,
                path,
                body,
                reply,
            });
        let lost = || Error::MetaDb {
            path: self.client.socket().to_path_buf(),
            cause: "the connection to the Coffer agent was lost".into(),
        };
        sent.map_err(|_| lost())?;
        answer.recv().map_err(|_| lost())?
    }

    fn refused(&self, status: u16, body: &[u8]) -> Error {
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        Error::MetaDb {
            path: self.client.socket().to_path_buf(),
            cause: format!("the Coffer agent answered {status}: {message}"),
        }
    }
}

fn path(tree: &str, rest: &str, param: &str, value: &[u8]) -> String {
    let tree: String = url::form_urlencoded::byte_serialize(tree.as_bytes()).collect();
    format!("/agent/v1/meta/{tree}{rest}?{param}={}", hex::encode(value))
}

impl MetaDb for AgentDb {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.call(http::Method::GET, path(tree, "", "key", key), None)? {
            (200, body) => Ok(Some(body.to_vec())),
            (404, _) => Ok(None),
            (status, body) => Err(self.refused(status, &body)),
        }
    }

    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        match self.call(
            http::Method::PUT,
            path(tree, "", "key", key),
            Some(value.to_vec()),
        )? {
            (204, _) => Ok(()),
            (status, body) => Err(self.refused(status, &body)),
        }
    }

    fn delete(&self, tree: &str, key: &[u8]) -> Result<()> {
        match self.call(http::Method::DELETE, path(tree, "", "key", key), None)? {
            (204, _) => Ok(()),
            (status, body) => Err(self.refused(status, &body)),
        }
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let (status, body) = self.call(
            http::Method::GET,
            path(tree, "/scan", "prefix", prefix),
            None,
        )?;
        if status != 200 {
            return Err(self.refused(status, &body));
        }
        let hexed: Vec<(String, String)> = serde_json::from_slice(&body)
            .map_err(|e| self.refused(status, e.to_string().as_bytes()))?;
        hexed
            .into_iter()
            .map(|(k, v)| {
                Ok((
                    hex::decode(k).map_err(|e| self.refused(status, e.to_string().as_bytes()))?,
                    hex::decode(v).map_err(|e| self.refused(status, e.to_string().as_bytes()))?,
                ))
            })
            .collect()
    }

    fn flush(&self) -> Result<()> {
        match self.call(http::Method::POST, "/agent/v1/meta-flush".into(), None)? {
            (204, _) => Ok(()),
            (status, body) => Err(self.refused(status, &body)),
        }
    }
}

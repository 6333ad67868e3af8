//! A profile of an agent used as a `Store` from another machine (`AgentStore`, behind
//! `coffer --remote NAME …`): the core's whole `Store` conformance suite runs through
//! a real agent's HTTP API, to Garage and to the agent's `local` profile. Then what
//! the raw store routes refuse: a body whose CRC32C does not match, a wrong token.

#[path = "../../coffer-core/tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use coffer_api::ApiState;
use coffer_api::server::Listener;
use coffer_core::agent::{AgentStore, Client};
use coffer_core::paths::DataDir;
use coffer_core::profile::ProfileDraft;
use coffer_core::secret::MemorySecretStore;
use coffer_core::session::Session;
use coffer_core::store::{Store, StoreExt};
use coffer_core::transfer::TransferConfig;
use coffer_core::{Error, Sensitive};
use common::{Backend, Fixture};

const TOKEN: &str = "agent-store-token";

/// One agent for the whole test binary, on a runtime of its own (each test has its
/// own runtime, which ends with the test).
struct Agent {
    addr: SocketAddr,
}

fn agent() -> &'static Agent {
    static AGENT: OnceLock<Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let dir = tempfile::tempdir().expect("dir");
                let session = Session::open(
                    DataDir::at(dir.path()),
                    Arc::new(MemorySecretStore::default()),
                )
                .expect("session");
                let garage = coffer_testkit::garage();
                session
                    .profiles()
                    .add(
                        ProfileDraft {
                            name: "garage".into(),
                            endpoint: Some(garage.endpoint.clone()),
                            region: Some(garage.region.clone()),
                            path_style: Some(true),
                            access_key_id: Some(garage.access_key_id.clone()),
                            secret_access_key: Some(Sensitive::new(
                                garage.secret_access_key.clone(),
                            )),
                            ..ProfileDraft::default()
                        },
                        false,
                    )
                    .expect("profile");
                let state = ApiState::new(
                    session,
                    Sensitive::new(TOKEN.into()),
                    TransferConfig::default(),
                    Vec::new(),
                )
                .expect("state");
                let router = coffer_api::router(state, None);
                let listener = Listener::start(router, "127.0.0.1:0".parse().expect("addr"))
                    .await
                    .expect("listen");
                tx.send(listener.local_addr()).expect("send");
                // Serve until the test binary ends.
                let _keep = (listener, dir);
                std::future::pending::<()>().await;
            });
        });
        Agent {
            addr: rx.recv().expect("agent started"),
        }
    })
}

fn store(profile: &str) -> Arc<dyn Store> {
    let url = format!("http://{}", agent().addr);
    let client = Client::remote(&url, Sensitive::new(TOKEN.into()), None).expect("client");
    Arc::new(AgentStore::new(client, "test", profile))
}

async fn fixture(backend: Backend, prefix: &str) -> Fixture {
    let profile = match backend {
        Backend::Garage => "garage",
        _ => "local",
    };
    let agent_store = store(profile);
    let bucket = match backend {
        Backend::Garage => coffer_testkit::garage().fresh_bucket(prefix),
        _ => {
            let bucket = format!("{}-agent", prefix.replace('_', "-"));
            agent_store
                .create_bucket(&bucket)
                .await
                .expect("create bucket");
            bucket
        }
    };
    Fixture {
        backend,
        store: agent_store,
        bucket,
        _dir: None,
        reopen: Some(Arc::new(move || store(profile))),
    }
}

macro_rules! through_the_agent {
    ($backend_mod:ident, $backend:expr, $($check:ident),+ $(,)?) => {
        mod $backend_mod {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let f = fixture($backend, stringify!($check)).await;
                    common::conformance::$check(f).await;
                }
            )+
        }
    };
}

macro_rules! all_checks {
    ($backend_mod:ident, $backend:expr) => {
        through_the_agent!(
            $backend_mod,
            $backend,
            odd_keys_round_trip,
            delimiter_and_pagination,
            ranges_and_metadata,
            multipart,
            part_copy,
            missing_things,
            buckets,
            delete_many,
            presign,
            upload_id_survives_new_client,
        );
    };
}

all_checks!(garage, Backend::Garage);
all_checks!(local, Backend::Local);

/// A body that does not match the CRC32C its client sent is refused, and nothing is
/// stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_body_is_refused() {
    let f = fixture(Backend::Garage, "damaged").await;
    let url = format!(
        "http://{}/api/v1/profiles/garage/buckets/{}/store/object?key=damaged",
        agent().addr,
        f.bucket
    );
    let answer = reqwest::Client::new()
        .put(&url)
        .bearer_auth(TOKEN)
        .header(coffer_core::agent::CRC_HEADER, "AAAAAA==")
        .body("these bytes are not what the checksum says")
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status().as_u16(), 502);
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(body["code"], "integrity_mismatch", "{body}");
    assert!(matches!(
        f.store.head(&f.bucket, "damaged").await,
        Err(Error::NoSuchKey { .. })
    ));
    // A spooled (large) body is checked the same way, and its file is removed.
    let big = vec![7u8; 9 * 1024 * 1024];
    let answer = reqwest::Client::new()
        .put(&url)
        .bearer_auth(TOKEN)
        .header(coffer_core::agent::CRC_HEADER, "AAAAAA==")
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status().as_u16(), 502);
    assert!(f.store.get_bytes(&f.bucket, "damaged").await.is_err());
}

/// A wrong token is the agent's refusal, in its words; an unknown profile names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_clear() {
    let url = format!("http://{}", agent().addr);
    let client = Client::remote(&url, Sensitive::new("wrong".into()), None).expect("client");
    let wrong = AgentStore::new(client, "test", "garage");
    let err = wrong.list_buckets().await.expect_err("refused");
    assert_eq!(err.code(), "unauthorized", "{err}");
    let err = store("nobody")
        .list_buckets()
        .await
        .expect_err("no profile");
    assert_eq!(err.code(), "profile_not_found", "{err}");
    assert!(err.to_string().contains("nobody"), "{err}");
}

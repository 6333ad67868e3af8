//! `coffer serve`: the core API over HTTP, headless. On SIGTERM or Ctrl-C it stops
//! accepting, lets uploads stop at a part boundary (keeping their resume state), and
//! exits within 10 s.

use std::time::Duration;

use anyhow::Result;
use coffer_api::settings::file::ApiConfig;
use coffer_api::settings::token;
use coffer_api::{ApiHost, ApiState};
use coffer_core::session::Session;
use coffer_core::transfer::TransferConfig;

use crate::cli::ServeArgs;
use crate::context::UsageError;

/// How long requests in flight get after a stop signal.
const GRACE: Duration = Duration::from_secs(8);

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `coffer serve`: the API on its TCP listener, and the agent socket.
pub async fn run(args: ServeArgs) -> Result<()> {
    own(Owner {
        role: "serve",
        listen: Some(args.listen),
        access: args.access,
        print_token: args.print_token,
        rotate_token: args.rotate_token,
        print_url: args.print_url,
        samples: args.samples,
    })
    .await
}

/// How this process owns the data dir.
pub struct Owner {
    /// `serve` or `agent`.
    pub role: &'static str,
    /// `None`: no TCP listener; `Some(None)`: the configured address.
    pub listen: Option<Option<std::net::SocketAddr>>,
    pub access: crate::cli::AccessArgs,
    pub print_token: bool,
    pub rotate_token: bool,
    pub print_url: bool,
    pub samples: bool,
}

/// Owns the data dir until a stop signal: runs the jobs and their schedules, answers
/// on the agent socket, and on the TCP listener when asked.
pub async fn own(args: Owner) -> Result<()> {
    // The token lives in the keychain: printing or rotating it needs no data dir.
    let secrets: std::sync::Arc<dyn coffer_core::secret::SecretStore> =
        std::sync::Arc::new(coffer_core::secret::KeychainStore::default());
    if args.rotate_token {
        println!("{}", token::rotate(secrets.as_ref())?.expose());
        return Ok(());
    }
    let api_token = token::api_token(secrets.as_ref(), std::env::var("COFFER_API_TOKEN").ok())?;
    let data = coffer_core::paths::DataDir::discover()?;
    let mut config = ApiConfig::load(data.root())?;
    let tls = &args.access.tls;
    config.tls |= tls.tls;
    if tls.tls_cert.is_some() {
        config.tls = true;
        config.tls_cert = tls.tls_cert.clone();
        config.tls_key = tls.tls_key.clone();
    }
    if args.print_token {
        println!("{}", api_token.expose());
        if config.tls {
            let tls = match (&config.tls_cert, &config.tls_key) {
                (Some(cert), Some(key)) => coffer_api::tls::from_files(cert, key)?,
                _ => {
                    data.ensure()?;
                    coffer_api::tls::self_signed(data.root())?
                }
            };
            println!("TLS certificate SHA256 fingerprint: {}", tls.fingerprint);
        }
        return Ok(());
    }
    let session = Session::open_default()?;

    if let Some(Some(listen)) = args.listen {
        config.listen = listen;
    }
    config.allow_remote |= args.access.allow_remote;
    config.behind_tls_proxy |= args.access.behind_tls_proxy;
    if args.listen.is_some()
        && let Some(warning) = config
            .check_listen()
            .map_err(|e| UsageError(e.to_string()))?
    {
        eprintln!("coffer: {warning}");
    }

    if args.samples
        && let Err(e) = coffer_core::samples::seed(&session).await
    {
        eprintln!("coffer: could not put the sample objects: {e}");
    }

    // Headless: the TCP listener when asked, whatever coffer.toml says of it (that
    // flag is the desktop's); switches made at run time are not saved from here.
    config.standalone = args.listen.is_some();
    let url_token = args.print_url.then(|| api_token.expose().clone());
    let state = ApiState::new(
        session,
        api_token,
        TransferConfig::default(),
        config.allowed_dirs.clone(),
    )?;
    let host = ApiHost::start(state, config, None).await?;
    host.set_headless();
    // With no window, this process tells of its jobs' ends itself: webhooks always,
    // desktop notifications when the user's session bus is there.
    let notifier = coffer_jobs::desktop_notify::session_bus().then(|| {
        std::sync::Arc::new(OwnerAlerts {
            state: host.state().clone(),
        }) as std::sync::Arc<dyn coffer_jobs::Notifier>
    });
    host.state().set_notifies(notifier.is_some());
    let _alerts = coffer_jobs::alerts::spawn(host.state().engine(), notifier);
    match host.listen_socket(args.role).await {
        Ok(socket) => eprintln!(
            "coffer: {} owns {}; other coffer commands attach on {}",
            args.role,
            host.state().session().data_dir().root().display(),
            socket.display()
        ),
        // `coffer serve` still serves HTTP; an agent without its socket has no use.
        Err(e) if args.role == "serve" => {
            eprintln!("coffer: warning: {e}; other coffer commands cannot attach to this one")
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(addr) = host.standalone_addr().await {
        let scheme = if host.tls_fingerprint().is_some() {
            "https"
        } else {
            "http"
        };
        eprintln!("coffer: API on {scheme}://{addr}/api/v1 (token: `coffer serve --print-token`)");
        if let Some(fingerprint) = host.tls_fingerprint() {
            eprintln!("coffer: TLS certificate SHA256 fingerprint: {fingerprint}");
        }
        if let Some(token) = url_token {
            println!("Coffer web UI: {scheme}://{addr}/#token={token}");
            println!("API token: {token}");
        }
    }

    stop_signal().await;
    eprintln!("coffer: stopping; uploads in flight keep their resume state");
    if tokio::time::timeout(GRACE, host.shutdown()).await.is_err() {
        eprintln!("coffer: requests still running after {GRACE:?}; exiting");
    }
    Ok(())
}

/// The jobs' desktop notifications of a headless owner, off the async threads, unless
/// notifications are off in Settings (the desktop's switch, kept in the data dir).
struct OwnerAlerts {
    state: ApiState,
}

impl coffer_jobs::Notifier for OwnerAlerts {
    fn notify(&self, title: &str, body: &str) {
        if !coffer_api::settings::stored::ui_settings(&self.state).notifications {
            return;
        }
        let (title, body) = (title.to_string(), body.to_string());
        std::thread::spawn(move || {
            use coffer_jobs::desktop_notify::{TIMEOUT, show};
            if let Err(e) = show("Coffer", &title, &body, TIMEOUT) {
                tracing::warn!("{e}");
            }
        });
    }
}

//! `coffer serve`: the core API over HTTP, headless. On SIGTERM or Ctrl-C it stops
//! accepting, lets uploads stop at a part boundary (keeping their resume state), and
//! exits within 10 s.

use std::time::Duration;

use anyhow::Result;
use coffer_api::config::ApiConfig;
use coffer_api::{ApiHost, ApiState, token};
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

/// Serves until a stop signal.
pub async fn run(args: ServeArgs) -> Result<()> {
    let session = Session::open_default()?;
    let secrets = session.secrets().clone();
    if args.rotate_token {
        println!("{}", token::rotate(secrets.as_ref())?.expose());
        return Ok(());
    }
    let api_token = token::api_token(secrets.as_ref(), std::env::var("COFFER_API_TOKEN").ok())?;
    if args.print_token {
        println!("{}", api_token.expose());
        return Ok(());
    }

    let mut config = ApiConfig::load(session.data_dir().root())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    config.allow_remote |= args.allow_remote;
    config.behind_tls_proxy |= args.behind_tls_proxy;
    if let Some(warning) = config
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

    // Headless: the standalone listener, whatever coffer.toml says of it (that flag
    // is the desktop's); switches made at run time are not saved from here.
    config.standalone = true;
    let url_token = args.print_url.then(|| api_token.expose().clone());
    let state = ApiState::new(
        session,
        api_token,
        TransferConfig::default(),
        config.allowed_dirs.clone(),
    );
    let host = ApiHost::start(state, config, None).await?;
    host.set_headless();
    if let Some(addr) = host.standalone_addr().await {
        eprintln!("coffer: API on http://{addr}/api/v1 (token: `coffer serve --print-token`)");
        if let Some(token) = url_token {
            println!("Coffer web UI: http://{addr}/#token={token}");
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

//! `coffer-testkit garage|moto`: starts a throwaway server for scripts (benchmarks,
//! manual checks), prints its coordinates as shell `export` lines, and keeps it
//! running until stdin closes. The server and its data go when this process ends.
//!
//! ```sh
//! coproc KIT { coffer-testkit garage; }
//! while read -r line <&"${KIT[0]}"; do [[ $line == ready ]] && break; eval "$line"; done
//! ```

use std::io::{BufRead, Write};

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let server = match kind.as_str() {
        "garage" => coffer_testkit::garage(),
        "moto" => coffer_testkit::moto(),
        _ => {
            eprintln!("usage: coffer-testkit garage|moto");
            std::process::exit(2);
        }
    };
    let bucket = server.fresh_bucket("bench");
    let lines = [
        format!("export COFFER_KIT_ENDPOINT={}", server.endpoint),
        format!("export COFFER_KIT_REGION={}", server.region),
        format!("export COFFER_KIT_ACCESS_KEY_ID={}", server.access_key_id),
        format!(
            "export COFFER_KIT_SECRET_ACCESS_KEY={}",
            server.secret_access_key
        ),
        format!("export COFFER_KIT_BUCKET={bucket}"),
        format!("export COFFER_KIT_PID={}", server.pid()),
        "ready".to_string(),
    ];
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
    drop(out);
    // Serve until whoever started us closes our stdin (or goes away).
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
}

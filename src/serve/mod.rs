//! `gitsm serve`: the gate as a GitHub App (SPEC §6). A webhook server that
//! nobody can impersonate: branch protection requires the check run from
//! this App, and no workflow can post as it.
//!
//! The path of a delivery: [`http`] checks its size and signature
//! ([`signature`]), reads what it asks for ([`event`]) and offers keys to the
//! bounded [`queue`] (202, or 503 when full); a pool of [`worker`] threads
//! takes keys one at a time per pull request, fetches the repository into a
//! bare [`mirror`] with an installation token ([`app`]), builds the gate's
//! input with [`crate::gate::git`], decides with the same pure
//! [`crate::gate::decide`] as `gitsm gate`, and publishes through
//! [`crate::gate::github`]. [`metrics`] feeds `/metrics`.
//!
//! The library never prints: log lines go to the [`Config::log`] sink the
//! binary provides, one JSON object per delivery and per evaluation.

pub mod app;
pub mod event;
pub mod http;
pub mod metrics;
pub mod mirror;
pub mod queue;
pub mod signature;
pub mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Bodies above this are refused (413), as GitHub caps payloads at 25 MB.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// A structured log sink: one JSON object per line.
pub type Log = Arc<dyn Fn(serde_json::Value) + Send + Sync>;

/// Everything `gitsm serve` runs with.
pub struct Config {
    pub listen: SocketAddr,
    /// Mirrors (`mirrors/`) and state (`state/`).
    pub data: PathBuf,
    pub app_id: u64,
    /// The App's private key, PEM.
    pub private_key: String,
    pub webhook_secret: Vec<u8>,
    /// `https://api.github.com`, or `https://HOST/api/v3`.
    pub api_url: String,
    /// Where repositories are fetched from: `https://github.com` or `https://HOST`.
    pub git_url: String,
    pub workers: usize,
    pub queue_capacity: usize,
    pub retry: crate::github::retry::RetryPolicy,
    /// How long one git fetch may take.
    pub fetch_timeout: Duration,
    /// A fixed clock for every evaluation (`--now`; tests and replays).
    pub now: Option<jiff::Timestamp>,
    pub log: Log,
}

/// An evaluation step that failed, with a reason fit for a check run (no
/// secrets). `github`: the GitHub API failed (counted in the metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub reason: String,
    pub github: bool,
}

impl Failed {
    pub fn new(reason: impl Into<String>) -> Failed {
        Failed {
            reason: reason.into(),
            github: false,
        }
    }

    pub fn github(reason: impl Into<String>) -> Failed {
        Failed {
            reason: reason.into(),
            github: true,
        }
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<crate::gate::GateError> for Failed {
    fn from(e: crate::gate::GateError) -> Failed {
        let github = matches!(e, crate::gate::GateError::GitHub(_));
        Failed {
            reason: e.to_string(),
            github,
        }
    }
}

/// The current time as RFC 3339, for log lines.
pub fn log_time() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .map_or_else(|_| String::new(), |t| t.to_string())
}

/// Runs the server until SIGINT or SIGTERM. `ready` is called with the
/// bound address once it listens (`--listen 127.0.0.1:0` picks a port).
pub fn run(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("gitsm-serve-io")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let shared = Arc::new(worker::Shared::new(config, rt.handle().clone())?);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(shared.config.listen))
        .map_err(|e| format!("--listen {}: {e}", shared.config.listen))?;
    let addr = listener.local_addr().map_err(|e| format!("--listen: {e}"))?;
    let requeued = shared.load_leftover();
    let workers = worker::start(&shared);
    (shared.config.log)(serde_json::json!({
        "ts": log_time(), "msg": "listening", "addr": addr.to_string(),
        "workers": workers.len(), "queue_capacity": shared.config.queue_capacity,
        "requeued": requeued, "data": shared.config.data.display().to_string(),
    }));
    ready(addr);
    rt.block_on(http::serve(listener, shared.clone(), shutdown_signal()));
    // In-flight evaluations finish; what is still queued is saved for the
    // next start.
    shared.queue.close();
    for w in workers {
        let _ = w.join();
    }
    let saved = shared.save_leftover()?;
    (shared.config.log)(serde_json::json!({"ts": log_time(), "msg": "stopped", "saved_for_restart": saved}));
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
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

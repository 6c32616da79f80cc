//! `gitsm serve`: reads the App's configuration from the environment and
//! flags, runs the webhook server, and writes its log lines to stderr.

use super::Globals;
use anyhow::Context;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Run the gate as a GitHub App: a webhook server that judges pull requests
#[derive(clap::Args, Debug)]
#[command(after_help = "Configuration by environment:\n  \
GITSM_APP_ID                    the App's id\n  \
GITSM_APP_PRIVATE_KEY           the App's private key (PEM), or\n  \
GITSM_APP_PRIVATE_KEY_FILE      a file holding it\n  \
GITSM_WEBHOOK_SECRET            the webhook secret (or GITSM_WEBHOOK_SECRET_FILE)\n  \
GITSM_GITHUB_API_URL            default https://api.github.com (GitHub Enterprise: https://HOST/api/v3)\n  \
GITSM_GIT_URL                   where repositories are fetched, default https://github.com\n\n\
Endpoints: POST /webhook, GET /healthz, GET /metrics (Prometheus).\n\
Logs: one JSON line per delivery and per evaluation on stderr; no secrets.\n\
SIGTERM or SIGINT: stop accepting, finish evaluations in progress, save the queue under --data.\n\n\
Examples:\n  gitsm serve --listen 127.0.0.1:8080 --data ./gitsm-data\n  GITSM_APP_ID=12345 GITSM_APP_PRIVATE_KEY_FILE=/run/secrets/app.pem GITSM_WEBHOOK_SECRET_FILE=/run/secrets/hook \\\n    gitsm serve --listen 0.0.0.0:8080 --data /var/lib/gitsm\n\nSee docs/app.md for creating the App and requiring its check.")]
pub struct Args {
    /// Address to listen on (port 0 picks a free port; the address is printed)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder for the repository mirrors and the server's state
    #[arg(long, value_name = "DIR", default_value = "gitsm-data")]
    data: PathBuf,
    /// Evaluations run at once (per pull request they are always one at a time)
    #[arg(long, value_name = "N", default_value_t = 2)]
    workers: usize,
    /// Evaluations that may wait; deliveries beyond get 503 and are redelivered
    #[arg(long, value_name = "N", default_value_t = 1000)]
    queue: usize,
    /// How long one git fetch may take
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    fetch_timeout: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `NAME`, or the file named by `NAME_FILE`.
fn secret(name: &str) -> anyhow::Result<Option<String>> {
    if let Some(v) = env(name) {
        return Ok(Some(v));
    }
    let file_var = format!("{name}_FILE");
    match env(&file_var) {
        Some(f) => {
            let text = gitsm::fsutil::read_given_text(std::path::Path::new(&f), gitsm::fsutil::INPUT)
                .with_context(|| format!("{file_var}={f}"))?;
            Ok(Some(text.trim_end().to_string()))
        }
        None => Ok(None),
    }
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let app_id: u64 = env("GITSM_APP_ID")
        .context("GITSM_APP_ID is not set (the App's id, on its settings page)")?
        .trim()
        .parse()
        .context("GITSM_APP_ID is not a number")?;
    let private_key = secret("GITSM_APP_PRIVATE_KEY")?.context(
        "GITSM_APP_PRIVATE_KEY or GITSM_APP_PRIVATE_KEY_FILE must hold the App's private key (PEM)",
    )?;
    let webhook_secret = secret("GITSM_WEBHOOK_SECRET")?
        .context("GITSM_WEBHOOK_SECRET (or _FILE) must hold the webhook secret: unsigned deliveries are never accepted")?;
    let retry = gitsm::github::retry::RetryPolicy::from_env().map_err(anyhow::Error::msg)?;
    let fetch_timeout = gitsm::github::retry::parse_duration(&a.fetch_timeout)
        .map_err(|e| anyhow::anyhow!("--fetch-timeout {}: {e}", a.fetch_timeout))?;
    let log: gitsm::serve::Log = std::sync::Arc::new(|v: serde_json::Value| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{v}");
    });
    let config = gitsm::serve::Config {
        listen: a.listen,
        data: a.data,
        app_id,
        private_key,
        webhook_secret: webhook_secret.into_bytes(),
        api_url: env("GITSM_GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        git_url: env("GITSM_GIT_URL").unwrap_or_else(|| "https://github.com".into()),
        workers: a.workers,
        queue_capacity: a.queue,
        retry,
        fetch_timeout,
        now: g.now,
        log,
    };
    gitsm::serve::run(config, |addr| {
        // The one line a supervisor (or a test) reads to learn the port.
        println!("gitsm serve listening on http://{addr}");
        let _ = std::io::stdout().flush();
    })
    .map_err(anyhow::Error::msg)?;
    Ok(0)
}

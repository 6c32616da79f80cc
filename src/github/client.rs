//! The one octocrab client gitsm builds, for the gate's `--github` adapter
//! and for `gitsm serve`: octocrab over hyper + rustls (no system OpenSSL),
//! with timeouts on connect, read and write, our `User-Agent` (octocrab's
//! default builder adds its own as well) and GitHub's `Accept`.

use octocrab::service::middleware::{
    auth_header::AuthHeaderLayer, base_uri::BaseUriLayer, extra_headers::ExtraHeadersLayer,
};
use octocrab::Octocrab;
use std::sync::Arc;
use std::time::Duration;

/// A client for the API at `base`. With `auth`, that header goes only to
/// the API's own host (octocrab's auth layer adds it for that authority
/// alone); without, each call carries its own `Authorization` (the App's
/// JWT or an installation token). Errors are about TLS set-up only.
pub fn octocrab(
    base: http::Uri,
    user_agent: &'static str,
    timeout: Duration,
    auth: Option<http::HeaderValue>,
) -> Result<Octocrab, String> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(Some(timeout.min(Duration::from_secs(10))));
    connector.set_read_timeout(Some(timeout));
    connector.set_write_timeout(Some(timeout));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, octocrab::OctoBody>(connector);
    let headers = vec![
        (
            http::header::USER_AGENT,
            http::HeaderValue::from_static(user_agent),
        ),
        (
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/vnd.github+json"),
        ),
    ];
    let builder = octocrab::OctocrabBuilder::new_empty()
        .with_service(client)
        .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
        .with_layer(&BaseUriLayer::new(base.clone()));
    let octo = match auth {
        Some(mut a) => {
            a.set_sensitive(true);
            builder
                .with_layer(&AuthHeaderLayer::new(Some(a), base.clone(), base))
                .with_auth(octocrab::AuthState::None)
                .build()
        }
        None => builder.with_auth(octocrab::AuthState::None).build(),
    };
    match octo {
        Ok(o) => Ok(o),
        Err(never) => match never {},
    }
}

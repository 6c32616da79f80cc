//! The HTTP exchange under every GitHub call: one request bounded by the
//! policy's timeout, redirects followed on the API's own host only, retries
//! under [`retry::run`], pagination, and the error messages a user reads.

use super::{gh, Client};
use crate::gate::GateError;
use crate::github::retry::{self, Attempt, Class, RetryPolicy};
use octocrab::Octocrab;

/// One HTTP answer, body read.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: http::HeaderMap,
    pub(super) body: String,
}

impl Answer {
    pub(super) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why an attempt brought no usable answer.
enum NoAnswer {
    /// Connection failed or reset, or a stall: worth another try.
    Transient(String),
    /// A redirect off the API's host, or too many: never followed.
    Refused(String),
}

/// The last failure of a request that [`retry::run`] gave up on.
pub(super) enum Failure {
    NoAnswer(String),
    Refused(String),
    Http(Answer),
    /// Already described (a step with retries of its own failed).
    Gate(GateError),
}

/// Redirects followed per request (a renamed repository needs one).
const MAX_REDIRECTS: usize = 5;

pub(super) fn status_error(what: &str, status: u16, body: &str) -> GateError {
    gh(status_message(what, status, &http::HeaderMap::new(), body))
}

fn status_message(what: &str, status: u16, headers: &http::HeaderMap, body: &str) -> String {
    let detail = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_default();
    let why = match status {
        _ if retry::is_rate_limited(status, headers, body) => {
            format!("rate limited by GitHub (HTTP {status})")
        }
        // Also the App's client (`gitsm serve`), whose token is an
        // installation token: name both.
        401 => "unauthorized: the token (GITHUB_TOKEN, or the App's installation token) is missing, expired or invalid"
            .to_string(),
        403 => "forbidden: the token lacks permission (the workflow's `permissions:` in docs/gate.md, or the App's in docs/app.md)"
            .to_string(),
        404 => "not found (wrong OWNER/REPO or PR number, or the token cannot see it)".to_string(),
        s if s >= 500 => format!("GitHub answered {s} (server error)"),
        s => format!("HTTP {s}"),
    };
    if detail.is_empty() {
        format!("{what}: {why}")
    } else {
        format!("{what}: {why} ({detail})")
    }
}

fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `scheme://authority` of an absolute URL, lower-cased.
fn origin(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?).to_ascii_lowercase())
}

/// The `next` URL of a Link header.
fn next_link(headers: &http::HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim().strip_prefix('<')?.strip_suffix('>')?;
        pieces
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"")
            .then(|| url.to_string())
    })
}

impl Client {
    /// `url` when it is on the API's own host (scheme, host and port), made
    /// absolute; `None` otherwise. Only such URLs get the token.
    fn on_api_host(&self, url: &str) -> Option<String> {
        let api_origin = origin(&self.api)?;
        if url.starts_with('/') && !url.starts_with("//") {
            return Some(format!("{api_origin}{url}"));
        }
        (origin(url)? == api_origin).then(|| url.to_string())
    }

    /// One exchange, bounded by the policy's timeout.
    async fn exchange(
        &self,
        method: &http::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, String> {
        let call = async {
            let res = match *method {
                http::Method::GET => self.octo._get(url).await,
                http::Method::POST => self.octo._post(url, body).await,
                http::Method::PATCH => self.octo._patch(url, body).await,
                http::Method::PUT => self.octo._put(url, body).await,
                _ => unreachable!("only GET, POST, PATCH and PUT are used"),
            }
            .map_err(|e| format!("cannot reach {}: {}", self.api, short_err(&e)))?;
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let body = self
                .octo
                .body_to_string(res)
                .await
                .map_err(|e| format!("reading the answer: {}", short_err(&e)))?;
            Ok(Answer {
                status,
                headers,
                body,
            })
        };
        tokio::time::timeout(self.retry.timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "no answer from {} within {:?} ({})",
                    self.api,
                    self.retry.timeout,
                    retry::ENV_TIMEOUT
                ))
            })
    }

    /// One attempt: an exchange, following redirects on the API's host
    /// with the same method and body (GitHub's answer for a renamed
    /// repository).
    async fn attempt(
        &self,
        method: &http::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, NoAnswer> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let a = self
                .exchange(method, &url, body)
                .await
                .map_err(NoAnswer::Transient)?;
            if !matches!(a.status, 301 | 302 | 307 | 308) {
                return Ok(a);
            }
            let location = a
                .headers
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| NoAnswer::Refused(format!("HTTP {} without a Location", a.status)))?;
            url = self.on_api_host(location).ok_or_else(|| {
                NoAnswer::Refused(format!(
                    "HTTP {} to another host ({}); the token is only sent to {}",
                    a.status,
                    origin(location).unwrap_or_else(|| "an unreadable URL".into()),
                    self.api
                ))
            })?;
        }
        Err(NoAnswer::Refused(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// One attempt, read for [`retry::run`]: no answer, 5xx, 429 and rate
    /// limits are worth another try; any other answer is done.
    pub(super) async fn attempt_classified(
        &self,
        method: &http::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Attempt<Answer, Failure> {
        match self.attempt(method, url, body).await {
            Err(NoAnswer::Transient(why)) => Attempt::Retry {
                after: None,
                error: Failure::NoAnswer(why),
            },
            Err(NoAnswer::Refused(why)) => Attempt::Fail(Failure::Refused(why)),
            Ok(a) => match retry::classify(a.status, &a.headers, &a.body, now_epoch()) {
                Class::Final => Attempt::Done(a),
                Class::Transient { after, .. } => Attempt::Retry {
                    after,
                    error: Failure::Http(a),
                },
            },
        }
    }

    /// A request, retried under the policy on no answer, 5xx, 429 and rate
    /// limits. Any other answer, success or not, is returned as it is.
    pub(super) async fn send(
        &self,
        method: http::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<Answer, GateError> {
        retry::run(&self.retry, |_| self.attempt_classified(&method, url, body))
            .await
            .map_err(|stop| self.gave_up(what, stop))
    }

    /// The error for a request [`retry::run`] stopped.
    pub(super) fn gave_up(&self, what: &str, stop: retry::Stopped<Failure>) -> GateError {
        let mut msg = match stop.error {
            Failure::NoAnswer(why) | Failure::Refused(why) => format!("{what}: {why}"),
            Failure::Http(a) => status_message(what, a.status, &a.headers, &a.body),
            Failure::Gate(e) => return e,
        };
        if let Some(wait) = stop.next_wait {
            let tries = match stop.attempts {
                1 => "1 attempt".to_string(),
                n => format!("{n} attempts"),
            };
            msg.push_str(&format!(
                "; gave up after {tries} in {:.1}s: the next wait ({:.1}s) would pass the retry budget of {:.1}s ({})",
                stop.elapsed.as_secs_f64(),
                wait.as_secs_f64(),
                self.retry.budget.as_secs_f64(),
                retry::ENV_BUDGET
            ));
        }
        gh(msg)
    }

    pub(super) async fn get_json(&self, url: &str, what: &str) -> Result<serde_json::Value, GateError> {
        let a = self.send(http::Method::GET, url, None, what).await?;
        json_of(what, &a)
    }

    /// Every item of a paginated list, following `Link: rel="next"`.
    pub(super) async fn get_all(&self, first: &str, what: &str) -> Result<Vec<serde_json::Value>, GateError> {
        let mut out = Vec::new();
        let mut url = Some(first.to_string());
        let mut pages = 0;
        while let Some(u) = url {
            pages += 1;
            if pages > 1000 {
                return Err(gh(format!("{what}: more than 1000 pages; refusing to go on")));
            }
            let a = self.send(http::Method::GET, &u, None, what).await?;
            match json_of(what, &a)? {
                serde_json::Value::Array(items) => out.extend(items),
                _ => return Err(gh(format!("{what}: expected a JSON array"))),
            }
            url = match next_link(&a.headers) {
                Some(next) => Some(self.on_api_host(&next).ok_or_else(|| {
                    gh(format!(
                        "{what}: the next page is on another host; the token is only sent to {}",
                        self.api
                    ))
                })?),
                None => None,
            };
        }
        Ok(out)
    }
}

pub(super) fn json_of(what: &str, a: &Answer) -> Result<serde_json::Value, GateError> {
    if !a.ok() {
        return Err(status_error(what, a.status, &a.body));
    }
    serde_json::from_str(&a.body).map_err(|e| gh(format!("{what}: bad JSON: {e}")))
}

/// `User-Agent`: GitHub asks for one naming the application.
const USER_AGENT: &str = concat!("gitsm/", env!("CARGO_PKG_VERSION"));

/// Octocrab over the same hyper + rustls stack its default builder makes,
/// but with our `User-Agent` (the default builder always adds its own as
/// well) and `Accept`. The token goes only to the API's own host: octocrab's
/// auth layer adds it for that authority alone.
pub(super) async fn octocrab_for(api: &str, token: &str, retry: &RetryPolicy) -> Result<Octocrab, GateError> {
    let base: http::Uri = api.parse().map_err(|e| gh(format!("--api-url {api}: {e}")))?;
    let auth: http::HeaderValue = format!("Bearer {token}")
        .parse()
        .map_err(|_| gh("GITHUB_TOKEN holds characters that cannot go in an HTTP header"))?;
    crate::github::client::octocrab(base, USER_AGENT, retry.timeout, Some(auth)).map_err(gh)
}

/// The first line of an octocrab error, without its source chain (which
/// never holds the token, but can be long).
fn short_err(e: &octocrab::Error) -> String {
    let mut s = e.to_string();
    if let Some(i) = s.find('\n') {
        s.truncate(i);
    }
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

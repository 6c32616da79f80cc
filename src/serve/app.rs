//! The App's identity: a JWT signed with its private key (RS256, ring) buys
//! an installation token, cached until shortly before it expires. The key
//! and the tokens are never logged; the `Authorization` header is marked
//! sensitive. This module also makes the few REST calls the gate's adapter
//! does not (an installation token, a pull request's state, the open pull
//! requests of a base branch), through octocrab and the shared retry loop.

use super::Failed;
use crate::github::retry::{self, Attempt, Class, RetryPolicy};
use base64::Engine;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The App's private key and id.
pub struct AppKey {
    id: u64,
    key: RsaKeyPair,
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppKey {{ id: {}, key: <hidden> }}", self.id)
    }
}

impl AppKey {
    /// `pem`: the key GitHub hands out (`BEGIN RSA PRIVATE KEY`, PKCS#1) or
    /// its PKCS#8 form (`BEGIN PRIVATE KEY`).
    pub fn from_pem(id: u64, pem: &str) -> Result<AppKey, String> {
        let (label, der) = pem_decode(pem)?;
        let key = match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            other => {
                return Err(format!(
                    "the App private key is a PEM `{other}`, expected `RSA PRIVATE KEY`"
                ))
            }
        }
        .map_err(|e| format!("the App private key is not a usable RSA key: {e}"))?;
        Ok(AppKey { id, key })
    }

    /// The public key (PKCS#1 `RSAPublicKey` DER), for tests that check the JWT.
    pub fn public_key_der(&self) -> Vec<u8> {
        use ring::signature::KeyPair;
        self.key.public_key().as_ref().to_vec()
    }

    /// A JWT for the App: issued a minute in the past (clock drift, as
    /// GitHub advises), valid nine minutes (GitHub allows ten).
    pub fn jwt(&self, now_epoch: u64) -> Result<String, String> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({"iat": now_epoch.saturating_sub(60), "exp": now_epoch + 540, "iss": self.id.to_string()});
        let claims = b64.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "signing the App's JWT failed".to_string())?;
        Ok(format!("{signing_input}.{}", b64.encode(sig)))
    }
}

fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), String> {
    let begin = pem
        .find("-----BEGIN ")
        .ok_or("the App private key is not PEM (no -----BEGIN line)")?;
    let rest = &pem[begin + 11..];
    let label_end = rest
        .find("-----")
        .ok_or("the App private key's BEGIN line is cut")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let end = rest
        .find(&end_marker)
        .ok_or("the App private key has no END line")?;
    let b64: String = rest[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("the App private key's base64 is broken: {e}"))?;
    Ok((label, der))
}

pub fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A token is renewed this long before GitHub's `expires_at`.
const RENEW_BEFORE: u64 = 5 * 60;

/// One HTTP answer, body read.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// The App's REST client.
pub struct Api {
    octo: octocrab::Octocrab,
    api: String,
    key: AppKey,
    retry: RetryPolicy,
    /// installation id → (token, unix time it is renewed after).
    tokens: Mutex<HashMap<u64, (String, u64)>>,
}

impl Api {
    pub fn new(api: &str, key: AppKey, retry: RetryPolicy) -> Result<Api, String> {
        let api = api.trim_end_matches('/').to_string();
        let octo = octocrab_without_auth(&api, &retry)?;
        Ok(Api {
            octo,
            api,
            key,
            retry,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    pub fn api_url(&self) -> &str {
        &self.api
    }

    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// A request with `Authorization: <auth>`, retried on no answer, 5xx,
    /// 429 and rate limits; any other answer is returned as it is.
    async fn send(
        &self,
        method: http::Method,
        path: &str,
        auth: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Failed> {
        let url = format!("{}{path}", self.api);
        let mut value: http::HeaderValue = auth
            .parse()
            .map_err(|_| Failed::new("a token holds characters that cannot go in an HTTP header"))?;
        value.set_sensitive(true);
        let out = retry::run(&self.retry, |_| {
            let (method, url, value) = (method.clone(), url.clone(), value.clone());
            async move {
                let req = http::Request::builder()
                    .method(method)
                    .uri(&url)
                    .header(http::header::AUTHORIZATION, value);
                let req = match self.octo.build_request(req, body) {
                    Ok(r) => r,
                    Err(e) => return Attempt::Fail(format!("{url}: {e}")),
                };
                let call = async {
                    let res = self
                        .octo
                        .execute(req)
                        .await
                        .map_err(|e| format!("cannot reach {}: {e}", self.api))?;
                    let status = res.status().as_u16();
                    let headers = res.headers().clone();
                    let body = self
                        .octo
                        .body_to_string(res)
                        .await
                        .map_err(|e| format!("reading the answer: {e}"))?;
                    Ok::<_, String>(Answer {
                        status,
                        headers,
                        body,
                    })
                };
                match tokio::time::timeout(self.retry.timeout, call).await {
                    Err(_) => Attempt::Retry {
                        after: None,
                        error: format!("no answer from {} within {:?}", self.api, self.retry.timeout),
                    },
                    Ok(Err(e)) => Attempt::Retry {
                        after: None,
                        error: e,
                    },
                    Ok(Ok(a)) => match retry::classify(a.status, &a.headers, &a.body, now_epoch()) {
                        Class::Final => Attempt::Done(a),
                        Class::Transient { after, .. } => Attempt::Retry {
                            after,
                            error: format!("HTTP {}", a.status),
                        },
                    },
                }
            }
        })
        .await;
        out.map_err(|stop| {
            Failed::github(format!(
                "{path}: {} (after {} attempt(s) in {:.1}s)",
                stop.error,
                stop.attempts,
                stop.elapsed.as_secs_f64()
            ))
        })
    }

    /// A token for `installation`, from the cache while it is fresh.
    pub async fn installation_token(&self, installation: u64) -> Result<String, Failed> {
        let now = now_epoch();
        if let Some((t, renew_after)) = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&installation)
        {
            if now < *renew_after {
                return Ok(t.clone());
            }
        }
        let jwt = self.key.jwt(now).map_err(Failed::new)?;
        let path = format!("/app/installations/{installation}/access_tokens");
        let a = self
            .send(http::Method::POST, &path, &format!("Bearer {jwt}"), None)
            .await?;
        let v = json_ok(&a, "installation token")?;
        let token = v
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| Failed::github("installation token: the answer has no `token`"))?
            .to_string();
        let expires = v
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map_or(now + 3600, |t| t.as_second().max(0) as u64);
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).insert(
            installation,
            (token.clone(), expires.saturating_sub(RENEW_BEFORE)),
        );
        Ok(token)
    }

    /// Drops the cached token of `installation` (it was refused: the App
    /// was reinstalled, or its permissions changed), so the next call gets
    /// a new one.
    pub fn forget_token(&self, installation: u64) {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&installation);
    }

    /// `GET /repos/{repo}/pulls/{n}`.
    pub async fn pull(&self, repo: &str, token: &str, n: u64) -> Result<Value, Failed> {
        let a = self
            .send(
                http::Method::GET,
                &format!("/repos/{repo}/pulls/{n}"),
                &format!("token {token}"),
                None,
            )
            .await?;
        json_ok(&a, "pull request")
    }

    /// Numbers of the open pull requests into `base`, every page.
    pub async fn open_pulls(&self, repo: &str, token: &str, base: &str) -> Result<Vec<u64>, Failed> {
        let mut out = Vec::new();
        for page in 1..=100 {
            let path = format!(
                "/repos/{repo}/pulls?state=open&base={}&per_page=100&page={page}",
                percent(base)
            );
            let a = self
                .send(http::Method::GET, &path, &format!("token {token}"), None)
                .await?;
            let items = match json_ok(&a, "open pull requests")? {
                Value::Array(items) => items,
                _ => return Err(Failed::github("open pull requests: expected a JSON array")),
            };
            out.extend(
                items
                    .iter()
                    .filter_map(|p| p.get("number").and_then(Value::as_u64)),
            );
            let more = a
                .headers
                .get(http::header::LINK)
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.contains("rel=\"next\""));
            if !more {
                return Ok(out);
            }
        }
        Err(Failed::github("open pull requests: more than 100 pages"))
    }
}

/// A branch name in a query string.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn json_ok(a: &Answer, what: &str) -> Result<Value, Failed> {
    if !(200..300).contains(&a.status) {
        let detail = serde_json::from_str::<Value>(&a.body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        return Err(Failed::github(format!("{what}: HTTP {} {detail}", a.status)));
    }
    serde_json::from_str(&a.body).map_err(|e| Failed::github(format!("{what}: bad JSON: {e}")))
}

const USER_AGENT: &str = concat!("gitsm-serve/", env!("CARGO_PKG_VERSION"));

/// The shared octocrab client with no credentials of its own: each call
/// carries its own `Authorization` (the App's JWT or an installation token).
fn octocrab_without_auth(api: &str, retry: &RetryPolicy) -> Result<octocrab::Octocrab, String> {
    let base: http::Uri = api
        .parse()
        .map_err(|e| format!("GITSM_GITHUB_API_URL {api}: {e}"))?;
    crate::github::client::octocrab(base, USER_AGENT, retry.timeout, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_key() {
        assert!(AppKey::from_pem(1, "hello").unwrap_err().contains("not PEM"));
        let e = AppKey::from_pem(
            1,
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(e.contains("not a usable RSA key"), "{e}");
        assert_eq!(percent("release/1.0 x"), "release/1.0%20x");
    }
}

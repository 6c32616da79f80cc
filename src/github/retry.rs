//! When a GitHub API call is worth another try, and how long to wait first.
//!
//! GitHub asks clients to back off on server errors, to honour `Retry-After`
//! on 429 and on secondary rate limits (a 403 whose body says so, or that
//! carries `Retry-After` or `X-RateLimit-Remaining: 0`), and to wait for
//! `X-RateLimit-Reset` when the primary limit is spent. A rate-limit 403 is
//! not a permission error: callers that fall back on 403 must ask
//! [`classify`] first. Everything but the wait itself is pure: the schedule
//! ([`RetryPolicy::backoff`]) and the reading of an answer ([`classify`]) are
//! plain functions; [`run`] is the small async loop around them that the
//! gate's adapter and `gitsm serve` share.

use std::future::Future;
use std::time::Duration;

/// The total time one request may spend on retries (waits and attempts).
pub const ENV_BUDGET: &str = "GITSM_GITHUB_RETRY_BUDGET";
/// How long one attempt may take before it counts as stalled.
pub const ENV_TIMEOUT: &str = "GITSM_GITHUB_TIMEOUT";
/// The first backoff step (doubled on each retry).
pub const ENV_BACKOFF_BASE: &str = "GITSM_GITHUB_BACKOFF_BASE";
/// The largest backoff step.
pub const ENV_BACKOFF_CAP: &str = "GITSM_GITHUB_BACKOFF_CAP";

/// How a request is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first backoff step; each retry doubles it, up to `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// From the first attempt: a retry whose wait would end past this is not
    /// made, and the last error stands.
    pub budget: Duration,
    /// One attempt (answer and body) taking longer is a stall, and retried.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            budget: Duration::from_secs(120),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The defaults, overridden by `GITSM_GITHUB_RETRY_BUDGET`,
    /// `GITSM_GITHUB_TIMEOUT`, `GITSM_GITHUB_BACKOFF_BASE` and
    /// `GITSM_GITHUB_BACKOFF_CAP` (durations: `90`, `90s`, `2m`, `250ms`).
    pub fn from_env() -> Result<RetryPolicy, String> {
        RetryPolicy::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`RetryPolicy::from_env`] with the variables read through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<RetryPolicy, String> {
        let mut p = RetryPolicy::default();
        for (var, field) in [
            (ENV_BUDGET, &mut p.budget),
            (ENV_TIMEOUT, &mut p.timeout),
            (ENV_BACKOFF_BASE, &mut p.base),
            (ENV_BACKOFF_CAP, &mut p.cap),
        ] {
            if let Some(v) = get(var).filter(|v| !v.trim().is_empty()) {
                *field = parse_duration(&v).map_err(|e| format!("{var}={v:?}: {e}"))?;
            }
        }
        if p.timeout.is_zero() {
            return Err(format!("{ENV_TIMEOUT} must be more than 0"));
        }
        Ok(p)
    }

    /// The wait before retry number `retry` (0 for the first), with
    /// `jitter` in `[0, 1)`: "equal jitter", half of the exponential step
    /// fixed and half random, so clients that failed together do not come
    /// back together, yet every wait grows.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let step = self
            .base
            .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.cap)
            .min(self.cap);
        let half = step / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// `90` (seconds), `90s`, `2m`, `250ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| "expected a duration such as 120, 120s, 2m or 500ms".to_string())?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("unknown unit {unit:?} (use ms, s or m)")),
    }
}

/// Why an answer is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// 5xx.
    ServerError,
    /// 429 without rate-limit headers.
    TooManyRequests,
    /// A primary or secondary rate limit (403 or 429).
    RateLimited,
    /// No answer: connection refused or reset, or a stall past the timeout.
    NoAnswer,
}

/// What an HTTP answer means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A success, or an error that asking again cannot fix (other 4xx).
    Final,
    /// Ask again; after `after` when GitHub said how long to wait.
    Transient { why: Transient, after: Option<Duration> },
}

fn header<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// A 403 or 429 that is a rate limit, not a refusal: its body says so, or
/// it carries `Retry-After` or `X-RateLimit-Remaining: 0`.
pub fn is_rate_limited(status: u16, headers: &http::HeaderMap, body: &str) -> bool {
    (status == 403 || status == 429)
        && (headers.contains_key(http::header::RETRY_AFTER)
            || header(headers, "x-ratelimit-remaining") == Some("0")
            || body.to_ascii_lowercase().contains("rate limit"))
}

/// How long GitHub asked us to wait: `Retry-After` seconds, else the time
/// until `X-RateLimit-Reset` (epoch seconds) when the limit is spent.
pub fn requested_wait(headers: &http::HeaderMap, now_epoch: u64) -> Option<Duration> {
    if let Some(secs) = header(headers, "retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if header(headers, "x-ratelimit-remaining") == Some("0") {
        let reset = header(headers, "x-ratelimit-reset")?.parse::<u64>().ok()?;
        // One second more: the reset is rounded down to the second.
        return Some(Duration::from_secs(reset.saturating_sub(now_epoch) + 1));
    }
    None
}

/// Reads one answer. `now_epoch` (Unix seconds) turns `X-RateLimit-Reset`
/// into a wait.
pub fn classify(status: u16, headers: &http::HeaderMap, body: &str, now_epoch: u64) -> Class {
    let after = requested_wait(headers, now_epoch);
    if is_rate_limited(status, headers, body) {
        // A secondary limit without a time: GitHub says to wait at least a minute.
        let after = after.or_else(|| {
            body.to_ascii_lowercase()
                .contains("secondary rate limit")
                .then_some(Duration::from_secs(60))
        });
        return Class::Transient {
            why: Transient::RateLimited,
            after,
        };
    }
    match status {
        429 => Class::Transient {
            why: Transient::TooManyRequests,
            after,
        },
        500..=599 => Class::Transient {
            why: Transient::ServerError,
            after,
        },
        _ => Class::Final,
    }
}

/// One attempt's result, for [`run`].
#[derive(Debug)]
pub enum Attempt<T, E> {
    Done(T),
    /// Worth another try, after `after` when the server asked for a wait
    /// (otherwise after the backoff).
    Retry {
        after: Option<Duration>,
        error: E,
    },
    /// Not worth another try.
    Fail(E),
}

/// Why [`run`] stopped without a result.
#[derive(Debug)]
pub struct Stopped<E> {
    /// The last attempt's error.
    pub error: E,
    pub attempts: u32,
    pub elapsed: Duration,
    /// The next wait did not fit in the budget (`None`: the error was not
    /// worth a retry).
    pub next_wait: Option<Duration>,
}

/// A jitter in `[0, 1)` without a random-number crate: std's `RandomState`
/// is seeded randomly per process and per instance.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Calls `attempt` (with the attempt number, from 0) until it is done,
/// fails, or the next wait would end past the policy's budget. The caller
/// bounds each attempt by `policy.timeout`.
pub async fn run<T, E, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, Stopped<E>>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
{
    let start = tokio::time::Instant::now();
    let mut n = 0u32;
    loop {
        let out = attempt(n).await;
        n += 1;
        match out {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(error) => {
                return Err(Stopped {
                    error,
                    attempts: n,
                    elapsed: start.elapsed(),
                    next_wait: None,
                })
            }
            Attempt::Retry { after, error } => {
                let wait = after.unwrap_or_else(|| policy.backoff(n - 1, jitter()));
                if start.elapsed() + wait > policy.budget {
                    return Err(Stopped {
                        error,
                        attempts: n,
                        elapsed: start.elapsed(),
                        next_wait: Some(wait),
                    });
                }
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_schedule_doubles_up_to_the_cap_with_half_of_it_jittered() {
        let p = RetryPolicy {
            base: ms(100),
            cap: ms(1000),
            ..RetryPolicy::default()
        };
        let low: Vec<Duration> = (0..6).map(|i| p.backoff(i, 0.0)).collect();
        assert_eq!(low, [ms(50), ms(100), ms(200), ms(400), ms(500), ms(500)]);
        let high: Vec<Duration> = (0..6).map(|i| p.backoff(i, 0.999_999)).collect();
        for (l, h) in low.iter().zip(&high) {
            assert!(h >= l && *h <= *l * 2, "{l:?} {h:?}");
        }
        // Huge attempt numbers neither overflow nor pass the cap.
        assert_eq!(p.backoff(u32::MAX, 1.0), ms(1000));
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn durations_and_the_environment() {
        assert_eq!(parse_duration("120"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(ms(250)));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("-1").is_err());
        let p = RetryPolicy::from_lookup(|k| (k == ENV_BUDGET).then(|| "5s".to_string())).unwrap();
        assert_eq!(p.budget, Duration::from_secs(5));
        assert_eq!(p.timeout, RetryPolicy::default().timeout);
        let e = RetryPolicy::from_lookup(|k| (k == ENV_TIMEOUT).then(|| "soon".to_string())).unwrap_err();
        assert!(e.starts_with("GITSM_GITHUB_TIMEOUT=\"soon\""), "{e}");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn rate_limits_are_told_apart_from_permission_errors() {
        let none = http::HeaderMap::new();
        let perm = r#"{"message":"Resource not accessible by integration"}"#;
        assert_eq!(classify(403, &none, perm, 0), Class::Final);
        assert_eq!(classify(404, &none, "{}", 0), Class::Final);
        assert_eq!(classify(422, &none, "{}", 0), Class::Final);
        assert_eq!(classify(201, &none, "{}", 0), Class::Final);
        let secondary = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        assert_eq!(
            classify(403, &headers(&[("retry-after", "3")]), secondary, 0),
            Class::Transient {
                why: Transient::RateLimited,
                after: Some(Duration::from_secs(3))
            }
        );
        assert_eq!(
            classify(403, &none, secondary, 0),
            Class::Transient {
                why: Transient::RateLimited,
                after: Some(Duration::from_secs(60))
            }
        );
        let spent = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1000")]);
        assert_eq!(
            classify(403, &spent, r#"{"message":"API rate limit exceeded"}"#, 990),
            Class::Transient {
                why: Transient::RateLimited,
                after: Some(Duration::from_secs(11))
            }
        );
        assert_eq!(
            classify(429, &none, "", 0),
            Class::Transient {
                why: Transient::TooManyRequests,
                after: None
            }
        );
        assert_eq!(
            classify(502, &none, "", 0),
            Class::Transient {
                why: Transient::ServerError,
                after: None
            }
        );
    }

    #[tokio::test]
    async fn run_retries_within_the_budget_and_stops_on_a_final_error() {
        let p = RetryPolicy {
            base: ms(1),
            cap: ms(4),
            budget: ms(200),
            timeout: ms(100),
        };
        let got = run(&p, |n| async move {
            if n < 3 {
                Attempt::Retry {
                    after: None,
                    error: n,
                }
            } else {
                Attempt::Done(n)
            }
        })
        .await;
        assert_eq!(got.ok(), Some(3));

        let mut calls = 0;
        let stop = run(&p, |_| {
            calls += 1;
            async { Attempt::<(), _>::Fail("422") }
        })
        .await
        .unwrap_err();
        assert_eq!((calls, stop.attempts, stop.next_wait), (1, 1, None));

        // A wait GitHub asks for that does not fit is not waited for.
        let stop = run(&p, |_| async {
            Attempt::<(), _>::Retry {
                after: Some(Duration::from_secs(3600)),
                error: "rate limited",
            }
        })
        .await
        .unwrap_err();
        assert_eq!(stop.attempts, 1);
        assert_eq!(stop.next_wait, Some(Duration::from_secs(3600)));

        let stop = run(&p, |_| async {
            Attempt::<(), _>::Retry {
                after: None,
                error: "502",
            }
        })
        .await
        .unwrap_err();
        assert!(stop.attempts > 10, "{}", stop.attempts);
        // No wait is begun that would end past the budget; a sleep can only
        // overshoot by the timer's slack.
        assert!(stop.elapsed < ms(200) * 2, "{:?}", stop.elapsed);
        assert!(stop.elapsed + stop.next_wait.unwrap() > ms(200), "{stop:?}");
    }
}

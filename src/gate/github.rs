//! The GitHub adapter (octocrab): fetches the PR, every page of its reviews,
//! its commits' authors and the members of `@org/team` entries, and
//! publishes the verdict as a check run (or a commit status) and one PR
//! comment. The token comes from `GITHUB_TOKEN` and is never printed.
//!
//! Every call goes through [`crate::github::retry`]: server errors, 429s,
//! rate limits and stalls are retried within a budget, and a rate-limit 403
//! is never taken for a missing permission. Bodies are cut to GitHub's
//! limits ([`crate::github::limits`]); redirects (a renamed repository) are
//! followed on the API's own host only, so the token goes nowhere else.
//!
//! The library's only async code lives here, behind a private
//! current-thread tokio runtime, so callers stay synchronous.

use super::render::{self, COMMENT_MARKER};
use super::{parse_reviews, Decision, GateError, Outcome, Review, Verdict};
use crate::github::limits::{self, truncate_chars};
use crate::github::retry::{self, Attempt, Class, RetryPolicy};
use octocrab::Octocrab;
use std::collections::HashMap;
use std::time::Duration;

const DEFAULT_API: &str = "https://api.github.com";

/// What the gate needs to know about a pull request.
#[derive(Debug, Clone)]
pub struct PrData {
    pub number: u64,
    pub author: String,
    pub body: String,
    pub head_sha: String,
    pub base_ref: String,
    /// Authors and committers of the PR's commits (logins).
    pub contributors: Vec<String>,
    pub reviews: Vec<Review>,
    /// `@org/team` (lower-case) → member logins; filled by [`Client::resolve_teams`].
    pub teams: HashMap<String, Vec<String>>,
}

pub struct Client {
    rt: tokio::runtime::Runtime,
    octo: Octocrab,
    api: String,
    owner: String,
    repo: String,
    retry: RetryPolicy,
}

/// One HTTP answer, body read.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Answer {
    fn ok(&self) -> bool {
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
enum Failure {
    NoAnswer(String),
    Refused(String),
    Http(Answer),
    /// Already described (a step with retries of its own failed).
    Gate(GateError),
}

/// Redirects followed per request (a renamed repository needs one).
const MAX_REDIRECTS: usize = 5;

/// What publishing did, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// `check_run` or `status`.
    pub via: &'static str,
    /// `created` or `updated`.
    pub comment: &'static str,
}

fn gh(msg: impl Into<String>) -> GateError {
    GateError::GitHub(msg.into())
}

fn status_error(what: &str, status: u16, body: &str) -> GateError {
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
        401 => "unauthorized: GITHUB_TOKEN is missing, expired or invalid".to_string(),
        403 => "forbidden: the token lacks permission (see docs/gate.md for the workflow's `permissions:`)"
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
    /// A client for `OWNER/REPO` with the token from `GITHUB_TOKEN`.
    pub fn from_env(repo: &str, api_url: Option<&str>) -> Result<Client, GateError> {
        let token = std::env::var("GITHUB_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| gh("GITHUB_TOKEN is not set"))?;
        let policy = RetryPolicy::from_env().map_err(gh)?;
        Client::new(repo, api_url, token, policy)
    }

    pub fn new(
        repo: &str,
        api_url: Option<&str>,
        token: String,
        retry: RetryPolicy,
    ) -> Result<Client, GateError> {
        let (owner, name) = repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| gh(format!("--github {repo:?}: expected OWNER/REPO")))?;
        let api = api_url.unwrap_or(DEFAULT_API).trim_end_matches('/').to_string();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| gh(format!("cannot start the HTTP runtime: {e}")))?;
        let octo = rt.block_on(octocrab_for(&api, &token, &retry))?;
        Ok(Client {
            rt,
            octo,
            api,
            owner: owner.to_string(),
            repo: name.to_string(),
            retry,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/repos/{}/{}{path}", self.api, self.owner, self.repo)
    }

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
    async fn attempt_classified(
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
    async fn send(
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
    fn gave_up(&self, what: &str, stop: retry::Stopped<Failure>) -> GateError {
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

    /// One JSON request to `/repos/OWNER/REPO{path}` with this client's
    /// retries, redirect rule and error messages, for commands other than
    /// the gate (`gitsm intake`). A non-2xx answer is an error.
    pub fn repo_call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<serde_json::Value, GateError> {
        let url = self.url(path);
        self.rt.block_on(async {
            let a = self.send(method, &url, body, what).await?;
            json_of(what, &a)
        })
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<serde_json::Value, GateError> {
        let a = self.send(http::Method::GET, url, None, what).await?;
        json_of(what, &a)
    }

    /// Every item of a paginated list, following `Link: rel="next"`.
    async fn get_all(&self, first: &str, what: &str) -> Result<Vec<serde_json::Value>, GateError> {
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

    /// Fetches the PR, all its reviews and its commits' authors.
    pub fn fetch(&self, number: u64) -> Result<PrData, GateError> {
        self.rt.block_on(async {
            let pr = self
                .get_json(&self.url(&format!("/pulls/{number}")), "pull request")
                .await?;
            let s = |v: &serde_json::Value, ptr: &str| {
                v.pointer(ptr).and_then(|x| x.as_str()).map(str::to_string)
            };
            let author = s(&pr, "/user/login").ok_or_else(|| gh("pull request: no author login"))?;
            let head_sha = s(&pr, "/head/sha").ok_or_else(|| gh("pull request: no head sha"))?;
            let base_ref = s(&pr, "/base/ref").ok_or_else(|| gh("pull request: no base ref"))?;
            let body = s(&pr, "/body").unwrap_or_default();
            let raw = self
                .get_all(
                    &self.url(&format!("/pulls/{number}/reviews?per_page=100")),
                    "reviews",
                )
                .await?;
            let reviews = parse_reviews(&serde_json::Value::Array(raw).to_string())?;
            let commits = self
                .get_all(
                    &self.url(&format!("/pulls/{number}/commits?per_page=100")),
                    "commits",
                )
                .await?;
            // GitHub lists at most 250 commits of a pull request. Authors of
            // the commits it leaves out would be unknown, and could approve
            // as if they had not contributed: refuse to decide instead.
            let total = pr.get("commits").and_then(|n| n.as_u64()).ok_or_else(|| {
                gh("pull request: no `commits` count, so its contributors cannot be known")
            })?;
            if total > commits.len() as u64 {
                return Err(gh(format!(
                    "the pull request has {total} commits but GitHub lists only {} (its limit is 250), so not every contributor is known; squash or split the PR",
                    commits.len()
                )));
            }
            let mut contributors = Vec::new();
            for c in &commits {
                for who in ["/author/login", "/committer/login"] {
                    if let Some(l) = s(c, who) {
                        // `web-flow` is GitHub's committer for edits in the web UI, not a person.
                        if l != "web-flow" && !contributors.contains(&l) {
                            contributors.push(l);
                        }
                    }
                }
            }
            Ok(PrData {
                number,
                author,
                body,
                head_sha,
                base_ref,
                contributors,
                reviews,
                teams: HashMap::new(),
            })
        })
    }

    /// Members of each `@org/team` entry. A team that cannot be read is an
    /// error: the gate does not guess who is on the CAB.
    pub fn resolve_teams(&self, teams: &[String]) -> Result<HashMap<String, Vec<String>>, GateError> {
        self.rt.block_on(async {
            let mut out = HashMap::new();
            for t in teams {
                let Some((org, slug)) = t.trim_start_matches('@').split_once('/') else {
                    return Err(gh(format!("team {t:?}: expected @org/team")));
                };
                let url = format!("{}/orgs/{org}/teams/{slug}/members?per_page=100", self.api);
                let members = self.get_all(&url, &format!("members of {t}")).await?;
                let logins = members
                    .iter()
                    .filter_map(|m| m.get("login").and_then(|l| l.as_str()).map(str::to_string))
                    .collect();
                out.insert(t.to_lowercase(), logins);
            }
            Ok(out)
        })
    }

    /// Upserts the one PR comment, then creates the check run (or, when the
    /// token may not, a commit status). Every body is cut to GitHub's limits;
    /// `full_at` says where the whole verdict can be read (e.g. "the job
    /// log") when something was left out. When the comment cannot be
    /// written, the check still goes out, as a failure naming the error:
    /// an earlier run's success on the same commit must not stand.
    pub fn publish(
        &self,
        pr: &PrData,
        head_sha: &str,
        verdict: &Verdict,
        base_branch: &str,
        full_at: &str,
    ) -> Result<Published, GateError> {
        self.rt.block_on(async {
            let body = render::markdown_within(verdict, base_branch, limits::COMMENT_BODY, full_at);
            match self.upsert_comment(pr.number, &body).await {
                Ok(comment) => {
                    let via = self
                        .post_verdict(head_sha, verdict, base_branch, full_at, None)
                        .await?;
                    Ok(Published { via, comment })
                }
                Err(e) => {
                    // Best effort: the comment's error is the one to report.
                    let why = e.to_string();
                    let _ = self
                        .post_verdict(head_sha, verdict, base_branch, full_at, Some(&why))
                        .await;
                    Err(e)
                }
            }
        })
    }

    /// Edits our comment, or creates it. A create whose answer was lost
    /// (a 502, a stall) may still have happened, so a retry does not simply
    /// repeat the `POST`: it lists the comments again and edits the one it
    /// finds, so a PR never gets two.
    async fn upsert_comment(&self, number: u64, body: &str) -> Result<&'static str, GateError> {
        let payload = serde_json::json!({ "body": body });
        retry::run(&self.retry, |_| async {
            let ours = match self.our_comment(number).await {
                Ok(ours) => ours,
                Err(e) => return Attempt::Fail(Failure::Gate(e)),
            };
            let (method, url, done) = match ours {
                Some(id) => (
                    http::Method::PATCH,
                    self.url(&format!("/issues/comments/{id}")),
                    "updated",
                ),
                None => (
                    http::Method::POST,
                    self.url(&format!("/issues/{number}/comments")),
                    "created",
                ),
            };
            match self.attempt_classified(&method, &url, Some(&payload)).await {
                Attempt::Done(a) if a.ok() => Attempt::Done(done),
                Attempt::Done(a) => Attempt::Fail(Failure::Http(a)),
                Attempt::Retry { after, error } => Attempt::Retry { after, error },
                Attempt::Fail(e) => Attempt::Fail(e),
            }
        })
        .await
        .map_err(|stop| self.gave_up("PR comment", stop))
    }

    /// The id of the gate's comment on PR `number`, if there is one.
    async fn our_comment(&self, number: u64) -> Result<Option<u64>, GateError> {
        let comments = self
            .get_all(
                &self.url(&format!("/issues/{number}/comments?per_page=100")),
                "PR comments",
            )
            .await?;
        // Ours: the marked comment, preferring one a bot wrote (anyone can
        // paste the marker; editing theirs only replaces it with the truth).
        let marked: Vec<&serde_json::Value> = comments
            .iter()
            .filter(|c| {
                c.get("body")
                    .and_then(|b| b.as_str())
                    .is_some_and(|b| b.starts_with(COMMENT_MARKER))
            })
            .collect();
        Ok(marked
            .iter()
            .find(|c| c.pointer("/user/type").and_then(|t| t.as_str()) == Some("Bot"))
            .or(marked.first())
            .and_then(|c| c.get("id").and_then(|i| i.as_u64())))
    }

    /// The check run `gitsm gate: <base>` with its annotations, or a commit
    /// status when the token may not create check runs (403/404 — a rate
    /// limit is retried by [`Client::send`], never taken for this).
    /// `failed`: publishing went wrong, so the conclusion is a failure
    /// whatever the verdict.
    async fn post_verdict(
        &self,
        head_sha: &str,
        verdict: &Verdict,
        base_branch: &str,
        full_at: &str,
        failed: Option<&str>,
    ) -> Result<&'static str, GateError> {
        let name = format!("gitsm gate: {base_branch}");
        let (conclusion, title) = match failed {
            Some(why) => ("failure", format!("could not publish the verdict: {why}")),
            None => (
                match verdict.decision {
                    Decision::Allowed => "success",
                    Decision::Denied | Decision::Undecided => "failure",
                },
                render::summary_line(verdict),
            ),
        };
        let title = truncate_chars(&title, CHECK_RUN_TITLE, "…");
        let summary = render::markdown_within(verdict, base_branch, limits::CHECK_RUN_OUTPUT, full_at);
        let annotations = annotations(verdict);
        let mut batches = annotations.chunks(limits::ANNOTATIONS_PER_REQUEST);
        let first = batches.next().unwrap_or_default();
        let more = annotations.len() > limits::ANNOTATIONS_PER_REQUEST;
        let output = |batch: &[serde_json::Value]| serde_json::json!({"title": title, "summary": summary, "annotations": batch});
        // With more annotations than one request takes, the run stays
        // `in_progress` until the last batch carries the conclusion, so no
        // conclusion is ever shown for a half-published run.
        let mut check = serde_json::json!({
            "name": name,
            "head_sha": head_sha,
            "status": if more { "in_progress" } else { "completed" },
            "output": output(first),
        });
        if !more {
            check["conclusion"] = conclusion.into();
        }
        let a = self
            .send(
                http::Method::POST,
                &self.url("/check-runs"),
                Some(&check),
                "check run",
            )
            .await?;
        if a.ok() {
            if more {
                let id = json_of("check run", &a)?
                    .get("id")
                    .and_then(|i| i.as_u64())
                    .ok_or_else(|| gh("check run: the answer has no `id`"))?;
                let batches: Vec<&[serde_json::Value]> = batches.collect();
                for (i, batch) in batches.iter().enumerate() {
                    let mut update = serde_json::json!({ "output": output(batch) });
                    if i + 1 == batches.len() {
                        update["status"] = "completed".into();
                        update["conclusion"] = conclusion.into();
                    }
                    let a = self
                        .send(
                            http::Method::PATCH,
                            &self.url(&format!("/check-runs/{id}")),
                            Some(&update),
                            "check run annotations",
                        )
                        .await?;
                    if !a.ok() {
                        return Err(status_error("check run annotations", a.status, &a.body));
                    }
                }
            }
            return Ok("check_run");
        }
        if a.status != 403 && a.status != 404 {
            return Err(status_error("check run", a.status, &a.body));
        }
        // Tokens that cannot create check runs (a PAT, or `checks: write`
        // missing) can still set a commit status.
        let state = match (failed, verdict.decision) {
            (Some(_), _) | (None, Decision::Undecided) => "error",
            (None, Decision::Allowed) => "success",
            (None, Decision::Denied) => "failure",
        };
        let description = truncate_chars(&title, limits::STATUS_DESCRIPTION, "…");
        let st = serde_json::json!({"state": state, "context": name, "description": description});
        let a = self
            .send(
                http::Method::POST,
                &self.url(&format!("/statuses/{head_sha}")),
                Some(&st),
                "commit status",
            )
            .await?;
        if !a.ok() {
            return Err(status_error("commit status", a.status, &a.body));
        }
        Ok("status")
    }
}

/// GitHub documents no limit for a check run's title; this keeps it a line.
const CHECK_RUN_TITLE: usize = 1_000;
/// Limits of one annotation (GitHub: title 255 characters, message 64 KB).
const ANNOTATION_TITLE: usize = 255;
const ANNOTATION_MESSAGE: usize = 4_000;

/// One annotation per check that did not pass and names a file, blocking
/// ones first (the order of the summary). The gate knows files, not lines,
/// so each points at line 1.
fn annotations(verdict: &Verdict) -> Vec<serde_json::Value> {
    let mut checks: Vec<&super::Check> = verdict
        .checks
        .iter()
        .filter(|c| c.outcome != Outcome::Pass && c.file.is_some())
        .collect();
    checks.sort_by_key(|c| match c.outcome {
        Outcome::Undecided => 0,
        Outcome::Fail => 1,
        _ => 2,
    });
    // A check about several files (a policy change) names them joined by
    // ", ": one annotation on each.
    checks
        .into_iter()
        .flat_map(|c| {
            c.file
                .as_deref()
                .unwrap_or_default()
                .split(", ")
                .map(move |f| (c, f))
        })
        .map(|(c, file)| {
            let message = match &c.fix {
                Some(fix) => format!("{}\nfix: {fix}", c.message),
                None => c.message.clone(),
            };
            serde_json::json!({
                "path": file,
                "start_line": 1,
                "end_line": 1,
                "annotation_level": if c.outcome == Outcome::Warn { "warning" } else { "failure" },
                "title": truncate_chars(&format!("{}: {}", c.subject, c.rule.label()), ANNOTATION_TITLE, "…"),
                "message": truncate_chars(&message, ANNOTATION_MESSAGE, "…"),
            })
        })
        .collect()
}

fn json_of(what: &str, a: &Answer) -> Result<serde_json::Value, GateError> {
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
async fn octocrab_for(api: &str, token: &str, retry: &RetryPolicy) -> Result<Octocrab, GateError> {
    use octocrab::service::middleware::{
        auth_header::AuthHeaderLayer, base_uri::BaseUriLayer, extra_headers::ExtraHeadersLayer,
    };
    use std::sync::Arc;
    let base: http::Uri = api.parse().map_err(|e| gh(format!("--api-url {api}: {e}")))?;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| gh(format!("cannot set up TLS: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(Some(retry.timeout.min(Duration::from_secs(10))));
    connector.set_read_timeout(Some(retry.timeout));
    connector.set_write_timeout(Some(retry.timeout));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, octocrab::OctoBody>(connector);
    let headers = vec![
        (
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        ),
        (
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/vnd.github+json"),
        ),
    ];
    let mut auth: http::HeaderValue = format!("Bearer {token}")
        .parse()
        .map_err(|_| gh("GITHUB_TOKEN holds characters that cannot go in an HTTP header"))?;
    auth.set_sensitive(true);
    let octo = octocrab::OctocrabBuilder::new_empty()
        .with_service(client)
        .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
        .with_layer(&BaseUriLayer::new(base.clone()))
        .with_layer(&AuthHeaderLayer::new(Some(auth), base.clone(), base))
        .with_auth(octocrab::AuthState::None)
        .build();
    match octo {
        Ok(o) => Ok(o),
        Err(never) => match never {},
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Check, Decision, Rule};

    #[test]
    fn a_check_about_several_files_annotates_each() {
        let check = |file: &str, outcome| Check {
            subject: "policy default".into(),
            file: Some(file.into()),
            rule: Rule::PolicyFromBase,
            outcome,
            message: "m".into(),
            fix: None,
        };
        let v = Verdict {
            decision: Decision::Denied,
            checks: vec![
                check(
                    "itsm/policies/default.yaml, .github/workflows/gate.yml",
                    Outcome::Fail,
                ),
                check("itsm/changes/CHG-1.yaml", Outcome::Pass),
            ],
            to_record: Vec::new(),
        };
        let paths: Vec<String> = annotations(&v)
            .iter()
            .map(|a| a["path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            ["itsm/policies/default.yaml", ".github/workflows/gate.yml"]
        );
    }
}

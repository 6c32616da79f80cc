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
//!
//! `mod.rs` holds the client and what the gate reads (the PR, its reviews,
//! commits and teams); [`transport`] is the HTTP exchange under every call
//! (redirects, retries, pagination, error messages); [`publish`] writes the
//! verdict back (the comment, the check run or commit status, annotations).

mod publish;
mod transport;

pub use publish::Published;

use super::{parse_reviews, GateError, Review};
use crate::github::retry::RetryPolicy;
use octocrab::Octocrab;
use std::collections::HashMap;
use transport::{json_of, octocrab_for};

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

fn gh(msg: impl Into<String>) -> GateError {
    GateError::GitHub(msg.into())
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
}

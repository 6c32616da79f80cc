//! The GitHub adapter (octocrab): fetches the PR, every page of its reviews,
//! its commits' authors and the members of `@org/team` entries, and
//! publishes the verdict as a check run (or a commit status) and one PR
//! comment. The token comes from `GITHUB_TOKEN` and is never printed.
//!
//! The library's only async code lives here, behind a private
//! current-thread tokio runtime, so callers stay synchronous.

use super::render::COMMENT_MARKER;
use super::{parse_reviews, Decision, GateError, Review, Verdict};
use octocrab::Octocrab;
use std::collections::HashMap;

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
}

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
    let detail = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_default();
    let why = match status {
        401 => "unauthorized: GITHUB_TOKEN is missing, expired or invalid".to_string(),
        403 => "forbidden: the token lacks permission (see docs/gate.md for the workflow's `permissions:`)"
            .to_string(),
        404 => "not found (wrong OWNER/REPO or PR number, or the token cannot see it)".to_string(),
        s if s >= 500 => format!("GitHub answered {s} (server error); try again"),
        s => format!("HTTP {s}"),
    };
    if detail.is_empty() {
        gh(format!("{what}: {why}"))
    } else {
        gh(format!("{what}: {why} ({detail})"))
    }
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
        Client::new(repo, api_url, token)
    }

    pub fn new(repo: &str, api_url: Option<&str>, token: String) -> Result<Client, GateError> {
        let (owner, name) = repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| gh(format!("--github {repo:?}: expected OWNER/REPO")))?;
        let api = api_url.unwrap_or(DEFAULT_API).trim_end_matches('/').to_string();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| gh(format!("cannot start the HTTP runtime: {e}")))?;
        let octo = rt.block_on(async {
            Octocrab::builder()
                .personal_token(token)
                .base_uri(api.as_str())
                .map_err(|e| gh(format!("--api-url {api}: {e}")))?
                .set_connect_timeout(Some(std::time::Duration::from_secs(10)))
                .set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .build()
                .map_err(|e| gh(format!("cannot build the GitHub client: {e}")))
        })?;
        Ok(Client {
            rt,
            octo,
            api,
            owner: owner.to_string(),
            repo: name.to_string(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/repos/{}/{}{path}", self.api, self.owner, self.repo)
    }

    async fn send(
        &self,
        method: http::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<(u16, http::HeaderMap, String), GateError> {
        let res = match method {
            http::Method::GET => self.octo._get(url).await,
            http::Method::POST => self.octo._post(url, body).await,
            http::Method::PATCH => self.octo._patch(url, body).await,
            _ => unreachable!("only GET, POST and PATCH are used"),
        }
        .map_err(|e| gh(format!("{what}: cannot reach {}: {}", self.api, short_err(&e))))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = self
            .octo
            .body_to_string(res)
            .await
            .map_err(|e| gh(format!("{what}: reading the answer: {}", short_err(&e))))?;
        Ok((status, headers, text))
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<serde_json::Value, GateError> {
        let (status, _, text) = self.send(http::Method::GET, url, None, what).await?;
        if !(200..300).contains(&status) {
            return Err(status_error(what, status, &text));
        }
        serde_json::from_str(&text).map_err(|e| gh(format!("{what}: bad JSON: {e}")))
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
            let (status, headers, text) = self.send(http::Method::GET, &u, None, what).await?;
            if !(200..300).contains(&status) {
                return Err(status_error(what, status, &text));
            }
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| gh(format!("{what}: bad JSON: {e}")))?;
            match v {
                serde_json::Value::Array(items) => out.extend(items),
                _ => return Err(gh(format!("{what}: expected a JSON array"))),
            }
            url = next_link(&headers);
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

    /// Creates the check run (or, when the token may not, a commit status)
    /// and upserts the one PR comment.
    pub fn publish(
        &self,
        pr: &PrData,
        head_sha: &str,
        verdict: &Verdict,
        markdown: &str,
        base_branch: &str,
    ) -> Result<Published, GateError> {
        self.rt.block_on(async {
            let name = format!("gitsm gate: {base_branch}");
            let summary_line = super::render::summary_line(verdict);
            let conclusion = match verdict.decision {
                Decision::Allowed => "success",
                Decision::Denied | Decision::Undecided => "failure",
            };
            let mut summary = markdown.to_string();
            if summary.len() > 60_000 {
                let mut cut = 60_000;
                while !summary.is_char_boundary(cut) {
                    cut -= 1;
                }
                summary.truncate(cut);
                summary.push_str("\n\n… (truncated)");
            }
            let check = serde_json::json!({
                "name": name,
                "head_sha": head_sha,
                "status": "completed",
                "conclusion": conclusion,
                "output": {"title": summary_line, "summary": summary},
            });
            let (status, _, text) = self
                .send(
                    http::Method::POST,
                    &self.url("/check-runs"),
                    Some(&check),
                    "check run",
                )
                .await?;
            let via = if (200..300).contains(&status) {
                "check_run"
            } else if status == 403 || status == 404 {
                // Tokens that cannot create check runs (a PAT, or `checks: write`
                // missing) can still set a commit status.
                let state = match verdict.decision {
                    Decision::Allowed => "success",
                    Decision::Denied => "failure",
                    Decision::Undecided => "error",
                };
                let mut desc = summary_line.clone();
                desc.truncate(140);
                let st = serde_json::json!({"state": state, "context": name, "description": desc});
                let (s2, _, t2) = self
                    .send(
                        http::Method::POST,
                        &self.url(&format!("/statuses/{head_sha}")),
                        Some(&st),
                        "commit status",
                    )
                    .await?;
                if !(200..300).contains(&s2) {
                    return Err(status_error("commit status", s2, &t2));
                }
                "status"
            } else {
                return Err(status_error("check run", status, &text));
            };
            let comments = self
                .get_all(
                    &self.url(&format!("/issues/{}/comments?per_page=100", pr.number)),
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
            let ours = marked
                .iter()
                .find(|c| c.pointer("/user/type").and_then(|t| t.as_str()) == Some("Bot"))
                .or(marked.first())
                .and_then(|c| c.get("id").and_then(|i| i.as_u64()));
            let payload = serde_json::json!({"body": markdown});
            let comment = match ours {
                Some(id) => {
                    let (s, _, t) = self
                        .send(
                            http::Method::PATCH,
                            &self.url(&format!("/issues/comments/{id}")),
                            Some(&payload),
                            "PR comment",
                        )
                        .await?;
                    if !(200..300).contains(&s) {
                        return Err(status_error("PR comment", s, &t));
                    }
                    "updated"
                }
                None => {
                    let (s, _, t) = self
                        .send(
                            http::Method::POST,
                            &self.url(&format!("/issues/{}/comments", pr.number)),
                            Some(&payload),
                            "PR comment",
                        )
                        .await?;
                    if !(200..300).contains(&s) {
                        return Err(status_error("PR comment", s, &t));
                    }
                    "created"
                }
            };
            Ok(Published { via, comment })
        })
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

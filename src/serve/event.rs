//! What a verified webhook delivery asks for: which pull requests (or which
//! base branch's open pull requests) to judge, or nothing. Pure: JSON in,
//! an [`Intake`] out; the server decides the HTTP answer from it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What one evaluation is about. Evaluations of one key are serialised and
/// coalesced (see [`super::queue`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub installation: u64,
    /// `owner/name`, as GitHub spells it in the delivery.
    pub repo: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Judge this pull request at its current head.
    Pr(u64),
    /// Re-judge every open pull request whose base is this branch.
    Base(String),
}

/// What a delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// Judge these keys. `pusher`: the login that pushed to the PR (a
    /// `synchronize` event's sender), who counts like its author.
    Judge {
        key: Key,
        pusher: Option<String>,
        fork: bool,
    },
    /// Several pull requests (a re-requested check suite).
    JudgeMany(Vec<Key>),
    /// A delivery gitsm has nothing to do for, with the reason.
    Ignore(String),
    /// GitHub's `ping` after the webhook is set up.
    Pong,
}

/// A delivery that is signed but cannot be read (the answer is 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the `{event}` payload has no `{field}`")]
    Missing { event: String, field: &'static str },
    #[error("repository name {0:?} is not OWNER/NAME")]
    BadRepo(String),
}

pub const PR_ACTIONS: [&str; 5] = ["opened", "synchronize", "reopened", "edited", "ready_for_review"];
pub const REVIEW_ACTIONS: [&str; 3] = ["submitted", "edited", "dismissed"];

/// Reads one delivery of event `event` (the `X-GitHub-Event` header).
pub fn parse(event: &str, body: &[u8]) -> Result<Intake, EventError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| EventError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(EventError::NotJson("expected a JSON object".into()));
    }
    let action = v.get("action").and_then(Value::as_str).unwrap_or("");
    let missing = |field: &'static str| EventError::Missing {
        event: event.to_string(),
        field,
    };
    let ignore = |why: String| Ok(Intake::Ignore(why));
    match event {
        "ping" => Ok(Intake::Pong),
        "installation" | "installation_repositories" | "github_app_authorization" => {
            ignore(format!("`{event}` ({action}): nothing to do"))
        }
        "pull_request" | "pull_request_review" => {
            let actions: &[&str] = if event == "pull_request" {
                &PR_ACTIONS
            } else {
                &REVIEW_ACTIONS
            };
            if !actions.contains(&action) {
                return ignore(format!("`{event}` action `{action}` does not change the verdict"));
            }
            let (installation, repo) = repo_of(&v, &missing)?;
            let pr = v.get("pull_request").ok_or_else(|| missing("pull_request"))?;
            let number = pr
                .get("number")
                .or_else(|| v.get("number"))
                .and_then(Value::as_u64)
                .ok_or_else(|| missing("pull_request.number"))?;
            if pr.get("state").and_then(Value::as_str) == Some("closed") {
                return ignore(format!("pull request #{number} is closed"));
            }
            // A head in another repository (a fork, or a deleted fork:
            // `head.repo` null) is still judged, from the base repository's
            // `refs/pull/N/head`; nothing is ever fetched from the fork.
            let head_repo = pr.pointer("/head/repo/full_name").and_then(Value::as_str);
            let fork = head_repo.is_none_or(|h| !h.eq_ignore_ascii_case(&repo));
            let pusher = (event == "pull_request" && action == "synchronize")
                .then(|| {
                    v.pointer("/sender/login")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .flatten();
            Ok(Intake::Judge {
                key: Key {
                    installation,
                    repo,
                    target: Target::Pr(number),
                },
                pusher,
                fork,
            })
        }
        "check_run" | "check_suite" => {
            if action != "rerequested" {
                return ignore(format!("`{event}` action `{action}` is not a re-run request"));
            }
            let (installation, repo) = repo_of(&v, &missing)?;
            let prs = v
                .get(event)
                .and_then(|c| c.get("pull_requests"))
                .and_then(Value::as_array)
                .ok_or_else(|| missing("pull_requests"))?;
            let keys: Vec<Key> = prs
                .iter()
                .filter_map(|p| p.get("number").and_then(Value::as_u64))
                .map(|n| Key {
                    installation,
                    repo: repo.clone(),
                    target: Target::Pr(n),
                })
                .collect();
            if keys.is_empty() {
                return ignore(format!(
                    "`{event}` rerequested names no pull request of this repository (GitHub lists none for a head in a fork): push to the PR or re-request from it"
                ));
            }
            Ok(Intake::JudgeMany(keys))
        }
        "push" => {
            let r = v
                .get("ref")
                .and_then(Value::as_str)
                .ok_or_else(|| missing("ref"))?;
            let Some(branch) = r.strip_prefix("refs/heads/") else {
                return ignore(format!("push to {r}: not a branch"));
            };
            if v.get("deleted").and_then(Value::as_bool) == Some(true) {
                return ignore(format!("push deleted branch {branch}: nothing to judge"));
            }
            let (installation, repo) = repo_of(&v, &missing)?;
            Ok(Intake::Judge {
                key: Key {
                    installation,
                    repo,
                    target: Target::Base(branch.to_string()),
                },
                pusher: None,
                fork: false,
            })
        }
        other => ignore(format!("event `{other}` is not one gitsm serve acts on")),
    }
}

fn repo_of(v: &Value, missing: &dyn Fn(&'static str) -> EventError) -> Result<(u64, String), EventError> {
    let installation = v
        .pointer("/installation/id")
        .and_then(Value::as_u64)
        .ok_or_else(|| missing("installation.id"))?;
    let repo = v
        .pointer("/repository/full_name")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("repository.full_name"))?;
    if !is_repo_name(repo) {
        return Err(EventError::BadRepo(repo.to_string()));
    }
    // GitHub's names are case-insensitive: one spelling per repository, so
    // one pull request is one key however a delivery spells it.
    Ok((installation, repo.to_ascii_lowercase()))
}

/// `owner/name` with GitHub's characters only: the name becomes a folder
/// under `--data`, so nothing else may pass.
pub fn is_repo_name(s: &str) -> bool {
    let ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && !p.starts_with('.')
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    matches!(s.split_once('/'), Some((o, n)) if ok(o) && ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pr_event(action: &str, head_repo: Value) -> Vec<u8> {
        json!({"action": action, "number": 4,
               "pull_request": {"number": 4, "state": "open", "head": {"sha": "a", "repo": head_repo}},
               "repository": {"full_name": "acme/itsm"}, "installation": {"id": 9},
               "sender": {"login": "dave"}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn pull_request_actions() {
        let key = Key {
            installation: 9,
            repo: "acme/itsm".into(),
            target: Target::Pr(4),
        };
        assert_eq!(
            parse(
                "pull_request",
                &pr_event("synchronize", json!({"full_name": "acme/itsm"}))
            ),
            Ok(Intake::Judge {
                key: key.clone(),
                pusher: Some("dave".into()),
                fork: false
            })
        );
        assert_eq!(
            parse("pull_request", &pr_event("opened", Value::Null)),
            Ok(Intake::Judge {
                key,
                pusher: None,
                fork: true
            })
        );
        assert_eq!(
            parse("pull_request", &pr_event("labeled", Value::Null)),
            Ok(Intake::Ignore(
                "`pull_request` action `labeled` does not change the verdict".into()
            ))
        );
    }

    #[test]
    fn bad_payloads() {
        assert!(matches!(parse("push", b"{"), Err(EventError::NotJson(_))));
        assert!(matches!(parse("push", b"[]"), Err(EventError::NotJson(_))));
        assert_eq!(
            parse(
                "push",
                br#"{"ref": "refs/heads/main", "repository": {"full_name": "acme/itsm"}}"#
            ),
            Err(EventError::Missing {
                event: "push".into(),
                field: "installation.id"
            })
        );
        assert_eq!(
            parse(
                "push",
                br#"{"ref": "refs/heads/main", "installation": {"id": 1}, "repository": {"full_name": "../etc"}}"#
            ),
            Err(EventError::BadRepo("../etc".into()))
        );
    }

    #[test]
    fn repo_names() {
        assert!(is_repo_name("acme/itsm.git-x_1"));
        for bad in [
            "acme",
            "acme/",
            "/itsm",
            "a/b/c",
            "acme/..",
            "acme/.git",
            "ac me/x",
        ] {
            assert!(!is_repo_name(bad), "{bad}");
        }
    }
}

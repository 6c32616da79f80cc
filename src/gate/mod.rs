//! The change gate (SPEC §3): decides whether a pull request may merge.
//!
//! The decision ([`rules::decide`]) is a pure function of an [`Input`]: the
//! bytes of the relevant files at base and head, the diff between them, the
//! reviews, the PR author, contributors and body, and `now`. Git
//! ([`git`]) and GitHub ([`github`]) are adapters that produce that input;
//! [`render`] turns a [`Verdict`] into text; [`record`] writes backed
//! approvals into the work tree.

pub mod git;
pub mod github;
pub mod record;
pub mod render;
pub mod rules;

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use rules::decide;

/// File bytes by path (relative to the ITSM repo root, `/` separators).
pub type Files = BTreeMap<String, Vec<u8>>;

/// Why the gate could not even start deciding (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("{0}")]
    Revision(String),
    #[error("no merge base between {base} and {head}: {why}")]
    NoMergeBase { base: String, head: String, why: String },
    #[error("reviews: {0}")]
    Reviews(String),
    #[error("GitHub: {0}")]
    GitHub(String),
    /// Not `#[from]`: that would also make the git error the source, and
    /// `{e:#}` would print its message twice.
    #[error("git: {0}")]
    Git(git2::Error),
}

impl From<git2::Error> for GateError {
    fn from(e: git2::Error) -> Self {
        GateError::Git(e)
    }
}

/// A review's state, exactly as GitHub spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl ReviewState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "APPROVED" => ReviewState::Approved,
            "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
            "COMMENTED" => ReviewState::Commented,
            "DISMISSED" => ReviewState::Dismissed,
            "PENDING" => ReviewState::Pending,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
            ReviewState::Pending => "PENDING",
        }
    }
}

/// One pull-request review. `login` and `commit_id` are `None` when GitHub
/// sends `null` (a deleted account, a review on a vanished commit).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub id: u64,
    pub login: Option<String>,
    /// `user.type == "Bot"` or a `[bot]` login suffix.
    pub bot: bool,
    pub state: ReviewState,
    pub commit_id: Option<String>,
    pub submitted_at: Option<jiff::Timestamp>,
}

/// Parses the JSON array GitHub's "list reviews for a pull request" returns,
/// or several such arrays one after the other (`gh api --paginate` prints
/// one per page: `[...][...]`). An unknown `state` is an error: the gate
/// cannot know what it means.
pub fn parse_reviews(json: &str) -> Result<Vec<Review>, GateError> {
    let mut list = Vec::new();
    let mut pages = 0;
    for value in serde_json::Deserializer::from_str(json).into_iter::<serde_json::Value>() {
        let value = value.map_err(|e| GateError::Reviews(format!("not JSON: {e}")))?;
        match value {
            serde_json::Value::Array(page) => list.extend(page),
            _ => return Err(GateError::Reviews("expected a JSON array of reviews".into())),
        }
        pages += 1;
    }
    if pages == 0 {
        return Err(GateError::Reviews(
            "expected a JSON array of reviews, found nothing".into(),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| review_from_json(v).map_err(|e| GateError::Reviews(format!("review #{i}: {e}"))))
        .collect()
}

/// One review object from GitHub's JSON.
pub fn review_from_json(v: &serde_json::Value) -> Result<Review, String> {
    let state_s = v.get("state").and_then(|s| s.as_str()).ok_or("no `state`")?;
    let state = ReviewState::parse(state_s).ok_or_else(|| {
        format!("unknown review state {state_s:?} (known: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING)")
    })?;
    let user = v.get("user").filter(|u| !u.is_null());
    let login = user
        .and_then(|u| u.get("login"))
        .and_then(|l| l.as_str())
        .map(str::to_string);
    let bot = user
        .and_then(|u| u.get("type"))
        .and_then(|t| t.as_str())
        .is_some_and(|t| t.eq_ignore_ascii_case("bot"))
        || login.as_deref().is_some_and(is_bot_login);
    let submitted_at = match v.get("submitted_at").and_then(|s| s.as_str()) {
        Some(s) => Some(
            s.parse::<jiff::Timestamp>()
                .map_err(|e| format!("bad submitted_at {s:?}: {e}"))?,
        ),
        None => None,
    };
    // `null` (a review on a vanished commit) is ignored later; anything
    // else must be a full sha, or it could not name a commit at all.
    let commit_id = match v.get("commit_id") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(c)) if c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(c.clone())
        }
        Some(other) => return Err(format!("bad commit_id {other} (expected 40 hex digits or null)")),
    };
    Ok(Review {
        id: v.get("id").and_then(|i| i.as_u64()).unwrap_or(0),
        login,
        bot,
        state,
        commit_id,
        submitted_at,
    })
}

pub fn is_bot_login(login: &str) -> bool {
    login.to_ascii_lowercase().ends_with("[bot]")
}

/// One file the pull request changed, from the merge base to head. A rename
/// arrives as two entries: the old path deleted and the new one added.
#[derive(Debug, Clone, Default)]
pub struct FileChange {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
    /// At head the path is a symlink or a submodule, not a file (`new` is
    /// then `None`): the loader refuses it, so the gate must not skip it.
    pub new_not_a_file: bool,
    /// The base tip holds something else at this path than the merge base:
    /// the base branch changed the file after the PR branched.
    pub base_moved: bool,
}

/// Everything the decision depends on.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// At the base tip: `gitsm.yaml`, `catalog/`, `slas/`, `policies/`.
    pub base_context: Files,
    /// Paths of every ticket file (incidents/, problems/, requests/, changes/)
    /// at the base tip, for id collisions.
    pub base_ticket_paths: Vec<String>,
    /// Change records at the base tip that may hold a window (approved,
    /// scheduled or implementing), for conflicts.
    pub base_active_changes: Files,
    /// At head: the same folders as `base_context`.
    pub head_context: Files,
    /// Paths of every ticket file at head, so references to unloaded records resolve.
    pub head_ticket_paths: Vec<String>,
    /// Record files (YAML that is or may be a record) changed by the PR.
    pub diff: Vec<FileChange>,
    /// Files the PR changed outside the record folders (code, and YAML
    /// there that is or may be a record too), for service `paths`.
    pub code_paths: Vec<String>,
    /// Base-tip bytes of the changes the PR body references (`Change: CHG-0042`):
    /// what they are after the merge unless the PR edits them (then the
    /// diff has them).
    pub referenced: Files,
    pub reviews: Vec<Review>,
    /// For each reviewed commit present in the repo: the bytes, at that commit,
    /// of the changed record files and of the head policy files.
    pub reviewed: HashMap<String, Files>,
    pub author: String,
    /// Logins that authored or pushed a commit of the PR.
    pub contributors: Vec<String>,
    pub pr_body: String,
    /// Members of `@org/team` entries, when resolved (keys lower-case).
    pub teams: HashMap<String, Vec<String>>,
    pub now: jiff::Timestamp,
}

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    Denied,
    /// Could not decide (fail closed; exit 2).
    Undecided,
}

impl Decision {
    pub fn exit_code(self) -> i32 {
        match self {
            Decision::Allowed => 0,
            Decision::Denied => 1,
            Decision::Undecided => 2,
        }
    }
}

/// The rules of SPEC §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Rule {
    #[serde(rename = "0-fail-closed")]
    FailClosed,
    #[serde(rename = "1-policy-from-base")]
    PolicyFromBase,
    #[serde(rename = "2-records-validate")]
    Validate,
    #[serde(rename = "3-history")]
    History,
    #[serde(rename = "4-approvals")]
    Approvals,
    #[serde(rename = "5-schedule")]
    Schedule,
    #[serde(rename = "6-governed-paths")]
    Paths,
}

impl Rule {
    pub fn label(self) -> &'static str {
        match self {
            Rule::FailClosed => "rule 0 (fail closed)",
            Rule::PolicyFromBase => "rule 1 (policy change)",
            Rule::Validate => "rule 2 (records validate)",
            Rule::History => "rule 3 (history)",
            Rule::Approvals => "rule 4 (approvals)",
            Rule::Schedule => "rule 5 (schedule)",
            Rule::Paths => "rule 6 (governed paths)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
    Undecided,
}

/// One line of the verdict: a record (or file), a rule, an outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The record id (or a file path when no record could be read).
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub rule: Rule,
    pub outcome: Outcome,
    pub message: String,
    /// What would make it pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// A review-backed approval, ready for `--record`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backed {
    pub file: String,
    pub change: String,
    pub by: String,
    pub at: jiff::Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub checks: Vec<Check>,
    /// Approvals backed by reviews that the change's `approvals` list lacks.
    pub to_record: Vec<Backed>,
}

impl Verdict {
    /// Checks that stopped the PR (fail or undecided).
    pub fn blocking(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Undecided))
    }
}

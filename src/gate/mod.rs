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
pub mod judge;
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
    #[error("{base} and {head} have {count} merge bases (a criss-cross history): the diff against any one of them is not what merges, so the gate judges nothing; merge the base branch into the PR (one merge base) and push")]
    CrissCross {
        base: String,
        head: String,
        count: usize,
    },
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

/// One record-like file the pull request changed, from the merge base to
/// head (path relative to the ITSM root). A rename arrives as two entries:
/// the old path deleted and the new one added.
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

/// A path the PR adds or changes that the gate refuses to interpret
/// (SPEC §3 rule 0): paths are taken byte for byte, never normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathIssue {
    /// Contains `\`: some tools read it as a separator.
    Backslash(String),
    /// Not valid UTF-8 (shown lossily).
    NotUtf8(String),
    /// Equal to another path of the head tree under NFC + case folding.
    CaseFold { path: String, other: String },
}

/// One path where the PR's own changes at a reviewed commit differ from
/// those at head (SPEC §3 rule 4, "fresh"). Paths are git-root relative.
#[derive(Debug, Clone)]
pub struct Divergence {
    pub path: String,
    /// For a change record: (merge base, new) at the reviewed commit and
    /// (merge base, new) at head, so that approval bookkeeping can be told
    /// apart. `None`: any difference is substantive.
    pub change_sides: Option<[Option<Vec<u8>>; 4]>,
}

/// Everything the decision depends on. ITSM paths are relative to the ITSM
/// root; `code_paths`, `root_files`, `not_files` and divergences to the git root.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// At the base tip: `gitsm.yaml`, `catalog/`, `slas/`, `policies/`.
    pub base_context: Files,
    /// `(id, path)` of every record in the ticket folders at the base tip,
    /// ids read from content (and the file stem, so a misnamed file still
    /// blocks its name).
    pub base_ids: Vec<(String, String)>,
    /// Every change record at the base tip (conflicts, lead time,
    /// emergency reviews). Every one is parsed: no text pre-filter.
    pub base_changes: Files,
    /// Every incident record at the base tip, for `budget_freeze` (rule 5:
    /// the month's unplanned downtime so far). Parsed only when the policy
    /// freezes on spent budgets.
    pub base_incidents: Files,
    /// At head: the same folders as `base_context`.
    pub head_context: Files,
    /// Paths of every ticket file at head, so references to unloaded records resolve.
    pub head_ticket_paths: Vec<String>,
    /// Every YAML file of the head ITSM tree, when the PR edits `gitsm.yaml`
    /// (rule 2 then re-validates everything).
    pub head_all: Option<Files>,
    /// Record files (YAML that is or may be a record) changed by the PR.
    pub diff: Vec<FileChange>,
    /// Every path the PR changes, git-root relative, for service `paths`.
    pub code_paths: Vec<String>,
    /// Governed files at the git root the PR changes (`.github/**`,
    /// CODEOWNERS, `.gitattributes`, `.gitmodules`).
    pub root_files: Vec<String>,
    /// Paths (git-root relative) the PR turns into a symlink or submodule.
    pub not_files: Vec<String>,
    /// Paths the gate refuses to interpret.
    pub path_issues: Vec<PathIssue>,
    /// The ITSM root inside the git repo (`""` or `ops/itsm`, no trailing `/`).
    pub itsm_prefix: String,
    /// Base-tip bytes of the changes the PR body references (`Change: CHG-0042`).
    pub referenced: Files,
    pub reviews: Vec<Review>,
    /// Per reviewed commit present in the repo: where the PR's own changes
    /// differ from head's. A commit missing here makes its reviews stale.
    pub reviewed: HashMap<String, Vec<Divergence>>,
    pub author: String,
    /// Logins that authored or pushed a commit of the PR.
    pub contributors: Vec<String>,
    pub pr_body: String,
    /// Members of `@org/team` entries, when resolved (keys lower-case).
    pub teams: HashMap<String, Vec<String>>,
    pub now: jiff::Timestamp,
}

impl Input {
    /// A git-root-relative path as the ITSM root sees it, if inside it.
    pub fn itsm_path<'p>(&self, git_path: &'p str) -> Option<&'p str> {
        if self.itsm_prefix.is_empty() {
            return Some(git_path);
        }
        git_path
            .strip_prefix(self.itsm_prefix.as_str())?
            .strip_prefix('/')
    }
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
    #[serde(rename = "7-emergency-review")]
    EmergencyReview,
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
            Rule::EmergencyReview => "rule 7 (emergency reviews)",
        }
    }
}

/// How one check came out (not to be confused with a change's
/// [`crate::model::Outcome`], how its implementation went).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
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
    pub outcome: CheckOutcome,
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
            .filter(|c| matches!(c.outcome, CheckOutcome::Fail | CheckOutcome::Undecided))
    }
}

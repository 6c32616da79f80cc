//! The [`Judge`]: everything the rules share, parsed once — the base policy
//! and catalog, both sides of every changed record, the reviews reduced to
//! each reviewer's latest decision, which of those are fresh, and the one
//! approval tally rules 1 and 4 both count with. The rules push their
//! checks here; [`super::rules::decide`] turns them into the verdict.

use super::*;
use crate::model::{Change, ChangePolicy, ChangeStatus, ChangeType, Group, Kind, Record, Service};
use crate::repo::{self, Entry, Loaded, MapSource};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

/// One file parsed: the typed record (when it passed the schema layer), its
/// plain JSON (when it parsed as YAML), and the loader's findings.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub loaded: Option<Loaded>,
    pub json: Option<Value>,
    pub findings: Vec<crate::diag::Finding>,
}

impl Parsed {
    pub fn record(&self) -> Option<&Record> {
        self.loaded.as_ref().map(|l| &l.record)
    }
    pub fn change(&self) -> Option<&Change> {
        match self.record() {
            Some(Record::Change(c)) => Some(c),
            _ => None,
        }
    }
    /// `kind` and `id` as written, even when the schema layer refused the file.
    pub fn kind_id(&self) -> Option<(String, String)> {
        let j = self.json.as_ref()?;
        if j.get("apiVersion").and_then(Value::as_str) != Some(crate::model::API_VERSION) {
            return None;
        }
        Some((
            j.get("kind")?.as_str()?.to_string(),
            j.get("id").map(json_scalar).unwrap_or_default(),
        ))
    }
}

pub fn json_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The plain JSON of a YAML file, under the loader's size limit.
pub fn parse_json(bytes: &[u8]) -> Option<Value> {
    if bytes.len() as u64 > crate::yaml::MAX_FILE_BYTES {
        return None;
    }
    let t = std::str::from_utf8(bytes).ok()?;
    crate::yaml::parse(t).ok().flatten().map(|n| n.to_json())
}

pub fn parse_file(path: &str, bytes: &[u8]) -> Parsed {
    let mut src = MapSource::new();
    src.add(path, bytes);
    let entry = Entry {
        path: path.to_string(),
        size: bytes.len() as u64,
        symlink: false,
        id: None,
    };
    let (loaded, findings) = repo::load_entry(&src, &entry);
    Parsed {
        loaded,
        json: parse_json(bytes),
        findings,
    }
}

/// Every id a record file may carry, for the base id index: a fast scan of
/// plain block-style files, and a full YAML parse of anything else (flow
/// style, quotes spanning lines, escapes, explicit keys, tags), so that no
/// layout can hide an id from it.
pub fn record_ids(bytes: &[u8]) -> Vec<String> {
    if let Some(id) = quick_id(bytes) {
        return vec![id];
    }
    parse_json(bytes)
        .and_then(|j| j.get("id").map(json_scalar))
        .into_iter()
        .collect()
}

/// The `id:` of a file laid out the plain way: every line at column 0 is a
/// `key: value` with a plain key, values that open a quote or bracket close
/// it on the same line, no escapes, no document markers, one `id:` line.
/// `None` sends the file to the full parser.
fn quick_id(bytes: &[u8]) -> Option<String> {
    let t = std::str::from_utf8(bytes).ok()?;
    let t = crate::yaml::strip_bom(t);
    if t.contains('\\') || t.contains('\t') {
        return None;
    }
    let mut id = None;
    for line in t.lines() {
        let first = line.chars().next();
        match first {
            None | Some(' ') | Some('#') => continue,
            _ => {}
        }
        let (key, value) = line.split_once(':')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        let v = value.trim();
        if !value.is_empty() && !value.starts_with(' ') {
            return None;
        }
        let closed = match v.chars().next() {
            Some(q @ ('"' | '\'')) => v.len() >= 2 && v.ends_with(q) && !v[1..v.len() - 1].contains(q),
            Some('[' | '{') => v.ends_with(']') || v.ends_with('}'),
            Some('&' | '*' | '!' | '|' | '>' | '%' | '@' | '`' | '?') => false,
            _ => true,
        };
        if !closed {
            return None;
        }
        if key == "id" {
            if id.is_some() {
                return None;
            }
            let plain = v.trim_matches(|c| c == '"' || c == '\'');
            if !crate::model::Id::is_valid(plain) {
                return None;
            }
            id = Some(plain.to_string());
        }
    }
    id
}

/// The form logins and ids are compared in (case-insensitively, SPEC §3).
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// Membership of a login in a list of logins and `@org/team` entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    Yes,
    No,
    /// Only an unresolved team could contain the login.
    Unknown(String),
}

pub fn member(list: &[String], login: &str, teams: &HashMap<String, Vec<String>>) -> Member {
    let login = fold_case(login);
    let mut unknown = None;
    for entry in list {
        if let Some(team) = entry.strip_prefix('@') {
            match teams.get(&fold_case(&format!("@{team}"))) {
                Some(members) if members.iter().any(|m| fold_case(m) == login) => return Member::Yes,
                Some(_) => {}
                None => unknown = Some(entry.clone()),
            }
        } else if fold_case(entry) == login {
            return Member::Yes;
        }
    }
    match unknown {
        Some(t) => Member::Unknown(t),
        None => Member::No,
    }
}

/// The latest decisive review of one reviewer.
#[derive(Debug, Clone)]
pub struct Latest<'a> {
    /// Lower-case.
    pub login: String,
    pub review: &'a Review,
}

/// Per reviewer (case-insensitive), the latest of their APPROVED,
/// CHANGES_REQUESTED and DISMISSED reviews. A dismissal wipes what came
/// before; COMMENTED and PENDING never count. Reviews with a null user or
/// commit are ignored.
pub fn latest_reviews(reviews: &[Review]) -> Vec<Latest<'_>> {
    let mut sorted: Vec<&Review> = reviews
        .iter()
        .filter(|r| r.login.is_some() && r.commit_id.is_some())
        .filter(|r| {
            matches!(
                r.state,
                ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
            )
        })
        .collect();
    sorted.sort_by_key(|r| (r.submitted_at, r.id));
    let mut by: BTreeMap<String, &Review> = BTreeMap::new();
    for r in sorted {
        by.insert(fold_case(r.login.as_deref().unwrap_or_default()), r);
    }
    by.into_iter()
        .filter(|(_, r)| r.state != ReviewState::Dismissed)
        .map(|(login, review)| Latest { login, review })
        .collect()
}

/// The first 10 characters of a sha; never panics, whatever the string.
pub fn short(sha: &str) -> &str {
    sha.get(..10).unwrap_or(sha)
}

/// Approval bookkeeping (SPEC §3 rule 4), given the logins whose reviews
/// back it and when they were submitted: exactly the `approvals` entries
/// `{by, at}` that `--record` writes for them, and timeline events with no
/// status, not public, `by` = LOGIN and the note `approved by LOGIN`.
/// Returns the record's JSON without them.
pub fn without_bookkeeping(json: &Value, backed: &HashMap<String, jiff::Timestamp>) -> Value {
    let mut v = json.clone();
    let Some(map) = v.as_object_mut() else { return v };
    if let Some(Value::Array(list)) = map.get_mut("approvals") {
        list.retain(|a| !is_backed_entry(a, backed));
        if list.is_empty() {
            map.remove("approvals");
        }
    }
    if let Some(Value::Array(events)) = map.get_mut("timeline") {
        events.retain(|e| !is_approval_note(e, backed));
    }
    v
}

fn is_backed_entry(a: &Value, backed: &HashMap<String, jiff::Timestamp>) -> bool {
    let Some(obj) = a.as_object() else { return false };
    if obj.len() != 2 {
        return false;
    }
    let (Some(by), Some(at)) = (
        obj.get("by").and_then(Value::as_str),
        obj.get("at").and_then(Value::as_str),
    ) else {
        return false;
    };
    let Ok(at) = at.parse::<crate::model::Timestamp>() else {
        return false;
    };
    backed.get(&fold_case(by)).is_some_and(|t| *t == at.as_jiff())
}

fn is_approval_note(e: &Value, backed: &HashMap<String, jiff::Timestamp>) -> bool {
    let Some(obj) = e.as_object() else { return false };
    if obj.get("status").is_some() || obj.get("public").is_some_and(|p| p != &Value::Bool(false)) {
        return false;
    }
    if obj
        .keys()
        .any(|k| !matches!(k.as_str(), "at" | "by" | "note" | "public"))
    {
        return false;
    }
    let (Some(by), Some(note)) = (
        obj.get("by").and_then(Value::as_str),
        obj.get("note").and_then(Value::as_str),
    ) else {
        return false;
    };
    backed.contains_key(&fold_case(by)) && note == format!("approved by {by}")
}

/// A change's effective standing: whether it is approved or later,
/// counting a change on hold after approval as still approved.
pub fn effectively_approved(c: &Change) -> bool {
    if c.status.is_approved_or_later() {
        return true;
    }
    if c.status != ChangeStatus::OnHold {
        return false;
    }
    c.timeline
        .iter()
        .rev()
        .filter_map(|e| e.status)
        .find(|s| *s != ChangeStatus::OnHold)
        .is_some_and(|s| s.is_approved_or_later())
}

/// The type rules 4–7 judge a change as: a `standard` change is
/// pre-authorised only when it names a template of the base policy, its
/// risk is not above the template's and its services are among the
/// template's; any other `standard` change is judged as `normal`.
pub fn effective_type(policy: &ChangePolicy, c: &Change) -> ChangeType {
    if c.change_type != ChangeType::Standard {
        return c.change_type;
    }
    match pre_authorised(policy, c) {
        Ok(_) => ChangeType::Standard,
        Err(_) => ChangeType::Normal,
    }
}

/// The template that pre-authorises a standard change, or why none does.
pub fn pre_authorised<'p>(
    policy: &'p ChangePolicy,
    c: &Change,
) -> Result<&'p crate::model::StandardChange, String> {
    let Some(tid) = c.template.as_deref() else {
        return Err(format!("{} names no `template`", c.id));
    };
    let Some(t) = policy.standard_change(tid) else {
        return Err(format!(
            "{}'s template `{tid}` is not among the base policy's `standard_changes`",
            c.id
        ));
    };
    if c.risk.rank() > t.risk.rank() {
        return Err(format!(
            "{} has risk {}, above template `{tid}`'s {}",
            c.id, c.risk, t.risk
        ));
    }
    if let Some(s) = c.services.iter().find(|s| !t.services.contains(s)) {
        return Err(format!(
            "{} names service {s}, which template `{tid}` does not cover",
            c.id
        ));
    }
    Ok(t)
}

/// What every rule reads, parsed once.
pub struct Judge<'a> {
    pub input: &'a Input,
    pub policy: ChangePolicy,
    pub services: HashMap<String, Service>,
    /// Base context records (for ids and governance).
    pub base: repo::Snapshot,
    /// Both sides of every changed record file.
    pub files: Vec<(FileChange, Option<Parsed>, Option<Parsed>)>,
    pub latest: Vec<Latest<'a>>,
    /// Logins (lower-case) whose latest review is fresh, with its time: the
    /// backing of approval bookkeeping.
    pub fresh: HashMap<String, jiff::Timestamp>,
    /// Why a reviewer's approval is stale.
    pub stale: HashMap<String, String>,
    pub checks: Vec<Check>,
    pub to_record: Vec<Backed>,
}

impl<'a> Judge<'a> {
    pub fn push(
        &mut self,
        subject: &str,
        file: Option<&str>,
        rule: Rule,
        outcome: CheckOutcome,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Check {
            subject: subject.to_string(),
            file: file.map(str::to_string),
            rule,
            outcome,
            message: message.into(),
            fix,
        });
    }

    /// Why a reviewer's approval can never count (None: it may).
    pub fn ineligible(&self, l: &Latest<'_>) -> Option<String> {
        if l.review.bot || is_bot_login(&l.login) {
            return Some(format!("{} is a bot; bots never approve", l.login));
        }
        if fold_case(&self.input.author) == l.login {
            return Some(format!("{} is the PR author", l.login));
        }
        if self.input.contributors.iter().any(|c| fold_case(c) == l.login) {
            return Some(format!(
                "{} authored or pushed a commit of this PR; contributors count like the author",
                l.login
            ));
        }
        None
    }

    /// Computes which approvals are fresh: the PR's own changes at the
    /// reviewed commit equal those at head but for bookkeeping backed by
    /// fresh approvals. Bookkeeping depends on who is fresh, so start from
    /// every eligible approver and drop the stale until nothing changes.
    pub fn compute_freshness(&mut self) {
        let mut backed: HashMap<String, jiff::Timestamp> = self
            .latest
            .iter()
            .filter(|l| l.review.state == ReviewState::Approved && self.ineligible(l).is_none())
            .filter_map(|l| Some((l.login.clone(), l.review.submitted_at?)))
            .collect();
        // The first reason found is kept: later rounds only add the
        // bookkeeping of reviewers who turned out stale.
        let mut stale: HashMap<String, String> = HashMap::new();
        loop {
            for l in &self.latest {
                if l.review.state != ReviewState::Approved || stale.contains_key(&l.login) {
                    continue;
                }
                if let Some(why) = self.staleness(l, &backed) {
                    stale.insert(l.login.clone(), why);
                }
            }
            let before = backed.len();
            backed.retain(|login, _| !stale.contains_key(login));
            if backed.len() == before {
                break;
            }
        }
        self.stale = stale;
        self.fresh = backed;
    }

    fn staleness(&self, l: &Latest<'_>, backed: &HashMap<String, jiff::Timestamp>) -> Option<String> {
        let sha = l.review.commit_id.as_deref().unwrap_or_default();
        let Some(divergences) = self.input.reviewed.get(sha) else {
            return Some(format!(
                "{}'s approval is of commit {} which is not in this repository or shares no single merge base with the base branch (force-pushed away?); it counts as stale",
                l.login,
                short(sha)
            ));
        };
        for d in divergences {
            let bookkeeping_only = d.change_sides.as_ref().is_some_and(|s| {
                let clean = |b: &Option<Vec<u8>>| {
                    b.as_deref()
                        .map(|b| parse_json(b).map(|j| without_bookkeeping(&j, backed)))
                };
                let v: Vec<Option<Option<Value>>> = s.iter().map(clean).collect();
                // Unparseable content is never bookkeeping.
                v.iter().all(|x| !matches!(x, Some(None))) && v[0] == v[2] && v[1] == v[3]
            });
            if !bookkeeping_only {
                return Some(format!(
                    "{}'s approval is stale: the PR changed {} after the reviewed commit {}",
                    l.login,
                    d.path,
                    short(sha)
                ));
            }
        }
        None
    }

    /// Counts the approvals for one requirement: `need` approvals from
    /// `group` (any reviewer when `None`), plus an owner of each of
    /// `owners_of` when given. Rules 1 and 4 both count with this.
    pub fn tally(&self, group: Option<Group>, owners_of: &[String]) -> Tally {
        let input = self.input;
        let members: Option<&[String]> = group.map(|g| self.policy.group(g));
        let owners: Vec<(String, Vec<String>)> = owners_of
            .iter()
            .map(|s| {
                (
                    s.clone(),
                    self.services
                        .get(s)
                        .map(|x| vec![x.owner.clone()])
                        .unwrap_or_default(),
                )
            })
            .collect();
        let mut t = Tally::default();
        let mut owner_ok: HashSet<String> = HashSet::new();
        for l in &self.latest {
            let in_group = match members {
                Some(g) => member(g, &l.login, &input.teams),
                None => Member::Yes,
            };
            let owner_of: Vec<&String> = owners
                .iter()
                .filter(|(_, o)| member(o, &l.login, &input.teams) == Member::Yes)
                .map(|(s, _)| s)
                .collect();
            if l.review.state == ReviewState::ChangesRequested {
                if l.review.bot {
                    continue;
                }
                if in_group == Member::Yes || !owner_of.is_empty() {
                    t.blocked.push(l.login.clone());
                } else {
                    // Membership only through an unresolved team: the
                    // request may block, so it is never silently ignored.
                    let team = match &in_group {
                        Member::Unknown(team) => Some(team.clone()),
                        _ => owners
                            .iter()
                            .find_map(|(_, o)| match member(o, &l.login, &input.teams) {
                                Member::Unknown(team) => Some(team),
                                _ => None,
                            }),
                    };
                    if let Some(team) = team {
                        t.maybe_blocked.push(format!("{} (maybe in {team})", l.login));
                    }
                }
                continue;
            }
            if let Some(why) = self.ineligible(l) {
                t.notes.push(why);
                continue;
            }
            if in_group != Member::Yes && owner_of.is_empty() {
                match in_group {
                    Member::Unknown(team) => t.unknown_team = Some(team),
                    _ => t
                        .notes
                        .push(format!("{} is not in {}", l.login, group_name(group))),
                }
                continue;
            }
            if let Some(why) = self.stale.get(&l.login) {
                t.notes.push(why.clone());
                continue;
            }
            if !self.fresh.contains_key(&l.login) {
                t.notes
                    .push(format!("{}'s review has no submission time", l.login));
                continue;
            }
            if in_group == Member::Yes {
                t.group.push(l.login.clone());
            }
            if !owner_of.is_empty() {
                t.owner_logins.push(l.login.clone());
            }
            for s in owner_of {
                owner_ok.insert(s.clone());
            }
        }
        for (s, o) in &owners {
            if !owner_ok.contains(s) {
                t.owners_missing.push(match o.first() {
                    Some(owner) => format!("{s} (owner {owner})"),
                    None => format!("{s} (not in the base catalog, so no owner can approve)"),
                });
            }
        }
        t
    }

    /// The original spelling of a lower-case login, from its review.
    pub fn spelled(&self, login: &str) -> String {
        self.latest
            .iter()
            .find(|l| l.login == login)
            .and_then(|l| l.review.login.clone())
            .unwrap_or_else(|| login.to_string())
    }

    /// Kinds and ids at base, by (kind, lower-case id), from the context.
    pub fn base_context_ids(&self) -> HashMap<(String, String), String> {
        self.base
            .records
            .iter()
            .map(|l| {
                (
                    (
                        l.record.kind().name().to_string(),
                        fold_case(l.record.id().as_str()),
                    ),
                    l.path.clone(),
                )
            })
            .collect()
    }
}

/// The standing of one approval requirement.
#[derive(Debug, Default)]
pub struct Tally {
    /// Logins whose fresh, eligible approval counts toward the group.
    pub group: Vec<String>,
    /// Logins whose fresh approval counts as a service owner's.
    pub owner_logins: Vec<String>,
    /// Services none of whose owners approved, when owners must.
    pub owners_missing: Vec<String>,
    pub blocked: Vec<String>,
    /// CHANGES_REQUESTED by reviewers who may be in the group only through
    /// a team that could not be resolved.
    pub maybe_blocked: Vec<String>,
    pub notes: Vec<String>,
    pub unknown_team: Option<String>,
}

/// How a tally ends, in one place for rules 1 and 4.
pub enum Standing {
    Blocked(String),
    MaybeBlocked(String),
    Enough,
    /// Short by this; `true` when an unresolved team may make up for it.
    Short(bool),
}

impl Tally {
    pub fn standing(&self, need: usize) -> Standing {
        let enough = self.group.len() >= need && self.owners_missing.is_empty();
        if !self.blocked.is_empty() {
            Standing::Blocked(self.blocked.join(", "))
        } else if enough && !self.maybe_blocked.is_empty() {
            Standing::MaybeBlocked(self.maybe_blocked.join(", "))
        } else if enough {
            Standing::Enough
        } else {
            Standing::Short(self.unknown_team.is_some())
        }
    }

    /// "has N counted approval(s) (a, b); no approval from the owner of …; not counted: …"
    pub fn shortfall(&self) -> String {
        let mut msg = format!("has {} counted approval(s)", self.group.len());
        if !self.group.is_empty() {
            msg.push_str(&format!(" ({})", self.group.join(", ")));
        }
        if !self.owners_missing.is_empty() {
            msg.push_str(&format!(
                "; no approval from the owner of {}",
                self.owners_missing.join(", ")
            ));
        }
        if !self.notes.is_empty() {
            msg.push_str(&format!("; not counted: {}", self.notes.join("; ")));
        }
        if let Some(team) = &self.unknown_team {
            msg.push_str(&format!(
                "; team {team} could not be resolved (run with --github to resolve teams)"
            ));
        }
        msg
    }
}

pub fn group_name(g: Option<Group>) -> String {
    match g {
        Some(g) => format!("`{g}`"),
        None => "any reviewer".into(),
    }
}

pub fn subject_of(fc: &FileChange, p: Option<&Parsed>) -> String {
    p.and_then(|p| p.kind_id())
        .map(|(_, id)| id)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| fc.path.clone())
}

pub fn ticket_kind_of(path: &str) -> Option<Kind> {
    let first = path.split('/').next()?;
    Kind::ALL
        .into_iter()
        .filter(|k| k.is_ticket())
        .find(|k| k.folder() == first)
}

/// Unique, sorted values.
pub fn dedup(v: impl IntoIterator<Item = String>) -> Vec<String> {
    v.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;

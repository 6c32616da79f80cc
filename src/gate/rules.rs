//! The pure decision: [`decide`] turns an [`Input`] into a [`Verdict`].
//! No git, no network, no clock: everything comes in through `Input`.

use super::*;
use crate::diag::Severity;
use crate::model::{
    Change, ChangePolicy, ChangeStatus, ChangeType, Group, Kind, PathEnforcement, PolicyRule, Record,
    Service, RECORD_FOLDERS,
};
use crate::repo::{self, Entry, Loaded, Source};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

/// Notes that mark approval bookkeeping in a timeline start with this
/// (case-insensitive), on events that carry no `status`.
pub const APPROVAL_NOTE_PREFIX: &str = "approved by";

/// A [`Source`] over bytes in memory.
pub struct MapSource<'a> {
    pub files: BTreeMap<&'a str, &'a [u8]>,
}

impl<'a> MapSource<'a> {
    pub fn new() -> Self {
        MapSource {
            files: BTreeMap::new(),
        }
    }
    pub fn add(&mut self, path: &'a str, bytes: &'a [u8]) {
        self.files.insert(path, bytes);
    }
}

impl Default for MapSource<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl Source for MapSource<'_> {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        Ok(self
            .files
            .iter()
            .map(|(p, b)| Entry {
                path: p.to_string(),
                size: b.len() as u64,
                symlink: false,
            })
            .collect())
    }
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .map(|b| b.to_vec())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, path.to_string()))
    }
}

/// One file parsed: the typed record (when it passed the schema layer), its
/// plain JSON (when it parsed as YAML), and the loader's findings.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub loaded: Option<Loaded>,
    pub json: Option<Value>,
    pub findings: Vec<crate::diag::Finding>,
}

impl Parsed {
    fn record(&self) -> Option<&Record> {
        self.loaded.as_ref().map(|l| &l.record)
    }
    /// `kind` and `id` as written, even when the schema layer refused the file.
    fn kind_id(&self) -> Option<(String, String)> {
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

fn json_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn parse_file(path: &str, bytes: &[u8]) -> Parsed {
    let mut src = MapSource::new();
    src.add(path, bytes);
    let entry = Entry {
        path: path.to_string(),
        size: bytes.len() as u64,
        symlink: false,
    };
    let (loaded, findings) = repo::load_entry(&src, &entry);
    // The same size limit as the loader (which has reported an oversized file).
    let json = (bytes.len() as u64 <= crate::yaml::MAX_FILE_BYTES)
        .then(|| std::str::from_utf8(bytes).ok())
        .flatten()
        .and_then(|t| {
            crate::yaml::parse(t.strip_prefix('\u{feff}').unwrap_or(t))
                .ok()
                .flatten()
        })
        .map(|n| n.to_json());
    Parsed {
        loaded,
        json,
        findings,
    }
}

/// A change record with its approval bookkeeping removed: the `approvals`
/// list, and timeline events without a `status` whose note starts with
/// "Approved by". Two versions that are equal after this differ only in
/// bookkeeping, so an approval of one still holds for the other. Key order,
/// comments and layout never matter (the comparison is on parsed data).
pub fn without_bookkeeping(json: &Value) -> Value {
    let mut v = json.clone();
    if let Some(map) = v.as_object_mut() {
        map.remove("approvals");
        if let Some(Value::Array(events)) = map.get_mut("timeline") {
            events.retain(|e| !is_approval_note(e));
        }
    }
    v
}

fn is_approval_note(e: &Value) -> bool {
    let Some(obj) = e.as_object() else { return false };
    if obj.get("status").is_some_and(|s| !s.is_null()) {
        return false;
    }
    obj.get("note")
        .and_then(Value::as_str)
        .is_some_and(|n| n.trim_start().to_lowercase().starts_with(APPROVAL_NOTE_PREFIX))
}

fn lc(s: &str) -> String {
    s.to_lowercase()
}

fn ticket_kind_of(path: &str) -> Option<Kind> {
    let first = path.split('/').next()?;
    [Kind::Incident, Kind::Problem, Kind::Request, Kind::Change]
        .into_iter()
        .find(|k| k.folder() == first)
}

/// Membership of a login in a list of logins and `@org/team` entries.
#[derive(Debug, Clone, PartialEq)]
enum Member {
    Yes,
    No,
    /// Only an unresolved team could contain the login.
    Unknown(String),
}

fn member(list: &[String], login: &str, teams: &HashMap<String, Vec<String>>) -> Member {
    let login = lc(login);
    let mut unknown = None;
    for entry in list {
        if let Some(team) = entry.strip_prefix('@') {
            let key = lc(&format!("@{team}"));
            match teams.get(&key) {
                Some(members) => {
                    if members.iter().any(|m| lc(m) == login) {
                        return Member::Yes;
                    }
                }
                None => unknown = Some(entry.clone()),
            }
        } else if lc(entry) == login {
            return Member::Yes;
        }
    }
    match unknown {
        Some(t) => Member::Unknown(t),
        None => Member::No,
    }
}

struct Ctx<'a> {
    input: &'a Input,
    checks: Vec<Check>,
    to_record: Vec<Backed>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        subject: &str,
        file: Option<&str>,
        rule: Rule,
        outcome: Outcome,
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
}

/// The latest decisive review of one reviewer.
#[derive(Debug, Clone)]
struct Latest<'a> {
    login: String,
    review: &'a Review,
}

/// Per reviewer (case-insensitive), the latest of their APPROVED,
/// CHANGES_REQUESTED and DISMISSED reviews. A dismissal wipes what came
/// before; COMMENTED and PENDING never count. Reviews with a null user or
/// commit are ignored.
fn latest_reviews(reviews: &[Review]) -> Vec<Latest<'_>> {
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
        by.insert(lc(r.login.as_deref().unwrap_or_default()), r);
    }
    by.into_iter()
        .filter(|(_, r)| r.state != ReviewState::Dismissed)
        .map(|(login, review)| Latest { login, review })
        .collect()
}

/// Why a reviewer's approval does not count (None: it counts so far).
fn ineligible(input: &Input, l: &Latest<'_>) -> Option<String> {
    if l.review.bot || is_bot_login(&l.login) {
        return Some(format!("{} is a bot; bots never approve", l.login));
    }
    if lc(&input.author) == l.login {
        return Some(format!("{} is the PR author", l.login));
    }
    if input.contributors.iter().any(|c| lc(c) == l.login) {
        return Some(format!(
            "{} authored or pushed a commit of this PR; contributors count like the author",
            l.login
        ));
    }
    None
}

/// The verdict.
pub fn decide(input: &Input) -> Verdict {
    let mut cx = Ctx {
        input,
        checks: Vec::new(),
        to_record: Vec::new(),
    };
    run(&mut cx);
    let decision = if cx.checks.iter().any(|c| c.outcome == Outcome::Undecided) {
        Decision::Undecided
    } else if cx.checks.iter().any(|c| c.outcome == Outcome::Fail) {
        Decision::Denied
    } else {
        Decision::Allowed
    };
    Verdict {
        decision,
        checks: cx.checks,
        to_record: cx.to_record,
    }
}

fn load_files(files: &Files) -> repo::Snapshot {
    let mut src = MapSource::new();
    for (p, b) in files {
        src.add(p, b);
    }
    repo::load(&src).unwrap_or_default()
}

fn run(cx: &mut Ctx<'_>) {
    let input = cx.input;
    // Rule 0/1: the base policy, catalog and CAB.
    let base = load_files(&input.base_context);
    let policies: Vec<&Loaded> = base
        .records
        .iter()
        .filter(|l| l.record.kind() == Kind::ChangePolicy)
        .collect();
    let broken_policy = base
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error && f.file.starts_with("policies/"));
    let policy: ChangePolicy = match (policies.as_slice(), broken_policy) {
        (_, Some(f)) => {
            cx.push(
                "policy",
                Some(&f.file),
                Rule::FailClosed,
                Outcome::Undecided,
                format!(
                    "the base policy cannot be read ({} at {}:{}: {})",
                    f.code.as_str(),
                    f.pos.line,
                    f.pos.column,
                    f.message
                ),
                Some("fix the policy on the base branch first; the gate never judges by a policy it cannot read".into()),
            );
            return;
        }
        ([one], None) => match &one.record {
            Record::ChangePolicy(p) => p.clone(),
            _ => unreachable!("filtered by kind"),
        },
        ([], None) => {
            cx.push(
                "policy",
                None,
                Rule::FailClosed,
                Outcome::Undecided,
                "the base revision has no ChangePolicy",
                Some("add policies/default.yaml to the base branch (`gitsm init` writes one)".into()),
            );
            return;
        }
        (many, None) => {
            let paths: Vec<&str> = many.iter().map(|l| l.path.as_str()).collect();
            cx.push(
                "policy",
                None,
                Rule::FailClosed,
                Outcome::Undecided,
                format!(
                    "the base revision has {} ChangePolicy records: {}",
                    many.len(),
                    paths.join(", ")
                ),
                Some("keep exactly one ChangePolicy on the base branch".into()),
            );
            return;
        }
    };
    // A service record that does not load at base would drop out of the
    // catalog, and rule 6 would never see its `paths`: its code would go
    // unchecked. Fail closed instead.
    if let Some(f) = base
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error && f.file.starts_with("catalog/"))
    {
        cx.push(
            "catalog",
            Some(&f.file),
            Rule::FailClosed,
            Outcome::Undecided,
            format!(
                "the base catalog cannot be read: {}: {} ({} at {}:{})",
                f.file,
                f.message,
                f.code.as_str(),
                f.pos.line,
                f.pos.column
            ),
            Some("fix the service record on the base branch first; the gate never judges by a catalog it cannot read".into()),
        );
        return;
    }
    let services: HashMap<String, Service> = base
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some((s.id.to_string(), s.clone())),
            _ => None,
        })
        .collect();
    let latest = latest_reviews(&input.reviews);

    // Parse both sides of every changed record file.
    let files: Vec<(FileChange, Option<Parsed>, Option<Parsed>)> = input
        .diff
        .iter()
        .map(|fc| {
            (
                fc.clone(),
                fc.old.as_deref().map(|b| parse_file(&fc.path, b)),
                fc.new.as_deref().map(|b| parse_file(&fc.path, b)),
            )
        })
        .collect();

    // Rule 1: a PR that edits the policy.
    let policy_paths: Vec<&str> = files
        .iter()
        .filter(|(fc, old, new)| {
            fc.path.starts_with("policies/")
                || is_ci_path(&fc.path)
                || [old, new].iter().any(|p| {
                    p.as_ref()
                        .and_then(|p| p.kind_id())
                        .is_some_and(|(k, _)| k == Kind::ChangePolicy.name())
                })
        })
        .map(|(fc, _, _)| fc.path.as_str())
        .collect();
    if !policy_paths.is_empty() {
        let what = format!(
            "edits {} (the change policy or the CI that enforces it)",
            policy_paths.join(", ")
        );
        let subject = format!("policy {}", policy.id);
        check_policy_change(cx, &policy, &latest, &subject, &what, &policy_paths);
    }
    // Rule 1: a PR that changes who governs what in the catalog (a service's
    // `paths`, `owner` or `sla`, or the service itself) is a policy change
    // too: later PRs are judged by the catalog this one merges.
    for g in catalog_governance_changes(&files) {
        let paths: Vec<&str> = g.files.iter().map(String::as_str).collect();
        let what = format!(
            "changes the governance of service {} ({})",
            g.id,
            g.details.join("; ")
        );
        check_policy_change(cx, &policy, &latest, &format!("service {}", g.id), &what, &paths);
    }

    // Rule 2: every changed record validates at head.
    check_validation(cx, &files);

    // Rule 3: history.
    let base_ids: HashMap<String, String> = input
        .base_ticket_paths
        .iter()
        .map(|p| (lc(repo::file_stem(p)), p.clone()))
        .collect();
    let base_ctx_ids: HashMap<(String, String), String> = base
        .records
        .iter()
        .map(|l| {
            (
                (l.record.kind().name().to_string(), lc(l.record.id().as_str())),
                l.path.clone(),
            )
        })
        .collect();
    let added_ids: HashMap<String, String> = files
        .iter()
        .filter(|(_, old, new)| old.is_none() && new.is_some())
        .filter_map(|(fc, _, new)| new.as_ref()?.kind_id().map(|(_, id)| (lc(&id), fc.path.clone())))
        .collect();
    let mut new_ids_seen: HashMap<String, String> = HashMap::new();
    for (fc, _, new) in &files {
        check_folder(cx, fc, new.as_ref());
    }
    for (fc, old, new) in &files {
        check_history(
            cx,
            fc,
            old.as_ref(),
            new.as_ref(),
            &base_ids,
            &base_ctx_ids,
            &added_ids,
            &mut new_ids_seen,
        );
    }

    // Rules 4 and 5 for every change at head.
    let changes: Vec<(&FileChange, Option<&Parsed>, &Parsed, &Change)> = files
        .iter()
        .filter_map(|(fc, old, new)| {
            let new = new.as_ref()?;
            match new.record() {
                Some(Record::Change(c)) => Some((fc, old.as_ref(), new, c)),
                _ => None,
            }
        })
        .collect();
    let base_active: Vec<Change> = load_files(&input.base_active_changes)
        .records
        .into_iter()
        .filter_map(|l| match l.record {
            Record::Change(c) => Some(c),
            _ => None,
        })
        .collect();
    for (fc, old, new, c) in &changes {
        let base_change = old.and_then(|o| match o.record() {
            Some(Record::Change(b)) => Some(b),
            _ => None,
        });
        check_approvals(cx, &policy, &services, &latest, fc, *old, new, c, base_change);
        check_schedule(cx, &policy, fc, c, base_change, &changes, &base_active);
    }

    // Rule 6: code under a service's paths.
    check_paths(cx, &policy, &services, &changes);
}

/// A service whose governance the PR changes (see [`catalog_governance_changes`]).
#[derive(Debug)]
struct Governance {
    /// The service id as written.
    id: String,
    /// What changed, e.g. "`paths` removed: deploy/web/**".
    details: Vec<String>,
    /// The files holding the service at the merge base and at head.
    files: Vec<String>,
}

/// Services whose governance fields differ between the merge base and head,
/// compared as parsed data (comments, layout, key order, `paths` order and
/// login case never matter): `paths`, `owner` and `sla` edited, a service
/// deleted (or its kind, id or `apiVersion` changed), or a service added with
/// `paths`. `name`, `description`, `extra` and the other fields are free.
fn catalog_governance_changes(files: &[(FileChange, Option<Parsed>, Option<Parsed>)]) -> Vec<Governance> {
    type Side<'a> = BTreeMap<String, (String, &'a str, &'a Value)>;
    fn services<'a>(files: &'a [(FileChange, Option<Parsed>, Option<Parsed>)], new: bool) -> Side<'a> {
        let mut out = Side::new();
        for (fc, o, n) in files {
            let Some(p) = (if new { n } else { o }) else {
                continue;
            };
            let (Some((kind, id)), Some(json)) = (p.kind_id(), p.json.as_ref()) else {
                continue;
            };
            if kind == Kind::Service.name() {
                out.insert(lc(&id), (id, fc.path.as_str(), json));
            }
        }
        out
    }
    fn paths(j: &Value) -> BTreeSet<String> {
        match j.get("paths") {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(Value::Array(a)) => a.iter().map(json_scalar).collect(),
            Some(other) => BTreeSet::from([json_scalar(other)]),
        }
    }
    fn field(j: &Value, key: &str) -> String {
        j.get(key)
            .filter(|v| !v.is_null())
            .map(json_scalar)
            .unwrap_or_default()
    }
    fn shown(s: &str) -> &str {
        if s.is_empty() {
            "(none)"
        } else {
            s
        }
    }
    fn list(s: &BTreeSet<String>) -> String {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
    let (old, new) = (services(files, false), services(files, true));
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in ids {
        let (id, details, files) = match (old.get(key), new.get(key)) {
            (Some((id, path, _)), None) => (
                id.clone(),
                vec![format!("the service is removed from {path}")],
                vec![path.to_string()],
            ),
            (None, Some((id, path, j))) => {
                let p = paths(j);
                if p.is_empty() {
                    continue;
                }
                (
                    id.clone(),
                    vec![format!("a new service with `paths`: {}", list(&p))],
                    vec![path.to_string()],
                )
            }
            (Some((_, opath, o)), Some((id, npath, n))) => {
                let mut d = Vec::new();
                let (po, pn) = (paths(o), paths(n));
                let removed: BTreeSet<String> = po.difference(&pn).cloned().collect();
                let added: BTreeSet<String> = pn.difference(&po).cloned().collect();
                if !removed.is_empty() {
                    d.push(format!("`paths` removed: {}", list(&removed)));
                }
                if !added.is_empty() {
                    d.push(format!("`paths` added: {}", list(&added)));
                }
                for key in ["owner", "sla"] {
                    let (a, b) = (field(o, key), field(n, key));
                    if lc(&a) != lc(&b) {
                        d.push(format!("`{key}` {} -> {}", shown(&a), shown(&b)));
                    }
                }
                if d.is_empty() {
                    continue;
                }
                (id.clone(), d, dedup([opath.to_string(), npath.to_string()]))
            }
            (None, None) => continue,
        };
        out.push(Governance { id, details, files });
    }
    out
}

/// Rule 1: an edit of the policy, the CI that enforces it or the catalog's
/// governance (`what`, naming the files) needs the base policy's
/// `policy_change` approvals, fresh for every file in `paths`.
fn check_policy_change(
    cx: &mut Ctx<'_>,
    policy: &ChangePolicy,
    latest: &[Latest<'_>],
    subject: &str,
    what: &str,
    paths: &[&str],
) {
    let input = cx.input;
    let file = paths.join(", ");
    let Some(rule) = &policy.policy_change else {
        cx.push(
            subject,
            Some(&file),
            Rule::PolicyFromBase,
            Outcome::Fail,
            format!("this PR {what}, and the base policy has no `policy_change` rule, so no review can approve it"),
            Some("add `policy_change: {approvals: 2, from: cab}` to the base policy in its own reviewed PR first".into()),
        );
        return;
    };
    let group: &[String] = match rule.from {
        Some(g) => policy.group(g),
        None => &[],
    };
    let mut counted = Vec::new();
    let mut notes = Vec::new();
    let mut unknown = None;
    let mut blocked = Vec::new();
    let mut maybe_blocked = Vec::new();
    for l in latest {
        let m = if rule.from.is_some() {
            member(group, &l.login, &input.teams)
        } else {
            Member::Yes
        };
        if l.review.state == ReviewState::ChangesRequested {
            if m == Member::Yes && !l.review.bot {
                blocked.push(l.login.clone());
            } else if let (Member::Unknown(team), false) = (&m, l.review.bot) {
                // May be a member through an unresolved team: may block.
                maybe_blocked.push(format!("{} (maybe in {team})", l.login));
            }
            continue;
        }
        if let Some(why) = ineligible(input, l) {
            notes.push(why);
            continue;
        }
        match m {
            Member::Yes => {}
            Member::No => {
                notes.push(format!("{} is not in {}", l.login, group_name(rule.from)));
                continue;
            }
            Member::Unknown(t) => {
                unknown = Some(t);
                continue;
            }
        }
        let fresh = paths.iter().all(|p| {
            let sha = l.review.commit_id.as_deref().unwrap_or_default();
            let head = input
                .diff
                .iter()
                .find(|f| f.path == *p)
                .and_then(|f| f.new.as_deref());
            let then = input.reviewed.get(sha).and_then(|f| f.get(*p)).map(Vec::as_slice);
            match (head, then) {
                // YAML compares as parsed data (comments, layout and key
                // order never matter); anything else (CODEOWNERS) byte for
                // byte: a YAML parse would fold joined lines into the same
                // scalar, though they mean something else.
                (Some(h), Some(t)) if repo::is_yaml_name(p) => {
                    match (parse_file(p, h).json, parse_file(p, t).json) {
                        (Some(a), Some(b)) => a == b,
                        _ => h == t,
                    }
                }
                (Some(h), Some(t)) => h == t,
                (None, None) => input.reviewed.contains_key(sha),
                _ => false,
            }
        });
        if !fresh {
            notes.push(format!(
                "{}'s approval is stale: {file} changed after the reviewed commit",
                l.login
            ));
            continue;
        }
        counted.push(l.login.clone());
    }
    let need = rule.approvals as usize;
    if !blocked.is_empty() {
        cx.push(
            subject,
            Some(&file),
            Rule::PolicyFromBase,
            Outcome::Fail,
            format!(
                "changes requested by {} on this PR, which {what}",
                blocked.join(", ")
            ),
            Some("address the requested changes and ask them to approve".into()),
        );
    } else if counted.len() >= need && !maybe_blocked.is_empty() {
        cx.push(
            subject,
            Some(&file),
            Rule::PolicyFromBase,
            Outcome::Undecided,
            format!(
                "changes requested on this PR (which {what}) by {}, whose membership could not be resolved (run with --github to resolve teams)",
                maybe_blocked.join(", ")
            ),
            Some("resolve the teams with --github, or have the reviewer approve or dismiss the review".into()),
        );
    } else if counted.len() >= need {
        cx.push(
            subject,
            Some(&file),
            Rule::PolicyFromBase,
            Outcome::Pass,
            format!(
                "this PR {what}; approved by {} ({} of {} `policy_change` approval(s) needed, {}); judged by the base policy",
                counted.join(", "),
                counted.len(),
                need,
                group_name(rule.from)
            ),
            None,
        );
    } else {
        let outcome = if unknown.is_some() {
            Outcome::Undecided
        } else {
            Outcome::Fail
        };
        let mut msg = format!(
            "this PR {what}: it needs {need} `policy_change` approval(s) from {}, has {}{}",
            group_name(rule.from),
            counted.len(),
            if counted.is_empty() {
                String::new()
            } else {
                format!(" ({})", counted.join(", "))
            }
        );
        if !notes.is_empty() {
            msg.push_str(&format!("; not counted: {}", notes.join("; ")));
        }
        if let Some(t) = &unknown {
            msg.push_str(&format!("; team {t} could not be resolved offline"));
        }
        cx.push(
            subject,
            Some(&file),
            Rule::PolicyFromBase,
            outcome,
            msg,
            Some(format!(
                "ask {} more member(s) of {} to approve the latest commit (or undo the edit); the PR is judged by the base policy and catalog, so loosening them here has no effect",
                need.saturating_sub(counted.len()),
                group_name(rule.from)
            )),
        );
    }
}

fn group_name(g: Option<Group>) -> String {
    match g {
        Some(g) => format!("`{g}`"),
        None => "any reviewer".into(),
    }
}

fn subject_of(fc: &FileChange, p: Option<&Parsed>) -> String {
    p.and_then(|p| p.kind_id())
        .map(|(_, id)| id)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| fc.path.clone())
}

fn check_validation(cx: &mut Ctx<'_>, files: &[(FileChange, Option<Parsed>, Option<Parsed>)]) {
    let input = cx.input;
    let mut src = MapSource::new();
    for (p, b) in &input.head_context {
        src.add(p, b);
    }
    for (p, b) in &input.referenced {
        src.add(p, b);
    }
    let mut changed: Vec<&str> = Vec::new();
    for (fc, _, _) in files {
        if let Some(b) = &fc.new {
            src.add(&fc.path, b);
            changed.push(&fc.path);
        }
    }
    let known: HashSet<(Kind, String)> = input
        .head_ticket_paths
        .iter()
        .filter_map(|p| Some((ticket_kind_of(p)?, repo::file_stem(p).to_string())))
        .collect();
    let v = match crate::validate::validate_with_known(&src, &known) {
        Ok(v) => v,
        Err(e) => {
            cx.push(
                "records",
                None,
                Rule::FailClosed,
                Outcome::Undecided,
                format!("cannot validate: {e}"),
                Some("run `gitsm validate` on the head checkout to see why".into()),
            );
            return;
        }
    };
    for (fc, _, new) in files {
        if fc.new.is_none() && fc.new_not_a_file && is_record_path(&fc.path) {
            // A symlink or submodule in a record folder: `gitsm validate`
            // refuses it at head, so it must not pass here unjudged.
            cx.push(
                &fc.path,
                Some(&fc.path),
                Rule::Validate,
                Outcome::Fail,
                format!(
                    "{} is a symbolic link or submodule at head, not a record file",
                    fc.path
                ),
                Some("replace it with the file itself; gitsm does not follow symlinks".into()),
            );
            continue;
        }
        let Some(new) = new else { continue };
        let mine: Vec<&crate::diag::Finding> = v.findings.iter().filter(|f| f.file == fc.path).collect();
        // Not a record (e.g. a CI workflow, judged by rule 1) — unless the
        // loader has findings for it: a broken file that mentions gitsm/v1
        // is a finding for `gitsm validate` too, never silently skipped.
        if new.kind_id().is_none() && !is_record_path(&fc.path) && (mine.is_empty() || is_ci_path(&fc.path)) {
            continue;
        }
        let subject = subject_of(fc, Some(new));
        let errors = mine.iter().filter(|f| f.severity == Severity::Error).count();
        for f in &mine {
            let outcome = match f.severity {
                Severity::Error => Outcome::Fail,
                Severity::Warning => Outcome::Warn,
            };
            cx.push(
                &subject,
                Some(&fc.path),
                Rule::Validate,
                outcome,
                format!(
                    "{}:{}:{}: {}[{}] {}",
                    fc.path,
                    f.pos.line,
                    f.pos.column,
                    if outcome == Outcome::Fail {
                        "error"
                    } else {
                        "warning"
                    },
                    f.code.as_str(),
                    f.message
                ),
                Some(if f.code == crate::diag::Code::TooFewApprovals {
                    "once the reviews are in, run this `gitsm gate` command again with `--record`, commit and push: recording approvals is bookkeeping, so the reviews stay fresh".to_string()
                } else {
                    f.hint
                        .clone()
                        .unwrap_or_else(|| "fix the record; `gitsm validate` shows the same finding".into())
                }),
            );
        }
        if errors == 0 {
            cx.push(
                &subject,
                Some(&fc.path),
                Rule::Validate,
                Outcome::Pass,
                "validates at head",
                None,
            );
        }
    }
}

/// The gate finds base records by folder, not by kind: services (for
/// `paths` and owners) only in `catalog/`, active changes (for conflicts)
/// only in `changes/`, ticket ids (for collisions) only in the ticket
/// folders. A record of those kinds written elsewhere would be invisible to
/// every later gate run (a scheduled change in `ops/` never conflicts, a
/// service in `services/` governs no code), so it may not enter elsewhere.
fn check_folder(cx: &mut Ctx<'_>, fc: &FileChange, new: Option<&Parsed>) {
    let Some((kind, id)) = new.and_then(Parsed::kind_id) else {
        return;
    };
    let Some(k) = Kind::from_name(&kind) else { return };
    let folder = k.folder();
    if folder.is_empty() || fc.path.split('/').next() == Some(folder) {
        return;
    }
    let name = fc.path.rsplit('/').next().unwrap_or("");
    cx.push(
        if id.is_empty() { &fc.path } else { &id },
        Some(&fc.path),
        Rule::History,
        Outcome::Fail,
        format!(
            "{kind} {id} is in {}, outside `{folder}/`: the gate reads {kind} records only from `{folder}/`, so every later check would miss it",
            fc.path
        ),
        Some(format!("move it to {folder}/{name}")),
    );
}

#[allow(clippy::too_many_arguments)]
fn check_history(
    cx: &mut Ctx<'_>,
    fc: &FileChange,
    old: Option<&Parsed>,
    new: Option<&Parsed>,
    base_ids: &HashMap<String, String>,
    base_ctx_ids: &HashMap<(String, String), String>,
    added_ids: &HashMap<String, String>,
    new_ids_seen: &mut HashMap<String, String>,
) {
    let path = fc.path.as_str();
    let old_ki = old.and_then(Parsed::kind_id);
    let new_ki = new.and_then(Parsed::kind_id);
    if fc.base_moved && (old_ki.is_some() || new_ki.is_some()) {
        // Everything below compares head with the merge base; that is only
        // what merges when the base branch left the file alone meanwhile.
        let subject = subject_of(fc, new.or(old));
        cx.push(
            &subject,
            Some(path),
            Rule::History,
            Outcome::Fail,
            format!("{path} was changed on the base branch since this PR branched; the PR is judged against a stale copy"),
            Some("merge the base branch into the PR (or rebase it) and push, so the gate sees what will merge".into()),
        );
    }
    match (&old_ki, &new_ki) {
        (Some((_, old_id)), None) => {
            let renamed = added_ids.get(&lc(old_id)).filter(|p| p.as_str() != path);
            let (msg, fix) = match (renamed, new) {
                (Some(to), _) => (
                    format!("record {old_id} is renamed from {path} to {to}; records are never renamed"),
                    format!("keep {old_id} at {path}; git history is the record's audit trail"),
                ),
                (None, Some(_)) => (
                    format!("{path} no longer holds record {old_id} (it is no longer a gitsm record)"),
                    format!("restore {old_id} in {path}"),
                ),
                (None, None) => (
                    format!("record {old_id} ({path}) is deleted; records are never deleted"),
                    format!("restore {path}; to retire a record move it to a final status (e.g. `cancelled`, `closed`)"),
                ),
            };
            cx.push(old_id, Some(path), Rule::History, Outcome::Fail, msg, Some(fix));
        }
        (None, Some((kind, id))) => {
            // A new record: its id must be new.
            let key = lc(id);
            let collision = base_ids
                .get(&key)
                .filter(|p| Kind::from_name(kind).is_some_and(|k| k.is_ticket()) && p.as_str() != path)
                .cloned()
                .or_else(|| {
                    base_ctx_ids
                        .get(&(kind.clone(), key.clone()))
                        .filter(|p| p.as_str() != path)
                        .cloned()
                })
                .or_else(|| {
                    // The file is new since the merge base, but the base tip
                    // has gained a file at the same path meanwhile.
                    base_ids
                        .values()
                        .find(|p| fc.old.is_none() && p.as_str() == path)
                        .cloned()
                })
                .or_else(|| new_ids_seen.get(&key).filter(|p| p.as_str() != path).cloned());
            new_ids_seen.insert(key, path.to_string());
            match collision {
                Some(other) => cx.push(
                    id,
                    Some(path),
                    Rule::History,
                    Outcome::Fail,
                    format!("new record id {id} collides with {other} at base"),
                    Some("rebase on the base branch and give the record the next free id (`gitsm new` allocates one)".into()),
                ),
                None => cx.push(id, Some(path), Rule::History, Outcome::Pass, "new record; id is free at base", None),
            }
        }
        (Some((ok, oid)), Some((nk, nid))) => {
            if ok != nk || lc(oid) != lc(nid) {
                cx.push(
                    oid,
                    Some(path),
                    Rule::History,
                    Outcome::Fail,
                    format!("{path} held {ok} {oid} at base and holds {nk} {nid} at head; records are never renamed to another id"),
                    Some(format!("keep `id: {oid}`; create a new record for anything else")),
                );
                return;
            }
            let (Some(oj), Some(nj)) = (
                old.and_then(|o| o.json.as_ref()),
                new.and_then(|n| n.json.as_ref()),
            ) else {
                return;
            };
            let empty = Vec::new();
            let ot = oj.get("timeline").and_then(Value::as_array).unwrap_or(&empty);
            let nt = nj.get("timeline").and_then(Value::as_array).unwrap_or(&empty);
            let prefix_ok = nt.len() >= ot.len() && ot.iter().zip(nt.iter()).all(|(a, b)| a == b);
            if !prefix_ok {
                let at = ot
                    .iter()
                    .zip(nt.iter())
                    .position(|(a, b)| a != b)
                    .unwrap_or(nt.len().min(ot.len()));
                cx.push(
                    oid,
                    Some(path),
                    Rule::History,
                    Outcome::Fail,
                    format!(
                        "the timeline is rewritten: event {at} at base is changed or removed at head (base has {} events, head {}); timelines are append-only",
                        ot.len(),
                        nt.len()
                    ),
                    Some("restore the base events unchanged and append new events at the end".into()),
                );
                return;
            }
            // Status moves: base history, then each appended status.
            let Some(kind) = Kind::from_name(nk) else { return };
            let mut history: Vec<String> = ot
                .iter()
                .filter_map(|e| e.get("status").and_then(Value::as_str).map(str::to_string))
                .collect();
            let old_status = oj.get("status").and_then(Value::as_str).unwrap_or("").to_string();
            for e in &nt[ot.len()..] {
                let Some(to) = e.get("status").and_then(Value::as_str) else {
                    continue;
                };
                let h: Vec<&str> = history.iter().map(String::as_str).collect();
                if !h.is_empty() && !crate::workflow::is_legal(kind, &h, to) {
                    let legal = crate::workflow::legal_moves(kind, &h);
                    cx.push(
                        oid,
                        Some(path),
                        Rule::History,
                        Outcome::Fail,
                        format!("illegal status move {} → {to}", h.last().copied().unwrap_or("")),
                        Some(format!("legal next statuses: {}", legal.join(", "))),
                    );
                    return;
                }
                history.push(to.to_string());
            }
            let new_status = nj.get("status").and_then(Value::as_str).unwrap_or("");
            cx.push(
                oid,
                Some(path),
                Rule::History,
                Outcome::Pass,
                if old_status == new_status {
                    "timeline extends the base timeline".to_string()
                } else {
                    format!("legal move {old_status} → {new_status}; timeline only appended to")
                },
                None,
            );
        }
        (None, None) => {}
    }
}

/// An approval's standing for one change.
struct Tally {
    /// Logins whose fresh, eligible approval counts toward the rule's group.
    group: Vec<String>,
    /// Fresh, eligible approvers per service id, when owners must approve.
    owners_missing: Vec<String>,
    blocked: Vec<String>,
    /// CHANGES_REQUESTED by reviewers who may be in the group or own a
    /// service only through a team that could not be resolved: (login, team).
    maybe_blocked: Vec<(String, String)>,
    notes: Vec<String>,
    unknown_team: Option<String>,
    /// Everyone whose approval counts for something (group or owner), with when.
    backing: Vec<(String, jiff::Timestamp)>,
}

#[allow(clippy::too_many_arguments)]
fn tally(
    input: &Input,
    policy: &ChangePolicy,
    services: &HashMap<String, Service>,
    latest: &[Latest<'_>],
    path: &str,
    head_clean: &Value,
    c: &Change,
    rule: &PolicyRule,
) -> Tally {
    let group: Option<&[String]> = rule.from.map(|g| policy.group(g));
    let owners: Vec<(String, Vec<String>)> = if rule.service_owner {
        c.services
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    services
                        .get(s.as_str())
                        .map(|x| vec![x.owner.clone()])
                        .unwrap_or_default(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut t = Tally {
        group: Vec::new(),
        owners_missing: Vec::new(),
        blocked: Vec::new(),
        maybe_blocked: Vec::new(),
        notes: Vec::new(),
        unknown_team: None,
        backing: Vec::new(),
    };
    let mut owner_ok: HashSet<String> = HashSet::new();
    for l in latest {
        let in_group = match group {
            Some(g) => member(g, &l.login, &input.teams),
            None => Member::Yes,
        };
        let owner_of: Vec<&String> = owners
            .iter()
            .filter(|(_, o)| member(o, &l.login, &input.teams) == Member::Yes)
            .map(|(s, _)| s)
            .collect();
        if l.review.state == ReviewState::ChangesRequested {
            if (in_group == Member::Yes || !owner_of.is_empty()) && !l.review.bot {
                t.blocked.push(l.login.clone());
            } else if !l.review.bot {
                // Membership only through an unresolved team: the request
                // may block, so it must not be silently ignored.
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
                    t.maybe_blocked.push((l.login.clone(), team));
                }
            }
            continue;
        }
        if let Some(why) = ineligible(input, l) {
            t.notes.push(why);
            continue;
        }
        if in_group != Member::Yes && owner_of.is_empty() {
            match in_group {
                Member::Unknown(team) => t.unknown_team = Some(team),
                _ => t
                    .notes
                    .push(format!("{} is not in {}", l.login, group_name(rule.from))),
            }
            continue;
        }
        // Freshness: the change at the reviewed commit equals head but for bookkeeping.
        let sha = l.review.commit_id.as_deref().unwrap_or_default();
        let then = match input.reviewed.get(sha) {
            None => {
                t.notes.push(format!(
                    "{}'s approval is of commit {} which is not in this repository (force-pushed away?); it counts as stale",
                    l.login,
                    short(sha)
                ));
                continue;
            }
            Some(files) => files.get(path),
        };
        let fresh = then
            .and_then(|b| parse_file(path, b).json)
            .is_some_and(|j| &without_bookkeeping(&j) == head_clean);
        if !fresh {
            t.notes.push(format!(
                "{}'s approval is stale: {} changed after the reviewed commit {}",
                l.login,
                c.id,
                short(sha)
            ));
            continue;
        }
        if in_group == Member::Yes {
            t.group.push(l.login.clone());
        }
        for s in owner_of {
            owner_ok.insert(s.clone());
        }
        if let Some(at) = l.review.submitted_at {
            t.backing.push((l.login.clone(), at));
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

/// The first 10 characters of a sha; never panics, whatever the string.
fn short(sha: &str) -> &str {
    sha.get(..10).unwrap_or(sha)
}

fn rule_text(rule: &PolicyRule) -> String {
    let m = &rule.matches;
    let mut s = String::from("{");
    let mut parts = Vec::new();
    if let Some(t) = m.change_type {
        parts.push(format!("type: {t}"));
    }
    if let Some(r) = m.risk {
        parts.push(format!("risk: {r}"));
    }
    s.push_str(&parts.join(", "));
    s.push('}');
    format!(
        "rule {s} ({} approval(s){}{})",
        rule.approvals,
        rule.from.map(|g| format!(" from {g}")).unwrap_or_default(),
        if rule.service_owner {
            " + service owner"
        } else {
            ""
        }
    )
}

#[allow(clippy::too_many_arguments)]
fn check_approvals(
    cx: &mut Ctx<'_>,
    policy: &ChangePolicy,
    services: &HashMap<String, Service>,
    latest: &[Latest<'_>],
    fc: &FileChange,
    old: Option<&Parsed>,
    new: &Parsed,
    c: &Change,
    base: Option<&Change>,
) {
    let input = cx.input;
    let id = c.id.to_string();
    let path = fc.path.as_str();
    let Some(head_json) = new.json.as_ref() else {
        return;
    };
    let head_clean = without_bookkeeping(head_json);
    let base_clean = old.and_then(|o| o.json.as_ref()).map(without_bookkeeping);
    let substantive = base_clean.as_ref() != Some(&head_clean);
    let needs = c.status.is_approved_or_later()
        && (substantive || base.is_none_or(|b| !b.status.is_approved_or_later()));
    let base_approvals: HashSet<String> = base
        .map(|b| b.approvals.iter().map(|a| lc(&a.by)).collect())
        .unwrap_or_default();
    let claims: Vec<&crate::model::Approval> = c
        .approvals
        .iter()
        .filter(|a| !base_approvals.contains(&lc(&a.by)))
        .collect();
    if !needs && claims.is_empty() {
        return;
    }
    // The rules to satisfy: head's, and base's too when the change was
    // already approved (the stricter of both means satisfying both).
    let mut rules: Vec<&PolicyRule> = Vec::new();
    match policy.rule_for(c.change_type, c.risk) {
        Some(r) => rules.push(r),
        None => {
            cx.push(
                &id,
                Some(path),
                Rule::FailClosed,
                Outcome::Undecided,
                format!(
                    "no rule of the base policy matches a {} change with {} risk",
                    c.change_type, c.risk
                ),
                Some("add a rule for it to the policy on the base branch (rules are first-match)".into()),
            );
            return;
        }
    }
    if let Some(b) = base.filter(|b| b.status.is_approved_or_later() && substantive) {
        match policy.rule_for(b.change_type, b.risk) {
            Some(r) if r != rules[0] => rules.push(r),
            Some(_) => {}
            None => {
                cx.push(
                    &id,
                    Some(path),
                    Rule::FailClosed,
                    Outcome::Undecided,
                    format!(
                        "no rule of the base policy matches the base version ({} change, {} risk)",
                        b.change_type, b.risk
                    ),
                    Some("add a rule for it to the policy on the base branch (rules are first-match)".into()),
                );
                return;
            }
        }
    }
    let was_approved = base.is_some_and(|b| b.status.is_approved_or_later());
    let mut backing: BTreeMap<String, jiff::Timestamp> = BTreeMap::new();
    for rule in &rules {
        let t = tally(input, policy, services, latest, path, &head_clean, c, rule);
        for (l, at) in &t.backing {
            backing.insert(l.clone(), *at);
        }
        if !needs {
            continue;
        }
        let need = rule.approvals as usize;
        let why = if was_approved {
            format!(
                "{id} was already `{}` at base and is edited: it needs fresh approval under {}",
                base.map(|b| b.status.as_str()).unwrap_or(""),
                rule_text(rule)
            )
        } else {
            format!("{id} enters `{}`: {}", c.status, rule_text(rule))
        };
        if !t.blocked.is_empty() {
            cx.push(
                &id,
                Some(path),
                Rule::Approvals,
                Outcome::Fail,
                format!("{why}; changes requested by {} block it", t.blocked.join(", ")),
                Some(format!(
                    "address the review of {} and ask for a new approval",
                    t.blocked.join(", ")
                )),
            );
            continue;
        }
        let enough = t.group.len() >= need && t.owners_missing.is_empty();
        if enough && !t.maybe_blocked.is_empty() {
            let who: Vec<String> = t
                .maybe_blocked
                .iter()
                .map(|(l, team)| format!("{l} (maybe in {team})"))
                .collect();
            cx.push(
                &id,
                Some(path),
                Rule::Approvals,
                Outcome::Undecided,
                format!(
                    "{why}; changes requested by {}, whose membership could not be resolved (run with --github to resolve teams)",
                    who.join(", ")
                ),
                Some("resolve the teams with --github, or have the reviewer approve or dismiss the review".into()),
            );
            continue;
        }
        if enough {
            cx.push(
                &id,
                Some(path),
                Rule::Approvals,
                Outcome::Pass,
                format!(
                    "{why}; approved by {}",
                    if t.group.is_empty() {
                        "nobody needed".to_string()
                    } else {
                        t.group.join(", ")
                    }
                ),
                None,
            );
            continue;
        }
        let mut msg = format!("{why}; has {} counted approval(s)", t.group.len());
        if !t.group.is_empty() {
            msg.push_str(&format!(" ({})", t.group.join(", ")));
        }
        if !t.owners_missing.is_empty() {
            msg.push_str(&format!(
                "; no approval from the owner of {}",
                t.owners_missing.join(", ")
            ));
        }
        if !t.notes.is_empty() {
            msg.push_str(&format!("; not counted: {}", t.notes.join("; ")));
        }
        let outcome = if let Some(team) = &t.unknown_team {
            msg.push_str(&format!(
                "; team {team} could not be resolved (run with --github to resolve teams)"
            ));
            Outcome::Undecided
        } else {
            Outcome::Fail
        };
        let mut fix = Vec::new();
        if t.group.len() < need {
            fix.push(format!(
                "{} more approval(s) from {} (not the author or a contributor) on the latest commit",
                need - t.group.len(),
                group_name(rule.from)
            ));
        }
        if !t.owners_missing.is_empty() {
            fix.push(format!(
                "an approval from the owner of {}",
                t.owners_missing.join(", ")
            ));
        }
        cx.push(
            &id,
            Some(path),
            Rule::Approvals,
            outcome,
            msg,
            Some(format!("get {}", fix.join(" and "))),
        );
    }
    // Every new name in `approvals` must be backed by a counting review.
    for a in &claims {
        if !backing.contains_key(&lc(&a.by)) {
            cx.push(
                &id,
                Some(path),
                Rule::Approvals,
                Outcome::Fail,
                format!(
                    "`approvals` lists {} but no fresh approving review by {} backs it",
                    a.by, a.by
                ),
                Some(format!(
                    "remove {} from `approvals`, or have {} approve the PR; `gitsm gate --record` writes backed approvals",
                    a.by, a.by
                )),
            );
        }
    }
    // Backed approvals the list lacks: for `--record`.
    let listed: HashSet<String> = c.approvals.iter().map(|a| lc(&a.by)).collect();
    for (login, at) in backing {
        if !listed.contains(&login) {
            cx.to_record.push(Backed {
                file: path.to_string(),
                change: id.clone(),
                by: latest
                    .iter()
                    .find(|l| l.login == login)
                    .and_then(|l| l.review.login.clone())
                    .unwrap_or(login),
                at,
            });
        }
    }
}

fn overlaps(a: (jiff::Timestamp, jiff::Timestamp), b: (jiff::Timestamp, jiff::Timestamp)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn scheduled_like(s: ChangeStatus) -> bool {
    matches!(
        s,
        ChangeStatus::Scheduled | ChangeStatus::Implementing | ChangeStatus::Completed | ChangeStatus::Closed
    )
}

#[allow(clippy::too_many_arguments)]
fn check_schedule(
    cx: &mut Ctx<'_>,
    policy: &ChangePolicy,
    fc: &FileChange,
    c: &Change,
    base: Option<&Change>,
    in_pr: &[(&FileChange, Option<&Parsed>, &Parsed, &Change)],
    base_active: &[Change],
) {
    let id = c.id.to_string();
    let path = fc.path.as_str();
    let Some(w) = &c.window else { return };
    if !scheduled_like(c.status)
        || matches!(c.status, ChangeStatus::Closed) && base.is_some_and(|b| scheduled_like(b.status))
    {
        return;
    }
    // "Scheduled or implemented in this PR": entering `scheduled`, moving
    // the window, or starting to implement. The last matters when a freeze
    // was declared after the change was scheduled: implementing it inside
    // the freeze passed unchecked.
    let entered = base.is_none_or(|b| {
        !scheduled_like(b.status)
            || b.window != c.window
            || (c.status == ChangeStatus::Implementing && b.status != ChangeStatus::Implementing)
    });
    if !entered {
        return;
    }
    let win = (w.start.as_jiff(), w.end.as_jiff());
    let mut ok = true;
    for f in &policy.freeze {
        if overlaps(win, (f.start.as_jiff(), f.end.as_jiff())) && !f.allow.contains(&c.change_type) {
            ok = false;
            cx.push(
                &id,
                Some(path),
                Rule::Schedule,
                Outcome::Fail,
                format!(
                    "window {} – {} falls in the freeze `{}` ({} – {}), which does not allow {} changes",
                    w.start, w.end, f.name, f.start, f.end, c.change_type
                ),
                Some(format!(
                    "move the window outside {} – {}{}",
                    f.start,
                    f.end,
                    if f.allow.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", or (if it truly is one) file it as {}",
                            f.allow.iter().map(|t| t.as_str()).collect::<Vec<_>>().join("/")
                        )
                    }
                )),
            );
        }
    }
    if let Some(lead) = policy.lead_time.get(c.change_type) {
        let submitted = c
            .timeline
            .iter()
            .find(|e| e.status == Some(ChangeStatus::Submitted))
            .or(c.timeline.first())
            .map(|e| e.at.as_jiff());
        if let Some(sub) = submitted {
            let gap = w.start.as_jiff().duration_since(sub);
            if gap < lead.to_span() {
                ok = false;
                cx.push(
                    &id,
                    Some(path),
                    Rule::Schedule,
                    Outcome::Fail,
                    format!(
                        "lead time: submitted {} and the window starts {}, {} later; {} changes need {lead}",
                        crate::model::Timestamp(sub),
                        w.start,
                        fmt_gap(gap),
                        c.change_type
                    ),
                    Some(format!(
                        "start the window at {} or later",
                        crate::model::Timestamp(sub.checked_add(lead.to_span()).unwrap_or(sub))
                    )),
                );
            }
        }
    }
    // Conflicts: other scheduled changes on a shared service (head versions
    // of changes in this PR win over base versions).
    let mut others: BTreeMap<String, Change> = BTreeMap::new();
    for o in base_active {
        others.insert(lc(o.id.as_str()), o.clone());
    }
    for (_, _, _, o) in in_pr {
        others.insert(lc(o.id.as_str()), (*o).clone());
    }
    for o in others.values() {
        if lc(o.id.as_str()) == lc(&id) {
            continue;
        }
        if !matches!(
            o.status,
            ChangeStatus::Approved | ChangeStatus::Scheduled | ChangeStatus::Implementing
        ) {
            continue;
        }
        let Some(ow) = &o.window else { continue };
        let shared: Vec<String> = c
            .services
            .iter()
            .filter(|s| o.services.contains(s))
            .map(|s| s.to_string())
            .collect();
        if shared.is_empty() || !overlaps(win, (ow.start.as_jiff(), ow.end.as_jiff())) {
            continue;
        }
        let outcome = match policy.conflicts {
            crate::model::Enforcement::Deny => {
                ok = false;
                Outcome::Fail
            }
            crate::model::Enforcement::Warn => Outcome::Warn,
        };
        cx.push(
            &id,
            Some(path),
            Rule::Schedule,
            outcome,
            format!(
                "window {} – {} overlaps {} ({} – {}) on {}",
                w.start,
                w.end,
                o.id,
                ow.start,
                ow.end,
                shared.join(", ")
            ),
            Some(format!(
                "move the window so it does not overlap {}, or coordinate them into one change",
                o.id
            )),
        );
    }
    if ok {
        cx.push(
            &id,
            Some(path),
            Rule::Schedule,
            Outcome::Pass,
            "window clear of freezes and conflicts; lead time met",
            None,
        );
    }
}

fn fmt_gap(d: jiff::SignedDuration) -> String {
    let secs = d.as_secs();
    if secs < 0 {
        return format!("-{}", crate::model::Duration::from_secs(-secs));
    }
    crate::model::Duration::from_secs(secs).to_string()
}

/// `Change: CHG-0042` lines of the PR body.
pub fn referenced_changes(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| {
            let l = l.trim();
            let (k, v) = l.split_once(':')?;
            if !k.trim().eq_ignore_ascii_case("change") {
                return None;
            }
            let v = v.trim();
            crate::model::Id::is_valid(v).then(|| v.to_string())
        })
        .collect()
}

fn check_paths(
    cx: &mut Ctx<'_>,
    policy: &ChangePolicy,
    services: &HashMap<String, Service>,
    in_pr: &[(&FileChange, Option<&Parsed>, &Parsed, &Change)],
) {
    let input = cx.input;
    if input.code_paths.is_empty() || policy.ungoverned_paths == PathEnforcement::Allow {
        return;
    }
    let refs = referenced_changes(&input.pr_body);
    let mut referenced: Vec<Change> = Vec::new();
    let mut missing_refs = Vec::new();
    for r in &refs {
        let found =
            input
                .referenced
                .iter()
                .find_map(|(p, b)| match parse_file(p, b).loaded.map(|l| l.record) {
                    Some(Record::Change(c)) if lc(c.id.as_str()) == lc(r) => Some(c),
                    _ => None,
                });
        match found {
            Some(c) => referenced.push(c),
            None => missing_refs.push(r.clone()),
        }
    }
    let mut candidates: Vec<(Change, &str)> = in_pr
        .iter()
        .map(|(_, _, _, c)| ((*c).clone(), "in this PR"))
        .collect();
    for c in referenced {
        if !candidates.iter().any(|(x, _)| x.id == c.id) {
            candidates.push((c, "referenced from the PR body"));
        }
    }
    let now = input.now;
    let mut ids: Vec<&String> = services.keys().collect();
    ids.sort();
    for sid in ids {
        let svc = &services[sid];
        if svc.paths.is_empty() {
            continue;
        }
        // A glob that does not compile would leave its code unchecked:
        // cannot decide.
        let mut b = globset::GlobSetBuilder::new();
        let mut bad = false;
        for p in &svc.paths {
            match globset::GlobBuilder::new(p).literal_separator(true).build() {
                Ok(g) => {
                    b.add(g);
                }
                Err(e) => {
                    bad = true;
                    cx.push(
                        sid,
                        None,
                        Rule::Paths,
                        Outcome::Undecided,
                        format!("service {sid} at base has path `{p}`, which is not a valid glob ({e}), so the gate cannot tell which code it governs"),
                        Some("fix the service's `paths` on the base branch first".into()),
                    );
                }
            }
        }
        let set = match b.build() {
            Ok(set) => set,
            Err(e) => {
                cx.push(
                    sid,
                    None,
                    Rule::Paths,
                    Outcome::Undecided,
                    format!("service {sid}'s paths at base do not compile ({e}), so the gate cannot tell which code it governs"),
                    Some("fix the service's `paths` on the base branch first".into()),
                );
                continue;
            }
        };
        if bad {
            continue;
        }
        let touched: Vec<&String> = input
            .code_paths
            .iter()
            .filter(|p| set.is_match(p.as_str()))
            .collect();
        if touched.is_empty() {
            continue;
        }
        let mut reasons = Vec::new();
        let cover = candidates.iter().find(|(c, how)| {
            if !c.services.iter().any(|s| s.as_str() == sid) {
                return false;
            }
            if matches!(
                c.status,
                ChangeStatus::Closed | ChangeStatus::Cancelled | ChangeStatus::Rejected
            ) {
                reasons.push(format!("{} ({how}) is `{}`", c.id, c.status));
                return false;
            }
            // A standard change needs no window, but it must still have
            // been approved under its rule (free when the rule asks for 0
            // approvals): a draft "standard" change is an unreviewed claim
            // anyone can write, and covered code without any approval.
            if !c.status.is_approved_or_later() {
                reasons.push(format!("{} ({how}) is `{}`, not approved", c.id, c.status));
                return false;
            }
            if c.change_type == ChangeType::Standard {
                return true;
            }
            match &c.window {
                Some(w) if w.start.as_jiff() <= now && now <= w.end.as_jiff() => true,
                Some(w) => {
                    reasons.push(format!(
                        "{} ({how}) has window {} – {}, which does not contain now ({})",
                        c.id,
                        w.start,
                        w.end,
                        crate::model::Timestamp(now)
                    ));
                    false
                }
                None => {
                    reasons.push(format!("{} ({how}) has no window", c.id));
                    false
                }
            }
        });
        let shown: Vec<&str> = touched.iter().take(5).map(|s| s.as_str()).collect();
        let more = if touched.len() > 5 {
            format!(" and {} more", touched.len() - 5)
        } else {
            String::new()
        };
        match cover {
            Some((c, how)) => cx.push(
                sid,
                None,
                Rule::Paths,
                Outcome::Pass,
                format!(
                    "{} touches {}{more}; covered by {} ({how})",
                    sid,
                    shown.join(", "),
                    c.id
                ),
                None,
            ),
            None => {
                let outcome = match policy.ungoverned_paths {
                    PathEnforcement::Deny => Outcome::Fail,
                    _ => Outcome::Warn,
                };
                let mut msg = format!(
                    "the PR modifies {}{more}, code of service {sid}, with no covering change",
                    shown.join(", ")
                );
                if !reasons.is_empty() {
                    msg.push_str(&format!(" ({})", reasons.join("; ")));
                }
                if !missing_refs.is_empty() {
                    msg.push_str(&format!(
                        "; the PR body references {} but no such change exists at head",
                        missing_refs.join(", ")
                    ));
                }
                cx.push(
                    sid,
                    None,
                    Rule::Paths,
                    outcome,
                    msg,
                    Some(format!(
                        "add a line `Change: CHG-…` to the PR body naming an approved change for {sid} whose window contains now, or include a standard change for {sid} in the PR"
                    )),
                );
            }
        }
    }
}

/// Files that decide how the gate itself runs: editing them is a policy
/// change (a PR could otherwise replace the gate's workflow). GitHub reads
/// CODEOWNERS from `.github/`, the root and `docs/`, so all three count.
pub fn is_ci_path(path: &str) -> bool {
    path.starts_with(".github/workflows/")
        || path == ".github/CODEOWNERS"
        || path == "CODEOWNERS"
        || path == "docs/CODEOWNERS"
}

/// Folders holding records (for adapters deciding what a path is).
pub fn is_record_path(path: &str) -> bool {
    path == repo::CONFIG_FILE
        || path
            .split_once('/')
            .is_some_and(|(first, _)| RECORD_FOLDERS.contains(&first))
}

/// Unique, sorted values (small helper for adapters).
pub fn dedup(v: impl IntoIterator<Item = String>) -> Vec<String> {
    v.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

/// `@org/team` entries the base policy and catalog name (CAB groups and
/// service owners): the teams an adapter should resolve.
pub fn team_entries(input: &Input) -> Vec<String> {
    let base = load_files(&input.base_context);
    let mut v: Vec<String> = Vec::new();
    for l in &base.records {
        match &l.record {
            Record::ChangePolicy(p) => v.extend(p.cab.iter().chain(p.ecab.iter()).cloned()),
            Record::Service(s) => v.push(s.owner.clone()),
            _ => {}
        }
    }
    v.retain(|e| e.starts_with('@') && e.contains('/'));
    dedup(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice, \"@acme/cab\"]\nrules:\n  - match: {type: normal}\n    approvals: 1\n    from: cab\n";
    const CHANGE: &str = "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: T\nstatus: approved\ntype: normal\nrisk: low\nservices: []\nrequested_by: carol\nplan: p\nrollback_plan: r\napprovals:\n  - {by: alice, at: 2026-11-20T10:00:00Z}\ntimeline:\n  - {at: 2026-11-20T09:00:00Z, by: carol, status: draft}\n  - {at: 2026-11-20T09:01:00Z, by: carol, status: submitted}\n  - {at: 2026-11-20T09:02:00Z, by: carol, status: approved}\n";

    fn review(login: &str, state: ReviewState, sha: &str, minute: u32) -> Review {
        Review {
            id: minute as u64,
            login: Some(login.into()),
            bot: false,
            state,
            commit_id: Some(sha.into()),
            submitted_at: Some(format!("2026-11-20T10:{minute:02}:00Z").parse().unwrap()),
        }
    }

    /// The decision needs no git and no network: bytes in, verdict out.
    fn input(reviews: Vec<Review>) -> Input {
        let path = "changes/CHG-0001.yaml".to_string();
        let mut base_context = Files::new();
        base_context.insert("policies/default.yaml".into(), POLICY.as_bytes().to_vec());
        let mut head_context = base_context.clone();
        head_context.insert(
            "gitsm.yaml".into(),
            b"apiVersion: gitsm/v1\nkind: Config\nid: t\n".to_vec(),
        );
        base_context.insert(
            "gitsm.yaml".into(),
            b"apiVersion: gitsm/v1\nkind: Config\nid: t\n".to_vec(),
        );
        let mut at_review = Files::new();
        // The reviewed commit lacked the approvals list: bookkeeping only.
        let before: String = CHANGE.replace("approvals:\n  - {by: alice, at: 2026-11-20T10:00:00Z}\n", "");
        at_review.insert(path.clone(), before.into_bytes());
        Input {
            base_context,
            head_context,
            diff: vec![FileChange {
                path,
                old: None,
                new: Some(CHANGE.as_bytes().to_vec()),
                new_not_a_file: false,
                base_moved: false,
            }],
            reviews,
            reviewed: HashMap::from([("a".repeat(40), at_review)]),
            author: "carol".into(),
            now: "2026-11-21T00:00:00Z".parse().unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn pure_decision_allows_a_backed_fresh_approval() {
        let sha = "a".repeat(40);
        let v = decide(&input(vec![review("Alice", ReviewState::Approved, &sha, 1)]));
        assert_eq!(v.decision, Decision::Allowed, "{:#?}", v.checks);
    }

    #[test]
    fn pure_decision_dismissal_wipes_an_approval() {
        let sha = "a".repeat(40);
        let v = decide(&input(vec![
            review("alice", ReviewState::Approved, &sha, 1),
            review("ALICE", ReviewState::Dismissed, &sha, 2),
        ]));
        assert_eq!(v.decision, Decision::Denied);
        assert!(v
            .blocking()
            .any(|c| c.message.contains("lists alice but no fresh approving review")));
    }

    #[test]
    fn pure_decision_unknown_team_member_is_undecided() {
        let sha = "a".repeat(40);
        let mut i = input(vec![review("zoe", ReviewState::Approved, &sha, 1)]);
        let v = decide(&i);
        assert_eq!(v.decision, Decision::Undecided, "{:#?}", v.checks);
        i.teams.insert("@acme/cab".into(), vec!["Zoe".into()]);
        let v = decide(&i);
        // zoe now counts for the rule, but alice's claim stays unbacked.
        assert_eq!(v.decision, Decision::Denied);
        assert!(v
            .checks
            .iter()
            .any(|c| c.outcome == Outcome::Pass && c.message.contains("approved by zoe")));
    }

    #[test]
    fn bookkeeping_is_precisely_approvals_and_status_less_approval_notes() {
        let j: Value = serde_json::json!({
            "id": "CHG-1", "approvals": [{"by": "a"}],
            "timeline": [
                {"status": "draft", "note": "Approved by nobody"},
                {"note": "approved by alice"},
                {"note": "Looks fine"},
                {"status": "approved", "note": "Approved by alice"}
            ]
        });
        let clean = without_bookkeeping(&j);
        assert!(clean.get("approvals").is_none());
        assert_eq!(clean["timeline"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn pr_body_references() {
        assert_eq!(
            referenced_changes(
                "Fixes it.\n\nChange: CHG-0042\nchange:CHG-7\nChange: ../../etc\nNot a Change: x y"
            ),
            vec!["CHG-0042".to_string(), "CHG-7".to_string()]
        );
    }

    #[test]
    fn short_never_panics() {
        assert_eq!(short("0123456789abcdef"), "0123456789");
        assert_eq!(short("abc"), "abc");
        // Byte 10 falls inside a two-byte character.
        let odd = format!("a{}", "é".repeat(6));
        assert_eq!(short(&odd), odd);
        assert_eq!(short(""), "");
    }
}

//! `gitsm validate`: the schema layer (in [`crate::repo::load`]) plus the
//! repo's own rules (SPEC §2), gathered into one list of findings.
//!
//! The rules run in two steps, so a large repo never has to be held in memory
//! whole:
//! - [`local`] checks one record on its own (timeline, change plan, calendar
//!   hours, globs, …) and distils what the other step needs into [`Facts`];
//!   it runs on the loader's worker threads.
//! - [`global`] checks what spans records (unique ids, references, the
//!   priority matrix, the policy's approvals, dependency cycles) from the
//!   facts plus the few context records (config, services, policies).
//!
//! [`validate`] keeps every record for callers that go on to use them;
//! [`validate_summary`] keeps only facts and context records, for the
//! `validate` command on repos of 100k tickets.

use crate::calendar::{parse_days, parse_range};
use crate::diag::{sort_findings, Code, Finding, Pos};
use crate::model::*;
use crate::repo::{self, Loaded, Snapshot, Source};
use crate::workflow;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

/// The outcome of validating a repo.
#[derive(Debug)]
pub struct Validation {
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        has_errors(&self.findings)
    }
}

/// The outcome of [`validate_summary`]: findings and counts, no records.
#[derive(Debug)]
pub struct Summary {
    pub findings: Vec<Finding>,
    /// Records that passed the schema layer.
    pub records: usize,
    /// YAML files considered.
    pub files: usize,
}

impl Summary {
    pub fn has_errors(&self) -> bool {
        has_errors(&self.findings)
    }
}

fn has_errors(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.severity == crate::diag::Severity::Error)
}

/// A rule finding whose position is resolved later from a JSON pointer, so
/// the loader need not keep every YAML tree in memory.
struct Pending {
    finding: Finding,
    pointer: String,
    key: bool,
}

/// Collects rule findings.
#[derive(Default)]
struct Rules {
    out: Vec<Pending>,
}

impl Rules {
    fn at(
        &mut self,
        code: Code,
        file: &str,
        pointer: impl Into<String>,
        msg: impl Into<String>,
    ) -> &mut Finding {
        self.push(code, file, pointer, false, msg)
    }

    fn push(
        &mut self,
        code: Code,
        file: &str,
        pointer: impl Into<String>,
        key: bool,
        msg: impl Into<String>,
    ) -> &mut Finding {
        self.out.push(Pending {
            finding: Finding::new(code, file, Pos::START, msg),
            pointer: pointer.into(),
            key,
        });
        &mut self.out.last_mut().expect("just pushed").finding
    }
}

/// What a reference must point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Service,
    Sla,
    /// A Calendar record or the built-in `24x7`.
    Calendar,
    Problem,
    Incident,
    /// Any record (`related`).
    Any,
    ConfigItem,
    Release,
    Change,
}

/// One id a record names, checked once every id is known. The pointer is
/// kept as field + index and spelt out only for a finding.
#[derive(Debug)]
struct Ref {
    field: &'static str,
    index: Option<u32>,
    to: Target,
    id: Id,
}

impl Ref {
    fn pointer(&self) -> String {
        match self.index {
            Some(i) => format!("/{}/{i}", self.field),
            None => format!("/{}", self.field),
        }
    }
}

/// What the cross-record rules need of one record, a few dozen bytes
/// instead of the whole record.
#[derive(Debug)]
struct Facts {
    path: String,
    kind: Kind,
    id: Id,
    refs: Vec<Ref>,
    detail: Detail,
}

#[derive(Debug)]
enum Detail {
    None,
    Incident {
        impact: Level,
        urgency: Level,
        priority: Option<Priority>,
        overridden: bool,
    },
    Change {
        change_type: ChangeType,
        risk: Risk,
        status: ChangeStatus,
        /// The last timeline status other than `on_hold` is approved or later.
        approved: bool,
        distinct_approvals: u32,
        no_approvals: bool,
        /// An emergency change with no `review`: when it completed.
        unreviewed_since: Option<jiff::Timestamp>,
    },
    /// A request made from a RequestType: checked against its form.
    Request(Box<crate::forms::RequestFacts>),
}

/// Loads and validates every record of a source, keeping the records.
pub fn validate(source: &dyn Source) -> anyhow::Result<Validation> {
    validate_with_known(source, &HashSet::new())
}

/// Validates the records a source offers, counting `known` ids as existing
/// for references. The gate uses it to validate only the records a pull
/// request touches (plus the small catalog, SLAs, calendars and policy).
pub fn validate_with_known(
    source: &dyn Source,
    known: &HashSet<(Kind, String)>,
) -> anyhow::Result<Validation> {
    let snapshot = repo::load(source)?;
    let (facts, per_record): (Vec<Facts>, Vec<Vec<Pending>>) = snapshot.records.par_iter().map(local).unzip();
    let context: Vec<&Loaded> = snapshot
        .records
        .iter()
        .filter(|l| is_context(l.record.kind()))
        .collect();
    let pending = per_record.into_iter().flatten().collect();
    let findings = finish(
        source,
        snapshot.findings.clone(),
        pending,
        &facts,
        &context,
        known,
        None,
    );
    Ok(Validation { snapshot, findings })
}

/// Validates every record of a source like [`validate`], but keeps only the
/// context records and each ticket's [`Facts`]: the per-record rules run as
/// each file is loaded, on all cores, and memory stays a small fraction of
/// the repo's records.
pub fn validate_summary(source: &dyn Source) -> anyhow::Result<Summary> {
    validate_summary_at(source, None)
}

/// [`validate_summary`] as of `now`: adds the findings that depend on the
/// time (an emergency change's overdue post-implementation review).
pub fn validate_summary_at(source: &dyn Source, now: Option<jiff::Timestamp>) -> anyhow::Result<Summary> {
    let (items, loader_findings, files) = repo::load_map(source, |l| {
        let (facts, pending) = local(&l);
        let keep = is_context(l.record.kind()).then(|| Box::new(l));
        (facts, pending, keep)
    })?;
    let records = items.len();
    let mut facts = Vec::with_capacity(records);
    let mut pending = Vec::new();
    let mut kept = Vec::new();
    for (f, p, k) in items {
        facts.push(f);
        pending.extend(p);
        kept.extend(k);
    }
    let context: Vec<&Loaded> = kept.iter().map(|b| &**b).collect();
    let findings = finish(
        source,
        loader_findings,
        pending,
        &facts,
        &context,
        &HashSet::new(),
        now,
    );
    Ok(Summary {
        findings,
        records,
        files,
    })
}

/// The outcome of [`validate_screened`].
#[derive(Debug)]
pub struct Screened {
    /// The records that passed the screen, whole, and every finding on them.
    pub validation: Validation,
    /// Files with a loader error that gave no record.
    pub unread: HashSet<String>,
    /// Files the screen skipped: neither parsed nor validated.
    pub skipped: usize,
}

/// Decides, from a file's path and text, that a ticket cannot matter to a
/// figures command: its kind and id (see [`validate_screened`]).
pub type Skip<'a> = &'a (dyn Fn(&str, &str) -> Option<(Kind, String)> + Sync);

/// Validates and keeps the records a figures command may need. `skip` sees
/// each file's path and text before it is parsed and returns the kind and
/// id of a ticket that cannot matter to the command; such a file is not
/// parsed, and its id counts as existing for the other records' references
/// (so a screened-out problem is no "unknown problem"). Every other record
/// is validated as [`validate`] does and kept as `trim` returns it (a
/// command may drop the fields it never reads).
pub fn validate_screened(
    source: &dyn Source,
    skip: Skip<'_>,
    trim: &(dyn Fn(Loaded) -> Loaded + Sync),
) -> anyhow::Result<Screened> {
    let skipped = std::sync::Mutex::new(HashSet::new());
    let screen = |path: &str, text: &str| match skip(path, text) {
        Some(k) => {
            skipped.lock().unwrap_or_else(|e| e.into_inner()).insert(k);
            true
        }
        None => false,
    };
    let (items, loader_findings, files) = repo::load_map_screened(source, &screen, |l| {
        let (facts, pending) = local(&l);
        (facts, pending, trim(l))
    })?;
    let known = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut facts = Vec::with_capacity(items.len());
    let mut pending = Vec::new();
    let mut records = Vec::with_capacity(items.len());
    for (f, p, l) in items {
        facts.push(f);
        pending.extend(p);
        records.push(l);
    }
    let failed: HashSet<&str> = loader_findings
        .iter()
        .filter(|f| f.severity == crate::diag::Severity::Error)
        .map(|f| f.file.as_str())
        .collect();
    let loaded: HashSet<&str> = facts
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| failed.contains(p))
        .collect();
    let unread = failed.difference(&loaded).map(|p| p.to_string()).collect();
    let context: Vec<&Loaded> = records.iter().filter(|l| is_context(l.record.kind())).collect();
    let findings = finish(
        source,
        loader_findings.clone(),
        pending,
        &facts,
        &context,
        &known,
        None,
    );
    Ok(Screened {
        validation: Validation {
            snapshot: Snapshot {
                records,
                findings: loader_findings,
                files,
            },
            findings,
        },
        unread,
        skipped: known.len(),
    })
}

/// Records the cross-record rules read whole: config, catalog, calendars,
/// SLAs and policies (few, small); tickets are known by their [`Facts`].
fn is_context(kind: Kind) -> bool {
    !kind.is_ticket()
}

/// The common end of both validations: the cross-record rules, positions for
/// every rule finding, and one sorted list with the loader's findings.
fn finish(
    source: &dyn Source,
    mut findings: Vec<Finding>,
    mut pending: Vec<Pending>,
    facts: &[Facts],
    context: &[&Loaded],
    known: &HashSet<(Kind, String)>,
    now: Option<jiff::Timestamp>,
) -> Vec<Finding> {
    pending.extend(global(facts, context, &findings, known, now));
    findings.extend(resolve_positions(source, pending));
    sort_findings(&mut findings);
    findings
}

/// Places rule findings on their YAML nodes by re-reading only the files
/// that have findings.
fn resolve_positions(source: &dyn Source, pending: Vec<Pending>) -> Vec<Finding> {
    let mut by_file: HashMap<String, Vec<Pending>> = HashMap::new();
    for p in pending {
        by_file.entry(p.finding.file.clone()).or_default().push(p);
    }
    let mut out = Vec::new();
    for (file, list) in by_file {
        let node = source
            .read(&file)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| {
                crate::yaml::parse(t.strip_prefix('\u{feff}').unwrap_or(&t))
                    .ok()
                    .flatten()
            });
        for mut p in list {
            if let Some(n) = &node {
                p.finding.pos = n.locate(&p.pointer, p.key);
            }
            out.push(p.finding);
        }
    }
    out
}

/// The rules that need nothing but the record itself, and the record's facts
/// for [`global`].
fn local(l: &Loaded) -> (Facts, Vec<Pending>) {
    let mut r = Rules::default();
    let path = l.path.as_str();
    let mut refs = Vec::new();
    let mut refer = |field: &'static str, index: Option<usize>, to: Target, id: &Id| {
        refs.push(Ref {
            field,
            index: index.map(|i| i as u32),
            to,
            id: id.clone(),
        })
    };
    let mut detail = Detail::None;
    match &l.record {
        Record::Config(c) => {
            if let Some(list) = c.status_page.as_ref().and_then(|s| s.services.as_ref()) {
                for (i, s) in list.iter().enumerate() {
                    refer("status_page/services", Some(i), Target::Service, s);
                }
            }
            if let Some(tz) = c.timezone.as_deref() {
                check_time_zone(&mut r, path, tz);
            }
        }
        Record::Service(s) => {
            if let Some(sla) = &s.sla {
                refer("sla", None, Target::Sla, sla);
            }
            for (i, d) in s.depends_on.iter().enumerate() {
                refer("depends_on", Some(i), Target::Service, d);
            }
            for (i, p) in s.paths.iter().enumerate() {
                if let Err(e) = crate::globs::compile(std::slice::from_ref(p)) {
                    r.at(Code::InvalidFormat, path, format!("/paths/{i}"), e.why);
                }
            }
        }
        Record::Calendar(c) => check_calendar(&mut r, path, c),
        Record::Sla(s) => refer("calendar", None, Target::Calendar, &s.calendar),
        Record::ChangePolicy(p) => {
            for (i, f) in p.freeze.iter().enumerate() {
                if f.start >= f.end {
                    r.at(
                        Code::WindowOrder,
                        path,
                        format!("/freeze/{i}/end"),
                        format!("freeze `{}` ends before it starts", f.name),
                    );
                }
            }
            for (i, t) in p.standard_changes.iter().enumerate() {
                // Points at the template; the service list is inside it.
                for sid in &t.services {
                    refer("standard_changes", Some(i), Target::Service, sid);
                }
                for (j, g) in t.paths.iter().enumerate() {
                    if let Err(e) = crate::globs::compile(std::slice::from_ref(g)) {
                        r.at(
                            Code::InvalidFormat,
                            path,
                            format!("/standard_changes/{i}/paths/{j}"),
                            e.why,
                        );
                    }
                }
            }
        }
        Record::Incident(inc) => {
            for (i, c) in inc.config_items.iter().enumerate() {
                refer("config_items", Some(i), Target::ConfigItem, c);
            }
            refer("service", None, Target::Service, &inc.service);
            for (i, s) in inc.affected_services.iter().flatten().enumerate() {
                refer("affected_services", Some(i), Target::Service, s);
            }
            if let Some(p) = &inc.problem {
                refer("problem", None, Target::Problem, p);
            }
            for (i, id) in inc.related.iter().enumerate() {
                refer("related", Some(i), Target::Any, id);
            }
            detail = Detail::Incident {
                impact: inc.impact,
                urgency: inc.urgency,
                priority: inc.priority,
                overridden: inc
                    .priority_override_reason
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty()),
            };
            check_events(&mut r, path, Kind::Incident, inc.status.as_str(), &inc.timeline);
        }
        Record::Problem(p) => {
            for (i, s) in p.services.iter().enumerate() {
                refer("services", Some(i), Target::Service, s);
            }
            for (i, inc) in p.incidents.iter().enumerate() {
                refer("incidents", Some(i), Target::Incident, inc);
            }
            for (i, c) in p.config_items.iter().enumerate() {
                refer("config_items", Some(i), Target::ConfigItem, c);
            }
            check_events(&mut r, path, Kind::Problem, p.status.as_str(), &p.timeline);
        }
        Record::Request(q) => {
            if let Some(s) = &q.service {
                refer("service", None, Target::Service, s);
            }
            if let Some(f) = crate::forms::RequestFacts::of(q) {
                detail = Detail::Request(Box::new(f));
            }
            check_events(&mut r, path, Kind::Request, q.status.as_str(), &q.timeline);
        }
        Record::Change(c) => {
            for (i, s) in c.services.iter().enumerate() {
                refer("services", Some(i), Target::Service, s);
            }
            for (i, ci) in c.config_items.iter().enumerate() {
                refer("config_items", Some(i), Target::ConfigItem, ci);
            }
            if let Some(rel) = &c.release {
                refer("release", None, Target::Release, rel);
            }
            // The status that counts is the timeline's last real one (not on_hold).
            let st = statuses(&c.timeline);
            let effective = last_real_status(&st)
                .and_then(ChangeStatus::parse)
                .unwrap_or(c.status);
            check_change(&mut r, path, c, effective);
            let distinct: HashSet<String> = c.approvals.iter().map(|a| a.by.to_lowercase()).collect();
            detail = Detail::Change {
                change_type: c.change_type,
                risk: c.risk,
                status: c.status,
                approved: effective.is_approved_or_later(),
                distinct_approvals: distinct.len() as u32,
                no_approvals: c.approvals.is_empty(),
                unreviewed_since: (c.change_type == ChangeType::Emergency
                    && c.review.as_deref().is_none_or(|r| r.trim().is_empty()))
                .then(|| {
                    c.timeline
                        .iter()
                        .find(|e| e.status == Some(ChangeStatus::Completed))
                        .map(|e| e.at.as_jiff())
                })
                .flatten(),
            };
            check_timeline(
                &mut r,
                path,
                Kind::Change,
                c.status.as_str(),
                &st,
                &times(&c.timeline),
            );
        }
        Record::ConfigItem(ci) => {
            for (i, s) in ci.services.iter().enumerate() {
                refer("services", Some(i), Target::Service, s);
            }
            for (i, d) in ci.depends_on.iter().enumerate() {
                refer("depends_on", Some(i), Target::ConfigItem, d);
            }
        }
        Record::Release(rel) => {
            for (i, s) in rel.services.iter().enumerate() {
                refer("services", Some(i), Target::Service, s);
            }
            for (i, c) in rel.changes.iter().enumerate() {
                refer("changes", Some(i), Target::Change, c);
            }
            if let Some(w) = &rel.window {
                if w.start >= w.end {
                    r.at(
                        Code::WindowOrder,
                        path,
                        "/window/end",
                        format!("window ends at {} but starts at {}", w.end, w.start),
                    )
                    .hint = Some("`window.end` must be after `window.start`".into());
                }
            }
            check_events(&mut r, path, Kind::Release, rel.status.as_str(), &rel.timeline);
        }
        Record::RequestType(t) => {
            refer("service", None, Target::Service, &t.service);
            for p in crate::forms::check_request_type(path, t) {
                push_pointed(&mut r, p);
            }
        }
    }
    let facts = Facts {
        path: l.path.clone(),
        kind: l.record.kind(),
        id: l.record.id().clone(),
        refs,
        detail,
    };
    (facts, r.out)
}

/// The rules that span records. `context` holds the non-ticket records
/// (config, services, calendars, SLAs, policies), `facts` every record's
/// facts in path order, `loaded` the loader's findings.
fn global(
    facts: &[Facts],
    context: &[&Loaded],
    loaded: &[Finding],
    known: &HashSet<(Kind, String)>,
    now: Option<jiff::Timestamp>,
) -> Vec<Pending> {
    let mut r = Rules::default();
    let config = context.iter().find_map(|l| match &l.record {
        Record::Config(c) if l.path == repo::CONFIG_FILE => Some(c),
        _ => None,
    });
    let matrix = config.and_then(|c| c.priority_matrix.clone()).unwrap_or_default();
    let prefixes = config.map(|c| c.id_prefixes.clone()).unwrap_or_default();
    let digits = config.map(|c| c.id_digits).unwrap_or(4) as usize;

    if config.is_none() && !loaded.iter().any(|f| f.file == repo::CONFIG_FILE) {
        r.push(
            Code::NoConfig,
            repo::CONFIG_FILE,
            "",
            false,
            "the repo has no `gitsm.yaml`",
        )
        .hint = Some("run `gitsm init` or add a Config record named gitsm.yaml at the repo root".into());
    }

    // Ids: unique per kind, tickets well-formed.
    let mut ids: HashMap<(Kind, &str), &Facts> = HashMap::with_capacity(facts.len());
    let mut all_ids: HashSet<&str> = HashSet::with_capacity(facts.len());
    for f in facts {
        let id = f.id.as_str();
        all_ids.insert(id);
        if f.kind == Kind::Config {
            continue;
        }
        if let Some(first) = ids.get(&(f.kind, id)) {
            r.at(
                Code::DuplicateId,
                &f.path,
                "/id",
                format!("{} id `{id}` is already used by {}", f.kind.name(), first.path),
            )
            .hint = Some("give this record a new id (`gitsm new` allocates the next free one)".into());
        } else {
            ids.insert((f.kind, id), f);
        }
        if let Some(prefix) = prefixes.for_kind(f.kind) {
            let ok = id
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.len() >= digits && n.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                r.at(
                    Code::MalformedId,
                    &f.path,
                    "/id",
                    format!(
                        "{} id `{id}` does not look like `{prefix}-{}`",
                        f.kind.name(),
                        "0".repeat(digits.max(1))
                    ),
                )
                .hint = Some(format!(
                    "ticket ids are `{prefix}-` followed by at least {digits} digits"
                ));
            }
        }
    }
    all_ids.extend(known.iter().map(|(_, id)| id.as_str()));
    let has = |k: Kind, id: &Id| {
        ids.contains_key(&(k, id.as_str())) || known.contains(&(k, id.as_str().to_string()))
    };

    let services: Vec<(&str, &Service)> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some((l.path.as_str(), s)),
            _ => None,
        })
        .collect();
    let service_ids: Vec<String> = services.iter().map(|(_, s)| s.id.to_string()).collect();

    // References.
    for f in facts {
        for rf in &f.refs {
            let id = &rf.id;
            let ok = match rf.to {
                Target::Service => has(Kind::Service, id),
                Target::Sla => has(Kind::Sla, id),
                Target::Calendar => id.as_str() == "24x7" || has(Kind::Calendar, id),
                Target::Problem => has(Kind::Problem, id),
                Target::Incident => has(Kind::Incident, id),
                Target::Any => all_ids.contains(id.as_str()),
                Target::ConfigItem => has(Kind::ConfigItem, id),
                Target::Release => has(Kind::Release, id),
                Target::Change => has(Kind::Change, id),
            };
            if ok {
                continue;
            }
            let (code, msg, hint) = match rf.to {
                Target::Service => (
                    Code::UnknownService,
                    format!("unknown service `{id}`"),
                    Some(match crate::schema::did_you_mean(id.as_str(), &service_ids) {
                        Some(b) => format!("did you mean `{b}`?"),
                        None => "add it to catalog/ or fix the id".into(),
                    }),
                ),
                Target::Sla => (
                    Code::UnknownSla,
                    format!("unknown SLA `{id}`"),
                    Some("add it under slas/ or fix the id".into()),
                ),
                Target::Calendar => (
                    Code::UnknownCalendar,
                    format!("unknown calendar `{id}`"),
                    Some("add a Calendar record or use the built-in `24x7`".into()),
                ),
                Target::Problem => (Code::UnknownProblem, format!("unknown problem `{id}`"), None),
                Target::Incident => (Code::UnknownIncident, format!("unknown incident `{id}`"), None),
                Target::ConfigItem => (
                    Code::UnknownConfigItem,
                    format!("unknown configuration item `{id}`"),
                    Some("add it under cmdb/ or fix the id".into()),
                ),
                Target::Release => (Code::UnknownRelease, format!("unknown release `{id}`"), None),
                Target::Change => (Code::UnknownChange, format!("unknown change `{id}`"), None),
                Target::Any => (
                    Code::UnknownRelated,
                    format!("`related` names `{id}`, which is no record"),
                    None,
                ),
            };
            r.at(code, &f.path, rf.pointer(), msg).hint = hint;
        }
    }

    // The priority matrix.
    for f in facts {
        let Detail::Incident {
            impact,
            urgency,
            priority: Some(p),
            overridden: false,
        } = f.detail
        else {
            continue;
        };
        let expected = matrix.priority(impact, urgency);
        if p != expected {
            r.at(
                Code::PriorityMismatch,
                &f.path,
                "/priority",
                format!(
                    "priority {p} contradicts the matrix: impact {impact} × urgency {urgency} is {expected}"
                ),
            )
            .hint = Some(format!(
                "set `priority: {expected}`, remove it, or explain with `priority_override_reason:`"
            ));
        }
    }

    check_cycles(&mut r, &services);
    for p in itil_rules(facts, context, &ids, config, now) {
        push_pointed(&mut r, p);
    }

    let policies: Vec<(&str, &ChangePolicy)> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::ChangePolicy(p) => Some((l.path.as_str(), p)),
            _ => None,
        })
        .collect();
    match policies.len() {
        0 => {
            if !loaded.iter().any(|f| f.file.starts_with("policies/")) {
                // On the file that marks the repo root: a finding needs a
                // file (SARIF, annotations), and `policies/` is a folder.
                r.push(
                    Code::NoPolicy,
                    repo::CONFIG_FILE,
                    "",
                    false,
                    "the repo has no ChangePolicy",
                )
                .hint = Some("add policies/default.yaml (`gitsm init` writes one)".into());
            }
        }
        1 => {}
        _ => {
            let first = policies[0].0;
            for (path, _) in &policies[1..] {
                r.at(
                    Code::ExtraPolicy,
                    path,
                    "/kind",
                    format!("a second ChangePolicy; {first} is already one"),
                )
                .hint = Some("keep exactly one ChangePolicy: merge the rules into one file".into());
            }
        }
    }
    if let [(_, policy)] = policies[..] {
        for f in facts {
            let Detail::Change {
                change_type,
                risk,
                status,
                approved,
                distinct_approvals,
                no_approvals,
                unreviewed_since,
            } = f.detail
            else {
                continue;
            };
            let Some(rule) = policy.rule_for(change_type, risk) else {
                r.at(
                    Code::NoMatchingRule,
                    &f.path,
                    "/type",
                    format!("no rule of the ChangePolicy matches a {change_type} change with {risk} risk"),
                )
                .hint = Some("add a rule to the policy (the gate refuses such changes)".into());
                continue;
            };
            if approved && distinct_approvals < rule.approvals {
                let from = rule.from.map(|g| format!(" from {g}")).unwrap_or_default();
                r.at(
                    Code::TooFewApprovals,
                    &f.path,
                    if no_approvals { "/status" } else { "/approvals" },
                    format!(
                        "{change_type} change is `{status}` with {distinct_approvals} approval(s); its policy rule asks for {}{from}",
                        rule.approvals
                    ),
                )
                .hint = Some("approvals are recorded from GitHub reviews by `gitsm gate --record`".into());
            }
            // SPEC §3 rule 7: the post-implementation review is overdue.
            if let (Some(now), Some(done), Some(within)) = (now, unreviewed_since, rule.review_within) {
                let due = done.checked_add(within.to_span()).unwrap_or(done);
                if due < now {
                    r.at(
                        Code::ReviewOverdue,
                        &f.path,
                        "/status",
                        format!(
                            "the post-implementation review of this emergency change was due {} ({within} after it completed)",
                            crate::model::Timestamp(due)
                        ),
                    )
                    .hint = Some("write its `review`; until then the gate denies new normal changes of its requester".into());
                }
            }
        }
    }
    r.out
}

/// The rules of configuration items, releases and the request catalog
/// (SPEC §1), whose logic lives in [`crate::cmdb`], [`crate::release`] and
/// [`crate::forms`].
fn itil_rules(
    facts: &[Facts],
    context: &[&Loaded],
    ids: &HashMap<(Kind, &str), &Facts>,
    config: Option<&Config>,
    now: Option<jiff::Timestamp>,
) -> Vec<crate::cmdb::Pointed> {
    let cis: Vec<(&str, &ConfigItem)> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::ConfigItem(c) => Some((l.path.as_str(), c)),
            _ => None,
        })
        .collect();
    let mut out = crate::cmdb::check_cycles(&cis);
    if let Some(now) = now {
        let today = crate::cmdb::today_in(now, config.and_then(|c| c.timezone.as_deref()));
        out.extend(crate::cmdb::check_expiry(&cis, today));
    }
    // Releases and changes name each other: `changes` and `release`.
    let links: Vec<crate::release::Link> = facts
        .iter()
        .flat_map(|f| {
            f.refs
                .iter()
                .filter(|rf| matches!(rf.to, Target::Change | Target::Release))
                .map(move |rf| crate::release::Link {
                    file: &f.path,
                    from: f.id.as_str(),
                    from_release: f.kind == Kind::Release,
                    pointer: rf.pointer(),
                    to: rf.id.as_str(),
                })
        })
        .collect();
    let exists = |k: Kind, id: &str| ids.contains_key(&(k, id));
    out.extend(crate::release::check_links(&links, &exists));
    let types: HashMap<&str, &RequestType> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::RequestType(t) => Some((t.id.as_str(), t)),
            _ => None,
        })
        .collect();
    let owners: HashMap<&str, &str> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some((s.id.as_str(), s.owner.as_str())),
            _ => None,
        })
        .collect();
    let cab: Vec<&str> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::ChangePolicy(p) => Some(p.cab.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect();
    let groups = crate::forms::Approvers {
        owners: &owners,
        cab: &cab,
    };
    for f in facts {
        if let Detail::Request(q) = &f.detail {
            out.extend(crate::forms::check_request(&f.path, q, &types, &groups));
        }
    }
    out
}

fn push_pointed(r: &mut Rules, p: crate::cmdb::Pointed) {
    r.at(p.code, &p.file, p.pointer, p.message).hint = p.hint;
}

fn statuses<S: Copy + std::fmt::Display>(tl: &[Event<S>]) -> Vec<Option<String>> {
    tl.iter().map(|e| e.status.map(|s| s.to_string())).collect()
}

fn times<S>(tl: &[Event<S>]) -> Vec<Timestamp> {
    tl.iter().map(|e| e.at).collect()
}

fn last_real_status(st: &[Option<String>]) -> Option<&str> {
    st.iter()
        .rev()
        .flatten()
        .find(|s| *s != "on_hold")
        .map(String::as_str)
}

/// [`check_timeline`] for a typed timeline.
fn check_events<S: Copy + std::fmt::Display>(
    r: &mut Rules,
    path: &str,
    kind: Kind,
    status: &str,
    tl: &[Event<S>],
) {
    check_timeline(r, path, kind, status, &statuses(tl), &times(tl));
}

/// Timeline rules: starts with a creation in the initial status, is in time
/// order, moves only legally, and ends in the record's status.
fn check_timeline(r: &mut Rules, l: &str, kind: Kind, status: &str, st: &[Option<String>], at: &[Timestamp]) {
    let initial = workflow::initial(kind).unwrap_or("");
    if st.is_empty() {
        r.at(
            Code::TimelineStart,
            l,
            "/timeline",
            "the timeline is empty; its first event is the creation",
        )
        .hint = Some(format!("add `- {{at: <when>, by: <who>, status: {initial}}}`"));
        return;
    }
    match &st[0] {
        None => {
            r.at(
                Code::TimelineStart,
                l,
                "/timeline/0",
                "the first timeline event (the creation) has no `status`",
            )
            .hint = Some(format!("add `status: {initial}` to the first event"));
        }
        Some(first) if first != initial && !workflow::is_legal(kind, &[initial], first) => {
            r.at(
                Code::TimelineStart,
                l,
                "/timeline/0/status",
                format!("a {} is created as `{initial}`, not `{first}`", kind.name()),
            );
        }
        _ => {}
    }
    for i in 1..at.len() {
        if at[i] < at[i - 1] {
            r.at(
                Code::TimelineOrder,
                l,
                format!("/timeline/{i}/at"),
                format!(
                    "event {} at {} is earlier than the event before it ({})",
                    i + 1,
                    at[i],
                    at[i - 1]
                ),
            )
            .hint = Some("timeline events are appended in time order".into());
        }
    }
    let mut history: Vec<&str> = Vec::new();
    for (i, s) in st.iter().enumerate() {
        let Some(s) = s else { continue };
        if history.is_empty() {
            // The creation event; its status was checked above.
            if s != initial {
                history.push(initial);
            }
            history.push(s);
            continue;
        }
        if !workflow::is_legal(kind, &history, s) {
            let legal = workflow::legal_moves(kind, &history);
            let from = history.last().copied().unwrap_or("");
            r.at(
                Code::IllegalTransition,
                l,
                format!("/timeline/{i}/status"),
                format!("illegal move `{from}` → `{s}` for a {}", kind.name()),
            )
            .hint = Some(if legal.is_empty() {
                format!("`{from}` is final")
            } else {
                format!(
                    "from `{from}` a {} may move to: {}",
                    kind.name(),
                    legal.join(", ")
                )
            });
        }
        history.push(s);
    }
    if let Some(last) = st.iter().rev().flatten().next() {
        if last != status {
            r.at(
                Code::StatusMismatch,
                l,
                "/status",
                format!("status is `{status}` but the timeline's last status is `{last}`"),
            )
            .hint = Some(format!(
                "append a timeline event with `status: {status}` (`gitsm transition` does this), or set `status: {last}`"
            ));
        }
    }
}

/// Change rules; `effective` is the timeline's last status other than `on_hold`.
fn check_change(r: &mut Rules, l: &str, c: &Change, effective: ChangeStatus) {
    if let Some(w) = &c.window {
        if w.start >= w.end {
            r.at(
                Code::WindowOrder,
                l,
                "/window/end",
                format!("window ends at {} but starts at {}", w.end, w.start),
            )
            .hint = Some("`window.end` must be after `window.start`".into());
        }
    }
    use ChangeStatus::*;
    if matches!(effective, Completed | Closed) && c.outcome.is_none() {
        r.at(
            Code::MissingOutcome,
            l,
            "/status",
            format!("a {} change needs `outcome`", effective),
        )
        .hint = Some("add `outcome: successful`, `failed` or `rolled_back`".into());
    }
    if effective == Closed
        && c.review.as_deref().is_none_or(|s| s.trim().is_empty())
        && (c.change_type == ChangeType::Emergency || c.outcome.is_some_and(|o| o != Outcome::Successful))
    {
        let why = if c.change_type == ChangeType::Emergency {
            "an emergency change"
        } else {
            "a change that was not successful"
        };
        r.at(
            Code::MissingReview,
            l,
            "/status",
            format!("closing {why} needs a post-implementation `review`"),
        )
        .hint = Some("add `review:` with what happened and what follows".into());
    }
    if matches!(effective, Scheduled | Implementing | Completed | Closed) && c.window.is_none() {
        r.at(
            Code::MissingWindow,
            l,
            "/status",
            format!("a {effective} change needs a `window`"),
        )
        .hint = Some("add `window: {start: <RFC 3339>, end: <RFC 3339>}`".into());
    }
    if c.change_type != ChangeType::Standard {
        for (field, val) in [("plan", &c.plan), ("rollback_plan", &c.rollback_plan)] {
            if val.as_deref().is_none_or(|s| s.trim().is_empty()) {
                r.at(
                    Code::MissingPlan,
                    l,
                    "/type",
                    format!("a {} change needs `{field}`", c.change_type),
                )
                .hint = Some(format!("add `{field}: |` with the steps"));
            }
        }
    }
}

/// A `timezone` field (config or calendar) names a zone of the bundled tz database.
fn check_time_zone(r: &mut Rules, path: &str, tz: &str) {
    if jiff::tz::db().get(tz).is_err() {
        r.at(
            Code::BadTimeZone,
            path,
            "/timezone",
            format!("`{tz}` is not a known IANA time zone"),
        )
        .hint = Some("use a name such as `Europe/Berlin` or `UTC`".into());
    }
}

fn check_calendar(r: &mut Rules, l: &str, c: &Calendar) {
    check_time_zone(r, l, &c.timezone);
    for (key, hours) in &c.hours {
        if parse_days(key).is_none() {
            r.push(
                Code::BadHours,
                l,
                format!("/hours/{key}"),
                true,
                format!("`{key}` is not a weekday or a range of weekdays"),
            )
            .hint = Some("use `mon`..`sun` or a range such as `mon-fri`".into());
        }
        for (i, range) in hours.ranges().iter().enumerate() {
            if parse_range(range).is_none() {
                let pointer = match hours {
                    Hours::One(_) => format!("/hours/{key}"),
                    Hours::Many(_) => format!("/hours/{key}/{i}"),
                };
                r.at(
                    Code::BadHours,
                    l,
                    pointer,
                    format!("`{range}` is not a time range `HH:MM-HH:MM`"),
                )
                .hint = Some("e.g. `\"09:00-17:00\"`; use `00:00-24:00` for a whole day".into());
            }
        }
    }
}

fn check_cycles(r: &mut Rules, services: &[(&str, &Service)]) {
    let index: HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, (_, s))| (s.id.as_str(), i))
        .collect();
    // 0 = unvisited, 1 = on stack, 2 = done. Iterative DFS: catalogs can be large.
    let mut state = vec![0u8; services.len()];
    let mut reported: HashSet<Vec<String>> = HashSet::new();
    for start in 0..services.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, next)) = stack.last().copied() {
            let deps = &services[node].1.depends_on;
            if next < deps.len() {
                stack.last_mut().expect("non-empty").1 += 1;
                let Some(&child) = index.get(deps[next].as_str()) else {
                    continue;
                };
                match state[child] {
                    0 => {
                        state[child] = 1;
                        stack.push((child, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[pos..]
                            .iter()
                            .map(|(n, _)| services[*n].1.id.to_string())
                            .collect();
                        let mut key = cycle.clone();
                        key.sort();
                        if reported.insert(key) {
                            cycle.push(services[child].1.id.to_string());
                            r.push(
                                Code::DependencyCycle,
                                services[node].0,
                                format!("/depends_on/{}", next),
                                false,
                                format!("services depend on each other in a cycle: {}", cycle.join(" → ")),
                            )
                            .hint = Some("remove one of these `depends_on` entries".into());
                        }
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
}

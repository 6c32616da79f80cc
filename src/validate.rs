//! `gitsm validate`: the schema layer (in [`crate::repo::load`]) plus the
//! repo's own rules (SPEC §2), gathered into one list of findings.

use crate::diag::{sort_findings, Code, Finding, Pos};
use crate::model::*;
use crate::repo::{self, Loaded, Snapshot, Source};
use crate::workflow;
use std::collections::{HashMap, HashSet};

/// The outcome of validating a repo.
#[derive(Debug)]
pub struct Validation {
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == crate::diag::Severity::Error)
    }
}

/// A rule finding whose position is resolved later from a JSON pointer, so
/// the loader need not keep every YAML tree in memory.
struct Pending {
    finding: Finding,
    pointer: String,
    key: bool,
}

struct Rules<'a> {
    out: Vec<Pending>,
    snap: &'a Snapshot,
    /// Ids that exist although their records were not loaded (the gate loads
    /// only the records a pull request touches).
    known: &'a HashSet<(Kind, String)>,
}

impl<'a> Rules<'a> {
    fn at(
        &mut self,
        code: Code,
        l: &Loaded,
        pointer: impl Into<String>,
        msg: impl Into<String>,
    ) -> &mut Finding {
        self.push(code, &l.path, pointer, false, msg)
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

/// Loads and validates every record of a source.
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
    let mut findings = snapshot.findings.clone();
    let mut rules = Rules {
        out: Vec::new(),
        snap: &snapshot,
        known,
    };
    check(&mut rules);
    let pending = std::mem::take(&mut rules.out);
    findings.extend(resolve_positions(source, pending));
    sort_findings(&mut findings);
    Ok(Validation { snapshot, findings })
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

fn check(r: &mut Rules<'_>) {
    let snap = r.snap;
    let config = snap.config();
    let matrix = config.and_then(|c| c.priority_matrix.clone()).unwrap_or_default();
    let prefixes = config.map(|c| c.id_prefixes.clone()).unwrap_or_default();
    let digits = config.map(|c| c.id_digits).unwrap_or(4) as usize;

    if config.is_none() && !snap.findings.iter().any(|f| f.file == repo::CONFIG_FILE) {
        r.push(
            Code::NoConfig,
            repo::CONFIG_FILE,
            "",
            false,
            "the repo has no `gitsm.yaml`",
        )
        .hint = Some("run `gitsm init` or add a Config record named gitsm.yaml at the repo root".into());
    }
    if let Some(tz) = config.and_then(|c| c.timezone.as_deref()) {
        if jiff::tz::db().get(tz).is_err() {
            let l = snap
                .records
                .iter()
                .find(|l| l.record.kind() == Kind::Config)
                .expect("config loaded");
            r.at(
                Code::BadTimeZone,
                l,
                "/timezone",
                format!("`{tz}` is not a known IANA time zone"),
            )
            .hint = Some("use a name such as `Europe/Berlin` or `UTC`".into());
        }
    }

    // Ids: unique per kind, tickets well-formed.
    let mut ids: HashMap<(Kind, &str), &Loaded> = HashMap::new();
    let mut all_ids: HashSet<&str> = HashSet::new();
    for l in &snap.records {
        let kind = l.record.kind();
        let id = l.record.id().as_str();
        all_ids.insert(id);
        if kind == Kind::Config {
            continue;
        }
        if let Some(first) = ids.get(&(kind, id)) {
            let first_path = first.path.clone();
            r.at(
                Code::DuplicateId,
                l,
                "/id",
                format!("{} id `{id}` is already used by {first_path}", kind.name()),
            )
            .hint = Some("give this record a new id (`gitsm new` allocates the next free one)".into());
        } else {
            ids.insert((kind, id), l);
        }
        if let Some(prefix) = prefixes.for_kind(kind) {
            let ok = id
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.len() >= digits && n.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                r.at(
                    Code::MalformedId,
                    l,
                    "/id",
                    format!(
                        "{} id `{id}` does not look like `{prefix}-{}`",
                        kind.name(),
                        "0".repeat(digits.max(1))
                    ),
                )
                .hint = Some(format!(
                    "ticket ids are `{prefix}-` followed by at least {digits} digits"
                ));
            }
        }
    }
    let known = r.known;
    let has = |k: Kind, id: &Id| {
        ids.contains_key(&(k, id.as_str())) || known.contains(&(k, id.as_str().to_string()))
    };
    all_ids.extend(known.iter().map(|(_, id)| id.as_str()));
    let has_calendar = |id: &Id| id.as_str() == "24x7" || ids.contains_key(&(Kind::Calendar, id.as_str()));

    let services: Vec<&Service> = snap
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some(s),
            _ => None,
        })
        .collect();
    let service_ids: Vec<String> = services.iter().map(|s| s.id.to_string()).collect();
    let unknown_service = |r: &mut Rules<'_>, l: &Loaded, pointer: String, id: &Id| {
        let f = r.at(
            Code::UnknownService,
            l,
            pointer,
            format!("unknown service `{id}`"),
        );
        f.hint = Some(match crate::schema::did_you_mean(id.as_str(), &service_ids) {
            Some(b) => format!("did you mean `{b}`?"),
            None => "add it to catalog/ or fix the id".into(),
        });
    };

    let mut policies = Vec::new();
    for l in &snap.records {
        match &l.record {
            Record::Config(c) => {
                if let Some(list) = c.status_page.as_ref().and_then(|s| s.services.as_ref()) {
                    for (i, s) in list.iter().enumerate() {
                        if !has(Kind::Service, s) {
                            unknown_service(r, l, format!("/status_page/services/{i}"), s);
                        }
                    }
                }
            }
            Record::Service(s) => {
                if let Some(sla) = &s.sla {
                    if !has(Kind::Sla, sla) {
                        r.at(Code::UnknownSla, l, "/sla", format!("unknown SLA `{sla}`"))
                            .hint = Some("add it under slas/ or fix the id".into());
                    }
                }
                for (i, d) in s.depends_on.iter().enumerate() {
                    if !has(Kind::Service, d) {
                        unknown_service(r, l, format!("/depends_on/{i}"), d);
                    }
                }
                for (i, p) in s.paths.iter().enumerate() {
                    if let Err(e) = globset::Glob::new(p) {
                        r.at(
                            Code::InvalidFormat,
                            l,
                            format!("/paths/{i}"),
                            format!("`{p}` is not a valid glob: {e}"),
                        );
                    }
                }
            }
            Record::Calendar(c) => check_calendar(r, l, c),
            Record::Sla(s) => {
                if !has_calendar(&s.calendar) {
                    r.at(
                        Code::UnknownCalendar,
                        l,
                        "/calendar",
                        format!("unknown calendar `{}`", s.calendar),
                    )
                    .hint = Some("add a Calendar record or use the built-in `24x7`".into());
                }
            }
            Record::ChangePolicy(p) => {
                policies.push(l);
                for (i, f) in p.freeze.iter().enumerate() {
                    if f.start >= f.end {
                        r.at(
                            Code::WindowOrder,
                            l,
                            format!("/freeze/{i}/end"),
                            format!("freeze `{}` ends before it starts", f.name),
                        );
                    }
                }
            }
            Record::Incident(inc) => {
                if !has(Kind::Service, &inc.service) {
                    unknown_service(r, l, "/service".into(), &inc.service);
                }
                for (i, s) in inc.affected_services.iter().flatten().enumerate() {
                    if !has(Kind::Service, s) {
                        unknown_service(r, l, format!("/affected_services/{i}"), s);
                    }
                }
                if let Some(p) = &inc.problem {
                    if !has(Kind::Problem, p) {
                        r.at(
                            Code::UnknownProblem,
                            l,
                            "/problem",
                            format!("unknown problem `{p}`"),
                        );
                    }
                }
                check_related(r, l, &inc.related, &all_ids);
                let expected = matrix.priority(inc.impact, inc.urgency);
                if let Some(p) = inc.priority {
                    if p != expected
                        && inc
                            .priority_override_reason
                            .as_deref()
                            .is_none_or(|s| s.trim().is_empty())
                    {
                        r.at(
                            Code::PriorityMismatch,
                            l,
                            "/priority",
                            format!(
                                "priority {p} contradicts the matrix: impact {} × urgency {} is {expected}",
                                inc.impact, inc.urgency
                            ),
                        )
                        .hint = Some(format!(
                            "set `priority: {expected}`, remove it, or explain with `priority_override_reason:`"
                        ));
                    }
                }
                check_timeline(
                    r,
                    l,
                    Kind::Incident,
                    inc.status.as_str(),
                    &statuses(&inc.timeline),
                    &times(&inc.timeline),
                );
            }
            Record::Problem(p) => {
                for (i, s) in p.services.iter().enumerate() {
                    if !has(Kind::Service, s) {
                        unknown_service(r, l, format!("/services/{i}"), s);
                    }
                }
                for (i, inc) in p.incidents.iter().enumerate() {
                    if !has(Kind::Incident, inc) {
                        r.at(
                            Code::UnknownIncident,
                            l,
                            format!("/incidents/{i}"),
                            format!("unknown incident `{inc}`"),
                        );
                    }
                }
                check_timeline(
                    r,
                    l,
                    Kind::Problem,
                    p.status.as_str(),
                    &statuses(&p.timeline),
                    &times(&p.timeline),
                );
            }
            Record::Request(q) => {
                if let Some(s) = &q.service {
                    if !has(Kind::Service, s) {
                        unknown_service(r, l, "/service".into(), s);
                    }
                }
                check_timeline(
                    r,
                    l,
                    Kind::Request,
                    q.status.as_str(),
                    &statuses(&q.timeline),
                    &times(&q.timeline),
                );
            }
            Record::Change(c) => {
                for (i, s) in c.services.iter().enumerate() {
                    if !has(Kind::Service, s) {
                        unknown_service(r, l, format!("/services/{i}"), s);
                    }
                }
                check_change(r, l, c);
                check_timeline(
                    r,
                    l,
                    Kind::Change,
                    c.status.as_str(),
                    &statuses(&c.timeline),
                    &times(&c.timeline),
                );
            }
        }
    }

    check_cycles(r, &services);

    match policies.len() {
        0 => {
            if !snap.findings.iter().any(|f| f.file.starts_with("policies/")) {
                r.push(
                    Code::NoPolicy,
                    "policies/",
                    "",
                    false,
                    "the repo has no ChangePolicy",
                )
                .hint = Some("add policies/default.yaml (`gitsm init` writes one)".into());
            }
        }
        1 => {}
        _ => {
            let first = policies[0].path.clone();
            for l in &policies[1..] {
                r.at(
                    Code::ExtraPolicy,
                    l,
                    "/kind",
                    format!("a second ChangePolicy; {first} is already one"),
                )
                .hint = Some("keep exactly one ChangePolicy: merge the rules into one file".into());
            }
        }
    }
    if policies.len() == 1 {
        let Record::ChangePolicy(policy) = &policies[0].record else {
            unreachable!()
        };
        for l in &snap.records {
            let Record::Change(c) = &l.record else { continue };
            let st = statuses(&c.timeline);
            let effective = last_real_status(&st).unwrap_or(c.status.as_str());
            let Some(rule) = policy.rule_for(c.change_type, c.risk) else {
                r.at(
                    Code::NoMatchingRule,
                    l,
                    "/type",
                    format!(
                        "no rule of the ChangePolicy matches a {} change with {} risk",
                        c.change_type, c.risk
                    ),
                )
                .hint = Some("add a rule to the policy (the gate refuses such changes)".into());
                continue;
            };
            let approved = ChangeStatus::parse(effective).is_some_and(ChangeStatus::is_approved_or_later);
            if approved {
                let distinct: HashSet<String> = c.approvals.iter().map(|a| a.by.to_lowercase()).collect();
                if (distinct.len() as u32) < rule.approvals {
                    let from = rule.from.map(|g| format!(" from {g}")).unwrap_or_default();
                    r.at(
                        Code::TooFewApprovals,
                        l,
                        if c.approvals.is_empty() {
                            "/status"
                        } else {
                            "/approvals"
                        },
                        format!(
                            "{} change is `{}` with {} approval(s); its policy rule asks for {}{from}",
                            c.change_type,
                            c.status,
                            distinct.len(),
                            rule.approvals
                        ),
                    )
                    .hint =
                        Some("approvals are recorded from GitHub reviews by `gitsm gate --record`".into());
                }
            }
        }
    }
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

fn check_related(r: &mut Rules<'_>, l: &Loaded, related: &[Id], all: &HashSet<&str>) {
    for (i, id) in related.iter().enumerate() {
        if !all.contains(id.as_str()) {
            r.at(
                Code::UnknownRelated,
                l,
                format!("/related/{i}"),
                format!("`related` names `{id}`, which is no record"),
            );
        }
    }
}

/// Timeline rules: starts with a creation in the initial status, is in time
/// order, moves only legally, and ends in the record's status.
fn check_timeline(
    r: &mut Rules<'_>,
    l: &Loaded,
    kind: Kind,
    status: &str,
    st: &[Option<String>],
    at: &[Timestamp],
) {
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

fn check_change(r: &mut Rules<'_>, l: &Loaded, c: &Change) {
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
    let st = statuses(&c.timeline);
    let effective = last_real_status(&st)
        .and_then(ChangeStatus::parse)
        .unwrap_or(c.status);
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

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses a weekday key (`mon`, `mon-fri`, `sat-sun`) into day indexes 0..7.
pub fn parse_days(key: &str) -> Option<Vec<usize>> {
    let idx = |d: &str| DAYS.iter().position(|x| x.eq_ignore_ascii_case(d.trim()));
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (idx(a)?, idx(b)?);
            if a > b {
                return None;
            }
            Some((a..=b).collect())
        }
        None => idx(key).map(|i| vec![i]),
    }
}

/// Parses `HH:MM-HH:MM` into minutes since midnight; `24:00` ends a day.
pub fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('-')?;
    let hm = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            return None;
        }
        Some(h * 60 + m)
    };
    let (a, b) = (hm(a)?, hm(b)?);
    (a < b).then_some((a, b))
}

fn check_calendar(r: &mut Rules<'_>, l: &Loaded, c: &Calendar) {
    if jiff::tz::db().get(&c.timezone).is_err() {
        r.at(
            Code::BadTimeZone,
            l,
            "/timezone",
            format!("`{}` is not a known IANA time zone", c.timezone),
        )
        .hint = Some("use a name such as `Europe/Berlin` or `UTC`".into());
    }
    for (key, hours) in &c.hours {
        if parse_days(key).is_none() {
            r.push(
                Code::BadHours,
                &l.path,
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

fn check_cycles(r: &mut Rules<'_>, services: &[&Service]) {
    let index: HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
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
            let deps = &services[node].depends_on;
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
                            .map(|(n, _)| services[*n].id.to_string())
                            .collect();
                        let mut key = cycle.clone();
                        key.sort();
                        if reported.insert(key) {
                            cycle.push(services[child].id.to_string());
                            let from = services[node];
                            let path = r
                                .snap
                                .records
                                .iter()
                                .find(|l| matches!(&l.record, Record::Service(s) if s.id == from.id))
                                .map(|l| l.path.clone())
                                .unwrap_or_default();
                            r.push(
                                Code::DependencyCycle,
                                &path,
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

//! The rules that need nothing but one record: its timeline, a change's
//! plan and window, a calendar's hours, time zones; and the record's
//! [`Facts`] for the cross-record rules. Runs on the loader's threads.

use super::*;
use crate::calendar::{parse_days, parse_range};

/// The rules that need nothing but the record itself, and the record's facts
/// for [`super::repo_wide::check_repo`].
pub(super) fn check_record(l: &Loaded) -> (Facts, Vec<Pending>) {
    let mut check = RecordCheck {
        path: l.path.as_str(),
        found: Findings::default(),
        refs: Vec::new(),
        detail: Detail::None,
    };
    match &l.record {
        Record::Config(c) => check.config(c),
        Record::Service(s) => check.service(s),
        Record::Calendar(c) => check_calendar(&mut check.found, check.path, c),
        Record::Sla(s) => check.refer("calendar", None, Target::Calendar, &s.calendar),
        Record::ChangePolicy(p) => check.change_policy(p),
        Record::Incident(inc) => check.incident(inc),
        Record::Problem(p) => check.problem(p),
        Record::Request(q) => check.request(q),
        Record::Change(c) => check.change(c),
        Record::ConfigItem(ci) => {
            check.refer_each("services", Target::Service, &ci.services);
            check.refer_each("depends_on", Target::ConfigItem, &ci.depends_on);
        }
        Record::Release(rel) => check.release(rel),
        Record::RequestType(t) => {
            check.refer("service", None, Target::Service, &t.service);
            for p in crate::forms::check_request_type(check.path, t) {
                push_pointed(&mut check.found, p);
            }
        }
    }
    let facts = Facts {
        path: l.path.clone(),
        kind: l.record.kind(),
        id: l.record.id().clone(),
        refs: check.refs.into_boxed_slice(),
        detail: check.detail,
    };
    (facts, check.found.pending)
}

/// What checking one record gathers: its findings, the ids it names (checked
/// once every id is known) and what the repo-wide rules need of it.
struct RecordCheck<'a> {
    path: &'a str,
    found: Findings,
    refs: Vec<Ref>,
    detail: Detail,
}

impl RecordCheck<'_> {
    fn refer(&mut self, field: &'static str, index: Option<usize>, to: Target, id: &Id) {
        self.refs.push(Ref {
            field,
            index: index.map(|i| i as u32),
            to,
            id: id.clone(),
        })
    }

    /// Every id of a list, each pointed at by its index.
    fn refer_each(&mut self, field: &'static str, to: Target, ids: &[Id]) {
        for (i, id) in ids.iter().enumerate() {
            self.refer(field, Some(i), to, id);
        }
    }

    fn config(&mut self, c: &Config) {
        if let Some(list) = c.status_page.as_ref().and_then(|s| s.services.as_ref()) {
            self.refer_each("status_page/services", Target::Service, list);
        }
        if let Some(tz) = c.timezone.as_deref() {
            check_time_zone(&mut self.found, self.path, tz);
        }
    }

    fn service(&mut self, s: &Service) {
        if let Some(sla) = &s.sla {
            self.refer("sla", None, Target::Sla, sla);
        }
        self.refer_each("depends_on", Target::Service, &s.depends_on);
        for (i, p) in s.paths.iter().enumerate() {
            if let Err(e) = crate::globs::compile(std::slice::from_ref(p)) {
                self.found
                    .at(Code::InvalidFormat, self.path, format!("/paths/{i}"), e.why);
            }
        }
    }

    fn change_policy(&mut self, p: &ChangePolicy) {
        for (i, f) in p.freeze.iter().enumerate() {
            if f.start >= f.end {
                self.found.at(
                    Code::WindowOrder,
                    self.path,
                    format!("/freeze/{i}/end"),
                    format!("freeze `{}` ends before it starts", f.name),
                );
            }
        }
        for (i, t) in p.standard_changes.iter().enumerate() {
            // Points at the template; the service list is inside it.
            for sid in &t.services {
                self.refer("standard_changes", Some(i), Target::Service, sid);
            }
            for (j, g) in t.paths.iter().enumerate() {
                if let Err(e) = crate::globs::compile(std::slice::from_ref(g)) {
                    self.found.at(
                        Code::InvalidFormat,
                        self.path,
                        format!("/standard_changes/{i}/paths/{j}"),
                        e.why,
                    );
                }
            }
        }
    }

    fn incident(&mut self, inc: &Incident) {
        self.refer_each("config_items", Target::ConfigItem, &inc.config_items);
        self.refer("service", None, Target::Service, &inc.service);
        if let Some(affected) = &inc.affected_services {
            self.refer_each("affected_services", Target::Service, affected);
        }
        if let Some(p) = &inc.problem {
            self.refer("problem", None, Target::Problem, p);
        }
        if let Some(c) = &inc.caused_by {
            self.refer("caused_by", None, Target::CausingChange, c);
        }
        self.refer_each("related", Target::Any, &inc.related);
        self.detail = Detail::Incident {
            impact: inc.impact,
            urgency: inc.urgency,
            priority: inc.priority,
            overridden: inc
                .priority_override_reason
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty()),
        };
        check_events(
            &mut self.found,
            self.path,
            Kind::Incident,
            inc.status.as_str(),
            &inc.timeline,
        );
    }

    fn problem(&mut self, p: &Problem) {
        self.refer_each("services", Target::Service, &p.services);
        self.refer_each("incidents", Target::Incident, &p.incidents);
        self.refer_each("config_items", Target::ConfigItem, &p.config_items);
        check_events(
            &mut self.found,
            self.path,
            Kind::Problem,
            p.status.as_str(),
            &p.timeline,
        );
    }

    fn request(&mut self, q: &Request) {
        if let Some(s) = &q.service {
            self.refer("service", None, Target::Service, s);
        }
        if let Some(f) = crate::forms::RequestFacts::of(q) {
            self.detail = Detail::Request(Box::new(f));
        }
        check_events(
            &mut self.found,
            self.path,
            Kind::Request,
            q.status.as_str(),
            &q.timeline,
        );
    }

    fn change(&mut self, c: &Change) {
        self.refer_each("services", Target::Service, &c.services);
        self.refer_each("config_items", Target::ConfigItem, &c.config_items);
        if let Some(rel) = &c.release {
            self.refer("release", None, Target::Release, rel);
        }
        // The status that counts is the timeline's last real one (not on_hold).
        let st = statuses(&c.timeline);
        let effective = last_real_status(&st)
            .and_then(ChangeStatus::parse)
            .unwrap_or(c.status);
        check_change(&mut self.found, self.path, c, effective);
        self.detail = change_detail(c, effective);
        check_timeline(
            &mut self.found,
            self.path,
            Kind::Change,
            c.status.as_str(),
            &st,
            &times(&c.timeline),
        );
    }

    fn release(&mut self, rel: &Release) {
        self.refer_each("services", Target::Service, &rel.services);
        self.refer_each("changes", Target::Change, &rel.changes);
        if let Some(w) = &rel.window {
            if w.start >= w.end {
                self.found
                    .at(
                        Code::WindowOrder,
                        self.path,
                        "/window/end",
                        format!("window ends at {} but starts at {}", w.end, w.start),
                    )
                    .hint = Some("`window.end` must be after `window.start`".into());
            }
        }
        check_events(
            &mut self.found,
            self.path,
            Kind::Release,
            rel.status.as_str(),
            &rel.timeline,
        );
    }
}

/// What the policy's rules need of a change: its type, risk, whether it is
/// approved and by how many, and since when an emergency change awaits its
/// review.
fn change_detail(c: &Change, effective: ChangeStatus) -> Detail {
    let distinct: HashSet<String> = c.approvals.iter().map(|a| a.by.to_lowercase()).collect();
    Detail::Change {
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
    }
}

fn statuses<S: Copy + Into<&'static str>>(tl: &[Event<S>]) -> Vec<Option<&'static str>> {
    tl.iter().map(|e| e.status.map(Into::into)).collect()
}

fn times<S>(tl: &[Event<S>]) -> Vec<Timestamp> {
    tl.iter().map(|e| e.at).collect()
}

fn last_real_status<'s>(st: &[Option<&'s str>]) -> Option<&'s str> {
    st.iter().rev().flatten().find(|s| **s != "on_hold").copied()
}

/// [`check_timeline`] for a typed timeline.
fn check_events<S: Copy + Into<&'static str>>(
    found: &mut Findings,
    path: &str,
    kind: Kind,
    status: &str,
    tl: &[Event<S>],
) {
    check_timeline(found, path, kind, status, &statuses(tl), &times(tl));
}

/// Timeline rules: starts with a creation in the initial status, is in time
/// order, moves only legally, and ends in the record's status.
fn check_timeline(
    found: &mut Findings,
    l: &str,
    kind: Kind,
    status: &str,
    st: &[Option<&str>],
    at: &[Timestamp],
) {
    let initial = workflow::initial(kind).unwrap_or("");
    if st.is_empty() {
        found
            .at(
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
            found
                .at(
                    Code::TimelineStart,
                    l,
                    "/timeline/0",
                    "the first timeline event (the creation) has no `status`",
                )
                .hint = Some(format!("add `status: {initial}` to the first event"));
        }
        Some(first) if *first != initial && !workflow::is_legal(kind, &[initial], first) => {
            found.at(
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
            found
                .at(
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
            if *s != initial {
                history.push(initial);
            }
            history.push(s);
            continue;
        }
        if !workflow::is_legal(kind, &history, s) {
            let legal = workflow::legal_moves(kind, &history);
            let from = history.last().copied().unwrap_or("");
            found
                .at(
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
        if *last != status {
            found.at(
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
fn check_change(found: &mut Findings, l: &str, c: &Change, effective: ChangeStatus) {
    if let Some(w) = &c.window {
        if w.start >= w.end {
            found
                .at(
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
        found
            .at(
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
        found
            .at(
                Code::MissingReview,
                l,
                "/status",
                format!("closing {why} needs a post-implementation `review`"),
            )
            .hint = Some("add `review:` with what happened and what follows".into());
    }
    if matches!(effective, Scheduled | Implementing | Completed | Closed) && c.window.is_none() {
        found
            .at(
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
                found
                    .at(
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
fn check_time_zone(found: &mut Findings, path: &str, tz: &str) {
    if jiff::tz::db().get(tz).is_err() {
        found
            .at(
                Code::BadTimeZone,
                path,
                "/timezone",
                format!("`{tz}` is not a known IANA time zone"),
            )
            .hint = Some("use a name such as `Europe/Berlin` or `UTC`".into());
    }
}

fn check_calendar(found: &mut Findings, l: &str, c: &Calendar) {
    check_time_zone(found, l, &c.timezone);
    for (key, hours) in &c.hours {
        if parse_days(key).is_none() {
            found
                .push(
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
                found
                    .at(
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

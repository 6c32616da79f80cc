//! The rules that need nothing but one record: its timeline, a change's
//! plan and window, a calendar's hours, time zones; and the record's
//! [`Facts`] for the cross-record rules. Runs on the loader's threads.

use super::*;
use crate::calendar::{parse_days, parse_range};

/// The rules that need nothing but the record itself, and the record's facts
/// for [`super::repo_wide::check_repo`].
pub(super) fn check_record(l: &Loaded) -> (Facts, Vec<Pending>) {
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
            if let Some(c) = &inc.caused_by {
                refer("caused_by", None, Target::CausingChange, c);
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

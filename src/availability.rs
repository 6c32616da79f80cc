//! Service availability from incidents, shared by reports and the status page.
//!
//! **What a service's state is at an instant**: the worst `customer_impact`
//! among the incidents that list it in `affected_services` (default: their
//! `service`) and are open at that instant; `none` without one.
//!
//! **When an incident has impact**: from its `reported_at` to the moment it
//! last entered `resolved` (or `closed`, when `resolved` was skipped). A
//! reopen (`resolved → investigating`) extends the interval to the next
//! resolution, and the time between the first resolution and the reopen
//! counts too: the fix did not hold, so customers were most likely still
//! affected. An incident that is still open has impact until `now`.
//!
//! **Planned maintenance**: time inside the window of a change with
//! `maintenance: true` on the service, that reached `scheduled` (a
//! `scheduled` timeline event) at or before its window began, and was not
//! cancelled or rejected. Such time is flagged `planned`: shown, but not
//! counted against the SLA availability target. Impact after the window's
//! end (an overrun) is unplanned.
//!
//! **How impact counts against availability** (the convention of Atlassian
//! Statuspage's uptime display, "Display historical uptime of components"):
//! `major_outage` counts as full downtime, `partial_outage` as 30 % of its
//! duration, `degraded_performance` and `none` not at all.
//!
//! `availability % = 100 × (1 − weighted unplanned downtime / measured time)`,
//! where measured time is the whole period up to `now` (planned maintenance
//! stays in the denominator: it is time the service was promised for, just
//! not held against it).
//!
//! **Business hours only**: when the service's SLA says
//! `availability_hours: business`, only time inside its calendar's working
//! hours counts, in the measured time and in the downtime alike
//! ([`summarize_in`] with the calendar; [`counted_hours`] picks it). Error
//! budgets (`crate::budget`) use the same functions.

use crate::calendar::BusinessCalendar;
use crate::model::*;
use crate::repo::Loaded;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Share of a partial outage's duration that counts as downtime.
pub const PARTIAL_OUTAGE_WEIGHT: f64 = 0.3;

/// Share of an impact's duration that counts as downtime.
pub fn weight(impact: CustomerImpact) -> f64 {
    match impact {
        CustomerImpact::MajorOutage => 1.0,
        CustomerImpact::PartialOutage => PARTIAL_OUTAGE_WEIGHT,
        CustomerImpact::DegradedPerformance | CustomerImpact::None => 0.0,
    }
}

/// A stretch of time with one state. Consecutive segments of a result touch
/// and cover the requested range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The worst customer impact of the incidents open in this stretch.
    pub impact: CustomerImpact,
    /// Inside a planned maintenance window of the service.
    pub planned: bool,
}

impl Segment {
    pub fn secs(&self) -> i64 {
        self.end.as_second() - self.start.as_second()
    }
}

/// The events of a timeline that have happened as of `now`: those at or
/// before `now` (an event exactly at `now` counts). This is the one reading of
/// "as of now" used by SLA clocks, availability, reports and the status page.
/// A timeline is in time order (`gitsm validate` checks it), so reading stops
/// at the first event after `now`.
pub fn as_of<S>(timeline: &[Event<S>], now: Timestamp) -> &[Event<S>] {
    let n = timeline.iter().take_while(|e| e.at.as_jiff() <= now).count();
    &timeline[..n]
}

/// A record as its timeline stood at `now` (SPEC §4, "As of `--now`,
/// everywhere"): events after `now` do not exist yet, the status is the last
/// one set up to `now`, and what only a later step can have written is not
/// there either (approvals dated after `now`; a change's `outcome` and
/// `review` before it completed; an incident's `resolution` before it was
/// resolved). A ticket whose creation (its first event, or an incident's
/// `reported_at`) is after `now` does not exist: `None`. Records without a
/// timeline (catalog, SLAs, policy) are as they are.
///
/// Every figures command reads records through [`records_as_of`], which
/// calls this; SLA clocks, availability and the status page then never see
/// the future.
pub fn record_as_of(record: &Record, now: Timestamp) -> Option<Record> {
    fn cut<S: Copy>(tl: &[Event<S>], now: Timestamp, initial: S) -> Option<(Vec<Event<S>>, S)> {
        let past = as_of(tl, now);
        if past.is_empty() {
            return None;
        }
        let status = status_as_of(past, now).unwrap_or(initial);
        Some((past.to_vec(), status))
    }
    Some(match record {
        Record::Incident(i) => {
            if i.reported_at.as_jiff() > now {
                return None;
            }
            let (timeline, status) = cut(&i.timeline, now, IncidentStatus::New)?;
            let resolved = timeline
                .iter()
                .any(|e| matches!(e.status, Some(IncidentStatus::Resolved | IncidentStatus::Closed)));
            Record::Incident(Incident {
                timeline,
                status,
                resolution: i.resolution.clone().filter(|_| resolved),
                ..i.clone()
            })
        }
        Record::Problem(p) => {
            let (timeline, status) = cut(&p.timeline, now, ProblemStatus::New)?;
            Record::Problem(Problem {
                timeline,
                status,
                ..p.clone()
            })
        }
        Record::Request(q) => {
            let (timeline, status) = cut(&q.timeline, now, RequestStatus::Submitted)?;
            Record::Request(Request {
                timeline,
                status,
                ..q.clone()
            })
        }
        Record::Change(c) => {
            let (timeline, status) = cut(&c.timeline, now, ChangeStatus::Draft)?;
            let completed = timeline
                .iter()
                .any(|e| matches!(e.status, Some(ChangeStatus::Completed | ChangeStatus::Closed)));
            Record::Change(Box::new(Change {
                timeline,
                status,
                outcome: c.outcome.filter(|_| completed),
                review: c.review.clone().filter(|_| completed),
                approvals: c
                    .approvals
                    .iter()
                    .filter(|a| a.at.as_jiff() <= now)
                    .cloned()
                    .collect(),
                ..Change::clone(c)
            }))
        }
        Record::Release(r) => {
            let (timeline, status) = cut(&r.timeline, now, crate::model::ReleaseStatus::Planned)?;
            Record::Release(crate::model::Release {
                timeline,
                status,
                ..r.clone()
            })
        }
        other => other.clone(),
    })
}

/// Whether [`record_as_of`] would change a record: some event, approval or
/// the report time lies after `now`. Cheap, so the usual case (`now` is the
/// present) costs no copy.
fn has_future(record: &Record, now: Timestamp) -> bool {
    fn tl<S>(t: &[Event<S>], now: Timestamp) -> bool {
        t.iter().any(|e| e.at.as_jiff() > now)
    }
    match record {
        Record::Incident(i) => i.reported_at.as_jiff() > now || tl(&i.timeline, now),
        Record::Problem(p) => tl(&p.timeline, now),
        Record::Request(q) => tl(&q.timeline, now),
        Record::Change(c) => tl(&c.timeline, now) || c.approvals.iter().any(|a| a.at.as_jiff() > now),
        Record::Release(r) => tl(&r.timeline, now),
        _ => false,
    }
}

/// [`record_as_of`] for a record the caller gives up: moved, not copied,
/// when nothing of it lies after `now` (the usual case). The figures
/// commands cut each record as it is loaded, so [`records_as_of`] later
/// finds nothing to copy (it copied every record of the repo when any one
/// had a later event: a planned change window was enough).
pub fn loaded_as_of(l: Loaded, now: Timestamp) -> Option<Loaded> {
    if !has_future(&l.record, now) {
        return Some(l);
    }
    let record = record_as_of(&l.record, now)?;
    Some(Loaded { path: l.path, record })
}

/// The records of a repo as they stood at `now` ([`record_as_of`] on each;
/// records that did not exist yet are left out). Borrows when nothing lies
/// after `now`.
pub fn records_as_of(records: &[Loaded], now: Timestamp) -> std::borrow::Cow<'_, [Loaded]> {
    records_as_of_where(records, now, |_| true)
}

/// [`records_as_of`] for a reader that needs only the records `wanted`
/// says it may read: when a copy is needed, only those are copied (the
/// report's error budget at the end of its month read a copy of every
/// record of the repo). Borrows all of them when nothing lies after `now`.
pub fn records_as_of_where(
    records: &[Loaded],
    now: Timestamp,
    wanted: impl Fn(&Record) -> bool,
) -> std::borrow::Cow<'_, [Loaded]> {
    if !records.iter().any(|l| has_future(&l.record, now)) {
        return std::borrow::Cow::Borrowed(records);
    }
    std::borrow::Cow::Owned(
        records
            .iter()
            .filter(|l| wanted(&l.record))
            .filter_map(|l| {
                if !has_future(&l.record, now) {
                    return Some(l.clone());
                }
                record_as_of(&l.record, now).map(|record| Loaded {
                    path: l.path.clone(),
                    record,
                })
            })
            .collect(),
    )
}

/// The last status a timeline set at or before `now` ([`as_of`]); `None`
/// when no event up to `now` set one.
pub fn status_as_of<S: Copy>(timeline: &[Event<S>], now: Timestamp) -> Option<S> {
    as_of(timeline, now).iter().filter_map(|e| e.status).next_back()
}

/// The interval in which an incident affects customers, as of `now`, or
/// `None` when it has no customer impact (or was reported after `now`).
pub fn impact_interval(inc: &Incident, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
    if inc.impact_on_customers() == CustomerImpact::None {
        return None;
    }
    let start = inc.reported_at.as_jiff();
    if start > now {
        return None;
    }
    let mut end: Option<Timestamp> = None;
    for e in as_of(&inc.timeline, now) {
        let at = e.at.as_jiff();
        match e.status {
            Some(IncidentStatus::Resolved | IncidentStatus::Closed) => {
                end.get_or_insert(at);
            }
            Some(_) => end = None,
            None => {}
        }
    }
    let end = end.unwrap_or(now).max(start);
    Some((start, end))
}

/// Whether a maintenance change was announced: it reached `scheduled` at or
/// before its window began. This is the one definition of *planned* used by
/// reports and the status page.
pub fn announced(c: &Change) -> bool {
    let Some(w) = &c.window else { return false };
    c.timeline
        .iter()
        .any(|e| e.status == Some(ChangeStatus::Scheduled) && e.at <= w.start)
}

/// The maintenance window of a change, when it counts as maintenance at all:
/// `maintenance: true`, not cancelled or rejected, and a non-empty `window`.
/// Whether it is *planned* is [`announced`]; see [`planned_window`].
pub fn maintenance_window(c: &Change) -> Option<(Timestamp, Timestamp)> {
    if !c.maintenance || matches!(c.status, ChangeStatus::Cancelled | ChangeStatus::Rejected) {
        return None;
    }
    let w = c.window.as_ref()?;
    let (ws, we) = (w.start.as_jiff(), w.end.as_jiff());
    (ws < we).then_some((ws, we))
}

/// The window of a change as *planned* maintenance (not counted against
/// availability): a [`maintenance_window`] that was [`announced`].
pub fn planned_window(c: &Change) -> Option<(Timestamp, Timestamp)> {
    maintenance_window(c).filter(|_| announced(c))
}

/// Planned maintenance windows of a service: `(start, end, change id)`.
pub fn maintenance_windows<'a>(records: &'a [Loaded], service: &str) -> Vec<(Timestamp, Timestamp, &'a Id)> {
    let mut out = Vec::new();
    for l in records {
        let Record::Change(c) = &l.record else { continue };
        if !c.services.iter().any(|s| s.as_str() == service) {
            continue;
        }
        if let Some((ws, we)) = planned_window(c) {
            out.push((ws, we, &c.id));
        }
    }
    out.sort_by_key(|w| (w.0, w.1));
    out
}

/// The states of one service over `[from, to)`, as of `now`: contiguous
/// segments covering the range, adjacent equal segments merged. Empty when
/// `to <= from`. A pass over every record; for many services build a
/// [`ByService`] once.
pub fn service_states(
    records: &[Loaded],
    service: &str,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Vec<Segment> {
    ByService::new(records).states(service, from, to, now)
}

/// Each service's incidents and planned maintenance windows, gathered in
/// one pass over the records: the report, trends, budgets and the status
/// page ask for every service's states, and a pass per service was
/// services × records (50 × 100k on the bench repo).
pub struct ByService<'a> {
    incidents: HashMap<&'a str, Vec<&'a Incident>>,
    windows: HashMap<&'a str, Vec<(Timestamp, Timestamp, &'a Id)>>,
}

impl<'a> ByService<'a> {
    pub fn new(records: &'a [Loaded]) -> Self {
        let mut incidents: HashMap<&'a str, Vec<&'a Incident>> = HashMap::new();
        let mut windows: HashMap<&'a str, Vec<(Timestamp, Timestamp, &'a Id)>> = HashMap::new();
        for l in records {
            match &l.record {
                Record::Incident(inc) => {
                    let named: Vec<&str> = match &inc.affected_services {
                        Some(v) => v.iter().map(|s| s.as_str()).collect(),
                        None => vec![inc.service.as_str()],
                    };
                    for (k, s) in named.iter().enumerate() {
                        // A service named twice is affected once.
                        if !named[..k].contains(s) {
                            incidents.entry(s).or_default().push(inc);
                        }
                    }
                }
                Record::Change(c) => {
                    let Some((ws, we)) = planned_window(c) else {
                        continue;
                    };
                    for (k, s) in c.services.iter().enumerate() {
                        if !c.services[..k].contains(s) {
                            windows.entry(s.as_str()).or_default().push((ws, we, &c.id));
                        }
                    }
                }
                _ => {}
            }
        }
        for w in windows.values_mut() {
            w.sort_by_key(|w| (w.0, w.1));
        }
        ByService { incidents, windows }
    }

    /// [`maintenance_windows`] of `service`.
    pub fn windows(&self, service: &str) -> &[(Timestamp, Timestamp, &'a Id)] {
        self.windows.get(service).map_or(&[], Vec::as_slice)
    }

    /// [`service_states`] of `service`.
    pub fn states(&self, service: &str, from: Timestamp, to: Timestamp, now: Timestamp) -> Vec<Segment> {
        if to <= from {
            return Vec::new();
        }
        let incidents = self.incidents.get(service).map_or(&[][..], Vec::as_slice);
        sweep(incidents, self.windows(service), from, to, now)
    }
}

/// The segments of [`service_states`] from a service's incidents and
/// windows.
fn sweep(
    incidents: &[&Incident],
    windows: &[(Timestamp, Timestamp, &Id)],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Vec<Segment> {
    // Sweep: (instant, delta, what). what 0..=3 = impact level, 4 = maintenance.
    let mut events: Vec<(Timestamp, i32, usize)> = Vec::new();
    for inc in incidents {
        if let Some((a, b)) = impact_interval(inc, now) {
            let (a, b) = (a.max(from), b.min(to));
            if a < b {
                let lvl = level(inc.impact_on_customers());
                events.push((a, 1, lvl));
                events.push((b, -1, lvl));
            }
        }
    }
    for &(a, b, _) in windows {
        let (a, b) = (a.max(from), b.min(to));
        if a < b {
            events.push((a, 1, 4));
            events.push((b, -1, 4));
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    let mut counts = [0i32; 5];
    let mut out: Vec<Segment> = Vec::new();
    let mut cursor = from;
    let mut i = 0;
    loop {
        let next = events.get(i).map(|e| e.0).unwrap_or(to).min(to);
        if next > cursor {
            let impact = (1..4)
                .rev()
                .find(|&k| counts[k] > 0)
                .map(|k| CustomerImpact::ALL[k])
                .unwrap_or(CustomerImpact::None);
            let seg = Segment {
                start: cursor,
                end: next,
                impact,
                planned: counts[4] > 0,
            };
            match out.last_mut() {
                Some(last) if last.impact == seg.impact && last.planned == seg.planned => last.end = next,
                _ => out.push(seg),
            }
            cursor = next;
        }
        if i >= events.len() || cursor >= to {
            break;
        }
        while i < events.len() && events[i].0 == next {
            counts[events[i].2] += events[i].1;
            i += 1;
        }
    }
    out
}

fn level(i: CustomerImpact) -> usize {
    CustomerImpact::ALL.iter().position(|x| *x == i).unwrap_or(0)
}

/// Time per kind of state over a list of segments, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TimeByState {
    /// Measured time (the sum of all segments).
    pub measured: i64,
    /// Unplanned time per impact.
    pub major_outage: i64,
    pub partial_outage: i64,
    pub degraded_performance: i64,
    /// Time with impact inside planned maintenance (not counted).
    pub planned_impact: i64,
    /// All time inside planned maintenance windows.
    pub maintenance: i64,
    /// Unplanned downtime after weighting (see the module docs).
    pub weighted_downtime: f64,
    /// `100 × (1 − weighted_downtime / measured)`; 100 when nothing was measured.
    pub percent: f64,
}

/// Sums segments into a [`TimeByState`], every second counting.
pub fn summarize(segments: &[Segment]) -> TimeByState {
    summarize_in(segments, None)
}

/// The calendar whose business hours alone count in a service's
/// availability: its SLA's, when the SLA says `availability_hours:
/// business`; `None` (every hour counts) otherwise.
pub fn counted_hours<'c>(sla: Option<&Sla>, calendar: &'c BusinessCalendar) -> Option<&'c BusinessCalendar> {
    let business = sla.and_then(|s| s.availability_hours) == Some(AvailabilityHours::Business);
    (business && !calendar.is_continuous()).then_some(calendar)
}

/// Sums segments into a [`TimeByState`]; with a calendar only its business
/// hours count (in the measured time and in every kind of downtime).
pub fn summarize_in(segments: &[Segment], hours: Option<&BusinessCalendar>) -> TimeByState {
    let mut s = TimeByState::default();
    for seg in segments {
        let d = match hours {
            Some(cal) => cal.between(seg.start, seg.end),
            None => seg.secs(),
        };
        s.measured += d;
        if seg.planned {
            s.maintenance += d;
            if seg.impact != CustomerImpact::None {
                s.planned_impact += d;
            }
            continue;
        }
        match seg.impact {
            CustomerImpact::MajorOutage => s.major_outage += d,
            CustomerImpact::PartialOutage => s.partial_outage += d,
            CustomerImpact::DegradedPerformance => s.degraded_performance += d,
            CustomerImpact::None => {}
        }
        s.weighted_downtime += weight(seg.impact) * d as f64;
    }
    s.percent = if s.measured > 0 {
        100.0 * (1.0 - s.weighted_downtime / s.measured as f64)
    } else {
        100.0
    };
    s
}

/// [`summarize_in`] over the part of the segments inside `[from, to)`.
pub fn summarize_range(
    segments: &[Segment],
    from: Timestamp,
    to: Timestamp,
    hours: Option<&BusinessCalendar>,
) -> TimeByState {
    let clipped: Vec<Segment> = segments
        .iter()
        .filter(|g| g.end > from && g.start < to)
        .map(|g| Segment {
            start: g.start.max(from),
            end: g.end.min(to),
            ..*g
        })
        .collect();
    summarize_in(&clipped, hours)
}

/// Availability in percent over segments (see [`summarize`]).
pub fn percent(segments: &[Segment]) -> f64 {
    summarize(segments).percent
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;

//! Per-service impact over time: when an incident or a maintenance affected a
//! service, the worst state of each calendar day, and the uptime percentage.
//!
//! The definitions of *when* an incident or a maintenance affects a service
//! are not here: they live in [`crate::availability`] (shared with the
//! service report) — [`crate::availability::impact_interval`] for incidents,
//! [`crate::availability::maintenance_window`] and
//! [`crate::availability::announced`] for maintenance. This module only turns
//! them into [`Span`]s and buckets them for the status page:
//! - Downtime is time in `partial_outage` or `major_outage`, minus time inside
//!   a planned maintenance window. Degraded performance is not downtime.
//! - Days are calendar days in the config's time zone.

use crate::model::{Change, CustomerImpact, Incident, IncidentStatus};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a customer sees for a service, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Operational,
        State::UnderMaintenance,
        State::DegradedPerformance,
        State::PartialOutage,
        State::MajorOutage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Operational => "operational",
            State::UnderMaintenance => "under_maintenance",
            State::DegradedPerformance => "degraded_performance",
            State::PartialOutage => "partial_outage",
            State::MajorOutage => "major_outage",
        }
    }

    /// Words for people: "Partial outage".
    pub fn label(self) -> &'static str {
        match self {
            State::Operational => "Operational",
            State::UnderMaintenance => "Under maintenance",
            State::DegradedPerformance => "Degraded performance",
            State::PartialOutage => "Partial outage",
            State::MajorOutage => "Major outage",
        }
    }

    pub fn from_impact(i: CustomerImpact) -> State {
        match i {
            CustomerImpact::None => State::Operational,
            CustomerImpact::DegradedPerformance => State::DegradedPerformance,
            CustomerImpact::PartialOutage => State::PartialOutage,
            CustomerImpact::MajorOutage => State::MajorOutage,
        }
    }

    /// Counts against availability.
    pub fn is_down(self) -> bool {
        matches!(self, State::PartialOutage | State::MajorOutage)
    }
}

/// A half-open interval `[start, end)` of impact on one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Timestamp,
    pub end: Timestamp,
    pub state: State,
    /// Planned maintenance (only for `UnderMaintenance`): excluded from downtime.
    pub planned: bool,
    /// The caller's index of the record behind the span (for tooltips).
    pub source: usize,
}

/// An incident is open until it is resolved or closed.
pub fn incident_is_open(status: IncidentStatus) -> bool {
    !matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
}

/// The incident's status at `now`: the last status in its timeline at or
/// before `now` (`new` when it has none yet).
pub fn status_at(inc: &Incident, now: Timestamp) -> IncidentStatus {
    inc.timeline
        .iter()
        .take_while(|e| e.at.as_jiff() <= now)
        .filter_map(|e| e.status)
        .last()
        .unwrap_or(IncidentStatus::New)
}

/// The periods during which an incident was *open* (being worked on):
/// `reported_at` → first `resolved`/`closed`, then reopen → next `resolved`. A
/// period still open ends at `now`; events after `now` are ignored.
///
/// This is **not** the customer-impact interval
/// ([`crate::availability::impact_interval`], which also counts the gap
/// between a resolve and a reopen because the fix did not hold). It only
/// feeds the *duration* shown on an incident's page ("how long the team had
/// it open"); uptime and the day bars use the impact interval.
pub fn open_periods(inc: &Incident, now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut out = Vec::new();
    let mut open_since = Some(inc.reported_at.as_jiff());
    for ev in &inc.timeline {
        let at = ev.at.as_jiff();
        if at > now {
            break; // the future of `--now` is unknown
        }
        let Some(st) = ev.status else { continue };
        match (open_since, incident_is_open(st)) {
            (Some(s), false) => {
                if at > s {
                    out.push((s, at.min(now)));
                }
                open_since = None;
            }
            (None, true) => open_since = Some(at),
            _ => {}
        }
    }
    if let Some(s) = open_since {
        if now > s {
            out.push((s, now));
        }
    }
    out.retain(|(s, e)| e > s);
    out
}

/// The impact span of one incident (the same for each affected service):
/// [`crate::availability::impact_interval`], at the incident's customer impact.
pub fn incident_spans(inc: &Incident, now: Timestamp, source: usize) -> Vec<Span> {
    let state = State::from_impact(inc.impact_on_customers());
    if state == State::Operational {
        return Vec::new();
    }
    crate::availability::impact_interval(inc, now)
        .filter(|(start, end)| end > start)
        .map(|(start, end)| Span {
            start,
            end,
            state,
            planned: false,
            source,
        })
        .into_iter()
        .collect()
}

/// The maintenance span of a change:
/// [`crate::availability::maintenance_window`], *planned* when
/// [`crate::availability::announced`] — the service report's definitions.
pub fn maintenance_span(ch: &Change, source: usize) -> Option<Span> {
    let (start, end) = crate::availability::maintenance_window(ch)?;
    Some(Span {
        start,
        end,
        state: State::UnderMaintenance,
        planned: crate::availability::announced(ch),
        source,
    })
}

/// One calendar day of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub date: Date,
    pub worst: State,
    /// Seconds of downtime that count against availability.
    pub downtime: i64,
    /// Sources of the spans that touched the day, in order, without repeats.
    pub sources: Vec<usize>,
}

/// Start of `date` in `tz` (the first instant of the day, DST-safe).
pub fn day_start(date: Date, tz: &TimeZone) -> Timestamp {
    date.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| {
            date.at(0, 0, 0, 0)
                .to_zoned_datetime(TimeZone::UTC)
                .expect("UTC")
                .timestamp()
        })
}

/// The calendar date of an instant in `tz`.
pub fn date_of(t: Timestamp, tz: &TimeZone) -> Date {
    t.to_zoned_datetime(tz.clone()).date()
}

fn merge(mut v: Vec<(Timestamp, Timestamp)>) -> Vec<(Timestamp, Timestamp)> {
    v.sort();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// `a` minus `b`; both merged and sorted.
fn subtract(a: &[(Timestamp, Timestamp)], b: &[(Timestamp, Timestamp)]) -> Vec<(Timestamp, Timestamp)> {
    let mut out = Vec::new();
    for &(mut s, e) in a {
        for &(bs, be) in b {
            if be <= s || bs >= e {
                continue;
            }
            if bs > s {
                out.push((s, bs));
            }
            s = s.max(be);
            if s >= e {
                break;
            }
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

/// The intervals that count as downtime: outage spans minus planned maintenance.
pub fn downtime_intervals(spans: &[Span]) -> Vec<(Timestamp, Timestamp)> {
    let down = merge(
        spans
            .iter()
            .filter(|s| s.state.is_down())
            .map(|s| (s.start, s.end))
            .collect(),
    );
    let planned = merge(
        spans
            .iter()
            .filter(|s| s.state == State::UnderMaintenance && s.planned)
            .map(|s| (s.start, s.end))
            .collect(),
    );
    subtract(&down, &planned)
}

fn overlap(iv: &[(Timestamp, Timestamp)], from: Timestamp, to: Timestamp) -> i64 {
    iv.iter()
        .map(|&(s, e)| {
            let (s, e) = (s.max(from), e.min(to));
            if e > s {
                e.duration_since(s).as_secs()
            } else {
                0
            }
        })
        .sum()
}

/// Seconds of downtime between `from` and `to`.
pub fn downtime_secs(spans: &[Span], from: Timestamp, to: Timestamp) -> i64 {
    overlap(&downtime_intervals(spans), from, to)
}

/// Uptime in percent between `from` and `to` (100 when the period is empty).
///
/// The same convention as the service report ([`crate::availability::weight`]):
/// a major outage counts in full, a partial outage at 30 %, degraded
/// performance not at all, and planned maintenance is not counted. The worst
/// state at each instant decides.
pub fn uptime_percent(spans: &[Span], from: Timestamp, to: Timestamp) -> f64 {
    let total = to.duration_since(from).as_secs();
    if total <= 0 {
        return 100.0;
    }
    let planned = merge(
        spans
            .iter()
            .filter(|s| s.state == State::UnderMaintenance && s.planned)
            .map(|s| (s.start, s.end))
            .collect(),
    );
    let of = |state: State| {
        merge(
            spans
                .iter()
                .filter(|s| s.state == state)
                .map(|s| (s.start, s.end))
                .collect(),
        )
    };
    let major = subtract(&of(State::MajorOutage), &planned);
    let partial = subtract(&subtract(&of(State::PartialOutage), &major), &planned);
    let weighted = overlap(&major, from, to) as f64
        * crate::availability::weight(crate::model::CustomerImpact::MajorOutage)
        + overlap(&partial, from, to) as f64
            * crate::availability::weight(crate::model::CustomerImpact::PartialOutage);
    100.0 * (1.0 - weighted / total as f64)
}

/// The `count` days ending with `last` (oldest first): each day's worst state,
/// downtime and the sources that touched it. Time after `now` is not counted.
pub fn daily(spans: &[Span], last: Date, count: usize, tz: &TimeZone, now: Timestamp) -> Vec<Day> {
    let down = downtime_intervals(spans);
    let first = last
        .checked_sub(jiff::Span::new().days(count.saturating_sub(1) as i64))
        .unwrap_or(last);
    let mut out = Vec::with_capacity(count);
    let mut date = first;
    let mut start = day_start(date, tz);
    for _ in 0..count {
        let next = date.tomorrow().unwrap_or(date);
        let end = day_start(next, tz);
        let mut worst = State::Operational;
        let mut sources = Vec::new();
        for s in spans {
            if s.start < end && s.end > start && s.start < now {
                worst = worst.max(s.state);
                if !sources.contains(&s.source) {
                    sources.push(s.source);
                }
            }
        }
        out.push(Day {
            date,
            worst,
            downtime: overlap(&down, start, end.min(now)),
            sources,
        });
        date = next;
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
    fn span(a: &str, b: &str, state: State, planned: bool) -> Span {
        Span {
            start: ts(a),
            end: ts(b),
            state,
            planned,
            source: 0,
        }
    }

    #[test]
    fn uptime_weighs_outages_like_the_report() {
        let from = ts("2026-11-01T00:00:00Z");
        let to = ts("2026-11-02T00:00:00Z"); // 24 h
        let spans = vec![
            // 2 h partial, of which 1 h under a major outage and 30 min planned.
            span(
                "2026-11-01T10:00:00Z",
                "2026-11-01T12:00:00Z",
                State::PartialOutage,
                false,
            ),
            span(
                "2026-11-01T11:00:00Z",
                "2026-11-01T12:00:00Z",
                State::MajorOutage,
                false,
            ),
            span(
                "2026-11-01T10:00:00Z",
                "2026-11-01T10:30:00Z",
                State::UnderMaintenance,
                true,
            ),
            span(
                "2026-11-01T20:00:00Z",
                "2026-11-01T22:00:00Z",
                State::DegradedPerformance,
                false,
            ),
        ];
        // Counted: 1 h major (weight 1) + 30 min partial (weight 0.3) = 3600 + 540 s.
        let want = 100.0 * (1.0 - 4140.0 / 86400.0);
        assert!((uptime_percent(&spans, from, to) - want).abs() < 1e-9);
    }

    #[test]
    fn days_take_the_worst_state_and_count_only_outages() {
        let spans = vec![
            span(
                "2026-11-20T10:00:00Z",
                "2026-11-20T12:00:00Z",
                State::DegradedPerformance,
                false,
            ),
            span(
                "2026-11-20T11:00:00Z",
                "2026-11-20T11:30:00Z",
                State::MajorOutage,
                false,
            ),
            span(
                "2026-11-21T23:00:00Z",
                "2026-11-22T01:00:00Z",
                State::PartialOutage,
                false,
            ),
        ];
        let now = ts("2026-11-22T12:00:00Z");
        let days = daily(&spans, "2026-11-22".parse().unwrap(), 3, &TimeZone::UTC, now);
        assert_eq!(days.len(), 3);
        assert_eq!(days[0].worst, State::MajorOutage);
        assert_eq!(days[0].downtime, 1800);
        assert_eq!(days[1].worst, State::PartialOutage);
        assert_eq!(days[1].downtime, 3600);
        assert_eq!(days[2].downtime, 3600);
        let pct = uptime_percent(&spans, ts("2026-11-20T00:00:00Z"), now);
        // 30 min major in full + 2 h partial at 30 %.
        let expected = 100.0 * (1.0 - (1800.0 + 0.3 * 7200.0) / (60.0 * 3600.0));
        assert!((pct - expected).abs() < 1e-9, "{pct}");
    }

    #[test]
    fn days_follow_the_time_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        // 23:30Z on the 20th is already the 21st in Berlin.
        let spans = vec![span(
            "2026-11-20T23:30:00Z",
            "2026-11-20T23:45:00Z",
            State::MajorOutage,
            false,
        )];
        let days = daily(
            &spans,
            "2026-11-21".parse().unwrap(),
            2,
            &berlin,
            ts("2026-11-22T00:00:00Z"),
        );
        assert_eq!(days[0].worst, State::Operational);
        assert_eq!(days[1].worst, State::MajorOutage);
        assert_eq!(days[1].downtime, 900);
    }

    #[test]
    fn planned_maintenance_is_not_downtime() {
        let spans = vec![
            span(
                "2026-11-20T10:00:00Z",
                "2026-11-20T12:00:00Z",
                State::MajorOutage,
                false,
            ),
            span(
                "2026-11-20T09:00:00Z",
                "2026-11-20T11:00:00Z",
                State::UnderMaintenance,
                true,
            ),
        ];
        assert_eq!(
            downtime_secs(&spans, ts("2026-11-20T00:00:00Z"), ts("2026-11-21T00:00:00Z")),
            3600
        );
        let unplanned = vec![
            spans[0],
            span(
                "2026-11-20T09:00:00Z",
                "2026-11-20T11:00:00Z",
                State::UnderMaintenance,
                false,
            ),
        ];
        assert_eq!(
            downtime_secs(&unplanned, ts("2026-11-20T00:00:00Z"), ts("2026-11-21T00:00:00Z")),
            7200
        );
    }

    fn incident(status: &str, events: &[(&str, Option<&str>)]) -> Incident {
        let timeline: Vec<serde_json::Value> = events
            .iter()
            .map(|(at, st)| match st {
                Some(st) => serde_json::json!({"at": at, "by": "x", "status": st}),
                None => serde_json::json!({"at": at, "by": "x", "note": "n"}),
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "apiVersion": "gitsm/v1", "kind": "Incident", "id": "INC-0001", "title": "t",
            "service": "web", "impact": "high", "urgency": "high", "status": status,
            "reported_at": events[0].0, "reported_by": "x", "customer_impact": "major_outage",
            "timeline": timeline,
        }))
        .unwrap()
    }

    #[test]
    fn open_periods_skip_the_reopen_gap_but_impact_does_not() {
        let now = ts("2026-11-21T00:00:00Z");
        let inc = incident(
            "closed",
            &[
                ("2026-11-20T10:00:00Z", Some("new")),
                ("2026-11-20T10:30:00Z", None),
                ("2026-11-20T11:00:00Z", Some("resolved")),
                ("2026-11-20T12:00:00Z", Some("investigating")),
                ("2026-11-20T12:30:00Z", Some("resolved")),
                ("2026-11-20T13:00:00Z", Some("closed")),
            ],
        );
        let iv = open_periods(&inc, now);
        assert_eq!(
            iv,
            vec![
                (ts("2026-11-20T10:00:00Z"), ts("2026-11-20T11:00:00Z")),
                (ts("2026-11-20T12:00:00Z"), ts("2026-11-20T12:30:00Z")),
            ]
        );
        // Still open: the span runs to `now`. Closed without resolving: ends at close.
        let open = incident("investigating", &[("2026-11-20T10:00:00Z", Some("new"))]);
        assert_eq!(open_periods(&open, now), vec![(ts("2026-11-20T10:00:00Z"), now)]);
        let closed = incident(
            "closed",
            &[
                ("2026-11-20T10:00:00Z", Some("new")),
                ("2026-11-20T10:20:00Z", Some("closed")),
            ],
        );
        assert_eq!(
            open_periods(&closed, now),
            vec![(ts("2026-11-20T10:00:00Z"), ts("2026-11-20T10:20:00Z"))]
        );
        // The impact span is the availability module's: one interval from
        // `reported_at` to the last resolution, the reopen gap included.
        assert_eq!(
            crate::availability::impact_interval(&inc, now),
            Some((ts("2026-11-20T10:00:00Z"), ts("2026-11-20T12:30:00Z")))
        );
        let sp = incident_spans(&inc, now, 3);
        assert_eq!(sp.len(), 1);
        assert_eq!(
            (sp[0].start, sp[0].end),
            (ts("2026-11-20T10:00:00Z"), ts("2026-11-20T12:30:00Z"))
        );
        // No customer impact: no span at all.
        let mut quiet = open.clone();
        quiet.customer_impact = Some(CustomerImpact::None);
        assert!(incident_spans(&quiet, now, 0).is_empty());
        assert_eq!(incident_spans(&open, now, 7)[0].state, State::MajorOutage);
    }

    #[test]
    fn overlapping_outages_count_once() {
        let spans = vec![
            span(
                "2026-11-20T10:00:00Z",
                "2026-11-20T12:00:00Z",
                State::MajorOutage,
                false,
            ),
            span(
                "2026-11-20T11:00:00Z",
                "2026-11-20T13:00:00Z",
                State::PartialOutage,
                false,
            ),
        ];
        assert_eq!(
            downtime_secs(&spans, ts("2026-11-20T00:00:00Z"), ts("2026-11-21T00:00:00Z")),
            3 * 3600
        );
    }
}

//! Per-service impact over time for the status page: the spans that colour a
//! day's bar and name its events, and the buckets of calendar days.
//!
//! No availability maths is here. *When* an incident or a maintenance affects
//! a service is [`crate::availability`]'s definition (shared with the service
//! report) — [`crate::availability::impact_interval`] for incidents,
//! [`crate::availability::maintenance_window`] and
//! [`crate::availability::announced`] for maintenance — and the uptime % and a
//! day's downtime come from [`crate::availability::service_states`]:
//! - Downtime is unplanned time in `partial_outage` or `major_outage` (the
//!   worst state at each instant). Degraded performance is not downtime.
//! - Days are calendar days in the config's time zone.

use crate::availability::Segment;
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
    crate::availability::status_as_of(&inc.timeline, now).unwrap_or(IncidentStatus::New)
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
    // The future of `--now` is unknown.
    for ev in crate::availability::as_of(&inc.timeline, now) {
        let at = ev.at.as_jiff();
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

/// Seconds of `segments` that count as downtime and fall inside `[from, to)`:
/// unplanned `partial_outage` or `major_outage` time (unweighted).
pub fn downtime_secs(segments: &[Segment], from: Timestamp, to: Timestamp) -> i64 {
    segments
        .iter()
        .filter(|g| !g.planned && State::from_impact(g.impact).is_down())
        .map(|g| {
            let (s, e) = (g.start.max(from), g.end.min(to));
            if e > s {
                e.duration_since(s).as_secs()
            } else {
                0
            }
        })
        .sum()
}

/// The first day of the `count` days ending with `last`.
pub fn first_day(last: Date, count: usize) -> Date {
    last.checked_sub(jiff::Span::new().days(count.saturating_sub(1) as i64))
        .unwrap_or(last)
}

/// The `count` days ending with `last` (oldest first): each day's worst state
/// and the sources that touched it (from the page's `spans`), and its downtime
/// (from the service's availability `segments`,
/// [`crate::availability::service_states`]). Time after `now` is not counted.
pub fn daily(
    spans: &[Span],
    segments: &[Segment],
    last: Date,
    count: usize,
    tz: &TimeZone,
    now: Timestamp,
) -> Vec<Day> {
    let first = first_day(last, count);
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
            downtime: downtime_secs(segments, start, end.min(now)),
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

    fn seg(a: &str, b: &str, impact: CustomerImpact, planned: bool) -> Segment {
        Segment {
            start: ts(a),
            end: ts(b),
            impact,
            planned,
        }
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
        // What `availability::service_states` makes of them (worst state wins).
        use CustomerImpact::*;
        let segments = vec![
            seg("2026-11-20T00:00:00Z", "2026-11-20T10:00:00Z", None, false),
            seg(
                "2026-11-20T10:00:00Z",
                "2026-11-20T11:00:00Z",
                DegradedPerformance,
                false,
            ),
            seg("2026-11-20T11:00:00Z", "2026-11-20T11:30:00Z", MajorOutage, false),
            seg(
                "2026-11-20T11:30:00Z",
                "2026-11-20T12:00:00Z",
                DegradedPerformance,
                false,
            ),
            seg("2026-11-20T12:00:00Z", "2026-11-21T23:00:00Z", None, false),
            seg(
                "2026-11-21T23:00:00Z",
                "2026-11-22T01:00:00Z",
                PartialOutage,
                false,
            ),
            seg("2026-11-22T01:00:00Z", "2026-11-22T12:00:00Z", None, false),
        ];
        let now = ts("2026-11-22T12:00:00Z");
        let days = daily(
            &spans,
            &segments,
            "2026-11-22".parse().unwrap(),
            3,
            &TimeZone::UTC,
            now,
        );
        assert_eq!(days.len(), 3);
        assert_eq!(days[0].worst, State::MajorOutage);
        assert_eq!(days[0].downtime, 1800);
        assert_eq!(days[1].worst, State::PartialOutage);
        assert_eq!(days[1].downtime, 3600);
        assert_eq!(days[2].downtime, 3600);
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
        let segments = vec![seg(
            "2026-11-20T23:30:00Z",
            "2026-11-20T23:45:00Z",
            CustomerImpact::MajorOutage,
            false,
        )];
        let days = daily(
            &spans,
            &segments,
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
    fn planned_time_and_degraded_performance_are_not_downtime() {
        use CustomerImpact::*;
        let segments = vec![
            seg("2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", None, true),
            seg("2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z", MajorOutage, true),
            seg("2026-11-20T11:00:00Z", "2026-11-20T12:00:00Z", MajorOutage, false),
            seg(
                "2026-11-20T12:00:00Z",
                "2026-11-20T13:00:00Z",
                PartialOutage,
                false,
            ),
            seg(
                "2026-11-20T13:00:00Z",
                "2026-11-20T14:00:00Z",
                DegradedPerformance,
                false,
            ),
        ];
        let (from, to) = (ts("2026-11-20T00:00:00Z"), ts("2026-11-21T00:00:00Z"));
        assert_eq!(downtime_secs(&segments, from, to), 7200);
        // Clipped to the range.
        assert_eq!(
            downtime_secs(&segments, ts("2026-11-20T11:30:00Z"), ts("2026-11-20T12:15:00Z")),
            2700
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
}

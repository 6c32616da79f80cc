//! The figures of a report: statistics of durations, SLA compliance, and
//! the per-service, change, problem and request KPIs (numbers only; how they
//! are drawn is [`super::charts`]).

use super::Period;
use crate::availability::TimeByState;
use crate::model::*;
use crate::repo::Loaded;
use crate::sla::{ClockKind, TicketClocks};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean and median of a set of durations, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stat {
    pub count: usize,
    pub mean: Option<i64>,
    pub median: Option<i64>,
}

impl Stat {
    pub fn of(mut v: Vec<i64>) -> Stat {
        if v.is_empty() {
            return Stat::default();
        }
        v.sort_unstable();
        let n = v.len();
        let sum: i128 = v.iter().map(|&x| x as i128).sum();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            ((v[n / 2 - 1] as i128 + v[n / 2] as i128) / 2) as i64
        };
        Stat {
            count: n,
            mean: Some((sum / n as i128) as i64),
            median: Some(median),
        }
    }
}

/// A time-to-something measured in business time (the SLA's calendar,
/// pauses excluded) and in wall time (pauses included).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TimeTo {
    pub business: Stat,
    pub wall: Stat,
}

impl TimeTo {
    pub(super) fn of(clocks: &[&TicketClocks], kind: ClockKind) -> TimeTo {
        let done: Vec<_> = clocks
            .iter()
            .filter_map(|t| t.clock(kind))
            .filter(|c| c.stopped.is_some())
            .collect();
        TimeTo {
            business: Stat::of(done.iter().map(|c| c.elapsed).collect()),
            wall: Stat::of(done.iter().map(|c| c.elapsed_wall).collect()),
        }
    }
}

/// Share of clocks that met their target.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Compliance {
    /// Clocks with a target that are decided (met, or breached even if still running).
    pub measured: usize,
    pub met: usize,
    pub breached: usize,
    /// Clocks with a target still running within it (not counted).
    pub pending: usize,
    /// `100 × met / measured`; `None` when nothing was measured.
    pub percent: Option<f64>,
}

impl Compliance {
    pub(super) fn of(clocks: &[&TicketClocks], kind: ClockKind) -> Compliance {
        let mut c = Compliance::default();
        for t in clocks {
            let Some(clock) = t.clock(kind) else { continue };
            if clock.target.is_none() {
                continue;
            }
            match clock.met() {
                Some(true) => c.met += 1,
                Some(false) => c.breached += 1,
                None => c.pending += 1,
            }
        }
        c.measured = c.met + c.breached;
        c.percent = (c.measured > 0).then(|| 100.0 * c.met as f64 / c.measured as f64);
        c
    }
}

/// Counts per priority, P1..P4 (all four keys always present).
pub type ByPriority = BTreeMap<String, usize>;

pub(super) fn by_priority<'a>(it: impl Iterator<Item = Priority> + 'a) -> ByPriority {
    let mut m: ByPriority = Priority::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), 0))
        .collect();
    for p in it {
        *m.entry(p.as_str().to_string()).or_default() += 1;
    }
    m
}

/// Availability figures of one service.
#[derive(Debug, Clone, Serialize)]
pub struct AvailabilityKpi {
    pub percent: f64,
    /// The SLA's monthly target, if any.
    pub target: Option<f64>,
    pub met: Option<bool>,
    pub summary: TimeByState,
    /// Every stretch with impact or maintenance in the period.
    pub outages: Vec<Outage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outage {
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration: i64,
    pub impact: CustomerImpact,
    pub planned: bool,
}

/// KPIs of one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceKpi {
    pub id: Id,
    pub name: String,
    pub tier: Option<u8>,
    pub sla: Option<Id>,
    pub sla_name: Option<String>,
    pub calendar: String,
    pub availability: AvailabilityKpi,
    pub incidents: usize,
    pub by_priority: ByPriority,
    pub mtta: TimeTo,
    pub mttr: TimeTo,
    pub response: Compliance,
    pub resolution: Compliance,
}

/// One missed target.
#[derive(Debug, Clone, Serialize)]
pub struct Breach {
    pub id: Id,
    pub kind: &'static str,
    pub title: String,
    pub service: Option<Id>,
    pub priority: Option<Priority>,
    pub clock: ClockKind,
    pub target: i64,
    pub elapsed: i64,
    /// Elapsed minus target.
    pub over: i64,
    /// Still running (not yet responded to / resolved).
    pub open: bool,
}

/// One incident of the period, for the incident table.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: Id,
    pub title: String,
    pub service: Id,
    pub priority: Priority,
    pub status: String,
    pub customer_impact: CustomerImpact,
    pub reported_at: Timestamp,
    pub time_to_acknowledge: Option<i64>,
    pub time_to_resolve: Option<i64>,
    pub breached: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeRow {
    pub id: Id,
    pub title: String,
    pub change_type: ChangeType,
    pub risk: Risk,
    pub services: Vec<Id>,
    pub status: ChangeStatus,
    pub outcome: Option<Outcome>,
    pub window_start: Option<Timestamp>,
    pub maintenance: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeKpi {
    pub count: usize,
    pub standard: usize,
    pub normal: usize,
    pub emergency: usize,
    /// Changes with an outcome (completed or closed).
    pub completed: usize,
    pub successful: usize,
    pub failed: usize,
    pub rolled_back: usize,
    /// `100 × successful / completed`.
    pub success_rate: Option<f64>,
    /// `100 × emergency / count`.
    pub emergency_share: Option<f64>,
    pub cancelled_or_rejected: usize,
    /// Failed and rolled-back changes.
    pub unsuccessful: Vec<ChangeRow>,
    pub all: Vec<ChangeRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemRow {
    pub id: Id,
    pub title: String,
    pub services: Vec<Id>,
    pub status: String,
    pub incidents: usize,
    pub workaround: Option<String>,
    pub opened: Timestamp,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProblemKpi {
    /// Problems not resolved or closed at the end of the period.
    pub open: usize,
    /// Of those, in `known_error`.
    pub known_errors: usize,
    /// Problems opened in the period.
    pub opened: usize,
    pub list: Vec<ProblemRow>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestKpi {
    /// Requests created in the period.
    pub count: usize,
    pub fulfilled: usize,
    pub rejected: usize,
    pub open: usize,
    /// Time to fulfil, of the fulfilled ones.
    pub fulfillment: TimeTo,
    pub compliance: Compliance,
}

/// Totals over every listed service.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub incidents: usize,
    pub by_priority: ByPriority,
    pub mtta: TimeTo,
    pub mttr: TimeTo,
    pub response: Compliance,
    pub resolution: Compliance,
    pub breaches: usize,
    pub services_meeting_availability: usize,
    pub services_with_availability_target: usize,
}

/// When a record was created: its first timeline event.
pub(super) fn created<S>(timeline: &[Event<S>]) -> Option<Timestamp> {
    timeline.first().map(|e| e.at.as_jiff())
}

/// Business seconds a clock ran, once it has stopped.
pub(super) fn stopped_after(t: &TicketClocks, kind: ClockKind) -> Option<i64> {
    t.clock(kind).filter(|c| c.stopped.is_some()).map(|c| c.elapsed)
}

pub(super) fn change_kpi(records: &[Loaded], period: &Period, wanted: &dyn Fn(&str) -> bool) -> ChangeKpi {
    let mut k = ChangeKpi::default();
    for l in records {
        let Record::Change(c) = &l.record else { continue };
        let when = c
            .window
            .as_ref()
            .map(|w| w.start.as_jiff())
            .or_else(|| created(&c.timeline));
        if !when.is_some_and(|t| period.contains(t)) || !c.services.iter().any(|s| wanted(s.as_str())) {
            continue;
        }
        k.count += 1;
        match c.change_type {
            ChangeType::Standard => k.standard += 1,
            ChangeType::Normal => k.normal += 1,
            ChangeType::Emergency => k.emergency += 1,
        }
        if matches!(c.status, ChangeStatus::Cancelled | ChangeStatus::Rejected) {
            k.cancelled_or_rejected += 1;
        }
        let row = ChangeRow {
            id: c.id.clone(),
            title: c.title.clone(),
            change_type: c.change_type,
            risk: c.risk,
            services: c.services.clone(),
            status: c.status,
            outcome: c.outcome,
            window_start: c.window.as_ref().map(|w| w.start.as_jiff()),
            maintenance: c.maintenance,
        };
        if let Some(o) = c.outcome {
            k.completed += 1;
            match o {
                Outcome::Successful => k.successful += 1,
                Outcome::Failed => k.failed += 1,
                Outcome::RolledBack => k.rolled_back += 1,
            }
            if o != Outcome::Successful {
                k.unsuccessful.push(row.clone());
            }
        }
        k.all.push(row);
    }
    for rows in [&mut k.all, &mut k.unsuccessful] {
        rows.sort_by(|a, b| a.window_start.cmp(&b.window_start).then(a.id.cmp(&b.id)));
    }
    k.success_rate = (k.completed > 0).then(|| 100.0 * k.successful as f64 / k.completed as f64);
    k.emergency_share = (k.count > 0).then(|| 100.0 * k.emergency as f64 / k.count as f64);
    k
}

pub(super) fn problem_kpi(
    records: &[Loaded],
    period: &Period,
    now: Timestamp,
    wanted: &dyn Fn(&str) -> bool,
) -> ProblemKpi {
    let mut k = ProblemKpi::default();
    // As of the end of the period: `now` itself (an event at `now` counts) while
    // the period runs, else the last instant before its exclusive end.
    let as_of = if now < period.to {
        now
    } else {
        period
            .to
            .checked_sub(jiff::SignedDuration::from_nanos(1))
            .unwrap_or(period.to)
    };
    for l in records {
        let Record::Problem(p) = &l.record else { continue };
        // Without --service every problem counts, with or without services.
        let listed = p.services.iter().any(|s| wanted(s.as_str())) || (p.services.is_empty() && wanted(""));
        if !listed {
            continue;
        }
        let Some(opened) = created(&p.timeline) else {
            continue;
        };
        if opened > as_of {
            continue;
        }
        if period.contains(opened) {
            k.opened += 1;
        }
        // The status at the end of the period.
        let status = crate::availability::status_as_of(&p.timeline, as_of).unwrap_or(ProblemStatus::New);
        if matches!(status, ProblemStatus::Resolved | ProblemStatus::Closed) {
            continue;
        }
        k.open += 1;
        if status == ProblemStatus::KnownError {
            k.known_errors += 1;
        }
        k.list.push(ProblemRow {
            id: p.id.clone(),
            title: p.title.clone(),
            services: p.services.clone(),
            status: status.as_str().to_string(),
            incidents: p.incidents.len(),
            workaround: p.workaround.clone(),
            opened,
        });
    }
    k.list.sort_by(|a, b| a.id.cmp(&b.id));
    k
}

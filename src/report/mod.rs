//! KPIs for a period and the service report built from them.
//!
//! [`build`] computes a [`Report`] (pure: records, period, `now` in; data
//! out); [`render`] turns it into Markdown, HTML or JSON. The report is the
//! template context, documented field by field in `docs/sla.md`.
//!
//! Populations (which records a period counts):
//! - incidents *reported* in the period (`reported_at`), counted under their
//!   `service`; their clocks are taken as of `now`, so an incident reported
//!   on the 31st and resolved on the 2nd counts with its real resolution;
//! - availability from every incident affecting the service in the period
//!   (see [`crate::availability`]), measured up to `now`;
//! - changes whose window starts in the period (changes without a window:
//!   created in the period);
//! - problems open, and known errors, at the end of the period;
//! - requests created in the period.

mod render;

pub use render::{is_ours, marked, render, Format, OUT_MARKER, TEMPLATE_HTML, TEMPLATE_MD};

use crate::availability::{self, TimeByState};
use crate::model::*;
use crate::repo::Loaded;
use crate::sla::{fmt_secs, ClockKind, SlaContext, TicketClocks};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// The period a report covers: `[from, to)`.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
    /// `2026-10` or `2026-10-01 – 2026-10-15`.
    pub label: String,
    /// The IANA time zone the period's dates are in.
    pub timezone: String,
    /// Where measurement ends: `min(to, now)`.
    pub measured_to: Timestamp,
}

impl Period {
    /// A calendar month `YYYY-MM` in the time zone.
    pub fn month(spec: &str, tz: &str) -> Result<Period, String> {
        let bad = || format!("`{spec}` is not a month; write `YYYY-MM`, e.g. `2026-10`");
        if spec.len() != 7 {
            return Err(bad());
        }
        let first: Date = format!("{spec}-01").parse().map_err(|_| bad())?;
        let next = first.last_of_month().tomorrow().map_err(|_| bad())?;
        let mut p = Self::dates(first, next, tz)?;
        p.label = spec.to_string();
        Ok(p)
    }

    /// From the start of `from` to the end of `to` (both dates included).
    pub fn days(from: &str, to: &str, tz: &str) -> Result<Period, String> {
        let parse = |s: &str| -> Result<Date, String> {
            if s.len() != 10 {
                return Err(format!("`{s}` is not a date; write `YYYY-MM-DD`"));
            }
            s.parse().map_err(|e| format!("`{s}` is not a valid date: {e}"))
        };
        let (a, b) = (parse(from)?, parse(to)?);
        if b < a {
            return Err(format!("--to {to} is before --from {from}"));
        }
        let end = b.tomorrow().map_err(|e| e.to_string())?;
        let mut p = Self::dates(a, end, tz)?;
        p.label = format!("{a} – {b}");
        Ok(p)
    }

    fn dates(from: Date, to_exclusive: Date, tz: &str) -> Result<Period, String> {
        let zone = jiff::tz::db()
            .get(tz)
            .map_err(|_| format!("`{tz}` is not a known IANA time zone"))?;
        let at = |d: Date| -> Result<Timestamp, String> {
            zone.to_ambiguous_timestamp(d.at(0, 0, 0, 0))
                .compatible()
                .map_err(|e| e.to_string())
        };
        let (f, t) = (at(from)?, at(to_exclusive)?);
        Ok(Period {
            from: f,
            to: t,
            label: String::new(),
            timezone: tz.to_string(),
            measured_to: t,
        })
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }
}

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
    fn of(clocks: &[&TicketClocks], kind: ClockKind) -> TimeTo {
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
    fn of(clocks: &[&TicketClocks], kind: ClockKind) -> Compliance {
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

fn by_priority<'a>(it: impl Iterator<Item = Priority> + 'a) -> ByPriority {
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

/// Everything a report shows; also the template context.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub generated_at: Timestamp,
    pub period: Period,
    /// `--service`, if given.
    pub service_filter: Option<Id>,
    pub services: Vec<ServiceKpi>,
    pub totals: Totals,
    pub breaches: Vec<Breach>,
    pub incidents: Vec<IncidentRow>,
    pub changes: ChangeKpi,
    /// Releases that reached `released` in the period.
    pub releases: crate::release::ReleaseKpi,
    pub problems: ProblemKpi,
    pub requests: RequestKpi,
    pub charts: Charts,
    pub conventions: Conventions,
    /// The DORA four keys of the period (`crate::dora`).
    pub dora: crate::dora::Dora,
    /// Error budgets of the calendar month holding the period's last
    /// measured instant (`crate::budget`).
    pub budget: Option<crate::budget::Budgets>,
    /// The last 12 months of each headline KPI, for a monthly report
    /// (`crate::trends`).
    pub trends: Option<crate::trends::Trends>,
}

/// The rules the figures follow, stated in the report itself.
#[derive(Debug, Clone, Serialize)]
pub struct Conventions {
    pub partial_outage_weight: f64,
    pub degraded_performance_weight: f64,
    pub text: String,
}

/// Inputs of [`build`].
pub struct Options<'a> {
    pub period: Period,
    pub service: Option<&'a str>,
    pub now: Timestamp,
    /// The base branch's history for DORA (`None`: not in git, not read).
    pub git: Option<&'a crate::dora::GitHistory>,
}

/// Computes the report.
pub fn build(records: &[Loaded], opts: Options<'_>) -> Result<Report, String> {
    // Records as they stood at `now` (SPEC §4): nothing later exists yet.
    let records = crate::availability::records_as_of(records, opts.now);
    let records: &[Loaded] = &records;
    let ctx = SlaContext::new(records);
    let now = opts.now;
    let mut period = opts.period;
    period.measured_to = period.to.min(now).max(period.from);
    if let Some(s) = opts.service {
        if ctx.service(s).is_none() {
            return Err(format!("no service `{s}` in the catalog"));
        }
    }
    let wanted = |s: &str| opts.service.is_none_or(|w| w == s);

    // Incidents of the period with their clocks.
    let mut incidents: Vec<(&Incident, TicketClocks)> = Vec::new();
    for l in records {
        if let Record::Incident(i) = &l.record {
            if period.contains(i.reported_at.as_jiff())
                && wanted(i.service.as_str())
                && i.reported_at.as_jiff() <= now
            {
                incidents.push((i, ctx.incident(i, now)));
            }
        }
    }
    incidents.sort_by(|a, b| a.0.reported_at.cmp(&b.0.reported_at).then(a.0.id.cmp(&b.0.id)));

    let mut services: Vec<&Service> = records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) if wanted(s.id.as_str()) => Some(s),
            _ => None,
        })
        .collect();
    services.sort_by(|a, b| {
        a.tier
            .unwrap_or(9)
            .cmp(&b.tier.unwrap_or(9))
            .then(a.id.cmp(&b.id))
    });

    let mut service_kpis = Vec::new();
    for s in &services {
        let sla = ctx.sla_of(s.id.as_str());
        let segs = availability::service_states(records, s.id.as_str(), period.from, period.measured_to, now);
        let summary =
            availability::summarize_in(&segs, availability::counted_hours(sla, ctx.calendar_of(sla)));
        let target = sla.and_then(|x| x.availability);
        let outages = segs
            .iter()
            .filter(|g| g.impact != CustomerImpact::None || g.planned)
            .map(|g| Outage {
                start: g.start,
                end: g.end,
                duration: g.secs(),
                impact: g.impact,
                planned: g.planned,
            })
            .collect();
        let mine: Vec<&TicketClocks> = incidents
            .iter()
            .filter(|(i, _)| i.service == s.id)
            .map(|(_, t)| t)
            .collect();
        service_kpis.push(ServiceKpi {
            id: s.id.clone(),
            name: s.name.clone(),
            tier: s.tier,
            sla: sla.map(|x| x.id.clone()),
            sla_name: sla.map(|x| x.name.clone().unwrap_or_else(|| x.id.to_string())),
            calendar: ctx.calendar_of(sla).id().to_string(),
            availability: AvailabilityKpi {
                percent: summary.percent,
                target,
                met: target.map(|t| summary.percent >= t),
                summary,
                outages,
            },
            incidents: mine.len(),
            by_priority: by_priority(mine.iter().filter_map(|t| t.priority)),
            mtta: TimeTo::of(&mine, ClockKind::Response),
            mttr: TimeTo::of(&mine, ClockKind::Resolution),
            response: Compliance::of(&mine, ClockKind::Response),
            resolution: Compliance::of(&mine, ClockKind::Resolution),
        });
    }

    let all: Vec<&TicketClocks> = incidents.iter().map(|(_, t)| t).collect();

    // Requests.
    let mut req_clocks: Vec<TicketClocks> = Vec::new();
    let mut requests = RequestKpi::default();
    for l in records {
        if let Record::Request(r) = &l.record {
            let Some(created) = created(&r.timeline) else {
                continue;
            };
            if !period.contains(created)
                || created > now
                || !r.service.as_ref().is_none_or(|s| wanted(s.as_str()))
            {
                continue;
            }
            if opts.service.is_some() && r.service.is_none() {
                continue;
            }
            let t = ctx.request(r, now);
            requests.count += 1;
            match t.status.as_str() {
                "rejected" => requests.rejected += 1,
                "fulfilled" | "closed" => requests.fulfilled += 1,
                _ => requests.open += 1,
            }
            if t.status != "rejected" {
                req_clocks.push(t);
            }
        }
    }
    let reqs: Vec<&TicketClocks> = req_clocks.iter().collect();
    requests.fulfillment = TimeTo::of(&reqs, ClockKind::Fulfillment);
    requests.compliance = Compliance::of(&reqs, ClockKind::Fulfillment);

    // Breaches.
    let mut breaches = Vec::new();
    for t in all.iter().copied().chain(reqs.iter().copied()) {
        for c in &t.clocks {
            if c.met() == Some(false) {
                let target = c.target.unwrap_or(0);
                breaches.push(Breach {
                    id: t.id.clone(),
                    kind: t.kind,
                    title: t.title.clone(),
                    service: t.service.clone(),
                    priority: t.priority,
                    clock: c.kind,
                    target,
                    elapsed: c.elapsed,
                    over: c.elapsed - target,
                    open: c.stopped.is_none(),
                });
            }
        }
    }

    let incident_rows: Vec<IncidentRow> = incidents
        .iter()
        .map(|(i, t)| IncidentRow {
            id: i.id.clone(),
            title: i.title.clone(),
            service: i.service.clone(),
            priority: t.priority.unwrap_or(Priority::P4),
            status: t.status.clone(),
            customer_impact: i.impact_on_customers(),
            reported_at: i.reported_at.as_jiff(),
            time_to_acknowledge: stopped_after(t, ClockKind::Response),
            time_to_resolve: stopped_after(t, ClockKind::Resolution),
            breached: t.clocks.iter().any(|c| c.met() == Some(false)),
        })
        .collect();

    let totals = Totals {
        incidents: all.len(),
        by_priority: by_priority(all.iter().filter_map(|t| t.priority)),
        mtta: TimeTo::of(&all, ClockKind::Response),
        mttr: TimeTo::of(&all, ClockKind::Resolution),
        response: Compliance::of(&all, ClockKind::Response),
        resolution: Compliance::of(&all, ClockKind::Resolution),
        breaches: breaches.len(),
        services_meeting_availability: service_kpis
            .iter()
            .filter(|s| s.availability.met == Some(true))
            .count(),
        services_with_availability_target: service_kpis
            .iter()
            .filter(|s| s.availability.target.is_some())
            .count(),
    };

    let changes = change_kpi(records, &period, &wanted);
    let releases = crate::release::kpi(records, period.from, period.to);
    let problems = problem_kpi(records, &period, now, &wanted);

    let tz = jiff::tz::db().get(&period.timezone).unwrap_or(TimeZone::UTC);
    let charts = Charts::build(&service_kpis, &incident_rows, &period, &tz);
    let title = records
        .iter()
        .find_map(|l| match &l.record {
            Record::Config(c) => c.status_page.as_ref().and_then(|s| s.title.clone()),
            _ => None,
        })
        .map(|t| t.trim_end_matches(" Status").to_string())
        .unwrap_or_else(|| "Service report".into());

    let dora = crate::dora::compute(
        records,
        &crate::dora::Options {
            from: period.from,
            to: period.to,
            now,
            git: opts.git,
        },
    );
    // The budget of the month holding the period's last measured second.
    let budget_at = period
        .measured_to
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .unwrap_or(period.measured_to)
        .max(period.from);
    let budget = crate::budget::compute(
        records,
        &crate::budget::Options {
            window: crate::budget::WindowKind::Month,
            service: opts.service,
            now: budget_at,
            timezone: &period.timezone,
        },
    )
    .ok();
    // Trends for a calendar month: the 12 months ending with it.
    let month = (period.label.len() == 7)
        .then(|| format!("{}-01", period.label).parse::<Date>().ok())
        .flatten();
    let trends = match month {
        Some(last) => crate::trends::compute(
            records,
            &crate::trends::Options {
                last,
                timezone: &period.timezone,
                now,
                service: opts.service,
                git: opts.git,
            },
        )
        .ok(),
        _ => None,
    };
    Ok(Report {
        title,
        generated_at: now,
        period,
        service_filter: opts.service.map(|s| s.parse().expect("a catalog id")),
        services: service_kpis,
        totals,
        breaches,
        incidents: incident_rows,
        changes,
        releases,
        problems,
        requests,
        charts,
        conventions: Conventions {
            partial_outage_weight: availability::PARTIAL_OUTAGE_WEIGHT,
            degraded_performance_weight: 0.0,
            text: format!(
                "Availability = 100 × (1 − weighted unplanned downtime / measured time). A major outage counts \
                 in full, a partial outage at {}%, degraded performance not at all (Atlassian Statuspage \
                 convention). Downtime inside an announced maintenance window is planned: shown, not counted. \
                 Business times follow each SLA's calendar, with pauses excluded; `1d` in a target means 24 business hours.",
                (availability::PARTIAL_OUTAGE_WEIGHT * 100.0).round()
            ),
        },
        dora,
        budget,
        trends,
    })
}

/// When a record was created: its first timeline event.
fn created<S>(timeline: &[Event<S>]) -> Option<Timestamp> {
    timeline.first().map(|e| e.at.as_jiff())
}

/// Business seconds a clock ran, once it has stopped.
fn stopped_after(t: &TicketClocks, kind: ClockKind) -> Option<i64> {
    t.clock(kind).filter(|c| c.stopped.is_some()).map(|c| c.elapsed)
}

fn change_kpi(records: &[Loaded], period: &Period, wanted: &dyn Fn(&str) -> bool) -> ChangeKpi {
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

fn problem_kpi(
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

/// Chart geometry for the HTML report (inline SVG), computed here so that
/// templates stay declarative.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Charts {
    pub availability: AvailabilityChart,
    pub weekly: WeeklyChart,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AvailabilityChart {
    pub width: u32,
    pub height: u32,
    /// Left edge of the bars (after the labels) and the bar area width.
    pub x0: u32,
    pub plot_width: u32,
    /// Lowest percent on the axis (bars start there).
    pub floor: f64,
    pub rows: Vec<AvailabilityBar>,
    pub ticks: Vec<Tick>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AvailabilityBar {
    pub label: String,
    pub percent: f64,
    pub y: u32,
    pub width: f64,
    /// x of the target marker, if any.
    pub target_x: Option<f64>,
    /// `ok` or `missed` (or `none` without a target).
    pub class: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct WeeklyChart {
    pub width: u32,
    pub height: u32,
    pub x0: u32,
    pub plot_height: u32,
    pub max: usize,
    pub weeks: Vec<WeekColumn>,
    pub y_ticks: Vec<YTick>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekColumn {
    /// Monday of the week, `YYYY-MM-DD`.
    pub label: String,
    pub x: f64,
    pub width: f64,
    pub total: usize,
    /// Stacked from the bottom: P4 first, P1 on top.
    pub bars: Vec<StackBar>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StackBar {
    pub priority: Priority,
    pub count: usize,
    pub y: f64,
    pub height: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct YTick {
    pub y: f64,
    pub label: usize,
}

impl Charts {
    fn build(services: &[ServiceKpi], incidents: &[IncidentRow], period: &Period, tz: &TimeZone) -> Charts {
        // Availability bars.
        let (width, x0, row_h) = (700u32, 150u32, 22u32);
        let plot = width - x0 - 70;
        let lowest = services
            .iter()
            .flat_map(|s| [Some(s.availability.percent), s.availability.target])
            .flatten()
            .fold(100.0f64, f64::min);
        let floor = if lowest >= 99.0 {
            99.0
        } else if lowest >= 95.0 {
            95.0
        } else {
            (lowest / 10.0).floor() * 10.0
        };
        let scale = |p: f64| round1((p - floor).max(0.0) / (100.0 - floor) * plot as f64);
        let rows = services
            .iter()
            .enumerate()
            .map(|(i, s)| AvailabilityBar {
                label: s.name.clone(),
                percent: s.availability.percent,
                y: 10 + i as u32 * row_h,
                width: scale(s.availability.percent),
                target_x: s.availability.target.map(|t| x0 as f64 + scale(t)),
                class: match s.availability.met {
                    Some(true) => "ok",
                    Some(false) => "missed",
                    None => "none",
                },
            })
            .collect::<Vec<_>>();
        let ticks = (0..=4)
            .map(|k| {
                let p = floor + (100.0 - floor) * k as f64 / 4.0;
                Tick {
                    x: x0 as f64 + scale(p),
                    label: format!("{}%", trim_float(p)),
                }
            })
            .collect();
        let availability = AvailabilityChart {
            width,
            height: 10 + rows.len() as u32 * row_h + 24,
            x0,
            plot_width: plot,
            floor,
            rows,
            ticks,
        };

        // Incidents per week (weeks start on Monday in the report's zone).
        let local = |t: Timestamp| tz.to_datetime(t).date();
        let first = local(period.from);
        let monday = |d: Date| {
            d.checked_sub(jiff::Span::new().days(d.weekday().to_monday_zero_offset() as i64))
                .unwrap_or(d)
        };
        let last = local(
            period
                .to
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap_or(period.to),
        );
        let mut weeks: Vec<(Date, [usize; 4])> = Vec::new();
        let mut w = monday(first);
        while w <= last && weeks.len() < 60 {
            weeks.push((w, [0; 4]));
            w = w
                .checked_add(jiff::Span::new().days(7))
                .unwrap_or(last.tomorrow().unwrap_or(last));
        }
        for i in incidents {
            let m = monday(local(i.reported_at));
            if let Some(slot) = weeks.iter_mut().find(|(d, _)| *d == m) {
                let p = Priority::ALL.iter().position(|p| *p == i.priority).unwrap_or(3);
                slot.1[p] += 1;
            }
        }
        let max = weeks
            .iter()
            .map(|(_, c)| c.iter().sum::<usize>())
            .max()
            .unwrap_or(0)
            .max(1);
        let (cw, ch, cx0, top) = (700u32, 200u32, 36u32, 10u32);
        let plot_h = ch - top - 30;
        let col = (cw - cx0 - 10) as f64 / weeks.len().max(1) as f64;
        let unit = plot_h as f64 / max as f64;
        let columns = weeks
            .iter()
            .enumerate()
            .map(|(k, (d, counts))| {
                let mut y = (top + plot_h) as f64;
                let mut bars = Vec::new();
                for p in (0..4).rev() {
                    if counts[p] == 0 {
                        continue;
                    }
                    let h = counts[p] as f64 * unit;
                    y -= h;
                    bars.push(StackBar {
                        priority: Priority::ALL[p],
                        count: counts[p],
                        y: round1(y),
                        height: round1(h),
                    });
                }
                WeekColumn {
                    label: d.to_string(),
                    x: round1(cx0 as f64 + col * k as f64 + col * 0.15),
                    width: round1(col * 0.7),
                    total: counts.iter().sum(),
                    bars,
                }
            })
            .collect();
        let step = (max as f64 / 4.0).ceil().max(1.0) as usize;
        let y_ticks = (0..=max)
            .step_by(step)
            .map(|v| YTick {
                y: ((top + plot_h) as f64 - v as f64 * unit).round(),
                label: v,
            })
            .collect();
        Charts {
            availability,
            weekly: WeeklyChart {
                width: cw,
                height: ch,
                x0: cx0,
                plot_height: plot_h,
                max,
                weeks: columns,
                y_ticks,
            },
        }
    }
}

/// Rounds to one decimal, as chart coordinates are written.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn trim_float(p: f64) -> String {
    let s = format!("{p:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Seconds as `26h 30m` (re-exported for templates and the CLI).
pub fn duration(secs: i64) -> String {
    fmt_secs(secs)
}

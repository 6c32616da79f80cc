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

pub mod charts;
mod kpi;
mod render;

pub use kpi::*;
pub use render::{
    is_ours, marked, render, render_in_repo, Format, RenderError, OUT_MARKER, TEMPLATE_HTML, TEMPLATE_MD,
};

use crate::availability;
use crate::model::*;
use crate::repo::Loaded;
use crate::sla::{ClockKind, SlaContext, TicketClocks};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;

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

    /// The instant whose calendar month the report's error budget covers:
    /// the period's last measured second.
    pub fn budget_at(&self) -> Timestamp {
        self.measured_to
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap_or(self.measured_to)
            .max(self.from)
    }

    /// The span of time the whole report reads, for loading only the tickets
    /// that can matter (`crate::figures::Need::Report`): the period, the
    /// error budget's month and its 3-day burn lookback, and for a calendar
    /// the 12 periods of trends, as [`build`] reads them at `now`.
    /// Generous by a day on the early side.
    pub fn needed_span(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        let day = jiff::SignedDuration::from_hours(24);
        let mut from = self.from;
        let measured = Period {
            measured_to: self.to.min(now).max(self.from),
            ..self.clone()
        };
        if let Ok((month_start, _, _)) = crate::budget::window_bounds(
            crate::budget::WindowKind::Month,
            measured.budget_at(),
            &self.timezone,
        ) {
            from = from.min(month_start.checked_sub(day * 3).unwrap_or(month_start));
        }
        if let Some(first) = crate::trends::bounds(self.trend_periods(), &self.timezone)
            .ok()
            .and_then(|b| b.first().map(|p| p.1))
        {
            from = from.min(first);
        }
        (from.checked_sub(day).unwrap_or(from), self.to)
    }

    /// The periods of the report's trends: calendar months for a monthly
    /// report, else spans of as many days as the period.
    pub fn trend_periods(&self) -> crate::trends::Periods {
        if let Some(last) = self.calendar_month() {
            return crate::trends::Periods::Months { last };
        }
        let zone = jiff::tz::db()
            .get(&self.timezone)
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let first = zone.to_datetime(self.from).date();
        let last = zone
            .to_datetime(self.to)
            .date()
            .yesterday()
            .unwrap_or(first)
            .max(first);
        crate::trends::Periods::Days { first, last }
    }

    /// The first day of the month, for a period that is one calendar month
    /// (`--period YYYY-MM`): trends cover the 12 months ending with it.
    pub fn calendar_month(&self) -> Option<Date> {
        (self.label.len() == 7)
            .then(|| format!("{}-01", self.label).parse::<Date>().ok())
            .flatten()
    }
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

    // The period's figures and the metrics (DORA, budget, trends) read the
    // records apart: each on a core of its own.
    let (figures, (dora, budget, trends)) = rayon::join(
        || period_figures(records, &ctx, &period, now, opts.service),
        || {
            metrics(
                records,
                &period,
                MetricsOptions {
                    service: opts.service,
                    now,
                    git: opts.git,
                },
            )
        },
    );
    Ok(Report {
        title: figures.title,
        generated_at: now,
        period,
        service_filter: opts.service.map(|s| s.parse().expect("a catalog id")),
        services: figures.services,
        totals: figures.totals,
        breaches: figures.breaches,
        incidents: figures.incidents,
        changes: figures.changes,
        releases: figures.releases,
        problems: figures.problems,
        requests: figures.requests,
        conventions: Conventions::stated(),
        dora,
        budget,
        trends,
    })
}

/// What the report says of its period alone (the metrics apart).
struct PeriodFigures {
    title: String,
    services: Vec<ServiceKpi>,
    totals: Totals,
    breaches: Vec<Breach>,
    incidents: Vec<IncidentRow>,
    changes: ChangeKpi,
    releases: crate::release::ReleaseKpi,
    problems: ProblemKpi,
    requests: RequestKpi,
}

fn period_figures(
    records: &[Loaded],
    ctx: &SlaContext<'_>,
    period: &Period,
    now: Timestamp,
    service: Option<&str>,
) -> PeriodFigures {
    let wanted = |s: &str| service.is_none_or(|w| w == s);
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

    let service_kpis = service_kpis(records, ctx, period, now, &incidents, &wanted);
    let all: Vec<&TicketClocks> = incidents.iter().map(|(_, t)| t).collect();
    let (requests, req_clocks) = request_kpi(records, ctx, period, now, service);
    let reqs: Vec<&TicketClocks> = req_clocks.iter().collect();
    let breaches = breaches(all.iter().copied().chain(reqs.iter().copied()));
    let incident_rows: Vec<IncidentRow> = incidents.iter().map(|(i, t)| incident_row(i, t)).collect();
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
    let changes = change_kpi(records, period, &wanted);
    let releases = crate::release::kpi(records, period.from, period.to);
    let problems = problem_kpi(records, period, now, &wanted);
    let title = records
        .iter()
        .find_map(|l| match &l.record {
            Record::Config(c) => c.status_page.as_ref().and_then(|s| s.title.clone()),
            _ => None,
        })
        .map(|t| t.trim_end_matches(" Status").to_string())
        .unwrap_or_else(|| "Service report".into());
    PeriodFigures {
        title,
        services: service_kpis,
        totals,
        breaches,
        incidents: incident_rows,
        changes,
        releases,
        problems,
        requests,
    }
}

struct MetricsOptions<'a> {
    service: Option<&'a str>,
    now: Timestamp,
    git: Option<&'a crate::dora::GitHistory>,
}

/// The report's DORA keys, error budgets and (for a calendar month) trends.
fn metrics(
    records: &[Loaded],
    period: &Period,
    opts: MetricsOptions<'_>,
) -> (
    crate::dora::Dora,
    Option<crate::budget::Budgets>,
    Option<crate::trends::Trends>,
) {
    let dora = crate::dora::compute(
        records,
        &crate::dora::Options {
            from: period.from,
            to: period.to,
            now: opts.now,
            git: opts.git,
            service: opts.service,
        },
    );
    let budget = crate::budget::compute(
        records,
        &crate::budget::Options {
            window: crate::budget::WindowKind::Month,
            service: opts.service,
            now: period.budget_at(),
            timezone: &period.timezone,
        },
    )
    .ok();
    let trends = {
        let periods = period.trend_periods();
        crate::trends::compute(
            records,
            &crate::trends::Options {
                periods,
                timezone: &period.timezone,
                now: opts.now,
                service: opts.service,
                git: opts.git,
            },
        )
        .ok()
    };
    (dora, budget, trends)
}

impl Conventions {
    fn stated() -> Conventions {
        Conventions {
            partial_outage_weight: availability::PARTIAL_OUTAGE_WEIGHT,
            degraded_performance_weight: 0.0,
            text: format!(
                "Availability = 100 × (1 − weighted unplanned downtime / measured time). A major outage counts \
                 in full, a partial outage at {}%, degraded performance not at all (Atlassian Statuspage \
                 convention). Downtime inside an announced maintenance window is planned: shown, not counted. \
                 Business times follow each SLA's calendar, with pauses excluded; `1d` in a target means 24 business hours.",
                (availability::PARTIAL_OUTAGE_WEIGHT * 100.0).round()
            ),
        }
    }
}

/// The listed services by tier then id, each with its availability and the
/// KPIs of its incidents of the period.
fn service_kpis(
    records: &[Loaded],
    ctx: &SlaContext<'_>,
    period: &Period,
    now: Timestamp,
    incidents: &[(&Incident, TicketClocks)],
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<ServiceKpi> {
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
    let mut out = Vec::new();
    let by_service = availability::ByService::new(records);
    for s in &services {
        let sla = ctx.sla_of(s.id.as_str());
        let segs = by_service.states(s.id.as_str(), period.from, period.measured_to, now);
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
        out.push(ServiceKpi {
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
    out
}

/// Requests created in the period, and the clocks of those not rejected.
fn request_kpi(
    records: &[Loaded],
    ctx: &SlaContext<'_>,
    period: &Period,
    now: Timestamp,
    service: Option<&str>,
) -> (RequestKpi, Vec<TicketClocks>) {
    let wanted = |s: &str| service.is_none_or(|w| w == s);
    let mut req_clocks: Vec<TicketClocks> = Vec::new();
    let mut requests = RequestKpi::default();
    for l in records {
        let Record::Request(r) = &l.record else { continue };
        let Some(created) = created(&r.timeline) else {
            continue;
        };
        if !period.contains(created)
            || created > now
            || !r.service.as_ref().is_none_or(|s| wanted(s.as_str()))
        {
            continue;
        }
        if service.is_some() && r.service.is_none() {
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
    let reqs: Vec<&TicketClocks> = req_clocks.iter().collect();
    requests.fulfillment = TimeTo::of(&reqs, ClockKind::Fulfillment);
    requests.compliance = Compliance::of(&reqs, ClockKind::Fulfillment);
    (requests, req_clocks)
}

/// Every missed target of these tickets.
fn breaches<'a>(tickets: impl Iterator<Item = &'a TicketClocks>) -> Vec<Breach> {
    let mut out = Vec::new();
    for t in tickets {
        for c in &t.clocks {
            if c.met() == Some(false) {
                let target = c.target.unwrap_or(0);
                out.push(Breach {
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
    out
}

fn incident_row(i: &Incident, t: &TicketClocks) -> IncidentRow {
    IncidentRow {
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
    }
}

/// Seconds as `26h 30m` (the one format: [`crate::templating::duration`]).
pub fn duration(secs: i64) -> String {
    crate::templating::duration(secs)
}

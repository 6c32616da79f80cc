//! Trends for continual improvement (SPEC §4): each headline KPI over the
//! last 12 periods ending with the report's — calendar months for a monthly
//! report, spans of as many days for a `--from/--to` one — and its change
//! against the previous period. The report shows a sparkline per KPI in
//! HTML and the series in JSON (`trends`).
//!
//! The monthly figures are computed with the same functions the report
//! uses for one period: availability from [`crate::availability`] (business
//! hours where the SLA says so), clocks from [`crate::sla`], the DORA keys
//! from [`crate::dora`]. Months are calendar months in the repo's time
//! zone; the current month is measured up to `now`.

use crate::availability;
use crate::dora::{self, GitHistory};
use crate::model::Record;
use crate::repo::Loaded;
use crate::sla::{ClockKind, SlaContext};
use jiff::civil::Date;
use jiff::Timestamp;
use rayon::prelude::*;
use serde::Serialize;

/// How many months a series holds.
pub const MONTHS: usize = 12;

/// Which way is better for a KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

/// How the last month compares with the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Better,
    Worse,
    Same,
}

/// One KPI over the months.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub key: String,
    pub label: String,
    /// `count`, `percent`, `seconds` or `per_week`.
    pub unit: String,
    pub better: Better,
    /// One value per month, oldest first (`None`: nothing to measure).
    pub values: Vec<Option<f64>>,
    pub current: Option<f64>,
    pub previous: Option<f64>,
    /// `current − previous`.
    pub change: Option<f64>,
    pub direction: Option<Direction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trends {
    /// `month` or `days`.
    pub period: &'static str,
    /// The periods' labels, oldest first: `YYYY-MM`, or `YYYY-MM-DD – YYYY-MM-DD`.
    pub periods: Vec<String>,
    /// The same labels for a monthly series (kept for templates and
    /// consumers written before `periods`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<String>,
    pub series: Vec<Series>,
}

/// The periods of a series, named by the last one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Periods {
    /// Calendar months ending with this one (any day of it).
    Months { last: Date },
    /// Spans of `first..=last`'s length ending with it.
    Days { first: Date, last: Date },
}

/// The 12 periods `[from, to)` with their labels, oldest first.
pub fn bounds(periods: Periods, timezone: &str) -> Result<Vec<(String, Timestamp, Timestamp)>, String> {
    let zone = jiff::tz::db()
        .get(timezone)
        .map_err(|_| format!("`{timezone}` is not a known IANA time zone"))?;
    let at = |d: Date| -> Result<Timestamp, String> {
        zone.to_ambiguous_timestamp(d.at(0, 0, 0, 0))
            .compatible()
            .map_err(|e| e.to_string())
    };
    let mut out = Vec::with_capacity(MONTHS);
    for k in (0..MONTHS as i64).rev() {
        let (first, next, label) = match periods {
            Periods::Months { last } => {
                let first = last
                    .first_of_month()
                    .checked_sub(jiff::Span::new().months(k))
                    .map_err(|e| e.to_string())?;
                let next = first.last_of_month().tomorrow().map_err(|e| e.to_string())?;
                (first, next, first.strftime("%Y-%m").to_string())
            }
            Periods::Days { first, last } => {
                let n = (last - first).get_days() as i64 + 1;
                let start = first
                    .checked_sub(jiff::Span::new().days(n * k))
                    .map_err(|e| e.to_string())?;
                let end = start
                    .checked_add(jiff::Span::new().days(n - 1))
                    .map_err(|e| e.to_string())?;
                (
                    start,
                    end.tomorrow().map_err(|e| e.to_string())?,
                    format!("{start} – {end}"),
                )
            }
        };
        out.push((label, at(first)?, at(next)?));
    }
    Ok(out)
}

/// Inputs of [`compute`].
pub struct Options<'a> {
    /// The periods of the series.
    pub periods: Periods,
    pub timezone: &'a str,
    pub now: Timestamp,
    pub service: Option<&'a str>,
    pub git: Option<&'a GitHistory>,
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2] as f64),
        _ => Some((v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0),
    }
}

/// Computes the series. Records are read as they stood at `now`.
pub fn compute(records: &[Loaded], opts: &Options<'_>) -> Result<Trends, String> {
    let bounds = bounds(opts.periods, opts.timezone)?;
    let now = opts.now;
    let records = availability::records_as_of(records, now);
    let records: &[Loaded] = &records;
    let ctx = SlaContext::new(records);
    let wanted = |s: &str| opts.service.is_none_or(|w| w == s);

    // Availability, the incidents' clocks and DORA read the records apart:
    // each on a core of its own.
    let spans: Vec<(Timestamp, Timestamp)> = bounds.iter().map(|(_, a, b)| (*a, *b)).collect();
    let ((availability, meeting), (figures, doras)) = rayon::join(
        || availability_by_period(records, &ctx, &bounds, &wanted, now),
        || {
            rayon::join(
                || incidents_by_period(records, &ctx, &bounds, &wanted, now),
                || {
                    dora::compute_periods(
                        records,
                        &spans,
                        &dora::Options {
                            from: spans[0].0,
                            to: spans[spans.len() - 1].1,
                            now,
                            git: opts.git,
                            service: opts.service,
                        },
                    )
                },
            )
        },
    );
    let IncidentFigures {
        incidents,
        mttr,
        resolution,
    } = figures;

    let series = all_series(
        IncidentFigures {
            incidents,
            mttr,
            resolution,
        },
        &availability,
        &meeting,
        &doras,
    );
    Ok(Trends {
        period: match opts.periods {
            Periods::Months { .. } => "month",
            Periods::Days { .. } => "days",
        },
        months: match opts.periods {
            Periods::Months { .. } => bounds.iter().map(|(l, _, _)| l.clone()).collect(),
            Periods::Days { .. } => Vec::new(),
        },
        periods: bounds.into_iter().map(|(l, _, _)| l).collect(),
        series,
    })
}

/// Each period's availability per service (one sweep per service over the
/// whole span), and how many services met their target of how many had one.
#[allow(clippy::type_complexity)]
fn availability_by_period(
    records: &[Loaded],
    ctx: &SlaContext<'_>,
    bounds: &[(String, Timestamp, Timestamp)],
    wanted: &dyn Fn(&str) -> bool,
    now: Timestamp,
) -> (Vec<Vec<f64>>, Vec<(usize, usize)>) {
    let (start, end) = (bounds[0].1, bounds[MONTHS - 1].2.min(now));
    let mut availability: Vec<Vec<f64>> = vec![Vec::new(); MONTHS];
    let mut meeting: Vec<(usize, usize)> = vec![(0, 0); MONTHS];
    let by_service = availability::ByService::new(records);
    for l in records {
        let Record::Service(s) = &l.record else { continue };
        if !wanted(s.id.as_str()) {
            continue;
        }
        let sla = ctx.sla_of(s.id.as_str());
        let hours = availability::counted_hours(sla, ctx.calendar_of(sla));
        let segs = by_service.states(s.id.as_str(), start, end.max(start), now);
        for (k, (_, a, b)) in bounds.iter().enumerate() {
            let b = (*b).min(now);
            if b <= *a {
                continue;
            }
            let sum = availability::summarize_range(&segs, *a, b, hours);
            availability[k].push(sum.percent);
            if let Some(t) = sla.and_then(|x| x.availability) {
                meeting[k].1 += 1;
                if sum.percent >= t {
                    meeting[k].0 += 1;
                }
            }
        }
    }

    (availability, meeting)
}

/// Incidents reported in each period and their resolution clocks.
struct IncidentFigures {
    incidents: [usize; MONTHS],
    mttr: Vec<Vec<i64>>,
    /// (met, breached) resolution targets.
    resolution: Vec<(usize, usize)>,
}

fn incidents_by_period(
    records: &[Loaded],
    ctx: &SlaContext<'_>,
    bounds: &[(String, Timestamp, Timestamp)],
    wanted: &(dyn Fn(&str) -> bool + Sync),
    now: Timestamp,
) -> IncidentFigures {
    let end = bounds[MONTHS - 1].2.min(now);
    // Each incident's clocks are the costliest step of the trends: taken on
    // every core, each worker counting into figures of its own, summed at
    // the end (a median does not depend on the order of its values).
    records
        .par_iter()
        .fold(IncidentFigures::empty, |mut acc, l| {
            let Record::Incident(i) = &l.record else {
                return acc;
            };
            let t = i.reported_at.as_jiff();
            // Reported after `now` (in the last period): not yet. Before the
            // first period or after the last: no period holds it.
            if !wanted(i.service.as_str()) || t >= end {
                return acc;
            }
            let Some(k) = bounds.iter().position(|(_, a, b)| *a <= t && t < *b) else {
                return acc;
            };
            acc.incidents[k] += 1;
            let clocks = ctx.incident(i, now);
            if let Some(c) = clocks.clock(ClockKind::Resolution) {
                if c.stopped.is_some() {
                    acc.mttr[k].push(c.elapsed);
                }
                if c.target.is_some() {
                    match c.met() {
                        Some(true) => acc.resolution[k].0 += 1,
                        Some(false) => acc.resolution[k].1 += 1,
                        None => {}
                    }
                }
            }
            acc
        })
        .reduce(IncidentFigures::empty, IncidentFigures::add)
}

impl IncidentFigures {
    fn empty() -> IncidentFigures {
        IncidentFigures {
            incidents: [0; MONTHS],
            mttr: vec![Vec::new(); MONTHS],
            resolution: vec![(0, 0); MONTHS],
        }
    }

    fn add(mut self, other: IncidentFigures) -> IncidentFigures {
        for k in 0..MONTHS {
            self.incidents[k] += other.incidents[k];
            self.mttr[k].extend_from_slice(&other.mttr[k]);
            self.resolution[k].0 += other.resolution[k].0;
            self.resolution[k].1 += other.resolution[k].1;
        }
        self
    }
}

/// Every series, in the order the report shows them.
fn all_series(
    figures: IncidentFigures,
    availability: &[Vec<f64>],
    meeting: &[(usize, usize)],
    doras: &[dora::Dora],
) -> Vec<Series> {
    let IncidentFigures {
        incidents,
        mttr,
        resolution,
    } = figures;
    let pct = |(met, total): (usize, usize)| (total > 0).then(|| 100.0 * met as f64 / total as f64);
    let mut series = vec![
        series_of(
            "incidents",
            "Incidents",
            "count",
            Better::Lower,
            incidents.iter().map(|&n| Some(n as f64)).collect(),
        ),
        series_of(
            "mttr",
            "MTTR (business, median)",
            "seconds",
            Better::Lower,
            mttr.into_iter().map(median).collect(),
        ),
        series_of(
            "resolution_compliance",
            "Resolved within SLA",
            "percent",
            Better::Higher,
            resolution.iter().map(|&(m, b)| pct((m, m + b))).collect(),
        ),
        series_of(
            "availability",
            "Availability (mean over services)",
            "percent",
            Better::Higher,
            availability
                .iter()
                .map(|v| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64))
                .collect(),
        ),
        series_of(
            "services_meeting_availability",
            "Services meeting their availability target",
            "percent",
            Better::Higher,
            meeting.iter().map(|&m| pct(m)).collect(),
        ),
    ];
    series.push(series_of(
        "deployments_per_week",
        "Deployments per week",
        "per_week",
        Better::Higher,
        doras
            .iter()
            .map(|d| (d.deployment_frequency.days > 0.0).then_some(d.deployment_frequency.per_week))
            .collect(),
    ));
    series.push(series_of(
        "lead_time",
        "Lead time for changes (median)",
        "seconds",
        Better::Lower,
        doras
            .iter()
            .map(|d| d.lead_time.median_seconds.map(|s| s as f64))
            .collect(),
    ));
    series.push(series_of(
        "change_failure_rate",
        "Change failure rate",
        "percent",
        Better::Lower,
        doras
            .iter()
            .map(|d| d.change_failure_rate.rate.map(|r| 100.0 * r))
            .collect(),
    ));
    series.push(series_of(
        "recovery_time",
        "Failed-deployment recovery time (median)",
        "seconds",
        Better::Lower,
        doras
            .iter()
            .map(|d| d.recovery_time.median_seconds.map(|s| s as f64))
            .collect(),
    ));
    series
}

fn series_of(key: &str, label: &str, unit: &str, better: Better, values: Vec<Option<f64>>) -> Series {
    let current = values.last().copied().flatten();
    let previous = values.len().checked_sub(2).and_then(|i| values[i]);
    let change = current.zip(previous).map(|(c, p)| c - p);
    let direction = change.map(|d| {
        if d.abs() < 1e-9 {
            Direction::Same
        } else if (d > 0.0) == (better == Better::Higher) {
            Direction::Better
        } else {
            Direction::Worse
        }
    });
    Series {
        key: key.to_string(),
        label: label.to_string(),
        unit: unit.to_string(),
        better,
        values,
        current,
        previous,
        change,
        direction,
    }
}

/// The points of an SVG polyline drawing `values` in a `width × height` box
/// (gaps for `None` split nothing: they are skipped). Used by the HTML
/// report's sparklines; the JSON keeps the numbers.
pub fn sparkline_points(values: &[Option<f64>], width: f64, height: f64) -> String {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    if present.is_empty() {
        return String::new();
    }
    let (lo, hi) = present
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.map(|v| {
                let x = i as f64 * step;
                let y = height - 1.0 - (v - lo) / span * (height - 2.0);
                format!("{x:.1},{y:.1}")
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::ClockKind;

    const HEAD: &[(&str, &str)] = &[
        ("gitsm.yaml", "apiVersion: gitsm/v1\nkind: Config\ntimezone: UTC\n"),
        (
            "calendars/always.yaml",
            "apiVersion: gitsm/v1\nkind: Calendar\nid: always\ntimezone: UTC\nhours:\n  mon-sun: \"00:00-24:00\"\n",
        ),
        (
            "slas/s.yaml",
            "apiVersion: gitsm/v1\nkind: SLA\nid: s\nname: S\ncalendar: always\ntargets:\n  P1: {response: 30m, resolution: 8h}\n  P2: {response: 1h, resolution: 1d}\n  P3: {response: 4h, resolution: 5d}\n  P4: {response: 1d, resolution: 2w}\n",
        ),
        (
            "catalog/web.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Web\nowner: al\ntier: 1\nsla: s\n",
        ),
        (
            "catalog/api.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: Api\nowner: al\ntier: 1\nsla: s\n",
        ),
    ];

    /// Incident `n` of the test's year: ~250 a month, resolved after 1 to
    /// 40 hours (within their 1 day target or not), every 97th still open,
    /// every seventh on another service, every 50th a year early, every
    /// 101st at midnight on the first of its month.
    fn incident(n: u32) -> String {
        let day = n % 360;
        let (month, dom) = (day / 30 + 1, day % 28 + 1);
        let year = if n % 50 == 1 { 2024 } else { 2025 };
        let service = if n % 7 == 3 { "api" } else { "web" };
        // Every 101st at a month's first instant: it belongs to that month.
        let (dom, hour) = if n % 101 == 5 { (1, 0) } else { (dom, 8) };
        let at: Timestamp = format!("{year}-{month:02}-{dom:02}T{hour:02}:00:00Z")
            .parse()
            .unwrap();
        let open = n.is_multiple_of(97);
        let status = if open { "investigating" } else { "resolved" };
        let last = if open {
            at.checked_add(jiff::SignedDuration::from_mins(10)).unwrap()
        } else {
            at.checked_add(jiff::SignedDuration::from_hours(i64::from(n % 40 + 1)))
                .unwrap()
        };
        format!(
            "apiVersion: gitsm/v1\nkind: Incident\nid: INC-{n}\ntitle: t\nservice: {service}\nimpact: medium\nurgency: medium\npriority: P2\nstatus: {status}\nreported_at: {at}\nreported_by: al\ntimeline:\n  - at: {at}\n    by: al\n    status: new\n  - at: {last}\n    by: al\n    status: {status}\n"
        )
    }

    /// Many incidents over the year, counted on every core, give exactly
    /// what one plain pass gives: the per-worker sums and the medians'
    /// values are merged, not lost or counted twice, and only the wanted
    /// service's incidents of the periods, reported by `now`, count.
    #[test]
    fn incidents_by_period_sums_what_each_worker_counted() {
        let texts: Vec<(String, String)> = HEAD
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .chain((0..3000).map(|n| (format!("incidents/INC-{n}.yaml"), incident(n))))
            .collect();
        let mut source = crate::repo::MapSource::new();
        for (p, t) in &texts {
            source.add(p, t.as_bytes());
        }
        let snapshot = crate::repo::load(&source).unwrap();
        let records = &snapshot.records;
        let incidents = records
            .iter()
            .filter(|l| matches!(l.record, Record::Incident(_)))
            .count();
        assert_eq!(incidents, 3000, "{:?}", snapshot.findings.first());
        // `now` in the last period: its later incidents do not count yet.
        let now: Timestamp = "2025-12-15T00:00:00Z".parse().unwrap();
        let last = jiff::civil::date(2025, 12, 1);
        let bounds = bounds(Periods::Months { last }, "UTC").unwrap();
        let ctx = SlaContext::new(records);
        let web = |s: &str| s == "web";
        let got = incidents_by_period(records, &ctx, &bounds, &web, now);

        // One plain pass.
        let mut want = IncidentFigures::empty();
        let (mut early, mut late, mut other) = (0, 0, 0);
        for l in records {
            let Record::Incident(i) = &l.record else { continue };
            let t = i.reported_at.as_jiff();
            if i.service.as_str() != "web" {
                other += 1;
                continue;
            }
            if t < bounds[0].1 {
                early += 1;
                continue;
            }
            if t >= now {
                late += 1;
                continue;
            }
            let k = bounds.iter().position(|(_, a, b)| *a <= t && t < *b).unwrap();
            want.incidents[k] += 1;
            let clocks = ctx.incident(i, now);
            let c = clocks.clock(ClockKind::Resolution).unwrap();
            if c.stopped.is_some() {
                want.mttr[k].push(c.elapsed);
            }
            match c.met() {
                Some(true) => want.resolution[k].0 += 1,
                Some(false) => want.resolution[k].1 += 1,
                None => {}
            }
        }
        assert!(
            early > 0 && late > 0 && other > 0,
            "{early} early, {late} late, {other} other"
        );
        assert_eq!(got.incidents, want.incidents);
        let counted: usize = got.incidents.iter().sum();
        assert_eq!(counted, 3000 - early - late - other);
        assert_eq!(got.resolution, want.resolution);
        assert!(want
            .resolution
            .iter()
            .all(|(met, missed)| *met > 0 && *missed > 0));
        for k in 0..MONTHS {
            let (mut a, mut b) = (got.mttr[k].clone(), want.mttr[k].clone());
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "month {k}");
        }
    }
}

//! Error budgets (SPEC §4): how much unplanned downtime a service's SLA
//! availability target allows in a window, how much of it is gone, how fast
//! it is going, and when it runs out. `gitsm budget`, the report's budget
//! section and the gate's `budget_freeze` (SPEC §3 rule 5) all read
//! [`compute`].
//!
//! Every figure comes from the one availability implementation
//! ([`crate::availability`]): the same service states, the same weights
//! (`partial_outage` counts 30 %), planned maintenance never consumed, and,
//! when the SLA says `availability_hours: business`, only the SLA
//! calendar's working hours counted — in the budget and the downtime alike.
//!
//! Definitions (seconds are *counted* seconds: wall time, or business time
//! for a business-hours SLA):
//! - **window**: the calendar month containing `now` in the repo's time zone
//!   (`month`), or the `28d`/`30d` ending at `now` (rolling);
//! - **budget** = (1 − target/100) × the window's counted time (the whole
//!   month, not only its elapsed part, so the budget is a fixed amount that
//!   only downtime consumes);
//! - **consumed**: weighted unplanned downtime from the window's start to
//!   `now`; **remaining** = budget − consumed (negative once overspent);
//! - **spent**: some downtime was consumed and nothing remains;
//! - **burn rate** over the last 1 h, 6 h, 24 h and 3 d: the downtime share
//!   of the counted time in that lookback ÷ (1 − target/100). 1 spends the
//!   budget exactly over the window; 14.4 over 1 h is the classic page.
//!   `None` when the lookback holds no counted time (a night, for business
//!   hours) or the target is 100 %;
//! - **projected exhaustion**: `now` plus remaining ÷ the average rate of
//!   consumption so far in the window (counted time, so for business hours
//!   the date falls in working hours); `None` when nothing is consumed yet
//!   or it is already spent.

use crate::availability::{self, TimeByState};
use crate::calendar::BusinessCalendar;
use crate::model::{AvailabilityHours, Id, Record};
use crate::repo::Loaded;
use crate::sla::SlaContext;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;

/// The lookbacks burn rates are computed over: (label, seconds).
pub const BURN_WINDOWS: [(&str, i64); 4] = [
    ("1h", 3600),
    ("6h", 6 * 3600),
    ("24h", 24 * 3600),
    ("3d", 3 * 86400),
];

/// Which window a budget covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WindowKind {
    /// The calendar month containing `now`.
    #[serde(rename = "month")]
    Month,
    /// The 28 days ending at `now`.
    #[serde(rename = "28d")]
    Rolling28,
    /// The 30 days ending at `now`.
    #[serde(rename = "30d")]
    Rolling30,
}

impl WindowKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "month" => WindowKind::Month,
            "28d" => WindowKind::Rolling28,
            "30d" => WindowKind::Rolling30,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Month => "month",
            WindowKind::Rolling28 => "28d",
            WindowKind::Rolling30 => "30d",
        }
    }
}

/// Inputs of [`compute`].
#[derive(Debug, Clone)]
pub struct Options<'a> {
    pub window: WindowKind,
    /// Only this service.
    pub service: Option<&'a str>,
    pub now: Timestamp,
    /// IANA time zone months are taken in (the repo's `timezone`).
    pub timezone: &'a str,
}

/// The budgets of every service with an availability target.
#[derive(Debug, Clone, Serialize)]
pub struct Budgets {
    pub generated_at: Timestamp,
    pub window: WindowKind,
    pub timezone: String,
    /// `[from, to)` of the window; for a rolling window `to` is `now`.
    pub from: Timestamp,
    pub to: Timestamp,
    /// `2026-11` for a month, `28d`/`30d` otherwise.
    pub label: String,
    pub services: Vec<ServiceBudget>,
}

/// One service's error budget.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceBudget {
    pub service: Id,
    pub name: String,
    pub sla: Id,
    /// Availability target in percent.
    pub target: f64,
    /// Which hours count.
    pub hours: AvailabilityHours,
    /// The SLA's calendar (whose working hours count for `business`).
    pub calendar: String,
    /// Counted seconds of the whole window.
    pub window_seconds: i64,
    /// Counted seconds from the window's start to `now`.
    pub elapsed_seconds: i64,
    pub budget_seconds: f64,
    pub consumed_seconds: f64,
    /// Budget − consumed; negative once overspent.
    pub remaining_seconds: f64,
    /// Remaining ÷ budget × 100 (0 with no budget at all).
    pub remaining_percent: f64,
    pub spent: bool,
    /// Availability over the elapsed part of the window (the report's figure).
    pub availability_percent: f64,
    /// The downtime behind `consumed`, per kind, over the elapsed window.
    pub summary: TimeByState,
    pub burn_rates: Vec<BurnRate>,
    /// When the budget runs out at the window's average rate so far.
    pub projected_exhaustion: Option<Timestamp>,
    /// For a calendar month: whether that is before the month ends (when
    /// the budget starts afresh). `None` for rolling windows and when
    /// there is no projection.
    pub exhausts_before_reset: Option<bool>,
}

/// Consumption over one lookback.
#[derive(Debug, Clone, Serialize)]
pub struct BurnRate {
    /// `1h`, `6h`, `24h`, `3d`.
    pub window: String,
    pub seconds: i64,
    /// Counted seconds inside the lookback.
    pub counted_seconds: i64,
    pub consumed_seconds: f64,
    pub rate: Option<f64>,
}

/// The window `[from, to)` and its label.
pub fn window_bounds(
    kind: WindowKind,
    now: Timestamp,
    timezone: &str,
) -> Result<(Timestamp, Timestamp, String), String> {
    match kind {
        WindowKind::Month => {
            let zone = jiff::tz::db()
                .get(timezone)
                .map_err(|_| format!("`{timezone}` is not a known IANA time zone"))?;
            let today = zone.to_datetime(now).date();
            let first = today.first_of_month();
            let next = first.last_of_month().tomorrow().map_err(|e| e.to_string())?;
            let at = |d: Date| -> Result<Timestamp, String> {
                zone.to_ambiguous_timestamp(d.at(0, 0, 0, 0))
                    .compatible()
                    .map_err(|e| e.to_string())
            };
            Ok((at(first)?, at(next)?, first.strftime("%Y-%m").to_string()))
        }
        WindowKind::Rolling28 | WindowKind::Rolling30 => {
            let days = if kind == WindowKind::Rolling28 { 28 } else { 30 };
            let from = now
                .checked_sub(jiff::SignedDuration::from_hours(24 * days))
                .map_err(|e| e.to_string())?;
            Ok((from, now, kind.as_str().to_string()))
        }
    }
}

/// Computes the budgets. Records are read as they stood at `now`.
pub fn compute(records: &[Loaded], opts: &Options<'_>) -> Result<Budgets, String> {
    let (from, to, label) = window_bounds(opts.window, opts.now, opts.timezone)?;
    // Nothing over before the window, or its burn-rate look-backs, began
    // (the CLI's own screen, `figures::Need::Window`, reads the same span).
    let since = from
        .min(opts.now)
        .checked_sub(jiff::SignedDuration::from_hours(96))
        .map_err(|e| e.to_string())?;
    let records = availability::records_as_of_where(records, opts.now, |r| may_count(r, since));
    let records: &[Loaded] = &records;
    let ctx = SlaContext::new(records);
    if let Some(s) = opts.service {
        let Some(svc) = ctx.service(s) else {
            return Err(format!("no service `{s}` in the catalog"));
        };
        if ctx.sla_of(svc.id.as_str()).and_then(|x| x.availability).is_none() {
            return Err(format!(
                "service `{s}` has no availability target (its SLA needs `availability:`), so it has no error budget"
            ));
        }
    }
    let mut services: Vec<(&Id, &str, Option<u8>)> = records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) if opts.service.is_none_or(|w| w == s.id.as_str()) => {
                Some((&s.id, s.name.as_str(), s.tier))
            }
            _ => None,
        })
        .collect();
    services.sort_by(|a, b| a.2.unwrap_or(9).cmp(&b.2.unwrap_or(9)).then(a.0.cmp(b.0)));
    let mut out = Vec::new();
    let by_service = availability::ByService::new(records);
    for (id, name, _) in services {
        let Some(sla) = ctx.sla_of(id.as_str()) else {
            continue;
        };
        let Some(target) = sla.availability else { continue };
        let calendar = ctx.calendar_of(Some(sla));
        out.push(service_budget(
            &by_service,
            ServiceInput {
                id,
                name,
                sla: &sla.id,
                target,
                hours: availability::counted_hours(Some(sla), calendar),
                calendar,
            },
            (from, to),
            opts,
        ));
    }
    Ok(Budgets {
        generated_at: opts.now,
        window: opts.window,
        timezone: opts.timezone.to_string(),
        from,
        to,
        label,
        services: out,
    })
}

/// Whether a record can count in budgets over time from `since` on: not a
/// ticket (the catalog, SLAs, calendars), an incident with customer impact
/// that has an instant from `since` on or is not resolved by its last
/// event, or a maintenance change whose window ends from `since` on.
/// Anything else lies wholly before `since` or never consumes a budget.
fn may_count(r: &Record, since: Timestamp) -> bool {
    use crate::model::{CustomerImpact, IncidentStatus};
    match r {
        Record::Incident(i) => {
            let recent =
                i.reported_at.as_jiff() >= since || i.timeline.iter().any(|e| e.at.as_jiff() >= since);
            let over = matches!(
                availability::status_as_of(&i.timeline, Timestamp::MAX),
                Some(IncidentStatus::Resolved | IncidentStatus::Closed)
            );
            i.impact_on_customers() != CustomerImpact::None && (recent || !over)
        }
        Record::Change(c) => c.maintenance && c.window.as_ref().is_some_and(|w| w.end.as_jiff() >= since),
        Record::Problem(_) | Record::Request(_) | Record::Release(_) => false,
        _ => true,
    }
}

struct ServiceInput<'a> {
    id: &'a Id,
    name: &'a str,
    sla: &'a Id,
    target: f64,
    /// `Some` when only business hours count.
    hours: Option<&'a BusinessCalendar>,
    calendar: &'a BusinessCalendar,
}

fn counted(hours: Option<&BusinessCalendar>, from: Timestamp, to: Timestamp) -> i64 {
    match hours {
        Some(cal) => cal.between(from, to),
        None => (to.as_second() - from.as_second()).max(0),
    }
}

fn service_budget(
    by_service: &availability::ByService<'_>,
    s: ServiceInput<'_>,
    (from, to): (Timestamp, Timestamp),
    opts: &Options<'_>,
) -> ServiceBudget {
    let now = opts.now;
    let elapsed_to = now.min(to).max(from);
    let longest = BURN_WINDOWS.iter().map(|w| w.1).max().unwrap_or(0);
    let look_from = now
        .checked_sub(jiff::SignedDuration::from_secs(longest))
        .unwrap_or(from)
        .min(from);
    // One sweep over everything any figure needs; each figure clips it.
    let segs = by_service.states(s.id.as_str(), look_from, now.max(from), now);
    let summary = availability::summarize_range(&segs, from, elapsed_to, s.hours);
    let allowed = (1.0 - s.target / 100.0).max(0.0);
    let window_seconds = counted(s.hours, from, to);
    let budget = allowed * window_seconds as f64;
    let consumed = summary.weighted_downtime;
    let remaining = budget - consumed;
    let spent = consumed > 0.0 && remaining <= 0.0;
    let burn_rates = BURN_WINDOWS
        .iter()
        .map(|&(label, secs)| {
            let a = now
                .checked_sub(jiff::SignedDuration::from_secs(secs))
                .unwrap_or(now);
            let part = availability::summarize_range(&segs, a, now, s.hours);
            let rate = (part.measured > 0 && allowed > 0.0)
                .then(|| part.weighted_downtime / part.measured as f64 / allowed);
            BurnRate {
                window: label.to_string(),
                seconds: secs,
                counted_seconds: part.measured,
                consumed_seconds: part.weighted_downtime,
                rate,
            }
        })
        .collect();
    let projected_exhaustion = if consumed > 0.0 && remaining > 0.0 && summary.measured > 0 {
        let per_second = consumed / summary.measured as f64;
        let left = (remaining / per_second).ceil();
        // Beyond a century is "never" for any purpose.
        if left < 100.0 * 365.0 * 86400.0 {
            let left = left as i64;
            match s.hours {
                Some(cal) => cal.add(now, left),
                None => now.checked_add(jiff::SignedDuration::from_secs(left)).ok(),
            }
        } else {
            None
        }
    } else {
        None
    };
    let exhausts_before_reset = match (opts.window, projected_exhaustion) {
        (WindowKind::Month, Some(t)) => Some(t < to),
        _ => None,
    };
    ServiceBudget {
        service: s.id.clone(),
        name: s.name.to_string(),
        sla: s.sla.clone(),
        target: s.target,
        hours: if s.hours.is_some() {
            AvailabilityHours::Business
        } else {
            AvailabilityHours::All
        },
        calendar: s.calendar.id().to_string(),
        window_seconds,
        elapsed_seconds: summary.measured,
        budget_seconds: budget,
        consumed_seconds: consumed,
        remaining_seconds: remaining,
        remaining_percent: if budget > 0.0 {
            100.0 * remaining / budget
        } else {
            0.0
        },
        spent,
        availability_percent: summary.percent,
        summary,
        burn_rates,
        projected_exhaustion,
        exhausts_before_reset,
    }
}

/// The budget of one service for the month containing `now`, as the gate's
/// `budget_freeze` reads it (SPEC §3 rule 5). `None` when the service has
/// no availability target.
pub fn month_budget(
    records: &[Loaded],
    service: &str,
    now: Timestamp,
    timezone: &str,
) -> Option<ServiceBudget> {
    let opts = Options {
        window: WindowKind::Month,
        service: Some(service),
        now,
        timezone,
    };
    compute(records, &opts).ok()?.services.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SINCE: &str = "2026-10-01T00:00:00Z";

    fn incident(impact: &str, reported: &str, events: &[(&str, &str)]) -> Record {
        let timeline: Vec<_> = events
            .iter()
            .map(|(at, st)| json!({"at": at, "by": "x", "status": st}))
            .collect();
        Record::Incident(
            serde_json::from_value(json!({
                "apiVersion": "gitsm/v1", "kind": "Incident", "id": "INC-1", "title": "t",
                "service": "shop", "impact": "high", "urgency": "high", "status": "new",
                "reported_at": reported, "reported_by": "x", "customer_impact": impact,
                "timeline": timeline,
            }))
            .unwrap(),
        )
    }

    fn change(maintenance: bool, window_end: &str) -> Record {
        Record::Change(
            serde_json::from_value(json!({
                "apiVersion": "gitsm/v1", "kind": "Change", "id": "CHG-1", "title": "t",
                "status": "scheduled", "type": "normal", "risk": "low", "services": ["shop"],
                "requested_by": "x", "maintenance": maintenance,
                "window": {"start": "2026-09-01T00:00:00Z", "end": window_end},
                "timeline": [{"at": "2026-08-01T00:00:00Z", "by": "x", "status": "draft"}],
            }))
            .unwrap(),
        )
    }

    /// What the budget copies when it cuts records (see `compute`): each
    /// arm of `may_count`, on both sides of `since`.
    #[test]
    fn only_records_that_can_count_from_since_on_are_copied() {
        let since: Timestamp = SINCE.parse().unwrap();
        let old = "2026-09-01T00:00:00Z";
        let resolved_old = [(old, "new"), ("2026-09-02T00:00:00Z", "resolved")];
        let can = |r: Record| may_count(&r, since);
        // Over before `since`: not copied; still open, or an event since: copied.
        assert!(!can(incident("major_outage", old, &resolved_old)));
        assert!(can(incident("major_outage", old, &[(old, "new")])));
        assert!(can(incident(
            "major_outage",
            old,
            &[(old, "new"), ("2026-10-02T00:00:00Z", "resolved")]
        )));
        // Reported since (even with every event before, as written).
        assert!(can(incident(
            "major_outage",
            "2026-10-02T00:00:00Z",
            &resolved_old
        )));
        assert!(can(incident("major_outage", SINCE, &resolved_old)));
        // No customer impact never consumes a budget.
        assert!(!can(incident(
            "none",
            "2026-10-02T00:00:00Z",
            &[("2026-10-02T00:00:00Z", "new")]
        )));
        // Maintenance whose window ends since; not before; never a normal change.
        assert!(can(change(true, "2026-10-01T00:00:00Z")));
        assert!(!can(change(true, "2026-09-30T23:59:59Z")));
        assert!(!can(change(false, "2026-10-05T00:00:00Z")));
        // The catalog always; problems, requests, releases never.
        let service: crate::model::Service = serde_json::from_value(json!({
            "apiVersion": "gitsm/v1", "kind": "Service", "id": "shop", "name": "Shop",
            "owner": "x", "sla": "always",
        }))
        .unwrap();
        assert!(can(Record::Service(service)));
        let problem: crate::model::Problem = serde_json::from_value(json!({
            "apiVersion": "gitsm/v1", "kind": "Problem", "id": "PRB-1", "title": "t",
            "status": "new", "timeline": [{"at": "2026-10-02T00:00:00Z", "by": "x", "status": "new"}],
        }))
        .unwrap();
        assert!(!can(Record::Problem(problem)));
    }
}

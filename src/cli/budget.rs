//! `gitsm budget`: error budgets per service (SPEC §4), from [`gitsm::budget`].

use super::{common, Exit, Failure, Globals};
use clap::ValueEnum;
use gitsm::budget::{self, Budgets, ServiceBudget, WindowKind};
use gitsm::model::AvailabilityHours;
use gitsm::sla::fmt_secs;

/// Show each service's error budget: budget, consumed, remaining, burn rates, projected exhaustion
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The budget is (1 − the SLA's availability target) × the window's time; unplanned downtime \
consumes it (major_outage fully, partial_outage at 30 %), planned maintenance never does, and for an SLA with \
`availability_hours: business` only its calendar's working hours count. Burn rate 1 spends the budget exactly \
over the window. A spent budget makes the gate refuse normal changes when the policy sets `budget_freeze: true`. \
See docs/metrics.md.\n\n\
Examples:\n  gitsm budget\n  gitsm budget --service checkout --window 28d\n  gitsm --now 2026-11-20T12:00:00Z budget --format json"
)]
pub struct Args {
    /// Only this service
    #[arg(long, value_name = "SERVICE")]
    service: Option<String>,
    /// The calendar month containing now, or a rolling window ending now
    #[arg(long, value_enum, default_value_t = Window::Month)]
    window: Window,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Window {
    Month,
    #[value(name = "28d")]
    Days28,
    #[value(name = "30d")]
    Days30,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let window = match a.window {
        Window::Month => WindowKind::Month,
        Window::Days28 => WindowKind::Rolling28,
        Window::Days30 => WindowKind::Rolling30,
    };
    // Only the tickets the window (and the 3-day burn rate before it) can
    // see are loaded; the window's month depends on the time zone, read
    // first from gitsm.yaml and confirmed by the loaded config.
    let (v, (), tz) = common::load_for_figures_in_zone(&root, now, |tz| {
        let (from, _, _) = budget::window_bounds(window, now, tz).map_err(Failure::runtime)?;
        let need = gitsm::figures::Need::Window {
            from: from
                .checked_sub(jiff::SignedDuration::from_hours(24 * 4))
                .unwrap_or(from),
            to: now.checked_add(jiff::SignedDuration::from_secs(1)).unwrap_or(now),
        };
        Ok((need, None, ()))
    })?;
    let opts = budget::Options {
        window,
        service: a.service.as_deref(),
        now,
        timezone: &tz,
    };
    let b = budget::compute(&v.snapshot.records, &opts).map_err(Failure::runtime)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&b)?),
        Format::Human => print!("{}", human(&b)),
    }
    Ok(Exit::Success)
}

fn human(b: &Budgets) -> String {
    let zone = jiff::tz::db().get(&b.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let when = |t: jiff::Timestamp| zone.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string();
    let mut out = match b.window {
        WindowKind::Month => format!(
            "Error budgets for {} (calendar month, {}), as of {}\n\n",
            b.label,
            b.timezone,
            when(b.generated_at)
        ),
        _ => format!(
            "Error budgets over the {} ending {} ({})\n\n",
            b.label,
            when(b.generated_at),
            b.timezone
        ),
    };
    if b.services.is_empty() {
        out.push_str("No service has an SLA with an availability target.\n");
        return out;
    }
    let rows: Vec<[String; 7]> = b
        .services
        .iter()
        .map(|s| {
            [
                s.service.to_string(),
                format!(
                    "{}%{}",
                    trim(s.target),
                    if s.hours == AvailabilityHours::Business {
                        " (business hours)"
                    } else {
                        ""
                    }
                ),
                fmt_secs(s.budget_seconds.round() as i64),
                fmt_secs(s.consumed_seconds.round() as i64),
                format!(
                    "{} ({}%)",
                    fmt_secs(s.remaining_seconds.round() as i64),
                    s.remaining_percent.round() as i64
                ),
                s.burn_rates
                    .iter()
                    .map(|r| r.rate.map_or("-".to_string(), |x| format!("{x:.1}")))
                    .collect::<Vec<_>>()
                    .join(" / "),
                outlook(s, &when),
            ]
        })
        .collect();
    let head = [
        "SERVICE",
        "TARGET",
        "BUDGET",
        "CONSUMED",
        "REMAINING",
        "BURN 1h / 6h / 24h / 3d",
        "OUTLOOK",
    ];
    let mut width = head.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        l.trim_end().to_string() + "\n"
    };
    out.push_str(&line(head.to_vec()));
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    let spent: Vec<&str> = b
        .services
        .iter()
        .filter(|s| s.spent)
        .map(|s| s.service.as_str())
        .collect();
    if !spent.is_empty() {
        out.push_str(&format!(
            "\nSpent: {}. With `budget_freeze: true` the gate takes only emergency and standard changes for {} until the window rolls on.\n",
            spent.join(", "),
            if spent.len() == 1 { "it" } else { "them" }
        ));
    }
    out
}

fn outlook(s: &ServiceBudget, when: &dyn Fn(jiff::Timestamp) -> String) -> String {
    if s.spent {
        return "SPENT".into();
    }
    match (s.projected_exhaustion, s.exhausts_before_reset) {
        (Some(t), Some(false)) => format!("lasts the month (at this rate runs out {})", when(t)),
        (Some(t), _) => format!("runs out {}", when(t)),
        (None, _) => "no downtime so far".into(),
    }
}

fn trim(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

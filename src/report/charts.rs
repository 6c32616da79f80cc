//! Chart geometry for the HTML report (inline SVG): computed from a
//! [`Report`] when it is rendered, so the report's data (and its JSON) holds
//! numbers people reason about and never pixel coordinates.

use super::{IncidentRow, Period, Report, ServiceKpi};
use crate::model::Priority;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

/// The report's two charts, as the HTML template draws them (`charts`).
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
    /// The charts of a report, with weeks in the report's time zone.
    pub fn of(report: &Report) -> Charts {
        let tz = jiff::tz::db()
            .get(&report.period.timezone)
            .unwrap_or(TimeZone::UTC);
        Charts {
            availability: availability_chart(&report.services),
            weekly: weekly_chart(&report.incidents, &report.period, &tz),
        }
    }
}

/// One bar per service, from a floor that keeps small differences visible.
fn availability_chart(services: &[ServiceKpi]) -> AvailabilityChart {
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
    AvailabilityChart {
        width,
        height: 10 + rows.len() as u32 * row_h + 24,
        x0,
        plot_width: plot,
        floor,
        rows,
        ticks,
    }
}

/// Incidents per week, stacked by priority (weeks start on Monday in the
/// report's zone; at most 60 columns).
fn weekly_chart(incidents: &[IncidentRow], period: &Period, tz: &TimeZone) -> WeeklyChart {
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
    WeeklyChart {
        width: cw,
        height: ch,
        x0: cx0,
        plot_height: plot_h,
        max,
        weeks: columns,
        y_ticks,
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

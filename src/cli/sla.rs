use super::{Exit, Globals};
use clap::ValueEnum;
use gitsm::sla::{fmt_secs, Clock, Phase, SlaContext, TicketClocks};

/// Show the SLA clocks of open tickets, the next to breach first
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Clocks run in business time (the SLA's calendar, holidays and time zone) and stop in the \
SLA's pause_on statuses. State: ok, warning (past warn_at of the target) or breached. \
Emergency changes whose post-implementation review is overdue (the policy's review_within) are listed after the clocks \
(`overdue_reviews` in JSON).\n\n\
Examples:\n  gitsm sla\n  gitsm sla --service checkout\n  gitsm --now 2026-11-24T12:00:00Z sla --format json"
)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Only tickets of this service
    #[arg(long, value_name = "SERVICE")]
    service: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let v = super::common::load_for_figures(&root, gitsm::figures::Need::Sla { now }, Some(now))?;
    let records = &v.snapshot.records;
    let ctx = SlaContext::new(records);
    if let Some(s) = &a.service {
        if ctx.service(s).is_none() {
            usage!("--service {s}: no such service in the catalog");
        }
    }
    let tickets = ctx.open_tickets(records, now, a.service.as_deref());
    let tz_name = super::common::repo_timezone(&v.snapshot);
    let overdue = overdue_reviews(records, now, a.service.as_deref());
    match a.format {
        Format::Json => {
            let doc = serde_json::json!({
                "now": now,
                "timezone": tz_name,
                "tickets": tickets,
                "overdue_reviews": overdue,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Human => {
            print!("{}", human(&tickets, &tz_name));
            if !overdue.is_empty() {
                println!("\noverdue post-implementation reviews (emergency changes):");
                for o in &overdue {
                    println!(
                        "  {}  requested by {}  review due {}",
                        o["id"].as_str().unwrap_or_default(),
                        o["requested_by"].as_str().unwrap_or_default(),
                        o["due"].as_str().unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(Exit::Success)
}

/// Emergency changes whose review is overdue under the policy (SPEC §3 rule 7).
fn overdue_reviews(
    records: &[gitsm::repo::Loaded],
    now: jiff::Timestamp,
    service: Option<&str>,
) -> Vec<serde_json::Value> {
    use gitsm::model::Record;
    let Some(policy) = records.iter().find_map(|l| match &l.record {
        Record::ChangePolicy(p) => Some(p),
        _ => None,
    }) else {
        return Vec::new();
    };
    let changes = records.iter().filter_map(|l| match &l.record {
        Record::Change(c) if service.is_none_or(|s| c.services.iter().any(|x| x.as_str() == s)) => Some(&**c),
        _ => None,
    });
    gitsm::workflow::overdue_emergencies(policy, changes, now)
        .into_iter()
        .map(|o| {
            serde_json::json!({
                "id": o.change.id.as_str(),
                "requested_by": o.change.requested_by,
                "due": gitsm::model::Timestamp(o.due).to_string(),
                "review_within": o.within.to_string(),
            })
        })
        .collect()
}

fn human(tickets: &[TicketClocks], tz_name: &str) -> String {
    let tz = jiff::tz::db().get(tz_name).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut rows: Vec<(&TicketClocks, &Clock)> = tickets
        .iter()
        .flat_map(|t| {
            t.clocks
                .iter()
                .filter(|c| c.phase != Phase::Stopped)
                .map(move |c| (t, c))
        })
        .collect();
    rows.sort_by(|a, b| a.1.urgency().cmp(&b.1.urgency()).then(a.0.id.cmp(&b.0.id)));
    if rows.is_empty() {
        return "no open tickets with running SLA clocks\n".into();
    }
    let mut table: Vec<[String; 9]> = vec![[
        "TICKET".into(),
        "SERVICE".into(),
        "PRIO".into(),
        "CLOCK".into(),
        "STATE".into(),
        "ELAPSED".into(),
        "REMAINING".into(),
        format!("DUE ({tz_name})"),
        "TITLE".into(),
    ]];
    for (t, c) in rows {
        let state = match (c.state, c.phase) {
            (None, _) => "no target".to_string(),
            (Some(s), Phase::Paused) => format!("{} (paused)", s.as_str()),
            (Some(s), _) => s.as_str().to_string(),
        };
        let remaining = match c.remaining {
            None => "-".into(),
            Some(r) if r < 0 => format!("{} over", fmt_secs(-r)),
            Some(r) => fmt_secs(r),
        };
        let due = c
            .due
            .map(|d| tz.to_datetime(d).strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| {
                if c.phase == Phase::Paused {
                    "paused".into()
                } else {
                    "-".into()
                }
            });
        let mut title: String = t.title.chars().take(48).collect();
        if t.title.chars().count() > 48 {
            title.push('…');
        }
        table.push([
            t.id.to_string(),
            t.service
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            t.priority
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "-".into()),
            c.kind.as_str().into(),
            state,
            fmt_secs(c.elapsed),
            remaining,
            due,
            title,
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &table {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i == 8 {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

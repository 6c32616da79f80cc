//! What existing status clients read: the status page's public document
//! ([`super::doc::StatusDoc`], so only public data) in the shape of
//! Atlassian Statuspage's public API v2 — `api/v2/summary.json` and
//! `api/v2/status.json` — plus `maintenance.ics`, the customer-visible
//! maintenance as an iCalendar feed ([`crate::ical`]).
//!
//! Mapping (documented in docs/metrics.md):
//! - page `id` is the page's host (or its title, slugged); components are
//!   the public services (`id` = service id, `status` = the service's state,
//!   which uses Statuspage's own five words);
//! - `status.indicator`: `critical` for a major outage anywhere, `major` for
//!   a partial outage, `minor` for degraded performance, `none` otherwise
//!   (maintenance included, as Statuspage does);
//! - incidents: the unresolved public incidents (`summary.json` lists only
//!   those, like Statuspage); `impact` from customer impact (`major_outage`
//!   → `critical`, `partial_outage` → `major`, `degraded_performance` →
//!   `minor`); status `investigating`, `identified` (on hold) or
//!   `resolved`; their public updates, newest first;
//! - scheduled_maintenances: upcoming and in-progress maintenance, impact
//!   `maintenance`, status `scheduled`, `in_progress` or `completed`.

use super::doc::*;
use super::render::SiteFile;
use super::uptime::State;
use crate::ical;
use crate::model::{CustomerImpact, Timestamp};
use serde_json::{json, Value};

/// The page id: the host of the page's URL, else its title slugged.
fn page_id(doc: &StatusDoc) -> String {
    doc.page
        .url
        .as_deref()
        .and_then(|u| u.strip_prefix("https://"))
        .map(|rest| {
            rest.split(['/', '?', '#', ':'])
                .next()
                .unwrap_or(rest)
                .to_string()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| ical::slug(&doc.page.title))
}

fn page(doc: &StatusDoc) -> Value {
    json!({
        "id": page_id(doc),
        "name": doc.page.title,
        "url": doc.page.url.clone().unwrap_or_default(),
        "time_zone": doc.page.time_zone,
        "updated_at": doc.generated_at,
    })
}

/// Statuspage's overall indicator and description.
fn status(doc: &StatusDoc) -> Value {
    let indicator = match doc.status.state {
        State::MajorOutage => "critical",
        State::PartialOutage => "major",
        State::DegradedPerformance => "minor",
        State::Operational | State::UnderMaintenance => "none",
    };
    json!({ "indicator": indicator, "description": doc.status.description })
}

fn impact(i: CustomerImpact) -> &'static str {
    match i {
        CustomerImpact::MajorOutage => "critical",
        CustomerImpact::PartialOutage => "major",
        CustomerImpact::DegradedPerformance => "minor",
        CustomerImpact::None => "none",
    }
}

fn incident_status(s: &str) -> &'static str {
    match s {
        "resolved" => "resolved",
        "on_hold" => "identified",
        _ => "investigating",
    }
}

fn component_values(doc: &StatusDoc) -> Vec<Value> {
    let id = page_id(doc);
    doc.services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "id": s.id,
                "name": s.name,
                "status": s.status.as_str(),
                "created_at": doc.generated_at,
                "updated_at": doc.generated_at,
                "position": i + 1,
                "description": s.description,
                "showcase": true,
                "start_date": null,
                "group_id": null,
                "page_id": id,
                "group": false,
                "only_show_if_degraded": false,
            })
        })
        .collect()
}

fn components_of(all: &[Value], ids: &[crate::model::Id]) -> Vec<Value> {
    all.iter()
        .filter(|c| ids.iter().any(|id| c["id"] == id.as_str()))
        .cloned()
        .collect()
}

/// Updates newest first, as Statuspage lists them.
fn updates(
    parent: &str,
    list: &[Update],
    status_of: &dyn Fn(&str) -> &'static str,
    affected: &[Value],
) -> Vec<Value> {
    list.iter()
        .enumerate()
        .rev()
        .map(|(n, u)| {
            json!({
                "id": format!("{parent}-{}", n + 1),
                "status": status_of(&u.status),
                "body": u.text,
                "incident_id": parent,
                "created_at": u.at,
                "updated_at": u.at,
                "display_at": u.at,
                "affected_components": affected.iter().map(|c| json!({
                    "code": c["id"], "name": c["name"],
                    "old_status": c["status"], "new_status": c["status"],
                })).collect::<Vec<_>>(),
                "deliver_notifications": true,
                "custom_tweet": null,
                "tweet_id": null,
            })
        })
        .collect()
}

fn latest(ts: &[Option<Timestamp>]) -> Option<Timestamp> {
    ts.iter().flatten().max().copied()
}

/// `api/v2/summary.json`.
pub fn summary(doc: &StatusDoc) -> Value {
    let id = page_id(doc);
    let components = component_values(doc);
    let incidents: Vec<Value> = doc
        .incidents
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .map(|i| {
            let affected = components_of(&components, &i.services);
            let status = i
                .updates
                .last()
                .map_or("investigating", |u| incident_status(&u.status));
            json!({
                "id": i.id,
                "name": i.title,
                "status": status,
                "created_at": i.started_at,
                "updated_at": latest(&[Some(i.started_at), i.updates.last().map(|u| u.at)]),
                "monitoring_at": null,
                "resolved_at": i.resolved_at,
                "impact": impact(i.impact),
                "shortlink": link(doc, &i.url),
                "started_at": i.started_at,
                "page_id": id,
                "incident_updates": updates(i.id.as_str(), &i.updates, &incident_status, &affected),
                "components": affected,
            })
        })
        .collect();
    let maintenances: Vec<Value> = doc
        .maintenances
        .iter()
        .filter(|m| m.status != MaintenancePhase::Completed)
        .map(|m| {
            let affected = components_of(&components, &m.services);
            let status = maintenance_status(m.status);
            json!({
                "id": m.id,
                "name": m.title,
                "status": status,
                "created_at": m.announced_at,
                "updated_at": latest(&[Some(m.announced_at), m.updates.last().map(|u| u.at)]),
                "monitoring_at": null,
                "resolved_at": null,
                "impact": "maintenance",
                "shortlink": link(doc, &m.url),
                "started_at": m.starts_at,
                "page_id": id,
                "incident_updates": updates(m.id.as_str(), &m.updates, &|s| maintenance_word(s), &affected),
                "components": affected,
                "scheduled_for": m.starts_at,
                "scheduled_until": m.ends_at,
            })
        })
        .collect();
    json!({
        "page": page(doc),
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": maintenances,
        "status": status(doc),
    })
}

fn maintenance_status(p: MaintenancePhase) -> &'static str {
    match p {
        MaintenancePhase::Scheduled => "scheduled",
        MaintenancePhase::InProgress => "in_progress",
        MaintenancePhase::Completed => "completed",
    }
}

fn maintenance_word(s: &str) -> &'static str {
    match s {
        "in_progress" => "in_progress",
        "completed" => "completed",
        _ => "scheduled",
    }
}

/// An absolute link to a page of the site when the page's URL is known,
/// else the site-relative path.
fn link(doc: &StatusDoc, rel: &str) -> String {
    match &doc.page.url {
        Some(u) => format!("{}/{rel}", u.trim_end_matches('/')),
        None => rel.to_string(),
    }
}

/// `api/v2/status.json`.
pub fn status_json(doc: &StatusDoc) -> Value {
    json!({ "page": page(doc), "status": status(doc) })
}

/// `maintenance.ics`: every public maintenance of the document (past ones
/// in the history too, so a subscriber's copy is never orphaned while the
/// status page still lists it).
pub fn maintenance_calendar(doc: &StatusDoc) -> ical::Calendar {
    let domain = page_id(doc);
    let names: std::collections::HashMap<&str, &str> = doc
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let mut events: Vec<ical::Event> = doc
        .maintenances
        .iter()
        .map(|m| {
            let affected: Vec<&str> = m
                .services
                .iter()
                .map(|s| names.get(s.as_str()).copied().unwrap_or(s.as_str()))
                .collect();
            let mut description = format!("Affected: {}", affected.join(", "));
            if let Some(u) = m.updates.last() {
                description.push_str(&format!("\n{}", u.text));
            }
            ical::Event {
                uid: format!("maintenance-{}.{domain}@gitsm", m.id),
                sequence: m.updates.len() as u32,
                start: m.starts_at.as_jiff(),
                end: m.ends_at.as_jiff(),
                summary: format!("Maintenance: {}", m.title),
                description: Some(description),
                categories: vec!["MAINTENANCE".into()],
                status: ical::EventStatus::Confirmed,
                last_modified: latest(&[Some(m.announced_at), m.updates.last().map(|u| u.at)])
                    .map(|t| t.as_jiff()),
                url: doc.page.url.as_ref().map(|_| link(doc, &m.url)),
            }
        })
        .collect();
    events.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
    ical::Calendar {
        format: ical::JSON_FORMAT.into(),
        name: format!("{}: maintenance", doc.page.title),
        generated_at: doc.generated_at.as_jiff(),
        events,
    }
}

/// The files this module adds to the site.
pub fn files(doc: &StatusDoc) -> anyhow::Result<Vec<SiteFile>> {
    let pretty =
        |v: &Value| -> anyhow::Result<Vec<u8>> { Ok((serde_json::to_string_pretty(v)? + "\n").into_bytes()) };
    Ok(vec![
        SiteFile {
            path: "api/v2/summary.json".into(),
            bytes: pretty(&summary(doc))?,
        },
        SiteFile {
            path: "api/v2/status.json".into(),
            bytes: pretty(&status_json(doc))?,
        },
        SiteFile {
            path: "maintenance.ics".into(),
            bytes: ical::write(&maintenance_calendar(doc)).into_bytes(),
        },
    ])
}

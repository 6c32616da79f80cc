//! The public status page (SPEC §4): from a loaded snapshot to a
//! [`doc::StatusDoc`] (public data only), rendered through auto-escaped
//! minijinja templates into a static site, written only inside `--out`.
//!
//! The pipeline is three pure steps and one edge:
//! [`build`] (records → public document) → [`render::render`] (document →
//! files in memory) → [`site::write`] (files → a fresh folder, swapped in).

pub mod doc;
pub mod render;
pub mod site;
pub mod statuspage;
pub mod update;
pub mod uptime;
mod views;

use crate::diag::{Code, Finding, Pos};
use crate::model::{Change, ChangeStatus, Id, Incident, IncidentStatus, Record, Service, Timestamp};
use crate::repo::Snapshot;
use doc::*;
use jiff::tz::TimeZone;
use std::collections::{HashMap, HashSet};
use uptime::{Span, State};

/// Days of uptime history per service.
pub const HISTORY_DAYS: u32 = 90;

/// The public document plus what rendering needs besides it.
#[derive(Debug, Clone)]
pub struct Built {
    pub doc: StatusDoc,
    pub tz: TimeZone,
    /// Records left out, and settings refused (e.g. a non-https `base_url`).
    pub findings: Vec<Finding>,
}

/// Only `https://` URLs without whitespace, control characters, quotes or
/// angle brackets are accepted as links; everything else is refused.
pub fn safe_link(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_end];
    let ok_host = !host.is_empty()
        && !host.contains('@')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let ok_chars = url
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`'));
    (ok_host && ok_chars).then_some(url)
}

/// File name of a record's page under `folder`, or `None` when the id is not
/// a valid id (so it could never name a path outside the folder).
pub fn record_page(folder: &str, id: &str) -> Option<String> {
    Id::is_valid(id).then(|| format!("{folder}/{id}.html"))
}

fn finding(code: Code, file: &str, msg: String) -> Finding {
    Finding::new(code, file, Pos::START, msg)
}

/// Where an incident's status moves, event by event.
fn phase_of(st: IncidentStatus) -> IncidentPhase {
    match st {
        IncidentStatus::New | IncidentStatus::Acknowledged | IncidentStatus::Investigating => {
            IncidentPhase::Investigating
        }
        IncidentStatus::OnHold => IncidentPhase::OnHold,
        IncidentStatus::Resolved | IncidentStatus::Closed => IncidentPhase::Resolved,
    }
}

fn phase_str(p: IncidentPhase) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Builds the public document from a snapshot at `now`.
pub fn build(snap: &Snapshot, now: jiff::Timestamp) -> Built {
    // Records as they stood at `now`: later events, and tickets created
    // later, do not exist yet (SPEC §4).
    let records = crate::availability::records_as_of(&snap.records, now);
    let records: &[crate::repo::Loaded] = &records;
    let mut findings = Vec::new();
    let (tz, page) = page_info(snap, &mut findings);
    let services = public_services(snap, records, &mut findings);
    let public: HashSet<&str> = services.iter().map(|(_, s)| s.id.as_str()).collect();
    let incidents = public_incidents(records, &public, now, &mut findings);
    let maint = maintenance_docs(records, &public, now, &mut findings);
    // Spans per public service. Sources index incidents first, then maintenance.
    let mut spans: HashMap<&str, Vec<Span>> = HashMap::new();
    let mut current: HashMap<&str, State> = HashMap::new();
    for (i, (inc, d)) in incidents.iter().enumerate() {
        let sp = uptime::incident_spans(inc, now, i);
        let open = uptime::incident_is_open(uptime::status_at(inc, now));
        for s in &d.services {
            spans.entry(s.as_str()).or_default().extend(sp.iter().copied());
            if open {
                let st = State::from_impact(inc.impact_on_customers());
                let e = current.entry(s.as_str()).or_insert(State::Operational);
                *e = (*e).max(st);
            }
        }
    }
    for (j, (ch, d)) in maint.iter().enumerate() {
        let Some(span) = uptime::maintenance_span(ch, incidents.len() + j) else {
            continue;
        };
        let active = matches!(ch.status, ChangeStatus::Scheduled | ChangeStatus::Implementing)
            && span.start <= now
            && now < span.end;
        for s in &d.services {
            spans.entry(s.as_str()).or_default().push(span);
            if active {
                let e = current.entry(s.as_str()).or_insert(State::Operational);
                *e = (*e).max(State::UnderMaintenance);
            }
        }
    }

    let today = uptime::date_of(now, &tz);
    let event_of = |src: usize| -> DayEvent {
        match incidents.get(src) {
            Some((_, d)) => DayEvent {
                id: d.id.clone(),
                title: d.title.clone(),
            },
            None => {
                let d = &maint[src - incidents.len()].1;
                DayEvent {
                    id: d.id.clone(),
                    title: d.title.clone(),
                }
            }
        }
    };
    let empty = Vec::new();
    let by_service = crate::availability::ByService::new(records);
    let service_docs: Vec<ServiceStatus> = services
        .iter()
        .map(|(_, s)| {
            let sp = spans.get(s.id.as_str()).unwrap_or(&empty);
            // Uptime % and downtime are the service report's figures
            // (`availability`), over the start of the first bar's day to `now`.
            let from = uptime::day_start(uptime::first_day(today, HISTORY_DAYS as usize), &tz);
            let segments = by_service.states(s.id.as_str(), from, now, now);
            let pct = crate::availability::percent(&segments);
            let days = uptime::daily(sp, &segments, today, HISTORY_DAYS as usize, &tz, now);
            ServiceStatus {
                id: s.id.clone(),
                name: s.name.clone(),
                group: s.group.clone(),
                description: s.description.clone(),
                status: current.get(s.id.as_str()).copied().unwrap_or(State::Operational),
                uptime_percent: (pct * 1000.0).floor() / 1000.0,
                days: days
                    .into_iter()
                    .map(|d| DayStatus {
                        date: d.date.to_string(),
                        status: d.worst,
                        downtime_seconds: d.downtime,
                        events: d.sources.into_iter().map(event_of).collect(),
                    })
                    .collect(),
            }
        })
        .collect();

    let worst = service_docs
        .iter()
        .map(|s| s.status)
        .max()
        .unwrap_or(State::Operational);
    let description = match worst {
        State::Operational => "All systems operational",
        State::UnderMaintenance => "Scheduled maintenance in progress",
        State::DegradedPerformance => "Degraded performance",
        State::PartialOutage => "Partial outage",
        State::MajorOutage => "Major outage",
    };
    Built {
        doc: StatusDoc {
            format: FORMAT.into(),
            generated_at: Timestamp(now),
            page,
            status: Overall {
                state: worst,
                description: description.into(),
            },
            services: service_docs,
            incidents: incidents.into_iter().map(|(_, d)| d).collect(),
            maintenances: maint.into_iter().map(|(_, d)| d).collect(),
        },
        tz,
        findings,
    }
}

/// The page's settings (title, https URL, time zone) from gitsm.yaml.
fn page_info(snap: &Snapshot, findings: &mut Vec<Finding>) -> (TimeZone, PageInfo) {
    let config = snap.config();
    let sp = config.and_then(|c| c.status_page.as_ref());
    let tz_name = config
        .and_then(|c| c.timezone.clone())
        .unwrap_or_else(|| "UTC".into());
    let (tz, tz_name) = match TimeZone::get(&tz_name) {
        Ok(tz) => (tz, tz_name),
        Err(_) => {
            findings.push(finding(
                Code::StatusPageSetting,
                crate::repo::CONFIG_FILE,
                format!("time zone `{tz_name}` is unknown; the status page uses UTC"),
            ));
            (TimeZone::UTC, "UTC".to_string())
        }
    };

    let url = sp
        .and_then(|s| s.base_url.as_deref())
        .and_then(|u| match safe_link(u) {
            Some(u) => Some(u.trim_end_matches('/').to_string()),
            None => {
                findings.push(finding(
                    Code::UnsafeLink,
                    crate::repo::CONFIG_FILE,
                    "`status_page.base_url` is not an https:// URL; it is left out of the status page".into(),
                ));
                None
            }
        });
    let page = PageInfo {
        title: sp
            .and_then(|s| s.title.clone())
            .unwrap_or_else(|| "Service Status".into()),
        description: sp.and_then(|s| s.description.clone()),
        url,
        time_zone: tz_name,
        history_days: HISTORY_DAYS,
    };

    (tz, page)
}

/// Public services, in the configured order or by tier then name.
fn public_services<'a>(
    snap: &'a Snapshot,
    records: &'a [crate::repo::Loaded],
    findings: &mut Vec<Finding>,
) -> Vec<(&'a str, &'a Service)> {
    let sp = snap.config().and_then(|c| c.status_page.as_ref());
    let mut services: Vec<(&str, &Service)> = Vec::new();
    let mut all_services: HashMap<&str, (&str, &Service)> = HashMap::new();
    for l in records {
        if let Record::Service(s) = &l.record {
            all_services.insert(s.id.as_str(), (l.path.as_str(), s));
        }
    }
    match sp.and_then(|s| s.services.as_ref()) {
        Some(list) => {
            for id in list {
                match all_services.get(id.as_str()) {
                    Some((path, s)) if s.public => {
                        if !services.iter().any(|(_, x)| x.id == s.id) {
                            services.push((path, s));
                        }
                    }
                    Some((path, _)) => findings.push(finding(
                        Code::StatusPageSetting,
                        path,
                        format!(
                            "service `{id}` is listed in `status_page.services` but is not `public: true`; it is not shown"
                        ),
                    )),
                    None => findings.push(finding(
                        Code::StatusPageSetting,
                        crate::repo::CONFIG_FILE,
                        format!("`status_page.services` lists `{id}`, which is not a service"),
                    )),
                }
            }
        }
        None => {
            let mut v: Vec<_> = all_services.values().filter(|(_, s)| s.public).copied().collect();
            v.sort_by(|a, b| {
                (a.1.tier.unwrap_or(9), &a.1.name, &a.1.id).cmp(&(b.1.tier.unwrap_or(9), &b.1.name, &b.1.id))
            });
            services = v;
        }
    }
    services.retain(|(path, s)| {
        let ok = Id::is_valid(s.id.as_str());
        if !ok {
            findings.push(finding(
                Code::StatusPageSkipped,
                path,
                format!("service id `{}` is not a valid id", s.id),
            ));
        }
        ok
    });
    services
}

/// Incidents customers saw or were told about, on public services, newest first.
fn public_incidents<'a>(
    records: &'a [crate::repo::Loaded],
    public: &HashSet<&str>,
    now: jiff::Timestamp,
    findings: &mut Vec<Finding>,
) -> Vec<(&'a Incident, IncidentDoc)> {
    let mut incidents: Vec<(&Incident, IncidentDoc)> = Vec::new();
    let graph = std::cell::OnceCell::new();
    for l in records {
        let Record::Incident(inc) = &l.record else {
            continue;
        };
        let svcs: Vec<Id> = crate::impact::status_services(inc, || {
            graph.get_or_init(|| crate::impact::Graph::build(records))
        })
        .into_iter()
        .filter(|s| public.contains(s.as_str()))
        .collect();
        if svcs.is_empty() {
            continue;
        }
        let has_public_note = inc.timeline.iter().any(|e| e.public && e.note.is_some());
        if inc.impact_on_customers() == crate::model::CustomerImpact::None && !has_public_note {
            continue; // nothing customers saw or were told
        }
        let Some(url) = record_page("incidents", inc.id.as_str()) else {
            findings.push(finding(
                Code::StatusPageSkipped,
                &l.path,
                format!(
                    "incident id `{}` cannot name a page; the incident is left out",
                    inc.id
                ),
            ));
            continue;
        };
        if inc.reported_at.as_jiff() > now {
            continue; // not yet happened at `--now`
        }
        incidents.push((inc, incident_doc(inc, svcs, url, now)));
    }
    incidents.sort_by(|a, b| (b.1.started_at, &b.1.id).cmp(&(a.1.started_at, &a.1.id)));

    incidents
}

/// Customer-visible maintenance on public services, by start.
fn maintenance_docs<'a>(
    records: &'a [crate::repo::Loaded],
    public: &HashSet<&str>,
    now: jiff::Timestamp,
    findings: &mut Vec<Finding>,
) -> Vec<(&'a Change, MaintenanceDoc)> {
    let mut maint: Vec<(&Change, MaintenanceDoc)> = Vec::new();
    for l in records {
        let Record::Change(ch) = &l.record else { continue };
        // Which windows count is the availability module's definition; which of
        // them customers are shown is ours (not before the change is scheduled).
        let Some((start, end)) = crate::availability::maintenance_window(ch) else {
            continue;
        };
        if !published(ch.status) {
            continue;
        }
        let Some(w) = &ch.window else { continue };
        let svcs: Vec<Id> = ch
            .services
            .iter()
            .filter(|s| public.contains(s.as_str()))
            .cloned()
            .collect();
        if svcs.is_empty() {
            continue;
        }
        let Some(url) = record_page("maintenance", ch.id.as_str()) else {
            findings.push(finding(
                Code::StatusPageSkipped,
                &l.path,
                format!(
                    "change id `{}` cannot name a page; the maintenance is left out",
                    ch.id
                ),
            ));
            continue;
        };
        let status = if matches!(ch.status, ChangeStatus::Completed | ChangeStatus::Closed) || end <= now {
            MaintenancePhase::Completed
        } else if start <= now {
            MaintenancePhase::InProgress
        } else {
            MaintenancePhase::Scheduled
        };
        let updates = crate::availability::as_of(&ch.timeline, now)
            .iter()
            .filter(|e| e.public)
            .filter_map(|e| {
                let text = e.note.as_deref()?.to_string();
                let st = e
                    .status
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "update".into());
                Some(Update {
                    at: e.at,
                    status: st,
                    text,
                })
            })
            .collect();
        maint.push((
            ch,
            MaintenanceDoc {
                id: ch.id.clone(),
                title: ch.title.clone(),
                url,
                status,
                announced_at: ch
                    .timeline
                    .iter()
                    .find(|e| e.status == Some(ChangeStatus::Scheduled))
                    .or(ch.timeline.last())
                    .map_or(w.start, |e| e.at),
                starts_at: w.start,
                ends_at: w.end,
                services: svcs,
                updates,
            },
        ));
    }
    maint.sort_by(|a, b| (a.1.starts_at, &a.1.id).cmp(&(b.1.starts_at, &b.1.id)));

    maint
}

/// A maintenance change customers are shown: scheduled or later. (Cancelled
/// and rejected ones never count; see `availability::maintenance_window`.)
fn published(status: ChangeStatus) -> bool {
    matches!(
        status,
        ChangeStatus::Scheduled | ChangeStatus::Implementing | ChangeStatus::Completed | ChangeStatus::Closed
    )
}

fn incident_doc(inc: &Incident, services: Vec<Id>, url: String, now: jiff::Timestamp) -> IncidentDoc {
    // Open periods, not the impact interval: the page's duration is how long
    // the incident was open (see `uptime::open_periods`).
    let intervals = uptime::open_periods(inc, now);
    let open = uptime::incident_is_open(uptime::status_at(inc, now));
    let started = inc.reported_at;
    let resolved_at = if open {
        None
    } else {
        Some(intervals.last().map(|(_, e)| Timestamp(*e)).unwrap_or(started))
    };
    let duration: i64 = intervals
        .iter()
        .map(|(s, e)| e.duration_since(*s).as_secs())
        .sum();
    let mut updates = Vec::new();
    let mut phase = IncidentPhase::Investigating;
    for e in crate::availability::as_of(&inc.timeline, now) {
        if let Some(st) = e.status {
            phase = phase_of(st);
        }
        if let (true, Some(note)) = (e.public, &e.note) {
            updates.push(Update {
                at: e.at,
                status: phase_str(phase),
                text: note.to_string(),
            });
        }
    }
    updates.sort_by_key(|u| u.at);
    // Customers always get a first word and a last word, even when the team
    // wrote no public note: fixed texts, never an internal note.
    if updates.is_empty() {
        updates.push(Update {
            at: started,
            status: phase_str(IncidentPhase::Investigating),
            text: "We are investigating this issue.".into(),
        });
    }
    if let Some(r) = resolved_at {
        if updates.last().map(|u| u.status.as_str()) != Some("resolved") {
            updates.push(Update {
                at: r,
                status: phase_str(IncidentPhase::Resolved),
                text: "This incident has been resolved.".into(),
            });
        }
    }
    IncidentDoc {
        id: inc.id.clone(),
        title: inc.title.clone(),
        url,
        status: if open {
            phase_of(uptime::status_at(inc, now))
        } else {
            IncidentPhase::Resolved
        },
        impact: inc.impact_on_customers(),
        started_at: started,
        resolved_at,
        duration_seconds: duration,
        services,
        updates,
    }
}

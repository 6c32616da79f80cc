//! What the status page's templates are given beyond the public document:
//! the services under their headings, the incidents by day and by month,
//! and the Atom feed's entries.

use super::doc::{IncidentDoc, ServiceStatus, StatusDoc};
use super::render::{FEED_ENTRIES, RECENT_DAYS};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
pub(super) struct Group<'a> {
    pub(super) name: Option<&'a str>,
    pub(super) services: Vec<&'a ServiceStatus>,
}

#[derive(Serialize)]
pub(super) struct DayOfIncidents<'a> {
    pub(super) date: String,
    pub(super) incidents: Vec<&'a IncidentDoc>,
}

#[derive(Serialize)]
pub(super) struct Month<'a> {
    pub(super) label: String,
    /// `YYYY-MM`: names the month's own page once it has left the main
    /// history page.
    pub(super) slug: String,
    pub(super) incidents: Vec<&'a IncidentDoc>,
}

/// A month of the history with a page of its own, as the main history page
/// links it.
#[derive(Serialize)]
pub(super) struct ArchivedMonth {
    pub(super) label: String,
    pub(super) url: String,
    pub(super) incidents: usize,
}

#[derive(Serialize)]
pub(super) struct FeedEntry<'a> {
    pub(super) kind: &'static str,
    pub(super) id: &'a str,
    pub(super) title: &'a str,
    pub(super) url: &'a str,
    pub(super) published: String,
    pub(super) updated: String,
    pub(super) status: &'a str,
    pub(super) summary: &'a str,
    /// Maintenance window (start, end).
    pub(super) window: Option<(String, String)>,
}

pub(super) fn names<'a>(ids: &[crate::model::Id], by_id: &HashMap<&str, &'a str>) -> Vec<&'a str> {
    ids.iter()
        .filter_map(|i| by_id.get(i.as_str()).copied())
        .collect()
}

/// The services under their status-page headings, in the order each heading
/// first appears.
pub(super) fn service_groups(doc: &StatusDoc) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    for s in &doc.services {
        let name = s.group.as_deref();
        match groups.iter_mut().find(|g| g.name == name) {
            Some(g) => g.services.push(s),
            None => groups.push(Group {
                name,
                services: vec![s],
            }),
        }
    }
    groups
}

/// The incidents of the last [`RECENT_DAYS`] days, by day (newest first,
/// empty days too), and every incident by month of its start, for the index
/// and the history page.
pub(super) fn incidents_by_day_and_month<'d>(
    doc: &'d StatusDoc,
    tz: &jiff::tz::TimeZone,
) -> (Vec<DayOfIncidents<'d>>, Vec<Month<'d>>) {
    let today = super::uptime::date_of(doc.generated_at.as_jiff(), tz);
    let mut recent: Vec<DayOfIncidents> = (0..RECENT_DAYS)
        .filter_map(|k| today.checked_sub(jiff::Span::new().days(k)).ok())
        .map(|d| DayOfIncidents {
            date: d.to_string(),
            incidents: Vec::new(),
        })
        .collect();
    let days: Vec<jiff::civil::Date> = (0..RECENT_DAYS)
        .filter_map(|k| today.checked_sub(jiff::Span::new().days(k)).ok())
        .collect();
    let mut months: Vec<Month> = Vec::new();
    let mut month_of_last = None;
    for inc in &doc.incidents {
        let d = super::uptime::date_of(inc.started_at.as_jiff(), tz);
        if let Some(k) = days.iter().position(|x| *x == d) {
            recent[k].incidents.push(inc);
        }
        match months.last_mut() {
            Some(m) if month_of_last == Some((d.year(), d.month())) => m.incidents.push(inc),
            _ => {
                month_of_last = Some((d.year(), d.month()));
                months.push(Month {
                    label: d.strftime("%B %Y").to_string(),
                    slug: d.strftime("%Y-%m").to_string(),
                    incidents: vec![inc],
                })
            }
        }
    }
    (recent, months)
}

/// The Atom feed's entries: incidents and maintenances, most recently
/// updated first, at most [`FEED_ENTRIES`].
pub(super) fn feed_entries(doc: &StatusDoc) -> Vec<FeedEntry<'_>> {
    use crate::model::Timestamp;
    let now = doc.generated_at.as_jiff();
    let latest = |ts: &[Option<Timestamp>]| ts.iter().flatten().max().copied();
    let mut entries: Vec<FeedEntry> = doc
        .incidents
        .iter()
        .map(|i| FeedEntry {
            kind: "incident",
            id: i.id.as_str(),
            title: &i.title,
            url: &i.url,
            published: i.started_at.to_string(),
            updated: latest(&[Some(i.started_at), i.updates.last().map(|u| u.at), i.resolved_at])
                .unwrap_or(i.started_at)
                .to_string(),
            status: i.updates.last().map_or("investigating", |u| u.status.as_str()),
            summary: i.updates.last().map_or("", |u| u.text.as_str()),
            window: None,
        })
        .chain(doc.maintenances.iter().map(|m| {
            use super::doc::MaintenancePhase as P;
            let now_ts = Timestamp(now);
            let started = matches!(m.status, P::InProgress | P::Completed).then_some(m.starts_at.min(now_ts));
            let ended = (m.status == P::Completed).then_some(m.ends_at.min(now_ts));
            FeedEntry {
                kind: "maintenance",
                id: m.id.as_str(),
                title: &m.title,
                url: &m.url,
                published: m.announced_at.to_string(),
                updated: latest(&[
                    Some(m.announced_at),
                    m.updates.last().map(|u| u.at),
                    started,
                    ended,
                ])
                .unwrap_or(m.announced_at)
                .to_string(),
                status: match m.status {
                    P::Scheduled => "scheduled",
                    P::InProgress => "in_progress",
                    P::Completed => "completed",
                },
                summary: m.updates.last().map_or("", |u| u.text.as_str()),
                window: Some((m.starts_at.to_string(), m.ends_at.to_string())),
            }
        }))
        .collect();
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then(a.id.cmp(b.id)));
    entries.truncate(FEED_ENTRIES);
    entries
}

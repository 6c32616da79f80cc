//! Rendering the public document into the files of a static site.
//!
//! Every template — built in or overridden from the ITSM repo's
//! `templates/status/` — is rendered with HTML auto-escaping, whatever its
//! name (the Atom feed too: HTML escaping is valid XML escaping). Record text
//! only reaches the output through escaped expressions; links come from
//! [`super::safe_link`] only.

use super::doc::{IncidentDoc, MaintenanceDoc, ServiceStatus, StatusDoc};
use super::uptime::State;
use super::Built;
use minijinja::value::Serde;
use minijinja::{context, Environment, Value};

fn val<T: Serialize>(v: T) -> Value {
    Value::from(Serde(v))
}
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// One file of the site: a path relative to the site root (`/`-separated,
/// made only of fixed names and valid ids) and its bytes.
#[derive(Debug, Clone)]
pub struct SiteFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The built-in templates, by the name an override uses.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html.j2",
        include_str!("../../templates/status/base.html.j2"),
    ),
    (
        "macros.html.j2",
        include_str!("../../templates/status/macros.html.j2"),
    ),
    (
        "index.html.j2",
        include_str!("../../templates/status/index.html.j2"),
    ),
    (
        "history.html.j2",
        include_str!("../../templates/status/history.html.j2"),
    ),
    (
        "incident.html.j2",
        include_str!("../../templates/status/incident.html.j2"),
    ),
    (
        "maintenance.html.j2",
        include_str!("../../templates/status/maintenance.html.j2"),
    ),
    (
        "feed.atom.j2",
        include_str!("../../templates/status/feed.atom.j2"),
    ),
];

/// The built-in stylesheet (override: `templates/status/style.css`).
pub const STYLESHEET: &str = include_str!("../../templates/status/style.css");

/// How many entries the Atom feed holds.
const FEED_ENTRIES: usize = 50;

/// Days of incidents shown on the index page.
const RECENT_DAYS: i64 = 7;

/// The template environment and stylesheet.
pub struct Templates {
    env: Environment<'static>,
    css: String,
}

/// Words for a state, an impact or a phase.
pub fn label(s: &str) -> String {
    if let Some(st) = State::ALL.iter().find(|x| x.as_str() == s) {
        return st.label().into();
    }
    match s {
        "none" => "No impact",
        "investigating" => "Investigating",
        "on_hold" => "On hold",
        "resolved" => "Resolved",
        "scheduled" => "Scheduled",
        "in_progress" => "In progress",
        "implementing" => "In progress",
        "completed" | "closed" => "Completed",
        "update" => "Update",
        other => return other.replace('_', " "),
    }
    .into()
}

/// `Dec 8, 2026, 02:00 – 05:00 CET`, or both dates in full when they differ.
pub use crate::templating::time_range;

/// A piece of note text: plain, or an https link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// Splits text into plain pieces and `https://` links. Nothing else becomes
/// a link (`javascript:`, `http:`, `data:` stay text).
pub fn linkify(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("https://") {
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .map_or(rest.len(), |e| i + e);
        let mut url = &rest[i..end];
        // Trailing punctuation belongs to the sentence.
        url = url.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let url_end = i + url.len();
        if i > 0 {
            out.push(Segment {
                text: rest[..i].to_string(),
                href: None,
            });
        }
        match super::safe_link(url) {
            Some(u) if u.len() > "https://".len() => out.push(Segment {
                text: u.to_string(),
                href: Some(u.to_string()),
            }),
            _ => out.push(Segment {
                text: url.to_string(),
                href: None,
            }),
        }
        rest = &rest[url_end..];
        if url.is_empty() {
            // Cannot happen ("https://" is not trimmed), but never loop forever.
            out.push(Segment {
                text: rest.to_string(),
                href: None,
            });
            rest = "";
        }
    }
    if !rest.is_empty() {
        out.push(Segment {
            text: rest.to_string(),
            href: None,
        });
    }
    out
}

impl Templates {
    /// The built-in templates, with same-named files from the ITSM repo's
    /// `templates/status/` (read by [`crate::templating`]) taking their
    /// place, in the shared environment plus the page's own filters.
    pub fn new(root: Option<&Path>, tz: &jiff::tz::TimeZone) -> anyhow::Result<Templates> {
        let mut env = crate::templating::environment(tz, crate::templating::Family::StatusPage);
        let mut sources: HashMap<String, String> = TEMPLATES
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        let mut css = STYLESHEET.to_string();
        const DIR: &str = "templates/status";
        let names = match root {
            Some(r) => crate::templating::list_overrides(r, DIR)?,
            None => Vec::new(),
        };
        for name in names {
            let is_template = name.ends_with(".j2");
            if !(is_template || name == "style.css") {
                continue;
            }
            let Some(root) = root else { continue };
            let Some(text) = crate::templating::read_override(root, &format!("{DIR}/{name}"))? else {
                continue;
            };
            if is_template {
                sources.insert(name, text);
            } else {
                css = text;
            }
        }
        for (name, src) in sources {
            env.add_template_owned(name.clone(), src)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        env.add_filter("label", |s: &str| label(s));
        env.add_filter("linkify", |s: &str| val(linkify(s)));
        env.add_filter("percent", |p: f64| {
            // Truncated, so any downtime at all never shows as 100.00.
            format!("{:.2}", (p * 100.0).floor() / 100.0)
        });
        Ok(Templates { env, css })
    }

    fn render(&self, name: &str, ctx: Value) -> anyhow::Result<String> {
        crate::templating::render(&self.env, name, ctx).map_err(|e| anyhow::anyhow!("rendering {name}: {e}"))
    }
}

#[derive(Serialize)]
struct Group<'a> {
    name: Option<&'a str>,
    services: Vec<&'a ServiceStatus>,
}

#[derive(Serialize)]
struct DayOfIncidents<'a> {
    date: String,
    incidents: Vec<&'a IncidentDoc>,
}

#[derive(Serialize)]
struct Month<'a> {
    label: String,
    incidents: Vec<&'a IncidentDoc>,
}

#[derive(Serialize)]
struct FeedEntry<'a> {
    kind: &'static str,
    id: &'a str,
    title: &'a str,
    url: &'a str,
    published: String,
    updated: String,
    status: &'a str,
    summary: &'a str,
    /// Maintenance window (start, end).
    window: Option<(String, String)>,
}

fn names<'a>(ids: &[crate::model::Id], by_id: &HashMap<&str, &'a str>) -> Vec<&'a str> {
    ids.iter()
        .filter_map(|i| by_id.get(i.as_str()).copied())
        .collect()
}

/// Renders every file of the site into memory.
pub fn render(built: &Built, t: &Templates) -> anyhow::Result<Vec<SiteFile>> {
    let files = std::sync::Mutex::new(Vec::new());
    render_into(built, t, &|f| {
        files.lock().unwrap_or_else(|e| e.into_inner()).push(f);
        Ok(())
    })?;
    let mut files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Renders every file of the site and hands each to `sink` as soon as it is
/// rendered (incident pages from several threads at once), so a site of
/// many thousand pages need not be held in memory. Returns how many files.
pub fn render_into(
    built: &Built,
    t: &Templates,
    sink: &(dyn Fn(SiteFile) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<usize> {
    let doc: &StatusDoc = &built.doc;
    let page = val(&doc.page);
    let overall = val(&doc.status);
    let generated_at = doc.generated_at.to_string();
    let by_id: HashMap<&str, &str> = doc
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();

    let base =
        context! { page => page.clone(), overall => overall.clone(), generated_at => generated_at.clone() };
    // Incident pages in parallel with everything else: both cores stay busy.
    let (incident_pages, rest) = rayon::join(
        || {
            doc.incidents.par_iter().try_for_each(|inc| {
                let html = t.render(
                    "incident.html.j2",
                    context! { root => "../", incident => val(inc),
                    affected => val(names(&inc.services, &by_id)), ..base.clone() },
                )?;
                sink(SiteFile {
                    path: inc.url.clone(),
                    bytes: html.into_bytes(),
                })
            })
        },
        || overview_pages(built, t, &base, &by_id, sink),
    );
    let overview = rest?;
    incident_pages?;
    // Statuspage-shaped API and the maintenance calendar (SPEC §4).
    let mut files = super::statuspage::files(doc)?;

    for m in &doc.maintenances {
        let html = t.render(
            "maintenance.html.j2",
            context! { root => "../", maintenance => val(m),
            affected => val(names(&m.services, &by_id)), ..base.clone() },
        )?;
        files.push(SiteFile {
            path: m.url.clone(),
            bytes: html.into_bytes(),
        });
    }

    let entries = feed_entries(doc);
    let feed_updated = entries
        .first()
        .map_or(generated_at.clone(), |e| e.updated.clone());
    files.push(SiteFile {
        path: "feed.atom".into(),
        bytes: t
            .render(
                "feed.atom.j2",
                context! { entries => val(&entries), updated => feed_updated, ..base },
            )?
            .into_bytes(),
    });
    let count = overview + files.len() + doc.incidents.len();
    for f in files {
        sink(f)?;
    }
    Ok(count)
}

/// The index, the history page, the style sheet and `status.json`, each
/// handed to `sink` as soon as it is rendered: at a million records the
/// history page and `status.json` are hundreds of megabytes, and holding
/// them all at once was the status page's peak memory. Returns how many.
fn overview_pages(
    built: &Built,
    t: &Templates,
    base: &Value,
    by_id: &HashMap<&str, &str>,
    sink: &(dyn Fn(SiteFile) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<usize> {
    let doc: &StatusDoc = &built.doc;
    let groups = service_groups(doc);
    let active: Vec<&IncidentDoc> = doc.incidents.iter().filter(|i| i.resolved_at.is_none()).collect();
    let in_progress: Vec<&MaintenanceDoc> = doc
        .maintenances
        .iter()
        .filter(|m| m.status == super::doc::MaintenancePhase::InProgress)
        .collect();
    let upcoming: Vec<&MaintenanceDoc> = doc
        .maintenances
        .iter()
        .filter(|m| m.status == super::doc::MaintenancePhase::Scheduled)
        .collect();
    let (recent, months) = incidents_by_day_and_month(doc, &built.tz);

    sink(SiteFile {
        path: "index.html".into(),
        bytes: t
            .render(
                "index.html.j2",
                context! { root => "", groups => val(&groups),
                active => val(&active),
                in_progress => val(&in_progress),
                upcoming => val(&upcoming),
                recent => val(&recent),
                names => val(by_id), ..base.clone() },
            )?
            .into_bytes(),
    })?;
    sink(SiteFile {
        path: "history.html".into(),
        bytes: t
            .render(
                "history.html.j2",
                context! { root => "", months => val(&months),
                maintenances => val(&doc.maintenances),
                names => val(by_id), ..base.clone() },
            )?
            .into_bytes(),
    })?;
    sink(SiteFile {
        path: "assets/style.css".into(),
        bytes: t.css.clone().into_bytes(),
    })?;
    let mut json = serde_json::to_vec_pretty(doc)?;
    json.push(b'\n');
    sink(SiteFile {
        path: "status.json".into(),
        bytes: json,
    })?;
    Ok(4)
}

/// The services under their status-page headings, in the order each heading
/// first appears.
fn service_groups(doc: &StatusDoc) -> Vec<Group<'_>> {
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
fn incidents_by_day_and_month<'d>(
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
    let mut months: Vec<Month> = Vec::new();
    for inc in &doc.incidents {
        let d = super::uptime::date_of(inc.started_at.as_jiff(), tz);
        if let Some(day) = recent.iter_mut().find(|x| x.date == d.to_string()) {
            day.incidents.push(inc);
        }
        let label = d.strftime("%B %Y").to_string();
        match months.last_mut() {
            Some(m) if m.label == label => m.incidents.push(inc),
            _ => months.push(Month {
                label,
                incidents: vec![inc],
            }),
        }
    }
    (recent, months)
}

/// The Atom feed's entries: incidents and maintenances, most recently
/// updated first, at most [`FEED_ENTRIES`].
fn feed_entries(doc: &StatusDoc) -> Vec<FeedEntry<'_>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_becomes_a_link() {
        let segs = linkify("see https://example.com/a?b=1. and javascript:alert(1) or http://x.y");
        let links: Vec<_> = segs.iter().filter_map(|s| s.href.clone()).collect();
        assert_eq!(links, vec!["https://example.com/a?b=1".to_string()]);
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            joined,
            "see https://example.com/a?b=1. and javascript:alert(1) or http://x.y"
        );
        assert!(linkify("https://").iter().all(|s| s.href.is_none()));
        assert!(linkify("https://user@evil.com").iter().all(|s| s.href.is_none()));
    }
}

#[cfg(test)]
mod contrast {
    //! States are shown as coloured text on cards and as white (or dark) text
    //! on coloured banners; both must meet WCAG AA (4.5:1) in both themes.

    fn vars(block: &str) -> std::collections::HashMap<String, (f64, f64, f64)> {
        block
            .lines()
            .filter_map(|l| {
                let l = l.trim().trim_end_matches(';');
                let (k, v) = l.split_once(':')?;
                let hex = v.trim().strip_prefix('#')?;
                if hex.len() != 6 {
                    return None;
                }
                let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
                Some((k.trim().to_string(), (c(0), c(2), c(4))))
            })
            .collect()
    }

    fn luminance((r, g, b): (f64, f64, f64)) -> f64 {
        let lin = |c: f64| {
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    fn ratio(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn state_colours_meet_wcag_aa_in_both_themes() {
        let css = super::STYLESHEET;
        let light_start = css.find(":root {").unwrap();
        let dark_start = css.find("@media (prefers-color-scheme: dark)").unwrap();
        let light = vars(&css[light_start..dark_start]);
        let dark_end = dark_start + css[dark_start..].find("\n}\n").unwrap();
        let dark = vars(&css[dark_start..dark_end]);
        for (theme, v) in [("light", &light), ("dark", &dark)] {
            for text in [
                "--text",
                "--muted",
                "--link",
                "--ok",
                "--maint",
                "--degraded",
                "--partial",
                "--major",
            ] {
                for bg in ["--card", "--bg"] {
                    let r = ratio(v[text], v[bg]);
                    assert!(r >= 4.5, "{theme}: {text} on {bg} is {r:.2}:1");
                }
            }
            // Banners: text in --on-banner on the state colour.
            for state in ["--ok", "--maint", "--degraded", "--partial", "--major"] {
                let r = ratio(v["--on-banner"], v[state]);
                assert!(r >= 4.5, "{theme}: banner text on {state} is {r:.2}:1");
            }
        }
    }
}

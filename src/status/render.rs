//! Rendering the public document into the files of a static site.
//!
//! Every template — built in or overridden from the ITSM repo's
//! `templates/status/` — is rendered with HTML auto-escaping, whatever its
//! name (the Atom feed too: HTML escaping is valid XML escaping). Record text
//! only reaches the output through escaped expressions; links come from
//! [`super::safe_link`] only.

use super::doc::{IncidentDoc, MaintenanceDoc, StatusDoc};
use super::uptime::State;
use super::views::{feed_entries, incidents_by_day_and_month, names, service_groups, ArchivedMonth, Month};
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
pub(super) const FEED_ENTRIES: usize = 50;

/// Days of incidents shown on the index page.
pub(super) const RECENT_DAYS: i64 = 7;

/// The template environment and stylesheet.
pub struct Templates {
    env: Environment<'static>,
    css: String,
    /// Hash of this build and every template and the stylesheet: part of
    /// every [`PageKey`], so a new gitsm or an edited template re-renders
    /// every page.
    fingerprint: [u8; 32],
}

/// What a record page (an incident's or a maintenance's) is made from,
/// hashed: the templates' fingerprint and the page's whole context. Two runs
/// that give a page the same key render the same bytes, so an update of a
/// site leaves such a page in place (see [`super::update::Update`]).
pub type PageKey = [u8; 16];

/// Where rendered files go: a fresh folder ([`super::site::Staging`]), an
/// earlier site updated in place ([`super::update::Update`]), or memory.
pub trait Output: Sync {
    /// Whether the record page `path`, made from inputs hashing to `key`, is
    /// in place exactly as an earlier run wrote it: then it is neither
    /// rendered nor written.
    fn unchanged(&self, path: &str, key: &PageKey) -> bool;
    /// Takes one rendered file, with its key when it is a record page.
    fn put(&self, file: SiteFile, key: Option<PageKey>) -> anyhow::Result<()>;
    /// Takes the file at `path` as `write` produces it: the history page and
    /// `status.json` run to hundreds of megabytes at a million records, and
    /// are never held whole.
    fn put_streamed(&self, path: &str, write: Stream<'_>) -> anyhow::Result<()>;
}

/// Writes one file's content into the writer it is given.
pub type Stream<'a> = &'a mut dyn FnMut(&mut dyn std::io::Write) -> anyhow::Result<()>;

/// Collects the files in memory (tests, [`render`]).
struct Collect(std::sync::Mutex<Vec<SiteFile>>);

impl Output for Collect {
    fn unchanged(&self, _: &str, _: &PageKey) -> bool {
        false
    }
    fn put(&self, file: SiteFile, _: Option<PageKey>) -> anyhow::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(file);
        Ok(())
    }
    fn put_streamed(&self, path: &str, write: Stream<'_>) -> anyhow::Result<()> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        self.put(
            SiteFile {
                path: path.to_string(),
                bytes,
            },
            None,
        )
    }
}

/// An `io::Write` that feeds a hash (the page key is a hash of the context's
/// JSON, never the JSON itself).
struct HashWriter(sha2::Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
        for (name, src) in sources.clone() {
            env.add_template_owned(name.clone(), src)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        env.add_filter("label", |s: &str| label(s));
        env.add_filter("linkify", |s: &str| val(linkify(s)));
        env.add_filter("percent", |p: f64| {
            // Truncated, so any downtime at all never shows as 100.00.
            format!("{:.2}", (p * 100.0).floor() / 100.0)
        });
        let fingerprint = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(crate::repo::cache::build_identity());
            let mut names: Vec<&String> = sources.keys().collect();
            names.sort();
            for name in names {
                // Lengths first: no two sets of sources hash alike by
                // shifting text from one into the next.
                for part in [name.as_bytes(), sources[name].as_bytes()] {
                    h.update((part.len() as u64).to_le_bytes());
                    h.update(part);
                }
            }
            h.update((css.len() as u64).to_le_bytes());
            h.update(css.as_bytes());
            h.finalize().into()
        };
        Ok(Templates {
            env,
            css,
            fingerprint,
        })
    }

    /// The hash every record page's key starts from: the templates'
    /// fingerprint and the context all record pages share (`shared`).
    fn key_base(&self, shared: &impl Serialize) -> anyhow::Result<sha2::Sha256> {
        use sha2::Digest;
        let mut w = HashWriter(sha2::Sha256::new());
        w.0.update(self.fingerprint);
        serde_json::to_writer(&mut w, shared)?;
        Ok(w.0)
    }

    /// Renders a record page unless `out` already holds it. Its key hashes
    /// `base` (see [`Templates::key_base`]), the template's name and `own`,
    /// the rest of the context `ctx` builds: together, everything the page
    /// is rendered from. The context is only built when the page is.
    fn record_page(
        &self,
        out: &dyn Output,
        base: &sha2::Sha256,
        (template, path): (&str, &str),
        own: &impl Serialize,
        ctx: impl FnOnce() -> Value,
    ) -> anyhow::Result<bool> {
        use sha2::Digest;
        let mut w = HashWriter(base.clone());
        w.0.update(template.as_bytes());
        w.0.update([0]);
        serde_json::to_writer(&mut w, own)?;
        let key = page_key(w.0);
        if out.unchanged(path, &key) {
            return Ok(false);
        }
        let html = self.render(template, ctx())?;
        out.put(
            SiteFile {
                path: path.to_string(),
                bytes: html.into_bytes(),
            },
            Some(key),
        )?;
        Ok(true)
    }

    fn render(&self, name: &str, ctx: Value) -> anyhow::Result<String> {
        crate::templating::render(&self.env, name, ctx).map_err(|e| anyhow::anyhow!("rendering {name}: {e}"))
    }

    fn render_to(&self, name: &str, ctx: Value, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
        crate::templating::render_to(&self.env, name, ctx, w)
            .map_err(|e| anyhow::anyhow!("rendering {name}: {e}"))
    }
}

/// Days the main history page covers (whole months from the month this
/// many days before `now`); older months each get a page of their own, so
/// a long history is never one page of hundreds of megabytes, and a month
/// that no longer changes is not rendered again (see [`super::update`]).
pub const HISTORY_PAGE_DAYS: i64 = 90;

/// Renders every file of the site into memory.
pub fn render(built: &Built, t: &Templates) -> anyhow::Result<Vec<SiteFile>> {
    let files = Collect(std::sync::Mutex::new(Vec::new()));
    render_into(built, t, &files)?;
    let mut files = files.0.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// When a record page's content last changed, shown as its "Last updated":
/// once the record is settled (an incident resolved, a maintenance
/// completed) the newest time on the page, which stays put from run to run
/// (so an unchanged page keeps its key); while it is still moving, `now`.
fn page_as_of(
    settled_at: Option<jiff::Timestamp>,
    updates: &[super::doc::Update],
    now: jiff::Timestamp,
) -> jiff::Timestamp {
    match settled_at {
        Some(t) => updates.iter().map(|u| u.at.0).fold(t, std::cmp::max),
        None => now,
    }
}

/// What every record page's context shares: the page's settings and where
/// the site's root is from a record page.
fn shared_context(doc: &StatusDoc) -> impl Serialize + '_ {
    (&doc.page, "../")
}

/// The key of what every record page shares: this gitsm build, the
/// templates and the page's settings. A site whose manifest carries another
/// one is written fresh rather than updated (every page would change).
pub fn site_key(built: &Built, t: &Templates) -> anyhow::Result<PageKey> {
    Ok(page_key(t.key_base(&shared_context(&built.doc))?))
}

/// A key: the first 16 bytes of the hash (collisions stay out of reach;
/// the manifest stays small).
fn page_key(h: sha2::Sha256) -> PageKey {
    use sha2::Digest;
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// What [`render_into`] did: files in the site, and how many record pages
/// were left in place because their key was unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    pub files: usize,
    pub unchanged: usize,
}

/// Renders every file of the site and hands each to `out` as soon as it is
/// rendered (incident pages from several threads at once), so a site of
/// many thousand pages need not be held in memory. A record page `out`
/// already holds (same [`PageKey`]) is not rendered at all.
pub fn render_into(built: &Built, t: &Templates, out: &dyn Output) -> anyhow::Result<Rendered> {
    let sink = |f: SiteFile| out.put(f, None);
    let sink = &sink;
    let now = built.doc.generated_at;
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
    // A record page's context leaves out what changes from run to run but
    // is not about the record (the overall status, the run's time): its
    // "Last updated" is the record's own. What all of them share is hashed
    // once; each page adds its own part.
    let key_base = t.key_base(&shared_context(doc))?;
    let key_base = &key_base;
    let page = &page;
    let record_ctx = |(as_of, affected): &(String, Vec<&str>)| {
        context! { page => page.clone(), root => "../", generated_at => as_of, affected => val(affected) }
    };
    let (incident_pages, rest) = rayon::join(
        || {
            doc.incidents
                .par_iter()
                .map(|inc| {
                    let as_of = page_as_of(inc.resolved_at.map(|t| t.0), &inc.updates, now.0);
                    let own = (as_of.to_string(), names(&inc.services, &by_id));
                    t.record_page(
                        out,
                        key_base,
                        ("incident.html.j2", &inc.url),
                        &(&own, inc),
                        || {
                            context! { incident => val(inc), ..record_ctx(&own) }
                        },
                    )
                })
                .try_fold(|| 0usize, |n, r| r.map(|wrote| n + usize::from(!wrote)))
                .try_reduce(|| 0, |a, b| Ok(a + b))
        },
        || overview_pages(built, t, (&base, key_base), &by_id, out),
    );
    let overview = rest?;
    let mut unchanged = incident_pages? + overview.unchanged;
    // Statuspage-shaped API and the maintenance calendar (SPEC §4).
    let mut files = super::statuspage::files(doc)?;

    for m in &doc.maintenances {
        let completed = (m.status == super::doc::MaintenancePhase::Completed).then_some(m.ends_at.0);
        let as_of = page_as_of(completed, &m.updates, now.0);
        let own = (as_of.to_string(), names(&m.services, &by_id));
        let ctx = || context! { maintenance => val(m), ..record_ctx(&own) };
        if !t.record_page(out, key_base, ("maintenance.html.j2", &m.url), &(&own, m), ctx)? {
            unchanged += 1;
        }
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
    let count = overview.files + files.len() + doc.incidents.len() + doc.maintenances.len();
    for f in files {
        sink(f)?;
    }
    Ok(Rendered {
        files: count,
        unchanged,
    })
}

/// The index, the history page, the style sheet and `status.json`, each
/// handed to `sink` as soon as it is rendered: at a million records the
/// history page and `status.json` are hundreds of megabytes, and are
/// written as they are made, never held whole. Returns how many.
fn overview_pages(
    built: &Built,
    t: &Templates,
    (base, key_base): (&Value, &sha2::Sha256),
    by_id: &HashMap<&str, &str>,
    out: &dyn Output,
) -> anyhow::Result<Rendered> {
    let sink = |f: SiteFile| out.put(f, None);
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
    // The main history page: the months of the last HISTORY_PAGE_DAYS, and
    // a link to each older month's page.
    let first_shown = doc
        .generated_at
        .as_jiff()
        .checked_sub(jiff::SignedDuration::from_hours(24 * HISTORY_PAGE_DAYS))
        .map(|t| super::uptime::date_of(t, &built.tz).strftime("%Y-%m").to_string())
        .unwrap_or_default();
    let split = months
        .iter()
        .position(|m| m.slug < first_shown)
        .unwrap_or(months.len());
    let (shown, older) = months.split_at(split);
    let archive: Vec<ArchivedMonth> = older
        .iter()
        .map(|m| ArchivedMonth {
            label: m.label.clone(),
            url: format!("history/{}.html", m.slug),
            incidents: m.incidents.len(),
        })
        .collect();
    out.put_streamed("history.html", &mut |w| {
        t.render_to(
            "history.html.j2",
            context! { root => "", months => val(shown),
            maintenances => val(&doc.maintenances), archive => val(&archive),
            names => val(by_id), ..base.clone() },
            w,
        )
    })?;
    let month_pages = month_pages(built, (t, key_base), older, by_id, out)?;
    sink(SiteFile {
        path: "assets/style.css".into(),
        bytes: t.css.clone().into_bytes(),
    })?;
    out.put_streamed("status.json", &mut |w| {
        serde_json::to_writer_pretty(&mut *w, doc)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    Ok(Rendered {
        files: 4 + month_pages.files,
        unchanged: month_pages.unchanged,
    })
}

/// The pages of the months older than the main history page shows, in
/// parallel, each keyed like a record page (a month whose incidents are all
/// resolved and unchanged is left as it is).
fn month_pages(
    built: &Built,
    (t, key_base): (&Templates, &sha2::Sha256),
    months: &[Month<'_>],
    by_id: &HashMap<&str, &str>,
    out: &dyn Output,
) -> anyhow::Result<Rendered> {
    let doc = &built.doc;
    let page = val(&doc.page);
    // In a fixed order: the key hashes it.
    let names: std::collections::BTreeMap<&str, &str> = by_id.iter().map(|(k, v)| (*k, *v)).collect();
    let names = &names;
    let unchanged = months
        .par_iter()
        .map(|m| {
            let settled = m.incidents.iter().all(|i| i.resolved_at.is_some());
            let as_of = m
                .incidents
                .iter()
                .map(|i| page_as_of(i.resolved_at.map(|t| t.0), &i.updates, doc.generated_at.0))
                .max()
                .filter(|_| settled)
                .unwrap_or(doc.generated_at.0)
                .to_string();
            let path = format!("history/{}.html", m.slug);
            let own = (&as_of, m, names);
            t.record_page(out, key_base, ("history.html.j2", &path), &own, || {
                context! { page => page.clone(), root => "../", generated_at => &as_of,
                months => val([m]), maintenances => val(Vec::<()>::new()),
                archive => val(Vec::<()>::new()), names => val(names) }
            })
        })
        .try_fold(|| 0usize, |n, r| r.map(|wrote| n + usize::from(!wrote)))
        .try_reduce(|| 0, |a, b| Ok(a + b))?;
    Ok(Rendered {
        files: months.len(),
        unchanged,
    })
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

//! Releases (SPEC §1 `Release`, §4 `gitsm release-notes`): the rule that a
//! release and its changes agree, and the release notes.
//!
//! A release lists its changes (`changes`); a change may name its release
//! (`release`). Both directions are checked: a change is in at most one
//! release, and a change that names a release is listed by it.

use crate::cmdb::Pointed;
use crate::diag::Code;
use std::collections::HashMap;

/// One `changes` entry of a release, or the `release` of a change.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    pub file: &'a str,
    /// The id of the record that names `to`.
    pub from: &'a str,
    /// `true` for a release's `changes` entry, `false` for a change's `release`.
    pub from_release: bool,
    pub pointer: String,
    pub to: &'a str,
}

/// Checks that releases and changes agree. `exists(kind, id)` tells which
/// records exist; references to missing ones are reported elsewhere.
pub fn check_links(links: &[Link<'_>], exists: &dyn Fn(crate::model::Kind, &str) -> bool) -> Vec<Pointed> {
    use crate::model::Kind;
    let mut out = Vec::new();
    // change → the releases listing it, in path order.
    let mut listed_by: HashMap<&str, Vec<&Link>> = HashMap::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    for l in links {
        if l.from_release {
            if exists(Kind::Change, l.to) {
                listed_by.entry(l.to).or_default().push(l);
            }
        } else if exists(Kind::Release, l.to) {
            names.insert(l.from, l.to);
        }
    }
    for l in links.iter().filter(|l| l.from_release) {
        let Some(by) = listed_by.get(l.to) else { continue };
        let first = by[0];
        if !std::ptr::eq(first, l) && first.from != l.from {
            out.push(
                Pointed::new(
                    Code::ReleaseMismatch,
                    l.file,
                    &l.pointer,
                    format!(
                        "change `{}` is already in release `{}`; a change ships in one release",
                        l.to, first.from
                    ),
                )
                .hint("list it in one release only"),
            );
            continue;
        }
        if let Some(named) = names.get(l.to) {
            if *named != l.from {
                out.push(
                    Pointed::new(
                        Code::ReleaseMismatch,
                        l.file,
                        &l.pointer,
                        format!("change `{}` names release `{named}`, not `{}`", l.to, l.from),
                    )
                    .hint(format!(
                        "fix `release:` in the change, or list it in `{named}` instead"
                    )),
                );
            }
        }
    }
    for l in links.iter().filter(|l| !l.from_release) {
        if !exists(Kind::Release, l.to) {
            continue;
        }
        let listed = listed_by
            .get(l.from)
            .is_some_and(|v| v.iter().any(|x| x.from == l.to));
        if !listed {
            out.push(
                Pointed::new(
                    Code::ReleaseMismatch,
                    l.file,
                    &l.pointer,
                    format!(
                        "names release `{}`, which does not list change `{}`",
                        l.to, l.from
                    ),
                )
                .hint(format!("add `{}` to the `changes` of release `{}`", l.from, l.to)),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Release notes (`gitsm release-notes`) and the report's release count.

use crate::model::{Change, Record, Release, ReleaseStatus, Timestamp};
use crate::repo::Loaded;
use serde::Serialize;

pub const TEMPLATE_MD: &str = include_str!("../templates/release-notes.md.j2");
pub const TEMPLATE_HTML: &str = include_str!("../templates/release-notes.html.j2");

/// One change of a release, as its notes show it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeNote {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub change_type: String,
    pub risk: String,
    pub status: String,
    pub services: Vec<String>,
    pub outcome: Option<String>,
    pub window: Option<crate::model::Window>,
    /// `https://` links from the change's `extra` (key → URL), e.g. its PR.
    pub links: Vec<WebLink>,
}

/// A named `https://` link.
#[derive(Debug, Clone, Serialize)]
pub struct WebLink {
    pub name: String,
    pub url: String,
}

/// The release notes of one release.
#[derive(Debug, Clone, Serialize)]
pub struct Notes {
    pub id: String,
    pub title: String,
    pub version: Option<String>,
    pub status: String,
    pub target_date: Option<String>,
    pub window: Option<crate::model::Window>,
    /// When it reached `released`, if it did.
    pub released_at: Option<Timestamp>,
    pub services: Vec<String>,
    pub notes: Option<String>,
    pub changes: Vec<ChangeNote>,
    /// Listed change ids with no change record (a finding of `validate`).
    pub missing: Vec<String>,
    pub summary: ChangeCounts,
}

/// Counts over a release's changes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeCounts {
    pub changes: usize,
    pub successful: usize,
    pub failed: usize,
    pub rolled_back: usize,
    /// Not completed yet.
    pub pending: usize,
}

fn links_of(c: &Change) -> Vec<WebLink> {
    let mut v = Vec::new();
    for (k, val) in c.extra.iter().flatten() {
        let urls: Vec<&str> = match val {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
            _ => vec![],
        };
        for u in urls {
            if let Some(u) = crate::status::safe_link(u) {
                v.push(WebLink {
                    name: k.clone(),
                    url: u.to_string(),
                });
            }
        }
    }
    v
}

/// The notes of release `id`, from records already cut to `now`.
pub fn notes(records: &[Loaded], id: &str) -> Result<Notes, String> {
    let rel: &Release = records
        .iter()
        .find_map(|l| match &l.record {
            Record::Release(r) if r.id.as_str() == id => Some(r),
            _ => None,
        })
        .ok_or_else(|| {
            let names: Vec<String> = records
                .iter()
                .filter_map(|l| match &l.record {
                    Record::Release(r) => Some(r.id.to_string()),
                    _ => None,
                })
                .collect();
            match crate::schema::did_you_mean(id, &names) {
                Some(b) => format!("no release `{id}`; did you mean `{b}`?"),
                None => format!("no release `{id}`"),
            }
        })?;
    let mut changes = Vec::new();
    let mut missing = Vec::new();
    let mut summary = ChangeCounts::default();
    for cid in &rel.changes {
        let Some(c) = records.iter().find_map(|l| match &l.record {
            Record::Change(c) if c.id == *cid => Some(c),
            _ => None,
        }) else {
            missing.push(cid.to_string());
            continue;
        };
        summary.changes += 1;
        match c.outcome {
            Some(crate::model::Outcome::Successful) => summary.successful += 1,
            Some(crate::model::Outcome::Failed) => summary.failed += 1,
            Some(crate::model::Outcome::RolledBack) => summary.rolled_back += 1,
            None => summary.pending += 1,
        }
        changes.push(ChangeNote {
            id: c.id.to_string(),
            title: c.title.clone(),
            change_type: c.change_type.to_string(),
            risk: c.risk.to_string(),
            status: c.status.to_string(),
            services: c.services.iter().map(|s| s.to_string()).collect(),
            outcome: c.outcome.map(|o| o.to_string()),
            window: c.window.clone(),
            links: links_of(c),
        });
    }
    Ok(Notes {
        id: rel.id.to_string(),
        title: rel.title.clone(),
        version: rel.version.clone(),
        status: rel.status.to_string(),
        target_date: rel.target_date.map(|d| d.to_string()),
        window: rel.window.clone(),
        released_at: rel
            .timeline
            .iter()
            .find(|e| e.status == Some(ReleaseStatus::Released))
            .map(|e| e.at),
        services: rel.services.iter().map(|s| s.to_string()).collect(),
        notes: rel.notes.clone(),
        changes,
        missing,
        summary,
    })
}

/// Renders notes as `md`, `html` (auto-escaped) or `json`; `template`
/// overrides the built-in one (the repo's `templates/release-notes.<fmt>.j2`).
pub fn render(n: &Notes, format: &str, template: Option<&str>) -> Result<String, String> {
    use minijinja::{AutoEscape, Environment};
    let (name, builtin) = match format {
        "json" => {
            return serde_json::to_string_pretty(n)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string())
        }
        "md" => ("release-notes.md.j2", TEMPLATE_MD),
        "html" => ("release-notes.html.j2", TEMPLATE_HTML),
        other => return Err(format!("unknown format `{other}`")),
    };
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    // Markdown table cells and inline text: no pipes, no line breaks, no HTML.
    env.add_filter("md", |v: String| -> String {
        v.replace('\\', "\\\\")
            .replace('|', "\\|")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace(['\r', '\n'], " ")
    });
    env.add_template_owned(name.to_string(), template.unwrap_or(builtin).to_string())
        .map_err(|e| format!("template {name}: {e:#}"))?;
    let t = env
        .get_template(name)
        .map_err(|e| format!("template {name}: {e:#}"))?;
    let out = t
        .render(minijinja::value::Value::from(minijinja::value::Serde(n)))
        .map_err(|e| format!("template {name}: {e:#}"))?;
    Ok(crate::text::clean_owned(out))
}

/// Releases in a report period: those that reached `released` in it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReleaseKpi {
    pub released: usize,
    pub ids: Vec<String>,
}

/// [`ReleaseKpi`] for `[from, to)`.
pub fn kpi(records: &[Loaded], from: jiff::Timestamp, to: jiff::Timestamp) -> ReleaseKpi {
    let mut ids: Vec<String> = records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Release(r) => r
                .timeline
                .iter()
                .find(|e| e.status == Some(ReleaseStatus::Released))
                .filter(|e| e.at.as_jiff() >= from && e.at.as_jiff() < to)
                .map(|_| r.id.to_string()),
            _ => None,
        })
        .collect();
    ids.sort();
    ReleaseKpi {
        released: ids.len(),
        ids,
    }
}

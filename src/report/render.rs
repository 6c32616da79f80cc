//! Rendering a [`Report`] with minijinja templates, in the shared
//! environment of [`crate::templating`] (escaping, filters, overrides).
//!
//! The built-in templates are compiled into the binary; an ITSM repo may
//! override them with files of the same name under `templates/`
//! ([`render_in_repo`]). HTML templates are auto-escaped. Besides the
//! report's fields, templates get `charts` ([`super::charts::Charts`]):
//! geometry for the HTML's inline SVG, computed here and never part of the
//! report's data or JSON.

use super::charts::Charts;
use super::Report;
use minijinja::value::{Serde, Value};
use std::path::Path;

/// The built-in Markdown template.
pub const TEMPLATE_MD: &str = include_str!("../../templates/report.md.j2");
/// The built-in HTML template.
pub const TEMPLATE_HTML: &str = include_str!("../../templates/report.html.j2");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Md,
    Html,
    Json,
}

impl Format {
    /// The template file name (also the override's name under `templates/`).
    pub fn template_name(self) -> Option<&'static str> {
        match self {
            Format::Md => Some("report.md.j2"),
            Format::Html => Some("report.html.j2"),
            Format::Json => None,
        }
    }
}

/// The last line of a Markdown or HTML report written with `--out` (a
/// comment in both): gitsm replaces an existing file only when it ends with
/// this line.
pub const OUT_MARKER: &str = "<!-- Written by gitsm report; gitsm replaces this file on every run. -->";

/// The bytes of a report file written with `--out`: the marker line last
/// for Markdown and HTML; JSON is left as it is and recognised by its shape
/// (see [`is_ours`]).
pub fn marked(format: Format, text: &str) -> String {
    match format {
        Format::Json => text.to_string(),
        _ => format!("{text}{OUT_MARKER}\n"),
    }
}

/// Whether an existing file is one `gitsm report --out` wrote: it ends
/// with [`OUT_MARKER`], or it is a JSON report (an object with the report's
/// `generated_at`, `period` and `conventions`).
pub fn is_ours(bytes: &[u8]) -> bool {
    if bytes.trim_ascii_end().ends_with(OUT_MARKER.as_bytes()) {
        return true;
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(m)) => ["generated_at", "period", "conventions"]
            .iter()
            .all(|k| m.contains_key(*k)),
        _ => false,
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The repo's override of the template could not be read (or was refused).
    #[error(transparent)]
    Override(#[from] crate::templating::OverrideError),
    #[error("{0}")]
    Template(String),
}

/// Renders a report with the repo's override of the format's template
/// (`templates/report.md.j2`, `templates/report.html.j2`) when there is one.
pub fn render_in_repo(report: &Report, format: Format, root: &Path) -> Result<String, RenderError> {
    let custom = match format.template_name() {
        Some(name) => crate::templating::read_override(root, &format!("templates/{name}"))?,
        None => None,
    };
    render(report, format, custom.as_deref()).map_err(RenderError::Template)
}

/// Renders a report. `override_template` replaces the built-in template of
/// the format.
pub fn render(report: &Report, format: Format, override_template: Option<&str>) -> Result<String, String> {
    let Some(name) = format.template_name() else {
        let mut s = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
        s.push('\n');
        return Ok(s);
    };
    let source = override_template.unwrap_or(match format {
        Format::Md => TEMPLATE_MD,
        _ => TEMPLATE_HTML,
    });
    let tz = jiff::tz::db()
        .get(&report.period.timezone)
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let mut env = crate::templating::environment(&tz, crate::templating::Family::Report);
    env.add_template_owned(name.to_string(), source.to_string())
        .map_err(|e| format!("template {name}: {e:#}"))?;
    let ctx = minijinja::context! {
        charts => Value::from(Serde(Charts::of(report))),
        ..Value::from(Serde(report))
    };
    let mut out =
        crate::templating::render(&env, name, ctx).map_err(|e| format!("template {name}: {e:#}"))?;
    // minijinja drops the template's final newline; files should end with one.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

//! Rendering a [`Report`] with minijinja templates.
//!
//! The built-in templates are compiled into the binary; an ITSM repo may
//! override them with files of the same name under `templates/`. HTML
//! templates are auto-escaped. Filters available to templates:
//!
//! - `duration`: seconds → `26h 30m` (`—` for none);
//! - `pct(digits=2)`: a percentage → `99.95 %` (`—` for none);
//! - `dt`: an RFC 3339 instant → `2026-10-05 12:35` in the report's time zone;
//! - `md`: escapes text for a Markdown table cell (`|`, newlines).

use super::Report;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment};

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

/// Renders a report. `override_template` replaces the built-in template of
/// the format (the CLI reads it from the repo's `templates/`).
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
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") || name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("duration", |v: Value| -> String {
        match i64::try_from(v) {
            Ok(s) => super::duration(s),
            Err(_) => "—".into(),
        }
    });
    // The points of a trend's sparkline (`crate::trends::sparkline_points`).
    env.add_filter("sparkline", |v: Value| -> String {
        let values: Vec<Option<f64>> = v
            .try_iter()
            .map(|it| it.map(|x| f64::try_from(x).ok()).collect())
            .unwrap_or_default();
        crate::trends::sparkline_points(&values, 120.0, 24.0)
    });
    env.add_filter("pct", |v: Value, digits: Option<usize>| -> String {
        match f64::try_from(v) {
            Ok(p) => format!("{:.*} %", digits.unwrap_or(2), p),
            Err(_) => "—".into(),
        }
    });
    let tz = jiff::tz::db()
        .get(&report.period.timezone)
        .unwrap_or(jiff::tz::TimeZone::UTC);
    env.add_filter("dt", move |v: String| -> String {
        match v.parse::<jiff::Timestamp>() {
            Ok(t) => tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => v,
        }
    });
    env.add_filter("md", |v: String| -> String {
        v.replace('\\', "\\\\")
            .replace('|', "\\|")
            .replace(['\r', '\n'], " ")
    });
    env.add_template_owned(name.to_string(), source.to_string())
        .map_err(|e| format!("template {name}: {e:#}"))?;
    let t = env
        .get_template(name)
        .map_err(|e| format!("template {name}: {e:#}"))?;
    let mut out = t
        .render(Value::from(minijinja::value::Serde(report)))
        .map_err(|e| format!("template {name}: {e:#}"))?;
    // Defence in depth: a character HTML forbids (E0017) never reaches the
    // page, whatever the template does with it.
    out = crate::text::clean_owned(out);
    // minijinja drops the template's final newline; files should end with one.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

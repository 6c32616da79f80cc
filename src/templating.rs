//! The one minijinja setup behind every rendered page: the service report
//! (Markdown, HTML) and the status page (HTML, Atom).
//!
//! One place decides how templates escape, which filters they have and what
//! each filter prints, and reads a repo's template overrides (through the
//! one safe repo reader, [`crate::fsutil::read_text_in_repo`]: a symlinked
//! or oversized template is refused, never followed). Callers add the
//! templates and, for the status page, its own vocabulary (`label`,
//! `linkify`, `percent`).
//!
//! Filters every template has:
//! - `duration`: seconds → `26h 30m`, `45m`, `0m` (rounded to the minute;
//!   hours are never folded into days, which are ambiguous on a business
//!   calendar); `—` for none;
//! - `pct(digits=2)`: a percentage → `99.95 %` (`—` for none);
//! - `dt`: an RFC 3339 instant → `2026-10-05 12:35` in the page's time zone;
//! - `datetime`, `date`, `time`: → `Oct 5, 2026, 12:35 CEST`, `Oct 5, 2026`,
//!   `12:35 CEST`; `until(end)`: a time range;
//! - `md`: escapes text for a Markdown table cell (`|`, newlines).

use crate::fsutil::{self, ReadError};
use jiff::tz::TimeZone;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment};
use std::path::Path;

/// Seconds as `26h 30m`: the one way durations are written in reports, on
/// the status page and by `gitsm sla`.
pub fn duration(secs: i64) -> String {
    crate::sla::fmt_secs(secs)
}

/// Whether a template's output is escaped as HTML: everything but Markdown,
/// so a template of any other name (an override, the Atom feed, a macro
/// file) is escaped (HTML escaping is valid XML escaping).
fn escape_for(name: &str) -> AutoEscape {
    if name.ends_with(".md.j2") || name.ends_with(".md") {
        AutoEscape::None
    } else {
        AutoEscape::Html
    }
}

/// The two families of templates, which differ in syntax details their
/// built-in templates (and users' overrides of them) rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The service report: block tags keep their line breaks (the Markdown
    /// tables rely on it) and an undefined variable is an error.
    Report,
    /// The status page: `trim_blocks` and `lstrip_blocks`; an undefined
    /// attribute (an optional field left out of the document) is empty.
    StatusPage,
}

fn parse_ts(s: &str) -> Option<jiff::Timestamp> {
    s.parse().ok()
}

/// `Dec 8, 2026, 02:00 – 05:00 CET`, or both dates in full when they differ.
pub fn time_range(a: jiff::Timestamp, b: jiff::Timestamp, tz: &TimeZone) -> String {
    let (za, zb) = (a.to_zoned_datetime(tz.clone()), b.to_zoned_datetime(tz.clone()));
    if za.date() == zb.date() && za.offset() == zb.offset() {
        format!(
            "{} – {}",
            za.strftime("%b %-d, %Y, %H:%M"),
            zb.strftime("%H:%M %Z")
        )
    } else {
        format!(
            "{} – {}",
            za.strftime("%b %-d, %Y, %H:%M %Z"),
            zb.strftime("%b %-d, %Y, %H:%M %Z")
        )
    }
}

/// An environment with the shared escaping and filters, for pages of
/// `family` in time zone `tz`.
pub fn environment(tz: &TimeZone, family: Family) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(escape_for);
    if family == Family::Report {
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    } else {
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("default delimiters"),
        );
    }
    env.add_filter("duration", |v: Value| -> String {
        match i64::try_from(v) {
            Ok(s) => duration(s),
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
    env.add_filter("md", |v: String| -> String {
        v.replace('\\', "\\\\")
            .replace('|', "\\|")
            .replace(['\r', '\n'], " ")
    });
    let zone = tz.clone();
    env.add_filter("dt", move |v: String| -> String {
        match parse_ts(&v) {
            Some(t) => zone.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string(),
            None => v,
        }
    });
    let zone = tz.clone();
    env.add_filter("datetime", move |s: &str| -> String {
        match parse_ts(s) {
            Some(t) => t
                .to_zoned_datetime(zone.clone())
                .strftime("%b %-d, %Y, %H:%M %Z")
                .to_string(),
            None => s.to_string(),
        }
    });
    let zone = tz.clone();
    env.add_filter("date", move |s: &str| -> String {
        let d = match parse_ts(s) {
            Some(t) => Some(t.to_zoned_datetime(zone.clone()).date()),
            None => s.parse::<jiff::civil::Date>().ok(),
        };
        d.map_or_else(|| s.to_string(), |d| d.strftime("%b %-d, %Y").to_string())
    });
    let zone = tz.clone();
    env.add_filter("time", move |s: &str| -> String {
        match parse_ts(s) {
            Some(t) => t.to_zoned_datetime(zone.clone()).strftime("%H:%M %Z").to_string(),
            None => s.to_string(),
        }
    });
    let zone = tz.clone();
    env.add_filter("until", move |start: &str, end: &str| -> String {
        match (parse_ts(start), parse_ts(end)) {
            (Some(a), Some(b)) => time_range(a, b, &zone),
            _ => format!("{start} – {end}"),
        }
    });
    env
}

/// A template override that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {error}")]
pub struct OverrideError {
    /// The override's path in the repo, e.g. `templates/report.md.j2`.
    pub path: String,
    /// A source, so that `fsutil::is_refusal` sees the refusal through it.
    #[source]
    pub error: ReadError,
}

impl OverrideError {
    /// Refused for safety (a symlink, a FIFO, too large), not merely unreadable.
    pub fn is_refusal(&self) -> bool {
        self.error.is_refusal()
    }
}

/// The override `rel` (e.g. `templates/report.md.j2`) of the repo at `root`,
/// `None` when there is none.
pub fn read_override(root: &Path, rel: &str) -> Result<Option<String>, OverrideError> {
    match fsutil::read_text_in_repo(root, rel, fsutil::TEMPLATE) {
        Ok(s) => Ok(Some(s)),
        Err(ReadError::NotFound) => Ok(None),
        Err(error) => Err(OverrideError {
            path: rel.to_string(),
            error,
        }),
    }
}

/// The names of the files in the repo folder `dir` (e.g. `templates/status`),
/// empty when there is no such folder.
pub fn list_overrides(root: &Path, dir: &str) -> Result<Vec<String>, OverrideError> {
    fsutil::list_dir_in_repo(root, dir)
        .map(Option::unwrap_or_default)
        .map_err(|error| OverrideError {
            path: dir.to_string(),
            error,
        })
}

/// Renders the template `name` of `env` with `ctx` into a file's text: a
/// character HTML or XML forbids (E0017) never reaches the output, whatever
/// the template does with it, and the text ends with a newline.
/// [`render`] straight into `w`, for outputs too large to hold (the status
/// page's history at a million records): each piece the template writes is
/// cleaned as [`render`] cleans the whole.
pub fn render_to(
    env: &Environment<'_>,
    name: &str,
    ctx: Value,
    w: &mut dyn std::io::Write,
) -> Result<(), minijinja::Error> {
    struct Clean<'a>(&'a mut dyn std::io::Write);
    impl std::io::Write for Clean<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            // minijinja writes whole `str`s; anything else is refused, not
            // passed on unchecked.
            let s = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
            self.0.write_all(crate::text::clean(s).as_bytes())?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }
    env.get_template(name)?.render_captured_to(ctx, Clean(w))?;
    Ok(())
}

pub fn render(env: &Environment<'_>, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    let mut out = env.get_template(name)?.render(ctx)?;
    out = crate::text::clean_owned(out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_to_writes_what_render_returns_cleaned() {
        let mut env = environment(&TimeZone::UTC, Family::StatusPage);
        env.add_template_owned(
            "t.html.j2".to_string(),
            "<p>{{ x }}\u{7}</p>{% for i in xs %}{{ i }},{% endfor %}".to_string(),
        )
        .unwrap();
        let ctx = minijinja::context! { x => "a\u{1}b<", xs => vec!["\u{FFFF}", "ok"] };
        let whole = render(&env, "t.html.j2", ctx.clone()).unwrap();
        let mut streamed = Vec::new();
        render_to(&env, "t.html.j2", ctx, &mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
        assert_eq!(whole, "<p>a\u{FFFD}b&lt;\u{FFFD}</p>\u{FFFD},ok,");
    }

    #[test]
    fn one_duration_format() {
        assert_eq!(duration(0), "0m");
        assert_eq!(duration(29), "0m");
        assert_eq!(duration(45 * 60), "45m");
        assert_eq!(duration(2 * 3600 + 14 * 60), "2h 14m");
        assert_eq!(duration(26 * 3600 + 30 * 60), "26h 30m");
        assert_eq!(duration(3 * 86_400 + 2 * 3600 + 5), "74h");
        assert_eq!(duration(-90 * 60), "-1h 30m");
    }

    #[test]
    fn markdown_is_not_escaped_everything_else_is() {
        let mut env = environment(&TimeZone::UTC, Family::Report);
        for name in ["a.md.j2", "a.html.j2", "feed.atom.j2", "custom.j2"] {
            env.add_template_owned(name.to_string(), "{{ x }} {{ s | duration }}".to_string())
                .unwrap();
        }
        let ctx = minijinja::context! { x => "<b>", s => 95_400 };
        let md = render(&env, "a.md.j2", ctx.clone()).unwrap();
        assert_eq!(md, "<b> 26h 30m");
        for name in ["a.html.j2", "feed.atom.j2", "custom.j2"] {
            assert_eq!(
                render(&env, name, ctx.clone()).unwrap(),
                "&lt;b&gt; 26h 30m",
                "{name}"
            );
        }
    }
}

//! Helpers shared by several commands: loading a repo for the figures
//! commands (`report`, `sla`, `status-page`) with one warning, and the
//! authoring helpers of `new`, `transition` and `log`.

use super::Globals;
use clap::ValueEnum;
use gitsm::diag::{self, Finding, Severity};
use gitsm::model::Timestamp;
use gitsm::repo;
use gitsm::validate::Validation;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Output format of the authoring commands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Human,
    Json,
}

/// Loads and validates what a figures command (`report`, `sla`,
/// `status-page`) needs of the repo at `root` (see [`gitsm::figures`]), and
/// warns on stderr when the figures may be off (see [`findings_warning`]).
pub(super) fn load_for_figures(
    root: &Path,
    need: gitsm::figures::Need,
    now: Option<jiff::Timestamp>,
) -> anyhow::Result<Validation> {
    load_for_figures_with(root, need, None, now)
}

/// What the status page at `now` loads
/// ([`gitsm::figures::load_status_page`]), with [`load_for_figures`]'s
/// warning.
pub(super) fn load_status_page(root: &Path, now: jiff::Timestamp) -> anyhow::Result<Validation> {
    let s = gitsm::figures::load_status_page(&repo::WorkTree::cached(root), now)?;
    if let Some(w) = findings_warning(&s.validation, &s.unread) {
        eprintln!("{w}");
    }
    Ok(s.validation)
}

/// [`load_for_figures`] for a report that knows its merges
/// ([`gitsm::figures::load_with`]); with `now`, the records kept are cut to
/// how they stood then ([`gitsm::figures::load_at`]), as the command reads
/// them anyway.
fn load_for_figures_with(
    root: &Path,
    need: gitsm::figures::Need,
    merges: Option<&gitsm::figures::MergeRefs>,
    now: Option<jiff::Timestamp>,
) -> anyhow::Result<Validation> {
    load_source_for_figures(&repo::WorkTree::cached(root), need, merges, now)
}

/// [`load_for_figures_with`] from a work tree the caller made (and may
/// have started walking, [`repo::WorkTree::walk_ahead`]).
fn load_source_for_figures(
    source: &repo::WorkTree,
    need: gitsm::figures::Need,
    merges: Option<&gitsm::figures::MergeRefs>,
    now: Option<jiff::Timestamp>,
) -> anyhow::Result<Validation> {
    let s = match now {
        Some(now) => gitsm::figures::load_at(source, need, merges, now)?,
        None => gitsm::figures::load_with(source, need, merges)?,
    };
    if let Some(w) = findings_warning(&s.validation, &s.unread) {
        eprintln!("{w}");
    }
    Ok(s.validation)
}

/// [`load_for_figures`] for a command whose [`gitsm::figures::Need`]
/// depends on the repo's time zone (a month starts at a local midnight):
/// `need_in(tz)` with the zone gitsm.yaml names, and once more with the
/// loaded config's should they differ (a config that did not load as
/// written). `need_in` may also give the merges a report reads
/// ([`gitsm::figures::MergeRefs`]). Returns the load, what `need_in` gave
/// besides, and the zone the figures follow. Records are kept as they stood
/// at `now`.
#[allow(clippy::type_complexity)]
pub(super) fn load_for_figures_in_zone<T>(
    root: &Path,
    now: jiff::Timestamp,
    need_in: impl Fn(&str) -> Result<(gitsm::figures::Need, Option<gitsm::figures::MergeRefs>, T), super::Failure>,
) -> Result<(Validation, T, String), super::Failure> {
    let mut tz = configured_timezone(root);
    let mut attempts = 0;
    loop {
        // The tree is listed while `need_in` works (the report reads the
        // branch's merges meanwhile).
        let source = repo::WorkTree::cached(root).walk_ahead();
        let (need, merges, extra) = need_in(&tz)?;
        let v = load_source_for_figures(&source, need, merges.as_ref(), Some(now))?;
        let loaded = repo_timezone(&v.snapshot);
        attempts += 1;
        // Tickets never set the zone, so the second load agrees with itself.
        if loaded == tz || attempts == 2 {
            return Ok((v, extra, loaded));
        }
        tz = loaded;
    }
}

/// What validation errors mean for figures: records the loader could not
/// read (`unread`) are left out; every other error (a rule, or a loader
/// error on a record that was still read) stays in and may skew the figures.
/// `None` when the repo has no errors.
pub(super) fn findings_warning(v: &Validation, unread: &HashSet<String>) -> Option<String> {
    let rule_errors = v
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && !unread.contains(&f.file))
        .count();
    let mut parts = Vec::new();
    match unread.len() {
        0 => {}
        1 => parts.push("1 record could not be read and is left out".to_string()),
        n => parts.push(format!("{n} records could not be read and are left out")),
    }
    match rule_errors {
        0 => {}
        1 => parts.push("1 rule error may skew the figures".to_string()),
        n => parts.push(format!("{n} rule errors may skew the figures")),
    }
    (!parts.is_empty()).then(|| format!("warning: {} (run `gitsm validate`)", parts.join("; ")))
}

/// The repo's time zone (`timezone` in gitsm.yaml), UTC by default.
pub(super) fn repo_timezone(s: &repo::Snapshot) -> String {
    s.config()
        .and_then(|c| c.timezone.clone())
        .filter(|tz| jiff::tz::db().get(tz).is_ok())
        .unwrap_or_else(|| "UTC".into())
}

/// Who acts: `--by`, else git config `github.user`, else `user.name`, else `$USER`.
pub(super) fn resolve_by(by: Option<String>, root: &Path) -> anyhow::Result<String> {
    if let Some(b) = by {
        if b.trim().is_empty() {
            anyhow::bail!("--by is empty");
        }
        return Ok(b);
    }
    let config = git2::Repository::discover(root)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default());
    if let Ok(c) = config {
        for key in ["github.user", "user.name"] {
            if let Ok(v) = c.get_string(key) {
                if !v.trim().is_empty() {
                    return Ok(v.trim().to_string());
                }
            }
        }
    }
    match std::env::var("USER") {
        Ok(u) if !u.trim().is_empty() => Ok(u),
        _ => anyhow::bail!("cannot tell who you are: pass --by LOGIN or set `git config github.user`"),
    }
}

/// The event time: `--at` as written, else `--now`, else the current second,
/// written with the offset of the repo's `timezone` (UTC when unset).
pub(super) fn event_time(g: &Globals, at: Option<String>, root: &Path) -> anyhow::Result<String> {
    match at {
        Some(s) => {
            s.parse::<Timestamp>().map_err(|e| anyhow::anyhow!("--at: {e}"))?;
            Ok(s)
        }
        None => {
            let now = match g.now {
                Some(t) => t,
                None => jiff::Timestamp::now().round(jiff::Unit::Second)?,
            };
            let tz = config_timezone(root).and_then(|name| jiff::tz::db().get(&name).ok());
            Ok(match tz {
                Some(tz) if tz.to_offset(now) != jiff::tz::Offset::UTC => now
                    .to_zoned_datetime(tz)
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string(),
                _ => now.to_string(),
            })
        }
    }
}

/// The repo's time zone as [`repo_timezone`] will find it, read from
/// gitsm.yaml alone (before loading the repo).
pub(super) fn configured_timezone(root: &Path) -> String {
    config_timezone(root)
        .filter(|tz| jiff::tz::db().get(tz).is_ok())
        .unwrap_or_else(|| "UTC".into())
}

/// `timezone:` from gitsm.yaml, read without the full loader.
fn config_timezone(root: &Path) -> Option<String> {
    let text = gitsm::fsutil::read_text_in_repo(root, repo::CONFIG_FILE, gitsm::fsutil::RECORD).ok()?;
    let node = gitsm::yaml::parse(&text).ok()??;
    node.get("timezone")?.as_str().map(str::to_string)
}

pub(super) fn print_findings(findings: &[Finding], file: &str, text: &str, color: bool) {
    let mut sources = HashMap::new();
    sources.insert(file.to_string(), text.to_string());
    eprint!("{}", diag::render_human(findings, &sources, color));
}

/// The text of a repo file a finding quotes, read the one safe way (no
/// symlink, regular file, size-capped); empty when it cannot be read, so a
/// finding on a symlink never quotes what the link points at.
pub(super) fn quoted_source(root: &Path, rel: &str) -> String {
    gitsm::fsutil::read_text_in_repo(root, rel, gitsm::fsutil::RECORD).unwrap_or_default()
}

/// The sources of every file that has a finding, for the human renderer.
pub(super) fn quoted_sources(root: &Path, findings: &[Finding]) -> HashMap<String, String> {
    let mut sources: HashMap<String, String> = HashMap::new();
    for f in findings {
        if !sources.contains_key(&f.file) {
            if let Ok(t) = gitsm::fsutil::read_text_in_repo(root, &f.file, gitsm::fsutil::RECORD) {
                sources.insert(f.file.clone(), t);
            }
        }
    }
    sources
}

/// A path for the user: relative to the current folder when it is inside it.
pub(super) fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match cwd.as_ref().and_then(|c| abs.strip_prefix(c).ok()) {
        Some(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// `GITSM_TIMINGS=1`: how long each step of a command took, and the peak
/// memory so far (Linux; empty elsewhere), on stderr, for the benchmarks.
pub(super) struct Laps {
    on: bool,
    clock: std::time::Instant,
}

impl Laps {
    pub(super) fn start() -> Laps {
        Laps {
            on: std::env::var_os("GITSM_TIMINGS").is_some(),
            clock: std::time::Instant::now(),
        }
    }

    pub(super) fn lap(&self, what: &str) {
        if !self.on {
            return;
        }
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
            .unwrap_or_default();
        eprintln!("{what}: {:.3} s {peak}", self.clock.elapsed().as_secs_f64());
    }
}

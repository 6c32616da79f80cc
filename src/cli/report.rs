use super::{common, Exit, Failure, Globals};
use clap::ValueEnum;
use gitsm::report::{self, Format as RFormat, Period};
use std::path::{Path, PathBuf};

/// Render a service report for a period: availability, incidents, SLA compliance, changes, problems
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The period is a month (--period, default: the last full month) or a range of dates \
(--from/--to, both included), in the repo's time zone. The report adds DORA, the month's error budgets and trends over the last 12 periods \
(months, or spans as long as --from/--to); --service narrows every section to one service. Templates `templates/report.md.j2` and \
`templates/report.html.j2` in the ITSM repo replace the built-in ones.\n\n\
Examples:\n  gitsm report --period 2026-10\n  gitsm report --period 2026-10 --format html --out report.html\n  gitsm report --from 2026-10-01 --to 2026-10-15 --service checkout --format json"
)]
pub struct Args {
    /// A calendar month, YYYY-MM
    #[arg(long, value_name = "YYYY-MM", conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// First day of the period, YYYY-MM-DD
    #[arg(long, value_name = "DATE", requires = "to")]
    from: Option<String>,
    /// Last day of the period (included), YYYY-MM-DD
    #[arg(long, value_name = "DATE", requires = "from")]
    to: Option<String>,
    /// Only this service
    #[arg(long, value_name = "SERVICE")]
    service: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
    /// Write to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Md,
    Html,
    Json,
}

/// The period of `--period`, `--from/--to`, or the last full month before `now`.
fn period_of(a: &Args, tz: &str, now: jiff::Timestamp) -> Result<Period, String> {
    match (&a.period, &a.from, &a.to) {
        (Some(p), _, _) => Period::month(p, tz),
        (None, Some(f), Some(t)) => Period::days(f, t, tz),
        _ => {
            // The last full month before `now`, in the repo's zone.
            let zone = jiff::tz::db().get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
            let today = zone.to_datetime(now).date();
            let prev = today.first_of_month().yesterday().unwrap_or(today);
            Period::month(&prev.strftime("%Y-%m").to_string(), tz)
        }
    }
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    // GITSM_TIMINGS=1 prints how long each step took (for the benchmark).
    let laps = common::Laps::start();
    // The period, in the repo's zone, decides which tickets are loaded.
    // DORA reads the branch's history when the repo is in git: merges of
    // the period and the quarter before it (a merge precedes the change's
    // completion it leads to), and of the trends' periods. Read first, so
    // the load keeps only the old changes those merges can reach.
    let (v, (period, git), _) = common::load_for_figures_in_zone(&root, now, |tz| {
        let period = period_of(&a, tz, now).map_err(Failure::runtime)?;
        let (from, to) = period.needed_span(now);
        let since = from
            .checked_sub(jiff::SignedDuration::from_hours(24 * 90))
            .unwrap_or(from);
        let git = match gitsm::dora::read_merges(&root, since) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("warning: git history not read, so DORA counts change records only: {e}");
                None
            }
        };
        laps.lap("read merges");
        let merges = gitsm::figures::MergeRefs::new(since, git.as_ref());
        Ok((
            gitsm::figures::Need::Report { from, to },
            Some(merges),
            (period, git),
        ))
    })?;
    laps.lap("load");
    let rep = report::build(
        &v.snapshot.records,
        report::Options {
            period,
            service: a.service.as_deref(),
            now,
            git: git.as_ref(),
        },
    )
    .map_err(Failure::runtime)?;
    laps.lap("compute");
    let format = match a.format {
        Format::Md => RFormat::Md,
        Format::Html => RFormat::Html,
        Format::Json => RFormat::Json,
    };
    // The override is read by the library's one repo reader: a template that
    // is a symlink (to a secret, to /proc/self/environ) is refused, not rendered.
    let text = match report::render_in_repo(&rep, format, &root) {
        Ok(t) => t,
        Err(report::RenderError::Override(e)) => return Err(Failure::io(&e, e.is_refusal())),
        Err(e) => return Err(anyhow::Error::new(e).into()),
    };
    laps.lap("render");
    match a.out {
        Some(path) => {
            let (base, rel) = gitsm::fsutil::split_given(&path, Some(&root));
            let dir = gitsm::fsutil::resolve_lexically(
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new(".")),
            );
            if let Some(why) = dir
                .ok()
                .and_then(|d| gitsm::fsutil::forbidden_output(&d, &root, false))
            {
                return Err(Failure::refused(format!(
                    "--out {}: refusing to write there: {why}",
                    path.display()
                )));
            }
            let bytes = report::marked(format, &text);
            if let Err(e) = gitsm::fsutil::write_file(
                &base,
                &rel,
                bytes.as_bytes(),
                gitsm::fsutil::Replace::IfOurs(&report::is_ours),
            ) {
                return Err(Failure::io(format!("--out: {e}"), e.is_refusal()));
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    // The process ends here: freeing the loaded records one by one only
    // costs time (as in `status-page`).
    std::mem::forget(rep);
    std::mem::forget(v);
    Ok(Exit::Success)
}

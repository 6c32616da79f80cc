//! `gitsm calendar`: change windows, maintenance and freezes as iCalendar
//! (RFC 5545) or JSON, from [`gitsm::ical`].

use super::{common, Exit, Failure, Globals};
use clap::ValueEnum;
use gitsm::ical;
use std::path::{Path, PathBuf};

/// Write change windows, maintenance, release windows and freezes as an iCalendar file to subscribe to
#[derive(clap::Args, Debug)]
#[command(
    after_help = "One event per change window (maintenance ones marked), per release window and per freeze of the policy, in UTC. \
UIDs are stable (the record id), SEQUENCE grows with every timeline event, and cancelled or rejected changes and cancelled releases \
stay in with STATUS:CANCELLED, so a calendar app that subscribed once keeps up. See docs/metrics.md.\n\n\
Examples:\n  gitsm calendar --out changes.ics\n  gitsm calendar --format json"
)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Ics)]
    format: Format,
    /// Write to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Ics,
    Json,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let v = common::load_for_figures(&root, gitsm::figures::Need::All, None)?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let records = &v.snapshot.records;
    let title = v
        .snapshot
        .config()
        .and_then(|c| c.status_page.as_ref())
        .and_then(|s| s.title.clone())
        .unwrap_or_else(|| ical::uid_domain(records));
    let cal = ical::Calendar {
        format: ical::JSON_FORMAT.into(),
        name: format!("{title}: changes and freezes"),
        generated_at: now,
        events: ical::events(records, now),
    };
    let text = match a.format {
        Format::Ics => ical::write(&cal),
        Format::Json => serde_json::to_string_pretty(&cal)? + "\n",
    };
    let Some(path) = a.out else {
        print!("{text}");
        return Ok(Exit::Success);
    };
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
    if let Err(e) = gitsm::fsutil::write_file(
        &base,
        &rel,
        text.as_bytes(),
        gitsm::fsutil::Replace::IfOurs(&ical::is_ours),
    ) {
        return Err(Failure::io(format!("--out: {e}"), e.is_refusal()));
    }
    eprintln!("wrote {} ({} events)", path.display(), cal.events.len());
    Ok(Exit::Success)
}

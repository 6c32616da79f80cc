//! `gitsm release-notes REL-…`: a release's changes as md, html or json.

use super::{Exit, Failure, Globals};
use clap::ValueEnum;

/// Render the notes of a release: its changes with type, risk, services, outcome and links
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Templates: the built-in release-notes.md.j2 / release-notes.html.j2, or the ITSM repo's own\n\
templates/release-notes.<md|html>.j2. Links are the https:// values of each change's `extra`.\n\n\
Examples:\n  gitsm release-notes REL-0002\n  gitsm release-notes REL-0002 --format html > notes.html"
)]
pub struct Args {
    /// The release id
    id: String,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Md,
    Html,
    Json,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let v = super::common::load_for_figures(&root, gitsm::figures::Need::All, None)?;
    let records = gitsm::availability::records_as_of(&v.snapshot.records, now);
    let notes = match gitsm::release::notes(&records, &a.id) {
        Ok(n) => n,
        Err(e) => {
            return Err(Failure::refused(format!("{}", gitsm::diag::terminal_safe(&e))));
        }
    };
    let fmt = match a.format {
        Format::Md => "md",
        Format::Html => "html",
        Format::Json => "json",
    };
    let over = format!("templates/release-notes.{fmt}.j2");
    let template = match gitsm::fsutil::read_text_in_repo(&root, &over, gitsm::fsutil::TEMPLATE) {
        Ok(t) => Some(t),
        Err(gitsm::fsutil::ReadError::NotFound) => None,
        Err(e) => {
            return Err(Failure::io(format!("{over}: {e}"), e.is_refusal()));
        }
    };
    match gitsm::release::render(&notes, fmt, template.as_deref()) {
        Ok(s) => {
            print!("{s}");
            Ok(Exit::Success)
        }
        Err(e) => Err(Failure::runtime(e)),
    }
}

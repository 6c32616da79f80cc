//! `gitsm impact ID`: everything downstream of a service or configuration
//! item, with their open tickets and upcoming windows.

use super::{Exit, Failure, Globals};
use clap::ValueEnum;

/// Show what a service or configuration item takes down with it
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Follows `depends_on` of configuration items and services and the `services` of\n\
configuration items, transitively; lists the open incidents, problems and changes that name any of them\n\
and the change and release windows still to come. Prefix `service:` or `ci:` when a service and a CI share an id.\n\n\
Examples:\n  gitsm impact pg-commerce\n  gitsm impact checkout --format json\n  gitsm impact tls-shop-wildcard --format mermaid   # paste into a GitHub comment in a ```mermaid block"
)]
pub struct Args {
    /// A service id or configuration item id (`service:ID`, `ci:ID` to disambiguate)
    id: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Mermaid,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let v = super::common::load_for_figures(&root, gitsm::figures::Need::All, None)?;
    let records = gitsm::availability::records_as_of(&v.snapshot.records, now);
    let impact = match gitsm::impact::impact(&records, &a.id, now) {
        Ok(i) => i,
        Err(e) => {
            return Err(Failure::refused(format!(
                "{}",
                gitsm::diag::terminal_safe(&e.to_string())
            )));
        }
    };
    let out = match a.format {
        Format::Human => gitsm::impact::render_human(&impact),
        Format::Json => serde_json::to_string_pretty(&impact)? + "\n",
        Format::Mermaid => gitsm::impact::render_mermaid(&impact),
    };
    print!("{out}");
    Ok(Exit::Success)
}

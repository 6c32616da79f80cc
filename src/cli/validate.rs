use super::{Exit, Globals};
use clap::ValueEnum;
use gitsm::diag;

/// Check every record against its schema and the repo's rules
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  gitsm validate\n  gitsm --repo examples/acme validate --format json\n  gitsm validate --format github   # annotations on the PR diff"
)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    // Cached (see `gitsm::repo::cache`): a second run on a large repo reads
    // one file instead of parsing every record again.
    let source = gitsm::repo::WorkTree::cached(&root);
    // The summary keeps no records: memory stays small on repos of 100k tickets.
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let v = gitsm::validate::validate_summary_at(&source, Some(now))?;
    let out = match a.format {
        Format::Human => {
            // Read only the files that have findings, for their source lines.
            let sources = super::common::quoted_sources(&root, &v.findings);
            let mut s = diag::render_human(&v.findings, &sources, g.color);
            if v.findings.is_empty() {
                s = format!("ok: {} records in {} files, no findings\n", v.records, v.files);
            }
            s
        }
        Format::Json => diag::render_json(&v.findings, v.records),
        // Paths relative to the git root (SPEC §6), so annotations land on
        // the PR diff when the ITSM repo is a sub-folder.
        Format::Github => diag::render_github(&v.findings, &gitsm::repo::git::path_base(&root)),
        Format::Sarif => diag::render_sarif(&v.findings, &gitsm::repo::git::path_base(&root)),
    };
    print!("{out}");
    // In GitHub Actions every finding also goes to the job summary: the
    // annotations of `--format github` stop at the first few per step. A
    // summary that cannot be written is a warning; the findings decide.
    if let Some(path) = super::summary::step_summary_path() {
        let md = super::summary::validate_markdown(&v.findings, v.records, v.files);
        if let Err(e) = super::summary::append(&path, &md) {
            eprintln!("warning: no job summary written: {e:#}");
        }
    }
    Ok(if v.has_errors() {
        Exit::Found
    } else {
        Exit::Success
    })
}

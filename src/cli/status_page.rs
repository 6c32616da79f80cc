use super::{Exit, Failure, Globals};
use std::path::PathBuf;

/// Write the public status page: a static site with status.json and an Atom feed
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Only public services, incidents on them and timeline notes marked `public: true` are shown.\n\
The folder is replaced on every run; gitsm refuses a non-empty folder it did not write.\n\n\
Examples:\n  gitsm status-page --out site\n  gitsm --now 2026-11-24T12:00:00Z status-page --out site   # reproducible output"
)]
pub struct Args {
    /// Folder to write the site into (replaced as a whole)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    // GITSM_TIMINGS=1 prints how long each step took (for the benchmark).
    let laps = super::common::Laps::start();
    let lap = |what: &str| laps.lap(what);
    let v = super::common::load_status_page(&root, now)?;
    let snap = v.snapshot;
    lap("load");
    let built = gitsm::status::build(&snap, now);
    // The page is all in `built`: the records' memory goes before rendering.
    drop(snap);
    lap("build");
    let templates = gitsm::status::render::Templates::new(Some(&root), &built.tz)?;
    // Pages are written as they are rendered, into a fresh folder swapped in
    // at the end.
    let staging = match gitsm::status::site::Staging::begin(&a.out, Some(&root)) {
        Ok(s) => s,
        Err(e) => return Err(site_error(&e)),
    };
    let files = match gitsm::status::render::render_into(&built, &templates, &|f| Ok(staging.put(&f)?)) {
        Ok(n) => n,
        Err(e) => match e.downcast_ref::<gitsm::status::site::SiteError>() {
            Some(se) => return Err(site_error(se)),
            None => return Err(e.into()),
        },
    };
    lap("render and write pages");
    let written = match staging.finish() {
        Ok(w) => w,
        Err(e) => return Err(site_error(&e)),
    };
    lap("write");

    // Settings the page refused and records it left out (e.g. an id that
    // cannot name a page); unreadable records are counted in the warning
    // `load_for_figures` printed.
    if !built.findings.is_empty() {
        let sources = super::common::quoted_sources(&root, &built.findings);
        eprint!(
            "{}",
            gitsm::diag::render_human(&built.findings, &sources, g.color)
        );
    }
    let d = &built.doc;
    println!(
        "wrote {} files to {}: {} ({} services, {} incidents, {} maintenance)",
        files + 1,
        written.display(),
        d.status.description,
        d.services.len(),
        d.incidents.len(),
        d.maintenances.len()
    );
    Ok(Exit::Success)
}

/// A site error as the command's failure.
fn site_error(e: &gitsm::status::site::SiteError) -> Failure {
    Failure::io(e, e.is_refusal())
}

use super::{Exit, Failure, Globals};
use std::path::PathBuf;

/// Write the public status page: a static site with status.json and an Atom feed
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Only public services, incidents on them and timeline notes marked `public: true` are shown.\n\
gitsm refuses a non-empty folder it did not write. A site it wrote before is updated in place: an incident or \
maintenance page whose content would not change is left as it is (a manifest in the folder records what each page was \
made from), every other file is replaced whole, and anything else in the folder is removed. --rebuild writes every \
page into a fresh folder that takes the old one's place at once.\n\n\
Examples:\n  gitsm status-page --out site\n  gitsm --now 2026-11-24T12:00:00Z status-page --out site   # reproducible output"
)]
pub struct Args {
    /// Folder to write the site into (its earlier content is replaced)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write every page into a fresh folder swapped in at the end, instead of
    /// updating the pages that changed
    #[arg(long)]
    rebuild: bool,
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
    // Pages are written as they are rendered: over an earlier site's pages
    // that changed, or into a fresh folder swapped in at the end.
    let site = gitsm::status::render::site_key(&built, &templates)?;
    let update = if a.rebuild {
        None
    } else {
        gitsm::status::update::Update::begin(&a.out, Some(&root), site).map_err(|e| site_error(&e))?
    };
    let failed = |e: anyhow::Error| match e.downcast_ref::<gitsm::status::site::SiteError>() {
        Some(se) => site_error(se),
        None => e.into(),
    };
    let fresh = update.is_none();
    let (rendered, written) = match update {
        Some(update) => {
            let r = gitsm::status::render::render_into(&built, &templates, &update).map_err(failed)?;
            lap("render and write pages");
            (r, update.finish().map_err(|e| site_error(&e))?)
        }
        None => {
            let staging = gitsm::status::site::Staging::begin_keyed(&a.out, Some(&root), site)
                .map_err(|e| site_error(&e))?;
            let r = gitsm::status::render::render_into(&built, &templates, &staging).map_err(failed)?;
            lap("render and write pages");
            (r, staging.finish().map_err(|e| site_error(&e))?)
        }
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
    // Written: the rendered files not kept, the manifest, and in a fresh
    // folder the marker.
    let count = rendered.files - rendered.unchanged + 1 + usize::from(fresh);
    let unchanged = match rendered.unchanged {
        0 => String::new(),
        n => format!(" ({n} unchanged pages kept)"),
    };
    println!(
        "wrote {} files to {}{unchanged}: {} ({} services, {} incidents, {} maintenance)",
        count,
        written.display(),
        d.status.description,
        d.services.len(),
        d.incidents.len(),
        d.maintenances.len()
    );
    // The process ends here: freeing a million records' page documents one
    // by one only cost time (0.3 s at a million records).
    std::mem::forget(built);
    Ok(Exit::Success)
}

/// A site error as the command's failure.
fn site_error(e: &gitsm::status::site::SiteError) -> Failure {
    Failure::io(e, e.is_refusal())
}

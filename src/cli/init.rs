use super::{Exit, Globals};
use std::path::PathBuf;

/// Scaffold a new ITSM repo that validates clean
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  gitsm init my-itsm && cd my-itsm && gitsm validate\n  gitsm --repo my-itsm init     # the same folder, given as --repo\n  gitsm init --action my-org/gitsm@v0.1.0   # workflows use your copy of the Action"
)]
pub struct Args {
    /// Folder to create the repo in (default: --repo, else the current folder)
    dir: Option<PathBuf>,
    /// The GitHub Action the workflows use, OWNER/REPO@REF (default: this
    /// version's release of the gitsm Action; a commit sha works too)
    #[arg(long, value_name = "OWNER/REPO@REF")]
    action: Option<gitsm::init::ActionRef>,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let dir = a
        .dir
        .or_else(|| g.repo.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let name = std::fs::canonicalize(&dir)
        .ok()
        .or_else(|| Some(dir.clone()))
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "itsm".into());
    let action = a.action.unwrap_or_default();
    let files = gitsm::init::scaffold_with(&name, &action);
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| dir.join(p).exists())
        .map(|(p, _)| p.clone())
        .collect();
    if !existing.is_empty() {
        return Err(super::Failure::runtime(format!(
            "{} already holds {}; init never overwrites files",
            dir.display(),
            existing.join(", ")
        )));
    }
    // `dir` is the user's choice; every folder and file below it is checked
    // (no symlink followed) and no existing file is replaced.
    for (path, _) in &files {
        gitsm::fsutil::check_target(&dir, std::path::Path::new(path), gitsm::fsutil::Replace::Never)?;
    }
    for (path, body) in &files {
        gitsm::fsutil::write_file(
            &dir,
            std::path::Path::new(path),
            body.as_bytes(),
            gitsm::fsutil::Replace::Never,
        )?;
    }
    println!(
        "created an ITSM repo in {} ({} files)",
        dir.display(),
        files.len()
    );
    if dir == std::path::Path::new(".") {
        println!("next: gitsm validate");
    } else {
        println!("next: cd {} && gitsm validate", dir.display());
    }
    Ok(Exit::Success)
}

//! `gitsm forms`: writes the GitHub issue forms of the request catalog.

use super::{Exit, Failure, Globals};
use gitsm::forms::{self, FORM_MARKER};
use std::path::{Path, PathBuf};

/// Write GitHub issue forms for reporting incidents and the public request types
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Writes gitsm-incident.yml (a dropdown of the public services, impact, urgency), one\n\
gitsm-request-<type>.yml per public RequestType and config.yml. Files gitsm did not write are never\n\
replaced; forms of request types that are gone or no longer public are removed. Re-running is idempotent.\n\n\
Examples:\n  gitsm forms                      # into .github/ISSUE_TEMPLATE of the git repo\n  gitsm forms --out /tmp/forms"
)]
pub struct Args {
    /// Folder to write into (default: .github/ISSUE_TEMPLATE at the git root, else at the ITSM root)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn ours(b: &[u8]) -> bool {
    b.starts_with(FORM_MARKER.as_bytes())
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let v = super::common::load_for_figures(&root, gitsm::figures::Need::All, None)?;
    let out = match a.out {
        Some(o) => o,
        None => {
            let base = gitsm::repo::git::discover(&root)
                .and_then(|(r, _)| r.workdir().map(Path::to_path_buf))
                .unwrap_or_else(|| root.clone());
            base.join(".github").join("ISSUE_TEMPLATE")
        }
    };
    // Never into `.git` or a record folder; `.github` is where forms belong.
    let abs = gitsm::fsutil::resolve_lexically(&out)?;
    if let Some(why) = gitsm::fsutil::forbidden_output(&abs, &root, false) {
        let in_github = abs
            .strip_prefix(std::fs::canonicalize(&root).unwrap_or(root.clone()))
            .ok()
            .and_then(|r| r.components().next())
            .is_some_and(|c| c.as_os_str() == ".github");
        if !in_github {
            return Err(Failure::refused(format!("--out {}: {why}", out.display())));
        }
    }
    if abs.components().any(|c| c.as_os_str() == ".git") {
        return Err(Failure::refused(format!("--out {}: inside .git", out.display())));
    }
    let list = gitsm::intake::repo_forms(&v.snapshot);
    let status_url = v
        .snapshot
        .config()
        .and_then(|c| c.status_page.as_ref())
        .and_then(|s| s.base_url.as_deref())
        .and_then(gitsm::status::safe_link);
    let mut files: Vec<(String, String)> = list
        .iter()
        .map(|f| (f.file.clone(), forms::render_form(f)))
        .collect();
    files.push(("config.yml".into(), forms::render_config(&list, status_url)));
    // Check every target first: a refusal leaves nothing half written.
    for (name, _) in &files {
        if let Err(e) =
            gitsm::fsutil::check_target(&out, Path::new(name), gitsm::fsutil::Replace::IfOurs(&ours))
        {
            return Err(Failure::io(format!("{e}"), e.is_refusal()));
        }
    }
    let mut changed = 0;
    for (name, text) in &files {
        let same = std::fs::read(out.join(name)).is_ok_and(|b| b == text.as_bytes());
        if same {
            continue;
        }
        if let Err(e) = gitsm::fsutil::write_file(
            &out,
            Path::new(name),
            text.as_bytes(),
            gitsm::fsutil::Replace::IfOurs(&ours),
        ) {
            return Err(Failure::io(format!("{e}"), e.is_refusal()));
        }
        changed += 1;
    }
    // Forms of request types that are gone: ours, by name and marker.
    let mut removed = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&out) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let stale = name.starts_with("gitsm-")
                && name.ends_with(".yml")
                && !files.iter().any(|(n, _)| *n == name);
            let regular = e.file_type().is_ok_and(|t| t.is_file());
            if stale && regular && std::fs::read(e.path()).is_ok_and(|b| ours(&b)) {
                std::fs::remove_file(e.path())?;
                removed.push(name);
            }
        }
    }
    if list.iter().all(|f| f.target != forms::FormTarget::Incident) {
        eprintln!("warning: no public service, so no incident form (set `public: true` on a service)");
    }
    println!(
        "{} forms in {}: {} written, {} unchanged{}",
        list.len(),
        out.display(),
        changed,
        files.len() - changed,
        if removed.is_empty() {
            String::new()
        } else {
            format!(", removed {}", removed.join(", "))
        }
    );
    Ok(Exit::Success)
}

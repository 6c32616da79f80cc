//! Where the ITSM root sits inside its git repository. The ITSM repo may be a
//! sub-folder of a larger git repo (`ops/itsm/gitsm.yaml`); commands that read
//! git history or report paths for CI need that sub-folder, and this module
//! is its one home (the gate calls it too).

use std::path::Path;

/// The ITSM root's path inside the work tree of `repo`, `/`-separated, `""`
/// when it is the git root. `None` when the repo is bare or `root` lies
/// outside its work tree.
pub fn itsm_prefix(repo: &git2::Repository, root: &Path) -> Option<String> {
    let workdir = repo.workdir()?;
    let w = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
    let r = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let rel = r.strip_prefix(&w).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// The git repository holding `root` and the ITSM root's prefix in it
/// ([`itsm_prefix`]); `None` when `root` is not in a git work tree.
pub fn discover(root: &Path) -> Option<(git2::Repository, String)> {
    let repo = git2::Repository::discover(root).ok()?;
    let prefix = itsm_prefix(&repo, root)?;
    Some((repo, prefix))
}

/// Where paths of findings are anchored for CI consumers: the git root when
/// `root` is in a git work tree, else the ITSM root.
pub fn path_base(root: &Path) -> crate::diag::PathBase {
    match discover(root) {
        Some((_, prefix)) => crate::diag::PathBase::git(prefix),
        None => crate::diag::PathBase::itsm_root(),
    }
}

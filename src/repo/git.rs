//! Where the ITSM root sits inside its git repository, and its tree at a
//! revision. The ITSM repo may be a sub-folder of a larger git repo
//! (`ops/itsm/gitsm.yaml`); `gate`, `log`, `new` and the CI renderers need
//! that sub-folder, and this module is its one home.

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

/// The ITSM root's tree inside a commit's tree (`prefix` from
/// [`itsm_prefix`]). `Ok(None)` when the path does not exist at that commit
/// or is not a folder; any other error (a missing or corrupt tree object on
/// the way) is an error, so an unreadable object is never mistaken for an
/// absent folder.
pub fn itsm_tree<'r>(
    repo: &'r git2::Repository,
    commit_tree: git2::Tree<'r>,
    prefix: &str,
) -> Result<Option<git2::Tree<'r>>, git2::Error> {
    if prefix.is_empty() {
        return Ok(Some(commit_tree));
    }
    match entry_at(&commit_tree, prefix)? {
        Some(e) => Ok(e.to_object(repo)?.into_tree().ok()),
        None => Ok(None),
    }
}

/// The tree entry at `path`, `None` when the path does not exist; any other
/// error is an error (see [`itsm_tree`]).
pub fn entry_at(tree: &git2::Tree<'_>, path: &str) -> Result<Option<git2::TreeEntry<'static>>, git2::Error> {
    match tree.get_path(Path::new(path)) {
        Ok(e) => Ok(Some(e)),
        Err(e) if e.code() == git2::ErrorCode::NotFound && e.class() == git2::ErrorClass::Tree => Ok(None),
        Err(e) => Err(e),
    }
}

/// The ITSM root's tree at `HEAD`; `None` when there is no commit yet or the
/// root is not in it (a repo not committed so far).
pub fn head_tree<'r>(repo: &'r git2::Repository, prefix: &str) -> Option<git2::Tree<'r>> {
    let tree = repo.head().and_then(|h| h.peel_to_tree()).ok()?;
    itsm_tree(repo, tree, prefix).ok().flatten()
}

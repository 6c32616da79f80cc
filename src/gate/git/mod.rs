//! The git adapter: reads base, head, the merge base and reviewed commits
//! as git objects (never the work tree) and fills the gate's [`Input`].

use super::{FileChange, Files, GateError, Input, Review};
use crate::model::{in_folder, Kind, API_VERSION, TICKET_FOLDERS};
use crate::repo::{self, is_yaml_name};
use git2::{Commit, ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

mod paths;
mod tickets;

use paths::{all_paths, path_issues};
pub use paths::{fold_key, is_root_governed};
use tickets::{budget_freeze, read_base_tickets};

/// Folders read whole at base and head: small, and needed for every decision.
const CONTEXT_FOLDERS: [&str; 4] = [
    Kind::Service.folder(),
    Kind::Sla.folder(),
    Kind::ChangePolicy.folder(),
    Kind::ConfigItem.folder(),
];

/// The revisions of one gate run.
pub struct Revs {
    pub base: String,
    pub head: String,
}

/// What the git side contributes to an [`Input`].
pub struct GitSide {
    pub input: Input,
    pub head_sha: String,
}

/// Resolves a revision exactly: a full ref (`refs/...`) or a full 40-hex
/// sha. Short names are refused, so a tag named like a branch cannot stand
/// in for it.
pub fn resolve<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, GateError> {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        let oid = Oid::from_str(rev).map_err(|e| GateError::Revision(format!("{rev}: {e}")))?;
        return repo.find_commit(oid).map_err(|_| {
            GateError::Revision(format!(
                "unknown revision {rev}: no such commit in this repository (fetch it first)"
            ))
        });
    }
    if rev.starts_with("refs/") {
        let r = repo
            .find_reference(rev)
            .map_err(|_| GateError::Revision(format!("unknown revision {rev}: no such ref")))?;
        return r
            .peel_to_commit()
            .map_err(|e| GateError::Revision(format!("{rev} does not point at a commit: {e}")));
    }
    let mut candidates = Vec::new();
    for prefix in ["refs/heads/", "refs/remotes/origin/", "refs/tags/"] {
        let full = format!("{prefix}{rev}");
        if repo.find_reference(&full).is_ok() {
            candidates.push(full);
        }
    }
    let hint = if candidates.is_empty() {
        "pass a full ref (refs/heads/main, refs/remotes/origin/main) or a full commit sha".to_string()
    } else {
        format!("did you mean {}?", candidates.join(" or "))
    };
    Err(GateError::Revision(format!(
        "revision `{rev}` is not exact; the gate resolves only full refs and full shas so that a tag or branch with the same name cannot stand in for it: {hint}"
    )))
}

/// The ITSM root's tree at a commit (`prefix` is the ITSM root inside the git repo).
fn itsm_tree<'r>(
    repo: &'r Repository,
    commit: &Commit<'r>,
    prefix: &str,
) -> Result<Option<Tree<'r>>, GateError> {
    Ok(crate::repo::git::itsm_tree(repo, commit.tree()?, prefix)?)
}

/// The tree entry at `path`, `None` when the path does not exist.
fn entry_at(tree: &Tree<'_>, path: &str) -> Result<Option<git2::TreeEntry<'static>>, GateError> {
    Ok(crate::repo::git::entry_at(tree, path)?)
}

fn blob_at(repo: &Repository, tree: &Tree<'_>, path: &str) -> Result<Option<Vec<u8>>, GateError> {
    let Some(e) = entry_at(tree, path)? else {
        return Ok(None);
    };
    if e.kind() != Some(ObjectType::Blob) || e.filemode() == 0o120000 {
        return Ok(None);
    }
    Ok(Some(read_capped(repo, e.id())?))
}

/// Every blob under `folder` (recursively): (path, oid).
fn blobs_under(repo: &Repository, tree: &Tree<'_>, folder: &str) -> Result<Vec<(String, Oid)>, GateError> {
    let Some(e) = entry_at(tree, folder)? else {
        return Ok(Vec::new());
    };
    if e.kind() != Some(ObjectType::Tree) {
        return Ok(Vec::new());
    }
    let sub = e.to_object(repo)?.peel_to_tree()?;
    let mut out = Vec::new();
    sub.walk(TreeWalkMode::PreOrder, |dir, e| {
        let name = e.name().unwrap_or("");
        if name.starts_with('.') {
            return TreeWalkResult::Skip;
        }
        if e.kind() == Some(ObjectType::Blob) && is_yaml_name(name) {
            out.push((format!("{folder}/{dir}{name}"), e.id()));
        }
        TreeWalkResult::Ok
    })?;
    Ok(out)
}

/// `gitsm.yaml` and the context folders, as bytes.
fn context(repo: &Repository, tree: &Tree<'_>) -> Result<Files, GateError> {
    let mut files = Files::new();
    if let Some(b) = blob_at(repo, tree, repo::CONFIG_FILE)? {
        files.insert(repo::CONFIG_FILE.to_string(), b);
    }
    for f in CONTEXT_FOLDERS {
        for (p, oid) in blobs_under(repo, tree, f)? {
            files.insert(p, read_capped(repo, oid)?);
        }
    }
    Ok(files)
}

fn ticket_paths(repo: &Repository, tree: &Tree<'_>) -> Result<Vec<String>, GateError> {
    let mut out = Vec::new();
    for f in TICKET_FOLDERS {
        out.extend(blobs_under(repo, tree, f)?.into_iter().map(|(p, _)| p));
    }
    Ok(out)
}

fn is_hidden_or_skipped(path: &str, skip: &[String]) -> bool {
    let first = path.split('/').next().unwrap_or("");
    path.split('/').any(|c| c.starts_with('.')) || first == "templates" || skip.iter().any(|s| s == first)
}

fn mentions_gitsm(b: Option<&Vec<u8>>) -> bool {
    b.is_some_and(|b| b.windows(API_VERSION.len()).any(|w| w == API_VERSION.as_bytes()) || declares_gitsm(b))
}

/// Whether the loader would read `apiVersion: gitsm/v1` from these bytes even
/// though they do not spell it literally: YAML escapes (`"gitsm\x2Fv1"`,
/// `"gitsm\/v1"`, a line continuation) decode to it. Without this a record
/// outside the record folders passed as code, unjudged. Same limits as the
/// loader: too large or not UTF-8 is never a record.
fn declares_gitsm(b: &[u8]) -> bool {
    if b.len() as u64 > crate::yaml::MAX_FILE_BYTES {
        return false;
    }
    let Ok(t) = std::str::from_utf8(b) else {
        return false;
    };
    matches!(crate::yaml::parse(t), Ok(Some(n))
        if n.get("apiVersion").and_then(crate::yaml::Node::as_str) == Some(API_VERSION))
}

/// The ITSM root inside the git repository (`""` when they coincide, or in
/// a bare mirror), from its one home in [`crate::repo::git`]. A root outside
/// the work tree is an error: judging the git root instead would be a guess.
fn itsm_prefix(repo: &Repository, root: &Path) -> Result<String, GateError> {
    if repo.is_bare() {
        return Ok(String::new());
    }
    crate::repo::git::itsm_prefix(repo, root).ok_or_else(|| {
        GateError::Revision(format!(
            "the ITSM root {} is not inside the git work tree (or its path is not UTF-8)",
            root.display()
        ))
    })
}

/// One side of a diff entry: blob (or link/commit) id and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Side {
    id: Oid,
    mode: u32,
}

impl Side {
    fn of(f: &git2::DiffFile<'_>) -> Option<Side> {
        (!f.id().is_zero()).then(|| Side {
            id: f.id(),
            mode: u32::from(f.mode()),
        })
    }
    fn is_file(self) -> bool {
        self.mode & 0o170000 == 0o100000
    }
}

/// One entry of a whole-tree diff, keyed by the raw path bytes.
#[derive(Debug, Clone)]
struct Delta {
    old: Option<Side>,
    new: Option<Side>,
}

/// The whole-tree diff `from → to`, without rename detection (a rename is a
/// delete plus an add), paths taken byte for byte.
fn tree_diff(
    repo: &Repository,
    from: Option<&Tree<'_>>,
    to: &Tree<'_>,
) -> Result<BTreeMap<Vec<u8>, Delta>, GateError> {
    let mut opts = git2::DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(false);
    let diff = repo.diff_tree_to_tree(from, Some(to), Some(&mut opts))?;
    let mut out: BTreeMap<Vec<u8>, Delta> = BTreeMap::new();
    for d in diff.deltas() {
        let (of, nf) = (d.old_file(), d.new_file());
        let path = nf.path_bytes().or(of.path_bytes()).unwrap_or_default().to_vec();
        let e = out.entry(path).or_insert(Delta { old: None, new: None });
        // A type change arrives as a delete and an add of the same path.
        if let Some(o) = Side::of(&of) {
            e.old = Some(o);
        }
        if let Some(n) = Side::of(&nf) {
            e.new = Some(n);
        }
    }
    Ok(out)
}

/// Reads everything the decision needs from git.
pub fn read(root: &Path, revs: &Revs, reviews: &[Review], pr_body: &str) -> Result<GitSide, GateError> {
    // Re-hashing every object on read was a fifth of the gate's time on a
    // 100k-record repo. Objects are verified when git receives them (fetch
    // runs index-pack); re-checking guards only against local disk
    // corruption, and one who can write `.git/objects` on the runner can
    // replace the binary too.
    git2::opts::strict_hash_verification(false);
    let repo = Repository::discover(root)?;
    let prefix = itsm_prefix(&repo, root)?;
    let base = resolve(&repo, &revs.base)?;
    let head = resolve(&repo, &revs.head)?;
    let mb = merge_base(&repo, &base, &head, revs)?;
    let missing =
        |what: &str| GateError::Revision(format!("the ITSM root `{prefix}` does not exist at {what}"));
    let base_tree = itsm_tree(&repo, &base, &prefix)?.ok_or_else(|| missing("base"))?;
    let head_tree = itsm_tree(&repo, &head, &prefix)?.ok_or_else(|| missing("head"))?;
    let mb_tree = itsm_tree(&repo, &mb, &prefix)?;
    let (head_root, mb_root) = (head.tree()?, mb.tree()?);

    let mut input = Input {
        base_context: context(&repo, &base_tree)?,
        head_context: context(&repo, &head_tree)?,
        head_ticket_paths: ticket_paths(&repo, &head_tree)?,
        pr_body: pr_body.to_string(),
        reviews: reviews.to_vec(),
        itsm_prefix: prefix.clone(),
        ..Default::default()
    };
    // Every ticket at the base tip, read once: ids from content (rule 3),
    // and every change for conflicts and emergency reviews (rules 5, 7).
    let mut tickets = Vec::new();
    for f in TICKET_FOLDERS {
        tickets.extend(blobs_under(&repo, &base_tree, f)?);
    }
    let tickets = read_base_tickets(&repo, tickets, budget_freeze(&input.base_context))?;
    input.base_ids = tickets.ids;
    input.base_changes = tickets.changes;
    input.base_incidents = tickets.incidents;
    let skip = skipped_outputs(&input);

    // The whole git tree, merge base → head: code outside an ITSM sub-folder
    // is judged too.
    let pr = tree_diff(&repo, Some(&mb_root), &head_root)?;
    let changed: Vec<&[u8]> = pr
        .iter()
        .filter(|(_, d)| d.new.is_some())
        .map(|(p, _)| p.as_slice())
        .collect();
    input.path_issues = path_issues(&changed, &all_paths(&head_root)?);
    let trees = ItsmTrees {
        base: Subtrees::new(&repo, &base_tree),
        merge_base: mb_tree.as_ref().map(|t| Subtrees::new(&repo, t)),
    };
    for (raw, d) in &pr {
        let git_path = String::from_utf8_lossy(raw).into_owned();
        input.code_paths.push(git_path.clone());
        if d.new.is_some_and(|n| !n.is_file()) {
            input.not_files.push(git_path.clone());
        }
        if is_root_governed(&git_path) {
            input.root_files.push(git_path.clone());
        }
        let Some(path) = input.itsm_path(&git_path).map(str::to_string) else {
            continue;
        };
        if let Some(fc) = record_change(&repo, path, d, &skip, &trees)? {
            input.diff.push(fc);
        }
    }
    if input.diff.iter().any(|f| f.path == repo::CONFIG_FILE) {
        // A config edit can change the meaning of every record: re-validate all.
        let mut all = Files::new();
        for f in crate::model::RECORD_FOLDERS {
            for (p, oid) in blobs_under(&repo, &head_tree, f)? {
                all.insert(p, read_capped(&repo, oid)?);
            }
        }
        input.head_all = Some(all);
    }

    // Changes the PR body references, at the base tip: a change the PR does
    // not edit merges as the base tip has it.
    for id in super::rules::referenced_changes(pr_body) {
        for ext in ["yaml", "yml"] {
            let p = format!("changes/{id}.{ext}");
            if let Some(b) = blob_at(&repo, &base_tree, &p)? {
                input.referenced.insert(p, b);
            }
        }
    }

    // Reviewed commits: where the PR's own changes then differ from now.
    let pr_side = PrSide {
        diff: &pr,
        head_root: &head_root,
    };
    input.reviewed = reviewed_divergences(&repo, &base, reviews, &pr_side, &input)?;
    Ok(GitSide {
        input,
        head_sha: head.id().to_string(),
    })
}

/// The ITSM trees a changed record is compared against.
/// Output folders are skipped like the loader skips them, but only those
/// that are output folders at base *and* at head, and never a record
/// folder: otherwise a PR could declare `changes/` an output folder in its
/// own gitsm.yaml and slip records past the gate.
fn skipped_outputs(input: &Input) -> Vec<String> {
    let outputs = |ctx: &Files| {
        ctx.get(repo::CONFIG_FILE)
            .map(|b| repo::output_folders_from(&String::from_utf8_lossy(b)))
            .unwrap_or_default()
    };
    let base_outputs = outputs(&input.base_context);
    outputs(&input.head_context)
        .into_iter()
        .filter(|f| base_outputs.contains(f) && !crate::model::RECORD_FOLDERS.contains(&f.as_str()))
        .collect()
}

/// For each reviewed commit, where the PR's own changes then differ from
/// head's. A reviewed commit not in the repository (force-pushed away)
/// makes the review stale; any other error is an error.
fn reviewed_divergences(
    repo: &Repository,
    base: &Commit<'_>,
    reviews: &[Review],
    pr_side: &PrSide<'_, '_>,
    input: &Input,
) -> Result<HashMap<String, Vec<super::Divergence>>, GateError> {
    let mut out = HashMap::new();
    for sha in reviews.iter().filter_map(|r| r.commit_id.as_deref()) {
        if out.contains_key(sha) {
            continue;
        }
        let Ok(oid) = Oid::from_str(sha) else { continue };
        let commit = match repo.find_commit(oid) {
            Ok(c) => c,
            Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        if let Some(d) = divergences(repo, base, &commit, pr_side, input)? {
            out.insert(sha.to_string(), d);
        }
    }
    Ok(out)
}

struct ItsmTrees<'a, 'r> {
    base: Subtrees<'a, 'r>,
    merge_base: Option<Subtrees<'a, 'r>>,
}

/// A tree's folders, each parsed once. libgit2 caches no tree over 4 KiB,
/// and `Tree::get_path` re-parses every folder on the way: for a ticket
/// folder of 70k entries that is ~20 ms a lookup, twice per changed file.
struct Subtrees<'a, 'r> {
    repo: &'r Repository,
    root: &'a Tree<'r>,
    /// Folder path → its tree (`None`: no such folder).
    dirs: std::cell::RefCell<HashMap<String, Option<Tree<'r>>>>,
}

impl<'a, 'r> Subtrees<'a, 'r> {
    fn new(repo: &'r Repository, root: &'a Tree<'r>) -> Self {
        Subtrees {
            repo,
            root,
            dirs: Default::default(),
        }
    }

    /// The object at `path` (as `entry_at` finds it), `None` when absent.
    fn oid_at(&self, path: &str) -> Result<Option<Oid>, GateError> {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return Ok(self.root.get_name(path).map(|e| e.id()));
        };
        let mut dirs = self.dirs.borrow_mut();
        if !dirs.contains_key(dir) {
            let tree = match entry_at(self.root, dir)? {
                Some(e) if e.kind() == Some(ObjectType::Tree) => Some(self.repo.find_tree(e.id())?),
                _ => None,
            };
            dirs.insert(dir.to_string(), tree);
        }
        Ok(dirs[dir].as_ref().and_then(|t| t.get_name(name)).map(|e| e.id()))
    }
}

/// The PR's change of one ITSM path, when it is or may be a record.
fn record_change(
    repo: &Repository,
    path: String,
    d: &Delta,
    skip: &[String],
    trees: &ItsmTrees<'_, '_>,
) -> Result<Option<FileChange>, GateError> {
    let name = path.rsplit('/').next().unwrap_or("");
    if !is_yaml_name(name) || is_hidden_or_skipped(&path, skip) {
        return Ok(None);
    }
    let (old, new) = (read_blob(repo, d.old)?, read_blob(repo, d.new)?);
    let record_like =
        super::rules::is_record_path(&path) || mentions_gitsm(old.as_ref()) || mentions_gitsm(new.as_ref());
    if !record_like {
        return Ok(None);
    }
    // Rules 3 and 4 compare head with the merge base. When the base tip has
    // changed the file since, that comparison is not what merges: flag it.
    let at_mb = match &trees.merge_base {
        Some(t) => t.oid_at(&path)?,
        None => None,
    };
    let base_moved = at_mb != trees.base.oid_at(&path)?;
    Ok(Some(FileChange {
        new_not_a_file: d.new.is_some_and(|n| !n.is_file()),
        path,
        old,
        new,
        base_moved,
    }))
}

/// The largest blob the gate inflates. Larger ones (no record is near this:
/// the loader refuses records over 1 MiB) are read as a placeholder just
/// over the loader's limit, so they are judged "too large", never parsed —
/// and memory stays bounded whatever a PR commits.
pub(super) const MAX_BLOB: usize = 64 * 1024 * 1024;

fn read_capped(repo: &Repository, oid: Oid) -> Result<Vec<u8>, GateError> {
    let (size, _) = repo.odb()?.read_header(oid)?;
    if size > MAX_BLOB {
        return Ok(vec![0; crate::yaml::MAX_FILE_BYTES as usize + 1]);
    }
    Ok(repo.find_blob(oid)?.content().to_vec())
}

fn read_blob(repo: &Repository, s: Option<Side>) -> Result<Option<Vec<u8>>, GateError> {
    match s {
        Some(s) if s.is_file() => Ok(Some(read_capped(repo, s.id)?)),
        _ => Ok(None),
    }
}

/// The PR's side of the freshness comparison: its diff and head tree.
struct PrSide<'a, 'r> {
    diff: &'a BTreeMap<Vec<u8>, Delta>,
    head_root: &'a Tree<'r>,
}

/// Where the PR's own changes at a reviewed commit (the diff from its merge
/// base with the base tip) differ from those at head (SPEC §3 rule 4,
/// "fresh"). `None` when the commit has no single merge base with the base
/// tip: such a review cannot be judged fresh.
fn divergences<'r>(
    repo: &'r Repository,
    base: &Commit<'r>,
    commit: &Commit<'r>,
    pr: &PrSide<'_, 'r>,
    input: &Input,
) -> Result<Option<Vec<super::Divergence>>, GateError> {
    // Its own merge base with the base tip: merging the base branch in
    // later brings only base changes and must not make it stale.
    let Some(mb_r) = single_merge_base(repo, base, commit)? else {
        return Ok(None);
    };
    let (r_root, mbr_root) = (commit.tree()?, mb_r.tree()?);
    let theirs = tree_diff(repo, Some(&mbr_root), &r_root)?;
    let mut out = Vec::new();
    let paths: std::collections::BTreeSet<&Vec<u8>> = theirs.keys().chain(pr.diff.keys()).collect();
    for raw in paths {
        // A path outside one diff is unchanged there: its content, both sides.
        let sides_at =
            |d: Option<&Delta>, tree: &Tree<'_>| -> Result<(Option<Side>, Option<Side>), GateError> {
                if let Some(d) = d {
                    return Ok((d.old, d.new));
                }
                let s = match tree.get_path(Path::new(&*String::from_utf8_lossy(raw))) {
                    Ok(e) => Some(Side {
                        id: e.id(),
                        mode: e.filemode() as u32,
                    }),
                    Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                    Err(e) => return Err(e.into()),
                };
                Ok((s, s))
            };
        let r = sides_at(theirs.get(raw), &r_root)?;
        let h = sides_at(pr.diff.get(raw), pr.head_root)?;
        if r == h {
            continue;
        }
        let git_path = String::from_utf8_lossy(raw).into_owned();
        let is_change = std::str::from_utf8(raw).is_ok()
            && input
                .itsm_path(&git_path)
                .is_some_and(|p| in_folder(p, Kind::Change.folder()) && is_yaml_name(p));
        let change_sides = if is_change {
            let b = |s| read_blob(repo, s);
            Some([b(r.0)?, b(r.1)?, b(h.0)?, b(h.1)?])
        } else {
            None
        };
        out.push(super::Divergence {
            path: git_path,
            change_sides,
        });
    }
    Ok(Some(out))
}

/// The one merge base of base and head; none (a shallow clone) or several
/// (a criss-cross history) is an error: the gate judges nothing then.
fn merge_base<'r>(
    repo: &'r Repository,
    base: &Commit<'r>,
    head: &Commit<'r>,
    revs: &Revs,
) -> Result<Commit<'r>, GateError> {
    let bases = repo
        .merge_bases(base.id(), head.id())
        .map_err(|e| GateError::NoMergeBase {
            base: revs.base.clone(),
            head: revs.head.clone(),
            why: format!(
                "{} (a shallow clone? fetch the full history, e.g. `actions/checkout` with `fetch-depth: 0`)",
                e.message()
            ),
        })?;
    match bases.len() {
        1 => Ok(repo.find_commit(*bases.first().expect("one"))?),
        0 => Err(GateError::NoMergeBase {
            base: revs.base.clone(),
            head: revs.head.clone(),
            why: "the histories are unrelated (a shallow clone? fetch the full history)".into(),
        }),
        count => Err(GateError::CrissCross {
            base: revs.base.clone(),
            head: revs.head.clone(),
            count,
        }),
    }
}

/// The merge base of a reviewed commit with the base tip, when there is
/// exactly one (otherwise the review cannot be judged fresh).
fn single_merge_base<'r>(
    repo: &'r Repository,
    base: &Commit<'r>,
    reviewed: &Commit<'r>,
) -> Result<Option<Commit<'r>>, GateError> {
    match repo.merge_bases(base.id(), reviewed.id()) {
        Ok(b) if b.len() == 1 => Ok(Some(repo.find_commit(*b.first().expect("one"))?)),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_is_nfc_then_simple_case_folding() {
        assert_eq!(fold_key("Changes/CHG-1.YAML"), "changes/chg-1.yaml");
        // Decomposed é folds onto the composed one.
        assert_eq!(fold_key("caf\u{65}\u{301}.yaml"), fold_key("CAF\u{e9}.yaml"));
        assert_eq!(fold_key("\u{17f}"), "s"); // long s
        assert_eq!(fold_key("\u{212a}"), "k"); // Kelvin sign
        assert_eq!(fold_key("\u{3c2}"), "\u{3c3}"); // final sigma
                                                    // Simple folding, not full: ß stays ß.
        assert_eq!(fold_key("\u{df}"), "\u{df}");
    }

    #[test]
    fn path_issue_kinds() {
        let head: Vec<Vec<u8>> = vec![b"changes/CHG-1.yaml".to_vec(), b"Changes/chg-1.yaml".to_vec()];
        let changed: Vec<&[u8]> = vec![b"Changes/chg-1.yaml", b"a\\b.yaml", b"x\xff.yaml"];
        let issues = path_issues(&changed, &head);
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(issues.contains(&super::super::PathIssue::CaseFold {
            path: "Changes/chg-1.yaml".into(),
            other: "changes/CHG-1.yaml".into()
        }));
        assert!(issues.contains(&super::super::PathIssue::Backslash("a\\b.yaml".into())));
    }
}

//! The git adapter: reads base, head, the merge base and reviewed commits
//! as git objects (never the work tree) and fills the gate's [`Input`].

use super::{FileChange, Files, GateError, Input, Review};
use crate::model::API_VERSION;
use crate::repo::{self, is_yaml_name};
use git2::{Commit, ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use std::collections::HashMap;
use std::path::Path;

/// Folders read whole at base and head: small, and needed for every decision.
const CONTEXT_FOLDERS: [&str; 3] = ["catalog", "slas", "policies"];
const TICKET_FOLDERS: [&str; 4] = ["incidents", "problems", "requests", "changes"];

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
    let tree = commit.tree()?;
    if prefix.is_empty() {
        return Ok(Some(tree));
    }
    match entry_at(&tree, prefix)? {
        Some(e) => Ok(e.to_object(repo)?.into_tree().ok()),
        None => Ok(None),
    }
}

/// The tree entry at `path`, `None` when the path does not exist. Any other
/// error (a missing or corrupt tree object on the way) is an error: the
/// gate must not mistake an unreadable object for an absent file.
fn entry_at(tree: &Tree<'_>, path: &str) -> Result<Option<git2::TreeEntry<'static>>, GateError> {
    match tree.get_path(Path::new(path)) {
        Ok(e) => Ok(Some(e)),
        Err(e) if e.code() == git2::ErrorCode::NotFound && e.class() == git2::ErrorClass::Tree => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn blob_at(repo: &Repository, tree: &Tree<'_>, path: &str) -> Result<Option<Vec<u8>>, GateError> {
    let Some(e) = entry_at(tree, path)? else {
        return Ok(None);
    };
    if e.kind() != Some(ObjectType::Blob) || e.filemode() == 0o120000 {
        return Ok(None);
    }
    Ok(Some(repo.find_blob(e.id())?.content().to_vec()))
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
            files.insert(p, repo.find_blob(oid)?.content().to_vec());
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

/// Whether a change file may hold a window that matters for conflicts. A
/// cheap text test first; the decision parses what passes. It must never
/// drop an active change (a missed conflict is a pass), so it answers `false`
/// only for exactly one top-level `status:` line with a plain inactive value;
/// a quoted key (`"status": scheduled`), a trailing comment, an escape or no
/// such line at all lets the parser decide.
fn maybe_active(text: &[u8]) -> bool {
    let Ok(t) = std::str::from_utf8(text) else {
        return true;
    };
    let mut verdicts = t.lines().filter_map(|l| {
        let (key, value) = l.split_once(':')?;
        let key = key.trim_end().trim_matches(|c| c == '"' || c == '\'');
        if key != "status" || l.starts_with(char::is_whitespace) {
            return None;
        }
        // `# comment` after a space ends a plain value.
        let value = value.split(" #").next().unwrap_or("").trim();
        let plain = value.trim_matches(|c| c == '"' || c == '\'');
        Some(match plain {
            "approved" | "scheduled" | "implementing" => true,
            _ if !value.contains('\\')
                && plain.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && !plain.is_empty() =>
            {
                false
            }
            _ => true, // escapes, block scalars, anything unusual: parse it
        })
    });
    match (verdicts.next(), verdicts.next()) {
        (Some(v), None) => v,
        _ => true,
    }
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
    let t = t.strip_prefix('\u{feff}').unwrap_or(t);
    matches!(crate::yaml::parse(t), Ok(Some(n))
        if n.get("apiVersion").and_then(crate::yaml::Node::as_str) == Some(API_VERSION))
}

/// Reads everything the decision needs from git.
pub fn read(root: &Path, revs: &Revs, reviews: &[Review], pr_body: &str) -> Result<GitSide, GateError> {
    let repo = Repository::discover(root)?;
    let prefix = match repo.workdir() {
        Some(wd) => {
            let wd = wd.canonicalize().unwrap_or_else(|_| wd.to_path_buf());
            let r = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            r.strip_prefix(&wd)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let base = resolve(&repo, &revs.base)?;
    let head = resolve(&repo, &revs.head)?;
    let mb = repo
        .merge_base(base.id(), head.id())
        .map_err(|e| GateError::NoMergeBase {
            base: revs.base.clone(),
            head: revs.head.clone(),
            why: format!(
                "{} (a shallow clone? fetch the full history, e.g. `actions/checkout` with `fetch-depth: 0`)",
                e.message()
            ),
        })?;
    let mb = repo.find_commit(mb)?;
    let missing =
        |what: &str| GateError::Revision(format!("the ITSM root `{prefix}` does not exist at {what}"));
    let base_tree = itsm_tree(&repo, &base, &prefix)?.ok_or_else(|| missing("base"))?;
    let head_tree = itsm_tree(&repo, &head, &prefix)?.ok_or_else(|| missing("head"))?;
    let mb_tree = itsm_tree(&repo, &mb, &prefix)?;

    let mut input = Input {
        base_context: context(&repo, &base_tree)?,
        base_ticket_paths: ticket_paths(&repo, &base_tree)?,
        head_context: context(&repo, &head_tree)?,
        head_ticket_paths: ticket_paths(&repo, &head_tree)?,
        pr_body: pr_body.to_string(),
        reviews: reviews.to_vec(),
        ..Default::default()
    };
    for (p, oid) in blobs_under(&repo, &base_tree, "changes")? {
        let b = repo.find_blob(oid)?;
        if maybe_active(b.content()) {
            input.base_active_changes.insert(p, b.content().to_vec());
        }
    }
    // Output folders are skipped like the loader skips them, but only those
    // that are output folders at base *and* at head, and never a record
    // folder: otherwise a PR could declare `changes/` an output folder in
    // its own gitsm.yaml, slip records past the gate, and drop the setting
    // in a later PR, turning them live unjudged.
    let outputs = |ctx: &Files| {
        ctx.get(repo::CONFIG_FILE)
            .map(|b| repo::output_folders_from(&String::from_utf8_lossy(b)))
            .unwrap_or_default()
    };
    let base_outputs = outputs(&input.base_context);
    let skip: Vec<String> = outputs(&input.head_context)
        .into_iter()
        .filter(|f| base_outputs.contains(f) && !crate::model::RECORD_FOLDERS.contains(&f.as_str()))
        .collect();

    // The diff, merge base → head, without rename detection: a rename is a
    // delete plus an add.
    let mut opts = git2::DiffOptions::new();
    opts.include_typechange(true);
    let diff = repo.diff_tree_to_tree(mb_tree.as_ref(), Some(&head_tree), Some(&mut opts))?;
    let read_side = |f: git2::DiffFile<'_>| -> Result<Option<Vec<u8>>, GateError> {
        if f.id().is_zero() || f.mode() == git2::FileMode::Link || f.mode() == git2::FileMode::Commit {
            return Ok(None);
        }
        Ok(Some(repo.find_blob(f.id())?.content().to_vec()))
    };
    let mut by_path: HashMap<String, FileChange> = HashMap::new();
    for d in diff.deltas() {
        let old = read_side(d.old_file())?;
        let new = read_side(d.new_file())?;
        let path = d
            .new_file()
            .path()
            .or(d.old_file().path())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let e = by_path.entry(path.clone()).or_insert_with(|| FileChange {
            path,
            ..Default::default()
        });
        if old.is_some() {
            e.old = old;
        }
        if new.is_some() {
            e.new = new;
        }
        let nf = d.new_file();
        if !nf.id().is_zero() && matches!(nf.mode(), git2::FileMode::Link | git2::FileMode::Commit) {
            e.new_not_a_file = true;
        }
    }
    let mut changes: Vec<FileChange> = by_path.into_values().collect();
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    for fc in changes {
        let name = fc.path.rsplit('/').next().unwrap_or("");
        let record_like = is_yaml_name(name)
            && !is_hidden_or_skipped(&fc.path, &skip)
            && (super::rules::is_record_path(&fc.path)
                || mentions_gitsm(fc.old.as_ref())
                || mentions_gitsm(fc.new.as_ref()));
        if record_like {
            // Rules 3 and 4 compare head with the merge base. When the base
            // tip has changed the file since, that comparison is not what
            // merges (a clean merge could combine a harmless-looking edit
            // with, say, the change being closed on main), so flag it.
            let oid_at = |t: &Tree<'_>| entry_at(t, &fc.path).map(|e| e.map(|e| e.id()));
            let at_mb = match &mb_tree {
                Some(t) => oid_at(t)?,
                None => None,
            };
            let moved = at_mb != oid_at(&base_tree)?;
            let mut fc = fc;
            fc.base_moved = moved;
            // Outside the record folders a YAML file can be a record *and*
            // a service's code (a manifest that merely mentions gitsm/v1):
            // rule 6 must still see it.
            if !super::rules::is_record_path(&fc.path) {
                input.code_paths.push(fc.path.clone());
            }
            input.diff.push(fc);
        } else {
            input.code_paths.push(fc.path.clone());
            if super::rules::is_ci_path(&fc.path) {
                // Judged like a policy edit; its bytes are compared across reviews.
                input.diff.push(fc);
            }
        }
    }

    // Changes the PR body references, at the base tip. A change the PR does
    // not edit merges as the base tip has it, and the head copy may be stale:
    // a change closed or cancelled on main since the PR branched must not
    // cover the PR's code. A change the PR does edit is judged from the diff
    // (rule 4), and its head version is the candidate there.
    for id in super::rules::referenced_changes(pr_body) {
        for ext in ["yaml", "yml"] {
            let p = format!("changes/{id}.{ext}");
            if let Some(b) = blob_at(&repo, &base_tree, &p)? {
                input.referenced.insert(p, b);
            }
        }
    }

    // Reviewed commits: the changed record files and the policy files as they were.
    let mut wanted: Vec<String> = input.diff.iter().map(|f| f.path.clone()).collect();
    wanted.extend(
        input
            .head_context
            .keys()
            .filter(|p| p.starts_with("policies/"))
            .cloned(),
    );
    for sha in reviews.iter().filter_map(|r| r.commit_id.as_deref()) {
        if input.reviewed.contains_key(sha) {
            continue;
        }
        let Ok(oid) = Oid::from_str(sha) else { continue };
        if sha.len() != 40 {
            continue;
        }
        // A reviewed commit not in the repository (force-pushed away) makes
        // the review stale; any other error is an error.
        let commit = match repo.find_commit(oid) {
            Ok(c) => c,
            Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        let Some(tree) = itsm_tree(&repo, &commit, &prefix)? else {
            continue;
        };
        let mut files = Files::new();
        for p in &wanted {
            if let Some(b) = blob_at(&repo, &tree, p)? {
                files.insert(p.clone(), b);
            }
        }
        input.reviewed.insert(sha.to_string(), files);
    }
    Ok(GitSide {
        input,
        head_sha: head.id().to_string(),
    })
}

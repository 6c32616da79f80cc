//! Paths the gate judges byte for byte: case-folding collisions, and the
//! files at the git root that govern every repo (rule 0).

use super::GateError;
use git2::{ObjectType, Tree, TreeWalkMode, TreeWalkResult};
use std::collections::HashMap;

/// Simple case folding of one character, from the standard library's
/// case maps: lower-case, and map characters whose upper case folds back
/// (`ſ` → `s`, `ς` → `σ`, `K` (Kelvin) → `k`).
fn fold_char(c: char) -> char {
    fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
        let c = it.next()?;
        it.next().is_none().then_some(c)
    }
    let lower = single(c.to_lowercase()).unwrap_or(c);
    match single(lower.to_uppercase()) {
        Some(up) => single(up.to_lowercase()).unwrap_or(lower),
        None => lower,
    }
}

/// The key two paths collide under: NFC, then simple case folding.
pub fn fold_key(path: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if path.is_ascii() {
        return path.to_ascii_lowercase();
    }
    path.nfc().map(fold_char).collect()
}

/// Every leaf path of a tree (blobs, links, submodules), git-root relative.
pub(super) fn all_paths(tree: &Tree<'_>) -> Result<Vec<Vec<u8>>, GateError> {
    let mut out = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, e| {
        if e.kind() != Some(ObjectType::Tree) {
            let mut p = dir.as_bytes().to_vec();
            p.extend_from_slice(e.name_bytes());
            out.push(p);
        }
        TreeWalkResult::Ok
    })?;
    Ok(out)
}

/// Rule 0's path checks over the paths the PR adds or changes.
pub(super) fn path_issues(changed: &[&[u8]], head_paths: &[Vec<u8>]) -> Vec<crate::gate::PathIssue> {
    use crate::gate::PathIssue;
    let mut issues = Vec::new();
    let mut keys: HashMap<String, Vec<&[u8]>> = HashMap::new();
    let mut wanted: HashMap<String, Vec<&[u8]>> = HashMap::new();
    for p in changed {
        match std::str::from_utf8(p) {
            Err(_) => issues.push(PathIssue::NotUtf8(String::from_utf8_lossy(p).into_owned())),
            Ok(s) if s.contains('\\') => issues.push(PathIssue::Backslash(s.to_string())),
            Ok(s) => wanted.entry(fold_key(s)).or_default().push(p),
        }
    }
    if wanted.is_empty() {
        return issues;
    }
    for p in head_paths {
        let Ok(s) = std::str::from_utf8(p) else { continue };
        let k = fold_key(s);
        if wanted.contains_key(&k) {
            keys.entry(k).or_default().push(p);
        }
    }
    for (k, mine) in &wanted {
        let all = keys.get(k).map(Vec::as_slice).unwrap_or_default();
        for p in mine {
            if let Some(other) = all.iter().find(|o| **o != *p) {
                issues.push(PathIssue::CaseFold {
                    path: String::from_utf8_lossy(p).into_owned(),
                    other: String::from_utf8_lossy(other).into_owned(),
                });
            }
        }
    }
    issues.sort_by_key(|i| format!("{i:?}"));
    issues
}

/// Whether a git-root path is a governed file of the git root (SPEC §3).
pub fn is_root_governed(path: &str) -> bool {
    path == ".github"
        || path.starts_with(".github/")
        || path == "CODEOWNERS"
        || path == "docs/CODEOWNERS"
        || path == ".gitattributes"
        || path == ".gitmodules"
        || path.ends_with("/.gitattributes")
}

//! Rule 0, paths: the gate takes paths byte for byte. A path the PR adds or
//! changes that holds `\`, is not UTF-8, or folds (NFC + case) onto another
//! path of the head tree could stand in for another file on some checkout,
//! so it is denied; so is a symlink or submodule the PR adds or changes in a
//! record folder or under a service's `paths`.

use super::*;

pub(super) fn check(j: &mut Judge<'_>) {
    let input = j.input;
    for issue in &input.path_issues {
        let (path, message) = match issue {
            PathIssue::Backslash(p) => (
                p.clone(),
                format!("{p} contains `\\`, which some tools read as a folder separator; the gate takes paths byte for byte and will not guess which file it stands for"),
            ),
            PathIssue::NotUtf8(p) => (
                p.clone(),
                format!("{p} is not valid UTF-8; the gate cannot tell which file it names on every checkout"),
            ),
            PathIssue::CaseFold { path, other } => (
                path.clone(),
                format!("{path} and {other} are the same path on a case-insensitive or normalising checkout (macOS, Windows); one could stand in for the other"),
            ),
        };
        j.push(
            &path,
            Some(&path),
            Rule::FailClosed,
            CheckOutcome::Fail,
            message,
            Some("rename the file to a plain UTF-8 path with `/` separators that no other path of the tree equals ignoring case".into()),
        );
    }
    // Literal folder prefixes of every service's and template's patterns: a
    // symlink at or above one moves governed code out of the paths.
    let mut governed: Vec<(String, String)> = Vec::new();
    for (id, svc) in &j.services {
        for p in &svc.paths {
            governed.push((format!("the `paths` of service {id}"), p.clone()));
        }
    }
    for t in &j.policy.standard_changes {
        for p in &t.paths {
            governed.push((format!("the `paths` of template {}", t.id), p.clone()));
        }
    }
    let globs: Vec<(String, globset::GlobSet)> = governed
        .iter()
        .filter_map(|(what, p)| Some((what.clone(), crate::globs::compile(std::slice::from_ref(p)).ok()?)))
        .collect();
    for p in &input.not_files {
        let itsm = input.itsm_path(p);
        let in_records =
            itsm.is_some_and(|i| is_record_path(i) || RECORD_FOLDERS.contains(&i) || i == repo::CONFIG_FILE);
        let root_governed = crate::gate::git::is_root_governed(p);
        let under = globs.iter().find(|(_, g)| g.is_match(p)).map(|(w, _)| w.clone());
        let above = governed
            .iter()
            .find(|(_, pat)| covers_prefix(p, pat))
            .map(|(w, _)| w.clone());
        let why = if in_records {
            "in a record folder".to_string()
        } else if root_governed {
            "where governed CI or repository settings live".to_string()
        } else if let Some(w) = under {
            format!("under {w}")
        } else if let Some(w) = above {
            format!("at or above {w}, which would move that code out of them")
        } else {
            continue;
        };
        j.push(
            p,
            Some(p),
            Rule::FailClosed,
            CheckOutcome::Fail,
            format!(
                "{p} is a symbolic link or submodule {why}: what it points at is not what the gate reviewed"
            ),
            Some("replace it with the files themselves; gitsm never follows symlinks".into()),
        );
    }
}

/// Whether `path` is the literal folder a pattern starts with, or one of its
/// ancestors (case-insensitive). A pattern that starts with a wildcard
/// has no literal folder: every path may lead into it.
fn covers_prefix(path: &str, pattern: &str) -> bool {
    let Ok(pat) = crate::globs::normalise(pattern) else {
        return false;
    };
    let literal: Vec<&str> = pat
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .collect();
    let path: Vec<String> = path.split('/').map(str::to_lowercase).collect();
    if literal.is_empty() {
        return true;
    }
    // The last literal component may be a file name (no wildcard at all):
    // then the path may equal it or any of its folders.
    path.len() <= literal.len() && path.iter().zip(&literal).all(|(a, b)| *a == b.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::covers_prefix;

    #[test]
    fn prefixes() {
        assert!(covers_prefix("deploy/web", "deploy/web/**"));
        assert!(covers_prefix("deploy", "deploy/web/**"));
        assert!(covers_prefix("Deploy", "deploy/web/"));
        assert!(!covers_prefix("deploy/api", "deploy/web/**"));
        assert!(!covers_prefix("deploy/web/x/y", "deploy/web/**"));
        assert!(covers_prefix("anything", "**/*.tf"));
        assert!(covers_prefix("infra", "infra/*.tf"));
    }
}

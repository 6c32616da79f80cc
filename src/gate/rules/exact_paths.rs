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
            Outcome::Fail,
            message,
            Some("rename the file to a plain UTF-8 path with `/` separators that no other path of the tree equals ignoring case".into()),
        );
    }
    let globs: Vec<(String, globset::GlobSet)> = j
        .services
        .iter()
        .filter_map(|(id, s)| Some((id.clone(), crate::globs::compile(&s.paths).ok()?)))
        .collect();
    for p in &input.not_files {
        let in_records = input.itsm_path(p).is_some_and(is_record_path);
        let owner = globs
            .iter()
            .find(|(_, g)| g.is_match(p))
            .map(|(id, _)| id.clone());
        let why = match (in_records, owner) {
            (true, _) => "in a record folder".to_string(),
            (false, Some(s)) => format!("under the `paths` of service {s}"),
            (false, None) => continue,
        };
        j.push(
            p,
            Some(p),
            Rule::FailClosed,
            Outcome::Fail,
            format!(
                "{p} is a symbolic link or submodule {why}: what it points at is not what the gate reviewed"
            ),
            Some("replace it with the file itself; gitsm never follows symlinks".into()),
        );
    }
}

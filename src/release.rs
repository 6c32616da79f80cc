//! Releases (SPEC §1 `Release`, §4 `gitsm release-notes`): the rule that a
//! release and its changes agree, and the release notes.
//!
//! A release lists its changes (`changes`); a change may name its release
//! (`release`). Both directions are checked: a change is in at most one
//! release, and a change that names a release is listed by it.

use crate::cmdb::Pointed;
use crate::diag::Code;
use std::collections::HashMap;

/// One `changes` entry of a release, or the `release` of a change.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    pub file: &'a str,
    /// The id of the record that names `to`.
    pub from: &'a str,
    /// `true` for a release's `changes` entry, `false` for a change's `release`.
    pub from_release: bool,
    pub pointer: String,
    pub to: &'a str,
}

/// Checks that releases and changes agree. `exists(kind, id)` tells which
/// records exist; references to missing ones are reported elsewhere.
pub fn check_links(links: &[Link<'_>], exists: &dyn Fn(crate::model::Kind, &str) -> bool) -> Vec<Pointed> {
    use crate::model::Kind;
    let mut out = Vec::new();
    // change → the releases listing it, in path order.
    let mut listed_by: HashMap<&str, Vec<&Link>> = HashMap::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    for l in links {
        if l.from_release {
            if exists(Kind::Change, l.to) {
                listed_by.entry(l.to).or_default().push(l);
            }
        } else if exists(Kind::Release, l.to) {
            names.insert(l.from, l.to);
        }
    }
    for l in links.iter().filter(|l| l.from_release) {
        let Some(by) = listed_by.get(l.to) else { continue };
        let first = by[0];
        if !std::ptr::eq(first, l) && first.from != l.from {
            out.push(
                Pointed::new(
                    Code::ReleaseMismatch,
                    l.file,
                    &l.pointer,
                    format!("change `{}` is already in release `{}`; a change ships in one release", l.to, first.from),
                )
                .hint("list it in one release only"),
            );
            continue;
        }
        if let Some(named) = names.get(l.to) {
            if *named != l.from {
                out.push(
                    Pointed::new(
                        Code::ReleaseMismatch,
                        l.file,
                        &l.pointer,
                        format!("change `{}` names release `{named}`, not `{}`", l.to, l.from),
                    )
                    .hint(format!("fix `release:` in the change, or list it in `{named}` instead")),
                );
            }
        }
    }
    for l in links.iter().filter(|l| !l.from_release) {
        if !exists(Kind::Release, l.to) {
            continue;
        }
        let listed = listed_by.get(l.from).is_some_and(|v| v.iter().any(|x| x.from == l.to));
        if !listed {
            out.push(
                Pointed::new(
                    Code::ReleaseMismatch,
                    l.file,
                    &l.pointer,
                    format!("names release `{}`, which does not list change `{}`", l.to, l.from),
                )
                .hint(format!("add `{}` to the `changes` of release `{}`", l.from, l.to)),
            );
        }
    }
    out
}

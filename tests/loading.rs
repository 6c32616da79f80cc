//! Loading from the work tree and from a git revision go through one code path.

use crate::common::*;
use gitsm::model::Kind;
use gitsm::repo::{self, GitTree, WorkTree};

#[test]
fn git_revision_is_read_from_objects_not_the_work_tree() {
    let dir = init_repo();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "scaffold"]);
    // Change the work tree after the commit: a broken record and a new service.
    write(
        root,
        "catalog/web.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: [broken\n",
    );
    write(
        root,
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: alice\n",
    );

    let repo = git2::Repository::open(root).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    let at_head = repo::load(&GitTree::new(&repo, &tree).unwrap()).unwrap();
    let in_tree = repo::load(&WorkTree::new(root)).unwrap();

    let services = |s: &repo::Snapshot| {
        let mut v: Vec<String> = s
            .records
            .iter()
            .filter(|l| l.record.kind() == Kind::Service)
            .map(|l| l.record.id().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(services(&at_head), vec!["web"]);
    assert!(at_head.findings.is_empty(), "{:?}", at_head.findings);
    assert_eq!(services(&in_tree), vec!["api"]);
    assert!(in_tree
        .findings
        .iter()
        .any(|f| f.file == "catalog/web.yaml" && f.code.as_str() == "E0001"));
    // The same validation runs on both.
    let v = gitsm::validate::validate(&GitTree::new(&repo, &tree).unwrap()).unwrap();
    assert!(!v.has_errors(), "{:?}", v.findings);
}

#[test]
fn git_tree_flags_symlinks_and_skips_hidden_and_templates() {
    let dir = init_repo();
    let root = dir.path();
    write(root, "templates/report.md.yaml", "kind: Change\n");
    write(root, ".hidden/x.yaml", "apiVersion: gitsm/v1\nkind: Nope\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink("web.yaml", root.join("catalog/alias.yaml")).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "x"]);
    let repo = git2::Repository::open(root).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    let snap = repo::load(&GitTree::new(&repo, &tree).unwrap()).unwrap();
    let files: Vec<_> = snap
        .findings
        .iter()
        .map(|f| (f.file.as_str(), f.code.as_str()))
        .collect();
    #[cfg(unix)]
    assert_eq!(files, vec![("catalog/alias.yaml", "E0014")]);
    assert!(!files
        .iter()
        .any(|(f, _)| f.starts_with("templates/") || f.starts_with(".hidden")));
}

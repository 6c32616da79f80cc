//! `decide()` on inputs built in memory: no git, no network.

use super::*;
use crate::gate::judge::short;

const POLICY: &str = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice, \"@acme/cab\"]\nrules:\n  - match: {type: normal}\n    approvals: 1\n    from: cab\n";
const CHANGE: &str = "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: T\nstatus: approved\ntype: normal\nrisk: low\nservices: []\nrequested_by: carol\nplan: p\nrollback_plan: r\napprovals:\n  - {by: alice, at: 2026-11-20T10:01:00Z}\ntimeline:\n  - {at: 2026-11-20T09:00:00Z, by: carol, status: draft}\n  - {at: 2026-11-20T09:01:00Z, by: carol, status: submitted}\n  - {at: 2026-11-20T09:02:00Z, by: carol, status: approved}\n";

fn review(login: &str, state: ReviewState, sha: &str, minute: u32) -> Review {
    Review {
        id: minute as u64,
        login: Some(login.into()),
        bot: false,
        state,
        commit_id: Some(sha.into()),
        submitted_at: Some(format!("2026-11-20T10:{minute:02}:00Z").parse().unwrap()),
    }
}

/// The decision needs no git and no network: bytes in, verdict out.
fn input(reviews: Vec<Review>) -> Input {
    let path = "changes/CHG-0001.yaml".to_string();
    let mut base_context = Files::new();
    base_context.insert("policies/default.yaml".into(), POLICY.as_bytes().to_vec());
    let mut head_context = base_context.clone();
    head_context.insert(
        "gitsm.yaml".into(),
        b"apiVersion: gitsm/v1\nkind: Config\nid: t\n".to_vec(),
    );
    base_context.insert(
        "gitsm.yaml".into(),
        b"apiVersion: gitsm/v1\nkind: Config\nid: t\n".to_vec(),
    );
    // The reviewed commit lacked the approvals list: bookkeeping only.
    let before: String = CHANGE.replace("approvals:\n  - {by: alice, at: 2026-11-20T10:01:00Z}\n", "");
    let at_review = vec![Divergence {
        path: path.clone(),
        change_sides: Some([
            None,
            Some(before.into_bytes()),
            None,
            Some(CHANGE.as_bytes().to_vec()),
        ]),
    }];
    Input {
        base_context,
        head_context,
        diff: vec![FileChange {
            path,
            old: None,
            new: Some(CHANGE.as_bytes().to_vec()),
            new_not_a_file: false,
            base_moved: false,
        }],
        reviews,
        reviewed: HashMap::from([("a".repeat(40), at_review)]),
        author: "carol".into(),
        now: "2026-11-21T00:00:00Z".parse().unwrap(),
        ..Default::default()
    }
}

#[test]
fn pure_decision_allows_a_backed_fresh_approval() {
    let sha = "a".repeat(40);
    let v = decide(&input(vec![review("Alice", ReviewState::Approved, &sha, 1)]));
    assert_eq!(v.decision, Decision::Allowed, "{:#?}", v.checks);
}

#[test]
fn pure_decision_dismissal_wipes_an_approval() {
    let sha = "a".repeat(40);
    let v = decide(&input(vec![
        review("alice", ReviewState::Approved, &sha, 1),
        review("ALICE", ReviewState::Dismissed, &sha, 2),
    ]));
    assert_eq!(v.decision, Decision::Denied);
    assert!(v
        .blocking()
        .any(|c| c.message.contains("lists alice but no fresh approving review")));
}

#[test]
fn pure_decision_unknown_team_member_is_undecided() {
    let sha = "a".repeat(40);
    let mut i = input(vec![review("zoe", ReviewState::Approved, &sha, 1)]);
    let v = decide(&i);
    assert_eq!(v.decision, Decision::Undecided, "{:#?}", v.checks);
    i.teams.insert("@acme/cab".into(), vec!["Zoe".into()]);
    let v = decide(&i);
    // zoe is now in the group, but alice's claim is unbacked: not
    // bookkeeping, so it is an edit after zoe's review and her approval is stale.
    assert_eq!(v.decision, Decision::Denied);
    let fails: Vec<&str> = v.blocking().map(|c| c.message.as_str()).collect();
    assert_eq!(fails.len(), 2, "{fails:#?}");
    assert!(fails[0].contains("zoe's approval is stale"), "{fails:#?}");
    assert!(
        fails[1].contains("lists alice but no fresh approving review"),
        "{fails:#?}"
    );
}

#[test]
fn pr_body_references() {
    assert_eq!(
        referenced_changes(
            "Fixes it.\n\nChange: CHG-0042\nchange:CHG-7\nChange: ../../etc\nNot a Change: x y"
        ),
        vec!["CHG-0042".to_string(), "CHG-7".to_string()]
    );
}

#[test]
fn short_never_panics() {
    assert_eq!(short("0123456789abcdef"), "0123456789");
    assert_eq!(short("abc"), "abc");
    // Byte 10 falls inside a two-byte character.
    let odd = format!("a{}", "é".repeat(6));
    assert_eq!(short(&odd), odd);
    assert_eq!(short(""), "");
}

/// (rule, subject) of every failing or undecided check.
fn failing(v: &Verdict) -> Vec<(Rule, String)> {
    v.blocking().map(|c| (c.rule, c.subject.clone())).collect()
}

#[test]
fn pure_path_issues_deny_each_path() {
    let sha = "a".repeat(40);
    let mut i = input(vec![review("alice", ReviewState::Approved, &sha, 1)]);
    i.path_issues = vec![
        PathIssue::Backslash("changes\\x.yaml".into()),
        PathIssue::NotUtf8("x\u{fffd}.yaml".into()),
        PathIssue::CaseFold {
            path: "Changes/CHG-0001.yaml".into(),
            other: "changes/CHG-0001.yaml".into(),
        },
    ];
    let v = decide(&i);
    assert_eq!(v.decision, Decision::Denied);
    assert_eq!(
        failing(&v),
        vec![
            (Rule::FailClosed, "changes\\x.yaml".to_string()),
            (Rule::FailClosed, "x\u{fffd}.yaml".to_string()),
            (Rule::FailClosed, "Changes/CHG-0001.yaml".to_string()),
        ]
    );
}

#[test]
fn pure_a_symlink_is_denied_only_where_records_or_service_code_live() {
    let sha = "a".repeat(40);
    let mut i = input(vec![review("alice", ReviewState::Approved, &sha, 1)]);
    i.base_context.insert(
        "catalog/web.yaml".into(),
        b"apiVersion: gitsm/v1\nkind: Service\nid: web\nname: W\nowner: frank\npaths: [deploy/web/]\n"
            .to_vec(),
    );
    i.not_files = vec![
        "changes/x.yaml".into(),
        "deploy/web/link".into(),
        "docs/link".into(),
    ];
    // deploy/web/link also touches web's code with no covering change.
    i.code_paths = i.not_files.clone();
    let v = decide(&i);
    assert_eq!(
        failing(&v),
        vec![
            (Rule::FailClosed, "changes/x.yaml".to_string()),
            (Rule::FailClosed, "deploy/web/link".to_string()),
            (Rule::Paths, "web".to_string()),
        ]
    );
    // A record folder itself, the config, and governed CI are never links.
    i.not_files = vec![
        "changes".into(),
        "gitsm.yaml".into(),
        ".github".into(),
        "docs/x".into(),
    ];
    i.code_paths = Vec::new();
    let v = decide(&i);
    let links: Vec<(Rule, String)> = failing(&v)
        .into_iter()
        .filter(|(r, _)| *r == Rule::FailClosed)
        .collect();
    assert_eq!(
        links,
        vec![
            (Rule::FailClosed, "changes".to_string()),
            (Rule::FailClosed, "gitsm.yaml".to_string()),
            (Rule::FailClosed, ".github".to_string()),
        ]
    );
    // With the ITSM root in a sub-folder, records live under it.
    i.itsm_prefix = "itsm".into();
    i.not_files = vec!["itsm/changes/y.yaml".into(), "changes/y.yaml".into()];
    i.code_paths = Vec::new();
    assert_eq!(
        failing(&decide(&i)),
        vec![(Rule::FailClosed, "itsm/changes/y.yaml".to_string())]
    );
}

#[test]
fn pure_root_governed_files_need_policy_change_approvals() {
    let sha = "a".repeat(40);
    let mut i = input(vec![review("alice", ReviewState::Approved, &sha, 1)]);
    i.root_files = vec![".github/workflows/gate.yml".into()];
    let v = decide(&i);
    // The base policy has no `policy_change`: nobody can approve it.
    assert_eq!(
        failing(&v),
        vec![(Rule::PolicyFromBase, "policy default".to_string())]
    );
    assert!(v
        .blocking()
        .next()
        .unwrap()
        .message
        .contains("no `policy_change` rule"));
}

#[test]
fn pure_an_opaque_divergence_makes_every_approval_stale() {
    let sha = "a".repeat(40);
    let mut i = input(vec![review("alice", ReviewState::Approved, &sha, 1)]);
    i.reviewed.get_mut(&sha).unwrap().push(Divergence {
        path: "deploy/web/app.conf".into(),
        change_sides: None,
    });
    let v = decide(&i);
    let msgs: Vec<&str> = v.blocking().map(|c| c.message.as_str()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    assert!(
        msgs[0].contains("alice's approval is stale: the PR changed deploy/web/app.conf"),
        "{msgs:#?}"
    );
    assert!(
        msgs[1].contains("lists alice but no fresh approving review"),
        "{msgs:#?}"
    );
    // A review of a commit the adapter could not find is stale too.
    let mut i = input(vec![review("alice", ReviewState::Approved, &"b".repeat(40), 1)]);
    i.reviewed.clear();
    assert!(decide(&i)
        .blocking()
        .any(|c| c.message.contains("which is not in this repository")));
}

#[test]
fn pure_a_change_request_from_the_group_blocks() {
    let sha = "a".repeat(40);
    let mut i = input(vec![
        review("alice", ReviewState::Approved, &sha, 1),
        review("bob", ReviewState::ChangesRequested, &sha, 2),
    ]);
    // While @acme/cab is unresolved, bob may be in it: undecided.
    assert_eq!(decide(&i).decision, Decision::Undecided);
    // bob is not in the CAB: his request does not block; alice's approval counts.
    i.teams.insert("@acme/cab".into(), vec!["zoe".into()]);
    let v = decide(&i);
    assert_eq!(v.decision, Decision::Allowed, "{:#?}", v.checks);
    let mut i = input(vec![
        review("alice", ReviewState::Approved, &sha, 1),
        review("zed", ReviewState::ChangesRequested, &sha, 2),
    ]);
    i.teams.insert("@acme/cab".into(), vec!["zed".into()]);
    let v = decide(&i);
    assert_eq!(failing(&v), vec![(Rule::Approvals, "CHG-0001".to_string())]);
    assert!(v
        .blocking()
        .next()
        .unwrap()
        .message
        .contains("changes requested by zed block it"));
}

/// Rule 2 judges record paths, and any file the loader has findings for;
/// a plain YAML file elsewhere in the diff (an adapter that passes one)
/// gets no check of its own, neither a pass nor a failure.
#[test]
fn pure_a_plain_yaml_file_outside_the_record_folders_gets_no_validation_check() {
    let sha = "a".repeat(40);
    let mut i = input(vec![review("alice", ReviewState::Approved, &sha, 1)]);
    i.diff.push(FileChange {
        path: "notes/todo.yaml".into(),
        old: None,
        new: Some(b"todo: [write the runbook]\n".to_vec()),
        new_not_a_file: false,
        base_moved: false,
    });
    let v = decide(&i);
    let validated: Vec<&str> = v
        .checks
        .iter()
        .filter(|c| c.rule == Rule::Validate)
        .filter_map(|c| c.file.as_deref())
        .collect();
    assert!(validated.contains(&"changes/CHG-0001.yaml"), "{validated:?}");
    assert!(!validated.contains(&"notes/todo.yaml"), "{:#?}", v.checks);
}

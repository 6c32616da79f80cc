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

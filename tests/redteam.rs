//! Red-team suite: a malicious insider with push access to a PR branch (not
//! to main) tries to get an unreviewed or unapproved change merged with
//! exit 0, or to make the gate pass what SPEC §3 says must fail or be
//! undecided. Each scenario is a real git history and asserts what SPEC §3
//! says SHOULD happen. Scenarios where the gate is currently wrong are
//! `
use crate::common::git;
use crate::gate::*;

/// Commits `files` on main and merges main into the PR branch.
fn on_base(s: &Scratch, files: &[(&str, &str)]) {
    s.commit_on_main(files, "on main");
    git(s.path(), &["merge", "-q", "--no-edit", "main"]);
}

const LATER_WINDOW: &str = "window: {start: \"2026-11-24T10:00:00Z\", end: \"2026-11-24T11:00:00Z\"}\n";
const DONE_WINDOW: &str = "window: {start: \"2026-11-20T10:03:00Z\", end: \"2026-11-20T10:04:00Z\"}\n";
const NOW_WINDOW: &str = "window: {start: \"2026-11-21T10:00:00Z\", end: \"2026-11-21T14:00:00Z\"}\n";

fn completed(outcome: &str, more: &str) -> String {
    change_full(
        "CHG-0001",
        "completed",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("{DONE_WINDOW}{APPROVED_BY_ALICE}{more}"),
    )
    .replace("outcome: successful\n", &format!("outcome: {outcome}\n"))
}

// A. Rule 4 exception abuse -------------------------------------------------------------

/// The requester of a completed change rewrites its `outcome` from `failed`
/// to `successful` (whitewashing the change failure rate) without appending
/// any status event. SPEC §3 rule 4: the exception covers moving the change
/// on "by appending status events … editing nothing else"; a bare outcome
/// rewrite is an edit of an approved-or-later change and needs fresh
/// approval.
#[test]
fn rt_requester_rewrites_the_outcome_of_a_completed_change() {
    let s = Scratch::new();
    on_base(&s, &[("changes/CHG-0001.yaml", &completed("failed", ""))]);
    s.commit(
        &[("changes/CHG-0001.yaml", &completed("successful", ""))],
        "it was fine really",
    );
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

/// Same, with the post-implementation `review` text rewritten on a
/// completed change, no status appended.
#[test]
fn rt_requester_rewrites_the_review_of_a_completed_change() {
    let s = Scratch::new();
    on_base(
        &s,
        &[(
            "changes/CHG-0001.yaml",
            &completed("rolled_back", "review: The migration corrupted 3% of orders.\n"),
        )],
    );
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &completed("rolled_back", "review: Minor hiccup.\n"),
        )],
        "soften the review",
    );
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

/// The requester sets `outcome` on a still-scheduled change without moving
/// it on (no status event): not "moving on", so an edit needing approval.
#[test]
fn rt_requester_sets_outcome_without_completing() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    let head = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}outcome: successful\n"),
    );
    s.commit(&[("changes/CHG-0001.yaml", &head)], "pre-set the outcome");
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".to_string(), "CHG-0001".to_string())));
}

/// The requester moves a scheduled change on to `implementing` and, in the
/// same PR, makes someone else its implementer: editing something else.
#[test]
fn rt_requester_moving_on_while_changing_the_implementer_needs_approval() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("implementer: carol\n{NOW_WINDOW}{APPROVED_BY_ALICE}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    let head = base
        .replace("implementer: carol", "implementer: mallory")
        .replace("status: scheduled\n", "status: implementing\n")
        + "  - {at: 2026-11-21T10:30:00Z, by: carol, status: implementing}\n";
    s.commit(&[("changes/CHG-0001.yaml", &head)], "go, mallory");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

/// Approved → on_hold (at base) → `scheduled` by the requester: returning
/// from hold to a status other than where it was is not the exception.
#[test]
fn rt_requester_returning_from_hold_to_a_different_status_needs_approval() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "approved",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    )
    .replace("status: approved\n", "status: on_hold\n")
        + "  - {at: 2026-11-20T12:00:00Z, by: carol, status: on_hold}\n";
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    let head = base.replace("status: on_hold\n", "status: scheduled\n")
        + "  - {at: 2026-11-21T09:00:00Z, by: carol, status: scheduled}\n";
    s.commit(&[("changes/CHG-0001.yaml", &head)], "schedule it myself");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

/// Someone who is neither requester nor implementer cancels an approved change.
#[test]
fn rt_a_stranger_cannot_cancel_an_approved_change() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    let head = base.replace("status: scheduled\n", "status: cancelled\n")
        + "  - {at: 2026-11-21T09:00:00Z, by: carol, status: cancelled}\n";
    s.commit(&[("changes/CHG-0001.yaml", &head)], "cancel");
    assert_exactly(&s.gate("mallory", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

// B. Service owners under "both its old and its new rule" ---------------------------------

const DB: &str =
    "apiVersion: gitsm/v1\nkind: Service\nid: db\nname: Database\nowner: gina\npaths:\n  - deploy/db/**\n";

/// A high-risk change approved for `web` (owner frank) is moved to `db`
/// (owner gina). SPEC §3 rule 4: the edit needs fresh approval satisfying
/// both its old rule (for the old version: an owner of `web`) and its new
/// one (an owner of `db`). The gate only asks for the owners of the head
/// services, so web's owner loses the say over a change taken off web.
#[test]
fn rt_moving_a_high_risk_change_off_a_service_needs_its_old_owner_too() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("catalog/db.yaml", DB),
        ("policies/default.yaml", POLICY),
    ]);
    let three = "approvals:\n  - {by: alice, at: 2026-11-19T11:01:00Z}\n  - {by: Bob, at: 2026-11-19T11:02:00Z}\n  - {by: frank, at: 2026-11-19T11:03:00Z}\n";
    let base = change_full(
        "CHG-0001",
        "scheduled",
        "normal",
        "high",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("{LATER_WINDOW}{three}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    let head = base.replace("services: [web]", "services: [db]");
    let sha = s.commit(&[("changes/CHG-0001.yaml", &head)], "move to db");
    let res = s.gate(
        "carol",
        &[
            ("alice", "APPROVED", &sha),
            ("Bob", "APPROVED", &sha),
            ("gina", "APPROVED", &sha),
        ],
        &[],
    );
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
}

// C. Bookkeeping forgeries -------------------------------------------------------------

/// A PR adding CHG-0001 approved (no list), reviewed by alice; then a
/// second commit with `approvals`/`note` text. Returns the gate's answer.
fn after_bookkeeping(approvals: &str, note: &str) -> (i32, serde_json::Value, String) {
    let s = Scratch::new();
    let reviewed = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", ""),
        )],
        "add CHG-0001",
    );
    let mut body = change("CHG-0001", "approved", "low", approvals);
    body.push_str(note);
    s.commit(&[("changes/CHG-0001.yaml", &body)], "bookkeeping?");
    s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[])
}

#[test]
fn rt_bookkeeping_entry_with_an_extra_key_is_an_edit() {
    // Denied (the schema refuses the key; rule 2), never passed as bookkeeping.
    let res = after_bookkeeping(
        "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z, scope: all-changes}\n",
        "",
    );
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("2-records-validate".into(), "CHG-0001".into())));
}

#[test]
fn rt_bookkeeping_time_in_another_offset_is_the_same_instant() {
    let res = after_bookkeeping(
        "approvals:\n  - {by: alice, at: \"2026-11-20T12:01:00+01:00\"}\n",
        "",
    );
    assert_exactly(&res, 0, &[]);
}

#[test]
fn rt_bookkeeping_login_case_is_free() {
    let res = after_bookkeeping(
        "approvals:\n  - {by: ALICE, at: 2026-11-20T11:01:00Z}\n",
        "  - {at: 2026-11-20T12:00:00Z, by: Alice, note: approved by Alice}\n",
    );
    assert_exactly(&res, 0, &[]);
}

#[test]
fn rt_bookkeeping_note_with_trailing_whitespace_is_an_edit() {
    let res = after_bookkeeping(
        APPROVED_BY_ALICE,
        "  - {at: 2026-11-20T12:00:00Z, by: alice, note: \"approved by alice \"}\n",
    );
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0001".into())));
}

/// An "approved by alice" note is bookkeeping only when alice's review
/// backs it: a note for a reviewer whose approval is stale is an edit.
#[test]
fn rt_approval_note_of_a_non_reviewer_is_an_edit() {
    let res = after_bookkeeping(
        APPROVED_BY_ALICE,
        "  - {at: 2026-11-20T12:00:00Z, by: Bob, note: approved by Bob}\n",
    );
    assert_eq!(res.0, 1, "{:#}", res.1);
}

// D. Freshness bypasses -----------------------------------------------------------------

fn approved_pr(s: &Scratch) -> String {
    s.commit(
        &[
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
            ),
            ("tools/run.sh", "echo hi\n"),
        ],
        "add CHG-0001",
    )
}

#[test]
fn rt_a_mode_only_change_after_review_makes_it_stale() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    git(s.path(), &["update-index", "--chmod=+x", "tools/run.sh"]);
    git(s.path(), &["commit", "-q", "-m", "chmod"]);
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
}

#[test]
fn rt_a_mode_only_change_of_a_change_record_after_review() {
    // The record's parsed data is the same; mode bits of a YAML record mean
    // nothing to any reader, so this stays fresh (documented: change records
    // are compared as parsed data).
    let s = Scratch::new();
    let sha = approved_pr(&s);
    git(s.path(), &["update-index", "--chmod=+x", "changes/CHG-0001.yaml"]);
    git(s.path(), &["commit", "-q", "-m", "chmod"]);
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 0, &[]);
}

#[test]
fn rt_a_record_turned_into_a_symlink_after_review_is_denied() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    s.commit(
        &[(
            "ops/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE).replace("two steps", "one step"),
        )],
        "real content",
    );
    std::fs::remove_file(s.path().join("changes/CHG-0001.yaml")).unwrap();
    std::os::unix::fs::symlink("../ops/CHG-0001.yaml", s.path().join("changes/CHG-0001.yaml")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "link"]);
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

#[test]
fn rt_deleted_and_re_added_identically_stays_fresh() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    s.rm("tools/run.sh");
    git(s.path(), &["commit", "-q", "-m", "rm"]);
    s.commit(&[("tools/run.sh", "echo hi\n")], "back");
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
}

#[test]
fn rt_a_code_file_renamed_after_review_is_stale() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    git(s.path(), &["mv", "tools/run.sh", "tools/run2.sh"]);
    git(s.path(), &["commit", "-q", "-m", "mv"]);
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
}

#[test]
fn rt_a_review_on_the_base_tip_is_stale() {
    let s = Scratch::new();
    let base_tip = git(s.path(), &["rev-parse", "main"]);
    approved_pr(&s);
    let res = s.gate("carol", &[("alice", "APPROVED", &base_tip)], &[]);
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
}

/// alice approved a commit on another branch that added the same change
/// but also other code: its diff differs, so her review is stale here.
#[test]
fn rt_a_review_of_another_branch_with_a_different_diff_is_stale() {
    let s = Scratch::new();
    git(s.path(), &["checkout", "-q", "-b", "other", "main"]);
    let other = s.commit(
        &[
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
            ),
            ("tools/run.sh", "echo hi\n"),
            ("tools/extra.sh", "echo extra\n"),
        ],
        "other",
    );
    git(s.path(), &["checkout", "-q", "feature"]);
    approved_pr(&s);
    let res = s.gate("carol", &[("alice", "APPROVED", &other)], &[]);
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
}

/// A change only on the merge-base side: main reverts something after the
/// PR branched, the PR merges main in; the PR's own diff is unchanged.
#[test]
fn rt_merging_main_in_keeps_a_review_fresh_but_a_revert_of_main_does_not() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    s.commit_on_main(&[("README.md", "hello\n")], "readme");
    git(s.path(), &["merge", "-q", "--no-edit", "main"]);
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
    // The PR now undoes main's README: its own diff changed.
    s.rm("README.md");
    git(s.path(), &["commit", "-q", "-m", "drop readme"]);
    assert_exactly(
        &s.gate("carol", &[("alice", "APPROVED", &sha)], &[]),
        1,
        &[("4-approvals", "CHG-0001")],
    );
}

// E. Approvals edge cases ---------------------------------------------------------------

#[test]
fn rt_dismissed_then_approved_counts() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    let res = s.gate(
        "carol",
        &[
            ("alice", "CHANGES_REQUESTED", &sha),
            ("alice", "DISMISSED", &sha),
            ("alice", "APPROVED", &sha),
        ],
        &[],
    );
    // alice's counted review is #3 (11:03) while the list says 11:01: SPEC
    // only asks that each *name* the PR adds be backed, and alice saw the
    // entry in the commit she approved, so this passes.
    assert_exactly(&res, 0, &[]);
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change(
                "CHG-0001",
                "approved",
                "low",
                "approvals:\n  - {by: alice, at: 2026-11-20T11:03:00Z}\n",
            ),
        )],
        "add",
    );
    let res = s.gate(
        "carol",
        &[
            ("alice", "CHANGES_REQUESTED", &sha),
            ("alice", "DISMISSED", &sha),
            ("alice", "APPROVED", &sha),
        ],
        &[],
    );
    assert_exactly(&res, 0, &[]);
}

#[test]
fn rt_approved_then_dismissed_does_not_count() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("alice", "DISMISSED", &sha)],
        &[],
    );
    assert_eq!(res.0, 1, "{:#}", res.1);
}

#[test]
fn rt_contributor_login_case_does_not_matter() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha)],
        &["--contributor", "ALICE"],
    );
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0001".into())));
}

#[test]
fn rt_pr_author_login_case_does_not_matter() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    let res = s.gate("ALICE", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

#[test]
fn rt_a_bot_with_a_cab_login_does_not_count() {
    let s = Scratch::new();
    let sha = approved_pr(&s);
    let res = s.gate("carol", &[("bot:alice", "APPROVED", &sha)], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

// F. YAML tricks --------------------------------------------------------------------------

#[test]
fn rt_bom_and_crlf_do_not_hide_an_approved_change() {
    let s = Scratch::new();
    let body = format!(
        "\u{feff}{}",
        change("CHG-0001", "approved", "low", APPROVED_BY_ALICE).replace('\n', "\r\n")
    );
    s.commit(&[("changes/CHG-0001.yaml", &body)], "bom crlf");
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0001".into())));
}

#[test]
fn rt_duplicate_status_keys_are_denied() {
    let s = Scratch::new();
    let body = change("CHG-0001", "approved", "low", APPROVED_BY_ALICE)
        .replace("status: approved\n", "status: draft\nstatus: approved\n");
    s.commit(&[("changes/CHG-0001.yaml", &body)], "dup");
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

#[test]
fn rt_a_yml_twin_of_a_base_change_collides() {
    let s = Scratch::new();
    on_base(
        &s,
        &[("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", ""))],
    );
    s.commit(
        &[(
            "changes/CHG-0001.yml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "twin",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("3-history".into(), "CHG-0001".into())));
}

#[test]
fn rt_a_change_in_a_sub_folder_is_judged() {
    let s = Scratch::new();
    s.commit(
        &[(
            "changes/sub/CHG-0002.yaml",
            &change("CHG-0002", "approved", "low", APPROVED_BY_ALICE),
        )],
        "nested",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0002".into())));
}

#[test]
fn rt_a_change_outside_changes_is_denied() {
    let s = Scratch::new();
    s.commit(
        &[(
            "ops/CHG-0002.YML",
            &change(
                "CHG-0002",
                "scheduled",
                "low",
                &format!("{NOW_WINDOW}{APPROVED_BY_ALICE}"),
            ),
        )],
        "elsewhere",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("3-history".into(), "CHG-0002".into())));
}

#[test]
fn rt_a_huge_change_record_is_not_skipped() {
    let s = Scratch::new();
    let mut body = change("CHG-0002", "approved", "low", APPROVED_BY_ALICE);
    body.push_str(&format!("# {}\n", "x".repeat(12 * 1024 * 1024)));
    s.commit(&[("changes/CHG-0002.yaml", &body)], "huge");
    let res = s.gate("carol", &[], &[]);
    assert_ne!(res.0, 0, "{:#}", res.1);
}

// G. Governed files (rule 1) ---------------------------------------------------------------

/// SPEC §3: ConfigItems and RequestTypes are governed files (adding, editing
/// or deleting them needs `policy_change` approvals): denied by rule 1.
#[test]
fn rt_adding_a_config_item_is_denied() {
    let s = Scratch::new();
    s.commit(
        &[(
            "cmdb/db01.yaml",
            "apiVersion: gitsm/v1\nkind: ConfigItem\nid: db01\nname: Primary DB\ntype: database\nservices: [web]\n",
        )],
        "cmdb",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(
        failing(&res.1).iter().any(|(r, _)| r == "1-policy-from-base"),
        "{:#}",
        res.1
    );
}

#[test]
fn rt_adding_a_request_type_is_denied() {
    let s = Scratch::new();
    s.commit(
        &[(
            "catalog/requests/vpn.yaml",
            "apiVersion: gitsm/v1\nkind: RequestType\nid: vpn\nname: VPN access\nservice: web\npublic: true\n",
        )],
        "request type",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(
        failing(&res.1).iter().any(|(r, _)| r == "1-policy-from-base"),
        "{:#}",
        res.1
    );
}

#[test]
fn rt_deleting_the_policy_is_denied() {
    let s = Scratch::new();
    s.rm("policies/default.yaml");
    git(s.path(), &["commit", "-q", "-m", "no policy"]);
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).iter().any(|(r, _)| r == "1-policy-from-base"));
}

#[test]
fn rt_a_policy_hidden_in_the_catalog_is_a_policy_change() {
    let s = Scratch::new();
    s.commit(
        &[(
            "catalog/zz.yaml",
            &POLICY
                .replace("id: default", "id: loose")
                .replace("approvals: 2", "approvals: 0"),
        )],
        "second policy",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).iter().any(|(r, _)| r == "1-policy-from-base"));
}

#[test]
fn rt_a_second_service_claiming_web_paths_is_governed() {
    let s = Scratch::new();
    s.commit(
        &[(
            "catalog/sub/web-too.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: web2\nname: Web too\nowner: carol\npaths: [deploy/web/**]\n",
        )],
        "mine now",
    );
    let res = s.gate("carol", &[], &[]);
    assert_exactly(&res, 1, &[("1-policy-from-base", "service web2")]);
}

#[test]
fn rt_workflows_at_the_git_root_are_governed_from_an_itsm_sub_folder() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let s = Scratch { dir };
    s.commit(
        &[
            ("itsm/gitsm.yaml", CONFIG),
            ("itsm/catalog/web.yaml", WEB),
            ("itsm/policies/default.yaml", POLICY),
        ],
        "base",
    );
    git(s.path(), &["checkout", "-q", "-b", "feature"]);
    s.commit(
        &[(".github/workflows/gitsm-gate.yml", "on: push\n")],
        "replace the gate",
    );
    let res = s.gate_in("itsm", "carol", "[]", &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).iter().any(|(r, _)| r == "1-policy-from-base"));
}

// H. Governed paths (rule 6) ------------------------------------------------------------

fn with_paths(paths: &str) -> Scratch {
    Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        (
            "catalog/payments.yaml",
            &format!("apiVersion: gitsm/v1\nkind: Service\nid: payments\nname: Payments\nowner: frank\npaths: {paths}\n"),
        ),
        ("policies/default.yaml", POLICY),
        ("infra/payments/main.tf", "a\n"),
    ])
}

#[test]
fn rt_brace_globs_govern_every_alternative() {
    let s = with_paths("[\"infra/{payments,billing}/**\"]");
    s.commit(&[("infra/billing/main.tf", "x\n")], "tf");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "payments")]);
}

#[test]
fn rt_double_star_prefix_globs_match_at_the_root_too() {
    let s = with_paths("[\"**/payments.tf\"]");
    s.commit(&[("payments.tf", "x\n")], "tf");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "payments")]);
}

#[test]
fn rt_renaming_code_out_of_a_service_is_governed() {
    let s = with_paths("[infra/payments/]");
    git(s.path(), &["mv", "infra/payments/main.tf", "infra/main.tf"]);
    git(s.path(), &["commit", "-q", "-m", "move out"]);
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "payments")]);
}

#[test]
fn rt_deleting_governed_code_is_governed() {
    let s = with_paths("[infra/payments/]");
    s.rm("infra/payments/main.tf");
    git(s.path(), &["commit", "-q", "-m", "rm"]);
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "payments")]);
}

/// A `Change:` line naming a change that is only a draft at base (the PR
/// "approves" it in its own copy of the record without reviews) covers nothing.
#[test]
fn rt_a_reference_to_a_change_the_pr_self_approves_does_not_cover() {
    let s = Scratch::new();
    on_base(
        &s,
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "submitted", "low", ""),
        )],
    );
    s.commit(
        &[
            (
                "changes/CHG-0001.yaml",
                &change(
                    "CHG-0001",
                    "scheduled",
                    "low",
                    &format!("{NOW_WINDOW}{APPROVED_BY_ALICE}"),
                ),
            ),
            ("deploy/web/app.conf", "workers = 64\n"),
        ],
        "go",
    );
    std::fs::write(s.path().join(".git/body.md"), "  cHaNgE :   CHG-0001  \n").unwrap();
    let body = s.path().join(".git/body.md");
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0001".into())));
}

// I. Standard templates -------------------------------------------------------------------

const TEMPLATES: &str = "standard_changes:\n  - id: STD-restart-pod\n    title: Restart a pod\n    services: [web]\n    risk: low\nungoverned_paths: deny\n";

fn standard(template: &str, services: &str) -> String {
    change_full(
        "CHG-0009",
        "approved",
        "standard",
        "low",
        services,
        "2026-11-20T09:05:00Z",
        &format!("template: {template}\n{NOW_WINDOW}"),
    )
}

#[test]
fn rt_template_id_case_is_not_a_template() {
    let s = scratch_with_policy("ungoverned_paths: deny\n", TEMPLATES);
    s.commit(
        &[("changes/CHG-0009.yaml", &standard("std-restart-pod", "web"))],
        "case",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0009".into())));
}

#[test]
fn rt_a_template_added_in_the_same_pr_does_not_pre_authorise() {
    let s = Scratch::new();
    s.commit(
        &[
            (
                "policies/default.yaml",
                &POLICY.replace("ungoverned_paths: deny\n", TEMPLATES),
            ),
            ("changes/CHG-0009.yaml", &standard("STD-restart-pod", "web")),
        ],
        "template and change",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    let f = failing(&res.1);
    assert!(f.contains(&("4-approvals".into(), "CHG-0009".into())), "{f:?}");
}

#[test]
fn rt_duplicate_services_in_a_standard_change_stay_within_the_template() {
    let s = scratch_with_policy("ungoverned_paths: deny\n", TEMPLATES);
    s.commit(
        &[("changes/CHG-0009.yaml", &standard("STD-restart-pod", "web, api"))],
        "add api",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("4-approvals".into(), "CHG-0009".into())));
}

// J. Rule 7 and schedule ----------------------------------------------------------------

#[test]
fn rt_a_whitespace_review_is_still_missing() {
    let s = scratch_with_policy("    from: ecab\n", "    from: ecab\n    review_within: 12h\n");
    let emergency = change_full(
        "CHG-0050",
        "completed",
        "emergency",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        "window: {start: \"2026-11-20T10:00:00Z\", end: \"2026-11-20T11:00:00Z\"}\napprovals:\n  - {by: erin, at: 2026-11-20T10:01:00Z}\nreview: \"  \\t \"\n",
    );
    on_base(&s, &[("changes/CHG-0050.yaml", &emergency)]);
    s.commit(
        &[("changes/CHG-0051.yaml", &change("CHG-0051", "draft", "low", ""))],
        "next",
    );
    let res = s.gate("carol", &[], &[]);
    assert_exactly(&res, 1, &[("7-emergency-review", "CHG-0051")]);
}

/// Rule 7 names "new normal changes": a normal change that was a draft at
/// base, submitted by this PR while its requester's emergency review is
/// overdue. The gate only looks at changes added by the PR.
#[test]
fn rt_an_overdue_review_blocks_submitting_a_base_draft() {
    let s = scratch_with_policy("    from: ecab\n", "    from: ecab\n    review_within: 12h\n");
    let emergency = change_full(
        "CHG-0050",
        "completed",
        "emergency",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        "window: {start: \"2026-11-20T10:00:00Z\", end: \"2026-11-20T11:00:00Z\"}\napprovals:\n  - {by: erin, at: 2026-11-20T10:01:00Z}\n",
    );
    on_base(
        &s,
        &[
            ("changes/CHG-0050.yaml", &emergency),
            ("changes/CHG-0051.yaml", &change("CHG-0051", "draft", "low", "")),
        ],
    );
    s.commit(
        &[(
            "changes/CHG-0051.yaml",
            &change("CHG-0051", "submitted", "low", ""),
        )],
        "submit",
    );
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

/// Two changes in one PR on the same service and window: each conflicts
/// with the other (the PR's versions are what merges).
#[test]
fn rt_two_changes_of_one_pr_conflict_with_each_other() {
    let s = Scratch::new();
    on_base(
        &s,
        &[
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "submitted", "low", ""),
            ),
            (
                "changes/CHG-0002.yaml",
                &change("CHG-0002", "submitted", "low", ""),
            ),
        ],
    );
    let two = "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\n";
    let sha = s.commit(
        &[
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "scheduled", "low", &format!("{LATER_WINDOW}{two}")),
            ),
            (
                "changes/CHG-0002.yaml",
                &change("CHG-0002", "scheduled", "low", &format!("{LATER_WINDOW}{two}")),
            ),
        ],
        "both",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0001"), ("5-schedule", "CHG-0002")]);
}

/// A held change (approved, window W) comes back to `scheduled` by its
/// requester while a change of this PR is scheduled in W: conflict.
#[test]
fn rt_a_held_change_returning_conflicts_with_this_pr_s_other_change() {
    let s = Scratch::new();
    let held = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    )
    .replace("status: scheduled\n", "status: on_hold\n")
        + "  - {at: 2026-11-20T12:00:00Z, by: carol, status: on_hold}\n";
    on_base(
        &s,
        &[
            ("changes/CHG-0001.yaml", &held),
            (
                "changes/CHG-0002.yaml",
                &change("CHG-0002", "submitted", "low", ""),
            ),
        ],
    );
    let back = held.replace("status: on_hold\n", "status: scheduled\n")
        + "  - {at: 2026-11-21T09:00:00Z, by: carol, status: scheduled}\n";
    let sha = s.commit(
        &[
            ("changes/CHG-0001.yaml", &back),
            (
                "changes/CHG-0002.yaml",
                &change(
                    "CHG-0002",
                    "scheduled",
                    "low",
                    &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
                ),
            ),
        ],
        "both",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0001"), ("5-schedule", "CHG-0002")]);
}

/// Window moved through `on_hold` with CAB approval, into a freeze; coming
/// back from hold re-checks the freeze.
#[test]
fn rt_a_window_moved_while_held_is_rechecked_on_return() {
    let s = Scratch::new();
    let frozen_window = "window: {start: \"2026-11-27T10:00:00Z\", end: \"2026-11-27T11:00:00Z\"}\n";
    let held = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{frozen_window}{APPROVED_BY_ALICE}"),
    )
    .replace("status: scheduled\n", "status: on_hold\n")
        + "  - {at: 2026-11-20T12:00:00Z, by: carol, status: on_hold}\n";
    on_base(&s, &[("changes/CHG-0001.yaml", &held)]);
    let back = held.replace("status: on_hold\n", "status: scheduled\n")
        + "  - {at: 2026-11-21T09:00:00Z, by: carol, status: scheduled}\n";
    s.commit(&[("changes/CHG-0001.yaml", &back)], "resume in the freeze");
    let res = s.gate("carol", &[], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0001")]);
}

#[test]
fn rt_a_window_in_a_freeze_written_with_an_offset_is_caught() {
    let s = Scratch::new();
    on_base(
        &s,
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "submitted", "low", ""),
        )],
    );
    // 2026-11-25T23:30-02:00 = 2026-11-26T01:30Z, inside Black Friday.
    let w = "window: {start: \"2026-11-25T22:00:00-02:00\", end: \"2026-11-25T23:30:00-02:00\"}\n";
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "scheduled", "low", &format!("{w}{APPROVED_BY_ALICE}")),
        )],
        "offset",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0001")]);
}

// K. Criss-cross ------------------------------------------------------------------------

/// A review on a commit that has two merge bases with main is stale, even
/// when head itself has one.
#[test]
fn rt_a_review_on_a_criss_cross_commit_is_stale() {
    let s = Scratch::new();
    // Build x (feature side) and y (main side), each merging the other's parent.
    let m0 = git(s.path(), &["rev-parse", "main"]);
    s.commit(&[("a.txt", "a\n")], "a");
    let a = git(s.path(), &["rev-parse", "HEAD"]);
    git(s.path(), &["checkout", "-q", "-b", "tmpb", &m0]);
    s.commit(&[("b.txt", "b\n")], "b");
    let b = git(s.path(), &["rev-parse", "HEAD"]);
    // main = merge(b, a)
    git(s.path(), &["checkout", "-q", "main"]);
    git(s.path(), &["reset", "-q", "--hard", &b]);
    git(s.path(), &["merge", "-q", "--no-edit", &a]);
    // reviewed = merge(a, b) + the change
    git(s.path(), &["checkout", "-q", "-b", "rev", &a]);
    git(s.path(), &["merge", "-q", "--no-edit", &b]);
    let reviewed = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "change",
    );
    // feature = main + the same change (one merge base with main).
    git(s.path(), &["checkout", "-q", "feature"]);
    git(s.path(), &["reset", "-q", "--hard", "main"]);
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "change",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]);
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
}

// L. More -------------------------------------------------------------------------------

/// A normal change added and taken all the way to `completed` in one PR,
/// with one CAB approval: it enters `approved`, `scheduled` and
/// `implementing` in this PR, so SPEC §3 rule 5 applies — and a normal
/// change not submitted at base counts its lead time from now, which a
/// window in the past can never meet. The gate skips rule 5 because the
/// head status is `completed`.
#[test]
fn rt_a_change_completed_in_one_pr_still_meets_rule_5() {
    let s = Scratch::new();
    let body = change_full(
        "CHG-0003",
        "completed",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("{DONE_WINDOW}{APPROVED_BY_ALICE}"),
    );
    let sha = s.commit(&[("changes/CHG-0003.yaml", &body)], "did it already");
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0003")]);
}

/// Same shape, but the window overlaps a scheduled change of another team
/// on the same service: the conflict is never looked at either.
#[test]
fn rt_a_change_completed_in_one_pr_is_checked_for_conflicts() {
    let s = Scratch::new();
    let w = "window: {start: \"2026-11-20T09:00:00Z\", end: \"2026-11-20T10:30:00Z\"}\n";
    let other = change_full(
        "CHG-0001",
        "scheduled",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("{w}{APPROVED_BY_ALICE}"),
    )
    .replace("requested_by: carol", "requested_by: dave");
    on_base(&s, &[("changes/CHG-0001.yaml", &other)]);
    let body = change_full(
        "CHG-0003",
        "completed",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("{w}{APPROVED_BY_ALICE}"),
    );
    let sha = s.commit(&[("changes/CHG-0003.yaml", &body)], "overlapping, done");
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).contains(&("5-schedule".into(), "CHG-0003".into())));
}

/// A symlink placed exactly at the root of a service's `paths` (`deploy/web`
/// for `deploy/web/**`) makes the service's code live elsewhere (`shadow/`),
/// where later PRs edit it ungoverned. SPEC §3 rule 0: a symlink the PR adds
/// under a service's `paths` is denied.
#[test]
fn rt_a_symlink_at_the_root_of_a_service_s_paths_is_denied() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
    ]);
    crate::common::write(s.path(), "shadow/app.conf", "workers = 64\n");
    std::fs::create_dir_all(s.path().join("deploy")).unwrap();
    std::os::unix::fs::symlink("../shadow", s.path().join("deploy/web")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "redirect web"]);
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

/// Same, one folder up: `deploy` itself becomes a symlink.
#[test]
fn rt_a_symlink_above_a_service_s_paths_is_denied() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
    ]);
    crate::common::write(s.path(), "shadow/web/app.conf", "workers = 64\n");
    std::os::unix::fs::symlink("shadow", s.path().join("deploy")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "redirect deploy"]);
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

/// A symlink to a record folder: `changes` itself replaced by a link.
#[test]
fn rt_a_record_folder_replaced_by_a_symlink_is_denied() {
    let s = Scratch::new();
    crate::common::write(
        s.path(),
        "elsewhere/CHG-0002.yaml",
        change("CHG-0002", "draft", "low", ""),
    );
    std::os::unix::fs::symlink("elsewhere", s.path().join("changes")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "link changes"]);
    let res = s.gate("carol", &[], &[]);
    // Denied: the link itself (rule 0) and the record outside `changes/` (rule 3).
    assert_exactly(
        &res,
        1,
        &[("0-fail-closed", "changes"), ("3-history", "CHG-0002")],
    );
}

/// `changes` itself becomes a symlink (to a folder with no record yet):
/// the link is the record folder, yet nothing flags it.
#[test]
fn rt_a_record_folder_symlink_is_flagged_itself() {
    let s = Scratch::new();
    crate::common::write(s.path(), "elsewhere/README.md", "records go here\n");
    std::os::unix::fs::symlink("elsewhere", s.path().join("changes")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "link changes"]);
    let res = s.gate("carol", &[], &[]);
    assert_exactly(&res, 1, &[("0-fail-closed", "changes")]);
}

/// `.github` itself added as a symlink to an ungoverned folder: whatever
/// GitHub makes of it, it is not reviewed as `.github/**`.
#[test]
fn rt_a_dot_github_symlink_is_governed() {
    let s = Scratch::new();
    crate::common::write(s.path(), "ci/workflows/gitsm-gate.yml", "on: push\n");
    std::os::unix::fs::symlink("ci", s.path().join(".github")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "link .github"]);
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    assert!(failing(&res.1).iter().any(|(r, _)| r == "1-policy-from-base"));
}

/// Rule 7 keys on the change's `requested_by`, which the PR author writes:
/// carol, whose emergency review is overdue, files her next normal change
/// as requested by dave.
#[test]
fn rt_rule_7_cannot_be_evaded_by_naming_another_requester() {
    let s = scratch_with_policy("    from: ecab\n", "    from: ecab\n    review_within: 12h\n");
    let emergency = change_full(
        "CHG-0050",
        "completed",
        "emergency",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        "window: {start: \"2026-11-20T10:00:00Z\", end: \"2026-11-20T11:00:00Z\"}\napprovals:\n  - {by: erin, at: 2026-11-20T10:01:00Z}\n",
    );
    on_base(&s, &[("changes/CHG-0050.yaml", &emergency)]);
    s.commit(
        &[(
            "changes/CHG-0051.yaml",
            &change("CHG-0051", "draft", "low", "").replace("requested_by: carol", "requested_by: dave"),
        )],
        "next, as dave",
    );
    let res = s.gate("carol", &[], &[]);
    assert_exactly(&res, 1, &[("7-emergency-review", "CHG-0051")]);
}

/// A CAB member's CHANGES_REQUESTED on an old commit still blocks, even
/// after another member approves the latest commit.
#[test]
fn rt_a_stale_changes_requested_still_blocks() {
    let s = Scratch::new();
    let first = approved_pr(&s);
    let second = s.commit(&[("tools/run.sh", "echo fixed\n")], "fix");
    let res = s.gate(
        "carol",
        &[
            ("Bob", "CHANGES_REQUESTED", &first),
            ("alice", "APPROVED", &second),
        ],
        &[],
    );
    assert_eq!(res.0, 1, "{:#}", res.1);
}

/// The requester puts an approved change on hold and, in the same PR,
/// moves its window: not "editing nothing else".
#[test]
fn rt_holding_while_moving_the_window_needs_approval() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    let head = base
        .replace("status: scheduled\n", "status: on_hold\n")
        .replace("2026-11-24T10:00:00Z", "2026-11-27T10:00:00Z")
        .replace("2026-11-24T11:00:00Z", "2026-11-27T11:00:00Z")
        + "  - {at: 2026-11-21T09:00:00Z, by: carol, status: on_hold}\n";
    s.commit(&[("changes/CHG-0001.yaml", &head)], "hold and move");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

/// alice approved a commit of another branch whose own diff is exactly the
/// PR's: SPEC's freshness is about the diff, so it counts.
#[test]
fn rt_a_review_of_another_branch_with_the_same_diff_is_fresh() {
    let s = Scratch::new();
    git(s.path(), &["checkout", "-q", "-b", "other", "main"]);
    let other = approved_pr(&s);
    git(s.path(), &["checkout", "-q", "feature"]);
    approved_pr(&s);
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &other)], &[]), 0, &[]);
}

/// An oddly spaced, oddly cased `Change:` line naming a base change that
/// really is scheduled now covers its service's code.
#[test]
fn rt_an_oddly_spaced_reference_to_an_approved_change_covers() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{NOW_WINDOW}{APPROVED_BY_ALICE}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "tune");
    let body = s.path().join(".git/body.md");
    std::fs::write(&body, "Tuning.\n\n   cHaNgE :   CHG-0001  \n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_exactly(&res, 0, &[]);
    // A reference with trailing words names nothing.
    std::fs::write(&body, "Change: CHG-0001 and more\n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_exactly(&res, 1, &[("6-governed-paths", "web")]);
}

/// A second YAML document that says something else is never read as the record.
#[test]
fn rt_a_second_yaml_document_is_denied() {
    let s = Scratch::new();
    let body = format!(
        "{}---\n{}",
        change("CHG-0002", "draft", "low", ""),
        change("CHG-0002", "approved", "low", APPROVED_BY_ALICE)
    );
    s.commit(&[("changes/CHG-0002.yaml", &body)], "two docs");
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

/// Anchors and aliases cannot smuggle an `approved` status past rule 4.
#[test]
fn rt_an_aliased_status_is_still_judged() {
    let s = Scratch::new();
    let body = change("CHG-0002", "approved", "low", APPROVED_BY_ALICE)
        .replace("status: approved\n", "status: &s approved\n")
        .replace("by: carol, status: approved}", "by: carol, status: *s}");
    s.commit(&[("changes/CHG-0002.yaml", &body)], "alias");
    let res = s.gate("carol", &[], &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
}

/// SPEC §3 `budget_freeze: true`: this build does not know the key, so the
/// base policy does not load and every PR is undecided (exit 2) — never a
/// silent pass, though not the SPEC's behaviour either (see the report).
#[test]
fn rt_budget_freeze_is_never_silently_ignored() {
    let s = scratch_with_policy("conflicts: deny\n", "conflicts: deny\nbudget_freeze: true\n");
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change(
                "CHG-0001",
                "scheduled",
                "low",
                &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
            ),
        )],
        "schedule",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_ne!(res.0, 0, "{:#}", res.1);
}

/// SPEC §3 terms: `on_hold` is not "approved or later" outside rule 4, so a
/// held change does not block another change's window (rule 5) — but it is
/// re-checked when it comes back (see
/// `rt_a_held_change_returning_conflicts_with_this_pr_s_other_change`).
#[test]
fn rt_a_held_change_does_not_conflict_while_held() {
    let s = Scratch::new();
    let held = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    )
    .replace("status: scheduled\n", "status: on_hold\n")
    .replace("requested_by: carol", "requested_by: dave")
        + "  - {at: 2026-11-20T12:00:00Z, by: dave, status: on_hold}\n";
    on_base(
        &s,
        &[
            ("changes/CHG-0001.yaml", &held),
            (
                "changes/CHG-0002.yaml",
                &change("CHG-0002", "submitted", "low", ""),
            ),
        ],
    );
    let sha = s.commit(
        &[(
            "changes/CHG-0002.yaml",
            &change(
                "CHG-0002",
                "scheduled",
                "low",
                &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
            ),
        )],
        "take the slot",
    );
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
}

/// Head with two merge bases against main: undecided, whatever the reviews.
#[test]
fn rt_a_criss_cross_head_is_undecided() {
    let s = Scratch::new();
    let m0 = git(s.path(), &["rev-parse", "main"]);
    s.commit(&[("a.txt", "a\n")], "a");
    let a = git(s.path(), &["rev-parse", "HEAD"]);
    git(s.path(), &["checkout", "-q", "-b", "tmpb", &m0]);
    s.commit(&[("b.txt", "b\n")], "b");
    let b = git(s.path(), &["rev-parse", "HEAD"]);
    git(s.path(), &["checkout", "-q", "main"]);
    git(s.path(), &["reset", "-q", "--hard", &b]);
    git(s.path(), &["merge", "-q", "--no-edit", &a]);
    git(s.path(), &["checkout", "-q", "feature"]);
    git(s.path(), &["merge", "-q", "--no-edit", &b]);
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "change",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(res.0, 2, "{:#}\n{}", res.1, res.2);
}

/// The realistic form of the symlink finding: web's code exists at base; the
/// PR, covered by a genuinely scheduled change for web, replaces the folder
/// `deploy/web` with a symlink to `shadow/`. From then on web's code is
/// edited in `shadow/`, which no service governs.
#[test]
fn rt_a_covered_pr_may_not_turn_a_service_folder_into_a_symlink() {
    let s = Scratch::new();
    let base = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{NOW_WINDOW}{APPROVED_BY_ALICE}"),
    );
    on_base(&s, &[("changes/CHG-0001.yaml", &base)]);
    s.rm("deploy/web/app.conf");
    crate::common::write(s.path(), "shadow/app.conf", "workers = 4\n");
    std::fs::create_dir_all(s.path().join("deploy")).unwrap();
    std::os::unix::fs::symlink("../shadow", s.path().join("deploy/web")).unwrap();
    git(s.path(), &["add", "-A"]);
    git(s.path(), &["commit", "-q", "-m", "restructure"]);
    let body = s.path().join(".git/body.md");
    std::fs::write(&body, "Change: CHG-0001\n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_exactly(&res, 1, &[("0-fail-closed", "deploy/web")]);
    // (And the next PR edits web's code with no change at all.)
}

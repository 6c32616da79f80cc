//! `gitsm gate` on real git histories: a base branch, reviewed commits,
//! later pushes, a head. Each scenario asserts the verdict and its reason.

use crate::common::{git, gitsm, run, write};
use serde_json::Value;
use std::path::Path;

pub const NOW: &str = "2026-11-21T12:00:00Z";

pub const CONFIG: &str = "apiVersion: gitsm/v1\nkind: Config\nid: scratch\n";

pub const POLICY: &str = r#"apiVersion: gitsm/v1
kind: ChangePolicy
id: default
cab: [alice, Bob, dave]
ecab: [alice, erin, "@acme/ecab"]
rules:
  - match: {type: standard}
    approvals: 0
  - match: {type: normal, risk: high}
    approvals: 2
    from: cab
    service_owner: true
  - match: {type: normal}
    approvals: 1
    from: cab
  - match: {type: emergency}
    approvals: 1
    from: ecab
lead_time: {normal: 2d}
freeze:
  - {name: Black Friday, start: 2026-11-26T00:00:00Z, end: 2026-12-01T00:00:00Z, allow: [emergency]}
  - {name: Berlin autumn, start: "2026-10-24T00:00:00+02:00", end: "2026-10-26T00:00:00+01:00"}
conflicts: deny
policy_change: {approvals: 2, from: cab}
ungoverned_paths: deny
"#;

pub const WEB: &str =
    "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: frank\npaths:\n  - deploy/web/**\n";
pub const API: &str = "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: \"@acme/api-team\"\npaths:\n  - deploy/api/**\n";

/// A change record. `status` is reached through the legal path; `extra`
/// holds more top-level YAML (window, approvals...).
pub fn change(id: &str, status: &str, risk: &str, extra: &str) -> String {
    change_full(id, status, "normal", risk, "web", "2026-11-10T09:05:00Z", extra)
}

pub fn change_full(
    id: &str,
    status: &str,
    ty: &str,
    risk: &str,
    services: &str,
    submitted: &str,
    extra: &str,
) -> String {
    let path = [
        "draft",
        "submitted",
        "approved",
        "scheduled",
        "implementing",
        "completed",
    ];
    let upto = path.iter().position(|s| *s == status).expect("known status");
    let mut tl = String::new();
    for (i, s) in path[..=upto].iter().enumerate() {
        // Events stay in time order whatever `submitted` is.
        let at = if i <= 1 || submitted > "2026-11-20" {
            submitted.to_string()
        } else {
            format!("2026-11-20T10:0{i}:00Z")
        };
        tl.push_str(&format!("  - {{at: {at}, by: carol, status: {s}}}\n"));
    }
    let mut extra = extra.to_string();
    if status == "completed" {
        extra.push_str("outcome: successful\n");
    }
    format!(
        "apiVersion: gitsm/v1\nkind: Change\nid: {id}\ntitle: Upgrade the {services} stack\nstatus: {status}\ntype: {ty}\nrisk: {risk}\nservices: [{services}]\nrequested_by: carol\nplan: Roll out in two steps.\nrollback_plan: Redeploy the previous build.\n{extra}timeline:\n{tl}"
    )
}

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    /// A repo whose `main` holds config, catalog and policy; `feature` is checked out.
    pub fn new() -> Scratch {
        Scratch::with_base(&[
            ("gitsm.yaml", CONFIG),
            ("catalog/web.yaml", WEB),
            ("catalog/api.yaml", API),
            ("policies/default.yaml", POLICY),
            ("deploy/web/app.conf", "workers = 4\n"),
        ])
    }

    pub fn with_base(files: &[(&str, &str)]) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let s = Scratch { dir };
        s.commit(files, "base");
        git(s.path(), &["checkout", "-q", "-b", "feature"]);
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes files and commits them; returns the commit sha.
    pub fn commit(&self, files: &[(&str, &str)], msg: &str) -> String {
        for (p, body) in files {
            write(self.path(), p, body);
        }
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "-q", "--allow-empty", "-m", msg]);
        git(self.path(), &["rev-parse", "HEAD"])
    }

    pub fn rm(&self, path: &str) {
        git(self.path(), &["rm", "-q", path]);
    }

    /// Commits on `main`, then returns to `feature`.
    pub fn commit_on_main(&self, files: &[(&str, &str)], msg: &str) -> String {
        git(self.path(), &["checkout", "-q", "main"]);
        let sha = self.commit(files, msg);
        git(self.path(), &["checkout", "-q", "feature"]);
        sha
    }

    /// Runs the gate with reviews `(login, state, commit)`; returns (exit, JSON, stderr).
    pub fn gate(&self, author: &str, reviews: &[(&str, &str, &str)], args: &[&str]) -> (i32, Value, String) {
        self.gate_raw(author, &reviews_json(reviews), args)
    }

    pub fn gate_raw(&self, author: &str, reviews_json: &str, args: &[&str]) -> (i32, Value, String) {
        self.gate_in("", author, reviews_json, args)
    }

    /// Runs the gate from a sub-folder (an ITSM root below the git root).
    pub fn gate_in(
        &self,
        dir: &str,
        author: &str,
        reviews_json: &str,
        args: &[&str],
    ) -> (i32, Value, String) {
        let (code, out, err) = self.gate_as(dir, author, reviews_json, "json", args);
        let json = serde_json::from_str(&out).unwrap_or(Value::Null);
        (code, json, err)
    }

    /// Runs the gate with reviews `(login, state, commit)` in one output
    /// `format` (`human`, `json`, `markdown`); returns (exit, stdout, stderr).
    pub fn gate_formatted(
        &self,
        author: &str,
        reviews: &[(&str, &str, &str)],
        format: &str,
    ) -> (i32, String, String) {
        self.gate_as("", author, &reviews_json(reviews), format, &[])
    }

    fn gate_as(
        &self,
        dir: &str,
        author: &str,
        reviews_json: &str,
        format: &str,
        args: &[&str],
    ) -> (i32, String, String) {
        let rf = self.path().join(".git/reviews.json");
        std::fs::write(&rf, reviews_json).unwrap();
        let mut c = gitsm(&self.path().join(dir));
        c.args([
            "--now",
            NOW,
            "gate",
            "--base",
            "refs/heads/main",
            "--head",
            "refs/heads/feature",
        ])
        .args(["--author", author, "--format", format, "--reviews"])
        .arg(&rf)
        .args(args);
        run(c)
    }
}

/// GitHub's list of reviews for `(login, state, commit)` triples, ids from 1.
pub fn reviews_json(reviews: &[(&str, &str, &str)]) -> String {
    let list: Vec<Value> = reviews
        .iter()
        .enumerate()
        .map(|(i, (login, state, sha))| review(i as u64 + 1, login, state, sha))
        .collect();
    Value::Array(list).to_string()
}

pub fn review(id: u64, login: &str, state: &str, sha: &str) -> Value {
    let (login, ty) = match login.strip_prefix("bot:") {
        Some(l) => (l, "Bot"),
        None => (login, "User"),
    };
    serde_json::json!({
        "id": id,
        "node_id": format!("PRR_{id}"),
        "user": {"login": login, "id": 1000 + id, "type": ty, "site_admin": false},
        "body": "",
        "state": state,
        "html_url": format!("https://github.com/acme/itsm/pull/1#pullrequestreview-{id}"),
        "author_association": "MEMBER",
        "submitted_at": format!("2026-11-20T{:02}:{:02}:00Z", 11 + id / 60, id % 60),
        "commit_id": sha,
    })
}

/// (rule, subject, message) of every check with this outcome.
pub fn with_outcome(v: &Value, outcome: &str) -> Vec<(String, String, String)> {
    v["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {v}"))
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
                c["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts a denial by `rule` on `subject` whose message contains `needle`.
#[track_caller]
/// (rule, subject) of every failing or undecided check.
/// The message of the one failing check of `rule` in a verdict.
pub fn failed_message(v: &Value, rule: &str) -> String {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == rule && c["outcome"] == "fail")
        .and_then(|c| c["message"].as_str())
        .unwrap_or_else(|| panic!("no failing {rule} check: {v:#}"))
        .to_string()
}

pub fn failing(v: &Value) -> std::collections::BTreeSet<(String, String)> {
    v["checks"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|c| c["outcome"] == "fail" || c["outcome"] == "undecided")
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The exit code and the exact set of failing (rule, subject) pairs, so a
/// spurious extra failure cannot hide behind the expected one.
#[track_caller]
pub fn assert_exactly(res: &(i32, Value, String), code: i32, expected: &[(&str, &str)]) {
    let want: std::collections::BTreeSet<(String, String)> = expected
        .iter()
        .map(|(r, s)| (r.to_string(), s.to_string()))
        .collect();
    assert_eq!(res.0, code, "exit code; verdict: {:#}\n{}", res.1, res.2);
    assert_eq!(failing(&res.1), want, "failing checks; verdict: {:#}", res.1);
}

pub fn assert_denied(res: &(i32, Value, String), rule: &str, subject: &str, needle: &str) {
    assert_denied_with(res, &[(rule, subject)], rule, subject, needle);
}

/// Denied, with exactly these failing (rule, subject) pairs — no more, so a
/// spurious failure cannot hide — one of which (`rule` on `subject`)
/// contains `needle`.
pub fn assert_denied_with(
    res: &(i32, Value, String),
    all: &[(&str, &str)],
    rule: &str,
    subject: &str,
    needle: &str,
) {
    let (code, v, err) = res;
    assert_eq!(*code, 1, "expected denied (1): {v:#}\n{err}");
    assert_eq!(v["decision"], "denied");
    let fails = with_outcome(v, "fail");
    // Every failure names the record, the rule and the fix.
    for c in v["checks"].as_array().unwrap() {
        if c["outcome"] == "fail" || c["outcome"] == "undecided" {
            assert!(
                c["fix"].as_str().is_some_and(|f| !f.is_empty()),
                "failure without a fix: {c}"
            );
            assert!(
                c["subject"].as_str().is_some_and(|f| !f.is_empty()),
                "failure without a subject: {c}"
            );
        }
    }
    let got: std::collections::BTreeSet<(String, String)> =
        fails.iter().map(|(r, s, _)| (r.clone(), s.clone())).collect();
    let want: std::collections::BTreeSet<(String, String)> =
        all.iter().map(|(r, s)| (r.to_string(), s.to_string())).collect();
    assert_eq!(
        got, want,
        "the exact set of failing (rule, subject); failures: {fails:#?}"
    );
    assert!(
        fails
            .iter()
            .any(|(r, s, m)| r == rule && s == subject && m.contains(needle)),
        "no failure {rule} on {subject} containing {needle:?}; failures: {fails:#?}"
    );
}

pub fn assert_allowed(res: &(i32, Value, String)) {
    let (code, v, err) = res;
    assert_eq!(*code, 0, "expected allowed: {v:#}\n{err}");
    assert_eq!(v["decision"], "allowed");
    assert!(with_outcome(v, "fail").is_empty());
}

pub const APPROVED_BY_ALICE: &str = "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\n";

/// A PR adding an approved normal/low change listing alice's approval.
fn approved_change_pr(s: &Scratch) -> String {
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "add CHG-0001",
    )
}

#[test]
fn allowed_with_a_fresh_cab_approval() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_allowed(&res);
    let passes = with_outcome(&res.1, "pass");
    assert!(
        passes
            .iter()
            .any(|(r, s, m)| r == "4-approvals" && s == "CHG-0001" && m.contains("approved by alice")),
        "{passes:#?}"
    );
}

#[test]
fn self_approval_does_not_count() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let res = s.gate("alice", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "alice is the PR author");
    assert_denied(
        &res,
        "4-approvals",
        "CHG-0001",
        "lists alice but no fresh approving review",
    );
}

#[test]
fn approval_by_a_contributor_does_not_count() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha)],
        &["--contributor", "ALICE"],
    );
    assert_denied(
        &res,
        "4-approvals",
        "CHG-0001",
        "alice authored or pushed a commit of this PR",
    );
}

#[test]
fn approval_by_a_bot_does_not_count() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    // A bot by type, although its login is on the CAB.
    let res = s.gate("carol", &[("bot:alice", "APPROVED", &sha)], &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "alice is a bot");
    // A bot by its [bot] suffix.
    let res = s.gate("carol", &[("dave[bot]", "APPROVED", &sha)], &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "dave[bot] is a bot");
}

#[test]
fn substantive_push_makes_an_approval_stale() {
    let s = Scratch::new();
    let reviewed = approved_change_pr(&s);
    let body = change("CHG-0001", "approved", "low", APPROVED_BY_ALICE).replace("two steps", "one big step");
    s.commit(&[("changes/CHG-0001.yaml", &body)], "change the plan");
    let res = s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "alice's approval is stale");
}

#[test]
fn bookkeeping_only_commit_keeps_an_approval() {
    let s = Scratch::new();
    let reviewed = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", ""),
        )],
        "add CHG-0001",
    );
    // Later: the approvals list and an approval note, nothing else; also a
    // comment and reordered layout.
    let mut body = format!(
        "# CAB approved in review\n{}",
        change("CHG-0001", "approved", "low", APPROVED_BY_ALICE)
    );
    body.push_str("  - {at: 2026-11-20T12:00:00Z, by: alice, note: approved by alice}\n");
    s.commit(&[("changes/CHG-0001.yaml", &body)], "record approvals");
    let res = s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]);
    assert_allowed(&res);
}

/// Bookkeeping is exactly what `--record` writes: a note with more text, a
/// public note, a note by someone else, or an entry whose `at` is not the
/// review's time is an edit, and makes the approval stale.
#[test]
fn near_bookkeeping_is_an_edit() {
    let variants = [
        (
            "note",
            APPROVED_BY_ALICE,
            "  - {at: 2026-11-20T12:00:00Z, by: alice, note: \"Approved by alice; ship it\"}\n",
        ),
        (
            "public",
            APPROVED_BY_ALICE,
            "  - {at: 2026-11-20T12:00:00Z, by: alice, note: approved by alice, public: true}\n",
        ),
        (
            "by",
            APPROVED_BY_ALICE,
            "  - {at: 2026-11-20T12:00:00Z, by: carol, note: approved by alice}\n",
        ),
        (
            "at",
            "approvals:\n  - {by: alice, at: 2026-11-20T11:02:00Z}\n",
            "",
        ),
    ];
    for (what, approvals, note) in variants {
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
        s.commit(&[("changes/CHG-0001.yaml", &body)], "not quite bookkeeping");
        let res = s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]);
        assert_denied(&res, "4-approvals", "CHG-0001", "alice's approval is stale");
        let _ = what;
    }
}

#[test]
fn latest_decisive_review_wins() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("alice", "CHANGES_REQUESTED", &sha)],
        &[],
    );
    assert_denied(&res, "4-approvals", "CHG-0001", "changes requested by alice");
    let res = s.gate(
        "carol",
        &[("alice", "CHANGES_REQUESTED", &sha), ("alice", "APPROVED", &sha)],
        &[],
    );
    assert_allowed(&res);
    // A later COMMENTED review does not undo an approval.
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("alice", "COMMENTED", &sha)],
        &[],
    );
    assert_allowed(&res);
}

#[test]
fn changes_requested_by_a_cab_member_blocks() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("dave", "CHANGES_REQUESTED", &sha)],
        &[],
    );
    assert_denied(
        &res,
        "4-approvals",
        "CHG-0001",
        "changes requested by dave block it",
    );
}

#[test]
fn dismissed_and_commented_reviews_are_ignored() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "DISMISSED", &sha), ("dave", "COMMENTED", &sha)],
        &[],
    );
    assert_denied(&res, "4-approvals", "CHG-0001", "has 0 counted approval(s)");
    // GitHub marks a dismissed approval DISMISSED: an earlier approval does not come back.
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("alice", "DISMISSED", &sha)],
        &[],
    );
    assert_denied(&res, "4-approvals", "CHG-0001", "has 0 counted approval(s)");
}

#[test]
fn logins_compare_case_insensitively_and_count_once() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "high", "approvals:\n  - {by: Bob, at: 2026-11-20T11:01:00Z}\n  - {by: frank, at: 2026-11-20T11:02:00Z}\n"),
        )],
        "add",
    );
    // "Bob" is in the CAB as `Bob`; "bob" and "Bob" are one person.
    let res = s.gate(
        "carol",
        &[
            ("Bob", "APPROVED", &sha),
            ("bob", "APPROVED", &sha),
            ("frank", "APPROVED", &sha),
        ],
        &[],
    );
    assert_denied(&res, "4-approvals", "CHG-0001", "has 1 counted approval(s) (bob)");
    let res = s.gate(
        "carol",
        &[
            ("bob", "APPROVED", &sha),
            ("ALICE", "APPROVED", &sha),
            ("Frank", "APPROVED", &sha),
        ],
        &[],
    );
    assert_allowed(&res);
}

#[test]
fn high_risk_needs_the_service_owner() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "high", "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\n  - {by: bob, at: 2026-11-20T11:02:00Z}\n"),
        )],
        "add",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("bob", "APPROVED", &sha)],
        &[],
    );
    assert_denied(
        &res,
        "4-approvals",
        "CHG-0001",
        "no approval from the owner of web (owner frank)",
    );
}

#[test]
fn a_pr_that_lowers_the_policy_is_judged_by_the_base_policy() {
    let s = Scratch::new();
    let lowered = POLICY.replace("approvals: 1\n    from: cab", "approvals: 0");
    let sha = s.commit(
        &[
            ("policies/default.yaml", &lowered),
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "approved", "low", ""),
            ),
        ],
        "lower the bar",
    );
    let res = s.gate("carol", &[("erin", "APPROVED", &sha)], &[]);
    assert_denied_with(
        &res,
        &[
            ("1-policy-from-base", "policy default"),
            ("4-approvals", "CHG-0001"),
        ],
        "1-policy-from-base",
        "policy default",
        "needs 2 `policy_change` approval(s)",
    );
    assert_denied_with(
        &res,
        &[
            ("1-policy-from-base", "policy default"),
            ("4-approvals", "CHG-0001"),
        ],
        "4-approvals",
        "CHG-0001",
        "1 approval(s) from cab",
    );
}

#[test]
fn a_policy_change_needs_policy_change_approvals() {
    let s = Scratch::new();
    let stricter = POLICY.replace("lead_time: {normal: 2d}", "lead_time: {normal: 3d}");
    let sha = s.commit(&[("policies/default.yaml", &stricter)], "longer lead time");
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "policy default",
        "has 1 counted approval(s) (alice)",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("dave", "APPROVED", &sha)],
        &[],
    );
    assert_allowed(&res);
}

#[test]
fn a_cab_member_removed_at_base_no_longer_counts() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let dave_only = change(
        "CHG-0001",
        "approved",
        "low",
        "approvals:\n  - {by: dave, at: 2026-11-20T11:01:00Z}\n",
    );
    let sha2 = s.commit(&[("changes/CHG-0001.yaml", &dave_only)], "dave approved");
    let _ = sha;
    s.commit_on_main(
        &[(
            "policies/default.yaml",
            &POLICY.replace("cab: [alice, Bob, dave]", "cab: [alice, Bob]"),
        )],
        "dave leaves the CAB",
    );
    let res = s.gate("carol", &[("dave", "APPROVED", &sha2)], &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "dave is not in `cab`");
}

#[test]
fn an_unbacked_approvals_claim_fails() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\n  - {by: dave, at: 2026-11-20T11:02:00Z}\n"),
        )],
        "add",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(
        &res,
        "4-approvals",
        "CHG-0001",
        "`approvals` lists dave but no fresh approving review by dave backs it",
    );
}

/// An attacker lists, in `approvals`, someone who did approve the PR but
/// whose approval cannot count (not in `cab`): still denied — counting is
/// from reviews — and the claim is not called forged, since a fresh
/// approving review backs it.
#[test]
fn a_claim_by_an_approver_outside_the_group_is_denied_by_the_count_not_called_forged() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change(
                "CHG-0001",
                "approved",
                "low",
                "approvals:\n  - {by: grace, at: 2026-11-20T11:01:00Z}\n",
            ),
        )],
        "add",
    );
    let res = s.gate("carol", &[("grace", "APPROVED", &sha)], &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "has 0 counted approval(s)");
    let messages: Vec<&str> = res.1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["message"].as_str())
        .collect();
    assert!(!messages.iter().any(|m| m.contains("backs it")), "{messages:#?}");
}

#[test]
fn a_deleted_record_is_denied() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        ("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
    ]);
    s.rm("changes/CHG-0001.yaml");
    s.commit(&[], "drop it");
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "3-history",
        "CHG-0001",
        "is deleted; records are never deleted",
    );
}

#[test]
fn a_renamed_record_is_denied() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        ("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
    ]);
    git(
        s.path(),
        &["mv", "changes/CHG-0001.yaml", "changes/CHG-0007.yaml"],
    );
    s.commit(&[], "move it");
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "3-history",
        "CHG-0001",
        "is renamed from changes/CHG-0001.yaml to changes/CHG-0007.yaml",
    );
    // Renaming the id inside the file is refused too.
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        ("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
    ]);
    s.commit(
        &[("changes/CHG-0001.yaml", &change("CHG-0009", "draft", "low", ""))],
        "new id",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "3-history", "CHG-0001", "never renamed to another id");
}

#[test]
fn a_rewritten_timeline_is_denied() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        (
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "submitted", "low", ""),
        ),
    ]);
    let rewritten = change("CHG-0001", "submitted", "low", "")
        .replace("by: carol, status: draft", "by: mallory, status: draft");
    s.commit(&[("changes/CHG-0001.yaml", &rewritten)], "rewrite");
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "3-history",
        "CHG-0001",
        "the timeline is rewritten: event 0",
    );
}

#[test]
fn an_id_collision_with_base_is_denied() {
    let s = Scratch::new();
    s.commit(
        &[("changes/CHG-0002.yaml", &change("CHG-0002", "draft", "low", ""))],
        "mine",
    );
    s.commit_on_main(
        &[(
            "changes/CHG-0002.yaml",
            &change("CHG-0002", "submitted", "medium", ""),
        )],
        "theirs",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "3-history",
        "CHG-0002",
        "collides with changes/CHG-0002.yaml at base",
    );
    // Also under another file name.
    let s = Scratch::new();
    s.commit_on_main(
        &[("changes/CHG-0002.yaml", &change("CHG-0002", "draft", "low", ""))],
        "theirs",
    );
    s.commit(
        &[("changes/CHG-0002-b.yaml", &change("CHG-0002", "draft", "low", ""))],
        "mine",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "3-history",
        "CHG-0002",
        "collides with changes/CHG-0002.yaml",
    );
}

#[test]
fn an_illegal_status_jump_is_denied() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        ("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
    ]);
    let jumped = format!(
        "{}  - {{at: 2026-11-20T10:00:00Z, by: carol, status: implementing}}\n",
        change(
            "CHG-0001",
            "draft",
            "low",
            "window: {start: 2026-11-22T10:00:00Z, end: 2026-11-22T11:00:00Z}\n"
        )
        .replace("status: draft\ntype", "status: implementing\ntype")
    );
    s.commit(&[("changes/CHG-0001.yaml", &jumped)], "skip ahead");
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[
            ("2-records-validate", "CHG-0001"),
            ("3-history", "CHG-0001"),
            ("4-approvals", "CHG-0001"),
            ("5-schedule", "CHG-0001"),
        ],
        "3-history",
        "CHG-0001",
        "illegal status move draft → implementing",
    );
}

pub fn scheduled(id: &str, ty: &str, start: &str, end: &str, submitted: &str, approvers: &str) -> String {
    change_full(
        id,
        "scheduled",
        ty,
        "low",
        "web",
        submitted,
        &format!("window: {{start: \"{start}\", end: \"{end}\"}}\napprovals:\n{approvers}"),
    )
}

pub const ALICE: &str = "  - {by: alice, at: 2026-11-20T11:01:00Z}\n";

/// A PR adding CHG-0001, scheduled for this window and approved by alice
/// (in the record and by a review): the gate's answer.
fn gate_scheduled(ty: &str, start: &str, end: &str, submitted: &str) -> (i32, Value, String) {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &scheduled("CHG-0001", ty, start, end, submitted, ALICE),
        )],
        "schedule",
    );
    s.gate("carol", &[("alice", "APPROVED", &sha)], &[])
}

/// Like [`gate_scheduled`], but the change was already `submitted` at base
/// (on main, at `submitted`): the lead time counts from that record.
fn gate_scheduled_from_base(ty: &str, start: &str, end: &str, submitted: &str) -> (i32, Value, String) {
    let s = Scratch::new();
    let base = change_full("CHG-0001", "submitted", ty, "low", "web", submitted, "");
    s.commit_on_main(&[("changes/CHG-0001.yaml", &base)], "submitted");
    git(s.path(), &["merge", "-q", "main"]);
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &scheduled("CHG-0001", ty, start, end, submitted, ALICE),
        )],
        "schedule",
    );
    s.gate("carol", &[("alice", "APPROVED", &sha)], &[])
}

/// A new change is not submitted at base, so its lead time counts from now:
/// a backdated `submitted` event gains nothing.
#[test]
fn a_backdated_submission_gains_no_lead_time() {
    let res = gate_scheduled(
        "normal",
        "2026-11-22T09:00:00Z",
        "2026-11-22T10:00:00Z",
        "2026-11-01T09:05:00Z",
    );
    assert_denied(
        &res,
        "5-schedule",
        "CHG-0001",
        "lead time: not submitted at base, so counted from now 2026-11-21T12:00:00Z",
    );
    assert_allowed(&gate_scheduled_from_base(
        "normal",
        "2026-11-22T09:00:00Z",
        "2026-11-22T10:00:00Z",
        "2026-11-01T09:05:00Z",
    ));
}

#[test]
fn a_window_in_a_freeze_is_denied() {
    let res = gate_scheduled(
        "normal",
        "2026-11-27T10:00:00Z",
        "2026-11-27T11:00:00Z",
        "2026-11-10T09:05:00Z",
    );
    assert_denied(
        &res,
        "5-schedule",
        "CHG-0001",
        "falls in the freeze `Black Friday`",
    );
}

#[test]
fn a_freeze_compares_instants_with_a_plus_14_offset() {
    // 2026-12-01T13:00+14:00 is 2026-11-30T23:00Z: inside Black Friday.
    let res = gate_scheduled(
        "normal",
        "2026-12-01T13:00:00+14:00",
        "2026-12-01T15:00:00+14:00",
        "2026-11-10T09:05:00Z",
    );
    assert_denied(&res, "5-schedule", "CHG-0001", "Black Friday");
    // 2026-12-01T14:00+14:00 is exactly the end of the freeze: allowed.
    assert_allowed(&gate_scheduled(
        "normal",
        "2026-12-01T14:00:00+14:00",
        "2026-12-01T15:00:00+14:00",
        "2026-11-10T09:05:00Z",
    ));
}

#[test]
fn a_freeze_across_a_dst_change() {
    // Freeze from 2026-10-24 00:00 CEST (+02:00) to 2026-10-26 00:00 CET (+01:00);
    // Berlin leaves DST on 2026-10-25 at 03:00.
    let res = gate_scheduled_from_base(
        "normal",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:30:00+01:00",
        "2026-10-01T09:05:00Z",
    );
    assert_denied(&res, "5-schedule", "CHG-0001", "Berlin autumn");
    // 23:30Z on the 25th is 00:30 CET on the 26th: after the freeze.
    assert_allowed(&gate_scheduled_from_base(
        "normal",
        "2026-10-25T23:30:00Z",
        "2026-10-26T01:00:00Z",
        "2026-10-01T09:05:00Z",
    ));
}

#[test]
fn an_emergency_change_may_run_in_a_freeze() {
    assert_allowed(&gate_scheduled(
        "emergency",
        "2026-11-27T10:00:00Z",
        "2026-11-27T11:00:00Z",
        "2026-11-20T09:05:00Z",
    ));
}

#[test]
fn lead_time_is_enforced() {
    let res = gate_scheduled_from_base(
        "normal",
        "2026-11-21T09:00:00Z",
        "2026-11-21T10:00:00Z",
        "2026-11-20T09:05:00Z",
    );
    assert_denied(
        &res,
        "5-schedule",
        "CHG-0001",
        "lead time: submitted 2026-11-20T09:05:00Z",
    );
    let fixes: Vec<String> = res.1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["fix"].as_str().map(str::to_string))
        .collect();
    assert!(
        fixes
            .iter()
            .any(|f| f.contains("start the window at 2026-11-22T09:05:00Z or later")),
        "{fixes:?}"
    );
}

#[test]
fn conflicting_windows_on_a_shared_service() {
    let s = Scratch::new();
    s.commit_on_main(
        &[(
            "changes/CHG-0003.yaml",
            &scheduled(
                "CHG-0003",
                "normal",
                "2026-11-24T10:00:00Z",
                "2026-11-24T12:00:00Z",
                "2026-11-10T09:05:00Z",
                ALICE,
            ),
        )],
        "scheduled on main",
    );
    let sha = s.commit(
        &[(
            "changes/CHG-0004.yaml",
            &scheduled(
                "CHG-0004",
                "normal",
                "2026-11-24T11:00:00Z",
                "2026-11-24T13:00:00Z",
                "2026-11-10T09:05:00Z",
                ALICE,
            ),
        )],
        "overlapping",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(&res, "5-schedule", "CHG-0004", "overlaps CHG-0003");
    assert!(res.1["checks"].to_string().contains("on web"));
}

#[test]
fn an_ungoverned_code_path_is_denied() {
    let s = Scratch::new();
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "6-governed-paths",
        "web",
        "modifies deploy/web/app.conf, code of service web, with no covering change",
    );
    // Code no service claims is not governed.
    let s = Scratch::new();
    s.commit(&[("README.md", "hello\n")], "docs");
    assert_allowed(&s.gate("carol", &[], &[]));
}

#[test]
fn a_pr_body_change_reference_covers_code() {
    let s = Scratch::new();
    s.commit_on_main(
        &[(
            "changes/CHG-0005.yaml",
            &change_full(
                "CHG-0005",
                "implementing",
                "normal",
                "low",
                "web",
                "2026-11-10T09:05:00Z",
                &format!(
                    "window: {{start: 2026-11-21T10:00:00Z, end: 2026-11-21T14:00:00Z}}\napprovals:\n{ALICE}"
                ),
            ),
        )],
        "approved and in its window",
    );
    git(s.path(), &["merge", "-q", "main"]);
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    let body = s.path().join(".git/body.md");
    std::fs::write(&body, "More workers for the sale.\n\nChange: CHG-0005\n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_allowed(&res);
    assert!(with_outcome(&res.1, "pass")
        .iter()
        .any(|(r, _, m)| r == "6-governed-paths"
            && m.contains("covered by CHG-0005 (referenced from the PR body)")));
    // A reference to a change that does not exist covers nothing.
    std::fs::write(&body, "Change: CHG-0404\n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_denied(
        &res,
        "6-governed-paths",
        "web",
        "references CHG-0404 but no such change exists",
    );
    // The window must contain `--now` (2026-11-21T12:00Z): an implementing
    // change whose window is over, or has not begun, does not cover.
    let implementing = |id: &str, start: &str, end: &str| {
        change_full(
            id,
            "implementing",
            "normal",
            "low",
            "web",
            "2026-11-10T09:05:00Z",
            &format!("window: {{start: {start}, end: {end}}}\napprovals:\n{ALICE}"),
        )
    };
    s.commit_on_main(
        &[
            (
                "changes/CHG-0006.yaml",
                &implementing("CHG-0006", "2026-11-21T06:00:00Z", "2026-11-21T11:59:00Z"),
            ),
            (
                "changes/CHG-0007.yaml",
                &implementing("CHG-0007", "2026-11-21T12:01:00Z", "2026-11-21T16:00:00Z"),
            ),
        ],
        "one window over, one to come",
    );
    git(s.path(), &["merge", "-q", "main"]);
    for id in ["CHG-0006", "CHG-0007"] {
        std::fs::write(&body, format!("Change: {id}\n")).unwrap();
        let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
        assert_denied(
            &res,
            "6-governed-paths",
            "web",
            "which does not contain now (2026-11-21T12:00:00Z)",
        );
        assert!(res.1["checks"].to_string().contains(id), "{:#}", res.1);
    }
    // CHG-0005 (10:00-14:00) still covers after the merge.
    std::fs::write(&body, "Change: CHG-0005\n").unwrap();
    assert_allowed(&s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]));
}

#[test]
fn raising_the_risk_of_an_approved_change_needs_fresh_stricter_approval() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        (
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        ),
    ]);
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "high", APPROVED_BY_ALICE),
        )],
        "actually high risk",
    );
    // alice's old approval (at base) does not carry over to the edit.
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res, &[("2-records-validate", "CHG-0001"), ("4-approvals", "CHG-0001")],
        "4-approvals",
        "CHG-0001",
        "was already `approved` at base and is edited: it needs fresh approval under rule {type: normal, risk: high} (2 approval(s) from cab + service owner)",
    );
    // One CAB approval is enough for the old rule, not for the new one.
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied_with(
        &res,
        &[("2-records-validate", "CHG-0001"), ("4-approvals", "CHG-0001")],
        "4-approvals",
        "CHG-0001",
        "risk: high",
    );
    // Two CAB members and the owner approve; recording them is bookkeeping.
    let all = "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\n  - {by: bob, at: 2026-11-20T11:02:00Z}\n  - {by: frank, at: 2026-11-20T11:03:00Z}\n";
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "high", all),
        )],
        "record",
    );
    let res = s.gate(
        "carol",
        &[
            ("alice", "APPROVED", &sha),
            ("bob", "APPROVED", &sha),
            ("frank", "APPROVED", &sha),
        ],
        &[],
    );
    assert_allowed(&res);
}

/// Freshness is over the whole PR (SPEC §3 rule 4): an edit of any other
/// file after the review makes every approval stale.
#[test]
fn an_edit_of_another_change_makes_every_approval_stale() {
    let s = Scratch::new();
    let sha = s.commit(
        &[
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
            ),
            (
                "changes/CHG-0002.yaml",
                &change("CHG-0002", "submitted", "low", ""),
            ),
        ],
        "two changes",
    );
    s.commit(
        &[(
            "changes/CHG-0002.yaml",
            &change("CHG-0002", "submitted", "medium", ""),
        )],
        "edit the other",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(
        &res,
        "4-approvals",
        "CHG-0001",
        "alice's approval is stale: the PR changed changes/CHG-0002.yaml",
    );
}

#[test]
fn an_approval_of_a_commit_not_in_the_repo_is_stale() {
    let s = Scratch::new();
    approved_change_pr(&s);
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", "0123456789abcdef0123456789abcdef01234567")],
        &[],
    );
    assert_denied(&res, "4-approvals", "CHG-0001", "not in this repository");
}

/// CHG-0001, an approved emergency change on web, with these `approvals`.
fn emergency_change(approvals: &str) -> String {
    change_full(
        "CHG-0001",
        "approved",
        "emergency",
        "low",
        "web",
        "2026-11-20T09:05:00Z",
        approvals,
    )
}

#[test]
fn an_unresolved_team_cannot_be_decided_offline() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &emergency_change("approvals:\n  - {by: zoe, at: 2026-11-20T11:01:00Z}\n"),
        )],
        "emergency",
    );
    let (code, v, _) = s.gate("carol", &[("zoe", "APPROVED", &sha)], &[]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["decision"], "undecided");
    assert!(with_outcome(&v, "undecided")
        .iter()
        .any(|(_, _, m)| m.contains("team @acme/ecab could not be resolved")));
}

#[test]
fn reviews_with_a_null_user_or_commit_are_ignored() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let mut list = vec![review(1, "alice", "APPROVED", &sha)];
    list[0]["user"] = Value::Null;
    list.push(review(2, "alice", "APPROVED", &sha));
    list[1]["commit_id"] = Value::Null;
    let res = s.gate_raw("carol", &Value::Array(list).to_string(), &[]);
    assert_denied(&res, "4-approvals", "CHG-0001", "has 0 counted approval(s)");
}

#[test]
fn a_missing_merge_base_is_exit_2() {
    let s = Scratch::new();
    git(s.path(), &["checkout", "-q", "--orphan", "orphan"]);
    s.commit(
        &[("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", ""))],
        "unrelated",
    );
    git(s.path(), &["branch", "-q", "-f", "feature", "orphan"]);
    let (code, _, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no merge base"), "{err}");
    assert!(err.contains("shallow clone"), "{err}");
}

#[test]
fn an_unknown_review_state_is_exit_2() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let (code, _, err) = s.gate("carol", &[("alice", "APPROVED_WITH_SUGGESTIONS", &sha)], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown review state \"APPROVED_WITH_SUGGESTIONS\""),
        "{err}"
    );
}

#[test]
fn a_missing_base_policy_is_exit_2() {
    let s = Scratch::with_base(&[("gitsm.yaml", CONFIG), ("catalog/web.yaml", WEB)]);
    s.commit(&[("policies/default.yaml", POLICY)], "add a policy in the PR");
    let (code, v, _) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{v:#}");
    assert!(with_outcome(&v, "undecided")
        .iter()
        .any(|(r, _, m)| r == "0-fail-closed" && m.contains("the base revision has no ChangePolicy")));
    // A broken base policy too.
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        (
            "policies/default.yaml",
            "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\nrules: {}\n",
        ),
    ]);
    let (code, v, _) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{v:#}");
    assert!(with_outcome(&v, "undecided")
        .iter()
        .any(|(_, _, m)| m.contains("the base policy cannot be read")));
}

#[test]
fn a_change_no_rule_matches_is_exit_2() {
    let only_standard = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice]\nrules:\n  - match: {type: standard}\n    approvals: 0\n";
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", only_standard),
    ]);
    let sha = approved_change_pr(&s);
    let (code, v, _) = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(code, 2, "{v:#}");
    assert!(with_outcome(&v, "undecided")
        .iter()
        .any(|(_, _, m)| m.contains("no rule of the base policy matches a normal change with low risk")));
}

#[test]
fn revisions_resolve_exactly() {
    let s = Scratch::new();
    approved_change_pr(&s);
    // A tag named like the base branch must not stand in for it.
    git(s.path(), &["tag", "main", "feature"]);
    let rf = s.path().join(".git/empty.json");
    std::fs::write(&rf, "[]").unwrap();
    let mut c = gitsm(s.path());
    c.args([
        "gate",
        "--base",
        "main",
        "--head",
        "refs/heads/feature",
        "--author",
        "carol",
        "--reviews",
    ])
    .arg(&rf);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("is not exact"), "{err}");
    assert!(err.contains("refs/heads/main"), "{err}");
    let mut c = gitsm(s.path());
    c.args([
        "gate",
        "--base",
        "refs/heads/main",
        "--head",
        "refs/heads/nope",
        "--author",
        "carol",
        "--reviews",
    ])
    .arg(&rf);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("unknown revision refs/heads/nope"), "{err}");
}

#[test]
fn an_invalid_head_record_is_denied() {
    let s = Scratch::new();
    let bad = change("CHG-0001", "submitted", "low", "").replace("risk: low", "risk: no");
    s.commit(&[("changes/CHG-0001.yaml", &bad)], "bad risk");
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "2-records-validate", "CHG-0001", "E0104");
}

#[test]
fn human_output_says_why_and_what_would_allow_it() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let rf = s.path().join(".git/r.json");
    std::fs::write(
        &rf,
        serde_json::json!([review(1, "carol", "APPROVED", &sha)]).to_string(),
    )
    .unwrap();
    let mut c = gitsm(s.path());
    c.args([
        "--now",
        NOW,
        "gate",
        "--base",
        "refs/heads/main",
        "--head",
        "refs/heads/feature",
        "--author",
        "carol",
        "--reviews",
    ])
    .arg(&rf);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    assert!(out.starts_with("gitsm gate: DENIED"), "{out}");
    assert!(
        out.contains("FAIL CHG-0001 [rule 4 (approvals)]: CHG-0001 enters `approved`"),
        "{out}"
    );
    assert!(out.contains("carol is the PR author"), "{out}");
    assert!(out.contains("fix: get 1 more approval(s) from `cab`"), "{out}");
    // Markdown carries the hidden marker for the PR comment.
    let mut c = gitsm(s.path());
    c.args([
        "--now",
        NOW,
        "gate",
        "--base",
        "refs/heads/main",
        "--head",
        "refs/heads/feature",
        "--author",
        "carol",
        "--format",
        "markdown",
        "--reviews",
    ])
    .arg(&rf);
    let (_, md, _) = run(c);
    assert!(
        md.starts_with("<!-- gitsm-gate -->\n### ❌ gitsm gate: main — DENIED"),
        "{md}"
    );
}

#[test]
fn record_writes_backed_approvals_that_stay_fresh() {
    let s = Scratch::new();
    let body = format!(
        "# Reviewed by the CAB on Tuesdays.\n{}",
        change("CHG-0001", "approved", "low", "")
    );
    let sha = s.commit(&[("changes/CHG-0001.yaml", &body)], "add");
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &["--record"]);
    // Denied before recording: the record lacks its approvals list.
    assert_denied(&res, "2-records-validate", "CHG-0001", "E0505");
    let text = std::fs::read_to_string(s.path().join("changes/CHG-0001.yaml")).unwrap();
    assert!(text.starts_with("# Reviewed by the CAB on Tuesdays.\n"), "{text}");
    assert!(
        text.contains("approvals:\n  - by: alice\n    at: 2026-11-20T11:01:00Z\ntimeline:"),
        "{text}"
    );
    s.commit(&[], "record approvals");
    assert_allowed(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]));
}

#[test]
fn editing_the_gate_workflow_is_a_policy_change() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            ".github/workflows/gitsm-gate.yml",
            "name: gitsm gate\non: pull_request\njobs: {}\n",
        )],
        "replace the gate",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "policy default",
        "edits .github/workflows/gitsm-gate.yml",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("bob", "APPROVED", &sha)],
        &[],
    );
    assert_allowed(&res);
    // A push after the reviews makes them stale.
    s.commit(
        &[(
            ".github/workflows/gitsm-gate.yml",
            "name: gitsm gate\non: pull_request\njobs: {x: 1}\n",
        )],
        "sneak",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("bob", "APPROVED", &sha)],
        &[],
    );
    assert_denied(&res, "1-policy-from-base", "policy default", "approval is stale");
}

#[test]
fn fixing_a_record_that_was_broken_at_base_is_not_a_collision() {
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        (
            "changes/CHG-0001.yaml",
            "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: [unclosed\n",
        ),
    ]);
    s.commit(
        &[("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", ""))],
        "fix it",
    );
    let res = s.gate("carol", &[], &[]);
    assert_allowed(&res);
}

#[test]
fn a_catalog_edit_in_the_pr_does_not_ungovern_code() {
    // Removing the service's `paths` in the PR does not help: the catalog comes from base.
    let s = Scratch::new();
    s.commit(
        &[
            (
                "catalog/web.yaml",
                "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: frank\n",
            ),
            ("deploy/web/app.conf", "workers = 64\n"),
        ],
        "ungovern",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[("1-policy-from-base", "service web"), ("6-governed-paths", "web")],
        "6-governed-paths",
        "web",
        "deploy/web/app.conf",
    );
}

// ---- Security review: fail-open regressions -------------------------------

#[test]
fn output_folders_set_at_head_do_not_hide_records_from_the_gate() {
    // The PR declares `changes/` an output folder in gitsm.yaml and, in the
    // same PR, adds an approved change no review backs. The loader at head
    // skips output folders, but after a later PR drops the setting the
    // change is a live, "approved" record: the gate must judge it now.
    let s = Scratch::new();
    s.commit(
        &[
            ("gitsm.yaml", &format!("{CONFIG}output: {{reports: changes}}\n")),
            (
                "changes/CHG-0009.yaml",
                &change("CHG-0009", "approved", "low", APPROVED_BY_ALICE),
            ),
        ],
        "hide a change",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[
            ("1-policy-from-base", "policy default"),
            ("4-approvals", "CHG-0009"),
        ],
        "4-approvals",
        "CHG-0009",
        "enters `approved`",
    );
}

#[test]
fn an_escaped_api_version_outside_the_record_folders_is_still_a_record() {
    // `"gitsm\x2Fv1"` is `gitsm/v1` to the YAML loader but not to a byte
    // search: the file is a record and must be judged like one.
    let s = Scratch::new();
    let body = change("CHG-0009", "approved", "low", APPROVED_BY_ALICE)
        .replace("apiVersion: gitsm/v1", "apiVersion: \"gitsm\\x2Fv1\"");
    s.commit(&[("docs/CHG-0009.yaml", &body)], "smuggle a change");
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[("3-history", "CHG-0009"), ("4-approvals", "CHG-0009")],
        "4-approvals",
        "CHG-0009",
        "enters `approved`",
    );
}

#[test]
fn a_pr_body_reference_is_judged_as_the_base_tip_has_it() {
    // CHG-0005 was implementing when the PR branched; main has closed it
    // since. The PR's stale copy must not cover new code.
    let s = Scratch::new();
    let open = change_full(
        "CHG-0005",
        "implementing",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("window: {{start: 2026-11-21T10:00:00Z, end: 2026-11-21T14:00:00Z}}\napprovals:\n{ALICE}"),
    );
    s.commit_on_main(&[("changes/CHG-0005.yaml", &open)], "in its window");
    git(s.path(), &["merge", "-q", "main"]);
    let closed = change_full(
        "CHG-0005",
        "completed",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &format!("window: {{start: 2026-11-21T10:00:00Z, end: 2026-11-21T14:00:00Z}}\napprovals:\n{ALICE}"),
    )
    .replace("status: completed\n", "status: closed\n")
        + "  - {at: 2026-11-21T11:30:00Z, by: carol, status: closed}\n";
    s.commit_on_main(&[("changes/CHG-0005.yaml", &closed)], "closed on main");
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    let body = s.path().join(".git/body.md");
    std::fs::write(&body, "Change: CHG-0005\n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    assert_denied(
        &res,
        "6-governed-paths",
        "web",
        "CHG-0005 (referenced from the PR body) is `closed`",
    );
}

#[test]
fn changes_requested_by_a_possible_team_member_is_undecided_offline() {
    // zoe may be in @acme/ecab; offline nobody knows. Her CHANGES_REQUESTED
    // would block if she is, so the gate cannot allow on alice's approval.
    let s = Scratch::new();
    let sha = s.commit(
        &[("changes/CHG-0001.yaml", &emergency_change(APPROVED_BY_ALICE))],
        "emergency",
    );
    let (code, v, _) = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("zoe", "CHANGES_REQUESTED", &sha)],
        &[],
    );
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["decision"], "undecided");
    assert!(with_outcome(&v, "undecided")
        .iter()
        .any(|(_, _, m)| m.contains("zoe") && m.contains("@acme/ecab")));
}

#[test]
fn a_scheduled_change_at_base_written_with_a_quoted_key_still_conflicts() {
    // `"status": scheduled # booked` is the same YAML as `status: scheduled`;
    // the cheap pre-filter must not drop it from the conflict check.
    let s = Scratch::new();
    let base = scheduled(
        "CHG-0003",
        "normal",
        "2026-11-24T10:00:00Z",
        "2026-11-24T12:00:00Z",
        "2026-11-10T09:05:00Z",
        ALICE,
    )
    .replace(
        "\nstatus: scheduled\n",
        "\n\"status\": scheduled # booked with ops\n",
    );
    s.commit_on_main(&[("changes/CHG-0003.yaml", &base)], "scheduled on main");
    let sha = s.commit(
        &[(
            "changes/CHG-0004.yaml",
            &scheduled(
                "CHG-0004",
                "normal",
                "2026-11-24T11:00:00Z",
                "2026-11-24T13:00:00Z",
                "2026-11-10T09:05:00Z",
                ALICE,
            ),
        )],
        "overlapping",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(&res, "5-schedule", "CHG-0004", "overlaps CHG-0003");
}

#[test]
fn a_symlink_in_a_record_folder_at_head_is_denied() {
    // The loader refuses symlinks (`gitsm validate` fails at head), so the
    // gate must not pass a PR that adds one where records live.
    let s = Scratch::new();
    std::fs::create_dir_all(s.path().join("changes")).unwrap();
    std::os::unix::fs::symlink("../deploy/web/app.conf", s.path().join("changes/CHG-0009.yaml")).unwrap();
    s.commit(&[], "link");
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "0-fail-closed", "changes/CHG-0009.yaml", "symbolic link");
}

#[test]
fn a_draft_standard_change_does_not_cover_code() {
    // Anyone can write a draft change and call it `standard`; it covers code
    // only once it is approved under its rule (free when that asks for 0).
    let s = Scratch::new();
    s.commit(
        &[
            (
                "changes/CHG-0009.yaml",
                &change_full(
                    "CHG-0009",
                    "draft",
                    "standard",
                    "high",
                    "web",
                    "2026-11-20T09:05:00Z",
                    "",
                ),
            ),
            ("deploy/web/app.conf", "workers = 64\n"),
        ],
        "standard, says who",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "6-governed-paths",
        "web",
        "CHG-0009 (in this PR) is `draft`, not approved",
    );
    // Approved and calling itself standard, but naming no template of the
    // base policy: judged as a normal high-risk change (rule 4).
    let s = Scratch::new();
    s.commit(
        &[
            (
                "changes/CHG-0009.yaml",
                &change_full(
                    "CHG-0009",
                    "approved",
                    "standard",
                    "high",
                    "web",
                    "2026-11-20T09:05:00Z",
                    "",
                ),
            ),
            ("deploy/web/app.conf", "workers = 64\n"),
        ],
        "standard",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[("4-approvals", "CHG-0009"), ("6-governed-paths", "web")],
        "4-approvals",
        "CHG-0009",
        "rule {type: normal, risk: high}",
    );
}

#[test]
fn implementing_a_change_whose_window_is_in_a_freeze_is_denied() {
    // CHG-0001 was scheduled into Black Friday before the freeze existed
    // (written on main here). Moving it to `implementing` in a PR is
    // "implemented in this PR": the freeze applies, CAB approval or not.
    let extra = format!(
        "window: {{start: \"2026-11-27T10:00:00Z\", end: \"2026-11-27T11:00:00Z\"}}\napprovals:\n{ALICE}"
    );
    let at = |status: &str| {
        change_full(
            "CHG-0001",
            status,
            "normal",
            "low",
            "web",
            "2026-11-10T09:05:00Z",
            &extra,
        )
    };
    let s = Scratch::new();
    s.commit_on_main(&[("changes/CHG-0001.yaml", &at("scheduled"))], "scheduled");
    git(s.path(), &["merge", "-q", "main"]);
    let sha = s.commit(&[("changes/CHG-0001.yaml", &at("implementing"))], "go");
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(
        &res,
        "5-schedule",
        "CHG-0001",
        "falls in the freeze `Black Friday`",
    );
}

#[test]
fn a_record_changed_on_base_since_the_pr_branched_is_judged_against_the_base_tip() {
    // CHG-0005 was implementing when the PR branched; main closed it since.
    // The PR only adds a comment to it (no substantive edit, so no approval
    // needed) and the PR's stale copy then "covers" new code. Git merges the
    // two edits cleanly, so the merged change is closed: the gate must not
    // judge the file against the merge base alone.
    let s = Scratch::new();
    let window =
        format!("window: {{start: 2026-11-21T10:00:00Z, end: 2026-11-21T14:00:00Z}}\napprovals:\n{ALICE}");
    let open = change_full(
        "CHG-0005",
        "implementing",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &window,
    );
    s.commit_on_main(&[("changes/CHG-0005.yaml", &open)], "in its window");
    git(s.path(), &["merge", "-q", "main"]);
    let closed = change_full(
        "CHG-0005",
        "completed",
        "normal",
        "low",
        "web",
        "2026-11-10T09:05:00Z",
        &window,
    )
    .replace("status: completed\n", "status: closed\n")
        + "  - {at: 2026-11-21T11:30:00Z, by: carol, status: closed}\n";
    s.commit_on_main(&[("changes/CHG-0005.yaml", &closed)], "closed on main");
    s.commit(
        &[
            ("changes/CHG-0005.yaml", &format!("# touched\n{open}")),
            ("deploy/web/app.conf", "workers = 8\n"),
        ],
        "more workers",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "3-history", "CHG-0005", "changed on the base branch");
}

#[test]
fn editing_docs_codeowners_is_a_policy_change() {
    // GitHub reads CODEOWNERS from .github/, the root or docs/; the one in
    // docs/ guards the workflow as much as the others.
    let s = Scratch::new();
    s.commit_on_main(&[("docs/CODEOWNERS", "/.github/ @acme/cab\n")], "owners");
    git(s.path(), &["merge", "-q", "main"]);
    s.commit(&[("docs/CODEOWNERS", "# nobody\n")], "drop the owners");
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "1-policy-from-base", "policy default", "docs/CODEOWNERS");
}

#[test]
fn governed_yaml_that_mentions_gitsm_is_still_governed_code() {
    // A comment naming `gitsm/v1` made a deploy manifest "record-like", and
    // record-like files were kept out of rule 6: governed code merged with
    // no covering change.
    let s = Scratch::new();
    s.commit(
        &[(
            "deploy/web/values.yaml",
            "# rendered for gitsm/v1 dashboards\nreplicas: 40\n",
        )],
        "scale up",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "6-governed-paths",
        "web",
        "modifies deploy/web/values.yaml, code of service web",
    );
}

#[test]
fn a_broken_record_outside_the_record_folders_is_not_skipped() {
    // The loader reports a broken YAML file that mentions gitsm/v1 wherever
    // it is (`gitsm validate` fails at head); the gate must not pass it.
    let s = Scratch::new();
    s.commit(
        &[(
            "docs/CHG-0009.yaml",
            "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0009\ntitle: [unclosed\n",
        )],
        "broken",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "2-records-validate", "docs/CHG-0009.yaml", "error");
    // A plain YAML file that merely mentions gitsm/v1 is still no record.
    let s = Scratch::new();
    s.commit(&[("docs/notes.yaml", "# about gitsm/v1\nfoo: bar\n")], "notes");
    assert_allowed(&s.gate("carol", &[], &[]));
}

#[test]
fn changes_requested_on_a_policy_edit_by_a_possible_team_member_is_undecided() {
    let policy = POLICY.replace(
        "cab: [alice, Bob, dave]",
        "cab: [alice, Bob, dave, \"@acme/cab\"]",
    );
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("catalog/api.yaml", API),
        ("policies/default.yaml", &policy),
    ]);
    let stricter = policy.replace("lead_time: {normal: 2d}", "lead_time: {normal: 3d}");
    let sha = s.commit(&[("policies/default.yaml", &stricter)], "longer lead time");
    let (code, v, _) = s.gate(
        "carol",
        &[
            ("alice", "APPROVED", &sha),
            ("dave", "APPROVED", &sha),
            ("zoe", "CHANGES_REQUESTED", &sha),
        ],
        &[],
    );
    assert_eq!(code, 2, "{v:#}");
    assert!(with_outcome(&v, "undecided")
        .iter()
        .any(|(r, _, m)| r == "1-policy-from-base" && m.contains("zoe (maybe in @acme/cab)")));
}

#[test]
fn records_outside_the_folders_the_gate_reads_are_denied() {
    // Conflicts only see changes in changes/, rule 6 only services in
    // catalog/: a scheduled change in ops/ would never conflict with a later
    // one, a service in services/ would govern no code.
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "ops/CHG-0009.yaml",
            &change("CHG-0009", "approved", "low", APPROVED_BY_ALICE),
        )],
        "a change elsewhere",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(&res, "3-history", "CHG-0009", "outside `changes/`");
    let s = Scratch::new();
    s.commit(
        &[(
            "services/shop.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: shop\nname: Shop\nowner: frank\npaths:\n  - deploy/shop/**\n",
        )],
        "a service elsewhere",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[("1-policy-from-base", "service shop"), ("3-history", "shop")],
        "3-history",
        "shop",
        "outside `catalog/`",
    );
}

// ---- Catalog governance: `paths`, `owner` and `sla` are a policy change ----

const WEB_NO_PATHS: &str = "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: frank\n";

/// (rule, subject) of every check, whatever its outcome.
fn subjects(v: &Value) -> Vec<(String, String)> {
    v["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {v}"))
        .iter()
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn removing_a_service_s_paths_without_approvals_is_denied() {
    let s = Scratch::new();
    let sha = s.commit(&[("catalog/web.yaml", WEB_NO_PATHS)], "ungovern web later");
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "service web",
        "`paths` removed: deploy/web/**",
    );
    assert_denied(
        &res,
        "1-policy-from-base",
        "service web",
        "needs 2 `policy_change` approval(s)",
    );
    // One CAB approval is not two.
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "service web",
        "has 1 counted approval(s) (alice)",
    );
    // Adding paths is a governance change too.
    s.commit(
        &[(
            "catalog/web.yaml",
            &WEB.replace("deploy/web/**", "deploy/web/**\n  - deploy/shared/**"),
        )],
        "widen web",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "service web",
        "`paths` added: deploy/shared/**",
    );
}

#[test]
fn making_the_author_the_service_owner_is_denied() {
    let s = Scratch::new();
    s.commit(
        &[("catalog/web.yaml", &WEB.replace("owner: frank", "owner: carol"))],
        "I own web now",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "service web",
        "`owner` frank -> carol",
    );
    // The new owner's own approval is the author's: it never counts.
    let res = s.gate(
        "dave",
        &[("carol", "APPROVED", &git(s.path(), &["rev-parse", "HEAD"]))],
        &[],
    );
    assert_denied(&res, "1-policy-from-base", "service web", "carol is not in `cab`");
}

#[test]
fn a_catalog_governance_change_with_two_cab_approvals_is_allowed() {
    let s = Scratch::new();
    let sha = s.commit(
        &[
            (
                "catalog/web.yaml",
                &WEB_NO_PATHS.replace("owner: frank", "owner: carol"),
            ),
            (
                "catalog/api.yaml",
                &API.replace("owner: \"@acme/api-team\"", "owner: dave"),
            ),
        ],
        "hand over",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("bob", "APPROVED", &sha)],
        &[],
    );
    assert_allowed(&res);
    let passes = with_outcome(&res.1, "pass");
    for svc in ["service web", "service api"] {
        assert!(
            passes.iter().any(|(r, s, m)| r == "1-policy-from-base"
                && s == svc
                && m.contains("approved by alice, bob")),
            "no policy_change pass for {svc}: {passes:#?}"
        );
    }
    // A governance push after the reviews makes them stale, for every
    // service: freshness is over the whole PR.
    s.commit(
        &[(
            "catalog/api.yaml",
            &API.replace("owner: \"@acme/api-team\"", "owner: carol"),
        )],
        "sneak",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("bob", "APPROVED", &sha)],
        &[],
    );
    assert_denied_with(
        &res,
        &[
            ("1-policy-from-base", "service api"),
            ("1-policy-from-base", "service web"),
        ],
        "1-policy-from-base",
        "service api",
        "alice's approval is stale",
    );
    assert_denied_with(
        &res,
        &[
            ("1-policy-from-base", "service api"),
            ("1-policy-from-base", "service web"),
        ],
        "1-policy-from-base",
        "service web",
        "alice's approval is stale",
    );
}

#[test]
fn a_cosmetic_catalog_edit_needs_no_approval() {
    let s = Scratch::new();
    // Description, name, extra, comments, key order, flow style, `paths`
    // order and owner case: none of it changes who governs what.
    s.commit(
        &[(
            "catalog/web.yaml",
            "# The public website.\napiVersion: gitsm/v1\nkind: Service\nid: web\nowner: Frank  # still frank\npaths: [\"deploy/web/**\"]\nname: Public website\ndescription: Marketing pages and the shop front.\nextra: {team_channel: \"#web\"}\n",
        )],
        "describe web",
    );
    let res = s.gate("carol", &[], &[]);
    assert_allowed(&res);
    assert!(
        !subjects(&res.1)
            .iter()
            .any(|(r, s)| r == "1-policy-from-base" || s == "service web"),
        "a cosmetic edit must not be a policy change: {:#}",
        res.1
    );
    // Adding a service without `paths` governs nothing new either.
    s.commit(
        &[(
            "catalog/docs.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: docs\nname: Docs\nowner: carol\n",
        )],
        "add docs",
    );
    assert_allowed(&s.gate("carol", &[], &[]));
}

#[test]
fn adding_a_service_with_paths_or_deleting_one_is_a_policy_change() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "catalog/ops.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: ops\nname: Ops\nowner: carol\npaths: [deploy/**]\n",
        )],
        "carol claims deploy/",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "service ops",
        "a new service with `paths`: deploy/**",
    );
    let res = s.gate(
        "carol",
        &[("alice", "APPROVED", &sha), ("dave", "APPROVED", &sha)],
        &[],
    );
    assert_allowed(&res);

    let s = Scratch::new();
    s.rm("catalog/api.yaml");
    s.commit(&[], "drop api");
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[("1-policy-from-base", "service api"), ("3-history", "api")],
        "1-policy-from-base",
        "service api",
        "the service is removed from catalog/api.yaml",
    );
    // Changing its kind or id removes it just the same.
    let s = Scratch::new();
    s.commit(
        &[("catalog/api.yaml", &API.replace("id: api", "id: api2"))],
        "rename api",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied_with(
        &res,
        &[
            ("1-policy-from-base", "service api"),
            ("1-policy-from-base", "service api2"),
            ("3-history", "api"),
        ],
        "1-policy-from-base",
        "service api",
        "the service is removed",
    );
}

#[test]
fn changing_a_service_s_sla_is_a_policy_change() {
    let gold = "apiVersion: gitsm/v1\nkind: SLA\nid: gold\nname: Gold\ncalendar: 24x7\ntargets:\n  P1: {response: 15m, resolution: 4h}\n  P2: {response: 30m, resolution: 8h}\n  P3: {response: 2h, resolution: 3d}\n  P4: {response: 8h, resolution: 1w}\n";
    let bronze = gold.replace("id: gold\nname: Gold", "id: bronze\nname: Bronze");
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", &format!("{WEB}sla: gold\n")),
        ("slas/gold.yaml", gold),
        ("slas/bronze.yaml", &bronze),
        ("policies/default.yaml", POLICY),
    ]);
    s.commit(&[("catalog/web.yaml", &format!("{WEB}sla: bronze\n"))], "cheaper");
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "1-policy-from-base", "service web", "`sla` gold -> bronze");
}

#[test]
fn without_policy_change_a_catalog_governance_edit_fails_closed() {
    let no_rule = POLICY.replace("policy_change: {approvals: 2, from: cab}\n", "");
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", &no_rule),
    ]);
    let sha = s.commit(&[("catalog/web.yaml", WEB_NO_PATHS)], "ungovern");
    let res = s.gate(
        "carol",
        &[
            ("alice", "APPROVED", &sha),
            ("bob", "APPROVED", &sha),
            ("dave", "APPROVED", &sha),
        ],
        &[],
    );
    assert_denied(
        &res,
        "1-policy-from-base",
        "service web",
        "no `policy_change` rule",
    );
}

#[test]
fn a_second_record_of_a_service_cannot_take_it_over() {
    // A copy of `web` in a new file, owned by the author and without paths:
    // the catalog would hold two `web`s. It is refused as an id collision.
    let s = Scratch::new();
    s.commit(
        &[(
            "catalog/web-copy.yaml",
            &WEB_NO_PATHS.replace("owner: frank", "owner: carol"),
        )],
        "shadow web",
    );
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "3-history", "web", "collides with catalog/web.yaml at base");
}

#[test]
fn an_oversized_record_at_head_is_denied_not_parsed() {
    // A 2 MiB record is refused like `gitsm validate` refuses it (E0010),
    // and the gate does not parse it for its own comparisons either.
    let s = Scratch::new();
    let mut big = String::from("apiVersion: gitsm/v1\nkind: Change\nid: CHG-0009\nnote: \"");
    big.push_str(&"x".repeat(2 * 1024 * 1024));
    big.push_str("\"\n");
    s.commit(&[("changes/CHG-0009.yaml", &big)], "big");
    let res = s.gate("carol", &[], &[]);
    assert_denied(&res, "2-records-validate", "changes/CHG-0009.yaml", "E0010");
}

#[test]
fn a_broken_service_record_at_base_is_exit_2() {
    // `web` misses its `name`: it does not load, and without the fix it
    // would drop out of the catalog, leaving deploy/web/** ungoverned.
    let broken_web =
        "apiVersion: gitsm/v1\nkind: Service\nid: web\nowner: frank\npaths:\n  - deploy/web/**\n";
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", broken_web),
        ("policies/default.yaml", POLICY),
        ("deploy/web/app.conf", "workers = 4\n"),
    ]);
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    let (code, v, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{v:#}\n{err}");
    assert_eq!(v["decision"], "undecided");
    assert!(
        with_outcome(&v, "undecided")
            .iter()
            .any(|(r, subj, m)| r == "0-fail-closed"
                && subj == "catalog"
                && m.contains("the base catalog cannot be read: catalog/web.yaml: ")),
        "{v:#}"
    );
}

#[test]
fn an_invalid_glob_at_base_is_exit_2() {
    let bad_glob =
        "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: frank\npaths:\n  - deploy/web/[oops\n";
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", bad_glob),
        ("policies/default.yaml", POLICY),
        ("deploy/web/app.conf", "workers = 4\n"),
    ]);
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    let (code, v, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{v:#}\n{err}");
    assert_eq!(v["decision"], "undecided");
    assert!(
        with_outcome(&v, "undecided")
            .iter()
            .any(|(r, subj, m)| r == "6-governed-paths"
                && subj == "web"
                && m.contains("service web")
                && m.contains("`deploy/web/[oops`")
                && m.contains("not a valid glob")),
        "{v:#}"
    );
}

/// Deletes the loose object `rev` (e.g. `main:catalog/web.yaml`) names.
fn delete_object(s: &Scratch, rev: &str) {
    let oid = git(s.path(), &["rev-parse", rev]);
    let file = s.path().join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
}

#[test]
fn a_missing_git_object_is_exit_2_not_a_pass() {
    // The base catalog's blob for web: without it web would drop out, and
    // the ungoverned code change would pass.
    let s = Scratch::new();
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    delete_object(&s, "main:catalog/web.yaml");
    let (code, v, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{v:#}\n{err}");
    assert_eq!(v, Value::Null, "no verdict when the objects cannot be read");
    assert!(
        err.contains("error: git: ") && err.contains("object not found"),
        "{err}"
    );
    // Printed once: `{e:#}` must not repeat the git message as a cause.
    assert_eq!(err.matches("object not found").count(), 1, "{err}");

    // The whole catalog tree at base.
    let s = Scratch::new();
    s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
    delete_object(&s, "main:catalog");
    let (code, _, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: git: "), "{err}");

    // A changed record's blob at head: the record must not vanish from the diff.
    let s = Scratch::new();
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "add CHG-0001",
    );
    delete_object(&s, "feature:changes/CHG-0001.yaml");
    let (code, _, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: git: "), "{err}");

    // A reviewed commit's copy of the record.
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "add CHG-0001",
    );
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change(
                "CHG-0001",
                "approved",
                "low",
                &format!("{APPROVED_BY_ALICE}summary: more\n"),
            ),
        )],
        "edit CHG-0001",
    );
    delete_object(&s, &format!("{sha}:changes/CHG-0001.yaml"));
    let (code, _, err) = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: git: "), "{err}");
}

#[test]
fn a_bad_commit_id_in_the_reviews_is_exit_2_not_a_panic() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let multibyte = format!("a{}", "é".repeat(6));
    let long = format!("{sha}0");
    for bad in [
        Value::from("abc"),
        Value::from(multibyte.as_str()),
        Value::from(long.as_str()),
        Value::from(&sha[..39]),
        Value::from(sha.replace(|_: char| true, "g").as_str()),
        Value::from(12345),
    ] {
        let mut r = review(1, "alice", "APPROVED", &sha);
        r["commit_id"] = bad.clone();
        let (code, v, err) = s.gate_raw("carol", &Value::Array(vec![r]).to_string(), &[]);
        assert_eq!(code, 2, "{bad}: {v:#}\n{err}");
        assert!(!err.contains("panicked"), "{bad}: {err}");
        assert!(
            err.contains("error: reviews: review #0: bad commit_id"),
            "{bad}: {err}"
        );
    }
    // null still means "a review on a vanished commit": ignored, not an error.
    let mut r = review(1, "alice", "APPROVED", &sha);
    r["commit_id"] = Value::Null;
    let (code, v, err) = s.gate_raw("carol", &Value::Array(vec![r]).to_string(), &[]);
    assert_eq!(code, 1, "{v:#}\n{err}");
}

#[test]
fn paginated_reviews_are_concatenated_arrays() {
    // `gh api .../reviews --paginate` prints one array per page.
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let page1 = Value::Array(vec![review(1, "bob", "COMMENTED", &sha)]);
    let page2 = Value::Array(vec![review(2, "alice", "APPROVED", &sha)]);
    let res = s.gate_raw("carol", &format!("{page1}{page2}"), &[]);
    assert_allowed(&res);
    assert!(with_outcome(&res.1, "pass")
        .iter()
        .any(|(r, _, m)| r == "4-approvals" && m.contains("alice")));
    // With newlines between pages, and a later page that requests changes.
    let page3 = Value::Array(vec![review(3, "alice", "CHANGES_REQUESTED", &sha)]);
    let res = s.gate_raw("carol", &format!("{page1}\n{page2}\n{page3}\n"), &[]);
    assert_eq!(res.0, 1, "{:#}", res.1);
    // Anything but arrays, or nothing at all, is still exit 2.
    for bad in [format!("{page1}{{}}"), String::new(), format!("{page1}[")] {
        let (code, _, err) = s.gate_raw("carol", &bad, &[]);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.contains("error: reviews: "), "{bad:?}: {err}");
    }
}

#[test]
fn a_codeowners_edit_after_approval_makes_it_stale() {
    // CODEOWNERS is not YAML: it compares byte for byte. Parsed as YAML, the
    // two lines and the joined line are the same plain scalar, though the
    // joined line gives /.github/ different owners.
    let s = Scratch::new();
    s.commit_on_main(&[("CODEOWNERS", "/.github/ @acme/cab\n")], "owners");
    git(s.path(), &["merge", "-q", "main"]);
    let sha = s.commit(
        &[("CODEOWNERS", "/.github/ @acme/cab\n/policies/ @acme/cab\n")],
        "own the policies too",
    );
    let approvals = [
        ("alice", "APPROVED", sha.as_str()),
        ("dave", "APPROVED", sha.as_str()),
    ];
    let res = s.gate("carol", &approvals, &[]);
    assert_allowed(&res);
    assert!(with_outcome(&res.1, "pass")
        .iter()
        .any(|(r, _, m)| r == "1-policy-from-base" && m.contains("CODEOWNERS")));
    s.commit(
        &[("CODEOWNERS", "/.github/ @acme/cab /policies/ @acme/cab\n")],
        "join the lines",
    );
    let res = s.gate("carol", &approvals, &[]);
    assert_denied(
        &res,
        "1-policy-from-base",
        "policy default",
        "alice's approval is stale: the PR changed CODEOWNERS after the reviewed commit",
    );
}

/// The standard base, with the policy's `from` setting replaced by `to`.
pub fn scratch_with_policy(from: &str, to: &str) -> Scratch {
    assert!(POLICY.contains(from), "{from}");
    let policy = POLICY.replace(from, to);
    Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("catalog/api.yaml", API),
        ("policies/default.yaml", &policy),
        ("deploy/web/app.conf", "workers = 4\n"),
    ])
}

#[test]
fn conflicts_warn_lets_an_overlap_through_with_a_warning() {
    let run = |s: &Scratch| {
        s.commit_on_main(
            &[(
                "changes/CHG-0003.yaml",
                &scheduled(
                    "CHG-0003",
                    "normal",
                    "2026-11-24T10:00:00Z",
                    "2026-11-24T12:00:00Z",
                    "2026-11-10T09:05:00Z",
                    ALICE,
                ),
            )],
            "scheduled on main",
        );
        let sha = s.commit(
            &[(
                "changes/CHG-0004.yaml",
                &scheduled(
                    "CHG-0004",
                    "normal",
                    "2026-11-24T11:00:00Z",
                    "2026-11-24T13:00:00Z",
                    "2026-11-10T09:05:00Z",
                    ALICE,
                ),
            )],
            "overlapping",
        );
        s.gate("carol", &[("alice", "APPROVED", &sha)], &[])
    };
    assert_denied(
        &run(&scratch_with_policy("conflicts: deny", "conflicts: deny")),
        "5-schedule",
        "CHG-0004",
        "overlaps CHG-0003",
    );
    let res = run(&scratch_with_policy("conflicts: deny", "conflicts: warn"));
    assert_allowed(&res);
    assert!(
        with_outcome(&res.1, "warn")
            .iter()
            .any(|(r, subj, m)| r == "5-schedule" && subj == "CHG-0004" && m.contains("overlaps CHG-0003")),
        "{:#}",
        res.1
    );
}

#[test]
fn ungoverned_paths_warn_and_allow_change_the_outcome() {
    let run = |s: &Scratch| {
        s.commit(&[("deploy/web/app.conf", "workers = 8\n")], "more workers");
        s.gate("carol", &[], &[])
    };
    assert_denied(
        &run(&scratch_with_policy(
            "ungoverned_paths: deny",
            "ungoverned_paths: deny",
        )),
        "6-governed-paths",
        "web",
        "modifies deploy/web/app.conf",
    );
    let res = run(&scratch_with_policy(
        "ungoverned_paths: deny",
        "ungoverned_paths: warn",
    ));
    assert_allowed(&res);
    assert!(
        with_outcome(&res.1, "warn")
            .iter()
            .any(|(r, subj, m)| r == "6-governed-paths"
                && subj == "web"
                && m.contains("modifies deploy/web/app.conf")),
        "{:#}",
        res.1
    );
    let res = run(&scratch_with_policy(
        "ungoverned_paths: deny",
        "ungoverned_paths: allow",
    ));
    assert_allowed(&res);
    assert!(
        !res.1["checks"].to_string().contains("6-governed-paths"),
        "allow: rule 6 does not check at all: {:#}",
        res.1
    );
}

#[test]
fn reviews_are_ordered_by_submitted_at_then_id_not_by_position() {
    let s = Scratch::new();
    let sha = approved_change_pr(&s);
    let list = |reviews: &[(u64, &str, &str)], reverse: bool| {
        let mut v: Vec<Value> = reviews
            .iter()
            .map(|(id, state, at)| {
                let mut r = review(*id, "alice", state, &sha);
                r["submitted_at"] = Value::from(*at);
                r
            })
            .collect();
        if reverse {
            v.reverse();
        }
        Value::Array(v).to_string()
    };
    // By time: the later review decides, wherever it stands in the array
    // (and whatever its id).
    let approve_then_block = [
        (9, "APPROVED", "2026-11-20T11:00:00Z"),
        (2, "CHANGES_REQUESTED", "2026-11-20T12:00:00Z"),
    ];
    let block_then_approve = [
        (9, "CHANGES_REQUESTED", "2026-11-20T11:00:00Z"),
        (2, "APPROVED", "2026-11-20T12:00:00Z"),
    ];
    // Same time: the higher id decides.
    let tie_block_last = [
        (1, "APPROVED", "2026-11-20T11:00:00Z"),
        (2, "CHANGES_REQUESTED", "2026-11-20T11:00:00Z"),
    ];
    let tie_approve_last = [
        (1, "CHANGES_REQUESTED", "2026-11-20T11:00:00Z"),
        (2, "APPROVED", "2026-11-20T11:00:00Z"),
    ];
    for reverse in [false, true] {
        for blocked in [&approve_then_block, &tie_block_last] {
            let res = s.gate_raw("carol", &list(blocked, reverse), &[]);
            assert_denied(&res, "4-approvals", "CHG-0001", "changes requested by alice");
        }
        for approved in [&block_then_approve, &tie_approve_last] {
            assert_allowed(&s.gate_raw("carol", &list(approved, reverse), &[]));
        }
    }
}

#[test]
fn two_change_policies_at_base_are_exit_2() {
    let other = POLICY.replace("id: default", "id: other");
    let s = Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
        ("policies/other.yaml", &other),
    ]);
    let sha = approved_change_pr(&s);
    let (code, v, err) = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_eq!(code, 2, "{v:#}\n{err}");
    assert_eq!(v["decision"], "undecided");
    assert!(
        with_outcome(&v, "undecided")
            .iter()
            .any(|(r, _, m)| r == "0-fail-closed"
                && m.contains("the base revision has 2 ChangePolicy records")
                && m.contains("policies/default.yaml")
                && m.contains("policies/other.yaml")),
        "{v:#}"
    );
}

#[test]
fn gate_usage_errors_are_exit_2_with_a_clear_message() {
    let s = Scratch::new();
    let base = [
        "--now",
        NOW,
        "gate",
        "--base",
        "refs/heads/main",
        "--head",
        "refs/heads/feature",
    ];
    // --reviews without --author.
    let rf = s.path().join(".git/reviews.json");
    std::fs::write(&rf, "[]").unwrap();
    let mut c = gitsm(s.path());
    c.args(base).arg("--reviews").arg(&rf);
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim(), "error: --author LOGIN is required with --reviews");
    // --pr needs --github.
    let mut c = gitsm(s.path());
    c.args(base)
        .args(["--author", "carol", "--pr", "7"])
        .arg("--reviews")
        .arg(&rf);
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--github"), "{err}");
    // An unreadable --reviews file names the flag and the file.
    let mut c = gitsm(s.path());
    c.args(base)
        .args(["--author", "carol", "--reviews", "no-such.json"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: --reviews no-such.json: "), "{err}");
    // The help says where reviews.json comes from and when --author is needed.
    let mut c = gitsm(s.path());
    c.args(["gate", "--help"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    assert!(out.contains("(required with --reviews"), "{out}");
    assert!(
        out.contains("gh api repos/OWNER/REPO/pulls/N/reviews --paginate > reviews.json"),
        "{out}"
    );
}

/// Rule 2 judges the records a PR touches (and broken files that claim to
/// be records); a YAML file outside the record folders that is no record
/// gets no check of its own — neither a pass nor a failure.
#[test]
fn a_plain_yaml_file_outside_the_record_folders_gets_no_validation_check() {
    let s = Scratch::new();
    let sha = s.commit(
        &[
            ("notes/todo.yaml", "todo: [write the runbook]\n"),
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
            ),
        ],
        "notes and a change",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    let validated: Vec<&str> = res.1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "2-records-validate")
        .filter_map(|c| c["file"].as_str())
        .collect();
    assert!(validated.contains(&"changes/CHG-0001.yaml"), "{validated:?}");
    assert!(!validated.contains(&"notes/todo.yaml"), "{validated:?}");
}

/// Rule 6's message names at most five touched paths and counts the rest:
/// five are all shown, a sixth becomes "and 1 more".
#[test]
fn the_governed_paths_message_shows_five_paths_and_counts_the_rest() {
    for (n, tail) in [
        (5, ", code of service web"),
        (6, " and 1 more, code of service web"),
    ] {
        let s = Scratch::new();
        let files: Vec<(String, String)> = (1..=n)
            .map(|k| (format!("deploy/web/f{k}.conf"), format!("k = {k}\n")))
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, b)| (p.as_str(), b.as_str())).collect();
        s.commit(&refs, "touch web");
        let res = s.gate("carol", &[], &[]);
        let msg = failed_message(&res.1, "6-governed-paths");
        let shown: Vec<String> = (1..=5).map(|k| format!("deploy/web/f{k}.conf")).collect();
        let want = format!("the PR modifies {}{tail}", shown.join(", "));
        assert!(msg.starts_with(&want), "{n} paths: {msg}");
    }
}

/// A change both in the PR and named in its body is one candidate: rule 6's
/// message gives its reason once.
#[test]
fn a_change_in_the_pr_and_named_in_its_body_is_judged_once() {
    let s = Scratch::new();
    let draft = change("CHG-0001", "submitted", "low", "");
    s.commit_on_main(&[("changes/CHG-0001.yaml", &draft)], "CHG-0001");
    let edited = draft.replace("title: Upgrade", "title: Really upgrade");
    s.commit(
        &[
            ("changes/CHG-0001.yaml", &edited),
            ("deploy/web/app.conf", "workers = 8\n"),
        ],
        "edit and deploy",
    );
    let body = s.path().join(".git/body.md");
    std::fs::write(&body, "Change: CHG-0001\n").unwrap();
    let res = s.gate("carol", &[], &["--pr-body", body.to_str().unwrap()]);
    let msg = failed_message(&res.1, "6-governed-paths");
    assert_eq!(msg.matches("CHG-0001 (").count(), 1, "{msg}");
}

/// The scratch repo's usual base (config, the web service, the default
/// policy) and `extra` files, committed on main.
fn base_with(extra: &[(&str, &str)]) -> Scratch {
    let mut files = vec![
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", WEB),
        ("policies/default.yaml", POLICY),
    ];
    files.extend_from_slice(extra);
    Scratch::with_base(&files)
}

/// One of `msgs` contains `needle`.
#[track_caller]
fn assert_some_message(msgs: &[String], needle: &str) {
    assert!(
        msgs.iter().any(|m| m.contains(needle)),
        "no message with {needle:?}: {msgs:#?}"
    );
}

/// The messages of every failing check of `rule`.
fn failed_messages(v: &Value, rule: &str) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == rule && c["outcome"] == "fail")
        .filter_map(|c| c["message"].as_str().map(str::to_string))
        .collect()
}

/// A file at base that is no gitsm record (broken YAML) turned into a record
/// with the id of another base record: the id collides, although the file
/// existed (cargo-mutants: the `||` that covers this case was unpinned).
#[test]
fn a_broken_base_file_turned_into_a_record_with_a_base_id_collides() {
    let s = base_with(&[
        ("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
        ("changes/CHG-0009.yaml", "title: [not closed\n"),
    ]);
    s.commit(
        &[("changes/CHG-0009.yaml", &change("CHG-0001", "draft", "low", ""))],
        "reuse an id",
    );
    let (_, v, _) = s.gate("carol", &[], &[]);
    let msgs = failed_messages(&v, "3-history");
    assert_some_message(&msgs, "collides with changes/CHG-0001.yaml");
}

/// Two new files in one PR with the same new id: the second collides with
/// the first, in rule 3 itself (not only through validation's duplicate).
#[test]
fn two_new_records_with_one_id_collide_with_each_other() {
    let s = Scratch::new();
    s.commit(
        &[
            ("changes/CHG-0005.yaml", &change("CHG-0005", "draft", "low", "")),
            ("changes/CHG-0005-b.yaml", &change("CHG-0005", "draft", "low", "")),
        ],
        "twins",
    );
    let (code, v, _) = s.gate("carol", &[], &[]);
    assert_eq!(code, 1);
    let msgs = failed_messages(&v, "3-history");
    assert_some_message(&msgs, "CHG-0005 collides with changes/CHG-0005");
}

/// The base branch and the PR both added a record at the same path: besides
/// the id collision, the PR is judged against a stale copy, and says so.
#[test]
fn a_path_the_base_branch_also_added_is_a_stale_copy() {
    let s = Scratch::new();
    s.commit(
        &[("changes/CHG-0002.yaml", &change("CHG-0002", "draft", "low", ""))],
        "mine",
    );
    s.commit_on_main(
        &[(
            "changes/CHG-0002.yaml",
            &change("CHG-0002", "submitted", "medium", ""),
        )],
        "theirs",
    );
    let (_, v, _) = s.gate("carol", &[], &[]);
    let msgs = failed_messages(&v, "3-history");
    assert_some_message(&msgs, "was changed on the base branch since this PR branched");
    assert_some_message(&msgs, "collides with");
}

/// A record deleted while another, existing file takes its id: the record is
/// deleted (a rename is a new file holding the old id, never an edit of
/// another record).
#[test]
fn a_deleted_record_whose_id_another_file_takes_is_deleted_not_renamed() {
    let s = base_with(&[
        ("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
        ("changes/CHG-0002.yaml", &change("CHG-0002", "draft", "low", "")),
    ]);
    s.rm("changes/CHG-0001.yaml");
    s.commit(
        &[("changes/CHG-0002.yaml", &change("CHG-0001", "draft", "low", ""))],
        "take its id",
    );
    let (_, v, _) = s.gate("carol", &[], &[]);
    let msgs = failed_messages(&v, "3-history");
    assert_some_message(&msgs, "record CHG-0001 (changes/CHG-0001.yaml) is deleted");
    assert!(!msgs.iter().any(|m| m.contains("is renamed from")), "{msgs:#?}");
}

/// An event appended with a date after `--now` is denied, with a fix that
/// says how events are dated.
#[test]
fn an_event_dated_after_now_is_denied_with_how_to_date_events() {
    let base = change("CHG-0001", "draft", "low", "");
    let s = base_with(&[("changes/CHG-0001.yaml", &base)]);
    let later = format!("{base}  - {{at: 2099-01-01T00:00:00Z, by: carol, note: planned ahead}}\n");
    s.commit(&[("changes/CHG-0001.yaml", &later)], "from the future");
    let (code, v, _) = s.gate("carol", &[], &[]);
    assert_eq!(code, 1, "{v:#}");
    let check = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "3-history" && c["outcome"] == "fail")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("timeline event 1 is dated 2099-01-01T00:00:00Z, after now"),
        "{check:#}"
    );
    assert_eq!(
        check["fix"],
        "date every event at or before the time the PR is judged; events are appended as they happen"
    );
}

/// An event dated exactly at `--now` has happened: the move it records is
/// legal, and rule 3 says which move it checked.
#[test]
fn an_event_dated_at_now_is_history_and_the_move_is_named() {
    let base = change("CHG-0001", "draft", "low", "");
    let s = base_with(&[("changes/CHG-0001.yaml", &base)]);
    let moved = format!("{base}  - {{at: {NOW}, by: carol, status: submitted}}\n")
        .replace("status: draft\n", "status: submitted\n");
    s.commit(&[("changes/CHG-0001.yaml", &moved)], "submit it now");
    let (_, v, _) = s.gate("carol", &[], &[]);
    let history: Vec<&Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "3-history")
        .collect();
    assert_eq!(history.len(), 1, "{v:#}");
    assert_eq!(history[0]["outcome"], "pass", "{v:#}");
    assert_eq!(
        history[0]["message"],
        "legal move draft → submitted; timeline only appended to"
    );
}

/// Ids are unique per kind for catalog records: a new service named like a
/// base change is no rule-3 collision (ticket ids collide across tickets
/// only).
#[test]
fn a_new_service_named_like_a_base_change_does_not_collide() {
    let s = base_with(&[("changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", ""))]);
    s.commit(
        &[(
            "catalog/chg-0001.yaml",
            "apiVersion: gitsm/v1\nkind: Service\nid: CHG-0001\nname: Oddly named\nowner: frank\n",
        )],
        "a service",
    );
    let (_, v, _) = s.gate("carol", &[], &[]);
    let msgs = failed_messages(&v, "3-history");
    assert!(msgs.is_empty(), "{msgs:#?}");
    let history: Vec<&Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "3-history" && c["subject"] == "CHG-0001")
        .collect();
    assert!(!history.is_empty(), "rule 3 judged the new service: {v:#}");
}

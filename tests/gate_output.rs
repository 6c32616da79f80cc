//! What `gitsm gate` prints, whole: the human and markdown verdicts of an
//! allowed PR, a PR denied for several reasons and an undecided one, pinned
//! as insta snapshots under `tests/snapshots/`. The histories are built with
//! fixed identities and dates, so commit shas (and so the output) are stable.
//!
//! After a deliberate change of the output: `INSTA_UPDATE=always cargo test
//! --test integration gate_output`, then review the diff of the `.snap` files.

use crate::gate::{change, change_full, Scratch, APPROVED_BY_ALICE, CONFIG, POLICY, WEB};

/// A PR in a scratch repo, and its reviews `(login, state, commit)`.
type Pr = (Scratch, Vec<(&'static str, &'static str, String)>);

/// A new normal, low-risk change, approved by alice on the PR's head.
fn allowed() -> Pr {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "add CHG-0001",
    );
    (s, vec![("alice", "APPROVED", sha)])
}

/// A draft change jumped to `implementing`: invalid, an illegal move, no
/// approval, and a window inside the normal lead time.
fn denied() -> Pr {
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
    (s, Vec::new())
}

/// An emergency change approved by zoe, who may be on the ECAB through the
/// team `@acme/ecab`, which cannot be resolved offline.
fn undecided() -> Pr {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change_full(
                "CHG-0001",
                "approved",
                "emergency",
                "low",
                "web",
                "2026-11-20T09:05:00Z",
                "approvals:\n  - {by: zoe, at: 2026-11-20T11:01:00Z}\n",
            ),
        )],
        "emergency",
    );
    (s, vec![("zoe", "APPROVED", sha)])
}

/// The gate's exit code and stdout in `format` for a scenario.
fn gate(scenario: fn() -> Pr, format: &str) -> (i32, String) {
    let (s, reviews) = scenario();
    let reviews: Vec<(&str, &str, &str)> = reviews
        .iter()
        .map(|(l, st, sha)| (*l, *st, sha.as_str()))
        .collect();
    let (code, out, err) = s.gate_formatted("carol", &reviews, format);
    assert_eq!(err, "", "the gate wrote to stderr");
    (code, out)
}

#[test]
fn allowed_human() {
    let (code, out) = gate(allowed, "human");
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn allowed_markdown() {
    let (code, out) = gate(allowed, "markdown");
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn denied_for_several_reasons_human() {
    let (code, out) = gate(denied, "human");
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn denied_for_several_reasons_markdown() {
    let (code, out) = gate(denied, "markdown");
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn undecided_human() {
    let (code, out) = gate(undecided, "human");
    assert_eq!(code, 2);
    insta::assert_snapshot!(out);
}

#[test]
fn undecided_markdown() {
    let (code, out) = gate(undecided, "markdown");
    assert_eq!(code, 2);
    insta::assert_snapshot!(out);
}

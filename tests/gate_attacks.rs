//! The adversarial suite (issue "harden the change gate"): one scenario per
//! class of attack, each a real git history, each asserting the exit code
//! and the exact set of (rule, subject) pairs that fail — so a spurious
//! extra failure cannot hide behind the expected one.

use crate::common::git;
use crate::gate::*;

/// `id` submitted (on 2026-11-10) on main with `extra`, merged into the PR branch.
fn submitted_at_base(s: &Scratch, id: &str, services: &str, extra: &str) {
    let c = change_full(
        id,
        "submitted",
        "normal",
        "low",
        services,
        "2026-11-10T09:05:00Z",
        extra,
    );
    s.commit_on_main(&[(&format!("changes/{id}.yaml"), &c)], "submit");
    git(s.path(), &["merge", "-q", "main"]);
}

/// `id` at `status` on main (normal, low, web), merged into the PR branch.
fn at_base(s: &Scratch, id: &str, status: &str, extra: &str) -> String {
    let c = change_full(id, status, "normal", "low", "web", "2026-11-10T09:05:00Z", extra);
    s.commit_on_main(&[(&format!("changes/{id}.yaml"), &c)], "on main");
    git(s.path(), &["merge", "-q", "main"]);
    c
}

const NOW_WINDOW: &str = "window: {start: \"2026-11-21T10:00:00Z\", end: \"2026-11-21T14:00:00Z\"}\n";
const LATER_WINDOW: &str = "window: {start: \"2026-11-24T10:00:00Z\", end: \"2026-11-24T11:00:00Z\"}\n";

// 1. Path aliasing ---------------------------------------------------------

#[test]
fn a_backslash_path_cannot_stand_in_for_a_record() {
    let s = Scratch::new();
    let draft = change("CHG-0005", "draft", "low", "");
    s.commit(&[("changes\\CHG-0005.yaml", &draft)], "backslash");
    let res = s.gate("carol", &[], &[]);
    assert_exactly(
        &res,
        1,
        &[
            ("0-fail-closed", "changes\\CHG-0005.yaml"),
            ("3-history", "CHG-0005"),
        ],
    );
}

#[test]
fn a_case_variant_of_a_record_or_service_is_denied() {
    let s = Scratch::new();
    at_base(
        &s,
        "CHG-0001",
        "scheduled",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    let cancelled = change("CHG-0001", "draft", "low", "");
    s.commit(
        &[
            ("Changes/CHG-0001.yaml", cancelled.as_str()),
            (
                "Catalog/web.yaml",
                WEB.replace("  - deploy/web/**\n", "  - nothing/**\n").as_str(),
            ),
        ],
        "shadows",
    );
    let res = s.gate("carol", &[], &[]);
    assert_exactly(
        &res,
        1,
        &[
            ("0-fail-closed", "Changes/CHG-0001.yaml"),
            ("0-fail-closed", "Catalog/web.yaml"),
            ("1-policy-from-base", "service web"),
            ("3-history", "CHG-0001"),
            ("3-history", "web"),
        ],
    );
}

#[test]
fn a_path_that_is_not_utf8_is_denied() {
    use std::os::unix::ffi::OsStrExt;
    let s = Scratch::new();
    let name = std::ffi::OsStr::from_bytes(b"deploy/web/app-\xff.conf");
    std::fs::write(s.path().join(name), "x\n").unwrap();
    s.commit(&[], "odd name");
    let res = s.gate("carol", &[], &[]);
    assert_exactly(
        &res,
        1,
        &[
            ("0-fail-closed", "deploy/web/app-\u{fffd}.conf"),
            ("6-governed-paths", "web"),
        ],
    );
}

#[test]
fn a_symlink_under_a_service_s_paths_is_denied() {
    let s = Scratch::new();
    std::os::unix::fs::symlink("/etc/passwd", s.path().join("deploy/web/secrets.conf")).unwrap();
    // Outside any service's paths a symlink is just code.
    std::os::unix::fs::symlink("README", s.path().join("link")).unwrap();
    s.commit(&[], "links");
    let res = s.gate("carol", &[], &[]);
    assert_exactly(
        &res,
        1,
        &[
            ("0-fail-closed", "deploy/web/secrets.conf"),
            ("6-governed-paths", "web"),
        ],
    );
}

#[test]
fn a_submodule_in_a_record_folder_is_denied() {
    let s = Scratch::new();
    let head = git(s.path(), &["rev-parse", "HEAD"]);
    git(
        s.path(),
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{head},changes/CHG-0042.yaml"),
        ],
    );
    git(s.path(), &["commit", "-q", "-m", "submodule"]);
    let res = s.gate("carol", &[], &[]);
    assert_exactly(&res, 1, &[("0-fail-closed", "changes/CHG-0042.yaml")]);
}

// 2. Criss-cross histories ---------------------------------------------------

#[test]
fn a_criss_cross_history_is_exit_2() {
    let s = Scratch::new();
    let f1 = s.commit(&[("notes/a.txt", "a\n")], "f1");
    s.commit_on_main(&[("notes/b.txt", "b\n")], "m1");
    git(s.path(), &["merge", "-q", "--no-ff", "main", "-m", "f2"]);
    git(s.path(), &["checkout", "-q", "main"]);
    git(s.path(), &["merge", "-q", "--no-ff", &f1, "-m", "m2"]);
    git(s.path(), &["checkout", "-q", "feature"]);
    let (code, v, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 2, "{v:#}\n{err}");
    assert!(err.contains("2 merge bases (a criss-cross history)"), "{err}");
}

// 3. Leaving the approved line -------------------------------------------------

fn cancel(base: &str) -> String {
    format!(
        "{}  - {{at: 2026-11-21T11:00:00Z, by: dave, status: cancelled}}\n",
        base
    )
    .replace("status: scheduled\n", "status: cancelled\n")
}

#[test]
fn only_its_own_requester_may_cancel_an_approved_change_without_approval() {
    let s = Scratch::new();
    let base = at_base(
        &s,
        "CHG-0001",
        "scheduled",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    s.commit(&[("changes/CHG-0001.yaml", &cancel(&base))], "cancel");
    // dave did not request it: he needs fresh CAB approval.
    assert_exactly(&s.gate("dave", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
    // carol requested it: she may cancel it.
    assert_exactly(&s.gate("carol", &[], &[]), 0, &[]);
    // …but not edit its plan on the way.
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &cancel(&base).replace("two steps", "one step"),
        )],
        "and the plan",
    );
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

#[test]
fn putting_someone_else_s_approved_change_on_hold_needs_approval() {
    let s = Scratch::new();
    let base = at_base(&s, "CHG-0001", "approved", APPROVED_BY_ALICE);
    let held = format!("{base}  - {{at: 2026-11-21T11:00:00Z, by: dave, status: on_hold}}\n")
        .replace("status: approved\n", "status: on_hold\n");
    s.commit(&[("changes/CHG-0001.yaml", &held)], "hold");
    assert_exactly(&s.gate("dave", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
    assert_exactly(&s.gate("carol", &[], &[]), 0, &[]);
}

#[test]
fn the_implementer_moves_a_scheduled_change_on_along_its_workflow() {
    let s = Scratch::new();
    let extra = format!("implementer: erin\n{NOW_WINDOW}{APPROVED_BY_ALICE}");
    let base = at_base(&s, "CHG-0001", "scheduled", &extra);
    let implementing =
        format!("{base}  - {{at: 2026-11-21T10:30:00Z, by: erin, status: implementing, note: started}}\n")
            .replace("status: scheduled\n", "status: implementing\n");
    s.commit(&[("changes/CHG-0001.yaml", &implementing)], "start");
    assert_exactly(&s.gate("erin", &[], &[]), 0, &[]);
    let done = format!("{implementing}  - {{at: 2026-11-21T11:30:00Z, by: erin, status: completed}}\n")
        .replace(
            "status: implementing\n",
            "status: completed\noutcome: successful\n",
        );
    s.commit(&[("changes/CHG-0001.yaml", &done)], "done");
    assert_exactly(&s.gate("erin", &[], &[]), 0, &[]);
    // Anyone else doing the same needs fresh approval.
    assert_exactly(&s.gate("dave", &[], &[]), 1, &[("4-approvals", "CHG-0001")]);
}

// 5. Staleness over the whole PR -------------------------------------------------

#[test]
fn code_swapped_after_the_cab_looked_makes_the_approval_stale() {
    let s = Scratch::new();
    submitted_at_base(&s, "CHG-0001", "web", NOW_WINDOW);
    let approved = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{NOW_WINDOW}{APPROVED_BY_ALICE}"),
    );
    let reviewed = s.commit(
        &[
            ("changes/CHG-0001.yaml", approved.as_str()),
            ("deploy/web/app.conf", "workers = 8\n"),
        ],
        "scale up",
    );
    let ok = s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]);
    assert_exactly(&ok, 0, &[]);
    s.commit(&[("deploy/web/app.conf", "workers = 8\nexec = /tmp/x\n")], "swap");
    let res = s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]);
    assert_exactly(&res, 1, &[("4-approvals", "CHG-0001")]);
    assert!(res
        .1
        .to_string()
        .contains("the PR changed deploy/web/app.conf after the reviewed commit"));
}

#[test]
fn merging_the_base_branch_in_keeps_approvals_fresh() {
    let s = Scratch::new();
    submitted_at_base(&s, "CHG-0001", "web", NOW_WINDOW);
    let approved = change(
        "CHG-0001",
        "scheduled",
        "low",
        &format!("{NOW_WINDOW}{APPROVED_BY_ALICE}"),
    );
    let reviewed = s.commit(&[("changes/CHG-0001.yaml", approved.as_str())], "schedule");
    s.commit_on_main(&[("notes/elsewhere.txt", "unrelated\n")], "main moves on");
    git(s.path(), &["merge", "-q", "main"]);
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &reviewed)], &[]), 0, &[]);
}

// 6. Schedule checks that re-run ---------------------------------------------------

#[test]
fn adding_a_service_to_a_scheduled_change_re_runs_the_conflict_check() {
    let s = Scratch::new();
    at_base(
        &s,
        "CHG-0001",
        "scheduled",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    let other = change_full(
        "CHG-0002",
        "scheduled",
        "normal",
        "low",
        "api",
        "2026-11-10T09:05:00Z",
        &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
    );
    s.commit_on_main(&[("changes/CHG-0002.yaml", &other)], "api change");
    git(s.path(), &["merge", "-q", "main"]);
    let sha = s.commit(
        &[(
            "changes/CHG-0002.yaml",
            &other.replace("services: [api]", "services: [web, api]"),
        )],
        "also web",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0002")]);
}

#[test]
fn a_flow_style_change_at_base_still_conflicts() {
    let s = Scratch::new();
    let flow = "{apiVersion: gitsm/v1, kind: Change, id: CHG-0001, title: Flow, \"status\": scheduled, type: normal, risk: low, services: [web], requested_by: carol, plan: p, rollback_plan: r, window: {start: \"2026-11-24T10:00:00Z\", end: \"2026-11-24T11:00:00Z\"}, approvals: [{by: alice, at: \"2026-11-20T11:01:00Z\"}], timeline: [{at: \"2026-11-10T09:05:00Z\", by: carol, status: draft}, {at: \"2026-11-10T09:05:00Z\", by: carol, status: submitted}, {at: \"2026-11-20T10:02:00Z\", by: carol, status: approved}, {at: \"2026-11-20T10:03:00Z\", by: carol, status: scheduled}]}\n";
    s.commit_on_main(&[("changes/CHG-0001.yaml", flow)], "flow style");
    git(s.path(), &["merge", "-q", "main"]);
    submitted_at_base(&s, "CHG-0003", "web", LATER_WINDOW);
    let sha = s.commit(
        &[(
            "changes/CHG-0003.yaml",
            change(
                "CHG-0003",
                "scheduled",
                "low",
                &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
            )
            .as_str(),
        )],
        "overlap",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0003")]);
    assert!(res.1.to_string().contains("overlaps CHG-0001"), "{:#}", res.1);
}

#[test]
fn an_approved_change_with_a_window_in_a_freeze_is_denied() {
    let s = Scratch::new();
    let freeze = "window: {start: \"2026-11-27T10:00:00Z\", end: \"2026-11-27T11:00:00Z\"}\n";
    submitted_at_base(&s, "CHG-0001", "web", freeze);
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            change(
                "CHG-0001",
                "approved",
                "low",
                &format!("{freeze}{APPROVED_BY_ALICE}"),
            )
            .as_str(),
        )],
        "approve",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0001")]);
}

// 7. Ids from content ---------------------------------------------------------------

#[test]
fn a_misnamed_base_file_still_reserves_its_id() {
    let s = Scratch::new();
    s.commit_on_main(
        &[("changes/CHG-0100.yaml", &change("CHG-0007", "draft", "low", ""))],
        "misnamed",
    );
    git(s.path(), &["merge", "-q", "main"]);
    s.commit(
        &[("changes/CHG-0007.yaml", &change("CHG-0007", "draft", "low", ""))],
        "dup",
    );
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("3-history", "CHG-0007")]);
}

// 8. What the gate looks at: a sub-folder ITSM root ------------------------------------

fn subfolder() -> Scratch {
    Scratch::with_base(&[
        ("itsm/gitsm.yaml", CONFIG),
        ("itsm/catalog/web.yaml", WEB),
        ("itsm/policies/default.yaml", POLICY),
        ("itsm/slas/standard.yaml", "apiVersion: gitsm/v1\nkind: SLA\nid: standard\ncalendar: 24x7\ntargets:\n  P1: {response: 15m, resolution: 4h}\n"),
        ("itsm/changes/CHG-0001.yaml", &change("CHG-0001", "draft", "low", "")),
        ("deploy/web/app.conf", "workers = 4\n"),
        (".github/workflows/gate.yml", "on: pull_request_target\n"),
    ])
}

#[test]
fn with_a_sub_folder_itsm_root_code_and_ci_at_the_git_root_are_judged() {
    let s = subfolder();
    s.commit(&[("deploy/web/app.conf", "workers = 64\n")], "code outside itsm/");
    assert_exactly(
        &s.gate_in("itsm", "carol", "[]", &[]),
        1,
        &[("6-governed-paths", "web")],
    );
    let s = subfolder();
    s.commit(
        &[(".github/workflows/gate.yml", "on: pull_request\n")],
        "replace the gate",
    );
    assert_exactly(
        &s.gate_in("itsm", "carol", "[]", &[]),
        1,
        &[("1-policy-from-base", "policy default")],
    );
    let s = subfolder();
    s.commit(&[(".gitattributes", "*.yaml filter=lfs\n")], "attributes");
    assert_exactly(
        &s.gate_in("itsm", "carol", "[]", &[]),
        1,
        &[("1-policy-from-base", "policy default")],
    );
}

#[test]
fn config_and_sla_edits_are_governed_and_revalidate() {
    let s = subfolder();
    s.commit(
        &[("itsm/gitsm.yaml", &format!("{CONFIG}id_digits: 5\n"))],
        "digits",
    );
    let res = s.gate_in("itsm", "carol", "[]", &[]);
    // The untouched CHG-0001 no longer has a valid id under the new config.
    assert_exactly(
        &res,
        1,
        &[
            ("1-policy-from-base", "policy default"),
            ("2-records-validate", "changes/CHG-0001.yaml"),
        ],
    );
    let s = subfolder();
    s.commit(
        &[("itsm/slas/standard.yaml", "apiVersion: gitsm/v1\nkind: SLA\nid: standard\ncalendar: 24x7\ntargets:\n  P1: {response: 1w, resolution: 4w}\n")],
        "looser SLA",
    );
    assert_exactly(
        &s.gate_in("itsm", "carol", "[]", &[]),
        1,
        &[("1-policy-from-base", "policy default")],
    );
    // A comment is not an edit of its meaning.
    let s = subfolder();
    s.commit(
        &[("itsm/slas/standard.yaml", "# reviewed yearly\napiVersion: gitsm/v1\nkind: SLA\nid: standard\ncalendar: 24x7\ntargets:\n  P1: {response: 15m, resolution: 4h}\n")],
        "comment",
    );
    assert_exactly(&s.gate_in("itsm", "carol", "[]", &[]), 0, &[]);
}

// 9. Globs ------------------------------------------------------------------------------

fn with_paths(paths: &str) -> Scratch {
    Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        (
            "catalog/payments.yaml",
            &format!("apiVersion: gitsm/v1\nkind: Service\nid: payments\nname: Payments\nowner: frank\npaths: {paths}\n"),
        ),
        ("policies/default.yaml", POLICY),
    ])
}

#[test]
fn a_folder_glob_governs_everything_below_it_in_any_case() {
    let s = with_paths("[infra/payments/]");
    s.commit(&[("infra/payments/main.tf", "x\n")], "tf");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "payments")]);
    let s = with_paths("[infra/payments/]");
    s.commit(&[("Infra/Payments/main.tf", "x\n")], "case");
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "payments")]);
}

#[test]
fn an_unanchored_glob_at_base_is_undecided() {
    for p in ["[/infra/payments/**]", "[./infra/payments/**]"] {
        let s = with_paths(p);
        s.commit(&[("infra/payments/main.tf", "x\n")], "tf");
        assert_exactly(&s.gate("carol", &[], &[]), 2, &[("6-governed-paths", "payments")]);
    }
}

// 10. Standard changes are templates of the base policy ----------------------------------

const TEMPLATES: &str = "standard_changes:\n  - id: STD-restart-pod\n    title: Restart a pod\n    services: [web]\n    risk: low\n    paths: [deploy/web/pods/]\nungoverned_paths: deny\n";

fn standard(risk: &str, services: &str) -> String {
    change_full(
        "CHG-0009",
        "approved",
        "standard",
        risk,
        services,
        "2026-11-20T09:05:00Z",
        &format!("template: STD-restart-pod\n{NOW_WINDOW}"),
    )
}

#[test]
fn a_pre_authorised_standard_change_covers_only_its_template() {
    let s = scratch_with_policy("ungoverned_paths: deny\n", TEMPLATES);
    s.commit(
        &[
            ("changes/CHG-0009.yaml", standard("low", "web").as_str()),
            ("deploy/web/pods/a.yaml", "x: 1\n"),
        ],
        "restart",
    );
    assert_exactly(&s.gate("carol", &[], &[]), 0, &[]);
    // Outside the template's paths.
    let s = scratch_with_policy("ungoverned_paths: deny\n", TEMPLATES);
    s.commit(
        &[
            ("changes/CHG-0009.yaml", standard("low", "web").as_str()),
            ("deploy/web/app.conf", "workers = 64\n"),
        ],
        "more",
    );
    assert_exactly(&s.gate("carol", &[], &[]), 1, &[("6-governed-paths", "web")]);
}

#[test]
fn a_standard_change_above_its_template_is_judged_as_normal() {
    for (risk, services) in [("high", "web"), ("low", "api")] {
        let s = scratch_with_policy("ungoverned_paths: deny\n", TEMPLATES);
        s.commit(
            &[("changes/CHG-0009.yaml", standard(risk, services).as_str())],
            "sneaky",
        );
        // Rule 4 wants CAB approvals; rule 5 the normal lead time (from now).
        assert_exactly(
            &s.gate("carol", &[], &[]),
            1,
            &[("4-approvals", "CHG-0009"), ("5-schedule", "CHG-0009")],
        );
    }
}

// 11. Emergency reviews -------------------------------------------------------------------

#[test]
fn an_overdue_emergency_review_blocks_the_requester_s_new_normal_changes() {
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
    s.commit_on_main(&[("changes/CHG-0050.yaml", &emergency)], "done, no review");
    git(s.path(), &["merge", "-q", "main"]);
    s.commit(
        &[("changes/CHG-0051.yaml", &change("CHG-0051", "draft", "low", ""))],
        "next",
    );
    assert_exactly(
        &s.gate("carol", &[], &[]),
        1,
        &[("7-emergency-review", "CHG-0051")],
    );
    // Closing it with its review in the same PR clears it.
    let closed = format!("{emergency}  - {{at: 2026-11-21T11:00:00Z, by: carol, status: closed}}\n")
        .replace("status: completed\n", "status: closed\n")
        .replace(
            "outcome: successful\n",
            "outcome: successful\nreview: Root cause found.\n",
        );
    s.commit(&[("changes/CHG-0050.yaml", &closed)], "review");
    assert_exactly(&s.gate("carol", &[], &[]), 0, &[]);
}

// 12. The base tip, not a remembered sha -----------------------------------------------------

#[test]
fn a_freeze_added_on_main_after_branching_flips_the_verdict() {
    let s = Scratch::new();
    submitted_at_base(&s, "CHG-0001", "web", LATER_WINDOW);
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            change(
                "CHG-0001",
                "scheduled",
                "low",
                &format!("{LATER_WINDOW}{APPROVED_BY_ALICE}"),
            )
            .as_str(),
        )],
        "schedule",
    );
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
    let frozen = POLICY.replace(
        "freeze:\n",
        "freeze:\n  - {name: Incident freeze, start: 2026-11-22T00:00:00Z, end: 2026-11-25T00:00:00Z}\n",
    );
    s.commit_on_main(&[("policies/default.yaml", &frozen)], "freeze");
    assert_exactly(
        &s.gate("carol", &[("alice", "APPROVED", &sha)], &[]),
        1,
        &[("5-schedule", "CHG-0001")],
    );
}

/// With the ITSM repo in a sub-folder, a check's `file` is relative to the
/// git root, so its annotation lands on the PR's diff (cargo-mutants: the
/// mapping could be dropped unnoticed).
#[test]
fn with_a_sub_folder_itsm_root_checks_name_files_from_the_git_root() {
    let s = subfolder();
    s.rm("itsm/changes/CHG-0001.yaml");
    s.commit(&[], "drop it");
    let (code, v, _) = s.gate_in("itsm", "carol", "[]", &[]);
    assert_eq!(code, 1, "{v:#}");
    let files: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "3-history" && c["outcome"] == "fail")
        .filter_map(|c| c["file"].as_str())
        .collect();
    assert_eq!(files, ["itsm/changes/CHG-0001.yaml"], "{v:#}");
}

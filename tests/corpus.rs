//! The bad-input corpus: every broken record gives a finding with the right
//! code on the right line — never a panic, a hang or a silent skip.

use crate::common::*;
use std::path::Path;

const INCIDENT: &str = "\
apiVersion: gitsm/v1
kind: Incident
id: INC-0001
title: Checkout errors
service: web
impact: high
urgency: high
priority: P1
status: resolved
reported_at: 2026-11-20T09:14:00Z
reported_by: alice
customer_impact: major_outage
timeline:
  - at: 2026-11-20T09:14:00Z
    by: alice
    status: new
  - at: 2026-11-20T09:20:00Z
    by: bob
    status: acknowledged
  - at: 2026-11-20T10:00:00Z
    by: bob
    status: resolved
    note: rolled back
";

const CHANGE: &str = "\
apiVersion: gitsm/v1
kind: Change
id: CHG-0001
title: Upgrade database
status: completed
type: normal
risk: medium
services: [web]
requested_by: carol
plan: upgrade
rollback_plan: restore snapshot
outcome: successful
window:
  start: 2026-11-22T22:00:00Z
  end: 2026-11-22T23:00:00Z
approvals:
  - by: your-github-login
    at: 2026-11-20T12:00:00Z
timeline:
  - {at: 2026-11-19T09:00:00Z, by: carol, status: draft}
  - {at: 2026-11-19T09:05:00Z, by: carol, status: submitted}
  - {at: 2026-11-20T12:00:00Z, by: your-github-login, status: approved}
  - {at: 2026-11-20T12:05:00Z, by: carol, status: scheduled}
  - {at: 2026-11-22T22:00:00Z, by: carol, status: implementing}
  - {at: 2026-11-22T22:40:00Z, by: carol, status: completed}
";

/// A fresh scaffolded repo (via the library, no process) plus `files`.
fn repo_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in gitsm::init::scaffold("corpus") {
        write(dir.path(), &path, body);
    }
    for (path, body) in files {
        write(dir.path(), path, body);
    }
    dir
}

/// Asserts that validating gives `code` at `file:line` and no panic.
fn expect(root: &Path, code: &str, file: &str, line: u64) {
    let mut c = gitsm(root);
    c.args(["validate", "--format", "json"]);
    let (exit, out, err) = run(c);
    assert!(!err.contains("panicked"), "panic: {err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let findings = doc["findings"].as_array().unwrap();
    let hit = findings
        .iter()
        .any(|f| f["code"] == code && f["file"] == file && f["line"].as_u64() == Some(line));
    assert!(hit, "expected {code} at {file}:{line}, got {findings:#?}");
    let is_error = code.starts_with('E');
    assert_eq!(exit, if is_error { 1 } else { exit.min(1) }, "exit code");
    if is_error {
        assert_eq!(exit, 1);
    }
}

fn case(path: &str, body: &str, code: &str, line: u64) {
    let dir = repo_with(&[(path, body.as_bytes())]);
    expect(dir.path(), code, path, line);
}

fn incident_with(from: &str, to: &str) -> String {
    assert!(INCIDENT.contains(from), "fixture lacks {from:?}");
    INCIDENT.replacen(from, to, 1)
}

fn change_with(from: &str, to: &str) -> String {
    assert!(CHANGE.contains(from), "fixture lacks {from:?}");
    CHANGE.replacen(from, to, 1)
}

#[test]
fn fixtures_are_valid() {
    let dir = repo_with(&[
        ("incidents/INC-0001.yaml", INCIDENT.as_bytes()),
        ("changes/CHG-0001.yaml", CHANGE.as_bytes()),
    ]);
    let (code, findings) = validate_json(dir.path());
    assert_eq!(code, 0, "{findings:#?}");
    assert!(findings.is_empty(), "{findings:#?}");
}

// --- the file and its YAML ---

#[test]
fn malformed_yaml() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("title: Checkout errors", "title: [unclosed"),
        "E0001",
        5,
    );
}

#[test]
fn duplicate_key() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("urgency: high\n", "urgency: high\nurgency: low\n"),
        "E0002",
        8,
    );
}

#[test]
fn alias_bomb() {
    let mut s = String::from("apiVersion: gitsm/v1\nkind: Incident\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='i' {
        s.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    case("incidents/INC-0001.yaml", &s, "E0003", 3);
}

#[test]
fn deep_nesting_100k() {
    let s = format!(
        "apiVersion: gitsm/v1\nkind: Incident\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    case("incidents/INC-0001.yaml", &s, "E0007", 3);
}

#[test]
fn deep_block_nesting() {
    let mut s = String::from("apiVersion: gitsm/v1\nkind: Incident\n");
    for depth in 0..200 {
        s.push_str(&format!("{}k:\n", "  ".repeat(depth)));
    }
    let dir = repo_with(&[("incidents/INC-0001.yaml", s.as_bytes())]);
    let (code, findings) = validate_json(dir.path());
    assert_eq!(code, 1);
    assert!(findings.iter().any(|f| f["code"] == "E0007"), "{findings:#?}");
}

#[test]
fn binary_file() {
    let dir = repo_with(&[("changes/CHG-0001.yaml", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe")]);
    expect(dir.path(), "E0011", "changes/CHG-0001.yaml", 1);
}

#[test]
fn not_utf8() {
    let dir = repo_with(&[("changes/CHG-0001.yaml", b"apiVersion: gitsm/v1\ntitle: caf\xe9\n")]);
    expect(dir.path(), "E0011", "changes/CHG-0001.yaml", 1);
}

#[test]
fn fifty_megabyte_file() {
    let mut big = String::from("apiVersion: gitsm/v1\nkind: Incident\nnote: \"");
    big.push_str(&"x".repeat(50 * 1024 * 1024));
    big.push_str("\"\n");
    case("incidents/INC-0001.yaml", &big, "E0010", 1);
}

#[test]
fn merge_key() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("impact: high\n", "<<: {impact: high}\n"),
        "E0005",
        6,
    );
}

#[test]
fn custom_tag() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("title: Checkout errors", "title: !!python/object:os.system ls"),
        "E0004",
        4,
    );
}

#[test]
fn two_documents() {
    case(
        "incidents/INC-0001.yaml",
        &format!("{INCIDENT}---\n{INCIDENT}"),
        "E0006",
        24,
    );
}

#[test]
fn empty_file_in_record_folder() {
    case("problems/PRB-0001.yaml", "# nothing here\n", "E0009", 1);
}

#[test]
fn yaml_without_api_version_in_record_folder() {
    case("requests/notes.yaml", "title: just some notes\n", "E0012", 1);
}

#[test]
fn wrong_api_version() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("gitsm/v1", "gitsm/v2"),
        "E0012",
        1,
    );
}

#[test]
fn unknown_kind_with_hint() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("kind: Incident", "kind: Incidnet"),
        "E0013",
        2,
    );
}

#[test]
fn top_level_list() {
    case("incidents/INC-0001.yaml", "- a\n- b\n", "E0016", 1);
}

#[test]
fn misspelt_folder_upper_case_extension_is_still_loaded() {
    let dir = repo_with(&[("Changes/CHG-0001.YAML", CHANGE.as_bytes())]);
    expect(dir.path(), "W0001", "Changes/CHG-0001.YAML", 2);
    // Loaded by kind: a rule finding on it proves it was not skipped.
    let broken = change_with("status: completed\n", "status: closed\n");
    let dir = repo_with(&[("Changes/CHG-0001.YAML", broken.as_bytes())]);
    expect(dir.path(), "E0301", "Changes/CHG-0001.YAML", 5);
}

#[test]
fn broken_file_in_misspelt_folder_is_a_finding() {
    // The end of the stream is on the file's only line, not on a line 2 it
    // does not have.
    case("Incidents/INC-0001.yml", "title: [oops\n", "E0001", 1);
}

#[test]
fn kind_like_file_elsewhere_is_flagged() {
    case(
        "notes/old-change.yaml",
        "kind: Change\nid: CHG-0099\n",
        "W0002",
        1,
    );
}

#[cfg(unix)]
#[test]
fn symlinked_record() {
    let dir = repo_with(&[("elsewhere/real.txt", CHANGE.as_bytes())]);
    std::os::unix::fs::symlink(
        dir.path().join("elsewhere/real.txt"),
        dir.path().join("changes/CHG-0001.yaml"),
    )
    .unwrap();
    expect(dir.path(), "E0014", "changes/CHG-0001.yaml", 1);
}

#[test]
fn config_outside_root() {
    case(
        "policies/extra-config.yaml",
        "apiVersion: gitsm/v1\nkind: Config\nid: x\n",
        "E0502",
        1,
    );
}

// --- the schema layer ---

#[test]
fn timestamp_without_offset() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with(
            "reported_at: 2026-11-20T09:14:00Z",
            "reported_at: 2026-11-20T09:14:00",
        ),
        "E0105",
        10,
    );
}

#[test]
fn date_instead_of_timestamp() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("  - at: 2026-11-20T09:20:00Z", "  - at: 2026-11-20"),
        "E0105",
        17,
    );
}

#[test]
fn impossible_date() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with(
            "reported_at: 2026-11-20T09:14:00Z",
            "reported_at: 2026-02-30T09:14:00Z",
        ),
        "E0105",
        10,
    );
}

#[test]
fn risk_no_is_not_false() {
    case(
        "changes/CHG-0001.yaml",
        &change_with("risk: medium", "risk: no"),
        "E0104",
        7,
    );
}

#[test]
fn unknown_field_typo_has_did_you_mean() {
    let dir = repo_with(&[(
        "incidents/INC-0001.yaml",
        incident_with("reported_by:", "reportd_by:").as_bytes(),
    )]);
    let (_, findings) = validate_json(dir.path());
    let f = findings.iter().find(|f| f["code"] == "E0102").expect("E0102");
    assert_eq!(f["line"], 11);
    assert_eq!(f["hint"], "did you mean `reported_by`?");
}

#[test]
fn wrong_enum_value() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("customer_impact: major_outage", "customer_impact: total_meltdown"),
        "E0104",
        12,
    );
}

#[test]
fn missing_required_field_is_never_defaulted() {
    case(
        "changes/CHG-0001.yaml",
        &change_with("risk: medium\n", ""),
        "E0103",
        1,
    );
}

#[test]
fn wrong_type() {
    let dir = repo_with(&[(
        "catalog/api.yaml",
        b"apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: alice\ntier: one\n",
    )]);
    expect(dir.path(), "E0101", "catalog/api.yaml", 6);
}

// --- ids and references ---

#[test]
fn duplicate_ids() {
    let dir = repo_with(&[
        ("incidents/INC-0001.yaml", INCIDENT.as_bytes()),
        ("incidents/INC-0002.yaml", INCIDENT.as_bytes()),
    ]);
    expect(dir.path(), "E0201", "incidents/INC-0002.yaml", 3);
}

#[test]
fn malformed_ticket_id() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("id: INC-0001", "id: INC-1"),
        "E0202",
        3,
    );
}

#[test]
fn dangling_service() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("service: web", "service: wbe"),
        "E0210",
        5,
    );
}

#[test]
fn dangling_sla() {
    case(
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: alice\nsla: platinum\n",
        "E0211",
        6,
    );
}

#[test]
fn dangling_calendar() {
    case(
        "slas/gold.yaml",
        "apiVersion: gitsm/v1\nkind: SLA\nid: gold\ncalendar: mars-time\ntargets:\n  P1: {response: 15m}\n",
        "E0212",
        4,
    );
}

#[test]
fn dangling_problem() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("reported_by: alice\n", "reported_by: alice\nproblem: PRB-0404\n"),
        "E0213",
        12,
    );
}

#[test]
fn dangling_related() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with(
            "reported_by: alice\n",
            "reported_by: alice\nrelated: [CHG-0999]\n",
        ),
        "E0215",
        12,
    );
}

#[test]
fn depends_on_cycle() {
    let svc = |id: &str, dep: &str| {
        format!("apiVersion: gitsm/v1\nkind: Service\nid: {id}\nname: {id}\nowner: alice\ndepends_on:\n  - {dep}\n")
    };
    let dir = repo_with(&[
        ("catalog/a.yaml", svc("a", "b").as_bytes()),
        ("catalog/b.yaml", svc("b", "c").as_bytes()),
        ("catalog/c.yaml", svc("c", "a").as_bytes()),
    ]);
    let (code, findings) = validate_json(dir.path());
    assert_eq!(code, 1);
    let cycles: Vec<_> = findings.iter().filter(|f| f["code"] == "E0220").collect();
    assert_eq!(cycles.len(), 1, "one cycle, reported once: {findings:#?}");
    assert_eq!(cycles[0]["line"], 7);
    assert!(
        cycles[0]["message"].as_str().unwrap().contains("a → b → c → a"),
        "{cycles:?}"
    );
}

// --- timeline and workflow ---

#[test]
fn status_differs_from_timeline() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("status: resolved\n", "status: closed\n"),
        "E0301",
        9,
    );
}

#[test]
fn out_of_order_timeline() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("  - at: 2026-11-20T10:00:00Z", "  - at: 2026-11-20T09:00:00Z"),
        "E0302",
        20,
    );
}

#[test]
fn illegal_move_inside_timeline() {
    let body = change_with(
        "  - {at: 2026-11-19T09:05:00Z, by: carol, status: submitted}\n",
        "",
    );
    let dir = repo_with(&[("changes/CHG-0001.yaml", body.as_bytes())]);
    let (_, findings) = validate_json(dir.path());
    let f = findings.iter().find(|f| f["code"] == "E0303").expect("E0303");
    assert_eq!(f["line"], 21);
    assert!(f["hint"].as_str().unwrap().contains("submitted"), "{f}");
}

#[test]
fn timeline_not_starting_with_creation() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with(
            "    by: alice\n    status: new\n",
            "    by: alice\n    note: created\n",
        ),
        "E0304",
        14,
    );
}

// --- kind-specific rules ---

#[test]
fn priority_contradicts_matrix() {
    case(
        "incidents/INC-0001.yaml",
        &incident_with("priority: P1", "priority: P3"),
        "E0401",
        8,
    );
}

#[test]
fn priority_override_with_reason_is_fine() {
    let body = incident_with(
        "priority: P1",
        "priority: P3\npriority_override_reason: only internal users",
    );
    let dir = repo_with(&[("incidents/INC-0001.yaml", body.as_bytes())]);
    let (code, findings) = validate_json(dir.path());
    assert_eq!(code, 0, "{findings:#?}");
}

#[test]
fn window_end_before_start() {
    case(
        "changes/CHG-0001.yaml",
        &change_with("end: 2026-11-22T23:00:00Z", "end: 2026-11-22T21:00:00Z"),
        "E0402",
        15,
    );
}

#[test]
fn completed_change_without_outcome() {
    case(
        "changes/CHG-0001.yaml",
        &change_with("outcome: successful\n", ""),
        "E0403",
        5,
    );
}

#[test]
fn closed_emergency_without_review() {
    let body = change_with("type: normal", "type: emergency")
        .replace("status: completed\n", "status: closed\n")
        + "  - {at: 2026-11-23T09:00:00Z, by: carol, status: closed}\n";
    case("changes/CHG-0001.yaml", &body, "E0404", 5);
}

#[test]
fn scheduled_change_without_window() {
    let body = change_with(
        "window:\n  start: 2026-11-22T22:00:00Z\n  end: 2026-11-22T23:00:00Z\n",
        "",
    );
    case("changes/CHG-0001.yaml", &body, "E0405", 5);
}

#[test]
fn normal_change_without_rollback_plan() {
    case(
        "changes/CHG-0001.yaml",
        &change_with("rollback_plan: restore snapshot\n", ""),
        "E0406",
        6,
    );
}

#[test]
fn unknown_time_zone() {
    case(
        "slas/office.yaml",
        "apiVersion: gitsm/v1\nkind: Calendar\nid: office\ntimezone: Europe/Atlantis\nhours:\n  mon-fri: \"09:00-17:00\"\n",
        "E0407",
        4,
    );
}

#[test]
fn bad_hours() {
    case(
        "slas/office.yaml",
        "apiVersion: gitsm/v1\nkind: Calendar\nid: office\ntimezone: UTC\nhours:\n  mon-fri: \"17:00-09:00\"\n",
        "E0408",
        6,
    );
}

// --- repo-wide rules ---

#[test]
fn two_change_policies() {
    let second = std::fs::read_to_string(crate::common::manifest_dir().join("src/init.rs")).unwrap();
    assert!(second.contains("kind: ChangePolicy"));
    let dir = repo_with(&[]);
    let policy = std::fs::read_to_string(dir.path().join("policies/default.yaml")).unwrap();
    write(
        dir.path(),
        "policies/second.yaml",
        policy.replace("id: default", "id: second"),
    );
    expect(dir.path(), "E0504", "policies/second.yaml", 5);
}

#[test]
fn approved_change_with_too_few_approvals() {
    let body = change_with(
        "approvals:\n  - by: your-github-login\n    at: 2026-11-20T12:00:00Z\n",
        "",
    );
    case("changes/CHG-0001.yaml", &body, "E0505", 5);
}

#[test]
fn no_config_at_all() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "incidents/INC-0001.yaml", INCIDENT);
    let mut c = gitsm(dir.path());
    c.args(["--repo", ".", "validate", "--format", "json"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    assert!(out.contains("E0501"), "{out}");
}

/// `gitsm validate` keeps only per-record facts (`validate_summary`); the
/// gate and the reports keep every record (`validate`). Both must find the
/// same thing, rule for rule, on a repo that breaks most rules at once
/// (one policy, so the approval rule runs too).
#[test]
fn lean_and_full_validation_agree() {
    let svc = |id: &str, dep: &str| {
        format!("apiVersion: gitsm/v1\nkind: Service\nid: {id}\nname: {id}\nowner: alice\nsla: platinum\npaths: [\"src/[x\"]\ndepends_on:\n  - {dep}\n")
    };
    let dir = repo_with(&[]);
    let files: Vec<(&str, String)> = vec![
        ("catalog/a.yaml", svc("a", "b")),
        ("catalog/b.yaml", svc("b", "a")),
        (
            "slas/gold.yaml",
            "apiVersion: gitsm/v1\nkind: SLA\nid: gold\ncalendar: mars-time\ntargets:\n  P1: {response: 15m}\n".into(),
        ),
        (
            "slas/office.yaml",
            "apiVersion: gitsm/v1\nkind: Calendar\nid: office\ntimezone: Europe/Atlantis\nhours:\n  mon-fri: \"17:00-09:00\"\n  funday: \"09:00-10:00\"\n".into(),
        ),
        ("incidents/INC-0001.yaml", INCIDENT.into()),
        ("incidents/INC-0002.yaml", INCIDENT.into()),
        (
            "incidents/INC-0003.yaml",
            incident_with("id: INC-0001", "id: INC-3")
                .replace("service: web", "service: wbe")
                .replace("priority: P1", "priority: P3")
                .replacen("status: resolved\n", "status: closed\n", 1)
                .replace(
                    "reported_by: alice\n",
                    "reported_by: alice\nproblem: PRB-0404\nrelated: [CHG-0999]\n",
                ),
        ),
        (
            "changes/CHG-0001.yaml",
            change_with("outcome: successful\n", "")
                .replace("rollback_plan: restore snapshot\n", "")
                .replace("end: 2026-11-22T23:00:00Z", "end: 2026-11-22T21:00:00Z")
                .replace(
                    "approvals:\n  - by: your-github-login\n    at: 2026-11-20T12:00:00Z\n",
                    "",
                ),
        ),
    ];
    for (path, body) in &files {
        write(dir.path(), path, body);
    }
    let source = gitsm::repo::WorkTree::new(dir.path());
    let full = gitsm::validate::validate(&source).unwrap();
    let lean = gitsm::validate::validate_summary(&source).unwrap();
    let show = |fs: &[gitsm::diag::Finding]| -> Vec<String> {
        fs.iter()
            .map(|f| {
                format!(
                    "{} {}:{}:{} {}",
                    f.code.as_str(),
                    f.file,
                    f.pos.line,
                    f.pos.column,
                    f.message
                )
            })
            .collect()
    };
    assert_eq!(show(&full.findings), show(&lean.findings));
    assert_eq!(full.snapshot.records.len(), lean.records);
    assert_eq!(full.snapshot.files, lean.files);
    let codes: std::collections::BTreeSet<String> = lean
        .findings
        .iter()
        .map(|f| f.code.as_str().to_string())
        .collect();
    for code in [
        "E0201", "E0202", "E0210", "E0211", "E0212", "E0213", "E0215", "E0220", "E0301", "E0401", "E0402",
        "E0403", "E0406", "E0407", "E0408", "E0505",
    ] {
        assert!(codes.contains(code), "{code} missing from {codes:?}");
    }
}

// --- codes not covered above, and inputs that must not stall ---

#[test]
fn complex_mapping_key() {
    case(
        "incidents/INC-0001.yaml",
        "apiVersion: gitsm/v1\n? [a, b]\n: c\n",
        "E0008",
        2,
    );
}

#[test]
fn value_out_of_range() {
    case(
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: alice\ntier: 9\n",
        "E0106",
        6,
    );
}

#[test]
fn dangling_incident_in_problem() {
    case(
        "problems/PRB-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Problem\nid: PRB-0001\ntitle: Pool exhaustion\nstatus: new\nincidents:\n  - INC-0404\ntimeline:\n  - {at: 2026-11-20T09:00:00Z, by: alice, status: new}\n",
        "E0214",
        7,
    );
}

#[test]
fn no_change_policy() {
    let dir = repo_with(&[]);
    std::fs::remove_file(dir.path().join("policies/default.yaml")).unwrap();
    // On the root mapping of gitsm.yaml (after its comment lines): a file,
    // not the folder `policies/`, so SARIF and annotations can place it.
    expect(dir.path(), "E0503", "gitsm.yaml", 3);
}

#[test]
fn change_no_policy_rule_matches() {
    let dir = repo_with(&[("changes/CHG-0001.yaml", CHANGE.as_bytes())]);
    let policy = std::fs::read_to_string(dir.path().join("policies/default.yaml")).unwrap();
    let rule = "  - match: {type: normal}\n    approvals: 1\n    from: cab\n";
    assert!(policy.contains(rule), "scaffold policy changed: {policy}");
    write(dir.path(), "policies/default.yaml", policy.replace(rule, ""));
    expect(dir.path(), "E0506", "changes/CHG-0001.yaml", 6);
}

#[test]
fn file_name_differs_from_id_is_a_warning() {
    let dir = repo_with(&[("incidents/INC-0002.yaml", INCIDENT.as_bytes())]);
    expect(dir.path(), "W0003", "incidents/INC-0002.yaml", 3);
    let (code, _) = validate_json(dir.path());
    assert_eq!(code, 0, "a warning alone does not fail validation");
}

#[test]
fn thousands_of_unknown_fields_are_summarised() {
    let mut body = String::from("apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: alice\n");
    for i in 0..20_000 {
        body.push_str(&format!("made_up_{i}: x\n"));
    }
    let dir = repo_with(&[("catalog/api.yaml", body.as_bytes())]);
    let (code, findings) = validate_json(dir.path());
    assert_eq!(code, 1);
    let unknown: Vec<_> = findings.iter().filter(|f| f["code"] == "E0102").collect();
    assert_eq!(unknown.len(), 21, "20 named, then one summary");
    let first = unknown
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("`made_up_0`"))
        .expect("the first unknown field is named");
    assert_eq!(first["line"], 6);
    assert!(
        unknown.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("19980 more unknown fields")),
        "{:?}",
        unknown.last()
    );
}

#[test]
fn fifo_is_refused_not_waited_on() {
    let dir = repo_with(&[]);
    let fifo = dir.path().join("changes/CHG-0001.yaml");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    // Nobody ever writes to the FIFO: opening it for reading would block forever.
    expect(dir.path(), "E0015", "changes/CHG-0001.yaml", 1);
}

#[test]
fn symlinked_record_folder() {
    let dir = repo_with(&[("elsewhere/CHG-0001.yaml", CHANGE.as_bytes())]);
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), dir.path().join("Changes")).unwrap();
    expect(dir.path(), "E0014", "Changes", 1);
}

#[test]
fn symlinked_record_folder_in_git() {
    let dir = repo_with(&[("elsewhere/CHG-0001.yaml", CHANGE.as_bytes())]);
    let _ = std::fs::remove_dir_all(dir.path().join("changes"));
    std::os::unix::fs::symlink("elsewhere", dir.path().join("changes")).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    let repo = git2::Repository::open(dir.path()).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    let source = gitsm::repo::GitTree::new(&repo, &tree).unwrap();
    let v = gitsm::validate::validate(&source).unwrap();
    assert!(
        v.findings
            .iter()
            .any(|f| f.code.as_str() == "E0014" && f.file == "changes"),
        "{:#?}",
        v.findings
    );
}

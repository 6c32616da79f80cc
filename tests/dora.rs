//! DORA four keys (`gitsm report --format json`, field `dora`) on a real git
//! history built here with known commit times, against values computed by
//! hand from the definitions (docs/metrics.md).

use crate::common::{gitsm, run, write};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Runs git with fixed identity and the given author and committer dates.
fn git_at(dir: &Path, author: &str, committer: &str, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", author)
        .env("GIT_COMMITTER_DATE", committer)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, files: &[(&str, &str)], at: &str, msg: &str) {
    for (p, b) in files {
        write(dir, p, b);
    }
    git_at(dir, at, at, &["add", "-A"]);
    git_at(dir, at, at, &["commit", "-q", "-m", msg]);
}

/// Merges `branch` into main with a merge commit at `at`; returns its sha.
fn merge(dir: &Path, branch: &str, at: &str) -> String {
    git_at(dir, at, at, &["checkout", "-q", "main"]);
    git_at(
        dir,
        at,
        at,
        &["merge", "-q", "--no-ff", "-m", &format!("Merge {branch}"), branch],
    );
    git_at(dir, at, at, &["rev-parse", "HEAD"])
}

fn branch(dir: &Path, name: &str) {
    git_at(
        dir,
        "2026-10-01T00:00:00Z",
        "2026-10-01T00:00:00Z",
        &["checkout", "-q", "-b", name, "main"],
    );
}

const CONFIG: &str = "apiVersion: gitsm/v1\nkind: Config\nid: dora\ntimezone: UTC\n";
const WEB: &str =
    "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: carol\npaths:\n  - deploy/web/**\n";
const POLICY: &str = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\nrules:\n  - match: {type: normal}\n    approvals: 0\n";

/// A normal change on `web`, completed at `done` with `outcome`
/// (or only approved when `done` is `None`).
fn change(id: &str, done: Option<(&str, &str)>) -> String {
    let mut tl = String::from(
        "  - {at: 2026-10-20T09:00:00Z, by: carol, status: draft}\n  - {at: 2026-10-20T09:00:00Z, by: carol, status: submitted}\n  - {at: 2026-10-21T09:00:00Z, by: carol, status: approved}\n",
    );
    let (status, outcome) = match done {
        Some((at, outcome)) => {
            tl.push_str(&format!(
                "  - {{at: 2026-10-21T09:00:00Z, by: carol, status: scheduled}}\n  - {{at: {at}, by: carol, status: implementing}}\n  - {{at: {at}, by: carol, status: completed}}\n"
            ));
            ("completed", format!("outcome: {outcome}\n"))
        }
        None => ("approved", String::new()),
    };
    format!(
        "apiVersion: gitsm/v1\nkind: Change\nid: {id}\ntitle: Ship {id}\nstatus: {status}\ntype: normal\nrisk: low\nservices: [web]\nrequested_by: carol\nplan: Ship.\nrollback_plan: Revert.\nwindow: {{start: 2026-10-25T09:00:00Z, end: 2026-10-25T10:00:00Z}}\n{outcome}timeline:\n{tl}"
    )
}

const INCIDENT: &str = "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Website broken after CHG-0003\nservice: web\nimpact: high\nurgency: high\nstatus: resolved\nreported_at: 2026-11-20T11:00:00Z\nreported_by: carol\ncustomer_impact: major_outage\ncaused_by: CHG-0003\ntimeline:\n  - {at: 2026-11-20T11:00:00Z, by: carol, status: new}\n  - {at: 2026-11-20T13:30:00Z, by: carol, status: resolved}\n";

/// Returns the sha of the one merge no change covers.
fn history(dir: &Path) -> String {
    git_at(
        dir,
        "2026-10-01T00:00:00Z",
        "2026-10-01T00:00:00Z",
        &["init", "-q", "-b", "main"],
    );
    commit(
        dir,
        &[
            ("gitsm.yaml", CONFIG),
            ("catalog/web.yaml", WEB),
            ("policies/default.yaml", POLICY),
            ("deploy/web/app.conf", "v0\n"),
        ],
        "2026-10-01T00:00:00Z",
        "base",
    );
    // October: a merge on web before the period; not counted.
    branch(dir, "old");
    commit(
        dir,
        &[("deploy/web/app.conf", "v1\n")],
        "2026-10-14T09:00:00Z",
        "tune",
    );
    merge(dir, "old", "2026-10-15T09:00:00Z");
    // f1 files CHG-0001 with the code: first commit 2 Nov 09:00.
    branch(dir, "f1");
    commit(dir, &[("deploy/web/a.conf", "a\n")], "2026-11-02T09:00:00Z", "a");
    commit(
        dir,
        &[
            ("deploy/web/b.conf", "b\n"),
            ("changes/CHG-0001.yaml", &change("CHG-0001", None)),
        ],
        "2026-11-03T09:00:00Z",
        "b, CHG-0001",
    );
    merge(dir, "f1", "2026-11-04T12:00:00Z");
    // f2: code on web with no change at all.
    branch(dir, "f2");
    commit(
        dir,
        &[("deploy/web/c.conf", "c\n")],
        "2026-11-10T08:00:00Z",
        "hotfix without a change",
    );
    let uncovered = merge(dir, "f2", "2026-11-10T12:00:00Z");
    // f3 names CHG-0002 in its message.
    branch(dir, "f3");
    commit(
        dir,
        &[("deploy/web/d.conf", "d\n")],
        "2026-11-11T09:00:00Z",
        "d\n\nChange: CHG-0002",
    );
    merge(dir, "f3", "2026-11-11T15:00:00Z");
    // The records as they stand at the end of the month.
    commit(
        dir,
        &[
            (
                "changes/CHG-0001.yaml",
                &change("CHG-0001", Some(("2026-11-05T10:00:00Z", "successful"))),
            ),
            (
                "changes/CHG-0002.yaml",
                &change("CHG-0002", Some(("2026-11-12T10:00:00Z", "rolled_back"))),
            ),
            (
                "changes/CHG-0003.yaml",
                &change("CHG-0003", Some(("2026-11-20T10:00:00Z", "successful"))),
            ),
            ("incidents/INC-0001.yaml", INCIDENT),
        ],
        "2026-11-30T10:00:00Z",
        "records",
    );
    uncovered
}

fn dora(dir: &Path) -> Value {
    dora_of(dir, &[])
}

fn dora_of(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--period", "2026-11"];
    args.extend(extra);
    report(dir, &args)["dora"].clone()
}

/// `gitsm report --format json ARGS` at the end of November 2026.
fn report(dir: &Path, args: &[&str]) -> Value {
    let mut c = gitsm(dir);
    c.args(["--now", "2026-11-30T12:00:00Z", "report", "--format", "json"]);
    c.args(args);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn four_keys_from_a_real_history_match_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let uncovered = history(dir.path());
    let d = dora(dir.path());
    // 3 changes completed in November + the f2 merge; f1 and f3 belong to
    // CHG-0001/CHG-0002, the October merge is outside. 29.5 days measured.
    let per_day = 4.0 / 29.5;
    let lead_1 = 3 * 86400 + 3600; // 2 Nov 09:00 → 5 Nov 10:00
    let lead_2 = 25 * 3600; // 11 Nov 09:00 → 12 Nov 10:00
    let expected = json!({
        "deployment_frequency": {
            "deployments": 4,
            "from_changes": 3,
            "from_merges_without_change": 1,
            "uncovered_merges": [uncovered],
            "days": 29.5,
            "per_day": per_day,
            "per_week": per_day * 7.0,
            // 0.95 a week: under weekly, at least monthly.
            "band": "medium",
            "how": "changes reaching `completed` in the period, plus merges to the branch touching a service's `paths` that no change covers",
        },
        "lead_time": {
            "count": 2,
            "median_seconds": (lead_1 + lead_2) / 2,
            "p90_seconds": lead_1,
            "band": "high",
            "how": "first commit of the merged branch → the change's `completed` event, for changes completed in the period that a merge covers",
        },
        "change_failure_rate": {
            "completed": 3,
            "failed": 2,
            "rate": 2.0 / 3.0,
            "failed_changes": ["CHG-0002", "CHG-0003"],
            "band": "low",
            "how": "changes completed in the period named by an incident's `caused_by` or with outcome failed/rolled_back, ÷ changes completed in the period",
        },
        "recovery_time": {
            "count": 1,
            "median_seconds": 9000,
            "p90_seconds": 9000,
            "band": "high",
            "how": "incidents caused by the period's failed changes: `reported_at` → first resolution (open ones up to now)",
        },
        "git": true,
    });
    assert_eq!(d, expected);
}

#[test]
fn service_counts_only_its_changes_and_the_merges_touching_its_paths() {
    let dir = tempfile::tempdir().unwrap();
    let web_uncovered = history(dir.path());
    // A second service with one change, and a merge on it no change covers.
    branch(dir.path(), "f4");
    commit(
        dir.path(),
        &[("deploy/api/z.conf", "z\n")],
        "2026-11-30T10:10:00Z",
        "api tweak",
    );
    let api_uncovered = merge(dir.path(), "f4", "2026-11-30T10:20:00Z");
    let api_change = change("CHG-0004", Some(("2026-11-26T10:00:00Z", "failed")))
        .replace("services: [web]", "services: [api]");
    commit(
        dir.path(),
        &[
            (
                "catalog/api.yaml",
                "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: carol\npaths:\n  - deploy/api/**\n",
            ),
            ("changes/CHG-0004.yaml", &api_change),
        ],
        "2026-11-30T10:30:00Z",
        "api records",
    );
    let all = dora(dir.path());
    assert_eq!(all["deployment_frequency"]["from_changes"], 4);
    assert_eq!(
        all["deployment_frequency"]["uncovered_merges"],
        json!([api_uncovered.clone(), web_uncovered.clone()])
    );
    let web = dora_of(dir.path(), &["--service", "web"]);
    assert_eq!(web["deployment_frequency"]["from_changes"], 3);
    assert_eq!(
        web["deployment_frequency"]["uncovered_merges"],
        json!([web_uncovered])
    );
    assert_eq!(
        web["change_failure_rate"]["failed_changes"],
        json!(["CHG-0002", "CHG-0003"])
    );
    let api = dora_of(dir.path(), &["--service", "api"]);
    assert_eq!(api["deployment_frequency"]["deployments"], 2);
    assert_eq!(
        api["deployment_frequency"]["uncovered_merges"],
        json!([api_uncovered])
    );
    assert_eq!(api["change_failure_rate"]["failed_changes"], json!(["CHG-0004"]));
    assert_eq!(api["lead_time"]["count"], 0);
    assert_eq!(api["recovery_time"]["count"], 0);
}

#[test]
fn without_git_only_change_records_count() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path());
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    let d = dora(dir.path());
    assert_eq!(d["git"], false);
    assert_eq!(d["deployment_frequency"]["deployments"], 3);
    assert_eq!(d["deployment_frequency"]["from_merges_without_change"], 0);
    assert_eq!(d["lead_time"]["count"], 0);
    assert!(d["lead_time"]["median_seconds"].is_null());
    assert_eq!(d["change_failure_rate"]["failed"], 2);
}

#[test]
fn caused_by_must_name_a_change() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path());
    write(
        dir.path(),
        "incidents/INC-0001.yaml",
        INCIDENT.replace("caused_by: CHG-0003", "caused_by: CHG-0009"),
    );
    let (code, findings) = crate::common::validate_json(dir.path());
    assert_eq!(code, 1);
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("E0901", "`caused_by` names `CHG-0009`, which is no change")]
    );
}

#[test]
fn trends_give_twelve_months_of_each_kpi_and_the_direction() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path());
    let doc = report(dir.path(), &["--period", "2026-11"]);
    let t = &doc["trends"];
    let months: Vec<String> = (0..12)
        .map(|k| {
            let m = (11 + k) % 12 + 1;
            format!("{}-{m:02}", if k == 0 { 2025 } else { 2026 })
        })
        .collect();
    assert_eq!(t["months"], json!(months));
    let series = |key: &str| -> Value {
        t["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .clone()
    };
    let mut none = vec![Value::Null; 10];
    // Change failure rate: nothing completed before November.
    let cfr = series("change_failure_rate");
    none.extend([Value::Null, json!(100.0 * (2.0 / 3.0))]);
    assert_eq!(cfr["values"], json!(none));
    assert_eq!(
        (cfr["direction"].clone(), cfr["better"].clone()),
        (Value::Null, json!("lower"))
    );
    // Deployments per week: in October the base commit (pushed straight to
    // main) and the `old` merge touched web with no change; November as above.
    let dep = series("deployments_per_week");
    let mut expected = vec![json!(0.0); 10];
    expected.extend([json!(2.0 / 31.0 * 7.0), json!(4.0 / 29.5 * 7.0)]);
    assert_eq!(dep["values"], json!(expected));
    assert_eq!(dep["direction"], "better");
    // Incidents: one, in November.
    let inc = series("incidents");
    let mut expected = vec![json!(0.0); 11];
    expected.push(json!(1.0));
    assert_eq!(inc["values"], json!(expected));
    assert_eq!(
        (
            inc["current"].clone(),
            inc["previous"].clone(),
            inc["direction"].clone()
        ),
        (json!(1.0), json!(0.0), json!("worse"))
    );
    assert_eq!(t["period"], "month");
    assert_eq!(t["periods"], json!(months));
    // A --from/--to report: 12 spans of as many days, ending with it.
    let doc = report(dir.path(), &["--from", "2026-11-16", "--to", "2026-11-30"]);
    let t = &doc["trends"];
    assert_eq!(t["period"], "days");
    assert!(t.get("months").is_none(), "{t}");
    let periods = t["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 12);
    assert_eq!(periods[0], "2026-06-04 – 2026-06-18");
    assert_eq!(periods[10], "2026-11-01 – 2026-11-15");
    assert_eq!(periods[11], "2026-11-16 – 2026-11-30");
    let series = |key: &str| -> Value {
        t["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .clone()
    };
    let mut expected = vec![json!(0.0); 11];
    expected.push(json!(1.0));
    assert_eq!(series("incidents")["values"], json!(expected));
    // 1–15 Nov: CHG-0001, CHG-0002 and the f2 merge; 16–30 Nov (measured to
    // noon on the 30th): CHG-0003.
    let dep = series("deployments_per_week")["values"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(dep[10], json!(3.0 / 15.0 * 7.0));
    assert_eq!(dep[11], json!(1.0 / 14.5 * 7.0));
}

//! `gitsm budget` and the gate's `budget_freeze` (SPEC §3 rule 5, §4).
//!
//! The budget figures are checked against an independent minute-by-minute
//! walk written here from the definitions (docs/metrics.md): a window
//! boundary inside an incident, the night the clocks go back, planned
//! maintenance with an overrun, a holiday, business hours only, and an
//! incident still open at `now`.

use crate::common::{gitsm, manifest_dir, run, write};
use crate::gate::{assert_exactly, change_full, Scratch, CONFIG, POLICY};
use jiff::civil::Weekday;
use jiff::Timestamp;
use serde_json::Value;
use std::path::Path;

const NOW: &str = "2026-10-28T12:00:00Z";

const REPO_CONFIG: &str = "apiVersion: gitsm/v1\nkind: Config\nid: budget\ntimezone: Europe/Berlin\n";
const OFFICE: &str = "apiVersion: gitsm/v1\nkind: Calendar\nid: office\ntimezone: Europe/Berlin\nhours:\n  mon-fri: \"09:00-17:00\"\nholidays:\n  - 2026-10-02\n";
const SLA_ALL: &str = "apiVersion: gitsm/v1\nkind: SLA\nid: always\ncalendar: 24x7\ntargets:\n  P1: {resolution: 4h}\navailability: 99.9\n";
const SLA_BIZ: &str = "apiVersion: gitsm/v1\nkind: SLA\nid: biz\ncalendar: office\ntargets:\n  P1: {resolution: 4h}\navailability: 98.0\navailability_hours: business\n";
const SHOP: &str = "apiVersion: gitsm/v1\nkind: Service\nid: shop\nname: Shop\nowner: carol\nsla: always\n";
const DESK: &str = "apiVersion: gitsm/v1\nkind: Service\nid: desk\nname: Help desk\nowner: carol\nsla: biz\n";

/// (id, impact, start, end or None while open). Every incident affects both services.
const INCIDENTS: &[(&str, &str, &str, Option<&str>)] = &[
    // Starts in September (Berlin), ends in October: the window cuts it.
    (
        "INC-0001",
        "major_outage",
        "2026-09-30T20:00:00Z",
        Some("2026-10-01T08:00:00Z"),
    ),
    // On the office's holiday, in what would be business hours.
    (
        "INC-0002",
        "partial_outage",
        "2026-10-02T07:00:00Z",
        Some("2026-10-02T10:00:00Z"),
    ),
    // Across the night the clocks go back (25 Oct, 03:00 CEST → 02:00 CET).
    (
        "INC-0003",
        "major_outage",
        "2026-10-24T23:30:00Z",
        Some("2026-10-25T02:30:00Z"),
    ),
    // Degraded performance never counts.
    (
        "INC-0004",
        "degraded_performance",
        "2026-10-14T08:00:00Z",
        Some("2026-10-14T09:00:00Z"),
    ),
    // Half inside a planned maintenance window (08:00–09:00), then an overrun.
    (
        "INC-0005",
        "major_outage",
        "2026-10-27T08:30:00Z",
        Some("2026-10-27T10:00:00Z"),
    ),
    // Still open at `now`.
    ("INC-0006", "partial_outage", "2026-10-28T10:00:00Z", None),
];
const MAINTENANCE: (&str, &str) = ("2026-10-27T08:00:00Z", "2026-10-27T09:00:00Z");

fn incident(id: &str, impact: &str, start: &str, end: Option<&str>) -> String {
    let mut tl = format!("  - {{at: {start}, by: carol, status: new}}\n");
    let status = match end {
        Some(e) => {
            tl.push_str(&format!("  - {{at: {e}, by: carol, status: resolved}}\n"));
            "resolved"
        }
        None => "new",
    };
    format!(
        "apiVersion: gitsm/v1\nkind: Incident\nid: {id}\ntitle: Outage {id}\nservice: shop\naffected_services: [shop, desk]\nimpact: high\nurgency: high\nstatus: {status}\nreported_at: {start}\nreported_by: carol\ncustomer_impact: {impact}\ntimeline:\n{tl}"
    )
}

fn maintenance_change() -> String {
    format!(
        "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: Database upgrade\nstatus: scheduled\ntype: standard\nrisk: low\nservices: [shop, desk]\nrequested_by: carol\nmaintenance: true\nwindow: {{start: {}, end: {}}}\ntimeline:\n  - {{at: 2026-10-20T09:00:00Z, by: carol, status: draft}}\n  - {{at: 2026-10-20T09:00:00Z, by: carol, status: submitted}}\n  - {{at: 2026-10-20T09:00:00Z, by: carol, status: approved}}\n  - {{at: 2026-10-20T09:00:00Z, by: carol, status: scheduled}}\n",
        MAINTENANCE.0, MAINTENANCE.1
    )
}

fn scenario(root: &Path) {
    write(root, "gitsm.yaml", REPO_CONFIG);
    write(root, "slas/office.yaml", OFFICE);
    write(root, "slas/always.yaml", SLA_ALL);
    write(root, "slas/biz.yaml", SLA_BIZ);
    write(root, "catalog/shop.yaml", SHOP);
    write(root, "catalog/desk.yaml", DESK);
    write(root, "policies/default.yaml", POLICY);
    write(root, "changes/CHG-0001.yaml", maintenance_change());
    for (id, impact, start, end) in INCIDENTS {
        write(
            root,
            &format!("incidents/{id}.yaml"),
            incident(id, impact, start, *end),
        );
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The independent model: one minute at a time.
struct Minutes {
    business: bool,
    now: Timestamp,
}

impl Minutes {
    fn counts(&self, t: Timestamp) -> bool {
        if !self.business {
            return true;
        }
        let local = jiff::tz::db().get("Europe/Berlin").unwrap().to_datetime(t);
        let (d, mins) = (local.date(), local.hour() as i32 * 60 + local.minute() as i32);
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
            && d != jiff::civil::date(2026, 10, 2)
            && (9 * 60..17 * 60).contains(&mins)
    }

    /// Downtime weight of the minute starting at `t` (0 inside maintenance).
    fn weight(&self, t: Timestamp) -> f64 {
        if ts(MAINTENANCE.0) <= t && t < ts(MAINTENANCE.1) {
            return 0.0;
        }
        let mut w: f64 = 0.0;
        for (_, impact, start, end) in INCIDENTS {
            let end = end.map(ts).unwrap_or(self.now);
            if ts(start) <= t && t < end {
                w = w.max(match *impact {
                    "major_outage" => 1.0,
                    "partial_outage" => 0.3,
                    _ => 0.0,
                });
            }
        }
        w
    }

    /// (counted seconds, weighted downtime seconds) over [from, to).
    fn over(&self, from: Timestamp, to: Timestamp) -> (i64, f64) {
        let (mut counted, mut down) = (0i64, 0.0f64);
        let mut t = from;
        while t < to {
            if self.counts(t) {
                counted += 60;
                if t < self.now {
                    down += 60.0 * self.weight(t);
                }
            }
            t = t.checked_add(jiff::SignedDuration::from_mins(1)).unwrap();
        }
        (counted, down)
    }
}

fn budget_json(root: &Path, args: &[&str]) -> Value {
    let mut c = gitsm(root);
    c.args(["--now", NOW, "budget", "--format", "json"]).args(args);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn service<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == id)
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
}

#[track_caller]
fn close(actual: &Value, expected: f64, what: &str) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {actual} is not a number"));
    assert!((a - expected).abs() < 1e-6, "{what}: {a} != {expected}");
}

/// Every figure of one service against the minute walk.
fn check_service(doc: &Value, id: &str, target: f64, m: &Minutes, (from, to): (Timestamp, Timestamp)) {
    let s = service(doc, id);
    let now = m.now;
    let (window, _) = m.over(from, to);
    let (elapsed, consumed) = m.over(from, now.min(to));
    let allowed = 1.0 - target / 100.0;
    let budget = allowed * window as f64;
    assert_eq!(s["window_seconds"], window, "{id} window");
    assert_eq!(s["elapsed_seconds"], elapsed, "{id} elapsed");
    close(&s["budget_seconds"], budget, &format!("{id} budget"));
    close(&s["consumed_seconds"], consumed, &format!("{id} consumed"));
    close(
        &s["remaining_seconds"],
        budget - consumed,
        &format!("{id} remaining"),
    );
    close(
        &s["remaining_percent"],
        100.0 * (budget - consumed) / budget,
        &format!("{id} remaining %"),
    );
    assert_eq!(s["spent"], consumed >= budget && consumed > 0.0, "{id} spent");
    let rates = s["burn_rates"].as_array().unwrap();
    let labels: Vec<&str> = rates.iter().map(|r| r["window"].as_str().unwrap()).collect();
    assert_eq!(labels, ["1h", "6h", "24h", "3d"]);
    for (r, secs) in rates.iter().zip([3600i64, 21600, 86400, 259200]) {
        let a = now.checked_sub(jiff::SignedDuration::from_secs(secs)).unwrap();
        let (c, d) = m.over(a, now);
        assert_eq!(r["counted_seconds"], c, "{id} {} counted", r["window"]);
        close(
            &r["consumed_seconds"],
            d,
            &format!("{id} {} consumed", r["window"]),
        );
        if c == 0 {
            assert!(r["rate"].is_null(), "{id} {}: {}", r["window"], r["rate"]);
        } else {
            close(
                &r["rate"],
                d / c as f64 / allowed,
                &format!("{id} {} rate", r["window"]),
            );
        }
    }
}

#[test]
fn month_budgets_match_a_minute_by_minute_count() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let doc = budget_json(dir.path(), &[]);
    // October 2026 in Berlin: 1 Oct 00:00 CEST to 1 Nov 00:00 CET (745 h).
    let (from, to) = (ts("2026-09-30T22:00:00Z"), ts("2026-10-31T23:00:00Z"));
    assert_eq!(doc["window"], "month");
    assert_eq!(doc["label"], "2026-10");
    assert_eq!(doc["from"], "2026-09-30T22:00:00Z");
    assert_eq!(doc["to"], "2026-10-31T23:00:00Z");
    let ids: Vec<&str> = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["desk", "shop"]);
    let now = ts(NOW);
    let shop = Minutes { business: false, now };
    let desk = Minutes { business: true, now };
    check_service(&doc, "shop", 99.9, &shop, (from, to));
    check_service(&doc, "desk", 98.0, &desk, (from, to));
    assert_eq!(service(&doc, "shop")["window_seconds"], 745 * 3600);
    // 22 weekdays minus the holiday, 8 h each.
    assert_eq!(service(&doc, "desk")["window_seconds"], 21 * 8 * 3600);
    assert_eq!(service(&doc, "desk")["hours"], "business");
    assert_eq!(service(&doc, "shop")["hours"], "all");

    // The shop's budget (44.7 min) is long gone; the desk's is not, and it
    // runs out where the average rate so far says, inside business hours.
    let (s, d) = (service(&doc, "shop"), service(&doc, "desk"));
    assert_eq!(s["spent"], true);
    assert!(s["projected_exhaustion"].is_null());
    assert_eq!(d["spent"], false);
    let at = ts(d["projected_exhaustion"].as_str().expect("a projection"));
    let (elapsed, consumed) = desk.over(from, now);
    let remaining = d["remaining_seconds"].as_f64().unwrap();
    let needed = remaining / (consumed / elapsed as f64);
    let (walked, _) = Minutes {
        business: true,
        now: at,
    }
    .over(now, at);
    assert!(
        (walked as f64 - needed).abs() <= 60.0,
        "walked {walked} s of business time, needed {needed}"
    );
    assert!(desk.counts(at.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap()));
    assert_eq!(d["exhausts_before_reset"], at < to);
}

#[test]
fn rolling_windows_end_at_now() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    for (arg, days) in [("28d", 28), ("30d", 30)] {
        let doc = budget_json(dir.path(), &["--window", arg, "--service", "shop"]);
        let now = ts(NOW);
        let from = now
            .checked_sub(jiff::SignedDuration::from_hours(24 * days))
            .unwrap();
        assert_eq!(doc["window"], arg);
        assert_eq!(doc["services"].as_array().unwrap().len(), 1);
        check_service(&doc, "shop", 99.9, &Minutes { business: false, now }, (from, now));
        assert!(service(&doc, "shop")["exhausts_before_reset"].is_null());
    }
}

#[test]
fn unknown_service_or_no_target_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    write(
        dir.path(),
        "catalog/wiki.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: wiki\nname: Wiki\nowner: carol\n",
    );
    for (svc, msg) in [
        ("nope", "error: no service `nope` in the catalog\n"),
        (
            "wiki",
            "error: service `wiki` has no availability target (its SLA needs `availability:`), so it has no error budget\n",
        ),
    ] {
        let mut c = gitsm(dir.path());
        c.args(["--now", NOW, "budget", "--service", svc]);
        let (code, out, err) = run(c);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", msg));
    }
}

#[test]
fn acme_shows_spent_budgets_and_when_the_others_run_out() {
    let mut c = gitsm(&manifest_dir());
    c.args([
        "--repo",
        "examples/acme",
        "--now",
        "2026-11-25T12:00:00Z",
        "budget",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let spent: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_end().ends_with("SPENT"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(spent.contains(&"checkout"), "{out}");
    assert!(out.contains("\nSpent: "), "{out}");
}

// ---- the gate ----

/// Base: two services with a 99.9 % target; `web` lost 2 h this month.
fn frozen_repo(budget_freeze: bool) -> Scratch {
    let policy = if budget_freeze {
        format!("{POLICY}budget_freeze: true\n")
    } else {
        POLICY.to_string()
    };
    let web = "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: frank\nsla: std\npaths:\n  - deploy/web/**\n";
    let api = "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: frank\nsla: std\n";
    let sla = "apiVersion: gitsm/v1\nkind: SLA\nid: std\ncalendar: 24x7\ntargets:\n  P1: {resolution: 4h}\navailability: 99.9\n";
    let inc = "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Website down\nservice: web\nimpact: high\nurgency: high\nstatus: resolved\nreported_at: 2026-11-03T10:00:00Z\nreported_by: carol\ncustomer_impact: major_outage\ntimeline:\n  - {at: 2026-11-03T10:00:00Z, by: carol, status: new}\n  - {at: 2026-11-03T12:00:00Z, by: carol, status: resolved}\n";
    Scratch::with_base(&[
        ("gitsm.yaml", CONFIG),
        ("catalog/web.yaml", web),
        ("catalog/api.yaml", api),
        ("slas/std.yaml", sla),
        ("policies/default.yaml", &policy),
        ("incidents/INC-0001.yaml", inc),
    ])
}

fn approved(ty: &str, services: &str) -> String {
    change_full(
        "CHG-0042",
        "approved",
        ty,
        "low",
        services,
        "2026-11-10T09:05:00Z",
        "window: {start: 2026-11-24T09:00:00Z, end: 2026-11-24T10:00:00Z}\napprovals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\n",
    )
}

#[test]
fn the_gate_denies_a_normal_change_of_a_service_whose_budget_is_spent() {
    let s = frozen_repo(true);
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("normal", "web"))],
        "CHG-0042",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0042")]);
    let check = res.1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["outcome"] == "fail")
        .unwrap()
        .clone();
    // November 2026 in UTC: 720 h × 0.1 % = 43m 12s; 2 h consumed.
    assert_eq!(
        check["message"],
        "budget freeze: the error budget of `web` for 2026-11 is spent — 2h of unplanned downtime against a budget of 43m (99.9% availability target over 720h); the policy's `budget_freeze` takes only emergency and standard changes for it"
    );
    assert_eq!(
        check["fix"],
        "wait until the budget starts afresh (2026-12-01 00:00 UTC) and run the gate again then, or file it as an emergency change (if it truly is one) or as a standard change from one of the policy's `standard_changes` templates"
    );
}

#[test]
fn the_budget_freeze_spares_emergencies_healthy_services_and_policies_without_it() {
    // An emergency change of the same service.
    let s = frozen_repo(true);
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("emergency", "web"))],
        "CHG-0042",
    );
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
    // A normal change of the service with budget left.
    let s = frozen_repo(true);
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("normal", "api"))],
        "CHG-0042",
    );
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
    // The same spent service, but the policy does not freeze.
    let s = frozen_repo(false);
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("normal", "web"))],
        "CHG-0042",
    );
    assert_exactly(&s.gate("carol", &[("alice", "APPROVED", &sha)], &[]), 0, &[]);
}

#[test]
fn an_unreadable_incident_at_base_leaves_the_budget_freeze_undecided() {
    let s = frozen_repo(true);
    s.commit_on_main(
        &[(
            "incidents/INC-0002.yaml",
            "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0002\ntitle: [unclosed\n",
        )],
        "broken incident",
    );
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("normal", "api"))],
        "CHG-0042",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 2, &[("5-schedule", "CHG-0042")]);
}

/// Copies examples/acme into a fresh git repo (`main`), on branch `feature`.
fn acme_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = manifest_dir().join("examples/acme");
    crate::common::copy_tree(&src, dir.path());
    crate::common::git(dir.path(), &["init", "-q", "-b", "main"]);
    crate::common::git(dir.path(), &["add", "-A"]);
    crate::common::git(dir.path(), &["commit", "-q", "-m", "acme"]);
    crate::common::git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    dir
}

#[test]
fn acme_the_gate_denies_approving_the_search_change_while_the_budget_is_spent() {
    let dir = acme_repo();
    let path = dir.path().join("changes/CHG-0026.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace("status: submitted\ntype", "status: approved\ntype")
        .replace(
            "timeline:\n",
            "approvals:\n  - {by: alice, at: 2026-11-20T11:01:00Z}\ntimeline:\n",
        )
        + "  - at: 2026-11-25T11:00:00Z\n    by: alice\n    status: approved\n";
    std::fs::write(&path, text).unwrap();
    crate::common::git(dir.path(), &["commit", "-q", "-am", "approve CHG-0026"]);
    let sha = crate::common::git(dir.path(), &["rev-parse", "HEAD"]);
    let reviews = dir.path().join(".git/reviews.json");
    std::fs::write(
        &reviews,
        Value::Array(vec![crate::gate::review(1, "alice", "APPROVED", &sha)]).to_string(),
    )
    .unwrap();
    let mut c = gitsm(dir.path());
    c.args([
        "--now",
        "2026-11-25T12:00:00Z",
        "gate",
        "--base",
        "refs/heads/main",
        "--head",
        "refs/heads/feature",
        "--author",
        "grace",
        "--format",
        "json",
        "--reviews",
    ])
    .arg(&reviews);
    let (code, out, err) = run(c);
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let res = (code, v, err);
    assert_exactly(&res, 1, &[("5-schedule", "CHG-0026")]);
    let msg = res.1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["outcome"] == "fail")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.starts_with("budget freeze: the error budget of `search` for 2026-11 is spent — 2h 6m of unplanned downtime against a budget of 43m"),
        "{msg}"
    );
}

/// An unreadable *change* at base is rule 5's own finding; the freeze reads
/// only incidents, so it stays decided (here: `api` has budget left) and
/// says nothing about the change file.
#[test]
fn an_unreadable_change_at_base_is_not_the_budget_freeze_s_finding() {
    let s = frozen_repo(true);
    s.commit_on_main(
        &[(
            "changes/CHG-0009.yaml",
            "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0009\ntitle: [unclosed\n",
        )],
        "broken change",
    );
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("normal", "api"))],
        "CHG-0042",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    let messages: Vec<&str> = res.1["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .filter_map(|c| c["message"].as_str())
        .collect();
    assert!(
        !messages.iter().any(|m| m.starts_with("budget freeze")),
        "{messages:#?}"
    );
}

/// A broken file in `incidents/` that does not declare an Incident is
/// `gitsm validate`'s finding, not the freeze's: the freeze still measures
/// the budgets (here `api` has budget left) and the change passes.
#[test]
fn a_broken_file_that_declares_no_incident_leaves_the_budget_freeze_decided() {
    let s = frozen_repo(true);
    s.commit_on_main(&[("incidents/scratch.yaml", "notes: [unclosed\n")], "scratch");
    let sha = s.commit(
        &[("changes/CHG-0042.yaml", &approved("normal", "api"))],
        "CHG-0042",
    );
    let res = s.gate("carol", &[("alice", "APPROVED", &sha)], &[]);
    assert_exactly(&res, 0, &[]);
}

/// The budget reads records as they stood at `now`; when some record has a
/// later event it copies only those that can count (`budget::may_count`).
/// An incident reported long before the window and still open is one of
/// them: it consumes the whole window, exactly as when every record is read.
#[test]
fn an_incident_open_since_before_the_window_counts_when_records_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gitsm.yaml", REPO_CONFIG);
    write(dir.path(), "slas/always.yaml", SLA_ALL);
    write(dir.path(), "catalog/shop.yaml", SHOP);
    write(
        dir.path(),
        "incidents/INC-0001.yaml",
        incident("INC-0001", "major_outage", "2026-06-01T10:00:00Z", None),
    );
    // Resolved after `now`: a later event, so the budget cuts records.
    write(
        dir.path(),
        "incidents/INC-0002.yaml",
        incident(
            "INC-0002",
            "none",
            "2026-10-01T10:00:00Z",
            Some("2026-11-02T10:00:00Z"),
        ),
    );
    let records = gitsm::validate::validate(&gitsm::repo::WorkTree::new(dir.path()))
        .unwrap()
        .snapshot
        .records;
    let opts = gitsm::budget::Options {
        window: gitsm::budget::WindowKind::Month,
        service: None,
        now: ts(NOW),
        timezone: "Europe/Berlin",
    };
    let cut = gitsm::availability::records_as_of(&records, ts(NOW));
    assert!(
        matches!(cut, std::borrow::Cow::Owned(_)),
        "nothing later than now"
    );
    let b = serde_json::to_value(gitsm::budget::compute(&records, &opts).unwrap()).unwrap();
    let reference = serde_json::to_value(gitsm::budget::compute(&cut, &opts).unwrap()).unwrap();
    assert_eq!(b, reference);
    let shop = service(&b, "shop");
    assert_eq!(
        shop["consumed_seconds"].as_f64(),
        shop["elapsed_seconds"].as_f64(),
        "{shop}"
    );
    assert!(shop["elapsed_seconds"].as_f64().unwrap() > 0.0);
}

//! The status page's Statuspage-shaped API (`api/v2/summary.json`,
//! `api/v2/status.json`), validated against a JSON Schema written from
//! Statuspage's public API docs (`tests/data/statuspage-summary.schema.json`),
//! with exact values: public data only, Statuspage's words.

use crate::common::{gitsm, manifest_dir, run, write};
use serde_json::{json, Value};
use std::path::Path;

const NOW: &str = "2026-11-21T12:00:00Z";

fn validator() -> jsonschema::Validator {
    let path = manifest_dir().join("tests/data/statuspage-summary.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

fn scenario(root: &Path) {
    write(
        root,
        "gitsm.yaml",
        "apiVersion: gitsm/v1\nkind: Config\nid: sp\ntimezone: Europe/Berlin\nstatus_page:\n  title: SP Status\n  base_url: https://status.sp.example\n",
    );
    write(
        root,
        "catalog/shop.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: shop\nname: Shop\nowner: carol\ntier: 1\npublic: true\ndescription: The web shop.\n",
    );
    write(
        root,
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: carol\ntier: 2\npublic: true\n",
    );
    write(
        root,
        "catalog/vault.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: vault\nname: Vault\nowner: carol\n",
    );
    write(
        root,
        "policies/default.yaml",
        "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\nrules:\n  - match: {type: standard}\n    approvals: 0\n",
    );
    // Open, partial outage on shop; one public and one internal note.
    write(
        root,
        "incidents/INC-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Checkout errors\nservice: shop\nimpact: high\nurgency: high\nstatus: investigating\nreported_at: 2026-11-21T10:00:00Z\nreported_by: carol\ncustomer_impact: partial_outage\ntimeline:\n  - {at: 2026-11-21T10:00:00Z, by: carol, status: new, note: We are looking into failed payments., public: true}\n  - {at: 2026-11-21T10:30:00Z, by: carol, status: investigating, note: db password rotated by mistake}\n",
    );
    // Resolved: not in summary.json.
    write(
        root,
        "incidents/INC-0002.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0002\ntitle: API slow\nservice: api\nimpact: low\nurgency: low\nstatus: resolved\nreported_at: 2026-11-20T10:00:00Z\nreported_by: carol\ncustomer_impact: degraded_performance\ntimeline:\n  - {at: 2026-11-20T10:00:00Z, by: carol, status: new}\n  - {at: 2026-11-20T11:00:00Z, by: carol, status: resolved}\n",
    );
    // On a private service only: never shown.
    write(
        root,
        "incidents/INC-0003.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0003\ntitle: Vault sealed\nservice: vault\nimpact: high\nurgency: high\nstatus: new\nreported_at: 2026-11-21T11:00:00Z\nreported_by: carol\ncustomer_impact: major_outage\ntimeline:\n  - {at: 2026-11-21T11:00:00Z, by: carol, status: new}\n",
    );
    // Upcoming maintenance on api.
    write(
        root,
        "changes/CHG-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: API database upgrade\nstatus: scheduled\ntype: standard\nrisk: low\nservices: [api]\nrequested_by: carol\nmaintenance: true\nwindow: {start: 2026-11-24T01:00:00Z, end: 2026-11-24T03:00:00Z}\ntimeline:\n  - {at: 2026-11-10T09:00:00Z, by: carol, status: draft}\n  - {at: 2026-11-10T09:00:00Z, by: carol, status: submitted}\n  - {at: 2026-11-10T09:00:00Z, by: carol, status: approved}\n  - {at: 2026-11-10T09:00:00Z, by: carol, status: scheduled, note: Expect a short read-only period., public: true}\n",
    );
}

fn site(root: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut c = gitsm(root);
    c.args(["--now", NOW, "status-page", "--out"])
        .arg(out.path().join("site"));
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    out
}

fn read(dir: &Path, rel: &str) -> Value {
    let text = std::fs::read_to_string(dir.join("site").join(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn component(id: &str, name: &str, status: &str, position: u32, description: Value) -> Value {
    json!({
        "id": id, "name": name, "status": status,
        "created_at": NOW, "updated_at": NOW, "position": position,
        "description": description, "showcase": true, "start_date": null,
        "group_id": null, "page_id": "status.sp.example", "group": false,
        "only_show_if_degraded": false,
    })
}

#[test]
fn summary_and_status_follow_statuspage_and_show_public_data_only() {
    let repo = tempfile::tempdir().unwrap();
    scenario(repo.path());
    let out = site(repo.path());
    let v = validator();
    let summary = read(out.path(), "api/v2/summary.json");
    let status = read(out.path(), "api/v2/status.json");
    assert_valid(&v, &summary);
    assert_valid(&v, &status);

    let page = json!({
        "id": "status.sp.example", "name": "SP Status", "url": "https://status.sp.example",
        "time_zone": "Europe/Berlin", "updated_at": NOW,
    });
    let overall = json!({"indicator": "major", "description": summary["status"]["description"]});
    assert_eq!(status, json!({"page": page, "status": overall}));
    let shop = component("shop", "Shop", "partial_outage", 1, json!("The web shop."));
    let api = component("api", "API", "operational", 2, Value::Null);
    let expected = json!({
        "page": page,
        "components": [shop, api],
        "incidents": [{
            "id": "INC-0001", "name": "Checkout errors", "status": "investigating",
            "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z",
            "monitoring_at": null, "resolved_at": null, "impact": "major",
            "shortlink": "https://status.sp.example/incidents/INC-0001.html",
            "started_at": "2026-11-21T10:00:00Z", "page_id": "status.sp.example",
            "incident_updates": [{
                "id": "INC-0001-1", "status": "investigating",
                "body": "We are looking into failed payments.", "incident_id": "INC-0001",
                "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z",
                "display_at": "2026-11-21T10:00:00Z",
                "affected_components": [{"code": "shop", "name": "Shop", "old_status": "partial_outage", "new_status": "partial_outage"}],
                "deliver_notifications": true, "custom_tweet": null, "tweet_id": null,
            }],
            "components": [shop],
        }],
        "scheduled_maintenances": [{
            "id": "CHG-0001", "name": "API database upgrade", "status": "scheduled",
            "created_at": "2026-11-10T09:00:00Z", "updated_at": "2026-11-10T09:00:00Z",
            "monitoring_at": null, "resolved_at": null, "impact": "maintenance",
            "shortlink": "https://status.sp.example/maintenance/CHG-0001.html",
            "started_at": "2026-11-24T01:00:00Z", "page_id": "status.sp.example",
            "incident_updates": [{
                "id": "CHG-0001-1", "status": "scheduled",
                "body": "Expect a short read-only period.", "incident_id": "CHG-0001",
                "created_at": "2026-11-10T09:00:00Z", "updated_at": "2026-11-10T09:00:00Z",
                "display_at": "2026-11-10T09:00:00Z",
                "affected_components": [{"code": "api", "name": "API", "old_status": "operational", "new_status": "operational"}],
                "deliver_notifications": true, "custom_tweet": null, "tweet_id": null,
            }],
            "components": [api],
            "scheduled_for": "2026-11-24T01:00:00Z", "scheduled_until": "2026-11-24T03:00:00Z",
        }],
        "status": overall,
    });
    assert_eq!(summary, expected);
}

#[test]
fn the_schema_is_strict_enough_to_catch_a_wrong_shape() {
    let repo = tempfile::tempdir().unwrap();
    scenario(repo.path());
    let out = site(repo.path());
    let v = validator();
    let good = read(out.path(), "api/v2/summary.json");
    let mut bad = Vec::new();
    let mut d = good.clone();
    d["status"]["indicator"] = json!("maintenance");
    bad.push(d);
    let mut d = good.clone();
    d["components"][0]["status"] = json!("down");
    bad.push(d);
    let mut d = good.clone();
    d["incidents"][0]["created_at"] = json!("yesterday");
    bad.push(d);
    let mut d = good.clone();
    d.as_object_mut().unwrap().remove("scheduled_maintenances");
    bad.push(d);
    let mut d = good.clone();
    d["scheduled_maintenances"][0]
        .as_object_mut()
        .unwrap()
        .remove("scheduled_for");
    bad.push(d);
    for d in bad {
        assert!(!v.is_valid(&d), "accepted: {d:#}");
    }
}

#[test]
fn acme_api_validates() {
    let out = tempfile::tempdir().unwrap();
    let mut c = gitsm(&manifest_dir());
    c.args([
        "--repo",
        "examples/acme",
        "--now",
        "2026-11-25T12:00:00Z",
        "status-page",
        "--out",
    ])
    .arg(out.path().join("site"));
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v = validator();
    let summary = read(out.path(), "api/v2/summary.json");
    assert_valid(&v, &summary);
    assert_valid(&v, &read(out.path(), "api/v2/status.json"));
    let public: Vec<&str> = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!public.is_empty());
}

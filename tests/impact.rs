//! `gitsm impact`: the downstream graph against hand-computed answers
//! (acme's orders database with its diamond through checkout; a CI cycle),
//! the Mermaid output, lookup errors, and the status page hook.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn impact(root: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = gitsm(root);
    c.args(["--now", "2026-11-30T12:00:00Z", "impact"]).args(args);
    run(c)
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect()
}

#[test]
fn acme_orders_database_reaches_every_service_above_it() {
    let root = manifest_dir().join("examples/acme");
    let (code, out, err) = impact(&root, &["pg-commerce", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        d["root"],
        serde_json::json!({"kind": "config_item", "id": "pg-commerce", "name": "PostgreSQL orders-db (RDS)",
            "depth": 0, "via": null, "ci_type": "database"})
    );
    // By hand: pg-commerce supports orders and inventory (depth 1). Services
    // depending on those: backoffice, checkout, data-warehouse, shipping (on
    // orders) and catalog-api, checkout, data-warehouse (on inventory) — the
    // diamond: checkout is reached twice but listed once, at depth 2. Then
    // storefront (on checkout and catalog-api) and search (on catalog-api).
    // Breadth first, inventory before orders: the first path found is `via`.
    let got: Vec<(u64, &str, &str, &str)> = d["downstream"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["depth"].as_u64().unwrap(),
                n["kind"].as_str().unwrap(),
                n["id"].as_str().unwrap(),
                n["via"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "service", "inventory", "pg-commerce"),
            (1, "service", "orders", "pg-commerce"),
            (2, "service", "backoffice", "orders"),
            (2, "service", "catalog-api", "inventory"),
            (2, "service", "checkout", "inventory"),
            (2, "service", "data-warehouse", "inventory"),
            (2, "service", "shipping", "orders"),
            (3, "service", "search", "catalog-api"),
            (3, "service", "storefront", "catalog-api"),
        ]
    );
    // Both sides of the diamond are edges of the answer.
    let edges: Vec<(String, String)> = d["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0]["id"].as_str().unwrap().into(),
                e[1]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (a, b) in [
        ("orders", "checkout"),
        ("inventory", "checkout"),
        ("checkout", "storefront"),
        ("catalog-api", "storefront"),
    ] {
        assert!(
            edges.contains(&(a.into(), b.into())),
            "{a} → {b} missing: {edges:?}"
        );
    }
    assert_eq!(edges.len(), 15, "{edges:?}");
    // Open tickets on any of them (resolved and closed ones are not listed).
    assert_eq!(
        ids(&d["incidents"]),
        ["INC-0049", "INC-0050", "INC-0044", "INC-0047", "INC-0048"]
    );
    assert_eq!(d["incidents"][0]["priority"], "P2");
    assert_eq!(
        ids(&d["problems"]),
        ["PRB-0001", "PRB-0006", "PRB-0007", "PRB-0008"]
    );
    assert_eq!(
        ids(&d["changes"]),
        ["CHG-0014", "CHG-0016", "CHG-0020", "CHG-0021", "CHG-0022", "CHG-0023", "CHG-0024", "CHG-0025"]
    );
    // Windows still to come, in time order (CHG-0025's has passed); REL-0002
    // ships to checkout.
    assert_eq!(
        ids(&d["windows"]),
        ["CHG-0014", "CHG-0016", "REL-0002", "CHG-0023"]
    );
    assert_eq!(d["windows"][0]["start"], "2026-12-08T01:00:00Z");
    assert_eq!(d["windows"][0]["maintenance"], true);
}

#[test]
fn a_cycle_is_walked_once_and_mermaid_is_exact() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API \"v2\" <b>\nowner: alice\ndepends_on:\n  - web\n",
    );
    // x and y depend on each other (a cycle, reported by validate); y supports web.
    write(
        root,
        "cmdb/x.yaml",
        "apiVersion: gitsm/v1\nkind: ConfigItem\nid: x\nname: X\ntype: server\ndepends_on:\n  - y\n",
    );
    write(
        root,
        "cmdb/y.yaml",
        "apiVersion: gitsm/v1\nkind: ConfigItem\nid: y\nname: Y\ntype: database\ndepends_on:\n  - x\nservices:\n  - web\n",
    );
    let (code, out, err) = impact(root, &["x", "--format", "mermaid"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "flowchart TD\n\
         \x20 n0[\"X (server: x)\"]\n\
         \x20 n1[\"Y (database: y)\"]\n\
         \x20 n2(\"Website (service: web)\")\n\
         \x20 n3(\"API #quot;v2#quot; #lt;b#gt; (service: api)\")\n\
         \x20 n0 --> n1\n\
         \x20 n1 --> n0\n\
         \x20 n1 --> n2\n\
         \x20 n2 --> n3\n\
         \x20 classDef root stroke-width:3px\n\
         \x20 class n0 root\n"
    );
    let (code, out, _) = impact(root, &["x"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Impact of server x (X)\n\nDownstream (3, by depth):\n   1  database y (Y)  via x\n   2  service web (Website)  [public]  via y\n   3  service api (API \"v2\" <b>)  via web\n"
    );
}

#[test]
fn unknown_and_ambiguous_ids_are_refused() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "cmdb/web.yaml",
        "apiVersion: gitsm/v1\nkind: ConfigItem\nid: web\nname: Web VM\ntype: server\n",
    );
    let (code, out, err) = impact(root, &["webb"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error: `webb` is neither a service nor a configuration item; did you mean `web`?\n"
    );
    let (code, _, err) = impact(root, &["web"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: `web` is both a service and a configuration item; write `service:web` or `ci:web`\n"
    );
    let (code, out, _) = impact(root, &["ci:web", "--format", "json"]);
    assert_eq!(code, 0);
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["root"]["kind"], "config_item");
    assert_eq!(d["downstream"], serde_json::json!([]));
}

#[test]
fn status_page_shows_services_on_a_broken_ci_as_affected() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: API\nowner: alice\npublic: true\n",
    );
    write(
        root,
        "catalog/admin.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: admin\nname: Admin\nowner: alice\npublic: true\n",
    );
    write(
        root,
        "cmdb/db.yaml",
        "apiVersion: gitsm/v1\nkind: ConfigItem\nid: db\nname: DB\ntype: database\nservices:\n  - api\n",
    );
    // The incident is filed against web but names the database api runs on.
    write(
        root,
        "incidents/INC-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: DB failover\nservice: web\nimpact: high\nurgency: high\n\
status: investigating\nreported_at: 2026-11-30T10:00:00Z\nreported_by: alice\ncustomer_impact: partial_outage\n\
config_items:\n  - db\ntimeline:\n  - {at: 2026-11-30T10:00:00Z, by: alice, status: new}\n  - {at: 2026-11-30T10:05:00Z, by: alice, status: investigating}\n",
    );
    let snap = gitsm::repo::load(&gitsm::repo::WorkTree::new(root)).unwrap();
    let now: jiff::Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
    let built = gitsm::status::build(&snap, now);
    let states: Vec<(String, String)> = built
        .doc
        .services
        .iter()
        .map(|s| {
            (
                s.id.to_string(),
                serde_json::to_value(s.status)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let mut states = states;
    states.sort();
    assert_eq!(
        states,
        vec![
            ("admin".to_string(), "operational".to_string()),
            ("api".to_string(), "partial_outage".to_string()),
            ("web".to_string(), "partial_outage".to_string()),
        ]
    );
    let inc = &built.doc.incidents[0];
    let svcs: Vec<&str> = inc.services.iter().map(|s| s.as_str()).collect();
    assert_eq!(svcs, ["web", "api"]);
}

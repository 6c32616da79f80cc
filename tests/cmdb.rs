//! Configuration items: schema, references, `depends_on` cycles and expiry,
//! each finding checked as the exact set of (code, file, line, message).

use crate::common::*;
use std::path::Path;

/// `validate --format json` as of `now`: (exit code, [(code, file, line, message)]).
fn findings_at(root: &Path, now: &str) -> (i32, Vec<(String, String, u64, String)>) {
    let mut c = gitsm(root);
    c.args(["--now", now, "validate", "--format", "json"]);
    let (code, out, err) = run(c);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}\n{err}"));
    let mut v: Vec<(String, String, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    (code, v)
}

fn ci(id: &str, rest: &str) -> String {
    format!("apiVersion: gitsm/v1\nkind: ConfigItem\nid: {id}\nname: {id}\n{rest}")
}

fn f(code: &str, file: &str, line: u64, msg: &str) -> (String, String, u64, String) {
    (code.into(), file.into(), line, msg.into())
}

#[test]
fn acme_has_only_the_intended_expiry_warning() {
    let root = manifest_dir().join("examples/acme");
    let (code, got) = findings_at(&root, "2026-11-30T12:00:00Z");
    assert_eq!(
        got,
        vec![f(
            "W0801",
            "cmdb/tls-shop-wildcard.yaml",
            13,
            "certificate `tls-shop-wildcard` expires on 2026-12-06, in 6 days (renew_before: 30 days)"
        )]
    );
    assert_eq!(code, 0);
    // The day after the Sunday it expired on, it is an error.
    let (code, got) = findings_at(&root, "2026-12-07T08:00:00+01:00");
    assert_eq!(
        got,
        vec![f(
            "E0803",
            "cmdb/tls-shop-wildcard.yaml",
            13,
            "certificate `tls-shop-wildcard` expired on 2026-12-06 (1 day ago)"
        )]
    );
    assert_eq!(code, 1);
}

#[test]
fn references_to_and_from_configuration_items_resolve() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "cmdb/db.yaml",
        ci(
            "db",
            "type: database\nservices:\n  - web\n  - wbe\ndepends_on:\n  - vm-1\n",
        ),
    );
    write(
        root,
        "incidents/INC-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Down\nservice: web\nimpact: high\nurgency: high\n\
status: new\nreported_at: 2026-11-20T10:00:00Z\nreported_by: alice\nconfig_items:\n  - db\n  - dbb\n\
timeline:\n  - {at: 2026-11-20T10:00:00Z, by: alice, status: new}\n",
    );
    let (code, got) = findings_at(root, "2026-11-30T12:00:00Z");
    assert_eq!(
        got,
        vec![
            f("E0210", "cmdb/db.yaml", 8, "unknown service `wbe`"),
            f("E0801", "cmdb/db.yaml", 10, "unknown configuration item `vm-1`"),
            f(
                "E0801",
                "incidents/INC-0001.yaml",
                13,
                "unknown configuration item `dbb`"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn a_dependency_cycle_is_reported_once_where_it_closes() {
    let dir = init_repo();
    let root = dir.path();
    write(root, "cmdb/a.yaml", ci("a", "type: server\ndepends_on:\n  - b\n"));
    write(root, "cmdb/b.yaml", ci("b", "type: server\ndepends_on:\n  - c\n"));
    write(root, "cmdb/c.yaml", ci("c", "type: server\ndepends_on:\n  - a\n"));
    write(root, "cmdb/d.yaml", ci("d", "type: server\ndepends_on:\n  - d\n"));
    let (code, got) = findings_at(root, "2026-11-30T12:00:00Z");
    assert_eq!(
        got,
        vec![
            f(
                "E0802",
                "cmdb/c.yaml",
                7,
                "configuration items depend on each other in a cycle: a → b → c → a"
            ),
            f(
                "E0802",
                "cmdb/d.yaml",
                7,
                "configuration items depend on each other in a cycle: d → d"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn expiry_respects_renew_before_time_zone_and_retirement() {
    let dir = init_repo();
    let root = dir.path();
    // 2026-11-30T23:30Z is already 1 December in Berlin (the repo's time zone).
    let cfg = std::fs::read_to_string(root.join("gitsm.yaml")).unwrap();
    let cfg = if cfg.contains("\ntimezone:") {
        cfg.lines()
            .map(|l| {
                if l.starts_with("timezone:") {
                    "timezone: Europe/Berlin"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    } else {
        cfg + "timezone: Europe/Berlin\n"
    };
    write(root, "gitsm.yaml", cfg);
    write(
        root,
        "cmdb/cert.yaml",
        ci(
            "cert",
            "type: certificate\nexpires: 2026-12-08\nrenew_before: 1w\n",
        ),
    );
    write(
        root,
        "cmdb/lic.yaml",
        ci("lic", "type: licence\nexpires: 2026-12-31\nrenew_before: 2w\n"),
    );
    write(
        root,
        "cmdb/old.yaml",
        ci("old", "type: licence\nexpires: 2020-01-01\nlifecycle: retired\n"),
    );
    write(
        root,
        "cmdb/gone.yaml",
        ci("gone", "type: licence\nexpires: 2026-11-20\n"),
    );
    let (code, got) = findings_at(root, "2026-11-30T23:30:00Z");
    assert_eq!(
        got,
        vec![
            f(
                "E0803",
                "cmdb/gone.yaml",
                6,
                "licence `gone` expired on 2026-11-20 (11 days ago)"
            ),
            f(
                "W0801",
                "cmdb/cert.yaml",
                6,
                "certificate `cert` expires on 2026-12-08, in 7 days (renew_before: 7 days)"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn schema_rejects_bad_types_and_missing_names() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "cmdb/x.yaml",
        "apiVersion: gitsm/v1\nkind: ConfigItem\nid: x\ntype: mainframe\n",
    );
    write(
        root,
        "cmdb/y.yaml",
        ci("y", "type: server\nexpires: 2026-13-01\n"),
    );
    write(
        root,
        "cmdb/z.yaml",
        ci(
            "z",
            "type: server\nlifecycle: active\nowner: bob\nwarranty: 2027\n",
        ),
    );
    let (code, got) = findings_at(root, "2026-11-30T12:00:00Z");
    let codes: Vec<(&str, &str, u64)> = got
        .iter()
        .map(|(c, fl, l, _)| (c.as_str(), fl.as_str(), *l))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("E0103", "cmdb/x.yaml", 1),
            ("E0104", "cmdb/x.yaml", 4),
            ("E0102", "cmdb/z.yaml", 8),
            ("E0105", "cmdb/y.yaml", 6),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    assert_eq!(code, 1);
}

/// The gate validates a PR's records against the CMDB at head: an incident
/// naming an existing CI is fine, a missing one is a rule 2 finding.
#[test]
fn the_gate_resolves_config_items_named_by_changed_records() {
    use crate::gate::Scratch;
    let s = Scratch::new();
    s.commit_on_main(
        &[(
            "cmdb/db.yaml",
            "apiVersion: gitsm/v1\nkind: ConfigItem\nid: db\nname: DB\ntype: database\nservices: [web]\n",
        )],
        "cmdb",
    );
    git(s.path(), &["merge", "-q", "main"]);
    let inc = |ci: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Down\nservice: web\nimpact: low\nurgency: low\n\
status: new\nreported_at: 2026-11-20T10:00:00Z\nreported_by: carol\nconfig_items: [{ci}]\n\
timeline:\n  - {{at: 2026-11-20T10:00:00Z, by: carol, status: new}}\n"
        )
    };
    s.commit(&[("incidents/INC-0001.yaml", &inc("db"))], "incident");
    let (code, v, err) = s.gate("carol", &[], &[]);
    assert_eq!(code, 0, "{v:#}{err}");
    s.commit(&[("incidents/INC-0001.yaml", &inc("dbx"))], "typo");
    let (code, v, _) = s.gate("carol", &[], &[]);
    assert_eq!(code, 1, "{v:#}");
    let msgs: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .map(|c| c["message"].as_str().unwrap_or(""))
        .collect();
    assert!(msgs.iter().any(|m| m.contains("E0801")), "{v:#}");
}

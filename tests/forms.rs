//! `gitsm forms`: every generated file parsed as YAML and checked against
//! GitHub's issue-form rules by a checker written here (not gitsm's own
//! code), idempotence and refusals, and the round trip form → issue body as
//! GitHub renders it → `gitsm intake` → the same field values.

use crate::common::*;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::path::Path;

fn parse_yaml(text: &str) -> Value {
    gitsm::yaml::parse(text)
        .unwrap_or_else(|e| panic!("not YAML: {e:?}\n{text}"))
        .expect("a document")
        .to_json()
}

fn keys_within(v: &Value, allowed: &[&str], what: &str) {
    for k in v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not a mapping: {v}"))
        .keys()
    {
        assert!(
            allowed.contains(&k.as_str()),
            "{what}: key `{k}` is not part of GitHub's syntax"
        );
    }
}

fn non_empty_str(v: &Value, what: &str) -> String {
    let s = v.as_str().unwrap_or_else(|| panic!("{what}: not a string: {v}"));
    assert!(!s.trim().is_empty(), "{what}: empty");
    s.to_string()
}

/// GitHub's issue-form rules (docs: "Syntax for issue forms" and "Syntax for
/// GitHub's form schema"): top-level `name`, `description`, `body` required;
/// body elements typed, non-markdown ones with a unique `id` of letters,
/// digits, `-` and `_`, a unique non-empty `label`, dropdown options
/// non-empty and unique, checkbox options with a `label`, `validations`
/// only `required: bool`; at least one non-markdown element.
fn check_issue_form(form: &Value, file: &str) {
    keys_within(
        form,
        &[
            "name",
            "description",
            "title",
            "labels",
            "assignees",
            "body",
            "projects",
            "type",
        ],
        file,
    );
    non_empty_str(&form["name"], &format!("{file}: name"));
    non_empty_str(&form["description"], &format!("{file}: description"));
    if let Some(t) = form.get("title") {
        assert!(t.is_string(), "{file}: title");
    }
    if let Some(l) = form.get("labels") {
        for x in l.as_array().expect("labels is a list") {
            non_empty_str(x, &format!("{file}: label"));
        }
    }
    let body = form["body"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: body is not a list"));
    assert!(!body.is_empty(), "{file}: empty body");
    let (mut ids, mut labels, mut inputs) = (HashSet::new(), HashSet::new(), 0);
    for (i, e) in body.iter().enumerate() {
        let what = format!("{file}: body[{i}]");
        keys_within(e, &["type", "id", "attributes", "validations"], &what);
        let ty = e["type"].as_str().unwrap_or_else(|| panic!("{what}: no type"));
        assert!(
            ["markdown", "textarea", "input", "dropdown", "checkboxes"].contains(&ty),
            "{what}: type {ty}"
        );
        let attrs = &e["attributes"];
        if ty == "markdown" {
            keys_within(attrs, &["value"], &what);
            non_empty_str(&attrs["value"], &format!("{what}: value"));
            assert!(
                e.get("validations").is_none(),
                "{what}: markdown has no validations"
            );
            continue;
        }
        inputs += 1;
        let id = non_empty_str(&e["id"], &format!("{what}: id"));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{what}: id {id}"
        );
        assert!(ids.insert(id.clone()), "{what}: duplicate id {id}");
        let label = non_empty_str(&attrs["label"], &format!("{what}: label"));
        assert!(labels.insert(label.clone()), "{what}: duplicate label {label}");
        let allowed: &[&str] = match ty {
            "input" => &["label", "description", "placeholder", "value"],
            "textarea" => &["label", "description", "placeholder", "value", "render"],
            "dropdown" => &["label", "description", "options", "multiple", "default"],
            _ => &["label", "description", "options"],
        };
        keys_within(attrs, allowed, &what);
        if ty == "dropdown" {
            let opts = attrs["options"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: no options"));
            assert!(!opts.is_empty(), "{what}: dropdown options are empty");
            let mut seen = HashSet::new();
            for o in opts {
                let o = non_empty_str(o, &format!("{what}: option"));
                assert!(seen.insert(o.clone()), "{what}: duplicate option {o}");
                assert_ne!(o, "None", "{what}: `None` is reserved by GitHub");
            }
        }
        if ty == "checkboxes" {
            let opts = attrs["options"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: no options"));
            assert!(!opts.is_empty(), "{what}: checkbox options are empty");
            for o in opts {
                keys_within(o, &["label", "required"], &what);
                non_empty_str(&o["label"], &format!("{what}: checkbox label"));
            }
        }
        if let Some(v) = e.get("validations") {
            keys_within(v, &["required"], &what);
            assert!(v["required"].is_boolean(), "{what}: required is a boolean");
        }
    }
    assert!(inputs > 0, "{file}: no input elements");
}

fn forms_in(root: &Path, out: &Path) -> (i32, String, String) {
    let mut c = gitsm(root);
    c.args(["forms", "--out"]).arg(out);
    run(c)
}

fn read_dir_sorted(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn acme_forms_follow_githubs_issue_form_rules_and_rerun_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ISSUE_TEMPLATE");
    let root = manifest_dir().join("examples/acme");
    let (code, stdout, err) = forms_in(&root, &out);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        stdout,
        format!("3 forms in {}: 4 written, 0 unchanged\n", out.display())
    );
    let files = read_dir_sorted(&out);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "config.yml",
            "gitsm-incident.yml",
            "gitsm-request-backoffice-access.yml",
            "gitsm-request-data-export.yml"
        ]
    );
    for (name, text) in &files {
        let doc = parse_yaml(text);
        if name == "config.yml" {
            keys_within(&doc, &["blank_issues_enabled", "contact_links"], name);
            assert_eq!(doc["blank_issues_enabled"], true);
            for l in doc["contact_links"].as_array().unwrap() {
                keys_within(l, &["name", "url", "about"], name);
                for k in ["name", "url", "about"] {
                    non_empty_str(&l[k], name);
                }
                assert!(l["url"].as_str().unwrap().starts_with("https://"));
            }
        } else {
            check_issue_form(&doc, name);
        }
    }
    // The incident form offers exactly the public services, each by name and id.
    let incident = parse_yaml(&files[1].1);
    let services: Vec<&str> = incident["body"][1]["attributes"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        [
            "Customer Accounts (accounts)",
            "Catalog API (catalog-api)",
            "Checkout (checkout)",
            "Inventory (inventory)",
            "Notifications (notifications)",
            "Orders (orders)",
            "Payments (payments)",
            "Search (search)",
            "Shipping & Tracking (shipping)",
            "Storefront (storefront)",
        ]
    );
    // Again: nothing changes, byte for byte.
    let (code, stdout, _) = forms_in(&root, &out);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        format!("3 forms in {}: 0 written, 4 unchanged\n", out.display())
    );
    assert_eq!(read_dir_sorted(&out), files);
}

#[test]
fn forms_never_replace_a_file_gitsm_did_not_write_and_remove_stale_ones() {
    let dir = init_repo();
    let root = dir.path();
    let out = root.join(".github/ISSUE_TEMPLATE");
    write(root, ".github/ISSUE_TEMPLATE/gitsm-incident.yml", "name: Mine\n");
    let (code, _, err) = forms_in(root, &out);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: ") && err.contains("lacks gitsm's marker"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("gitsm-incident.yml")).unwrap(),
        "name: Mine\n"
    );
    assert!(!out.join("config.yml").exists());
    std::fs::remove_file(out.join("gitsm-incident.yml")).unwrap();
    // A form of a request type that is no longer public is removed.
    write(
        root,
        "catalog/requests/laptop.yaml",
        "apiVersion: gitsm/v1\nkind: RequestType\nid: laptop\nname: Laptop\nservice: web\npublic: true\n\
fields:\n  - {id: model, label: Model, type: select, options: [mac, linux], required: true}\n",
    );
    let (code, _, err) = forms_in(root, &out);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("gitsm-request-laptop.yml").exists());
    write(
        root,
        "catalog/requests/laptop.yaml",
        "apiVersion: gitsm/v1\nkind: RequestType\nid: laptop\nname: Laptop\nservice: web\npublic: false\n",
    );
    let (code, stdout, _) = forms_in(root, &out);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with(", removed gitsm-request-laptop.yml\n"),
        "{stdout}"
    );
    let names: Vec<String> = read_dir_sorted(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["config.yml", "gitsm-incident.yml"]);
}

/// The body GitHub writes for an issue made from `form` with `answers`
/// (element id → answer; absent = left empty): `### <label>`, a blank line,
/// the answer or `_No response_`, sections separated by a blank line;
/// checkboxes as `- [X] <label>` / `- [ ] <label>`.
pub fn github_body(form: &Value, answers: &Map<String, Value>) -> String {
    let mut sections = Vec::new();
    for e in form["body"].as_array().unwrap() {
        if e["type"] == "markdown" {
            continue;
        }
        let label = e["attributes"]["label"].as_str().unwrap();
        let id = e["id"].as_str().unwrap();
        let value = match (e["type"].as_str().unwrap(), answers.get(id)) {
            ("checkboxes", a) => e["attributes"]["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    let mark = if a == Some(&json!(true)) { "X" } else { " " };
                    format!("- [{mark}] {}", o["label"].as_str().unwrap())
                })
                .collect::<Vec<_>>()
                .join("\n"),
            (_, Some(Value::String(s))) => s.clone(),
            (_, Some(v)) => v.to_string(),
            (_, None) => "_No response_".to_string(),
        };
        sections.push(format!("### {label}\n\n{value}"));
    }
    sections.join("\n\n")
}

pub fn issue_json(number: u64, title: &str, login: &str, body: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/itsm/issues/{number}"),
        "html_url": format!("https://github.com/acme/itsm/issues/{number}"),
        "id": 1000 + number, "node_id": "I_x", "number": number, "title": title,
        "user": {"login": login, "id": 77, "type": "User", "site_admin": false},
        "labels": [{"id": 1, "name": "gitsm", "color": "ededed", "default": false}],
        "state": "open", "locked": false, "comments": 0,
        "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z",
        "author_association": "MEMBER", "body": body
    })
}

/// Copies acme into a git repo of its own (intake reads ids from HEAD too).
pub fn acme_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = manifest_dir().join("examples/acme");
    crate::common::copy_tree(&src, dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "acme"]);
    dir
}

fn record(root: &Path, rel: &str) -> Value {
    parse_yaml(&std::fs::read_to_string(root.join(rel)).unwrap())
}

#[test]
fn round_trip_form_to_issue_to_record_keeps_every_value() {
    let dir = acme_copy();
    let root = dir.path();
    let out = root.join(".github/ISSUE_TEMPLATE");
    assert_eq!(forms_in(root, &out).0, 0);
    let form = |f: &str| parse_yaml(&std::fs::read_to_string(out.join(f)).unwrap());
    let intake = |issue: &Value| {
        let path = root.join("issue.json");
        std::fs::write(&path, issue.to_string()).unwrap();
        let mut c = gitsm(root);
        c.args(["intake", "--issue", "issue.json"]);
        run(c)
    };

    // A request: every field type, one optional left empty.
    let f = form("gitsm-request-data-export.yml");
    let answers: Map<String, Value> =
        json!({"dataset": "customers-anonymised", "period": "2026-01-01..2026-06-30",
        "dpo_ok": true})
        .as_object()
        .unwrap()
        .clone();
    let title = format!(
        "{}Half-year export for churn analysis",
        f["title"].as_str().unwrap()
    );
    let (code, stdout, err) = intake(&issue_json(7, &title, "dana-s", &github_body(&f, &answers)));
    assert_eq!(
        (code, stdout.as_str()),
        (0, "created REQ-0016 requests/REQ-0016.yaml from issue #7\n"),
        "{err}"
    );
    let r = record(root, "requests/REQ-0016.yaml");
    assert_eq!(
        r["fields"],
        json!({"dataset": "customers-anonymised", "period": "2026-01-01..2026-06-30", "dpo_ok": true})
    );
    assert_eq!(r["title"], "Half-year export for churn analysis");
    assert_eq!(r["type"], "data-export");
    assert_eq!(r["service"], "data-warehouse");
    assert_eq!(r["requested_by"], "dana-s");
    assert_eq!(r["status"], "submitted");
    assert_eq!(
        r["extra"],
        json!({"source": "https://github.com/acme/itsm/issues/7"})
    );
    assert_eq!(
        r["timeline"],
        json!([{"at": "2026-11-30T09:00:00Z", "by": "dana-s", "status": "submitted"}])
    );

    // The same with a number and a login, from the other form.
    let f = form("gitsm-request-backoffice-access.yml");
    let answers: Map<String, Value> = json!({"user": "@zoe-k", "role": "refunds", "from": "2026-12-01",
        "until": "2026-12-24", "reason": "Seasonal support.\n\nTwo lines."})
    .as_object()
    .unwrap()
    .clone();
    let (code, _, err) = intake(&issue_json(
        8,
        "[Backoffice access]: Zoe",
        "dana-s",
        &github_body(&f, &answers),
    ));
    assert_eq!(code, 0, "{err}");
    let r = record(root, "requests/REQ-0017.yaml");
    assert_eq!(
        r["fields"],
        json!({"user": "zoe-k", "role": "refunds", "from": "2026-12-01", "until": "2026-12-24",
               "reason": "Seasonal support.\n\nTwo lines."})
    );

    // An incident: the service dropdown's label maps back to the id.
    let f = form("gitsm-incident.yml");
    let answers: Map<String, Value> = json!({"service": "Shipping & Tracking (shipping)", "impact": "medium",
        "urgency": "high", "description": "Tracking pages show 500 since 08:40."})
    .as_object()
    .unwrap()
    .clone();
    let (code, stdout, err) = intake(&issue_json(
        9,
        "[Incident]: Tracking page errors",
        "erin",
        &github_body(&f, &answers),
    ));
    assert_eq!(
        (code, stdout.as_str()),
        (0, "created INC-0051 incidents/INC-0051.yaml from issue #9\n"),
        "{err}"
    );
    let r = record(root, "incidents/INC-0051.yaml");
    for (k, v) in [
        ("service", "shipping"),
        ("impact", "medium"),
        ("urgency", "high"),
        ("status", "new"),
        ("reported_by", "erin"),
        ("title", "Tracking page errors"),
    ] {
        assert_eq!(r[k], v, "{k}");
    }
    assert_eq!(r["timeline"][0]["note"], "Tracking pages show 500 since 08:40.");
    // And the repo still validates.
    let mut c = gitsm(root);
    c.args(["--now", "2026-11-30T12:00:00Z", "validate"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn requests_are_checked_against_their_form_at_the_right_line() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "catalog/requests/access.yaml",
        "apiVersion: gitsm/v1\nkind: RequestType\nid: access\nname: Access\nservice: web\npublic: true\n\
approval: {approvals: 1, from: [judy]}\nfields:\n\
  - {id: user, label: User, type: login, required: true}\n\
  - {id: level, label: Level, type: select, options: [read, write], required: true}\n\
  - {id: from, label: From, type: date}\n\
  - {id: seats, label: Seats, type: number}\n\
  - {id: ok, label: OK, type: checkbox}\n\
  - {id: ok, label: Level, type: text, options: [x]}\n\
  - {id: kind, label: Kind, type: select}\n",
    );
    let req = |id: &str, rest: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Request\nid: {id}\ntitle: T\nservice: web\nstatus: submitted\n{rest}\
timeline:\n  - {{at: 2026-11-20T10:00:00Z, by: alice, status: submitted}}\n"
        )
    };
    write(
        root,
        "requests/REQ-0001.yaml",
        req("REQ-0001", "type: access\nfields:\n  user: not a login\n  level: admin\n  from: 2026-02-30\n  seats: \"3\"\n  ok: yes\n  color: blue\n"),
    );
    write(root, "requests/REQ-0002.yaml", req("REQ-0002", "type: acess\n"));
    write(root, "requests/REQ-0003.yaml", req("REQ-0003", "type: access\n"));
    // Approved without the approval the type asks for (judy).
    write(
        root,
        "requests/REQ-0004.yaml",
        "apiVersion: gitsm/v1\nkind: Request\nid: REQ-0004\ntitle: T\nservice: web\nstatus: approved\ntype: access\n\
fields: {user: bob, level: read}\napprovals:\n  - {by: mallory, at: 2026-11-20T11:00:00Z}\ntimeline:\n  - {at: 2026-11-20T10:00:00Z, by: alice, status: submitted}\n  - {at: 2026-11-20T11:00:00Z, by: mallory, status: approved}\n",
    );
    let f = |c: &str, file: &str, l: u64, m: &str| (c.to_string(), file.to_string(), l, m.to_string());
    assert_eq!(
        findings(root),
        vec![
            f("E0820", "requests/REQ-0002.yaml", 7, "unknown request type `acess`"),
            f("E0821", "requests/REQ-0003.yaml", 7, "request type `access` requires `level` (Level)"),
            f("E0821", "requests/REQ-0003.yaml", 7, "request type `access` requires `user` (User)"),
            f("E0822", "requests/REQ-0001.yaml", 9, "`not a login` is not a GitHub login"),
            f("E0822", "requests/REQ-0001.yaml", 10, "`admin` is not an option of `level`; options: read, write"),
            f("E0822", "requests/REQ-0001.yaml", 11, "`2026-02-30` is not a valid date: parsed date is not valid: parameter 'day' for `2026-02` is invalid, must be in range `1..=28`"),
            f("E0822", "requests/REQ-0001.yaml", 12, "`seats` is a number field; a string does not fit"),
            f("E0822", "requests/REQ-0001.yaml", 13, "`ok` is a checkbox field; a string does not fit"),
            f("E0823", "requests/REQ-0001.yaml", 14, "request type `access` has no field `color`"),
            f("E0824", "catalog/requests/access.yaml", 14, "`options` is only for select fields; `ok` is a text"),
            f("E0824", "catalog/requests/access.yaml", 14, "field id `ok` is used twice"),
            f("E0824", "catalog/requests/access.yaml", 14, "label `Level` is used twice in the form"),
            f("E0824", "catalog/requests/access.yaml", 15, "select field `kind` has no `options`"),
            f("E0825", "requests/REQ-0004.yaml", 10, "request is `approved` with 0 approval(s) from judy; request type `access` asks for 1"),
        ]
    );
}

#[test]
fn a_request_types_fulfillment_is_the_sla_target_of_its_requests() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "catalog/requests/quick.yaml",
        "apiVersion: gitsm/v1\nkind: RequestType\nid: quick\nname: Quick\nservice: web\nfulfillment: 4h\n",
    );
    let req = |id: &str, ty: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Request\nid: {id}\ntitle: T\nservice: web\nstatus: submitted\n{ty}\
timeline:\n  - {{at: 2026-11-30T08:00:00Z, by: alice, status: submitted}}\n"
        )
    };
    write(root, "requests/REQ-0001.yaml", req("REQ-0001", "type: quick\n"));
    write(root, "requests/REQ-0002.yaml", req("REQ-0002", ""));
    let mut c = gitsm(root);
    c.args(["--now", "2026-11-30T10:00:00Z", "sla", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    let targets: Vec<(&str, i64)> = d["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["clocks"][0]["target"].as_i64().unwrap(),
            )
        })
        .collect();
    // The type's 4h, else the SLA's request_fulfillment (3d in `gitsm init`'s SLA).
    assert_eq!(targets, [("REQ-0001", 4 * 3600), ("REQ-0002", 3 * 86400)]);
}

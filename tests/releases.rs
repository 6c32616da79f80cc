//! Releases: schema, workflow, the change ↔ release links checked both
//! ways, release notes (exact markdown, HTML read by an HTML5 parser, JSON)
//! and the report's release count.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn change(id: &str, title: &str, release: Option<&str>) -> String {
    format!(
        "apiVersion: gitsm/v1\nkind: Change\nid: {id}\ntitle: \"{title}\"\nstatus: draft\ntype: standard\nrisk: low\n\
services: [web]\nrequested_by: alice\n{}timeline:\n  - {{at: 2026-11-20T10:00:00Z, by: alice, status: draft}}\n",
        release.map(|r| format!("release: {r}\n")).unwrap_or_default()
    )
}

fn release(id: &str, changes: &[&str], timeline: &str, status: &str) -> String {
    format!(
        "apiVersion: gitsm/v1\nkind: Release\nid: {id}\ntitle: R {id}\nchanges: [{}]\nstatus: {status}\ntimeline:\n{timeline}",
        changes.join(", ")
    )
}

const PLANNED: &str = "  - {at: 2026-11-20T10:00:00Z, by: alice, status: planned}\n";

fn f(c: &str, file: &str, l: u64, m: &str) -> (String, String, u64, String) {
    (c.into(), file.into(), l, m.into())
}

#[test]
fn links_are_checked_both_ways_and_the_workflow_is_enforced() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "changes/CHG-0001.yaml",
        change("CHG-0001", "A", Some("REL-0001")),
    );
    write(
        root,
        "changes/CHG-0002.yaml",
        change("CHG-0002", "B", Some("REL-0001")),
    );
    write(
        root,
        "changes/CHG-0003.yaml",
        change("CHG-0003", "C", Some("REL-0009")),
    );
    write(
        root,
        "changes/CHG-0004.yaml",
        change("CHG-0004", "D", Some("REL-0002")),
    );
    // REL-0001 lists CHG-0001 and CHG-0004 (which names REL-0002) and a missing change;
    // REL-0002 lists CHG-0001 again; CHG-0002 names REL-0001 but is not listed.
    write(
        root,
        "releases/REL-0001.yaml",
        release(
            "REL-0001",
            &["CHG-0001", "CHG-0004", "CHG-0099"],
            PLANNED,
            "planned",
        ),
    );
    write(
        root,
        "releases/REL-0002.yaml",
        release("REL-0002", &["CHG-0001", "CHG-0004"], PLANNED, "planned"),
    );
    // Skips `building` and `testing`; a released release cannot be cancelled.
    write(
        root,
        "releases/REL-0003.yaml",
        release(
            "REL-0003",
            &[],
            "  - {at: 2026-11-20T10:00:00Z, by: alice, status: planned}\n  - {at: 2026-11-21T10:00:00Z, by: alice, status: deploying}\n",
            "deploying",
        ),
    );
    write(
        root,
        "releases/REL-0004.yaml",
        release(
            "REL-0004",
            &[],
            "  - {at: 2026-11-20T10:00:00Z, by: a, status: planned}\n  - {at: 2026-11-20T11:00:00Z, by: a, status: building}\n  - {at: 2026-11-20T12:00:00Z, by: a, status: testing}\n  - {at: 2026-11-20T13:00:00Z, by: a, status: deploying}\n  - {at: 2026-11-20T14:00:00Z, by: a, status: released}\n  - {at: 2026-11-20T15:00:00Z, by: a, status: cancelled}\n",
            "cancelled",
        ),
    );
    write(
        root,
        "releases/REL-5.yaml",
        release("REL-5", &[], PLANNED, "shipped"),
    );
    assert_eq!(
        findings(root),
        vec![
            f(
                "E0104",
                "releases/REL-5.yaml",
                6,
                "`shipped` is not a valid `status`"
            ),
            f(
                "E0303",
                "releases/REL-0003.yaml",
                9,
                "illegal move `planned` → `deploying` for a Release"
            ),
            f(
                "E0303",
                "releases/REL-0004.yaml",
                13,
                "illegal move `released` → `cancelled` for a Release"
            ),
            f("E0810", "releases/REL-0001.yaml", 5, "unknown change `CHG-0099`"),
            f("E0811", "changes/CHG-0003.yaml", 10, "unknown release `REL-0009`"),
            f(
                "E0812",
                "changes/CHG-0002.yaml",
                10,
                "names release `REL-0001`, which does not list change `CHG-0002`"
            ),
            f(
                "E0812",
                "releases/REL-0001.yaml",
                5,
                "change `CHG-0004` names release `REL-0002`, not `REL-0001`"
            ),
            f(
                "E0812",
                "releases/REL-0002.yaml",
                5,
                "change `CHG-0001` is already in release `REL-0001`; a change ships in one release"
            ),
            f(
                "E0812",
                "releases/REL-0002.yaml",
                5,
                "change `CHG-0004` is already in release `REL-0001`; a change ships in one release"
            ),
        ]
    );
}

fn notes(root: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = gitsm(root);
    c.args(["--now", "2026-11-30T12:00:00Z", "release-notes"])
        .args(args);
    run(c)
}

#[test]
fn acme_release_notes_in_markdown_html_and_json() {
    let root = manifest_dir().join("examples/acme");
    let (code, md, err) = notes(&root, &["REL-0001"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        md,
        "# Week 47 maintenance release (2026.47)\n\n\
Release REL-0001 · status **released** · released 2026-11-20T10:00:00Z · services: storefront, orders\n\n\
Storefront dependency batch and more storage for the orders database ahead of Black Friday.\n\n\
## Changes (2: 2 successful, 0 failed, 0 rolled back, 0 pending)\n\n\
| Change | Title | Type | Risk | Services | Outcome | Links |\n\
|---|---|---|---|---|---|---|\n\
| CHG-0015 | Renovate dependency batch for the storefront (week 47) | standard | low | storefront | successful | [pr](https://github.com/acme/shop/pull/812) |\n\
| CHG-0018 | Grow orders-db storage from 400 GB to 500 GB | standard | low | orders | successful |  |\n"
    );
    let (code, json, _) = notes(&root, &["REL-0002", "--format", "json"]);
    assert_eq!(code, 0);
    let d: Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CHG-0025", "CHG-0016"]);
    assert_eq!(d["summary"]["pending"], 2);
    assert_eq!(d["released_at"], Value::Null);
    let (code, _, err) = notes(&root, &["REL-0003"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "error: no release `REL-0003`; did you mean `REL-0002`?\n")
    );
}

#[test]
fn release_notes_escape_record_text() {
    let dir = init_repo();
    let root = dir.path();
    write(
        root,
        "changes/CHG-0001.yaml",
        change("CHG-0001", "<script>alert(1)</script> | x", Some("REL-0001")),
    );
    write(
        root,
        "releases/REL-0001.yaml",
        release("REL-0001", &["CHG-0001"], PLANNED, "planned"),
    );
    let (code, html, err) = notes(root, &["REL-0001", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    assert!(!html.contains("<script>"), "{html}");
    assert_eq!(html5_errors(&html), Vec::<String>::new());
    assert!(
        html.contains("<td>&lt;script&gt;alert(1)&lt;&#x2f;script&gt; | x</td>"),
        "{html}"
    );
    let (_, md, _) = notes(root, &["REL-0001"]);
    assert!(
        md.contains("| CHG-0001 | &lt;script&gt;alert(1)&lt;/script&gt; \\| x | standard |"),
        "{md}"
    );
}

#[test]
fn report_counts_releases_of_the_period() {
    let root = manifest_dir().join("examples/acme");
    let mut c = gitsm(&root);
    c.args([
        "--now",
        "2026-11-30T12:00:00Z",
        "report",
        "--period",
        "2026-11",
        "--format",
        "json",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        d["releases"],
        serde_json::json!({"released": 1, "ids": ["REL-0001"]})
    );
}

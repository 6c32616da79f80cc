//! Tests of the judge: bookkeeping, freshness and the shared tally.

use super::*;

#[test]
fn bookkeeping_is_exactly_what_record_writes() {
    let at: jiff::Timestamp = "2026-11-20T10:00:00Z".parse().unwrap();
    let backed = HashMap::from([("alice".to_string(), at)]);
    let j: Value = serde_json::json!({
        "id": "CHG-1",
        "approvals": [{"by": "Alice", "at": "2026-11-20T10:00:00Z"}, {"by": "bob", "at": "2026-11-20T10:00:00Z"},
                      {"by": "alice", "at": "2026-11-20T11:00:00Z"}],
        "timeline": [
            {"at": "x", "by": "alice", "note": "approved by alice"},
            {"at": "x", "by": "alice", "note": "Approved by alice, and more"},
            {"at": "x", "by": "alice", "note": "approved by alice", "public": true},
            {"at": "x", "by": "alice", "note": "approved by alice", "public": false},
            {"at": "x", "by": "bob", "note": "approved by alice"},
            {"at": "x", "by": "alice", "note": "approved by alice", "status": "approved"}
        ]
    });
    let clean = without_bookkeeping(&j, &backed);
    assert_eq!(clean["approvals"].as_array().unwrap().len(), 2);
    assert_eq!(clean["timeline"].as_array().unwrap().len(), 4);
}

#[test]
fn quick_id_defers_anything_unusual_to_the_parser() {
    assert_eq!(
        record_ids(b"apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\n"),
        vec!["CHG-0001"]
    );
    assert_eq!(
        record_ids(b"{apiVersion: gitsm/v1, kind: Change,\nid: CHG-0002}\n"),
        vec!["CHG-0002"]
    );
    assert_eq!(record_ids(b"kind: Change\n\"id\": CHG-0003\n"), vec!["CHG-0003"]);
    assert_eq!(
        record_ids(b"kind: Change\nid: \"CHG\\x2D0004\"\n"),
        vec!["CHG-0004"]
    );
    assert_eq!(
        record_ids(b"title: \"a\n  id: CHG-9\"\nid: CHG-0005\n"),
        vec!["CHG-0005"]
    );
    assert_eq!(record_ids(b"? id\n: CHG-0006\n"), vec!["CHG-0006"]);
    assert!(record_ids(b"\xff").is_empty());
}

//! The editor's tests: in-place edits keep every other byte.

use super::*;
use serde_json::json;

fn transition(src: &str, status: &str) -> String {
    let edits = Edits {
        set: vec![("status".into(), json!(status))],
        append: vec![(
            "timeline".into(),
            vec![
                ("at".into(), json!("2026-11-21T10:00:00Z")),
                ("by".into(), json!("alice")),
                ("status".into(), json!(status)),
            ],
        )],
    };
    apply(src, &edits).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

#[test]
fn block_timeline_keeps_every_other_byte() {
    let src = "# head\nid: INC-1 # the id\nstatus: new   # moved by gitsm\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n# trailing\n";
    let out = transition(src, "acknowledged");
    assert_eq!(
        out,
        "# head\nid: INC-1 # the id\nstatus: acknowledged   # moved by gitsm\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n  - at: 2026-11-21T10:00:00Z\n    by: alice\n    status: acknowledged\n# trailing\n"
    );
}

#[test]
fn flow_crlf_quotes_and_no_trailing_newline() {
    let src =
        "id: 'INC-1'\r\nstatus: \"new\"\r\ntimeline: [{at: 2026-11-20T10:00:00Z, by: bob, status: new}]";
    let out = transition(src, "resolved");
    assert_eq!(
        out,
        "id: 'INC-1'\r\nstatus: \"resolved\"\r\ntimeline: [{at: 2026-11-20T10:00:00Z, by: bob, status: new}, {at: 2026-11-21T10:00:00Z, by: alice, status: resolved}]"
    );
}

#[test]
fn multi_line_flow_and_compact_items() {
    let src =
        "status: 'new'\ntimeline: [\n    {at: 2026-11-20T10:00:00Z, by: bob, status: new},\n]\nextra: {}\n";
    let out = transition(src, "resolved");
    assert_eq!(
        out,
        "status: 'resolved'\ntimeline: [\n    {at: 2026-11-20T10:00:00Z, by: bob, status: new},\n    {at: 2026-11-21T10:00:00Z, by: alice, status: resolved}\n]\nextra: {}\n"
    );
    let src = "status: new\ntimeline:\n- {by: bob, at: 2026-11-20T10:00:00Z, status: new}\nnext: 1\n";
    let out = transition(src, "resolved");
    assert_eq!(
        out,
        "status: resolved\ntimeline:\n- {by: bob, at: 2026-11-20T10:00:00Z, status: new}\n- {by: alice, at: 2026-11-21T10:00:00Z, status: resolved}\nnext: 1\n"
    );
}

#[test]
fn unusual_indentation_and_non_ascii() {
    let src = "title: Café ☕ down\nstatus:    new\ntimeline:\n    -   at: 2026-11-20T10:00:00Z\n        by: zoë\n        note: \"über\"\n        status: new\n";
    let out = transition(src, "acknowledged");
    assert_eq!(
        out,
        "title: Café ☕ down\nstatus:    acknowledged\ntimeline:\n    -   at: 2026-11-20T10:00:00Z\n        by: zoë\n        note: \"über\"\n        status: new\n    -   at: 2026-11-21T10:00:00Z\n        by: alice\n        status: acknowledged\n"
    );
}

#[test]
fn inserts_and_replaces_fields() {
    let src = "status: completed\nreview: |\n  old\n  text\ntimeline:\n  - {at: 2026-11-20T10:00:00Z, by: bob, status: new}\n";
    let edits = Edits {
        set: vec![
            ("outcome".into(), json!("failed")),
            (
                "review".into(),
                json!("Rolled back at 10:05.\nFollow-up in PRB-0002."),
            ),
            ("note".into(), json!("needs: quoting # here")),
        ],
        append: vec![],
    };
    let out = apply(src, &edits).unwrap();
    assert_eq!(
        out,
        "status: completed\nreview: |-\n  Rolled back at 10:05.\n  Follow-up in PRB-0002.\noutcome: failed\nnote: \"needs: quoting # here\"\ntimeline:\n  - {at: 2026-11-20T10:00:00Z, by: bob, status: new}\n"
    );
}

#[test]
fn bom_block_notes_and_empty_values() {
    let src = "\u{feff}status: new\n  # why it is new\noutcome:\nreview: ~ # later\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n    note: |\n      line one\n\n      line three\n    # a comment inside the list\nnext: 1\n";
    let edits = Edits {
        set: vec![
            ("status".into(), json!("completed")),
            ("outcome".into(), json!("successful")),
            ("review".into(), json!("Fine.")),
        ],
        append: vec![(
            "timeline".into(),
            vec![
                ("at".into(), json!("2026-11-21T10:00:00Z")),
                ("by".into(), json!("al")),
            ],
        )],
    };
    let out = apply(src, &edits).unwrap();
    assert_eq!(
        out,
        "\u{feff}status: completed\n  # why it is new\noutcome: successful\nreview: Fine. # later\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n    note: |\n      line one\n\n      line three\n    # a comment inside the list\n  - at: 2026-11-21T10:00:00Z\n    by: al\nnext: 1\n"
    );
}

/// Every prefix of some tricky files, and every copy with one character
/// deleted: edits succeed or fail cleanly,
/// never panic, and a success always holds exactly the intended data
/// (checked inside `apply`).
#[test]
fn truncated_inputs_never_panic() {
    let sources = [
        "id: 'INC-1'\r\nstatus: \"new\"\r\ntimeline: [{at: 2026-11-20T10:00:00Z, by: bob, status: new}]",
        "status: 'new'\ntimeline: [\n    {at: 2026-11-20T10:00:00Z, by: bob, status: new},\n]\nextra: {}\n",
        "title: Café ☕\nstatus:    new # c\noutcome:\ntimeline:\n    -   at: 2026-11-20T10:00:00Z\n        note: |\n          x\n        status: new\n",
        "status: new\ntimeline:\n- {by: bob, at: 2026-11-20T10:00:00Z, status: new}\nnext: 1\n",
    ];
    let edits = Edits {
        set: vec![
            ("status".into(), json!("resolved")),
            ("outcome".into(), json!("successful")),
        ],
        append: vec![(
            "timeline".into(),
            vec![
                ("at".into(), json!("2026-11-21T10:00:00Z")),
                ("by".into(), json!("al")),
            ],
        )],
    };
    let mut ok = 0;
    for src in sources {
        for (i, c) in src.char_indices() {
            let without = format!("{}{}", &src[..i], &src[i + c.len_utf8()..]);
            for variant in [&src[..i], without.as_str()] {
                if apply(variant, &edits).is_ok() {
                    ok += 1;
                }
            }
        }
        assert!(apply(src, &edits).is_ok(), "{src}");
    }
    assert!(ok > 20, "{ok}");
}

#[test]
fn quoting_rules() {
    assert_eq!(render_scalar("plain text"), "plain text");
    assert_eq!(render_scalar("true"), "\"true\"");
    assert_eq!(render_scalar("42"), "\"42\"");
    assert_eq!(render_scalar("no"), "\"no\"");
    assert_eq!(render_scalar("- dash"), "\"- dash\"");
    assert_eq!(render_scalar(""), "\"\"");
    assert_eq!(render_scalar("a, b"), "\"a, b\"");
    assert_eq!(render_scalar("2026-11-20T10:00:00Z"), "2026-11-20T10:00:00Z");
}

#[test]
fn refuses_flow_root() {
    assert!(apply("{status: new, timeline: []}", &Edits::default()).is_err());
}

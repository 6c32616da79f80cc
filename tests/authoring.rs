//! `gitsm new`, `gitsm transition`, `gitsm log`: byte-exact edits, id
//! allocation under concurrency, every illegal move, history through renames.

use crate::common::*;
use gitsm::model::Kind;
use gitsm::workflow;
use std::path::Path;

const AT: &str = "2026-11-21T10:00:00Z";

fn gs(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = gitsm(dir);
    c.args(args);
    run(c)
}

/// `gitsm transition ID TO --by BY [extra…]`, with `--at AT` unless `extra`
/// gives its own `--at`.
fn transition(root: &Path, id: &str, to: &str, by: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["transition", id, to, "--by", by];
    if !extra.contains(&"--at") {
        args.extend(["--at", AT]);
    }
    args.extend(extra);
    gs(root, &args)
}

/// A refused command: exit 1, `msg` on stderr, and `rel` still reads `before`.
fn assert_refused(root: &Path, rel: &str, before: &str, result: (i32, String, String), msg: &str) {
    let (code, out, err) = result;
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(msg), "wanted `{msg}` in: {err}");
    assert_eq!(read(root, rel), before, "{rel} changed");
}

/// A fresh `gitsm init` repo committed to git.
fn git_repo() -> tempfile::TempDir {
    let d = init_repo();
    git(d.path(), &["init", "-q", "-b", "main"]);
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-qm", "init"]);
    d
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

fn assert_valid(root: &Path) {
    let (code, findings) = validate_json(root);
    assert_eq!(code, 0, "{findings:#?}");
    assert!(findings.is_empty(), "{findings:#?}");
}

fn no_temp_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "temp file left behind: {name}");
    }
}

#[test]
fn a_new_user_opens_acknowledges_resolves_and_reads_the_log() {
    let d = git_repo();
    let root = d.path();
    git(root, &["config", "github.user", "alice"]);
    let (code, out, err) = gs(
        root,
        &[
            "--now",
            "2026-11-20T09:14:00Z",
            "new",
            "incident",
            "--title",
            "Checkout returns 502",
            "--service",
            "web",
            "--impact",
            "high",
            "--urgency",
            "medium",
            "--note",
            "Pager: 5xx above 5%",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "created INC-0001 incidents/INC-0001.yaml");
    assert!(err.contains("next: gitsm transition INC-0001"), "{err}");
    let created = read(root, "incidents/INC-0001.yaml");
    assert_eq!(
        created,
        "# yaml-language-server: $schema=../schemas/incident.json\n\
apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Checkout returns 502\nservice: web\n\
impact: high\nurgency: medium\nstatus: new\nreported_at: 2026-11-20T09:14:00Z\nreported_by: alice\n\
timeline:\n  - at: 2026-11-20T09:14:00Z\n    by: alice\n    status: new\n    note: \"Pager: 5xx above 5%\"\n"
    );
    assert_valid(root);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "Open INC-0001"]);

    let (code, out, err) = gs(
        root,
        &[
            "--now",
            "2026-11-20T09:20:00Z",
            "transition",
            "INC-0001",
            "acknowledged",
            "--note",
            "Looking",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "INC-0001: new → acknowledged (incidents/INC-0001.yaml)"
    );
    git(root, &["commit", "-qam", "Acknowledge INC-0001"]);
    let (code, out, err) = transition(
        root,
        "INC-0001",
        "resolved",
        "bob",
        &[
            "--at",
            "2026-11-20T10:02:00Z",
            "--public",
            "--note",
            "Fixed by rolling back",
            "--resolution",
            "Rolled back release 1.2.3",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_valid(root);
    // git diff shows only the lines that had to change.
    let diff = git(root, &["diff", "-U0", "--no-color"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-')) && !l.starts_with("+++") && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            "-status: acknowledged",
            "+status: resolved",
            "+resolution: Rolled back release 1.2.3",
            "+  - at: 2026-11-20T10:02:00Z",
            "+    by: bob",
            "+    status: resolved",
            "+    note: Fixed by rolling back",
            "+    public: true",
        ],
        "{diff}"
    );
    git(root, &["commit", "-qam", "Resolve INC-0001"]);

    let (code, out, err) = gs(root, &["log", "INC-0001"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("INC-0001 (incidents/INC-0001.yaml): 3 commits\n"),
        "{out}"
    );
    let resolve = out.find("Resolve INC-0001").expect("newest commit");
    let ack = out.find("Acknowledge INC-0001").expect("middle commit");
    let open = out.find("Open INC-0001").expect("first commit");
    assert!(resolve < ack && ack < open, "newest first: {out}");
    assert!(out.contains("status: acknowledged → resolved"), "{out}");
    assert!(out.contains("+ resolution: Rolled back release 1.2.3"), "{out}");
    assert!(
        out.contains("+ resolved by bob at 2026-11-20T10:02:00Z: Fixed by rolling back"),
        "{out}"
    );
    assert!(out.contains("status: new → acknowledged"), "{out}");
    assert!(out.contains("created incidents/INC-0001.yaml"), "{out}");
    assert!(
        out.contains("Test <test@example.com>  2026-11-20T10:00:00+00:00"),
        "{out}"
    );
}

#[test]
fn new_prints_json_and_allocates_past_head_and_work_tree() {
    let d = git_repo();
    let root = d.path();
    let args = |title: &'static str| {
        vec![
            "new",
            "change",
            "--title",
            title,
            "--service",
            "web",
            "--type",
            "standard",
            "--risk",
            "low",
            "--by",
            "carol",
            "--at",
            AT,
            "--format",
            "json",
        ]
    };
    let (code, out, err) = gs(root, &args("First"));
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["id"], "CHG-0001");
    assert_eq!(j["path"], "changes/CHG-0001.yaml");
    // CHG-0007 is only in HEAD (deleted from the work tree), CHG-0003 only in the work tree.
    let body = read(root, "changes/CHG-0001.yaml");
    write(
        root,
        "changes/CHG-0007.yaml",
        body.replace("CHG-0001", "CHG-0007"),
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "seven"]);
    std::fs::remove_file(root.join("changes/CHG-0007.yaml")).unwrap();
    let (code, out, _) = gs(root, &args("Second"));
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"],
        "CHG-0008"
    );
    write(
        root,
        "changes/CHG-0011.yaml",
        body.replace("CHG-0001", "CHG-0011"),
    );
    let (_, out, _) = gs(root, &args("Third"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"],
        "CHG-0012"
    );
    // Padding follows the config.
    let cfg = read(root, "gitsm.yaml").replace("id_digits: 4", "id_digits: 6");
    write(root, "gitsm.yaml", cfg);
    let (_, out, _) = gs(root, &args("Fourth"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"],
        "CHG-000013"
    );
    let text = read(root, "changes/CHG-000013.yaml");
    assert!(
        text.starts_with("# yaml-language-server: $schema=../schemas/change.json\n"),
        "{text}"
    );
    assert!(
        text.contains("\ntype: standard\nrisk: low\nservices:\n  - web\nrequested_by: carol\n"),
        "{text}"
    );
    // The lock lives in the git dir, so the work tree gains only the new records.
    let status = git(root, &["status", "--porcelain"]);
    assert!(!status.contains("lock"), "{status}");
    assert!(root.join(".git/gitsm.lock").is_file());
}

#[test]
fn new_validates_before_writing() {
    let d = init_repo();
    let root = d.path();
    let (code, _, err) = gs(
        root,
        &[
            "new",
            "incident",
            "--title",
            "No impact given",
            "--service",
            "web",
            "--urgency",
            "low",
            "--by",
            "a",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("missing required field `impact`"), "{err}");
    assert!(err.contains("INC-0001 was not written"), "{err}");
    let (code, _, err) = gs(
        root,
        &[
            "new",
            "incident",
            "--title",
            "x",
            "--service",
            "nope",
            "--impact",
            "low",
            "--urgency",
            "low",
            "--by",
            "a",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nope"), "{err}");
    let (code, _, err) = gs(
        root,
        &[
            "new",
            "change",
            "--title",
            "x",
            "--service",
            "web",
            "--type",
            "normal",
            "--risk",
            "low",
            "--by",
            "a",
        ],
    );
    assert_eq!(code, 1, "a normal change needs a plan: {err}");
    assert!(err.contains("plan"), "{err}");
    let (code, _, err) = gs(
        root,
        &["new", "request", "--title", "x", "--impact", "low", "--by", "a"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--impact do(es) not apply to a Request"), "{err}");
    assert_eq!(
        std::fs::read_dir(root.join("incidents")).unwrap().count(),
        1,
        "only .gitkeep"
    );
    assert_eq!(
        std::fs::read_dir(root.join("changes")).unwrap().count(),
        1,
        "only .gitkeep"
    );
    // --field values are read as YAML; dotted keys nest. Works without git (lock in the repo).
    let (code, out, err) = gs(
        root,
        &[
            "new",
            "change",
            "--title",
            "Upgrade Postgres",
            "--service",
            "web",
            "--type",
            "normal",
            "--risk",
            "medium",
            "--by",
            "carol",
            "--at",
            AT,
            "--field",
            "plan=1. Snapshot\n2. Upgrade",
            "--field",
            "rollback_plan=Restore the snapshot",
            "--field",
            "maintenance=true",
            "--field",
            "window.start=2026-11-23T08:00:00Z",
            "--field",
            "window.end=2026-11-23T09:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let text = read(root, "changes/CHG-0001.yaml");
    assert!(
        text.contains("plan: |-\n  1. Snapshot\n  2. Upgrade\nrollback_plan: Restore the snapshot\nwindow:\n  start: 2026-11-23T08:00:00Z\n  end: 2026-11-23T09:00:00Z\nmaintenance: true\n"),
        "{text}"
    );
    assert!(root.join(".gitsm.lock").is_file());
    assert_valid(root);
}

/// `new --field` with nested lists and multi-line strings in lists writes
/// exactly those values; one it cannot write faithfully is refused, nothing written.
#[test]
fn new_field_nested_lists_and_multi_line_items_are_written_exactly() {
    let d = init_repo();
    let root = d.path();
    let base = [
        "new",
        "incident",
        "--title",
        "Nested",
        "--service",
        "web",
        "--impact",
        "low",
        "--urgency",
        "low",
        "--by",
        "a",
        "--at",
        AT,
    ];
    let mut args = base.to_vec();
    args.extend([
        "--field",
        "extra.pairs=[[a, b], c]",
        "--field",
        "extra.notes=[\"line one\\nline two\", z, {k: \"p\\nq\"}]",
    ]);
    let (code, out, err) = gs(root, &args);
    assert_eq!(code, 0, "{out}{err}");
    let text = read(root, "incidents/INC-0001.yaml");
    let doc = gitsm::yaml::parse(&text).unwrap().unwrap().to_json();
    assert_eq!(
        doc["extra"],
        serde_json::json!({
            "pairs": [["a", "b"], "c"],
            "notes": ["line one\nline two", "z", {"k": "p\nq"}],
        }),
        "{text}"
    );
    assert_valid(root);

    // A block scalar cannot start with spaces: refused, not written wrong.
    let mut args = base.to_vec();
    args.extend(["--field", "extra.x=[\"  indented\\nsecond\"]"]);
    let (code, out, err) = gs(root, &args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("value too complex for `gitsm new`; edit the file by hand"),
        "{err}"
    );
    assert!(!root.join("incidents/INC-0002.yaml").exists());
}

#[test]
fn concurrent_new_never_share_an_id() {
    let d = git_repo();
    let root = d.path();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let mut c = gitsm(root);
            c.args([
                "new",
                "request",
                "--title",
                &format!("Laptop {i}"),
                "--service",
                "web",
                "--by",
                "dana",
                "--at",
                AT,
                "--format",
                "json",
            ]);
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let mut ids: Vec<String> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            j["id"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["REQ-0001", "REQ-0002", "REQ-0003", "REQ-0004"]);
    for id in &ids {
        assert!(read(root, &format!("requests/{id}.yaml")).contains(&format!("id: {id}\n")));
    }
    assert_valid(root);
}

const INC_FIELDS: &str =
    "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: Checkout down\nservice: web\nimpact: high\nurgency: high\nreported_at: 2026-11-20T10:00:00Z\nreported_by: bob\n";

/// (name, file, expected file after `transition INC-0001 acknowledged --note "On it"`).
fn layouts() -> Vec<(&'static str, String, String)> {
    let ev = "  - at: 2026-11-21T10:00:00Z\n    by: alice\n    status: acknowledged\n    note: On it\n";
    let mut v = Vec::new();
    // Comments everywhere, blank lines, mixed quoting.
    let src = "# yaml-language-server: $schema=../schemas/incident.json\n# Opened from the pager alert.\napiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\n\ntitle: \"Checkout down\"   # as the customer said\nservice: web\nimpact: high\nurgency: 'high'\nstatus: new # moved by gitsm\nreported_at: 2026-11-20T10:00:00Z\nreported_by: bob\n\n# The timeline is append-only.\ntimeline:\n  # creation\n  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n\n# end of record\n";
    let want = src
        .replace("status: new # moved", "status: acknowledged # moved")
        .replace("    status: new\n\n", &format!("    status: new\n{ev}\n"));
    v.push(("comments", src.to_string(), want));
    // A flow timeline on one line, CRLF line endings, no trailing newline, double-quoted status.
    let src = format!(
        "{}status: \"new\"\ntimeline: [{{at: 2026-11-20T10:00:00Z, by: bob, status: new}}]",
        INC_FIELDS
    )
    .replace('\n', "\r\n");
    let want = src
        .replace("status: \"new\"", "status: \"acknowledged\"")
        .replace(
            "status: new}]",
            "status: new}, {at: 2026-11-21T10:00:00Z, by: alice, status: acknowledged, note: On it}]",
        );
    v.push(("flow-crlf-no-eol", src, want));
    // Block items written as flow maps, four-space indentation, the timeline not last.
    let src = format!(
        "{}status: 'new'\ntimeline:\n    - {{by: bob, at: 2026-11-20T10:00:00Z, status: new}}\nextra:\n    source: pager\n",
        INC_FIELDS
    );
    let want = src.replace("status: 'new'", "status: 'acknowledged'").replace(
        "status: new}\n",
        "status: new}\n    - {by: alice, at: 2026-11-21T10:00:00Z, status: acknowledged, note: On it}\n",
    );
    v.push(("flow-items-4-spaces", src, want));
    // A multi-line flow sequence with a trailing comma, and a non-ASCII title.
    let src = format!(
        "{}status: new\ntimeline: [\n    {{at: 2026-11-20T10:00:00Z, by: bob, status: new, note: \"Kassé — ça ne marche pas\"}},\n  ]\n",
        INC_FIELDS.replace("Checkout down", "Caisse en panne — ☕")
    );
    let want = src
        .replace("status: new\ntimeline", "status: acknowledged\ntimeline")
        .replace(
            "pas\"},\n",
            "pas\"},\n    {at: 2026-11-21T10:00:00Z, by: alice, status: acknowledged, note: On it}\n",
        );
    v.push(("multi-line-flow", src, want));
    // Compact sequence (dashes at the key's column), odd item indentation, missing newline.
    let src = format!(
        "{}status:   new\ntimeline:\n-   at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new",
        INC_FIELDS
    );
    let want = src.replace("status:   new", "status:   acknowledged")
        + "\n-   at: 2026-11-21T10:00:00Z\n    by: alice\n    status: acknowledged\n    note: On it";
    v.push(("compact-no-eol", src, want));
    // Indented root mapping with CRLF and a block timeline.
    let src = INC_FIELDS
        .lines()
        .map(|l| format!("  {l}\r\n"))
        .collect::<String>()
        + "  status: new\r\n  timeline:\r\n    - at: 2026-11-20T10:00:00Z\r\n      by: bob\r\n      status: new\r\n";
    let want = src.replace("  status: new\r\n  timeline", "  status: acknowledged\r\n  timeline")
        + "    - at: 2026-11-21T10:00:00Z\r\n      by: alice\r\n      status: acknowledged\r\n      note: On it\r\n";
    v.push(("indented-root-crlf", src, want));
    v
}

#[test]
fn transition_changes_only_the_intended_bytes() {
    for (name, src, want) in layouts() {
        let d = init_repo();
        let root = d.path();
        write(root, "incidents/INC-0001.yaml", &src);
        assert_valid(root);
        let (code, out, err) = gs(
            root,
            &[
                "transition",
                "INC-0001",
                "acknowledged",
                "--note",
                "On it",
                "--by",
                "alice",
                "--at",
                AT,
            ],
        );
        assert_eq!(code, 0, "{name}: {out}{err}");
        let got = std::fs::read(root.join("incidents/INC-0001.yaml")).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), want, "{name}");
        assert_valid(root);
        no_temp_files(&root.join("incidents"));
    }
}

#[test]
fn transition_refusals_leave_the_file_alone() {
    let d = init_repo();
    let root = d.path();
    let src = format!(
        "{}status: investigating\ntimeline:\n  - {{at: 2026-11-20T10:00:00Z, by: bob, status: new}}\n  - {{at: 2026-11-20T12:00:00Z, by: bob, status: investigating}}\n",
        INC_FIELDS
    );
    let rel = "incidents/INC-0001.yaml";
    write(root, rel, &src);
    let unchanged = || assert_eq!(read(root, rel), src);
    // Illegal move: exit 1 with the legal ones.
    assert_refused(
        root,
        rel,
        &src,
        transition(root, "INC-0001", "acknowledged", "a", &[]),
        "illegal move `investigating` → `acknowledged`; legal moves from `investigating`: resolved, closed, on_hold",
    );
    // Not a status at all.
    assert_refused(
        root,
        rel,
        &src,
        transition(root, "INC-0001", "done", "a", &[]),
        "`done` is not a status of a Incident",
    );
    // An event before the last one.
    assert_refused(
        root,
        rel,
        &src,
        transition(
            root,
            "INC-0001",
            "resolved",
            "a",
            &["--at", "2026-11-20T11:00:00Z"],
        ),
        "earlier than the last timeline event",
    );
    // A field the kind does not have: the edited record would not validate.
    assert_refused(
        root,
        rel,
        &src,
        transition(root, "INC-0001", "resolved", "a", &["--review", "n/a"]),
        "unknown field `review`",
    );
    // Unknown id: usage error.
    let (code, _, err) = gs(root, &["transition", "INC-0099", "resolved", "--by", "a"]);
    assert_eq!(code, 2);
    assert!(err.contains("INC-0099"), "{err}");
    // A rename that fails (as a crash would) leaves the old file whole, no temp file.
    let mut c = gitsm(root);
    c.args(["transition", "INC-0001", "resolved", "--by", "a", "--at", AT])
        .env("GITSM_TEST_FAIL_RENAME", "1");
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rename failed"), "{err}");
    unchanged();
    no_temp_files(&root.join("incidents"));
    // A file that does not validate is not touched.
    let broken = src.replace("impact: high", "impakt: high");
    write(root, "incidents/INC-0001.yaml", &broken);
    let (code, _, err) = transition(root, "INC-0001", "resolved", "a", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("refusing to edit incidents/INC-0001.yaml"), "{err}");
    assert!(err.contains("did you mean `impact`"), "{err}");
    assert_eq!(read(root, "incidents/INC-0001.yaml"), broken);
    // Nor is one that breaks a cross-record rule.
    let other = src.replace("service: web", "service: gone");
    write(root, "incidents/INC-0001.yaml", &other);
    assert_refused(
        root,
        rel,
        &other,
        transition(root, "INC-0001", "resolved", "a", &[]),
        "refusing to edit incidents/INC-0001.yaml",
    );
}

const CHANGE_FIELDS: &str = "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: Rotate TLS certificates\ntype: TYPE\nrisk: low\nservices: [web]\nrequested_by: carol\nplan: Rotate.\nrollback_plan: Restore the old certificate.\nwindow: {start: 2026-11-20T12:00:00Z, end: 2026-11-20T13:00:00Z}\napprovals: [{by: your-github-login, at: 2026-11-20T10:30:00Z}]\n";

fn change_at(change_type: &str, history: &[&str], outcome: Option<&str>) -> String {
    let mut s = CHANGE_FIELDS.replace("TYPE", change_type);
    s.push_str(&format!("status: {}\n", history.last().unwrap()));
    if let Some(o) = outcome {
        s.push_str(&format!("outcome: {o}\n"));
    }
    s.push_str("timeline:\n");
    for (i, st) in history.iter().enumerate() {
        s.push_str(&format!(
            "  - at: 2026-11-20T10:{i:02}:00Z\n    by: carol\n    status: {st}\n"
        ));
    }
    s
}

#[test]
fn change_targets_need_outcome_and_review() {
    let d = init_repo();
    let root = d.path();
    let path = "changes/CHG-0001.yaml";
    let hist = ["draft", "submitted", "approved", "scheduled", "implementing"];
    write(root, path, change_at("emergency", &hist, None));
    assert_valid(root);
    let before = read(root, path);
    assert_refused(
        root,
        path,
        &before,
        transition(root, "CHG-0001", "completed", "ivan", &[]),
        "a completed change needs `outcome`: pass --outcome",
    );
    let (code, _, err) = transition(
        root,
        "CHG-0001",
        "completed",
        "ivan",
        &["--outcome", "rolled_back"],
    );
    assert_eq!(code, 0, "{err}");
    let after = read(root, path);
    assert_eq!(
        after,
        before.replacen(
            "status: implementing\n",
            "status: completed\noutcome: rolled_back\n",
            1
        ) + "  - at: 2026-11-21T10:00:00Z\n    by: ivan\n    status: completed\n"
    );
    assert_refused(
        root,
        path,
        &after,
        transition(root, "CHG-0001", "closed", "carol", &[]),
        "closing an emergency change needs a post-implementation review",
    );
    let (code, _, err) = transition(
        root,
        "CHG-0001",
        "closed",
        "carol",
        &[
            "--review",
            "Certificate chain was incomplete.\nAdded a chain check to the runbook.",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let closed = read(root, path);
    assert_eq!(
        closed,
        after.replacen(
            "status: completed\noutcome: rolled_back\n",
            "status: closed\noutcome: rolled_back\nreview: |-\n  Certificate chain was incomplete.\n  Added a chain check to the runbook.\n",
            1
        ) + "  - at: 2026-11-21T10:00:00Z\n    by: carol\n    status: closed\n"
    );
    assert_valid(root);
}

/// A valid record of `kind` whose timeline has moved through `history`.
fn record_at(kind: Kind, history: &[&str]) -> (String, String) {
    let st = history.last().unwrap();
    let mut tl = String::from("timeline:\n");
    for (i, s) in history.iter().enumerate() {
        tl.push_str(&format!(
            "  - at: 2026-11-20T10:{i:02}:00Z\n    by: bob\n    status: {s}\n"
        ));
    }
    match kind {
        Kind::Incident => ("incidents/INC-0001.yaml".into(), format!("{INC_FIELDS}status: {st}\n{tl}")),
        Kind::Problem => (
            "problems/PRB-0001.yaml".into(),
            format!("apiVersion: gitsm/v1\nkind: Problem\nid: PRB-0001\ntitle: Leaking pool\nstatus: {st}\n{tl}"),
        ),
        Kind::Request => (
            "requests/REQ-0001.yaml".into(),
            format!("apiVersion: gitsm/v1\nkind: Request\nid: REQ-0001\ntitle: Laptop\nservice: web\nstatus: {st}\n{tl}"),
        ),
        Kind::Change => {
            let done = history.contains(&"completed");
            ("changes/CHG-0001.yaml".into(), change_at("standard", history, done.then_some("successful")))
        }
        _ => unreachable!(),
    }
}

/// Every reachable state of a workflow (on_hold once per state it was entered from).
fn reachable(kind: Kind) -> Vec<Vec<&'static str>> {
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([vec![workflow::initial(kind).unwrap()]]);
    let mut out = Vec::new();
    while let Some(h) = queue.pop_front() {
        let n = h.len();
        let key = if h[n - 1] == "on_hold" {
            format!("on_hold<{}", h[n - 2])
        } else {
            h[n - 1].to_string()
        };
        if !seen.insert(key) {
            continue;
        }
        for m in workflow::legal_moves(kind, &h) {
            let mut next = h.clone();
            next.push(m);
            queue.push_back(next);
        }
        out.push(h);
    }
    out
}

#[test]
fn every_move_of_every_workflow() {
    std::thread::scope(|s| {
        for kind in [Kind::Incident, Kind::Problem, Kind::Request, Kind::Change] {
            s.spawn(move || {
                let d = init_repo();
                let root = d.path();
                let states = reachable(kind);
                assert!(states.len() >= 8, "{kind:?}: {states:?}");
                let mut illegal = 0;
                for h in &states {
                    let (path, text) = record_at(kind, h);
                    write(root, &path, &text);
                    let id = gitsm::repo::file_stem(&path).to_string();
                    let legal = workflow::legal_moves(kind, h);
                    for to in workflow::statuses(kind) {
                        let mut args = vec!["transition", id.as_str(), to, "--by", "zed", "--at", AT];
                        if to == "completed" {
                            args.extend(["--outcome", "successful"]);
                        }
                        let (code, out, err) = gs(root, &args);
                        if legal.contains(&to) {
                            assert_eq!(code, 0, "{kind:?} {h:?} → {to}: {out}{err}");
                            let now = read(root, &path);
                            assert!(
                                now.ends_with(&format!("  - at: {AT}\n    by: zed\n    status: {to}\n")),
                                "{now}"
                            );
                            assert_valid(root);
                            write(root, &path, &text);
                        } else {
                            illegal += 1;
                            assert_eq!(code, 1, "{kind:?} {h:?} → {to} must be refused: {out}{err}");
                            let list = if legal.is_empty() {
                                "none (the record is finished)".to_string()
                            } else {
                                legal.join(", ")
                            };
                            assert!(
                                err.contains(&format!(
                                    "illegal move `{}` → `{to}`; legal moves from `{}`: {list}",
                                    h[h.len() - 1],
                                    h[h.len() - 1]
                                )),
                                "{kind:?} {h:?} → {to}: {err}"
                            );
                            assert_eq!(read(root, &path), text, "{kind:?} {h:?} → {to} touched the file");
                        }
                    }
                }
                assert!(illegal > 20, "{kind:?}: only {illegal} illegal moves tried");
            });
        }
    });
}

#[test]
fn log_follows_renames_and_sees_through_reformats() {
    let d = git_repo();
    let root = d.path();
    let commit = |msg: &str| {
        git(root, &["add", "-A"]);
        git(root, &["commit", "-qm", msg]);
    };
    let first = format!(
        "{}status: new\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n",
        INC_FIELDS
    );
    write(root, "inbox/INC-0001.yaml", &first);
    commit("File it in the inbox");
    let (code, _, err) = transition(root, "INC-0001", "investigating", "ivan", &[]);
    assert_eq!(code, 0, "{err}");
    commit("Investigate");
    git(root, &["mv", "inbox/INC-0001.yaml", "incidents/INC-0001.yaml"]);
    commit("Move to incidents/");
    // Reformat: flow style, same data.
    let text = read(root, "incidents/INC-0001.yaml");
    let reformatted = text
        .replace(
            "  - at: 2026-11-20T10:00:00Z\n    by: bob\n    status: new\n",
            "  - {at: 2026-11-20T10:00:00Z, by: bob, status: new}\n",
        )
        .replace("impact: high\n", "impact: 'high'\n");
    assert_ne!(reformatted, text);
    write(root, "incidents/INC-0001.yaml", &reformatted);
    commit("Reformat");
    let (code, _, err) = transition(
        root,
        "INC-0001",
        "resolved",
        "ivan",
        &["--at", "2026-11-21T11:00:00Z", "--resolution", "Restarted"],
    );
    assert_eq!(code, 0, "{err}");
    commit("Resolve");

    let (code, out, err) = gs(root, &["log", "INC-0001", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["path"], "incidents/INC-0001.yaml");
    let commits = j["commits"].as_array().unwrap();
    let summaries: Vec<&str> = commits.iter().map(|c| c["summary"].as_str().unwrap()).collect();
    assert_eq!(
        summaries,
        vec![
            "Resolve",
            "Reformat",
            "Move to incidents/",
            "Investigate",
            "File it in the inbox"
        ]
    );
    assert_eq!(
        commits[0]["changes"][0],
        serde_json::json!({"field": "status", "kind": "status", "from": "investigating", "to": "resolved"})
    );
    assert_eq!(commits[0]["changes"][1]["field"], "resolution");
    assert_eq!(commits[0]["changes"][1]["kind"], "added");
    assert_eq!(commits[0]["changes"][2]["kind"], "appended");
    assert_eq!(commits[1]["changes"], serde_json::json!([]));
    assert_eq!(commits[1]["remark"], "reformatted; no field changed");
    assert_eq!(commits[2]["renamed_from"], "inbox/INC-0001.yaml");
    assert_eq!(commits[2]["path"], "incidents/INC-0001.yaml");
    assert_eq!(commits[3]["path"], "inbox/INC-0001.yaml");
    assert_eq!(commits[3]["changes"][0]["to"], "investigating");
    assert_eq!(commits[4]["action"], "created");
    assert_eq!(commits[4]["author"], "Test");

    let (_, human, _) = gs(root, &["log", "INC-0001"]);
    assert!(
        human.contains("renamed inbox/INC-0001.yaml → incidents/INC-0001.yaml"),
        "{human}"
    );
    assert!(human.contains("(reformatted; no field changed)"), "{human}");
    assert!(human.contains("status: new → investigating"), "{human}");

    let (code, _, err) = gs(root, &["log", "INC-0404"]);
    assert_eq!(code, 2);
    assert!(err.contains("INC-0404"), "{err}");
}

#[test]
fn help_has_examples_and_completions_know_the_commands() {
    let d = init_repo();
    for cmd in [
        "new",
        "transition",
        "log",
        "completions",
        "sla",
        "report",
        "status-page",
    ] {
        let (code, out, _) = gs(d.path(), &[cmd, "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Examples:\n  gitsm "), "{cmd}: {out}");
    }
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, _) = gs(d.path(), &["completions", shell]);
        assert_eq!(code, 0);
        for word in ["transition", "resolution", "outcome"] {
            assert!(out.contains(word), "{shell} lacks {word}");
        }
    }
}

#[test]
fn event_times_use_the_repo_time_zone() {
    let d = init_repo();
    let root = d.path();
    let cfg = read(root, "gitsm.yaml").replace("timezone: UTC", "timezone: Europe/Berlin");
    write(root, "gitsm.yaml", cfg);
    let (code, _, err) = gs(
        root,
        &[
            "--now",
            "2026-11-20T09:14:00Z",
            "new",
            "problem",
            "--title",
            "Pool leaks",
            "--service",
            "web",
            "--by",
            "pat",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = read(root, "problems/PRB-0001.yaml");
    assert!(
        text.contains("services:\n  - web\nstatus: new\ntimeline:\n  - at: 2026-11-20T10:14:00+01:00\n"),
        "{text}"
    );
    let (code, _, err) = gs(
        root,
        &[
            "--now",
            "2027-07-01T08:00:00Z",
            "transition",
            "PRB-0001",
            "investigating",
            "--by",
            "pat",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(read(root, "problems/PRB-0001.yaml").contains("  - at: 2027-07-01T10:00:00+02:00\n"));
    // Summer time: the offset follows the date.
    let text = read(root, "problems/PRB-0001.yaml");
    assert!(text.ends_with("status: investigating\n"), "{text}");
}

/// Lines of `new` that are not in `old` (in order), and lines of `old` that
/// are gone, by a greedy in-order match.
fn line_changes<'a>(old: &'a str, new: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let n: Vec<&str> = new.split_inclusive('\n').collect();
    let mut matched = vec![false; n.len()];
    let mut j = 0;
    let mut gone = Vec::new();
    for o in old.split_inclusive('\n') {
        match n[j..].iter().position(|l| *l == o) {
            Some(k) => {
                matched[j + k] = true;
                j += k + 1;
            }
            None => gone.push(o),
        }
    }
    let added = n
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(l, _)| *l)
        .collect();
    (added, gone)
}

#[test]
fn edits_of_every_example_ticket_touch_only_their_lines() {
    let root = manifest_dir().join("examples/acme");
    let mut seen = 0;
    for folder in ["incidents", "problems", "requests", "changes"] {
        for e in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = e.unwrap().path();
            let old = std::fs::read_to_string(&path).unwrap();
            let node = gitsm::yaml::parse(&old).unwrap().unwrap();
            let status = node.get("status").and_then(|s| s.as_str()).unwrap().to_string();
            let to = if status == "on_hold" { "closed" } else { "on_hold" };
            let edits = gitsm::edit::Edits {
                set: vec![("status".into(), serde_json::json!(to))],
                append: vec![(
                    "timeline".into(),
                    vec![
                        ("at".into(), serde_json::json!("2027-01-01T00:00:00Z")),
                        ("by".into(), serde_json::json!("zed")),
                        ("status".into(), serde_json::json!(to)),
                        ("note".into(), serde_json::json!("Waiting: vendor # 42")),
                    ],
                )],
            };
            let new = gitsm::edit::apply(&old, &edits).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let (added, gone) = line_changes(&old, &new);
            assert_eq!(gone, vec![format!("status: {status}\n")], "{}", path.display());
            assert_eq!(
                added,
                vec![
                    format!("status: {to}\n").as_str(),
                    "  - at: 2027-01-01T00:00:00Z\n",
                    "    by: zed\n",
                    format!("    status: {to}\n").as_str(),
                    "    note: \"Waiting: vendor # 42\"\n"
                ],
                "{}",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen >= 60, "only {seen} example tickets");
}

#[test]
fn an_itsm_repo_in_a_sub_folder_of_git() {
    let d = tempfile::tempdir().unwrap();
    let top = d.path();
    let (code, _, err) = gs(top, &["init", "itsm"]);
    assert_eq!(code, 0, "{err}");
    let root = top.join("itsm");
    git(top, &["init", "-q", "-b", "main"]);
    let new = |title: &str| {
        gs(
            &root,
            &[
                "new",
                "incident",
                "--title",
                title,
                "--service",
                "web",
                "--impact",
                "low",
                "--urgency",
                "low",
                "--by",
                "kim",
                "--at",
                AT,
            ],
        )
    };
    assert_eq!(new("One").0, 0);
    std::fs::rename(
        root.join("incidents/INC-0001.yaml"),
        root.join("incidents/INC-0005.yaml"),
    )
    .unwrap();
    let text = read(&root, "incidents/INC-0005.yaml").replace("INC-0001", "INC-0005");
    write(&root, "incidents/INC-0005.yaml", text);
    git(top, &["add", "-A"]);
    git(top, &["commit", "-qm", "five"]);
    std::fs::remove_file(root.join("incidents/INC-0005.yaml")).unwrap();
    let (code, out, err) = new("Two");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "created INC-0006 incidents/INC-0006.yaml");
    git(top, &["checkout", "--", "itsm/incidents/INC-0005.yaml"]);
    let (code, out, err) = gs(&root, &["log", "INC-0005", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["commits"][0]["path"], "itsm/incidents/INC-0005.yaml");
    assert_eq!(j["commits"][0]["action"], "created");
}

/// `gs new incident …` with the usual flags plus `extra`.
fn new_incident(root: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "new",
        "incident",
        "--title",
        "Dry",
        "--service",
        "web",
        "--impact",
        "low",
        "--urgency",
        "low",
        "--by",
        "a",
        "--at",
        AT,
    ];
    args.extend(extra);
    gs(root, &args)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn new_dry_run_prints_the_file_and_writes_nothing() {
    let d = init_repo();
    let root = d.path();
    let before = files_in(&root.join("incidents"));
    let (code, out, err) = new_incident(root, &["--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("# yaml-language-server: $schema=../schemas/incident.json\n"),
        "{out}"
    );
    assert!(
        out.contains("\nid: INC-0001\n") && out.contains("\ntitle: Dry\n"),
        "{out}"
    );
    assert!(
        out.contains("timeline:\n  - at: 2026-11-21T10:00:00Z\n    by: a\n    status: new\n"),
        "{out}"
    );
    assert_eq!(files_in(&root.join("incidents")), before);
    // The printed file is exactly what a real run writes.
    let (code, _, err) = new_incident(root, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(root, "incidents/INC-0001.yaml"), out);
}

#[test]
fn reserved_and_nested_fields_are_refused_by_new_and_transition() {
    let d = init_repo();
    let root = d.path();
    for (field, want) in [
        ("status=resolved", "gitsm new sets `status` itself"),
        ("id=INC-0099", "gitsm new sets `id` itself"),
        ("timeline.0=x", "gitsm new sets `timeline` itself"),
        ("kind=Problem", "gitsm new sets `kind` itself"),
        ("apiVersion=x", "gitsm new sets `apiVersion` itself"),
    ] {
        let (code, out, err) = new_incident(root, &["--field", field]);
        assert_eq!(code, 2, "{field}: {out}{err}");
        assert!(err.contains(want), "{field}: {err}");
        assert_eq!(files_in(&root.join("incidents")), vec![".gitkeep".to_string()]);
    }
    let (code, _, err) = new_incident(root, &[]);
    assert_eq!(code, 0, "{err}");
    let before = read(root, "incidents/INC-0001.yaml");
    for (field, want) in [
        ("status=resolved", "`status` is not set this way"),
        ("timeline=x", "`timeline` is not set this way"),
        ("id=INC-0002", "`id` is not set this way"),
        ("kind=Problem", "`kind` is not set this way"),
        ("apiVersion=x", "`apiVersion` is not set this way"),
        (
            "extra.source=pager",
            "top-level text, number or boolean fields only",
        ),
        (
            "related=[INC-0002]",
            "top-level text, number or boolean fields only",
        ),
        ("extra={a: 1}", "top-level text, number or boolean fields only"),
    ] {
        let (code, out, err) = transition(root, "INC-0001", "acknowledged", "b", &["--field", field]);
        assert_eq!(code, 2, "{field}: {out}{err}");
        assert!(err.contains(want), "{field}: {err}");
        assert_eq!(read(root, "incidents/INC-0001.yaml"), before, "{field}");
    }
}

#[test]
fn transition_prints_json() {
    let d = init_repo();
    let root = d.path();
    let (code, _, err) = new_incident(root, &[]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = transition(
        root,
        "INC-0001",
        "acknowledged",
        "bob",
        &["--at", "2026-11-21T10:05:00Z", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        j,
        serde_json::json!({
            "id": "INC-0001",
            "path": "incidents/INC-0001.yaml",
            "from": "new",
            "to": "acknowledged",
            "at": "2026-11-21T10:05:00Z",
            "by": "bob",
        })
    );
    assert!(read(root, "incidents/INC-0001.yaml").ends_with("    by: bob\n    status: acknowledged\n"));
}

#[test]
fn log_of_an_uncommitted_record() {
    let d = git_repo();
    let root = d.path();
    let (code, _, err) = new_incident(root, &[]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = gs(root, &["log", "INC-0001"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "INC-0001 (incidents/INC-0001.yaml): 0 commits\nno commit has touched it yet\n"
    );
    let (code, out, err) = gs(root, &["log", "INC-0001", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["path"], "incidents/INC-0001.yaml");
    assert_eq!(j["commits"], serde_json::json!([]));
    // An id that exists nowhere is an error.
    let (code, _, err) = gs(root, &["log", "INC-0002"]);
    assert_eq!(code, 2);
    assert!(err.contains("no record has the id `INC-0002`"), "{err}");
}

/// `authoring::create`, the library call `gitsm new` makes.
mod create {
    use super::*;
    use gitsm::authoring::{create, CreateError, Mode, NewTicket};

    fn incident(title: &str, service: Option<&str>) -> NewTicket {
        let mut fields = serde_json::Map::new();
        fields.insert("title".into(), title.into());
        if let Some(s) = service {
            fields.insert("service".into(), s.into());
        }
        fields.insert("impact".into(), "high".into());
        fields.insert("urgency".into(), "low".into());
        NewTicket {
            kind: Kind::Incident,
            fields,
            by: "alice".into(),
            at: AT.into(),
            note: Some("paged".into()),
        }
    }

    #[test]
    fn allocates_the_next_id_and_writes_the_record() {
        let d = init_repo();
        let root = d.path();
        let a = create(root, &incident("Checkout: 502s", Some("web")), Mode::Write).unwrap();
        assert_eq!(a.id, "INC-0001");
        assert_eq!(a.path, "incidents/INC-0001.yaml");
        assert_eq!(
            a.text,
            "# yaml-language-server: $schema=../schemas/incident.json\n\
apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: \"Checkout: 502s\"\nservice: web\n\
impact: high\nurgency: low\nstatus: new\nreported_at: 2026-11-21T10:00:00Z\nreported_by: alice\n\
timeline:\n  - at: 2026-11-21T10:00:00Z\n    by: alice\n    status: new\n    note: paged\n"
        );
        assert_eq!(read(root, &a.path), a.text);
        let b = create(root, &incident("Again", Some("web")), Mode::Write).unwrap();
        assert_eq!(
            (b.id.as_str(), b.path.as_str()),
            ("INC-0002", "incidents/INC-0002.yaml")
        );
    }

    #[test]
    fn a_dry_run_validates_and_writes_nothing() {
        let d = init_repo();
        let a = create(d.path(), &incident("t", Some("web")), Mode::DryRun).unwrap();
        assert_eq!(a.id, "INC-0001");
        assert!(!d.path().join(&a.path).exists());
    }

    #[test]
    fn a_record_that_would_not_validate_is_not_written() {
        let d = init_repo();
        let err = create(d.path(), &incident("t", Some("nope")), Mode::Write).unwrap_err();
        let CreateError::Invalid {
            id, path, findings, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (id.as_str(), path.as_str()),
            ("INC-0001", "incidents/INC-0001.yaml")
        );
        let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes.len(), 1, "{findings:?}");
        assert!(err.is_refusal());
        assert!(!d.path().join(path).exists());
    }

    #[test]
    fn a_config_that_does_not_load_stops_allocation() {
        let d = init_repo();
        write(
            d.path(),
            "gitsm.yaml",
            "apiVersion: gitsm/v1\nkind: Config\nid: x\nid_digits: many\n",
        );
        let err = create(d.path(), &incident("t", Some("web")), Mode::Write).unwrap_err();
        let CreateError::Config { findings } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].file, "gitsm.yaml");
        assert!(!d.path().join("incidents/INC-0001.yaml").exists());
    }
}

//! Independent checks of what gitsm writes for other programs (issue 11):
//! SARIF against the SARIF 2.1.0 JSON Schema (vendored under
//! `tests/data/`), the Atom feed with a strict XML parser, `status.json`
//! against its published schema, every output "as of `--now`" against what
//! the timelines of `examples/acme` say, and a property test that no record
//! text can make an output ill-formed or unescaped.

use crate::common::*;
use gitsm::model::{ChangeStatus, IncidentStatus, Record, RequestStatus};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn acme() -> PathBuf {
    manifest_dir().join("examples/acme")
}

/// A compiled validator of a JSON Schema file, formats checked.
fn validator(path: &Path) -> jsonschema::Validator {
    // The official SARIF schema's `language` pattern holds a stray `]`, which
    // ECMA-262 reads as a literal and Rust's regex refuses; escaping it keeps
    // its meaning and lets the schema compile with formats checked.
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema_errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Whether `s` is an RFC 3986 URI reference made of unreserved characters,
/// `/` and percent-encodings only (what gitsm writes for a relative path).
fn is_plain_uri_reference(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if !(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                    return false;
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || b"-._~/".contains(&c) => i += 1,
            _ => return false,
        }
    }
    true
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A scaffolded repo with broken records under awkward file names.
fn awkward_names(root: &Path) {
    for (path, body) in gitsm::init::scaffold("outputs") {
        write(root, &path, body);
    }
    for name in ["my file.yaml", "ü.yaml", "100%20.yaml", "a#b?.yaml"] {
        write(
            root,
            &format!("incidents/{name}"),
            "apiVersion: gitsm/v1\nkind: Incident\nid: [\n",
        );
    }
}

fn sarif(root: &Path) -> Value {
    let mut c = gitsm(root);
    c.args(["validate", "--format", "sarif"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 1, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn uris(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(loc["uriBaseId"], "SRCROOT", "{loc}");
            loc["uri"].as_str().unwrap().to_string()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_encoded_uris() {
    let tmp = tempfile::tempdir().unwrap();
    awkward_names(tmp.path());
    let doc = sarif(tmp.path());
    let v = validator(&manifest_dir().join("tests/data/sarif-schema-2.1.0.json"));
    assert_eq!(schema_errors(&v, &doc), Vec::<String>::new());
    // The schema checks `uri-reference`; the encoding is checked exactly too.
    let got = uris(&doc);
    assert_eq!(
        got,
        vec![
            "incidents/%C3%BC.yaml",
            "incidents/100%2520.yaml",
            "incidents/a%23b%3F.yaml",
            "incidents/my%20file.yaml",
        ]
    );
    for u in &got {
        assert!(is_plain_uri_reference(u), "{u}");
    }
    let decoded: Vec<String> = got.iter().map(|u| percent_decode(u)).collect();
    assert!(
        decoded.contains(&"incidents/100%20.yaml".to_string()),
        "{decoded:?}"
    );
    assert_eq!(doc["runs"][0]["columnKind"], "unicodeCodePoints");
    let bases = &doc["runs"][0]["originalUriBaseIds"]["SRCROOT"];
    assert!(bases.is_object(), "{doc}");
    // The schema does catch an unencoded space: the check has teeth.
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        Value::from("incidents/my file.yaml");
    assert!(!v.is_valid(&bad) || !is_plain_uri_reference("incidents/my file.yaml"));
}

#[test]
fn ci_paths_are_relative_to_the_git_root() {
    let tmp = tempfile::tempdir().unwrap();
    let itsm = tmp.path().join("ops/itsm");
    awkward_names(&itsm);
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    let doc = sarif(&itsm);
    assert_eq!(
        uris(&doc),
        vec![
            "ops/itsm/incidents/%C3%BC.yaml",
            "ops/itsm/incidents/100%2520.yaml",
            "ops/itsm/incidents/a%23b%3F.yaml",
            "ops/itsm/incidents/my%20file.yaml",
        ]
    );
    let v = validator(&manifest_dir().join("tests/data/sarif-schema-2.1.0.json"));
    assert_eq!(schema_errors(&v, &doc), Vec::<String>::new());
    let mut c = gitsm(&itsm);
    c.args(["validate", "--format", "github"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    let files: Vec<&str> = out
        .lines()
        .map(|l| l.split("file=").nth(1).unwrap().split(',').next().unwrap())
        .collect();
    assert_eq!(
        files,
        vec![
            "ops/itsm/incidents/100%2520.yaml",
            "ops/itsm/incidents/a#b?.yaml",
            "ops/itsm/incidents/my file.yaml",
            "ops/itsm/incidents/ü.yaml",
        ],
        "{out}"
    );
    // Run from the git root with --repo: the same paths.
    let mut c = gitsm(tmp.path());
    c.args(["--repo", "ops/itsm", "validate", "--format", "github"]);
    let (_, out2, _) = run(c);
    assert_eq!(out, out2);
    // Without git, paths stay relative to the ITSM root.
    let plain = tempfile::tempdir().unwrap();
    awkward_names(plain.path());
    let mut c = gitsm(plain.path());
    c.args(["validate", "--format", "github"]);
    let (_, out, _) = run(c);
    assert!(out.contains("file=incidents/my file.yaml,"), "{out}");
}

#[test]
fn no_policy_points_at_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    for (path, body) in gitsm::init::scaffold("outputs") {
        if !path.starts_with("policies/") {
            write(tmp.path(), &path, body);
        }
    }
    let doc = sarif(tmp.path());
    assert_eq!(uris(&doc), vec!["gitsm.yaml"]);
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "E0503");
}

// ---- Forbidden characters ----

/// A YAML double-quoted scalar spelling every non-ASCII or control
/// character as an escape, so the text reaches gitsm exactly.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

const NOW: &str = "2026-11-24T12:00:00Z";

/// A scaffolded repo with a public service, an open public incident and a
/// maintenance change whose texts are `text`.
fn hostile_repo(root: &Path, text: &str) {
    for (path, body) in gitsm::init::scaffold("outputs") {
        write(root, &path, body);
    }
    let q = yaml_quoted(text);
    write(
        root,
        "catalog/api.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: api\nname: Public API\nowner: alice\ntier: 2\npublic: true\n",
    );
    write(
        root,
        "incidents/INC-0001.yaml",
        format!(
            "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: {q}\nservice: api\nimpact: high\nurgency: high\nstatus: investigating\nreported_at: 2026-11-24T10:00:00Z\nreported_by: alice\ncustomer_impact: major_outage\ntimeline:\n  - {{at: 2026-11-24T10:00:00Z, by: alice, status: new}}\n  - {{at: 2026-11-24T10:05:00Z, by: alice, status: investigating, note: {q}, public: true}}\n"
        ),
    );
    write(
        root,
        "changes/CHG-0001.yaml",
        format!(
            "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: {q}\nstatus: scheduled\ntype: standard\nrisk: low\nservices: [api]\nrequested_by: alice\nmaintenance: true\nwindow: {{start: 2026-11-25T01:00:00Z, end: 2026-11-25T02:00:00Z}}\ntimeline:\n  - {{at: 2026-11-20T09:00:00Z, by: alice, status: draft}}\n  - {{at: 2026-11-20T09:10:00Z, by: alice, status: submitted}}\n  - {{at: 2026-11-20T09:20:00Z, by: alice, status: approved}}\n  - {{at: 2026-11-20T09:30:00Z, by: alice, status: scheduled, note: {q}, public: true}}\n"
        ),
    );
    write(
        root,
        "releases/REL-0001.yaml",
        format!(
            "apiVersion: gitsm/v1\nkind: Release\nid: REL-0001\ntitle: {q}\nservices: [api]\nwindow: {{start: 2026-11-26T01:00:00Z, end: 2026-11-26T02:00:00Z}}\nstatus: planned\ntimeline:\n  - {{at: 2026-11-20T09:00:00Z, by: alice, status: planned, note: {q}}}\n"
        ),
    );
}

/// Every file of the status page and the HTML report for a repo, rendered
/// in-process.
fn render_all(root: &Path) -> (Vec<gitsm::status::render::SiteFile>, String) {
    let now: jiff::Timestamp = NOW.parse().unwrap();
    let v = gitsm::validate::validate(&gitsm::repo::WorkTree::new(root)).unwrap();
    let built = gitsm::status::build(&v.snapshot, now);
    let t = gitsm::status::render::Templates::new(None, &built.tz).unwrap();
    let files = gitsm::status::render::render(&built, &t).unwrap();
    let rep = gitsm::report::build(
        &v.snapshot.records,
        gitsm::report::Options {
            period: gitsm::report::Period::month("2026-11", "UTC").unwrap(),
            service: None,
            now,
            git: None,
        },
    )
    .unwrap();
    let html = gitsm::report::render(&rep, gitsm::report::Format::Html, None).unwrap();
    // `gitsm calendar`'s file, checked beside the site's.
    let mut files = files;
    files.push(gitsm::status::render::SiteFile {
        path: "gitsm-calendar.ics".into(),
        bytes: gitsm::ical::write(&gitsm::ical::Calendar {
            format: gitsm::ical::JSON_FORMAT.into(),
            name: "changes and freezes".into(),
            generated_at: now,
            events: gitsm::ical::events(&v.snapshot.records, now),
        })
        .into_bytes(),
    });
    (files, html)
}

fn forbidden_in(s: &str) -> Option<char> {
    s.chars().find(|c| gitsm::text::is_forbidden(*c))
}

/// The summaries of an iCalendar file of `files`, in order, as the
/// `icalendar` crate reads them; every line at most 75 octets.
fn ics_summaries(files: &[gitsm::status::render::SiteFile], path: &str) -> Vec<String> {
    use icalendar::Component as _;
    let f = files.iter().find(|f| f.path == path).unwrap();
    let ics = std::str::from_utf8(&f.bytes).unwrap();
    assert!(
        ics.split("\r\n").all(|l| l.len() <= 75),
        "{path}: a line over 75 octets"
    );
    let cal: icalendar::Calendar = ics
        .parse()
        .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{ics}"));
    cal.components
        .iter()
        .filter_map(|c| c.as_event())
        .map(|e| e.get_summary().unwrap_or("").to_string())
        .collect()
}

/// The checks every rendering must pass, whatever the record text.
fn check_outputs(text: &str, files: &[gitsm::status::render::SiteFile], report_html: &str) {
    let clean = gitsm::text::clean(text).into_owned();
    for f in files {
        let s = std::str::from_utf8(&f.bytes).unwrap();
        if f.path.ends_with(".json") {
            // JSON carries any text (controls escaped); it must parse and
            // give the text back exactly.
            let doc = serde_json::from_str::<Value>(s).unwrap_or_else(|e| panic!("{}: {e}", f.path));
            if f.path == "status.json" {
                assert_eq!(doc["incidents"][0]["title"], text, "status.json");
            }
            if f.path == "api/v2/summary.json" {
                assert_eq!(doc["incidents"][0]["name"], text, "summary.json");
            }
        } else {
            assert_eq!(forbidden_in(s), None, "{} holds a forbidden character", f.path);
        }
        if f.path.ends_with(".html") {
            assert_eq!(html5_errors(s), Vec::<String>::new(), "{}", f.path);
        }
    }
    assert_eq!(forbidden_in(report_html), None, "report.html");
    assert_eq!(html5_errors(report_html), Vec::<String>::new(), "report.html");
    let feed = files.iter().find(|f| f.path == "feed.atom").unwrap();
    let feed = std::str::from_utf8(&feed.bytes).unwrap();
    let xml =
        roxmltree::Document::parse(feed).unwrap_or_else(|e| panic!("feed.atom is not XML: {e}\n{feed}"));
    // Escaped, not interpreted: the titles read back as the text itself
    // (after XML's end-of-line normalisation, which reads a raw CR as LF).
    let clean = clean.replace("\r\n", "\n").replace('\r', "\n");
    let titles: Vec<String> = xml
        .descendants()
        .filter(|n| n.has_tag_name("title") && n.parent().is_some_and(|p| p.has_tag_name("entry")))
        .map(|n| n.text().unwrap_or("").replace("\r\n", "\n").replace('\r', "\n"))
        .collect();
    assert!(titles.contains(&clean), "{titles:?} lacks {clean:?}");
    assert!(titles.contains(&format!("Maintenance: {clean}")), "{titles:?}");
    // The iCalendar files: read by a parser, every summary is the text
    // itself (escaped, folded at 75 octets, and read back).
    let summaries = ics_summaries(files, "maintenance.ics");
    assert_eq!(summaries, [format!("Maintenance: {clean}")], "maintenance.ics");
    let summaries = ics_summaries(files, "gitsm-calendar.ics");
    assert_eq!(
        summaries,
        [
            format!("Maintenance CHG-0001: {clean}"),
            format!("Release REL-0001: {clean}")
        ],
        "gitsm calendar"
    );
    // No element or attribute came from the text.
    let names: std::collections::BTreeSet<&str> = xml
        .descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    let allowed = [
        "feed",
        "title",
        "subtitle",
        "id",
        "link",
        "updated",
        "author",
        "name",
        "generator",
        "entry",
        "published",
        "category",
        "summary",
    ];
    assert!(names.iter().all(|n| allowed.contains(n)), "{names:?}");
    // In HTML the title appears escaped; markup characters never raw.
    if clean.contains(['<', '>', '&', '"']) {
        let page = files
            .iter()
            .find(|f| f.path == "incidents/INC-0001.html")
            .unwrap();
        let page = std::str::from_utf8(&page.bytes).unwrap();
        assert!(!page.contains(&clean), "unescaped title in the incident page");
        assert!(!report_html.contains(&clean), "unescaped title in the report");
    }
}

/// Written raw, not escaped: the loader skips its walk over every string
/// only when the text has no such character and no escape, so a raw one in
/// a plain scalar (read by the YAML fast path) is still found.
#[test]
fn raw_forbidden_characters_in_plain_scalars_are_findings() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_repo(tmp.path(), "plain");
    let inc = tmp.path().join("incidents/INC-0001.yaml");
    let text = std::fs::read_to_string(&inc).unwrap();
    let raw = text.replace("\"plain\"", "Checkout \u{FDD0} down");
    assert_ne!(raw, text);
    assert!(
        gitsm::yaml::parse_fast_path(&raw).is_some(),
        "the fast path reads it"
    );
    std::fs::write(&inc, raw).unwrap();
    let (code, findings) = validate_json(tmp.path());
    assert_eq!(code, 1);
    let got: Vec<(&str, &str, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let e = |line| ("E0017", "incidents/INC-0001.yaml", line);
    assert_eq!(got, vec![e(4), e(14)], "{findings:#?}");
}

#[test]
fn control_characters_are_findings_and_never_reach_an_output() {
    let text = "Checkout \u{1}down\u{7F}\u{85} <b>&amp;</b> ]]> \u{FFFE}\u{FFFF}\u{FDD0}\u{1FFFF} end";
    let tmp = tempfile::tempdir().unwrap();
    hostile_repo(tmp.path(), text);
    let (code, findings) = validate_json(tmp.path());
    assert_eq!(code, 1);
    let mut got: Vec<(String, String, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let e = |file: &str, line: u64| ("E0017".to_string(), file.to_string(), line);
    assert_eq!(
        got,
        vec![
            e("changes/CHG-0001.yaml", 4),
            e("changes/CHG-0001.yaml", 16),
            e("incidents/INC-0001.yaml", 4),
            e("incidents/INC-0001.yaml", 14),
            e("releases/REL-0001.yaml", 4),
            e("releases/REL-0001.yaml", 9),
        ],
        "{findings:#?}"
    );
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("U+0001 (a control character) at character 10"),
        "{findings:#?}"
    );
    let (files, html) = render_all(tmp.path());
    check_outputs(text, &files, &html);
    // The HTML5 check has teeth: the raw character is a parse error.
    let page = "<!doctype html><html><head><title>t</title></head><body>a\u{1}b</body></html>";
    assert_eq!(html5_errors(page).len(), 1, "{:?}", html5_errors(page));
    assert_eq!(html5_errors(&page.replace('\u{1}', "")), Vec::<String>::new());
    // Also through the binary: status.json against its published schema.
    let out = tmp.path().join("site");
    let mut c = gitsm(tmp.path());
    c.args(["--now", NOW, "status-page", "--out"]).arg(&out);
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("status.json")).unwrap()).unwrap();
    let v = validator(&manifest_dir().join("schemas/status.json"));
    assert_eq!(schema_errors(&v, &doc), Vec::<String>::new());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn hostile_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            prop::sample::select(vec![
                '<',
                '>',
                '&',
                '"',
                '\'',
                '/',
                ']',
                '\u{0}',
                '\u{1}',
                '\u{8}',
                '\u{B}',
                '\u{1B}',
                '\u{7F}',
                '\u{85}',
                '\u{9F}',
                '\u{FDD0}',
                '\u{FFFE}',
                '\u{FFFF}',
                '\u{10FFFF}',
                '\u{2028}',
                '\u{FEFF}',
                '\t',
                '\r',
            ]),
            prop::char::range('a', 'z'),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn no_record_text_makes_an_output_ill_formed(chars in prop::collection::vec(hostile_char(), 1..24)) {
            let mut text: String = chars.into_iter().collect();
            // Leading or trailing blanks are YAML's to fold; keep the text exact.
            text = format!("x{text}x");
            let tmp = tempfile::tempdir().unwrap();
            hostile_repo(tmp.path(), &text);
            let (files, html) = render_all(tmp.path());
            check_outputs(&text, &files, &html);
        }
    }
}

// ---- As of --now ----

/// The acme records, typed.
fn acme_records() -> Vec<gitsm::repo::Loaded> {
    let v = gitsm::validate::validate(&gitsm::repo::WorkTree::new(acme())).unwrap();
    assert!(!v.has_errors(), "{:?}", v.findings);
    v.snapshot.records
}

/// What a timeline says at `t`: (created by then, last status by then).
fn at<S: Copy>(tl: &[gitsm::model::Event<S>], t: jiff::Timestamp) -> (bool, Option<S>) {
    let past: Vec<_> = tl.iter().filter(|e| e.at.as_jiff() <= t).collect();
    (!past.is_empty(), past.iter().filter_map(|e| e.status).next_back())
}

const INSTANTS: &[&str] = &[
    "2026-09-02T00:00:00Z",
    "2026-09-20T12:00:00Z",
    "2026-10-13T08:00:00Z",
    "2026-10-18T02:00:00Z",
    "2026-11-05T00:00:00Z",
    "2026-11-25T12:00:00Z",
];

/// Every timestamp string in a JSON document, by a path with indices
/// replaced by `N`.
fn timestamps(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| timestamps(x, &format!("{path}/{k}"), out)),
        Value::Array(a) => a.iter().for_each(|x| timestamps(x, &format!("{path}/N"), out)),
        Value::String(s) if s.parse::<gitsm::model::Timestamp>().is_ok() => {
            out.push((path.to_string(), s.clone()))
        }
        _ => {}
    }
}

/// Asserts nothing in `doc` is dated after `t`, except at the paths that
/// name future instants by design (planned windows, deadlines).
fn nothing_after(doc: &Value, t: jiff::Timestamp, future_ok: &[&str], what: &str) {
    let mut all = Vec::new();
    timestamps(doc, "", &mut all);
    for (path, s) in all {
        let ts: jiff::Timestamp = s.parse().unwrap();
        assert!(
            ts <= t || future_ok.contains(&path.as_str()),
            "{what}: {path} = {s} is after --now {t}"
        );
    }
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn json_of(args: &[&str]) -> Value {
    let mut c = gitsm(&acme());
    c.args(args);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

#[test]
fn every_command_sees_records_as_of_now() {
    let records = acme_records();
    let find = |id: &str| {
        records
            .iter()
            .find(|l| l.record.id().as_str() == id)
            .map(|l| &l.record)
            .unwrap()
    };
    let status_schema = validator(&manifest_dir().join("schemas/status.json"));
    for &instant in INSTANTS {
        let t: jiff::Timestamp = instant.parse().unwrap();

        // sla: exactly the incidents and requests open at t, with their status then.
        let sla = json_of(&["--now", instant, "sla", "--format", "json"]);
        nothing_after(&sla, t, &["/tickets/N/clocks/N/due"], "sla");
        let mut listed: Vec<(String, String)> = sla["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["id"].as_str().unwrap().to_string(),
                    x["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        listed.sort();
        let mut expected: Vec<(String, String)> = Vec::new();
        for l in &records {
            let (id, open) = match &l.record {
                Record::Incident(i) => match at(&i.timeline, t) {
                    (true, Some(s)) if !matches!(s, IncidentStatus::Resolved | IncidentStatus::Closed) => {
                        (i.id.to_string(), s.to_string())
                    }
                    _ => continue,
                },
                Record::Request(r) => match at(&r.timeline, t) {
                    (true, Some(s))
                        if !matches!(
                            s,
                            RequestStatus::Fulfilled | RequestStatus::Closed | RequestStatus::Rejected
                        ) =>
                    {
                        (r.id.to_string(), s.to_string())
                    }
                    _ => continue,
                },
                _ => continue,
            };
            expected.push((id, open));
        }
        expected.sort();
        assert_eq!(listed, expected, "sla at {instant}");

        // report of the month holding t: tickets and changes as they stood.
        let month = &instant[..7];
        let rep = json_of(&["--now", instant, "report", "--period", month, "--format", "json"]);
        nothing_after(
            &rep,
            t,
            &[
                "/period/to",
                // The budget window's end and the projected exhaustion are
                // future instants by design (docs/metrics.md).
                "/budget/to",
                "/budget/services/N/projected_exhaustion",
                "/changes/all/N/window_start",
                "/changes/unsuccessful/N/window_start",
            ],
            "report",
        );
        for x in rep["incidents"].as_array().unwrap() {
            let Record::Incident(i) = find(x["id"].as_str().unwrap()) else {
                panic!()
            };
            let (exists, status) = at(&i.timeline, t);
            assert!(
                exists && i.reported_at.as_jiff() <= t,
                "report at {instant} lists {}",
                i.id
            );
            assert_eq!(
                x["status"],
                status.unwrap().to_string(),
                "report at {instant}: {}",
                i.id
            );
        }
        for x in rep["changes"]["all"].as_array().unwrap() {
            let Record::Change(c) = find(x["id"].as_str().unwrap()) else {
                panic!()
            };
            let (exists, status) = at(&c.timeline, t);
            assert!(exists, "report at {instant} lists {}, created later", c.id);
            let status = status.unwrap();
            assert_eq!(x["status"], status.to_string(), "report at {instant}: {}", c.id);
            if !matches!(status, ChangeStatus::Completed | ChangeStatus::Closed) {
                assert!(
                    x["outcome"].is_null(),
                    "report at {instant}: {} has an outcome before completing",
                    c.id
                );
            }
        }

        // status page: incidents and maintenance as they stood.
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        let mut c = gitsm(&acme());
        c.args(["--now", instant, "status-page", "--out"]).arg(&out);
        let (code, _, err) = run(c);
        assert_eq!(code, 0, "{err}");
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("status.json")).unwrap()).unwrap();
        assert_eq!(
            schema_errors(&status_schema, &doc),
            Vec::<String>::new(),
            "status.json at {instant}"
        );
        assert_eq!(doc["generated_at"], instant);
        nothing_after(
            &doc,
            t,
            &["/maintenances/N/starts_at", "/maintenances/N/ends_at"],
            "status.json",
        );
        for x in doc["incidents"].as_array().unwrap() {
            let Record::Incident(i) = find(x["id"].as_str().unwrap()) else {
                panic!()
            };
            let (exists, status) = at(&i.timeline, t);
            assert!(
                exists && i.reported_at.as_jiff() <= t,
                "status page at {instant} shows {}",
                i.id
            );
            let resolved = matches!(status, Some(IncidentStatus::Resolved | IncidentStatus::Closed));
            assert_eq!(
                x["status"] == "resolved",
                resolved,
                "status page at {instant}: {}",
                i.id
            );
        }
        for x in doc["maintenances"].as_array().unwrap() {
            let Record::Change(c) = find(x["id"].as_str().unwrap()) else {
                panic!()
            };
            let (exists, status) = at(&c.timeline, t);
            assert!(exists, "status page at {instant} shows {}, created later", c.id);
            let status = status.unwrap();
            assert!(
                matches!(
                    status,
                    ChangeStatus::Scheduled
                        | ChangeStatus::Implementing
                        | ChangeStatus::Completed
                        | ChangeStatus::Closed
                ),
                "status page at {instant} shows {} as maintenance while it was {status}",
                c.id
            );
            let w = c.window.as_ref().unwrap();
            let done = matches!(status, ChangeStatus::Completed | ChangeStatus::Closed);
            match x["status"].as_str().unwrap() {
                "completed" => assert!(
                    done || w.end.as_jiff() <= t,
                    "{} completed before its window at {instant}",
                    c.id
                ),
                "scheduled" => assert!(t < w.start.as_jiff(), "{}", c.id),
                _ => assert!(w.start.as_jiff() <= t, "{}", c.id),
            }
        }
        // Every page parses as HTML5 without a single parse error.
        for page in walk_files(&out)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
        {
            let html = std::fs::read_to_string(&page).unwrap();
            assert_eq!(
                html5_errors(&html),
                Vec::<String>::new(),
                "{} at {instant}",
                page.display()
            );
        }
        // The feed: well-formed, nothing published or updated after t.
        let feed = std::fs::read_to_string(out.join("feed.atom")).unwrap();
        let xml = roxmltree::Document::parse(&feed).unwrap();
        for n in xml
            .descendants()
            .filter(|n| n.has_tag_name("published") || n.has_tag_name("updated"))
        {
            let ts: jiff::Timestamp = n.text().unwrap().parse().unwrap();
            assert!(ts <= t, "feed at {instant}: <{}> {ts}", n.tag_name().name());
        }
    }
}

/// The maintenance the issue saw: at an instant before CHG-0008 was even
/// scheduled, it is no maintenance at all, and it never shows `completed`
/// before its window.
#[test]
fn drafts_and_later_changes_are_no_maintenance() {
    let records = acme_records();
    let Some(Record::Change(c)) = records
        .iter()
        .map(|l| &l.record)
        .find(|r| r.id().as_str() == "CHG-0008")
    else {
        panic!("CHG-0008 missing");
    };
    let scheduled = c
        .timeline
        .iter()
        .find(|e| e.status == Some(ChangeStatus::Scheduled))
        .unwrap()
        .at
        .as_jiff();
    let created = c.timeline[0].at.as_jiff();
    for t in [
        created - jiff::SignedDuration::from_hours(1),
        scheduled - jiff::SignedDuration::from_mins(1),
    ] {
        let instant = t.to_string();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        let mut cmd = gitsm(&acme());
        cmd.args(["--now", &instant, "status-page", "--out"]).arg(&out);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 0, "{err}");
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("status.json")).unwrap()).unwrap();
        let ids: Vec<&str> = doc["maintenances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(!ids.contains(&"CHG-0008"), "at {instant}: {ids:?}");
    }
}

/// The library's one reading of "as of": a ticket created later does not
/// exist, and a change is not completed before its `completed` event.
#[test]
fn record_as_of_cuts_the_future() {
    let records = acme_records();
    for l in &records {
        let Record::Change(c) = &l.record else { continue };
        let created = c.timeline[0].at.as_jiff();
        assert_eq!(
            gitsm::availability::record_as_of(&l.record, created - jiff::SignedDuration::from_secs(1)),
            None
        );
        let Some(Record::Change(past)) = gitsm::availability::record_as_of(&l.record, created) else {
            panic!("{} exists at its creation", c.id)
        };
        assert_eq!(
            past.timeline.len(),
            c.timeline.iter().filter(|e| e.at.as_jiff() <= created).count()
        );
        assert_eq!(
            Some(past.status),
            past.timeline.iter().filter_map(|e| e.status).next_back()
        );
        if !matches!(past.status, ChangeStatus::Completed | ChangeStatus::Closed) {
            assert_eq!(past.outcome, None, "{}", c.id);
        }
        assert!(past.approvals.iter().all(|a| a.at.as_jiff() <= created));
    }
}

// ---- Strict timestamps and durations ----

const BAD_TIMESTAMPS: &[&str] = &[
    "2026-09-01T06:55Z",
    "2026-09-01T06:55:60Z",
    "2026-09-01T06:55:00+24:00",
    "2026-09-01T06:55:00+05:60",
    "2026-02-30T06:55:00Z",
    "2026-13-01T06:55:00Z",
    "2026-09-01T24:00:00Z",
];

#[test]
fn validate_refuses_what_rfc_3339_refuses() {
    for bad in BAD_TIMESTAMPS {
        let tmp = tempfile::tempdir().unwrap();
        hostile_repo(tmp.path(), "plain");
        let path = tmp.path().join("incidents/INC-0001.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace(
                "reported_at: 2026-11-24T10:00:00Z",
                &format!("reported_at: \"{bad}\""),
            ),
        )
        .unwrap();
        let (code, findings) = validate_json(tmp.path());
        assert_eq!(code, 1, "{bad} accepted");
        let got: Vec<(&str, &str, u64)> = findings
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap(),
                    f["file"].as_str().unwrap(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![("E0105", "incidents/INC-0001.yaml", 9)],
            "{bad}: {findings:#?}"
        );
    }
    for (duration, ok) in [
        ("52w", true),
        ("364d", true),
        ("53w", false),
        ("365d", false),
        ("9999999999m", false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        hostile_repo(tmp.path(), "plain");
        write(
            tmp.path(),
            "slas/long.yaml",
            format!("apiVersion: gitsm/v1\nkind: SLA\nid: long\ncalendar: 24x7\ntargets:\n  P1: {{resolution: {duration}}}\n"),
        );
        let (_, findings) = validate_json(tmp.path());
        let codes: Vec<&str> = findings.iter().map(|f| f["code"].as_str().unwrap()).collect();
        assert_eq!(codes.is_empty(), ok, "{duration}: {findings:#?}");
        if !ok {
            assert_eq!(codes, vec!["E0105"], "{duration}");
            assert_eq!(findings[0]["line"], 6, "{duration}");
        }
    }
}

#[test]
fn published_schemas_are_as_strict_as_json_schema_allows() {
    let incident = validator(&manifest_dir().join("schemas/incident.json"));
    let good = serde_json::json!({
        "apiVersion": "gitsm/v1", "kind": "Incident", "id": "INC-0001", "title": "t", "service": "api",
        "impact": "high", "urgency": "high", "status": "new", "reported_at": "2026-11-24T10:00:00Z",
        "reported_by": "alice", "timeline": [{"at": "2026-11-24T10:00:00Z", "by": "alice", "status": "new"}]
    });
    assert_eq!(schema_errors(&incident, &good), Vec::<String>::new());
    for bad in BAD_TIMESTAMPS {
        let mut doc = good.clone();
        doc["reported_at"] = Value::from(*bad);
        assert!(
            !incident.is_valid(&doc),
            "incident.json accepts reported_at {bad}"
        );
    }
    let sla = validator(&manifest_dir().join("schemas/sla.json"));
    let with = |d: &str| serde_json::json!({"apiVersion": "gitsm/v1", "kind": "SLA", "id": "s", "calendar": "24x7", "targets": {"P1": {"response": d}}});
    for d in ["15m", "1h30m", "52w", "364d", "2w3d4h5m6s"] {
        assert!(sla.is_valid(&with(d)), "sla.json refuses {d}");
    }
    for d in [
        "53w",
        "99w",
        "9999d",
        "99999h",
        "1234567m",
        "123456789s",
        "1d2w",
        "",
    ] {
        assert!(!sla.is_valid(&with(d)), "sla.json accepts {d}");
    }
}

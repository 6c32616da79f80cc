//! `gitsm calendar` and the status page's `maintenance.ics`, read back by a
//! real iCalendar parser (the `icalendar` crate) and checked line by line
//! against RFC 5545's framing (CRLF, 75-octet lines).

use crate::common::{gitsm, run, write};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus};
use std::collections::BTreeMap;
use std::path::Path;

const CONFIG: &str = "apiVersion: gitsm/v1\nkind: Config\nid: cal\ntimezone: Europe/Berlin\nstatus_page:\n  title: Cal Status\n  base_url: https://status.cal.example\n";
const SERVICE: &str =
    "apiVersion: gitsm/v1\nkind: Service\nid: shop\nname: Shop, the web one\nowner: carol\npublic: true\n";
const POLICY: &str = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice]\nrules:\n  - match: {type: standard}\n    approvals: 0\n  - match: {type: normal}\n    approvals: 0\nfreeze:\n  - {name: \"Year end; no, really\", start: 2026-12-21T00:00:00+01:00, end: 2027-01-04T00:00:00+01:00, allow: [emergency]}\n";

/// Long enough (in octets: `ü` is two) to be folded more than once.
const LONG_TITLE: &str = "Grüße: move the shop's database, cache; and queue to the new cluster in Frankfurt, with a rehearsal first";

fn change(id: &str, title: &str, maintenance: bool, window: &str, events: &[(&str, &str)]) -> String {
    let status = events.last().unwrap().1;
    let mut tl = String::new();
    for (at, st) in events {
        tl.push_str(&format!("  - {{at: {at}, by: carol, status: {st}}}\n"));
    }
    format!(
        "apiVersion: gitsm/v1\nkind: Change\nid: {id}\ntitle: \"{title}\"\nstatus: {status}\ntype: normal\nrisk: low\nservices: [shop]\nrequested_by: carol\nplan: Do it.\nrollback_plan: Undo it.\nmaintenance: {maintenance}\n{window}timeline:\n{tl}"
    )
}

const EARLY: &[(&str, &str)] = &[
    ("2026-11-02T09:00:00Z", "draft"),
    ("2026-11-02T09:00:00Z", "submitted"),
    ("2026-11-03T09:00:00Z", "approved"),
    ("2026-11-03T10:00:00Z", "scheduled"),
];

fn scenario(root: &Path, cancelled: bool) {
    write(root, "gitsm.yaml", CONFIG);
    write(root, "catalog/shop.yaml", SERVICE);
    write(root, "policies/default.yaml", POLICY);
    write(
        root,
        "changes/CHG-0001.yaml",
        change(
            "CHG-0001",
            LONG_TITLE,
            true,
            "window: {start: 2026-11-28T01:00:00Z, end: 2026-11-28T03:00:00Z}\n",
            EARLY,
        ),
    );
    let mut second = EARLY[..3].to_vec();
    if cancelled {
        second.push(("2026-11-20T08:00:00Z", "cancelled"));
    }
    write(
        root,
        "changes/CHG-0002.yaml",
        change(
            "CHG-0002",
            "Rotate TLS keys",
            false,
            "window: {start: 2026-11-27T09:00:00Z, end: 2026-11-27T09:30:00Z}\n",
            &second,
        ),
    );
    // No window yet: not on any calendar.
    write(
        root,
        "changes/CHG-0003.yaml",
        change("CHG-0003", "Someday", false, "", &EARLY[..2]),
    );
    // A release window: on the calendar, cancelled with the change above.
    let mut release = String::from(
        "apiVersion: gitsm/v1\nkind: Release\nid: REL-0001\ntitle: Winter release\nversion: \"2026.48\"\nservices: [shop]\nwindow: {start: 2026-11-29T06:00:00Z, end: 2026-11-29T08:00:00Z}\n",
    );
    let mut events = vec![
        ("2026-11-04T09:00:00Z", "planned"),
        ("2026-11-05T09:00:00Z", "building"),
    ];
    if cancelled {
        events.push(("2026-11-20T08:00:00Z", "cancelled"));
    }
    release.push_str(&format!("status: {}\ntimeline:\n", events.last().unwrap().1));
    for (at, st) in events {
        release.push_str(&format!("  - {{at: {at}, by: carol, status: {st}}}\n"));
    }
    write(root, "releases/REL-0001.yaml", &release);
    // No window: not on the calendar.
    write(
        root,
        "releases/REL-0002.yaml",
        "apiVersion: gitsm/v1\nkind: Release\nid: REL-0002\ntitle: Spring\nstatus: planned\ntimeline:\n  - {at: 2026-11-04T09:00:00Z, by: carol, status: planned}\n",
    );
}

/// RFC 5545 §3.1 framing: CRLF only, no line over 75 octets, continuation
/// lines start with one space.
#[track_caller]
fn assert_framing(text: &str) {
    assert!(text.ends_with("\r\n"), "ends with CRLF");
    assert!(!text.replace("\r\n", "").contains('\n'), "a bare LF");
    assert!(!text.replace("\r\n", "").contains('\r'), "a bare CR");
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
}

/// Per UID: (summary, status, sequence, start, end, categories).
type Ev = (String, Option<EventStatus>, Option<u32>, i64, i64, Vec<String>);

fn parse(text: &str) -> (icalendar::Calendar, BTreeMap<String, Ev>) {
    let cal: icalendar::Calendar = text
        .parse()
        .unwrap_or_else(|e| panic!("not iCalendar: {e}\n{text}"));
    let secs = |d: Option<DatePerhapsTime>| match d {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t.timestamp(),
        other => panic!("not a UTC date-time: {other:?}"),
    };
    let mut events = BTreeMap::new();
    for c in &cal.components {
        let CalendarComponent::Event(e) = c else {
            panic!("only events expected, got {c:?}")
        };
        let uid = e.get_uid().expect("every event has a UID").to_string();
        assert!(e.get_timestamp().is_some(), "{uid}: DTSTAMP");
        let old = events.insert(
            uid.clone(),
            (
                e.get_summary().unwrap_or_default().to_string(),
                e.get_status(),
                e.get_sequence(),
                secs(e.get_start()),
                secs(e.get_end()),
                e.get_categories().unwrap_or_default(),
            ),
        );
        assert!(old.is_none(), "duplicate UID {uid}");
    }
    (cal, events)
}

fn calendar(root: &Path, now: &str) -> String {
    let mut c = gitsm(root);
    c.args(["--now", now, "calendar"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    out
}

fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_second()
}

#[test]
fn every_window_and_freeze_is_an_event_a_parser_reads() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), false);
    let text = calendar(dir.path(), "2026-11-10T12:00:00Z");
    assert_framing(&text);
    let (cal, events) = parse(&text);
    assert_eq!(cal.property_value("VERSION"), Some("2.0"));
    assert_eq!(cal.property_value("PRODID"), Some("-//gitsm//gitsm calendar//EN"));
    let expected: BTreeMap<String, Ev> = [
        (
            "change-CHG-0001.cal@gitsm".to_string(),
            (
                format!("Maintenance CHG-0001: {LONG_TITLE}"),
                Some(EventStatus::Confirmed),
                Some(3),
                at("2026-11-28T01:00:00Z"),
                at("2026-11-28T03:00:00Z"),
                vec!["CHANGE".into(), "NORMAL".into(), "MAINTENANCE".into()],
            ),
        ),
        (
            "change-CHG-0002.cal@gitsm".to_string(),
            (
                "CHG-0002: Rotate TLS keys".into(),
                Some(EventStatus::Confirmed),
                Some(2),
                at("2026-11-27T09:00:00Z"),
                at("2026-11-27T09:30:00Z"),
                vec!["CHANGE".into(), "NORMAL".into()],
            ),
        ),
        (
            "release-REL-0001.cal@gitsm".to_string(),
            (
                "Release REL-0001: Winter release".into(),
                Some(EventStatus::Confirmed),
                Some(1),
                at("2026-11-29T06:00:00Z"),
                at("2026-11-29T08:00:00Z"),
                vec!["RELEASE".into()],
            ),
        ),
        (
            "freeze-year-end-no-really-20261220T230000Z.cal@gitsm".to_string(),
            (
                "Change freeze: Year end; no, really".into(),
                Some(EventStatus::Confirmed),
                Some(0),
                at("2026-12-20T23:00:00Z"),
                at("2027-01-03T23:00:00Z"),
                vec!["FREEZE".into()],
            ),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(events, expected);
    // The long title was folded, and unfolds to the original bytes.
    assert!(text.contains("\r\n "), "nothing was folded");
}

#[test]
fn uids_are_stable_and_a_cancelled_change_is_marked_with_a_higher_sequence() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), false);
    let before = parse(&calendar(dir.path(), "2026-11-21T12:00:00Z")).1;
    let again = parse(&calendar(dir.path(), "2026-11-21T12:00:00Z")).1;
    assert_eq!(before, again, "the same input gives the same events");
    scenario(dir.path(), true);
    let after = parse(&calendar(dir.path(), "2026-11-21T12:00:00Z")).1;
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "same UIDs"
    );
    let (b, a) = (
        &before["change-CHG-0002.cal@gitsm"],
        &after["change-CHG-0002.cal@gitsm"],
    );
    assert_eq!((b.1, b.2), (Some(EventStatus::Confirmed), Some(2)));
    assert_eq!((a.1, a.2), (Some(EventStatus::Cancelled), Some(3)));
    assert_eq!(
        before["change-CHG-0001.cal@gitsm"],
        after["change-CHG-0001.cal@gitsm"]
    );
    let (b, a) = (
        &before["release-REL-0001.cal@gitsm"],
        &after["release-REL-0001.cal@gitsm"],
    );
    assert_eq!((b.1, b.2), (Some(EventStatus::Confirmed), Some(1)));
    assert_eq!((a.1, a.2), (Some(EventStatus::Cancelled), Some(2)));
}

#[test]
fn json_lists_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), true);
    let mut c = gitsm(dir.path());
    c.args(["--now", "2026-11-21T12:00:00Z", "calendar", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "gitsm-calendar/v1");
    let uids: Vec<(&str, &str)> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["uid"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        uids,
        [
            ("change-CHG-0002.cal@gitsm", "CANCELLED"),
            ("change-CHG-0001.cal@gitsm", "CONFIRMED"),
            ("release-REL-0001.cal@gitsm", "CANCELLED"),
            (
                "freeze-year-end-no-really-20261220T230000Z.cal@gitsm",
                "CONFIRMED"
            ),
        ]
    );
}

#[test]
fn out_writes_a_file_and_never_replaces_one_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), false);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("changes.ics");
    let mut c = gitsm(dir.path());
    c.args(["--now", "2026-11-21T12:00:00Z", "calendar", "--out"])
        .arg(&file);
    let (code, _, err) = run(c);
    assert_eq!(
        (code, err.as_str()),
        (0, format!("wrote {} (4 events)\n", file.display()).as_str())
    );
    assert_eq!(parse(&std::fs::read_to_string(&file).unwrap()).1.len(), 4);
    // Ours: replaced.
    let mut c = gitsm(dir.path());
    c.args(["--now", "2026-11-21T12:00:00Z", "calendar", "--out"])
        .arg(&file);
    assert_eq!(run(c).0, 0);
    // Someone else's: refused, untouched.
    std::fs::write(&file, "my notes\n").unwrap();
    let mut c = gitsm(dir.path());
    c.args(["--now", "2026-11-21T12:00:00Z", "calendar", "--out"])
        .arg(&file);
    let (code, _, _) = run(c);
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my notes\n");
}

#[test]
fn the_status_page_publishes_maintenance_ics_with_public_maintenance_only() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), false);
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("site");
    let mut c = gitsm(dir.path());
    c.args(["--now", "2026-11-21T12:00:00Z", "status-page", "--out"])
        .arg(&out);
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(out.join("maintenance.ics")).unwrap();
    assert_framing(&text);
    let (cal, events) = parse(&text);
    assert_eq!(
        cal.property_value("X-WR-CALNAME"),
        Some("Cal Status: maintenance")
    );
    let got: Vec<(&str, &str, i64, i64)> = events
        .iter()
        .map(|(uid, e)| (uid.as_str(), e.0.as_str(), e.3, e.4))
        .collect();
    // Only the maintenance change; its description names the public service.
    let summary = format!("Maintenance: {LONG_TITLE}");
    assert_eq!(
        got,
        [(
            "maintenance-CHG-0001.status.cal.example@gitsm",
            summary.as_str(),
            at("2026-11-28T01:00:00Z"),
            at("2026-11-28T03:00:00Z")
        )]
    );
    let CalendarComponent::Event(e) = &cal.components[0] else {
        unreachable!()
    };
    assert_eq!(e.get_description(), Some("Affected: Shop, the web one"));
    assert_eq!(
        e.get_url(),
        Some("https://status.cal.example/maintenance/CHG-0001.html")
    );
}

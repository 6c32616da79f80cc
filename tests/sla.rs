//! SLA clocks and business time, against cases computed by hand.

use gitsm::model::{Kind, Record};
use gitsm::repo::Loaded;
use gitsm::sla::{ClockKind, ClockState, Phase, SlaContext};
use jiff::Timestamp;
use serde_json::{json, Value};

fn rec(kind: Kind, v: Value) -> Loaded {
    let mut v = v;
    v["apiVersion"] = json!("gitsm/v1");
    v["kind"] = json!(kind.name());
    Loaded {
        path: format!("{}.yaml", v["id"].as_str().unwrap()),
        record: Record::from_json(kind, &v).unwrap_or_else(|e| panic!("{e:?}")),
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A catalog with one service `svc` on an SLA with the given calendar and
/// targets, plus a Berlin office-hours calendar with Christmas holidays.
fn base(calendar: &str, targets: Value, extra_sla: Value) -> Vec<Loaded> {
    let mut sla = json!({"id": "s", "calendar": calendar, "targets": targets});
    if let Value::Object(m) = extra_sla {
        for (k, v) in m {
            sla[k] = v;
        }
    }
    vec![
        rec(
            Kind::Service,
            json!({"id": "svc", "name": "Svc", "owner": "o", "sla": "s"}),
        ),
        rec(Kind::Sla, sla),
        rec(
            Kind::Calendar,
            json!({"id": "berlin", "timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"},
                   "holidays": ["2026-12-24", {"date": "2026-12-25", "name": "Christmas"}]}),
        ),
    ]
}

fn incident(id: &str, priority: &str, events: &[(&str, Option<&str>)]) -> Loaded {
    let (impact, urgency) = match priority {
        "P1" => ("high", "high"),
        "P2" => ("high", "medium"),
        "P3" => ("medium", "medium"),
        _ => ("low", "low"),
    };
    let timeline: Vec<Value> = events
        .iter()
        .map(|(at, s)| match s {
            Some(s) => json!({"at": at, "by": "x", "status": s}),
            None => json!({"at": at, "by": "x", "note": "n"}),
        })
        .collect();
    let status = events.iter().rev().find_map(|e| e.1).unwrap();
    rec(
        Kind::Incident,
        json!({"id": id, "title": "t", "service": "svc", "impact": impact, "urgency": urgency,
               "status": status, "reported_at": events[0].0, "reported_by": "x",
               "customer_impact": "major_outage", "timeline": timeline}),
    )
}

#[test]
fn p2_friday_afternoon_acknowledged_monday_morning() {
    // Mon–Fri 09:00–17:00 Europe/Berlin. Fri 2026-11-20 16:30 CET → Mon 09:30 CET:
    // 30 min on Friday + 30 min on Monday = 1 h of business time (wall: 65 h).
    let mut r = base(
        "berlin",
        json!({"P2": {"response": "45m", "resolution": "8h"}}),
        json!({}),
    );
    r.push(incident(
        "INC-0001",
        "P2",
        &[
            ("2026-11-20T16:30:00+01:00", Some("new")),
            ("2026-11-23T09:30:00+01:00", Some("acknowledged")),
        ],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    let t = ctx.incident(inc, ts("2026-11-23T12:00:00+01:00"));
    let resp = t.clock(ClockKind::Response).unwrap();
    assert_eq!(resp.elapsed, 3600);
    assert_eq!(resp.elapsed_wall, 65 * 3600);
    assert_eq!(resp.phase, Phase::Stopped);
    // 45 min target: 30 min Friday + 15 min Monday → due Mon 09:15, breached by 15 min.
    assert_eq!(resp.due, Some(ts("2026-11-23T09:15:00+01:00")));
    assert_eq!(resp.state, Some(ClockState::Breached));
    assert_eq!(resp.remaining, Some(-900));
    // Resolution at Mon 12:00: 30 min Friday + 09:00–12:00 Monday = 3.5 h of 8 h;
    // the other 4.5 h end Mon 16:30.
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.elapsed, 3 * 3600 + 1800);
    assert_eq!(res.phase, Phase::Running);
    assert_eq!(res.due, Some(ts("2026-11-23T16:30:00+01:00")));
    assert_eq!(res.state, Some(ClockState::Ok));
}

#[test]
fn ticket_across_the_end_of_daylight_saving_time() {
    // Clocks go back on Sun 2026-10-25. Opened Fri 2026-10-23 16:00 CEST (14:00Z),
    // resolved Mon 2026-10-26 10:00 CET (09:00Z): 1 h Friday + 1 h Monday = 2 h.
    // (A fixed +02:00 offset would count Monday from 07:00Z and give 3 h.)
    let mut r = base(
        "berlin",
        json!({"P3": {"response": "1h", "resolution": "4h"}}),
        json!({}),
    );
    r.push(incident(
        "INC-0002",
        "P3",
        &[
            ("2026-10-23T14:00:00Z", Some("new")),
            ("2026-10-23T14:30:00Z", Some("investigating")),
            ("2026-10-26T09:00:00Z", Some("resolved")),
        ],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    let t = ctx.incident(inc, ts("2026-10-27T00:00:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.elapsed, 2 * 3600);
    assert_eq!(res.elapsed_wall, 67 * 3600);
    assert_eq!(res.met(), Some(true));
    // Had it stayed open: 4 h = 1 h Friday + 3 h Monday → Mon 12:00 CET = 11:00Z.
    let t = ctx.incident(inc, ts("2026-10-26T08:30:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.due, Some(ts("2026-10-26T11:00:00Z")));
    let cal = ctx.calendar_of(ctx.sla_of("svc"));
    assert_eq!(
        cal.add(ts("2026-10-23T14:00:00Z"), 4 * 3600),
        Some(ts("2026-10-26T11:00:00Z"))
    );
    assert_eq!(
        cal.between(ts("2026-10-23T14:00:00Z"), ts("2026-10-26T09:00:00Z")),
        7200
    );
}

#[test]
fn public_holidays_do_not_count() {
    // Wed 2026-12-23 16:00 CET → Mon 2026-12-28 10:00 CET. Thu 24th and Fri 25th are
    // holidays, then the weekend: 1 h Wednesday + 1 h Monday = 2 h.
    let mut r = base("berlin", json!({"P4": {"response": "4h"}}), json!({}));
    r.push(incident(
        "INC-0003",
        "P4",
        &[
            ("2026-12-23T16:00:00+01:00", Some("new")),
            ("2026-12-28T10:00:00+01:00", Some("acknowledged")),
        ],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    let t = ctx.incident(inc, ts("2026-12-29T00:00:00Z"));
    let resp = t.clock(ClockKind::Response).unwrap();
    assert_eq!(resp.elapsed, 7200);
    assert_eq!(resp.met(), Some(true));
    // No resolution target: the clock measures but has no state.
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.state, None);
    assert_eq!(res.target, None);
    // While open: a 4 h response target from Wed 16:00 is due Mon 12:00 CET.
    let t = ctx.incident(inc, ts("2026-12-23T16:30:00+01:00"));
    let resp = t.clock(ClockKind::Response).unwrap();
    assert_eq!(resp.due, Some(ts("2026-12-28T12:00:00+01:00")));
}

#[test]
fn on_hold_pauses_the_clock() {
    // 24x7. Running 10:00–11:00, on hold 11:00–13:00, running 13:00–14:00: 2 h.
    let mut r = base(
        "24x7",
        json!({"P2": {"response": "15m", "resolution": "3h"}}),
        json!({}),
    );
    r.push(incident(
        "INC-0004",
        "P2",
        &[
            ("2026-11-02T10:00:00Z", Some("new")),
            ("2026-11-02T10:10:00Z", Some("acknowledged")),
            ("2026-11-02T10:20:00Z", Some("investigating")),
            ("2026-11-02T10:40:00Z", None),
            ("2026-11-02T11:00:00Z", Some("on_hold")),
            ("2026-11-02T13:00:00Z", Some("investigating")),
            ("2026-11-02T14:00:00Z", Some("resolved")),
        ],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    let t = ctx.incident(inc, ts("2026-11-03T00:00:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.elapsed, 2 * 3600);
    assert_eq!(res.elapsed_wall, 4 * 3600);
    assert_eq!(res.state, Some(ClockState::Ok));
    assert_eq!(res.stopped, Some(ts("2026-11-02T14:00:00Z")));
    // During the hold: paused at 1 h, no due instant, 2 h remaining.
    let t = ctx.incident(inc, ts("2026-11-02T12:00:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.phase, Phase::Paused);
    assert_eq!(res.elapsed, 3600);
    assert_eq!(res.due, None);
    assert_eq!(res.remaining, Some(7200));
    // 10 min to acknowledge against 15 min: met.
    assert_eq!(t.clock(ClockKind::Response).unwrap().elapsed, 600);
    // A custom pause_on: pausing in `investigating` too leaves only 10:00–10:20.
    let mut r2 = base(
        "24x7",
        json!({"P2": {"resolution": "3h"}}),
        json!({"pause_on": ["on_hold", "investigating"]}),
    );
    r2.push(r[3].clone());
    let ctx2 = SlaContext::new(&r2);
    let t = ctx2.incident(inc, ts("2026-11-03T00:00:00Z"));
    assert_eq!(t.clock(ClockKind::Resolution).unwrap().elapsed, 20 * 60);
}

#[test]
fn reopen_continues_the_resolution_clock() {
    // Resolved at 11:00 after 1 h, reopened 15:00, resolved again 16:30: 2.5 h.
    let mut r = base(
        "24x7",
        json!({"P1": {"response": "15m", "resolution": "2h"}}),
        json!({}),
    );
    r.push(incident(
        "INC-0005",
        "P1",
        &[
            ("2026-11-02T10:00:00Z", Some("new")),
            ("2026-11-02T10:05:00Z", Some("acknowledged")),
            ("2026-11-02T11:00:00Z", Some("resolved")),
            ("2026-11-02T15:00:00Z", Some("investigating")),
            ("2026-11-02T16:30:00Z", Some("resolved")),
        ],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    // Between resolution and reopen the clock is stopped and met.
    let t = ctx.incident(inc, ts("2026-11-02T12:00:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(
        (res.phase, res.elapsed, res.met()),
        (Phase::Stopped, 3600, Some(true))
    );
    // After the reopen it runs on from 1 h: due 15:00 + 1 h.
    let t = ctx.incident(inc, ts("2026-11-02T15:30:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.phase, Phase::Running);
    assert_eq!(res.elapsed, 5400);
    assert_eq!(res.due, Some(ts("2026-11-02T16:00:00Z")));
    assert_eq!(res.state, Some(ClockState::Ok));
    // Final: 2.5 h against 2 h, breached at 16:00; stopped at the last resolution.
    let t = ctx.incident(inc, ts("2026-11-03T00:00:00Z"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.elapsed, 9000);
    assert_eq!(res.state, Some(ClockState::Breached));
    assert_eq!(res.due, Some(ts("2026-11-02T16:00:00Z")));
    assert_eq!(res.stopped, Some(ts("2026-11-02T16:30:00Z")));
    assert_eq!(res.met(), Some(false));
    // Availability: the reopen extends the impact to the last resolution.
    let segs = gitsm::availability::service_states(
        &r,
        "svc",
        ts("2026-11-02T00:00:00Z"),
        ts("2026-11-03T00:00:00Z"),
        ts("2026-11-03T00:00:00Z"),
    );
    let down: i64 = segs
        .iter()
        .filter(|s| s.impact == gitsm::model::CustomerImpact::MajorOutage)
        .map(|s| s.secs())
        .sum();
    assert_eq!(down, 6 * 3600 + 1800);
    let pct = gitsm::availability::percent(&segs);
    assert!((pct - 100.0 * (1.0 - 6.5 / 24.0)).abs() < 1e-9, "{pct}");
}

#[test]
fn round_the_clock_sla_and_warning_state() {
    // 24x7: a P1 opened Sat 23:50, acknowledged Sun 00:20: 30 min against 15 min.
    let mut r = base(
        "24x7",
        json!({"P1": {"response": "15m", "resolution": "4h"}}),
        json!({"warn_at": 0.5}),
    );
    r.push(incident(
        "INC-0006",
        "P1",
        &[
            ("2026-11-21T23:50:00Z", Some("new")),
            ("2026-11-22T00:20:00Z", Some("acknowledged")),
        ],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    let t = ctx.incident(inc, ts("2026-11-22T01:50:00Z"));
    let resp = t.clock(ClockKind::Response).unwrap();
    assert_eq!(resp.elapsed, 1800);
    assert_eq!(resp.due, Some(ts("2026-11-22T00:05:00Z")));
    assert_eq!(resp.state, Some(ClockState::Breached));
    // Resolution: 2 h of 4 h with warn_at 0.5 → warning, due 03:50.
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.elapsed, 7200);
    assert_eq!(res.state, Some(ClockState::Warning));
    assert_eq!(res.due, Some(ts("2026-11-22T03:50:00Z")));
    // Before the warning threshold: ok.
    let t = ctx.incident(inc, ts("2026-11-22T00:30:00Z"));
    assert_eq!(
        t.clock(ClockKind::Resolution).unwrap().state,
        Some(ClockState::Ok)
    );
}

#[test]
fn requests_have_a_fulfilment_clock() {
    let mut r = base("berlin", json!({}), json!({"request_fulfillment": "16h"}));
    r.push(rec(
        Kind::Request,
        json!({"id": "REQ-0001", "title": "t", "service": "svc", "status": "fulfilled", "timeline": [
            {"at": "2026-11-16T09:00:00+01:00", "by": "x", "status": "submitted"},
            {"at": "2026-11-16T10:00:00+01:00", "by": "x", "status": "approved"},
            {"at": "2026-11-17T12:00:00+01:00", "by": "x", "status": "on_hold"},
            {"at": "2026-11-18T09:00:00+01:00", "by": "x", "status": "approved"},
            {"at": "2026-11-18T11:00:00+01:00", "by": "x", "status": "fulfilling"},
            {"at": "2026-11-18T12:00:00+01:00", "by": "x", "status": "fulfilled"}
        ]}),
    ));
    let ctx = SlaContext::new(&r);
    let Record::Request(req) = &r[3].record else {
        panic!()
    };
    let t = ctx.request(req, ts("2026-11-20T00:00:00Z"));
    let c = t.clock(ClockKind::Fulfillment).unwrap();
    // Mon 09–17 (8 h) + Tue 09–12 (3 h) + Wed 09–12 (3 h) = 14 h; on hold Tue 12:00 → Wed 09:00.
    assert_eq!(c.elapsed, 14 * 3600);
    assert_eq!(c.met(), Some(true));
}

#[test]
fn sla_command_lists_the_next_breach_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    use crate::common::write as w;
    w(
        root,
        "gitsm.yaml",
        "apiVersion: gitsm/v1\nkind: Config\nid: t\ntimezone: Europe/Berlin\n",
    );
    w(
        root,
        "catalog/svc.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: svc\nname: Svc\nowner: o\nsla: s\n",
    );
    w(
        root,
        "slas/s.yaml",
        "apiVersion: gitsm/v1\nkind: SLA\nid: s\ncalendar: 24x7\ntargets:\n  P1: {response: 15m, resolution: 4h}\n  P3: {response: 1h, resolution: 1d}\n",
    );
    let inc = |id: &str, impact: &str, at: &str, status: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Incident\nid: {id}\ntitle: T {id}\nservice: svc\nimpact: {impact}\nurgency: {u}\nstatus: {status}\nreported_at: {at}\nreported_by: x\ntimeline:\n  - at: {at}\n    by: x\n    status: new\n{extra}",
            u = if impact == "high" { "high" } else { "medium" },
            extra = if status == "new" { String::new() } else { format!("  - at: {at}\n    by: x\n    status: {status}\n") },
        )
    };
    // INC-0001: P3 opened 09:00, investigating: resolution due next day 09:00.
    w(
        root,
        "incidents/INC-0001.yaml",
        inc("INC-0001", "medium", "2026-11-20T09:00:00Z", "investigating"),
    );
    // INC-0002: P1 opened 10:00, still new: response due 10:15 (breached at 11:00).
    w(
        root,
        "incidents/INC-0002.yaml",
        inc("INC-0002", "high", "2026-11-20T10:00:00Z", "new"),
    );
    // INC-0003: closed: not listed.
    w(
        root,
        "incidents/INC-0003.yaml",
        inc("INC-0003", "high", "2026-11-20T08:00:00Z", "closed"),
    );
    let mut c = crate::common::gitsm(root);
    c.args(["--now", "2026-11-20T11:00:00Z", "sla"]);
    let (code, out, err) = crate::common::run(c);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("TICKET"), "{out}");
    assert!(
        lines[1].starts_with("INC-0002") && lines[1].contains("response") && lines[1].contains("breached"),
        "{out}"
    );
    assert!(
        lines[1].contains("45m over") && lines[1].contains("2026-11-20 11:15"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("INC-0002") && lines[2].contains("resolution"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("INC-0001") && lines[3].contains("22h"),
        "{out}"
    );
    assert!(!out.contains("INC-0003"), "{out}");

    let mut c = crate::common::gitsm(root);
    c.args(["--now", "2026-11-20T11:00:00Z", "sla", "--format", "json"]);
    let (code, out, _) = crate::common::run(c);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let t = doc["tickets"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["id"], "INC-0002");
    assert_eq!(t[0]["clocks"][0]["state"], "breached");
    assert_eq!(t[0]["clocks"][0]["elapsed"], 3600);
    assert_eq!(t[1]["clocks"][1]["remaining"], 22 * 3600);

    let mut c = crate::common::gitsm(root);
    c.args(["sla", "--service", "nope"]);
    let (code, _, err) = crate::common::run(c);
    assert_eq!(code, 2);
    assert!(err.contains("no such service"), "{err}");
}

#[test]
fn a_day_in_a_target_is_24_business_hours() {
    // Documented choice (docs/sla.md): `3d` on Mon–Fri 09:00–17:00 is 72 business
    // hours, i.e. nine working days: Mon 16 Nov 09:00 → Thu 26 Nov 17:00.
    let mut r = base("berlin", json!({"P3": {"resolution": "3d"}}), json!({}));
    r.push(incident(
        "INC-0007",
        "P3",
        &[("2026-11-16T09:00:00+01:00", Some("new"))],
    ));
    let ctx = SlaContext::new(&r);
    let Record::Incident(inc) = &r[3].record else {
        panic!()
    };
    let t = ctx.incident(inc, ts("2026-11-16T10:00:00+01:00"));
    let res = t.clock(ClockKind::Resolution).unwrap();
    assert_eq!(res.target, Some(72 * 3600));
    assert_eq!(res.due, Some(ts("2026-11-26T17:00:00+01:00")));
    assert_eq!(res.remaining, Some(71 * 3600));
}

/// "As of `now`" includes an event exactly at `now`, in `gitsm sla` and in the
/// report alike (`gitsm::availability::status_as_of`).
#[test]
fn an_event_exactly_at_now_counts_in_sla_and_report() {
    const NOW: &str = "2026-11-20T10:10:00Z";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    use crate::common::write as w;
    w(root, "gitsm.yaml", "apiVersion: gitsm/v1\nkind: Config\nid: t\n");
    w(
        root,
        "catalog/svc.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: svc\nname: Svc\nowner: o\nsla: s\n",
    );
    w(
        root,
        "slas/s.yaml",
        "apiVersion: gitsm/v1\nkind: SLA\nid: s\ncalendar: 24x7\ntargets:\n  P1: {response: 15m, resolution: 4h}\n",
    );
    let inc = |id: &str, status: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Incident\nid: {id}\ntitle: T\nservice: svc\nimpact: high\nurgency: high\nstatus: {status}\nreported_at: 2026-11-20T10:00:00Z\nreported_by: x\ntimeline:\n  - {{at: 2026-11-20T10:00:00Z, by: x, status: new}}\n  - {{at: {NOW}, by: x, status: {status}}}\n"
        )
    };
    // Acknowledged exactly at `now`: its response clock has stopped.
    w(root, "incidents/INC-0001.yaml", inc("INC-0001", "acknowledged"));
    // Closed exactly at `now`: no longer an open ticket.
    w(root, "incidents/INC-0002.yaml", inc("INC-0002", "closed"));
    let prb = |id: &str, events: &str, status: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Problem\nid: {id}\ntitle: P\nservices: [svc]\nstatus: {status}\ntimeline:\n{events}"
        )
    };
    // Resolved exactly at `now`: not open at the report's end.
    w(
        root,
        "problems/PRB-0001.yaml",
        prb(
            "PRB-0001",
            &format!("  - {{at: 2026-10-19T09:00:00Z, by: x, status: new}}\n  - {{at: {NOW}, by: x, status: resolved}}\n"),
            "resolved",
        ),
    );
    // Opened exactly at `now`: opened in the period and open.
    w(
        root,
        "problems/PRB-0002.yaml",
        prb(
            "PRB-0002",
            &format!("  - {{at: {NOW}, by: x, status: new}}\n"),
            "new",
        ),
    );

    let mut c = crate::common::gitsm(root);
    c.args(["--now", NOW, "sla", "--format", "json"]);
    let (code, out, err) = crate::common::run(c);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let t = doc["tickets"].as_array().unwrap();
    assert_eq!(t.len(), 1, "{out}");
    assert_eq!(t[0]["id"], "INC-0001");
    assert_eq!(t[0]["status"], "acknowledged", "{out}");
    let response = t[0]["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "response")
        .unwrap();
    assert_eq!(response["phase"], "stopped", "{out}");
    assert_eq!(response["elapsed"], 600, "{out}");

    let mut c = crate::common::gitsm(root);
    c.args([
        "--now",
        NOW,
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
    ]);
    let (code, out, err) = crate::common::run(c);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let p = &doc["problems"];
    assert_eq!(p["opened"], 1, "{p}");
    assert_eq!(p["open"], 1, "{p}");
    assert_eq!(p["list"][0]["id"], "PRB-0002", "{p}");
}

/// SPEC §3 rule 7: `gitsm sla` lists emergency changes whose
/// post-implementation review is overdue (`review_within` after `completed`).
#[test]
fn sla_lists_overdue_emergency_reviews() {
    use crate::common::{gitsm, init_repo, run, write};
    let dir = init_repo();
    let policy = std::fs::read_to_string(dir.path().join("policies/default.yaml")).unwrap();
    let policy = policy.replacen("review_within: 5d", "review_within: 1d", 1);
    assert!(policy.contains("review_within: 1d"), "{policy}");
    write(dir.path(), "policies/default.yaml", &policy);
    let change = |id: &str, review: &str| {
        format!(
            "apiVersion: gitsm/v1\nkind: Change\nid: {id}\ntitle: Hotfix\nstatus: completed\ntype: emergency\nrisk: high\nservices: [web]\nrequested_by: carol\nplan: Patch.\nrollback_plan: Revert.\nwindow: {{start: 2026-11-10T10:00:00Z, end: 2026-11-10T11:00:00Z}}\noutcome: successful\n{review}approvals:\n  - {{by: your-github-login, at: 2026-11-10T09:30:00Z}}\ntimeline:\n  - {{at: 2026-11-10T09:00:00Z, by: carol, status: draft}}\n  - {{at: 2026-11-10T09:01:00Z, by: carol, status: submitted}}\n  - {{at: 2026-11-10T09:30:00Z, by: carol, status: approved}}\n  - {{at: 2026-11-10T09:31:00Z, by: carol, status: scheduled}}\n  - {{at: 2026-11-10T10:00:00Z, by: carol, status: implementing}}\n  - {{at: 2026-11-10T11:00:00Z, by: carol, status: completed}}\n"
        )
    };
    write(dir.path(), "changes/CHG-0001.yaml", change("CHG-0001", ""));
    write(
        dir.path(),
        "changes/CHG-0002.yaml",
        change("CHG-0002", "review: Done.\n"),
    );
    let sla = |now: &str| {
        let mut c = gitsm(dir.path());
        c.args(["--now", now, "sla", "--format", "json"]);
        let (code, out, err) = run(c);
        assert_eq!(code, 0, "{out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["overdue_reviews"].clone()
    };
    // Due a day after completion: not yet at 10:59 the next day, then overdue.
    assert_eq!(sla("2026-11-11T10:59:00Z"), serde_json::json!([]));
    assert_eq!(
        sla("2026-11-12T00:00:00Z"),
        serde_json::json!([{"id": "CHG-0001", "requested_by": "carol", "due": "2026-11-11T11:00:00Z", "review_within": "1d"}])
    );
}

/// SPEC §3 rule 7: `validate` warns (W0501) once an emergency change's
/// review is overdue, as of `--now`.
#[test]
fn validate_warns_of_an_overdue_emergency_review() {
    use crate::common::{gitsm, init_repo, run, write};
    let dir = init_repo();
    let policy = std::fs::read_to_string(dir.path().join("policies/default.yaml")).unwrap();
    write(
        dir.path(),
        "policies/default.yaml",
        policy.replacen("review_within: 5d", "review_within: 1d", 1),
    );
    write(
        dir.path(),
        "changes/CHG-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Change\nid: CHG-0001\ntitle: Hotfix\nstatus: completed\ntype: emergency\nrisk: high\nservices: [web]\nrequested_by: carol\nplan: Patch.\nrollback_plan: Revert.\nwindow: {start: 2026-11-10T10:00:00Z, end: 2026-11-10T11:00:00Z}\noutcome: successful\napprovals:\n  - {by: your-github-login, at: 2026-11-10T09:30:00Z}\ntimeline:\n  - {at: 2026-11-10T09:00:00Z, by: carol, status: draft}\n  - {at: 2026-11-10T09:01:00Z, by: carol, status: submitted}\n  - {at: 2026-11-10T09:30:00Z, by: carol, status: approved}\n  - {at: 2026-11-10T09:31:00Z, by: carol, status: scheduled}\n  - {at: 2026-11-10T10:00:00Z, by: carol, status: implementing}\n  - {at: 2026-11-10T11:00:00Z, by: carol, status: completed}\n",
    );
    let validate = |now: &str| {
        let mut c = gitsm(dir.path());
        c.args(["--now", now, "validate", "--format", "json"]);
        let (code, out, err) = run(c);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        let codes: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["code"].as_str().unwrap(), f["file"].as_str().unwrap()))
            .collect();
        (code, codes)
    };
    assert_eq!(validate("2026-11-11T10:59:00Z"), (0, vec![]));
    assert_eq!(
        validate("2026-11-12T00:00:00Z"),
        (0, vec!["W0501 changes/CHG-0001.yaml".to_string()])
    );
}

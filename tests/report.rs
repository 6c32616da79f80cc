//! `gitsm report`: the KPIs of examples/acme for October 2026 checked against
//! an independent computation (minute-by-minute sampling, written here
//! without the library's calendar or availability code), snapshots of the
//! rendered Markdown and HTML, template overrides and escaping.
//!
//! Run with `GITSM_BLESS=1` to rewrite the snapshots under `tests/snapshots/`.

use crate::common::{gitsm, manifest_dir, run, write};
use gitsm::model::*;
use jiff::Timestamp;
use serde_json::Value;

const NOW: &str = "2026-11-25T12:00:00Z";
const FROM: &str = "2026-10-01T00:00:00+02:00";
const TO: &str = "2026-11-01T00:00:00+01:00";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn acme_report(format: &str) -> String {
    // A copy outside git: the report's DORA section reads the branch's
    // history when there is one, and gitsm's own history (new commits, a
    // shallow CI clone) must not move the snapshots.
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&manifest_dir().join("examples/acme"), tmp.path());
    let root = tmp.path().to_path_buf();
    let mut c = gitsm(&root);
    c.args(["--now", NOW, "report", "--period", "2026-10", "--format", format]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    out
}

struct Acme {
    records: Vec<gitsm::repo::Loaded>,
}

impl Acme {
    fn load() -> Acme {
        let snap =
            gitsm::repo::load(&gitsm::repo::WorkTree::new(manifest_dir().join("examples/acme"))).unwrap();
        assert!(snap.findings.is_empty(), "{:?}", snap.findings);
        Acme {
            records: snap.records,
        }
    }
    fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.records.iter().filter_map(|l| match &l.record {
            Record::Incident(i) => Some(i),
            _ => None,
        })
    }
    fn services(&self) -> impl Iterator<Item = &Service> {
        self.records.iter().filter_map(|l| match &l.record {
            Record::Service(s) => Some(s),
            _ => None,
        })
    }
    fn sla(&self, service: &str) -> Option<&Sla> {
        let s = self.services().find(|s| s.id.as_str() == service)?;
        self.records.iter().find_map(|l| match &l.record {
            Record::Sla(x) if Some(&x.id) == s.sla.as_ref() => Some(x),
            _ => None,
        })
    }
    fn calendar(&self, id: &str) -> Option<&Calendar> {
        self.records.iter().find_map(|l| match &l.record {
            Record::Calendar(c) if c.id.as_str() == id => Some(c),
            _ => None,
        })
    }
}

/// Is the minute starting at `t` business time on this calendar? Checked
/// by converting to local time; only plain `HH:MM-HH:MM` strings per key
/// are supported here (all acme uses).
fn in_hours(cal: Option<&Calendar>, t: Timestamp) -> bool {
    let Some(cal) = cal else { return true }; // 24x7
    let tz = jiff::tz::db().get(&cal.timezone).unwrap();
    let local = t.to_zoned_datetime(tz);
    if cal.holidays.iter().any(|h| h.date().0 == local.date()) {
        return false;
    }
    let day =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][local.weekday().to_monday_zero_offset() as usize];
    let minute = local.hour() as u32 * 60 + local.minute() as u32;
    cal.hours.iter().any(|(key, hours)| {
        let days: Vec<&str> = match key.split_once('-') {
            Some((a, b)) => {
                let all = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                let (i, j) = (
                    all.iter().position(|d| *d == a).unwrap(),
                    all.iter().position(|d| *d == b).unwrap(),
                );
                all[i..=j].to_vec()
            }
            None => vec![key.as_str()],
        };
        days.contains(&day)
            && hours.ranges().iter().any(|r| {
                let (a, b) = r.split_once('-').unwrap();
                let m = |s: &str| {
                    let (h, mm) = s.split_once(':').unwrap();
                    h.parse::<u32>().unwrap() * 60 + mm.parse::<u32>().unwrap()
                };
                m(a) <= minute && minute < m(b)
            })
    })
}

/// The status of a timeline at instant `t` (the last status event at or before it).
fn status_at(timeline: &[Event<IncidentStatus>], t: Timestamp) -> IncidentStatus {
    timeline
        .iter()
        .filter(|e| e.at.as_jiff() <= t)
        .filter_map(|e| e.status)
        .next_back()
        .unwrap_or(IncidentStatus::New)
}

fn minutes(a: Timestamp, b: Timestamp) -> impl Iterator<Item = Timestamp> {
    let (a, b) = (a.as_second(), b.as_second());
    assert_eq!(a % 60, 0, "acme timestamps are whole minutes");
    (a..b).step_by(60).map(|s| Timestamp::from_second(s).unwrap())
}

fn get<'a>(services: &'a [Value], id: &str) -> &'a Value {
    services.iter().find(|s| s["id"] == id).unwrap()
}

#[test]
fn acme_october_kpis_match_an_independent_computation() {
    let acme = Acme::load();
    let doc: Value = serde_json::from_str(&acme_report("json")).unwrap();
    let (from, to, now) = (ts(FROM), ts(TO), ts(NOW));
    assert_eq!(doc["period"]["from"], "2026-09-30T22:00:00Z");
    assert_eq!(doc["period"]["to"], "2026-10-31T23:00:00Z");
    let services = doc["services"].as_array().unwrap();
    assert_eq!(services.len(), acme.services().count());
    let matrix = PriorityMatrix::default();

    let mut all_ack: Vec<i64> = Vec::new();
    let mut resp = (0usize, 0usize); // (met, measured)
    let mut reso = (0usize, 0usize);
    for svc in acme.services() {
        let sid = svc.id.as_str();
        let got = get(services, sid);
        let sla = acme.sla(sid);
        let cal = sla.and_then(|s| acme.calendar(s.calendar.as_str()));

        // Availability, sampled minute by minute.
        let impacts: Vec<(Timestamp, Timestamp, CustomerImpact)> = acme
            .incidents()
            .filter(|i| i.affected().iter().any(|s| s.as_str() == sid))
            .filter(|i| i.impact_on_customers() != CustomerImpact::None)
            .map(|i| {
                // End: the last entry into resolved/closed if it stays there, else now.
                let mut end = now;
                let mut prev_done = false;
                for e in i.timeline.iter().filter(|e| e.at.as_jiff() <= now) {
                    if let Some(s) = e.status {
                        let done = matches!(s, IncidentStatus::Resolved | IncidentStatus::Closed);
                        if done && !prev_done {
                            end = e.at.as_jiff();
                        }
                        if !done {
                            end = now;
                        }
                        prev_done = done;
                    }
                }
                (i.reported_at.as_jiff(), end, i.impact_on_customers())
            })
            .collect();
        let windows: Vec<(Timestamp, Timestamp)> = acme
            .records
            .iter()
            .filter_map(|l| match &l.record {
                Record::Change(c)
                    if c.maintenance
                        && c.services.iter().any(|s| s.as_str() == sid)
                        && !matches!(c.status, ChangeStatus::Cancelled | ChangeStatus::Rejected) =>
                {
                    let w = c.window.as_ref()?;
                    c.timeline
                        .iter()
                        .any(|e| e.status == Some(ChangeStatus::Scheduled) && e.at <= w.start)
                        .then(|| (w.start.as_jiff(), w.end.as_jiff()))
                }
                _ => None,
            })
            .collect();
        let (mut total, mut weighted, mut major, mut planned) = (0i64, 0.0f64, 0i64, 0i64);
        for m in minutes(from, to.min(now)) {
            total += 60;
            let mid = Timestamp::from_second(m.as_second() + 30).unwrap();
            let worst = impacts
                .iter()
                .filter(|(a, b, _)| *a <= mid && mid < *b)
                .map(|x| x.2)
                .max()
                .unwrap_or(CustomerImpact::None);
            if windows.iter().any(|(a, b)| *a <= mid && mid < *b) {
                planned += 60;
                continue;
            }
            match worst {
                CustomerImpact::MajorOutage => {
                    weighted += 60.0;
                    major += 60;
                }
                CustomerImpact::PartialOutage => weighted += 0.3 * 60.0,
                _ => {}
            }
        }
        let pct = 100.0 * (1.0 - weighted / total as f64);
        let a = &got["availability"];
        assert!(
            (a["percent"].as_f64().unwrap() - pct).abs() < 1e-9,
            "{sid}: {} vs {pct}",
            a["percent"]
        );
        assert_eq!(a["summary"]["major_outage"], major, "{sid}");
        assert_eq!(a["summary"]["maintenance"], planned, "{sid}");
        assert_eq!(
            a["met"].as_bool(),
            sla.and_then(|s| s.availability).map(|t| pct >= t),
            "{sid}"
        );

        // Incidents reported in October under this service.
        let mine: Vec<&Incident> = acme
            .incidents()
            .filter(|i| {
                i.service == svc.id && from <= i.reported_at.as_jiff() && i.reported_at.as_jiff() < to
            })
            .collect();
        assert_eq!(got["incidents"], mine.len(), "{sid}");
        for p in Priority::ALL {
            let n = mine
                .iter()
                .filter(|i| i.effective_priority(&matrix) == *p)
                .count();
            assert_eq!(got["by_priority"][p.as_str()], n, "{sid} {p}");
        }

        // MTTA and MTTR in business minutes, and compliance.
        let (mut acks, mut acks_wall, mut fixes, mut fixes_wall) = (vec![], vec![], vec![], vec![]);
        for i in &mine {
            let created = i.timeline[0].at.as_jiff();
            let target = sla.and_then(|s| s.targets.get(i.effective_priority(&matrix)));
            if let Some(ack) = i
                .timeline
                .iter()
                .find(|e| e.status.is_some_and(|s| s != IncidentStatus::New))
                .map(|e| e.at.as_jiff())
                .filter(|t| *t <= now)
            {
                let b = minutes(created, ack).filter(|m| in_hours(cal, *m)).count() as i64 * 60;
                acks.push(b);
                acks_wall.push(ack.as_second() - created.as_second());
                if let Some(t) = target.and_then(|t| t.response) {
                    resp.1 += 1;
                    resp.0 += (b <= t.as_secs()) as usize;
                }
            }
            let final_status = status_at(&i.timeline, now);
            if matches!(final_status, IncidentStatus::Resolved | IncidentStatus::Closed) {
                // Stopped at the last entry into resolved/closed.
                let mut stop = now;
                let mut prev_done = false;
                for e in &i.timeline {
                    if let Some(s) = e.status {
                        let done = matches!(s, IncidentStatus::Resolved | IncidentStatus::Closed);
                        if done && !prev_done {
                            stop = e.at.as_jiff();
                        }
                        prev_done = done;
                    }
                }
                let b = minutes(created, stop)
                    .filter(|m| {
                        !matches!(
                            status_at(&i.timeline, *m),
                            IncidentStatus::OnHold | IncidentStatus::Resolved | IncidentStatus::Closed
                        ) && in_hours(cal, *m)
                    })
                    .count() as i64
                    * 60;
                fixes.push(b);
                fixes_wall.push(stop.as_second() - created.as_second());
                if let Some(t) = target.and_then(|t| t.resolution) {
                    reso.1 += 1;
                    reso.0 += (b <= t.as_secs()) as usize;
                }
            }
        }
        let mean = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() / v.len() as i64);
        assert_eq!(
            got["mtta"]["business"]["mean"].as_i64(),
            mean(&acks),
            "{sid} MTTA"
        );
        assert_eq!(
            got["mtta"]["wall"]["mean"].as_i64(),
            mean(&acks_wall),
            "{sid} MTTA wall"
        );
        assert_eq!(
            got["mttr"]["business"]["mean"].as_i64(),
            mean(&fixes),
            "{sid} MTTR"
        );
        assert_eq!(
            got["mttr"]["wall"]["mean"].as_i64(),
            mean(&fixes_wall),
            "{sid} MTTR wall"
        );
        let mut sorted = fixes.clone();
        sorted.sort();
        let median = match sorted.len() {
            0 => None,
            n if n % 2 == 1 => Some(sorted[n / 2]),
            n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
        };
        assert_eq!(
            got["mttr"]["business"]["median"].as_i64(),
            median,
            "{sid} MTTR median"
        );
        all_ack.extend(acks);
    }
    assert_eq!(doc["totals"]["mtta"]["business"]["count"], all_ack.len());
    assert_eq!(doc["totals"]["response"]["met"], resp.0);
    assert_eq!(doc["totals"]["response"]["measured"], resp.1);
    assert_eq!(doc["totals"]["resolution"]["met"], reso.0);
    assert_eq!(doc["totals"]["resolution"]["measured"], reso.1);
    let breaches = doc["breaches"].as_array().unwrap();
    let incident_breaches = breaches.iter().filter(|b| b["kind"] == "incident").count();
    assert_eq!(incident_breaches, (resp.1 - resp.0) + (reso.1 - reso.0));

    // Changes whose window starts in October.
    let changes: Vec<&Change> = acme
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Change(c) => Some(&**c),
            _ => None,
        })
        .filter(|c| {
            let t = c
                .window
                .as_ref()
                .map(|w| w.start.as_jiff())
                .unwrap_or(c.timeline[0].at.as_jiff());
            from <= t && t < to
        })
        .collect();
    let ch = &doc["changes"];
    assert_eq!(ch["count"], changes.len());
    let count = |f: &dyn Fn(&&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    assert_eq!(
        ch["emergency"],
        count(&|c| c.change_type == ChangeType::Emergency)
    );
    assert_eq!(
        ch["successful"],
        count(&|c| c.outcome == Some(Outcome::Successful))
    );
    assert_eq!(ch["failed"], count(&|c| c.outcome == Some(Outcome::Failed)));
    assert_eq!(
        ch["rolled_back"],
        count(&|c| c.outcome == Some(Outcome::RolledBack))
    );
    let done = count(&|c| c.outcome.is_some());
    if done > 0 {
        let rate = 100.0 * count(&|c| c.outcome == Some(Outcome::Successful)) as f64 / done as f64;
        assert!((ch["success_rate"].as_f64().unwrap() - rate).abs() < 1e-9);
    }

    // Problems open at the end of October.
    let mut open = 0;
    let mut known = 0;
    for l in &acme.records {
        if let Record::Problem(p) = &l.record {
            if p.timeline[0].at.as_jiff() >= to {
                continue;
            }
            let s = p
                .timeline
                .iter()
                .filter(|e| e.at.as_jiff() < to)
                .filter_map(|e| e.status)
                .next_back()
                .unwrap();
            if !matches!(s, ProblemStatus::Resolved | ProblemStatus::Closed) {
                open += 1;
                known += (s == ProblemStatus::KnownError) as usize;
            }
        }
    }
    assert_eq!(doc["problems"]["open"], open);
    assert_eq!(doc["problems"]["known_errors"], known);

    // The month has something in every section (or the test proves little).
    assert!(doc["totals"]["incidents"].as_u64().unwrap() >= 5);
    assert!(services
        .iter()
        .any(|s| s["availability"]["summary"]["maintenance"].as_i64().unwrap() > 0));
    assert!(services.iter().any(|s| s["availability"]["met"] == false));
}

fn snapshot(name: &str, got: &str) {
    let path = manifest_dir().join("tests/snapshots").join(name);
    if std::env::var_os("GITSM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {name}; run with GITSM_BLESS=1"));
    if want != got {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from the snapshot at line {}:\n want: {:?}\n  got: {:?}\n(run with GITSM_BLESS=1 to accept)",
            line + 1,
            want.lines().nth(line),
            got.lines().nth(line)
        );
    }
}

#[test]
fn rendered_markdown_matches_the_snapshot() {
    let md = acme_report("md");
    assert!(md.starts_with("# Acme Shop — service report 2026-10"));
    snapshot("acme-2026-10.md", &md);
}

#[test]
fn rendered_html_is_self_contained_and_matches_the_snapshot() {
    let html = acme_report("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg role=\"img\" aria-label=\"Availability per service\""));
    assert!(html.contains("<svg role=\"img\" aria-label=\"Incidents per week by priority\""));
    for bad in ["<script", " src=", " href=", "url(", "@import", "<link"] {
        assert!(
            !html.contains(bad),
            "the report must make no external requests: found {bad}"
        );
    }
    snapshot("acme-2026-10.html", &html);
}

fn small_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "gitsm.yaml", "apiVersion: gitsm/v1\nkind: Config\nid: t\n");
    write(
        root,
        "catalog/web.yaml",
        "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Web <b>shop</b>\nowner: o\nsla: s\n",
    );
    write(
        root,
        "slas/s.yaml",
        "apiVersion: gitsm/v1\nkind: SLA\nid: s\ncalendar: 24x7\navailability: 99.9\ntargets:\n  P1: {response: 15m, resolution: 1h}\n",
    );
    write(
        root,
        "incidents/INC-0001.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\ntitle: \"<script>alert(1)</script> | pipes\"\nservice: web\nimpact: high\nurgency: high\nstatus: resolved\nreported_at: 2026-06-10T10:00:00Z\nreported_by: x\ncustomer_impact: partial_outage\ntimeline:\n  - {at: 2026-06-10T10:00:00Z, by: x, status: new}\n  - {at: 2026-06-10T10:30:00Z, by: x, status: acknowledged}\n  - {at: 2026-06-10T13:00:00Z, by: x, status: resolved}\n",
    );
    dir
}

#[test]
fn html_escapes_record_text_and_markdown_escapes_pipes() {
    let dir = small_repo();
    let mut c = gitsm(dir.path());
    c.args([
        "--now",
        "2026-07-02T00:00:00Z",
        "report",
        "--period",
        "2026-06",
        "--format",
        "html",
    ]);
    let (code, html, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert!(!html.contains("<script>alert"), "record text must be escaped");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(
        html.contains("Web &lt;b&gt;shop&lt;&#x2f;b&gt;") || html.contains("Web &lt;b&gt;shop&lt;/b&gt;")
    );
    // 3 h partial outage in June (30 days): 100 × (1 − 0.3 × 3 / 720) = 99.875 %.
    assert!(html.contains("99.875 %"), "{html}");

    let mut c = gitsm(dir.path());
    c.args([
        "--now",
        "2026-07-02T00:00:00Z",
        "report",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-30",
    ]);
    let (code, md, _) = run(c);
    assert_eq!(code, 0);
    assert!(md.contains("\\| pipes"), "{md}");
    assert!(md.contains("99.875 %"));
    // Response 30 min against 15 min: one breach; resolution 3 h against 1 h: another.
    assert!(
        md.contains("| INC-0001 | web | P1 | response | 15m | 30m | 15m |"),
        "{md}"
    );
    assert!(
        md.contains("| INC-0001 | web | P1 | resolution | 1h | 3h | 2h |"),
        "{md}"
    );
}

#[test]
fn templates_in_the_repo_override_the_built_in_ones() {
    let dir = small_repo();
    write(
        dir.path(),
        "templates/report.md.j2",
        "{{ period.label }}: {{ totals.incidents }} incident(s), {% for s in services %}{{ s.id }} {{ s.availability.percent | pct(1) }}{% endfor %}\n",
    );
    let out = dir.path().join("out/r.md");
    let mut c = gitsm(dir.path());
    c.args([
        "--now",
        "2026-07-02T00:00:00Z",
        "report",
        "--period",
        "2026-06",
        "--out",
    ]);
    c.arg(&out);
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!(
            "2026-06: 1 incident(s), web 99.9 %\n{}\n",
            gitsm::report::OUT_MARKER
        ),
        "the file written with --out ends with gitsm's marker"
    );

    // A broken template is an error with its name, not a panic.
    write(dir.path(), "templates/report.md.j2", "{% for %}");
    let mut c = gitsm(dir.path());
    c.args(["report", "--period", "2026-06"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("report.md.j2"), "{err}");
}

#[test]
fn bad_periods_and_services_are_usage_errors() {
    let dir = small_repo();
    for args in [
        vec!["report", "--period", "2026-13"],
        vec!["report", "--period", "October"],
        vec!["report", "--from", "2026-06-10", "--to", "2026-06-01"],
        vec!["report", "--period", "2026-06", "--service", "nope"],
        vec!["report", "--from", "2026-06-10"],
    ] {
        let mut c = gitsm(dir.path());
        c.args(&args);
        let (code, _, err) = run(c);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn service_filter_limits_the_report() {
    let doc: Value = {
        let root = manifest_dir().join("examples/acme");
        let mut c = gitsm(&root);
        c.args([
            "--now",
            NOW,
            "report",
            "--period",
            "2026-10",
            "--service",
            "checkout",
            "--format",
            "json",
        ]);
        let (code, out, err) = run(c);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let services = doc["services"].as_array().unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0]["id"], "checkout");
    assert!(doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["service"] == "checkout"));
    assert!(doc["changes"]["all"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["services"].as_array().unwrap().iter().any(|s| s == "checkout")));
}

fn loaded(kind: Kind, mut v: Value) -> gitsm::repo::Loaded {
    v["apiVersion"] = serde_json::json!("gitsm/v1");
    v["kind"] = serde_json::json!(kind.name());
    gitsm::repo::Loaded {
        path: String::new(),
        record: Record::from_json(kind, &v).unwrap_or_else(|e| panic!("{e:?}")),
    }
}

fn inc(
    id: &str,
    service: &str,
    affected: &[&str],
    impact: &str,
    from: &str,
    to: &str,
) -> gitsm::repo::Loaded {
    loaded(
        Kind::Incident,
        serde_json::json!({"id": id, "title": "t", "service": service, "impact": "low", "urgency": "low",
            "status": "resolved", "reported_at": format!("2026-06-10T{from}:00Z"), "reported_by": "x",
            "customer_impact": impact, "affected_services": affected, "timeline": [
                {"at": format!("2026-06-10T{from}:00Z"), "by": "x", "status": "new"},
                {"at": format!("2026-06-10T{to}:00Z"), "by": "x", "status": "resolved"}]}),
    )
}

fn maintenance(id: &str, status: &str, scheduled_at: &str, start: &str, end: &str) -> gitsm::repo::Loaded {
    let mut timeline = vec![
        serde_json::json!({"at": "2026-06-01T08:00:00Z", "by": "x", "status": "draft"}),
        serde_json::json!({"at": "2026-06-01T08:01:00Z", "by": "x", "status": "submitted"}),
        serde_json::json!({"at": "2026-06-01T08:02:00Z", "by": "x", "status": "approved"}),
        serde_json::json!({"at": format!("2026-06-{scheduled_at}:00Z"), "by": "x", "status": "scheduled"}),
    ];
    if status == "cancelled" {
        timeline.push(serde_json::json!({"at": "2026-06-10T00:00:00Z", "by": "x", "status": "cancelled"}));
    }
    loaded(
        Kind::Change,
        serde_json::json!({"id": id, "title": "m", "status": status, "type": "standard", "risk": "low",
            "services": ["web"], "requested_by": "x", "maintenance": true,
            "window": {"start": format!("2026-06-10T{start}:00Z"), "end": format!("2026-06-10T{end}:00Z")},
            "timeline": timeline}),
    )
}

/// The per-service index gives each service what a pass over every record
/// gives it: incidents by `affected_services` (else `service`), a service
/// named twice affected once, windows in time order, nothing for a service
/// no record names.
#[test]
fn the_per_service_index_matches_a_pass_per_service() {
    use gitsm::availability::{maintenance_windows, service_states, ByService};
    let mut twice = maintenance("CHG-0009", "scheduled", "05T09:00", "13:00", "14:00");
    if let gitsm::model::Record::Change(c) = &mut twice.record {
        c.services = ["web", "api", "web"].map(|s| s.parse().unwrap()).to_vec();
    }
    let records = vec![
        inc(
            "INC-0001",
            "web",
            &["web", "api", "web"],
            "partial_outage",
            "10:00",
            "12:00",
        ),
        inc("INC-0002", "api", &["api"], "major_outage", "11:00", "11:30"),
        maintenance("CHG-0002", "scheduled", "09T17:30", "17:00", "18:00"),
        twice,
        maintenance("CHG-0001", "scheduled", "09T17:30", "08:00", "09:00"),
    ];
    let mut named_once = records[3].clone();
    if let gitsm::model::Record::Change(c) = &mut named_once.record {
        c.services.truncate(2);
    }
    let once = vec![
        inc(
            "INC-0001",
            "web",
            &["web", "api"],
            "partial_outage",
            "10:00",
            "12:00",
        ),
        records[1].clone(),
        records[2].clone(),
        named_once,
        records[4].clone(),
    ];
    let (from, to) = (ts("2026-06-10T00:00:00Z"), ts("2026-06-11T00:00:00Z"));
    let index = ByService::new(&records);
    for svc in ["web", "api", "nobody"] {
        for now in [ts("2026-06-10T11:15:00Z"), to] {
            let segs = index.states(svc, from, to, now);
            assert_eq!(segs, service_states(&records, svc, from, to, now), "{svc}");
            assert_eq!(
                segs,
                service_states(&once, svc, from, to, now),
                "{svc}: a service named twice"
            );
        }
        let windows: Vec<_> = index
            .windows(svc)
            .iter()
            .map(|w| (w.0, w.1, w.2.to_string()))
            .collect();
        let pass: Vec<_> = maintenance_windows(&records, svc)
            .iter()
            .map(|w| (w.0, w.1, w.2.to_string()))
            .collect();
        assert_eq!(windows, pass, "{svc}");
    }
    let web: Vec<_> = index.windows("web").iter().map(|w| w.2.to_string()).collect();
    assert_eq!(web, ["CHG-0001", "CHG-0009", "CHG-0002"]);
    assert!(index
        .states("nobody", from, to, to)
        .iter()
        .all(|s| s.impact.as_str() == "none" && !s.planned));
    assert!(index.states("web", to, from, to).is_empty());
}

#[test]
fn availability_takes_the_worst_impact_and_spares_announced_maintenance() {
    use gitsm::availability::{service_states, summarize};
    let records = vec![
        inc("INC-0001", "web", &["web"], "partial_outage", "10:00", "12:00"),
        inc("INC-0002", "web", &["web"], "major_outage", "11:00", "11:30"),
        inc(
            "INC-0003",
            "api",
            &["web", "api"],
            "degraded_performance",
            "13:00",
            "14:00",
        ),
        inc("INC-0004", "api", &["api"], "major_outage", "13:00", "14:00"), // not on web
        inc("INC-0005", "web", &["web"], "major_outage", "15:30", "16:30"), // overruns the window
        inc("INC-0006", "web", &["web"], "partial_outage", "17:00", "17:10"),
        // Announced the day before: planned.
        maintenance("CHG-0001", "scheduled", "09T09:00", "15:00", "16:00"),
        // Scheduled only after its window began: not planned.
        maintenance("CHG-0002", "scheduled", "10T17:30", "17:00", "18:00"),
        // Cancelled: no maintenance.
        maintenance("CHG-0003", "cancelled", "09T09:00", "19:00", "20:00"),
    ];
    let (from, to) = (ts("2026-06-10T00:00:00Z"), ts("2026-06-11T00:00:00Z"));
    let segs = service_states(&records, "web", from, to, to);
    let got: Vec<(String, &str, bool)> = segs
        .iter()
        .map(|s| {
            let t = s.start.to_string();
            (t[11..16].to_string(), s.impact.as_str(), s.planned)
        })
        .collect();
    let want = [
        ("00:00", "none", false),
        ("10:00", "partial_outage", false),
        ("11:00", "major_outage", false),
        ("11:30", "partial_outage", false),
        ("12:00", "none", false),
        ("13:00", "degraded_performance", false),
        ("14:00", "none", false),
        ("15:00", "none", true),
        ("15:30", "major_outage", true),
        ("16:00", "major_outage", false),
        ("16:30", "none", false),
        ("17:00", "partial_outage", false),
        ("17:10", "none", false),
    ];
    let want: Vec<(String, &str, bool)> = want.iter().map(|(a, b, c)| (a.to_string(), *b, *c)).collect();
    assert_eq!(got, want);
    assert_eq!(segs.last().unwrap().end, to);
    let s = summarize(&segs);
    assert_eq!(s.measured, 86_400);
    assert_eq!(s.major_outage, 3600);
    assert_eq!(s.partial_outage, 100 * 60);
    assert_eq!(s.degraded_performance, 3600);
    assert_eq!(s.planned_impact, 1800);
    assert_eq!(s.maintenance, 3600);
    // (60 min + 0.3 × 100 min) of 24 h down: 93.75 %.
    assert!((s.percent - 93.75).abs() < 1e-9, "{}", s.percent);
    // An open incident counts until now; nothing after now is measured.
    let now = ts("2026-06-10T10:30:00Z");
    let segs = service_states(&records, "web", from, now, now);
    assert_eq!(summarize(&segs).partial_outage, 1800);
}

/// The warning says what validation errors mean for the figures: unreadable
/// records are left out, rule errors stay in. `report`, `sla` and
/// `status-page` print the same line.
#[test]
fn validation_errors_warn_what_is_left_out_and_what_may_skew() {
    let dir = small_repo();
    let root = dir.path();
    // Unreadable: not YAML a record can be read from.
    write(
        root,
        "incidents/INC-0002.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: [INC-0002\n",
    );
    // Readable, but breaks a rule: an unknown service.
    write(
        root,
        "incidents/INC-0003.yaml",
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0003\ntitle: t\nservice: nope\nimpact: low\nurgency: low\nstatus: new\nreported_at: 2026-06-11T10:00:00Z\nreported_by: x\ntimeline:\n  - {at: 2026-06-11T10:00:00Z, by: x, status: new}\n",
    );
    // Rule errors: the unknown service, and small_repo has no ChangePolicy.
    let want = "warning: 1 record could not be read and is left out; 2 rule errors may skew the figures (run `gitsm validate`)\n";
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("site");
    for args in [
        vec!["report", "--period", "2026-06", "--format", "json"],
        vec!["sla"],
        vec!["status-page", "--out", out.to_str().unwrap()],
    ] {
        let mut c = gitsm(root);
        c.args(["--now", NOW]).args(&args);
        let (code, stdout, err) = run(c);
        assert_eq!(code, 0, "{args:?}: {stdout}{err}");
        assert_eq!(err.matches("warning: ").count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("records that fail are left out"), "{err}");
    }
    // The unreadable record is left out of the report; the other one stays in.
    let mut c = gitsm(root);
    c.args(["--now", NOW, "report", "--period", "2026-06", "--format", "json"]);
    let (_, stdout, _) = run(c);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["totals"]["incidents"], 2, "{stdout}");
}

fn acme_json(args: &[&str]) -> Value {
    let mut c = gitsm(&manifest_dir().join("examples/acme"));
    c.args(args);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn default_period_is_the_last_full_month_in_the_repo_zone() {
    let without = acme_json(&["--now", NOW, "report", "--format", "json"]);
    let october = acme_json(&["--now", NOW, "report", "--period", "2026-10", "--format", "json"]);
    assert_eq!(without["period"]["label"], "2026-10");
    assert_eq!(without, october);
    // 23:30 UTC on 30 November is already 1 December in Berlin (acme's zone):
    // the last full month is November.
    let late = acme_json(&["--now", "2026-11-30T23:30:00Z", "report", "--format", "json"]);
    assert_eq!(late["period"]["label"], "2026-11");
    assert_eq!(late["period"]["from"], "2026-10-31T23:00:00Z");
    assert_eq!(late["period"]["to"], "2026-11-30T23:00:00Z");
}

#[test]
fn service_filter_also_limits_problems_and_requests() {
    let all = acme_json(&["--now", NOW, "report", "--period", "2026-10", "--format", "json"]);
    let (from, to) = (
        ts(all["period"]["from"].as_str().unwrap()),
        ts(all["period"]["to"].as_str().unwrap()),
    );
    let acme = Acme::load();
    let ids = |v: &Value| -> Vec<String> {
        v["problems"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (mut with_requests, mut fewer_problems) = (0, 0);
    let services: Vec<String> = acme.services().map(|s| s.id.to_string()).collect();
    for sid in &services {
        let one = acme_json(&[
            "--now",
            NOW,
            "report",
            "--period",
            "2026-10",
            "--service",
            sid,
            "--format",
            "json",
        ]);
        // Problems: the unfiltered list, only those listing the service.
        let want: Vec<String> = all["problems"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["services"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == sid.as_str())
            })
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids(&one), want, "{sid}");
        assert_eq!(one["problems"]["open"], want.len(), "{sid}");
        if want.len() < ids(&all).len() {
            fewer_problems += 1;
        }
        // Requests: those of the service created in the period, counted from the records.
        let n = acme
            .records
            .iter()
            .filter(|l| match &l.record {
                Record::Request(r) => {
                    r.service.as_ref().is_some_and(|s| s.as_str() == sid)
                        && r.timeline
                            .first()
                            .is_some_and(|e| e.at.as_jiff() >= from && e.at.as_jiff() < to)
                }
                _ => false,
            })
            .count();
        assert_eq!(one["requests"]["count"], n, "{sid}");
        if n > 0 {
            with_requests += 1;
            assert!(n < all["requests"]["count"].as_u64().unwrap() as usize, "{sid}");
        }
    }
    assert!(with_requests >= 2, "{with_requests}");
    assert!(fewer_problems >= 1, "{fewer_problems}");
}

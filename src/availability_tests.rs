//! Unit tests of `availability`: a record as it stood at `now`, field by
//! field, for every kind with a timeline.

use super::*;
use serde_json::{json, Value};

const NOW: &str = "2026-10-10T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn events(list: &[(&str, &str)]) -> Value {
    list.iter()
        .map(|(at, st)| json!({"at": at, "by": "x", "status": st}))
        .collect()
}

fn incident(reported: &str, tl: &[(&str, &str)]) -> Record {
    Record::Incident(
        serde_json::from_value(json!({
            "apiVersion": "gitsm/v1", "kind": "Incident", "id": "INC-1", "title": "t",
            "service": "shop", "impact": "high", "urgency": "high", "status": "closed",
            "reported_at": reported, "reported_by": "x", "resolution": "fixed",
            "timeline": events(tl),
        }))
        .unwrap(),
    )
}

fn statuses<S: std::fmt::Debug>(tl: &[Event<S>]) -> Vec<String> {
    tl.iter().map(|e| format!("{:?}", e.status)).collect()
}

#[test]
fn an_incident_as_of_now_has_only_its_past() {
    let tl = [
        ("2026-10-09T00:00:00Z", "new"),
        ("2026-10-10T11:00:00Z", "investigating"),
        ("2026-10-10T13:00:00Z", "resolved"),
    ];
    let full = incident("2026-10-09T00:00:00Z", &tl);
    let Some(Record::Incident(i)) = record_as_of(&full, now()) else {
        panic!("an incident reported before now exists")
    };
    assert_eq!(statuses(&i.timeline), ["Some(New)", "Some(Investigating)"]);
    assert_eq!(i.status, IncidentStatus::Investigating);
    assert_eq!(i.resolution, None, "not resolved yet");
    // Resolved by now: the resolution stays.
    let Some(Record::Incident(i)) = record_as_of(&full, "2026-10-11T00:00:00Z".parse().unwrap()) else {
        panic!()
    };
    assert_eq!(i.resolution.as_deref(), Some("fixed"));
    assert_eq!(i.status, IncidentStatus::Resolved);
    // Reported after now, or at now exactly.
    assert!(record_as_of(&incident("2026-10-10T12:00:01Z", &[(NOW, "new")]), now()).is_none());
    assert!(record_as_of(&incident(NOW, &[(NOW, "new")]), now()).is_some());
    // Nothing of its timeline has happened yet.
    assert!(record_as_of(
        &incident("2026-10-09T00:00:00Z", &[("2026-10-11T00:00:00Z", "new")]),
        now()
    )
    .is_none());
}

#[test]
fn a_change_as_of_now_has_no_later_approval_outcome_or_review() {
    let change = |tl: &[(&str, &str)]| -> Record {
        Record::Change(
            serde_json::from_value(json!({
                "apiVersion": "gitsm/v1", "kind": "Change", "id": "CHG-1", "title": "t",
                "status": "closed", "type": "normal", "risk": "low", "services": ["shop"],
                "requested_by": "x", "outcome": "successful", "review": "went fine",
                "approvals": [{"by": "a", "at": "2026-10-09T00:00:00Z"}, {"by": "b", "at": "2026-10-10T12:00:01Z"}],
                "timeline": events(tl),
            }))
            .unwrap(),
        )
    };
    let tl = [
        ("2026-10-08T00:00:00Z", "draft"),
        ("2026-10-09T00:00:00Z", "approved"),
        ("2026-10-11T00:00:00Z", "completed"),
    ];
    let Some(Record::Change(c)) = record_as_of(&change(&tl), now()) else {
        panic!()
    };
    assert_eq!(statuses(&c.timeline), ["Some(Draft)", "Some(Approved)"]);
    assert_eq!(c.status, ChangeStatus::Approved);
    assert_eq!((c.outcome, c.review), (None, None));
    let approvers: Vec<&str> = c.approvals.iter().map(|a| a.by.as_str()).collect();
    assert_eq!(approvers, ["a"]);
    // Completed by then: outcome and review stay.
    let Some(Record::Change(c)) = record_as_of(&change(&tl), "2026-10-12T00:00:00Z".parse().unwrap()) else {
        panic!()
    };
    assert!(c.outcome.is_some() && c.review.is_some());
    assert_eq!(c.approvals.len(), 2);
}

/// A ticket of `kind` whose first status was at 2026-10-09 (before
/// [`NOW`]) and whose second, `later`, comes after it.
fn two_step<T: serde::de::DeserializeOwned>(kind: &str, first: &str, later: &str) -> T {
    let tl = [("2026-10-09T00:00:00Z", first), ("2026-10-11T00:00:00Z", later)];
    serde_json::from_value(json!({
        "apiVersion": "gitsm/v1", "kind": kind, "id": "X-1", "title": "t",
        "status": later, "timeline": events(&tl),
    }))
    .unwrap()
}

#[test]
fn problems_requests_and_releases_as_of_now() {
    let p = Record::Problem(two_step("Problem", "new", "resolved"));
    let Some(Record::Problem(p)) = record_as_of(&p, now()) else {
        panic!()
    };
    assert_eq!((p.timeline.len(), p.status), (1, ProblemStatus::New));

    let q = Record::Request(two_step("ServiceRequest", "submitted", "fulfilled"));
    let Some(Record::Request(q)) = record_as_of(&q, now()) else {
        panic!()
    };
    assert_eq!((q.timeline.len(), q.status), (1, RequestStatus::Submitted));

    let r = Record::Release(two_step("Release", "planned", "released"));
    let Some(Record::Release(r)) = record_as_of(&r, now()) else {
        panic!()
    };
    assert_eq!(
        (r.timeline.len(), r.status),
        (1, crate::model::ReleaseStatus::Planned)
    );
}

#[test]
fn a_range_counts_only_what_lies_inside_it() {
    let t = |h: i64| Timestamp::from_second(1_800_000_000 + h * 3600).unwrap();
    let down = Segment {
        start: t(0),
        end: t(10),
        impact: CustomerImpact::MajorOutage,
        planned: false,
    };
    let s = summarize_range(&[down], t(2), t(4), None);
    assert_eq!((s.measured, s.major_outage), (2 * 3600, 2 * 3600));
    // Outside the range on either side: nothing.
    let s = summarize_range(&[down], t(10), t(12), None);
    assert_eq!(s.measured, 0);
}

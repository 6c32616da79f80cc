//! `examples/acme` is data kept by hand: `gitsm validate` checks it against
//! the schemas and rules, and this module checks the story it tells (the
//! invariants the deleted generator, tools/gen_acme.py, enforced): every
//! file is laid out as people write them, links go both ways, changes keep
//! to their policy's freezes, lead time, approvals and windows.

use crate::common::manifest_dir;
use gitsm::model::{ChangeStatus, ChangeType, IncidentStatus, Kind, Record, Risk};
use gitsm::repo::{self, Loaded, WorkTree};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

fn acme() -> PathBuf {
    manifest_dir().join("examples/acme")
}

fn snapshot() -> Vec<Loaded> {
    let v = gitsm::validate::validate(&WorkTree::new(acme())).unwrap();
    let findings: Vec<String> = v
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.file, f.message))
        .collect();
    assert_eq!(
        findings,
        Vec::<String>::new(),
        "examples/acme must validate clean"
    );
    v.snapshot.records
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// The story's "now": every event happened before it.
fn now() -> jiff::Timestamp {
    ts("2026-11-25T12:00:00Z")
}

#[test]
fn every_file_is_a_record_laid_out_by_convention() {
    let records = snapshot();
    let mut files = 0;
    let mut ids = BTreeSet::new();
    for l in &records {
        files += 1;
        let text = std::fs::read_to_string(acme().join(&l.path)).unwrap();
        let kind = l.record.kind();
        let depth = l.path.matches('/').count();
        let want = format!(
            "# yaml-language-server: $schema={}schemas/{}",
            "../".repeat(depth + 2),
            kind.schema_file()
        );
        assert_eq!(text.lines().next(), Some(want.as_str()), "{}: first line", l.path);
        for token in ["&", "*", "!!", "<<:", "\n---"] {
            let used = text.lines().any(|line| {
                let code = line.split(" #").next().unwrap_or("");
                !code.trim_start().starts_with('#') && code.contains(&format!(": {token}"))
            });
            assert!(!used, "{}: uses `{token}`", l.path);
        }
        if kind != Kind::Config {
            let (folder, name) = l.path.rsplit_once('/').unwrap();
            assert_eq!(folder, kind.folder(), "{}: folder of a {}", l.path, kind.name());
            if kind.is_ticket() {
                assert_eq!(
                    repo::file_stem(name),
                    l.record.id().as_str(),
                    "{}: file name",
                    l.path
                );
            }
        }
        assert!(
            ids.insert((kind, l.record.id().to_string())),
            "{}: duplicate id",
            l.path
        );
    }
    // Every YAML file under the example is one of those records.
    let mut yaml = 0;
    let mut stack = vec![acme()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if repo::is_yaml_name(&e.file_name().to_string_lossy()) {
                yaml += 1;
            }
        }
    }
    assert_eq!(files, yaml);
}

#[test]
fn incidents_tell_a_consistent_story() {
    let records = snapshot();
    let mut incidents = Vec::new();
    let mut problems = HashMap::new();
    for l in &records {
        match &l.record {
            Record::Incident(i) => incidents.push(i),
            Record::Problem(p) => {
                problems.insert(p.id.to_string(), p);
            }
            _ => {}
        }
    }
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    assert!(incidents.len() >= 40, "{}", incidents.len());
    let mut prev = None;
    for i in &incidents {
        let id = i.id.as_str();
        let reported = i.reported_at.0;
        assert_eq!(
            i.timeline[0].at.0, reported,
            "{id}: reported_at is the first event"
        );
        assert!(prev.is_none_or(|p| p <= reported), "{id}: ids follow reported_at");
        prev = Some(reported);
        assert!(
            ts("2026-09-01T00:00:00Z") <= reported && reported < ts("2026-11-25T00:00:00Z"),
            "{id}"
        );
        assert!(
            i.timeline.iter().all(|e| e.at.0 <= now()),
            "{id}: an event after now"
        );
        let done = matches!(i.status, IncidentStatus::Resolved | IncidentStatus::Closed);
        assert_eq!(
            done,
            i.resolution.is_some(),
            "{id}: resolution exactly when resolved or closed"
        );
        if let Some(p) = &i.problem {
            let back = problems
                .get(p.as_str())
                .map(|p| p.incidents.iter().any(|x| x == &i.id));
            assert_eq!(back, Some(true), "{id}: problem {p} does not link back");
        }
        if let Some(a) = &i.affected_services {
            assert!(a.contains(&i.service), "{id}: its service is among the affected");
        }
    }
    for p in problems.values() {
        for x in &p.incidents {
            let inc = incidents.iter().find(|i| &i.id == x);
            assert_eq!(
                inc.and_then(|i| i.problem.as_ref()),
                Some(&p.id),
                "{}: {x} does not link back",
                p.id
            );
        }
    }
}

#[test]
fn changes_keep_to_the_policy() {
    let records = snapshot();
    let mut changes = Vec::new();
    let mut owners = HashMap::new();
    let mut policy = None;
    for l in &records {
        match &l.record {
            Record::Change(c) => changes.push(c),
            Record::Service(s) => {
                owners.insert(s.id.to_string(), s.owner.clone());
            }
            Record::ChangePolicy(p) => policy = Some(p),
            _ => {}
        }
    }
    let policy = policy.expect("one policy");
    assert!(changes.len() >= 20, "{}", changes.len());
    let cab: BTreeSet<&str> = ["alice", "bob", "dave"].into();
    let ecab: BTreeSet<&str> = ["alice", "erin"].into();
    let later = [
        ChangeStatus::Approved,
        ChangeStatus::Scheduled,
        ChangeStatus::Implementing,
        ChangeStatus::Completed,
        ChangeStatus::Closed,
    ];
    let mut windows = Vec::new();
    for c in &changes {
        let id = c.id.as_str();
        let when = |s: ChangeStatus| c.timeline.iter().find(|e| e.status == Some(s)).map(|e| e.at.0);
        let done = matches!(c.status, ChangeStatus::Completed | ChangeStatus::Closed);
        assert_eq!(
            done,
            c.outcome.is_some(),
            "{id}: outcome exactly when completed or closed"
        );
        if c.change_type != ChangeType::Standard {
            assert!(c.plan.is_some() && c.rollback_plan.is_some(), "{id}: plans");
        }
        if let Some(w) = &c.window {
            let (ws, we) = (w.start.0, w.end.0);
            assert!(ws < we, "{id}: window");
            if we > now() {
                // Still to happen: pending approval (CHG-0026, held by
                // the budget freeze), scheduled, or under way.
                assert!(
                    matches!(
                        c.status,
                        ChangeStatus::Submitted | ChangeStatus::Scheduled | ChangeStatus::Implementing
                    ),
                    "{id}: a future window on a {} change",
                    c.status
                );
            }
            for f in &policy.freeze {
                if !f.allow.contains(&c.change_type) {
                    assert!(
                        !(ws < f.end.0 && f.start.0 < we),
                        "{id}: window inside {}",
                        f.name
                    );
                }
            }
            if c.change_type == ChangeType::Normal {
                let submitted = when(ChangeStatus::Submitted).expect("submitted");
                assert!(
                    ws.duration_since(submitted) >= jiff::SignedDuration::from_hours(48),
                    "{id}: lead time"
                );
            }
            if let Some(t) = when(ChangeStatus::Implementing) {
                assert!(
                    ws <= t && t <= we,
                    "{id}: implemented outside its approved window"
                );
            }
            if !matches!(c.status, ChangeStatus::Cancelled | ChangeStatus::Rejected) {
                windows.push((c, ws, we));
            }
        } else {
            assert!(
                when(ChangeStatus::Scheduled).is_none(),
                "{id}: scheduled without a window"
            );
        }
        if c.maintenance {
            assert!(c.window.is_some(), "{id}: maintenance without a window");
        }
        let approved = c
            .timeline
            .iter()
            .any(|e| e.status.is_some_and(|s| later.contains(&s)));
        if !approved {
            assert!(
                c.approvals.is_empty(),
                "{id}: approvals on a change never approved"
            );
            continue;
        }
        let (need, group, by_owner): (usize, &BTreeSet<&str>, bool) = match (c.change_type, c.risk) {
            (ChangeType::Standard, _) => (0, &cab, false),
            (ChangeType::Emergency, _) => (1, &ecab, false),
            (ChangeType::Normal, Risk::High) => (2, &cab, true),
            (ChangeType::Normal, _) => (1, &cab, false),
        };
        let good: BTreeSet<&str> = c
            .approvals
            .iter()
            .map(|a| a.by.as_str())
            .filter(|b| group.contains(b) && *b != c.requested_by)
            .collect();
        assert!(good.len() >= need, "{id}: {need} approvals needed, has {good:?}");
        if by_owner {
            for s in &c.services {
                let o = &owners[s.as_str()];
                assert!(
                    c.approvals.iter().any(|a| &a.by == o) && o != &c.requested_by,
                    "{id}: owner {o}"
                );
            }
        }
        let (from, to) = (when(ChangeStatus::Submitted), when(ChangeStatus::Approved));
        for a in &c.approvals {
            assert!(
                from.is_some_and(|f| f <= a.at.0),
                "{id}: approval by {} before submission",
                a.by
            );
            assert!(
                to.is_none_or(|t| a.at.0 <= t),
                "{id}: approval by {} after approval",
                a.by
            );
        }
    }
    for (i, (a, as_, ae)) in windows.iter().enumerate() {
        for (b, bs, be) in &windows[i + 1..] {
            let shared = a.services.iter().any(|s| b.services.contains(s));
            assert!(
                !(shared && as_ < be && bs < ae),
                "overlapping windows {} and {}",
                a.id,
                b.id
            );
        }
    }
}

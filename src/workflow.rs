//! The default state machines of SPEC §1 ("Workflows").
//!
//! `on_hold` may be entered from any open state and left to the state it was
//! entered from, or to any state that state could move to.

use crate::model::{Change, ChangeStatus, ChangeType, Kind};

/// Statuses after which a record is finished; no `on_hold` from them.
const DONE: &[&str] = &[
    "resolved",
    "fulfilled",
    "completed",
    "released",
    "closed",
    "rejected",
    "cancelled",
];

fn table(kind: Kind) -> &'static [(&'static str, &'static [&'static str])] {
    match kind {
        // Skipping forward is allowed for incidents: skipped states count as
        // passed at that moment.
        Kind::Incident => &[
            ("new", &["acknowledged", "investigating", "resolved", "closed"]),
            ("acknowledged", &["investigating", "resolved", "closed"]),
            ("investigating", &["resolved", "closed"]),
            ("resolved", &["closed", "investigating"]),
            ("closed", &[]),
        ],
        // `investigating → resolved` is an extension: not every problem
        // becomes a documented known error first.
        Kind::Problem => &[
            ("new", &["investigating"]),
            ("investigating", &["known_error", "resolved"]),
            ("known_error", &["resolved"]),
            ("resolved", &["closed"]),
            ("closed", &[]),
        ],
        Kind::Request => &[
            ("submitted", &["approved", "rejected"]),
            ("approved", &["fulfilling", "rejected"]),
            ("fulfilling", &["fulfilled"]),
            ("fulfilled", &["closed"]),
            ("closed", &[]),
            ("rejected", &[]),
        ],
        Kind::Change => &[
            ("draft", &["submitted", "cancelled"]),
            ("submitted", &["approved", "rejected", "cancelled"]),
            ("approved", &["scheduled", "cancelled"]),
            ("scheduled", &["implementing", "cancelled"]),
            ("implementing", &["completed"]),
            ("completed", &["closed"]),
            ("closed", &[]),
            ("rejected", &[]),
            ("cancelled", &[]),
        ],
        Kind::Release => &[
            ("planned", &["building", "cancelled"]),
            ("building", &["testing", "cancelled"]),
            ("testing", &["deploying", "cancelled"]),
            ("deploying", &["released", "cancelled"]),
            ("released", &["closed"]),
            ("closed", &[]),
            ("cancelled", &[]),
        ],
        _ => &[],
    }
}

/// The status a new record of this kind starts in.
pub fn initial(kind: Kind) -> Option<&'static str> {
    table(kind).first().map(|(s, _)| *s)
}

/// Every status of a kind's workflow, `on_hold` included.
pub fn statuses(kind: Kind) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table(kind).iter().map(|(s, _)| *s).collect();
    if !v.is_empty() {
        v.push("on_hold");
    }
    v
}

pub fn is_open(status: &str) -> bool {
    !DONE.contains(&status)
}

fn direct(kind: Kind, from: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table(kind)
        .iter()
        .find(|(s, _)| *s == from)
        .map(|(_, to)| to.to_vec())
        .unwrap_or_default();
    if is_open(from) && from != "on_hold" && !table(kind).is_empty() {
        v.push("on_hold");
    }
    v
}

/// Legal next statuses, given the statuses so far (oldest first). The history
/// matters only when the record is `on_hold`: it may go back to where it was.
pub fn legal_moves(kind: Kind, history: &[&str]) -> Vec<&'static str> {
    let Some(&current) = history.last() else {
        return initial(kind).into_iter().collect();
    };
    if current != "on_hold" {
        return direct(kind, current);
    }
    let before = history.iter().rev().find(|s| **s != "on_hold").copied();
    match before {
        Some(b) => {
            let mut v: Vec<&'static str> = statuses(kind).into_iter().filter(|s| *s == b).collect();
            v.extend(direct(kind, b).into_iter().filter(|s| *s != "on_hold"));
            v
        }
        None => Vec::new(),
    }
}

/// Whether `to` is one of [`legal_moves`], without listing them: the
/// validator asks this of every event of every timeline.
pub fn is_legal(kind: Kind, history: &[&str], to: &str) -> bool {
    let Some(&current) = history.last() else {
        return initial(kind) == Some(to);
    };
    if current != "on_hold" {
        return is_direct(kind, current, to);
    }
    match history.iter().rev().find(|s| **s != "on_hold") {
        // Back to where it was, or on to where that could go.
        Some(&before) => {
            (to == before && is_status(kind, before)) || (to != "on_hold" && is_direct(kind, before, to))
        }
        None => false,
    }
}

/// Whether `to` is in [`direct`]`(kind, from)`.
fn is_direct(kind: Kind, from: &str, to: &str) -> bool {
    let listed = table(kind)
        .iter()
        .find(|(s, _)| *s == from)
        .is_some_and(|(_, next)| next.contains(&to));
    listed || (to == "on_hold" && is_open(from) && from != "on_hold" && !table(kind).is_empty())
}

/// Whether `status`, never `on_hold` here, is in [`statuses`]`(kind)`.
fn is_status(kind: Kind, status: &str) -> bool {
    table(kind).iter().any(|(s, _)| *s == status)
}

// Rule 7 (SPEC §3): emergency changes whose post-implementation review is
// overdue. One definition for the gate and `gitsm sla`.

/// An emergency change whose post-implementation review is overdue.
#[derive(Debug)]
pub struct Overdue<'c> {
    pub change: &'c Change,
    pub due: jiff::Timestamp,
    pub within: crate::model::Duration,
}

/// Emergency changes whose `review` is still missing `review_within` (of
/// their policy rule) after their `completed` event, as of `now`.
pub fn overdue_emergencies<'c>(
    policy: &crate::model::ChangePolicy,
    changes: impl Iterator<Item = &'c Change>,
    now: jiff::Timestamp,
) -> Vec<Overdue<'c>> {
    changes
        .filter(|c| c.change_type == ChangeType::Emergency)
        .filter(|c| c.review.as_deref().is_none_or(|r| r.trim().is_empty()))
        .filter_map(|c| {
            let within = policy.rule_for(ChangeType::Emergency, c.risk)?.review_within?;
            let done = c
                .timeline
                .iter()
                .find(|e| e.status == Some(ChangeStatus::Completed))?;
            let due = done.at.as_jiff().checked_add(within.to_span()).ok()?;
            (due < now).then_some(Overdue {
                change: c,
                due,
                within,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_legal` answers as `legal_moves` lists, for every kind and every
    /// history of up to three statuses (any status of any kind, and ones of
    /// none), and every next status.
    #[test]
    fn is_legal_is_exactly_legal_moves() {
        let kinds = [
            Kind::Incident,
            Kind::Problem,
            Kind::Request,
            Kind::Change,
            Kind::Release,
            Kind::Service,
        ];
        let mut names: Vec<&str> = kinds.iter().flat_map(|k| statuses(*k)).collect();
        names.extend(["", "bogus", "On_Hold"]);
        names.sort_unstable();
        names.dedup();
        let mut histories: Vec<Vec<&str>> = vec![vec![]];
        for _ in 0..3 {
            let longer: Vec<Vec<&str>> = histories
                .iter()
                .filter(|h| h.len() == histories.last().map_or(0, Vec::len))
                .flat_map(|h| names.iter().map(move |n| [h.as_slice(), &[*n]].concat()))
                .collect();
            histories.extend(longer);
        }
        let (mut legal, mut checked) = (0, 0);
        for kind in kinds {
            for h in &histories {
                let moves = legal_moves(kind, h);
                for to in &names {
                    assert_eq!(is_legal(kind, h, to), moves.contains(to), "{kind:?} {h:?} → {to}");
                    legal += usize::from(moves.contains(to));
                    checked += 1;
                }
            }
        }
        assert!(legal > 1000 && checked > 100_000, "{legal} of {checked}");
    }

    #[test]
    fn incident_moves() {
        assert!(is_legal(Kind::Incident, &["new"], "resolved"));
        assert!(is_legal(Kind::Incident, &["new", "resolved"], "investigating"));
        assert!(!is_legal(Kind::Incident, &["new", "closed"], "investigating"));
        assert!(is_legal(
            Kind::Incident,
            &["new", "investigating", "on_hold"],
            "investigating"
        ));
        assert!(is_legal(
            Kind::Incident,
            &["new", "investigating", "on_hold"],
            "resolved"
        ));
        assert!(!is_legal(
            Kind::Incident,
            &["new", "investigating", "on_hold"],
            "acknowledged"
        ));
        assert!(!is_legal(Kind::Incident, &["new", "resolved"], "on_hold"));
    }

    #[test]
    fn change_moves() {
        assert!(is_legal(Kind::Change, &["draft", "submitted"], "approved"));
        assert!(!is_legal(Kind::Change, &["draft"], "approved"));
        assert!(is_legal(
            Kind::Change,
            &["draft", "submitted", "approved", "scheduled"],
            "cancelled"
        ));
        assert!(!is_legal(
            Kind::Change,
            &["draft", "submitted", "approved", "scheduled", "implementing"],
            "cancelled"
        ));
    }
}

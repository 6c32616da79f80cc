//! Rule 5: schedule — freezes, lead time, conflicts and the budget freeze
//! (`super::budget`), checked whenever a
//! change enters `approved`, `scheduled` or `implementing` in this PR, or the
//! window, type or services of an approved-or-later change are edited. And
//! rule 7: a new `normal` change is denied while its requester has an
//! emergency change whose post-implementation review is overdue.

use super::*;
use crate::gate::judge::{effective_type, effectively_approved, fold_case};
use crate::model::{Change, ChangeStatus, ChangeType, Enforcement};
use rayon::prelude::*;
use serde_json::Value;

pub(super) fn check(j: &mut Judge<'_>) {
    let in_pr: Vec<(usize, &Change, Option<&Change>)> = j
        .files
        .iter()
        .enumerate()
        .filter_map(|(i, (_, old, new))| {
            Some((i, new.as_ref()?.change()?, old.as_ref().and_then(|o| o.change())))
        })
        .collect();
    let due: Vec<usize> = in_pr
        .iter()
        .filter(|(i, c, b)| applies(&j.files[*i], c, *b))
        .map(|(i, _, _)| *i)
        .collect();
    // Rule 7 judges a normal change the PR files: new, or moved on from
    // `draft` (submitted, approved…) in this PR.
    let new_normal: Vec<usize> = in_pr
        .iter()
        .filter(|(i, c, b)| {
            let filed = b.is_none()
                || appended_statuses(&j.files[*i])
                    .iter()
                    .any(|s| !matches!(s.as_str(), "draft" | "cancelled" | "on_hold"));
            filed && effective_type(&j.policy, c) == ChangeType::Normal
        })
        .map(|(i, _, _)| *i)
        .collect();
    if due.is_empty() && new_normal.is_empty() {
        return;
    }
    // Every change after the merge: the base tip's, with this PR's versions
    // on top. Each is parsed; no text pre-filter may hide one.
    let parsed: Vec<(&String, Result<Option<Change>, ()>)> = j
        .input
        .base_changes
        .par_iter()
        .map(|(p, b)| (p, base_change(b)))
        .collect();
    let mut all: BTreeMap<String, Change> = BTreeMap::new();
    let mut unreadable = Vec::new();
    for (p, r) in parsed {
        match r {
            Ok(Some(c)) => {
                all.insert(fold_case(c.id.as_str()), c);
            }
            Ok(None) => {}
            // The PR's own version of the file is what merges.
            Err(()) if j.files.iter().any(|(fc, _, _)| &fc.path == p) => {}
            Err(()) => unreadable.push(p.clone()),
        }
    }
    for (_, c, _) in &in_pr {
        all.insert(fold_case(c.id.as_str()), (*c).clone());
    }
    let mut out = Vec::new();
    for p in unreadable {
        // A change the gate cannot read might be the one that conflicts.
        push(
            &mut out,
            &p,
            &p,
            CheckOutcome::Undecided,
            format!("{p} at base declares a Change the gate cannot read, so conflicts and emergency reviews cannot be checked"),
            Some("fix the record on the base branch (`gitsm validate` shows why)".into()),
        );
    }
    let freeze = super::budget::Freeze::new(j);
    for i in due {
        let (fc, old, new) = &j.files[i];
        let c = new.as_ref().and_then(|n| n.change()).expect("a change");
        schedule(
            j,
            &fc.path,
            c,
            old.as_ref().and_then(|o| o.change()),
            (&all, &freeze),
            &mut out,
        );
    }
    for i in new_normal {
        let (fc, _, new) = &j.files[i];
        let c = new.as_ref().and_then(|n| n.change()).expect("a change");
        overdue_reviews(j, &fc.path, c, &all, &mut out);
    }
    j.checks.extend(out);
}

const ACTIVE: [ChangeStatus; 3] = [
    ChangeStatus::Approved,
    ChangeStatus::Scheduled,
    ChangeStatus::Implementing,
];

/// Whether rule 5 judges this change in this PR.
fn applies(file: &(FileChange, Option<Parsed>, Option<Parsed>), c: &Change, base: Option<&Change>) -> bool {
    // Entering approved, scheduled or implementing in this PR: an appended
    // status among them, whatever the change ends in (a change taken from
    // submitted to completed in one PR entered them on the way).
    let entered = appended_statuses(file)
        .iter()
        .any(|s| ACTIVE.iter().any(|a| a.as_str() == s));
    // Or an approved change's window, type or services edited while it is
    // still to run (not completed, closed, cancelled or held).
    let rescheduled = ACTIVE.contains(&c.status)
        && base.is_some_and(|b| {
            effectively_approved(b)
                && (b.window != c.window || b.change_type != c.change_type || b.services != c.services)
        });
    entered || rescheduled
}

/// The statuses of the events this PR appends to a record's timeline (all
/// of them for a new record, or when the timeline was rewritten).
pub(super) fn appended_statuses(file: &(FileChange, Option<Parsed>, Option<Parsed>)) -> Vec<String> {
    let tl = |p: &Option<Parsed>| {
        p.as_ref()
            .and_then(|p| p.json.as_ref())
            .and_then(|j| j.get("timeline"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (b, h) = (tl(&file.1), tl(&file.2));
    let from = if h.len() >= b.len() && h[..b.len()] == b[..] {
        b.len()
    } else {
        0
    };
    h[from..]
        .iter()
        .filter_map(|e| e.get("status").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn push(
    out: &mut Vec<Check>,
    id: &str,
    path: &str,
    outcome: CheckOutcome,
    message: String,
    fix: Option<String>,
) {
    out.push(Check {
        subject: id.to_string(),
        file: Some(path.to_string()),
        rule: Rule::Schedule,
        outcome,
        message,
        fix,
    });
}

/// A base change as typed data: YAML parsed strictly and deserialised
/// without the schema layer (fast: every change at base is read).
/// `Ok(None)`: not a change record; `Err`: declares one but does not read.
fn base_change(bytes: &[u8]) -> Result<Option<Change>, ()> {
    let Some(json) = crate::gate::judge::parse_json(bytes) else {
        // Not YAML the gate reads: unless it mentions a change, not one.
        let mentions = bytes.windows(6).any(|w| w == b"Change");
        return if mentions { Err(()) } else { Ok(None) };
    };
    if json.get("kind").and_then(Value::as_str) != Some("Change") {
        return Ok(None);
    }
    match crate::model::Record::from_json_owned(crate::model::Kind::Change, json) {
        Some(crate::model::Record::Change(c)) => Ok(Some(*c)),
        _ => Err(()),
    }
}

fn overlaps(a: (jiff::Timestamp, jiff::Timestamp), b: (jiff::Timestamp, jiff::Timestamp)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn schedule(
    j: &Judge<'_>,
    path: &str,
    c: &Change,
    base: Option<&Change>,
    (all, budget): (&BTreeMap<String, Change>, &super::budget::Freeze<'_, '_>),
    out: &mut Vec<Check>,
) {
    let id = c.id.to_string();
    let Some(w) = &c.window else {
        push(
            out,
            &id,
            path,
            CheckOutcome::Pass,
            "no window yet: freezes, lead time and conflicts are checked when one is set".into(),
            None,
        );
        return;
    };
    let ty = effective_type(&j.policy, c);
    let win = (w.start.as_jiff(), w.end.as_jiff());
    let mut ok = freezes(j, &id, path, c, ty, out);
    ok &= lead_time(j, &id, path, c, base, ty, out);
    ok &= budget.check(&id, path, c, ty, out);
    for o in all.values() {
        if fold_case(o.id.as_str()) == fold_case(&id) || !ACTIVE.contains(&o.status) {
            continue;
        }
        let Some(ow) = &o.window else { continue };
        let shared: Vec<String> = c
            .services
            .iter()
            .filter(|s| o.services.contains(s))
            .map(|s| s.to_string())
            .collect();
        if shared.is_empty() || !overlaps(win, (ow.start.as_jiff(), ow.end.as_jiff())) {
            continue;
        }
        let outcome = match j.policy.conflicts {
            Enforcement::Deny => {
                ok = false;
                CheckOutcome::Fail
            }
            Enforcement::Warn => CheckOutcome::Warn,
        };
        push(
            out,
            &id,
            path,
            outcome,
            format!(
                "window {} – {} overlaps {} ({} – {}) on {}",
                w.start,
                w.end,
                o.id,
                ow.start,
                ow.end,
                shared.join(", ")
            ),
            Some(format!(
                "move the window so it does not overlap {}, or coordinate them into one change",
                o.id
            )),
        );
    }
    if ok {
        push(
            out,
            &id,
            path,
            CheckOutcome::Pass,
            "window clear of freezes and conflicts; lead time met".into(),
            None,
        );
    }
}

/// The window is outside every freeze that does not allow its type.
fn freezes(j: &Judge<'_>, id: &str, path: &str, c: &Change, ty: ChangeType, out: &mut Vec<Check>) -> bool {
    let Some(w) = &c.window else { return true };
    let win = (w.start.as_jiff(), w.end.as_jiff());
    let mut ok = true;
    for f in &j.policy.freeze {
        if !overlaps(win, (f.start.as_jiff(), f.end.as_jiff())) || f.allow.contains(&ty) {
            continue;
        }
        ok = false;
        let alt = if f.allow.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = f.allow.iter().map(|t| t.as_str()).collect();
            format!(", or (if it truly is one) file it as {}", names.join("/"))
        };
        push(
            out,
            id,
            path,
            CheckOutcome::Fail,
            format!(
                "window {} – {} falls in the freeze `{}` ({} – {}), which does not allow {ty} changes",
                w.start, w.end, f.name, f.start, f.end
            ),
            Some(format!("move the window outside {} – {}{alt}", f.start, f.end)),
        );
    }
    ok
}

/// `window.start − submitted ≥ lead_time[type]`, from the first `submitted`
/// as recorded at base; a change not yet submitted at base counts from now,
/// so a backdated event gains nothing.
fn lead_time(
    j: &Judge<'_>,
    id: &str,
    path: &str,
    c: &Change,
    base: Option<&Change>,
    ty: ChangeType,
    out: &mut Vec<Check>,
) -> bool {
    let (Some(w), Some(lead)) = (&c.window, j.policy.lead_time.get(ty)) else {
        return true;
    };
    let recorded = base.and_then(|b| {
        b.timeline
            .iter()
            .find(|e| e.status == Some(ChangeStatus::Submitted))
    });
    let (sub, from) = match recorded {
        Some(e) => (e.at.as_jiff(), "submitted"),
        None => (j.input.now, "not submitted at base, so counted from now"),
    };
    let gap = w.start.as_jiff().duration_since(sub);
    if gap >= lead.to_span() {
        return true;
    }
    push(
        out,
        id,
        path,
        CheckOutcome::Fail,
        format!(
            "lead time: {from} {} and the window starts {}, {} later; {ty} changes need {lead}",
            crate::model::Timestamp(sub),
            w.start,
            fmt_gap(gap),
        ),
        Some(format!(
            "start the window at {} or later",
            crate::model::Timestamp(sub.checked_add(lead.to_span()).unwrap_or(sub))
        )),
    );
    false
}

fn fmt_gap(d: jiff::SignedDuration) -> String {
    let secs = d.as_secs();
    if secs < 0 {
        return format!("-{}", crate::model::Duration::from_secs(-secs));
    }
    crate::model::Duration::from_secs(secs).to_string()
}

/// Rule 7: emergency changes of `c`'s requester whose review is overdue.
fn overdue_reviews(
    j: &Judge<'_>,
    path: &str,
    c: &Change,
    all: &BTreeMap<String, Change>,
    out: &mut Vec<Check>,
) {
    let id = c.id.to_string();
    // The PR author counts as a requester too: `requested_by` is whatever
    // the PR says.
    let requesters = [fold_case(&c.requested_by), fold_case(&j.input.author)];
    for e in crate::workflow::overdue_emergencies(&j.policy, all.values(), j.input.now) {
        if !requesters.contains(&fold_case(&e.change.requested_by)) {
            continue;
        }
        out.push(Check {
            subject: id.clone(),
            file: Some(path.to_string()),
            rule: Rule::EmergencyReview,
            outcome: CheckOutcome::Fail,
            message: format!(
                "{} files a normal change while their emergency change {} has no post-implementation review, due {} ({} after it completed)",
                e.change.requested_by, e.change.id, crate::model::Timestamp(e.due), e.within
            ),
            fix: Some(format!("write the `review` of {} first (it may be in this PR)", e.change.id)),
        });
    }
}

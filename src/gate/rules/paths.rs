//! Rule 6: a PR that modifies files under a service's `paths` includes or
//! references (`Change: CHG-0042` in the PR body) a change covering that
//! service that is `approved`, `scheduled` or `implementing` with a window
//! containing now — or a pre-authorised standard change in those states,
//! window containing now, for a service of its template (whose own `paths`
//! narrow what it covers). Paths are git-root relative; globs match ignoring
//! case (see [`crate::globs`]).

use super::*;
use crate::gate::judge::{effective_type, fold_case, pre_authorised};
use crate::model::{Change, ChangeStatus, ChangeType, PathEnforcement};

pub(super) fn check(j: &mut Judge<'_>) {
    let input = j.input;
    if input.code_paths.is_empty() || j.policy.ungoverned_paths == PathEnforcement::Allow {
        return;
    }
    let refs = referenced_changes(&input.pr_body);
    let mut candidates: Vec<(Change, &str)> = j
        .files
        .iter()
        .filter_map(|(_, _, n)| n.as_ref()?.change().cloned())
        .map(|c| (c, "in this PR"))
        .collect();
    let mut missing_refs = Vec::new();
    for r in &refs {
        let found = input.referenced.iter().find_map(|(p, b)| {
            parse_file(p, b)
                .change()
                .filter(|c| fold_case(c.id.as_str()) == fold_case(r))
                .cloned()
        });
        match found {
            Some(c) if !candidates.iter().any(|(x, _)| x.id == c.id) => {
                candidates.push((c, "referenced from the PR body"))
            }
            Some(_) => {}
            None => missing_refs.push(r.clone()),
        }
    }
    let mut ids: Vec<String> = j.services.keys().cloned().collect();
    ids.sort();
    let mut out = Vec::new();
    for sid in ids {
        let svc = &j.services[&sid];
        if svc.paths.is_empty() {
            continue;
        }
        let set = match crate::globs::compile(&svc.paths) {
            Ok(set) => set,
            Err(e) => {
                // Code it should govern would go unchecked: cannot decide.
                out.push(make(
                    &sid,
                    CheckOutcome::Undecided,
                    format!("service {sid} at base has path `{}` that the gate cannot use ({}), so it cannot tell which code the service governs", e.pattern, e.why),
                    "fix the service's `paths` on the base branch first".into(),
                ));
                continue;
            }
        };
        let touched: Vec<&String> = input
            .code_paths
            .iter()
            .filter(|p| set.is_match(p.as_str()))
            .collect();
        if touched.is_empty() {
            continue;
        }
        let mut reasons = Vec::new();
        let cover = candidates
            .iter()
            .find(|(c, how)| covers(j, c, how, &sid, &touched, &mut reasons));
        let shown: Vec<&str> = touched.iter().take(5).map(|s| s.as_str()).collect();
        let more = if touched.len() > 5 {
            format!(" and {} more", touched.len() - 5)
        } else {
            String::new()
        };
        match cover {
            Some((c, how)) => out.push(Check {
                subject: sid.clone(),
                file: None,
                rule: Rule::Paths,
                outcome: CheckOutcome::Pass,
                message: format!(
                    "{sid} touches {}{more}; covered by {} ({how})",
                    shown.join(", "),
                    c.id
                ),
                fix: None,
            }),
            None => {
                let outcome = match j.policy.ungoverned_paths {
                    PathEnforcement::Deny => CheckOutcome::Fail,
                    _ => CheckOutcome::Warn,
                };
                let mut msg = format!(
                    "the PR modifies {}{more}, code of service {sid}, with no covering change",
                    shown.join(", ")
                );
                if !reasons.is_empty() {
                    msg.push_str(&format!(" ({})", reasons.join("; ")));
                }
                if !missing_refs.is_empty() {
                    msg.push_str(&format!(
                        "; the PR body references {} but no such change exists at base",
                        missing_refs.join(", ")
                    ));
                }
                out.push(make(
                    &sid,
                    outcome,
                    msg,
                    format!("add a line `Change: CHG-…` to the PR body naming an approved change for {sid} whose window contains now, or include a pre-authorised standard change for {sid} in the PR"),
                ));
            }
        }
    }
    j.checks.extend(out);
}

fn make(sid: &str, outcome: CheckOutcome, message: String, fix: String) -> Check {
    Check {
        subject: sid.to_string(),
        file: None,
        rule: Rule::Paths,
        outcome,
        message,
        fix: Some(fix),
    }
}

/// Whether `c` covers the `touched` files of service `sid`; else says why not.
fn covers(
    j: &Judge<'_>,
    c: &Change,
    how: &str,
    sid: &str,
    touched: &[&String],
    reasons: &mut Vec<String>,
) -> bool {
    if !c.services.iter().any(|s| s.as_str() == sid) {
        return false;
    }
    if !matches!(
        c.status,
        ChangeStatus::Approved | ChangeStatus::Scheduled | ChangeStatus::Implementing
    ) {
        reasons.push(format!(
            "{} ({how}) is `{}`, not approved, scheduled or implementing",
            c.id, c.status
        ));
        return false;
    }
    let now = j.input.now;
    match &c.window {
        Some(w) if w.start.as_jiff() <= now && now <= w.end.as_jiff() => {}
        Some(w) => {
            reasons.push(format!(
                "{} ({how}) has window {} – {}, which does not contain now ({})",
                c.id,
                w.start,
                w.end,
                crate::model::Timestamp(now)
            ));
            return false;
        }
        None => {
            reasons.push(format!("{} ({how}) has no window", c.id));
            return false;
        }
    }
    if effective_type(&j.policy, c) != ChangeType::Standard {
        if c.change_type == ChangeType::Standard {
            if let Err(why) = pre_authorised(&j.policy, c) {
                // Judged as normal: it covers only if approved as one (rule 4).
                reasons.push(format!("{why}, so it is judged as a normal change"));
            }
        }
        return true;
    }
    let Ok(t) = pre_authorised(&j.policy, c) else {
        return false;
    };
    if !t.services.iter().any(|s| s.as_str() == sid) {
        reasons.push(format!("template `{}` does not cover service {sid}", t.id));
        return false;
    }
    if !t.paths.is_empty() {
        let Ok(set) = crate::globs::compile(&t.paths) else {
            reasons.push(format!("template `{}` has paths the gate cannot use", t.id));
            return false;
        };
        if let Some(p) = touched.iter().find(|p| !set.is_match(p.as_str())) {
            reasons.push(format!("template `{}` of {} does not cover {p}", t.id, c.id));
            return false;
        }
    }
    true
}

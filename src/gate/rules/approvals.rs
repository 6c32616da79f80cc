//! Rule 4: approvals. A change entering approved or later in this PR needs
//! the approvals of its matching rule; any edit of a change already
//! approved or later (moving it to `on_hold` or `cancelled` included) needs
//! fresh approval satisfying both its old and its new rule — except that
//! its own requester or implementer, as PR author, may cancel or hold it
//! and move it on along its workflow by appending status events, setting
//! `outcome` and `review`, and editing nothing else. Every name the PR adds
//! to `approvals` must be backed by a counted review.

use super::*;
use crate::gate::judge::{
    effective_type, effectively_approved, fold_case, group_name, without_bookkeeping, Standing,
};
use crate::model::{Change, ChangeStatus, PolicyRule};
use serde_json::Value;
use std::collections::HashSet;

pub(super) fn check(j: &mut Judge<'_>) {
    let mut out = Vec::new();
    let mut record = Vec::new();
    for (fc, old, new) in &j.files {
        let Some(new) = new else { continue };
        let Some(c) = new.change() else { continue };
        let base = old.as_ref().and_then(|o| o.change());
        let one = One {
            path: &fc.path,
            c,
            base,
            head_json: new.json.as_ref(),
            base_json: old.as_ref().and_then(|o| o.json.as_ref()),
        };
        judge_change(j, &one, &mut out, &mut record);
    }
    j.checks.extend(out);
    j.to_record.extend(record);
}

/// One change at head, with its base version.
struct One<'a> {
    path: &'a str,
    c: &'a Change,
    base: Option<&'a Change>,
    head_json: Option<&'a Value>,
    base_json: Option<&'a Value>,
}

const APPROVED_OR_LATER: [&str; 5] = ["approved", "scheduled", "implementing", "completed", "closed"];

/// Status events the PR appends (all of them for a new change).
fn appended<'v>(base: Option<&'v Value>, head: &'v Value) -> &'v [Value] {
    let tl = |v: &'v Value| {
        v.get("timeline")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let (b, h) = (base.map(tl).unwrap_or(&[]), tl(head));
    if h.len() >= b.len() && h[..b.len()] == *b {
        &h[b.len()..]
    } else {
        h // rewritten: rule 3 denies it; judge every event here
    }
}

fn judge_change(j: &Judge<'_>, one: &One<'_>, out: &mut Vec<Check>, record: &mut Vec<Backed>) {
    let (c, path) = (one.c, one.path);
    let id = c.id.to_string();
    let Some(head_json) = one.head_json else { return };
    let head_clean = without_bookkeeping(head_json, &j.fresh);
    let base_clean = one.base_json.map(|b| without_bookkeeping(b, &j.fresh));
    let was_approved = one.base.is_some_and(effectively_approved);
    // A status at or past `approved` appended by this PR: the PR moves the
    // change through approval, whatever status it ends in.
    let passes_approval = !was_approved
        && appended(one.base_json, head_json)
            .iter()
            .filter_map(|e| e.get("status").and_then(Value::as_str))
            .any(|s| APPROVED_OR_LATER.contains(&s));
    let edited = was_approved && base_clean.as_ref() != Some(&head_clean);
    let exempt = edited
        && one
            .base
            .is_some_and(|b| own_progress(j, b, &head_clean, base_clean.as_ref()));
    let needs = passes_approval || (edited && !exempt);
    let base_logins: HashSet<String> = one
        .base
        .map(|b| b.approvals.iter().map(|a| fold_case(&a.by)).collect())
        .unwrap_or_default();
    let claims: Vec<&str> = c
        .approvals
        .iter()
        .filter(|a| !base_logins.contains(&fold_case(&a.by)))
        .map(|a| a.by.as_str())
        .collect();
    if exempt {
        out.push(own_progress_check(j, one, &id, path));
    }
    if !needs && claims.is_empty() {
        return;
    }
    let mut versions = vec![c];
    versions.extend(one.base.filter(|_| edited));
    let rules = match rules_for(j, &versions) {
        Ok(r) => r,
        Err(message) => {
            out.push(Check {
                subject: id.clone(),
                file: Some(path.to_string()),
                rule: Rule::FailClosed,
                outcome: CheckOutcome::Undecided,
                message,
                fix: Some(
                    "add a rule for it to the policy on the base branch (rules are first-match)".into(),
                ),
            });
            return;
        }
    };
    let mut backing: BTreeMap<String, jiff::Timestamp> = BTreeMap::new();
    for rule in &rules {
        // Owners of every service the change touches, before and after an
        // edit: a change moved off a service needs that owner too.
        let owners: Vec<String> = if rule.service_owner {
            services_of(&versions)
        } else {
            Vec::new()
        };
        let t = j.tally(rule.from, &owners);
        for l in t.group.iter().chain(&t.owner_logins) {
            backing.insert(l.clone(), j.fresh[l]);
        }
        if !needs {
            continue;
        }
        let why = if was_approved {
            format!(
                "{id} was already `{}` at base and is edited: it needs fresh approval under {}",
                one.base.map(|b| b.status.as_str()).unwrap_or(""),
                rule_text(rule)
            )
        } else {
            format!("{id} enters `{}`: {}", c.status, rule_text(rule))
        };
        out.push(standing_check(&id, path, rule, &t, &why));
    }
    for by in &claims {
        // Backed by any fresh approving review: one whose approval does not
        // count (not in the group, or a team that cannot be resolved) is
        // judged by the standing check, not called a forged claim.
        let login = fold_case(by);
        if !backing.contains_key(&login) && !j.fresh.contains_key(&login) {
            out.push(unbacked_claim(&id, path, by));
        }
    }
    let listed: HashSet<String> = c.approvals.iter().map(|a| fold_case(&a.by)).collect();
    for (login, at) in backing {
        if !listed.contains(&login) {
            record.push(Backed {
                file: path.to_string(),
                change: id.clone(),
                by: j.spelled(&login),
                at,
            });
        }
    }
}

/// The pass for an approved change its own requester or implementer moves
/// on by appending status events only.
fn own_progress_check(j: &Judge<'_>, one: &One<'_>, id: &str, path: &str) -> Check {
    make(
        id,
        path,
        CheckOutcome::Pass,
        format!(
            "{id} is moved on by its own {} ({}) by appending status events only; no fresh approval needed",
            if one
                .base
                .is_some_and(|b| fold_case(&b.requested_by) == fold_case(&j.input.author))
            {
                "requester"
            } else {
                "implementer"
            },
            j.input.author
        ),
        None,
    )
}

/// Every service the change touches, before and after an edit (head's
/// first): a change moved off a service needs that owner too.
fn services_of(versions: &[&Change]) -> Vec<String> {
    let (head, rest) = versions.split_first().expect("the head version");
    let mut o: Vec<String> = head.services.iter().map(|s| s.to_string()).collect();
    for s in rest.iter().flat_map(|v| v.services.iter()) {
        if !o.iter().any(|x| x == s.as_str()) {
            o.push(s.to_string());
        }
    }
    o
}

/// `approvals` names someone no fresh approving review backs.
fn unbacked_claim(id: &str, path: &str, by: &str) -> Check {
    make(
        id,
        path,
        CheckOutcome::Fail,
        format!("`approvals` lists {by} but no fresh approving review by {by} backs it"),
        Some(format!(
            "remove {by} from `approvals`, or have {by} approve the PR; `gitsm gate --record` writes backed approvals"
        )),
    )
}

/// The rules a change must satisfy: its head version's and, when an
/// approved change is edited, its base version's too (both, deduplicated).
fn rules_for<'p>(j: &'p Judge<'_>, versions: &[&Change]) -> Result<Vec<&'p PolicyRule>, String> {
    let mut rules: Vec<&PolicyRule> = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let ty = effective_type(&j.policy, v);
        match j.policy.rule_for(ty, v.risk) {
            Some(r) if !rules.contains(&r) => rules.push(r),
            Some(_) => {}
            None if i == 0 => {
                return Err(format!(
                    "no rule of the base policy matches a {ty} change with {} risk",
                    v.risk
                ))
            }
            None => {
                return Err(format!(
                    "no rule of the base policy matches the base version ({ty} change, {} risk)",
                    v.risk
                ))
            }
        }
    }
    Ok(rules)
}

/// Rule 4's verdict on one rule's tally.
fn standing_check(
    id: &str,
    path: &str,
    rule: &PolicyRule,
    t: &crate::gate::judge::Tally,
    why: &str,
) -> Check {
    let need = rule.approvals as usize;
    match t.standing(need) {
        Standing::Blocked(who) => make(
            id,
            path,
            CheckOutcome::Fail,
            format!("{why}; changes requested by {who} block it"),
            Some(format!("address the review of {who} and ask for a new approval")),
        ),
        Standing::MaybeBlocked(who) => make(
            id,
            path,
            CheckOutcome::Undecided,
            format!("{why}; changes requested by {who}, whose membership could not be resolved (run with --github to resolve teams)"),
            Some("resolve the teams with --github, or have the reviewer approve or dismiss the review".into()),
        ),
        Standing::Enough => make(
            id,
            path,
            CheckOutcome::Pass,
            format!(
                "{why}; approved by {}",
                if t.group.is_empty() {
                    "nobody needed".to_string()
                } else {
                    t.group.join(", ")
                }
            ),
            None,
        ),
        Standing::Short(maybe) => {
            let mut fix = Vec::new();
            if t.group.len() < need {
                fix.push(format!(
                    "{} more approval(s) from {} (not the author or a contributor) on the latest commit",
                    need - t.group.len(),
                    group_name(rule.from)
                ));
            }
            if !t.owners_missing.is_empty() {
                fix.push(format!("an approval from the owner of {}", t.owners_missing.join(", ")));
            }
            make(
                id,
                path,
                if maybe { CheckOutcome::Undecided } else { CheckOutcome::Fail },
                format!("{why}; {}", t.shortfall()),
                Some(format!("get {}", fix.join(" and "))),
            )
        }
    }
}

fn make(id: &str, path: &str, outcome: CheckOutcome, message: String, fix: Option<String>) -> Check {
    Check {
        subject: id.to_string(),
        file: Some(path.to_string()),
        rule: Rule::Approvals,
        outcome,
        message,
        fix,
    }
}

/// The exception of rule 4: the change's own requester or implementer (at
/// base), as PR author, cancels or holds it, or moves it on along
/// `scheduled → implementing → completed → closed` (and back from
/// `on_hold`), by appending status events and setting `outcome` and
/// `review` — nothing else edited.
fn own_progress(j: &Judge<'_>, base: &Change, head_clean: &Value, base_clean: Option<&Value>) -> bool {
    let author = fold_case(&j.input.author);
    let own = fold_case(&base.requested_by) == author
        || base
            .implementer
            .as_deref()
            .is_some_and(|i| fold_case(i) == author);
    let Some(base_clean) = base_clean else {
        return false;
    };
    if !own {
        return false;
    }
    // Everything but status, outcome, review and the timeline is unchanged…
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            for k in ["status", "outcome", "review", "timeline"] {
                m.remove(k);
            }
        }
        v
    };
    if strip(base_clean) != strip(head_clean) {
        return false;
    }
    // …the timeline only grows, by events of the plain shape…
    let Some(added) = (|| {
        let b = base_clean.get("timeline")?.as_array()?;
        let h = head_clean.get("timeline")?.as_array()?;
        (h.len() >= b.len() && h[..b.len()] == b[..]).then(|| h[b.len()..].to_vec())
    })() else {
        return false;
    };
    // …and each status it reaches is one the exception allows.
    let mut history: Vec<ChangeStatus> = base.timeline.iter().filter_map(|e| e.status).collect();
    let mut appended: Vec<ChangeStatus> = Vec::new();
    for e in &added {
        let Some(obj) = e.as_object() else { return false };
        if obj
            .keys()
            .any(|k| !matches!(k.as_str(), "at" | "by" | "status" | "note" | "public"))
        {
            return false;
        }
        let Some(s) = obj.get("status") else { continue };
        let Some(to) = s.as_str().and_then(ChangeStatus::parse) else {
            return false;
        };
        let before_hold = history
            .iter()
            .rev()
            .find(|s| **s != ChangeStatus::OnHold)
            .copied();
        let allowed = match to {
            ChangeStatus::OnHold
            | ChangeStatus::Cancelled
            | ChangeStatus::Implementing
            | ChangeStatus::Completed
            | ChangeStatus::Closed => true,
            // Back from on_hold to where it was.
            other => history.last() == Some(&ChangeStatus::OnHold) && before_hold == Some(other),
        };
        if !allowed {
            return false;
        }
        history.push(to);
        appended.push(to);
    }
    // …it moves the change on (a status event, not only notes), and sets
    // `outcome` and `review` only where they are first due: `outcome` when it
    // completes here, `review` once completed — never rewriting them.
    if appended.is_empty() {
        return false;
    }
    let set_once = |key: &str, allowed: bool| {
        let (b, h) = (base_clean.get(key), head_clean.get(key));
        b == h || (b.is_none() && allowed)
    };
    let completes = appended.contains(&ChangeStatus::Completed);
    let done = completes
        || appended.contains(&ChangeStatus::Closed)
        || matches!(base.status, ChangeStatus::Completed | ChangeStatus::Closed);
    set_once("outcome", completes) && set_once("review", done)
}

fn rule_text(rule: &PolicyRule) -> String {
    let m = &rule.selector;
    let mut parts = Vec::new();
    if let Some(t) = m.change_type {
        parts.push(format!("type: {t}"));
    }
    if let Some(r) = m.risk {
        parts.push(format!("risk: {r}"));
    }
    format!(
        "rule {{{}}} ({} approval(s){}{})",
        parts.join(", "),
        rule.approvals,
        rule.from.map(|g| format!(" from {g}")).unwrap_or_default(),
        if rule.service_owner {
            " + service owner"
        } else {
            ""
        }
    )
}

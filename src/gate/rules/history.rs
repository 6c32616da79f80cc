//! Rule 3: history. Each ticket's status move from base to head is legal;
//! its timeline at head extends the base timeline unchanged and holds no
//! event dated after `--now`; records are never deleted or renamed to
//! another id; a new record's id collides with no id at base (read from the
//! records' content, not their file names); records of a kind stay in the
//! kind's folder, where every later gate run looks for them.

use super::*;
use crate::gate::judge::{fold_case, subject_of};
use serde_json::Value;

pub(super) fn check(j: &mut Judge<'_>) {
    let mut base_ids: HashMap<String, String> = HashMap::new();
    for (id, path) in &j.input.base_ids {
        base_ids.entry(fold_case(id)).or_insert_with(|| path.clone());
    }
    let base_ctx_ids = j.base_context_ids();
    let added_ids: HashMap<String, String> = j
        .files
        .iter()
        .filter(|(_, old, new)| old.is_none() && new.is_some())
        .filter_map(|(fc, _, new)| {
            new.as_ref()?
                .kind_id()
                .map(|(_, id)| (fold_case(&id), fc.path.clone()))
        })
        .collect();
    let ids = Ids {
        base: base_ids,
        base_ctx: base_ctx_ids,
        added: added_ids,
    };
    let mut out = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (fc, old, new) in &j.files {
        check_folder(&mut out, fc, new.as_ref());
        check_one(
            &mut out,
            j.input.now,
            fc,
            old.as_ref(),
            new.as_ref(),
            &ids,
            &mut seen,
        );
    }
    j.checks.extend(out);
}

/// The ids a new record must not take.
struct Ids {
    /// Lower-case id → path, every ticket at base (content and file stems).
    base: HashMap<String, String>,
    /// (kind, lower-case id) → path, the base context records.
    base_ctx: HashMap<(String, String), String>,
    /// Lower-case id → path, records this PR adds.
    added: HashMap<String, String>,
}

fn push(
    out: &mut Vec<Check>,
    subject: &str,
    path: &str,
    outcome: CheckOutcome,
    message: String,
    fix: Option<String>,
) {
    out.push(Check {
        subject: subject.to_string(),
        file: Some(path.to_string()),
        rule: Rule::History,
        outcome,
        message,
        fix,
    });
}

/// The gate finds base records by folder: services only in `catalog/`,
/// changes only in `changes/`, ticket ids only in the ticket folders. A
/// record of those kinds written elsewhere would be invisible to every
/// later gate run, so it may not enter elsewhere.
fn check_folder(out: &mut Vec<Check>, fc: &FileChange, new: Option<&Parsed>) {
    let Some((kind, id)) = new.and_then(Parsed::kind_id) else {
        return;
    };
    let Some(k) = Kind::from_name(&kind) else { return };
    let folder = k.folder();
    if folder.is_empty() || fc.path.split('/').next() == Some(folder) {
        return;
    }
    let name = fc.path.rsplit('/').next().unwrap_or("");
    push(
        out,
        if id.is_empty() { &fc.path } else { &id },
        &fc.path,
        CheckOutcome::Fail,
        format!(
            "{kind} {id} is in {}, outside `{folder}/`: the gate reads {kind} records only from `{folder}/`, so every later check would miss it",
            fc.path
        ),
        Some(format!("move it to {folder}/{name}")),
    );
}

fn check_one(
    out: &mut Vec<Check>,
    now: jiff::Timestamp,
    fc: &FileChange,
    old: Option<&Parsed>,
    new: Option<&Parsed>,
    ids: &Ids,
    seen: &mut HashMap<String, String>,
) {
    let path = fc.path.as_str();
    let old_ki = old.and_then(Parsed::kind_id);
    let new_ki = new.and_then(Parsed::kind_id);
    if fc.base_moved && (old_ki.is_some() || new_ki.is_some()) {
        // Everything below compares head with the merge base; that is only
        // what merges when the base branch left the file alone meanwhile.
        push(
            out,
            &subject_of(fc, new.or(old)),
            path,
            CheckOutcome::Fail,
            format!("{path} was changed on the base branch since this PR branched; the PR is judged against a stale copy"),
            Some("merge the base branch into the PR (or rebase it) and push, so the gate sees what will merge".into()),
        );
    }
    match (&old_ki, &new_ki) {
        (Some((_, old_id)), None) => {
            let renamed = ids.added.get(&fold_case(old_id)).filter(|p| p.as_str() != path);
            let (msg, fix) = match (renamed, new) {
                (Some(to), _) => (
                    format!("record {old_id} is renamed from {path} to {to}; records are never renamed"),
                    format!("keep {old_id} at {path}; git history is the record's audit trail"),
                ),
                (None, Some(_)) => (
                    format!("{path} no longer holds record {old_id} (it is no longer a gitsm record)"),
                    format!("restore {old_id} in {path}"),
                ),
                (None, None) => (
                    format!("record {old_id} ({path}) is deleted; records are never deleted"),
                    format!("restore {path}; to retire a record move it to a final status (e.g. `cancelled`, `closed`)"),
                ),
            };
            push(out, old_id, path, CheckOutcome::Fail, msg, Some(fix));
        }
        (None, Some((kind, id))) => {
            let key = fold_case(id);
            let collision = ids
                .base
                .get(&key)
                .filter(|p| is_ticket_kind(kind) && (p.as_str() != path || fc.old.is_none()))
                .cloned()
                .or_else(|| {
                    ids.base_ctx
                        .get(&(kind.clone(), key.clone()))
                        .filter(|p| p.as_str() != path)
                        .cloned()
                })
                .or_else(|| {
                    // The file is new since the merge base, but the base tip
                    // has gained a file at the same path meanwhile.
                    ids.base
                        .values()
                        .find(|p| fc.old.is_none() && p.as_str() == path)
                        .cloned()
                })
                .or_else(|| seen.get(&key).filter(|p| p.as_str() != path).cloned());
            seen.insert(key, path.to_string());
            match collision {
                Some(other) => push(
                    out,
                    id,
                    path,
                    CheckOutcome::Fail,
                    format!("new record id {id} collides with {other} at base"),
                    Some("rebase on the base branch and give the record the next free id (`gitsm new` allocates one)".into()),
                ),
                None => {
                    if let Some(e) = future_event(new.and_then(|n| n.json.as_ref()), 0, now) {
                        push(out, id, path, CheckOutcome::Fail, e, Some(future_fix()));
                    } else {
                        push(out, id, path, CheckOutcome::Pass, "new record; id is free at base".into(), None);
                    }
                }
            }
        }
        (Some((ok, oid)), Some((nk, nid))) => {
            if ok != nk || fold_case(oid) != fold_case(nid) {
                push(
                    out,
                    oid,
                    path,
                    CheckOutcome::Fail,
                    format!("{path} held {ok} {oid} at base and holds {nk} {nid} at head; records are never renamed to another id"),
                    Some(format!("keep `id: {oid}`; create a new record for anything else")),
                );
                return;
            }
            let (Some(oj), Some(nj)) = (
                old.and_then(|o| o.json.as_ref()),
                new.and_then(|n| n.json.as_ref()),
            ) else {
                return;
            };
            timeline(out, now, path, oid, nk, oj, nj);
        }
        (None, None) => {}
    }
}

fn future_fix() -> String {
    "date every event at or before the time the PR is judged; events are appended as they happen".into()
}

/// An event from index `from` on dated after `now`.
fn future_event(json: Option<&Value>, from: usize, now: jiff::Timestamp) -> Option<String> {
    let events = json?.get("timeline")?.as_array()?;
    events.iter().enumerate().skip(from).find_map(|(i, e)| {
        let at = e.get("at")?.as_str()?.parse::<crate::model::Timestamp>().ok()?;
        (at.as_jiff() > now).then(|| {
            format!(
                "timeline event {i} is dated {at}, after now ({}): a record cannot report what has not happened",
                crate::model::Timestamp(now)
            )
        })
    })
}

/// The timeline at head extends the base one, every appended status a
/// legal move, no event in the future.
fn timeline(
    out: &mut Vec<Check>,
    now: jiff::Timestamp,
    path: &str,
    id: &str,
    kind: &str,
    oj: &Value,
    nj: &Value,
) {
    let empty = Vec::new();
    let ot = oj.get("timeline").and_then(Value::as_array).unwrap_or(&empty);
    let nt = nj.get("timeline").and_then(Value::as_array).unwrap_or(&empty);
    let prefix_ok = nt.len() >= ot.len() && ot.iter().zip(nt.iter()).all(|(a, b)| a == b);
    if !prefix_ok {
        let at = ot
            .iter()
            .zip(nt.iter())
            .position(|(a, b)| a != b)
            .unwrap_or(nt.len().min(ot.len()));
        push(
            out,
            id,
            path,
            CheckOutcome::Fail,
            format!(
                "the timeline is rewritten: event {at} at base is changed or removed at head (base has {} events, head {}); timelines are append-only",
                ot.len(),
                nt.len()
            ),
            Some("restore the base events unchanged and append new events at the end".into()),
        );
        return;
    }
    if let Some(e) = future_event(Some(nj), ot.len(), now) {
        push(out, id, path, CheckOutcome::Fail, e, Some(future_fix()));
        return;
    }
    let Some(kind) = Kind::from_name(kind) else { return };
    let mut history: Vec<String> = ot
        .iter()
        .filter_map(|e| e.get("status").and_then(Value::as_str).map(str::to_string))
        .collect();
    let old_status = oj.get("status").and_then(Value::as_str).unwrap_or("").to_string();
    for e in &nt[ot.len()..] {
        let Some(to) = e.get("status").and_then(Value::as_str) else {
            continue;
        };
        let h: Vec<&str> = history.iter().map(String::as_str).collect();
        if !h.is_empty() && !crate::workflow::is_legal(kind, &h, to) {
            let legal = crate::workflow::legal_moves(kind, &h);
            push(
                out,
                id,
                path,
                CheckOutcome::Fail,
                format!("illegal status move {} → {to}", h.last().copied().unwrap_or("")),
                Some(format!("legal next statuses: {}", legal.join(", "))),
            );
            return;
        }
        history.push(to.to_string());
    }
    let new_status = nj.get("status").and_then(Value::as_str).unwrap_or("");
    push(
        out,
        id,
        path,
        CheckOutcome::Pass,
        if old_status == new_status {
            "timeline extends the base timeline".to_string()
        } else {
            format!("legal move {old_status} → {new_status}; timeline only appended to")
        },
        None,
    );
}

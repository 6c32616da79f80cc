//! Rule 1: the policy, the catalog, SLAs, calendars and CAB membership are
//! read from base. A PR that touches a governed file — the policy,
//! `gitsm.yaml`, SLAs and calendars, ConfigItems and RequestTypes, a
//! service's governance, and at the git
//! root `.github/**`, CODEOWNERS, `.gitattributes`, `.gitmodules` — is
//! judged by the base policy and needs its `policy_change` approvals,
//! counted like rule 4's and fresh under rule 4's terms.

use super::*;
use crate::gate::judge::{dedup, group_name, json_scalar, lc, Standing};
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) fn check(j: &mut Judge<'_>) {
    let mut governed: Vec<String> = Vec::new();
    for (fc, old, new) in &j.files {
        let kind_is = |k: Kind| {
            [old, new].iter().any(|p| {
                p.as_ref()
                    .and_then(|p| p.kind_id())
                    .is_some_and(|(kind, _)| kind == k.name())
            })
        };
        let first = fc.path.split('/').next().unwrap_or("");
        let policy_or_settings = first == "policies"
            || fc.path == repo::CONFIG_FILE
            || kind_is(Kind::ChangePolicy)
            || kind_is(Kind::Config);
        let slas = first == "slas" || kind_is(Kind::Sla) || kind_is(Kind::Calendar);
        // The CMDB and the request catalog (SPEC §3): adding, editing or deleting.
        let itil = first == "cmdb"
            || fc.path.starts_with("catalog/requests/")
            || kind_is(Kind::ConfigItem)
            || kind_is(Kind::RequestType);
        if !(policy_or_settings || slas || itil) {
            continue;
        }
        // Comments and layout are free; anything parsed differently is not.
        let same = match (old, new) {
            (Some(o), Some(n)) => o.json.is_some() && o.json == n.json,
            _ => false,
        };
        if !same || fc.new_not_a_file {
            governed.push(fc.path.clone());
        }
    }
    // `.github/**`, CODEOWNERS, `.gitattributes`, `.gitmodules` at the git
    // root, also when the ITSM repo is a sub-folder.
    governed.extend(j.input.root_files.iter().cloned());
    let governed = dedup(governed);
    if !governed.is_empty() {
        let what = format!(
            "edits {} (the change policy, settings, SLAs and calendars, the CMDB and request catalog, or the CI that enforces them)",
            governed.join(", ")
        );
        let subject = format!("policy {}", j.policy.id);
        judge_edit(j, &subject, &what, &governed.join(", "));
    }
    for g in catalog_governance_changes(&j.files) {
        let what = format!(
            "changes the governance of service {} ({})",
            g.id,
            g.details.join("; ")
        );
        judge_edit(j, &format!("service {}", g.id), &what, &g.files.join(", "));
    }
}

/// One governed edit against the base policy's `policy_change` rule.
fn judge_edit(j: &mut Judge<'_>, subject: &str, what: &str, file: &str) {
    let Some(rule) = j.policy.policy_change.clone() else {
        j.push(
            subject,
            Some(file),
            Rule::PolicyFromBase,
            Outcome::Fail,
            format!("this PR {what}, and the base policy has no `policy_change` rule, so no review can approve it"),
            Some("add `policy_change: {approvals: 2, from: cab}` to the base policy in its own reviewed PR first".into()),
        );
        return;
    };
    let t = j.tally(rule.from, &[]);
    let need = rule.approvals as usize;
    let (outcome, message, fix) = match t.standing(need) {
        Standing::Blocked(who) => (
            Outcome::Fail,
            format!("changes requested by {who} on this PR, which {what}"),
            Some("address the requested changes and ask them to approve".to_string()),
        ),
        Standing::MaybeBlocked(who) => (
            Outcome::Undecided,
            format!("changes requested on this PR (which {what}) by {who}, whose membership could not be resolved (run with --github to resolve teams)"),
            Some("resolve the teams with --github, or have the reviewer approve or dismiss the review".to_string()),
        ),
        Standing::Enough => (
            Outcome::Pass,
            format!(
                "this PR {what}; approved by {} ({} of {need} `policy_change` approval(s) needed, {}); judged by the base policy",
                t.group.join(", "),
                t.group.len(),
                group_name(rule.from)
            ),
            None,
        ),
        Standing::Short(maybe) => (
            if maybe { Outcome::Undecided } else { Outcome::Fail },
            format!(
                "this PR {what}: it needs {need} `policy_change` approval(s) from {}, {}",
                group_name(rule.from),
                t.shortfall()
            ),
            Some(format!(
                "ask {} more member(s) of {} to approve the latest commit (or undo the edit); the PR is judged by the base policy and catalog, so loosening them here has no effect",
                need.saturating_sub(t.group.len()),
                group_name(rule.from)
            )),
        ),
    };
    j.push(subject, Some(file), Rule::PolicyFromBase, outcome, message, fix);
}

/// A service whose governance the PR changes (see [`catalog_governance_changes`]).
#[derive(Debug)]
struct Governance {
    /// The service id as written.
    id: String,
    /// What changed, e.g. "`paths` removed: deploy/web/**".
    details: Vec<String>,
    /// The files holding the service at the merge base and at head.
    files: Vec<String>,
}

/// Services whose governance fields differ between the merge base and head,
/// compared as parsed data (comments, layout, key order, `paths` order and
/// login case never matter): `paths`, `owner` and `sla` edited, a service
/// deleted (or its kind, id or `apiVersion` changed), or a service added with
/// `paths`. `name`, `description`, `extra` and the other fields are free.
fn catalog_governance_changes(files: &[(FileChange, Option<Parsed>, Option<Parsed>)]) -> Vec<Governance> {
    type Side<'a> = BTreeMap<String, (String, &'a str, &'a Value)>;
    fn services<'a>(files: &'a [(FileChange, Option<Parsed>, Option<Parsed>)], new: bool) -> Side<'a> {
        let mut out = Side::new();
        for (fc, o, n) in files {
            let Some(p) = (if new { n } else { o }) else {
                continue;
            };
            let (Some((kind, id)), Some(json)) = (p.kind_id(), p.json.as_ref()) else {
                continue;
            };
            if kind == Kind::Service.name() {
                out.insert(lc(&id), (id, fc.path.as_str(), json));
            }
        }
        out
    }
    fn paths(j: &Value) -> BTreeSet<String> {
        match j.get("paths") {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(Value::Array(a)) => a.iter().map(json_scalar).collect(),
            Some(other) => BTreeSet::from([json_scalar(other)]),
        }
    }
    fn field(j: &Value, key: &str) -> String {
        j.get(key)
            .filter(|v| !v.is_null())
            .map(json_scalar)
            .unwrap_or_default()
    }
    fn shown(s: &str) -> &str {
        if s.is_empty() {
            "(none)"
        } else {
            s
        }
    }
    fn list(s: &BTreeSet<String>) -> String {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
    let (old, new) = (services(files, false), services(files, true));
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in ids {
        let (id, details, files) = match (old.get(key), new.get(key)) {
            (Some((id, path, _)), None) => (
                id.clone(),
                vec![format!("the service is removed from {path}")],
                vec![path.to_string()],
            ),
            (None, Some((id, path, j))) => {
                let p = paths(j);
                if p.is_empty() {
                    continue;
                }
                (
                    id.clone(),
                    vec![format!("a new service with `paths`: {}", list(&p))],
                    vec![path.to_string()],
                )
            }
            (Some((_, opath, o)), Some((id, npath, n))) => {
                let mut d = Vec::new();
                let (po, pn) = (paths(o), paths(n));
                let removed: BTreeSet<String> = po.difference(&pn).cloned().collect();
                let added: BTreeSet<String> = pn.difference(&po).cloned().collect();
                if !removed.is_empty() {
                    d.push(format!("`paths` removed: {}", list(&removed)));
                }
                if !added.is_empty() {
                    d.push(format!("`paths` added: {}", list(&added)));
                }
                for key in ["owner", "sla"] {
                    let (a, b) = (field(o, key), field(n, key));
                    if lc(&a) != lc(&b) {
                        d.push(format!("`{key}` {} -> {}", shown(&a), shown(&b)));
                    }
                }
                if d.is_empty() {
                    continue;
                }
                (id.clone(), d, dedup([opath.to_string(), npath.to_string()]))
            }
            (None, None) => continue,
        };
        out.push(Governance { id, details, files });
    }
    out
}

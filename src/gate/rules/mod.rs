//! The pure decision: [`decide`] turns an [`Input`] into a [`Verdict`].
//! No git, no network, no clock: everything comes in through `Input`.
//! One module per rule of SPEC §3; they share the parsed state in
//! [`Judge`](super::judge::Judge).

mod approvals;
mod budget;
mod exact_paths;
mod history;
mod paths;
mod policy_change;
mod schedule;
mod validation;

use super::judge::{latest_reviews, parse_file, Judge, Parsed};
use super::*;
use crate::diag::Severity;
use crate::model::{ChangePolicy, Kind, Record, Service, RECORD_FOLDERS};
use crate::repo;
use crate::repo::MapSource;

pub use super::judge::{dedup, without_bookkeeping};

/// The verdict.
pub fn decide(input: &Input) -> Verdict {
    let mut checks = Vec::new();
    let Some(mut j) = judge(input, &mut checks) else {
        return verdict(checks, Vec::new());
    };
    j.checks = checks;
    exact_paths::check(&mut j);
    policy_change::check(&mut j);
    validation::check(&mut j);
    history::check(&mut j);
    approvals::check(&mut j);
    schedule::check(&mut j);
    paths::check(&mut j);
    git_root_files(&mut j);
    verdict(j.checks, j.to_record)
}

/// Every check's `file` relative to the git root (records are read relative
/// to the ITSM root), so annotations land on the PR diff when the ITSM repo
/// is a sub-folder. `--record` keeps its ITSM-relative paths.
fn git_root_files(j: &mut Judge<'_>) {
    let prefix = &j.input.itsm_prefix;
    if prefix.is_empty() {
        return;
    }
    let itsm: std::collections::HashSet<&str> = j.files.iter().map(|(fc, _, _)| fc.path.as_str()).collect();
    for c in &mut j.checks {
        if let Some(f) = &c.file {
            let mapped: Vec<String> = f
                .split(", ")
                .map(|p| {
                    if itsm.contains(p) {
                        format!("{prefix}/{p}")
                    } else {
                        p.to_string()
                    }
                })
                .collect();
            c.file = Some(mapped.join(", "));
        }
    }
}

fn verdict(checks: Vec<Check>, to_record: Vec<Backed>) -> Verdict {
    let decision = if checks.iter().any(|c| c.outcome == CheckOutcome::Undecided) {
        Decision::Undecided
    } else if checks.iter().any(|c| c.outcome == CheckOutcome::Fail) {
        Decision::Denied
    } else {
        Decision::Allowed
    };
    Verdict {
        decision,
        checks,
        to_record,
    }
}

pub(super) fn load_files(files: &Files) -> repo::Snapshot {
    let mut src = MapSource::new();
    for (p, b) in files {
        src.add(p, b);
    }
    repo::load(&src).unwrap_or_default()
}

fn undecided(checks: &mut Vec<Check>, subject: &str, file: Option<&str>, message: String, fix: &str) {
    checks.push(Check {
        subject: subject.to_string(),
        file: file.map(str::to_string),
        rule: Rule::FailClosed,
        outcome: CheckOutcome::Undecided,
        message,
        fix: Some(fix.to_string()),
    });
}

/// Rule 0/1: reads the base policy and catalog (failing closed when they
/// cannot be read) and parses everything the rules share.
fn judge<'a>(input: &'a Input, checks: &mut Vec<Check>) -> Option<Judge<'a>> {
    let base = load_files(&input.base_context);
    let broken = |folder: &str| {
        base.findings
            .iter()
            .find(|f| f.severity == Severity::Error && crate::model::in_folder(&f.file, folder))
    };
    if let Some(f) = broken(Kind::ChangePolicy.folder()) {
        undecided(
            checks,
            "policy",
            Some(&f.file),
            format!(
                "the base policy cannot be read ({} at {}:{}: {})",
                f.code.as_str(),
                f.pos.line,
                f.pos.column,
                f.message
            ),
            "fix the policy on the base branch first; the gate never judges by a policy it cannot read",
        );
        return None;
    }
    let policies: Vec<(&str, &ChangePolicy)> = base
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::ChangePolicy(p) => Some((l.path.as_str(), p)),
            _ => None,
        })
        .collect();
    let policy = match policies.as_slice() {
        [(_, one)] => (*one).clone(),
        [] => {
            undecided(
                checks,
                "policy",
                None,
                "the base revision has no ChangePolicy".into(),
                "add policies/default.yaml to the base branch (`gitsm init` writes one)",
            );
            return None;
        }
        many => {
            let paths: Vec<&str> = many.iter().map(|(p, _)| *p).collect();
            undecided(
                checks,
                "policy",
                None,
                format!(
                    "the base revision has {} ChangePolicy records: {}",
                    many.len(),
                    paths.join(", ")
                ),
                "keep exactly one ChangePolicy on the base branch",
            );
            return None;
        }
    };
    // A service record that does not load at base would drop out of the
    // catalog, and rule 6 would never see its `paths`. Same for a template's.
    if let Some(f) = broken(Kind::Service.folder()) {
        undecided(
            checks,
            "catalog",
            Some(&f.file),
            format!(
                "the base catalog cannot be read: {}: {} ({} at {}:{})",
                f.file,
                f.message,
                f.code.as_str(),
                f.pos.line,
                f.pos.column
            ),
            "fix the service record on the base branch first; the gate never judges by a catalog it cannot read",
        );
        return None;
    }
    let services: HashMap<String, Service> = base
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some((s.id.to_string(), s.clone())),
            _ => None,
        })
        .collect();
    let files: Vec<(FileChange, Option<Parsed>, Option<Parsed>)> = input
        .diff
        .iter()
        .map(|fc| {
            (
                fc.clone(),
                fc.old.as_deref().map(|b| parse_file(&fc.path, b)),
                fc.new.as_deref().map(|b| parse_file(&fc.path, b)),
            )
        })
        .collect();
    let mut j = Judge {
        input,
        policy,
        services,
        base,
        files,
        latest: latest_reviews(&input.reviews),
        fresh: HashMap::new(),
        stale: HashMap::new(),
        checks: Vec::new(),
        to_record: Vec::new(),
    };
    j.compute_freshness();
    Some(j)
}

/// `Change: CHG-0042` lines of the PR body.
pub fn referenced_changes(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once(':')?;
            if !k.trim().eq_ignore_ascii_case("change") {
                return None;
            }
            let v = v.trim();
            crate::model::Id::is_valid(v).then(|| v.to_string())
        })
        .collect()
}

/// Folders holding records (for adapters deciding what a path is).
pub fn is_record_path(path: &str) -> bool {
    path == repo::CONFIG_FILE
        || path
            .split_once('/')
            .is_some_and(|(first, _)| RECORD_FOLDERS.contains(&first))
}

/// `@org/team` entries the base policy and catalog name (CAB groups and
/// service owners): the teams an adapter should resolve.
pub fn team_entries(input: &Input) -> Vec<String> {
    let base = load_files(&input.base_context);
    let mut v: Vec<String> = Vec::new();
    for l in &base.records {
        match &l.record {
            Record::ChangePolicy(p) => v.extend(p.cab.iter().chain(p.ecab.iter()).cloned()),
            Record::Service(s) => v.push(s.owner.clone()),
            _ => {}
        }
    }
    v.retain(|e| e.starts_with('@') && e.contains('/'));
    dedup(v)
}

/// Whether a record's kind is one the gate treats as a ticket.
pub(super) fn is_ticket_kind(kind: &str) -> bool {
    Kind::from_name(kind).is_some_and(|k| k.is_ticket())
}

#[cfg(test)]
mod tests;

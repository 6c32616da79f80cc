//! `gitsm validate`: the schema layer (in [`crate::repo::load`]) plus the
//! repo's own rules (SPEC §2), gathered into one list of findings.
//!
//! The rules run in two steps, so a large repo never has to be held in memory
//! whole:
//! - [`record::check_record`] checks one record on its own (timeline, change plan, calendar
//!   hours, globs, …) and distils what the other step needs into [`Facts`];
//!   it runs on the loader's worker threads.
//! - [`repo_wide::check_repo`] checks what spans records (unique ids, references, the
//!   priority matrix, the policy's approvals, dependency cycles) from the
//!   facts plus the few context records (config, services, policies).
//!
//! [`validate`] keeps every record for callers that go on to use them;
//! [`validate_summary`] keeps only facts and context records, for the
//! `validate` command on repos of 100k tickets.

use crate::diag::{sort_findings, Code, Finding, Pos};
use crate::model::*;
use crate::repo::{self, Loaded, Snapshot, Source};
use crate::workflow;
use rayon::prelude::*;

mod record;
mod repo_wide;

use record::check_record;
use std::collections::{HashMap, HashSet};

/// The outcome of validating a repo.
#[derive(Debug)]
pub struct Validation {
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        has_errors(&self.findings)
    }
}

/// The outcome of [`validate_summary`]: findings and counts, no records.
#[derive(Debug)]
pub struct ValidationSummary {
    pub findings: Vec<Finding>,
    /// Records that passed the schema layer.
    pub records: usize,
    /// YAML files considered.
    pub files: usize,
}

impl ValidationSummary {
    pub fn has_errors(&self) -> bool {
        has_errors(&self.findings)
    }
}

fn has_errors(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.severity == crate::diag::Severity::Error)
}

/// A rule finding whose position is resolved later from a JSON pointer, so
/// the loader need not keep every YAML tree in memory.
pub(super) struct Pending {
    pub(super) finding: Finding,
    pub(super) pointer: String,
    pub(super) key: bool,
}

/// The findings of the repo's rules, gathered as they are found; each is
/// [`Pending`] its position.
#[derive(Default)]
pub(super) struct Findings {
    pub(super) pending: Vec<Pending>,
}

impl Findings {
    pub(super) fn at(
        &mut self,
        code: Code,
        file: &str,
        pointer: impl Into<String>,
        msg: impl Into<String>,
    ) -> &mut Finding {
        self.push(code, file, pointer, false, msg)
    }

    pub(super) fn push(
        &mut self,
        code: Code,
        file: &str,
        pointer: impl Into<String>,
        key: bool,
        msg: impl Into<String>,
    ) -> &mut Finding {
        self.pending.push(Pending {
            finding: Finding::new(code, file, Pos::START, msg),
            pointer: pointer.into(),
            key,
        });
        &mut self.pending.last_mut().expect("just pushed").finding
    }
}

/// What a reference must point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Service,
    Sla,
    /// A Calendar record or the built-in `24x7`.
    Calendar,
    Problem,
    Incident,
    /// The change that caused an incident (`caused_by`): E0901.
    CausingChange,
    /// Any record (`related`).
    Any,
    ConfigItem,
    Release,
    Change,
}

/// One id a record names, checked once every id is known. The pointer is
/// kept as field + index and spelt out only for a finding.
#[derive(Debug)]
pub(super) struct Ref {
    pub(super) field: &'static str,
    pub(super) index: Option<u32>,
    pub(super) to: Target,
    pub(super) id: Id,
}

impl Ref {
    pub(super) fn pointer(&self) -> String {
        match self.index {
            Some(i) => format!("/{}/{i}", self.field),
            None => format!("/{}", self.field),
        }
    }
}

/// What the cross-record rules need of one record, a few dozen bytes
/// instead of the whole record.
#[derive(Debug)]
pub(super) struct Facts {
    pub(super) path: String,
    pub(super) kind: Kind,
    pub(super) id: Id,
    /// Exactly as long as it is: a record names two or three ids, and
    /// the room a growing vector leaves was 30 MB at 143k records.
    pub(super) refs: Box<[Ref]>,
    pub(super) detail: Detail,
}

#[derive(Debug)]
pub(super) enum Detail {
    None,
    Incident {
        impact: Level,
        urgency: Level,
        priority: Option<Priority>,
        overridden: bool,
    },
    Change {
        change_type: ChangeType,
        risk: Risk,
        status: ChangeStatus,
        /// The last timeline status other than `on_hold` is approved or later.
        approved: bool,
        distinct_approvals: u32,
        no_approvals: bool,
        /// An emergency change with no `review`: when it completed.
        unreviewed_since: Option<jiff::Timestamp>,
    },
    /// A request made from a RequestType: checked against its form.
    Request(Box<crate::forms::RequestFacts>),
}

/// Loads and validates every record of a source, keeping the records.
pub fn validate(source: &dyn Source) -> anyhow::Result<Validation> {
    validate_with_known(source, &HashSet::new())
}

/// Validates the records a source offers, counting `known` ids as existing
/// for references. The gate uses it to validate only the records a pull
/// request touches (plus the small catalog, SLAs, calendars and policy).
pub fn validate_with_known(
    source: &dyn Source,
    known: &HashSet<(Kind, String)>,
) -> anyhow::Result<Validation> {
    let snapshot = repo::load(source)?;
    let (facts, per_record): (Vec<Facts>, Vec<Vec<Pending>>) =
        snapshot.records.par_iter().map(check_record).unzip();
    let context: Vec<&Loaded> = snapshot
        .records
        .iter()
        .filter(|l| is_context(l.record.kind()))
        .collect();
    let pending = per_record.into_iter().flatten().collect();
    let findings = finish(
        source,
        snapshot.findings.clone(),
        pending,
        &facts,
        &context,
        known,
        None,
    );
    Ok(Validation { snapshot, findings })
}

/// Validates every record of a source like [`validate`], but keeps only the
/// context records and each ticket's [`Facts`]: the per-record rules run as
/// each file is loaded, on all cores, and memory stays a small fraction of
/// the repo's records.
pub fn validate_summary(source: &dyn Source) -> anyhow::Result<ValidationSummary> {
    validate_summary_at(source, None)
}

/// [`validate_summary`] as of `now`: adds the findings that depend on the
/// time (an emergency change's overdue post-implementation review).
pub fn validate_summary_at(
    source: &dyn Source,
    now: Option<jiff::Timestamp>,
) -> anyhow::Result<ValidationSummary> {
    let (items, loader_findings, files) = repo::load_map(source, |l| {
        let (facts, pending) = check_record(&l);
        let keep = is_context(l.record.kind()).then(|| Box::new(l));
        (facts, pending, keep)
    })?;
    let records = items.len();
    let mut facts = Vec::with_capacity(records);
    let mut pending = Vec::new();
    let mut kept = Vec::new();
    for (f, p, k) in items {
        facts.push(f);
        pending.extend(p);
        kept.extend(k);
    }
    let context: Vec<&Loaded> = kept.iter().map(|b| &**b).collect();
    let findings = finish(
        source,
        loader_findings,
        pending,
        &facts,
        &context,
        &HashSet::new(),
        now,
    );
    Ok(ValidationSummary {
        findings,
        records,
        files,
    })
}

/// The outcome of [`validate_screened`].
#[derive(Debug)]
pub struct Screened {
    /// The records that passed the screen, whole, and every finding on them.
    pub validation: Validation,
    /// Files with a loader error that gave no record.
    pub unread: HashSet<String>,
    /// Files the screen skipped: neither parsed nor validated.
    pub skipped: usize,
}

/// Decides, from a file's path and glance (a plain read of its text, see
/// [`crate::glance`]), that a ticket cannot matter to a figures command:
/// its kind and id (see [`validate_screened`]).
pub type Skip<'a> = &'a (dyn Fn(&str, &crate::glance::Glance) -> Option<(Kind, String)> + Sync);

/// Validates and keeps the records a figures command may need. `skip` sees
/// each file's path and text before it is parsed and returns the kind and
/// id of a ticket that cannot matter to the command; such a file is not
/// parsed, and its id counts as existing for the other records' references
/// (so a screened-out problem is no "unknown problem"). Every other record
/// is validated as [`validate`] does (whole) and kept as `trim` returns it:
/// a command may drop the fields it never reads, or cut the record to a
/// moment (`None`: the record did not exist yet, and is not kept).
pub fn validate_screened(
    source: &dyn Source,
    skip: Option<Skip<'_>>,
    events: crate::model::EventDetails,
    trim: &(dyn Fn(Loaded) -> Option<Loaded> + Sync),
) -> anyhow::Result<Screened> {
    let skipped = std::sync::Mutex::new(HashSet::new());
    let screen = |path: &str, glance: &crate::glance::Glance| match skip.and_then(|s| s(path, glance)) {
        Some(k) => {
            skipped.lock().unwrap_or_else(|e| e.into_inner()).insert(k);
            true
        }
        None => false,
    };
    let (records, checked, loader_findings, files) = repo::load_split_screened(
        source,
        skip.is_some().then_some(&screen as repo::Screen<'_>),
        events,
        |l| {
            let checked = check_record(&l);
            (trim(l), checked)
        },
    )?;
    let known = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut pending = Vec::new();
    // Collected in place: the facts are moved down within `checked`'s own
    // memory (14 MB at 143k records), not into a new vector.
    let facts: Vec<Facts> = checked
        .into_iter()
        .map(|(f, p)| {
            pending.extend(p);
            f
        })
        .collect();
    let failed: HashSet<&str> = loader_findings
        .iter()
        .filter(|f| f.severity == crate::diag::Severity::Error)
        .map(|f| f.file.as_str())
        .collect();
    let loaded: HashSet<&str> = facts
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| failed.contains(p))
        .collect();
    let unread = failed.difference(&loaded).map(|p| p.to_string()).collect();
    let context: Vec<&Loaded> = records.iter().filter(|l| is_context(l.record.kind())).collect();
    let findings = finish(
        source,
        loader_findings.clone(),
        pending,
        &facts,
        &context,
        &known,
        None,
    );
    Ok(Screened {
        validation: Validation {
            snapshot: Snapshot {
                records,
                findings: loader_findings,
                files,
            },
            findings,
        },
        unread,
        skipped: known.len(),
    })
}

/// Records the cross-record rules read whole: config, catalog, calendars,
/// SLAs and policies (few, small); tickets are known by their [`Facts`].
fn is_context(kind: Kind) -> bool {
    !kind.is_ticket()
}

/// The common end of both validations: the cross-record rules, positions for
/// every rule finding, and one sorted list with the loader's findings.
fn finish(
    source: &dyn Source,
    mut findings: Vec<Finding>,
    mut pending: Vec<Pending>,
    facts: &[Facts],
    context: &[&Loaded],
    known: &HashSet<(Kind, String)>,
    now: Option<jiff::Timestamp>,
) -> Vec<Finding> {
    pending.extend(repo_wide::check_repo(facts, context, &findings, known, now));
    findings.extend(resolve_positions(source, pending));
    sort_findings(&mut findings);
    findings
}

/// Places rule findings on their YAML nodes by re-reading only the files
/// that have findings.
fn resolve_positions(source: &dyn Source, pending: Vec<Pending>) -> Vec<Finding> {
    let mut by_file: HashMap<String, Vec<Pending>> = HashMap::new();
    for p in pending {
        by_file.entry(p.finding.file.clone()).or_default().push(p);
    }
    let mut out = Vec::new();
    for (file, list) in by_file {
        let node = source
            .read(&file)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| crate::yaml::parse(&t).ok().flatten());
        for mut p in list {
            if let Some(n) = &node {
                p.finding.pos = n.locate(&p.pointer, p.key);
            }
            out.push(p.finding);
        }
    }
    out
}

pub(super) fn push_pointed(found: &mut Findings, p: crate::cmdb::Pointed) {
    found.at(p.code, &p.file, p.pointer, p.message).hint = p.hint;
}

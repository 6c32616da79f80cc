//! The DORA four keys (SPEC §4) for a report period, from the ITSM records
//! and, when the repo is in git, the base branch's history.
//!
//! - **Deployment frequency**: changes whose `completed` event lies in the
//!   period, plus merges in the period that touch a service's `paths` and
//!   that no change covers (a merge is covered when it edits a change
//!   record, names a change id in its message or in one of its commits', or lands inside the window of
//!   an approved-or-later change of that service) — a merge covered by a
//!   change is that change's deployment, never counted twice.
//! - **Lead time for changes**: for each change completed in the period
//!   with a covering merge, from the first commit of the merged branch (the
//!   earliest author time among the commits the merge brought in) to the
//!   change's `completed` event; median and p90.
//! - **Change failure rate**: completed changes of the period named by an
//!   incident's `caused_by`, or with outcome `failed|rolled_back`, ÷ the
//!   changes completed in the period.
//! - **Failed-deployment recovery time**: for the incidents caused by those
//!   changes, the time from `reported_at` to (first) resolution; open ones
//!   count up to `now`. Median and p90.
//!
//! Bands follow the DORA *State of DevOps* 2023 thresholds (docs/metrics.md).
//! [`read_merges`] is the git adapter; [`compute`] is pure.

use crate::availability::as_of;
use crate::globs;
use crate::model::{Change, ChangeStatus, Id, Incident, IncidentStatus, Outcome, Record};
use crate::repo::Loaded;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// One unit of the base branch's first-parent history: a merge (its second
/// parent's commits are the merged branch) or a commit pushed directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merge {
    pub sha: String,
    /// Committer time of the merge commit: when it reached the branch.
    pub at: Timestamp,
    /// Earliest author time among the commits it brought in.
    pub first_commit_at: Timestamp,
    /// Paths it changed against the first parent, git-root relative.
    pub paths: Vec<String>,
    /// Its message and those of the commits it brought in (a change id
    /// named in any of them links the merge to that change).
    pub message: String,
}

/// DORA performance band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentFrequency {
    pub deployments: usize,
    /// Changes completed in the period.
    pub from_changes: usize,
    /// Merges touching a service's `paths` that no change covers.
    pub from_merges_without_change: usize,
    /// Their shas, so a reader can see which.
    pub uncovered_merges: Vec<String>,
    pub days: f64,
    pub per_day: f64,
    pub per_week: f64,
    pub band: Option<Band>,
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Durations {
    pub count: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub band: Option<Band>,
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailureRate {
    pub completed: usize,
    pub failed: usize,
    /// `failed ÷ completed`, 0..1; `None` with nothing completed.
    pub rate: Option<f64>,
    pub failed_changes: Vec<Id>,
    pub band: Option<Band>,
    pub how: String,
}

/// The four keys.
#[derive(Debug, Clone, Serialize)]
pub struct Dora {
    pub deployment_frequency: DeploymentFrequency,
    pub lead_time: Durations,
    pub change_failure_rate: FailureRate,
    pub recovery_time: Durations,
    /// Whether git history was read (without it lead time has no data and
    /// only change records count as deployments).
    pub git: bool,
}

/// What [`read_merges`] found in git.
#[derive(Debug, Clone, Default)]
pub struct GitHistory {
    pub merges: Vec<Merge>,
    /// The ITSM root inside the git repo (`""` or `ops/itsm`).
    pub itsm_prefix: String,
}

/// Inputs of [`compute`].
pub struct Options<'a> {
    pub from: Timestamp,
    pub to: Timestamp,
    pub now: Timestamp,
    /// `None`: the repo is not in git (or it was not read).
    pub git: Option<&'a GitHistory>,
    /// Only this service (`--service`): its changes, and merges touching its
    /// `paths`. A merge covered by any change is still covered.
    pub service: Option<&'a str>,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn median(sorted: &[i64]) -> Option<i64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(((sorted[n / 2 - 1] as i128 + sorted[n / 2] as i128) / 2) as i64),
    }
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
const MONTH: i64 = 30 * DAY;

fn durations(mut v: Vec<i64>, band: fn(i64) -> Band, how: &str) -> Durations {
    v.sort_unstable();
    let med = median(&v);
    Durations {
        count: v.len(),
        median_seconds: med,
        p90_seconds: percentile(&v, 0.9),
        band: med.map(band),
        how: how.to_string(),
    }
}

fn lead_band(s: i64) -> Band {
    match s {
        s if s < DAY => Band::Elite,
        s if s < WEEK => Band::High,
        s if s < MONTH => Band::Medium,
        _ => Band::Low,
    }
}

fn recovery_band(s: i64) -> Band {
    match s {
        s if s < HOUR => Band::Elite,
        s if s < DAY => Band::High,
        s if s < WEEK => Band::Medium,
        _ => Band::Low,
    }
}

fn frequency_band(per_day: f64) -> Band {
    match per_day {
        x if x >= 1.0 => Band::Elite,
        x if x >= 1.0 / 7.0 => Band::High,
        x if x >= 1.0 / 30.0 => Band::Medium,
        _ => Band::Low,
    }
}

fn failure_band(rate: f64) -> Band {
    match rate {
        r if r <= 0.05 => Band::Elite,
        r if r <= 0.10 => Band::High,
        r if r <= 0.15 => Band::Medium,
        _ => Band::Low,
    }
}

fn completed_at(c: &crate::model::Change, now: Timestamp) -> Option<Timestamp> {
    as_of(&c.timeline, now)
        .iter()
        .find(|e| e.status == Some(ChangeStatus::Completed))
        .map(|e| e.at.as_jiff())
}

/// What the four keys read of the records: changes by path and id,
/// services' `paths`, incidents by the change that caused them.
struct Index<'r> {
    changes: Vec<&'r Change>,
    by_path: HashMap<String, &'r Id>,
    services: Vec<(&'r Id, globset::GlobSet)>,
    caused: HashMap<&'r str, Vec<&'r Incident>>,
}

impl<'r> Index<'r> {
    fn of(records: &'r [Loaded], prefix: &str) -> Index<'r> {
        let mut ix = Index {
            changes: Vec::new(),
            by_path: HashMap::new(),
            services: Vec::new(),
            caused: HashMap::new(),
        };
        for l in records {
            match &l.record {
                Record::Change(c) => {
                    ix.changes.push(c);
                    ix.by_path.insert(format!("{prefix}{}", l.path), &c.id);
                }
                Record::Service(s) if !s.paths.is_empty() => {
                    if let Ok(set) = globs::compile(&s.paths) {
                        ix.services.push((&s.id, set));
                    }
                }
                Record::Incident(i) => {
                    if let Some(c) = &i.caused_by {
                        ix.caused.entry(c.as_str()).or_default().push(i);
                    }
                }
                _ => {}
            }
        }
        ix
    }

    /// The changes each merge belongs to: whose record it edits, whose id
    /// its message names, or in whose approved window it lands on a service
    /// whose `paths` it touches.
    fn link(&self, merges: &[Merge]) -> Vec<BTreeSet<&'r Id>> {
        let by_id: HashMap<&str, &Id> = self.changes.iter().map(|c| (c.id.as_str(), &c.id)).collect();
        let mut windows: HashMap<&str, Vec<&Change>> = HashMap::new();
        for c in &self.changes {
            if c.window.is_some() {
                for s in &c.services {
                    windows.entry(s.as_str()).or_default().push(c);
                }
            }
        }
        let mut out = Vec::with_capacity(merges.len());
        for m in merges {
            let mut set = BTreeSet::new();
            for p in &m.paths {
                if let Some(id) = self.by_path.get(p) {
                    set.insert(*id);
                }
            }
            for word in m
                .message
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            {
                if let Some(id) = by_id.get(word) {
                    set.insert(*id);
                }
            }
            for (svc, g) in &self.services {
                if !m.paths.iter().any(|p| g.is_match(p.as_str())) {
                    continue;
                }
                for c in windows.get(svc.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                    let Some(w) = &c.window else { continue };
                    let approved = crate::availability::status_as_of(&c.timeline, m.at)
                        .is_some_and(|s| s.is_approved_or_later() || s == ChangeStatus::Completed);
                    if approved && w.start.as_jiff() <= m.at && m.at <= w.end.as_jiff() {
                        set.insert(&c.id);
                    }
                }
            }
            out.push(set);
        }
        out
    }
}

/// Computes the four keys for `[from, to)` as of `now`.
pub fn compute(records: &[Loaded], opts: &Options<'_>) -> Dora {
    compute_periods(records, &[(opts.from, opts.to)], opts)
        .pop()
        .expect("one period in, one out")
}

/// [`compute`] for each of `periods` (`opts.from`/`opts.to` are not read):
/// the index of changes, services' paths and merges is built once for all
/// of them (the report's trends ask for twelve).
pub fn compute_periods(
    records: &[Loaded],
    periods: &[(Timestamp, Timestamp)],
    opts: &Options<'_>,
) -> Vec<Dora> {
    let prefix = match opts.git {
        Some(g) if !g.itsm_prefix.is_empty() => format!("{}/", g.itsm_prefix),
        _ => String::new(),
    };
    let ix = Index::of(records, &prefix);
    let merges: &[Merge] = opts.git.map(|g| g.merges.as_slice()).unwrap_or(&[]);
    let merge_changes = ix.link(merges);
    periods
        .iter()
        .map(|&(from, to)| {
            in_period(
                &ix,
                merges,
                &merge_changes,
                &Options {
                    from,
                    to,
                    now: opts.now,
                    git: opts.git,
                    service: opts.service,
                },
            )
        })
        .collect()
}

/// The four keys of one period from the built index.
fn in_period(ix: &Index<'_>, merges: &[Merge], merge_changes: &[BTreeSet<&Id>], opts: &Options<'_>) -> Dora {
    let now = opts.now;
    let end = opts.to.min(now).max(opts.from);
    let in_period = |t: Timestamp| opts.from <= t && t < end;

    // Deployments: the service's changes completed in the period, and its
    // merges in the period no change covers.
    let wanted = |s: &str| opts.service.is_none_or(|w| w == s);
    let completed: Vec<(&Change, Timestamp)> = ix
        .changes
        .iter()
        .filter(|c| c.services.iter().any(|s| wanted(s.as_str())))
        .filter_map(|c| completed_at(c, now).filter(|t| in_period(*t)).map(|t| (*c, t)))
        .collect();
    let uncovered: Vec<String> = merges
        .iter()
        .zip(merge_changes)
        .filter(|(m, linked)| in_period(m.at) && linked.is_empty())
        .filter(|(m, _)| {
            ix.services
                .iter()
                .filter(|(id, _)| wanted(id.as_str()))
                .any(|(_, g)| m.paths.iter().any(|p| g.is_match(p.as_str())))
        })
        .map(|(m, _)| m.sha.clone())
        .collect();
    let days = (end.as_second() - opts.from.as_second()) as f64 / DAY as f64;
    let (change_failure_rate, recovery_time) = failures(&completed, &ix.caused, now);
    Dora {
        deployment_frequency: frequency(completed.len(), uncovered, days, opts.git.is_some()),
        lead_time: lead_time(&completed, merges, merge_changes),
        change_failure_rate,
        recovery_time,
        git: opts.git.is_some(),
    }
}

fn frequency(from_changes: usize, uncovered: Vec<String>, days: f64, git: bool) -> DeploymentFrequency {
    let deployments = from_changes + uncovered.len();
    let per_day = if days > 0.0 {
        deployments as f64 / days
    } else {
        0.0
    };
    DeploymentFrequency {
        deployments,
        from_changes,
        from_merges_without_change: uncovered.len(),
        uncovered_merges: uncovered,
        days,
        per_day,
        per_week: per_day * 7.0,
        band: (days > 0.0).then(|| frequency_band(per_day)),
        how: if git {
            "changes reaching `completed` in the period, plus merges to the branch touching a service's `paths` that no change covers".into()
        } else {
            "changes reaching `completed` in the period (no git history: merges without a change are not counted)".into()
        },
    }
}

/// First commit of the earliest merge covering each completed change (and
/// not after its completion) → its completion.
fn lead_time(
    completed: &[(&Change, Timestamp)],
    merges: &[Merge],
    merge_changes: &[BTreeSet<&Id>],
) -> Durations {
    let mut linked_merges: HashMap<&Id, Vec<&Merge>> = HashMap::new();
    for (m, linked) in merges.iter().zip(merge_changes) {
        for id in linked {
            linked_merges.entry(*id).or_default().push(m);
        }
    }
    let mut leads = Vec::new();
    for (c, done) in completed {
        let first = linked_merges
            .get(&c.id)
            .into_iter()
            .flatten()
            .filter(|m| m.at <= *done)
            .map(|m| m.first_commit_at)
            .min();
        if let Some(f) = first {
            leads.push((done.as_second() - f.as_second()).max(0));
        }
    }
    durations(
        leads,
        lead_band,
        "first commit of the merged branch → the change's `completed` event, for changes completed in the period that a merge covers",
    )
}

/// Change failure rate, and the recovery times of the incidents the
/// failed changes caused.
fn failures(
    completed: &[(&Change, Timestamp)],
    caused: &HashMap<&str, Vec<&Incident>>,
    now: Timestamp,
) -> (FailureRate, Durations) {
    let mut failed_changes = Vec::new();
    let mut recoveries = Vec::new();
    for (c, _) in completed {
        let incidents = caused.get(c.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let bad_outcome = matches!(c.outcome, Some(Outcome::Failed | Outcome::RolledBack));
        if bad_outcome || !incidents.is_empty() {
            failed_changes.push(c.id.clone());
        }
        for i in incidents {
            let start = i.reported_at.as_jiff();
            if start > now {
                continue;
            }
            let resolved = as_of(&i.timeline, now)
                .iter()
                .find(|e| matches!(e.status, Some(IncidentStatus::Resolved | IncidentStatus::Closed)))
                .map(|e| e.at.as_jiff())
                .unwrap_or(now);
            recoveries.push((resolved.as_second() - start.as_second()).max(0));
        }
    }
    failed_changes.sort();
    let rate = (!completed.is_empty()).then(|| failed_changes.len() as f64 / completed.len() as f64);
    let rate = FailureRate {
        completed: completed.len(),
        failed: failed_changes.len(),
        rate,
        failed_changes,
        band: rate.map(failure_band),
        how: "changes completed in the period named by an incident's `caused_by` or with outcome failed/rolled_back, ÷ changes completed in the period".into(),
    };
    let recovery = durations(
        recoveries,
        recovery_band,
        "incidents caused by the period's failed changes: `reported_at` → first resolution (open ones up to now)",
    );
    (rate, recovery)
}

/// Reads the first-parent history of `HEAD` of the git repo holding `root`
/// back to `since`: one [`Merge`] per commit on it. `Ok(None)` when `root`
/// is not in a git work tree (or the branch has no commits).
pub fn read_merges(root: &Path, since: Timestamp) -> Result<Option<GitHistory>, git2::Error> {
    let Some((repo, prefix)) = crate::repo::git::discover(root) else {
        return Ok(None);
    };
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return Ok(None);
    };
    let time = |t: git2::Time| Timestamp::from_second(t.seconds()).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut out = Vec::new();
    let mut cur = Some(head);
    while let Some(c) = cur {
        let at = time(c.committer().when());
        if at < since {
            break;
        }
        let parent = c.parents().next();
        let old_tree = parent.as_ref().map(|p| p.tree()).transpose()?;
        let diff = repo.diff_tree_to_tree(old_tree.as_ref(), Some(&c.tree()?), None)?;
        let mut paths = Vec::new();
        for d in diff.deltas() {
            for f in [d.old_file(), d.new_file()] {
                if let Some(p) = f.path().and_then(|p| p.to_str()) {
                    if !paths.iter().any(|x: &String| x == p) {
                        paths.push(p.to_string());
                    }
                }
            }
        }
        let mut first = time(c.author().when());
        let mut message = c.message().unwrap_or_default().to_string();
        if c.parent_count() >= 2 {
            let mut walk = repo.revwalk()?;
            walk.push(c.parent_id(1)?)?;
            if let Some(p) = &parent {
                walk.hide(p.id())?;
            }
            for oid in walk {
                let pc = repo.find_commit(oid?)?;
                first = first.min(time(pc.author().when()));
                message.push('\n');
                message.push_str(pc.message().unwrap_or_default());
            }
        }
        out.push(Merge {
            sha: c.id().to_string(),
            at,
            first_commit_at: first,
            paths,
            message,
        });
        cur = parent;
    }
    Ok(Some(GitHistory {
        merges: out,
        itsm_prefix: prefix,
    }))
}

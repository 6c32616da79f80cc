//! What the figures commands (`report`, `sla`, `status-page`) load from a
//! repo of a million records: only the tickets that can matter to them.
//!
//! Before a ticket file is parsed, a quick scan of its text ([`scan`])
//! finds its kind, top-level `status`/`type`/`maintenance`, and the earliest
//! and latest instant written anywhere in it. A command's [`Need`] then
//! decides whether the ticket can matter: a report for October needs no
//! incident closed in March, `gitsm sla` no closed ticket, the status page
//! no service request. Skipped files are neither parsed nor validated (their
//! ids still count for references); everything else goes through the loader
//! and validation as before and is kept whole, so the figures are exactly
//! those of a full load.
//!
//! The scan only ever says "skip" when it is sure: any file it cannot read
//! plainly (a flow-style or quoted top-level key, a backslash escape that
//! could hide a digit, a timestamp it cannot parse, no timestamp at all) is
//! loaded. Extra instants (in a note, a comment) can only make a ticket look
//! relevant, never hide it.

mod status_screen;
pub use crate::glance::{named_services, scan, Scan};
pub use status_screen::load_status_page;

use crate::model::{Kind, Record};
use crate::repo::Loaded;
use crate::validate::{self, Screened};
use jiff::Timestamp;

/// What a figures command needs of the repo's tickets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// Everything (no screening).
    All,
    /// A report reading `[from, to)` (its period widened by what its trends
    /// and error budget look back on, see `crate::report::needed_span`):
    /// incidents and requests with an instant in that span, incidents still
    /// open at the end of their file, incidents naming a `caused_by` (DORA
    /// counts them whenever they were reported), every change (a merge is
    /// covered by any change it names or touches, however old; with the
    /// report's merges known, see [`MergeRefs`], only the changes they can
    /// reach) and every problem.
    Report { from: Timestamp, to: Timestamp },
    /// `gitsm budget`: incidents, changes and requests with an instant in
    /// `[from, to)` (incidents still open at the end of their file too).
    Window { from: Timestamp, to: Timestamp },
    /// `gitsm sla` at `now`: tickets open at `now`, emergency changes.
    Sla { now: Timestamp },
    /// The status page at `now`: incidents, maintenance changes.
    StatusPage,
}

impl Need {
    /// Whether a ticket with this scan can be skipped.
    pub fn can_skip(&self, s: &Scan<'_>) -> bool {
        let final_status = s.status.is_some_and(|st| !crate::workflow::is_open(st));
        match *self {
            Need::All => false,
            Need::Report { from, to } => match s.kind {
                Kind::Problem | Kind::Change => false,
                // Reported after the span, or over before it began.
                Kind::Incident => !s.caused_by && (s.earliest >= to || (s.latest < from && final_status)),
                _ => s.earliest >= to || s.latest < from,
            },
            Need::Window { from, to } => match s.kind {
                Kind::Problem => true,
                Kind::Incident => s.earliest >= to || (s.latest < from && final_status),
                _ => s.earliest >= to || s.latest < from,
            },
            Need::Sla { now } => match s.kind {
                Kind::Incident | Kind::Request => final_status && s.latest <= now,
                Kind::Change => matches!(s.change_type, Some("standard" | "normal")),
                _ => true,
            },
            Need::StatusPage => match s.kind {
                Kind::Incident => false,
                Kind::Change => matches!(s.maintenance, None | Some("false")),
                _ => true,
            },
        }
    }
}

impl Need {
    /// What each kind's events keep for this need: [`Need::trim`] drops the
    /// rest, and a record read from the loader's cache never holds it (a
    /// test holds the two to the same record).
    pub fn event_details(&self) -> crate::model::EventDetails {
        use crate::model::{EventDetail, EventDetails};
        match self {
            Need::All | Need::Sla { .. } => EventDetails::WHOLE,
            Need::StatusPage => EventDetails {
                incidents: EventDetail::PublicNotes,
                ..EventDetails::WHOLE
            },
            Need::Report { .. } | Need::Window { .. } => EventDetails {
                incidents: EventDetail::NoNotes,
                changes: EventDetail::NoNotes,
                requests: EventDetail::NoNotes,
            },
        }
    }

    /// A loaded record with what the command never reads taken out: at a
    /// million records the texts people write (notes, plans, resolutions)
    /// and who wrote them are most of the memory, and on a VM every page
    /// touched costs time too.
    ///
    /// - The status page shows an incident's public notes and status
    ///   history, never who wrote what, internal notes or the resolution.
    /// - The report and `gitsm budget` compute from statuses, times,
    ///   services, impact, outcomes and windows: no note, plan, resolution,
    ///   request field or author is read (the report's rows name a ticket
    ///   by id and title, which are kept).
    ///
    /// `tests/figures.rs` holds every command's output on trimmed records
    /// to the output on whole ones.
    ///
    /// A kind's events keep what [`Need::event_details`] says (the one
    /// place that says it; the cache's decode reads the same), and a kind
    /// whose events are trimmed loses its other texts too.
    pub fn trim(&self, mut l: Loaded) -> Loaded {
        use crate::model::EventDetail;
        let events = self.event_details();
        fn drop_notes<S>(timeline: &mut Vec<crate::model::Event<S>>, detail: EventDetail) {
            let keep_public = match detail {
                EventDetail::Whole => return,
                EventDetail::PublicNotes => true,
                EventDetail::NoNotes => false,
            };
            for e in timeline.iter_mut() {
                e.by = Box::default();
                if !(keep_public && e.public) {
                    e.note = None;
                }
            }
            // The status page reads a timeline for its statuses and public
            // notes only, so an event with neither says nothing to it, as
            // long as the timeline is in time order (reading "as of now"
            // stops at the first later event, which must stay).
            if keep_public && timeline.windows(2).all(|w| w[0].at <= w[1].at) {
                timeline.retain(|e| e.status.is_some() || e.note.is_some());
            }
            timeline.shrink_to_fit();
        }
        match &mut l.record {
            Record::Incident(i) if events.incidents != EventDetail::Whole => {
                // `apiVersion` and `kind` were checked by the loader; the
                // record's type says the rest.
                i.api_version = String::new();
                i.kind = String::new();
                i.reported_by = String::new();
                i.assignee = None;
                i.resolution = None;
                i.priority_override_reason = None;
                i.related = Vec::new();
                i.extra = None;
                drop_notes(&mut i.timeline, events.incidents);
            }
            Record::Change(c) if events.changes != EventDetail::Whole => {
                c.api_version = String::new();
                c.kind = String::new();
                c.description = None;
                c.plan = None;
                c.rollback_plan = None;
                c.test_plan = None;
                c.review = None;
                c.extra = None;
                drop_notes(&mut c.timeline, events.changes);
            }
            Record::Request(r) if events.requests != EventDetail::Whole => {
                r.fields = None;
                r.extra = None;
                drop_notes(&mut r.timeline, events.requests);
            }
            _ => {}
        }
        l
    }
}

/// Loads and validates the records `need` calls for (see the module docs).
pub fn load(source: &dyn crate::repo::Source, need: Need) -> anyhow::Result<Screened> {
    load_with(source, need, None)
}

/// What the merges a report reads can link to (`crate::dora`): a change
/// whose file a merge touches, whose id a merge's message names, or in
/// whose approved window a merge lands. Merges are read from `since` on,
/// so a change whose every instant lies before `since` can only be linked
/// by its file or its id: with these known, a report needs no other old
/// change (at a million records most of the repo's changes).
#[derive(Debug, Clone)]
pub struct MergeRefs {
    since: Timestamp,
    /// Touched files, relative to the ITSM root.
    paths: std::collections::HashSet<String>,
    /// The words of the merges' messages, split as `dora` splits them.
    words: std::collections::HashSet<String>,
}

impl MergeRefs {
    /// The references of `git`'s merges (none when the repo is not in git),
    /// which were read from `since` on.
    pub fn new(since: Timestamp, git: Option<&crate::dora::GitHistory>) -> MergeRefs {
        let mut refs = MergeRefs {
            since,
            paths: Default::default(),
            words: Default::default(),
        };
        let Some(git) = git else { return refs };
        let prefix = match git.itsm_prefix.as_str() {
            "" => String::new(),
            p => format!("{p}/"),
        };
        for m in &git.merges {
            refs.paths.extend(
                m.paths
                    .iter()
                    .filter_map(|p| p.strip_prefix(prefix.as_str()))
                    .map(str::to_string),
            );
            refs.words.extend(
                m.message
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            );
        }
        refs
    }

    /// Whether a change file can be left out of a report reading up to
    /// `to`: all of it lies before the merges (no window can hold one) or
    /// after the report (nothing of it exists in the span; a merge in the
    /// span can only reach it by its id), and no merge touches it or names
    /// it (by its plainly written id, or its file name).
    fn can_skip_change(&self, path: &str, s: &Scan<'_>, to: Timestamp) -> bool {
        let Some(id) = s.id else { return false };
        (s.latest < self.since || s.earliest >= to)
            && !self.paths.contains(path)
            && !self.words.contains(id)
            && !self.words.contains(crate::repo::file_stem(path))
    }
}

/// [`load`] for a report that knows its merges: changes they cannot reach
/// are screened out too (see [`MergeRefs`]).
pub fn load_with(
    source: &dyn crate::repo::Source,
    need: Need,
    merges: Option<&MergeRefs>,
) -> anyhow::Result<Screened> {
    load_screened(source, need, merges, None, None)
}

/// [`load_with`], each kept record cut to how it stood at `now`
/// ([`crate::availability::loaded_as_of`]; tickets created later are not
/// kept) as it is loaded: what every figures command reads anyway, so
/// their own `records_as_of` has nothing left to copy. Validation still
/// sees each record whole.
pub fn load_at(
    source: &dyn crate::repo::Source,
    need: Need,
    merges: Option<&MergeRefs>,
    now: Timestamp,
) -> anyhow::Result<Screened> {
    load_screened(source, need, merges, None, Some(now))
}

/// [`load_with`], and for the status page the incidents only on private
/// services screened out too (see [`load_status_page`]).
fn load_screened(
    source: &dyn crate::repo::Source,
    need: Need,
    merges: Option<&MergeRefs>,
    private: Option<&status_screen::PrivateServices>,
    as_of: Option<Timestamp>,
) -> anyhow::Result<Screened> {
    let trim = |l: Loaded| {
        let l = match as_of {
            Some(now) => crate::availability::loaded_as_of(l, now)?,
            None => l,
        };
        Some(need.trim(l))
    };
    if need == Need::All {
        return validate::validate_screened(source, None, need.event_details(), &trim);
    }
    validate::validate_screened(
        source,
        Some(&|path, glance| {
            let s = glance.scan()?;
            let skip = match (s.kind, merges, need) {
                (Kind::Change, Some(m), Need::Report { to, .. }) => m.can_skip_change(path, &s, to),
                (Kind::Incident, _, Need::StatusPage) => private.is_some_and(|p| p.can_skip_incident(glance)),
                _ => need.can_skip(&s),
            };
            if !skip {
                return None;
            }
            Some((s.kind, crate::repo::file_stem(path).to_string()))
        }),
        need.event_details(),
        &trim,
    )
}

/// The records of a screened load, for the figures functions.
pub fn records(s: &Screened) -> &[Loaded] {
    &s.validation.snapshot.records
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::glance::tests::INC;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
    #[test]
    fn a_report_skips_only_what_cannot_count() {
        let s = scan(INC).unwrap();
        let oct = Need::Report {
            from: ts("2027-10-01T00:00:00Z"),
            to: ts("2027-11-01T00:00:00Z"),
        };
        assert!(oct.can_skip(&s), "closed long before");
        let open = INC.replace("status: closed\nreported", "status: investigating\nreported");
        assert!(
            !oct.can_skip(&scan(&open).unwrap()),
            "open incidents affect availability"
        );
        let feb = Need::Report {
            from: ts("2026-02-01T00:00:00Z"),
            to: ts("2026-03-01T08:00:00Z"),
        };
        assert!(feb.can_skip(&s), "reported after the period");
        let mar = Need::Report {
            from: ts("2026-02-01T00:00:00Z"),
            to: ts("2026-03-01T08:00:01Z"),
        };
        assert!(!mar.can_skip(&s));
        let problem = INC.replace("kind: Incident", "kind: Problem");
        assert!(!oct.can_skip(&scan(&problem).unwrap()));
        // DORA counts an incident caused by a change whenever it was reported,
        // and a merge is covered by any change it names, however old.
        let caused = INC.replace("status: closed\n", "status: closed\ncaused_by: CHG-0001\n");
        assert!(scan(&caused).unwrap().caused_by);
        assert!(!oct.can_skip(&scan(&caused).unwrap()));
        assert!(!feb.can_skip(&scan(&caused).unwrap()));
        let change = INC.replace("kind: Incident", "kind: Change");
        assert!(!oct.can_skip(&scan(&change).unwrap()));
        let request = INC.replace("kind: Incident", "kind: Request");
        assert!(oct.can_skip(&scan(&request).unwrap()));
        assert!(feb.can_skip(&scan(&request).unwrap()));
    }

    #[test]
    fn sla_and_status_page_skip_by_status_type_and_maintenance() {
        // INC's latest instant (in a note) is 2027-01-01.
        let now = ts("2027-02-01T00:00:00Z");
        let sla = Need::Sla { now };
        assert!(sla.can_skip(&scan(INC).unwrap()));
        assert!(!Need::Sla {
            now: ts("2026-04-01T00:00:00Z")
        }
        .can_skip(&scan(INC).unwrap()));
        let chg = "apiVersion: gitsm/v1\nkind: Change\nid: CHG-1\ntype: normal\nstatus: closed\nmaintenance: true\ntimeline:\n  - {at: 2026-03-01T10:00:00Z, by: a, status: draft}\n";
        assert!(sla.can_skip(&scan(chg).unwrap()));
        assert!(!sla.can_skip(&scan(&chg.replace("normal", "emergency")).unwrap()));
        assert!(!Need::StatusPage.can_skip(&scan(chg).unwrap()));
        assert!(Need::StatusPage.can_skip(&scan(&chg.replace("maintenance: true\n", "")).unwrap()));
        assert!(!Need::StatusPage.can_skip(&scan(INC).unwrap()));
        assert!(!Need::All.can_skip(&scan(INC).unwrap()));
        // A budget window: what lies in it, and incidents still open.
        let window = |from: &str, to: &str| Need::Window {
            from: ts(from),
            to: ts(to),
        };
        let inc = scan(INC).unwrap();
        assert!(window("2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z").can_skip(&inc));
        assert!(!window("2026-12-01T00:00:00Z", "2027-01-01T00:00:01Z").can_skip(&inc));
        assert!(window("2026-01-01T00:00:00Z", "2026-03-01T08:00:00Z").can_skip(&inc));
        let open = INC.replace("status: closed\nreported", "status: investigating\nreported");
        assert!(!window("2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z").can_skip(&scan(&open).unwrap()));
        assert!(window("2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z").can_skip(&scan(chg).unwrap()));
        assert!(!window("2026-02-01T00:00:00Z", "2026-03-02T00:00:00Z").can_skip(&scan(chg).unwrap()));
        let problem = INC.replace("kind: Incident", "kind: Problem");
        assert!(window("2026-02-01T00:00:00Z", "2027-03-02T00:00:00Z").can_skip(&scan(&problem).unwrap()));
    }

    /// What each command's trim takes out, record by record on examples/acme
    /// (trimming less is invisible in the figures, so the figures tests
    /// cannot see it: only the memory grows).
    #[test]
    fn each_need_trims_exactly_what_its_command_never_reads() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
        let snap = crate::repo::load(&crate::repo::WorkTree::new(&root)).unwrap();
        let (from, to) = (ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"));
        let notes = |r: &Record| -> (usize, usize) {
            fn count<S>(t: &[crate::model::Event<S>]) -> (usize, usize) {
                let public = t.iter().filter(|e| e.note.is_some() && e.public).count();
                (public, t.iter().filter(|e| e.note.is_some()).count() - public)
            }
            match r {
                Record::Incident(i) => count(&i.timeline),
                Record::Change(c) => count(&c.timeline),
                Record::Request(q) => count(&q.timeline),
                _ => (0, 0),
            }
        };
        let authors = |r: &Record| -> usize {
            fn count<S>(t: &[crate::model::Event<S>]) -> usize {
                t.iter().filter(|e| !e.by.is_empty()).count()
            }
            match r {
                Record::Incident(i) => count(&i.timeline) + usize::from(!i.reported_by.is_empty()),
                Record::Change(c) => count(&c.timeline),
                Record::Request(q) => count(&q.timeline),
                _ => 0,
            }
        };
        // Enough of everything in acme for the checks below to mean something.
        let (mut public, mut internal, mut plans, mut fields, mut resolutions) = (0, 0, 0, 0, 0);
        for l in &snap.records {
            let (p, i) = notes(&l.record);
            (public, internal) = (public + p, internal + i);
            match &l.record {
                Record::Change(c) => plans += usize::from(c.plan.is_some() || c.description.is_some()),
                Record::Request(q) => fields += usize::from(q.fields.is_some()),
                Record::Incident(i) => resolutions += usize::from(i.resolution.is_some()),
                _ => {}
            }
        }
        assert!(public > 0 && internal > 0 && plans > 0 && fields > 0 && resolutions > 0);

        for l in &snap.records {
            let before = &l.record;
            for need in [Need::All, Need::Sla { now: to }] {
                assert_eq!(&need.trim(l.clone()).record, before, "{need:?} trims nothing");
            }
            // The status page: incidents keep their public notes, lose the rest.
            let page = Need::StatusPage.trim(l.clone()).record;
            match (&page, before) {
                (Record::Incident(i), Record::Incident(b)) => {
                    assert_eq!(notes(&page), (notes(before).0, 0), "{}", b.id);
                    assert_eq!(authors(&page), 0);
                    assert!(i.resolution.is_none() && i.assignee.is_none() && i.related.is_empty());
                }
                _ => assert_eq!(&page, before, "the status page trims only incidents"),
            }
            // The report and budget: no notes, authors, plans or fields at all.
            for need in [Need::Report { from, to }, Need::Window { from, to }] {
                let r = need.trim(l.clone()).record;
                assert_eq!(notes(&r), (0, 0), "{need:?}");
                assert_eq!(authors(&r), 0, "{need:?}");
                match &r {
                    Record::Incident(i) => assert!(i.resolution.is_none() && i.assignee.is_none()),
                    Record::Change(c) => assert!(
                        c.plan.is_none()
                            && c.description.is_none()
                            && c.rollback_plan.is_none()
                            && c.test_plan.is_none()
                            && c.review.is_none()
                    ),
                    Record::Request(q) => assert!(q.fields.is_none()),
                    other => assert_eq!(other, before, "only tickets are trimmed"),
                }
            }
        }
    }

    /// A record read from the cache with a need's [`Need::event_details`]
    /// and trimmed is the record read whole and trimmed, for every need and
    /// every record of acme; a later decode on the same thread reads whole
    /// again (the detail does not outlive its decode).
    #[test]
    fn the_cache_leaves_out_of_events_only_what_trimming_drops() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
        let snap = crate::repo::load(&crate::repo::WorkTree::new(&root)).unwrap();
        let (from, to) = (ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"));
        let needs = [
            Need::Report { from, to },
            Need::All,
            Need::StatusPage,
            Need::Sla { now: to },
            Need::Window { from, to },
        ];
        let mut left_out = 0;
        for l in &snap.records {
            let bytes = l.record.to_msgpack().unwrap();
            let kind = l.record.kind();
            for need in needs {
                let read = Record::from_msgpack(kind, &bytes, need.event_details()).unwrap();
                left_out += usize::from(read != l.record);
                let read = Loaded {
                    path: l.path.clone(),
                    record: read,
                };
                assert_eq!(
                    need.trim(read).record,
                    need.trim(l.clone()).record,
                    "{} {need:?}",
                    l.path
                );
            }
            let whole = Record::from_msgpack(kind, &bytes, crate::model::EventDetails::WHOLE).unwrap();
            assert_eq!(whole, l.record, "{}", l.path);
        }
        assert!(left_out > 0, "some decode left something out");
    }

    /// A change is out of a report's reach only strictly before the merges
    /// (a merge at `since` can land in a window ending then) or from the
    /// report's end on, and never when a merge touches or names it.
    #[test]
    fn a_change_is_out_of_reach_only_past_the_edges() {
        let since = ts("2026-01-01T00:00:00Z");
        let to = ts("2026-06-01T00:00:00Z");
        let second = jiff::SignedDuration::from_secs(1);
        let text = |a: Timestamp, b: Timestamp| {
            format!("apiVersion: gitsm/v1\nkind: Change\nid: CHG-0007\nstatus: completed\ntimeline:\n  - {{at: {a}, by: a, status: draft}}\n  - {{at: {b}, by: a, status: completed}}\n")
        };
        let blind = MergeRefs::new(since, None);
        let skip = |refs: &MergeRefs, a: Timestamp, b: Timestamp, path: &str| {
            let t = text(a, b);
            refs.can_skip_change(path, &scan(&t).unwrap(), to)
        };
        let p = "changes/CHG-0007.yaml";
        let long_before = ts("2025-01-01T00:00:00Z");
        assert!(skip(&blind, long_before, since - second, p));
        assert!(
            !skip(&blind, long_before, since, p),
            "ends at the first merge's instant"
        );
        assert!(skip(&blind, to, to + second, p));
        assert!(
            !skip(&blind, to - second, to + second, p),
            "begins inside the span"
        );
        let git = |paths: &[&str], message: &str| crate::dora::GitHistory {
            merges: vec![crate::dora::Merge {
                sha: "0".repeat(40),
                at: since,
                first_commit_at: since,
                paths: paths.iter().map(|p| p.to_string()).collect(),
                message: message.to_string(),
            }],
            itsm_prefix: "ops/itsm".into(),
        };
        let touched = MergeRefs::new(since, Some(&git(&["ops/itsm/changes/CHG-0007.yaml"], "tidy")));
        assert!(!skip(&touched, long_before, since - second, p));
        let elsewhere = MergeRefs::new(since, Some(&git(&["changes/CHG-0007.yaml"], "tidy")));
        assert!(
            skip(&elsewhere, long_before, since - second, p),
            "outside the ITSM root"
        );
        let named = MergeRefs::new(since, Some(&git(&[], "Fixes CHG-0007.")));
        assert!(!skip(&named, long_before, since - second, p));
        assert!(
            !skip(&named, long_before, since - second, "changes/renamed.yaml"),
            "by its id"
        );
        let by_stem = MergeRefs::new(since, Some(&git(&[], "see old-name")));
        assert!(
            !skip(&by_stem, long_before, since - second, "changes/old-name.yaml"),
            "by its file name"
        );
        let t = "apiVersion: gitsm/v1\nkind: Change\nid: 'CHG-0007'\nstatus: completed\ntimeline:\n  - {at: 2020-01-01T00:00:00Z, by: a, status: draft}\n";
        assert!(scan(t).is_none(), "an id not written plainly: loaded");
    }
}

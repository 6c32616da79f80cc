//! Every ticket at the base tip, read once: ids (rule 3), changes (rules
//! 5 and 7) and, when the policy freezes on spent budgets, incidents.

use super::GateError;
use crate::gate::Files;
use crate::repo;
use git2::{ObjectType, Oid, Repository};

/// What the gate keeps of the tickets at the base tip: the id index (every
/// id read from content, see [`crate::gate::judge::record_ids`], plus each file's
/// stem), the bytes of every change, and — only when the base policy sets
/// `budget_freeze` — of every incident (rule 5 measures the error budgets).
#[derive(Default)]
pub(super) struct BaseTickets {
    pub(super) ids: Vec<(String, String)>,
    pub(super) changes: Files,
    pub(super) incidents: Files,
}

/// Whether a base policy sets `budget_freeze: true`, so the incidents at
/// base must be kept for rule 5 (otherwise they are dropped as read).
pub(super) fn budget_freeze(base_context: &Files) -> bool {
    base_context.iter().any(|(p, b)| {
        p.starts_with("policies/")
            && crate::gate::judge::parse_json(b)
                .is_some_and(|v| v.get("budget_freeze") == Some(&serde_json::Value::Bool(true)))
    })
}

/// Reads every ticket blob at the base tip — most of the gate's time on a
/// large repo — and keeps only what the rules need, as it goes (holding
/// 100k blobs at once cost more in page faults than the reads).
///
/// One thread: libgit2 shares a pack's state between repository handles
/// behind one mutex, so the reader threads this used to split the list over
/// spent their time waiting on each other (measured on 2 cores, docs/gate.md:
/// 1.5 s with two threads, 1.1 s with one). No header lookup first: on long
/// delta chains (append-only timelines) it costs as much as the read. Sizes
/// are bounded by the git host (GitHub refuses files over 100 MB); a ticket
/// over [`super::MAX_BLOB`] is an error (exit 2), never silently left out.
pub(super) fn read_base_tickets(
    repo: &Repository,
    list: Vec<(String, Oid)>,
    keep_incidents: bool,
) -> Result<BaseTickets, GateError> {
    let odb = repo.odb()?;
    scan_tickets(&odb, list, keep_incidents)
}

/// The reading and reducing of [`read_base_tickets`].
fn scan_tickets(
    odb: &git2::Odb<'_>,
    list: Vec<(String, Oid)>,
    keep_incidents: bool,
) -> Result<BaseTickets, GateError> {
    let mut out = BaseTickets::default();
    for (p, oid) in list {
        let obj = odb.read(oid)?;
        if obj.kind() != ObjectType::Blob {
            return Err(GateError::Revision(format!("{p} at the base tip is not a blob")));
        }
        let bytes = obj.data();
        if bytes.len() > super::MAX_BLOB {
            // Fail closed: a ticket nobody can read might be the one that
            // conflicts or reserves an id.
            return Err(GateError::Revision(format!(
                "{p} at the base tip is {} bytes, over the {}-byte limit of what the gate reads",
                bytes.len(),
                super::MAX_BLOB
            )));
        }
        for id in crate::gate::judge::record_ids(bytes) {
            out.ids.push((id, p.clone()));
        }
        out.ids.push((repo::file_stem(&p).to_string(), p.clone()));
        if p.starts_with("changes/") {
            out.changes.insert(p, bytes.to_vec());
        } else if keep_incidents && p.starts_with("incidents/") {
            out.incidents.insert(p, bytes.to_vec());
        }
    }
    Ok(out)
}

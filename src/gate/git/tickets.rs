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

#[cfg(test)]
mod tests {
    use super::*;

    /// Incidents are kept only for a base policy that sets `budget_freeze:
    /// true`: not for one that sets it false or not at all, and not for a
    /// file outside `policies/` that says it.
    #[test]
    fn budget_freeze_is_read_only_from_policies_that_set_it() {
        let freeze = |path: &str, text: &str| {
            let mut files = Files::new();
            files.insert(
                "gitsm.yaml".into(),
                b"apiVersion: gitsm/v1\nkind: Config\n".to_vec(),
            );
            files.insert(path.into(), text.as_bytes().to_vec());
            budget_freeze(&files)
        };
        let policy = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\n";
        assert!(freeze(
            "policies/default.yaml",
            &format!("{policy}budget_freeze: true\n")
        ));
        assert!(!freeze(
            "policies/default.yaml",
            &format!("{policy}budget_freeze: false\n")
        ));
        assert!(!freeze("policies/default.yaml", policy));
        assert!(!freeze(
            "slas/gold.yaml",
            "apiVersion: gitsm/v1\nkind: SLA\nbudget_freeze: true\n"
        ));
    }

    fn blob(odb: &git2::Odb<'_>, text: &[u8]) -> Oid {
        odb.write(ObjectType::Blob, text).unwrap()
    }

    /// Ids come from content and file names; changes are always kept,
    /// incidents only when asked, nothing else.
    #[test]
    fn keeps_ids_changes_and_only_the_incidents_asked_for() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let odb = repo.odb().unwrap();
        let list = vec![
            (
                "changes/CHG-1.yaml".to_string(),
                blob(&odb, b"kind: Change\nid: CHG-1\n"),
            ),
            (
                "incidents/INC-1.yaml".to_string(),
                blob(&odb, b"kind: Incident\nid: INC-9\n"),
            ),
            (
                "problems/PRB-1.yaml".to_string(),
                blob(&odb, b"kind: Problem\nid: PRB-1\n"),
            ),
        ];
        for keep in [false, true] {
            let out = scan_tickets(&odb, list.clone(), keep).unwrap();
            let changes: Vec<&String> = out.changes.keys().collect();
            assert_eq!(changes, ["changes/CHG-1.yaml"]);
            let incidents: Vec<&String> = out.incidents.keys().collect();
            let want: &[&str] = if keep { &["incidents/INC-1.yaml"] } else { &[] };
            assert_eq!(incidents, want, "keep_incidents = {keep}");
            let ids: Vec<&str> = out.ids.iter().map(|(id, _)| id.as_str()).collect();
            for id in ["CHG-1", "INC-9", "INC-1", "PRB-1"] {
                assert!(ids.contains(&id), "{id} in {ids:?}");
            }
        }
    }

    /// A ticket of exactly the limit is read; one byte more fails closed.
    #[test]
    fn a_ticket_over_the_limit_is_an_error_and_one_at_it_is_read() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let odb = repo.odb().unwrap();
        let mut text = b"kind: Incident\nid: INC-1\nnote: ".to_vec();
        text.resize(super::super::MAX_BLOB, b'x');
        let at = vec![("incidents/INC-1.yaml".to_string(), blob(&odb, &text))];
        assert!(scan_tickets(&odb, at, false).is_ok());
        text.push(b'x');
        let over = vec![("incidents/INC-1.yaml".to_string(), blob(&odb, &text))];
        let e = scan_tickets(&odb, over, false).err().expect("over the limit");
        assert!(e.to_string().contains("over the"), "{e}");
    }
}

//! `gitsm gate --record`: writes review-backed approvals into the changes'
//! `approvals` lists in the work tree. Text is edited in place (comments,
//! key order and layout stay), then re-read to prove that nothing but the
//! `approvals` list changed, and written atomically.

use super::Backed;
use crate::yaml;
use std::collections::BTreeMap;
use std::path::Path;

/// Inserts `approvals` entries `{by, at}` into one record's text, through
/// the one YAML writer ([`crate::edit::insert_list_entries`]).
pub fn insert_approvals(text: &str, add: &[(String, String)]) -> anyhow::Result<String> {
    let entries: Vec<Vec<(String, serde_json::Value)>> = add
        .iter()
        .map(|(by, at)| {
            vec![
                ("by".to_string(), serde_json::Value::String(by.clone())),
                ("at".to_string(), serde_json::Value::String(at.clone())),
            ]
        })
        .collect();
    crate::edit::insert_list_entries(text, "approvals", "timeline", &entries)
        .map_err(|e| anyhow::anyhow!("{}", e.0))
}

/// Writes every backed approval into its file under `root`. Returns the
/// files written.
pub fn write(root: &Path, backed: &[Backed]) -> anyhow::Result<Vec<String>> {
    let mut by_file: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for b in backed {
        by_file
            .entry(b.file.as_str())
            .or_default()
            .push((b.by.clone(), crate::model::Timestamp(b.at).to_string()));
    }
    let mut written = Vec::new();
    for (file, add) in by_file {
        if file.split('/').any(|c| c == ".." || c.is_empty()) {
            anyhow::bail!("refusing to write outside the repo: {file}");
        }
        let path = root.join(file);
        let text = crate::fsutil::read_text_in_repo(root, file, crate::fsutil::RECORD)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        // Only add names the work-tree file does not list yet.
        let existing: Vec<String> = yaml::parse(&text)
            .ok()
            .flatten()
            .and_then(|n| n.get("approvals").map(|a| a.to_json()))
            .and_then(|a| a.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.get("by").and_then(|b| b.as_str()).map(str::to_lowercase))
            .collect();
        let add: Vec<(String, String)> = add
            .into_iter()
            .filter(|(by, _)| !existing.contains(&by.to_lowercase()))
            .collect();
        if add.is_empty() {
            continue;
        }
        let out = insert_approvals(&text, &add).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        crate::fsutil::write_in_repo(root, file, out.as_bytes(), crate::fsutil::Replace::Edit)?;
        written.push(file.to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_before_timeline_keeping_comments() {
        let t = "# keep me\napiVersion: gitsm/v1\nid: CHG-0001 # id\ntimeline:\n  - {at: 2026-11-20T10:00:00Z, by: a, status: draft}\n";
        let out = insert_approvals(t, &[("alice".into(), "2026-11-20T11:00:00Z".into())]).unwrap();
        assert_eq!(
            out,
            "# keep me\napiVersion: gitsm/v1\nid: CHG-0001 # id\napprovals:\n  - by: alice\n    at: 2026-11-20T11:00:00Z\ntimeline:\n  - {at: 2026-11-20T10:00:00Z, by: a, status: draft}\n"
        );
    }

    #[test]
    fn appends_to_existing_block_list() {
        let t = "id: x\napprovals:\n    # CAB\n    - by: bob\n      at: 2026-11-20T11:00:00Z\ntimeline: []\n";
        let out = insert_approvals(t, &[("alice".into(), "2026-11-21T11:00:00Z".into())]).unwrap();
        assert_eq!(
            out,
            "id: x\napprovals:\n    # CAB\n    - by: bob\n      at: 2026-11-20T11:00:00Z\n    - by: alice\n      at: 2026-11-21T11:00:00Z\ntimeline: []\n"
        );
        // A flow list keeps its style.
        let t = "id: x\napprovals: [{by: bob, at: 2026-11-20T11:00:00Z}]\ntimeline: []\n";
        let out = insert_approvals(t, &[("alice".into(), "2026-11-21T11:00:00Z".into())]).unwrap();
        let v = crate::yaml::parse(&out).unwrap().unwrap().to_json();
        assert_eq!(v["approvals"][1]["by"], "alice", "{out}");
        assert!(out.ends_with("\ntimeline: []\n"), "{out}");
    }

    #[test]
    fn fills_empty_flow_list() {
        let t = "id: x\napprovals: []\ntimeline: []\n";
        let out = insert_approvals(t, &[("alice".into(), "2026-11-21T11:00:00Z".into())]).unwrap();
        assert_eq!(
            out,
            "id: x\napprovals:\n  - by: alice\n    at: 2026-11-21T11:00:00Z\ntimeline: []\n"
        );
    }
}

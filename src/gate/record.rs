//! `gitsm gate --record`: writes review-backed approvals into the changes'
//! `approvals` lists in the work tree. Text is edited in place (comments,
//! key order and layout stay), then re-read to prove that nothing but the
//! `approvals` list changed, and written atomically.

use super::Backed;
use crate::yaml::{self, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Inserts `approvals` entries into one record's text.
pub fn insert_approvals(text: &str, add: &[(String, String)]) -> anyhow::Result<String> {
    if add.is_empty() {
        return Ok(text.to_string());
    }
    let root = yaml::parse(text)
        .map_err(|e| anyhow::anyhow!("{}:{}: {}", e.pos.line, e.pos.column, e.message))?
        .ok_or_else(|| anyhow::anyhow!("the file holds no YAML document"))?;
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let entry = |indent: &str| -> String {
        add.iter()
            .map(|(by, at)| format!("{indent}- by: {}{nl}{indent}  at: {at}{nl}", yaml_str(by)))
            .collect()
    };
    match (root.key("approvals"), root.get("approvals")) {
        (Some(key), Some(node)) => match &node.value {
            Value::Seq(items) if !items.is_empty() => {
                // A list with entries: append with the shared, checked editor
                // (it follows the list's own style, block or flow).
                let edits = crate::edit::Edits {
                    set: Vec::new(),
                    append: add
                        .iter()
                        .map(|(by, at)| {
                            (
                                "approvals".to_string(),
                                vec![
                                    ("by".to_string(), serde_json::Value::String(by.clone())),
                                    ("at".to_string(), serde_json::Value::String(at.clone())),
                                ],
                            )
                        })
                        .collect(),
                };
                return crate::edit::apply(text, &edits).map_err(|e| anyhow::anyhow!("{}", e.0));
            }
            Value::Seq(_) | Value::Null => {
                // `approvals: []` or `approvals:` with nothing: rewrite that line.
                let i = key.pos.line - 1;
                let col = key.pos.column - 1;
                let indent = " ".repeat(col);
                lines[i] = format!("{indent}approvals:{nl}{}", entry(&format!("{indent}  ")));
            }
            _ => anyhow::bail!("`approvals` is not a list"),
        },
        _ => {
            // No list yet: add one just before `timeline:` (or at the end).
            let at = root
                .key("timeline")
                .map(|k| k.pos.line - 1)
                .unwrap_or(lines.len());
            if at == lines.len() && !lines.last().is_none_or(|l| l.ends_with('\n')) {
                lines.last_mut().expect("non-empty").push_str(nl);
            }
            lines.insert(at, format!("approvals:{nl}{}", entry("  ")));
        }
    }
    let out: String = lines.concat();
    // Prove the edit: same document but for the added approvals.
    let before = root.to_json();
    let after = yaml::parse(&out)
        .ok()
        .flatten()
        .ok_or_else(|| anyhow::anyhow!("internal error: the edited record does not parse"))?
        .to_json();
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("approvals");
        }
        v
    };
    let n_before = before
        .get("approvals")
        .and_then(|a| a.as_array())
        .map_or(0, Vec::len);
    let n_after = after
        .get("approvals")
        .and_then(|a| a.as_array())
        .map_or(0, Vec::len);
    if strip(&before) != strip(&after) || n_after != n_before + add.len() {
        anyhow::bail!(
            "internal error: the approvals edit would change more than the `approvals` list; nothing written"
        );
    }
    Ok(out)
}

fn yaml_str(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']'))
        && !s.starts_with(['-', '['])
    {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("string serializes")
    }
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

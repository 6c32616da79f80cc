//! A record's history from git, for `gitsm log`: every commit that changed
//! the file (followed through renames), and what changed in its fields.

use serde::Serialize;
use serde_json::Value as J;

/// One commit that changed the record.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub commit: String,
    pub author: String,
    pub email: String,
    /// Commit time, RFC 3339 with the author's offset.
    pub date: String,
    pub summary: String,
    /// The file's path at this commit, relative to the git work tree.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// `created`, `modified` or `deleted`.
    pub action: &'static str,
    pub changes: Vec<FieldChange>,
    /// Something to say when no field changed (a reformat) or a version
    /// could not be read as YAML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// A change to one top-level field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub field: String,
    /// `status`, `added`, `changed`, `removed` or `appended` (timeline events).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<J>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<J>,
}

fn parse(text: Option<&[u8]>) -> Result<Option<J>, ()> {
    let Some(bytes) = text else { return Ok(None) };
    let s = std::str::from_utf8(bytes).map_err(|_| ())?;
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    match crate::yaml::parse(s) {
        Ok(Some(n)) => Ok(Some(n.to_json())),
        Ok(None) => Ok(Some(J::Object(Default::default()))),
        Err(_) => Err(()),
    }
}

/// Field-by-field differences between two versions of a record.
pub fn diff_fields(old: &J, new: &J) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    for (k, nv) in n {
        match o.get(k) {
            None => out.push(FieldChange {
                field: k.clone(),
                kind: if k == "status" { "status" } else { "added" },
                from: None,
                to: Some(nv.clone()),
            }),
            Some(ov) if ov == nv => {}
            Some(ov) => {
                if k == "status" {
                    out.push(FieldChange {
                        field: k.clone(),
                        kind: "status",
                        from: Some(ov.clone()),
                        to: Some(nv.clone()),
                    });
                    continue;
                }
                if let (J::Array(a), J::Array(b)) = (ov, nv) {
                    if b.len() > a.len() && b[..a.len()] == a[..] {
                        out.push(FieldChange {
                            field: k.clone(),
                            kind: "appended",
                            from: None,
                            to: Some(J::Array(b[a.len()..].to_vec())),
                        });
                        continue;
                    }
                }
                out.push(FieldChange {
                    field: k.clone(),
                    kind: "changed",
                    from: Some(ov.clone()),
                    to: Some(nv.clone()),
                });
            }
        }
    }
    for (k, ov) in o {
        if !n.contains_key(k) {
            out.push(FieldChange {
                field: k.clone(),
                kind: "removed",
                from: Some(ov.clone()),
                to: None,
            });
        }
    }
    out
}

fn date_of(t: git2::Time) -> String {
    let ts = jiff::Timestamp::from_second(t.seconds()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let offset = jiff::tz::Offset::from_seconds(t.offset_minutes() * 60).unwrap_or(jiff::tz::Offset::UTC);
    ts.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset))
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Walks the first-parent history from HEAD and returns, newest first, every
/// commit that changed `path` (relative to the git work tree), following the
/// file back through renames.
pub fn file_history(repo: &git2::Repository, path: &str) -> anyhow::Result<Vec<Revision>> {
    let mut walk = repo.revwalk()?;
    if repo.head().is_err() {
        return Ok(Vec::new());
    }
    walk.push_head()?;
    walk.simplify_first_parent()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    let mut current = path.to_string();
    let mut out = Vec::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let tree = commit.tree()?;
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let mut diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)?;
        let mut find = git2::DiffFindOptions::new();
        find.renames(true);
        diff.find_similar(Some(&mut find))?;
        let Some(delta) = diff.deltas().find(|d| {
            let p = if d.status() == git2::Delta::Deleted {
                d.old_file().path()
            } else {
                d.new_file().path()
            };
            p.and_then(|p| p.to_str()) == Some(current.as_str())
        }) else {
            continue;
        };
        let blob = |id: git2::Oid| -> anyhow::Result<Option<Vec<u8>>> {
            if id.is_zero() {
                return Ok(None);
            }
            Ok(Some(repo.find_blob(id)?.content().to_vec()))
        };
        let old_bytes = blob(delta.old_file().id())?;
        let new_bytes = blob(delta.new_file().id())?;
        let old_path = delta
            .old_file()
            .path()
            .and_then(|p| p.to_str())
            .map(str::to_string);
        let (action, renamed_from) = match delta.status() {
            git2::Delta::Added => ("created", None),
            git2::Delta::Deleted => ("deleted", None),
            git2::Delta::Renamed => ("modified", old_path.clone()),
            _ => ("modified", None),
        };
        let (changes, remark) = match (parse(old_bytes.as_deref()), parse(new_bytes.as_deref())) {
            (Ok(o), Ok(n)) => {
                let o = o.unwrap_or(J::Object(Default::default()));
                let n = n.unwrap_or(J::Object(Default::default()));
                let c = if action == "deleted" {
                    Vec::new()
                } else {
                    diff_fields(&o, &n)
                };
                let remark = if c.is_empty() && action == "modified" {
                    Some(if old_bytes == new_bytes {
                        "content unchanged".to_string()
                    } else {
                        "reformatted; no field changed".to_string()
                    })
                } else {
                    None
                };
                (c, remark)
            }
            _ => (
                Vec::new(),
                Some("one version is not valid YAML; fields not compared".to_string()),
            ),
        };
        let author = commit.author();
        out.push(Revision {
            commit: commit.id().to_string(),
            author: author.name().unwrap_or("").to_string(),
            email: author.email().unwrap_or("").to_string(),
            date: date_of(author.when()),
            summary: commit.summary().ok().flatten().unwrap_or("").to_string(),
            path: current.clone(),
            renamed_from: renamed_from.clone(),
            action,
            changes,
            remark,
        });
        if action == "created" {
            break;
        }
        if let Some(from) = renamed_from {
            current = from;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_diff_kinds() {
        let old = json!({"status": "new", "title": "a", "gone": 1, "timeline": [1]});
        let new = json!({"status": "resolved", "title": "b", "resolution": "x", "timeline": [1, 2, 3]});
        let d = diff_fields(&old, &new);
        let kinds: Vec<(&str, &str)> = d.iter().map(|c| (c.field.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("status", "status"),
                ("title", "changed"),
                ("resolution", "added"),
                ("timeline", "appended"),
                ("gone", "removed")
            ]
        );
        assert_eq!(d[3].to, Some(json!([2, 3])));
    }
}

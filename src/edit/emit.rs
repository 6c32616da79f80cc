//! Writing YAML that did not exist before: a new record's text, and entries
//! added to a list field that is empty or missing. With [`super::apply`]
//! (edits of existing text) this is the only place gitsm writes YAML; every
//! scalar goes through [`super::render_scalar`], and every result is read
//! back and compared with the data it should hold.

use super::scalar::render_scalar;
use super::{apply, err, EditError, Edits};
use crate::yaml::{self, Value};
use serde_json::Value as Json;

/// A new document: `header` (comment lines, each ending in a newline), then
/// `key: value` for each field in the given order, block style. The text is
/// read back and must give exactly `fields`; a value the writer cannot
/// express faithfully is refused rather than written wrong.
pub fn write_document(header: &str, fields: &[(&str, &Json)]) -> Result<String, EditError> {
    let mut out = header.to_string();
    let mut expected = serde_json::Map::new();
    for (k, v) in fields {
        emit(&mut out, k, v, 0);
        expected.insert(k.to_string(), (*v).clone());
    }
    let back = yaml::parse(&out).ok().flatten().map(|n| n.to_json());
    if back.as_ref() != Some(&Json::Object(expected)) {
        return err("a value cannot be written faithfully as block YAML");
    }
    Ok(out)
}

/// Lines of a block scalar (`|` / `|-`) for a multi-line string, each at `pad`.
fn block_scalar(out: &mut String, s: &str, pad: &str) {
    out.push('|');
    if !s.ends_with('\n') {
        out.push('-');
    }
    out.push('\n');
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        if !line.is_empty() {
            out.push_str(&format!("{pad}{line}"));
        }
        out.push('\n');
    }
}

/// `key: value` at `indent`, nested values below it.
fn emit(out: &mut String, key: &str, v: &Json, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Json::Array(items) if !items.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for item in items {
                emit_item(out, item, indent + 2);
            }
        }
        Json::Object(m) if !m.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for (k, v) in m {
                emit(out, k, v, indent + 2);
            }
        }
        Json::String(s) if s.contains('\n') => {
            out.push_str(&format!("{pad}{key}: "));
            block_scalar(out, s, &format!("{pad}  "));
        }
        other => out.push_str(&format!("{pad}{key}: {}\n", inline(other))),
    }
}

/// One sequence entry `- value` with its dash at `indent`.
fn emit_item(out: &mut String, v: &Json, indent: usize) {
    let pad = " ".repeat(indent);
    // A nested block (map or sequence) is written two columns in, and its
    // first line's indentation becomes the dash: `- key: …` / `- - …`.
    let nested = |out: &mut String, s: String| {
        let (head, rest) = s.split_at(indent + 2);
        debug_assert!(head.bytes().all(|b| b == b' '));
        out.push_str(&format!("{pad}- {rest}"));
    };
    match v {
        Json::Object(m) if !m.is_empty() => {
            let mut s = String::new();
            for (k, v) in m {
                emit(&mut s, k, v, indent + 2);
            }
            nested(out, s);
        }
        Json::Array(items) if !items.is_empty() => {
            let mut s = String::new();
            for item in items {
                emit_item(&mut s, item, indent + 2);
            }
            nested(out, s);
        }
        Json::String(s) if s.contains('\n') => {
            out.push_str(&format!("{pad}- "));
            block_scalar(out, s, &format!("{pad}  "));
        }
        other => out.push_str(&format!("{pad}- {}\n", inline(other))),
    }
}

/// A value that fits on one line: a scalar or an empty collection.
fn inline(v: &Json) -> String {
    match v {
        Json::Array(_) => "[]".into(),
        Json::Object(_) => "{}".into(),
        Json::String(s) => render_scalar(s),
        Json::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Appends `entries` (mappings, fields in order) to the top-level list
/// `key`: through [`apply`] when the list has entries (it follows the list's
/// own style, block or flow); by rewriting the line when it is empty
/// (`key: []` or `key:`); else as a new block list just before the
/// top-level `before` key (or at the end). Comments, key order and layout
/// stay; the result is read back and must differ only in the list.
pub fn insert_list_entries(
    text: &str,
    key: &str,
    before: &str,
    entries: &[Vec<(String, Json)>],
) -> Result<String, EditError> {
    if entries.is_empty() {
        return Ok(text.to_string());
    }
    let root = match yaml::parse(text) {
        Ok(Some(n)) => n,
        Ok(None) => return err("the file holds no YAML document"),
        Err(e) => return err(format!("{}:{}: {}", e.pos.line, e.pos.column, e.message)),
    };
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let block = |indent: &str| -> String {
        let mut out = String::new();
        for fields in entries {
            for (i, (k, v)) in fields.iter().enumerate() {
                let lead = if i == 0 { "- " } else { "  " };
                out.push_str(&format!("{indent}{lead}{k}: {}{nl}", inline(v)));
            }
        }
        out
    };
    match (root.key(key), root.get(key)) {
        (Some(k), Some(node)) => match &node.value {
            Value::Seq(items) if !items.is_empty() => {
                let edits = Edits {
                    set: Vec::new(),
                    append: entries.iter().map(|f| (key.to_string(), f.clone())).collect(),
                };
                return apply(text, &edits);
            }
            Value::Seq(_) | Value::Null => {
                let i = k.pos.line - 1;
                let indent = " ".repeat(k.pos.column - 1);
                lines[i] = format!("{indent}{key}:{nl}{}", block(&format!("{indent}  ")));
            }
            _ => return err(format!("`{key}` is not a list")),
        },
        _ => {
            let at = root.key(before).map(|k| k.pos.line - 1).unwrap_or(lines.len());
            if at == lines.len() && !lines.last().is_none_or(|l| l.ends_with('\n')) {
                lines.last_mut().expect("non-empty").push_str(nl);
            }
            lines.insert(at, format!("{key}:{nl}{}", block("  ")));
        }
    }
    let out: String = lines.concat();
    // Prove the edit: the same document but for the added entries.
    let after = yaml::parse(&out).ok().flatten().map(|n| n.to_json());
    let Some(after) = after else {
        return err("internal error: the edited record does not parse");
    };
    let before_json = root.to_json();
    let without = |v: &Json| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove(key);
        }
        v
    };
    let count = |v: &Json| v.get(key).and_then(Json::as_array).map_or(0, Vec::len);
    if without(&before_json) != without(&after) || count(&after) != count(&before_json) + entries.len() {
        return err(format!(
            "internal error: the {key} edit would change more than the `{key}` list; nothing written"
        ));
    }
    Ok(out)
}

//! Format-preserving edits of a record's YAML text.
//!
//! People write records by hand: comments, key order, quoting, flow or block
//! style, CRLF line endings, odd indentation. `gitsm transition` must change
//! only the lines it has to, so edits here are text splices placed by the
//! positions [`crate::yaml::parse`] reports, never a re-serialisation.
//!
//! Every edit is checked: [`apply`] parses the result and compares it with the
//! intended data. If a splice would have changed anything else (an exotic
//! layout this module does not understand), the edit is refused and the
//! caller keeps the original text.

mod doc;
mod emit;
mod scalar;
#[cfg(test)]
mod tests;

pub use emit::{insert_list_entries, write_document};
pub use scalar::render_scalar;

use doc::Doc;
use serde_json::Value as Json;

/// Why an edit could not be made. The original text is never touched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(msg.into()))
}

/// A set of edits to one record: top-level fields to set (replaced in place or
/// inserted) and entries to append to top-level sequences (the timeline).
#[derive(Debug, Clone, Default)]
pub struct Edits {
    /// Fields to set, in order. A value is a string, bool or number.
    pub set: Vec<(String, Json)>,
    /// `(sequence key, mapping to append)`; the mapping's fields in order.
    pub append: Vec<(String, Vec<(String, Json)>)>,
}

/// Applies `edits` to `src` and returns the new text. Only the lines that
/// hold a changed value, plus any appended or inserted lines, differ.
pub fn apply(src: &str, edits: &Edits) -> Result<String, EditError> {
    // The mark is kept as it was; the edits work on the text after it.
    let body = crate::yaml::strip_bom(src);
    let bom = &src[..src.len() - body.len()];
    let mut doc = Doc::parse(body.to_string())?;
    let mut expected = doc.root.to_json();
    for (key, value) in &edits.set {
        doc.set(key, value)?;
        expected[key.as_str()] = value.clone();
    }
    for (key, fields) in &edits.append {
        doc.append(key, fields)?;
        let mut m = serde_json::Map::new();
        for (k, v) in fields {
            m.insert(k.clone(), v.clone());
        }
        match expected.get_mut(key.as_str()).and_then(Json::as_array_mut) {
            Some(a) => a.push(Json::Object(m)),
            None => return err(format!("`{key}` is not a list")),
        }
    }
    let got = Doc::parse(doc.text.clone())?.root.to_json();
    if got != expected {
        return err(
            "this file's layout is too unusual to edit safely; nothing was changed (edit it by hand)",
        );
    }
    Ok(format!("{bom}{}", doc.text))
}

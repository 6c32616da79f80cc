//! The document being edited: its text, the parsed tree that places each
//! value, and the splices that change one value or append one entry.

use super::scalar::{render_block_value, render_json_scalar, render_scalar_like};
use super::{err, EditError};
use crate::diag::Pos;
use crate::yaml::{self, Node, Value};
use serde_json::Value as Json;

pub(super) struct Doc {
    pub(super) text: String,
    pub(super) root: Node,
    eol: &'static str,
}

/// A line of the text: byte range of its content (without the line break).
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
}

impl Doc {
    pub(super) fn parse(text: String) -> Result<Doc, EditError> {
        let root = match yaml::parse(&text) {
            Ok(Some(n)) => n,
            Ok(None) => return err("the file holds no YAML document"),
            Err(e) => return err(format!("{}:{}: {}", e.pos.line, e.pos.column, e.message)),
        };
        if !matches!(root.value, Value::Map(_)) {
            return err("the document is not a mapping of fields");
        }
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let doc = Doc { text, root, eol };
        if doc.byte(doc.root.pos).is_some_and(|b| b == b'{') {
            return err("the record is written as one flow mapping `{...}`; edit it by hand");
        }
        Ok(doc)
    }

    pub(super) fn reparse(&mut self) -> Result<(), EditError> {
        let fresh = Doc::parse(std::mem::take(&mut self.text))?;
        *self = fresh;
        Ok(())
    }

    fn lines(&self) -> Vec<Line> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = self.text.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                let end = if i > start && bytes[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                out.push(Line { start, end });
                start = i + 1;
            }
        }
        if start < bytes.len() {
            out.push(Line {
                start,
                end: bytes.len(),
            });
        }
        out
    }

    /// Byte offset of a 1-based line and 1-based *character* column.
    fn offset(&self, pos: Pos) -> usize {
        let lines = self.lines();
        let Some(line) = lines.get(pos.line.saturating_sub(1)) else {
            return self.text.len();
        };
        let content = &self.text[line.start..line.end];
        let skip = pos.column.saturating_sub(1);
        line.start
            + content
                .char_indices()
                .nth(skip)
                .map(|(i, _)| i)
                .unwrap_or(content.len())
    }

    fn byte(&self, pos: Pos) -> Option<u8> {
        self.text.as_bytes().get(self.offset(pos)).copied()
    }

    /// The line holding byte `offset` (an empty line at the very end).
    fn line_of(&self, offset: usize) -> Line {
        let lines = self.lines();
        lines.get(self.line_index(offset)).copied().unwrap_or(Line {
            start: self.text.len(),
            end: self.text.len(),
        })
    }

    fn line_index(&self, offset: usize) -> usize {
        self.text[..offset].bytes().filter(|b| *b == b'\n').count()
    }

    fn entries(&self) -> &[(yaml::Key, Node)] {
        match &self.root.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }

    /// Indentation (in bytes of leading spaces) of the root mapping's keys.
    fn root_indent(&self) -> String {
        let first = self.entries().first().map(|(k, _)| k.pos);
        match first {
            Some(p) => {
                let off = self.offset(p);
                let line = self.line_of(off);
                self.text[line.start..off].to_string()
            }
            None => String::new(),
        }
    }

    /// The step of indentation the file uses for nested blocks.
    fn indent_unit(&self) -> usize {
        let base = self.root_indent().len();
        self.lines()
            .iter()
            .map(|l| &self.text[l.start..l.end])
            .filter(|s| !s.trim().is_empty() && !s.trim_start().starts_with('#'))
            .map(|s| s.len() - s.trim_start_matches(' ').len())
            .filter(|n| *n > base)
            .map(|n| n - base)
            .min()
            .unwrap_or(2)
    }

    /// The end (byte offset, before the line break) of the last line that
    /// belongs to the top-level entry whose key starts on line `key_line`.
    /// Blank lines and unindented comments at the end belong to whatever follows.
    fn entry_end(&self, key_line: usize, indent: usize) -> usize {
        let lines = self.lines();
        let mut last = lines[key_line].end;
        for l in &lines[key_line + 1..] {
            let s = &self.text[l.start..l.end];
            let trimmed = s.trim_start_matches([' ', '\t']);
            let ind = s.len() - s.trim_start_matches(' ').len();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with('#') {
                // An indented comment belongs to the entry; one at the key's
                // column introduces whatever follows.
                if ind > indent {
                    last = l.end;
                }
                continue;
            }
            let compact_item = ind == indent && (trimmed == "-" || trimmed.starts_with("- "));
            if ind > indent || compact_item {
                last = l.end;
            } else {
                break;
            }
        }
        last
    }

    fn find(&self, key: &str) -> Option<(usize, &yaml::Key, &Node)> {
        self.entries()
            .iter()
            .enumerate()
            .find(|(_, (k, _))| k.name == key)
            .map(|(i, (k, v))| (i, k, v))
    }

    /// Byte offset just after the `:` that ends a key starting at `key_off`.
    fn after_colon(&self, key_off: usize) -> Result<usize, EditError> {
        let b = self.text.as_bytes();
        let mut i = key_off;
        if let Some(q @ (b'"' | b'\'')) = b.get(i).copied() {
            i = scan_quoted(b, i, q).ok_or_else(|| EditError("unterminated quoted key".into()))?;
        }
        while i < b.len() {
            if b[i] == b':'
                && b.get(i + 1)
                    .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                return Ok(i + 1);
            }
            if b[i] == b'\n' {
                break;
            }
            i += 1;
        }
        err("cannot find the `:` after a key")
    }

    /// Sets a top-level field: replaces its value in place, or inserts the
    /// field before `timeline:` (at the end when there is none).
    pub(super) fn set(&mut self, key: &str, value: &Json) -> Result<(), EditError> {
        let indent = self.root_indent();
        let unit = " ".repeat(self.indent_unit());
        let Some((_, k, v)) = self.find(key) else {
            let line = format!(
                "{indent}{key}:{}",
                render_block_value(value, &format!("{indent}{unit}"), self.eol)
            );
            let at = match self.find("timeline") {
                Some((_, tk, _)) => {
                    let off = self.offset(tk.pos);
                    let li = self.line_index(off);
                    // Keep comment lines that introduce the timeline with it.
                    let lines = self.lines();
                    let mut first = li;
                    while first > 0 {
                        let s = self.text[lines[first - 1].start..lines[first - 1].end].trim_start();
                        if s.starts_with('#') {
                            first -= 1;
                        } else {
                            break;
                        }
                    }
                    Some(lines[first].start)
                }
                None => None,
            };
            match at {
                Some(off) => self.text.insert_str(off, &format!("{line}{}", self.eol)),
                None => {
                    let end = self.text.len();
                    let lead = if self.text.ends_with('\n') || self.text.is_empty() {
                        ""
                    } else {
                        self.eol
                    };
                    let tail = if lead.is_empty() { self.eol } else { "" };
                    self.text.insert_str(end, &format!("{lead}{line}{tail}"));
                }
            }
            return self.reparse();
        };
        let key_off = self.offset(k.pos);
        let key_line = self.line_index(key_off);
        let colon = self.after_colon(key_off)?;
        let v_off = self.offset(v.pos);
        let single_line_scalar = !matches!(v.value, Value::Seq(_) | Value::Map(_))
            && v_off > colon
            && self.line_index(v_off) == key_line
            && !matches!(self.text.as_bytes().get(v_off), None | Some(b'|' | b'>'));
        if single_line_scalar {
            let b = self.text.as_bytes();
            let end = match b[v_off] {
                q @ (b'"' | b'\'') => scan_quoted(b, v_off, q),
                _ => Some(plain_end(b, v_off)),
            };
            if let Some(end) = end {
                if self.line_index(end.saturating_sub(1).max(v_off)) == key_line
                    && !value_continues(self, key_line, indent.len())
                {
                    let style = b[v_off];
                    let new = match value {
                        Json::String(s) if !s.contains('\n') => render_scalar_like(s, style),
                        Json::String(_) => {
                            // A single-line value becomes a block; rewrite the whole value.
                            return self.replace_region(colon, key_line, indent.len(), value, &unit);
                        }
                        other => render_json_scalar(other),
                    };
                    self.text.replace_range(v_off..end, &new);
                    return self.reparse();
                }
            }
        }
        self.replace_region(colon, key_line, indent.len(), value, &unit)
    }

    /// Replaces everything from after a key's colon to the end of its entry.
    fn replace_region(
        &mut self,
        colon: usize,
        key_line: usize,
        indent: usize,
        value: &Json,
        unit: &str,
    ) -> Result<(), EditError> {
        let end = self.entry_end(key_line, indent);
        let nested = format!("{}{unit}", " ".repeat(indent));
        let new = render_block_value(value, &nested, self.eol);
        self.text.replace_range(colon..end, &new);
        self.reparse()
    }

    /// Appends a mapping to a top-level sequence, in the sequence's own style.
    pub(super) fn append(&mut self, key: &str, fields: &[(String, Json)]) -> Result<(), EditError> {
        let indent = self.root_indent().len();
        let Some((_, k, seq)) = self.find(key) else {
            return err(format!("the record has no `{key}`"));
        };
        let Value::Seq(items) = &seq.value else {
            return err(format!("`{key}` is not a list"));
        };
        // Follow the key order the entries are written in: each field goes
        // before the first placed field that some entry writes after it;
        // pairs no entry shows keep the given order.
        let written_before = |a: &str, b: &str| {
            items.iter().rev().find_map(|it| match &it.value {
                Value::Map(m) => {
                    let pa = m.iter().position(|(k, _)| k.name == a)?;
                    let pb = m.iter().position(|(k, _)| k.name == b)?;
                    Some(pa < pb)
                }
                _ => None,
            })
        };
        let mut ordered: Vec<&(String, Json)> = Vec::new();
        for f in fields {
            let at = ordered
                .iter()
                .position(|g| written_before(&f.0, &g.0) == Some(true))
                .unwrap_or(ordered.len());
            ordered.insert(at, f);
        }
        let fields = ordered;
        let flow_map = || {
            let inner: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k}: {}", render_json_scalar(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        };
        let key_off = self.offset(k.pos);
        let key_line = self.line_index(key_off);
        let seq_off = self.offset(seq.pos);
        if self.text.as_bytes().get(seq_off) == Some(&b'[') {
            let b = self.text.as_bytes();
            let close =
                scan_flow(b, seq_off).ok_or_else(|| EditError(format!("unterminated `[` in `{key}`")))?;
            let mut last = close;
            while last > seq_off + 1 && b[last - 1].is_ascii_whitespace() {
                last -= 1;
            }
            let prev = b[last - 1];
            let item = flow_map();
            let insert = if prev == b'[' {
                item
            } else {
                let comma = if prev == b',' { "" } else { "," };
                let multi_line = self.line_index(close) != self.line_index(last);
                match (multi_line, items.last()) {
                    (true, Some(it)) => {
                        let it_off = self.offset(it.pos);
                        let line = self.line_of(it_off);
                        let col = " ".repeat(self.text[line.start..it_off].chars().count());
                        format!("{comma}{}{col}{item}", self.eol)
                    }
                    _ => format!("{comma} {item}"),
                }
            };
            self.text.insert_str(last, &insert);
            return self.reparse();
        }
        // A block sequence: `- ` items, each a block or a flow mapping.
        let Some(last_item) = items.last() else {
            return err(format!("`{key}` is empty"));
        };
        let item_off = self.offset(last_item.pos);
        let line = self.line_of(item_off);
        let before = &self.text[line.start..item_off];
        let Some(dash) = before.rfind('-') else {
            return err(format!("cannot find the `-` of the last entry of `{key}`"));
        };
        let dash_indent = &before[..dash];
        if !dash_indent.bytes().all(|c| c == b' ') {
            return err(format!("the entries of `{key}` are laid out in an unusual way"));
        }
        let after_dash = &before[dash + 1..];
        let key_col = " ".repeat(before.chars().count());
        let eol = self.eol;
        let new_item = if self.text.as_bytes().get(item_off) == Some(&b'{')
            || !matches!(last_item.value, Value::Map(_))
        {
            format!("{dash_indent}-{after_dash}{}", flow_map())
        } else {
            let mut s = String::new();
            for (i, (k, v)) in fields.iter().enumerate() {
                if i == 0 {
                    s.push_str(&format!("{dash_indent}-{after_dash}"));
                } else {
                    s.push_str(eol);
                    s.push_str(&key_col);
                }
                s.push_str(&format!(
                    "{k}:{}",
                    render_block_value(v, &format!("{key_col}  "), eol)
                ));
            }
            s
        };
        let end = self.entry_end(key_line, indent);
        self.text.insert_str(end, &format!("{eol}{new_item}"));
        self.reparse()
    }
}

/// Whether the lines after a single-line value continue it (a multi-line
/// plain scalar); then the simple in-line replacement does not apply.
fn value_continues(doc: &Doc, key_line: usize, indent: usize) -> bool {
    let lines = doc.lines();
    lines[key_line + 1..]
        .iter()
        .map(|l| &doc.text[l.start..l.end])
        .find(|s| !s.trim().is_empty())
        .is_some_and(|s| {
            let ind = s.len() - s.trim_start_matches(' ').len();
            ind > indent && !s.trim_start().starts_with('#')
        })
}

/// End of a quoted scalar starting at `start` (offset just past the closing quote).
fn scan_quoted(b: &[u8], start: usize, q: u8) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        if q == b'"' && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// End of a single-line plain scalar: the line end or a ` #` comment, trailing
/// spaces excluded.
fn plain_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
        if b[i] == b'#' && i > start && matches!(b[i - 1], b' ' | b'\t') {
            break;
        }
        i += 1;
    }
    while i > start && matches!(b[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    i
}

/// Offset of the `]` or `}` closing the flow collection opened at `open`.
fn scan_flow(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            q @ (b'"' | b'\'')
                if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':') =>
            {
                i = scan_quoted(b, i, q)?;
                continue;
            }
            b'#' if i > 0 && matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

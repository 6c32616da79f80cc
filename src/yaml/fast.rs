//! A fast reader for the block-style YAML records are written in.
//!
//! `saphyr-parser` scans character by character through a token queue; on a
//! 100k-record repo it was ~40 % of `gitsm validate`. Records are almost
//! always written in one plain shape: block mappings and sequences, plain or
//! simply quoted one-line scalars, literal blocks (`|`) and comments. This
//! module reads exactly that shape line by line and builds the same [`Node`]
//! tree, positions included. Anything else — flow collections, anchors,
//! tags, escapes, multi-line plain scalars, tabs, duplicate keys, a second
//! document, odd characters — makes it give up (`None`) *before* deciding
//! anything, and [`super::parse`] reads the text with saphyr as before. So
//! every finding still comes from saphyr; this path only ever accepts text
//! saphyr accepts, with the tree saphyr would build. A differential property
//! test (tests/yaml_fast.rs) holds it to that, on generated documents near
//! every edge of the shape and on every bundled record.

use super::{resolve_scalar, Key, Node, Value, MAX_DEPTH};
use crate::diag::Pos;
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;
use std::collections::HashSet;

/// Gives up: the text is outside the shape this reader knows.
type Fast<T> = Option<T>;

struct Line<'a> {
    /// 1-based line number.
    no: usize,
    /// 0-based column of the first character of `text`.
    indent: usize,
    /// The line from `indent` on, without its line break.
    text: &'a str,
    /// The whole line, for literal blocks.
    raw: &'a str,
}

impl Line<'_> {
    /// Neither blank nor a comment.
    fn is_content(&self) -> bool {
        !self.text.is_empty() && !self.text.starts_with('#')
    }
    fn is_seq_item(&self) -> bool {
        self.text == "-" || self.text.starts_with("- ")
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    /// Index of the next line to read.
    at: usize,
    /// Whether the text ends with a line break.
    final_break: bool,
}

/// The document `src` holds (`Some(None)` for none), or `None` when `src` is
/// outside the fast shape. `src` has no byte-order mark.
pub fn parse(src: &str) -> Fast<Option<Node>> {
    if !plain_characters(src) {
        return None;
    }
    let mut lines = Vec::with_capacity(src.len() / 24 + 1);
    let mut start = 0;
    let breaks = memchr::memchr_iter(b'\n', src.as_bytes()).chain(std::iter::once(src.len()));
    for (i, end) in breaks.enumerate() {
        let raw = &src[start..end];
        start = end + 1;
        let text = raw.trim_start_matches(' ');
        // Document markers and directives belong to saphyr.
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        lines.push(Line {
            no: i + 1,
            indent: raw.len() - text.len(),
            text,
            raw,
        });
    }
    let mut r = Reader {
        lines,
        at: 0,
        final_break: src.ends_with('\n'),
    };
    let Some(first) = r.next_content() else {
        return Some(None);
    };
    let root = r.block_node(first, 0)?;
    // Anything after the root node (a less indented line) is saphyr's to judge.
    if r.next_content().is_some() {
        return None;
    }
    Some(Some(root))
}

/// Only printable characters other than tabs and carriage returns: the
/// characters whose meaning this reader never has to think about.
fn plain_characters(src: &str) -> bool {
    // Branch-free, so the compiler vectorises it: control bytes other than
    // the line feed, and DEL.
    let odd = |b: &u8| ((*b < b' ' && *b != b'\n') || *b == 0x7f) as u8;
    if src.as_bytes().iter().map(odd).fold(0, |a, o| a | o) != 0 {
        return false;
    }
    if src.is_ascii() {
        return true;
    }
    src.chars().all(|c| {
        let u = c as u32;
        u < 0x80 || (u >= 0xa0 && !matches!(u, 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff))
    })
}

impl<'a> Reader<'a> {
    /// Index of the next content line, skipping blank and comment lines.
    fn next_content(&mut self) -> Option<usize> {
        while self.at < self.lines.len() {
            if self.lines[self.at].is_content() {
                return Some(self.at);
            }
            self.at += 1;
        }
        None
    }

    /// The mapping or sequence starting on content line `i`.
    fn block_node(&mut self, i: usize, depth: usize) -> Fast<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let line = &self.lines[i];
        if line.is_seq_item() {
            self.sequence(line.indent, depth)
        } else if split_key(line.text).is_some() {
            self.mapping(line.indent, depth)
        } else {
            None
        }
    }

    /// A block mapping whose keys sit at column `n`.
    fn mapping(&mut self, n: usize, depth: usize) -> Fast<Node> {
        let first = self.next_content()?;
        let pos = Pos {
            line: self.lines[first].no,
            column: n + 1,
        };
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut seen = Seen::default();
        while let Some(i) = self.next_content() {
            let line = &self.lines[i];
            if line.indent < n {
                break;
            }
            if line.indent > n {
                return None;
            }
            let (name, rest) = split_key(line.text)?;
            // A repeated key is saphyr's finding.
            if !seen.insert(name) {
                return None;
            }
            let key = Key {
                name: name.to_string(),
                pos: Pos {
                    line: line.no,
                    column: n + 1,
                },
            };
            let (no, col) = (line.no, n + name.len() + 1);
            self.at = i + 1;
            let value = self.value(rest, no, col, n, true, depth)?;
            entries.push((key, value));
        }
        Some(Node {
            pos,
            value: Value::Map(entries),
        })
    }

    /// A block sequence whose dashes sit at column `n`.
    fn sequence(&mut self, n: usize, depth: usize) -> Fast<Node> {
        let first = self.next_content()?;
        let pos = Pos {
            line: self.lines[first].no,
            column: n + 1,
        };
        let mut items = Vec::new();
        while let Some(i) = self.next_content() {
            let line = &self.lines[i];
            if line.indent < n || (line.indent == n && !line.is_seq_item()) {
                break;
            }
            if line.indent > n {
                return None;
            }
            let rest = &line.text[1..];
            let inner = rest.trim_start_matches(' ');
            let nested = Line {
                no: line.no,
                indent: n + 1 + (rest.len() - inner.len()),
                text: inner,
                raw: line.raw,
            };
            if nested.is_content() && (nested.is_seq_item() || split_key(inner).is_some()) {
                // `- key: value` or `- - item`: a collection that starts on
                // the dash's line, at the column after the dash.
                self.lines[i] = nested;
                self.at = i;
                items.push(self.block_node(i, depth + 1)?);
                continue;
            }
            let no = line.no;
            self.at = i + 1;
            items.push(self.value(rest, no, n + 1, n, false, depth)?);
        }
        Some(Node {
            pos,
            value: Value::Seq(items),
        })
    }

    /// The value written after a key's colon or a dash (`rest`, which
    /// starts at 0-based column `col` of line `no`), in a collection at
    /// column `n`. `same_indent_seq`: a sequence may start on the next line
    /// at column `n` (a mapping's value).
    fn value(
        &mut self,
        rest: &'a str,
        no: usize,
        col: usize,
        n: usize,
        same_indent_seq: bool,
        depth: usize,
    ) -> Fast<Node> {
        let text = rest.trim_start_matches(' ');
        if !text.is_empty() && text.len() == rest.len() {
            return None; // `key:x` is not a key; the caller never passes it
        }
        let pos = Pos {
            line: no,
            column: col + (rest.len() - text.len()) + 1,
        };
        if text.is_empty() || text.starts_with('#') {
            return self.value_below(n, same_indent_seq, depth);
        }
        let value = match text.as_bytes()[0] {
            b'|' => return self.literal(text, n),
            b'[' | b'{' => flow(text, pos)?,
            b'\'' => Value::Str(single_quoted(text)?.into_owned()),
            b'"' => Value::Str(double_quoted(text)?.to_string()),
            _ => resolve_scalar(Cow::Borrowed(plain(text)?), ScalarStyle::Plain),
        };
        // A more indented line after a one-line value continues it (or is
        // an error): saphyr's to read.
        if let Some(j) = self.next_content() {
            if self.lines[j].indent > n {
                return None;
            }
        }
        Some(Node { pos, value })
    }

    /// The value of a key or dash with nothing after it on its line: a
    /// collection on the lines below, else null.
    fn value_below(&mut self, n: usize, same_indent_seq: bool, depth: usize) -> Fast<Node> {
        match self.next_content() {
            Some(j) if self.lines[j].indent > n => self.block_node(j, depth + 1),
            Some(j) if same_indent_seq && self.lines[j].indent == n && self.lines[j].is_seq_item() => {
                // saphyr starts a sequence written at its key's column at
                // the first token after the dash, not at the dash.
                let pos = self.token_after_dash(j)?;
                let mut seq = self.sequence(n, depth + 1)?;
                seq.pos = pos;
                Some(seq)
            }
            // saphyr places an empty value where the next token starts; we
            // do not guess: null values are rare enough to leave to it.
            _ => None,
        }
    }

    /// Where the first token after the dash of sequence line `j` starts,
    /// when it is on the dash's line.
    fn token_after_dash(&self, j: usize) -> Fast<Pos> {
        let line = &self.lines[j];
        let rest = &line.text[1..];
        let inner = rest.trim_start_matches(' ');
        // A dash alone on its line: saphyr places the sequence somewhere
        // on that line; left to it.
        if inner.is_empty() || inner.starts_with('#') {
            return None;
        }
        Some(Pos {
            line: line.no,
            column: line.indent + 1 + (rest.len() - inner.len()) + 1,
        })
    }

    /// A literal block scalar (`|` or `|-`) whose header is `header`, in a
    /// collection at column `n`. saphyr places it where its text starts.
    fn literal(&mut self, header: &str, n: usize) -> Fast<Node> {
        let strip = match header.trim_end_matches(' ') {
            "|" => false,
            "|-" => true,
            _ => return None,
        };
        let first = self.at;
        let indent = match self.lines.get(first) {
            // Leading blank lines and empty blocks are saphyr's.
            Some(l) if !l.text.is_empty() && l.indent > n => l.indent,
            _ => return None,
        };
        let pos = Pos {
            line: self.lines[first].no,
            column: indent + 1,
        };
        let mut end = first;
        while let Some(l) = self.lines.get(end) {
            if l.text.is_empty() {
                // A blank line: more spaces than the indentation would be content.
                if l.raw.len() > indent {
                    return None;
                }
            } else if l.indent < indent {
                break;
            }
            end += 1;
        }
        if end == self.lines.len() && !self.final_break {
            return None;
        }
        let mut last = end;
        while last > first && self.lines[last - 1].text.is_empty() {
            last -= 1;
        }
        let mut out = String::new();
        for (k, l) in self.lines[first..last].iter().enumerate() {
            if k > 0 {
                out.push('\n');
            }
            if !l.text.is_empty() {
                out.push_str(&l.raw[indent..]);
            }
        }
        if !strip {
            out.push('\n');
        }
        self.at = end;
        Some(Node {
            pos,
            value: Value::Str(out),
        })
    }
}

/// The keys of one mapping so far: a list for the usual handful, a set past
/// that, so a hostile file of 100k keys stays linear.
#[derive(Default)]
struct Seen<'a> {
    list: Vec<&'a str>,
    set: Option<HashSet<&'a str>>,
}

impl<'a> Seen<'a> {
    /// Adds `key`; false when the mapping already has it.
    fn insert(&mut self, key: &'a str) -> bool {
        if let Some(set) = &mut self.set {
            return set.insert(key);
        }
        if self.list.contains(&key) {
            return false;
        }
        self.list.push(key);
        if self.list.len() > 16 {
            self.set = Some(self.list.drain(..).collect());
        }
        true
    }
}

/// A flow sequence or mapping of plain scalars on one line (`[a, b]`,
/// `{at: …, by: …}`), as people and generators write short lists; `pos` is
/// where its bracket is. Nesting, quotes, empty or trailing entries,
/// comments inside and implicit pairs are saphyr's.
fn flow(text: &str, pos: Pos) -> Fast<Value> {
    let map = text.starts_with('{');
    let end = text.find(if map { '}' } else { ']' })?;
    if !trailer_ok(&text[end + 1..]) {
        return None;
    }
    let inner = &text[1..end];
    let mut items = Vec::new();
    let mut entries = Vec::new();
    let mut seen = Seen::default();
    if inner.bytes().all(|b| b == b' ') {
        return Some(if map {
            Value::Map(entries)
        } else {
            Value::Seq(items)
        });
    }
    // Columns count characters; `chars` is how many precede the piece.
    let mut chars = pos.column;
    for piece in inner.split(',') {
        let item = piece.trim_start_matches(' ');
        let at = |offset: usize| Pos {
            line: pos.line,
            column: chars + (piece.len() - item.len()) + offset + 1,
        };
        if map {
            let (name, rest) = split_key(item)?;
            let value = rest.trim_start_matches(' ');
            if rest.is_empty() || !seen.insert(name) {
                return None;
            }
            let key = Key {
                name: name.to_string(),
                pos: at(0),
            };
            let node = Node {
                pos: at(name.len() + 1 + (rest.len() - value.len())),
                value: resolve_scalar(Cow::Borrowed(flow_plain(value)?), ScalarStyle::Plain),
            };
            entries.push((key, node));
        } else {
            items.push(Node {
                pos: at(0),
                value: resolve_scalar(Cow::Borrowed(flow_plain(item)?), ScalarStyle::Plain),
            });
        }
        chars += piece.chars().count() + 1;
    }
    Some(if map {
        Value::Map(entries)
    } else {
        Value::Seq(items)
    })
}

/// A plain scalar inside a one-line flow collection, trailing spaces
/// trimmed: no flow indicators, quotes or `#`, and a `:` only inside a word
/// (as in a time of day).
fn flow_plain(item: &str) -> Fast<&str> {
    let body = item.trim_end_matches(' ');
    let b = body.as_bytes();
    let first = *b.first()?;
    if matches!(
        first,
        b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'?' | b':' | b'-'
    ) && (first != b'-' || b.len() == 1 || b[1] == b' ')
    {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'[' | b']' | b'{' | b'}' | b'#' | b'\'' | b'"' => return None,
            b':' if !b.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric()) => return None,
            _ => {}
        }
    }
    Some(body)
}

/// `key: rest` or `key:` with a plain key of letters, digits, `_`, `-` and
/// `.` (not starting with `-` or `.`): the key and what follows the colon.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    let len = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'))
        .unwrap_or(b.len());
    if len == 0 || b[0] == b'-' || b[0] == b'.' || b.get(len) != Some(&b':') {
        return None;
    }
    match b.get(len + 1) {
        None | Some(b' ') => Some((&text[..len], &text[len + 1..])),
        _ => None,
    }
}

/// A one-line plain scalar: `text` up to a comment, trailing spaces trimmed.
/// Gives up on indicators that would make it something else.
fn plain(text: &str) -> Fast<&str> {
    let b = text.as_bytes();
    match b[0] {
        b'[' | b']' | b'{' | b'}' | b',' | b'&' | b'*' | b'!' | b'>' | b'%' | b'@' | b'`' | b'?' | b':' => {
            return None
        }
        b'-' if b.len() == 1 || b[1] == b' ' => return None,
        _ => {}
    }
    // One pass over the `:` and `#` bytes: a comment starts at ` #`, and a
    // `:` before a space or the end would make a mapping.
    let mut end = b.len();
    for i in memchr::memchr2_iter(b':', b'#', b) {
        if b[i] == b'#' {
            if i > 0 && b[i - 1] == b' ' {
                end = i;
                break;
            }
        } else if b.get(i + 1).is_none_or(|&n| n == b' ') {
            return None;
        }
    }
    Some(text[..end].trim_end_matches(' '))
}

/// What may follow a closing quote: spaces, then a comment or nothing.
fn trailer_ok(after: &str) -> bool {
    let t = after.trim_start_matches(' ');
    t.is_empty() || (t.len() < after.len() && t.starts_with('#'))
}

/// `'…'` on one line, `''` standing for a quote.
fn single_quoted(text: &str) -> Fast<Cow<'_, str>> {
    let body = &text[1..];
    let mut close = None;
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            close = Some(i);
            break;
        }
        i += 1;
    }
    let close = close?;
    if !trailer_ok(&body[close + 1..]) {
        return None;
    }
    let inner = &body[..close];
    Some(if inner.contains("''") {
        Cow::Owned(inner.replace("''", "'"))
    } else {
        Cow::Borrowed(inner)
    })
}

/// `"…"` on one line without escapes.
fn double_quoted(text: &str) -> Fast<Cow<'_, str>> {
    let body = &text[1..];
    let close = body.find(['"', '\\'])?;
    if body.as_bytes()[close] != b'"' || !trailer_ok(&body[close + 1..]) {
        return None;
    }
    Some(Cow::Borrowed(&body[..close]))
}

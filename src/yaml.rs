//! The YAML layer: a strict, bounded reader that turns one YAML document into a
//! tree with a position on every node.
//!
//! Why not serde_yaml: it is deprecated, and it took 77 s to reject a 500 KB
//! deeply nested flow mapping on our CI machine. We read the event stream of
//! `saphyr-parser` (maintained, iterative, reports a span for every event) and
//! build the tree ourselves, so we control every limit:
//!
//! * aliases and anchors are refused outright (no alias bombs, no shared nodes);
//! * tags and merge keys (`<<:`) are refused, so nothing is coerced behind the
//!   user's back;
//! * duplicate keys, a second document and nesting deeper than [`MAX_DEPTH`]
//!   are findings;
//! * plain scalars resolve by the YAML 1.2 core schema, so `no` stays the
//!   string `"no"` (and then fails the enum check) instead of becoming `false`.
//!
//! The caller limits the file size before reading it ([`MAX_FILE_BYTES`]).

use crate::diag::{Code, Pos};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;
use std::collections::HashSet;

mod fast;

/// Deepest nesting of mappings and sequences accepted in a record.
pub const MAX_DEPTH: usize = 64;
/// Largest file gitsm reads as a record (1 MiB; real records are a few KB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A YAML node with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

/// Why a document was refused, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub code: Code,
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

impl YamlError {
    fn new(code: Code, span: &Span, message: impl Into<String>) -> Self {
        YamlError {
            code,
            pos: pos_of(span),
            message: message.into(),
            hint: None,
        }
    }
    fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line().max(1),
        column: span.start.col() + 1,
    }
}

enum Frame {
    Seq {
        pos: Pos,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        entries: Vec<(Key, Node)>,
        pending: Option<Key>,
        /// Key index for duplicate detection; built only for large mappings,
        /// a linear scan is faster for the usual handful of keys.
        seen: Option<HashSet<String>>,
    },
}

/// Keeps a position on a line the text has: the scanner reports an error at
/// the end of the stream on the line after a final newline, which a
/// four-line file does not have; such a position moves to the end of the last
/// line.
fn within_text(src: &str, pos: Pos) -> Pos {
    let lines = src.lines().count().max(1);
    if pos.line <= lines {
        return pos;
    }
    let last = src.lines().last().unwrap_or("");
    Pos {
        line: lines,
        column: last.trim_end_matches('\r').chars().count() + 1,
    }
}

/// `text` without the byte-order mark some editors write first. [`parse`]
/// drops it itself, so no reader has to remember; a reader that scans the
/// text by hand (the gate's quick id scan, the format-preserving editor)
/// calls this.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses exactly one YAML document. `Ok(None)` means the stream holds no
/// document at all (an empty file or only comments). A leading byte-order
/// mark is not part of the document; positions count from after it.
pub fn parse(src: &str) -> Result<Option<Node>, YamlError> {
    let src = strip_bom(src);
    match fast::parse(src) {
        Some(doc) => Ok(doc),
        None => parse_with_saphyr(src),
    }
}

/// The block-style fast path alone: `None` where it leaves the text to
/// saphyr. For the differential test, which holds the two readers equal.
#[doc(hidden)]
pub fn parse_fast_path(src: &str) -> Option<Option<Node>> {
    fast::parse(strip_bom(src))
}

/// The full reader, which every text outside the fast path's shape goes
/// through and which gives every finding.
#[doc(hidden)]
pub fn parse_with_saphyr(src: &str) -> Result<Option<Node>, YamlError> {
    let src = strip_bom(src);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    for item in Parser::new_from_str(src) {
        let (event, span) = item.map_err(|e| scan_error(src, &e))?;
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError::new(
                        Code::MultipleDocuments,
                        &span,
                        "a second YAML document starts here",
                    )
                    .hint("put each record in its own file"));
                }
            }
            Event::Alias(_) => {
                return Err(
                    YamlError::new(Code::Alias, &span, "YAML alias (`*name`) in a record")
                        .hint("write the value out in full; anchors and aliases are refused"),
                );
            }
            Event::Scalar(text, style, anchor, tag) => {
                check_node_props(anchor, tag.is_some(), &span)?;
                // A scalar in key position becomes the pending key.
                if let Some(Frame::Map {
                    pending,
                    seen,
                    entries,
                    ..
                }) = stack.last_mut()
                {
                    if pending.is_none() {
                        *pending = Some(mapping_key(text, style, entries, seen, &span)?);
                        continue;
                    }
                }
                let value = resolve_scalar(text, style);
                push_value(
                    &mut stack,
                    &mut root,
                    Node {
                        pos: pos_of(&span),
                        value,
                    },
                );
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                check_node_props(anchor, tag.is_some(), &span)?;
                let frame = open_collection(&stack, matches!(event, Event::SequenceStart(..)), &span)?;
                stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = close_collection(&mut stack, &span)?;
                push_value(&mut stack, &mut root, node);
            }
        }
    }
    Ok(root)
}

/// The scanner's own error (bad indentation, an unclosed quote, …), placed
/// on a line the text has.
fn scan_error(src: &str, e: &saphyr_parser::ScanError) -> YamlError {
    let m = e.marker();
    let msg = e.info().to_string();
    let (code, hint) = if msg.contains("recursion limit") {
        (
            Code::TooDeep,
            Some(format!("records nest at most {MAX_DEPTH} levels")),
        )
    } else {
        (Code::MalformedYaml, None)
    };
    YamlError {
        code,
        pos: within_text(
            src,
            Pos {
                line: m.line().max(1),
                column: m.col() + 1,
            },
        ),
        message: format!("invalid YAML: {msg}"),
        hint,
    }
}

/// A scalar in key position: the mapping's next key, unless it is a merge
/// key (`<<`) or a key the mapping already has.
fn mapping_key(
    text: Cow<'_, str>,
    style: ScalarStyle,
    entries: &[(Key, Node)],
    seen: &mut Option<HashSet<String>>,
    span: &Span,
) -> Result<Key, YamlError> {
    if style == ScalarStyle::Plain && text == "<<" {
        return Err(YamlError::new(Code::MergeKey, span, "YAML merge key `<<`")
            .hint("write the fields out in full; merge keys are refused"));
    }
    let duplicate = match seen {
        Some(set) => !set.insert(text.to_string()),
        None => {
            let dup = entries.iter().any(|(k, _)| k.name == text);
            if entries.len() >= 16 {
                let mut set: HashSet<String> = entries.iter().map(|(k, _)| k.name.clone()).collect();
                set.insert(text.to_string());
                *seen = Some(set);
            }
            dup
        }
    };
    if duplicate {
        return Err(
            YamlError::new(Code::DuplicateKey, span, format!("duplicate key `{text}`"))
                .hint("each key may appear once in a mapping; remove or merge the duplicate"),
        );
    }
    Ok(Key {
        name: text.into_owned(),
        pos: pos_of(span),
    })
}

/// The frame a sequence (`seq`) or mapping opens, refused as a mapping key
/// or beyond [`MAX_DEPTH`].
fn open_collection(stack: &[Frame], seq: bool, span: &Span) -> Result<Frame, YamlError> {
    if let Some(Frame::Map { pending: None, .. }) = stack.last() {
        return Err(YamlError::new(
            Code::ComplexKey,
            span,
            "a mapping key must be a plain string, not a collection",
        ));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(YamlError::new(
            Code::TooDeep,
            span,
            format!("nesting deeper than {MAX_DEPTH} levels"),
        ));
    }
    let pos = pos_of(span);
    Ok(if seq {
        Frame::Seq {
            pos,
            items: Vec::new(),
        }
    } else {
        Frame::Map {
            pos,
            entries: Vec::new(),
            pending: None,
            seen: None,
        }
    })
}

/// The node a sequence or mapping end closes.
fn close_collection(stack: &mut Vec<Frame>, span: &Span) -> Result<Node, YamlError> {
    match stack.pop() {
        Some(Frame::Seq { pos, items }) => Ok(Node {
            pos,
            value: Value::Seq(items),
        }),
        Some(Frame::Map { pos, entries, .. }) => Ok(Node {
            pos,
            value: Value::Map(entries),
        }),
        None => Err(YamlError::new(
            Code::MalformedYaml,
            span,
            "unbalanced YAML collection",
        )),
    }
}

fn check_node_props(anchor: usize, tagged: bool, span: &Span) -> Result<(), YamlError> {
    if anchor != 0 {
        return Err(
            YamlError::new(Code::Alias, span, "YAML anchor (`&name`) in a record")
                .hint("write values out in full; anchors and aliases are refused"),
        );
    }
    if tagged {
        return Err(YamlError::new(Code::Tag, span, "YAML tag in a record")
            .hint("remove the tag; quote the value if it should be a string"));
    }
    Ok(())
}

fn push_value(stack: &mut [Frame], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        None => *root = Some(node),
        Some(Frame::Seq { items, .. }) => items.push(node),
        Some(Frame::Map { entries, pending, .. }) => {
            // The parser guarantees a key precedes every value.
            let key = pending.take().unwrap_or(Key {
                name: String::new(),
                pos: node.pos,
            });
            entries.push((key, node));
        }
    }
}

/// Whether `text`, written as a plain (unquoted) scalar, reads back as that
/// same string under the core schema (so `true`, `3` or `null` do not).
pub fn plain_is_string(text: &str) -> bool {
    matches!(
        resolve_scalar(Cow::Borrowed(text), ScalarStyle::Plain),
        Value::Str(_)
    )
}

/// YAML 1.2 core schema resolution for plain scalars; everything else is a
/// string. Takes the parser's text by value so a string is moved, not copied.
fn resolve_scalar(cow: Cow<'_, str>, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(cow.into_owned());
    }
    let text: &str = &cow;
    // Most scalars start with a letter no special value starts with.
    match text.as_bytes().first() {
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F') | None => {}
        Some(_) => return Value::Str(cow.into_owned()),
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan"
        | ".NaN" | ".NAN" => return Value::Str(cow.into_owned()),
        _ => {}
    }
    let bytes = text.as_bytes();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    if let Some(h) = text.strip_prefix("0x") {
        if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(h, 16) {
                return Value::Int(i);
            }
        }
    }
    if let Some(o) = text.strip_prefix("0o") {
        if !o.is_empty() && o.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(o, 8) {
                return Value::Int(i);
            }
        }
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    if !bytes.is_empty() && is_core_float(unsigned) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(cow.into_owned())
}

fn is_core_float(s: &str) -> bool {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()))
                && (!a.is_empty() || !b.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
        }
    };
    mantissa_ok && exp_ok
}

impl Node {
    /// Converts to JSON for schema validation and typed deserialization.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or_else(|| Json::String(f.to_string())),
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::with_capacity(entries.len());
                for (k, v) in entries {
                    m.insert(k.name.clone(), v.to_json());
                }
                Json::Object(m)
            }
        }
    }

    /// Converts to JSON, moving the strings instead of copying them (the
    /// loader's fast path; it re-parses for positions only when needed).
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value as Json;
        match self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Int(i) => Json::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f)
                .map(Json::Number)
                .unwrap_or_else(|| Json::String(f.to_string())),
            Value::Str(s) => Json::String(s),
            Value::Seq(items) => Json::Array(items.into_iter().map(Node::into_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::with_capacity(entries.len());
                for (k, v) in entries {
                    m.insert(k.name, v.into_json());
                }
                Json::Object(m)
            }
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node for `key` when this node is a mapping.
    pub fn key(&self, key: &str) -> Option<&Key> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(k, _)| k),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Position of the node a JSON pointer names. When the pointer leads
    /// somewhere that does not exist, the deepest existing node's position.
    /// With `key` set, the position of the last segment's key instead of its value.
    pub fn locate(&self, pointer: &str, key: bool) -> Pos {
        let mut node = self;
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        for (i, seg) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            match &node.value {
                Value::Map(entries) => match entries.iter().find(|(k, _)| &k.name == seg) {
                    Some((k, v)) => {
                        if last && key {
                            return k.pos;
                        }
                        node = v;
                    }
                    None => return node.pos,
                },
                Value::Seq(items) => match seg.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(v) => node = v,
                    None => return node.pos,
                },
                _ => return node.pos,
            }
        }
        node.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_document() {
        let with = parse("\u{feff}id: INC-1\nbad: [\n").unwrap_err();
        let without = parse("id: INC-1\nbad: [\n").unwrap_err();
        assert_eq!(with.pos, without.pos);
        let n = parse("\u{feff}id: INC-1\n").unwrap().unwrap();
        assert_eq!(n.to_json(), serde_json::json!({"id": "INC-1"}));
        assert_eq!(n.get("id").unwrap().pos, Pos { line: 1, column: 5 });
        assert_eq!(parse("\u{feff}").unwrap(), None);
        assert_eq!(strip_bom("\u{feff}\u{feff}x"), "\u{feff}x");
    }

    #[test]
    fn no_stays_a_string() {
        let n = parse("risk: no\nn: 3\nf: 1.5\nb: true\nz: ~\nq: '3'\n")
            .unwrap()
            .unwrap();
        let j = n.to_json();
        assert_eq!(j["risk"], "no");
        assert_eq!(j["n"], 3);
        assert_eq!(j["f"], 1.5);
        assert_eq!(j["b"], true);
        assert!(j["z"].is_null());
        assert_eq!(j["q"], "3");
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse("a: 1\nb:\n  - x\n  - y\n").unwrap().unwrap();
        assert_eq!(n.locate("/b/1", false), Pos { line: 4, column: 5 });
        assert_eq!(n.locate("/b", true), Pos { line: 2, column: 1 });
    }

    #[test]
    fn refuses_dangerous_constructs() {
        let code = |s: &str| parse(s).unwrap_err().code;
        assert_eq!(code("a: 1\na: 2\n"), Code::DuplicateKey);
        assert_eq!(code("a: &x 1\nb: *x\n"), Code::Alias);
        assert_eq!(code("a: !foo 1\n"), Code::Tag);
        assert_eq!(code("<<: {a: 1}\n"), Code::MergeKey);
        assert_eq!(code("a: 1\n---\nb: 2\n"), Code::MultipleDocuments);
        assert_eq!(code("a: [1, 2\n"), Code::MalformedYaml);
        // The end of the stream stays on the file's last line.
        let e = parse("a: 1\nb: 2\nc: 3\nd: [1, 2\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 4, column: 9 });
        assert_eq!(
            code(&format!("{}{}", "[".repeat(100), "]".repeat(100))),
            Code::TooDeep
        );
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut s: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(parse(&s).is_ok());
        s.push_str("k3: again\n");
        let e = parse(&s).unwrap_err();
        assert_eq!(e.code, Code::DuplicateKey);
        assert_eq!(e.pos.line, 41);
    }

    #[test]
    fn empty_is_none() {
        assert!(parse("# only a comment\n").unwrap().is_none());
        assert!(parse("").unwrap().is_none());
    }
}

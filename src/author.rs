//! Creating and moving tickets: the pure parts of `gitsm new` and
//! `gitsm transition` (id allocation, the text of a new record, the checks and
//! edits of a transition). File locking, git and printing live in the binary.

use crate::edit::{self, Edits};
use crate::model::{Change, ChangeStatus, ChangeType, IdPrefixes, Kind, Outcome, Record, Timestamp};
use crate::repo::{Entry, Source};
use crate::workflow;
use serde_json::Value as J;

/// The canonical order of a kind's fields in a new file, as people write them.
fn field_order(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Incident => &[
            "apiVersion",
            "kind",
            "id",
            "title",
            "service",
            "impact",
            "urgency",
            "priority",
            "priority_override_reason",
            "status",
            "reported_at",
            "reported_by",
            "assignee",
            "customer_impact",
            "affected_services",
            "problem",
            "related",
            "resolution",
        ],
        Kind::Problem => &[
            "apiVersion",
            "kind",
            "id",
            "title",
            "services",
            "status",
            "root_cause",
            "workaround",
            "incidents",
        ],
        Kind::Request => &[
            "apiVersion",
            "kind",
            "id",
            "title",
            "service",
            "requested_by",
            "status",
        ],
        Kind::Change => &[
            "apiVersion",
            "kind",
            "id",
            "title",
            "status",
            "type",
            "risk",
            "services",
            "requested_by",
            "implementer",
            "description",
            "plan",
            "rollback_plan",
            "test_plan",
            "window",
            "maintenance",
            "outcome",
            "review",
            "approvals",
        ],
        _ => &["apiVersion", "kind", "id"],
    }
}

/// The number in a ticket id `PREFIX-0042`, if it has that prefix.
pub fn id_number(id: &str, prefix: &str) -> Option<u64> {
    let digits = id.strip_prefix(prefix)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The next free id after every id in `taken`: one more than the highest,
/// zero-padded to `digits`.
pub fn next_id<'a>(prefix: &str, digits: u32, taken: impl IntoIterator<Item = &'a str>) -> String {
    let max = taken
        .into_iter()
        .filter_map(|id| id_number(id, prefix))
        .max()
        .unwrap_or(0);
    format!("{prefix}-{:0width$}", max + 1, width = digits as usize)
}

pub fn prefix_for(prefixes: &IdPrefixes, kind: Kind) -> &str {
    prefixes.for_kind(kind).unwrap_or("")
}

/// The text of a new record: the editor schema line, then the fields in the
/// kind's usual order (unknown ones after), then the timeline.
///
/// The text is read back and must give exactly `fields`; a value the writer
/// cannot express faithfully is refused rather than written wrong.
pub fn render_new(
    kind: Kind,
    schema_path: &str,
    fields: &serde_json::Map<String, J>,
) -> Result<String, String> {
    let mut out = format!("# yaml-language-server: $schema={schema_path}\n");
    let order = field_order(kind);
    let mut keys: Vec<&String> = fields
        .keys()
        .filter(|k| *k != "timeline" && *k != "extra")
        .collect();
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
    for k in keys {
        emit(&mut out, k, &fields[k.as_str()], 0);
    }
    for k in ["timeline", "extra"] {
        if let Some(v) = fields.get(k) {
            emit(&mut out, k, v, 0);
        }
    }
    let back = crate::yaml::parse(&out).ok().flatten().map(|n| n.to_json());
    if back.as_ref() != Some(&J::Object(fields.clone())) {
        return Err("value too complex for `gitsm new`; edit the file by hand".into());
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
fn emit(out: &mut String, key: &str, v: &J, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        J::Array(items) if !items.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for item in items {
                emit_item(out, item, indent + 2);
            }
        }
        J::Object(m) if !m.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for (k, v) in m {
                emit(out, k, v, indent + 2);
            }
        }
        J::String(s) if s.contains('\n') => {
            out.push_str(&format!("{pad}{key}: "));
            block_scalar(out, s, &format!("{pad}  "));
        }
        other => out.push_str(&format!("{pad}{key}: {}\n", inline(other))),
    }
}

/// One sequence entry `- value` with its dash at `indent`.
fn emit_item(out: &mut String, v: &J, indent: usize) {
    let pad = " ".repeat(indent);
    // A nested block (map or sequence) is written two columns in, and its
    // first line's indentation becomes the dash: `- key: …` / `- - …`.
    let nested = |out: &mut String, s: String| {
        let (head, rest) = s.split_at(indent + 2);
        debug_assert!(head.bytes().all(|b| b == b' '));
        out.push_str(&format!("{pad}- {rest}"));
    };
    match v {
        J::Object(m) if !m.is_empty() => {
            let mut s = String::new();
            for (k, v) in m {
                emit(&mut s, k, v, indent + 2);
            }
            nested(out, s);
        }
        J::Array(items) if !items.is_empty() => {
            let mut s = String::new();
            for item in items {
                emit_item(&mut s, item, indent + 2);
            }
            nested(out, s);
        }
        J::String(s) if s.contains('\n') => {
            out.push_str(&format!("{pad}- "));
            block_scalar(out, s, &format!("{pad}  "));
        }
        other => out.push_str(&format!("{pad}- {}\n", inline(other))),
    }
}

/// A value that fits on one line: a scalar or an empty collection.
fn inline(v: &J) -> String {
    match v {
        J::Array(_) => "[]".into(),
        J::Object(_) => "{}".into(),
        J::String(s) => edit::render_scalar(s),
        J::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Reads `--field key=value`: the value as a YAML flow collection (`[a, b]`,
/// `{start: …}`), number or boolean, and as text otherwise. A dotted key
/// (`window.start`) sets a nested field.
pub fn parse_field(spec: &str) -> Result<(Vec<String>, J), String> {
    let Some((key, raw)) = spec.split_once('=') else {
        return Err(format!("`{spec}` is not KEY=VALUE"));
    };
    let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
    if path.iter().any(String::is_empty) {
        return Err(format!("`{key}` is not a field name"));
    }
    // Only flow collections and plain numbers/booleans are read as YAML, so
    // `--field resolution=Fixed: restarted` stays text.
    let flow = raw.trim_start().starts_with(['[', '{']);
    let value = match crate::yaml::parse(raw) {
        Ok(Some(n)) => match n.value {
            crate::yaml::Value::Bool(_) | crate::yaml::Value::Int(_) | crate::yaml::Value::Float(_) => {
                n.to_json()
            }
            crate::yaml::Value::Seq(_) | crate::yaml::Value::Map(_) if flow => n.to_json(),
            _ => J::String(raw.to_string()),
        },
        _ => J::String(raw.to_string()),
    };
    Ok((path, value))
}

/// Sets `value` at a dotted `path` in a JSON object, creating maps on the way.
pub fn set_path(map: &mut serde_json::Map<String, J>, path: &[String], value: J) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| J::Object(Default::default()));
            if !entry.is_object() {
                *entry = J::Object(Default::default());
            }
            if let J::Object(m) = entry {
                set_path(m, rest, value);
            }
        }
    }
}

/// A ticket's workflow state, read from its typed record.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub kind: Kind,
    pub status: String,
    /// Statuses of the timeline events that have one, oldest first.
    pub history: Vec<String>,
    /// When the last timeline event happened.
    pub last_at: Option<Timestamp>,
}

macro_rules! ticket_of {
    ($kind:expr, $r:expr) => {
        Ticket {
            kind: $kind,
            status: $r.status.as_str().to_string(),
            history: $r
                .timeline
                .iter()
                .filter_map(|e| e.status.map(|s| s.as_str().to_string()))
                .collect(),
            last_at: $r.timeline.iter().map(|e| e.at).max(),
        }
    };
}

impl Ticket {
    pub fn of(record: &Record) -> Option<Ticket> {
        Some(match record {
            Record::Incident(r) => ticket_of!(Kind::Incident, r),
            Record::Problem(r) => ticket_of!(Kind::Problem, r),
            Record::Request(r) => ticket_of!(Kind::Request, r),
            Record::Change(r) => ticket_of!(Kind::Change, r),
            Record::Release(r) => ticket_of!(Kind::Release, r),
            _ => return None,
        })
    }

    pub fn legal_moves(&self) -> Vec<&'static str> {
        let h: Vec<&str> = self.history.iter().map(String::as_str).collect();
        workflow::legal_moves(self.kind, &h)
    }
}

/// What a transition should do.
#[derive(Debug, Clone)]
pub struct Move {
    pub to: String,
    /// The event time, exactly as it will be written.
    pub at: String,
    pub by: String,
    pub note: Option<String>,
    pub public: bool,
    /// Top-level fields set in the same edit (`outcome`, `resolution`, `review`, …).
    pub set: Vec<(String, J)>,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`{to}` is not a status of a {kind}; its statuses: {all}")]
    UnknownStatus {
        kind: &'static str,
        to: String,
        all: String,
    },
    #[error("illegal move `{from}` → `{to}`; legal moves from `{from}`: {legal}")]
    Illegal { from: String, to: String, legal: String },
    #[error("{0}")]
    Requirement(String),
    #[error("the event time {at} is earlier than the last timeline event ({last}); events are appended in time order")]
    TooEarly { at: String, last: String },
}

fn list(v: &[&str]) -> String {
    if v.is_empty() {
        "none (the record is finished)".into()
    } else {
        v.join(", ")
    }
}

/// Checks a move against the workflow and the target state's requirements,
/// and returns the edits that make it.
pub fn plan_move(record: &Record, m: &Move) -> Result<Edits, Refusal> {
    let t = Ticket::of(record)
        .ok_or_else(|| Refusal::Requirement("only tickets and changes have a workflow".into()))?;
    let all = workflow::statuses(t.kind);
    if !all.contains(&m.to.as_str()) {
        return Err(Refusal::UnknownStatus {
            kind: t.kind.name(),
            to: m.to.clone(),
            all: all.join(", "),
        });
    }
    let legal = t.legal_moves();
    if !legal.contains(&m.to.as_str()) {
        return Err(Refusal::Illegal {
            from: t.status.clone(),
            to: m.to.clone(),
            legal: list(&legal),
        });
    }
    let at: Timestamp =
        m.at.parse()
            .map_err(|e: String| Refusal::Requirement(format!("--at: {e}")))?;
    if let Some(last) = t.last_at {
        if at < last {
            return Err(Refusal::TooEarly {
                at: m.at.clone(),
                last: last.to_string(),
            });
        }
    }
    if let Record::Change(c) = record {
        check_change_target(c, m)?;
    }
    let mut event = vec![
        ("at".to_string(), J::String(m.at.clone())),
        ("by".to_string(), J::String(m.by.clone())),
        ("status".to_string(), J::String(m.to.clone())),
    ];
    if let Some(n) = &m.note {
        event.push(("note".into(), J::String(n.clone())));
    }
    if m.public {
        event.push(("public".into(), J::Bool(true)));
    }
    let mut set = vec![("status".to_string(), J::String(m.to.clone()))];
    set.extend(m.set.iter().cloned());
    Ok(Edits {
        set,
        append: vec![("timeline".into(), event)],
    })
}

/// SPEC §1: `completed` needs `outcome`; `closed` needs `review` for an
/// emergency change or one whose outcome was not `successful`.
fn check_change_target(c: &Change, m: &Move) -> Result<(), Refusal> {
    let set_str = |k: &str| {
        m.set
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let outcome = match set_str("outcome") {
        Some(o) => Some(Outcome::parse(&o).ok_or_else(|| {
            Refusal::Requirement(format!(
                "outcome `{o}` is not one of successful, failed, rolled_back"
            ))
        })?),
        None => c.outcome,
    };
    let review = set_str("review").or_else(|| c.review.clone());
    let to = ChangeStatus::parse(&m.to);
    if to == Some(ChangeStatus::Completed) && outcome.is_none() {
        return Err(Refusal::Requirement(
            "a completed change needs `outcome`: pass --outcome successful|failed|rolled_back".into(),
        ));
    }
    if to == Some(ChangeStatus::Closed)
        && review.as_deref().is_none_or(|r| r.trim().is_empty())
        && (c.change_type == ChangeType::Emergency || outcome.is_some_and(|o| o != Outcome::Successful))
    {
        let why = if c.change_type == ChangeType::Emergency {
            "an emergency change".to_string()
        } else {
            format!(
                "a change with outcome `{}`",
                outcome.map(|o| o.as_str()).unwrap_or("")
            )
        };
        return Err(Refusal::Requirement(format!(
            "closing {why} needs a post-implementation review: pass --review TEXT"
        )));
    }
    Ok(())
}

/// A source that shows one file with new contents (or one extra file) on top
/// of another source, so a record can be validated before it is written.
pub struct Overlay<'a> {
    pub base: &'a dyn Source,
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Source for Overlay<'_> {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut v: Vec<Entry> = self
            .base
            .entries()?
            .into_iter()
            .filter(|e| e.path != self.path)
            .collect();
        v.push(Entry {
            path: self.path.clone(),
            size: self.bytes.len() as u64,
            symlink: false,
        });
        v.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(v)
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if path == self.path {
            Ok(self.bytes.clone())
        } else {
            self.base.read(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_padded_and_skip_other_prefixes() {
        assert_eq!(next_id("INC", 4, []), "INC-0001");
        assert_eq!(
            next_id("INC", 4, ["INC-0009", "INC-0010", "CHG-0099", "INC-x"]),
            "INC-0011"
        );
        assert_eq!(next_id("INC", 3, ["INC-12345"]), "INC-12346");
    }

    #[test]
    fn fields_parse_as_yaml_values() {
        assert_eq!(parse_field("maintenance=true").unwrap().1, J::Bool(true));
        assert_eq!(
            parse_field("related=[INC-1, INC-2]").unwrap().1,
            serde_json::json!(["INC-1", "INC-2"])
        );
        assert_eq!(parse_field("title=a: b").unwrap().1, J::String("a: b".into()));
        assert_eq!(parse_field("x=").unwrap().1, J::String(String::new()));
        assert_eq!(
            parse_field("plan=- a\n- b").unwrap().1,
            J::String("- a\n- b".into())
        );
        assert_eq!(parse_field("tier=2").unwrap().1, serde_json::json!(2));
        assert_eq!(
            parse_field("window.start=2026-11-20T10:00:00Z").unwrap().0,
            vec!["window".to_string(), "start".into()]
        );
        assert!(parse_field("nokey").is_err());
    }

    #[test]
    fn new_file_reads_like_a_person_wrote_it() {
        let mut m = serde_json::Map::new();
        m.insert(
            "timeline".into(),
            serde_json::json!([{"at": "2026-11-20T10:00:00Z", "by": "alice", "status": "new"}]),
        );
        m.insert("title".into(), J::String("Checkout: 502s".into()));
        m.insert("id".into(), J::String("INC-0001".into()));
        m.insert("plan".into(), J::String("one\ntwo\n".into()));
        let text = render_new(Kind::Incident, "../schemas/incident.json", &m).unwrap();
        assert_eq!(
            text,
            "# yaml-language-server: $schema=../schemas/incident.json\nid: INC-0001\ntitle: \"Checkout: 502s\"\nplan: |\n  one\n  two\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: alice\n    status: new\n"
        );
    }

    fn rendered(v: J) -> Result<J, String> {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), J::String("INC-0001".into()));
        m.insert("related".into(), v);
        let text = render_new(Kind::Incident, "s.json", &m)?;
        let back = crate::yaml::parse(&text).unwrap().unwrap().to_json();
        Ok(back["related"].clone())
    }

    #[test]
    fn nested_lists_and_multi_line_items_round_trip() {
        for v in [
            serde_json::json!([["a", "b"], "c"]),
            serde_json::json!([[["deep"]], [], {}]),
            serde_json::json!(["one\ntwo", "three\n", "x"]),
            serde_json::json!([{"k": ["p\nq", ["r"]], "m": {"n": "o\np"}}]),
            serde_json::json!([null, 1, 2.5, true, "yes", "#x", "a: b"]),
        ] {
            assert_eq!(rendered(v.clone()), Ok(v));
        }
    }

    #[test]
    fn values_that_cannot_round_trip_are_refused() {
        // A block scalar cannot start with spaces (its indentation is read
        // from the first line) nor keep more than one trailing newline.
        for v in ["  indented\nsecond", "two newlines\n\n"] {
            let err = rendered(serde_json::json!([v])).unwrap_err();
            assert!(err.contains("too complex for `gitsm new`"), "{err}");
        }
    }
}

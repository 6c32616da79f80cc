//! The schema layer: JSON Schemas generated from the model types, compiled
//! once, and validation errors mapped back to the YAML node they concern.

use crate::diag::{Code, Finding};
use crate::model::{self, Kind};
use crate::yaml::Node;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Base URL the schemas are published under (their `$id`).
pub const SCHEMA_BASE: &str = "https://gitsm.dev/schemas/v1/";

pub(crate) fn generate<T: schemars::JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    serde_json::to_value(schema).expect("schema is JSON")
}

/// Optional fields need no `null` branch: writing `field: ~` is an error,
/// which keeps errors pointed (an enum error, not an `anyOf` error).
pub(crate) fn strip_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(branches)) = map.get("anyOf") {
                let non_null: Vec<Value> = branches
                    .iter()
                    .filter(|b| b.get("type") != Some(&json!("null")))
                    .cloned()
                    .collect();
                if non_null.len() == 1 && branches.len() == 2 {
                    map.remove("anyOf");
                    if let Value::Object(inner) = &non_null[0] {
                        for (k, val) in inner {
                            map.entry(k.clone()).or_insert_with(|| val.clone());
                        }
                    }
                }
            }
            if let Some(Value::Array(types)) = map.get("type") {
                let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if non_null.len() == 1 {
                    map.insert("type".into(), non_null[0].clone());
                }
            }
            if let Some(Value::Array(options)) = map.get_mut("enum") {
                options.retain(|o| !o.is_null());
            }
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            for val in map.values_mut() {
                strip_null(val);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The JSON Schema of one kind, as checked in under `schemas/`.
pub fn schema_for(kind: Kind) -> Value {
    let mut schema = match kind {
        Kind::Config => generate::<model::Config>(),
        Kind::Service => generate::<model::Service>(),
        Kind::Calendar => generate::<model::Calendar>(),
        Kind::Sla => generate::<model::Sla>(),
        Kind::ChangePolicy => generate::<model::ChangePolicy>(),
        Kind::Incident => generate::<model::Incident>(),
        Kind::Problem => generate::<model::Problem>(),
        Kind::Request => generate::<model::Request>(),
        Kind::Change => generate::<model::Change>(),
        Kind::ConfigItem => generate::<model::ConfigItem>(),
        Kind::Release => generate::<model::Release>(),
        Kind::RequestType => generate::<model::RequestType>(),
    };
    strip_null(&mut schema);
    let obj = schema.as_object_mut().expect("root schema is an object");
    obj.insert(
        "$id".into(),
        json!(format!("{SCHEMA_BASE}{}", kind.schema_file())),
    );
    obj.insert("title".into(), json!(format!("gitsm {}", kind.name())));
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.insert(
            "apiVersion".into(),
            json!({"const": model::API_VERSION, "description": "Always `gitsm/v1`."}),
        );
        props.insert(
            "kind".into(),
            json!({"const": kind.name(), "description": "The record kind."}),
        );
    }
    schema
}

struct Compiled {
    validator: jsonschema::Validator,
    schema: Value,
}

fn compiled(kind: Kind) -> &'static Compiled {
    static CELLS: [OnceLock<Compiled>; Kind::ALL.len()] = [const { OnceLock::new() }; Kind::ALL.len()];
    let idx = Kind::ALL.iter().position(|k| *k == kind).expect("kind listed");
    CELLS[idx].get_or_init(|| {
        let schema = schema_for(kind);
        let validator = jsonschema::options()
            .should_validate_formats(false)
            .build(&schema)
            .expect("generated schema compiles");
        Compiled { validator, schema }
    })
}

/// Unknown fields reported one by one per mapping; the rest are counted.
const MAX_UNKNOWN_FIELDS: usize = 20;
/// Schema findings reported per file; a file with more is summarised.
const MAX_SCHEMA_FINDINGS: usize = 100;

/// Whether a record's JSON satisfies its kind's schema (no error details).
pub fn is_valid(kind: Kind, value: &Value) -> bool {
    compiled(kind).validator.is_valid(value)
}

/// Validates one record's JSON against its kind's schema. Findings are placed
/// on the YAML node each error points at.
pub fn validate(kind: Kind, value: &Value, node: &Node, file: &str) -> Vec<Finding> {
    let c = compiled(kind);
    if c.validator.is_valid(value) {
        return Vec::new();
    }
    let at = ErrorSite { kind, file, node };
    let mut out = Vec::new();
    let mut skipped = 0usize;
    // (mapping pointer, field) pairs an unknown field's "did you mean" names,
    // and where each missing-field finding sits: a typo (`ownr:`) is one
    // mistake, reported once as the unknown field with the fix.
    let mut suggested: Vec<(String, String)> = Vec::new();
    let mut missing: Vec<(usize, String, String)> = Vec::new();
    for err in c.validator.iter_errors(value) {
        if out.len() >= MAX_SCHEMA_FINDINGS {
            skipped += 1;
            continue;
        }
        let pointer = err.instance_path().as_str().to_string();
        use jsonschema::error::ValidationErrorKind as K;
        match err.kind() {
            K::AdditionalProperties { unexpected } => {
                // Known once per mapping, and a bounded number of findings:
                // a file with 90k made-up keys must not cost 90k lookups each.
                let known = known_properties(&c.schema, &pointer);
                at.unknown_fields(&pointer, unexpected, &known, &mut out, &mut suggested);
            }
            K::Required { property } => {
                let name = property.as_str().unwrap_or("?");
                missing.push((out.len(), pointer.clone(), name.to_string()));
                out.push(at.missing_field(&pointer, name));
            }
            _ => out.push(at.bad_value(value, &pointer, &err)),
        }
    }
    for (i, pointer, name) in missing.into_iter().rev() {
        if suggested.iter().any(|(p, n)| *p == pointer && *n == name) {
            out.remove(i);
        }
    }
    if skipped > 0 {
        out.push(
            Finding::new(
                Code::SchemaViolation,
                file,
                node.pos,
                format!("{skipped} more schema errors in this file"),
            )
            .with_hint("fix the errors above first; gitsm reports at most 100 per file"),
        );
    }
    out
}

/// Where [`validate`]'s findings go: a record of `kind` in `file`, placed on
/// the nodes of its YAML tree.
struct ErrorSite<'a> {
    kind: Kind,
    file: &'a str,
    node: &'a Node,
}

impl ErrorSite<'_> {
    fn finding(&self, code: Code, pointer: &str, message: String) -> Finding {
        Finding::new(code, self.file, self.node.locate(pointer, false), message)
    }

    /// E0003 for each field of the mapping at `pointer` the schema does not
    /// know (at most [`MAX_UNKNOWN_FIELDS`], then a count), with a "did you
    /// mean" among `known`; each suggestion is noted in `suggested`.
    fn unknown_fields(
        &self,
        pointer: &str,
        unexpected: &[String],
        known: &[String],
        out: &mut Vec<Finding>,
        suggested: &mut Vec<(String, String)>,
    ) {
        for name in unexpected.iter().take(MAX_UNKNOWN_FIELDS) {
            let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            let mut f = Finding::new(
                Code::UnknownField,
                self.file,
                self.node.locate(&child, true),
                format!("unknown field `{name}` in {}", where_label(self.kind, pointer)),
            );
            if let Some(best) = did_you_mean(name, known) {
                suggested.push((pointer.to_string(), best.clone()));
                f = f.with_hint(format!("did you mean `{best}`?"));
            } else if !known.is_empty() {
                f = f.with_hint(format!(
                    "known fields: {}; put custom data under `extra:`",
                    known.join(", ")
                ));
            }
            out.push(f);
        }
        if unexpected.len() > MAX_UNKNOWN_FIELDS {
            out.push(self.finding(
                Code::UnknownField,
                pointer,
                format!(
                    "{} more unknown fields in {}",
                    unexpected.len() - MAX_UNKNOWN_FIELDS,
                    where_label(self.kind, pointer)
                ),
            ));
        }
    }

    fn missing_field(&self, pointer: &str, name: &str) -> Finding {
        self.finding(
            Code::MissingField,
            pointer,
            format!(
                "missing required field `{name}` in {}",
                where_label(self.kind, pointer)
            ),
        )
        .with_hint(format!("add `{name}:`; gitsm never assumes a default for it"))
    }

    /// The finding for a value the schema refuses: not one of an enum's
    /// values, not the constant, not the pattern, too short, the wrong type.
    fn bad_value(&self, value: &Value, pointer: &str, err: &jsonschema::ValidationError<'_>) -> Finding {
        let field = pointer.rsplit('/').next().unwrap_or("");
        let field_label = if field.is_empty() || field.parse::<usize>().is_ok() {
            "value".to_string()
        } else {
            format!("`{field}`")
        };
        let instance = value.pointer(pointer);
        let shown = instance.map(short_json).unwrap_or_default();
        use jsonschema::error::ValidationErrorKind as K;
        match err.kind() {
            K::Enum { options } => {
                let opts: Vec<String> = options
                    .as_array()
                    .map(|a| a.iter().map(short_json).collect())
                    .unwrap_or_default();
                let mut f = self
                    .finding(
                        Code::InvalidValue,
                        pointer,
                        format!("{shown} is not a valid {field_label}"),
                    )
                    .with_hint(format!("expected one of {}", opts.join(", ")));
                if let Some(s) = instance.and_then(Value::as_str) {
                    let plain: Vec<String> = opts.iter().map(|o| o.trim_matches('"').to_string()).collect();
                    if let Some(best) = did_you_mean(s, &plain) {
                        f = f.with_hint(format!(
                            "did you mean `{best}`? expected one of {}",
                            opts.join(", ")
                        ));
                    }
                }
                f
            }
            K::Constant { expected_value } => self.finding(
                Code::InvalidValue,
                pointer,
                format!(
                    "{field_label} must be {}, found {shown}",
                    short_json(expected_value)
                ),
            ),
            K::Pattern { pattern } => {
                let what = if pattern == model::types::TIMESTAMP_PATTERN {
                    "an RFC 3339 timestamp with an offset, e.g. `2026-11-20T09:14:00Z`"
                } else if pattern == model::types::DURATION_PATTERN {
                    "a duration such as `15m`, `4h`, `1h30m`, `3d`"
                } else if pattern == model::types::ID_PATTERN {
                    "an id (letters, digits, `.`, `_`, `-`; starting with a letter or digit)"
                } else {
                    "a date `YYYY-MM-DD`"
                };
                self.finding(
                    Code::InvalidFormat,
                    pointer,
                    format!("{field_label} {shown} is not {what}"),
                )
            }
            K::MinLength { .. } => self.finding(
                Code::InvalidFormat,
                pointer,
                format!("{field_label} {shown} is too short"),
            ),
            K::Type { kind: expected } => self
                .finding(
                    Code::WrongType,
                    pointer,
                    format!(
                        "{field_label} must be {}, found {}",
                        type_label(&format!("{expected:?}")),
                        json_type(instance)
                    ),
                )
                .with_hint(type_hint(instance)),
            _ => self.finding(Code::SchemaViolation, pointer, format!("{field_label}: {err}")),
        }
    }
}

/// E0017 for every text of a record holding a character XML or HTML forbids
/// ([`crate::text`]), placed on its YAML node. The record still loads: the
/// renderers replace such characters, and the error fails `validate`.
pub fn forbidden_characters(value: &Value, node: &Node, source: &str, file: &str) -> Vec<Finding> {
    crate::text::forbidden_in_json(value)
        .into_iter()
        .map(|(pointer, key, index, c)| {
            let pos = exact_position(source, node.locate(&pointer, key), c);
            let what = if key { "key" } else { "value" };
            let at = if pointer.is_empty() {
                "the record".to_string()
            } else {
                let shown = pointer.trim_start_matches('/').replace('/', ".");
                format!("`{}`", crate::text::clean(&shown))
            };
            Finding::new(
                Code::ForbiddenCharacter,
                file,
                pos,
                format!(
                    "the {what} at {at} holds {} at character {}",
                    crate::text::describe(c),
                    index + 1
                ),
            )
            .with_hint("remove it: the status page, the feed and reports cannot show it (YAML escapes like `\\x01` count too)")
        })
        .collect()
}

/// Where the character itself sits, when the text writes it literally on
/// the node's line at or after the node; else the node's position (an
/// escape such as `"\x01"`, or a later line of a block scalar).
fn exact_position(source: &str, at: crate::diag::Pos, c: char) -> crate::diag::Pos {
    let Some(mut line) = source.lines().nth(at.line.saturating_sub(1)) else {
        return at;
    };
    if at.line == 1 {
        // Positions count from after a byte-order mark (see `yaml::parse`).
        line = crate::yaml::strip_bom(line);
    }
    let from = at.column.saturating_sub(1);
    match line.chars().skip(from).position(|x| x == c) {
        Some(i) => crate::diag::Pos {
            line: at.line,
            column: at.column + i,
        },
        None => at,
    }
}

fn where_label(kind: Kind, pointer: &str) -> String {
    if pointer.is_empty() {
        format!("{} record", kind.name())
    } else {
        format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
    }
}

fn short_json(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    };
    if s.len() > 80 {
        format!(
            "{}…`",
            &s[..s.char_indices().nth(76).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

fn json_type(v: Option<&Value>) -> &'static str {
    match v {
        None | Some(Value::Null) => "null (an empty value)",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(_)) => "a number",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "a list",
        Some(Value::Object(_)) => "a mapping",
    }
}

fn type_label(debug: &str) -> String {
    let d = debug.to_lowercase();
    let map = |t: &str| match t {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (`true` or `false`)",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "empty",
        _ => "of another type",
    };
    for t in ["string", "integer", "number", "boolean", "array", "object"] {
        if d.contains(t) {
            return map(t).to_string();
        }
    }
    d
}

fn type_hint(v: Option<&Value>) -> String {
    match v {
        Some(Value::Bool(_)) | Some(Value::Number(_)) => {
            "quote the value if it is meant as text, e.g. \"yes\"".to_string()
        }
        Some(Value::Null) => "give the field a value or remove it".to_string(),
        _ => "see the schema under schemas/ for the expected shape".to_string(),
    }
}

/// Property names the schema allows at the object a pointer names.
fn known_properties(schema: &Value, pointer: &str) -> Vec<String> {
    let mut candidates = vec![schema];
    for seg in pointer.split('/').skip(1) {
        let mut next = Vec::new();
        for s in candidates {
            for s in branches(s) {
                if let Some(p) = s.get("properties").and_then(|p| p.get(seg)) {
                    next.push(p);
                } else if seg.parse::<usize>().is_ok() {
                    if let Some(items) = s.get("items") {
                        next.push(items);
                    }
                } else if let Some(ap) = s.get("additionalProperties").filter(|v| v.is_object()) {
                    next.push(ap);
                }
            }
        }
        candidates = next;
    }
    let mut names: Vec<String> = candidates
        .into_iter()
        .flat_map(branches)
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn branches(s: &Value) -> Vec<&Value> {
    let mut out = vec![s];
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(bs)) = s.get(key) {
            out.extend(bs.iter());
        }
    }
    out
}

/// The closest known name, if it is close enough to be a likely typo.
pub fn did_you_mean(name: &str, known: &[String]) -> Option<String> {
    let lower = name.to_lowercase();
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_lowercase()), k))
        .filter(|(score, _)| *score >= 0.82)
        .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(_, k)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles() {
        for k in Kind::ALL {
            let _ = compiled(k);
        }
    }

    #[test]
    fn forbidden_characters_point_at_the_character_when_written_literally() {
        let src = "title: ab\u{1}c\nnote: \"x\\x01\"\n";
        let node = crate::yaml::parse(src).unwrap().unwrap();
        let json = node.to_json();
        let found = forbidden_characters(&json, &node, src, "f.yaml");
        let at: Vec<(usize, usize)> = found.iter().map(|f| (f.pos.line, f.pos.column)).collect();
        assert_eq!(at, vec![(1, 10), (2, 7)]);
        assert!(
            found[0]
                .message
                .contains("U+0001 (a control character) at character 3"),
            "{found:?}"
        );
    }

    #[test]
    fn suggests_close_names() {
        let known = vec!["service".to_string(), "status".to_string()];
        assert_eq!(did_you_mean("servce", &known).as_deref(), Some("service"));
        assert_eq!(did_you_mean("zzz", &known), None);
    }
}

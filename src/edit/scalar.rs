//! Scalars as YAML text: the one place that decides how a string is quoted.

use crate::yaml;
use serde_json::Value as Json;

/// A string as a YAML scalar: plain when that reads back as the same string,
/// else double-quoted (JSON escaping is valid YAML).
pub fn render_scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let risky_words = ["yes", "no", "on", "off", "y", "n"];
    !s.starts_with([' ', '\t'])
        && !s.ends_with([' ', '\t', ':'])
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains([',', '[', ']', '{', '}'])
        && !s.chars().any(char::is_control)
        && !risky_words.contains(&s.to_ascii_lowercase().as_str())
        && yaml::plain_is_string(s)
}

/// A replacement keeping the quoting style the value had (`'`, `"` or plain).
pub(super) fn render_scalar_like(s: &str, style: u8) -> String {
    match style {
        b'\'' if !s.chars().any(char::is_control) => format!("'{}'", s.replace('\'', "''")),
        b'"' => serde_json::to_string(s).expect("strings serialize"),
        _ => render_scalar(s),
    }
}

pub(super) fn render_json_scalar(v: &Json) -> String {
    match v {
        Json::String(s) => render_scalar(s),
        Json::Null => "null".into(),
        other => other.to_string(),
    }
}

/// What follows `key:` for a value: ` scalar`, or a `|` block for
/// multi-line text, its lines indented by `nested`.
pub(super) fn render_block_value(v: &Json, nested: &str, eol: &str) -> String {
    match v {
        Json::String(s) if s.contains('\n') => {
            let body = s.strip_suffix('\n').unwrap_or(s);
            let chomp = if s.ends_with('\n') { "" } else { "-" };
            let mut out = format!(" |{chomp}");
            for line in body.split('\n') {
                out.push_str(eol);
                if !line.is_empty() {
                    out.push_str(nested);
                    out.push_str(line);
                }
            }
            out
        }
        other => format!(" {}", render_json_scalar(other)),
    }
}

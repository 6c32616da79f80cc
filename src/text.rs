//! Characters no record text may hold, and the one place that knows them.
//!
//! Record text ends up in XML (the Atom feed) and HTML (status page,
//! reports). XML 1.0 forbids the C0 controls other than tab, LF and CR, and
//! U+FFFE/U+FFFF; HTML5 makes every control character (C0 and DEL–U+009F)
//! other than whitespace a parse error, and every noncharacter (U+FDD0–U+FDEF
//! and the last two code points of each plane). gitsm forbids the union:
//! `validate` reports such a character in any text (E0017), and every
//! HTML, XML and Markdown renderer replaces it with U+FFFD defensively, so a
//! record that slipped through still cannot make an output ill-formed.
//! (Surrogates cannot occur: Rust strings are UTF-8.)

use std::borrow::Cow;

/// The character renderers put in place of a forbidden one.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Whether a character is forbidden in record text (see the module docs).
pub fn is_forbidden(c: char) -> bool {
    let u = c as u32;
    match u {
        0x09 | 0x0A | 0x0D => false,
        0x00..=0x1F | 0x7F..=0x9F => true,
        0xFDD0..=0xFDEF => true,
        _ => u & 0xFFFE == 0xFFFE,
    }
}

/// The first forbidden character of `s`, with its 0-based character index.
///
/// This runs over every rendered page and every record string, so it works
/// on bytes: runs of printable ASCII are skipped 32 bytes at a time, and a
/// character is decoded only where its first byte could start a forbidden
/// one (a control byte, `0xC2` for C1 controls, `0xEF` for U+FDD0–U+FDEF and
/// U+FFFE/U+FFFF, `0xF0`–`0xF4` for the other planes' noncharacters).
pub fn first_forbidden(s: &str) -> Option<(usize, char)> {
    let b = s.as_bytes();
    // Without an early exit the compiler vectorises this: the common case,
    // a string of printable ASCII, costs a fraction of a byte-by-byte walk.
    // Tab, LF and CR are usual (a record's text has a line feed every few
    // dozen bytes); `&` and `|`, not `&&`, keep it branch-free.
    let unusual = |&c: &u8| (((c < 0x20) & (c != b'\n') & (c != b'\t') & (c != b'\r')) | (c >= 0x7F)) as u8;
    if b.iter().map(unusual).fold(0, |a, u| a | u) == 0 {
        return None;
    }
    // 32 bytes at a time: a run of printable ASCII is skipped whole, any
    // other run is looked at byte by byte (once: a text full of accents
    // costs one pass, not one pass per byte of each window).
    for (k, chunk) in b.chunks(32).enumerate() {
        if chunk.len() == 32 && chunk.iter().map(unusual).fold(0, |a, u| a | u) == 0 {
            continue;
        }
        for (j, &byte) in chunk.iter().enumerate() {
            let suspect = match byte {
                0x20..=0x7E | b'\t' | b'\n' | b'\r' => false,
                // Continuation bytes (their lead byte was looked at) and
                // lead bytes of characters that are never forbidden.
                0x80..=0xBF | 0xC3..=0xEE => false,
                _ => true,
            };
            let i = k * 32 + j;
            if suspect {
                if let Some(c) = s[i..].chars().next().filter(|&c| is_forbidden(c)) {
                    return Some((s[..i].chars().count(), c));
                }
            }
        }
    }
    None
}

/// `s` with every forbidden character replaced by [`REPLACEMENT`].
pub fn clean(s: &str) -> Cow<'_, str> {
    if first_forbidden(s).is_none() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if is_forbidden(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

/// [`clean`] for an owned string, without a copy when nothing changes.
pub fn clean_owned(s: String) -> String {
    match clean(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => o,
    }
}

/// How a forbidden character is named in a finding: `U+0001 (a control
/// character)`.
pub fn describe(c: char) -> String {
    let what = if (c as u32) < 0xA0 {
        "a control character"
    } else {
        "a noncharacter"
    };
    format!("U+{:04X} ({what})", c as u32)
}

/// Whether any string of a JSON value (object keys too) holds a forbidden
/// character; the cheap test run on every record.
pub fn json_has_forbidden(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => first_forbidden(s).is_some(),
        Value::Array(items) => items.iter().any(json_has_forbidden),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| first_forbidden(k).is_some() || json_has_forbidden(v)),
        _ => false,
    }
}

/// Every string of a JSON value (object keys too) holding a forbidden
/// character: (JSON pointer, is a key, character index, character).
pub fn forbidden_in_json(v: &serde_json::Value) -> Vec<(String, bool, usize, char)> {
    fn walk(v: &serde_json::Value, path: &mut String, out: &mut Vec<(String, bool, usize, char)>) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                if let Some((i, c)) = first_forbidden(s) {
                    out.push((path.clone(), false, i, c));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    walk(item, path, out);
                    path.truncate(len);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    if let Some((i, c)) = first_forbidden(k) {
                        out.push((path.clone(), true, i, c));
                    }
                    walk(item, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forbidden_set() {
        for c in [
            '\u{0}', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1F}', '\u{7F}', '\u{80}', '\u{85}', '\u{9F}',
        ] {
            assert!(is_forbidden(c), "{c:?}");
        }
        for c in [
            '\u{FDD0}',
            '\u{FDEF}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{1FFFE}',
            '\u{10FFFF}',
        ] {
            assert!(is_forbidden(c), "{c:?}");
        }
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            '~',
            '\u{A0}',
            'ü',
            '\u{FDCF}',
            '\u{FDF0}',
            '\u{FFFD}',
            '\u{1F600}',
            '\u{10FFFD}',
        ] {
            assert!(!is_forbidden(c), "{c:?}");
        }
    }

    proptest::proptest! {
        /// The byte scan finds what a plain walk over the characters finds,
        /// wherever the character sits relative to the 32-byte runs.
        #[test]
        fn first_forbidden_is_the_first_forbidden_character(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", " ", "abcdefghijklmnopqrstuvwxyz0123456789", "\t", "\n", "\r", "\u{0}", "\u{1F}",
                "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}", "é", "—", "\u{FDCF}", "\u{FDD0}", "\u{FDEF}",
                "\u{FDF0}", "\u{FFFD}", "\u{FFFE}", "\u{FFFF}", "\u{1F600}", "\u{1FFFE}", "\u{10FFFF}",
            ]), 0..40)
        ) {
            let s: String = pieces.concat();
            let slow = s.chars().enumerate().find(|(_, c)| is_forbidden(*c));
            proptest::prop_assert_eq!(first_forbidden(&s), slow);
        }
    }

    #[test]
    fn clean_replaces_and_borrows_when_clean() {
        assert!(matches!(clean("plain text"), Cow::Borrowed(_)));
        assert_eq!(clean("a\u{1}b\u{FFFF}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(first_forbidden("ab\u{7F}"), Some((2, '\u{7F}')));
        assert_eq!(describe('\u{1}'), "U+0001 (a control character)");
        assert_eq!(describe('\u{FFFE}'), "U+FFFE (a noncharacter)");
    }

    #[test]
    fn finds_strings_and_keys() {
        let v = serde_json::json!({"title": "x\u{1}", "extra": {"k\u{2}/": ["ok", "\u{FFFF}"]}});
        let found = forbidden_in_json(&v);
        assert_eq!(
            found,
            vec![
                ("/title".to_string(), false, 1, '\u{1}'),
                ("/extra/k\u{2}~1".to_string(), true, 1, '\u{2}'),
                ("/extra/k\u{2}~1/1".to_string(), false, 0, '\u{FFFF}'),
            ]
        );
    }
}

//! The sizes GitHub refuses to go beyond (a body over a limit is a 422), and
//! cutting text to fit them. GitHub counts characters (Unicode scalar
//! values), not bytes, so these functions do too, and never cut inside one.

/// An issue or pull-request comment's `body`.
pub const COMMENT_BODY: usize = 65_536;
/// A check run's `output.summary` and `output.text`, each.
pub const CHECK_RUN_OUTPUT: usize = 65_535;
/// A commit status's `description`.
pub const STATUS_DESCRIPTION: usize = 140;
/// Annotations in one check-run create or update request; more go in further
/// update requests.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;

/// Length in characters, as GitHub counts it.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `s` when it has at most `max` characters; otherwise its longest prefix
/// that, followed by `ellipsis`, has at most `max` characters. Cuts only
/// between characters.
pub fn truncate_chars(s: &str, max: usize, ellipsis: &str) -> String {
    if char_len(s) <= max {
        return s.to_string();
    }
    let room = max.saturating_sub(char_len(ellipsis));
    let cut = s.char_indices().nth(room).map_or(s.len(), |(i, _)| i);
    let mut out = String::with_capacity(cut + ellipsis.len());
    out.push_str(&s[..cut]);
    // An ellipsis longer than `max` itself is cut too, so the limit holds.
    out.extend(ellipsis.chars().take(max - char_len(&out).min(max)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(truncate_chars("abc", 3, "…"), "abc");
        assert_eq!(truncate_chars("", 0, "…"), "");
    }

    #[test]
    fn counts_characters_not_bytes() {
        // 5 characters, 15 bytes: within a limit of 5.
        assert_eq!(truncate_chars("ééééé", 5, "…"), "ééééé");
        let s = "✅".repeat(200);
        let t = truncate_chars(&s, STATUS_DESCRIPTION, "…");
        assert_eq!(char_len(&t), STATUS_DESCRIPTION);
        assert_eq!(t, format!("{}…", "✅".repeat(139)));
    }

    #[test]
    fn never_exceeds_the_limit_even_with_a_long_ellipsis() {
        assert_eq!(truncate_chars("abcdef", 4, "…"), "abc…");
        assert_eq!(truncate_chars("abcdef", 2, "[cut]"), "[c");
        assert_eq!(truncate_chars("abcdef", 0, "…"), "");
    }
}

//! Renders a [`Verdict`] as human text, JSON or Markdown. Strings only; the
//! binary prints.

use super::{Check, CheckOutcome, Decision, Verdict};
use std::fmt::Write as _;

/// Hidden marker that identifies the gate's one PR comment.
pub const COMMENT_MARKER: &str = "<!-- gitsm-gate -->";

fn headline(v: &Verdict) -> &'static str {
    match v.decision {
        Decision::Allowed => "ALLOWED",
        Decision::Denied => "DENIED",
        Decision::Undecided => "COULD NOT DECIDE",
    }
}

/// Checks in display order: blocking first, then warnings, then passes.
fn ordered(v: &Verdict) -> Vec<&Check> {
    let mut list: Vec<&Check> = v.checks.iter().collect();
    list.sort_by_key(|c| {
        let rank = match c.outcome {
            CheckOutcome::Undecided => 0,
            CheckOutcome::Fail => 1,
            CheckOutcome::Warn => 2,
            CheckOutcome::Pass => 3,
        };
        (rank, c.subject.clone(), c.rule)
    });
    list
}

/// A one-line summary, for check-run titles and commit statuses.
pub fn summary_line(v: &Verdict) -> String {
    let fails = v
        .checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Fail)
        .count();
    let undecided = v
        .checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Undecided)
        .count();
    let passes = v
        .checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Pass)
        .count();
    match v.decision {
        Decision::Allowed => format!("allowed: {passes} check(s) passed"),
        Decision::Denied => format!("denied: {fails} check(s) failed"),
        Decision::Undecided => format!("could not decide: {undecided} check(s) undecided"),
    }
}

pub fn human(v: &Verdict, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let head_color = match v.decision {
        Decision::Allowed => "1;32",
        Decision::Denied => "1;31",
        Decision::Undecided => "1;33",
    };
    let _ = writeln!(
        out,
        "{} ({})\n",
        paint(head_color, &format!("gitsm gate: {}", headline(v))),
        summary_line(v)
    );
    for c in ordered(v) {
        let (mark, col) = match c.outcome {
            CheckOutcome::Pass => ("ok  ", "32"),
            CheckOutcome::Warn => ("warn", "33"),
            CheckOutcome::Fail => ("FAIL", "31"),
            CheckOutcome::Undecided => ("????", "33"),
        };
        let _ = writeln!(
            out,
            "{} {} [{}]: {}",
            paint(col, mark),
            paint("1", &c.subject),
            c.rule.label(),
            c.message
        );
        if let Some(f) = &c.file {
            let _ = writeln!(out, "     in {f}");
        }
        if c.outcome != CheckOutcome::Pass {
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "     {} {fix}", paint("1;34", "fix:"));
            }
        }
    }
    if v.checks.is_empty() {
        let _ = writeln!(out, "no records or governed paths changed");
    }
    if !v.to_record.is_empty() {
        let names: Vec<String> = v
            .to_record
            .iter()
            .map(|b| format!("{} by {}", b.change, b.by))
            .collect();
        let _ = writeln!(
            out,
            "\nbacked approvals not yet in `approvals`: {} (write them with --record)",
            names.join(", ")
        );
    }
    out
}

/// The verdict as JSON; `exit_code` is the command's, passed in by the
/// binary (the one place that maps outcomes to exit codes).
pub fn json(v: &Verdict, exit_code: i32) -> String {
    let doc = serde_json::json!({
        "decision": v.decision,
        "exit_code": exit_code,
        "summary": summary_line(v),
        "checks": v.checks,
        "to_record": v.to_record,
    });
    serde_json::to_string_pretty(&doc).expect("verdict serializes") + "\n"
}

/// Escapes text for a Markdown table cell; record text is untrusted.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '@' => out.push_str("@\u{200b}"),
            c => out.push(c),
        }
    }
    out
}

/// The PR comment / check-run summary. Starts with [`COMMENT_MARKER`].
pub fn markdown(v: &Verdict, base_branch: &str) -> String {
    let (head, rows) = markdown_parts(v, base_branch, usize::MAX);
    head + &rows.concat()
}

/// [`markdown`] cut to at most `max_chars` characters (GitHub's limits count
/// characters): the marker and the headline stay, then as many rows as fit,
/// blocking checks first, and a closing line saying how many checks were
/// left out and that the full verdict is at `full_at` (e.g. "the job log").
/// Very long cells are shortened first so that one row cannot crowd out
/// the others.
pub fn markdown_within(v: &Verdict, base_branch: &str, max_chars: usize, full_at: &str) -> String {
    use crate::github::limits::char_len;
    let full = markdown(v, base_branch);
    if char_len(&full) <= max_chars {
        return full;
    }
    let (head, rows) = markdown_parts(v, base_branch, CELL_CHARS_WHEN_CUT);
    let ordered = ordered(v);
    let left_out_note = |n: usize| {
        let blocking = ordered[ordered.len() - n..]
            .iter()
            .filter(|c| matches!(c.outcome, CheckOutcome::Fail | CheckOutcome::Undecided))
            .count();
        format!(
            "\n**{n} more check(s) not shown** ({blocking} of them blocking): GitHub limits this text to \
             {max_chars} characters. The full verdict is in {}.\n",
            cell(full_at)
        )
    };
    // Reserve room for the longest possible note, so adding it never overflows.
    let reserve = char_len(&left_out_note(rows.len()));
    let mut out = head;
    let mut used = char_len(&out);
    let mut shown = 0;
    for row in &rows {
        let len = char_len(row);
        if used + len + reserve > max_chars {
            break;
        }
        out.push_str(row);
        used += len;
        shown += 1;
    }
    if shown < rows.len() {
        out.push_str(&left_out_note(rows.len() - shown));
    }
    // Only a tiny `max_chars` (below the headline) can still overflow.
    crate::github::limits::truncate_chars(&out, max_chars, "…")
}

/// Cells are cut to this many characters when the whole text does not fit.
const CELL_CHARS_WHEN_CUT: usize = 1_000;

/// The headline (marker, title, summary, table header) and one string per
/// row, each cell at most `cell_chars` characters.
fn markdown_parts(v: &Verdict, base_branch: &str, cell_chars: usize) -> (String, Vec<String>) {
    // Cut before escaping, so no escape (`&amp;`) is cut in half.
    let c = |s: &str| {
        if cell_chars == usize::MAX {
            cell(s)
        } else {
            cell(&crate::github::limits::truncate_chars(s, cell_chars, "…"))
        }
    };
    let mut out = String::new();
    let icon = match v.decision {
        Decision::Allowed => "✅",
        Decision::Denied => "❌",
        Decision::Undecided => "⚠️",
    };
    let _ = writeln!(out, "{COMMENT_MARKER}");
    let _ = writeln!(
        out,
        "### {icon} gitsm gate: {} — {}\n",
        c(base_branch),
        headline(v)
    );
    let _ = writeln!(out, "{}\n", cell(&summary_line(v)));
    if v.checks.is_empty() {
        let _ = writeln!(out, "No records or governed paths changed.");
        return (out, Vec::new());
    }
    let _ = writeln!(out, "| | record | rule | result | fix |\n|---|---|---|---|---|");
    let rows = ordered(v)
        .into_iter()
        .map(|ch| {
            let mark = match ch.outcome {
                CheckOutcome::Pass => "✅",
                CheckOutcome::Warn => "⚠️",
                CheckOutcome::Fail => "❌",
                CheckOutcome::Undecided => "❓",
            };
            format!(
                "| {mark} | {} | {} | {} | {} |\n",
                c(&ch.subject),
                c(ch.rule.label()),
                c(&ch.message),
                if ch.outcome == CheckOutcome::Pass {
                    String::new()
                } else {
                    ch.fix.as_deref().map(&c).unwrap_or_default()
                }
            )
        })
        .collect();
    (out, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::Rule;
    use crate::github::limits::char_len;

    fn check(i: usize, outcome: CheckOutcome, message: &str) -> Check {
        Check {
            subject: format!("CHG-{i:04}"),
            file: Some(format!("changes/CHG-{i:04}.yaml")),
            rule: Rule::Approvals,
            outcome,
            message: message.to_string(),
            fix: Some("get a CAB approval".into()),
        }
    }

    fn verdict(checks: Vec<Check>) -> Verdict {
        Verdict {
            decision: Decision::Denied,
            checks,
            to_record: Vec::new(),
        }
    }

    #[test]
    fn a_verdict_that_fits_is_not_touched() {
        let v = verdict(vec![check(1, CheckOutcome::Fail, "needs 1 approval")]);
        assert_eq!(
            markdown_within(&v, "main", 65_536, "the job log"),
            markdown(&v, "main")
        );
    }

    #[test]
    fn a_long_verdict_keeps_the_marker_and_blocking_checks_and_counts_the_rest() {
        let mut checks: Vec<Check> = (0..300)
            .map(|i| check(i, CheckOutcome::Pass, "approved by alice"))
            .collect();
        checks.extend((300..600).map(|i| check(i, CheckOutcome::Fail, "needs 1 approval from cab")));
        let v = verdict(checks);
        let out = markdown_within(&v, "main", 5_000, "the job log");
        assert!(char_len(&out) <= 5_000, "{}", char_len(&out));
        assert!(out.starts_with("<!-- gitsm-gate -->\n### ❌ gitsm gate: main — DENIED"));
        let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r.starts_with("| ❌ | CHG-03")), "{rows:?}");
        let left = 600 - rows.len();
        let blocking = 300 - rows.len();
        assert!(
            out.ends_with(&format!(
                "\n**{left} more check(s) not shown** ({blocking} of them blocking): GitHub limits this text to 5000 characters. The full verdict is in the job log.\n"
            )),
            "{}",
            &out[out.len() - 300..]
        );
    }

    #[test]
    fn one_huge_message_is_cut_in_its_cell_between_characters() {
        let huge = "é&".repeat(100_000);
        let v = verdict(vec![
            check(1, CheckOutcome::Fail, &huge),
            check(2, CheckOutcome::Fail, "short"),
        ]);
        let out = markdown_within(&v, "main", 65_536, "the job log");
        assert!(char_len(&out) <= 65_536);
        // Both rows fit once the cell is cut, and no escape is cut in half.
        assert!(out.contains("| ❌ | CHG-0002 |"), "{out:.300}");
        assert!(out.contains(&format!("| {}é… |", "é&amp;".repeat(499))));
        assert!(!out.contains("more check(s) not shown"));
    }

    #[test]
    fn even_a_tiny_limit_holds() {
        let v = verdict(vec![check(1, CheckOutcome::Fail, "x")]);
        let out = markdown_within(&v, "main", 10, "the job log");
        assert_eq!(char_len(&out), 10);
    }
}

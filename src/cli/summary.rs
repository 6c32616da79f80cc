//! The GitHub Actions job summary: in a workflow step (`GITHUB_ACTIONS=true`)
//! commands append Markdown to the file `$GITHUB_STEP_SUMMARY` names, which
//! GitHub shows on the run's page. Annotations stop at the first few per
//! step; the summary lists every finding.

use gitsm::diag::{Finding, Severity};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// GitHub keeps at most 1 MiB of one step's summary; stay well below it.
const SUMMARY_BUDGET: usize = 900 * 1024;

/// The summary file when running in GitHub Actions, else `None`.
pub(super) fn step_summary_path() -> Option<PathBuf> {
    if std::env::var_os("GITHUB_ACTIONS").as_deref() != Some("true".as_ref()) {
        return None;
    }
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Appends `markdown` to the summary file at `path`. The file is named by
/// the environment, so it is treated like any path gitsm did not choose: it
/// must already be a regular file (GitHub creates it); a symlink, FIFO,
/// device or folder is refused without being opened for writing.
pub(super) fn append(path: &std::path::Path, markdown: &str) -> anyhow::Result<()> {
    let shown = path.display();
    let before =
        std::fs::symlink_metadata(path).map_err(|e| anyhow::anyhow!("GITHUB_STEP_SUMMARY {shown}: {e}"))?;
    if !before.file_type().is_file() {
        anyhow::bail!("GITHUB_STEP_SUMMARY {shown} is not a regular file; refusing to write to it");
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("GITHUB_STEP_SUMMARY {shown}: {e}"))?;
    // The path may have been swapped between the check and the open.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let after = file.metadata()?;
        if !after.is_file() || after.dev() != before.dev() || after.ino() != before.ino() {
            anyhow::bail!("GITHUB_STEP_SUMMARY {shown} changed while it was opened; refusing to write to it");
        }
    }
    file.write_all(markdown.as_bytes())
        .map_err(|e| anyhow::anyhow!("GITHUB_STEP_SUMMARY {shown}: {e}"))
}

/// Markdown-escapes record text for a table cell: nothing in it can close
/// the cell, start markup, a link or HTML.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The validate summary: a headline and one table row per finding, errors
/// first, in the order `validate` reports them otherwise.
pub(super) fn validate_markdown(findings: &[Finding], records: usize, files: usize) -> String {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    let mut out = String::new();
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "### ✅ gitsm validate: {records} records in {files} files, no findings\n"
        );
        return out;
    }
    let icon = if errors > 0 { "❌" } else { "⚠️" };
    let _ = writeln!(
        out,
        "### {icon} gitsm validate: {errors} error(s), {warnings} warning(s) in {records} records\n"
    );
    out.push_str("| | code | where | message |\n|---|---|---|---|\n");
    let ordered = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .chain(findings.iter().filter(|f| f.severity != Severity::Error));
    for (shown, f) in ordered.enumerate() {
        let mut message = cell(&f.message);
        if let Some(h) = &f.hint {
            message.push_str("<br>help: ");
            message.push_str(&cell(h));
        }
        let row = format!(
            "| {} | {} | {}:{}:{} | {} |\n",
            f.severity.as_str(),
            f.code.as_str(),
            cell(&f.file),
            f.pos.line,
            f.pos.column,
            message
        );
        if out.len() + row.len() > SUMMARY_BUDGET {
            let _ = writeln!(
                out,
                "\n{} more finding(s) not shown: GitHub keeps at most 1 MiB of a step summary. Run `gitsm validate` for all of them.",
                findings.len() - shown
            );
            break;
        }
        out.push_str(&row);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_cannot_break_the_table_or_inject_markup() {
        assert_eq!(
            cell("a | b\n<img src=x> [l](javascript:x) `c` *d* &amp;"),
            "a \\| b<br>&lt;img src=x&gt; \\[l\\](javascript:x) \\`c\\` \\*d\\* &amp;amp;"
        );
    }
}

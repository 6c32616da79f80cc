//! Findings: every problem gitsm reports, with a stable code, a severity and a
//! location, plus the renderers that turn them into human text, JSON, GitHub
//! workflow commands and SARIF. Renderers return strings; the binary prints.

use serde::Serialize;
use std::fmt::Write as _;

/// How bad a finding is. Errors fail `validate` (exit 1); warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The word every format uses: `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $name:ident = $code:literal, $sev:ident, $desc:literal; )*) => {
        /// Every finding code gitsm can emit. Codes are stable: never renumber one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $name, )* }

        impl Code {
            /// All codes, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$name, )* ];

            /// The stable code string, e.g. `E0102`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$name => $code, )* }
            }

            /// One line describing what the code means.
            pub fn description(self) -> &'static str {
                match self { $( Code::$name => $desc, )* }
            }

            /// The default severity of findings with this code.
            pub fn severity(self) -> Severity {
                match self { $( Code::$name => Severity::$sev, )* }
            }
        }
    };
}

codes! {
    // E00xx: the file and its YAML
    MalformedYaml = "E0001", Error, "the file is not well-formed YAML";
    DuplicateKey = "E0002", Error, "a mapping has the same key twice";
    Alias = "E0003", Error, "YAML anchors and aliases are not allowed in records";
    Tag = "E0004", Error, "YAML tags (`!foo`, `!!str`) are not allowed in records";
    MergeKey = "E0005", Error, "YAML merge keys (`<<:`) are not allowed in records";
    MultipleDocuments = "E0006", Error, "a record file holds more than one YAML document";
    TooDeep = "E0007", Error, "the YAML nesting is deeper than gitsm accepts";
    ComplexKey = "E0008", Error, "a mapping key is not a plain string";
    EmptyFile = "E0009", Error, "a file in a record folder holds no record";
    FileTooLarge = "E0010", Error, "the file is larger than gitsm reads";
    NotText = "E0011", Error, "the file is binary or not UTF-8";
    NotARecord = "E0012", Error, "a YAML file in a record folder does not declare `apiVersion: gitsm/v1`";
    UnknownKind = "E0013", Error, "the record's `kind` is not a gitsm kind";
    Symlink = "E0014", Error, "a YAML file or a record folder is a symbolic link; records must be regular files";
    UnreadableFile = "E0015", Error, "the file could not be read";
    NotAMapping = "E0016", Error, "the document is not a mapping";
    ForbiddenCharacter = "E0017", Error, "a text holds a control character or a noncharacter that XML and HTML forbid";
    UnreadableFolder = "E0018", Error, "a folder of the repo could not be listed; records in it are not loaded";
    // E01xx: the schema layer
    WrongType = "E0101", Error, "a value has the wrong type";
    UnknownField = "E0102", Error, "a field is not part of the record's schema";
    MissingField = "E0103", Error, "a required field is missing";
    InvalidValue = "E0104", Error, "a value is not one of the allowed values";
    InvalidFormat = "E0105", Error, "a value does not have the required format (timestamp, duration, id, date)";
    SchemaViolation = "E0106", Error, "a value violates the schema in another way";
    // E02xx: ids and references
    DuplicateId = "E0201", Error, "two records of the same kind share an id";
    MalformedId = "E0202", Error, "a ticket id does not follow the configured prefix and digits";
    UnknownService = "E0210", Error, "a reference names a service that does not exist";
    UnknownSla = "E0211", Error, "a service names an SLA that does not exist";
    UnknownCalendar = "E0212", Error, "an SLA names a calendar that does not exist";
    UnknownProblem = "E0213", Error, "an incident names a problem that does not exist";
    UnknownIncident = "E0214", Error, "a problem lists an incident that does not exist";
    UnknownRelated = "E0215", Error, "a `related` id names no record";
    DependencyCycle = "E0220", Error, "services depend on each other in a cycle";
    // E03xx: timeline and workflow
    StatusMismatch = "E0301", Error, "the record's status differs from the last status in its timeline";
    TimelineOrder = "E0302", Error, "timeline events are not in time order";
    IllegalTransition = "E0303", Error, "a timeline step is not a legal workflow move";
    TimelineStart = "E0304", Error, "the timeline does not start with a creation event in the initial status";
    // E04xx: kind-specific rules
    PriorityMismatch = "E0401", Error, "an incident's priority contradicts the priority matrix";
    WindowOrder = "E0402", Error, "a change window does not end after it starts";
    MissingOutcome = "E0403", Error, "a completed or closed change has no `outcome`";
    MissingReview = "E0404", Error, "a closed emergency or unsuccessful change has no `review`";
    MissingWindow = "E0405", Error, "a change that is scheduled or later has no `window`";
    MissingPlan = "E0406", Error, "a normal or emergency change lacks `plan` or `rollback_plan`";
    BadTimeZone = "E0407", Error, "a time zone is not a known IANA zone";
    BadHours = "E0408", Error, "calendar hours are not `HH:MM-HH:MM` ranges on known weekdays";
    // E05xx: repo-wide rules
    NoConfig = "E0501", Error, "the repo has no `gitsm.yaml` Config record";
    ExtraConfig = "E0502", Error, "a Config record appears outside `gitsm.yaml`";
    NoPolicy = "E0503", Error, "the repo has no ChangePolicy";
    ExtraPolicy = "E0504", Error, "the repo has more than one ChangePolicy";
    TooFewApprovals = "E0505", Error, "an approved-or-later change lists fewer approvals than its policy rule asks";
    NoMatchingRule = "E0506", Error, "no ChangePolicy rule matches a change";
    // E08xx: configuration items, releases, the request catalog
    UnknownConfigItem = "E0801", Error, "a reference names a configuration item that does not exist";
    ConfigItemCycle = "E0802", Error, "configuration items depend on each other in a cycle";
    Expired = "E0803", Error, "a configuration item's `expires` date has passed";
    UnknownChange = "E0810", Error, "a release lists a change that does not exist";
    UnknownRelease = "E0811", Error, "a change names a release that does not exist";
    ReleaseMismatch = "E0812", Error, "a change and a release disagree (a change in two releases, or `release` not listed back)";
    UnknownRequestType = "E0820", Error, "a request names a request type that does not exist";
    RequestFieldMissing = "E0821", Error, "a request lacks a field its form requires";
    RequestFieldInvalid = "E0822", Error, "a request field's value does not fit its form (option, date, login, number)";
    RequestFieldUnknown = "E0823", Error, "a request has a field its form does not define";
    BadRequestForm = "E0824", Error, "a request type's form is ill-formed (duplicate field ids, a select without options)";
    RequestApprovals = "E0825", Error, "a request past `approved` lacks the approvals its type asks for";
    // W: warnings
    UnexpectedFolder = "W0001", Warning, "a record sits outside the conventional folder for its kind";
    LooksLikeRecord = "W0002", Warning, "a YAML file has a gitsm `kind` but no `apiVersion: gitsm/v1`";
    FileNameMismatch = "W0003", Warning, "a ticket's file name differs from its id";
    ReviewOverdue = "W0501", Warning, "an emergency change's post-implementation review is overdue (`review_within`)";
    // W07xx: status page
    StatusPageSkipped = "W0701", Warning, "a record is left out of the status page";
    StatusPageSetting = "W0702", Warning, "a status page setting is ignored";
    UnsafeLink = "W0703", Warning, "a link is not an https:// URL and is refused";
    // W08xx: configuration items
    ExpiresSoon = "W0801", Warning, "a configuration item expires within its `renew_before` window";
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// One problem, located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Path relative to the repo root, with `/` separators.
    pub file: String,
    pub pos: Pos,
    pub hint: Option<String>,
}

impl Finding {
    pub fn new(code: Code, file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            file: file.into(),
            pos,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Sorts findings by file, then position, then code, so output is stable.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.file.as_str(), a.pos, a.code, a.message.as_str()).cmp(&(
            b.file.as_str(),
            b.pos,
            b.code,
            b.message.as_str(),
        ))
    });
}

/// Counts of errors and warnings.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        match f.severity {
            Severity::Error => s.errors += 1,
            Severity::Warning => s.warnings += 1,
        }
    }
    s
}

/// Gives the source text of a file, for showing the offending line.
pub trait SourceLookup {
    fn source(&self, file: &str) -> Option<&str>;
}

impl SourceLookup for std::collections::HashMap<String, String> {
    fn source(&self, file: &str) -> Option<&str> {
        self.get(file).map(String::as_str)
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Text from records, file names or git metadata made safe for a terminal:
/// control characters (ANSI escapes, carriage returns, bells, bidi
/// overrides) are shown as `\u{..}` escapes instead of being obeyed. Tabs
/// and newlines stay.
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`terminal_safe`] for one line: newlines are escaped too.
pub fn terminal_line(s: &str) -> String {
    terminal_safe(s).replace('\n', "\\n")
}

/// Renders findings rustc-style: header, location, the source line and a
/// caret. Every piece of text that comes from the
/// repo (messages quote values, file names, source lines, hints) passes
/// through [`terminal_safe`], so a record cannot drive the terminal.
pub fn render_human(findings: &[Finding], sources: &dyn SourceLookup, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    for f in findings {
        let label = f.severity.as_str();
        let col = match f.severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
        };
        let _ = writeln!(
            out,
            "{}{}",
            p.wrap(col, &format!("{label}[{}]", f.code.as_str())),
            p.wrap("1", &format!(": {}", terminal_safe(&f.message)))
        );
        let line_text = sources
            .source(&f.file)
            .and_then(|s| s.lines().nth(f.pos.line.saturating_sub(1)))
            .map(|l| l.trim_end_matches('\r'))
            .map(terminal_line);
        let line_text = line_text.as_deref();
        let gutter = f.pos.line.to_string().len().max(1);
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{}",
            p.wrap("1;34", "-->"),
            terminal_line(&f.file),
            f.pos.line,
            f.pos.column
        );
        if let Some(text) = line_text.filter(|t| t.len() <= 400) {
            let bar = p.wrap("1;34", "|");
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(out, "{} {bar} {text}", p.wrap("1;34", &f.pos.line.to_string()));
            let caret_pad: String = text
                .chars()
                .take(f.pos.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let width = token_width(text, f.pos.column.saturating_sub(1));
            let _ = writeln!(out, "{pad} {bar} {caret_pad}{}", p.wrap(col, &"^".repeat(width)));
        }
        if let Some(h) = &f.hint {
            let _ = writeln!(
                out,
                "{pad} {} {}",
                p.wrap("1;34", "="),
                p.wrap("1", &format!("help: {}", terminal_safe(h)))
            );
        }
        out.push('\n');
    }
    let s = summarize(findings);
    if s.errors + s.warnings == 0 {
        let _ = writeln!(out, "{}", p.wrap("1;32", "ok: no findings"));
    } else {
        let _ = writeln!(out, "{} error(s), {} warning(s)", s.errors, s.warnings);
    }
    out
}

/// How many characters of the token starting at `start` (0-based chars) to
/// underline: a quoted string whole, else up to a separator.
fn token_width(line: &str, start: usize) -> usize {
    let chars: Vec<char> = line.chars().skip(start).collect();
    let Some(&first) = chars.first() else { return 1 };
    if first == '"' || first == '\'' {
        let end = chars[1..].iter().position(|c| *c == first).map(|i| i + 2);
        return end.unwrap_or(chars.len()).max(1);
    }
    let mut n = 0;
    while n < chars.len() {
        let c = chars[n];
        let colon_sep = c == ':' && chars.get(n + 1).is_none_or(|c| c.is_whitespace());
        if colon_sep || matches!(c, ',' | ']' | '}' | '#') || (c == ' ' && chars.get(n + 1) == Some(&'#')) {
            break;
        }
        n += 1;
    }
    while n > 1 && chars[n - 1] == ' ' {
        n -= 1;
    }
    n.max(1)
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

/// `{"findings": [...], "summary": {...}, "records": N}`.
pub fn render_json(findings: &[Finding], records: usize) -> String {
    let list: Vec<JsonFinding> = findings
        .iter()
        .map(|f| JsonFinding {
            code: f.code.as_str(),
            severity: f.severity,
            message: &f.message,
            file: &f.file,
            line: f.pos.line,
            column: f.pos.column,
            hint: f.hint.as_deref(),
        })
        .collect();
    let doc = serde_json::json!({
        "findings": list,
        "summary": summarize(findings),
        "records": records,
    });
    serde_json::to_string_pretty(&doc).expect("findings serialize") + "\n"
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Where finding paths are anchored in `github` and `sarif` output. Findings
/// carry paths relative to the ITSM root; CI annotations and code scanning
/// place them relative to the **git** root (SPEC §6), which differs when the
/// ITSM repo is a sub-folder of the git repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathBase {
    /// The ITSM root inside the git work tree, `/`-separated, without a
    /// trailing `/` (`""` when they are the same folder).
    pub prefix: String,
    /// Whether the ITSM root is inside a git work tree at all.
    pub in_git: bool,
}

impl PathBase {
    /// The base of a repo that is not in git: paths stay ITSM-relative.
    pub fn itsm_root() -> Self {
        PathBase::default()
    }

    /// The base of an ITSM root at `prefix` inside a git work tree.
    pub fn git(prefix: impl Into<String>) -> Self {
        PathBase {
            prefix: prefix.into().trim_matches('/').to_string(),
            in_git: true,
        }
    }

    /// A finding's path as the consumer sees it.
    pub fn path(&self, file: &str) -> String {
        if self.prefix.is_empty() {
            file.to_string()
        } else {
            format!("{}/{file}", self.prefix)
        }
    }
}

/// GitHub Actions workflow commands, so findings show on the PR diff.
pub fn render_github(findings: &[Finding], base: &PathBase) -> String {
    let mut out = String::new();
    for f in findings {
        let level = f.severity.as_str();
        let mut msg = f.message.clone();
        if let Some(h) = &f.hint {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            gh_escape_prop(&base.path(&f.file)),
            f.pos.line,
            f.pos.column,
            gh_escape_prop(&format!("gitsm {}", f.code.as_str())),
            gh_escape_data(&msg)
        );
    }
    out
}

/// A relative path as an RFC 3986 URI reference: every byte outside the
/// unreserved set and `/` is percent-encoded (UTF-8 bytes included), so a
/// space, `%`, `#`, `?` or `ü` in a file name cannot change the reference's
/// meaning. A first segment holding `:` is encoded too (it would read as a
/// scheme).
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The `uriBaseId` SARIF results are relative to: the git root when there is
/// one, else the ITSM root.
pub const SARIF_BASE_ID: &str = "SRCROOT";

/// SARIF 2.1.0, for code-scanning uploads.
pub fn render_sarif(findings: &[Finding], base: &PathBase) -> String {
    let rules: Vec<_> = Code::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.as_str(),
                "name": format!("{c:?}"),
                "shortDescription": {"text": c.description()},
                "helpUri": "https://github.com/gitsm/gitsm/blob/main/docs/codes.md",
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(h) = &f.hint {
                text.push_str(" (help: ");
                text.push_str(h);
                text.push(')');
            }
            serde_json::json!({
                "ruleId": f.code.as_str(),
                "level": f.severity.as_str(),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": uri_reference(&base.path(&f.file)),
                            "uriBaseId": SARIF_BASE_ID,
                        },
                        "region": {"startLine": f.pos.line, "startColumn": f.pos.column}
                    }
                }]
            })
        })
        .collect();
    let root = if base.in_git {
        "the root of the git repository holding the ITSM repo"
    } else {
        "the root of the ITSM repo (the folder holding gitsm.yaml)"
    };
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gitsm",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/gitsm/gitsm",
                "rules": rules,
            }},
            // No absolute `uri`: the output stays the same on every machine,
            // and code scanning resolves SRCROOT to the checkout.
            // Columns count characters (code points), not UTF-16 units.
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {
                SARIF_BASE_ID: {"description": {"text": root}}
            },
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).expect("sarif serializes") + "\n"
}

/// Markdown table of every code, for `docs/codes.md`.
pub fn codes_markdown() -> String {
    let mut out = String::from("| code | severity | meaning |\n|---|---|---|\n");
    for c in Code::ALL {
        let sev = c.severity().as_str();
        let _ = writeln!(out, "| {} | {sev} | {} |", c.as_str(), c.description());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
        }
    }

    #[test]
    fn carets_cover_the_token() {
        assert_eq!(token_width("servce: web", 0), 6);
        assert_eq!(token_width("risk: no  # comment", 6), 2);
        assert_eq!(token_width("at: \"2026-11-20\"", 4), 12);
        assert_eq!(token_width("title: hello world", 7), 11);
        assert_eq!(token_width("services: [web, nope]", 16), 4);
        assert_eq!(token_width("", 0), 1);
    }

    #[test]
    fn github_escapes_newlines_and_commas() {
        let f = Finding::new(Code::UnknownField, "a,b.yaml", Pos { line: 2, column: 3 }, "x\ny");
        let s = render_github(std::slice::from_ref(&f), &PathBase::itsm_root());
        assert_eq!(
            s,
            "::error file=a%2Cb.yaml,line=2,col=3,title=gitsm E0102::x%0Ay\n"
        );
        let s = render_github(&[f], &PathBase::git("ops/itsm"));
        assert!(s.starts_with("::error file=ops/itsm/a%2Cb.yaml,"), "{s}");
    }

    #[test]
    fn uri_references_are_percent_encoded() {
        assert_eq!(uri_reference("changes/CHG-0001.yaml"), "changes/CHG-0001.yaml");
        assert_eq!(uri_reference("my file.yaml"), "my%20file.yaml");
        assert_eq!(uri_reference("ü.yaml"), "%C3%BC.yaml");
        assert_eq!(uri_reference("100%20.yaml"), "100%2520.yaml");
        assert_eq!(uri_reference("a#b?c:d.yaml"), "a%23b%3Fc%3Ad.yaml");
    }
}

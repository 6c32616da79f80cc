//! `gitsm intake`: turns a GitHub issue made from a `gitsm forms` form into
//! a record (SPEC §4 "Self-service"). The issue body GitHub renders from a
//! form is `### <label>\n\n<answer>` per element (`_No response_` when an
//! optional answer is empty); it is parsed strictly against the form the
//! repo generates today, so a body with a missing, extra or repeated
//! section, HTML, a value outside a dropdown, a bad date, number or login,
//! or an absurd size is refused with a message for the issue — and nothing
//! is written.
//!
//! The library drafts and validates the record ([`prepare`]); the binary
//! takes the lock, writes it or opens the pull request.

use crate::forms::{self, Element, ElementType, Form, FormTarget};
use crate::model::{FieldType, Kind, Record, Timestamp, API_VERSION};
use crate::repo::{self, Snapshot, Source};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The most of an issue body gitsm reads: GitHub's own limit for a body is
/// 65 536 characters.
pub const MAX_BODY_BYTES: usize = 65_536;
/// The longest answer to a one-line question.
const MAX_LINE_CHARS: usize = 1_024;
/// The longest title.
const MAX_TITLE_CHARS: usize = 256;

/// The fields of GitHub's issue JSON that intake reads (others are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub user: User,
    pub html_url: String,
    pub created_at: String,
    #[serde(default)]
    pub labels: Vec<Label>,
    /// Present when the "issue" is a pull request.
    #[serde(default)]
    pub pull_request: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

/// Why an issue was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The issue is malformed or hostile: tell its author (exit 1).
    #[error("{0}")]
    Refused(String),
    /// Something on our side failed (exit 2).
    #[error("{0}")]
    Failed(String),
}

fn refuse(msg: impl Into<String>) -> IntakeError {
    IntakeError::Refused(msg.into())
}

/// A record ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub id: String,
    pub kind: Kind,
    /// Path relative to the ITSM root.
    pub path: String,
    pub text: String,
}

/// Reads GitHub's issue JSON.
pub fn parse_issue(json: &str) -> Result<Issue, IntakeError> {
    serde_json::from_str(json).map_err(|e| refuse(format!("not GitHub issue JSON: {e}")))
}

/// Text from the issue shown in a message: one line, short, code-quoted.
fn shown(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(60)
        .collect();
    format!("`{}`", one.replace('`', "'"))
}

/// The sections of a body, in order: (label, content).
fn sections(body: &str) -> Result<Vec<(String, String)>, IntakeError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut before = String::new();
    for line in body.split('\n') {
        if let Some(label) = line.strip_prefix("### ") {
            out.push((label.trim().to_string(), String::new()));
        } else if let Some((_, content)) = out.last_mut() {
            content.push_str(line);
            content.push('\n');
        } else {
            before.push_str(line);
        }
    }
    if !before.trim().is_empty() {
        return Err(refuse(
            "the issue body has text before its first `### ` section; it was not made from the form (or was edited)",
        ));
    }
    Ok(out)
}

/// Finds `<` starting an HTML tag, comment or declaration.
fn has_html(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

/// The answers of a body for a form: field id → answer (`None` when empty).
/// Every element's section must be there exactly once, and nothing else.
pub fn answers(form: &Form, body: &str) -> Result<Vec<(String, Option<Value>)>, IntakeError> {
    let secs = sections(body)?;
    let elements: Vec<&Element> = form
        .body
        .iter()
        .filter(|e| e.element_type != ElementType::Markdown)
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (label, _) in &secs {
        if !elements.iter().any(|e| &e.label == label) {
            return Err(refuse(format!(
                "the issue has a section {} that the form \"{}\" does not ask",
                shown(label),
                form.name
            )));
        }
        if !seen.insert(label.as_str()) {
            return Err(refuse(format!("the section {} appears twice", shown(label))));
        }
    }
    let mut out = Vec::new();
    for e in elements {
        let Some((_, content)) = secs.iter().find(|(l, _)| l == &e.label) else {
            return Err(refuse(format!(
                "the section `### {}` is missing; was the issue body edited?",
                e.label
            )));
        };
        let raw = content.trim();
        let raw = if raw == forms::NO_RESPONSE { "" } else { raw };
        if has_html(raw) {
            return Err(refuse(format!(
                "the answer to {} contains HTML; write plain text",
                shown(&e.label)
            )));
        }
        let value = answer(e, raw)?;
        if value.is_none() && e.required {
            return Err(refuse(format!(
                "{} is required but has no answer",
                shown(&e.label)
            )));
        }
        out.push((e.id.clone(), value));
    }
    Ok(out)
}

/// One answer, typed by its element and field.
fn answer(e: &Element, raw: &str) -> Result<Option<Value>, IntakeError> {
    let label = shown(&e.label);
    match e.element_type {
        ElementType::Dropdown => {
            if raw.is_empty() {
                return Ok(None);
            }
            match e.options.iter().position(|o| o == raw) {
                Some(i) => Ok(Some(json!(e.values[i]))),
                None => Err(refuse(format!(
                    "{} is not an option of {label}; options: {}",
                    shown(raw),
                    e.options.join(", ")
                ))),
            }
        }
        ElementType::Checkboxes => {
            let option = e.options.first().map(String::as_str).unwrap_or("");
            let line = raw.trim();
            let checked = if line == format!("- [X] {option}") || line == format!("- [x] {option}") {
                true
            } else if line == format!("- [ ] {option}") || line.is_empty() {
                false
            } else {
                return Err(refuse(format!(
                    "the answer to {label} is not the form's checkbox"
                )));
            };
            if e.required && !checked {
                return Err(refuse(format!("{label} must be checked")));
            }
            Ok(Some(json!(checked)))
        }
        ElementType::Input | ElementType::Textarea => {
            if raw.is_empty() {
                return Ok(None);
            }
            if e.element_type == ElementType::Input
                && (raw.contains('\n') || raw.chars().count() > MAX_LINE_CHARS)
            {
                return Err(refuse(format!(
                    "the answer to {label} must be one line of at most {MAX_LINE_CHARS} characters"
                )));
            }
            let Some(field) = &e.field else {
                return Ok(Some(json!(raw)));
            };
            let v = match field.field_type {
                FieldType::Number => {
                    let n = raw.parse::<i64>().map(Value::from).ok().or_else(|| {
                        raw.parse::<f64>()
                            .ok()
                            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                    });
                    n.ok_or_else(|| {
                        refuse(format!("the answer to {label}, {}, is not a number", shown(raw)))
                    })?
                }
                FieldType::Login => json!(raw.strip_prefix('@').unwrap_or(raw)),
                _ => json!(raw),
            };
            forms::check_value(field, &v).map_err(|why| refuse(format!("the answer to {label}: {why}")))?;
            Ok(Some(v))
        }
        ElementType::Markdown => Ok(None),
    }
}

/// The form an issue was made from: the one whose sections the body has
/// (the title prefix decides between forms asking the same questions).
pub fn form_of<'f>(forms: &'f [Form], issue: &Issue) -> Result<&'f Form, IntakeError> {
    let body = issue.body.as_deref().unwrap_or("").replace("\r\n", "\n");
    let labels: std::collections::BTreeSet<String> = sections(&body)?.into_iter().map(|(l, _)| l).collect();
    let asks = |f: &Form| -> std::collections::BTreeSet<String> {
        f.body
            .iter()
            .filter(|e| e.element_type != ElementType::Markdown)
            .map(|e| e.label.clone())
            .collect()
    };
    let by_title: Vec<&Form> = forms
        .iter()
        .filter(|f| issue.title.starts_with(f.title.as_str()))
        .collect();
    let exact: Vec<&Form> = forms.iter().filter(|f| asks(f) == labels).collect();
    match (exact.as_slice(), by_title.as_slice()) {
        ([one], _) => Ok(one),
        (many, titled) if many.len() > 1 => titled
            .iter()
            .find(|f| many.contains(f))
            .copied()
            .ok_or_else(|| refuse("the issue matches several forms; keep the title prefix the form gave it")),
        // Sections differ from every form: explain against the titled one.
        (_, [one, ..]) => Ok(one),
        _ => Err(refuse(
            "the issue was not made from one of this repo's forms (its sections match none); run `gitsm forms` and use one",
        )),
    }
}

/// The forms the repo offers today.
pub fn repo_forms(snap: &Snapshot) -> Vec<Form> {
    let services: Vec<&crate::model::Service> = snap
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some(s),
            _ => None,
        })
        .collect();
    let types: Vec<&crate::model::RequestType> = snap
        .records
        .iter()
        .filter_map(|l| match &l.record {
            Record::RequestType(t) => Some(t),
            _ => None,
        })
        .collect();
    forms::forms(&services, &types)
}

/// The record fields (no `id`) an issue asks for, and its kind.
pub fn draft(forms: &[Form], issue: &Issue) -> Result<(Kind, Map<String, Value>), IntakeError> {
    if issue.pull_request.is_some() {
        return Err(refuse("this is a pull request, not an issue"));
    }
    let login = issue.user.login.as_str();
    if !forms::is_login(login) {
        return Err(refuse(format!(
            "the issue's author {} is not a GitHub login",
            shown(login)
        )));
    }
    let body = issue.body.as_deref().unwrap_or("");
    if body.len() > MAX_BODY_BYTES {
        return Err(refuse(format!(
            "the issue body is {} bytes; gitsm reads at most {MAX_BODY_BYTES} (GitHub's own limit)",
            body.len()
        )));
    }
    if body
        .chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || crate::text::is_forbidden(c))
    {
        return Err(refuse("the issue body holds control characters"));
    }
    let body = body.replace("\r\n", "\n");
    let Some(source) = crate::status::safe_link(&issue.html_url) else {
        return Err(refuse("the issue's html_url is not an https:// URL"));
    };
    let at: Timestamp = issue
        .created_at
        .parse()
        .map_err(|e| refuse(format!("the issue's created_at: {e}")))?;
    let form = form_of(forms, issue)?;
    let got = answers(form, &body)?;
    let title = issue
        .title
        .strip_prefix(form.title.as_str())
        .unwrap_or(&issue.title)
        .trim();
    if title.is_empty() {
        return Err(refuse(
            "the issue has no title after the form's prefix; give it a title",
        ));
    }
    if title.contains(['\n', '\r']) || title.chars().count() > MAX_TITLE_CHARS || has_html(title) {
        return Err(refuse(format!(
            "the title must be one line of plain text of at most {MAX_TITLE_CHARS} characters"
        )));
    }
    let get = |id: &str| got.iter().find(|(k, _)| k == id).and_then(|(_, v)| v.clone());
    let mut f = Map::new();
    f.insert("apiVersion".into(), json!(API_VERSION));
    let kind = match &form.target {
        FormTarget::Incident => {
            f.insert("kind".into(), json!("Incident"));
            f.insert("title".into(), json!(title));
            for k in ["service", "impact", "urgency"] {
                f.insert(k.into(), get(k).unwrap_or(Value::Null));
            }
            f.insert("status".into(), json!("new"));
            f.insert("reported_at".into(), json!(at.to_string()));
            f.insert("reported_by".into(), json!(login));
            let mut ev = Map::new();
            ev.insert("at".into(), json!(at.to_string()));
            ev.insert("by".into(), json!(login));
            ev.insert("status".into(), json!("new"));
            if let Some(d) = get("description") {
                ev.insert("note".into(), d);
            }
            f.insert("timeline".into(), json!([ev]));
            Kind::Incident
        }
        FormTarget::Request(t) => {
            let service = form.service.as_ref();
            f.insert("kind".into(), json!("Request"));
            f.insert("title".into(), json!(title));
            if let Some(s) = service {
                f.insert("service".into(), json!(s));
            }
            f.insert("requested_by".into(), json!(login));
            f.insert("status".into(), json!("submitted"));
            f.insert("type".into(), json!(t.as_str()));
            let mut fields = Map::new();
            for (k, v) in &got {
                if let Some(v) = v {
                    fields.insert(k.clone(), v.clone());
                }
            }
            if !fields.is_empty() {
                f.insert("fields".into(), Value::Object(fields));
            }
            f.insert(
                "timeline".into(),
                json!([{"at": at.to_string(), "by": login, "status": "submitted"}]),
            );
            Kind::Request
        }
    };
    f.insert("extra".into(), json!({"source": source}));
    Ok((kind, f))
}

/// Ticket ids of a kind already used: every loaded record of the kind, every
/// file name in its folder (a broken file still holds its id), and the file
/// names in HEAD. (Moved here from `gitsm new`, which calls it too.)
pub fn taken_ids(root: &Path, kind: Kind, snap: &Snapshot) -> Vec<String> {
    let mut ids: Vec<String> = snap
        .records
        .iter()
        .filter(|l| l.record.kind() == kind)
        .map(|l| l.record.id().to_string())
        .collect();
    if let Ok(rd) = std::fs::read_dir(root.join(kind.folder())) {
        for e in rd.flatten() {
            ids.push(repo::file_stem(&e.file_name().to_string_lossy()).to_string());
        }
    }
    ids.extend(head_ids(root, kind.folder()));
    ids
}

/// Ticket ids of a kind recorded in HEAD, by file name in the kind's folder.
fn head_ids(root: &Path, folder: &str) -> Vec<String> {
    let Some((repo, prefix)) = crate::gitroot::discover(root) else {
        return Vec::new();
    };
    let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) else {
        return Vec::new();
    };
    let rel = Path::new(&prefix);
    let Ok(entry) = tree.get_path(&rel.join(folder)) else {
        return Vec::new();
    };
    let Ok(sub) = repo.find_tree(entry.id()) else {
        return Vec::new();
    };
    sub.iter()
        .filter_map(|e| e.name().ok().map(|n| repo::file_stem(n).to_string()))
        .collect()
}

/// Drafts the record of an issue, allocates the next free id and validates
/// the record against the repo: the text to write, or why not. The caller
/// holds the id lock from here to the write.
pub fn prepare(
    root: &Path,
    source: &dyn Source,
    snap: &Snapshot,
    issue: &Issue,
) -> Result<Prepared, IntakeError> {
    let forms = repo_forms(snap);
    let (kind, fields) = draft(&forms, issue)?;
    let Some(config) = snap.config() else {
        return Err(IntakeError::Failed(format!(
            "{} does not load, so the id prefixes are unknown; fix it first (gitsm validate)",
            repo::CONFIG_FILE
        )));
    };
    let prefix = crate::author::prefix_for(&config.id_prefixes, kind).to_string();
    let taken = taken_ids(root, kind, snap);
    let id = crate::author::next_id(&prefix, config.id_digits, taken.iter().map(String::as_str));
    let mut with_id = Map::new();
    for (k, v) in fields {
        let is_kind = k == "kind";
        with_id.insert(k, v);
        if is_kind {
            with_id.insert("id".into(), json!(id));
        }
    }
    let path = format!("{}/{id}.yaml", kind.folder());
    // Record folders sit one level below the root, where `gitsm init` puts `schemas/`.
    let schema = format!("../schemas/{}", kind.schema_file());
    let text = crate::author::render_new(kind, &schema, &with_id).map_err(IntakeError::Failed)?;
    let overlay = crate::author::Overlay {
        base: source,
        path: path.clone(),
        bytes: text.clone().into_bytes(),
    };
    let v = crate::validate::validate(&overlay).map_err(|e| IntakeError::Failed(format!("{e:#}")))?;
    let errors: Vec<String> = v
        .findings
        .iter()
        .filter(|f| f.file == path && f.severity == crate::diag::Severity::Error)
        .map(|f| format!("{} {}", f.code.as_str(), f.message))
        .collect();
    if !errors.is_empty() {
        return Err(refuse(format!(
            "the record would not validate: {}",
            errors.join("; ")
        )));
    }
    Ok(Prepared { id, kind, path, text })
}

/// Standard base64 (RFC 4648, with padding), for the contents API.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn html_is_found() {
        assert!(has_html("a <script>"));
        assert!(has_html("<!-- x -->"));
        assert!(has_html("</b>"));
        assert!(!has_html("a < b and 3<4"));
    }
}

/// What `intake --github` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub id: String,
    /// Path of the record in the git repository.
    pub path: String,
    pub branch: String,
    pub pr_number: u64,
    pub pr_url: String,
}

/// `intake --github`: reads issue `number`, prepares its record and, through
/// GitHub's contents API, puts it on a new branch (`gitsm/intake-<n>`) from
/// the default branch, opens a pull request and comments on the issue with
/// the id and the PR. A refused issue gets a comment with the reason and no
/// branch. `prefix` is the ITSM root's folder inside the git repository.
pub fn open_pull_request(
    client: &crate::gate::github::Client,
    number: u64,
    root: &Path,
    source: &dyn Source,
    snap: &Snapshot,
    prefix: &str,
) -> Result<Opened, IntakeError> {
    use http::Method;
    let fail = |e: crate::gate::GateError| IntakeError::Failed(e.to_string());
    let issue_json = client
        .repo_call(
            Method::GET,
            &format!("/issues/{number}"),
            None,
            "reading the issue",
        )
        .map_err(fail)?;
    let issue: Issue = serde_json::from_value(issue_json)
        .map_err(|e| IntakeError::Failed(format!("reading the issue: {e}")))?;
    let comment = |body: String| -> Result<(), IntakeError> {
        client
            .repo_call(
                Method::POST,
                &format!("/issues/{number}/comments"),
                Some(&json!({ "body": body })),
                "commenting on the issue",
            )
            .map(|_| ())
            .map_err(fail)
    };
    let p = match prepare(root, source, snap, &issue) {
        Ok(p) => p,
        Err(IntakeError::Refused(why)) => {
            // Our own words only, in a code span: nothing from the issue is
            // rendered as markdown.
            let safe = crate::github::limits::truncate_chars(&why.replace('`', "'"), 2_000, "…");
            comment(format!(
                "gitsm could not record this issue:\n\n```text\n{safe}\n```\n\nEdit the issue body back to the form's sections (or open a new issue from the form)."
            ))?;
            return Err(IntakeError::Refused(why));
        }
        Err(e) => return Err(e),
    };
    let repo_info = client
        .repo_call(Method::GET, "", None, "reading the repository")
        .map_err(fail)?;
    let base = repo_info["default_branch"]
        .as_str()
        .ok_or_else(|| IntakeError::Failed("the repository has no default_branch".into()))?
        .to_string();
    let head = client
        .repo_call(
            Method::GET,
            &format!("/git/ref/heads/{base}"),
            None,
            "reading the default branch",
        )
        .map_err(fail)?;
    let sha = head["object"]["sha"]
        .as_str()
        .ok_or_else(|| IntakeError::Failed("the default branch has no sha".into()))?
        .to_string();
    let branch = format!("gitsm/intake-{number}");
    client
        .repo_call(
            Method::POST,
            "/git/refs",
            Some(&json!({"ref": format!("refs/heads/{branch}"), "sha": sha})),
            "creating the branch",
        )
        .map_err(fail)?;
    let path = if prefix.is_empty() {
        p.path.clone()
    } else {
        format!("{}/{}", prefix.trim_end_matches('/'), p.path)
    };
    client
        .repo_call(
            Method::PUT,
            &format!("/contents/{path}"),
            Some(&json!({
                "message": format!("{}: from issue #{number}", p.id),
                "content": base64(p.text.as_bytes()),
                "branch": branch,
            })),
            "writing the record",
        )
        .map_err(fail)?;
    let pr = client
        .repo_call(
            Method::POST,
            "/pulls",
            Some(&json!({
                "title": format!("{}: from issue #{number}", p.id),
                "head": branch,
                "base": base,
                "body": format!("Records issue #{number} as {} (`{path}`), made by `gitsm intake`.\n\nCloses #{number}.", p.id),
            })),
            "opening the pull request",
        )
        .map_err(fail)?;
    let pr_number = pr["number"].as_u64().unwrap_or(0);
    let pr_url = pr["html_url"].as_str().unwrap_or("").to_string();
    comment(format!("Recorded as **{}** in #{pr_number}.", p.id))?;
    Ok(Opened {
        id: p.id,
        path,
        branch,
        pr_number,
        pr_url,
    })
}

//! The self-service request catalog (SPEC §1 `RequestType`, §4 `gitsm
//! forms`): the form rules `validate` runs on request types and on requests
//! made from them, and the GitHub issue forms generated from the catalog.
//!
//! One definition of a field's values serves both ends: [`check_value`]
//! checks a request's `fields` in the repo and the answers `gitsm intake`
//! reads from an issue.

use crate::cmdb::Pointed;
use crate::diag::Code;
use crate::model::{
    ApprovalFrom, ApproverGroup, FieldType, FormField, Id, Request, RequestApproval, RequestStatus,
    RequestType,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What the cross-record form rules need of a request made from a type.
#[derive(Debug)]
pub struct RequestFacts {
    pub request_type: Id,
    pub fields: Option<serde_json::Map<String, Value>>,
    /// The request is `approved` or later on its main line.
    pub approved: bool,
    pub status: RequestStatus,
    /// Logins of its approvals.
    pub approvals: Vec<String>,
    pub service: Option<Id>,
}

impl RequestFacts {
    pub fn of(q: &Request) -> Option<RequestFacts> {
        let t = q.request_type.clone()?;
        let last = q
            .timeline
            .iter()
            .rev()
            .filter_map(|e| e.status)
            .find(|s| *s != RequestStatus::OnHold);
        let effective = last.unwrap_or(q.status);
        Some(RequestFacts {
            request_type: t,
            fields: q.fields.clone(),
            approved: matches!(
                effective,
                RequestStatus::Approved
                    | RequestStatus::Fulfilling
                    | RequestStatus::Fulfilled
                    | RequestStatus::Closed
            ),
            status: q.status,
            approvals: q.approvals.iter().map(|a| a.by.clone()).collect(),
            service: q.service.clone(),
        })
    }
}

/// Who is in the approval groups a request type may name.
pub struct Approvers<'a> {
    /// Service id → owner (login or `@org/team`).
    pub owners: &'a HashMap<&'a str, &'a str>,
    /// The policy's CAB.
    pub cab: &'a [&'a str],
}

/// Whether `s` is a GitHub login: 1–39 letters, digits and single inner
/// hyphens (GitHub's own rule). A leading `@` is not part of it.
pub fn is_login(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 39
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// Checks one value against its field; the error says why it does not fit.
pub fn check_value(field: &FormField, v: &Value) -> Result<(), String> {
    match (field.field_type, v) {
        (FieldType::Text | FieldType::Textarea, Value::String(_)) => Ok(()),
        (FieldType::Select, Value::String(s)) => {
            if field.options.iter().any(|o| o == s) {
                Ok(())
            } else {
                Err(format!(
                    "`{s}` is not an option of `{}`; options: {}",
                    field.id,
                    field.options.join(", ")
                ))
            }
        }
        (FieldType::Checkbox, Value::Bool(_)) => Ok(()),
        (FieldType::Date, Value::String(s)) => s.parse::<crate::model::Date>().map(|_| ()),
        (FieldType::Login, Value::String(s)) => {
            if is_login(s.strip_prefix('@').unwrap_or(s)) {
                Ok(())
            } else {
                Err(format!("`{s}` is not a GitHub login"))
            }
        }
        (FieldType::Number, Value::Number(_)) => Ok(()),
        (t, v) => Err(format!(
            "`{}` is a {t} field; {} does not fit",
            field.id,
            match v {
                Value::String(_) => "a string",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::Null => "an empty value",
                Value::Array(_) => "a list",
                Value::Object(_) => "a mapping",
            }
        )),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Rules of a request type's own form: field ids and labels unique (an issue
/// body is keyed by label), select options present and unique, options only
/// on selects, labels on one line.
pub fn check_request_type(path: &str, t: &RequestType) -> Vec<Pointed> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    let mut labels = HashSet::new();
    for (i, f) in t.fields.iter().enumerate() {
        let at = |sub: &str| format!("/fields/{i}{sub}");
        if f.id.as_str().contains('.') {
            out.push(Pointed::new(
                Code::BadRequestForm,
                path,
                at("/id"),
                format!(
                    "field id `{}` has a `.`; GitHub issue form ids allow letters, digits, `-` and `_`",
                    f.id
                ),
            ));
        }
        if !ids.insert(f.id.as_str()) {
            out.push(Pointed::new(
                Code::BadRequestForm,
                path,
                at("/id"),
                format!("field id `{}` is used twice", f.id),
            ));
        }
        let label = f.label.trim();
        if label.is_empty() || f.label.contains(['\n', '\r']) {
            out.push(
                Pointed::new(
                    Code::BadRequestForm,
                    path,
                    at("/label"),
                    "a field label must be one non-empty line",
                )
                .hint("the label becomes the heading of the answer in the issue"),
            );
        } else if !labels.insert(label.to_lowercase()) || label.eq_ignore_ascii_case(SERVICE_LABEL) {
            out.push(
                Pointed::new(
                    Code::BadRequestForm,
                    path,
                    at("/label"),
                    format!("label `{label}` is used twice in the form"),
                )
                .hint("`gitsm intake` finds answers by their label; make each label unique"),
            );
        }
        match f.field_type {
            FieldType::Select => {
                if f.options.is_empty() {
                    out.push(
                        Pointed::new(
                            Code::BadRequestForm,
                            path,
                            at("/type"),
                            format!("select field `{}` has no `options`", f.id),
                        )
                        .hint("list the choices under `options:`"),
                    );
                }
                let mut seen = HashSet::new();
                for (j, o) in f.options.iter().enumerate() {
                    if o.trim().is_empty()
                        || o.contains(['\n', '\r'])
                        || !seen.insert(o.as_str())
                        || o == NO_RESPONSE
                    {
                        out.push(Pointed::new(
                            Code::BadRequestForm,
                            path,
                            format!("/fields/{i}/options/{j}"),
                            format!(
                                "option `{o}` of `{}` is empty, repeated, multi-line or reserved",
                                f.id
                            ),
                        ));
                    }
                }
            }
            _ if !f.options.is_empty() => out.push(Pointed::new(
                Code::BadRequestForm,
                path,
                at("/options"),
                format!(
                    "`options` is only for select fields; `{}` is a {}",
                    f.id, f.field_type
                ),
            )),
            _ => {}
        }
    }
    out
}

/// Checks a request's `fields` against its type's form, and its approvals
/// against the type's approval group.
pub fn check_request(
    path: &str,
    q: &RequestFacts,
    types: &HashMap<&str, &RequestType>,
    who: &Approvers<'_>,
) -> Vec<Pointed> {
    let Some(t) = types.get(q.request_type.as_str()) else {
        return vec![unknown_request_type(path, q, types)];
    };
    let mut out = check_fields(path, q, t);
    if let (Some(rule), true) = (&t.approval, q.approved) {
        out.extend(check_approvals(path, q, t, rule, who));
    }
    out
}

fn unknown_request_type(path: &str, q: &RequestFacts, types: &HashMap<&str, &RequestType>) -> Pointed {
    let names: Vec<String> = types.keys().map(|k| k.to_string()).collect();
    let mut p = Pointed::new(
        Code::UnknownRequestType,
        path,
        "/type",
        format!("unknown request type `{}`", q.request_type),
    );
    p.hint = Some(
        match crate::schema::did_you_mean(q.request_type.as_str(), &names) {
            Some(b) => format!("did you mean `{b}`?"),
            None => "add it under catalog/requests/ or fix the id".into(),
        },
    );
    p
}

/// The request's `fields` against its type's form: each value valid, each
/// required field there, no field the form does not have.
fn check_fields(path: &str, q: &RequestFacts, t: &RequestType) -> Vec<Pointed> {
    let mut out = Vec::new();
    let empty = serde_json::Map::new();
    let fields = q.fields.as_ref().unwrap_or(&empty);
    let base = if q.fields.is_some() { "/fields" } else { "/type" };
    for f in &t.fields {
        match fields.get(f.id.as_str()) {
            Some(v) if !is_empty(v) => {
                if let Err(why) = check_value(f, v) {
                    out.push(Pointed::new(
                        Code::RequestFieldInvalid,
                        path,
                        format!("/fields/{}", pointer_escape(f.id.as_str())),
                        why,
                    ));
                }
            }
            _ if f.required => out.push(
                Pointed::new(
                    Code::RequestFieldMissing,
                    path,
                    base,
                    format!("request type `{}` requires `{}` ({})", t.id, f.id, f.label),
                )
                .hint(format!("add `{}:` under `fields:`", f.id)),
            ),
            _ => {}
        }
    }
    let known: HashSet<&str> = t.fields.iter().map(|f| f.id.as_str()).collect();
    for k in fields.keys() {
        if !known.contains(k.as_str()) {
            let names: Vec<String> = known.iter().map(|s| s.to_string()).collect();
            let mut p = Pointed::new(
                Code::RequestFieldUnknown,
                path,
                format!("/fields/{}", pointer_escape(k)),
                format!("request type `{}` has no field `{k}`", t.id),
            );
            p.hint = Some(match crate::schema::did_you_mean(k, &names) {
                Some(b) => format!("did you mean `{b}`?"),
                None => format!(
                    "its fields: {}",
                    t.fields
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            out.push(p);
        }
    }
    out
}

/// An approved request needs `rule.approvals` approvals from the type's
/// group (the service owner, the CAB or named logins).
fn check_approvals(
    path: &str,
    q: &RequestFacts,
    t: &RequestType,
    rule: &RequestApproval,
    who: &Approvers<'_>,
) -> Option<Pointed> {
    let group: Vec<String> = match &rule.from {
        ApprovalFrom::Group(ApproverGroup::Owner) => who
            .owners
            .get(q.service.as_ref().unwrap_or(&t.service).as_str())
            .map(|o| vec![o.to_string()])
            .unwrap_or_default(),
        ApprovalFrom::Group(ApproverGroup::Cab) => who.cab.iter().map(|s| s.to_string()).collect(),
        ApprovalFrom::Logins(v) => v.clone(),
    };
    // A team (`@org/team`) cannot be resolved offline: any approver counts for it.
    let has_team = group.iter().any(|g| g.contains('/'));
    let members: HashSet<String> = group
        .iter()
        .map(|g| g.trim_start_matches('@').to_lowercase())
        .collect();
    let ok: HashSet<String> = q
        .approvals
        .iter()
        .map(|a| a.to_lowercase())
        .filter(|a| has_team || members.contains(a))
        .collect();
    if (ok.len() as u32) < rule.approvals {
        let from = match &rule.from {
            ApprovalFrom::Group(g) => g.to_string(),
            ApprovalFrom::Logins(v) => v.join(", "),
        };
        return Some(
            Pointed::new(
                Code::RequestApprovals,
                path,
                if q.approvals.is_empty() {
                    "/status"
                } else {
                    "/approvals"
                },
                format!(
                    "request is `{}` with {} approval(s) from {from}; request type `{}` asks for {}",
                    q.status,
                    ok.len(),
                    t.id,
                    rule.approvals
                ),
            )
            .hint("list them under `approvals:` as `{by: LOGIN, at: RFC 3339}`"),
        );
    }
    None
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// What GitHub writes for an optional answer left empty.
pub const NO_RESPONSE: &str = "_No response_";
/// The label of the service question on the incident form.
pub const SERVICE_LABEL: &str = "Service";

// ---------------------------------------------------------------------------
// GitHub issue forms (`gitsm forms`) and the issue bodies GitHub makes of them.

/// The first line of every file `gitsm forms` writes: its marker (a file
/// without it is never replaced).
pub const FORM_MARKER: &str = "# Generated by `gitsm forms`";

/// The label every generated form puts on its issues (the intake workflow's filter).
pub const INTAKE_LABEL: &str = "gitsm";

/// What a form makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormTarget {
    Incident,
    Request(Id),
}

/// The kind of a form element, as GitHub names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementType {
    Markdown,
    Input,
    Textarea,
    Dropdown,
    Checkboxes,
}

impl ElementType {
    pub fn as_str(self) -> &'static str {
        match self {
            ElementType::Markdown => "markdown",
            ElementType::Input => "input",
            ElementType::Textarea => "textarea",
            ElementType::Dropdown => "dropdown",
            ElementType::Checkboxes => "checkboxes",
        }
    }
}

/// One element of an issue form. For a dropdown, `options` are what the
/// user sees and `values` what the record gets, index for index.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub element_type: ElementType,
    /// The record field (`service`, `impact`, a request field id).
    pub id: String,
    pub label: String,
    pub description: Option<String>,
    pub placeholder: Option<String>,
    pub options: Vec<String>,
    pub values: Vec<String>,
    pub required: bool,
    /// For request fields: how the answer is checked and typed.
    pub field: Option<FormField>,
}

/// One issue form.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// File name under `.github/ISSUE_TEMPLATE/`.
    pub file: String,
    pub target: FormTarget,
    /// The service a request type's requests are for.
    pub service: Option<Id>,
    pub name: String,
    pub description: String,
    pub title: String,
    pub labels: Vec<String>,
    pub body: Vec<Element>,
}

/// The field ids of the incident form.
pub const INCIDENT_FIELDS: [&str; 4] = ["service", "impact", "urgency", "description"];

fn plain(element_type: ElementType, id: &str, label: &str) -> Element {
    Element {
        element_type,
        id: id.into(),
        label: label.into(),
        description: None,
        placeholder: None,
        options: vec![],
        values: vec![],
        required: false,
        field: None,
    }
}

fn levels(id: &str, label: &str, description: &str) -> Element {
    let v: Vec<String> = ["high", "medium", "low"].iter().map(|s| s.to_string()).collect();
    Element {
        description: Some(description.into()),
        options: v.clone(),
        values: v,
        required: true,
        ..plain(ElementType::Dropdown, id, label)
    }
}

/// The forms of a repo: one to report an incident (when there are public
/// services) and one per public request type, in id order.
pub fn forms(services: &[&crate::model::Service], types: &[&RequestType]) -> Vec<Form> {
    let mut out = Vec::new();
    let mut public: Vec<&&crate::model::Service> = services.iter().filter(|s| s.public).collect();
    public.sort_by(|a, b| a.id.cmp(&b.id));
    if !public.is_empty() {
        out.push(Form {
            file: "gitsm-incident.yml".into(),
            target: FormTarget::Incident,
            service: None,
            name: "Report an incident".into(),
            description: "Something is broken or slower than it should be.".into(),
            title: "[Incident]: ".into(),
            labels: vec![INTAKE_LABEL.into(), "incident".into()],
            body: vec![
                Element {
                    description: Some(
                        "An incident record is opened from this issue in a pull request; its id is posted here.".into(),
                    ),
                    ..plain(ElementType::Markdown, "", "")
                },
                Element {
                    description: Some("The service that is affected.".into()),
                    options: public.iter().map(|s| format!("{} ({})", s.name.trim(), s.id)).collect(),
                    values: public.iter().map(|s| s.id.to_string()).collect(),
                    required: true,
                    ..plain(ElementType::Dropdown, "service", SERVICE_LABEL)
                },
                levels("impact", "Impact", "How many people or how much business does it affect?"),
                levels("urgency", "Urgency", "How soon must it be fixed?"),
                Element {
                    description: Some("What happened, since when, and what you expected instead.".into()),
                    required: true,
                    ..plain(ElementType::Textarea, "description", "What happened?")
                },
            ],
        });
    }
    let mut types: Vec<&&RequestType> = types.iter().filter(|t| t.public).collect();
    types.sort_by(|a, b| a.id.cmp(&b.id));
    for t in types {
        let mut body = vec![Element {
            description: Some(match &t.description {
                Some(d) => format!(
                    "{}\n\nA service request is opened from this issue in a pull request.",
                    d.trim()
                ),
                None => "A service request is opened from this issue in a pull request.".into(),
            }),
            ..plain(ElementType::Markdown, "", "")
        }];
        for f in &t.fields {
            let (et, placeholder) = match f.field_type {
                FieldType::Text => (ElementType::Input, None),
                FieldType::Textarea => (ElementType::Textarea, None),
                FieldType::Select => (ElementType::Dropdown, None),
                FieldType::Checkbox => (ElementType::Checkboxes, None),
                FieldType::Date => (ElementType::Input, Some("YYYY-MM-DD")),
                FieldType::Login => (ElementType::Input, Some("GitHub login, e.g. octocat")),
                FieldType::Number => (ElementType::Input, Some("a number")),
            };
            let (options, values) = match f.field_type {
                FieldType::Select => (f.options.clone(), f.options.clone()),
                FieldType::Checkbox => (vec![f.label.trim().to_string()], vec!["true".into()]),
                _ => (vec![], vec![]),
            };
            body.push(Element {
                element_type: et,
                id: f.id.to_string(),
                label: f.label.trim().to_string(),
                description: f.description.clone(),
                placeholder: placeholder.map(str::to_string),
                options,
                values,
                required: f.required,
                field: Some(f.clone()),
            });
        }
        out.push(Form {
            file: format!("gitsm-request-{}.yml", t.id),
            target: FormTarget::Request(t.id.clone()),
            service: Some(t.service.clone()),
            name: t.name.trim().to_string(),
            description: t
                .description
                .as_deref()
                .map(|d| d.lines().next().unwrap_or("").trim().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| format!("Request: {}", t.name.trim())),
            title: format!("[{}]: ", t.name.trim()),
            labels: vec![INTAKE_LABEL.into(), "request".into()],
            body,
        });
    }
    out
}

/// A YAML scalar: JSON's double-quoted string is valid YAML.
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The YAML text of a form, GitHub's issue-form syntax.
pub fn render_form(f: &Form) -> String {
    use std::fmt::Write as _;
    let mut s =
        format!("{FORM_MARKER} from the service catalog and catalog/requests/; edit those and re-run it.\n");
    let _ = writeln!(s, "name: {}", q(&f.name));
    let _ = writeln!(s, "description: {}", q(&f.description));
    let _ = writeln!(s, "title: {}", q(&f.title));
    let labels: Vec<String> = f.labels.iter().map(|l| q(l)).collect();
    let _ = writeln!(s, "labels: [{}]", labels.join(", "));
    let _ = writeln!(s, "body:");
    for e in &f.body {
        let _ = writeln!(s, "  - type: {}", e.element_type.as_str());
        if e.element_type == ElementType::Markdown {
            let _ = writeln!(s, "    attributes:");
            let _ = writeln!(s, "      value: {}", q(e.description.as_deref().unwrap_or("")));
            continue;
        }
        let _ = writeln!(s, "    id: {}", e.id);
        let _ = writeln!(s, "    attributes:");
        let _ = writeln!(s, "      label: {}", q(&e.label));
        if let Some(d) = &e.description {
            let _ = writeln!(s, "      description: {}", q(d));
        }
        if let Some(p) = &e.placeholder {
            let _ = writeln!(s, "      placeholder: {}", q(p));
        }
        match e.element_type {
            ElementType::Dropdown => {
                let _ = writeln!(s, "      options:");
                for o in &e.options {
                    let _ = writeln!(s, "        - {}", q(o));
                }
            }
            ElementType::Checkboxes => {
                let _ = writeln!(s, "      options:");
                for o in &e.options {
                    let _ = writeln!(s, "        - label: {}", q(o));
                    if e.required {
                        let _ = writeln!(s, "          required: true");
                    }
                }
            }
            _ => {}
        }
        if e.required && e.element_type != ElementType::Checkboxes {
            let _ = writeln!(s, "    validations:");
            let _ = writeln!(s, "      required: true");
        }
    }
    s
}

/// `config.yml` of the issue template chooser: blank issues stay allowed,
/// and the status page is linked when it has an `https://` address.
pub fn render_config(forms: &[Form], status_url: Option<&str>) -> String {
    use std::fmt::Write as _;
    let names: Vec<&str> = forms.iter().map(|f| f.file.as_str()).collect();
    let mut s = format!(
        "{FORM_MARKER}. Forms: {}\n",
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    );
    let _ = writeln!(s, "blank_issues_enabled: true");
    if let Some(url) = status_url {
        let _ = writeln!(s, "contact_links:");
        let _ = writeln!(s, "  - name: {}", q("Service status"));
        let _ = writeln!(s, "    url: {}", q(url));
        let _ = writeln!(
            s,
            "    about: {}",
            q("Check the status page before reporting an incident.")
        );
    }
    s
}

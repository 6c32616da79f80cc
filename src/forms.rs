//! The self-service request catalog (SPEC §1 `RequestType`, §4 `gitsm
//! forms`): the form rules `validate` runs on request types and on requests
//! made from them, and the GitHub issue forms generated from the catalog.
//!
//! One definition of a field's values serves both ends: [`check_value`]
//! checks a request's `fields` in the repo and the answers `gitsm intake`
//! reads from an issue.

use crate::cmdb::Pointed;
use crate::diag::Code;
use crate::model::{ApprovalFrom, ApproverGroup, FieldType, FormField, Id, Request, RequestStatus, RequestType};
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
        let last = q.timeline.iter().rev().filter_map(|e| e.status).find(|s| *s != RequestStatus::OnHold);
        let effective = last.unwrap_or(q.status);
        Some(RequestFacts {
            request_type: t,
            fields: q.fields.clone(),
            approved: matches!(
                effective,
                RequestStatus::Approved | RequestStatus::Fulfilling | RequestStatus::Fulfilled | RequestStatus::Closed
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
                Pointed::new(Code::BadRequestForm, path, at("/label"), "a field label must be one non-empty line")
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
                    if o.trim().is_empty() || o.contains(['\n', '\r']) || !seen.insert(o.as_str()) || o == NO_RESPONSE {
                        out.push(Pointed::new(
                            Code::BadRequestForm,
                            path,
                            format!("/fields/{i}/options/{j}"),
                            format!("option `{o}` of `{}` is empty, repeated, multi-line or reserved", f.id),
                        ));
                    }
                }
            }
            _ if !f.options.is_empty() => out.push(Pointed::new(
                Code::BadRequestForm,
                path,
                at("/options"),
                format!("`options` is only for select fields; `{}` is a {}", f.id, f.field_type),
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
    let mut out = Vec::new();
    let Some(t) = types.get(q.request_type.as_str()) else {
        let names: Vec<String> = types.keys().map(|k| k.to_string()).collect();
        let mut p = Pointed::new(
            Code::UnknownRequestType,
            path,
            "/type",
            format!("unknown request type `{}`", q.request_type),
        );
        p.hint = Some(match crate::schema::did_you_mean(q.request_type.as_str(), &names) {
            Some(b) => format!("did you mean `{b}`?"),
            None => "add it under catalog/requests/ or fix the id".into(),
        });
        return vec![p];
    };
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
                None => format!("its fields: {}", t.fields.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", ")),
            });
            out.push(p);
        }
    }
    if let (Some(rule), true) = (&t.approval, q.approved) {
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
        let members: HashSet<String> = group.iter().map(|g| g.trim_start_matches('@').to_lowercase()).collect();
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
            out.push(
                Pointed::new(
                    Code::RequestApprovals,
                    path,
                    if q.approvals.is_empty() { "/status" } else { "/approvals" },
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
    }
    out
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// What GitHub writes for an optional answer left empty.
pub const NO_RESPONSE: &str = "_No response_";
/// The label of the service question on the incident form.
pub const SERVICE_LABEL: &str = "Service";

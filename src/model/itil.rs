//! The record kinds of the "rest of ITIL" (SPEC §1): configuration items
//! (`cmdb/`), releases (`releases/`) and the self-service request catalog
//! (`catalog/requests/`). Like the other kinds, these types are the schema.

use super::enums::str_enum;
use super::{Date, Duration, Event, Extra, Id, Window};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

str_enum!(
    /// What a configuration item is.
    CiType {
        Server = "server",
        Database = "database",
        Cluster = "cluster",
        Network = "network",
        Saas = "saas",
        Certificate = "certificate",
        Licence = "licence",
        Repository = "repository",
        Other = "other",
    }
);
str_enum!(
    /// Where a configuration item is in its life.
    Lifecycle { Planned = "planned", Active = "active", Retiring = "retiring", Retired = "retired" }
);
str_enum!(ReleaseStatus {
    Planned = "planned",
    Building = "building",
    Testing = "testing",
    Deploying = "deploying",
    OnHold = "on_hold",
    Released = "released",
    Closed = "closed",
    Cancelled = "cancelled",
});
str_enum!(
    /// The kind of input a request form field takes.
    FieldType {
        Text = "text",
        Textarea = "textarea",
        Select = "select",
        Checkbox = "checkbox",
        Date = "date",
        Login = "login",
        Number = "number",
    }
);

/// A configuration item (CMDB entry): something a service runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigItem {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub name: String,
    #[serde(rename = "type")]
    pub ci_type: CiType,
    /// Services this item supports: they are affected when it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Id>,
    /// Configuration items this one needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Id>,
    /// A GitHub login or an `@org/team`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// When a certificate, licence, warranty or contract runs out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// How long ahead of `expires` `validate` warns (default `30d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

impl ConfigItem {
    /// [`ConfigItem::renew_before`] or its default, 30 days.
    pub fn renew_window(&self) -> Duration {
        self.renew_before.unwrap_or(Duration::from_secs(30 * 86_400))
    }
}

/// A release: changes that ship together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Id>,
    /// The changes (CHG ids) shipped in this release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Release notes written by hand, shown above the list of changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub status: ReleaseStatus,
    pub timeline: Vec<Event<ReleaseStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// One field of a self-service request form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// The key of the value in a request's `fields`.
    pub id: Id,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The choices of a `select` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Who approves requests of a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ApprovalFrom {
    /// `owner` (the service's owner) or `cab`.
    Group(ApproverGroup),
    /// Named GitHub logins.
    Logins(Vec<String>),
}

str_enum!(ApproverGroup { Owner = "owner", Cab = "cab" });

/// The approvals a request of a type needs before it is fulfilled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestApproval {
    #[schemars(range(min = 1, max = 20))]
    pub approvals: u32,
    pub from: ApprovalFrom,
}

/// One item of the self-service request catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestType {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub name: String,
    pub service: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FormField>,
    /// Overrides the SLA's `request_fulfillment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<RequestApproval>,
    /// Offered as a GitHub issue form by `gitsm forms`.
    #[serde(default)]
    pub public: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

//! The record kinds of an ITSM repo (SPEC §1). These Rust types are the single
//! source of truth: the JSON Schemas in `schemas/` are generated from them.

pub mod itil;
pub mod types;

pub use itil::*;
pub use types::{Date, Duration, Id, Timestamp};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The only `apiVersion` gitsm reads.
pub const API_VERSION: &str = "gitsm/v1";

/// Free-form data a team wants to keep on any record.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// The record kinds, as written in `kind:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Config,
    Service,
    Calendar,
    Sla,
    ChangePolicy,
    Incident,
    Problem,
    Request,
    Change,
    ConfigItem,
    Release,
    RequestType,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Config,
        Kind::Service,
        Kind::Calendar,
        Kind::Sla,
        Kind::ChangePolicy,
        Kind::Incident,
        Kind::Problem,
        Kind::Request,
        Kind::Change,
        Kind::ConfigItem,
        Kind::Release,
        Kind::RequestType,
    ];

    /// The name written in `kind:`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Config => "Config",
            Kind::Service => "Service",
            Kind::Calendar => "Calendar",
            Kind::Sla => "SLA",
            Kind::ChangePolicy => "ChangePolicy",
            Kind::Incident => "Incident",
            Kind::Problem => "Problem",
            Kind::Request => "Request",
            Kind::Change => "Change",
            Kind::ConfigItem => "ConfigItem",
            Kind::Release => "Release",
            Kind::RequestType => "RequestType",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The conventional folder for records of this kind (`""` for the root).
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Config => "",
            Kind::Service => "catalog",
            Kind::Calendar | Kind::Sla => "slas",
            Kind::ChangePolicy => "policies",
            Kind::Incident => "incidents",
            Kind::Problem => "problems",
            Kind::Request => "requests",
            Kind::Change => "changes",
            Kind::ConfigItem => "cmdb",
            Kind::Release => "releases",
            Kind::RequestType => "catalog/requests",
        }
    }

    /// File name stem of the kind's schema, `schemas/<stem>.json`.
    pub fn schema_file(self) -> String {
        format!("{}.json", self.name().to_lowercase())
    }

    /// Ticket kinds have workflow ids allocated from the config's prefixes.
    pub fn is_ticket(self) -> bool {
        matches!(
            self,
            Kind::Incident | Kind::Problem | Kind::Request | Kind::Change | Kind::Release
        )
    }
}

/// Folders in which every YAML file must be a record.
pub const RECORD_FOLDERS: [&str; 9] = [
    "catalog",
    "slas",
    "policies",
    "incidents",
    "problems",
    "requests",
    "changes",
    "cmdb",
    "releases",
];

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $( #[serde(rename = $s)] $variant, )*
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $s, )* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $s => Some($name::$variant), )* _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(
    /// Impact or urgency of an incident.
    Level { High = "high", Medium = "medium", Low = "low" }
);
str_enum!(
    /// Incident priority, P1 (most urgent) to P4.
    Priority { P1 = "P1", P2 = "P2", P3 = "P3", P4 = "P4" }
);
str_enum!(
    /// What customers experience during an incident, from least to worst.
    CustomerImpact {
        None = "none",
        DegradedPerformance = "degraded_performance",
        PartialOutage = "partial_outage",
        MajorOutage = "major_outage",
    }
);
str_enum!(ChangeType { Standard = "standard", Normal = "normal", Emergency = "emergency" });
str_enum!(Risk { Low = "low", Medium = "medium", High = "high" });

impl Risk {
    /// Low < medium < high.
    pub fn rank(self) -> u8 {
        match self {
            Risk::Low => 0,
            Risk::Medium => 1,
            Risk::High => 2,
        }
    }
}
str_enum!(Outcome { Successful = "successful", Failed = "failed", RolledBack = "rolled_back" });
str_enum!(IncidentStatus {
    New = "new",
    Acknowledged = "acknowledged",
    Investigating = "investigating",
    OnHold = "on_hold",
    Resolved = "resolved",
    Closed = "closed",
});
str_enum!(ProblemStatus {
    New = "new",
    Investigating = "investigating",
    KnownError = "known_error",
    OnHold = "on_hold",
    Resolved = "resolved",
    Closed = "closed",
});
str_enum!(RequestStatus {
    Submitted = "submitted",
    Approved = "approved",
    Fulfilling = "fulfilling",
    OnHold = "on_hold",
    Fulfilled = "fulfilled",
    Closed = "closed",
    Rejected = "rejected",
});
str_enum!(ChangeStatus {
    Draft = "draft",
    Submitted = "submitted",
    Approved = "approved",
    Scheduled = "scheduled",
    Implementing = "implementing",
    OnHold = "on_hold",
    Completed = "completed",
    Closed = "closed",
    Rejected = "rejected",
    Cancelled = "cancelled",
});
str_enum!(
    /// A CAB group named in a policy rule.
    Group { Cab = "cab", Ecab = "ecab" }
);
str_enum!(Enforcement { Deny = "deny", Warn = "warn" });
str_enum!(PathEnforcement { Deny = "deny", Warn = "warn", Allow = "allow" });

impl ChangeStatus {
    /// `approved` or any later state on the main line.
    pub fn is_approved_or_later(self) -> bool {
        matches!(
            self,
            ChangeStatus::Approved
                | ChangeStatus::Scheduled
                | ChangeStatus::Implementing
                | ChangeStatus::Completed
                | ChangeStatus::Closed
        )
    }
}

/// One timeline event. The first event of a timeline is the record's creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub struct Event<S> {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (a GitHub login).
    pub by: String,
    /// The status the record moved to, if this event moved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Public notes appear on the status page; notes are internal by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

/// `gitsm.yaml`: settings; marks the repo root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    #[serde(default)]
    pub id_prefixes: IdPrefixes,
    /// Zero-padded digits in new ids (default 4).
    #[serde(default = "default_id_digits")]
    #[schemars(range(min = 1, max = 9))]
    pub id_digits: u32,
    /// IANA time zone for reports, e.g. `Europe/Berlin` (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_matrix: Option<PriorityMatrix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_page: Option<StatusPageConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

fn default_id_digits() -> u32 {
    4
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdPrefixes {
    #[serde(default = "p_inc")]
    pub incident: String,
    #[serde(default = "p_prb")]
    pub problem: String,
    #[serde(default = "p_req")]
    pub request: String,
    #[serde(default = "p_chg")]
    pub change: String,
    #[serde(default = "p_rel")]
    pub release: String,
}

fn p_inc() -> String {
    "INC".into()
}
fn p_prb() -> String {
    "PRB".into()
}
fn p_req() -> String {
    "REQ".into()
}
fn p_chg() -> String {
    "CHG".into()
}
fn p_rel() -> String {
    "REL".into()
}

impl Default for IdPrefixes {
    fn default() -> Self {
        IdPrefixes {
            incident: p_inc(),
            problem: p_prb(),
            request: p_req(),
            change: p_chg(),
            release: p_rel(),
        }
    }
}

impl IdPrefixes {
    pub fn for_kind(&self, kind: Kind) -> Option<&str> {
        match kind {
            Kind::Incident => Some(&self.incident),
            Kind::Problem => Some(&self.problem),
            Kind::Request => Some(&self.request),
            Kind::Change => Some(&self.change),
            Kind::Release => Some(&self.release),
            _ => None,
        }
    }
}

/// Impact rows × urgency columns → priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityMatrix {
    pub high: MatrixRow,
    pub medium: MatrixRow,
    pub low: MatrixRow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    pub high: Priority,
    pub medium: Priority,
    pub low: Priority,
}

impl Default for PriorityMatrix {
    /// The ITIL default matrix (SPEC §1).
    fn default() -> Self {
        use Priority::*;
        let row = |h, m, l| MatrixRow {
            high: h,
            medium: m,
            low: l,
        };
        PriorityMatrix {
            high: row(P1, P2, P3),
            medium: row(P2, P3, P4),
            low: row(P3, P4, P4),
        }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Level, urgency: Level) -> Priority {
        let row = match impact {
            Level::High => &self.high,
            Level::Medium => &self.medium,
            Level::Low => &self.low,
        };
        match urgency {
            Level::High => row.high,
            Level::Medium => row.medium,
            Level::Low => row.low,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Where the page is published, e.g. `https://status.example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Public services to show, in order; defaults to every service with `public: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<Id>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Folder for rendered reports (skipped by the loader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<String>,
    /// Folder for the status page (skipped by the loader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_page: Option<String>,
}

/// A service in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub name: String,
    /// A GitHub login or an `@org/team`.
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 4))]
    pub tier: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Id>,
    /// Glob patterns of code in this repo that belongs to the service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Shown on the public status page.
    #[serde(default)]
    pub public: bool,
    /// Heading the service is listed under on the status page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// Working hours: one `HH:MM-HH:MM` range or a list of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Hours {
    One(String),
    Many(Vec<String>),
}

impl Hours {
    pub fn ranges(&self) -> Vec<&str> {
        match self {
            Hours::One(s) => vec![s.as_str()],
            Hours::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A holiday: a date, or a date with a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Holiday {
    Date(Date),
    Named(NamedHoliday),
}

impl Holiday {
    pub fn date(&self) -> Date {
        match self {
            Holiday::Date(d) => *d,
            Holiday::Named(n) => n.date,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedHoliday {
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Business hours for SLA clocks. The calendar `24x7` is built in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Per weekday or range of weekdays (`mon-fri`, `sat`): `"09:00-17:00"` or a list of ranges.
    pub hours: BTreeMap<String, Hours>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<Holiday>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// Response and resolution targets for one priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Duration>,
}

/// Targets per priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(rename = "P1", default, skip_serializing_if = "Option::is_none")]
    pub p1: Option<Target>,
    #[serde(rename = "P2", default, skip_serializing_if = "Option::is_none")]
    pub p2: Option<Target>,
    #[serde(rename = "P3", default, skip_serializing_if = "Option::is_none")]
    pub p3: Option<Target>,
    #[serde(rename = "P4", default, skip_serializing_if = "Option::is_none")]
    pub p4: Option<Target>,
}

impl Targets {
    pub fn get(&self, p: Priority) -> Option<&Target> {
        match p {
            Priority::P1 => self.p1.as_ref(),
            Priority::P2 => self.p2.as_ref(),
            Priority::P3 => self.p3.as_ref(),
            Priority::P4 => self.p4.as_ref(),
        }
    }
}

/// A service level agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Calendar id; `24x7` is built in.
    pub calendar: Id,
    pub targets: Targets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fulfillment: Option<Duration>,
    /// Monthly availability target in percent, e.g. `99.9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub availability: Option<f64>,
    /// Statuses that stop the clock (default `[on_hold]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_on: Option<Vec<String>>,
    /// Fraction of a target after which a clock is `warning` (default 0.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub warn_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub title: String,
    pub service: Id,
    pub impact: Level,
    pub urgency: Level,
    /// Derived from the priority matrix when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Needed when `priority` differs from the matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_override_reason: Option<String>,
    pub status: IncidentStatus,
    pub reported_at: Timestamp,
    pub reported_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_impact: Option<CustomerImpact>,
    /// Defaults to `[service]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_services: Option<Vec<Id>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Configuration items (CI ids) involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_items: Vec<Id>,
    pub timeline: Vec<Event<IncidentStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

impl Incident {
    pub fn effective_priority(&self, matrix: &PriorityMatrix) -> Priority {
        self.priority
            .unwrap_or_else(|| matrix.priority(self.impact, self.urgency))
    }
    pub fn affected(&self) -> Vec<Id> {
        self.affected_services
            .clone()
            .unwrap_or_else(|| vec![self.service.clone()])
    }
    pub fn impact_on_customers(&self) -> CustomerImpact {
        self.customer_impact.unwrap_or(CustomerImpact::None)
    }
}

/// A problem: the cause behind one or more incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Id>,
    pub status: ProblemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workaround: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<Id>,
    /// Configuration items (CI ids) involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_items: Vec<Id>,
    pub timeline: Vec<Event<ProblemStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// A service request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    pub status: RequestStatus,
    /// The RequestType (self-service catalog item) this request was made from.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub request_type: Option<Id>,
    /// The values of the type's form fields, by field id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// Approvals from the type's `approval` group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    pub timeline: Vec<Event<RequestStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// When a change is carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// One CAB approval, backed by a GitHub review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub by: String,
    pub at: Timestamp,
}

/// A change request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    pub title: String,
    pub status: ChangeStatus,
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    pub risk: Risk,
    pub services: Vec<Id>,
    pub requested_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Customer-visible maintenance, shown on the status page.
    #[serde(default)]
    pub maintenance: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Post-implementation review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// For a `standard` change: the id of a pre-authorised template in the
    /// policy's `standard_changes` (SPEC §3 rule 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Configuration items (CI ids) involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_items: Vec<Id>,
    /// The release (REL id) this change ships in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<Id>,
    pub timeline: Vec<Event<ChangeStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// Which changes a policy rule applies to; absent fields match anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleMatch {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

impl RuleMatch {
    pub fn matches(&self, change_type: ChangeType, risk: Risk) -> bool {
        self.change_type.is_none_or(|t| t == change_type) && self.risk.is_none_or(|r| r == risk)
    }
}

/// One approval rule; the first matching rule applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    #[serde(rename = "match", default)]
    pub matches: RuleMatch,
    /// How many distinct approvals are needed.
    pub approvals: u32,
    /// The group approvers must belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Group>,
    /// An owner of each affected service must approve too.
    #[serde(default)]
    pub service_owner: bool,
    /// Post-implementation review due within this long after completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_within: Option<Duration>,
}

/// A change freeze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Freeze {
    pub name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Change types still allowed during the freeze.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<ChangeType>,
}

/// Approvals a PR needs when it edits the policy itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyChangeRule {
    pub approvals: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Group>,
}

/// Minimum lead time per change type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LeadTimes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Duration>,
}

impl LeadTimes {
    pub fn get(&self, t: ChangeType) -> Option<Duration> {
        match t {
            ChangeType::Standard => self.standard,
            ChangeType::Normal => self.normal,
            ChangeType::Emergency => self.emergency,
        }
    }
}

/// The change policy: CAB membership, approval rules, freezes (SPEC §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePolicy {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// CAB members: GitHub logins or `@org/team`.
    #[serde(default)]
    pub cab: Vec<String>,
    /// Emergency CAB members.
    #[serde(default)]
    pub ecab: Vec<String>,
    pub rules: Vec<PolicyRule>,
    /// Minimum time between `submitted` and `window.start`, per change type.
    #[serde(default)]
    pub lead_time: LeadTimes,
    #[serde(default)]
    pub freeze: Vec<Freeze>,
    #[serde(default = "deny")]
    pub conflicts: Enforcement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_change: Option<PolicyChangeRule>,
    #[serde(default = "deny_paths")]
    pub ungoverned_paths: PathEnforcement,
    /// Pre-authorised standard-change templates (ITIL standard changes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standard_changes: Vec<StandardChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// A pre-authorised standard change: a change naming it in `template`,
/// with a risk no higher and services among these, needs no CAB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardChange {
    pub id: String,
    pub title: String,
    pub services: Vec<Id>,
    pub risk: Risk,
    /// Narrows what the template covers (globs anchored at the git root).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn deny() -> Enforcement {
    Enforcement::Deny
}
fn deny_paths() -> PathEnforcement {
    PathEnforcement::Deny
}

impl ChangePolicy {
    /// The first rule matching a change's type and risk.
    pub fn rule_for(&self, change_type: ChangeType, risk: Risk) -> Option<&PolicyRule> {
        self.rules.iter().find(|r| r.matches.matches(change_type, risk))
    }

    pub fn standard_change(&self, id: &str) -> Option<&StandardChange> {
        self.standard_changes.iter().find(|t| t.id == id)
    }

    pub fn group(&self, g: Group) -> &[String] {
        match g {
            Group::Cab => &self.cab,
            Group::Ecab => &self.ecab,
        }
    }
}

/// Any record, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Config(Config),
    Service(Service),
    Calendar(Calendar),
    Sla(Sla),
    ChangePolicy(ChangePolicy),
    Incident(Incident),
    Problem(Problem),
    Request(Request),
    Change(Change),
    ConfigItem(ConfigItem),
    Release(Release),
    RequestType(RequestType),
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self {
            Record::Config(_) => Kind::Config,
            Record::Service(_) => Kind::Service,
            Record::Calendar(_) => Kind::Calendar,
            Record::Sla(_) => Kind::Sla,
            Record::ChangePolicy(_) => Kind::ChangePolicy,
            Record::Incident(_) => Kind::Incident,
            Record::Problem(_) => Kind::Problem,
            Record::Request(_) => Kind::Request,
            Record::Change(_) => Kind::Change,
            Record::ConfigItem(_) => Kind::ConfigItem,
            Record::Release(_) => Kind::Release,
            Record::RequestType(_) => Kind::RequestType,
        }
    }

    pub fn id(&self) -> &Id {
        match self {
            Record::Config(r) => &r.id,
            Record::Service(r) => &r.id,
            Record::Calendar(r) => &r.id,
            Record::Sla(r) => &r.id,
            Record::ChangePolicy(r) => &r.id,
            Record::Incident(r) => &r.id,
            Record::Problem(r) => &r.id,
            Record::Request(r) => &r.id,
            Record::Change(r) => &r.id,
            Record::ConfigItem(r) => &r.id,
            Record::Release(r) => &r.id,
            Record::RequestType(r) => &r.id,
        }
    }

    /// Deserializes an owned JSON value, moving its strings into the record.
    /// `None` on any error; call [`Record::from_json`] to learn where.
    pub fn from_json_owned(kind: Kind, value: serde_json::Value) -> Option<Record> {
        fn de<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Option<T> {
            T::deserialize(v).ok()
        }
        Some(record_by_kind!(kind, de, value))
    }

    /// Deserializes a schema-valid JSON value of the given kind. The error
    /// carries the JSON pointer of the offending value.
    pub fn from_json(kind: Kind, value: &serde_json::Value) -> Result<Record, (String, String)> {
        fn de<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, (String, String)> {
            serde_path_to_error::deserialize(v).map_err(|e| {
                let mut pointer = String::new();
                for seg in e.path().iter() {
                    use serde_path_to_error::Segment;
                    match seg {
                        Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                        Segment::Map { key } => {
                            pointer.push('/');
                            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                        }
                        Segment::Enum { .. } | Segment::Unknown => {}
                    }
                }
                (pointer, e.into_inner().to_string())
            })
        }
        Ok(record_by_kind!(kind, de, value))
    }
}

/// One match over the kinds, so adding a kind means one new line here.
macro_rules! record_by_kind {
    ($kind:expr, $de:ident, $value:expr) => {
        match $kind {
            Kind::Config => Record::Config($de($value)?),
            Kind::Service => Record::Service($de($value)?),
            Kind::Calendar => Record::Calendar($de($value)?),
            Kind::Sla => Record::Sla($de($value)?),
            Kind::ChangePolicy => Record::ChangePolicy($de($value)?),
            Kind::Incident => Record::Incident($de($value)?),
            Kind::Problem => Record::Problem($de($value)?),
            Kind::Request => Record::Request($de($value)?),
            Kind::Change => Record::Change($de($value)?),
            Kind::ConfigItem => Record::ConfigItem($de($value)?),
            Kind::Release => Record::Release($de($value)?),
            Kind::RequestType => Record::RequestType($de($value)?),
        }
    };
}
use record_by_kind;

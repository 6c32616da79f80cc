//! The ticket kinds people work on — incidents, problems, requests and
//! changes — and the timeline events they share.

use super::{
    ChangeStatus, ChangeType, CustomerImpact, Extra, Id, IncidentStatus, Level, Outcome, Priority,
    PriorityMatrix, ProblemStatus, RequestStatus, Risk, Timestamp,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// The change that caused it (a CHG id), for the change failure rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<Id>,
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

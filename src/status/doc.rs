//! The public status document: what `status.json` holds and what the
//! templates render. Only public data ever gets in here: public services,
//! incidents on them, and timeline notes marked `public: true`.
//! Its JSON Schema is checked in as `schemas/status.json`.

use super::uptime::State;
use crate::model::{CustomerImpact, Id, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the `status.json` shape; bumped on incompatible changes.
pub const FORMAT: &str = "gitsm-status/v1";

/// The whole public status of an organisation (`status.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusDoc {
    /// Always `gitsm-status/v1`.
    pub format: String,
    /// The clock the page was computed at (`--now`).
    pub generated_at: Timestamp,
    pub page: PageInfo,
    /// The worst current state over all public services.
    pub status: Overall,
    /// Public services in display order, with their current state and 90 days of history.
    pub services: Vec<ServiceStatus>,
    /// Public incidents, newest first.
    pub incidents: Vec<IncidentDoc>,
    /// Customer-visible maintenance on public services, soonest first.
    pub maintenances: Vec<MaintenanceDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageInfo {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the page is published (an `https://` URL), when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// IANA time zone that days and times are shown in.
    pub time_zone: String,
    /// Number of days in each service's uptime history.
    pub history_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overall {
    pub state: State,
    /// e.g. "All systems operational", "Partial outage".
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceStatus {
    pub id: Id,
    pub name: String,
    /// Heading the service is listed under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Current state: worst customer impact of its open incidents, or
    /// `under_maintenance` inside a maintenance window.
    pub status: State,
    /// Uptime over the history days in percent (outages minus planned maintenance).
    pub uptime_percent: f64,
    /// One entry per day, oldest first, ending today.
    pub days: Vec<DayStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DayStatus {
    /// `YYYY-MM-DD` in the page's time zone.
    pub date: String,
    /// The worst state of the day.
    pub status: State,
    /// Seconds of downtime counted against uptime.
    pub downtime_seconds: i64,
    /// Incidents and maintenance that touched the day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<DayEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DayEvent {
    pub id: Id,
    pub title: String,
}

/// Where an incident is in its life, as customers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentPhase {
    Investigating,
    OnHold,
    Resolved,
}

impl IncidentPhase {
    pub fn label(self) -> &'static str {
        match self {
            IncidentPhase::Investigating => "Investigating",
            IncidentPhase::OnHold => "On hold",
            IncidentPhase::Resolved => "Resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentDoc {
    pub id: Id,
    pub title: String,
    /// Page of the incident, relative to the site root.
    pub url: String,
    pub status: IncidentPhase,
    pub impact: CustomerImpact,
    pub started_at: Timestamp,
    /// When it was (last) resolved; absent while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    /// Seconds it was open (still counting while open).
    pub duration_seconds: i64,
    /// The public services it affected.
    pub services: Vec<Id>,
    /// Public updates, oldest first.
    pub updates: Vec<Update>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub at: Timestamp,
    /// The incident's phase (for incidents) or the maintenance's (for maintenance) after this update.
    pub status: String,
    pub text: String,
}

/// Where a maintenance is, as customers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaintenancePhase {
    Scheduled,
    InProgress,
    Completed,
}

impl MaintenancePhase {
    pub fn label(self) -> &'static str {
        match self {
            MaintenancePhase::Scheduled => "Scheduled",
            MaintenancePhase::InProgress => "In progress",
            MaintenancePhase::Completed => "Completed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceDoc {
    pub id: Id,
    pub title: String,
    pub url: String,
    pub status: MaintenancePhase,
    /// When it was announced: the change reached `scheduled`.
    pub announced_at: Timestamp,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub services: Vec<Id>,
    /// Public updates, oldest first.
    pub updates: Vec<Update>,
}

/// The JSON Schema of `status.json`.
pub fn schema() -> serde_json::Value {
    let mut v = crate::schema::generate::<StatusDoc>();
    crate::schema::strip_null(&mut v);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "$id".into(),
            format!("{}status.json", crate::schema::SCHEMA_BASE).into(),
        );
        obj.insert("title".into(), "gitsm status.json".into());
    }
    v
}

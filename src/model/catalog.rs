//! The service catalog and its service levels: services, business-hours
//! calendars and SLAs with their targets.

use super::{AvailabilityHours, Date, Duration, Extra, Id, Priority};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Whether the calendar's off-hours count in availability and error
    /// budgets (`all`, the default) or only its business hours (`business`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_hours: Option<AvailabilityHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

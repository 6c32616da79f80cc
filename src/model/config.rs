//! `gitsm.yaml`, the repo's settings: id prefixes and digits, the priority
//! matrix, the status page and output folders.

use super::{Extra, Id, Kind, Level, Priority};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

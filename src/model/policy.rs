//! The change policy (SPEC §3): CAB membership, approval rules, lead times,
//! freezes and pre-authorised standard changes.

use super::{ChangeType, Duration, Enforcement, Extra, Group, Id, PathEnforcement, Risk, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which changes a policy rule applies to; absent fields match anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ChangeSelector {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

impl ChangeSelector {
    pub fn selects(&self, change_type: ChangeType, risk: Risk) -> bool {
        self.change_type.is_none_or(|t| t == change_type) && self.risk.is_none_or(|r| r == risk)
    }
}

/// One approval rule; the first matching rule applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    #[serde(rename = "match", default)]
    pub selector: ChangeSelector,
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
    /// A service whose error budget is spent takes only emergency and
    /// standard changes (SPEC §3 rule 5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub budget_freeze: bool,
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
        self.rules.iter().find(|r| r.selector.selects(change_type, risk))
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

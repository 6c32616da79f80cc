//! The closed sets of values records use (priorities, levels, change types,
//! the statuses of each ticket kind, …), each spelt as in the YAML, and the
//! one macro that defines them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str {
                v.as_str()
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(super) use str_enum;

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
str_enum!(
    /// Which hours count in availability and error budgets: all of them, or
    /// only the SLA calendar's business hours.
    AvailabilityHours { All = "all", Business = "business" }
);

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

//! The record kinds of an ITSM repo (SPEC §1). These Rust types are the single
//! source of truth: the JSON Schemas in `schemas/` are generated from them.

mod catalog;
mod config;
mod enums;
pub mod itil;
mod policy;
mod ticket;
pub mod types;

pub use catalog::*;
pub use config::*;
pub use enums::*;
pub use itil::*;
pub use policy::*;
pub use ticket::*;
pub use types::{Date, Duration, Id, Timestamp};

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
    /// The one list of folder names: [`RECORD_FOLDERS`] and
    /// [`TICKET_FOLDERS`] are built from it.
    pub const fn folder(self) -> &'static str {
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
    Kind::Service.folder(),
    Kind::Sla.folder(),
    Kind::ChangePolicy.folder(),
    Kind::Incident.folder(),
    Kind::Problem.folder(),
    Kind::Request.folder(),
    Kind::Change.folder(),
    Kind::ConfigItem.folder(),
    Kind::Release.folder(),
];

/// The folders of the ticket kinds (incidents, problems, requests, changes,
/// releases).
pub const TICKET_FOLDERS: [&str; 5] = [
    Kind::Incident.folder(),
    Kind::Problem.folder(),
    Kind::Request.folder(),
    Kind::Change.folder(),
    Kind::Release.folder(),
];

/// Whether a `/`-separated repo path lies in `folder` (its first
/// component, exactly): `changes/CHG-1.yaml` is in `changes`,
/// `changes-old/x.yaml` and `changes` itself are not.
pub fn in_folder(path: &str, folder: &str) -> bool {
    path.split_once('/').is_some_and(|(first, _)| first == folder)
}

/// Any record, typed. A change, the largest kind, is boxed: every record
/// is as large as the largest one it could be, and a million loaded
/// incidents each carried the 72 bytes a change needs beyond an incident.
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
    Change(Box<Change>),
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

    /// The record as MessagePack bytes (its fields, by name; the kind is
    /// known apart): what the loader's cache keeps. Its lists carry their
    /// length, so [`Record::from_msgpack`] allocates each exactly.
    pub fn to_msgpack(&self) -> Result<Vec<u8>, rmp_serde::encode::Error> {
        fn en<T: serde::Serialize>(r: &T) -> Result<Vec<u8>, rmp_serde::encode::Error> {
            rmp_serde::to_vec_named(r)
        }
        match self {
            Record::Config(r) => en(r),
            Record::Service(r) => en(r),
            Record::Calendar(r) => en(r),
            Record::Sla(r) => en(r),
            Record::ChangePolicy(r) => en(r),
            Record::Incident(r) => en(r),
            Record::Problem(r) => en(r),
            Record::Request(r) => en(r),
            Record::Change(r) => en(r),
            Record::ConfigItem(r) => en(r),
            Record::Release(r) => en(r),
            Record::RequestType(r) => en(r),
        }
    }

    /// A record of `kind` from [`Record::to_msgpack`], its timeline's
    /// events read with only what `events` says; `None` on any error.
    pub fn from_msgpack(kind: Kind, bytes: &[u8], events: EventDetails) -> Option<Record> {
        fn de<T: serde::de::DeserializeOwned>(b: &[u8]) -> Option<T> {
            rmp_serde::from_slice(b).ok()
        }
        ticket::with_event_detail(events.of(kind), || Some(record_by_kind!(kind, de, bytes)))
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

#[cfg(test)]
mod layout_tests {
    use super::*;

    /// Every loaded record takes the space of the largest kind: one that
    /// outgrows an incident (the kind a repo holds most of) by more than a
    /// few bytes costs every incident as much (a million of them at the
    /// status page), and belongs in a box like `Change`.
    #[test]
    fn a_record_is_no_larger_than_an_incident_needs() {
        let record = std::mem::size_of::<Record>();
        let incident = std::mem::size_of::<Incident>();
        assert!(
            record <= incident + 8,
            "Record {record} bytes, Incident {incident}"
        );
    }
}

//! The ticket kinds people work on — incidents, problems, requests and
//! changes — and the timeline events they share.

use super::{
    ChangeStatus, ChangeType, CustomerImpact, Extra, Id, IncidentStatus, Level, Outcome, Priority,
    PriorityMatrix, ProblemStatus, RequestStatus, Risk, Timestamp,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// People write an event as a map of fields by name (YAML, JSON). The
// loader's cache (MessagePack, not human-readable) keeps it as the list
// `[at, status, public, by, note]`, author and note as binary (see
// `BinStr`): a repo's events outnumber its records eight to one, and
// naming each field of each was a tenth of a warm load.
// (Not a doc comment: the schema's description is the line below.)
/// One timeline event. The first event of a timeline is the record's creation.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event<S> {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (a GitHub login).
    pub by: Box<str>,
    /// The status the record moved to, if this event moved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Box<str>>,
    /// Public notes appear on the status page; notes are internal by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

/// [`Event`] as people write it: its fields by name, the schema's rules.
#[derive(Deserialize)]
#[serde(
    rename = "Event",
    deny_unknown_fields,
    bound(deserialize = "S: Deserialize<'de>")
)]
struct NamedEvent<S> {
    at: Timestamp,
    by: Box<str>,
    #[serde(default)]
    status: Option<S>,
    #[serde(default)]
    note: Option<Box<str>>,
    #[serde(default)]
    public: bool,
}

impl<S: Serialize> Serialize for Event<S> {
    fn serialize<Z: serde::Serializer>(&self, z: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeStruct;
        if !z.is_human_readable() {
            let (by, note) = (BinStr(&self.by), self.note.as_deref().map(BinStr));
            return (&self.at, &self.status, self.public, by, note).serialize(z);
        }
        let fields = 2
            + usize::from(self.status.is_some())
            + usize::from(self.note.is_some())
            + usize::from(self.public);
        let mut m = z.serialize_struct("Event", fields)?;
        m.serialize_field("at", &self.at)?;
        m.serialize_field("by", &self.by)?;
        match &self.status {
            Some(status) => m.serialize_field("status", status)?,
            None => m.skip_field("status")?,
        }
        match &self.note {
            Some(note) => m.serialize_field("note", note)?,
            None => m.skip_field("note")?,
        }
        if self.public {
            m.serialize_field("public", &true)?;
        } else {
            m.skip_field("public")?;
        }
        m.end()
    }
}

impl<'de, S: Deserialize<'de>> Deserialize<'de> for Event<S> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let NamedEvent {
                at,
                by,
                status,
                note,
                public,
            } = NamedEvent::deserialize(d)?;
            return Ok(Event {
                at,
                by,
                status,
                note,
                public,
            });
        }
        d.deserialize_tuple(5, EventList(std::marker::PhantomData))
    }
}

/// What a decode from the loader's cache may leave out of the events it
/// reads, for a command that would drop it anyway (see
/// [`crate::figures::Need::event_details`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventDetail {
    /// Every field.
    #[default]
    Whole,
    /// No author (`by` is empty) and only the notes marked public.
    PublicNotes,
    /// No author and no note: times and statuses.
    NoNotes,
}

/// [`EventDetail`] for each kind of ticket; problems' events are read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventDetails {
    pub incidents: EventDetail,
    pub changes: EventDetail,
    pub requests: EventDetail,
}

impl EventDetails {
    /// Every event read whole.
    pub const WHOLE: EventDetails = EventDetails {
        incidents: EventDetail::Whole,
        changes: EventDetail::Whole,
        requests: EventDetail::Whole,
    };

    pub fn of(&self, kind: super::Kind) -> EventDetail {
        match kind {
            super::Kind::Incident => self.incidents,
            super::Kind::Change => self.changes,
            super::Kind::Request => self.requests,
            _ => EventDetail::Whole,
        }
    }
}

// serde gives a nested `Deserialize` no context: the detail a binary decode
// reads events with is set around it, on its thread.
thread_local! {
    static EVENT_DETAIL: std::cell::Cell<EventDetail> = const { std::cell::Cell::new(EventDetail::Whole) };
}

/// Runs `f` with binary decodes on this thread reading events with only
/// `detail` (what people write, YAML and JSON, is always read whole).
pub(super) fn with_event_detail<R>(detail: EventDetail, f: impl FnOnce() -> R) -> R {
    struct Restore(EventDetail);
    impl Drop for Restore {
        fn drop(&mut self) {
            EVENT_DETAIL.with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(EVENT_DETAIL.with(|d| d.replace(detail)));
    f()
}

/// A string the cache keeps as MessagePack binary, not text: what a decode
/// skips (an event's author and note, most of a repo's text) is then never
/// checked as UTF-8. Read back by [`BinBox`], which checks what it keeps.
struct BinStr<'a>(&'a str);

impl Serialize for BinStr<'_> {
    fn serialize<Z: serde::Serializer>(&self, z: Z) -> Result<Z::Ok, Z::Error> {
        z.serialize_bytes(self.0.as_bytes())
    }
}

/// A [`BinStr`] read back: its bytes, which must be UTF-8.
struct BinBox(Box<str>);

impl<'de> Deserialize<'de> for BinBox {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = BinBox;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("UTF-8 bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<BinBox, E> {
                std::str::from_utf8(v)
                    .map(|s| BinBox(s.into()))
                    .map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<BinBox, E> {
                Ok(BinBox(v.into()))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// Reads an event in the cache's form, `[at, status, public, by, note]`.
struct EventList<S>(std::marker::PhantomData<S>);

impl<'de, S: Deserialize<'de>> serde::de::Visitor<'de> for EventList<S> {
    type Value = Event<S>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an event as [at, status, public, by, note]")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Event<S>, A::Error> {
        use serde::de::{Error, IgnoredAny};
        fn next<'de, T: Deserialize<'de>, A: serde::de::SeqAccess<'de>>(
            seq: &mut A,
            i: usize,
        ) -> Result<T, A::Error> {
            seq.next_element()?
                .ok_or_else(|| A::Error::invalid_length(i, &"an event of five fields"))
        }
        let detail = EVENT_DETAIL.with(std::cell::Cell::get);
        let at = next(&mut seq, 0)?;
        let status = next(&mut seq, 1)?;
        let public: bool = next(&mut seq, 2)?;
        let by = if detail == EventDetail::Whole {
            next::<BinBox, _>(&mut seq, 3)?.0
        } else {
            next::<IgnoredAny, _>(&mut seq, 3)?;
            Box::default()
        };
        let keep_note = match detail {
            EventDetail::Whole => true,
            EventDetail::PublicNotes => public,
            EventDetail::NoNotes => false,
        };
        let note = if keep_note {
            next::<Option<BinBox>, _>(&mut seq, 4)?.map(|n| n.0)
        } else {
            next::<IgnoredAny, _>(&mut seq, 4)?;
            None
        };
        Ok(Event {
            at,
            by,
            status,
            note,
            public,
        })
    }
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

#[cfg(test)]
mod event_tests {
    use super::*;

    fn event(note: Option<&str>, public: bool, status: Option<IncidentStatus>) -> Event<IncidentStatus> {
        Event {
            at: "2026-11-20T09:14:00Z".parse().unwrap(),
            by: "alice".into(),
            status,
            note: note.map(Box::from),
            public,
        }
    }

    /// People's form is unchanged: fields by name, the empty ones left out,
    /// unknown ones refused, the optional ones defaulted.
    #[test]
    fn an_event_is_a_map_of_fields_for_people() {
        let e = event(Some("Rolled back"), true, Some(IncidentStatus::Resolved));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at": "2026-11-20T09:14:00Z", "by": "alice", "status": "resolved", "note": "Rolled back", "public": true})
        );
        let bare = event(None, false, None);
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            serde_json::json!({"at": "2026-11-20T09:14:00Z", "by": "alice"})
        );
        let back: Event<IncidentStatus> =
            serde_json::from_value(serde_json::json!({"at": "2026-11-20T09:14:00Z", "by": "alice"})).unwrap();
        assert_eq!(back, bare);
        assert_eq!(serde_json::from_value::<Event<IncidentStatus>>(json).unwrap(), e);
        let unknown = serde_json::json!({"at": "2026-11-20T09:14:00Z", "by": "alice", "when": "now"});
        let err = serde_json::from_value::<Event<IncidentStatus>>(unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `when`"), "{err}");
        let missing = serde_json::json!({"at": "2026-11-20T09:14:00Z"});
        let err = serde_json::from_value::<Event<IncidentStatus>>(missing)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `by`"), "{err}");
    }

    /// The cache's form is a list of five, read whole or with only what a
    /// detail keeps, and the detail ends with its decode.
    #[test]
    fn the_cache_reads_an_event_with_the_detail_asked_for() {
        let events = vec![
            event(Some("internal"), false, Some(IncidentStatus::Investigating)),
            event(Some("public"), true, None),
            event(None, true, Some(IncidentStatus::Resolved)),
            event(None, false, None),
        ];
        let bytes = rmp_serde::to_vec_named(&events).unwrap();
        let read = |detail| {
            with_event_detail(detail, || {
                rmp_serde::from_slice::<Vec<Event<IncidentStatus>>>(&bytes).unwrap()
            })
        };
        assert_eq!(read(EventDetail::Whole), events);
        let public = read(EventDetail::PublicNotes);
        let none = read(EventDetail::NoNotes);
        for (i, e) in events.iter().enumerate() {
            for r in [&public[i], &none[i]] {
                assert_eq!((r.at, r.status, r.public), (e.at, e.status, e.public));
                assert_eq!(&*r.by, "");
            }
            assert_eq!(public[i].note, if e.public { e.note.clone() } else { None });
            assert_eq!(none[i].note, None);
        }
        // Restored after its decode, even one that fails.
        let failed = with_event_detail(EventDetail::NoNotes, || {
            rmp_serde::from_slice::<Vec<Event<IncidentStatus>>>(&bytes[..bytes.len() - 3]).is_err()
        });
        assert!(failed);
        assert_eq!(
            rmp_serde::from_slice::<Vec<Event<IncidentStatus>>>(&bytes).unwrap(),
            events
        );
        // The author and notes are MessagePack binary (0xc4, length, bytes),
        // so a decode that skips them never checks them as UTF-8; one that
        // keeps them does, and refuses what is not.
        let one = rmp_serde::to_vec(&events[0]).unwrap();
        let holds = |needle: &[u8]| one.windows(needle.len()).any(|w| w == needle);
        assert!(holds(b"\xc4\x05alice") && holds(b"\xc4\x08internal"), "{one:?}");
        let bad = [&one[..one.len() - 8], b"intern\xffl"].concat();
        assert!(rmp_serde::from_slice::<Event<IncidentStatus>>(&bad).is_err());
        let skipped = with_event_detail(EventDetail::NoNotes, || {
            rmp_serde::from_slice::<Event<IncidentStatus>>(&bad)
        });
        assert_eq!(skipped.unwrap().note, None);
        // A list of four is an error, not a default.
        let short = rmp_serde::to_vec(&(events[0].at, events[0].status, false, "bob")).unwrap();
        assert!(rmp_serde::from_slice::<Event<IncidentStatus>>(&short).is_err());
    }
}

//! Calendars people subscribe to (SPEC §4): change windows, maintenance and
//! change freezes as RFC 5545 iCalendar, for `gitsm calendar` and the status
//! page's `maintenance.ics`.
//!
//! [`events`] turns records into [`Event`]s (data, also `--format json`);
//! [`write`] serialises them: CRLF line ends, content lines folded at 75
//! octets (never inside a UTF-8 character), TEXT values escaped (`\\`, `;`,
//! `,`, newlines), times in UTC (`…Z`, so no VTIMEZONE is needed).
//!
//! **Stable UIDs**: `<what>-<id>.<config id>@gitsm` — the record id never
//! changes, so a calendar app updates the event instead of adding a second.
//! **SEQUENCE** is the number of timeline events after the first (as of
//! `now`): every edit gitsm makes to a change appends one (a status move, a
//! note), so it only grows, and a rescheduled or cancelled change replaces
//! the older copy in the subscriber's calendar. Cancelled and rejected
//! changes stay in the feed with `STATUS:CANCELLED`, so a subscriber's copy
//! is marked cancelled rather than silently left behind.

use crate::availability::as_of;
use crate::model::{Change, ChangePolicy, ChangeStatus, Record, Release, ReleaseStatus};
use crate::repo::Loaded;
use jiff::Timestamp;
use serde::Serialize;

/// `PRODID` of every calendar gitsm writes; also how `--out` recognises a
/// file it may replace.
pub const PRODID: &str = "-//gitsm//gitsm calendar//EN";

/// The `format` of `gitsm calendar --format json`.
pub const JSON_FORMAT: &str = "gitsm-calendar/v1";

/// `STATUS` of a VEVENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    Tentative,
    Confirmed,
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Tentative => "TENTATIVE",
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub uid: String,
    pub sequence: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub categories: Vec<String>,
    pub status: EventStatus,
    /// The record's last change as of `now` (`LAST-MODIFIED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A whole calendar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calendar {
    /// Always [`JSON_FORMAT`].
    pub format: String,
    /// Shown by calendar apps as the calendar's name (`X-WR-CALNAME`).
    pub name: String,
    /// `DTSTAMP` of every event: when the file was generated (`--now`).
    pub generated_at: Timestamp,
    pub events: Vec<Event>,
}

/// The UID domain of a repo: its Config id (`acme`), so two organisations'
/// events never share a UID.
pub fn uid_domain(records: &[Loaded]) -> String {
    records
        .iter()
        .find_map(|l| match &l.record {
            Record::Config(c) => Some(c.id.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "itsm".into())
}

/// Every change window, release window and freeze of a repo as of `now`,
/// in start order (then UID). Changes and releases without a window are not
/// on a calendar yet.
pub fn events(records: &[Loaded], now: Timestamp) -> Vec<Event> {
    // Only what the loop below reads is copied when records are cut to
    // `now` (a calendar of future windows always has later events).
    let read = |r: &Record| {
        matches!(
            r,
            Record::Config(_) | Record::Change(_) | Record::ChangePolicy(_) | Record::Release(_)
        )
    };
    let records = crate::availability::records_as_of_where(records, now, read);
    let domain = uid_domain(&records);
    let mut out = Vec::new();
    for l in records.iter() {
        match &l.record {
            Record::Change(c) => out.extend(change_event(c, &domain, now)),
            Record::ChangePolicy(p) => out.extend(freeze_events(p, &domain)),
            Record::Release(r) => out.extend(release_event(r, &domain, now)),
            _ => {}
        }
    }
    out.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
    out
}

fn change_event(c: &Change, domain: &str, now: Timestamp) -> Option<Event> {
    let w = c.window.as_ref()?;
    let (start, end) = (w.start.as_jiff(), w.end.as_jiff());
    if end <= start {
        return None;
    }
    let status = match c.status {
        ChangeStatus::Cancelled | ChangeStatus::Rejected => EventStatus::Cancelled,
        ChangeStatus::Draft | ChangeStatus::Submitted | ChangeStatus::OnHold => EventStatus::Tentative,
        _ => EventStatus::Confirmed,
    };
    let past = as_of(&c.timeline, now);
    let mut categories = vec!["CHANGE".to_string(), c.change_type.as_str().to_ascii_uppercase()];
    if c.maintenance {
        categories.push("MAINTENANCE".into());
    }
    let services: Vec<&str> = c.services.iter().map(|s| s.as_str()).collect();
    let mut description = format!(
        "{} {} change, {} risk, status {}\nServices: {}\nRequested by: {}",
        c.id,
        c.change_type,
        c.risk,
        c.status,
        services.join(", "),
        c.requested_by
    );
    if let Some(i) = &c.implementer {
        description.push_str(&format!("\nImplementer: {i}"));
    }
    if let Some(o) = c.outcome {
        description.push_str(&format!("\nOutcome: {o}"));
    }
    Some(Event {
        uid: format!("change-{}.{domain}@gitsm", c.id),
        sequence: past.len().saturating_sub(1) as u32,
        start,
        end,
        summary: format!(
            "{}{}: {}",
            if c.maintenance { "Maintenance " } else { "" },
            c.id,
            c.title
        ),
        description: Some(description),
        categories,
        status,
        last_modified: past.last().map(|e| e.at.as_jiff()),
        url: None,
    })
}

fn release_event(r: &Release, domain: &str, now: Timestamp) -> Option<Event> {
    let w = r.window.as_ref()?;
    let (start, end) = (w.start.as_jiff(), w.end.as_jiff());
    if end <= start {
        return None;
    }
    let status = match r.status {
        ReleaseStatus::Cancelled => EventStatus::Cancelled,
        ReleaseStatus::Planned | ReleaseStatus::OnHold => EventStatus::Tentative,
        _ => EventStatus::Confirmed,
    };
    let past = as_of(&r.timeline, now);
    let list = |ids: &[crate::model::Id]| ids.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let mut description = format!("{} release", r.id);
    if let Some(v) = &r.version {
        description.push_str(&format!(" {v}"));
    }
    description.push_str(&format!(
        ", status {}\nServices: {}\nChanges: {}",
        r.status,
        list(&r.services),
        list(&r.changes)
    ));
    Some(Event {
        uid: format!("release-{}.{domain}@gitsm", r.id),
        sequence: past.len().saturating_sub(1) as u32,
        start,
        end,
        summary: format!("Release {}: {}", r.id, r.title),
        description: Some(description),
        categories: vec!["RELEASE".into()],
        status,
        last_modified: past.last().map(|e| e.at.as_jiff()),
        url: None,
    })
}

fn freeze_events(p: &ChangePolicy, domain: &str) -> Vec<Event> {
    p.freeze
        .iter()
        .filter(|f| f.start < f.end)
        .map(|f| {
            let allowed: Vec<&str> = f.allow.iter().map(|t| t.as_str()).collect();
            Event {
                uid: format!(
                    "freeze-{}-{}.{domain}@gitsm",
                    slug(&f.name),
                    f.start.as_jiff().strftime("%Y%m%dT%H%M%SZ")
                ),
                sequence: 0,
                start: f.start.as_jiff(),
                end: f.end.as_jiff(),
                summary: format!("Change freeze: {}", f.name),
                description: Some(if allowed.is_empty() {
                    "No changes may be scheduled in this window.".into()
                } else {
                    format!(
                        "Only {} changes may be scheduled in this window.",
                        allowed.join("/")
                    )
                }),
                categories: vec!["FREEZE".into()],
                status: EventStatus::Confirmed,
                last_modified: None,
                url: None,
            }
        })
        .collect()
}

/// Lower-case ASCII letters and digits, other runs as one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    if t.is_empty() {
        "freeze".into()
    } else {
        t.to_string()
    }
}

/// A UTC date-time in iCalendar's basic format.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11). Characters forbidden in record
/// text (controls other than tab and newline, noncharacters) become U+FFFD,
/// as in every other output ([`crate::text::is_forbidden`]).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if crate::text::is_forbidden(c) => out.push(crate::text::REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line at 75 octets (RFC 5545 §3.1): CRLF plus a space
/// before each continuation, never splitting a UTF-8 character.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0usize;
    let mut limit = 75usize;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if used + n > limit {
            out.push_str("\r\n ");
            used = 0;
            // The leading space counts toward the next line's 75 octets.
            limit = 74;
        }
        out.push(ch);
        used += n;
    }
    out.push_str("\r\n");
    out
}

/// The iCalendar text of a calendar.
pub fn write(cal: &Calendar) -> String {
    let mut out = String::new();
    let mut line = |s: String| out.push_str(&fold(&s));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!("PRODID:{PRODID}"));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(&cal.name)));
    line("REFRESH-INTERVAL;VALUE=DURATION:PT1H".into());
    line("X-PUBLISHED-TTL:PT1H".into());
    let stamp = utc(cal.generated_at);
    for e in &cal.events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&e.uid)));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("DTSTART:{}", utc(e.start)));
        line(format!("DTEND:{}", utc(e.end)));
        line(format!("SEQUENCE:{}", e.sequence));
        line(format!("STATUS:{}", e.status.as_str()));
        line(format!("SUMMARY:{}", escape_text(&e.summary)));
        if let Some(d) = &e.description {
            line(format!("DESCRIPTION:{}", escape_text(d)));
        }
        if !e.categories.is_empty() {
            let cats: Vec<String> = e.categories.iter().map(|c| escape_text(c)).collect();
            line(format!("CATEGORIES:{}", cats.join(",")));
        }
        if let Some(t) = e.last_modified {
            line(format!("LAST-MODIFIED:{}", utc(t)));
        }
        if let Some(u) = &e.url {
            line(format!("URL:{u}"));
        }
        // Free time for the subscriber: a change window is not a meeting.
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// Whether an existing file is one gitsm wrote (an iCalendar file with
/// gitsm's PRODID, or the calendar's JSON), so `--out` may replace it.
pub fn is_ours(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    if text.starts_with("BEGIN:VCALENDAR") {
        return text.lines().any(|l| l.trim_end() == format!("PRODID:{PRODID}"));
    }
    matches!(serde_json::from_slice::<serde_json::Value>(bytes),
        Ok(serde_json::Value::Object(m)) if m.get("format").and_then(|f| f.as_str()) == Some(JSON_FORMAT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let long = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&long);
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
        assert_eq!(fold("SHORT:x"), "SHORT:x\r\n");
    }

    #[test]
    fn escapes_text_values() {
        assert_eq!(
            escape_text("a;b,c\\d\ne\r\nf\u{7}\u{fffe}"),
            "a\\;b\\,c\\\\d\\ne\\nf\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn slugs_freeze_names() {
        assert_eq!(slug("Black Friday!"), "black-friday");
        assert_eq!(slug("***"), "freeze");
    }
}

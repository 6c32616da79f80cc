//! SLA clocks per ticket, computed from the timeline in business time.
//!
//! - **Response** (incidents): from the creation event (the first timeline
//!   event) to the first move out of `new` (to any status, `on_hold`
//!   included: someone picked the ticket up).
//! - **Resolution** (incidents): from the creation event to `resolved` (or
//!   `closed`, when `resolved` was skipped). A reopen (`resolved →
//!   investigating`) restarts the same clock where it stopped: the time spent
//!   in `resolved` does not count, the time after the reopen does.
//! - **Fulfilment** (requests): from the creation event to `fulfilled` (or
//!   `closed`/`rejected`; rejected requests are left out of compliance).
//!
//! A clock does not run while the ticket is in one of its SLA's `pause_on`
//! statuses (default `[on_hold]`). Clocks run in the business time of the
//! SLA's calendar; a ticket whose service has no SLA gets clocks without a
//! target, measured on the `24x7` calendar (they still feed MTTA and MTTR).
//! Events after `now` are ignored, so a report for a past month, or a run
//! with `--now`, sees the timeline as it was.

use crate::calendar::{all_calendars, BusinessCalendar};
use crate::model::*;
use crate::repo::Loaded;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Default fraction of a target after which a clock is `warning`.
pub const DEFAULT_WARN_AT: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    Response,
    Resolution,
    Fulfillment,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::Resolution => "resolution",
            ClockKind::Fulfillment => "fulfillment",
        }
    }
}

/// Where a clock stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Ok,
    Warning,
    Breached,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Ok => "ok",
            ClockState::Warning => "warning",
            ClockState::Breached => "breached",
        }
    }
}

/// Whether a clock is still ticking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Running,
    Paused,
    Stopped,
}

/// One SLA clock of one ticket. Durations are in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clock {
    pub kind: ClockKind,
    /// The target in business seconds; `None` when the SLA sets none.
    pub target: Option<i64>,
    pub started: Timestamp,
    /// When the clock stopped for good (as of `now`).
    pub stopped: Option<Timestamp>,
    pub phase: Phase,
    /// Business time counted so far (pauses excluded).
    pub elapsed: i64,
    /// Wall time from start to stop (or now), pauses included.
    pub elapsed_wall: i64,
    /// Target minus elapsed; negative once breached.
    pub remaining: Option<i64>,
    /// The instant the target is (or was) reached: in the past for a breach,
    /// projected from now for a running clock, `None` while paused or when
    /// met.
    pub due: Option<Timestamp>,
    /// `None` when there is no target.
    pub state: Option<ClockState>,
}

impl Clock {
    /// Sort key of a clock that has not stopped, most urgent first: by due
    /// instant, then (paused) by remaining time; without a target, last.
    pub fn urgency(&self) -> (u8, i64) {
        match (self.target, self.due, self.remaining) {
            (None, _, _) => (3, 0),
            (_, Some(d), _) => (0, d.as_second()),
            (_, None, Some(r)) => (1, r),
            _ => (2, 0),
        }
    }

    /// Met: stopped within its target.
    pub fn met(&self) -> Option<bool> {
        let t = self.target?;
        match self.phase {
            Phase::Stopped => Some(self.elapsed <= t),
            _ if self.elapsed > t => Some(false),
            _ => None,
        }
    }
}

/// The clocks of one ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketClocks {
    pub id: Id,
    pub kind: &'static str,
    pub title: String,
    pub service: Option<Id>,
    pub priority: Option<Priority>,
    pub status: String,
    pub sla: Option<Id>,
    pub calendar: String,
    pub clocks: Vec<Clock>,
}

impl TicketClocks {
    pub fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.kind == kind)
    }
    /// The worst state of the ticket's clocks.
    pub fn worst(&self) -> Option<ClockState> {
        self.clocks.iter().filter_map(|c| c.state).max()
    }
}

/// Lookups needed to compute clocks, built once per snapshot.
pub struct SlaContext<'a> {
    services: HashMap<&'a str, &'a Service>,
    slas: HashMap<&'a str, &'a Sla>,
    calendars: HashMap<Id, BusinessCalendar>,
    matrix: PriorityMatrix,
    /// RequestType id → its `fulfillment`, which overrides the SLA's.
    fulfillment: HashMap<&'a str, Duration>,
}

impl<'a> SlaContext<'a> {
    pub fn new(records: &'a [Loaded]) -> Self {
        let mut services = HashMap::new();
        let mut slas = HashMap::new();
        let mut matrix = PriorityMatrix::default();
        let mut fulfillment = HashMap::new();
        for l in records {
            match &l.record {
                Record::RequestType(t) => {
                    if let Some(f) = t.fulfillment {
                        fulfillment.insert(t.id.as_str(), f);
                    }
                }
                Record::Service(s) => {
                    services.insert(s.id.as_str(), s);
                }
                Record::Sla(s) => {
                    slas.insert(s.id.as_str(), s);
                }
                Record::Config(c) => {
                    if let Some(m) = &c.priority_matrix {
                        matrix = m.clone();
                    }
                }
                _ => {}
            }
        }
        SlaContext {
            services,
            slas,
            calendars: all_calendars(records.iter().map(|l| &l.record)),
            matrix,
            fulfillment,
        }
    }

    pub fn service(&self, id: &str) -> Option<&'a Service> {
        self.services.get(id).copied()
    }

    /// The SLA of a service, if it names one that exists.
    pub fn sla_of(&self, service: &str) -> Option<&'a Sla> {
        let s = self.services.get(service)?;
        self.slas.get(s.sla.as_ref()?.as_str()).copied()
    }

    /// The calendar an SLA's clocks run on (`24x7` without an SLA, or when
    /// its calendar is unknown: validation reports that).
    pub fn calendar_of(&self, sla: Option<&Sla>) -> &BusinessCalendar {
        let always: &BusinessCalendar = &self.calendars[crate::calendar::ALWAYS];
        sla.and_then(|s| self.calendars.get(s.calendar.as_str()))
            .unwrap_or(always)
    }

    pub fn priority(&self, inc: &Incident) -> Priority {
        inc.effective_priority(&self.matrix)
    }

    /// Response and resolution clocks of an incident.
    pub fn incident(&self, inc: &Incident, now: Timestamp) -> TicketClocks {
        let sla = self.sla_of(inc.service.as_str());
        let priority = self.priority(inc);
        let target = sla.and_then(|s| s.targets.get(priority));
        let run = self.run(sla, &inc.timeline, IncidentStatus::as_str, now);
        let mut clocks = Vec::new();
        if !run.events.is_empty() {
            clocks.push(run.clock(
                ClockKind::Response,
                |s| s != "new",
                target.and_then(|t| t.response).map(Duration::as_secs),
            ));
            clocks.push(run.clock(
                ClockKind::Resolution,
                |s| s == "resolved" || s == "closed",
                target.and_then(|t| t.resolution).map(Duration::as_secs),
            ));
        }
        TicketClocks {
            id: inc.id.clone(),
            kind: "incident",
            title: inc.title.clone(),
            service: Some(inc.service.clone()),
            priority: Some(priority),
            status: run.status(inc.status.as_str()),
            sla: sla.map(|s| s.id.clone()),
            calendar: run.cal.id().to_string(),
            clocks,
        }
    }

    /// The fulfilment clock of a service request.
    pub fn request(&self, req: &Request, now: Timestamp) -> TicketClocks {
        let sla = req.service.as_ref().and_then(|s| self.sla_of(s.as_str()));
        let run = self.run(sla, &req.timeline, RequestStatus::as_str, now);
        let mut clocks = Vec::new();
        if !run.events.is_empty() {
            clocks.push(
                run.clock(
                    ClockKind::Fulfillment,
                    |s| matches!(s, "fulfilled" | "closed" | "rejected"),
                    req.request_type
                        .as_ref()
                        .and_then(|t| self.fulfillment.get(t.as_str()).copied())
                        .or_else(|| sla.and_then(|s| s.request_fulfillment))
                        .map(Duration::as_secs),
                ),
            );
        }
        TicketClocks {
            id: req.id.clone(),
            kind: "request",
            title: req.title.clone(),
            service: req.service.clone(),
            priority: None,
            status: run.status(req.status.as_str()),
            sla: sla.map(|s| s.id.clone()),
            calendar: run.cal.id().to_string(),
            clocks,
        }
    }

    /// What every clock of a ticket shares: its SLA's calendar, pause
    /// statuses and warning fraction, and the ticket's status history.
    fn run<S: Copy>(
        &self,
        sla: Option<&Sla>,
        timeline: &[Event<S>],
        name: fn(S) -> &'static str,
        now: Timestamp,
    ) -> Run<'_> {
        let (pause, warn_at) = pause_and_warn(sla);
        Run {
            cal: self.calendar_of(sla),
            events: status_events(timeline, now, name),
            pause,
            warn_at,
            now,
        }
    }

    /// Clocks of every open incident and request (as of `now`), optionally
    /// of one service, the next to breach first: breached clocks by how
    /// long ago they breached, then running clocks by due instant, then
    /// paused ones by remaining time.
    pub fn open_tickets(
        &self,
        records: &[Loaded],
        now: Timestamp,
        service: Option<&str>,
    ) -> Vec<TicketClocks> {
        // Tickets as they stood at `now` (SPEC §4).
        let records = crate::availability::records_as_of(records, now);
        let mut out: Vec<TicketClocks> = Vec::new();
        for l in records.iter() {
            let t = match &l.record {
                Record::Incident(i) => self.incident(i, now),
                Record::Request(r) => self.request(r, now),
                _ => continue,
            };
            if !crate::workflow::is_open(&t.status) {
                continue;
            }
            // Created after `now`: not open yet.
            if t.clocks.is_empty() {
                continue;
            }
            if service.is_some_and(|s| t.service.as_ref().is_none_or(|x| x.as_str() != s)) {
                continue;
            }
            out.push(t);
        }
        out.sort_by(|a, b| urgency_key(a).cmp(&urgency_key(b)).then_with(|| a.id.cmp(&b.id)));
        out
    }
}

/// Sort key: the earliest due instant among a ticket's ticking clocks; paused
/// clocks after every due one, by remaining time; tickets without targets last.
fn urgency_key(t: &TicketClocks) -> (u8, i64) {
    let mut best = (3u8, i64::MAX);
    for c in &t.clocks {
        if c.phase == Phase::Stopped || c.target.is_none() {
            continue;
        }
        best = best.min(c.urgency());
    }
    best
}

fn pause_and_warn(sla: Option<&Sla>) -> (Vec<String>, f64) {
    let pause = sla
        .and_then(|s| s.pause_on.clone())
        .unwrap_or_else(|| vec!["on_hold".to_string()]);
    let warn = sla.and_then(|s| s.warn_at).unwrap_or(DEFAULT_WARN_AT);
    (pause, warn)
}

/// The status-changing events up to `now` (at or before it,
/// [`crate::availability::as_of`]), as (instant, status). The first
/// event of a timeline is the creation even if it carries no status.
/// `name` is the status enum's `as_str`.
fn status_events<S: Copy>(
    timeline: &[Event<S>],
    now: Timestamp,
    name: fn(S) -> &'static str,
) -> Vec<(Timestamp, &'static str)> {
    let mut out = Vec::new();
    for (i, e) in crate::availability::as_of(timeline, now).iter().enumerate() {
        let at = e.at.as_jiff();
        match e.status {
            Some(s) => out.push((at, name(s))),
            None if i == 0 => out.push((at, "new")),
            None => {}
        }
    }
    out
}

/// The shared inputs of one ticket's clocks (see [`SlaContext::run`]).
struct Run<'c> {
    cal: &'c BusinessCalendar,
    events: Vec<(Timestamp, &'static str)>,
    pause: Vec<String>,
    warn_at: f64,
    now: Timestamp,
}

impl Run<'_> {
    /// The ticket's status as of `now`: its last event's, else `fallback`.
    fn status(&self, fallback: &'static str) -> String {
        self.events.last().map_or(fallback, |e| e.1).to_string()
    }

    /// Runs one clock over the ticket's status history.
    fn clock(&self, kind: ClockKind, stops: impl Fn(&str) -> bool, target: Option<i64>) -> Clock {
        let (cal, events, pause, now, warn_at) = (
            self.cal,
            &self.events[..],
            &self.pause[..],
            self.now,
            self.warn_at,
        );
        let started = events[0].0;
        let mut running: Vec<(Timestamp, Timestamp)> = Vec::new();
        let mut stopped: Option<Timestamp> = None;
        for (i, &(at, status)) in events.iter().enumerate() {
            let end = events.get(i + 1).map(|e| e.0).unwrap_or(now).max(at);
            if stops(status) {
                stopped.get_or_insert(at);
                continue;
            }
            stopped = None;
            if !pause.iter().any(|p| p == status) && at < end {
                running.push((at, end));
            }
        }
        let last = events.last().map(|e| e.1).unwrap_or("new");
        let phase = if stopped.is_some() {
            Phase::Stopped
        } else if pause.iter().any(|p| p == last) {
            Phase::Paused
        } else {
            Phase::Running
        };
        let elapsed: i64 = running.iter().map(|&(a, b)| cal.between(a, b)).sum();
        let end = stopped.unwrap_or(now).max(started);
        let elapsed_wall = end.as_second() - started.as_second();

        let mut due = None;
        if let Some(t) = target {
            // When did (or will) the running time reach the target?
            let mut cum = 0i64;
            for &(a, b) in &running {
                let part = cal.between(a, b);
                if cum + part >= t && t > 0 {
                    due = cal.add(a, t - cum);
                    break;
                }
                cum += part;
            }
            if due.is_none() && phase == Phase::Running {
                due = cal.add(now, t - elapsed);
            }
            if t == 0 {
                due = Some(started);
            }
        }
        let state = target.map(|t| {
            if elapsed > t {
                ClockState::Breached
            } else if phase != Phase::Stopped && (elapsed as f64) >= warn_at * t as f64 {
                ClockState::Warning
            } else {
                ClockState::Ok
            }
        });
        // A met clock has no deadline any more.
        if phase == Phase::Stopped && state == Some(ClockState::Ok) {
            due = None;
        }
        Clock {
            kind,
            target,
            started,
            stopped,
            phase,
            elapsed,
            elapsed_wall,
            remaining: target.map(|t| t - elapsed),
            due,
            state,
        }
    }
}

/// Formats seconds as hours and minutes: `26h 30m`, `45m`, `0m`. Hours are
/// never folded into days: on a business calendar a "day" is ambiguous.
pub fn fmt_secs(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m) = (s / 3600, (s % 3600 + 30) / 60);
    let (h, m) = if m == 60 { (h + 1, 0) } else { (h, m) };
    match (h, m) {
        (0, m) => format!("{sign}{m}m"),
        (h, 0) => format!("{sign}{h}h"),
        (h, m) => format!("{sign}{h}h {m}m"),
    }
}

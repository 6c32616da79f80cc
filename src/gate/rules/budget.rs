//! Rule 5, budget freeze (SPEC §3): with `budget_freeze: true` in the base
//! policy, a `normal` change (or a standard change that is not
//! pre-authorised, which is judged as normal) of a service whose error
//! budget is spent is denied whenever rule 5 judges it.
//!
//! The budget is [`crate::budget::month_budget`]: the calendar month holding
//! `--now` in the base `gitsm.yaml`'s time zone, from the base tip's
//! catalog, SLAs, calendars, incidents and (for planned maintenance)
//! changes — measured exactly as the report's availability. Fails closed: an
//! incident at base the gate cannot read might hold the downtime that spends
//! the budget, so the change is then undecided rather than passed.

use super::*;
use crate::budget::{month_budget, ServiceBudget};
use crate::gate::judge::parse_json;
use crate::model::{Change, ChangeType, Kind};
use crate::repo::Loaded;
use crate::sla::fmt_secs;
use rayon::prelude::*;
use std::cell::{OnceCell, RefCell};

/// The base records a budget is computed from, read once per gate run and
/// only when a change needs them.
pub(super) struct Freeze<'j, 'a> {
    j: &'j Judge<'a>,
    records: OnceCell<Result<Vec<Loaded>, Vec<String>>>,
    budgets: RefCell<HashMap<String, Option<ServiceBudget>>>,
}

impl<'j, 'a> Freeze<'j, 'a> {
    pub(super) fn new(j: &'j Judge<'a>) -> Self {
        Freeze {
            j,
            records: OnceCell::new(),
            budgets: RefCell::new(HashMap::new()),
        }
    }

    fn timezone(&self) -> String {
        self.j
            .base
            .config()
            .and_then(|c| c.timezone.clone())
            .filter(|tz| jiff::tz::db().get(tz).is_ok())
            .unwrap_or_else(|| "UTC".into())
    }

    /// Base context records plus every incident and change at the base tip;
    /// `Err` lists the incident files that declare an Incident but do not read.
    fn records(&self) -> &Result<Vec<Loaded>, Vec<String>> {
        self.records.get_or_init(|| {
            let mut records: Vec<Loaded> = self.j.base.records.clone();
            let typed = |files: &'a Files, kind: Kind, word: &'static [u8]| {
                files
                    .par_iter()
                    .map(|(p, b)| (p, typed(b, kind, word)))
                    .collect::<Vec<_>>()
            };
            let mut unreadable = Vec::new();
            for (files, kind, word) in [
                (&self.j.input.base_incidents, Kind::Incident, &b"Incident"[..]),
                (&self.j.input.base_changes, Kind::Change, &b"Change"[..]),
            ] {
                for (p, r) in typed(files, kind, word) {
                    match r {
                        Ok(Some(record)) => records.push(Loaded {
                            path: p.clone(),
                            record,
                        }),
                        Ok(None) => {}
                        // A change that does not read is rule 5's own
                        // finding already; an incident is this rule's.
                        Err(()) if kind == Kind::Incident => unreadable.push(p.clone()),
                        Err(()) => {}
                    }
                }
            }
            if unreadable.is_empty() {
                Ok(records)
            } else {
                Err(unreadable)
            }
        })
    }

    fn budget(&self, records: &[Loaded], service: &str) -> Option<ServiceBudget> {
        if let Some(b) = self.budgets.borrow().get(service) {
            return b.clone();
        }
        let b = month_budget(records, service, self.j.input.now, &self.timezone());
        self.budgets.borrow_mut().insert(service.to_string(), b.clone());
        b
    }

    /// Judges one change rule 5 applies to; false when it is denied or
    /// undecided (the checks are pushed to `out`).
    pub(super) fn check(
        &self,
        id: &str,
        path: &str,
        c: &Change,
        ty: ChangeType,
        out: &mut Vec<Check>,
    ) -> bool {
        if !self.j.policy.budget_freeze || ty != ChangeType::Normal {
            return true;
        }
        let records = match self.records() {
            Ok(r) => r,
            Err(files) => {
                out.push(Check {
                    subject: id.to_string(),
                    file: Some(path.to_string()),
                    rule: Rule::Schedule,
                    outcome: CheckOutcome::Undecided,
                    message: format!(
                        "budget freeze: {} at base declare an Incident the gate cannot read, so the error budgets of {} cannot be measured",
                        files.join(", "),
                        c.services.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    fix: Some("fix the incident records on the base branch (`gitsm validate` shows why)".into()),
                });
                return false;
            }
        };
        let mut ok = true;
        for s in &c.services {
            let Some(b) = self.budget(records, s.as_str()) else {
                continue;
            };
            if !b.spent {
                continue;
            }
            ok = false;
            out.push(spent(id, path, &b, &self.timezone(), self.j.input.now));
        }
        ok
    }
}

/// A record of `kind` from raw bytes, parsed strictly and deserialised
/// without the schema layer. `Ok(None)`: not a record of that kind; `Err`:
/// declares one but does not read.
fn typed(bytes: &[u8], kind: Kind, word: &[u8]) -> Result<Option<crate::model::Record>, ()> {
    let Some(json) = parse_json(bytes) else {
        let mentions = bytes.windows(word.len()).any(|w| w == word);
        return if mentions { Err(()) } else { Ok(None) };
    };
    if json.get("kind").and_then(serde_json::Value::as_str) != Some(kind.name()) {
        return Ok(None);
    }
    crate::model::Record::from_json_owned(kind, json)
        .map(Some)
        .ok_or(())
}

/// The denial, with the numbers and the ways out.
fn spent(id: &str, path: &str, b: &ServiceBudget, tz: &str, now: jiff::Timestamp) -> Check {
    let reset = crate::budget::window_bounds(crate::budget::WindowKind::Month, now, tz)
        .map(|(_, to, label)| {
            let zone = jiff::tz::db().get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
            (label, zone.to_datetime(to).strftime("%Y-%m-%d %H:%M").to_string())
        })
        .unwrap_or_default();
    let hours = if b.hours == crate::model::AvailabilityHours::Business {
        format!(" of business hours ({})", b.calendar)
    } else {
        String::new()
    };
    Check {
        subject: id.to_string(),
        file: Some(path.to_string()),
        rule: Rule::Schedule,
        outcome: CheckOutcome::Fail,
        message: format!(
            "budget freeze: the error budget of `{}` for {} is spent — {} of unplanned downtime against a budget of {} ({}% availability target over {}{hours}); the policy's `budget_freeze` takes only emergency and standard changes for it",
            b.service,
            reset.0,
            fmt_secs(b.consumed_seconds.round() as i64),
            fmt_secs(b.budget_seconds.round() as i64),
            b.target,
            fmt_secs(b.window_seconds),
        ),
        fix: Some(format!(
            "wait until the budget starts afresh ({} {tz}) and run the gate again then, or file it as an emergency change (if it truly is one) or as a standard change from one of the policy's `standard_changes` templates",
            reset.1
        )),
    }
}

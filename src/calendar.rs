//! Business time: working hours in an IANA time zone, with holidays.
//!
//! A [`BusinessCalendar`] is built from a [`model::Calendar`] record (or is the
//! built-in `24x7`). It answers two questions exactly, across daylight-saving
//! changes: how much business time lies between two instants
//! ([`BusinessCalendar::between`]), and which instant lies a given amount of
//! business time after another ([`BusinessCalendar::add`]).
//!
//! Working hours are local wall-clock times. A `09:00-17:00` day is eight
//! hours long on every day of the year; a `00:00-24:00` day is 23 or 25 hours
//! long on the days the clocks change, because that is how much real time
//! passes. A local time that does not exist (skipped by a DST gap) is taken
//! as the instant the clocks jump; a local time that occurs twice (a fold) is
//! its first occurrence.
//!
//! Durations are amounts of business time in seconds: `1d` is 24 business
//! hours, whatever the calendar (see `docs/sla.md`).

use crate::model::{self, Id};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::{BTreeSet, HashMap};

/// The id of the built-in round-the-clock calendar.
pub const ALWAYS: &str = "24x7";

/// How many consecutive days without working hours [`BusinessCalendar::add`]
/// crosses before it gives up (a calendar with no hours at all).
const MAX_IDLE_DAYS: i64 = 3 * 366;

/// A calendar ready to compute with.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    id: String,
    tz: TimeZone,
    /// Working ranges per weekday (Monday = 0), minutes since local midnight,
    /// sorted and merged.
    week: [Vec<(u32, u32)>; 7],
    holidays: BTreeSet<Date>,
    /// Every minute of every day counts and there are no holidays: business
    /// time is wall time.
    continuous: bool,
}

/// Why a calendar record cannot be used (validation reports the same
/// problems as findings; this is the error for callers that skip it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar `{0}`: `{1}` is not a known IANA time zone")]
    TimeZone(String, String),
    #[error("calendar `{0}`: `{1}` is not a weekday or a range of weekdays")]
    Days(String, String),
    #[error("calendar `{0}`: `{1}` is not a time range `HH:MM-HH:MM`")]
    Range(String, String),
    #[error("unknown calendar `{0}`")]
    Unknown(String),
}

impl BusinessCalendar {
    /// The built-in `24x7` calendar: every second counts.
    pub fn always() -> Self {
        BusinessCalendar {
            id: ALWAYS.into(),
            tz: TimeZone::UTC,
            week: std::array::from_fn(|_| vec![(0, 24 * 60)]),
            holidays: BTreeSet::new(),
            continuous: true,
        }
    }

    /// Builds a calendar from its record.
    ///
    /// Keys may overlap: a key naming fewer days wins over a wider range, so
    /// `mon-fri: 09:00-17:00` with `fri: 09:00-15:00` makes Friday short.
    /// Keys covering the same number of days add their ranges together.
    pub fn from_record(c: &model::Calendar) -> Result<Self, CalendarError> {
        let id = c.id.to_string();
        let tz = jiff::tz::db()
            .get(&c.timezone)
            .map_err(|_| CalendarError::TimeZone(id.clone(), c.timezone.clone()))?;
        // (width of the key that set the day, ranges)
        let mut days: [(usize, Vec<(u32, u32)>); 7] = std::array::from_fn(|_| (usize::MAX, Vec::new()));
        for (key, hours) in &c.hours {
            let list = parse_days(key).ok_or_else(|| CalendarError::Days(id.clone(), key.clone()))?;
            let mut ranges = Vec::new();
            for r in hours.ranges() {
                ranges.push(parse_range(r).ok_or_else(|| CalendarError::Range(id.clone(), r.to_string()))?);
            }
            let width = list.len();
            for d in list {
                let slot = &mut days[d];
                if width < slot.0 {
                    *slot = (width, ranges.clone());
                } else if width == slot.0 {
                    slot.1.extend(ranges.iter().copied());
                }
            }
        }
        let week: [Vec<(u32, u32)>; 7] = std::array::from_fn(|d| merge(std::mem::take(&mut days[d].1)));
        let holidays: BTreeSet<Date> = c.holidays.iter().map(|h| h.date().0).collect();
        let continuous = holidays.is_empty() && week.iter().all(|d| d.as_slice() == [(0, 24 * 60)]);
        Ok(BusinessCalendar {
            id,
            tz,
            week,
            holidays,
            continuous,
        })
    }

    /// The calendar with this id among the records (`24x7` is built in).
    pub fn resolve<'a>(
        id: &str,
        records: impl IntoIterator<Item = &'a model::Record>,
    ) -> Result<Self, CalendarError> {
        if id == ALWAYS {
            return Ok(Self::always());
        }
        records
            .into_iter()
            .find_map(|r| match r {
                model::Record::Calendar(c) if c.id.as_str() == id => Some(c),
                _ => None,
            })
            .ok_or_else(|| CalendarError::Unknown(id.into()))
            .and_then(Self::from_record)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// True when business time equals wall time.
    pub fn is_continuous(&self) -> bool {
        self.continuous
    }

    /// The local date of an instant in the calendar's time zone.
    fn local_date(&self, t: Timestamp) -> Date {
        self.tz.to_datetime(t).date()
    }

    /// The instant a local wall-clock time on `date` maps to; `24:00` is the
    /// next day's midnight.
    fn instant(&self, date: Date, minutes: u32) -> Timestamp {
        let (date, minutes) = if minutes >= 24 * 60 {
            (date.tomorrow().unwrap_or(date), minutes - 24 * 60)
        } else {
            (date, minutes)
        };
        let dt = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        let clamp = if date.year() < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        };
        let ambiguous = self.tz.to_ambiguous_timestamp(dt);
        match ambiguous.offset() {
            // A wall time the clocks skip maps to the instant they jump
            // (docs/sla.md), not shifted by the gap's length as jiff's
            // `compatible` does: a 02:30-03:30 window on the night the
            // clocks go 02:00 → 03:00 is the half hour 03:00-03:30.
            // Read with the offset after the gap, the wall time lies before
            // the jump; the next transition is the jump.
            jiff::tz::AmbiguousOffset::Gap { after, .. } => after
                .to_timestamp(dt)
                .ok()
                .and_then(|t| self.tz.following(t).next())
                .map(|tr| tr.timestamp())
                .unwrap_or(clamp),
            // A repeated wall time (a fold) is its first occurrence.
            _ => ambiguous.compatible().unwrap_or(clamp),
        }
    }

    /// Working intervals of one local date, as instants (empty on holidays).
    fn day_intervals(&self, date: Date) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let ranges: &[(u32, u32)] = if self.holidays.contains(&date) {
            &[]
        } else {
            &self.week[date.weekday().to_monday_zero_offset() as usize]
        };
        ranges
            .iter()
            .map(move |&(a, b)| (self.instant(date, a), self.instant(date, b)))
            .filter(|(a, b)| a < b)
    }

    /// Business seconds between two instants (0 when `to <= from`).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        if self.continuous {
            return to.as_second() - from.as_second();
        }
        let mut total = 0i64;
        // A day's hours can start before its local midnight in UTC terms and
        // end after the next; one day of margin on each side covers that.
        let mut date = self.local_date(from).yesterday().unwrap_or(self.local_date(from));
        let last = self.local_date(to).tomorrow().unwrap_or(self.local_date(to));
        while date <= last {
            for (a, b) in self.day_intervals(date) {
                let (s, e) = (a.max(from), b.min(to));
                if s < e {
                    total += e.as_second() - s.as_second();
                }
            }
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => break,
            }
        }
        total
    }

    /// The instant `seconds` of business time after `from`, or `None` when
    /// the calendar has no working hours for years ahead. An amount of zero
    /// is `from` itself, even outside working hours. A deadline that falls
    /// exactly at the end of a working interval is that end (Friday 17:00,
    /// not Monday 09:00).
    pub fn add(&self, from: Timestamp, seconds: i64) -> Option<Timestamp> {
        if seconds <= 0 {
            return Some(from);
        }
        if self.continuous {
            return from.checked_add(jiff::SignedDuration::from_secs(seconds)).ok();
        }
        let mut left = seconds;
        let mut date = self.local_date(from).yesterday().ok()?;
        let mut idle = 0i64;
        // One step per day, whatever the amount: durations are at most a
        // year of wall time, so a deadline is never more than a few years of
        // calendar days away. The cap keeps a caller passing more in O(days).
        for _ in 0..MAX_ADD_DAYS {
            let mut worked = false;
            for (a, b) in self.day_intervals(date) {
                worked = true;
                let s = a.max(from);
                if s >= b {
                    continue;
                }
                let avail = b.as_second() - s.as_second();
                if left <= avail {
                    return s.checked_add(jiff::SignedDuration::from_secs(left)).ok();
                }
                left -= avail;
            }
            idle = if worked { 0 } else { idle + 1 };
            if idle > MAX_IDLE_DAYS {
                return None;
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

/// The most calendar days [`Calendar::add`] walks (ten years).
const MAX_ADD_DAYS: usize = 3660;

/// Sorts ranges and merges overlapping or touching ones.
fn merge(mut v: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    v.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Every calendar of a snapshot by id, plus `24x7`; calendars that cannot be
/// built are left out (validation reports them).
pub fn all_calendars<'a>(
    records: impl IntoIterator<Item = &'a model::Record>,
) -> HashMap<Id, BusinessCalendar> {
    let mut map = HashMap::new();
    for r in records {
        if let model::Record::Calendar(c) = r {
            if let Ok(cal) = BusinessCalendar::from_record(c) {
                map.insert(c.id.clone(), cal);
            }
        }
    }
    map.insert(ALWAYS.parse().expect("valid id"), BusinessCalendar::always());
    map
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses a weekday key (`mon`, `mon-fri`, `sat-sun`) into day indexes 0..7.
pub fn parse_days(key: &str) -> Option<Vec<usize>> {
    let idx = |d: &str| DAYS.iter().position(|x| x.eq_ignore_ascii_case(d.trim()));
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (idx(a)?, idx(b)?);
            if a > b {
                return None;
            }
            Some((a..=b).collect())
        }
        None => idx(key).map(|i| vec![i]),
    }
}

/// Parses `HH:MM-HH:MM` into minutes since midnight; `24:00` ends a day.
pub fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('-')?;
    let hm = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            return None;
        }
        Some(h * 60 + m)
    };
    let (a, b) = (hm(a)?, hm(b)?);
    (a < b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Calendar, Holiday, Hours};
    use std::collections::BTreeMap;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn cal(tz: &str, hours: &[(&str, &[&str])], holidays: &[&str]) -> BusinessCalendar {
        let mut h = BTreeMap::new();
        for (k, v) in hours {
            h.insert(
                k.to_string(),
                Hours::Many(v.iter().map(|s| s.to_string()).collect()),
            );
        }
        BusinessCalendar::from_record(&Calendar {
            api_version: "gitsm/v1".into(),
            kind: "Calendar".into(),
            id: "c".parse().unwrap(),
            name: None,
            timezone: tz.into(),
            hours: h,
            holidays: holidays
                .iter()
                .map(|d| Holiday::Date(d.parse().unwrap()))
                .collect(),
            extra: None,
        })
        .unwrap()
    }

    fn berlin() -> BusinessCalendar {
        cal("Europe/Berlin", &[("mon-fri", &["09:00-17:00"])], &[])
    }

    #[test]
    fn friday_afternoon_to_monday_morning() {
        // Fri 2026-11-20 16:30 CET (15:30Z) → Mon 09:30 CET: 30 min + 30 min.
        let c = berlin();
        assert_eq!(
            c.between(ts("2026-11-20T15:30:00Z"), ts("2026-11-23T08:30:00Z")),
            3600
        );
        assert_eq!(
            c.add(ts("2026-11-20T15:30:00Z"), 3600),
            Some(ts("2026-11-23T08:30:00Z"))
        );
        // Exactly the rest of Friday ends on Friday 17:00, not Monday 09:00.
        assert_eq!(
            c.add(ts("2026-11-20T15:30:00Z"), 1800),
            Some(ts("2026-11-20T16:00:00Z"))
        );
    }

    #[test]
    fn split_days_and_overrides() {
        let c = cal(
            "UTC",
            &[
                ("mon-fri", &["08:00-12:00", "13:00-17:00"]),
                ("fri", &["08:00-12:00"]),
            ],
            &[],
        );
        // Thu 2026-11-19 full day = 8 h; Fri = 4 h.
        assert_eq!(
            c.between(ts("2026-11-19T00:00:00Z"), ts("2026-11-20T00:00:00Z")),
            8 * 3600
        );
        assert_eq!(
            c.between(ts("2026-11-20T00:00:00Z"), ts("2026-11-21T00:00:00Z")),
            4 * 3600
        );
        // Lunch is not business time.
        assert_eq!(
            c.add(ts("2026-11-19T11:30:00Z"), 3600),
            Some(ts("2026-11-19T13:30:00Z"))
        );
    }

    #[test]
    fn dst_end_round_the_clock() {
        // On 2026-10-25 Berlin falls back: the local day has 25 hours.
        let c = cal("Europe/Berlin", &[("mon-sun", &["00:00-24:00"])], &["2026-10-24"]);
        assert!(!c.is_continuous());
        assert_eq!(
            c.between(ts("2026-10-25T00:00:00+02:00"), ts("2026-10-26T00:00:00+01:00")),
            25 * 3600
        );
        // The holiday (Saturday 24th) does not count.
        assert_eq!(
            c.between(ts("2026-10-24T00:00:00+02:00"), ts("2026-10-25T00:00:00+02:00")),
            0
        );
    }

    #[test]
    fn dst_gap_boundaries_map_to_the_jump() {
        // 2026-03-29: Berlin goes 02:00 CET → 03:00 CEST (01:00 UTC).
        let c = cal("Europe/Berlin", &[("sun", &["02:30-03:30"])], &[]);
        assert_eq!(
            c.between(ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z")),
            30 * 60,
            "02:30 is skipped and maps to 03:00 CEST"
        );
        assert_eq!(
            c.add(ts("2026-03-28T00:00:00Z"), 60),
            Some(ts("2026-03-29T01:01:00Z"))
        );
        // A window wholly inside the gap has no time at all.
        let c = cal("Europe/Berlin", &[("sun", &["02:10-02:50"])], &[]);
        assert_eq!(
            c.between(ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z")),
            0
        );
        // A window ending in the gap ends at the jump: 01:30-02:30 is 30 min.
        let c = cal("Europe/Berlin", &[("sun", &["01:30-02:30"])], &[]);
        assert_eq!(
            c.between(ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z")),
            30 * 60
        );
    }

    #[test]
    fn dst_fold_boundaries_take_the_first_occurrence() {
        // 2026-10-25: Berlin goes 03:00 CEST → 02:00 CET (01:00 UTC); 02:00-03:00 twice.
        let c = cal("Europe/Berlin", &[("sun", &["02:30-03:30"])], &[]);
        // 02:30 CEST (00:30 UTC) to 03:30 CET (02:30 UTC): two real hours.
        assert_eq!(
            c.between(ts("2026-10-24T00:00:00Z"), ts("2026-10-26T00:00:00Z")),
            2 * 3600
        );
        let c = cal("Europe/Berlin", &[("sun", &["01:30-02:30"])], &[]);
        // 01:30 CEST (23:30 UTC the day before) to 02:30 CEST (00:30 UTC).
        assert_eq!(
            c.between(ts("2026-10-24T00:00:00Z"), ts("2026-10-26T00:00:00Z")),
            3600
        );
    }

    #[test]
    fn no_hours_gives_none_not_a_hang() {
        let c = cal("UTC", &[("mon", &["09:00-10:00"])], &[]);
        assert!(c.add(ts("2026-11-20T00:00:00Z"), 3600).is_some());
        let mut none = cal("UTC", &[("mon", &["09:00-10:00"])], &[]);
        none.week = Default::default();
        assert_eq!(none.add(ts("2026-11-20T00:00:00Z"), 60), None);
    }

    #[test]
    fn always_is_wall_time() {
        let c = BusinessCalendar::always();
        assert_eq!(
            c.between(ts("2026-10-25T00:00:00+02:00"), ts("2026-10-26T00:00:00+01:00")),
            25 * 3600
        );
        assert_eq!(
            c.add(ts("2026-11-20T15:30:00Z"), 60),
            Some(ts("2026-11-20T15:31:00Z"))
        );
    }
}

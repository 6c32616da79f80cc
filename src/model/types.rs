//! Value types shared by the record kinds: ids, durations, timestamps, dates.
//! Each is a real type with a strict parser and a JSON Schema that matches it.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Pattern every id must match: safe as a file name and in a URL.
pub const ID_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

/// A record id: `checkout`, `INC-0042`. Never contains `/`, never starts with `.`.
///
/// Held inline up to 24 bytes (every id the repos we have seen use): a
/// record names several ids, the validator's references copy them, and at
/// 100k records those were a million small allocations. Compares, orders
/// and hashes as its text, so a map keyed by ids can be read with a `&str`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Id(compact_str::CompactString);

impl std::hash::Hash for Id {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_valid(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= 64
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }
}

impl FromStr for Id {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if Id::is_valid(s) {
            Ok(Id(compact_str::CompactString::new(s)))
        } else {
            Err(format!(
                "`{s}` is not a valid id (letters, digits, `.`, `_`, `-`; 64 at most)"
            ))
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(ParsedStr::<$t>(std::marker::PhantomData))
            }
        }
    };
}

/// Deserializes a value written as a string through its `FromStr`, from
/// the deserializer's own `&str` when it can lend one: no `String` is
/// allocated per value (the loader's cache decodes millions of them).
struct ParsedStr<T>(std::marker::PhantomData<T>);

impl<T: FromStr<Err = String>> serde::de::Visitor<'_> for ParsedStr<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

string_serde!(Id);

impl JsonSchema for Id {
    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": ID_PATTERN,
            "description": "A record id: letters, digits, `.`, `_` and `-`, starting with a letter or digit."
        })
    }
}

/// A duration written `15m`, `4h`, `1h30m`, `3d`, `2w` (units w, d, h, m, s, in that order),
/// at most one year ([`Duration::MAX`], `52w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
}

/// The shape of a duration, bounding each number as far as a regex can: at
/// most 52 weeks, and no more digits than a year holds in that unit (364 d,
/// 8736 h, 524160 m, 31449600 s). The parser checks the sum.
pub const DURATION_PATTERN: &str =
    "^((5[0-2]|[1-4]?[0-9])w)?([0-9]{1,3}d)?([0-9]{1,4}h)?([0-9]{1,6}m)?([0-9]{1,8}s)?$";

impl Duration {
    /// The longest duration gitsm accepts: one year, `52w`.
    pub const MAX: Duration = Duration {
        seconds: Duration::MAX_SECS,
    };
    /// [`Duration::MAX`] in seconds.
    pub const MAX_SECS: i64 = 52 * 604_800;

    pub fn from_secs(seconds: i64) -> Self {
        Duration { seconds }
    }
    pub fn as_secs(self) -> i64 {
        self.seconds
    }
    pub fn to_span(self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(self.seconds)
    }
}

impl FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a duration; write e.g. `15m`, `4h`, `1h30m`, `3d`, `2w`");
        if s.is_empty() {
            return Err(bad());
        }
        let units = [
            ('w', 604_800i64),
            ('d', 86_400),
            ('h', 3_600),
            ('m', 60),
            ('s', 1),
        ];
        let mut rest = s;
        let mut total: i64 = 0;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return Err(bad());
            }
            let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
            let unit = rest[digits..].chars().next().ok_or_else(bad)?;
            let idx = units[next_unit..]
                .iter()
                .position(|(u, _)| *u == unit)
                .ok_or_else(bad)?
                + next_unit;
            total = total
                .checked_add(n.checked_mul(units[idx].1).ok_or_else(bad)?)
                .ok_or_else(bad)?;
            next_unit = idx + 1;
            rest = &rest[digits + 1..];
        }
        if total > Duration::MAX.seconds {
            return Err(format!(
                "`{s}` is longer than one year; durations are at most `52w`"
            ));
        }
        Ok(Duration { seconds: total })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("0m");
        }
        let mut rest = self.seconds;
        for (u, secs) in [
            ('w', 604_800i64),
            ('d', 86_400),
            ('h', 3_600),
            ('m', 60),
            ('s', 1),
        ] {
            if rest >= secs {
                write!(f, "{}{u}", rest / secs)?;
                rest %= secs;
            }
        }
        Ok(())
    }
}

string_serde!(Duration);

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "minLength": 2,
            "maxLength": 40,
            "description": "A duration such as `15m`, `4h`, `1h30m`, `3d` or `2w`; at most one year (`52w`).",
            "examples": ["15m", "4h", "1h30m", "3d"]
        })
    }
}

/// An instant written in RFC 3339 with an offset (`2026-11-20T09:14:00Z`,
/// `2026-11-20T10:14:00+01:00`). A date or time without an offset is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub jiff::Timestamp);

/// RFC 3339 `date-time` as far as a regex can say it: seconds required,
/// months 01–12, days 01–31, hours 00–23, minutes and seconds 00–59 (no leap
/// second), offsets within ±23:59. The parser also refuses days a month does
/// not have (`2026-02-30`).
pub const TIMESTAMP_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/// A calendar date as far as a regex can say it.
pub const DATE_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

impl Timestamp {
    pub fn as_jiff(self) -> jiff::Timestamp {
        self.0
    }
}

/// Whether `s` has the exact shape of an RFC 3339 `date-time` with the
/// ranges of [`TIMESTAMP_PATTERN`] (calendar validity is left to jiff).
fn rfc3339_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| -> u32 { s[r].parse().unwrap_or(u32::MAX) };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7)) || !(1..=31).contains(&num(8..10)) {
        return false;
    }
    if num(11..13) > 23 || num(14..16) > 59 || num(17..19) > 59 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&frac) {
            return false;
        }
        i += 1 + frac;
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] if b.len() == i + 6 => {
            digits(i + 1..i + 3)
                && b[i + 3] == b':'
                && digits(i + 4..i + 6)
                && num(i + 1..i + 3) <= 23
                && num(i + 4..i + 6) <= 59
        }
        _ => false,
    }
}

impl FromStr for Timestamp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if !rfc3339_shape(s) {
            return Err(format!(
                "`{s}` is not an RFC 3339 timestamp with seconds and an offset; write e.g. `2026-11-20T09:14:00Z`"
            ));
        }
        s.parse::<jiff::Timestamp>()
            .map(Timestamp)
            .map_err(|e| format!("`{s}` is not a valid timestamp: {e}"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Text (RFC 3339, UTC) wherever a person or another tool reads it; in a
/// binary format (the loader's cache, MessagePack) the instant as seconds
/// and nanoseconds since the epoch, which decodes without parsing.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            (self.0.as_second(), self.0.subsec_nanosecond()).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(ParsedStr::<Timestamp>(std::marker::PhantomData))
        } else {
            let (secs, nanos) = <(i64, i32)>::deserialize(d)?;
            jiff::Timestamp::new(secs, nanos)
                .map(Timestamp)
                .map_err(serde::de::Error::custom)
        }
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "pattern": TIMESTAMP_PATTERN,
            "description": "An RFC 3339 timestamp with an offset, e.g. `2026-11-20T09:14:00Z`."
        })
    }
}

/// A calendar date, `2026-12-25`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape {
            return Err(format!("`{s}` is not a date; write `YYYY-MM-DD`"));
        }
        s.parse::<jiff::civil::Date>()
            .map(Date)
            .map_err(|e| format!("`{s}` is not a valid date: {e}"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

string_serde!(Date);

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": "A calendar date, `YYYY-MM-DD`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short ids are held inline and long ones on the heap; either way an
    /// id is its text: equal, ordered and hashed as the `&str` it borrows
    /// as (maps keyed by ids are read with `&str`), in JSON and MessagePack.
    #[test]
    fn ids_are_their_text_inline_or_not() {
        let long = format!("a{}", "b".repeat(63));
        let ids: Vec<Id> = [
            "INC-000001",
            "svc-38",
            "x",
            long.as_str(),
            "exactly-twenty-four-byte",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let set: std::collections::HashSet<Id> = ids.iter().cloned().collect();
        for id in &ids {
            assert!(set.contains(id.as_str()), "{id}");
            let json = serde_json::to_string(id).unwrap();
            assert_eq!(json, format!("\"{}\"", id.as_str()));
            assert_eq!(&serde_json::from_str::<Id>(&json).unwrap(), id);
            let mp = rmp_serde::to_vec(id).unwrap();
            assert_eq!(&rmp_serde::from_slice::<Id>(&mp).unwrap(), id);
        }
        let mut sorted = ids.clone();
        sorted.sort();
        let mut texts: Vec<&str> = ids.iter().map(Id::as_str).collect();
        texts.sort();
        assert_eq!(sorted.iter().map(Id::as_str).collect::<Vec<_>>(), texts);
        assert!(format!("{long}c").parse::<Id>().is_err());
    }

    #[test]
    fn durations() {
        assert_eq!("1h30m".parse::<Duration>().unwrap().as_secs(), 5400);
        assert_eq!("2w".parse::<Duration>().unwrap().as_secs(), 1_209_600);
        assert!("30m1h".parse::<Duration>().is_err());
        assert!("h".parse::<Duration>().is_err());
        assert!("".parse::<Duration>().is_err());
        assert!("5x".parse::<Duration>().is_err());
        assert_eq!("52w".parse::<Duration>().unwrap().as_secs(), Duration::MAX_SECS);
        assert!("52w1s".parse::<Duration>().is_err());
        assert!("100000w".parse::<Duration>().is_err());
        assert!("365d".parse::<Duration>().is_err());
        assert_eq!("1h30m".parse::<Duration>().unwrap().to_string(), "1h30m");
    }

    #[test]
    fn durations_are_at_most_a_year() {
        assert_eq!("52w".parse::<Duration>().unwrap(), Duration::MAX);
        assert_eq!("364d".parse::<Duration>().unwrap(), Duration::MAX);
        assert!("52w1s".parse::<Duration>().is_err());
        assert!("53w".parse::<Duration>().is_err());
        assert!("999999999w".parse::<Duration>().is_err());
    }

    #[test]
    fn timestamps_are_strict_rfc3339() {
        for bad in [
            "2026-09-01T06:55Z",
            "2026-09-01T06:55:60Z",
            "2026-09-01T06:55:00+24:00",
            "2026-09-01T06:55:00+05:60",
            "2026-02-30T06:55:00Z",
            "2026-13-01T06:55:00Z",
            "2026-09-01T24:00:00Z",
            "2026-09-01T06:55:00.Z",
            "2026-09-01T06:55:00.1234567890Z",
            "2026-09-01 06:55:00Z",
            "2026-09-01T06:55:00+0100",
            "+2026-09-01T06:55:00Z",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad} accepted");
        }
        for good in [
            "2026-09-01T06:55:00Z",
            "2026-09-01t06:55:00z",
            "2026-09-01T06:55:00.5+05:30",
            "2026-09-01T23:59:59-23:59",
            "2024-02-29T00:00:00Z",
        ] {
            assert!(good.parse::<Timestamp>().is_ok(), "{good} refused");
        }
        assert!("2026-02-29".parse::<Date>().is_err());
        assert!("2026-1-01".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!("2026-11-20T09:14:00Z".parse::<Timestamp>().is_ok());
        assert!("2026-11-20T09:14:00+14:00".parse::<Timestamp>().is_ok());
        assert!("2026-11-20T09:14:00".parse::<Timestamp>().is_err());
        assert!("2026-11-20".parse::<Timestamp>().is_err());
    }

    #[test]
    fn ids_are_path_safe() {
        assert!(Id::is_valid("INC-0001"));
        assert!(!Id::is_valid("../x"));
        assert!(!Id::is_valid(".hidden"));
        assert!(!Id::is_valid("a/b"));
    }

    #[test]
    fn timestamps_are_text_for_people_and_numbers_in_the_cache() {
        let t: Timestamp = "2026-11-20T10:14:00.123456789+01:00".parse().unwrap();
        // JSON (and every human-readable format) keeps the RFC 3339 text.
        let json = serde_json::to_value(t).unwrap();
        assert_eq!(json, serde_json::json!("2026-11-20T09:14:00.123456789Z"));
        assert_eq!(serde_json::from_value::<Timestamp>(json).unwrap(), t);
        // MessagePack holds [seconds, nanoseconds] and gives the same instant.
        let bytes = rmp_serde::to_vec(&t).unwrap();
        let back: (i64, i32) = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, (t.0.as_second(), 123_456_789));
        assert_eq!(rmp_serde::from_slice::<Timestamp>(&bytes).unwrap(), t);
        // Before the epoch too (negative seconds, positive nanoseconds).
        let old: Timestamp = "1969-12-31T23:59:59.5Z".parse().unwrap();
        let bytes = rmp_serde::to_vec(&old).unwrap();
        assert_eq!(rmp_serde::from_slice::<Timestamp>(&bytes).unwrap(), old);
        // An instant jiff cannot hold is an error, not a wrapped value.
        let bytes = rmp_serde::to_vec(&(i64::MAX, 0)).unwrap();
        assert!(rmp_serde::from_slice::<Timestamp>(&bytes).is_err());
        // Text in a binary format is refused (the cache then reparses).
        let bytes = rmp_serde::to_vec("2026-11-20T09:14:00Z").unwrap();
        assert!(rmp_serde::from_slice::<Timestamp>(&bytes).is_err());
    }

    #[test]
    fn strings_deserialize_borrowed_or_owned() {
        // A borrowed &str (MessagePack from a slice) and an owned String
        // (a JSON value) both go through the type's parser.
        let bytes = rmp_serde::to_vec("INC-7").unwrap();
        assert_eq!(rmp_serde::from_slice::<Id>(&bytes).unwrap().as_str(), "INC-7");
        assert!(rmp_serde::from_slice::<Id>(&rmp_serde::to_vec("../x").unwrap()).is_err());
        let d: Duration = serde_json::from_value(serde_json::json!("1h30m")).unwrap();
        assert_eq!(d.as_secs(), 5400);
        assert!(serde_json::from_value::<Duration>(serde_json::json!("5x")).is_err());
        assert!(serde_json::from_value::<Date>(serde_json::json!(20261120)).is_err());
        let date: Date = serde_json::from_value(serde_json::json!("2026-02-28")).unwrap();
        assert_eq!(date.to_string(), "2026-02-28");
        assert!(serde_json::from_value::<Date>(serde_json::json!("2026-02-30")).is_err());
    }
}

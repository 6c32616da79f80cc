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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

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
            Ok(Id(s.to_string()))
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
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
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

/// A duration written `15m`, `4h`, `1h30m`, `3d`, `2w` (units w, d, h, m, s, in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
}

/// Each unit's digits are bounded so the schema alone refuses absurd values
/// (`100000w`); the exact bound, one year, is [`Duration::MAX_SECS`].
pub const DURATION_PATTERN: &str = "^([0-9]{1,2}w)?([0-9]{1,3}d)?([0-9]{1,4}h)?([0-9]{1,6}m)?([0-9]{1,8}s)?$";

impl Duration {
    /// The longest duration gitsm accepts: one year, `52w`. Targets, lead
    /// times and review deadlines are far shorter; anything longer is a typo
    /// or an attempt to make clocks walk for ever.
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
        if total > Duration::MAX_SECS {
            return Err(format!(
                "`{s}` is longer than one year (`52w`), the longest duration gitsm accepts"
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
            "description": "A duration such as `15m`, `4h`, `1h30m`, `3d` or `2w`; at most one year (`52w`).",
            "examples": ["15m", "4h", "1h30m", "3d"]
        })
    }
}

/// An instant written in RFC 3339 with an offset (`2026-11-20T09:14:00Z`,
/// `2026-11-20T10:14:00+01:00`). A date or time without an offset is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub jiff::Timestamp);

pub const TIMESTAMP_PATTERN: &str =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

impl Timestamp {
    pub fn as_jiff(self) -> jiff::Timestamp {
        self.0
    }
}

impl FromStr for Timestamp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let re_ok = {
            // Cheap structural check: must carry an offset after the time.
            let has_t = s.contains(['T', 't']);
            let tail = s.rsplit(['T', 't']).next().unwrap_or("");
            has_t && (tail.ends_with(['Z', 'z']) || tail.contains(['+', '-']))
        };
        if !re_ok {
            return Err(format!(
                "`{s}` is not an RFC 3339 timestamp with an offset; write e.g. `2026-11-20T09:14:00Z`"
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

string_serde!(Timestamp);

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
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
        if s.len() != 10 {
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
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": "A calendar date, `YYYY-MM-DD`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

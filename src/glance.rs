//! A quick, plain read of a ticket file's text before it is parsed: its
//! kind, top-level `status`/`type`/`maintenance`/`id`, the earliest and
//! latest instant written anywhere in it ([`scan`]), and the services it
//! names ([`named_services`]). The figures commands screen out tickets that
//! cannot matter to them with it (`crate::figures`), and the loader's cache
//! keeps it ([`Glance`]) so a cached file is screened exactly as its text
//! would be. Each reader says `None` whenever it is not sure.

use crate::model::Kind;
use jiff::Timestamp;

/// What the scan read of a ticket file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan<'a> {
    pub kind: Kind,
    pub status: Option<&'a str>,
    /// `type:` of a change.
    pub change_type: Option<&'a str>,
    /// `maintenance:` of a change.
    pub maintenance: Option<&'a str>,
    /// A top-level `caused_by:` key is present (an incident's change).
    pub caused_by: bool,
    /// `id:`, when it is written plainly.
    pub id: Option<&'a str>,
    pub earliest: Timestamp,
    pub latest: Timestamp,
}

/// Reads a ticket file's text plainly, or `None` when it is not a ticket or
/// cannot be read that way (the file is then loaded and checked in full).
pub fn scan(text: &str) -> Option<Scan<'_>> {
    if text.contains('\\') {
        return None; // an escape could spell a digit of an instant
    }
    let (mut kind, mut status, mut change_type, mut maintenance, mut id) = (None, None, None, None, None);
    let mut caused_by = false;
    for line in text.lines() {
        let Some(first) = line.bytes().next() else {
            continue;
        };
        match first {
            b'"' | b'\'' | b'?' | b'{' | b'[' | b'&' | b'!' | b'%' => {
                return None; // a quoted, complex or flow-style top level
            }
            // The first letters of the keys read below: other lines (most
            // are indented) need no search for a colon.
            b'c' | b'k' | b's' | b't' | b'm' | b'i' => {}
            _ => continue,
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !(value.is_empty() || value.starts_with(' ')) {
            continue; // `kind:Incident` is one plain scalar, not a key
        }
        let slot = match key {
            "caused_by" => {
                caused_by = true;
                continue;
            }
            "kind" => &mut kind,
            "status" => &mut status,
            "type" => &mut change_type,
            "maintenance" => &mut maintenance,
            "id" => &mut id,
            _ => continue,
        };
        let value = value.split(" #").next().unwrap_or("").trim();
        // Ids also hold `-` and `.`; the other keys are plain words.
        let plain =
            |b: u8| b.is_ascii_alphanumeric() || b == b'_' || (key == "id" && matches!(b, b'-' | b'.'));
        if value.is_empty() || !value.bytes().all(plain) {
            return None;
        }
        if slot.replace(value).is_some() {
            return None; // a duplicate key: the loader reports it
        }
    }
    let kind = Kind::from_name(kind?).filter(|k| k.is_ticket())?;
    let (earliest, latest) = instants(text)?;
    Some(Scan {
        kind,
        status,
        change_type,
        maintenance,
        caused_by,
        id,
        earliest,
        latest,
    })
}

/// The earliest and latest RFC 3339 instant in the text; `None` when there
/// is none, or something that looks like one does not parse.
fn instants(text: &str) -> Option<(Timestamp, Timestamp)> {
    let b = text.as_bytes();
    let (mut lo, mut hi): (Option<Timestamp>, Option<Timestamp>) = (None, None);
    let (mut lo_utc, mut hi_utc): (Option<&str>, Option<&str>) = (None, None);
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'-', &b[i..]) {
        let dash = i + off;
        i = dash + 1;
        // `YYYY-MM-DD` with the first dash at `dash`.
        if dash < 4 || !(dash - 4..dash).all(digit) || !digit(dash + 1) || !digit(dash + 2) {
            continue;
        }
        if b.get(dash + 3) != Some(&b'-') || !digit(dash + 4) || !digit(dash + 5) {
            continue;
        }
        let start = dash - 4;
        match b.get(start + 10) {
            Some(b'T' | b't') => {}
            // A date and a time apart: not an instant gitsm reads, but do
            // not guess.
            Some(b' ') if digit(start + 11) => return None,
            _ => continue, // a date (a holiday, a note)
        }
        let end = b[start..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b',' | b'}' | b']' | b'"' | b'\'' | b'#'))
            .map_or(b.len(), |n| start + n);
        let found = &text[start..end];
        i = end;
        if utc_second(found.as_bytes()) {
            // Same shape, so byte order is time order: no parse per instant.
            lo_utc = Some(lo_utc.map_or(found, |x: &str| x.min(found)));
            hi_utc = Some(hi_utc.map_or(found, |x: &str| x.max(found)));
            continue;
        }
        let t: Timestamp = found.parse().ok()?;
        lo = Some(lo.map_or(t, |x| x.min(t)));
        hi = Some(hi.map_or(t, |x| x.max(t)));
    }
    for (s, is_lo) in [(lo_utc, true), (hi_utc, false)] {
        let Some(s) = s else { continue };
        let t: Timestamp = s.parse().ok()?;
        let slot = if is_lo { &mut lo } else { &mut hi };
        *slot = Some(match *slot {
            Some(x) if is_lo => x.min(t),
            Some(x) => x.max(t),
            None => t,
        });
    }
    Some((lo?, hi?))
}

/// `YYYY-MM-DDTHH:MM:SSZ` naming a real instant (month, day of that month,
/// hour, minute, second 00–59): the shape records are written in, where the
/// order of the bytes is the order in time.
fn utc_second(b: &[u8]) -> bool {
    if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return false;
    }
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if !digits.iter().all(|&i| b[i].is_ascii_digit()) || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let n = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    let year = n(0) * 100 + n(2);
    let (month, day) = (n(5), n(8));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && n(11) < 24 && n(14) < 60 && n(17) < 60
}

fn plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The value of a line after its key, without a trailing comment; `None`
/// when a comment marker or quote leaves it unclear.
fn plain_value(v: &str) -> &str {
    v.split(" #").next().unwrap_or("").trim()
}

/// Every service an incident's text names at the top level (`service:` and
/// the items of `affected_services:`), or `None` when the text names a
/// configuration item or writes any of it in a way this reader does not
/// take plainly (a value that is not a plain id: quoted, an alias, nested
/// flow; a key twice; items indented unevenly; a second document; tabs).
/// Other keys' values are not read, so quotes or anchors there are fine.
pub fn named_services(text: &str) -> Option<Vec<&str>> {
    if text.contains('\t') {
        return None;
    }
    let mut service = None;
    let mut affected: Option<Vec<&str>> = None;
    // Inside `affected_services:`'s block list: the items' indentation.
    let mut in_list: Option<Option<usize>> = None;
    for line in text.lines() {
        let Some(first) = line.bytes().next() else {
            continue;
        };
        if let Some(indent) = in_list {
            let item = line.trim_start_matches(' ');
            let here = line.len() - item.len();
            if let Some(v) = item.strip_prefix("- ") {
                let v = plain_value(v);
                if !plain_id(v) || indent.is_some_and(|i| i != here) {
                    return None;
                }
                in_list = Some(Some(here));
                affected.as_mut()?.push(v);
                continue;
            }
            if item.starts_with('#') {
                continue; // a comment line within the list
            }
            if here > 0 {
                return None; // an item's continuation, or something nested
            }
            in_list = None;
        }
        match first {
            b'#' | b' ' => continue,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {}
            // `---`, `...`, `- x` at the top, `?`, `{`, `[`, `!`, `%`, `|`…
            _ => return None,
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !(value.is_empty() || value.starts_with(' ')) {
            continue;
        }
        let value = plain_value(value);
        match key {
            "config_items" => return None,
            "service" => {
                if service.is_some() || !plain_id(value) {
                    return None;
                }
                service = Some(value);
            }
            "affected_services" => {
                if affected.is_some() {
                    return None;
                }
                if value.is_empty() {
                    affected = Some(Vec::new());
                    in_list = Some(None);
                } else {
                    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
                    let items: Vec<&str> = inner
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect();
                    if !items.iter().all(|s| plain_id(s)) {
                        return None;
                    }
                    affected = Some(items);
                }
            }
            _ => {}
        }
    }
    let mut all = vec![service?];
    all.extend(affected.unwrap_or_default());
    Some(all)
}
/// Everything the screens read of a file's text, owned: what the loader's
/// cache keeps of a file besides its record, so a cached file is screened
/// as its text would be without reading it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Glance {
    pub scan: Option<OwnedScan>,
    /// [`named_services`] of the text.
    pub services: Option<Vec<String>>,
}

/// [`Scan`] with its own strings.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedScan {
    pub kind: Kind,
    pub status: Option<String>,
    pub change_type: Option<String>,
    pub maintenance: Option<String>,
    pub caused_by: bool,
    pub id: Option<String>,
    pub earliest: Timestamp,
    pub latest: Timestamp,
}

impl Glance {
    /// The glance of a file's text.
    pub fn of(text: &str) -> Glance {
        let own = |s: Option<&str>| s.map(str::to_string);
        Glance {
            scan: scan(text).map(|s| OwnedScan {
                kind: s.kind,
                status: own(s.status),
                change_type: own(s.change_type),
                maintenance: own(s.maintenance),
                caused_by: s.caused_by,
                id: own(s.id),
                earliest: s.earliest,
                latest: s.latest,
            }),
            services: named_services(text).map(|v| v.into_iter().map(str::to_string).collect()),
        }
    }

    /// The scan, as [`scan`] gives it.
    pub fn scan(&self) -> Option<Scan<'_>> {
        self.scan.as_ref().map(|s| Scan {
            kind: s.kind,
            status: s.status.as_deref(),
            change_type: s.change_type.as_deref(),
            maintenance: s.maintenance.as_deref(),
            caused_by: s.caused_by,
            id: s.id.as_deref(),
            earliest: s.earliest,
            latest: s.latest,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const INC: &str = "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\nstatus: closed\nreported_at: 2026-03-01T10:00:00+02:00\ntimeline:\n  - {at: 2026-03-01T10:00:00+02:00, by: a, status: new}\n  - at: 2026-03-02T08:00:00Z\n    by: a\n    status: closed\n    note: see 2026-12-01 and 2027-01-01T00:00:00Z\n";

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The instant reader before its same-shape shortcut: every instant
    /// parsed by jiff. The oracle for the property test below.
    fn instants_parsing_each(text: &str) -> Option<(Timestamp, Timestamp)> {
        let b = text.as_bytes();
        let (mut lo, mut hi): (Option<Timestamp>, Option<Timestamp>) = (None, None);
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let mut i = 0;
        while let Some(off) = memchr::memchr(b'-', &b[i..]) {
            let dash = i + off;
            i = dash + 1;
            if dash < 4 || !(dash - 4..dash).all(digit) || !digit(dash + 1) || !digit(dash + 2) {
                continue;
            }
            if b.get(dash + 3) != Some(&b'-') || !digit(dash + 4) || !digit(dash + 5) {
                continue;
            }
            let start = dash - 4;
            match b.get(start + 10) {
                Some(b'T' | b't') => {}
                Some(b' ') if digit(start + 11) => return None,
                _ => continue,
            }
            let end = b[start..]
                .iter()
                .position(|c| {
                    c.is_ascii_whitespace() || matches!(c, b',' | b'}' | b']' | b'"' | b'\'' | b'#')
                })
                .map_or(b.len(), |n| start + n);
            let t: Timestamp = text[start..end].parse().ok()?;
            lo = Some(lo.map_or(t, |x| x.min(t)));
            hi = Some(hi.map_or(t, |x| x.max(t)));
            i = end;
        }
        Some((lo?, hi?))
    }

    proptest::proptest! {
        /// Same earliest and latest instant (or the same refusal) as parsing
        /// every instant, on texts of real, impossible (February 30th,
        /// hour 24, second 60), offset and fractional instants.
        #[test]
        fn the_same_shape_shortcut_changes_nothing(
            parts in proptest::collection::vec((
                proptest::prop_oneof![1990u32..2100, proptest::sample::select(vec![0u32, 1900, 2000, 2400, 9999])],
                proptest::prop_oneof![9 => 1u32..13, 1 => proptest::sample::select(vec![0u32, 13])],
                proptest::prop_oneof![9 => 1u32..29, 1 => proptest::sample::select(vec![0u32, 29, 30, 31, 32])],
                proptest::prop_oneof![9 => 0u32..24, 1 => proptest::sample::select(vec![24u32, 99])],
                proptest::prop_oneof![9 => 0u32..60, 1 => proptest::sample::select(vec![60u32])],
                proptest::prop_oneof![9 => 0u32..60, 1 => proptest::sample::select(vec![60u32, 61])],
                proptest::sample::select(vec!["Z", "Z", "Z", "Z", "z", "+02:00", ".5Z", "", "Z,", "Z}"]),
                proptest::sample::select(vec![" ", "\n  - at: ", ", ", " note 2026-01-01 "]),
            ), 0..6)
        ) {
            let mut text = String::from("kind: Incident\n");
            for (y, mo, d, h, mi, s, tail, sep) in parts {
                text.push_str(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{tail}{sep}"));
            }
            proptest::prop_assert_eq!(instants(&text), instants_parsing_each(&text), "{}", text);
        }
    }

    #[test]
    fn leap_days_and_month_ends_are_checked_in_the_shortcut() {
        for (s, ok) in [
            ("2024-02-29T00:00:00Z", true),
            ("2023-02-29T00:00:00Z", false),
            ("2000-02-29T23:59:59Z", true),
            ("1900-02-29T00:00:00Z", false),
            ("2026-04-31T00:00:00Z", false),
            ("2026-12-31T24:00:00Z", false),
            ("2026-12-31T23:60:00Z", false),
            ("2026-12-31T23:59:60Z", false),
            ("2026-00-10T00:00:00Z", false),
            ("2026-01-00T00:00:00Z", false),
        ] {
            assert_eq!(utc_second(s.as_bytes()), ok, "{s}");
            assert_eq!(s.parse::<Timestamp>().is_ok() && ok, ok, "{s}");
        }
    }

    #[test]
    fn reads_kind_status_and_the_span_of_instants() {
        let s = scan(INC).unwrap();
        assert_eq!(s.kind, Kind::Incident);
        assert_eq!(s.status, Some("closed"));
        assert_eq!(s.earliest, ts("2026-03-01T08:00:00Z"));
        // An instant in a note counts: it can only keep a ticket, never hide one.
        assert_eq!(s.latest, ts("2027-01-01T00:00:00Z"));
    }

    #[test]
    fn anything_unusual_is_loaded_in_full() {
        for text in [
            INC.replace("status: closed\n", "\"status\": closed\n"),
            INC.replace("kind: Incident", "kind: \"Incident\""),
            INC.replace("note: see", "note: \"\\x32see"),
            INC.replace(
                "status: closed\nreported",
                "status: closed\nstatus: new\nreported",
            ),
            INC.replace("2026-03-02T08:00:00Z", "2026-03-02T08:00:00"),
            INC.replace("2026-03-02T08:00:00Z", "2026-03-02 08:00:00Z"),
            "{apiVersion: gitsm/v1, kind: Incident}\n".to_string(),
            "apiVersion: gitsm/v1\nkind: Incident\nid: INC-1\n".to_string(),
            "apiVersion: gitsm/v1\nkind: Service\nid: web\n".to_string(),
        ] {
            assert_eq!(scan(&text), None, "{text}");
        }
    }

    #[test]
    fn reads_service_and_affected_services_in_every_plain_shape() {
        let base = "kind: Incident\nid: INC-1\nservice: a\n";
        assert_eq!(named_services(base), Some(vec!["a"]));
        let block = format!("{base}affected_services:\n  - b\n  - c # why\nstatus: new\n");
        assert_eq!(named_services(&block), Some(vec!["a", "b", "c"]));
        let compact = format!("{base}affected_services:\n- b\n# note\n- c\ntimeline: []\n");
        assert_eq!(named_services(&compact), Some(vec!["a", "b", "c"]));
        let flow = format!("{base}affected_services: [b, c]\n");
        assert_eq!(named_services(&flow), Some(vec!["a", "b", "c"]));
        assert_eq!(
            named_services(&format!("{base}affected_services: []\n")),
            Some(vec!["a"])
        );
    }

    #[test]
    fn anything_unclear_is_not_read() {
        let base = "kind: Incident\nid: INC-1\nservice: a\n";
        for bad in [
            format!("{base}config_items:\n  - ci-1\n"),
            format!("{base}service: b\n"),
            "kind: Incident\nservice: \"a\"\n".to_string(),
            "kind: Incident\nservice: 'a'\n".to_string(),
            "kind: Incident\nservice: *x\n".to_string(),
            "kind: Incident\nservice: !!str a\n".to_string(),
            "kind: Incident\nservice: [a]\n".to_string(),
            "kind: Incident\n? service\n: a\n".to_string(),
            "{kind: Incident, service: a}\n".to_string(),
            format!("{base}---\nservice: b\n"),
            format!("{base}affected_services:\n  - [b]\n"),
            format!("{base}affected_services:\n  - {{b: c}}\n"),
            format!("{base}affected_services:\n  - b\n    - c\n"),
            format!("{base}affected_services:\n  - b\n   c\n"),
            format!("{base}affected_services:\n  - b\n - c\n"),
            format!("{base}affected_services: [b, [c]]\n"),
            format!("{base}affected_services:\n  - b\naffected_services:\n  - c\n"),
            format!("{base}affected_services: b\n"),
            "kind: Incident\nid: INC-1\n".to_string(),
            "kind: Incident\n\tservice: a\n".to_string(),
        ] {
            assert_eq!(named_services(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_glance_owns_what_scan_and_named_services_read() {
        let g = Glance::of(&INC.replace("id: INC-0001\n", "id: INC-0001\nservice: web\n"));
        assert_eq!(
            g.scan(),
            scan(&INC.replace("id: INC-0001\n", "id: INC-0001\nservice: web\n"))
        );
        assert_eq!(g.scan().unwrap().id, Some("INC-0001"));
        assert_eq!(g.services, Some(vec!["web".to_string()]));
        assert_eq!(Glance::of("not: a ticket\n"), Glance::default());
    }
}

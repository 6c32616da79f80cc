//! Configuration management (SPEC §1 `ConfigItem`, §4): the repo-wide rules
//! for configuration items that `validate` runs — `depends_on` cycles and
//! expiry (`expires` ahead of `renew_before`). The impact graph lives in
//! [`crate::impact`].
//!
//! Rules here return [`Pointed`] findings (a file and a JSON pointer);
//! `validate` places them on their YAML nodes like its own.

use crate::diag::Code;
use crate::model::{ConfigItem, Date, Id};

/// A finding not yet placed on a line: the JSON pointer of the node it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointed {
    pub code: Code,
    pub file: String,
    pub pointer: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Pointed {
    pub fn new(code: Code, file: &str, pointer: impl Into<String>, message: impl Into<String>) -> Pointed {
        Pointed {
            code,
            file: file.to_string(),
            pointer: pointer.into(),
            message: message.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Pointed {
        self.hint = Some(hint.into());
        self
    }
}

/// Cycles in the configuration items' `depends_on`, each reported once, at
/// the entry that closes it (like service cycles).
pub fn check_cycles(cis: &[(&str, &ConfigItem)]) -> Vec<Pointed> {
    let graph: Vec<(&Id, &[Id])> = cis
        .iter()
        .map(|(_, c)| (&c.id, c.depends_on.as_slice()))
        .collect();
    crate::graph::cycles(&graph)
        .into_iter()
        .map(|cycle| {
            let last = *cycle.nodes.last().expect("a cycle has nodes");
            let ids: Vec<&str> = cycle
                .nodes
                .iter()
                .chain(cycle.nodes.first())
                .map(|&n| cis[n].1.id.as_str())
                .collect();
            Pointed::new(
                Code::ConfigItemCycle,
                cis[last].0,
                format!("/depends_on/{}", cycle.edge),
                format!(
                    "configuration items depend on each other in a cycle: {}",
                    ids.join(" → ")
                ),
            )
            .hint("remove one of these `depends_on` entries")
        })
        .collect()
}

/// Expiry of certificates, licences and contracts as of `today` (in the
/// repo's time zone): a warning from `renew_before` ahead of `expires`, with
/// the days left; an error once the date has passed. An item expires at the
/// end of its `expires` day. Retired items are not checked.
pub fn check_expiry(cis: &[(&str, &ConfigItem)], today: Date) -> Vec<Pointed> {
    let mut out = Vec::new();
    for (path, ci) in cis {
        let Some(expires) = ci.expires else { continue };
        if ci.lifecycle == Some(crate::model::Lifecycle::Retired) {
            continue;
        }
        let days_left = days_between(today, expires);
        let window_days = (ci.renew_window().as_secs() + 86_399) / 86_400;
        if days_left < 0 {
            out.push(
                Pointed::new(
                    Code::Expired,
                    path,
                    "/expires",
                    format!(
                        "{} `{}` expired on {expires} ({} day{} ago)",
                        ci.ci_type,
                        ci.id,
                        -days_left,
                        if days_left == -1 { "" } else { "s" }
                    ),
                )
                .hint("renew it and set the new `expires`, or set `lifecycle: retired`"),
            );
        } else if days_left <= window_days {
            let when = match days_left {
                0 => "today".to_string(),
                1 => "tomorrow, in 1 day".to_string(),
                n => format!("in {n} days"),
            };
            out.push(
                Pointed::new(
                    Code::ExpiresSoon,
                    path,
                    "/expires",
                    format!(
                        "{} `{}` expires on {expires}, {when} (renew_before: {window_days} days)",
                        ci.ci_type, ci.id,
                    ),
                )
                .hint(match expires.0.weekday() {
                    jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday => {
                        format!(
                            "renew it now: it expires on a {:?}, when nobody is watching",
                            expires.0.weekday()
                        )
                    }
                    _ => "renew it and set the new `expires`".to_string(),
                }),
            );
        }
    }
    out
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: Date, b: Date) -> i64 {
    let span = b.0.since(a.0).unwrap_or_default();
    span.get_days() as i64
}

/// The date of `now` in the repo's time zone (`timezone` of the config;
/// UTC when absent or unknown).
pub fn today_in(now: jiff::Timestamp, timezone: Option<&str>) -> Date {
    let tz = timezone
        .and_then(|t| jiff::tz::TimeZone::get(t).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    Date(tz.to_datetime(now).date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci(id: &str, deps: &[&str], expires: Option<&str>) -> ConfigItem {
        ConfigItem {
            api_version: "gitsm/v1".into(),
            kind: "ConfigItem".into(),
            id: id.parse().unwrap(),
            name: id.into(),
            ci_type: crate::model::CiType::Certificate,
            services: vec![],
            depends_on: deps.iter().map(|d| d.parse().unwrap()).collect(),
            owner: None,
            environment: None,
            location: None,
            vendor: None,
            lifecycle: None,
            expires: expires.map(|e| e.parse().unwrap()),
            renew_before: None,
            description: None,
            extra: None,
        }
    }

    #[test]
    fn a_cycle_is_reported_once() {
        let (a, b, c) = (
            ci("a", &["b"], None),
            ci("b", &["c"], None),
            ci("c", &["a"], None),
        );
        let v = vec![("cmdb/a.yaml", &a), ("cmdb/b.yaml", &b), ("cmdb/c.yaml", &c)];
        let out = check_cycles(&v);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].file, "cmdb/c.yaml");
        assert_eq!(out[0].pointer, "/depends_on/0");
        assert_eq!(
            out[0].message,
            "configuration items depend on each other in a cycle: a → b → c → a"
        );
    }

    #[test]
    fn expiry_warns_inside_the_window_and_errors_after() {
        let today: Date = "2026-11-30".parse().unwrap();
        let items = [
            ci("far", &[], Some("2027-06-01")),
            ci("edge", &[], Some("2026-12-30")),
            ci("soon", &[], Some("2026-12-06")),
            ci("today", &[], Some("2026-11-30")),
            ci("gone", &[], Some("2026-11-29")),
        ];
        let v: Vec<_> = items.iter().map(|c| ("cmdb/x.yaml", c)).collect();
        let out = check_expiry(&v, today);
        let got: Vec<(Code, &str)> = out.iter().map(|p| (p.code, p.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    Code::ExpiresSoon,
                    "certificate `edge` expires on 2026-12-30, in 30 days (renew_before: 30 days)"
                ),
                (
                    Code::ExpiresSoon,
                    "certificate `soon` expires on 2026-12-06, in 6 days (renew_before: 30 days)"
                ),
                (
                    Code::ExpiresSoon,
                    "certificate `today` expires on 2026-11-30, today (renew_before: 30 days)"
                ),
                (
                    Code::Expired,
                    "certificate `gone` expired on 2026-11-29 (1 day ago)"
                ),
            ]
        );
    }
}

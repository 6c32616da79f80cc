//! The rules that span records: unique ids, references, the priority
//! matrix, the policy's approvals, overdue reviews, dependency cycles —
//! from every record's [`Facts`] plus the few context records.

use super::*;

/// The rules that span records. `context` holds the non-ticket records
/// (config, services, calendars, SLAs, policies), `facts` every record's
/// facts in path order, `loaded` the loader's findings.
pub(super) fn check_repo(
    facts: &[Facts],
    context: &[&Loaded],
    loaded: &[Finding],
    known: &HashSet<(Kind, String)>,
    now: Option<jiff::Timestamp>,
) -> Vec<Pending> {
    let mut found = Findings::default();
    let config = context.iter().find_map(|l| match &l.record {
        Record::Config(c) if l.path == repo::CONFIG_FILE => Some(c),
        _ => None,
    });
    let matrix = config.and_then(|c| c.priority_matrix.clone()).unwrap_or_default();
    let prefixes = config.map(|c| c.id_prefixes.clone()).unwrap_or_default();
    let digits = config.map(|c| c.id_digits).unwrap_or(4) as usize;

    if config.is_none() && !loaded.iter().any(|f| f.file == repo::CONFIG_FILE) {
        found
            .push(
                Code::NoConfig,
                repo::CONFIG_FILE,
                "",
                false,
                "the repo has no `gitsm.yaml`",
            )
            .hint = Some("run `gitsm init` or add a Config record named gitsm.yaml at the repo root".into());
    }

    let (ids, mut all_ids) = check_ids(&mut found, facts, &prefixes, digits);
    all_ids.extend(known.iter().map(|(_, id)| id.as_str()));
    let services: Vec<(&str, &Service)> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some((l.path.as_str(), s)),
            _ => None,
        })
        .collect();
    let service_ids: Vec<String> = services.iter().map(|(_, s)| s.id.to_string()).collect();

    check_references(&mut found, facts, &ids, &all_ids, known, &service_ids);
    check_priorities(&mut found, facts, &matrix);
    check_cycles(&mut found, &services);
    for p in itil_rules(facts, context, &ids, config, now) {
        push_pointed(&mut found, p);
    }
    check_policy(&mut found, facts, context, loaded, now);
    found.pending
}

/// Ids are unique per kind, and ticket ids well-formed (`PREFIX-0042`).
/// Returns every id by kind, and every id of any kind.
fn check_ids<'a>(
    found: &mut Findings,
    facts: &'a [Facts],
    prefixes: &IdPrefixes,
    digits: usize,
) -> (HashMap<(Kind, &'a str), &'a Facts>, HashSet<&'a str>) {
    let mut ids: HashMap<(Kind, &str), &Facts> = HashMap::with_capacity(facts.len());
    let mut all_ids: HashSet<&str> = HashSet::with_capacity(facts.len());
    for f in facts {
        let id = f.id.as_str();
        all_ids.insert(id);
        if f.kind == Kind::Config {
            continue;
        }
        if let Some(first) = ids.get(&(f.kind, id)) {
            found
                .at(
                    Code::DuplicateId,
                    &f.path,
                    "/id",
                    format!("{} id `{id}` is already used by {}", f.kind.name(), first.path),
                )
                .hint = Some("give this record a new id (`gitsm new` allocates the next free one)".into());
        } else {
            ids.insert((f.kind, id), f);
        }
        if let Some(prefix) = prefixes.for_kind(f.kind) {
            let ok = id
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.len() >= digits && n.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                found
                    .at(
                        Code::MalformedId,
                        &f.path,
                        "/id",
                        format!(
                            "{} id `{id}` does not look like `{prefix}-{}`",
                            f.kind.name(),
                            "0".repeat(digits.max(1))
                        ),
                    )
                    .hint = Some(format!(
                    "ticket ids are `{prefix}-` followed by at least {digits} digits"
                ));
            }
        }
    }
    (ids, all_ids)
}

/// Every id a record names points at a record of the right kind.
fn check_references(
    found: &mut Findings,
    facts: &[Facts],
    ids: &HashMap<(Kind, &str), &Facts>,
    all_ids: &HashSet<&str>,
    known: &HashSet<(Kind, String)>,
    service_ids: &[String],
) {
    let has = |k: Kind, id: &Id| {
        ids.contains_key(&(k, id.as_str())) || known.contains(&(k, id.as_str().to_string()))
    };

    for f in facts {
        for rf in &f.refs {
            let id = &rf.id;
            let ok = match rf.to {
                Target::Service => has(Kind::Service, id),
                Target::Sla => has(Kind::Sla, id),
                Target::Calendar => id.as_str() == "24x7" || has(Kind::Calendar, id),
                Target::Problem => has(Kind::Problem, id),
                Target::Incident => has(Kind::Incident, id),
                Target::CausingChange => has(Kind::Change, id),
                Target::Any => all_ids.contains(id.as_str()),
                Target::ConfigItem => has(Kind::ConfigItem, id),
                Target::Release => has(Kind::Release, id),
                Target::Change => has(Kind::Change, id),
            };
            if ok {
                continue;
            }
            let (code, msg, hint) = match rf.to {
                Target::Service => (
                    Code::UnknownService,
                    format!("unknown service `{id}`"),
                    Some(match crate::schema::did_you_mean(id.as_str(), service_ids) {
                        Some(b) => format!("did you mean `{b}`?"),
                        None => "add it to catalog/ or fix the id".into(),
                    }),
                ),
                Target::Sla => (
                    Code::UnknownSla,
                    format!("unknown SLA `{id}`"),
                    Some("add it under slas/ or fix the id".into()),
                ),
                Target::Calendar => (
                    Code::UnknownCalendar,
                    format!("unknown calendar `{id}`"),
                    Some("add a Calendar record or use the built-in `24x7`".into()),
                ),
                Target::Problem => (Code::UnknownProblem, format!("unknown problem `{id}`"), None),
                Target::Incident => (Code::UnknownIncident, format!("unknown incident `{id}`"), None),
                Target::CausingChange => (
                    Code::UnknownCausingChange,
                    format!("`caused_by` names `{id}`, which is no change"),
                    Some(
                        "name the CHG id of the change that caused the incident, or remove `caused_by`"
                            .into(),
                    ),
                ),
                Target::ConfigItem => (
                    Code::UnknownConfigItem,
                    format!("unknown configuration item `{id}`"),
                    Some("add it under cmdb/ or fix the id".into()),
                ),
                Target::Release => (Code::UnknownRelease, format!("unknown release `{id}`"), None),
                Target::Change => (Code::UnknownChange, format!("unknown change `{id}`"), None),
                Target::Any => (
                    Code::UnknownRelated,
                    format!("`related` names `{id}`, which is no record"),
                    None,
                ),
            };
            found.at(code, &f.path, rf.pointer(), msg).hint = hint;
        }
    }
}

/// An incident's priority agrees with the matrix unless it gives a reason.
fn check_priorities(found: &mut Findings, facts: &[Facts], matrix: &PriorityMatrix) {
    for f in facts {
        let Detail::Incident {
            impact,
            urgency,
            priority: Some(p),
            overridden: false,
        } = f.detail
        else {
            continue;
        };
        let expected = matrix.priority(impact, urgency);
        if p != expected {
            found
                .at(
                    Code::PriorityMismatch,
                    &f.path,
                    "/priority",
                    format!(
                    "priority {p} contradicts the matrix: impact {impact} × urgency {urgency} is {expected}"
                ),
                )
                .hint = Some(format!(
                "set `priority: {expected}`, remove it, or explain with `priority_override_reason:`"
            ));
        }
    }
}

/// Exactly one ChangePolicy; every change matches one of its rules, has the
/// approvals the rule asks for once approved, and (rule 7) its
/// post-implementation review is not overdue.
fn check_policy(
    found: &mut Findings,
    facts: &[Facts],
    context: &[&Loaded],
    loaded: &[Finding],
    now: Option<jiff::Timestamp>,
) {
    let policies: Vec<(&str, &ChangePolicy)> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::ChangePolicy(p) => Some((l.path.as_str(), p)),
            _ => None,
        })
        .collect();
    match policies.len() {
        0 => {
            if !loaded
                .iter()
                .any(|f| crate::model::in_folder(&f.file, Kind::ChangePolicy.folder()))
            {
                // On the file that marks the repo root: a finding needs a
                // file (SARIF, annotations), and `policies/` is a folder.
                found
                    .push(
                        Code::NoPolicy,
                        repo::CONFIG_FILE,
                        "",
                        false,
                        "the repo has no ChangePolicy",
                    )
                    .hint = Some("add policies/default.yaml (`gitsm init` writes one)".into());
            }
        }
        1 => {}
        _ => {
            let first = policies[0].0;
            for (path, _) in &policies[1..] {
                found
                    .at(
                        Code::ExtraPolicy,
                        path,
                        "/kind",
                        format!("a second ChangePolicy; {first} is already one"),
                    )
                    .hint = Some("keep exactly one ChangePolicy: merge the rules into one file".into());
            }
        }
    }
    if let [(_, policy)] = policies[..] {
        for f in facts {
            let Detail::Change {
                change_type,
                risk,
                status,
                approved,
                distinct_approvals,
                no_approvals,
                unreviewed_since,
            } = f.detail
            else {
                continue;
            };
            let Some(rule) = policy.rule_for(change_type, risk) else {
                found
                    .at(
                        Code::NoMatchingRule,
                        &f.path,
                        "/type",
                        format!(
                            "no rule of the ChangePolicy matches a {change_type} change with {risk} risk"
                        ),
                    )
                    .hint = Some("add a rule to the policy (the gate refuses such changes)".into());
                continue;
            };
            if approved && distinct_approvals < rule.approvals {
                let from = rule.from.map(|g| format!(" from {g}")).unwrap_or_default();
                found.at(
                    Code::TooFewApprovals,
                    &f.path,
                    if no_approvals { "/status" } else { "/approvals" },
                    format!(
                        "{change_type} change is `{status}` with {distinct_approvals} approval(s); its policy rule asks for {}{from}",
                        rule.approvals
                    ),
                )
                .hint = Some("approvals are recorded from GitHub reviews by `gitsm gate --record`".into());
            }
            // SPEC §3 rule 7: the post-implementation review is overdue.
            if let (Some(now), Some(done), Some(within)) = (now, unreviewed_since, rule.review_within) {
                let due = done.checked_add(within.to_span()).unwrap_or(done);
                if due < now {
                    found.at(
                        Code::ReviewOverdue,
                        &f.path,
                        "/status",
                        format!(
                            "the post-implementation review of this emergency change was due {} ({within} after it completed)",
                            crate::model::Timestamp(due)
                        ),
                    )
                    .hint = Some("write its `review`; until then the gate denies new normal changes of its requester".into());
                }
            }
        }
    }
}

fn check_cycles(found: &mut Findings, services: &[(&str, &Service)]) {
    let graph: Vec<(&Id, &[Id])> = services
        .iter()
        .map(|(_, s)| (&s.id, s.depends_on.as_slice()))
        .collect();
    for cycle in crate::graph::cycles(&graph) {
        let last = *cycle.nodes.last().expect("a cycle has nodes");
        let ids: Vec<&str> = cycle
            .nodes
            .iter()
            .chain(cycle.nodes.first())
            .map(|&n| services[n].1.id.as_str())
            .collect();
        found
            .at(
                Code::DependencyCycle,
                services[last].0,
                format!("/depends_on/{}", cycle.edge),
                format!("services depend on each other in a cycle: {}", ids.join(" → ")),
            )
            .hint = Some("remove one of these `depends_on` entries".into());
    }
}

/// The rules of configuration items, releases and the request catalog
/// (SPEC §1), whose logic lives in [`crate::cmdb`], [`crate::release`] and
/// [`crate::forms`].
fn itil_rules(
    facts: &[Facts],
    context: &[&Loaded],
    ids: &HashMap<(Kind, &str), &Facts>,
    config: Option<&Config>,
    now: Option<jiff::Timestamp>,
) -> Vec<crate::cmdb::Pointed> {
    let cis: Vec<(&str, &ConfigItem)> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::ConfigItem(c) => Some((l.path.as_str(), c)),
            _ => None,
        })
        .collect();
    let mut out = crate::cmdb::check_cycles(&cis);
    if let Some(now) = now {
        let today = crate::cmdb::today_in(now, config.and_then(|c| c.timezone.as_deref()));
        out.extend(crate::cmdb::check_expiry(&cis, today));
    }
    // Releases and changes name each other: `changes` and `release`.
    let links: Vec<crate::release::Link> = facts
        .iter()
        .flat_map(|f| {
            f.refs
                .iter()
                .filter(|rf| matches!(rf.to, Target::Change | Target::Release))
                .map(move |rf| crate::release::Link {
                    file: &f.path,
                    from: f.id.as_str(),
                    from_release: f.kind == Kind::Release,
                    pointer: rf.pointer(),
                    to: rf.id.as_str(),
                })
        })
        .collect();
    let exists = |k: Kind, id: &str| ids.contains_key(&(k, id));
    out.extend(crate::release::check_links(&links, &exists));
    let types: HashMap<&str, &RequestType> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::RequestType(t) => Some((t.id.as_str(), t)),
            _ => None,
        })
        .collect();
    let owners: HashMap<&str, &str> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::Service(s) => Some((s.id.as_str(), s.owner.as_str())),
            _ => None,
        })
        .collect();
    let cab: Vec<&str> = context
        .iter()
        .filter_map(|l| match &l.record {
            Record::ChangePolicy(p) => Some(p.cab.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect();
    let groups = crate::forms::Approvers {
        owners: &owners,
        cab: &cab,
    };
    for f in facts {
        if let Detail::Request(q) = &f.detail {
            out.extend(crate::forms::check_request(&f.path, q, &types, &groups));
        }
    }
    out
}

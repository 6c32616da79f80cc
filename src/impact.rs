//! `gitsm impact ID`: what breaks when a service or a configuration item
//! breaks (SPEC §4). The graph's edges run from what is depended on to what
//! depends on it:
//! - a CI `a` with `depends_on: [b]`: `b → a`;
//! - a CI `a` with `services: [s]`: `a → s`;
//! - a service `s` with `depends_on: [t]`: `t → s`.
//!
//! Everything reachable from the item is downstream, at the depth of its
//! shortest path; cycles are walked once. The open incidents, problems and
//! changes that name any of these, and the change and release windows still
//! to come, complete the answer. The status page asks the same graph which
//! services an incident on a CI affects ([`status_services`]).

use crate::model::{Change, ChangeStatus, Id, Incident, Problem, Record, Release, ReleaseStatus, Timestamp};
use crate::repo::Loaded;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Whether a node is a service or a configuration item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Service,
    ConfigItem,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Service => "service",
            NodeKind::ConfigItem => "config_item",
        }
    }
}

/// A service or CI, by kind and id (the two may share an id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NodeRef {
    pub kind: NodeKind,
    pub id: String,
}

/// One item in the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    pub id: String,
    pub name: String,
    /// 0 for the item asked about, else the length of the shortest path to it.
    pub depth: usize,
    /// The node one step closer to the item asked about (`None` for it).
    pub via: Option<NodeRef>,
    /// `type` of a CI (`database`, `certificate`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_type: Option<String>,
    /// Shown on the status page (services only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

/// An open ticket that names an impacted node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub id: String,
    pub title: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// The impacted nodes it names, sorted.
    pub names: Vec<NodeRef>,
}

/// A change or release window that has not ended yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpcomingWindow {
    /// `change` or `release`.
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub status: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Customer-visible maintenance (changes only).
    pub maintenance: bool,
    pub names: Vec<NodeRef>,
}

/// The whole answer of `gitsm impact`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub root: Node,
    /// Downstream nodes by depth, then kind, then id.
    pub downstream: Vec<Node>,
    /// Edges among the root and its downstream nodes (upstream → downstream).
    pub edges: Vec<(NodeRef, NodeRef)>,
    pub incidents: Vec<Ticket>,
    pub problems: Vec<Ticket>,
    pub changes: Vec<Ticket>,
    pub windows: Vec<UpcomingWindow>,
}

/// Why an id could not be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    NotFound { id: String, suggestion: Option<String> },
    Ambiguous { id: String },
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::NotFound { id, suggestion } => {
                write!(f, "`{id}` is neither a service nor a configuration item")?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                }
                Ok(())
            }
            LookupError::Ambiguous { id } => write!(
                f,
                "`{id}` is both a service and a configuration item; write `service:{id}` or `ci:{id}`"
            ),
        }
    }
}

impl std::error::Error for LookupError {}

struct Info {
    name: String,
    ci_type: Option<String>,
    public: bool,
}

/// The service/CI graph of a repo.
pub struct Graph {
    nodes: HashMap<NodeRef, Info>,
    /// Upstream → downstream, each list sorted.
    out: HashMap<NodeRef, Vec<NodeRef>>,
}

fn svc(id: &Id) -> NodeRef {
    NodeRef {
        kind: NodeKind::Service,
        id: id.to_string(),
    }
}
fn ci(id: &Id) -> NodeRef {
    NodeRef {
        kind: NodeKind::ConfigItem,
        id: id.to_string(),
    }
}

impl Graph {
    pub fn build(records: &[Loaded]) -> Graph {
        let mut nodes = HashMap::new();
        let mut out: HashMap<NodeRef, Vec<NodeRef>> = HashMap::new();
        for l in records {
            match &l.record {
                Record::Service(s) => {
                    nodes.insert(
                        svc(&s.id),
                        Info {
                            name: s.name.clone(),
                            ci_type: None,
                            public: s.public,
                        },
                    );
                    for d in &s.depends_on {
                        out.entry(svc(d)).or_default().push(svc(&s.id));
                    }
                }
                Record::ConfigItem(c) => {
                    nodes.insert(
                        ci(&c.id),
                        Info {
                            name: c.name.clone(),
                            ci_type: Some(c.ci_type.to_string()),
                            public: false,
                        },
                    );
                    for d in &c.depends_on {
                        out.entry(ci(d)).or_default().push(ci(&c.id));
                    }
                    for s in &c.services {
                        out.entry(ci(&c.id)).or_default().push(svc(s));
                    }
                }
                _ => {}
            }
        }
        for v in out.values_mut() {
            v.sort();
            v.dedup();
        }
        Graph { nodes, out }
    }

    /// Finds `ID`, `service:ID` or `ci:ID`.
    pub fn lookup(&self, query: &str) -> Result<NodeRef, LookupError> {
        let (kinds, id): (&[NodeKind], &str) = if let Some(id) = query.strip_prefix("service:") {
            (&[NodeKind::Service], id)
        } else if let Some(id) = query.strip_prefix("ci:") {
            (&[NodeKind::ConfigItem], id)
        } else {
            (&[NodeKind::Service, NodeKind::ConfigItem], query)
        };
        let found: Vec<NodeRef> = kinds
            .iter()
            .map(|k| NodeRef {
                kind: *k,
                id: id.to_string(),
            })
            .filter(|n| self.nodes.contains_key(n))
            .collect();
        match found.len() {
            1 => Ok(found.into_iter().next().expect("one")),
            0 => {
                let names: Vec<String> = self.nodes.keys().map(|n| n.id.clone()).collect();
                Err(LookupError::NotFound {
                    id: id.to_string(),
                    suggestion: crate::schema::did_you_mean(id, &names),
                })
            }
            _ => Err(LookupError::Ambiguous { id: id.to_string() }),
        }
    }

    /// Every node reachable from `from`, with its depth and the node it was
    /// reached through (breadth first: shortest paths; cycles walked once).
    pub fn downstream(&self, from: &NodeRef) -> Vec<(NodeRef, usize, Option<NodeRef>)> {
        let mut seen: HashMap<NodeRef, (usize, Option<NodeRef>)> = HashMap::new();
        seen.insert(from.clone(), (0, None));
        let mut queue = VecDeque::from([from.clone()]);
        let mut order = Vec::new();
        while let Some(n) = queue.pop_front() {
            let depth = seen[&n].0;
            for next in self.out.get(&n).into_iter().flatten() {
                if seen.contains_key(next) {
                    continue;
                }
                seen.insert(next.clone(), (depth + 1, Some(n.clone())));
                order.push(next.clone());
                queue.push_back(next.clone());
            }
        }
        let mut v: Vec<(NodeRef, usize, Option<NodeRef>)> = order
            .into_iter()
            .map(|n| {
                let (d, via) = seen.remove(&n).expect("seen");
                (n, d, via)
            })
            .collect();
        v.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        v
    }

    fn node(&self, r: &NodeRef, depth: usize, via: Option<NodeRef>) -> Node {
        let info = self.nodes.get(r);
        Node {
            kind: r.kind,
            id: r.id.clone(),
            name: info.map(|i| i.name.clone()).unwrap_or_else(|| r.id.clone()),
            depth,
            via,
            ci_type: info.and_then(|i| i.ci_type.clone()),
            public: info.is_some_and(|i| i.public),
        }
    }
}

/// The impact of `query` (a service or CI id) as of `now`, on records
/// already cut to `now`.
pub fn impact(records: &[Loaded], query: &str, now: jiff::Timestamp) -> Result<Impact, LookupError> {
    let graph = Graph::build(records);
    let root_ref = graph.lookup(query)?;
    let down = graph.downstream(&root_ref);
    let root = graph.node(&root_ref, 0, None);
    let downstream: Vec<Node> = down
        .iter()
        .map(|(r, d, via)| graph.node(r, *d, via.clone()))
        .collect();
    let mut set: BTreeSet<NodeRef> = down.iter().map(|(r, _, _)| r.clone()).collect();
    set.insert(root_ref.clone());
    let edges = edges_within(&graph, &set, &root_ref, &down);
    let mut touched = Touched {
        set: &set,
        now,
        incidents: Vec::new(),
        problems: Vec::new(),
        changes: Vec::new(),
        windows: Vec::new(),
    };
    for l in records {
        match &l.record {
            Record::Incident(i) if crate::workflow::is_open(i.status.as_str()) => touched.incident(i),
            Record::Problem(p) if crate::workflow::is_open(p.status.as_str()) => touched.problem(p),
            Record::Change(c) => touched.change(c),
            Record::Release(r) => touched.release(r),
            _ => {}
        }
    }
    let Touched {
        mut incidents,
        mut problems,
        mut changes,
        mut windows,
        ..
    } = touched;
    prioritise_by_repo_matrix(records, &mut incidents);
    incidents.sort_by(|a, b| (&a.priority, &a.id).cmp(&(&b.priority, &b.id)));
    problems.sort_by(|a, b| a.id.cmp(&b.id));
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    windows.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    Ok(Impact {
        root,
        downstream,
        edges,
        incidents,
        problems,
        changes,
        windows,
    })
}

/// The graph's edges between impacted nodes, in the order of the answer: by
/// the depth of their upper end.
fn edges_within(
    graph: &Graph,
    set: &BTreeSet<NodeRef>,
    root_ref: &NodeRef,
    down: &[(NodeRef, usize, Option<NodeRef>)],
) -> Vec<(NodeRef, NodeRef)> {
    let mut edges = Vec::new();
    let order: HashMap<&NodeRef, usize> = std::iter::once(root_ref)
        .chain(down.iter().map(|(r, _, _)| r))
        .enumerate()
        .map(|(i, r)| (r, i))
        .collect();
    for from in set {
        for to in graph.out.get(from).into_iter().flatten() {
            if set.contains(to) {
                edges.push((from.clone(), to.clone()));
            }
        }
    }
    edges.sort_by_key(|(a, b)| (order.get(a).copied(), order.get(b).copied()));
    edges
}

/// The open tickets and upcoming windows that name an impacted node.
struct Touched<'a> {
    set: &'a BTreeSet<NodeRef>,
    now: jiff::Timestamp,
    incidents: Vec<Ticket>,
    problems: Vec<Ticket>,
    changes: Vec<Ticket>,
    windows: Vec<UpcomingWindow>,
}

impl Touched<'_> {
    /// Which impacted nodes a record names.
    fn names<'i>(&self, services: impl Iterator<Item = &'i Id>, cis: &[Id]) -> Vec<NodeRef> {
        let mut v: Vec<NodeRef> = services
            .map(svc)
            .chain(cis.iter().map(ci))
            .filter(|n| self.set.contains(n))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn incident(&mut self, i: &Incident) {
        let n = self.names(i.affected().iter().chain([&i.service]), &i.config_items);
        if !n.is_empty() {
            self.incidents.push(Ticket {
                id: i.id.to_string(),
                title: i.title.clone(),
                status: i.status.to_string(),
                priority: Some(i.effective_priority(&Default::default()).to_string()),
                names: n,
            });
        }
    }

    fn problem(&mut self, p: &Problem) {
        let n = self.names(p.services.iter(), &p.config_items);
        if !n.is_empty() {
            self.problems.push(Ticket {
                id: p.id.to_string(),
                title: p.title.clone(),
                status: p.status.to_string(),
                priority: None,
                names: n,
            });
        }
    }

    fn change(&mut self, c: &Change) {
        let n = self.names(c.services.iter(), &c.config_items);
        if n.is_empty() {
            return;
        }
        if crate::workflow::is_open(c.status.as_str()) {
            self.changes.push(Ticket {
                id: c.id.to_string(),
                title: c.title.clone(),
                status: c.status.to_string(),
                priority: None,
                names: n.clone(),
            });
        }
        let live = !matches!(
            c.status,
            ChangeStatus::Cancelled | ChangeStatus::Rejected | ChangeStatus::Closed
        );
        if let Some(w) = c.window.as_ref().filter(|w| live && w.end.as_jiff() > self.now) {
            self.windows.push(UpcomingWindow {
                kind: "change",
                id: c.id.to_string(),
                title: c.title.clone(),
                status: c.status.to_string(),
                start: w.start,
                end: w.end,
                maintenance: c.maintenance,
                names: n,
            });
        }
    }

    fn release(&mut self, r: &Release) {
        let n = self.names(r.services.iter(), &[]);
        let live = !matches!(r.status, ReleaseStatus::Cancelled | ReleaseStatus::Closed);
        if let Some(w) = r
            .window
            .as_ref()
            .filter(|w| live && !n.is_empty() && w.end.as_jiff() > self.now)
        {
            self.windows.push(UpcomingWindow {
                kind: "release",
                id: r.id.to_string(),
                title: r.title.clone(),
                status: r.status.to_string(),
                start: w.start,
                end: w.end,
                maintenance: false,
                names: n,
            });
        }
    }
}

/// Incident priorities from the repo's own matrix, when it has one (the
/// default matrix gave the first ones).
fn prioritise_by_repo_matrix(records: &[Loaded], incidents: &mut [Ticket]) {
    let Some(m) = records.iter().find_map(|l| match &l.record {
        Record::Config(c) => c.priority_matrix.clone(),
        _ => None,
    }) else {
        return;
    };
    for t in incidents {
        if let Some(Record::Incident(i)) = records
            .iter()
            .map(|l| &l.record)
            .find(|r| matches!(r, Record::Incident(i) if i.id.as_str() == t.id))
        {
            t.priority = Some(i.effective_priority(&m).to_string());
        }
    }
}

/// The services an incident affects on the status page: its own
/// (`affected_services`, default `[service]`) plus every service downstream
/// of the configuration items it names. `graph` is asked for only when the
/// incident names a CI, so a caller looping over many incidents builds the
/// graph once, and only if some incident needs it (building it per incident
/// made the status page quadratic in the repo's size).
pub fn status_services<'g>(inc: &Incident, graph: impl FnOnce() -> &'g Graph) -> Vec<Id> {
    let mut v = inc.affected();
    if inc.config_items.is_empty() {
        return v;
    }
    let graph = graph();
    for c in &inc.config_items {
        for (n, _, _) in graph.downstream(&ci(c)) {
            if n.kind == NodeKind::Service {
                if let Ok(id) = n.id.parse::<Id>() {
                    if !v.contains(&id) {
                        v.push(id);
                    }
                }
            }
        }
    }
    v
}

/// The human rendering: what is affected, then the tickets and windows.
pub fn render_human(i: &Impact) -> String {
    use std::fmt::Write as _;
    let label = |n: &Node| match &n.ci_type {
        Some(t) => format!("{t} {}", n.id),
        None => format!("service {}", n.id),
    };
    let mut s = String::new();
    let _ = writeln!(s, "Impact of {} ({})", label(&i.root), clean(&i.root.name));
    if i.downstream.is_empty() {
        let _ = writeln!(s, "\nNothing depends on it.");
    } else {
        let _ = writeln!(s, "\nDownstream ({}, by depth):", i.downstream.len());
        for n in &i.downstream {
            let via = n
                .via
                .as_ref()
                .map(|v| format!("  via {}", v.id))
                .unwrap_or_default();
            let public = if n.public { "  [public]" } else { "" };
            let _ = writeln!(
                s,
                "  {:>2}  {} ({}){public}{via}",
                n.depth,
                label(n),
                clean(&n.name)
            );
        }
    }
    let tickets = |s: &mut String, head: &str, list: &[Ticket]| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(s, "\n{head} ({}):", list.len());
        for t in list {
            let p = t.priority.as_deref().map(|p| format!("{p} ")).unwrap_or_default();
            let names: Vec<&str> = t.names.iter().map(|n| n.id.as_str()).collect();
            let _ = writeln!(
                s,
                "  {} {p}{}  {}  [{}]",
                t.id,
                t.status,
                clean(&t.title),
                names.join(", ")
            );
        }
    };
    tickets(&mut s, "Open incidents", &i.incidents);
    tickets(&mut s, "Open problems", &i.problems);
    tickets(&mut s, "Open changes", &i.changes);
    if !i.windows.is_empty() {
        let _ = writeln!(s, "\nUpcoming windows ({}):", i.windows.len());
        for w in &i.windows {
            let m = if w.maintenance { " maintenance" } else { "" };
            let _ = writeln!(
                s,
                "  {} → {}  {} {}{m}  {}",
                w.start,
                w.end,
                w.kind,
                w.id,
                clean(&w.title)
            );
        }
    }
    s
}

/// Record text on a terminal: no control characters.
fn clean(s: &str) -> String {
    crate::diag::terminal_safe(s).into_owned()
}

/// A Mermaid flowchart (renders in GitHub markdown). Node ids are generated,
/// labels escaped, so no record text can break out of its label.
pub fn render_mermaid(i: &Impact) -> String {
    use std::fmt::Write as _;
    let mut all: Vec<&Node> = vec![&i.root];
    all.extend(i.downstream.iter());
    let key = |k: NodeKind, id: &str| (k, id.to_string());
    let index: HashMap<(NodeKind, String), usize> = all
        .iter()
        .enumerate()
        .map(|(n, x)| (key(x.kind, &x.id), n))
        .collect();
    let mut s = String::from("flowchart TD\n");
    for (n, x) in all.iter().enumerate() {
        let kind = x.ci_type.as_deref().unwrap_or("service");
        let text = mermaid_text(&format!("{} ({kind}: {})", x.name, x.id));
        // Services are rounded, CIs square.
        let (open, close) = if x.kind == NodeKind::Service {
            ("(\"", "\")")
        } else {
            ("[\"", "\"]")
        };
        let _ = writeln!(s, "  n{n}{open}{text}{close}");
    }
    for (a, b) in &i.edges {
        if let (Some(x), Some(y)) = (index.get(&key(a.kind, &a.id)), index.get(&key(b.kind, &b.id))) {
            let _ = writeln!(s, "  n{x} --> n{y}");
        }
    }
    let _ = writeln!(s, "  classDef root stroke-width:3px");
    let _ = writeln!(s, "  class n0 root");
    if !i.incidents.is_empty() {
        let hit: BTreeSet<usize> = i
            .incidents
            .iter()
            .flat_map(|t| t.names.iter())
            .filter_map(|n| index.get(&key(n.kind, &n.id)).copied())
            .collect();
        let list: Vec<String> = hit.iter().map(|n| format!("n{n}")).collect();
        if !list.is_empty() {
            let _ = writeln!(s, "  classDef incident fill:#fdd,stroke:#c00");
            let _ = writeln!(s, "  class {} incident", list.join(","));
        }
    }
    s
}

/// Text inside a quoted Mermaid label: entity codes for everything that
/// could end the label or be read as markup.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

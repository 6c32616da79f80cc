use super::common::{event_time, print_findings, resolve_by, shown, Format};
use super::{Exit, Failure, Globals};
use clap::ValueEnum;
use gitsm::authoring::{self, CreateError, Created, Mode, NewTicket};
use gitsm::model::Kind;
use gitsm::repo;
use serde_json::{json, Map, Value as Json};
use std::path::PathBuf;

/// Create a ticket with the next free id
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Create an incident, problem, service request or change with the next free id \
(the highest id in HEAD or the work tree, plus one), in its conventional folder. The record is \
validated before it is written; its timeline starts with a creation event.",
    after_help = "Examples:\n  \
gitsm new incident --title \"Checkout returns 502\" --service checkout --impact high --urgency high\n  \
gitsm new change --title \"Scale checkout to 8 pods\" --service checkout --type standard --risk low\n  \
gitsm new change --title \"Upgrade Postgres\" --service payments --type normal --risk medium \\\n      \
--field plan=\"Run the upgrade playbook\" --field rollback_plan=\"Restore the snapshot\"\n  \
gitsm new request --title \"VPN access for Dana\" --service vpn --format json"
)]
pub struct Args {
    /// What to create
    #[arg(value_enum)]
    kind: NewKind,
    /// One-line summary
    #[arg(long)]
    title: String,
    /// Service id (repeat for problems and changes that touch several services)
    #[arg(long = "service", value_name = "ID")]
    services: Vec<String>,
    /// Incident impact
    #[arg(long, value_parser = ["high", "medium", "low"])]
    impact: Option<String>,
    /// Incident urgency
    #[arg(long, value_parser = ["high", "medium", "low"])]
    urgency: Option<String>,
    /// Change type
    #[arg(long = "type", value_name = "TYPE", value_parser = ["standard", "normal", "emergency"])]
    change_type: Option<String>,
    /// Change risk
    #[arg(long, value_parser = ["low", "medium", "high"])]
    risk: Option<String>,
    /// Who is working on an incident
    #[arg(long, value_name = "LOGIN")]
    assignee: Option<String>,
    /// Who asked for a request or change (default: --by)
    #[arg(long, value_name = "LOGIN")]
    requested_by: Option<String>,
    /// Any other field: VALUE is text, or a number, `true`/`false`, `[a, b]` or `{k: v}`; a dotted KEY (window.start) nests
    #[arg(long = "field", value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// A note on the creation event
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Who creates it (default: git config github.user, else user.name, else $USER)
    #[arg(long, value_name = "LOGIN")]
    by: Option<String>,
    /// When it was created (default: --now or the current time)
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Print the file instead of writing it
    #[arg(long)]
    dry_run: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum NewKind {
    Incident,
    Problem,
    Request,
    Change,
}

impl NewKind {
    fn kind(self) -> Kind {
        match self {
            NewKind::Incident => Kind::Incident,
            NewKind::Problem => Kind::Problem,
            NewKind::Request => Kind::Request,
            NewKind::Change => Kind::Change,
        }
    }
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let kind = a.kind.kind();
    let by = resolve_by(a.by.clone(), &root)?;
    let at = event_time(g, a.at.clone(), &root)?;
    let fields = fields(&a, kind)?;
    let ticket = NewTicket {
        kind,
        fields,
        by,
        at,
        note: a.note.clone(),
    };
    let mode = if a.dry_run { Mode::DryRun } else { Mode::Write };
    let created = match authoring::create(&root, &ticket, mode) {
        Ok(c) => c,
        Err(e) => {
            match &e {
                CreateError::Config { findings } if !findings.is_empty() => {
                    let text = super::common::quoted_source(&root, repo::CONFIG_FILE);
                    print_findings(findings, repo::CONFIG_FILE, &text, g.color);
                }
                CreateError::Invalid {
                    path, text, findings, ..
                } => print_findings(findings, path, text, g.color),
                _ => {}
            }
            return Err(match e {
                CreateError::Other(e) => Failure::from(e),
                e => Failure::io(&e, e.is_refusal()),
            });
        }
    };
    if a.dry_run {
        print!("{}", created.text);
        return Ok(Exit::Success);
    }
    let Created { id, path: rel, .. } = created;
    let path: PathBuf = root.join(&rel);
    match a.format {
        Format::Human => {
            println!("created {id} {}", shown(&path));
            let initial = gitsm::workflow::initial(kind).unwrap_or_default();
            eprintln!(
                "next: gitsm transition {id} <status>   (legal: {})",
                gitsm::workflow::legal_moves(kind, &[initial]).join(", ")
            );
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"id": id, "kind": kind.name(), "path": rel, "file": path}))?
        ),
    }
    Ok(Exit::Success)
}

/// The record's own fields from the flags: each flag where its kind has it,
/// then `--field KEY=VALUE`. A flag that does not apply is a usage error.
fn fields(a: &Args, kind: Kind) -> Result<Map<String, Json>, Failure> {
    let mut f = Map::new();
    f.insert("title".into(), json!(a.title));
    if a.services.len() > 1 && matches!(kind, Kind::Incident | Kind::Request) {
        usage!("a {} has one --service", kind.name().to_lowercase());
    }
    match kind {
        Kind::Incident | Kind::Request => {
            if let Some(s) = a.services.first() {
                f.insert("service".into(), json!(s));
            }
        }
        _ => {
            if !a.services.is_empty() {
                f.insert("services".into(), json!(a.services));
            }
        }
    }
    let flags = [
        ("impact", &a.impact),
        ("urgency", &a.urgency),
        ("assignee", &a.assignee),
        ("type", &a.change_type),
        ("risk", &a.risk),
        ("requested_by", &a.requested_by),
    ];
    for (k, v) in flags {
        if let Some(v) = v {
            f.insert(k.into(), json!(v));
        }
    }
    let misplaced: Vec<&str> = [
        ("--impact", a.impact.is_some() && kind != Kind::Incident),
        ("--urgency", a.urgency.is_some() && kind != Kind::Incident),
        ("--assignee", a.assignee.is_some() && kind != Kind::Incident),
        ("--type", a.change_type.is_some() && kind != Kind::Change),
        ("--risk", a.risk.is_some() && kind != Kind::Change),
        (
            "--requested-by",
            a.requested_by.is_some() && !matches!(kind, Kind::Change | Kind::Request),
        ),
    ]
    .into_iter()
    .filter(|(_, bad)| *bad)
    .map(|(n, _)| n)
    .collect();
    if !misplaced.is_empty() {
        usage!(
            "{} do(es) not apply to a {}; use --field KEY=VALUE for other fields",
            misplaced.join(", "),
            kind.name()
        );
    }
    for spec in &a.fields {
        let (path, value) =
            authoring::parse_field(spec).map_err(|e| Failure::usage(format!("--field {e}")))?;
        if matches!(
            path[0].as_str(),
            "id" | "apiVersion" | "kind" | "timeline" | "status"
        ) {
            usage!("--field {}: gitsm new sets `{}` itself", spec, path[0]);
        }
        authoring::set_path(&mut f, &path, value);
    }
    Ok(f)
}

use super::common::{errors_in, event_time, lock, print_findings, resolve_by, shown, Format};
use super::{Globals, ERROR, FOUND, OK};
use clap::ValueEnum;
use gitsm::author;
use gitsm::model::{Kind, API_VERSION};
use gitsm::repo::{self, WorkTree};
use serde_json::{json, Map, Value as J};
use std::path::{Path, PathBuf};

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

/// Where the editor schema line points: the nearest `schemas/` folder at or
/// above the repo root that holds the kind's schema, else `../schemas/`.
fn schema_ref(root: &Path, kind: Kind) -> String {
    let file = kind.schema_file();
    let mut up = 1;
    let mut dir = std::fs::canonicalize(root).ok();
    while let Some(d) = dir {
        if d.join("schemas").join(&file).is_file() {
            return format!("{}schemas/{file}", "../".repeat(up));
        }
        up += 1;
        dir = d.parent().map(Path::to_path_buf);
        if up > 16 {
            break;
        }
    }
    format!("../schemas/{file}")
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let root = g.root()?;
    let kind = a.kind.kind();
    let by = resolve_by(a.by.clone(), &root)?;
    let at = event_time(g, a.at.clone(), &root)?;
    let initial = gitsm::workflow::initial(kind).expect("tickets have a workflow");

    let mut f = Map::new();
    f.insert("apiVersion".into(), json!(API_VERSION));
    f.insert("kind".into(), json!(kind.name()));
    f.insert("title".into(), json!(a.title));
    f.insert("status".into(), json!(initial));
    let only_one = |what: &str| -> anyhow::Result<()> {
        if a.services.len() > 1 {
            anyhow::bail!("a {what} has one --service");
        }
        Ok(())
    };
    match kind {
        Kind::Incident => {
            only_one("incident")?;
            if let Some(s) = a.services.first() {
                f.insert("service".into(), json!(s));
            }
            for (k, v) in [("impact", &a.impact), ("urgency", &a.urgency)] {
                if let Some(v) = v {
                    f.insert(k.into(), json!(v));
                }
            }
            f.insert("reported_at".into(), json!(at));
            f.insert("reported_by".into(), json!(by));
            if let Some(x) = &a.assignee {
                f.insert("assignee".into(), json!(x));
            }
        }
        Kind::Request => {
            only_one("request")?;
            if let Some(s) = a.services.first() {
                f.insert("service".into(), json!(s));
            }
            f.insert(
                "requested_by".into(),
                json!(a.requested_by.as_ref().unwrap_or(&by)),
            );
        }
        Kind::Problem => {
            if !a.services.is_empty() {
                f.insert("services".into(), json!(a.services));
            }
        }
        Kind::Change => {
            if !a.services.is_empty() {
                f.insert("services".into(), json!(a.services));
            }
            for (k, v) in [("type", &a.change_type), ("risk", &a.risk)] {
                if let Some(v) = v {
                    f.insert(k.into(), json!(v));
                }
            }
            f.insert(
                "requested_by".into(),
                json!(a.requested_by.as_ref().unwrap_or(&by)),
            );
        }
        _ => unreachable!("only ticket kinds"),
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
        anyhow::bail!(
            "{} do(es) not apply to a {}; use --field KEY=VALUE for other fields",
            misplaced.join(", "),
            kind.name()
        );
    }
    for spec in &a.fields {
        let (path, value) = author::parse_field(spec).map_err(|e| anyhow::anyhow!("--field {e}"))?;
        if matches!(
            path[0].as_str(),
            "id" | "apiVersion" | "kind" | "timeline" | "status"
        ) {
            anyhow::bail!("--field {}: gitsm new sets `{}` itself", spec, path[0]);
        }
        author::set_path(&mut f, &path, value);
    }
    let mut event = Map::new();
    event.insert("at".into(), json!(at));
    event.insert("by".into(), json!(by));
    event.insert("status".into(), json!(initial));
    if let Some(n) = &a.note {
        event.insert("note".into(), json!(n));
    }
    f.insert("timeline".into(), J::Array(vec![J::Object(event)]));

    // From here to the write, no other `new` may allocate.
    let _lock = lock(&root)?;
    let source = WorkTree::new(&root);
    let snap = repo::load(&source)?;
    // Ids come from the config: guessing default prefixes for a config that
    // does not load would allocate ids the repo does not use.
    let Some((prefixes, digits)) = snap.config().map(|c| (c.id_prefixes.clone(), c.id_digits)) else {
        let errors = errors_in(&snap.findings, repo::CONFIG_FILE);
        if !errors.is_empty() {
            let text = super::common::quoted_source(&root, repo::CONFIG_FILE);
            print_findings(&errors, repo::CONFIG_FILE, &text, g.color);
        }
        eprintln!(
            "error: {} does not load, so the id prefixes are unknown; fix it first (gitsm validate)",
            repo::CONFIG_FILE
        );
        return Ok(FOUND);
    };
    let prefix = author::prefix_for(&prefixes, kind).to_string();
    // One definition of the ids in use, shared with `gitsm intake`.
    let taken = gitsm::intake::taken_ids(&root, kind, &snap);
    let id = author::next_id(&prefix, digits, taken.iter().map(String::as_str));
    f.insert("id".into(), json!(id));
    let rel = format!("{}/{id}.yaml", kind.folder());
    let text = match author::render_new(kind, &schema_ref(&root, kind), &f) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {id} was not written: {e}");
            return Ok(ERROR);
        }
    };

    let overlay = author::Overlay {
        base: &source,
        path: rel.clone(),
        bytes: text.clone().into_bytes(),
    };
    let v = gitsm::validate::validate(&overlay)?;
    let errors = errors_in(&v.findings, &rel);
    if !errors.is_empty() {
        print_findings(&errors, &rel, &text, g.color);
        eprintln!(
            "error: {id} was not written: the record would not validate (set fields with the flags or --field KEY=VALUE)"
        );
        return Ok(FOUND);
    }
    let path: PathBuf = root.join(&rel);
    if a.dry_run {
        print!("{text}");
        return Ok(OK);
    }
    if let Err(e) = gitsm::fsutil::write_in_repo(&root, &rel, text.as_bytes(), gitsm::fsutil::Replace::Never)
    {
        eprintln!("error: {id} was not written: {e}");
        return Ok(if e.is_refusal() { FOUND } else { ERROR });
    }
    match a.format {
        Format::Human => {
            println!("created {id} {}", shown(&path));
            eprintln!("next: gitsm transition {id} <status>   (legal: {})", {
                let h = [initial];
                gitsm::workflow::legal_moves(kind, &h).join(", ")
            });
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"id": id, "kind": kind.name(), "path": rel, "file": path}))?
        ),
    }
    Ok(OK)
}

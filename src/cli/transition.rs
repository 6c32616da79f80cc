use super::common::{event_time, print_findings, resolve_by, shown, Format};
use super::{Exit, Failure, Globals};
use gitsm::authoring::{self, errors_in, lock, Move, Ticket};
use gitsm::repo::{self, Loaded, WorkTree};
use gitsm::validate::Validation;
use serde_json::{json, Value as Json};
use std::path::Path;

/// Move a ticket to a new status and record it on the timeline
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Move a ticket to a new status: appends a timeline event and updates `status` \
in place. Comments, key order, quoting and layout stay as they were; only the changed lines \
differ. An illegal move is refused (exit 1) with the list of legal ones, and so is a file that \
does not validate. The file is written atomically: on any error it stays exactly as it was.",
    after_help = "Examples:\n  \
gitsm transition INC-0042 acknowledged\n  \
gitsm transition INC-0042 resolved --note \"Rolled back release 2026.11.3\" --public \\\n      \
--resolution \"Bad config in release 2026.11.3; rolled back.\"\n  \
gitsm transition CHG-0007 completed --outcome successful\n  \
gitsm transition CHG-0007 closed --review \"Went to plan.\" --by carol --at 2026-11-21T09:00:00Z"
)]
pub struct Args {
    /// The ticket id, e.g. INC-0042
    id: String,
    /// The status to move to (an illegal move is refused with the legal ones)
    status: String,
    /// A note on the timeline event
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Show the note on the public status page
    #[arg(long)]
    public: bool,
    /// Who makes the move (default: git config github.user, else user.name, else $USER)
    #[arg(long, value_name = "LOGIN")]
    by: Option<String>,
    /// When it happened (default: --now or the current time); not before the last event
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Set a change's outcome (needed to complete it)
    #[arg(long, value_parser = ["successful", "failed", "rolled_back"])]
    outcome: Option<String>,
    /// Set an incident's resolution
    #[arg(long, value_name = "TEXT")]
    resolution: Option<String>,
    /// Set a change's post-implementation review
    #[arg(long, value_name = "TEXT")]
    review: Option<String>,
    /// Set any other top-level field: VALUE is text, or a number or `true`/`false`
    #[arg(long = "field", value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let by = resolve_by(a.by.clone(), &root)?;
    let at = event_time(g, a.at.clone(), &root)?;
    let set = fields_to_set(&a)?;
    let _lock = lock(&root)?;
    let source = WorkTree::new(&root);
    let v = gitsm::validate::validate(&source)?;
    let loaded = the_ticket(g, &root, &v, &a.id)?;
    let rel = loaded.path.clone();
    let path = root.join(&rel);
    let text = match gitsm::fsutil::read_text_in_repo(&root, &rel, gitsm::fsutil::RECORD) {
        Ok(t) => t,
        Err(e) if e.is_refusal() => return Err(Failure::refused(format!("refusing to edit {rel}: {e}"))),
        Err(e) => return Err(Failure::runtime(format!("cannot read {}: {e}", path.display()))),
    };
    let errors = errors_in(&v.findings, &rel);
    if !errors.is_empty() {
        print_findings(&errors, &rel, &text, g.color);
        return Err(Failure::refused(format!(
            "refusing to edit {rel}: it does not validate; fix it first"
        )));
    }
    let ticket = Ticket::of(&loaded.record).expect("a ticket");
    let m = Move {
        to: a.status.clone(),
        at: at.clone(),
        by: by.clone(),
        note: a.note.clone(),
        public: a.public,
        set,
    };
    let edits = match authoring::plan_move(&loaded.record, &m) {
        Ok(e) => e,
        Err(refusal) => return Err(Failure::refused(format!("{}: {refusal}", a.id))),
    };
    let new_text = gitsm::edit::apply(&text, &edits).map_err(|e| anyhow::anyhow!("{rel}: {e}"))?;
    let overlay = gitsm::repo::Overlay {
        base: &source,
        path: rel.clone(),
        bytes: new_text.clone().into_bytes(),
    };
    let after = gitsm::validate::validate(&overlay)?;
    let errors = errors_in(&after.findings, &rel);
    if !errors.is_empty() {
        print_findings(&errors, &rel, &new_text, g.color);
        return Err(Failure::refused(format!(
            "{rel} was not changed: after the move it would not validate"
        )));
    }
    if let Err(e) =
        gitsm::fsutil::write_in_repo(&root, &rel, new_text.as_bytes(), gitsm::fsutil::Replace::Edit)
    {
        return Err(Failure::io(format!("{rel} is unchanged: {e}"), e.is_refusal()));
    }
    match a.format {
        Format::Human => println!("{}: {} → {} ({})", a.id, ticket.status, a.status, shown(&path)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "id": a.id,
                "path": rel,
                "from": ticket.status,
                "to": a.status,
                "at": at,
                "by": by,
            }))?
        ),
    }
    Ok(Exit::Success)
}

/// The fields the move sets besides `status`: `--outcome`, `--resolution`,
/// `--review`, then each `--field` (top-level scalars only, never the
/// fields the move itself owns).
fn fields_to_set(a: &Args) -> Result<Vec<(String, Json)>, Failure> {
    let mut set: Vec<(String, Json)> = Vec::new();
    for (k, v) in [
        ("outcome", &a.outcome),
        ("resolution", &a.resolution),
        ("review", &a.review),
    ] {
        if let Some(v) = v {
            set.push((k.to_string(), json!(v)));
        }
    }
    for spec in &a.fields {
        let (path, value) = authoring::parse_field(spec).map_err(|e| anyhow::anyhow!("--field {e}"))?;
        if path.len() > 1 || value.is_array() || value.is_object() {
            usage!("--field {spec}: transition sets top-level text, number or boolean fields only");
        }
        if matches!(
            path[0].as_str(),
            "status" | "timeline" | "id" | "kind" | "apiVersion"
        ) {
            usage!("--field {spec}: `{}` is not set this way", path[0]);
        }
        set.push((path[0].clone(), value));
    }
    Ok(set)
}

/// The one loaded ticket with this id. Two files carrying it, or a file
/// with that name that does not validate, are refused.
fn the_ticket<'v>(g: &Globals, root: &Path, v: &'v Validation, id: &str) -> Result<&'v Loaded, Failure> {
    let found: Vec<_> = v
        .snapshot
        .records
        .iter()
        .filter(|l| l.record.kind().is_ticket() && l.record.id().as_str() == id)
        .collect();
    // Two files carrying one id: editing either would be a guess.
    if found.len() > 1 {
        let files: Vec<&str> = found.iter().map(|l| l.path.as_str()).collect();
        return Err(Failure::refused(format!(
            "refusing to edit {}: {} files carry that id ({}); keep one (gitsm validate)",
            id,
            files.len(),
            files.join(", ")
        )));
    }
    let Some(loaded) = found.first() else {
        // A ticket that does not load is one whose file does not validate.
        if let Some(f) = v
            .findings
            .iter()
            .find(|f| repo::file_stem(&f.file).eq_ignore_ascii_case(id))
        {
            let file = f.file.clone();
            let text = super::common::quoted_source(root, &file);
            print_findings(&errors_in(&v.findings, &file), &file, &text, g.color);
            return Err(Failure::refused(format!(
                "refusing to edit {file}: it does not validate; fix it first"
            )));
        }
        return Err(Failure::runtime(format!(
            "no incident, problem, request or change has the id `{}`",
            id
        )));
    };
    Ok(loaded)
}

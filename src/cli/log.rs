use super::common::Format;
use super::{Exit, Failure, Globals};
use gitsm::history::{self, FieldChange, Revision};
use gitsm::repo::{self, GitTree, Source, WorkTree};
use serde_json::{json, Value as Json};

/// Show a record's history from git: who changed it, when, and what
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Show every commit that changed a record, newest first, following the file \
through renames and through deletions (a record deleted and added again keeps one history): the commit, its author and date, and what changed (status moves, fields \
added, changed or removed, timeline events appended).",
    after_help = "Examples:\n  gitsm log INC-0042\n  gitsm log CHG-0007 --format json\n  gitsm log checkout   # any record id works, services too"
)]
pub struct Args {
    /// The record id, e.g. INC-0042
    id: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Path of the record with `id` in a source, tickets first.
fn find_path(source: &dyn Source, id: &str) -> anyhow::Result<Option<String>> {
    let snap = repo::load(source)?;
    let mut hits: Vec<_> = snap
        .records
        .iter()
        .filter(|l| l.record.id().as_str() == id)
        .collect();
    hits.sort_by_key(|l| !l.record.kind().is_ticket());
    Ok(hits.first().map(|l| l.path.clone()))
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    let git = git2::Repository::discover(&root).map_err(|_| {
        anyhow::anyhow!(
            "{} is not in a git repository; `log` reads git history",
            root.display()
        )
    })?;
    let prefix = gitsm::repo::git::itsm_prefix(&git, &root)
        .ok_or_else(|| anyhow::anyhow!("the git repository has no work tree holding {}", root.display()))?;
    // The record's path at HEAD, else in the work tree (an uncommitted record).
    let mut rel = None;
    if let Some(t) = gitsm::repo::git::head_tree(&git, &prefix) {
        rel = find_path(&GitTree::new(&git, &t)?, &a.id)?;
    }
    if rel.is_none() {
        rel = find_path(&WorkTree::new(&root), &a.id)?;
    }
    let Some(rel) = rel else {
        return Err(Failure::runtime(format!(
            "no record has the id `{}` at HEAD or in the work tree",
            a.id
        )));
    };
    let git_path = if prefix.is_empty() {
        rel.clone()
    } else {
        format!("{prefix}/{rel}")
    };
    // libgit2 re-hashes every object it reads to verify it; on a walk that
    // inflates a 160 KiB folder tree per commit that was 70 % of the time
    // (perf, benches/log.rs). `log` only displays local history: a corrupt
    // object shows up as a wrong diff, not as a wrong decision (the gate
    // keeps verification on).
    git2::opts::strict_hash_verification(false);
    let revs = history::file_history(&git, &git_path)?;
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"id": a.id, "path": rel, "commits": revs}))?
        ),
        // Author names, commit subjects and record text are not trusted to
        // drive the terminal.
        Format::Human => print!("{}", gitsm::diag::terminal_safe(&human(&a.id, &rel, &revs))),
    }
    Ok(Exit::Success)
}

fn short(v: &Json) -> String {
    let s = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let one_line = s.lines().next().unwrap_or("").to_string();
    let cut: String = one_line.chars().take(60).collect();
    if cut.len() < s.trim_end().len() {
        format!("{cut}…")
    } else {
        cut
    }
}

fn describe_event(e: &Json) -> String {
    let get = |k: &str| e.get(k).and_then(Json::as_str).unwrap_or("");
    let mut s = String::new();
    if !get("status").is_empty() {
        s.push_str(get("status"));
        s.push(' ');
    }
    s.push_str(&format!("by {} at {}", get("by"), get("at")));
    if !get("note").is_empty() {
        s.push_str(&format!(": {}", short(&e["note"])));
    }
    s
}

fn change_line(c: &FieldChange) -> Vec<String> {
    let val = |v: &Option<Json>| v.as_ref().map(short).unwrap_or_default();
    match c.kind {
        "status" => vec![match &c.from {
            Some(f) => format!("status: {} → {}", short(f), val(&c.to)),
            None => format!("status: {}", val(&c.to)),
        }],
        "appended" => {
            let events =
                c.to.as_ref()
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
            let mut v = vec![format!(
                "{}: +{} {}",
                c.field,
                events.len(),
                if events.len() == 1 { "entry" } else { "entries" }
            )];
            if c.field == "timeline" {
                v.extend(events.iter().map(|e| format!("  + {}", describe_event(e))));
            }
            v
        }
        "added" => vec![format!("+ {}: {}", c.field, val(&c.to))],
        "removed" => vec![format!("- {}: {}", c.field, val(&c.from))],
        _ => vec![format!("~ {}: {} → {}", c.field, val(&c.from), val(&c.to))],
    }
}

fn human(id: &str, rel: &str, revs: &[Revision]) -> String {
    let mut out = format!(
        "{id} ({rel}): {} commit{}\n",
        revs.len(),
        if revs.len() == 1 { "" } else { "s" }
    );
    if revs.is_empty() {
        out.push_str("no commit has touched it yet\n");
    }
    for r in revs {
        out.push_str(&format!(
            "\ncommit {}  {} <{}>  {}\n    {}\n",
            &r.commit[..12.min(r.commit.len())],
            r.author,
            r.email,
            r.date,
            r.summary
        ));
        match r.action {
            "created" => out.push_str(&format!("    created {}\n", r.path)),
            "deleted" => out.push_str(&format!("    deleted {}\n", r.path)),
            _ => {}
        }
        if let Some(from) = &r.renamed_from {
            out.push_str(&format!("    renamed {from} → {}\n", r.path));
        }
        if r.action != "created" {
            for c in &r.changes {
                for line in change_line(c) {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        } else if let Some(c) = r.changes.iter().find(|c| c.field == "status") {
            out.push_str(&format!(
                "    status: {}\n",
                c.to.as_ref().map(short).unwrap_or_default()
            ));
        }
        if let Some(m) = &r.remark {
            out.push_str(&format!("    ({m})\n"));
        }
    }
    out
}

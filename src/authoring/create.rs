//! Creating a ticket: the next free id, the record's text, a validation of
//! the repo as it would be, and the write — shared by `gitsm new`, any
//! future intake, and tests. Printing stays with the caller.

use super::{next_id, prefix_for, render_new};
use crate::diag::{Finding, Severity};
use crate::fsutil::{self, WriteError};
use crate::model::{Kind, API_VERSION};
use crate::repo::{self, Overlay, Snapshot, WorkTree, CONFIG_FILE};
use serde_json::{json, Map, Value};
use std::path::Path;

/// A ticket to create. `create` sets `apiVersion`, `kind`, `id`, `status`
/// (the workflow's initial one) and `timeline` (one creation event) itself,
/// and fills in who and when where the kind records them: an incident's
/// `reported_at`/`reported_by`, a request's or change's `requested_by`,
/// unless `fields` gives them.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub kind: Kind,
    /// The record's own fields (`title`, `service`, `impact`, …).
    pub fields: Map<String, Value>,
    /// Who creates it (the creation event's `by`).
    pub by: String,
    /// When, exactly as it will be written (RFC 3339 with offset).
    pub at: String,
    /// A note on the creation event.
    pub note: Option<String>,
}

/// Whether [`create`] writes the file or only returns its text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    DryRun,
}

/// A created (or, in a dry run, a validated) ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    /// Path relative to the repo root, `/`-separated (`incidents/INC-0042.yaml`).
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Why nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// `gitsm.yaml` does not load, so the id prefixes are unknown; its
    /// errors are in `findings`.
    #[error("{CONFIG_FILE} does not load, so the id prefixes are unknown; fix it first (gitsm validate)")]
    Config { findings: Vec<Finding> },
    /// A value cannot be written faithfully as YAML.
    #[error("{id} was not written: {reason}")]
    Unwritable { id: String, reason: String },
    /// The record would not validate; `findings` are its errors, placed in `text`.
    #[error("{id} was not written: the record would not validate (set fields with the flags or --field KEY=VALUE)")]
    Invalid {
        id: String,
        path: String,
        text: String,
        findings: Vec<Finding>,
    },
    /// The file could not be written.
    #[error("{id} was not written: {error}")]
    Write { id: String, error: WriteError },
    /// Reading the repo or taking the lock failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CreateError {
    /// The content was refused (not an I/O or environment failure).
    pub fn is_refusal(&self) -> bool {
        match self {
            CreateError::Config { .. } | CreateError::Invalid { .. } => true,
            CreateError::Write { error, .. } => error.is_refusal(),
            CreateError::Unwritable { .. } | CreateError::Other(_) => false,
        }
    }
}

/// Creates a ticket in the ITSM repo at `root`: under the repo's lock
/// ([`lock`]), allocates the next free id (one more than the highest of the
/// kind in `HEAD` or the work tree, including files that do not load),
/// writes the record in its kind's folder after checking that the repo
/// would validate with it. Nothing is written on any error, or in
/// [`Mode::DryRun`].
pub fn create(root: &Path, ticket: &NewTicket, mode: Mode) -> Result<Created, CreateError> {
    let kind = ticket.kind;
    let initial = crate::workflow::initial(kind)
        .ok_or_else(|| anyhow::anyhow!("a {} has no workflow; only tickets are created", kind.name()))?;
    let mut f = Map::new();
    f.insert("apiVersion".into(), json!(API_VERSION));
    f.insert("kind".into(), json!(kind.name()));
    for (k, v) in &ticket.fields {
        f.insert(k.clone(), v.clone());
    }
    f.insert("status".into(), json!(initial));
    let mut fill = |k: &str, v: &str| {
        f.entry(k.to_string()).or_insert_with(|| json!(v));
    };
    match kind {
        Kind::Incident => {
            fill("reported_at", &ticket.at);
            fill("reported_by", &ticket.by);
        }
        Kind::Request | Kind::Change => fill("requested_by", &ticket.by),
        _ => {}
    }
    let mut event = Map::new();
    event.insert("at".into(), json!(ticket.at));
    event.insert("by".into(), json!(ticket.by));
    event.insert("status".into(), json!(initial));
    if let Some(n) = &ticket.note {
        event.insert("note".into(), json!(n));
    }
    f.insert("timeline".into(), Value::Array(vec![Value::Object(event)]));

    // From here to the write, no other `create` may allocate.
    let _lock = lock(root)?;
    let source = WorkTree::new(root);
    let snap = repo::load(&source)?;
    // Ids come from the config: guessing default prefixes for a config that
    // does not load would allocate ids the repo does not use.
    let Some((prefixes, digits)) = snap.config().map(|c| (c.id_prefixes.clone(), c.id_digits)) else {
        return Err(CreateError::Config {
            findings: errors_in(&snap.findings, CONFIG_FILE),
        });
    };
    let prefix = prefix_for(&prefixes, kind).to_string();
    let taken = taken_ids(root, kind, &snap);
    let id = next_id(&prefix, digits, taken.iter().map(String::as_str));
    f.insert("id".into(), json!(id));
    let path = format!("{}/{id}.yaml", kind.folder());
    let text = render_new(kind, &schema_ref(root, kind), &f).map_err(|reason| CreateError::Unwritable {
        id: id.clone(),
        reason,
    })?;

    let overlay = Overlay {
        base: &source,
        path: path.clone(),
        bytes: text.clone().into_bytes(),
    };
    let v = crate::validate::validate(&overlay)?;
    let findings = errors_in(&v.findings, &path);
    if !findings.is_empty() {
        return Err(CreateError::Invalid {
            id,
            path,
            text,
            findings,
        });
    }
    if mode == Mode::Write {
        if let Err(error) = fsutil::write_in_repo(root, &path, text.as_bytes(), fsutil::Replace::Never) {
            return Err(CreateError::Write { id, error });
        }
    }
    Ok(Created { id, path, text })
}

/// The errors a validation found in one file.
pub fn errors_in(findings: &[Finding], file: &str) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| f.file == file && f.severity == Severity::Error)
        .cloned()
        .collect()
}

/// Serialises the commands that write tickets in one repo (`new`,
/// `transition`): an exclusive lock on a file in the git dir
/// (`.git/gitsm.lock`), or `.gitsm.lock` in the ITSM repo when it is not in
/// git. Held until the returned file is dropped.
pub fn lock(root: &Path) -> anyhow::Result<std::fs::File> {
    use anyhow::Context;
    let path = match git2::Repository::discover(root) {
        Ok(r) => r.path().join("gitsm.lock"),
        Err(_) => root.join(".gitsm.lock"),
    };
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(f)
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

/// Ticket ids of a kind recorded in HEAD, by file name in the kind's folder.
fn head_ids(root: &Path, folder: &str) -> Vec<String> {
    let Some((repo, prefix)) = repo::git::discover(root) else {
        return Vec::new();
    };
    let Some(tree) = repo::git::head_tree(&repo, &prefix) else {
        return Vec::new();
    };
    let Ok(Some(entry)) = repo::git::entry_at(&tree, folder) else {
        return Vec::new();
    };
    let Ok(sub) = repo.find_tree(entry.id()) else {
        return Vec::new();
    };
    sub.iter()
        .filter_map(|e| e.name().ok().map(|n| repo::file_stem(n).to_string()))
        .collect()
}

/// Ticket ids of a kind already used: every loaded record of the kind, every
/// file name in its folder (a broken file still holds its id), and the file
/// names in HEAD. `create` and `gitsm intake` allocate from it.
pub fn taken_ids(root: &Path, kind: Kind, snap: &Snapshot) -> Vec<String> {
    let mut ids: Vec<String> = snap
        .records
        .iter()
        .filter(|l| l.record.kind() == kind)
        .map(|l| l.record.id().to_string())
        .collect();
    if let Ok(rd) = std::fs::read_dir(root.join(kind.folder())) {
        for e in rd.flatten() {
            ids.push(repo::file_stem(&e.file_name().to_string_lossy()).to_string());
        }
    }
    ids.extend(head_ids(root, kind.folder()));
    ids
}

//! Finding and loading an ITSM repo, from the work tree or from a git revision,
//! through one code path: a [`Source`] lists files and reads bytes, and
//! [`load`] turns them into typed records plus findings.
//!
//! - [`source`]: every [`Source`] (work tree, git tree, in-memory, overlay);
//! - [`git`]: where the ITSM root sits in its git repository, and its tree at
//!   a revision;
//! - this file: the loader, one file at a time ([`load_entry`]) or all of them.

pub mod git;
pub mod source;

pub use source::{
    is_yaml_name, output_folders_from, Entry, FolderError, GitTree, MapSource, Overlay, Source, WorkTree,
};

use crate::diag::{Code, Finding, Pos};
use crate::model::{Kind, Record, API_VERSION, RECORD_FOLDERS};
use crate::{schema, yaml};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Name of the settings file that marks the repo root.
pub const CONFIG_FILE: &str = "gitsm.yaml";

/// A record and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: String,
    pub record: Record,
}

/// Everything loaded from a source: the records that passed the schema layer,
/// and every finding so far.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub records: Vec<Loaded>,
    pub findings: Vec<Finding>,
    /// Files considered (YAML files outside skipped folders).
    pub files: usize,
}

impl Snapshot {
    pub fn config(&self) -> Option<&crate::model::Config> {
        self.records.iter().find_map(|l| match &l.record {
            Record::Config(c) if l.path == CONFIG_FILE => Some(c),
            _ => None,
        })
    }
}

/// Which kind of place a path is.
fn folder_of(path: &str) -> (Option<&'static str>, bool) {
    let first = path.split('/').next().unwrap_or("");
    let has_dir = path.contains('/');
    if !has_dir {
        return (None, false);
    }
    for f in RECORD_FOLDERS {
        if first == f {
            return (Some(f), true);
        }
        if first.eq_ignore_ascii_case(f) {
            return (Some(f), false);
        }
    }
    (None, false)
}

/// Loads every record a source offers. Parsing and schema checks run in
/// parallel; the result is in path order.
pub fn load(source: &dyn Source) -> anyhow::Result<Snapshot> {
    let (records, findings, files) = load_map(source, |l| l)?;
    Ok(Snapshot {
        records,
        findings,
        files,
    })
}

/// Loads every record a source offers and hands each to `f` on the worker
/// thread that read it, so a caller can keep less than the whole record.
/// Returns `f`'s results and the loader's findings, both in path order, and
/// the number of files considered.
pub fn load_map<T: Send>(
    source: &dyn Source,
    f: impl Fn(Loaded) -> T + Sync + Send,
) -> anyhow::Result<(Vec<T>, Vec<Finding>, usize)> {
    load_map_screened(source, &|_, _| false, f)
}

/// Decides from a file's path and text, before it is parsed, that the
/// loader may skip it (`true`): a figures command screens out tickets that
/// cannot matter to its window (see `crate::figures`). A skipped file gives
/// neither a record nor a finding.
pub type Screen<'a> = &'a (dyn Fn(&str, &str) -> bool + Sync);

/// [`load_map`] that first offers each file's text to `screen`.
pub fn load_map_screened<T: Send>(
    source: &dyn Source,
    screen: Screen<'_>,
    f: impl Fn(Loaded) -> T + Sync + Send,
) -> anyhow::Result<(Vec<T>, Vec<Finding>, usize)> {
    let entries = source.entries()?;
    // Unzipped so the results are written once into their own vector, and
    // collected in place (`Option<T>` and `T` often share a layout): at 100k
    // records each extra copy of a record vector is ~50 MB of memory to touch.
    let (items, findings): (Vec<Option<T>>, Vec<Vec<Finding>>) = entries
        .par_iter()
        .map(|e| {
            let (loaded, findings) = load_entry_screened(source, e, screen);
            (loaded.map(&f), findings)
        })
        .unzip();
    Ok((
        items.into_iter().flatten().collect(),
        findings.into_iter().flatten().collect(),
        entries.len(),
    ))
}

/// Loads a single file; used by the loader and by editing commands.
pub fn load_entry(source: &dyn Source, e: &Entry) -> (Option<Loaded>, Vec<Finding>) {
    load_entry_screened(source, e, &|_, _| false)
}

fn load_entry_screened(source: &dyn Source, e: &Entry, screen: Screen<'_>) -> (Option<Loaded>, Vec<Finding>) {
    let (conv_folder, _) = folder_of(&e.path);
    let strict = conv_folder.is_some() || e.path == CONFIG_FILE;
    let finding = |code: Code, pos: Pos, msg: String| Finding::new(code, e.path.clone(), pos, msg);
    if e.symlink {
        return (
            None,
            vec![finding(
                Code::Symlink,
                Pos::START,
                format!("`{}` is a symbolic link", e.path),
            )
            .with_hint("gitsm does not follow symlinks; replace it with the file or folder itself")],
        );
    }
    let bytes = match read_record_bytes(source, e) {
        Ok(b) => b,
        Err(f) => return (None, vec![f]),
    };
    // memchr's SIMD search: this runs over every byte of every record.
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) if memchr::memchr(0, &bytes).is_none() => t,
        _ => {
            return (
                None,
                vec![finding(
                    Code::NotText,
                    Pos::START,
                    "file is binary or not valid UTF-8".into(),
                )
                .with_hint("records are UTF-8 text")],
            );
        }
    };
    if screen(&e.path, text) {
        return (None, Vec::new());
    }
    // Outside the record folders only files that mention gitsm are our business.
    let ours = strict || text.contains(API_VERSION);
    let node = match yaml::parse(text) {
        Ok(Some(n)) => n,
        Ok(None) => {
            if strict {
                return (
                    None,
                    vec![
                        finding(Code::EmptyFile, Pos::START, "file holds no YAML document".into())
                            .with_hint("delete the file or write the record into it"),
                    ],
                );
            }
            return (None, Vec::new());
        }
        Err(err) => {
            if !ours {
                return (None, Vec::new());
            }
            let mut f = finding(err.code, err.pos, err.message);
            f.hint = err.hint;
            return (None, vec![f]);
        }
    };
    let api = node.get("apiVersion");
    let kind_node = node.get("kind");
    if !matches!(node.value, yaml::Value::Map(_)) {
        if strict {
            return (
                None,
                vec![finding(
                    Code::NotAMapping,
                    node.pos,
                    "the document is not a mapping of fields".into(),
                )],
            );
        }
        return (None, Vec::new());
    }
    let kind_name = kind_node.and_then(yaml::Node::as_str);
    if api.and_then(yaml::Node::as_str) != Some(API_VERSION) {
        return (
            None,
            without_api_version(e, &node, conv_folder, strict)
                .into_iter()
                .collect(),
        );
    }
    let Some(kind) = kind_name.and_then(Kind::from_name) else {
        let pos = kind_node.map(|k| k.pos).unwrap_or(node.pos);
        let names: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_string()).collect();
        let shown = kind_node
            .map(|k| k.to_json().to_string())
            .unwrap_or_else(|| "missing".into());
        let mut f = finding(Code::UnknownKind, pos, format!("unknown record kind {shown}"));
        f = match kind_name.and_then(|k| schema::did_you_mean(k, &names)) {
            Some(best) => f.with_hint(format!("did you mean `{best}`?")),
            None => f.with_hint(format!("kinds: {}", names.join(", "))),
        };
        return (None, vec![f]);
    };
    let mut findings = Vec::new();
    if kind == Kind::Config && e.path != CONFIG_FILE {
        findings.push(
            finding(
                Code::ExtraConfig,
                node.pos,
                "a Config record must be the root `gitsm.yaml`".into(),
            )
            .with_hint("merge it into gitsm.yaml and delete this file"),
        );
        return (None, findings);
    }
    // Fast path: move the tree into JSON; re-parse for positions only when
    // there is an error to place.
    let kind_pos = kind_node.map(|k| k.pos).unwrap_or(node.pos);
    let id_pos = node.get("id").map(|n| n.pos).unwrap_or(node.pos);
    let json = node.into_json();
    let reparse = || yaml::parse(text).ok().flatten();
    if !schema::is_valid(kind, &json) {
        if let Some(node) = reparse() {
            findings.append(&mut schema::validate(kind, &json, &node, &e.path));
        }
        return (None, findings);
    }
    if crate::text::json_has_forbidden(&json) {
        if let Some(node) = reparse() {
            findings.extend(schema::forbidden_characters(&json, &node, text, &e.path));
        }
    }
    let record = match Record::from_json_owned(kind, json) {
        Some(r) => r,
        None => {
            let Some(node) = reparse() else {
                return (None, findings);
            };
            let json = node.to_json();
            let (pointer, msg) = match Record::from_json(kind, &json) {
                Err(e) => e,
                Ok(_) => (String::new(), "the record could not be read".to_string()),
            };
            findings.push(finding(Code::InvalidFormat, node.locate(&pointer, false), msg));
            return (None, findings);
        }
    };
    if kind != Kind::Config {
        findings.extend(conventions(e, kind, &record, kind_pos, id_pos));
    }
    (
        Some(Loaded {
            path: e.path.clone(),
            record,
        }),
        findings,
    )
}

/// A YAML mapping that does not declare `apiVersion: gitsm/v1`: a finding in
/// a record folder (`strict`) or when it names a record kind, else nothing
/// (it is not ours).
fn without_api_version(
    e: &Entry,
    node: &yaml::Node,
    conv_folder: Option<&str>,
    strict: bool,
) -> Option<Finding> {
    let finding = |code: Code, pos: Pos, msg: String| Finding::new(code, e.path.clone(), pos, msg);
    let api = node.get("apiVersion");
    let kind_name = node.get("kind").and_then(yaml::Node::as_str);
    let kindlike = kind_name.and_then(Kind::from_name).is_some();
    if strict {
        let pos = api.map(|a| a.pos).unwrap_or(node.pos);
        let msg = match api {
            Some(a) => format!("`apiVersion` is {:?}, not `{API_VERSION}`", a.to_json()),
            None => format!(
                "file in `{}/` does not declare `apiVersion: {API_VERSION}`",
                conv_folder.unwrap_or("")
            ),
        };
        return Some(finding(Code::NotARecord, pos, msg).with_hint(format!(
            "every file in a record folder is a record: start it with `apiVersion: {API_VERSION}`, or move it elsewhere"
        )));
    }
    if kindlike {
        return Some(
            finding(
                Code::LooksLikeRecord,
                node.pos,
                format!(
                    "file has `kind: {}` but no `apiVersion: {API_VERSION}`; it is not loaded",
                    kind_name.unwrap_or("")
                ),
            )
            .with_hint(format!("add `apiVersion: {API_VERSION}` if it is a record")),
        );
    }
    None
}

/// The bytes of one entry, or the one finding that says why they cannot be
/// read (too large, a symlink on the way, not a regular file, an unreadable
/// folder). The size is known up front for git objects, and after a bounded
/// read (at most one byte over the limit) for files.
fn read_record_bytes(source: &dyn Source, e: &Entry) -> Result<Vec<u8>, Finding> {
    let finding = |code: Code, pos: Pos, msg: String| Finding::new(code, e.path.clone(), pos, msg);
    let too_large = || {
        finding(
            Code::FileTooLarge,
            Pos::START,
            format!(
                "file is larger than {} bytes (1 MiB), the most gitsm reads",
                yaml::MAX_FILE_BYTES
            ),
        )
        .with_hint("records are small; split the data or move it out of the ITSM repo")
    };
    if e.size > yaml::MAX_FILE_BYTES {
        return Err(too_large());
    }
    let bytes = match source.read(&e.path) {
        Ok(b) => b,
        Err(err) => {
            use crate::fsutil::ReadError;
            let inner = err.get_ref();
            if let Some(fe) = inner.and_then(|i| i.downcast_ref::<FolderError>()) {
                return Err(
                    finding(Code::UnreadableFolder, Pos::START, format!("`{}/`: {fe}", e.path))
                        .with_hint("records in it are not loaded; fix its permissions or remove it"),
                );
            }
            match inner.and_then(|i| i.downcast_ref::<ReadError>()) {
                Some(ReadError::TooLarge { .. }) => return Err(too_large()),
                Some(ReadError::Symlink(p)) => {
                    return Err(
                        finding(Code::Symlink, Pos::START, format!("`{p}` is a symbolic link")).with_hint(
                            "gitsm does not follow symlinks; replace it with the file or folder itself",
                        ),
                    )
                }
                Some(ReadError::NotRegular) => {
                    return Err(finding(
                        Code::UnreadableFile,
                        Pos::START,
                        "not a regular file (a FIFO, socket or device); gitsm does not open it".into(),
                    )
                    .with_hint("records are regular files"))
                }
                _ => {}
            }
            return Err(finding(
                Code::UnreadableFile,
                Pos::START,
                format!("cannot read file: {err}"),
            ));
        }
    };
    if bytes.len() as u64 > yaml::MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The conventions a loaded record breaks: its folder (by kind), and for a
/// ticket its file name (its id). The record is loaded either way.
fn conventions(e: &Entry, kind: Kind, record: &Record, kind_pos: Pos, id_pos: Pos) -> Vec<Finding> {
    let (conv_folder, exact) = folder_of(&e.path);
    let finding = |code: Code, pos: Pos, msg: String| Finding::new(code, e.path.clone(), pos, msg);
    let mut findings = Vec::new();
    let expected = kind.folder();
    let actual = e.path.split('/').next().unwrap_or("");
    // `expected` may be nested (`catalog/requests`): matched by whole components.
    let in_expected = e
        .path
        .strip_prefix(expected)
        .is_some_and(|rest| rest.starts_with('/'));
    if !e.path.contains('/') || !in_expected {
        let why = if conv_folder.is_some() && !exact {
            format!("folder `{actual}/` differs from the convention `{expected}/` (case matters)")
        } else {
            format!(
                "{} record is in `{}`, not in `{expected}/`",
                kind.name(),
                parent(&e.path)
            )
        };
        findings.push(finding(Code::UnexpectedFolder, kind_pos, why).with_hint(format!(
            "move it to `{expected}/`; it is still loaded by its kind"
        )));
    }
    if kind.is_ticket() {
        let stem = file_stem(&e.path);
        if stem != record.id().as_str() {
            findings.push(
                finding(
                    Code::FileNameMismatch,
                    id_pos,
                    format!("file name `{stem}` differs from id `{}`", record.id()),
                )
                .with_hint(format!("rename the file to `{}.yaml`", record.id())),
            );
        }
    }
    findings
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i + 1],
        None => "the repo root",
    }
}

pub fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) => &name[..i],
        None => name,
    }
}

/// The nearest folder at or above `start` that holds `gitsm.yaml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(CONFIG_FILE).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests;

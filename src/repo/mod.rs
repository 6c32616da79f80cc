//! Finding and loading an ITSM repo, from the work tree or from a git revision,
//! through one code path: a [`Source`] lists files and reads bytes, and
//! [`load`] turns them into typed records plus findings.
//!
//! - [`source`]: every [`Source`] (work tree, git tree, in-memory, overlay);
//! - [`git`]: where the ITSM root sits in its git repository, and its tree at
//!   a revision;
//! - this file: the loader, one file at a time ([`load_entry`]) or all of them.

pub mod cache;
pub mod git;
pub mod source;

pub use source::{
    is_yaml_name, output_folders_from, Entry, FolderError, GitTree, MapSource, Overlay, Source, WorkTree,
};

use crate::diag::{Code, Finding, Pos};
use crate::glance::Glance;
use crate::model::{EventDetails, Kind, Record, API_VERSION, RECORD_FOLDERS};
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
    load_map_screened(source, None, f)
}

/// Decides from a file's path and [`Glance`] (what a plain read of its text
/// finds), before it is parsed, that the loader may skip it (`true`): a
/// figures command screens out tickets that cannot matter to its window
/// (see `crate::figures`). A skipped file gives neither a record nor a
/// finding. The cache keeps each file's glance, so a cached file is
/// screened exactly as its text would be.
pub type Screen<'a> = &'a (dyn Fn(&str, &Glance) -> bool + Sync);

/// [`load_map`] that first offers each file's glance to `screen`.
pub fn load_map_screened<T: Send>(
    source: &dyn Source,
    screen: Option<Screen<'_>>,
    f: impl Fn(Loaded) -> T + Sync + Send,
) -> anyhow::Result<(Vec<T>, Vec<Finding>, usize)> {
    let (items, _, findings, files) =
        load_split_screened(source, screen, EventDetails::WHOLE, |l| (Some(f(l)), ()))?;
    Ok((items, findings, files))
}

/// Files loaded in parallel at a time: the per-file slots of a chunk (one
/// `Option` per file, kept or not) are reused, so memory follows the
/// records kept, not the files looked at.
const CHUNK: usize = 8192;

/// [`load_map_screened`] for an `f` that splits each record in two (what a
/// caller keeps whole, if anything, and what it only reads once), each half
/// in its own vector, in path order.
///
/// Memory: the result vectors are reserved for every file but only the
/// records kept are written (pages never written are never resident), and
/// each chunk's results are moved out of its small slot vector. A figures
/// command keeping 5,000 of a million records no longer touches a slot of
/// a full record for each of the others (that was 550 MB at 1M), and none
/// copies its records out of a vector of pairs at the peak.
#[allow(clippy::type_complexity)]
pub fn load_split_screened<A: Send, B: Send>(
    source: &dyn Source,
    screen: Option<Screen<'_>>,
    events: EventDetails,
    f: impl Fn(Loaded) -> (Option<A>, B) + Sync + Send,
) -> anyhow::Result<(Vec<A>, Vec<B>, Vec<Finding>, usize)> {
    let entries = source.entries()?;
    let mut run = source.cache().and_then(|c| c.start(entries.len()));
    let mut kept: Vec<A> = Vec::with_capacity(entries.len());
    let mut read_once: Vec<B> = Vec::with_capacity(entries.len());
    let mut findings = Vec::new();
    // The listing in chunks of its own, each freed once loaded: at a
    // million files the listing is ~120 MB, and what a chunk frees is
    // reused by the records the next ones keep.
    let total = entries.len();
    let mut chunks: Vec<Vec<Entry>> = Vec::with_capacity(total.div_ceil(CHUNK));
    let mut listing = entries.into_iter();
    loop {
        let chunk: Vec<Entry> = listing.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    drop(listing);
    // A chunk's working vectors are the same size every time (the results
    // alone are megabytes): made once and reused, not freed and asked of
    // the system again per chunk, each time as fresh pages to be zeroed.
    let mut ids: Vec<Option<cache::FileId>> = Vec::new();
    let mut results: Vec<(Option<A>, Option<B>, Vec<Finding>, cache::Keep)> = Vec::new();
    let mut keeps: Vec<cache::Keep> = Vec::new();
    for chunk in chunks {
        let chunk = &chunk[..];
        // With a cache: each file's identity, then the old entries that
        // still hold, read in one go per run of neighbours.
        let hits = match &mut run {
            Some(r) => {
                chunk
                    .par_iter()
                    .map(|e| match e.id {
                        Some(id) => Some(id),
                        None => (!e.symlink).then(|| source.file_id(&e.path)).flatten(),
                    })
                    .collect_into_vec(&mut ids);
                r.hits(chunk, &ids)
            }
            None => Vec::new(),
        };
        let reading = run.as_ref();
        chunk
            .par_iter()
            .enumerate()
            .map(|(i, e)| {
                let hit = hits
                    .get(i)
                    .and_then(|h| h.as_ref())
                    .zip(reading)
                    .map(|(h, r)| r.blob(h));
                let keep_as = ids
                    .get(i)
                    .copied()
                    .flatten()
                    .filter(|id| reading.is_some_and(|r| r.keeps(*id)));
                let (loaded, findings, keep) = load_entry_cached(source, e, screen, hit, keep_as, events);
                match loaded.map(&f) {
                    Some((x, y)) => (x, Some(y), findings, keep),
                    None => (None, None, findings, keep),
                }
            })
            .collect_into_vec(&mut results);
        for (a, b, found, keep) in results.drain(..) {
            kept.extend(a);
            read_once.extend(b);
            findings.extend(found);
            if run.is_some() {
                keeps.push(keep);
            }
        }
        if let Some(r) = &mut run {
            r.record_chunk(chunk, &hits, &mut keeps);
        }
    }
    if let Some(r) = run {
        r.finish();
    }
    // A very sparse result gives back the address space it did not use. Not
    // a half-full one: shrinking copies what was kept into new memory while
    // the old is still held, which at a million records was the load's
    // peak (the status page's 370k incidents: +250 MB), and reserved pages
    // never written were never resident anyway.
    if kept.len() < kept.capacity() / 8 {
        kept.shrink_to_fit();
    }
    if read_once.len() < read_once.capacity() / 8 {
        read_once.shrink_to_fit();
    }
    Ok((kept, read_once, findings, total))
}

/// Loads a single file; used by the loader and by editing commands.
pub fn load_entry(source: &dyn Source, e: &Entry) -> (Option<Loaded>, Vec<Finding>) {
    let (loaded, findings, _) = load_entry_cached(source, e, None, None, None, EventDetails::WHOLE);
    (loaded, findings)
}

/// One file, from its cache entry `hit` when that serves, else from its
/// bytes; with `keep_as` (the file's identity, when the cache may keep it)
/// also the new cache entry.
fn load_entry_cached(
    source: &dyn Source,
    e: &Entry,
    screen: Option<Screen<'_>>,
    hit: Option<&[u8]>,
    keep_as: Option<cache::FileId>,
    events: EventDetails,
) -> (Option<Loaded>, Vec<Finding>, cache::Keep) {
    let loaded = |record: Option<Record>| {
        record.map(|record| Loaded {
            path: e.path.clone(),
            record,
        })
    };
    if let Some((glance, rest)) = hit.and_then(cache::decode_glance) {
        // A skipped file's record is not even decoded.
        if screen.is_some_and(|s| s(&e.path, &glance)) {
            return (None, Vec::new(), cache::Keep::Hit);
        }
        if let Some(Some((record, findings))) = cache::decode_rest(rest, events) {
            return (loaded(record), findings, cache::Keep::Hit);
        }
        // Only the glance was kept (a screen skipped the file), or the
        // entry is unreadable: the file is parsed now.
    }
    let mut read = Read::default();
    let result = load_record(source, e, screen, keep_as.is_some(), &mut read);
    let keep = |gave: Option<(Option<&Record>, &[Finding])>| {
        // A file that could not be read may read next time with nothing
        // changed (a passing I/O error): that outcome is not kept.
        let unread = gave.is_some_and(|(_, f)| {
            f.iter()
                .any(|f| matches!(f.code, Code::UnreadableFile | Code::UnreadableFolder))
        });
        let glance = read.glance.clone().unwrap_or_default();
        match keep_as
            .filter(|_| !unread)
            .and_then(|id| Some((id, cache::encode(&glance, gave)?)))
        {
            Some((id, blob)) => cache::Keep::Blob(id, blob),
            None => cache::Keep::Nothing,
        }
    };
    match result {
        Ok((record, findings)) => {
            let k = keep(Some((Some(&record), &findings)));
            (loaded(Some(record)), findings, k)
        }
        Err(findings) if read.screened => (None, findings, keep(None)),
        Err(findings) => {
            let k = keep(Some((None, &findings)));
            (None, findings, k)
        }
    }
}

/// What [`load_record`] learnt on the way, besides its result.
#[derive(Default)]
struct Read {
    /// The file's glance, when it was asked for or a screen read it.
    glance: Option<Glance>,
    /// The screen skipped the file.
    screened: bool,
}

/// Why a file gave no record: the findings that say so, none when the file
/// is not gitsm's business or was screened out.
type NoRecord = Vec<Finding>;

/// A file's record and its findings, in the loader's steps: read the bytes,
/// take them as text, parse one YAML mapping, learn its kind, then type it.
fn load_record(
    source: &dyn Source,
    e: &Entry,
    screen: Option<Screen<'_>>,
    want_glance: bool,
    read: &mut Read,
) -> Result<(Record, Vec<Finding>), NoRecord> {
    let (conv_folder, _) = folder_of(&e.path);
    let strict = conv_folder.is_some() || e.path == CONFIG_FILE;
    if e.symlink {
        return Err(vec![finding(
            e,
            Code::Symlink,
            Pos::START,
            format!("`{}` is a symbolic link", e.path),
        )
        .with_hint(
            "gitsm does not follow symlinks; replace it with the file or folder itself",
        )]);
    }
    let bytes = read_record_bytes(source, e).map_err(|f| vec![f])?;
    let text = as_text(e, &bytes)?;
    if want_glance || screen.is_some() {
        let glance = read.glance.insert(Glance::of(text));
        if screen.is_some_and(|s| s(&e.path, glance)) {
            read.screened = true;
            return Err(Vec::new());
        }
    }
    let node = parse_mapping(e, text, strict)?;
    let kind = kind_of(e, &node, conv_folder, strict)?;
    let kind_pos = node.get("kind").map(|k| k.pos).unwrap_or(node.pos);
    let id_pos = node.get("id").map(|n| n.pos).unwrap_or(node.pos);
    let (record, mut findings) = typed_record(e, kind, node, text)?;
    if kind != Kind::Config {
        findings.extend(conventions(e, kind, &record, kind_pos, id_pos));
    }
    Ok((record, findings))
}

fn finding(e: &Entry, code: Code, pos: Pos, msg: impl Into<String>) -> Finding {
    Finding::new(code, e.path.clone(), pos, msg)
}

/// The file's bytes as text: UTF-8 without NUL bytes.
fn as_text<'b>(e: &Entry, bytes: &'b [u8]) -> Result<&'b str, NoRecord> {
    // memchr's SIMD search: this runs over every byte of every record.
    match std::str::from_utf8(bytes) {
        Ok(t) if memchr::memchr(0, bytes).is_none() => Ok(t),
        _ => Err(vec![finding(
            e,
            Code::NotText,
            Pos::START,
            "file is binary or not valid UTF-8",
        )
        .with_hint("records are UTF-8 text")]),
    }
}

/// The file's one YAML document, which must be a mapping. Outside the record
/// folders (`strict` false) only files that mention gitsm are our business:
/// others give no finding.
fn parse_mapping(e: &Entry, text: &str, strict: bool) -> Result<yaml::Node, NoRecord> {
    let ours = strict || text.contains(API_VERSION);
    let node = match yaml::parse(text) {
        Ok(Some(n)) => n,
        Ok(None) if strict => {
            return Err(vec![finding(
                e,
                Code::EmptyFile,
                Pos::START,
                "file holds no YAML document",
            )
            .with_hint("delete the file or write the record into it")]);
        }
        Ok(None) => return Err(Vec::new()),
        Err(_) if !ours => return Err(Vec::new()),
        Err(err) => {
            let mut f = finding(e, err.code, err.pos, err.message);
            f.hint = err.hint;
            return Err(vec![f]);
        }
    };
    if !matches!(node.value, yaml::Value::Map(_)) {
        if strict {
            return Err(vec![finding(
                e,
                Code::NotAMapping,
                node.pos,
                "the document is not a mapping of fields",
            )]);
        }
        return Err(Vec::new());
    }
    Ok(node)
}

/// The record kind a mapping declares, once its `apiVersion` is gitsm's; a
/// Config record anywhere but the root is refused.
fn kind_of(e: &Entry, node: &yaml::Node, conv_folder: Option<&str>, strict: bool) -> Result<Kind, NoRecord> {
    let kind_node = node.get("kind");
    let kind_name = kind_node.and_then(yaml::Node::as_str);
    if node.get("apiVersion").and_then(yaml::Node::as_str) != Some(API_VERSION) {
        return Err(without_api_version(e, node, conv_folder, strict)
            .into_iter()
            .collect());
    }
    let Some(kind) = kind_name.and_then(Kind::from_name) else {
        let pos = kind_node.map(|k| k.pos).unwrap_or(node.pos);
        let names: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_string()).collect();
        let shown = kind_node
            .map(|k| k.to_json().to_string())
            .unwrap_or_else(|| "missing".into());
        let f = finding(e, Code::UnknownKind, pos, format!("unknown record kind {shown}"));
        let f = match kind_name.and_then(|k| schema::did_you_mean(k, &names)) {
            Some(best) => f.with_hint(format!("did you mean `{best}`?")),
            None => f.with_hint(format!("kinds: {}", names.join(", "))),
        };
        return Err(vec![f]);
    };
    if kind == Kind::Config && e.path != CONFIG_FILE {
        return Err(vec![finding(
            e,
            Code::ExtraConfig,
            node.pos,
            "a Config record must be the root `gitsm.yaml`",
        )
        .with_hint("merge it into gitsm.yaml and delete this file")]);
    }
    Ok(kind)
}

/// The typed record of a mapping of a known kind, through the schema layer.
/// Fast path: the tree moves into JSON; the text is parsed again for
/// positions only when there is a finding to place.
fn typed_record(
    e: &Entry,
    kind: Kind,
    node: yaml::Node,
    text: &str,
) -> Result<(Record, Vec<Finding>), NoRecord> {
    let mut findings = Vec::new();
    let json = node.into_json();
    let reparse = || yaml::parse(text).ok().flatten();
    if !schema::is_valid(kind, &json) {
        if let Some(node) = reparse() {
            findings.append(&mut schema::validate(kind, &json, &node, &e.path));
        }
        return Err(findings);
    }
    // A string of the record can hold a character HTML/XML forbid only if
    // the text does, or spells one with an escape (`"\x01"`): one
    // vectorised pass over the text spares a walk over every string.
    let may_hold_forbidden =
        memchr::memchr(b'\\', text.as_bytes()).is_some() || crate::text::first_forbidden(text).is_some();
    if may_hold_forbidden && crate::text::json_has_forbidden(&json) {
        if let Some(node) = reparse() {
            findings.extend(schema::forbidden_characters(&json, &node, text, &e.path));
        }
    }
    match Record::from_json_owned(kind, json) {
        Some(record) => Ok((record, findings)),
        None => {
            let Some(node) = reparse() else {
                return Err(findings);
            };
            let json = node.to_json();
            let (pointer, msg) = match Record::from_json(kind, &json) {
                Err(e) => e,
                Ok(_) => (String::new(), "the record could not be read".to_string()),
            };
            findings.push(finding(e, Code::InvalidFormat, node.locate(&pointer, false), msg));
            Err(findings)
        }
    }
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
        return Some(finding(e, Code::NotARecord, pos, msg).with_hint(format!(
            "every file in a record folder is a record: start it with `apiVersion: {API_VERSION}`, or move it elsewhere"
        )));
    }
    if kindlike {
        return Some(
            finding(
                e,
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
    let too_large = || {
        finding(
            e,
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
                return Err(finding(
                    e,
                    Code::UnreadableFolder,
                    Pos::START,
                    format!("`{}/`: {fe}", e.path),
                )
                .with_hint("records in it are not loaded; fix its permissions or remove it"));
            }
            match inner.and_then(|i| i.downcast_ref::<ReadError>()) {
                Some(ReadError::TooLarge { .. }) => return Err(too_large()),
                Some(ReadError::Symlink(p)) => {
                    return Err(
                        finding(e, Code::Symlink, Pos::START, format!("`{p}` is a symbolic link")).with_hint(
                            "gitsm does not follow symlinks; replace it with the file or folder itself",
                        ),
                    )
                }
                Some(ReadError::NotRegular) => {
                    return Err(finding(
                        e,
                        Code::UnreadableFile,
                        Pos::START,
                        "not a regular file (a FIFO, socket or device); gitsm does not open it",
                    )
                    .with_hint("records are regular files"))
                }
                _ => {}
            }
            return Err(finding(
                e,
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
        findings.push(
            finding(e, Code::UnexpectedFolder, kind_pos, why).with_hint(format!(
                "move it to `{expected}/`; it is still loaded by its kind"
            )),
        );
    }
    if kind.is_ticket() {
        let stem = file_stem(&e.path);
        if stem != record.id().as_str() {
            findings.push(
                finding(
                    e,
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

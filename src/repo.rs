//! Finding and loading an ITSM repo, from the work tree or from a git revision,
//! through one code path: a [`Source`] lists files and reads bytes, and
//! [`load`] turns them into typed records plus findings.

use crate::diag::{Code, Finding, Pos};
use crate::model::{Kind, Record, API_VERSION, RECORD_FOLDERS};
use crate::{schema, yaml};
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Name of the settings file that marks the repo root.
pub const CONFIG_FILE: &str = "gitsm.yaml";

/// A file a source offers: path relative to the repo root with `/` separators.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    /// Size when the source knows it cheaply (git objects), else 0.
    pub size: u64,
    pub symlink: bool,
}

/// Where records come from.
pub trait Source: Sync {
    /// Every YAML file the loader should consider (hidden folders, `templates/`
    /// and output folders already left out).
    fn entries(&self) -> anyhow::Result<Vec<Entry>>;
    /// The bytes of one entry.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
}

/// Folders never searched for records, besides hidden ones.
fn skipped_top(first: &str, extra: &[String]) -> bool {
    first == "templates" || extra.iter().any(|e| e.trim_matches('/') == first)
}

pub fn is_yaml_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// The work tree of an ITSM repo.
pub struct WorkTree {
    pub root: PathBuf,
    /// Output folders from the config, skipped by the walk.
    pub skip: Vec<String>,
    /// Folders the walk could not list, with the reason: each is offered as
    /// an entry whose `read` fails, so it becomes one finding.
    unreadable: std::sync::Mutex<HashMap<String, String>>,
    /// Folders the walk entered (real folders, not links), `""` the root.
    walked: std::sync::OnceLock<std::collections::HashSet<String>>,
}

/// A folder of the work tree that could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot list the folder: {0}")]
pub struct FolderError(pub String);

impl WorkTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let skip = output_folders(&root);
        WorkTree {
            root,
            skip,
            unreadable: Default::default(),
            walked: Default::default(),
        }
    }
}

/// Whether a symlink is worth a finding: it has a YAML name, or the name of a
/// record folder (in any case), so records behind it would be missed.
fn suspicious_link(name: &str) -> bool {
    is_yaml_name(name) || RECORD_FOLDERS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// Reads `output:` folders from `gitsm.yaml` without the full loader, so the
/// walk can skip them. A broken config skips nothing extra.
fn output_folders(root: &Path) -> Vec<String> {
    let Ok(text) = crate::fsutil::read_text_in_repo(root, CONFIG_FILE, crate::fsutil::RECORD) else {
        return Vec::new();
    };
    output_folders_from(&text)
}

pub fn output_folders_from(text: &str) -> Vec<String> {
    let Ok(Some(node)) = yaml::parse(text) else {
        return Vec::new();
    };
    let Some(out) = node.get("output") else {
        return Vec::new();
    };
    ["reports", "status_page"]
        .iter()
        .filter_map(|k| out.get(k).and_then(yaml::Node::as_str))
        .map(|s| {
            s.trim_start_matches("./")
                .split('/')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

impl Source for WorkTree {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut walked = std::collections::HashSet::new();
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                // The root must be readable; any folder below is one finding.
                Err(e) if !rel.is_empty() => {
                    self.unreadable
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(rel.clone(), e.to_string());
                    out.push(Entry {
                        path: rel.clone(),
                        size: 0,
                        symlink: false,
                    });
                    continue;
                }
                Err(e) => anyhow::bail!("cannot read {}: {e}", dir.display()),
            };
            walked.insert(rel.clone());
            for ent in rd {
                let ent = ent?;
                let name = ent.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let ft = ent.file_type()?;
                let path = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                if ft.is_dir() {
                    if rel.is_empty() && skipped_top(&name, &self.skip) {
                        continue;
                    }
                    stack.push((ent.path(), path));
                } else if ft.is_symlink() {
                    if suspicious_link(&name) {
                        out.push(Entry {
                            path,
                            size: 0,
                            symlink: true,
                        });
                    }
                } else if is_yaml_name(&name) {
                    // No stat per file: `read` checks the type and size itself.
                    out.push(Entry {
                        path,
                        size: 0,
                        symlink: false,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        let _ = self.walked.set(walked);
        Ok(out)
    }

    /// Through [`crate::fsutil::read_in_repo`]: no symlink, regular files
    /// only, at most one byte over the record size limit read.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if let Some(why) = self
            .unreadable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return Err(std::io::Error::other(FolderError(why.clone())));
        }
        // A file in a folder the walk entered (never through a symlink) needs
        // only its own check; any other path is checked folder by folder.
        let parent = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let walked = self.walked.get().is_some_and(|w| w.contains(parent));
        let read = if walked {
            crate::fsutil::read_walked(&self.root, path, crate::fsutil::RECORD)
        } else {
            crate::fsutil::read_in_repo(&self.root, path, crate::fsutil::RECORD)
        };
        read.map_err(|e| match e {
            crate::fsutil::ReadError::NotFound => std::io::ErrorKind::NotFound.into(),
            crate::fsutil::ReadError::Io(e) => e,
            other => std::io::Error::other(other),
        })
    }
}

/// A tree at a git revision, read as objects (never the work tree).
pub struct GitTree {
    git_dir: PathBuf,
    entries: Vec<(Entry, git2::Oid)>,
    index: HashMap<String, usize>,
}

thread_local! {
    // git2::Repository is not Sync; each reader thread opens its own handle.
    static REPO: RefCell<Option<(PathBuf, git2::Repository)>> = const { RefCell::new(None) };
}

impl GitTree {
    /// Lists the YAML files of `tree` in the repository at `git_dir`.
    pub fn new(repo: &git2::Repository, tree: &git2::Tree<'_>) -> anyhow::Result<Self> {
        let mut entries = Vec::new();
        let odb = repo.odb()?;
        // Output folders come from the tree's own config.
        let skip = match tree.get_path(Path::new(CONFIG_FILE)) {
            Ok(e) => match repo.find_blob(e.id()) {
                Ok(b) => output_folders_from(&String::from_utf8_lossy(b.content())),
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        let mut err = None;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            let name = e.name().unwrap_or("");
            if name.starts_with('.') {
                return git2::TreeWalkResult::Skip;
            }
            let is_tree = e.kind() == Some(git2::ObjectType::Tree);
            if is_tree {
                if dir.is_empty() && skipped_top(name, &skip) {
                    return git2::TreeWalkResult::Skip;
                }
                return git2::TreeWalkResult::Ok;
            }
            let link = e.filemode() == 0o120000;
            if e.kind() == Some(git2::ObjectType::Commit)
                || !(is_yaml_name(name) || (link && suspicious_link(name)))
            {
                return git2::TreeWalkResult::Ok;
            }
            let size = match odb.read_header(e.id()) {
                Ok((size, _)) => size as u64,
                Err(e2) => {
                    err = Some(e2);
                    return git2::TreeWalkResult::Abort;
                }
            };
            entries.push((
                Entry {
                    path: format!("{dir}{name}"),
                    size,
                    symlink: link,
                },
                e.id(),
            ));
            git2::TreeWalkResult::Ok
        })?;
        if let Some(e) = err {
            return Err(e.into());
        }
        entries.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, (e, _))| (e.path.clone(), i))
            .collect();
        Ok(GitTree {
            git_dir: repo.path().to_path_buf(),
            entries,
            index,
        })
    }

    /// The blob id of a path, for diffing snapshots.
    pub fn oid(&self, path: &str) -> Option<git2::Oid> {
        self.index.get(path).map(|i| self.entries[*i].1)
    }
}

impl Source for GitTree {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        Ok(self.entries.iter().map(|(e, _)| e.clone()).collect())
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        let oid = self
            .oid(path)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, path.to_string()))?;
        REPO.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().map(|(p, _)| p != &self.git_dir).unwrap_or(true) {
                let r = git2::Repository::open(&self.git_dir).map_err(std::io::Error::other)?;
                *slot = Some((self.git_dir.clone(), r));
            }
            let (_, repo) = slot.as_ref().expect("just set");
            // Size-check the object before inflating it.
            let (size, _) = repo
                .odb()
                .and_then(|o| o.read_header(oid))
                .map_err(std::io::Error::other)?;
            if size as u64 > yaml::MAX_FILE_BYTES {
                return Err(std::io::Error::other(crate::fsutil::ReadError::TooLarge {
                    cap: crate::fsutil::RECORD.cap,
                    what: crate::fsutil::RECORD.what,
                }));
            }
            let blob = repo.find_blob(oid).map_err(std::io::Error::other)?;
            Ok(blob.content().to_vec())
        })
    }
}

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
    let (conv_folder, exact) = folder_of(&e.path);
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
    // The size is known up front for git objects, and after a bounded read
    // (at most one byte over the limit) for files.
    let too_large = || {
        vec![finding(
            Code::FileTooLarge,
            Pos::START,
            format!(
                "file is larger than {} bytes (1 MiB), the most gitsm reads",
                yaml::MAX_FILE_BYTES
            ),
        )
        .with_hint("records are small; split the data or move it out of the ITSM repo")]
    };
    if e.size > yaml::MAX_FILE_BYTES {
        return (None, too_large());
    }
    let bytes = match source.read(&e.path) {
        Ok(b) => b,
        Err(err) => {
            use crate::fsutil::ReadError;
            let inner = err.get_ref();
            if let Some(fe) = inner.and_then(|i| i.downcast_ref::<FolderError>()) {
                return (
                    None,
                    vec![
                        finding(Code::UnreadableFolder, Pos::START, format!("`{}/`: {fe}", e.path))
                            .with_hint("records in it are not loaded; fix its permissions or remove it"),
                    ],
                );
            }
            match inner.and_then(|i| i.downcast_ref::<ReadError>()) {
                Some(ReadError::TooLarge { .. }) => return (None, too_large()),
                Some(ReadError::Symlink(p)) => {
                    return (
                        None,
                        vec![
                            finding(Code::Symlink, Pos::START, format!("`{p}` is a symbolic link"))
                                .with_hint(
                                "gitsm does not follow symlinks; replace it with the file or folder itself",
                            ),
                        ],
                    )
                }
                Some(ReadError::NotRegular) => {
                    return (
                        None,
                        vec![finding(
                            Code::UnreadableFile,
                            Pos::START,
                            "not a regular file (a FIFO, socket or device); gitsm does not open it".into(),
                        )
                        .with_hint("records are regular files")],
                    )
                }
                _ => {}
            }
            return (
                None,
                vec![finding(
                    Code::UnreadableFile,
                    Pos::START,
                    format!("cannot read file: {err}"),
                )],
            );
        }
    };
    if bytes.len() as u64 > yaml::MAX_FILE_BYTES {
        return (None, too_large());
    }
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
            return (
                None,
                vec![finding(Code::NotARecord, pos, msg).with_hint(format!(
                    "every file in a record folder is a record: start it with `apiVersion: {API_VERSION}`, or move it elsewhere"
                ))],
            );
        }
        if kindlike {
            return (
                None,
                vec![finding(
                    Code::LooksLikeRecord,
                    node.pos,
                    format!(
                        "file has `kind: {}` but no `apiVersion: {API_VERSION}`; it is not loaded",
                        kind_name.unwrap_or("")
                    ),
                )
                .with_hint(format!("add `apiVersion: {API_VERSION}` if it is a record"))],
            );
        }
        return (None, Vec::new());
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
    // Conventions: folder and file name.
    if kind != Kind::Config {
        let expected = kind.folder();
        let actual = e.path.split('/').next().unwrap_or("");
        // `expected` may be nested (`catalog/requests`).
        let in_expected =
            e.path.starts_with(expected) && e.path.as_bytes().get(expected.len()) == Some(&b'/');
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
    }
    (
        Some(Loaded {
            path: e.path.clone(),
            record,
        }),
        findings,
    )
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

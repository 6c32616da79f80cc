//! Every [`Source`] of records in one place: the work tree, a git tree at a
//! revision, and the in-memory ones (bytes in a map, one file laid over
//! another source) that the gate and the authoring commands validate before
//! anything is written. A source lists files and reads bytes; the loader in
//! [`super`] turns them into records.

use super::CONFIG_FILE;
use crate::model::RECORD_FOLDERS;
use crate::yaml;
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A file a source offers: path relative to the repo root with `/` separators.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    /// Size when the source knows it cheaply (git objects), else 0.
    pub size: u64,
    pub symlink: bool,
    /// The file's identity as the listing saw it, when the source's cache
    /// wants it (the work tree stats each file as it walks, relative to its
    /// folder: cheaper than a path lookup per file later).
    pub id: Option<super::cache::FileId>,
}

/// Where records come from.
pub trait Source: Sync {
    /// Every YAML file the loader should consider (hidden folders, `templates/`
    /// and output folders already left out).
    fn entries(&self) -> anyhow::Result<Vec<Entry>>;
    /// The bytes of one entry.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
    /// The loader's cache for this source, if it has one (the work tree).
    fn cache(&self) -> Option<&super::cache::Cache> {
        None
    }
    /// The identity of an entry's file as it is now, for the cache: `None`
    /// when it is not a plain regular file the source can vouch for.
    fn file_id(&self, _path: &str) -> Option<super::cache::FileId> {
        None
    }
}

/// Folders never searched for records, besides hidden ones.
fn skipped_top(first: &str, extra: &[String]) -> bool {
    first == "templates" || extra.iter().any(|e| e.trim_matches('/') == first)
}

pub fn is_yaml_name(name: &str) -> bool {
    // Without lowering a copy of the name: this runs for every file.
    let ends_with = |suffix: &str| {
        name.len() >= suffix.len()
            && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    ends_with(".yaml") || ends_with(".yml")
}

/// Files of a folder the walk takes (and stats on every core) at a time.
pub(super) const WALK_BATCH: usize = 4096;

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
    /// YAML-named entries the walk saw as neither file, folder nor link
    /// (FIFOs, sockets, devices): refused without being opened.
    special: std::sync::OnceLock<std::collections::HashSet<String>>,
    /// The loader's cache, when the caller asked for one.
    cache: Option<super::cache::Cache>,
    /// A walk started ahead of the load ([`WorkTree::walk_ahead`]), which
    /// the next [`Source::entries`] takes.
    ahead: std::sync::Mutex<Option<std::thread::JoinHandle<anyhow::Result<Walk>>>>,
}

/// What one walk of the work tree found.
struct Walk {
    entries: Vec<Entry>,
    walked: std::collections::HashSet<String>,
    special: std::collections::HashSet<String>,
    unreadable: HashMap<String, String>,
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
            special: Default::default(),
            cache: None,
            ahead: Default::default(),
        }
    }

    /// The work tree loaded through `cache` (see [`super::cache`]).
    pub fn with_cache(mut self, cache: Option<super::cache::Cache>) -> Self {
        self.cache = cache;
        self
    }

    /// The work tree at `root`, cached as the environment says
    /// ([`super::cache::Cache::from_env`]): what the CLI's read-only
    /// commands load.
    pub fn cached(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let cache = super::cache::Cache::from_env(&root);
        WorkTree::new(root).with_cache(cache)
    }

    /// Starts listing the tree (and, with a cache, taking each file's
    /// identity) on a thread of its own, for a caller with other work to
    /// do before it loads: the report reads the branch's merges meanwhile.
    /// The next [`Source::entries`] waits for it and gives what it found;
    /// any later one walks again.
    pub fn walk_ahead(self) -> Self {
        let (root, skip, ids) = (self.root.clone(), self.skip.clone(), self.cache.is_some());
        let handle = std::thread::spawn(move || walk(&root, &skip, ids));
        *self.ahead.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        self
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

/// Lists the YAML files (and suspicious links, unreadable folders) under
/// `root` but hidden entries and the `skip`ped top folders, in path order;
/// with `with_ids` each regular file's identity for the cache.
fn walk(root: &Path, skip: &[String], with_ids: bool) -> anyhow::Result<Walk> {
    let mut out = Vec::new();
    let mut walked = std::collections::HashSet::new();
    let mut special = std::collections::HashSet::new();
    let mut unreadable = HashMap::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let mut rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            // The root must be readable; any folder below is one finding.
            Err(e) if !rel.is_empty() => {
                unreadable.insert(rel.clone(), e.to_string());
                out.push(Entry {
                    path: rel.clone(),
                    size: 0,
                    symlink: false,
                    id: None,
                });
                continue;
            }
            Err(e) => anyhow::bail!("cannot read {}: {e}", dir.display()),
        };
        walked.insert(rel.clone());
        // Each of the folder's entries is looked at — named, typed, its path
        // built and, for a YAML file, its identity for the cache taken (one
        // `lstat`) — on every core, a batch at a time so a folder of a
        // million files is not held whole; only the keeping is in order.
        // (At 100k files in a folder the walk was a third of a cached
        // report's time.)
        loop {
            let batch: Vec<std::fs::DirEntry> = rd.by_ref().take(WALK_BATCH).collect::<Result<_, _>>()?;
            if batch.is_empty() {
                break;
            }
            let seen: Vec<Seen> = batch
                .par_iter()
                .map(|ent| see(ent, &rel, skip, with_ids))
                .collect::<std::io::Result<_>>()?;
            out.reserve(seen.len());
            for (ent, seen) in batch.iter().zip(seen) {
                match seen {
                    Seen::Nothing => {}
                    Seen::Folder(path) => stack.push((ent.path(), path)),
                    Seen::Link(path) => out.push(Entry {
                        path,
                        size: 0,
                        symlink: true,
                        id: None,
                    }),
                    Seen::Yaml { path, regular, id } => {
                        // No stat per file (`read` checks the size itself),
                        // but for the cache's identity.
                        if !regular {
                            special.insert(path.clone());
                        }
                        out.push(Entry {
                            path,
                            size: 0,
                            symlink: false,
                            id,
                        });
                    }
                }
            }
        }
    }
    // Paths are unique: no order among equals to keep.
    out.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(Walk {
        entries: out,
        walked,
        special,
        unreadable,
    })
}

/// What the walk makes of one entry of a folder (see [`see`]).
enum Seen {
    /// Hidden, skipped, or neither YAML, folder nor a suspicious link.
    Nothing,
    /// A folder to walk, by its path.
    Folder(String),
    /// A symlink with a YAML or record folder's name.
    Link(String),
    /// A YAML name: a regular file (with its identity, when asked for) or
    /// something else by that name (a device, a FIFO: a finding when read).
    Yaml {
        path: String,
        regular: bool,
        id: Option<super::cache::FileId>,
    },
}

/// One entry of the folder at `rel`; a path is built only for what is kept
/// (most entries of a folder are).
fn see(ent: &std::fs::DirEntry, rel: &str, skip: &[String], with_ids: bool) -> std::io::Result<Seen> {
    let file_name = ent.file_name();
    let name = file_name.to_string_lossy();
    if name.starts_with('.') {
        return Ok(Seen::Nothing);
    }
    let ft = ent.file_type()?;
    let path_of = || {
        if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        }
    };
    Ok(if ft.is_dir() {
        if rel.is_empty() && skipped_top(&name, skip) {
            Seen::Nothing
        } else {
            Seen::Folder(path_of())
        }
    } else if ft.is_symlink() {
        if suspicious_link(&name) {
            Seen::Link(path_of())
        } else {
            Seen::Nothing
        }
    } else if is_yaml_name(&name) {
        let regular = ft.is_file();
        let id = (regular && with_ids)
            .then(|| ent.metadata().ok().and_then(|m| super::cache::FileId::of(&m)))
            .flatten();
        Seen::Yaml {
            path: path_of(),
            regular,
            id,
        }
    } else {
        Seen::Nothing
    })
}

impl Source for WorkTree {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let ahead = self.ahead.lock().unwrap_or_else(|e| e.into_inner()).take();
        let found = match ahead {
            Some(handle) => handle
                .join()
                .map_err(|_| anyhow::anyhow!("the walk of {} failed", self.root.display()))??,
            None => walk(&self.root, &self.skip, self.cache.is_some())?,
        };
        self.unreadable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(found.unreadable);
        let _ = self.walked.set(found.walked);
        let _ = self.special.set(found.special);
        Ok(found.entries)
    }

    fn cache(&self) -> Option<&super::cache::Cache> {
        self.cache.as_ref()
    }

    /// `lstat` of a file the walk listed in a folder it entered: a regular
    /// file, never one behind a link.
    fn file_id(&self, path: &str) -> Option<super::cache::FileId> {
        let parent = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let walked = self.walked.get().is_some_and(|w| w.contains(parent));
        if !walked || self.special.get().is_some_and(|s| s.contains(path)) {
            return None;
        }
        if self
            .unreadable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(path)
        {
            return None;
        }
        super::cache::FileId::of(&std::fs::symlink_metadata(self.root.join(path)).ok()?)
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
        let read = if self.special.get().is_some_and(|s| s.contains(path)) {
            Err(crate::fsutil::ReadError::NotRegular)
        } else if walked {
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
                    id: None,
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

/// A [`Source`] over bytes in memory.
pub struct MapSource<'a> {
    pub files: BTreeMap<&'a str, &'a [u8]>,
}

impl<'a> MapSource<'a> {
    pub fn new() -> Self {
        MapSource {
            files: BTreeMap::new(),
        }
    }
    pub fn add(&mut self, path: &'a str, bytes: &'a [u8]) {
        self.files.insert(path, bytes);
    }
}

impl Default for MapSource<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl Source for MapSource<'_> {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        Ok(self
            .files
            .iter()
            .map(|(p, b)| Entry {
                path: p.to_string(),
                size: b.len() as u64,
                symlink: false,
                id: None,
            })
            .collect())
    }
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .map(|b| b.to_vec())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, path.to_string()))
    }
}

/// A source that shows one file with new contents (or one extra file) on top
/// of another source, so a record can be validated before it is written.
pub struct Overlay<'a> {
    pub base: &'a dyn Source,
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Source for Overlay<'_> {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut v: Vec<Entry> = self
            .base
            .entries()?
            .into_iter()
            .filter(|e| e.path != self.path)
            .collect();
        v.push(Entry {
            path: self.path.clone(),
            size: self.bytes.len() as u64,
            symlink: false,
            id: None,
        });
        v.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(v)
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if path == self.path {
            Ok(self.bytes.clone())
        } else {
            self.base.read(path)
        }
    }
}

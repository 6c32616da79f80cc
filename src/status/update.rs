//! Updating a site gitsm wrote before, in place: a record page whose
//! [`PageKey`] (its template fingerprint and whole context, hashed) is the
//! one the manifest recorded, and whose file is still the one written then
//! (same size, mtime and inode), is left alone — neither rendered nor
//! written. Every other file is written atomically (a temp file renamed over
//! it), and anything in the folder this run did not produce is removed, so
//! the folder ends as [`super::site::Staging`] would have left it.
//!
//! At a million records that is the difference between writing 378,000
//! incident pages (and unlinking the 378,000 of the last run) and writing the
//! handful whose incidents changed. What it gives up is the swap's
//! all-at-once switch: while it runs a reader may see some pages newer than
//! others (each one whole). `gitsm status-page --rebuild` takes the swap.
//!
//! The manifest (`.gitsm-status-manifest`) is a line per record page: key,
//! size, mtime (ns), inode, path. Anything wrong with it — missing, foreign,
//! damaged — only means every page is written again.

use super::render::{Output, PageKey, SiteFile};
use super::site::{checked_relative, SiteError, MARKER};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The manifest's file name in the site folder (hidden: no page can be
/// named like it, see [`checked_relative`]).
pub const MANIFEST: &str = ".gitsm-status-manifest";
const HEADER: &str = "gitsm-status-manifest 1";

/// A record page as written: its key and the file's identity after writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub key: PageKey,
    pub size: u64,
    pub mtime_ns: i128,
    pub ino: u64,
}

impl Written {
    fn of(key: PageKey, md: &std::fs::Metadata) -> Written {
        let (mtime_ns, ino) = identity(md);
        Written {
            key,
            size: md.len(),
            mtime_ns,
            ino,
        }
    }

    /// Whether `md` is still the file this entry recorded.
    fn matches(&self, md: &std::fs::Metadata) -> bool {
        md.file_type().is_file() && md.len() == self.size && identity(md) == (self.mtime_ns, self.ino)
    }
}

#[cfg(unix)]
fn identity(md: &std::fs::Metadata) -> (i128, u64) {
    use std::os::unix::fs::MetadataExt;
    (
        i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec()),
        md.ino(),
    )
}

#[cfg(not(unix))]
fn identity(md: &std::fs::Metadata) -> (i128, u64) {
    let ns = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    (ns, 0)
}

/// The record pages of a site, by path, and the key of what they all share
/// (see [`super::render::site_key`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub site: PageKey,
    pub pages: HashMap<String, Written>,
}

fn push_hex(s: &mut String, key: &PageKey) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in key {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

#[cfg(test)]
fn hex(key: &PageKey) -> String {
    let mut s = String::new();
    push_hex(&mut s, key);
    s
}

/// The manifest's text for `pages`, sorted by path.
fn manifest_text(site: &PageKey, pages: &[(String, Written)]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(96 * pages.len() + HEADER.len() + 34);
    s.push_str(HEADER);
    s.push(' ');
    push_hex(&mut s, site);
    s.push('\n');
    for (p, w) in pages {
        push_hex(&mut s, &w.key);
        let _ = writeln!(s, " {} {} {} {p}", w.size, w.mtime_ns, w.ino);
    }
    s
}

fn unhex(s: &str) -> Option<PageKey> {
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    let mut key = [0u8; 16];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

impl Manifest {
    /// The manifest's text.
    pub fn to_text(&self) -> String {
        let mut pages: Vec<(String, Written)> = self.pages.iter().map(|(p, w)| (p.clone(), *w)).collect();
        pages.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        manifest_text(&self.site, &pages)
    }

    /// Reads a manifest's text; `None` unless every line is well formed and
    /// names a plain page path (a tampered manifest never names a file
    /// outside the folder).
    pub fn parse(text: &str) -> Option<Manifest> {
        let mut lines = text.lines();
        let site = unhex(lines.next()?.strip_prefix(HEADER)?.strip_prefix(' ')?)?;
        let mut m = HashMap::new();
        for line in lines {
            let mut f = line.splitn(5, ' ');
            let key = unhex(f.next()?)?;
            let size = f.next()?.parse().ok()?;
            let mtime_ns = f.next()?.parse().ok()?;
            let ino = f.next()?.parse().ok()?;
            let path = f.next()?;
            checked_relative(path).ok()?;
            m.insert(
                path.to_string(),
                Written {
                    key,
                    size,
                    mtime_ns,
                    ino,
                },
            );
        }
        Some(Manifest { site, pages: m })
    }

    /// The manifest of the site in `dir`, if it has a readable one.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let text = crate::fsutil::read_given(&dir.join(MANIFEST), crate::fsutil::OUTPUT).ok()?;
        Manifest::parse(std::str::from_utf8(&text).ok()?)
    }
}

/// Record pages written so far, for the manifest a run leaves.
#[derive(Debug, Default)]
pub struct Recorder(Mutex<Vec<(String, Written)>>);

impl Recorder {
    pub fn add(&self, path: &str, w: Written) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.to_string(), w));
    }

    /// Writes a file and returns what to record of it.
    pub fn write(full: &Path, bytes: &[u8], key: PageKey) -> std::io::Result<Written> {
        use std::io::Write;
        let mut f = std::fs::File::create(full)?;
        f.write_all(bytes)?;
        Ok(Written::of(key, &f.metadata()?))
    }

    /// The pages recorded, sorted by path.
    pub fn into_sorted(self) -> Vec<(String, Written)> {
        let mut pages = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        pages.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        pages
    }

    /// The manifest's text for the pages recorded.
    pub fn into_text(self, site: PageKey) -> String {
        manifest_text(&site, &self.into_sorted())
    }
}

/// Writes `text` to `dir/name` atomically (temp file and rename).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SiteError> {
    let full = dir.join(name);
    match replace(dir, &full, &mut |w| Ok(w.write_all(bytes)?)) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.downcast::<SiteError>() {
            Ok(se) => se,
            Err(e) => SiteError::Io(full, std::io::Error::other(e.to_string())),
        }),
    }
}

/// Writes `full` (in folder `dir`) through a temp file renamed over it:
/// a reader sees the old file or the new one, and a symlink planted in its
/// place is replaced, not followed. Returns the new file's metadata (for
/// the manifest; a rename keeps size, mtime and inode).
fn replace(dir: &Path, full: &Path, write: super::render::Stream<'_>) -> anyhow::Result<std::fs::Metadata> {
    use std::io::Write;
    let io = |e: std::io::Error| SiteError::Io(full.to_path_buf(), e);
    let mut w = std::io::BufWriter::with_capacity(1 << 16, temp_in(dir).map_err(io)?);
    write(&mut w)?;
    w.flush().map_err(io)?;
    let tmp = w.into_inner().map_err(|e| io(e.into_error()))?;
    let md = tmp.as_file().metadata().map_err(io)?;
    tmp.persist(full).map_err(|e| io(e.error))?;
    Ok(md)
}

/// A temp file in `dir` that becomes a page: hidden (so a run that dies
/// leaves nothing a later run keeps) and created with the umask's mode, as
/// `std::fs::write` would.
fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut b = tempfile::Builder::new();
    b.prefix(".gitsm-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

/// A site being updated in place (see the module's docs).
pub struct Update {
    root: PathBuf,
    old: Manifest,
    /// Folders under `root` checked to be real folders (no symlinks) or
    /// created by this run.
    folders: Mutex<HashSet<PathBuf>>,
    /// Every file but the record pages this run writes, relative to `root`
    /// (the record pages are in `record`).
    paths: Mutex<Vec<String>>,
    record: Recorder,
}

impl Update {
    /// An update of the site in `out`, when there is one worth updating: a
    /// folder gitsm wrote (see [`super::site::check_out`]) with a readable
    /// manifest made with the same `site` key. `Ok(None)` means: write a
    /// fresh site instead — also when the site key changed (another gitsm,
    /// other templates or page settings), since then every page changes and
    /// a fresh folder is much cheaper than replacing each page in place.
    pub fn begin(out: &Path, repo_root: Option<&Path>, site: PageKey) -> Result<Option<Update>, SiteError> {
        let root = super::site::check_out(out, repo_root)?;
        let marked = std::fs::symlink_metadata(root.join(MARKER)).is_ok_and(|m| m.is_file());
        if !marked {
            return Ok(None);
        }
        let Some(old) = Manifest::read(&root).filter(|m| m.site == site) else {
            return Ok(None);
        };
        Ok(Some(Update {
            root,
            old,
            folders: Mutex::new(HashSet::new()),
            paths: Mutex::new(Vec::new()),
            record: Recorder::default(),
        }))
    }

    /// The folder of `rel` (a checked relative path) under `root`, made if
    /// missing; an error if any part of it is not a real folder.
    fn folder_of(&self, rel: &Path) -> Result<PathBuf, SiteError> {
        let mut dir = self.root.clone();
        let Some(parent) = rel.parent() else {
            return Ok(dir);
        };
        for c in parent.components() {
            dir.push(c);
            let mut seen = self.folders.lock().unwrap_or_else(|e| e.into_inner());
            if seen.contains(&dir) {
                continue;
            }
            match std::fs::symlink_metadata(&dir) {
                Ok(m) if m.file_type().is_dir() => {}
                Ok(_) => {
                    return Err(SiteError::Hostile(
                        self.root.clone(),
                        format!(
                            "{} is not a folder gitsm wrote (a symlink or a file)",
                            dir.display()
                        ),
                    ))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir(&dir).map_err(|e| SiteError::Io(dir.clone(), e))?;
                }
                Err(e) => return Err(SiteError::Io(dir.clone(), e)),
            }
            seen.insert(dir.clone());
        }
        Ok(dir)
    }

    fn keep(&self, path: &str) {
        self.paths
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_string());
    }

    /// Removes whatever this run did not keep or write, writes the manifest,
    /// and returns the folder.
    pub fn finish(self) -> Result<PathBuf, SiteError> {
        let Update {
            root,
            paths,
            record,
            old,
            ..
        } = self;
        let mut others: HashSet<String> = paths
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .collect();
        others.insert(MARKER.to_string());
        others.insert(MANIFEST.to_string());
        let pages = record.into_sorted();
        let keep = |path: &str| {
            others.contains(path) || pages.binary_search_by(|(p, _)| p.as_str().cmp(path)).is_ok()
        };
        prune(&root, "", &keep);
        write_atomic(&root, MANIFEST, manifest_text(&old.site, &pages).as_bytes())?;
        Ok(root)
    }
}

/// Removes everything under `root/rel` not in `keep` (folders that end up
/// empty too). Symlinks are removed, never followed. Best effort: what
/// cannot be removed stays.
fn prune(root: &Path, rel: &str, keep: &dyn Fn(&str) -> bool) -> bool {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return false;
    };
    let mut empty = true;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{}", name)
        };
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if prune(root, &path, keep) {
                let _ = std::fs::remove_dir(e.path());
            } else {
                empty = false;
            }
        } else if keep(&path) {
            empty = false;
        } else {
            let _ = std::fs::remove_file(e.path());
        }
    }
    empty
}

impl Output for Update {
    fn unchanged(&self, path: &str, key: &PageKey) -> bool {
        let Some(w) = self.old.pages.get(path) else {
            return false;
        };
        if &w.key != key {
            return false;
        }
        // The folders on the way must be real ones: a symlinked folder is
        // not "our page", whatever the file behind it is.
        let Ok(rel) = checked_relative(path) else {
            return false;
        };
        if self.folder_of(&rel).is_err() {
            return false;
        }
        match std::fs::symlink_metadata(self.root.join(&rel)) {
            Ok(md) if w.matches(&md) => {
                self.record.add(path, *w);
                true
            }
            _ => false,
        }
    }

    fn put_streamed(&self, path: &str, write: super::render::Stream<'_>) -> anyhow::Result<()> {
        let rel = checked_relative(path)?;
        replace(&self.folder_of(&rel)?, &self.root.join(&rel), write)?;
        self.keep(path);
        Ok(())
    }

    fn put(&self, f: SiteFile, key: Option<PageKey>) -> anyhow::Result<()> {
        let rel = checked_relative(&f.path)?;
        let dir = self.folder_of(&rel)?;
        let md = replace(&dir, &self.root.join(&rel), &mut |w| Ok(w.write_all(&f.bytes)?))?;
        match key {
            Some(key) => self.record.add(&f.path, Written::of(key, &md)),
            None => self.keep(&f.path),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_refuses_anything_odd() {
        let mut m = Manifest {
            site: [9; 16],
            ..Manifest::default()
        };
        m.pages.insert(
            "incidents/INC-1.html".into(),
            Written {
                key: [7; 16],
                size: 3104,
                mtime_ns: 1_700_000_000_123_456_789,
                ino: 42,
            },
        );
        let text = m.to_text();
        let back = Manifest::parse(&text).expect("parses");
        assert_eq!(back, m);
        let good_line = text.lines().nth(1).unwrap();
        let site = hex(&m.site);
        assert_eq!(site, "09".repeat(16));
        for bad in [
            String::new(),
            format!("gitsm-status-manifest 2 {site}\n{good_line}\n"),
            format!("gitsm-status-manifest 1\n{good_line}\n"),
            format!("gitsm-status-manifest 1 {}\n{good_line}\n", &site[1..]),
            text.replace("incidents/INC-1.html", "../outside.html"),
            text.replace("incidents/INC-1.html", "/etc/passwd"),
            text.replace(" 42 ", " -1 "),
            text.replace("0707", "zz07"),
            format!("{HEADER} {site}\n{}\n", &good_line[..40]),
        ] {
            assert!(Manifest::parse(&bad).is_none(), "{bad:?}");
        }
    }
}

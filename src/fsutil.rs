//! The one way gitsm reads and writes files.
//!
//! Reading: [`read_in_repo`] for everything that comes from the ITSM repo
//! (records, `gitsm.yaml`, templates, the source lines a finding quotes) and
//! [`read_given`] for files named on the command line or by the CI
//! environment. Both refuse anything but a regular file without reading it
//! (a FIFO would block, `/dev/zero` never ends), cap the size per kind of
//! file, and re-check the opened handle (`fstat`) so a swap between the check
//! and the open gains nothing. Repo reads also refuse every symlink on the
//! way (`O_NOFOLLOW` on the file itself, `lstat` on each folder) and any path
//! that is not plainly inside the repo.
//!
//! Writing: [`write_file`] writes atomically (a temp file in the same folder,
//! fsync, rename: a reader or a crash sees the old file or the new one), never
//! through a symlinked file or folder, and never replaces a file it was not
//! asked to: records keep their mode, new files follow the umask, and output
//! files are replaced only when they carry gitsm's marker.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// A size cap and what it applies to (named in the refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub cap: u64,
    pub what: &'static str,
}

/// Records and `gitsm.yaml`.
pub const RECORD: Limit = Limit {
    cap: crate::yaml::MAX_FILE_BYTES,
    what: "a record",
};
/// Report and status page templates (and the status page's stylesheet).
pub const TEMPLATE: Limit = Limit {
    cap: 1 << 20,
    what: "a template",
};
/// JSON named on the command line or by CI (`--reviews`, `--pr-body`,
/// `$GITHUB_EVENT_PATH`): a PR with thousands of reviews stays well below.
pub const INPUT: Limit = Limit {
    cap: 32 << 20,
    what: "an input file",
};
/// An output file gitsm may replace: read only to find its marker.
pub const OUTPUT: Limit = Limit {
    cap: 256 << 20,
    what: "an output file",
};

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NotFound,
    #[error("`{0}` is a symbolic link; gitsm does not follow symlinks in the repo")]
    Symlink(String),
    #[error("`{0}` is not a plain relative path inside the repo")]
    Outside(String),
    #[error("not a regular file (a folder, FIFO, socket or device); gitsm does not open it")]
    NotRegular,
    #[error("file is larger than {cap} bytes, the most gitsm reads for {what}")]
    TooLarge { cap: u64, what: &'static str },
    #[error("{0}")]
    Io(std::io::Error),
}

impl ReadError {
    /// A refusal of hostile or absurd content, as opposed to an I/O failure.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, ReadError::Io(_) | ReadError::NotFound)
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(e)
        }
    }
}

/// The components of a repo-relative `/` path, or `Outside`.
fn plain_components(rel: &str) -> Result<Vec<&str>, ReadError> {
    let comps: Vec<&str> = rel.split('/').collect();
    let ok = !rel.is_empty()
        && comps
            .iter()
            .all(|c| !c.is_empty() && *c != "." && *c != ".." && !c.contains('\\'))
        && !Path::new(rel).is_absolute();
    if ok {
        Ok(comps)
    } else {
        Err(ReadError::Outside(rel.to_string()))
    }
}

/// Opens a file for reading without blocking (a FIFO swapped in after the
/// check) and, unless `follow`, without following a final symlink; then
/// checks the handle itself is a regular file no larger than the cap.
fn open_regular(
    path: &Path,
    follow: bool,
    shown: &str,
    limit: Limit,
) -> Result<(std::fs::File, u64), ReadError> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        o.custom_flags(flags);
    }
    let f = match o.open(path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if !follow && e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(ReadError::Symlink(shown.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    #[cfg(not(unix))]
    let _ = (follow, shown);
    let md = f.metadata()?;
    if !md.is_file() {
        return Err(ReadError::NotRegular);
    }
    if md.len() > limit.cap {
        return Err(too_large(limit));
    }
    Ok((f, md.len()))
}

fn too_large(limit: Limit) -> ReadError {
    ReadError::TooLarge {
        cap: limit.cap,
        what: limit.what,
    }
}

/// Reads at most `cap + 1` bytes, so a file that grew after the check costs
/// no more than the cap.
fn read_capped((mut f, size): (std::fs::File, u64), limit: Limit) -> Result<Vec<u8>, ReadError> {
    // `size`, which `open_regular` checked, as a hint: one `read` of one
    // byte more than it says ends at a regular file's end, so the usual
    // record costs one read, not read_to_end's two. A file that grew or
    // shrank since (or a short read) is read on to the cap, as before.
    let hint = size.min(limit.cap);
    let mut buf = vec![0u8; hint as usize + 1];
    let n = loop {
        match f.read(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    };
    buf.truncate(n);
    if n as u64 != hint {
        f.take(limit.cap + 1 - n as u64).read_to_end(&mut buf)?;
    }
    if buf.len() as u64 > limit.cap {
        return Err(too_large(limit));
    }
    Ok(buf)
}

/// Checks a repo-relative path without opening anything: every folder on the
/// way is a real folder (no symlink), the file itself a regular file (not a
/// symlink, FIFO or device) within the cap.
pub fn check_in_repo(root: &Path, rel: &str, limit: Limit) -> Result<PathBuf, ReadError> {
    let comps = plain_components(rel)?;
    let mut p = root.to_path_buf();
    for (i, c) in comps.iter().enumerate() {
        p.push(c);
        let md = std::fs::symlink_metadata(&p)?;
        let last = i + 1 == comps.len();
        if md.file_type().is_symlink() {
            return Err(ReadError::Symlink(comps[..=i].join("/")));
        }
        if !last && !md.is_dir() {
            return Err(ReadError::NotFound);
        }
        if last {
            if !md.is_file() {
                return Err(ReadError::NotRegular);
            }
            if md.len() > limit.cap {
                return Err(too_large(limit));
            }
        }
    }
    Ok(p)
}

/// Reads a file of the ITSM repo: `rel` is relative to `root` with `/`
/// separators. See the module documentation for what is refused.
pub fn read_in_repo(root: &Path, rel: &str, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let p = check_in_repo(root, rel, limit)?;
    let f = open_regular(&p, false, rel, limit)?;
    read_capped(f, limit)
}

/// [`read_in_repo`] for a regular file the caller's own walk found: the walk
/// never descends through a symlinked folder and saw the file's type, so
/// only the file itself is checked, by `O_NOFOLLOW|O_NONBLOCK` and `fstat`
/// (a file swapped for a link or a FIFO since is refused, never followed or
/// waited on). Saves the per-folder `lstat`s, and the file's own, on repos of
/// 100k records; a folder swapped for a link *during* the run is the one
/// case it does not see (the checkout is not expected to change under a
/// running gitsm; every other reader checks every folder).
pub fn read_walked(root: &Path, rel: &str, limit: Limit) -> Result<Vec<u8>, ReadError> {
    plain_components(rel)?;
    let p = root.join(rel);
    let f = open_regular(&p, false, rel, limit)?;
    read_capped(f, limit)
}

/// [`read_in_repo`] as UTF-8 text (invalid UTF-8 is an `Io` error).
pub fn read_text_in_repo(root: &Path, rel: &str, limit: Limit) -> Result<String, ReadError> {
    let bytes = read_in_repo(root, rel, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))
    })
}

/// Reads a file named on the command line or by the CI environment: where
/// it is (symlinks followed, as the user named it), but a regular file only
/// and at most `limit.cap` bytes.
pub fn read_given(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let md = std::fs::metadata(path)?;
    if !md.is_file() {
        return Err(ReadError::NotRegular);
    }
    if md.len() > limit.cap {
        return Err(too_large(limit));
    }
    let f = open_regular(path, true, &path.display().to_string(), limit)?;
    read_capped(f, limit)
}

/// [`read_given`] as UTF-8 text.
pub fn read_given_text(path: &Path, limit: Limit) -> Result<String, ReadError> {
    String::from_utf8(read_given(path, limit)?).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))
    })
}

/// Content refused as hostile or absurd (exit 1), with the reason; for
/// callers that carry errors as `anyhow::Error`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Whether an error (anywhere in its chain) is a refusal of the content
/// rather than a usage or I/O failure.
pub fn is_refusal(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.is::<Refused>()
            || c.downcast_ref::<ReadError>().is_some_and(ReadError::is_refusal)
            || c.downcast_ref::<WriteError>().is_some_and(WriteError::is_refusal)
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// Lists a folder of the repo (`rel`, `/` separated) whose every component
/// is a real folder, not a symlink: `Ok(None)` when it does not exist.
pub fn list_dir_in_repo(root: &Path, rel: &str) -> Result<Option<Vec<String>>, ReadError> {
    let comps = plain_components(rel)?;
    let mut p = root.to_path_buf();
    for (i, c) in comps.iter().enumerate() {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(md) if md.file_type().is_symlink() => return Err(ReadError::Symlink(comps[..=i].join("/"))),
            Ok(md) if md.is_dir() => {}
            Ok(_) => return Err(ReadError::NotRegular),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    let mut names = Vec::new();
    for ent in std::fs::read_dir(&p)? {
        names.push(ent?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(Some(names))
}

/// What to do when the target file exists.
#[derive(Clone, Copy)]
pub enum Replace<'a> {
    /// Never replace: the file must not exist (new records, `init`).
    Never,
    /// Replace a regular file, keeping its mode (record edits).
    Edit,
    /// Replace only a regular file whose bytes satisfy the check: the marker
    /// of a file gitsm wrote (reports, schemas).
    IfOurs(&'a dyn Fn(&[u8]) -> bool),
}

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}: a symbolic link is on the way; gitsm does not write through symlinks")]
    Symlink(PathBuf),
    #[error("{0}: already exists; gitsm does not replace it")]
    Exists(PathBuf),
    #[error("{0}: gitsm did not write this file (it lacks gitsm's marker); refusing to replace it")]
    NotOurs(PathBuf),
    #[error("{0}: not a regular file; refusing to replace it")]
    NotRegular(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

impl WriteError {
    /// A refusal (exit 1) rather than an I/O failure (exit 2).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, WriteError::Io(..))
    }
}

/// Splits a path named on the command line into a trusted base and the
/// part gitsm checks for symlinks: a relative path is checked whole (from
/// the current folder); an absolute one inside `repo` from the repo root on;
/// any other absolute path in its last two components (the file and its
/// folder), since the folders above it are the user's own choice.
pub fn split_given(path: &Path, repo: Option<&Path>) -> (PathBuf, PathBuf) {
    if path.is_relative() {
        // Leading `..` climb out of the current folder: they are the user's
        // own choice, like an absolute path's folders.
        let comps: Vec<Component> = path.components().collect();
        let lead = comps
            .iter()
            .take_while(|c| matches!(c, Component::ParentDir | Component::CurDir))
            .count();
        return (comps[..lead].iter().collect(), comps[lead..].iter().collect());
    }
    if let Some(r) = repo.filter(|r| r.is_absolute()) {
        if let Ok(rest) = path.strip_prefix(r) {
            return (r.to_path_buf(), rest.to_path_buf());
        }
    }
    let comps: Vec<Component> = path.components().collect();
    let keep = comps.len().saturating_sub(2).max(1);
    let base: PathBuf = comps[..keep].iter().collect();
    let rel: PathBuf = comps[keep..].iter().collect();
    (base, rel)
}

/// Creates the folders of `rel` under `base` one by one, refusing any
/// component that is (or becomes) a symlink or is not a plain name.
fn ensure_dirs(base: &Path, rel: &Path) -> Result<PathBuf, WriteError> {
    let mut p = base.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(n) => p.push(n),
            Component::CurDir => continue,
            // `..` could climb over a checked folder into an unchecked one.
            _ => return Err(WriteError::Symlink(base.join(rel))),
        }
        match std::fs::symlink_metadata(&p) {
            Ok(md) if md.file_type().is_symlink() => return Err(WriteError::Symlink(p)),
            Ok(md) if md.is_dir() => {}
            Ok(_) => return Err(WriteError::NotRegular(p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(WriteError::Io(p, e)),
                }
                let md = std::fs::symlink_metadata(&p).map_err(|e| WriteError::Io(p.clone(), e))?;
                if !md.is_dir() {
                    return Err(WriteError::Symlink(p));
                }
            }
            Err(e) => return Err(WriteError::Io(p, e)),
        }
    }
    Ok(p)
}

/// The absolute, symlink-free form of `path`, which need not exist: its
/// nearest existing ancestor resolved, the rest appended as written.
pub fn resolve_lexically(path: &Path) -> std::io::Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        match std::fs::canonicalize(cur) {
            Ok(mut c) => {
                for comp in rest.iter().rev() {
                    match comp {
                        Component::Normal(n) => c.push(n),
                        Component::ParentDir => {
                            c.pop();
                        }
                        _ => {}
                    }
                }
                return Ok(c);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let Some(last) = cur.components().next_back() else {
                    return Err(e);
                };
                rest.push(last);
                cur = cur.parent().ok_or(e)?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Checks, without writing anything, that `base/rel` may be written under
/// `replace`: no symlink on the way, and an existing file is one the policy
/// allows to replace. Returns the mode to keep, if any. Callers that write
/// several files check them all first, so a refusal leaves nothing half done.
pub fn check_target(
    base: &Path,
    rel: &Path,
    replace: Replace<'_>,
) -> Result<Option<std::fs::Permissions>, WriteError> {
    let mut p = base.to_path_buf();
    let comps: Vec<Component> = rel.components().collect();
    for (i, c) in comps.iter().enumerate() {
        match c {
            Component::Normal(n) => p.push(n),
            Component::CurDir => continue,
            _ => return Err(WriteError::Symlink(base.join(rel))),
        }
        let last = i + 1 == comps.len();
        match std::fs::symlink_metadata(&p) {
            Ok(md) if md.file_type().is_symlink() => return Err(WriteError::Symlink(p)),
            Ok(md) if !last && !md.is_dir() => return Err(WriteError::NotRegular(p)),
            Ok(md) if last => {
                if !md.is_file() {
                    return Err(WriteError::NotRegular(p));
                }
                return match replace {
                    Replace::Never => Err(WriteError::Exists(p)),
                    Replace::Edit => Ok(Some(md.permissions())),
                    Replace::IfOurs(check) => {
                        let ours = open_regular(&p, false, "", OUTPUT)
                            .and_then(|f| read_capped(f, OUTPUT))
                            .is_ok_and(|b| check(&b));
                        if ours {
                            Ok(Some(md.permissions()))
                        } else {
                            Err(WriteError::NotOurs(p))
                        }
                    }
                };
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(WriteError::Io(p, e)),
        }
    }
    Ok(None)
}

/// Writes `bytes` to `base/rel` atomically. Every component of `rel` is
/// checked (no symlink, folders created as needed); `base` is trusted.
pub fn write_file(
    base: &Path,
    rel: &Path,
    bytes: &[u8],
    replace: Replace<'_>,
) -> Result<PathBuf, WriteError> {
    let name = match rel.components().next_back() {
        Some(Component::Normal(n)) => n.to_owned(),
        _ => return Err(WriteError::NotRegular(base.join(rel))),
    };
    check_target(base, rel, replace)?;
    let dir_rel = rel.parent().unwrap_or(Path::new(""));
    // The base is the caller's choice (trusted); it may not exist yet.
    if !base.as_os_str().is_empty() && !base.exists() {
        std::fs::create_dir_all(base).map_err(|e| WriteError::Io(base.to_path_buf(), e))?;
    }
    let dir = ensure_dirs(base, dir_rel)?;
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let path = dir.join(&name);
    let io = |e: std::io::Error| WriteError::Io(path.clone(), e);
    // Checked again now the folders exist: the first check saw only what
    // was there before.
    let keep_mode = check_target(&dir, Path::new(&name), replace)?;
    let mut b = tempfile::Builder::new();
    b.prefix(".gitsm-").suffix(".tmp");
    // tempfile's default is 0600; a new file follows the umask like any
    // other tool's (the mode given here is masked by it).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = b.tempfile_in(&dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    if let Some(perm) = keep_mode {
        tmp.as_file().set_permissions(perm).map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    // Test hook: `GITSM_TEST_FAIL_RENAME=1` makes the final rename fail, as a
    // crash between writing and renaming would. Tests use it to show that the
    // old file stays whole and no temp file is left behind.
    if std::env::var_os("GITSM_TEST_FAIL_RENAME").is_some_and(|v| v == "1") {
        drop(tmp);
        return Err(io(std::io::Error::other(
            "rename failed (GITSM_TEST_FAIL_RENAME test hook)",
        )));
    }
    match replace {
        Replace::Never => {
            tmp.persist_noclobber(&path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    WriteError::Exists(path.clone())
                } else {
                    io(e.error)
                }
            })?;
        }
        _ => {
            tmp.persist(&path).map_err(|e| io(e.error))?;
        }
    }
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

/// Writes a record file `rel` (a `/` path) of the repo at `root`.
pub fn write_in_repo(
    root: &Path,
    rel: &str,
    bytes: &[u8],
    replace: Replace<'_>,
) -> Result<PathBuf, WriteError> {
    if plain_components(rel).is_err() {
        return Err(WriteError::NotRegular(root.join(rel)));
    }
    write_file(root, Path::new(rel), bytes, replace)
}

/// Whether `dir` (absolute, symlinks resolved) is a place an output command
/// must not write into: the repo root itself or a folder above it, `.git`
/// or a hidden folder of the repo, or a record folder. `None` when fine, else
/// why not.
pub fn forbidden_output(dir: &Path, repo_root: &Path, clears: bool) -> Option<String> {
    let root = std::fs::canonicalize(repo_root).unwrap_or_else(|_| repo_root.to_path_buf());
    if clears && root.starts_with(dir) {
        return Some(format!(
            "{} is the ITSM repo or a folder above it; an output folder is replaced as a whole",
            dir.display()
        ));
    }
    if let Ok(rest) = dir.strip_prefix(&root) {
        if let Some(Component::Normal(first)) = rest.components().next() {
            let first = first.to_string_lossy();
            if first.starts_with('.') {
                return Some(format!(
                    "{} is inside the hidden folder `{first}/` of the repo",
                    dir.display()
                ));
            }
            if crate::model::RECORD_FOLDERS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(&first))
            {
                return Some(format!(
                    "{} is inside the record folder `{first}/`",
                    dir.display()
                ));
            }
        }
    }
    if clears {
        // The status page writes `incidents/*.html` itself: a record folder
        // is one that holds YAML.
        for f in crate::model::RECORD_FOLDERS {
            let yaml = std::fs::read_dir(dir.join(f)).is_ok_and(|rd| {
                rd.flatten()
                    .any(|e| crate::repo::is_yaml_name(&e.file_name().to_string_lossy()))
            });
            if yaml {
                return Some(format!("{} holds the record folder `{f}/`", dir.display()));
            }
        }
        if dir.join(crate::repo::CONFIG_FILE).exists() || dir.join(".git").exists() {
            return Some(format!("{} holds an ITSM or git repo", dir.display()));
        }
    }
    // Inside any git dir (`.git/` of this or another repo).
    if dir.components().any(|c| c.as_os_str() == ".git") {
        return Some(format!("{} is inside a `.git` folder", dir.display()));
    }
    None
}

#[cfg(test)]
#[path = "fsutil_tests.rs"]
mod tests;

//! Writing the site: into a fresh folder next to `--out`, then swapped in, so
//! a page that is no longer public (a service turned private, say) never
//! lingers from an earlier run, and readers never see half a site.
//!
//! Every file path is checked component by component and joined under the
//! canonicalized folder; nothing is written anywhere else.

use super::render::SiteFile;
use std::path::{Component, Path, PathBuf};

/// Marks a folder as written by `gitsm status-page`; only such a folder (or
/// an empty one) is replaced.
pub const MARKER: &str = ".gitsm-status-page";

/// Errors writing the site.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("--out {0}: the folder holds files gitsm did not write; choose an empty or new folder")]
    NotOurs(PathBuf),
    #[error("--out {0}: not a usable folder name")]
    BadOut(PathBuf),
    #[error("refusing to write `{0}`: the path is not a plain relative path inside --out")]
    UnsafePath(String),
    #[error("--out {0}: refusing to replace it: {1}")]
    Hostile(PathBuf, String),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

impl SiteError {
    /// Refused because the repo's content would make the write destroy
    /// something (exit 1), not because of usage or I/O.
    pub fn is_refusal(&self) -> bool {
        matches!(self, SiteError::Hostile(..) | SiteError::UnsafePath(_))
    }
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> SiteError + '_ {
    move |e| SiteError::Io(p.to_path_buf(), e)
}

/// Checks a site-relative path: `/`-separated components of letters, digits,
/// `.`, `_`, `-`, none empty, `.` or `..`, none starting with a dot.
pub fn checked_relative(rel: &str) -> Result<PathBuf, SiteError> {
    let bad = || SiteError::UnsafePath(rel.to_string());
    let mut p = PathBuf::new();
    for comp in rel.split('/') {
        let ok = !comp.is_empty()
            && !comp.starts_with('.')
            && comp
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(bad());
        }
        p.push(comp);
    }
    if p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(bad());
    }
    Ok(p)
}

/// The absolute, symlink-free path `--out` names. Nothing is created: the
/// checks run before anything is touched.
pub fn resolve_out(out: &Path) -> Result<PathBuf, SiteError> {
    if out.exists() {
        let c = std::fs::canonicalize(out).map_err(io(out))?;
        if !c.is_dir() {
            return Err(SiteError::BadOut(out.to_path_buf()));
        }
        return Ok(c);
    }
    if !matches!(out.components().next_back(), Some(Component::Normal(_))) {
        return Err(SiteError::BadOut(out.to_path_buf()));
    }
    crate::fsutil::resolve_lexically(out).map_err(io(out))
}

/// Removes a folder tree we wrote, unlinking files in parallel (10k incident
/// pages take a while one by one). Symlinks are removed, never followed.
/// Best effort: whatever is left is removed by the caller's `TempDir`.
fn remove_tree(dir: &Path) {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < dirs.len() {
        if let Ok(rd) = std::fs::read_dir(&dirs[i]) {
            for e in rd.flatten() {
                match e.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(e.path()),
                    _ => files.push(e.path()),
                }
            }
        }
        i += 1;
    }
    files.par_iter().for_each(|f| {
        let _ = std::fs::remove_file(f);
    });
    for d in dirs.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
}

/// Checks that `out` may be replaced as a whole, touching nothing: no
/// symlink on the way (as named: `site -> .` committed in the repo must not
/// turn into the repo); empty or marked by gitsm (the marker a regular file,
/// not a link); and, with every symlink resolved, not the repo root nor a
/// folder above it, not inside `.git` or a record folder, holding no record
/// folder. Returns the resolved folder.
pub fn check_out(out: &Path, repo_root: Option<&Path>) -> Result<PathBuf, SiteError> {
    let hostile = |why: String| SiteError::Hostile(out.to_path_buf(), why);
    let (base, rel) = crate::fsutil::split_given(out, repo_root);
    let mut p = base;
    for c in rel.components() {
        p.push(c);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(hostile(format!(
                "{} is a symbolic link; gitsm does not write through symlinks",
                p.display()
            )));
        }
    }
    let target = resolve_out(out)?;
    if target.is_dir() {
        let mut entries = std::fs::read_dir(&target).map_err(io(&target))?;
        let empty = entries.next().is_none();
        let marked = std::fs::symlink_metadata(target.join(MARKER)).is_ok_and(|m| m.is_file());
        if !empty && !marked {
            return Err(SiteError::NotOurs(target));
        }
    }
    if let Some(root) = repo_root {
        if let Some(why) = crate::fsutil::forbidden_output(&target, root, true) {
            return Err(hostile(why));
        }
    } else if target.components().any(|c| c.as_os_str() == ".git") {
        return Err(hostile("it is inside a `.git` folder".into()));
    }
    Ok(target)
}

/// Writes `files` as the new content of `out` (see [`check_out`] for what
/// is refused). Returns the folder written.
pub fn write(out: &Path, repo_root: Option<&Path>, files: &[SiteFile]) -> Result<PathBuf, SiteError> {
    use rayon::prelude::*;
    let staging = Staging::begin(out, repo_root)?;
    files.par_iter().try_for_each(|f| staging.put_file(f, None))?;
    staging.finish()
}

/// A site being written: files go into a fresh folder next to `--out` as
/// they are rendered (so ten thousand incident pages are never all in
/// memory), and [`Staging::finish`] swaps the folder in. Dropped unfinished,
/// the folder is removed and `--out` is untouched.
pub struct Staging {
    out: PathBuf,
    target: PathBuf,
    dir: tempfile::TempDir,
    /// Record pages written, for the manifest a later update reads.
    record: super::update::Recorder,
    /// The site key the manifest is written with (see
    /// [`super::render::site_key`]).
    site: super::render::PageKey,
}

impl Staging {
    /// Checks `out` ([`check_out`]) and creates the staging folder.
    pub fn begin(out: &Path, repo_root: Option<&Path>) -> Result<Staging, SiteError> {
        Staging::begin_keyed(out, repo_root, [0; 16])
    }

    /// [`Staging::begin`] for a site whose manifest carries `site` (see
    /// [`super::render::site_key`]).
    pub fn begin_keyed(
        out: &Path,
        repo_root: Option<&Path>,
        site: super::render::PageKey,
    ) -> Result<Staging, SiteError> {
        let target = check_out(out, repo_root)?;
        let parent = target
            .parent()
            .ok_or_else(|| SiteError::BadOut(out.to_path_buf()))?;
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let dir = tempfile::Builder::new()
            .prefix(".gitsm-status-new-")
            .tempdir_in(parent)
            .map_err(io(parent))?;
        Ok(Staging {
            out: out.to_path_buf(),
            target,
            dir,
            record: super::update::Recorder::default(),
            site,
        })
    }

    /// Writes one file of the site (its path checked by [`checked_relative`]),
    /// recording a record page's key for the manifest.
    pub fn put_file(&self, f: &SiteFile, key: Option<super::render::PageKey>) -> Result<(), SiteError> {
        let root = self.dir.path();
        let full = root.join(checked_relative(&f.path)?);
        if !full.starts_with(root) {
            return Err(SiteError::UnsafePath(f.path.clone()));
        }
        let write = || match key {
            Some(key) => {
                let w = super::update::Recorder::write(&full, &f.bytes, key)?;
                self.record.add(&f.path, w);
                Ok(())
            }
            None => std::fs::write(&full, &f.bytes),
        };
        // The folder is made when the first file into it finds it missing:
        // no `mkdir` per page for ten thousand incident pages.
        match write() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(d) = full.parent() {
                    std::fs::create_dir_all(d).map_err(io(d))?;
                }
                write().map_err(io(&full))
            }
            other => other.map_err(io(&full)),
        }
    }

    /// Marks the folder as ours and puts it in the place of `--out`.
    pub fn finish(self) -> Result<PathBuf, SiteError> {
        let Staging {
            out,
            target,
            dir,
            record,
            site,
        } = self;
        let parent = target.parent().ok_or_else(|| SiteError::BadOut(out.clone()))?;
        let root = dir.path().to_path_buf();
        super::update::write_atomic(&root, super::update::MANIFEST, record.into_text(site).as_bytes())?;
        std::fs::write(
            root.join(MARKER),
            "This folder is written by `gitsm status-page` and replaced on every run.\n",
        )
        .map_err(io(&root))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).map_err(io(&root))?;
        }
        let root = dir.keep();
        if target.exists() {
            let old = tempfile::Builder::new()
                .prefix(".gitsm-status-old-")
                .tempdir_in(parent)
                .map_err(io(parent))?;
            let old_site = old.path().join("site");
            std::fs::rename(&target, &old_site).map_err(io(&target))?;
            if let Err(e) = std::fs::rename(&root, &target) {
                let _ = std::fs::rename(&old_site, &target);
                let _ = std::fs::remove_dir_all(&root);
                return Err(SiteError::Io(target, e));
            }
            remove_tree(&old_site);
            // `old` is removed with anything left in it when dropped.
        } else if let Err(e) = std::fs::rename(&root, &target) {
            let _ = std::fs::remove_dir_all(&root);
            return Err(SiteError::Io(target, e));
        }
        Ok(target)
    }
}

impl super::render::Output for Staging {
    fn unchanged(&self, _: &str, _: &super::render::PageKey) -> bool {
        false
    }
    fn put(&self, f: SiteFile, key: Option<super::render::PageKey>) -> anyhow::Result<()> {
        Ok(self.put_file(&f, key)?)
    }
    fn put_streamed(&self, path: &str, write: super::render::Stream<'_>) -> anyhow::Result<()> {
        use std::io::Write;
        let root = self.dir.path();
        let full = root.join(checked_relative(path)?);
        if let Some(d) = full.parent() {
            std::fs::create_dir_all(d).map_err(io(d))?;
        }
        let file = std::fs::File::create(&full).map_err(io(&full))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        w.flush().map_err(io(&full))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths() {
        assert!(checked_relative("incidents/INC-0001.html").is_ok());
        for bad in [
            "../x",
            "../../x.html",
            "/etc/passwd",
            "a//b",
            "a/./b",
            ".hidden",
            "a\\..\\b",
            "incidents/..",
            "",
        ] {
            assert!(checked_relative(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_a_folder_it_did_not_write() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("precious.txt"), "x").unwrap();
        let files = vec![SiteFile {
            path: "index.html".into(),
            bytes: b"hi".to_vec(),
        }];
        assert!(matches!(
            write(tmp.path(), None, &files),
            Err(SiteError::NotOurs(_))
        ));
        assert!(tmp.path().join("precious.txt").is_file());
    }

    #[test]
    fn replaces_its_own_folder_and_drops_stale_pages() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        let a = vec![
            SiteFile {
                path: "index.html".into(),
                bytes: b"1".to_vec(),
            },
            SiteFile {
                path: "incidents/INC-1.html".into(),
                bytes: b"old".to_vec(),
            },
        ];
        write(&out, None, &a).unwrap();
        let b = vec![SiteFile {
            path: "index.html".into(),
            bytes: b"2".to_vec(),
        }];
        write(&out, None, &b).unwrap();
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"2");
        assert!(!out.join("incidents/INC-1.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("site")]);
        let bad = vec![SiteFile {
            path: "../../x.html".into(),
            bytes: b"x".to_vec(),
        }];
        assert!(matches!(write(&out, None, &bad), Err(SiteError::UnsafePath(_))));
        assert!(!tmp.path().join("x.html").exists());
    }
}

//! The loader's cache of a work tree: each file's record, loader findings
//! and [`Glance`], kept by path and file identity, so a second run over a
//! large repo reads one file instead of parsing every record again.
//!
//! - **What is kept**: exactly what [`super::load_entry`] gives for a file
//!   (the typed record, or none, and the loader's findings on it) and what
//!   the figures screens read of its text. The rules that read several
//!   records (references, policy, workflows) always run again. A file a
//!   screen skipped keeps its glance only; a later run that needs it parses
//!   it then.
//! - **When an entry counts**: its path and its identity are those of the
//!   file now: size, modification and status-change times (nanoseconds),
//!   inode and device. Any write to a file changes its status-change time,
//!   which no program can set back, and replacing it changes its inode.
//!   A file changed within two seconds before a run is not kept (its
//!   times could repeat within the clock's granularity: git's "racy" rule).
//! - **Which build**: the cache names the gitsm version and the executable's
//!   size and time; another build starts afresh.
//! - **Where**: `$GITSM_CACHE_DIR`, else `$XDG_CACHE_HOME/gitsm`, else
//!   `~/.cache/gitsm`, one file per repo root, for repos of at least
//!   [`MIN_FILES`] files (`GITSM_CACHE_MIN_FILES` to change it).
//!   `GITSM_CACHE=off` turns it off. In CI (`CI` set, as every CI service
//!   sets it) only a folder named by `GITSM_CACHE_DIR` is used: a fresh
//!   runner would write a cache and never read it. Only the work tree is cached: the gate reads git objects and never
//!   sees the cache.
//! - **Failure**: the cache is an optimisation. A missing, foreign, stale or
//!   corrupt cache file, or one that cannot be written, only means files are
//!   read again; a run never fails or changes its output because of it.

mod codec;

pub(super) use codec::{decode_glance, decode_rest, encode};
use codec::{put_str, put_u64, Reader};
use rayon::prelude::*;

use super::Entry;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"gitsm-cache-5\n";
/// Blobs are stored in LZ4-compressed frames of about this many bytes: the
/// entries shrink ~5× (at a million records the cache's write is what a
/// cold run pays for most), and LZ4 looks back only 64 KiB, so a larger
/// frame would compress no better but cost a warm run more memory.
const FRAME_BYTES: usize = 1 << 20;
/// No frame is larger once decompressed (a corrupt length is refused
/// before anything is allocated for it).
const MAX_FRAME_BYTES: u64 = 64 << 20;
/// A frame's header: its length decompressed, compressed, and the CRC-32
/// of the compressed bytes.
const FRAME_HEAD: usize = 24;
/// The file's tail: where the index starts, its entries, its CRC-32, `END`.
const TAIL: usize = 24 + END.len();
const END: &[u8] = b"gitsmEND";
/// Repos with fewer files are loaded without the cache: they load in
/// milliseconds anyway, and a test suite's hundreds of tiny temporary repos
/// should not leave a cache file each.
pub const MIN_FILES: usize = 2000;

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
}

impl FileId {
    /// The identity of what `lstat` says, when it is a regular file.
    #[cfg(unix)]
    pub fn of(md: &std::fs::Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        if !md.file_type().is_file() {
            return None;
        }
        Some(FileId {
            size: md.size(),
            mtime_ns: md
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(md.mtime_nsec()),
            ctime_ns: md
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(md.ctime_nsec()),
            ino: md.ino(),
            dev: md.dev(),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_: &std::fs::Metadata) -> Option<FileId> {
        None
    }

    /// Changed so recently (at or after `cutoff_ns`) that a later change
    /// could leave the same times.
    fn racy(&self, cutoff_ns: i64) -> bool {
        self.mtime_ns >= cutoff_ns || self.ctime_ns >= cutoff_ns
    }
}

/// Where a repo's cache lives.
#[derive(Debug, Clone)]
pub struct Cache {
    file: PathBuf,
    key: Vec<u8>,
    min_files: usize,
}

/// This build of gitsm: its version and its executable's size, mtime and
/// inode. What gitsm wrote to reuse later (the loader's cache, the status
/// page's manifest) is keyed by it, so another build never trusts it.
pub fn build_identity() -> Vec<u8> {
    let mut key = format!("gitsm {}\n", env!("CARGO_PKG_VERSION")).into_bytes();
    if let Some(md) = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
    {
        let id = FileId::of(&md);
        key.extend(format!("{} {:?}\n", md.len(), id.map(|i| (i.mtime_ns, i.ino))).bytes());
    }
    key
}

impl Cache {
    /// The cache for the work tree at `root` as the environment asks (see
    /// the module docs), or `None` when it is turned off or has no home.
    pub fn from_env(root: &Path) -> Option<Cache> {
        if std::env::var("GITSM_CACHE").is_ok_and(|v| matches!(v.as_str(), "off" | "0" | "false" | "no")) {
            return None;
        }
        // A CI job usually runs on a fresh machine that keeps nothing: the
        // cache would be written and never read. Naming a folder (one the
        // job restores, e.g. with actions/cache) turns it on there.
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        let dir = match std::env::var_os("GITSM_CACHE_DIR").filter(|d| !d.is_empty()) {
            Some(d) => PathBuf::from(d),
            None if ci => return None,
            None => match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
                Some(d) => PathBuf::from(d).join("gitsm"),
                None => PathBuf::from(std::env::var_os("HOME").filter(|d| !d.is_empty())?)
                    .join(".cache")
                    .join("gitsm"),
            },
        };
        let min_files = std::env::var("GITSM_CACHE_MIN_FILES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(MIN_FILES);
        Some(Cache::in_dir(&dir, root).min_files(min_files))
    }

    /// The cache for `root` in folder `dir`.
    pub fn in_dir(dir: &Path, root: &Path) -> Cache {
        use sha2::Digest;
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let mut key = build_identity();
        key.extend(root.to_string_lossy().bytes());
        // Named by the root alone: another build's file is replaced, not
        // left beside it.
        let digest = sha2::Sha256::digest(root.to_string_lossy().as_bytes());
        let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Cache {
            file: dir.join(format!("{name}.bin")),
            key,
            min_files: MIN_FILES,
        }
    }

    /// Uses the cache from `n` files on (default [`MIN_FILES`]).
    pub fn min_files(mut self, n: usize) -> Cache {
        self.min_files = n;
        self
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// The paths the cache file holds an entry for, in order; none when
    /// there is no usable cache file.
    pub fn cached_paths(&self) -> Vec<String> {
        OldCache::open(&self.file, &self.key).map_or_else(Vec::new, |o| {
            (0..o.len())
                .filter_map(|i| Some(o.entry(i)?.path.to_string()))
                .collect()
        })
    }

    /// A run over `entries`: the old cache read, if it is usable.
    pub(super) fn start(&self, entries: usize) -> Option<Run> {
        if entries < self.min_files {
            return None;
        }
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Some(Run {
            cache: self.clone(),
            old: OldCache::open(&self.file, &self.key),
            cutoff_ns: now_ns.saturating_sub(2_000_000_000),
            writer: None,
            before_writer: Vec::new(),
            hits: 0,
            dirty: false,
            frames: Vec::new(),
        })
    }
}

/// One entry of a cache file's index: the file offset of the frame that
/// holds its blob, and where the blob lies in that frame once decompressed.
#[derive(Debug, Clone, Copy)]
struct IndexEntry<'a> {
    path: &'a str,
    id: FileId,
    frame: u64,
    offset: u64,
    len: u64,
}

impl IndexEntry<'_> {
    fn write(&self, w: &mut Vec<u8>) {
        put_str(w, self.path);
        let id = self.id;
        for v in [
            id.size,
            id.mtime_ns as u64,
            id.ctime_ns as u64,
            id.ino,
            id.dev,
            self.frame,
            self.offset,
            self.len,
        ] {
            put_u64(w, v);
        }
    }

    fn read<'a>(r: &mut Reader<'a>) -> Option<IndexEntry<'a>> {
        Some(IndexEntry {
            path: r.str()?,
            id: FileId {
                size: r.u64()?,
                mtime_ns: r.i64()?,
                ctime_ns: r.i64()?,
                ino: r.u64()?,
                dev: r.u64()?,
            },
            frame: r.u64()?,
            offset: r.u64()?,
            len: r.u64()?,
        })
    }
}

/// The cache file found at the start of a run. Its index stays in its
/// written form, with where each entry starts: at a million files that is
/// ~100 MB instead of twice that as owned entries.
struct OldCache {
    file: File,
    raw: Vec<u8>,
    /// Where each entry starts in `raw`, in path order.
    starts: Vec<usize>,
    /// The entry after the one last found: the work tree lists files in
    /// about the index's order, so it is usually the next one asked for.
    next: std::sync::atomic::AtomicUsize,
}

impl OldCache {
    fn open(path: &Path, key: &[u8]) -> Option<OldCache> {
        use std::io::Read;
        let mut file = File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        let mut head = vec![0u8; MAGIC.len() + 8];
        file.read_exact(&mut head).ok()?;
        let key_len = u64::from_le_bytes(head[MAGIC.len()..].try_into().ok()?);
        if &head[..MAGIC.len()] != MAGIC || key_len != key.len() as u64 {
            return None;
        }
        let mut found = vec![0u8; key.len()];
        file.read_exact(&mut found).ok()?;
        if found != key {
            return None;
        }
        let data_start = (MAGIC.len() + 8 + key.len()) as u64;
        let tail_at = size.checked_sub(TAIL as u64)?;
        let tail = read_at(&file, tail_at, TAIL)?;
        if &tail[24..] != END {
            return None;
        }
        let word = |i: usize| u64::from_le_bytes(tail[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let (index_at, n, crc) = (word(0), word(1), word(2));
        if index_at < data_start || index_at > tail_at {
            return None;
        }
        let raw = read_at(&file, index_at, usize::try_from(tail_at - index_at).ok()?)?;
        if u64::from(crc32fast::hash(&raw)) != crc {
            return None;
        }
        let mut starts = Vec::with_capacity(usize::try_from(n).ok()?.min(raw.len() / 72));
        let mut r = Reader::new(&raw);
        let mut last: Option<&str> = None;
        for _ in 0..n {
            starts.push(raw.len() - r.b.len());
            let e = IndexEntry::read(&mut r)?;
            let in_data = e.frame >= data_start && e.frame < index_at;
            let in_frame = e
                .offset
                .checked_add(e.len)
                .is_some_and(|end| end <= MAX_FRAME_BYTES);
            if !in_data || !in_frame || last.is_some_and(|l| l >= e.path) {
                return None;
            }
            last = Some(e.path);
        }
        if !r.done() {
            return None;
        }
        Some(OldCache {
            file,
            raw,
            starts,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Entry `i` (checked when the file was opened).
    fn entry(&self, i: usize) -> Option<IndexEntry<'_>> {
        IndexEntry::read(&mut Reader::new(self.raw.get(*self.starts.get(i)?..)?))
    }

    /// Entry `i`'s path as bytes, unchecked: bytes order as their `str`s
    /// do, so the search compares them without reading (and validating)
    /// whole entries at every step.
    fn path_at(&self, i: usize) -> Option<&[u8]> {
        Reader::new(self.raw.get(*self.starts.get(i)?..)?).str_bytes()
    }

    /// The entry for `path`: the one after the last found if it is that,
    /// else by binary search.
    fn find(&self, path: &str) -> Option<(usize, IndexEntry<'_>)> {
        use std::sync::atomic::Ordering::Relaxed;
        let hint = self.next.load(Relaxed);
        let found = if self.path_at(hint) == Some(path.as_bytes()) {
            Some(hint)
        } else {
            let (mut lo, mut hi) = (0, self.len());
            let mut found = None;
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                match self.path_at(mid)?.cmp(path.as_bytes()) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => {
                        found = Some(mid);
                        break;
                    }
                }
            }
            found
        }?;
        self.next.store(found + 1, Relaxed);
        Some((found, self.entry(found)?))
    }

    /// The decompressed frame at file offset `at`, appended to `buf`;
    /// `false` when it cannot be read.
    ///
    /// The compressed bytes are read into `buf` too, past where the frame
    /// decompresses to, so a reused buffer is all a frame needs: no fresh
    /// memory per frame.
    fn frame_into(&self, at: u64, buf: &mut Vec<u8>) -> bool {
        let mut head = [0u8; FRAME_HEAD];
        if !read_into(&self.file, at, &mut head) {
            return false;
        }
        let word = |i: usize| u64::from_le_bytes(head[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let (raw_len, packed_len, crc) = (word(0), word(1), word(2));
        if raw_len > MAX_FRAME_BYTES || packed_len > MAX_FRAME_BYTES * 2 {
            return false;
        }
        let (raw_len, packed_len) = (raw_len as usize, packed_len as usize);
        let start = buf.len();
        buf.resize(start + raw_len + packed_len, 0);
        let (out, packed) = buf[start..].split_at_mut(raw_len);
        // LZ4 has no check of its own: a damaged frame must not decode as
        // other records.
        let intact = read_into(&self.file, at + FRAME_HEAD as u64, packed)
            && u64::from(crc32fast::hash(packed)) == crc;
        let decompressed = if intact {
            lz4_flex::block::decompress_into(packed, out).ok()
        } else {
            None
        };
        match decompressed {
            Some(n) if n == raw_len => {
                buf.truncate(start + raw_len);
                true
            }
            _ => {
                buf.truncate(start);
                false
            }
        }
    }
}

fn read_at(file: &File, offset: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    read_into(file, offset, &mut buf).then_some(buf)
}

/// Fills `buf` from `offset`; `false` when the file is shorter or unreadable.
fn read_into(file: &File, offset: u64, buf: &mut [u8]) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset).is_ok()
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek};
        let Ok(mut f) = file.try_clone() else { return false };
        f.seek(std::io::SeekFrom::Start(offset)).is_ok() && f.read_exact(buf).is_ok()
    }
}

/// The new cache file being written.
struct Writer {
    file: tempfile::NamedTempFile,
    out: BufWriter<File>,
    /// Where the next frame starts in the file.
    pos: u64,
    /// The frame being filled, not yet compressed.
    frame: Vec<u8>,
    /// The index so far, in its written form, and its entries.
    index: Vec<u8>,
    entries: u64,
}

impl Writer {
    fn create(cache: &Cache) -> Option<Writer> {
        let dir = cache.file.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        let file = tempfile::NamedTempFile::new_in(dir).ok()?;
        let mut out = BufWriter::with_capacity(1 << 20, file.reopen().ok()?);
        out.write_all(MAGIC).ok()?;
        out.write_all(&(cache.key.len() as u64).to_le_bytes()).ok()?;
        out.write_all(&cache.key).ok()?;
        Some(Writer {
            file,
            out,
            pos: (MAGIC.len() + 8 + cache.key.len()) as u64,
            frame: Vec::with_capacity(FRAME_BYTES + (64 << 10)),
            index: Vec::new(),
            entries: 0,
        })
    }

    fn add(&mut self, path: &str, id: FileId, blob: &[u8]) -> Option<()> {
        if !self.frame.is_empty() && self.frame.len() + blob.len() > FRAME_BYTES {
            self.flush_frame()?;
        }
        if (self.frame.len() + blob.len()) as u64 > MAX_FRAME_BYTES {
            return None;
        }
        IndexEntry {
            path,
            id,
            frame: self.pos,
            offset: self.frame.len() as u64,
            len: blob.len() as u64,
        }
        .write(&mut self.index);
        self.entries += 1;
        self.frame.extend_from_slice(blob);
        Some(())
    }

    /// Compresses and writes the frame being filled.
    fn flush_frame(&mut self) -> Option<()> {
        if self.frame.is_empty() {
            return Some(());
        }
        let packed = lz4_flex::block::compress(&self.frame);
        self.out
            .write_all(&(self.frame.len() as u64).to_le_bytes())
            .ok()?;
        self.out.write_all(&(packed.len() as u64).to_le_bytes()).ok()?;
        self.out
            .write_all(&u64::from(crc32fast::hash(&packed)).to_le_bytes())
            .ok()?;
        self.out.write_all(&packed).ok()?;
        self.pos += FRAME_HEAD as u64 + packed.len() as u64;
        self.frame.clear();
        Some(())
    }

    fn finish(mut self, to: &Path) -> Option<()> {
        self.flush_frame()?;
        let crc = crc32fast::hash(&self.index);
        self.out.write_all(&self.index).ok()?;
        let mut w = Vec::with_capacity(TAIL);
        put_u64(&mut w, self.pos);
        put_u64(&mut w, self.entries);
        put_u64(&mut w, u64::from(crc));
        w.extend_from_slice(END);
        self.out.write_all(&w).ok()?;
        self.out.flush().ok()?;
        drop(self.out);
        self.file.persist(to).ok()?;
        Some(())
    }
}

/// What one file of a chunk has in the old cache: its entry's position in
/// the old index, and where its blob lies: which of the run's frame
/// buffers, and where in it.
pub(super) struct Hit {
    index: usize,
    frame: usize,
    range: std::ops::Range<usize>,
}

/// What the new cache keeps of one file.
pub(super) enum Keep {
    /// The old cache's entry, which served.
    Hit,
    /// A new entry for the file with this identity.
    Blob(FileId, Vec<u8>),
    /// Nothing (a file that cannot be cached, or changed too recently).
    Nothing,
}

/// One load's use of the cache.
pub(super) struct Run {
    cache: Cache,
    old: Option<OldCache>,
    cutoff_ns: i64,
    writer: Option<Writer>,
    /// Hits before the writer started: (index position in the old cache).
    before_writer: Vec<usize>,
    hits: usize,
    /// Something new to write, or an old entry gone.
    dirty: bool,
    /// The current chunk's frames, decompressed from the old cache, one
    /// buffer each; reused from chunk to chunk (fresh pages are what a VM
    /// charges most for).
    frames: Vec<Vec<u8>>,
}

impl Run {
    /// The old cache's blob for each entry of a chunk whose identity is
    /// unchanged (`ids` from the source), read into the run's buffers.
    pub(super) fn hits(&mut self, chunk: &[Entry], ids: &[Option<FileId>]) -> Vec<Option<Hit>> {
        let mut out: Vec<Option<Hit>> = chunk.iter().map(|_| None).collect();
        let Some(old) = &self.old else {
            return out;
        };
        let found: Vec<Option<usize>> = chunk
            .iter()
            .zip(ids)
            .map(|(e, id)| {
                let id = (*id)?;
                let (i, found) = old.find(&e.path)?;
                (found.id == id).then_some(i)
            })
            .collect();
        // The frames the hits lie in, in the order met (a frame met again
        // after another is read again), then each decompressed into a
        // buffer of its own, on every core.
        let mut at: Vec<u64> = Vec::new();
        let mut frame_of: Vec<Option<usize>> = Vec::with_capacity(found.len());
        for i in &found {
            let frame = i.and_then(|i| old.entry(i)).map(|e| e.frame);
            if let Some(f) = frame {
                if at.last() != Some(&f) {
                    at.push(f);
                }
            }
            frame_of.push(frame.map(|_| at.len() - 1));
        }
        if self.frames.len() < at.len() {
            self.frames.resize_with(at.len(), Vec::new);
        }
        let ok: Vec<bool> = self.frames[..at.len()]
            .par_iter_mut()
            .zip(&at)
            .map(|(buf, &frame)| {
                buf.clear();
                old.frame_into(frame, buf)
            })
            .collect();
        for ((slot, i), frame) in out.iter_mut().zip(&found).zip(frame_of) {
            let (Some(i), Some(frame)) = (*i, frame) else {
                continue;
            };
            let Some(e) = old.entry(i) else { continue };
            if !ok[frame] {
                continue;
            }
            let buf = &self.frames[frame];
            let range = usize::try_from(e.offset).ok().and_then(|from| {
                let to = from.checked_add(usize::try_from(e.len).ok()?)?;
                (to <= buf.len()).then_some(from..to)
            });
            if let Some(range) = range {
                *slot = Some(Hit {
                    index: i,
                    frame,
                    range,
                });
            }
        }
        out
    }

    /// A hit's blob.
    pub(super) fn blob(&self, hit: &Hit) -> &[u8] {
        &self.frames[hit.frame][hit.range.clone()]
    }

    /// Whether a file with this identity may be kept (not changed too
    /// recently).
    pub(super) fn keeps(&self, id: FileId) -> bool {
        !id.racy(self.cutoff_ns)
    }

    /// Records a chunk's outcome: `hits` from [`Run::hits`] (a hit whose
    /// blob was unusable must come back as a new blob or nothing) and what
    /// each file gave.
    /// Takes `keep`'s entries, leaving it empty (and its room for the next chunk).
    pub(super) fn record_chunk(&mut self, chunk: &[Entry], hits: &[Option<Hit>], keep: &mut Vec<Keep>) {
        let news = keep.iter().any(|k| matches!(k, Keep::Blob(..)));
        if news && self.writer.is_none() {
            self.dirty = true;
            self.start_writer();
        }
        for ((e, hit), k) in chunk.iter().zip(hits).zip(keep.drain(..)) {
            match (k, hit) {
                (Keep::Blob(id, blob), _) => {
                    if let Some(w) = &mut self.writer {
                        if w.add(&e.path, id, &blob).is_none() {
                            self.writer = None;
                        }
                    }
                }
                (Keep::Hit, Some(hit)) => {
                    self.hits += 1;
                    match &mut self.writer {
                        Some(w) => {
                            let id = self.old.as_ref().and_then(|o| Some(o.entry(hit.index)?.id));
                            let blob = &self.frames[hit.frame][hit.range.clone()];
                            if id.and_then(|id| w.add(&e.path, id, blob)).is_none() {
                                self.writer = None;
                            }
                        }
                        None => self.before_writer.push(hit.index),
                    }
                }
                (Keep::Hit | Keep::Nothing, _) => {}
            }
        }
    }

    /// Opens the new file and copies the hits seen so far into it.
    fn start_writer(&mut self) {
        let Some(mut w) = Writer::create(&self.cache) else {
            return;
        };
        if let Some(old) = &self.old {
            // Hits come in index order: each frame is decompressed once.
            let mut frame: (u64, Vec<u8>) = (0, Vec::new());
            for &i in &self.before_writer {
                let Some(e) = old.entry(i) else { return };
                if frame.1.is_empty() || frame.0 != e.frame {
                    frame.1.clear();
                    if !old.frame_into(e.frame, &mut frame.1) {
                        return;
                    }
                    frame.0 = e.frame;
                }
                let blob = usize::try_from(e.offset)
                    .ok()
                    .zip(usize::try_from(e.offset + e.len).ok())
                    .and_then(|(from, to)| frame.1.get(from..to));
                if blob.and_then(|b| w.add(e.path, e.id, b)).is_none() {
                    return;
                }
            }
        }
        self.before_writer = Vec::new();
        self.writer = Some(w);
    }

    /// Writes the new cache file if anything changed.
    pub(super) fn finish(mut self) {
        let gone = self.old.as_ref().is_none_or(|o| o.len() != self.hits);
        if !self.dirty && gone {
            self.dirty = true;
            self.start_writer();
        }
        if let Some(w) = self.writer.take() {
            let _ = w.finish(&self.cache.file);
        }
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;

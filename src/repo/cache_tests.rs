//! The cache's own encoding: what is written reads back the same, and no
//! truncated or altered entry is read as anything.

use super::codec::Gave;
use super::*;
use crate::diag::{Code, Finding, Pos, Severity};
use crate::glance::Glance;
use crate::model::{EventDetails, Kind, Record};

const INC: &str = "apiVersion: gitsm/v1\nkind: Incident\nid: INC-0001\nservice: web\naffected_services: [db]\nstatus: closed\ntimeline:\n  - {at: 2026-03-01T10:00:00.5+02:00, by: a, status: new}\n";

/// A settled identity (times long past), told apart by `n`.
fn settled(n: u64) -> FileId {
    FileId {
        size: n,
        mtime_ns: 1,
        ctime_ns: 1,
        ino: n,
        dev: 1,
    }
}

fn gave() -> Gave {
    let record = crate::model::Record::from_json(
        Kind::Service,
        &serde_json::json!({"apiVersion": "gitsm/v1", "kind": "Service", "id": "web", "name": "Web \u{e9}", "owner": "team-web", "sla": "gold", "public": true}),
    )
    .ok();
    assert!(record.is_some());
    let finding = Finding::new(
        Code::FileNameMismatch,
        "catalog/x.yaml",
        Pos { line: 3, column: 7 },
        "file name ≠ id",
    )
    .with_hint("rename it");
    let mut error = Finding::new(Code::MalformedYaml, "catalog/x.yaml", Pos::START, "broken");
    error.severity = Severity::Error;
    (record, vec![finding, error])
}

#[test]
fn an_entry_reads_back_as_it_was_written() {
    let glance = Glance::of(INC);
    assert!(glance.scan.is_some() && glance.services.is_some());
    for g in [glance.clone(), Glance::default()] {
        let blob = encode(&g, None).unwrap();
        let (back, rest) = decode_glance(&blob).unwrap();
        assert_eq!(back, g);
        assert_eq!(
            decode_rest(rest, EventDetails::WHOLE),
            Some(None),
            "only the glance"
        );
        let (record, findings) = gave();
        for r in [record.as_ref(), None] {
            let blob = encode(&g, Some((r, &findings))).unwrap();
            let (back, rest) = decode_glance(&blob).unwrap();
            assert_eq!(back, g);
            assert_eq!(
                decode_rest(rest, EventDetails::WHOLE),
                Some(Some((r.cloned(), findings.clone())))
            );
        }
    }
}

#[test]
fn no_cut_or_altered_entry_reads_as_an_entry() {
    let (record, findings) = gave();
    let blob = encode(&Glance::of(INC), Some((record.as_ref(), &findings))).unwrap();
    let whole =
        |b: &[u8]| decode_glance(b).and_then(|(g, rest)| Some((g, decode_rest(rest, EventDetails::WHOLE)?)));
    for n in 0..blob.len() {
        assert!(whole(&blob[..n]).is_none(), "cut at {n}");
    }
    let mut longer = blob.clone();
    longer.push(0);
    assert!(whole(&longer).is_none());
    // Any single byte changed either fails or still decodes without panic.
    for i in 0..blob.len() {
        let mut b = blob.clone();
        b[i] ^= 0xff;
        let _ = whole(&b);
    }
}

#[test]
fn a_file_changed_at_or_after_the_cutoff_is_racy() {
    let id = FileId {
        size: 1,
        mtime_ns: 100,
        ctime_ns: 200,
        ino: 1,
        dev: 1,
    };
    assert!(!id.racy(201));
    assert!(id.racy(200), "status change at the cutoff");
    assert!(
        FileId { mtime_ns: 300, ..id }.racy(250),
        "modified after the cutoff"
    );
    assert!(!FileId {
        mtime_ns: 249,
        ctime_ns: 249,
        ..id
    }
    .racy(250));
}

#[test]
fn a_cache_file_that_is_not_one_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path(), dir.path());
    for bytes in [
        Vec::new(),
        b"gitsm-cache-1\n".to_vec(),
        [MAGIC, &[255u8; 8][..]].concat(),
        [
            MAGIC,
            &(cache.key.len() as u64).to_le_bytes()[..],
            &cache.key,
            END,
        ]
        .concat(),
    ] {
        std::fs::write(cache.path(), &bytes).unwrap();
        assert!(OldCache::open(cache.path(), &cache.key).is_none());
    }
}

/// A warm load reads the cache, not the files: an entry forged in the cache
/// file (the cache is trusted as the files are; it lives in the user's own
/// cache folder) is what the load gives, and a file changed since is read
/// again.
#[test]
fn a_warm_load_reads_the_cache_and_a_changed_file_again() {
    let repo = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("catalog")).unwrap();
    for id in ["web", "db"] {
        let text = format!("apiVersion: gitsm/v1\nkind: Service\nid: {id}\nname: The {id}\nowner: team-a\n");
        std::fs::write(root.join(format!("catalog/{id}.yaml")), text).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let cache = Cache::in_dir(dir.path(), root).min_files(0);
    let source = || super::super::WorkTree::new(root).with_cache(Some(cache.clone()));
    let names = || -> Vec<String> {
        let snap = super::super::load(&source()).unwrap();
        snap.records
            .iter()
            .map(|l| match &l.record {
                Record::Service(s) => s.name.clone(),
                _ => String::new(),
            })
            .collect()
    };
    assert_eq!(names(), ["The db", "The web"]);
    // Forge `web`'s entry: same identity, another name.
    let old = OldCache::open(cache.path(), &cache.key).unwrap();
    let mut w = Writer::create(&cache).unwrap();
    let mut frame = Vec::new();
    for e in (0..old.len()).map(|i| old.entry(i).unwrap()) {
        frame.clear();
        assert!(old.frame_into(e.frame, &mut frame));
        let blob = &frame[e.offset as usize..(e.offset + e.len) as usize];
        let (glance, rest) = decode_glance(blob).unwrap();
        let (record, findings) = decode_rest(rest, EventDetails::WHOLE).unwrap().unwrap();
        let record = match record {
            Some(Record::Service(mut s)) if s.id.as_str() == "web" => {
                s.name = "Forged".into();
                Some(Record::Service(s))
            }
            r => r,
        };
        let blob = encode(&glance, Some((record.as_ref(), &findings))).unwrap();
        w.add(e.path, e.id, &blob).unwrap();
    }
    drop(old);
    w.finish(cache.path()).unwrap();
    assert_eq!(names(), ["The db", "Forged"], "the warm load read the cache");
    // The file changes: read again.
    std::fs::write(
        root.join("catalog/web.yaml"),
        "apiVersion: gitsm/v1\nkind: Service\nid: web\nname: The new web\nowner: team-a\n",
    )
    .unwrap();
    assert_eq!(names(), ["The db", "The new web"]);
}

/// A source whose one file fails to read until told otherwise, with a
/// settled identity that never changes.
struct Flaky {
    cache: Cache,
    fail: std::sync::atomic::AtomicBool,
}

impl super::super::Source for Flaky {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let id = settled(7);
        Ok(vec![Entry {
            path: "catalog/web.yaml".into(),
            size: 0,
            symlink: false,
            id: Some(id),
        }])
    }
    fn read(&self, _: &str) -> std::io::Result<Vec<u8>> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(std::io::Error::other("input/output error"));
        }
        Ok(b"apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Web\nowner: team-a\n".to_vec())
    }
    fn cache(&self) -> Option<&Cache> {
        Some(&self.cache)
    }
}

#[test]
fn a_file_that_could_not_be_read_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let source = Flaky {
        cache: Cache::in_dir(dir.path(), dir.path()).min_files(0),
        fail: true.into(),
    };
    let snap = super::super::load(&source).unwrap();
    assert_eq!(snap.findings.len(), 1);
    assert_eq!(snap.findings[0].code, Code::UnreadableFile);
    assert!(
        source.cache.cached_paths().is_empty(),
        "the read error is not kept"
    );
    source.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    let snap = super::super::load(&source).unwrap();
    assert!(snap.findings.is_empty());
    assert_eq!(snap.records.len(), 1, "the file reads now");
    assert_eq!(source.cache.cached_paths(), ["catalog/web.yaml"]);
    // Kept: a failing read no longer matters (nothing changed).
    source.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(super::super::load(&source).unwrap().records.len(), 1);
}

#[test]
fn small_entries_share_a_frame_until_it_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path(), dir.path());
    let mut w = Writer::create(&cache).unwrap();
    let id = settled(1);
    let blob = vec![7u8; 1000];
    let n = FRAME_BYTES / 1000 + 10;
    for i in 0..n {
        w.add(&format!("f{i:06}"), id, &blob).unwrap();
    }
    w.finish(cache.path()).unwrap();
    let old = OldCache::open(cache.path(), &cache.key).unwrap();
    let frames: std::collections::BTreeSet<u64> =
        (0..old.len()).map(|i| old.entry(i).unwrap().frame).collect();
    assert_eq!(frames.len(), 2, "one full frame, then the rest");
    let mut frame = Vec::new();
    for i in [0, n - 1] {
        let e = old.entry(i).unwrap();
        frame.clear();
        assert!(old.frame_into(e.frame, &mut frame));
        assert_eq!(&frame[e.offset as usize..(e.offset + e.len) as usize], &blob[..]);
    }
}

#[test]
fn a_frame_holds_exactly_its_size_and_no_entry_beyond_the_largest() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path(), dir.path());
    let id = settled(1);
    // Four quarters fill a frame exactly; the fifth starts the next.
    let mut w = Writer::create(&cache).unwrap();
    let quarter = vec![1u8; FRAME_BYTES / 4];
    for i in 0..8 {
        w.add(&format!("q{i}"), id, &quarter).unwrap();
    }
    w.finish(cache.path()).unwrap();
    let old = OldCache::open(cache.path(), &cache.key).unwrap();
    let frames: std::collections::BTreeSet<u64> =
        (0..old.len()).map(|i| old.entry(i).unwrap().frame).collect();
    assert_eq!(frames.len(), 2);
    // An entry may be as large as a frame may be, not larger.
    let mut w = Writer::create(&cache).unwrap();
    let huge = vec![0u8; MAX_FRAME_BYTES as usize + 1];
    assert!(w.add("a", id, &huge[..MAX_FRAME_BYTES as usize]).is_some());
    assert!(w.add("b", id, &huge).is_none());
}

/// The hits seen before a run's first change are copied into the new file
/// byte for byte, across the old file's frames.
#[test]
fn a_new_cache_file_copies_the_earlier_hits_across_frames() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path(), dir.path()).min_files(0);
    let id = settled;
    // Ten blobs of ~300 KB, each its own bytes: four frames.
    let blobs: Vec<Vec<u8>> = (0..10u8)
        .map(|i| (0..300_000u32).map(|j| (j % 251) as u8 ^ i).collect())
        .collect();
    let mut w = Writer::create(&cache).unwrap();
    for (i, b) in blobs.iter().enumerate() {
        w.add(&format!("f{i}"), id(i as u64), b).unwrap();
    }
    w.finish(cache.path()).unwrap();
    let mut run = cache.start(10).unwrap();
    let old = run.old.as_ref().unwrap();
    let frames: std::collections::BTreeSet<u64> =
        (0..old.len()).map(|i| old.entry(i).unwrap().frame).collect();
    assert!(frames.len() >= 3, "{frames:?}");
    run.before_writer = (0..10).collect();
    run.dirty = true;
    run.start_writer();
    assert!(run.writer.is_some());
    run.finish();
    let new = OldCache::open(cache.path(), &cache.key).unwrap();
    assert_eq!(new.len(), 10);
    let mut frame = Vec::new();
    for (i, b) in blobs.iter().enumerate() {
        let e = new.entry(i).unwrap();
        assert_eq!((e.path, e.id), (format!("f{i}").as_str(), id(i as u64)));
        frame.clear();
        assert!(new.frame_into(e.frame, &mut frame));
        assert!(
            &frame[e.offset as usize..(e.offset + e.len) as usize] == b.as_slice(),
            "blob {i}"
        );
    }
}

#[test]
fn find_gives_each_path_its_own_entry_in_any_order_of_asking() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path(), dir.path());
    let mut w = Writer::create(&cache).unwrap();
    let n = 257u64;
    // Written in path order, each with its own identity and blob length.
    for i in 0..n {
        w.add(&format!("f{i:04}"), settled(i + 1), &vec![1u8; i as usize + 1])
            .unwrap();
    }
    w.finish(cache.path()).unwrap();
    let old = OldCache::open(cache.path(), &cache.key).unwrap();
    let check = |i: u64| {
        let (at, e) = old.find(&format!("f{i:04}")).unwrap_or_else(|| panic!("f{i:04}"));
        assert_eq!(
            (at as u64, e.path, e.id, e.len),
            (i, format!("f{i:04}").as_str(), settled(i + 1), i + 1)
        );
    };
    // In order (each the one after the last), backwards, and jumping about.
    (0..n).for_each(check);
    (0..n).rev().for_each(check);
    (0..n).map(|i| (i * 101) % n).for_each(check);
    // Paths it does not hold, between and around the ones it does, also
    // right after a hit (the entry after it is not theirs).
    for missing in ["f", "e9999", "f0000a", "f0100a", "f9999", "g"] {
        check(99);
        assert!(old.find(missing).is_none(), "{missing}");
    }
}

/// Services in memory with settled identities, counting what is read.
struct Many {
    cache: Option<Cache>,
    files: std::sync::Mutex<Vec<(String, FileId, String)>>,
    reads: std::sync::atomic::AtomicUsize,
}

impl super::super::Source for Many {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let files = self.files.lock().unwrap();
        Ok(files
            .iter()
            .map(|(path, id, _)| Entry {
                path: path.clone(),
                size: 0,
                symlink: false,
                id: Some(*id),
            })
            .collect())
    }
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let files = self.files.lock().unwrap();
        let (_, _, text) = files
            .iter()
            .find(|(p, _, _)| p == path)
            .ok_or_else(|| std::io::Error::other("gone"))?;
        Ok(text.clone().into_bytes())
    }
    fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }
}

/// The loader reuses its per-chunk vectors (identities, results, what the
/// cache keeps) from chunk to chunk: over three chunks a cold load writes
/// every file to the cache, a warm one reads none, and a file changed in
/// the second chunk and one added in the first are read again — each time
/// the records are those of an uncached load.
#[test]
fn a_cache_over_several_chunks_keeps_each_file_as_its_own() {
    let n = 2 * super::super::CHUNK + 5;
    let service = |k: usize, name: &str| {
        format!("apiVersion: gitsm/v1\nkind: Service\nid: svc-{k:05}\nname: {name}\nowner: team-a\n")
    };
    let files: Vec<(String, FileId, String)> = (0..n)
        .map(|k| {
            (
                format!("catalog/svc-{k:05}.yaml"),
                settled(k as u64 + 1),
                service(k, &format!("S{k}")),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let source = Many {
        cache: Some(Cache::in_dir(dir.path(), dir.path()).min_files(0)),
        files: std::sync::Mutex::new(files),
        reads: 0.into(),
    };
    let names = |source: &Many| -> Vec<String> {
        let snap = super::super::load(source).unwrap();
        assert!(snap.findings.is_empty(), "{:?}", snap.findings);
        snap.records
            .iter()
            .map(|l| match &l.record {
                Record::Service(s) => format!("{} {}", s.id, s.name),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let uncached = |source: &Many| -> Vec<String> {
        let plain = Many {
            cache: None,
            files: std::sync::Mutex::new(source.files.lock().unwrap().clone()),
            reads: 0.into(),
        };
        let snap = super::super::load(&plain).unwrap();
        snap.records
            .iter()
            .map(|l| match &l.record {
                Record::Service(s) => format!("{} {}", s.id, s.name),
                _ => String::new(),
            })
            .collect()
    };
    let reads = |source: &Many| source.reads.swap(0, std::sync::atomic::Ordering::SeqCst);

    assert_eq!(names(&source), uncached(&source));
    assert_eq!(reads(&source), n, "cold: every file read");
    assert_eq!(source.cache.as_ref().unwrap().cached_paths().len(), n);
    assert_eq!(names(&source), uncached(&source));
    assert_eq!(reads(&source), 0, "warm: none read");

    let changed = super::super::CHUNK + 3;
    {
        let mut files = source.files.lock().unwrap();
        files[changed].1 = settled(1_000_000);
        files[changed].2 = service(changed, "Changed");
        files.insert(
            10,
            (
                "catalog/svc-00009a.yaml".into(),
                settled(2_000_000),
                service(99_999, "Added"),
            ),
        );
    }
    let after = names(&source);
    assert_eq!(after, uncached(&source));
    assert!(
        after.contains(&format!("svc-{changed:05} Changed"))
            && after.contains(&"svc-99999 Added".to_string())
    );
    assert_eq!(reads(&source), 2, "only the changed and the added file");
    assert_eq!(names(&source), after);
    assert_eq!(reads(&source), 0, "and then none");
    assert_eq!(source.cache.as_ref().unwrap().cached_paths().len(), n + 1);
}

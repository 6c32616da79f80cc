//! The loader's cache (`gitsm::repo::cache`): a warm cache gives exactly
//! what the files give (records, findings, what the figures screens skip),
//! a changed, added or deleted file is read again, a broken cache file is
//! ignored, and the CLI uses it only as the environment says.

use crate::common::{copy_tree, gitsm, manifest_dir, run};
use gitsm::figures::{self, Need};
use gitsm::repo::cache::Cache;
use gitsm::repo::{Loaded, WorkTree};
use std::path::Path;

use crate::figures::generator;

/// Files whose identity must be settled before they can be cached: the
/// cache keeps no file changed within two seconds (the "racy" rule).
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(2100));
}

/// A generated repo plus files the loader reports on: malformed YAML, a
/// schema error, a binary file, a file named unlike its id, a YAML file
/// that is not gitsm's.
fn repo_with_findings(root: &Path) {
    // Enough records for several of the cache's 1 MiB frames.
    generator::generate(root, 2_500);
    let w = |p: &str, s: &[u8]| std::fs::write(root.join(p), s).unwrap();
    w(
        "incidents/INC-BROKEN.yaml",
        b"apiVersion: gitsm/v1\nkind: Incident\nid: [\n",
    );
    w(
        "incidents/INC-SCHEMA.yaml",
        b"apiVersion: gitsm/v1\nkind: Incident\nid: INC-SCHEMA\nstatus: nonsense\n",
    );
    w("incidents/INC-BINARY.yaml", b"\x00\x01\x02");
    w("notes.yaml", b"just: some yaml\n");
    let some = std::fs::read_dir(root.join("incidents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("INC-0"))
        .unwrap();
    std::fs::copy(&some, root.join("incidents/renamed.yaml")).unwrap();
}

/// [`repo_with_findings`] in a temporary folder, its files settled, a
/// cache folder, and what a load without the cache gives.
fn settled_repo_with_findings() -> (tempfile::TempDir, tempfile::TempDir, Validated) {
    let repo = tempfile::tempdir().unwrap();
    repo_with_findings(repo.path());
    settle();
    let truth = validated(&WorkTree::new(repo.path()));
    (repo, tempfile::tempdir().unwrap(), truth)
}

/// Each record's path and fields (`Debug`), and each finding.
type Validated = (Vec<(String, String)>, Vec<String>);

/// Records (path and every field) and findings of a full validation.
fn validated(source: &WorkTree) -> Validated {
    let v = gitsm::validate::validate(source).unwrap();
    let records = fields(&v.snapshot.records);
    let findings = v.findings.iter().map(|f| format!("{f:?}")).collect();
    (records, findings)
}

fn fields(records: &[Loaded]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|l| (l.path.clone(), format!("{:?}", l.record)))
        .collect()
}

fn cached(root: &Path, dir: &Path) -> WorkTree {
    WorkTree::new(root).with_cache(Some(Cache::in_dir(dir, root).min_files(0)))
}

#[test]
fn a_warm_cache_gives_what_the_files_give_and_follows_every_change() {
    let (repo, dir, truth) = settled_repo_with_findings();
    let root = repo.path();
    assert!(
        truth.1.iter().any(|f| f.contains("INC-BROKEN")),
        "the repo has findings"
    );
    let cache_file = Cache::in_dir(dir.path(), root).path().to_path_buf();
    assert!(!cache_file.exists());
    assert_eq!(validated(&cached(root, dir.path())), truth, "cold");
    assert!(cache_file.exists(), "the cold run writes the cache");
    let written = std::fs::metadata(&cache_file).unwrap().modified().unwrap();
    assert_eq!(validated(&cached(root, dir.path())), truth, "warm");
    assert_eq!(
        std::fs::metadata(&cache_file).unwrap().modified().unwrap(),
        written,
        "a warm run with nothing changed writes nothing"
    );

    // Every file the walk lists is kept (the forged-entry unit test in
    // `src/repo/cache_tests.rs` shows that a warm load reads them).
    let listed = gitsm::repo::Source::entries(&WorkTree::new(root)).unwrap();
    let paths: Vec<String> = listed.into_iter().map(|e| e.path).collect();
    assert_eq!(Cache::in_dir(dir.path(), root).cached_paths(), paths);
    let (path, title) = first_title(root);
    let forged = title.replace(|c: char| c.is_ascii_alphabetic(), "Z");

    // A file rewritten with the same size and its old modification time is
    // still read again (its status-change time moved).
    let file = root.join(&path);
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen(&title, &forged, 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&file, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // Added, deleted, broken and mended files.
    std::fs::remove_file(root.join("incidents/renamed.yaml")).unwrap();
    std::fs::write(
        root.join("incidents/INC-BROKEN.yaml"),
        b"apiVersion: gitsm/v1\nkind: Incident\nid: {\n",
    )
    .unwrap();
    std::fs::write(
        root.join("requests/REQ-NEW.yaml"),
        b"apiVersion: gitsm/v1\nkind: Request\nid: REQ-NEW\n",
    )
    .unwrap();
    std::fs::remove_file(root.join("incidents/INC-BINARY.yaml")).unwrap();
    let truth = validated(&WorkTree::new(root));
    assert!(truth.0.iter().any(|(p, r)| *p == path && r.contains(&forged)));
    assert!(!truth.0.iter().any(|(p, _)| p.contains("renamed")));
    assert_eq!(validated(&cached(root, dir.path())), truth, "after the changes");
    settle();
    assert_eq!(validated(&cached(root, dir.path())), truth, "cached again");
    // That run kept the files changed since, and copied every other entry
    // across the old file's frames into the new one.
    let listed = gitsm::repo::Source::entries(&WorkTree::new(root)).unwrap();
    let paths: Vec<String> = listed.into_iter().map(|e| e.path).collect();
    assert_eq!(Cache::in_dir(dir.path(), root).cached_paths(), paths);
    // …and every copied entry serves: the next run reads no file again, so
    // it writes no new cache file (a rewrite is a new file: a new inode).
    let inode = || {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(Cache::in_dir(dir.path(), root).path())
            .unwrap()
            .ino()
    };
    let before = inode();
    assert_eq!(validated(&cached(root, dir.path())), truth, "warm again");
    assert_eq!(inode(), before, "a warm run after the copy rewrote the cache");
}

/// The path and title of the first incident with a plain title.
fn first_title(root: &Path) -> (String, String) {
    let v = gitsm::validate::validate(&WorkTree::new(root)).unwrap();
    v.snapshot
        .records
        .iter()
        .find_map(|l| match &l.record {
            gitsm::model::Record::Incident(i)
                if i.title.len() > 8 && i.title.is_ascii() && !i.title.contains('"') =>
            {
                Some((l.path.clone(), i.title.clone()))
            }
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_broken_cache_file_is_ignored_and_replaced() {
    let (repo, dir, truth) = settled_repo_with_findings();
    let root = repo.path();
    validated(&cached(root, dir.path()));
    let cache_file = Cache::in_dir(dir.path(), root).path().to_path_buf();
    let good = std::fs::read(&cache_file).unwrap();
    let n = good.len();
    let mut flipped = good.clone();
    for i in (0..n).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    let mut in_blobs = good.clone();
    for b in &mut in_blobs[n / 3..n / 2] {
        *b = 0xff;
    }
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("truncated", good[..n / 2].to_vec()),
        ("one byte short", good[..n - 1].to_vec()),
        ("flipped bytes", flipped),
        ("garbage in the blobs", in_blobs),
        ("another file", b"not a cache".to_vec()),
    ] {
        std::fs::write(&cache_file, &bytes).unwrap();
        assert_eq!(validated(&cached(root, dir.path())), truth, "{what}");
        assert_eq!(validated(&cached(root, dir.path())), truth, "{what}, rewritten");
    }
    // Another build's or another root's cache is not read.
    let other = Cache::in_dir(dir.path(), dir.path());
    assert_ne!(other.path(), cache_file);
}

/// The figures commands' screened loads: the same records and the same
/// skipped files with no cache, a cold one and a warm one, and a full load
/// after a screened one (whose skipped files the cache knows only by their
/// glance) still gives every record.
#[test]
fn screened_loads_are_the_same_with_a_cache() {
    let repo = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = repo.path();
    generator::generate(root, 1_500);
    settle();
    let now: jiff::Timestamp = "2021-01-06T00:00:00Z".parse().unwrap();
    let p = gitsm::report::Period::month("2020-12", "Europe/Berlin").unwrap();
    let (from, to) = p.needed_span(now);
    type Load<'a> = &'a dyn Fn(&WorkTree) -> (Vec<(String, String)>, usize);
    let loads: [(&str, Load<'_>); 3] = [
        ("report", &|s| {
            let s = figures::load_at(s, Need::Report { from, to }, None, now).unwrap();
            (fields(figures::records(&s)), s.skipped)
        }),
        ("sla", &|s| {
            let s = figures::load_at(s, Need::Sla { now }, None, now).unwrap();
            (fields(figures::records(&s)), s.skipped)
        }),
        ("status page", &|s| {
            let s = figures::load_status_page(s, now).unwrap();
            (fields(figures::records(&s)), s.skipped)
        }),
    ];
    let truth_all = validated(&WorkTree::new(root));
    for (what, load) in loads {
        let fresh = tempfile::tempdir().unwrap();
        let truth = load(&WorkTree::new(root));
        assert!(truth.1 > 0, "{what} skips files");
        assert_eq!(load(&cached(root, fresh.path())), truth, "{what}, cold");
        assert_eq!(load(&cached(root, fresh.path())), truth, "{what}, warm");
        assert_eq!(
            validated(&cached(root, fresh.path())),
            truth_all,
            "{what}, then all"
        );
        assert_eq!(load(&cached(root, fresh.path())), truth, "{what}, warm after all");
        // And in a cache a full load filled first.
        assert_eq!(load(&cached(root, dir.path())), truth, "{what}, shared");
    }
}

#[test]
fn a_file_changed_just_now_is_not_kept() {
    let repo = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = repo.path();
    generator::generate(root, 300);
    let truth = validated(&WorkTree::new(root));
    // Every file is younger than two seconds: none is kept, and a later
    // load (after an edit the clock might not tell apart) reads them all.
    assert_eq!(validated(&cached(root, dir.path())), truth);
    assert_eq!(
        Cache::in_dir(dir.path(), root).cached_paths(),
        Vec::<String>::new(),
        "no file changed within two seconds is cached"
    );
    settle();
    validated(&cached(root, dir.path()));
    assert!(!Cache::in_dir(dir.path(), root).cached_paths().is_empty());
}

#[test]
fn the_cli_caches_where_the_environment_says() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    copy_tree(&manifest_dir().join("examples/acme"), &root);
    settle();
    let cache = dir.path().join("cache");
    let validate = |env: &[(&str, &str)]| {
        let mut c = gitsm(dir.path());
        c.args([
            "--repo",
            root.to_str().unwrap(),
            "--now",
            "2026-11-30T12:00:00Z",
            "validate",
        ]);
        for (k, v) in env {
            c.env(k, v);
        }
        run(c)
    };
    let cache_env = [
        ("GITSM_CACHE_DIR", cache.to_str().unwrap()),
        ("GITSM_CACHE_MIN_FILES", "1"),
    ];
    let first = validate(&cache_env);
    let files = |d: &Path| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    assert_eq!(files(&cache), 1, "one cache file for the repo");
    let second = validate(&cache_env);
    assert_eq!(first, second);
    // Off, or below the size where it pays: no cache written.
    let off = dir.path().join("off");
    validate(&[
        ("GITSM_CACHE_DIR", off.to_str().unwrap()),
        ("GITSM_CACHE", "off"),
        ("GITSM_CACHE_MIN_FILES", "1"),
    ]);
    validate(&[("GITSM_CACHE_DIR", off.to_str().unwrap())]);
    assert_eq!(files(&off), 0);
    // In CI only a named folder: a fresh runner would never read it.
    validate(&[("CI", "true"), ("GITSM_CACHE_MIN_FILES", "1")]);
    assert_eq!(
        files(&dir.path().join(".cache/gitsm")),
        0,
        "CI without GITSM_CACHE_DIR"
    );
    let ci = dir.path().join("ci");
    let named = [
        ("CI", "true"),
        ("GITSM_CACHE_DIR", ci.to_str().unwrap()),
        ("GITSM_CACHE_MIN_FILES", "1"),
    ];
    assert_eq!(validate(&named), first);
    assert_eq!(files(&ci), 1, "CI with GITSM_CACHE_DIR");
    // XDG_CACHE_HOME, else HOME.
    let xdg = dir.path().join("xdg");
    assert_eq!(
        validate(&[
            ("XDG_CACHE_HOME", xdg.to_str().unwrap()),
            ("GITSM_CACHE_MIN_FILES", "1")
        ]),
        first
    );
    assert_eq!(files(&xdg.join("gitsm")), 1);
    assert_eq!(validate(&[("GITSM_CACHE_MIN_FILES", "1")]), first);
    let home = dir.path().join(".cache/gitsm");
    assert_eq!(files(&home), 1);
    // `CI` set to false, 0 or nothing is no CI.
    for not_ci in ["false", "0", ""] {
        std::fs::remove_dir_all(&home).unwrap();
        assert_eq!(validate(&[("CI", not_ci), ("GITSM_CACHE_MIN_FILES", "1")]), first);
        assert_eq!(files(&home), 1, "CI={not_ci:?}");
    }
}

/// Every kind of record the example repo holds (configuration items,
/// releases, request types, calendars, policies…) reads back from the cache
/// as it was parsed.
#[test]
fn every_kind_of_record_reads_back_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    copy_tree(&manifest_dir().join("examples/acme"), &root);
    settle();
    let cache = dir.path().join("cache");
    let truth = validated(&WorkTree::new(&root));
    let kinds: std::collections::BTreeSet<&str> = truth
        .0
        .iter()
        .map(|(_, r)| r.split('(').next().unwrap())
        .collect();
    assert!(kinds.len() >= 10, "{kinds:?}");
    assert_eq!(validated(&cached(&root, &cache)), truth, "cold");
    assert_eq!(
        Cache::in_dir(&cache, &root).cached_paths().len(),
        gitsm::repo::Source::entries(&WorkTree::new(&root)).unwrap().len()
    );
    assert_eq!(validated(&cached(&root, &cache)), truth, "warm");
    // From `min_files` files on, not below.
    let n = gitsm::repo::Source::entries(&WorkTree::new(&root)).unwrap().len();
    let at = |min: usize| {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::in_dir(dir.path(), &root).min_files(min);
        assert_eq!(
            validated(&WorkTree::new(&root).with_cache(Some(c.clone()))),
            truth
        );
        c.cached_paths().len()
    };
    assert_eq!(at(n), n);
    assert_eq!(at(n + 1), 0);
}

//! The byte-order mark through every reader of record text: the loader,
//! the walk's read of the output folders, the gate's JSON and id readers,
//! and validation's second pass that places findings.

use super::*;

const BOM: &str = "\u{feff}";

fn incident(id: &str) -> String {
    format!(
        "apiVersion: gitsm/v1\nkind: Incident\nid: {id}\ntitle: t\nservice: s\nimpact: low\nurgency: low\nstatus: new\nreported_at: 2026-11-20T10:00:00Z\nreported_by: al\ntimeline:\n  - at: 2026-11-20T10:00:00Z\n    by: al\n    status: new\n"
    )
}

#[test]
fn the_loader_reads_a_record_with_a_byte_order_mark() {
    let plain = incident("INC-0001");
    let marked = format!("{BOM}{plain}");
    let mut src = MapSource::new();
    src.add("incidents/INC-0001.yaml", marked.as_bytes());
    let snap = load(&src).unwrap();
    assert_eq!(snap.findings, vec![]);
    assert_eq!(snap.records.len(), 1);
    assert_eq!(snap.records[0].record.id().as_str(), "INC-0001");
}

#[test]
fn a_finding_in_a_marked_file_is_placed_as_in_an_unmarked_one() {
    // The file name differs from the id: the finding points at `id:`.
    let plain = incident("INC-0002");
    let marked = format!("{BOM}{plain}");
    let found = |text: &str| {
        let mut src = MapSource::new();
        src.add("incidents/INC-0001.yaml", text.as_bytes());
        load(&src).unwrap().findings
    };
    let (a, b) = (found(&plain), found(&marked));
    assert_eq!(a.len(), 1);
    assert_eq!(a, b);
    assert_eq!(a[0].pos, Pos { line: 3, column: 5 });
}

#[test]
fn output_folders_are_read_from_a_marked_config() {
    let text = format!("{BOM}apiVersion: gitsm/v1\nkind: Config\nid: c\noutput:\n  reports: out/reports\n  status_page: ./site\n");
    assert_eq!(output_folders_from(&text), vec!["out".to_string(), "site".into()]);
}

#[test]
fn the_gate_reads_ids_and_json_through_a_byte_order_mark() {
    let marked = format!("{BOM}{}", incident("INC-0007"));
    let json = crate::gate::judge::parse_json(marked.as_bytes()).unwrap();
    assert_eq!(json["id"], "INC-0007");
    assert_eq!(
        crate::gate::judge::record_ids(marked.as_bytes()),
        vec!["INC-0007".to_string()]
    );
    let flow = format!("{BOM}{{apiVersion: gitsm/v1, id: INC-0008}}");
    assert_eq!(
        crate::gate::judge::record_ids(flow.as_bytes()),
        vec!["INC-0008".to_string()]
    );
}

#[test]
fn validation_places_rule_findings_in_a_marked_file() {
    // An incident naming a service that does not exist: a rule finding,
    // placed by validation's second parse of the file.
    let plain = incident("INC-0001");
    let marked = format!("{BOM}{plain}");
    let run = |text: &str| {
        let mut src = MapSource::new();
        src.add("incidents/INC-0001.yaml", text.as_bytes());
        crate::validate::validate(&src).unwrap().findings
    };
    let (a, b) = (run(&plain), run(&marked));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn record_folders_are_one_table_matched_by_whole_components() {
    use crate::model::{in_folder, TICKET_FOLDERS};
    assert_eq!(
        RECORD_FOLDERS,
        [
            "catalog",
            "slas",
            "policies",
            "incidents",
            "problems",
            "requests",
            "changes",
            "cmdb",
            "releases"
        ]
    );
    assert_eq!(
        TICKET_FOLDERS,
        ["incidents", "problems", "requests", "changes", "releases"]
    );
    assert!(in_folder("changes/CHG-1.yaml", "changes"));
    assert!(in_folder("changes/old/CHG-1.yaml", "changes"));
    assert!(!in_folder("changes-old/CHG-1.yaml", "changes"));
    assert!(!in_folder("changes", "changes"));
    assert!(!in_folder("Changes/CHG-1.yaml", "changes"));
    assert!(!in_folder("ops/changes/CHG-1.yaml", "changes"));
}

/// The loader works through files a chunk at a time: across chunk
/// boundaries records and findings stay in path order, a screened-out file
/// gives neither, and a sparse result keeps only what it holds.
#[test]
fn records_and_findings_stay_in_path_order_across_chunks() {
    let n = 2 * CHUNK + 7;
    let paths: Vec<String> = (0..n).map(|k| format!("incidents/INC-{k:06}.yaml")).collect();
    let texts: Vec<String> = (0..n)
        .map(|k| match k % 1000 {
            // A broken file now and then, straddling the chunk boundaries.
            999 => "kind: [".to_string(),
            _ => incident(&format!("INC-{k:06}")),
        })
        .collect();
    let mut src = MapSource::new();
    for (p, t) in paths.iter().zip(&texts) {
        src.add(p, t.as_bytes());
    }
    let snap = load(&src).unwrap();
    let ids: Vec<&str> = snap.records.iter().map(|l| l.record.id().as_str()).collect();
    let want: Vec<String> = (0..n)
        .filter(|k| k % 1000 != 999)
        .map(|k| format!("INC-{k:06}"))
        .collect();
    assert_eq!(ids, want);
    let broken: Vec<&str> = snap.findings.iter().map(|f| f.file.as_str()).collect();
    let want_broken: Vec<&str> = paths.iter().skip(999).step_by(1000).map(String::as_str).collect();
    assert_eq!(broken, want_broken);
    assert_eq!(snap.files, n);

    // Keep one file in 5,000: the rest are screened out before parsing.
    let screen =
        |path: &str, _: &crate::glance::Glance| !path.ends_with("000.yaml") || path.ends_with("5000.yaml");
    let (kept, (), findings, files) = {
        let (a, b, f, n) = load_split_screened(&src, Some(&screen), EventDetails::WHOLE, |l| {
            (Some(l.path.clone()), ())
        })
        .unwrap();
        (a, b.first().copied().unwrap_or(()), f, n)
    };
    let want_kept: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| p.ends_with("000.yaml") && !p.ends_with("5000.yaml"))
        .collect();
    assert_eq!(kept, want_kept);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(files, n);
    assert!(
        kept.capacity() < n / 2,
        "a sparse result is shrunk: {}",
        kept.capacity()
    );
}

#[test]
fn yaml_names_are_matched_by_their_ending_in_any_ascii_case() {
    for yes in [
        "a.yaml",
        "a.yml",
        "A.YAML",
        "b.Yml",
        "x.yAmL",
        ".yml",
        "é.yaml",
        "INC-1.YML",
    ] {
        assert!(is_yaml_name(yes), "{yes}");
    }
    for no in [
        "yaml",
        "yml",
        "a.yaml.bak",
        "a.yam",
        "a.json",
        "ayaml",
        "a.ymlx",
        "",
        "é",
        "a.yaml ",
    ] {
        assert!(!is_yaml_name(no), "{no}");
    }
}

#[cfg(unix)]
#[test]
fn the_walk_lists_a_folder_larger_than_its_batch_whole_with_every_identity() {
    use super::cache::Cache;
    use std::os::unix::fs::MetadataExt;
    let repo = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let root = repo.path();
    let n = super::source::WALK_BATCH * 2 + 3;
    std::fs::create_dir(root.join("incidents")).unwrap();
    for i in 0..n {
        std::fs::write(root.join(format!("incidents/INC-{i:05}.yaml")), "x: 1\n").unwrap();
    }
    // Neither a hidden file nor a file of another name is listed.
    std::fs::write(root.join("incidents/.hidden.yaml"), "x: 1\n").unwrap();
    std::fs::write(root.join("incidents/notes.md"), "x\n").unwrap();
    let listed = |cached: bool| {
        let cache = cached.then(|| Cache::in_dir(cache_dir.path(), root).min_files(0));
        WorkTree::new(root).with_cache(cache).entries().unwrap()
    };
    let with_ids = listed(true);
    assert_eq!(with_ids.len(), n);
    assert!(
        with_ids.windows(2).all(|w| w[0].path < w[1].path),
        "in path order"
    );
    assert_eq!(with_ids[0].path, "incidents/INC-00000.yaml");
    assert_eq!(with_ids[n - 1].path, format!("incidents/INC-{:05}.yaml", n - 1));
    // Each file's identity is its own, in every batch.
    for e in &with_ids {
        let id = e.id.expect("an identity");
        let md = std::fs::symlink_metadata(root.join(&e.path)).unwrap();
        assert_eq!((id.ino, id.size), (md.ino(), md.len()), "{}", e.path);
    }
    // Without a cache the same files, and no identity taken.
    let plain = listed(false);
    assert_eq!(
        plain.iter().map(|e| &e.path).collect::<Vec<_>>(),
        with_ids.iter().map(|e| &e.path).collect::<Vec<_>>()
    );
    assert!(plain.iter().all(|e| e.id.is_none()));
}

#[test]
fn a_walk_started_ahead_gives_what_a_walk_now_gives_and_only_once() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("incidents/2026")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join("gitsm.yaml"), "x: 1\n").unwrap();
    std::fs::write(root.join("incidents/INC-1.yaml"), incident("INC-1")).unwrap();
    std::fs::write(root.join("incidents/2026/INC-2.yml"), incident("INC-2")).unwrap();
    std::fs::write(root.join(".git/x.yaml"), "x: 1\n").unwrap();
    std::fs::write(root.join("incidents/readme.md"), "x\n").unwrap();
    let paths = |t: &WorkTree| {
        t.entries()
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect::<Vec<_>>()
    };
    let now = paths(&WorkTree::new(root));
    let ahead = WorkTree::new(root).walk_ahead();
    assert_eq!(paths(&ahead), now);
    assert_eq!(
        now,
        ["gitsm.yaml", "incidents/2026/INC-2.yml", "incidents/INC-1.yaml"]
    );
    // What the walk learnt serves the reads: a file in a folder it entered.
    assert_eq!(
        ahead.read("incidents/INC-1.yaml").unwrap(),
        incident("INC-1").as_bytes()
    );
    // A later listing walks again and sees what changed since.
    std::fs::write(root.join("incidents/INC-3.yaml"), incident("INC-3")).unwrap();
    assert!(paths(&ahead).contains(&"incidents/INC-3.yaml".to_string()));
    // A root that cannot be listed is the listing's error, ahead or not.
    let gone = WorkTree::new(root.join("missing")).walk_ahead();
    assert!(gone.entries().is_err());
}

//! `gitsm status-page` over a site it wrote before: only the pages whose
//! content changed are written, and the folder ends byte for byte as a fresh
//! `--rebuild` leaves it — whatever happened to the folder in between.

use crate::common::*;
use gitsm::status::update::{Manifest, MANIFEST};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-30T12:00:00Z";
const LATER: &str = "2026-11-30T13:00:00Z";

/// A copy of examples/acme in a temp dir (the repo) with `site` beside it.
fn acme() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_tree(&manifest_dir().join("examples/acme"), &repo);
    let out = tmp.path().join("site");
    (tmp, repo, out)
}

fn site(repo: &Path, out: &Path, now: &str, extra: &[&str]) -> (i32, String, String) {
    let mut c = gitsm(repo);
    c.args(["--repo", "."])
        .args(["--now", now, "status-page", "--out"])
        .arg(out)
        .args(extra);
    run(c)
}

/// Runs and returns how many unchanged pages the run kept (0 when it says
/// none), failing on a non-zero exit.
fn update(repo: &Path, out: &Path, now: &str) -> usize {
    let (code, stdout, stderr) = site(repo, out, now, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    match stdout.split_once(" unchanged pages kept") {
        Some((head, _)) => head.rsplit('(').next().unwrap().parse().unwrap(),
        None => 0,
    }
}

/// Every file of the site but the manifest (which records file identities),
/// by path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if rel != MANIFEST {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p).unwrap().ino()
}

/// The incident and maintenance pages of a site.
fn record_pages(out: &Path) -> Vec<String> {
    tree(out)
        .into_keys()
        .filter(|p| p.starts_with("incidents/") || p.starts_with("maintenance/"))
        .collect()
}

/// The site as `--rebuild` writes it from the same repo and clock, in a
/// folder of its own.
fn rebuilt(repo: &Path, now: &str) -> BTreeMap<String, Vec<u8>> {
    let other = repo.with_file_name("rebuilt");
    let (code, stdout, stderr) = site(repo, &other, now, &["--rebuild"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let t = tree(&other);
    std::fs::remove_dir_all(&other).unwrap();
    t
}

/// Every manifest entry names a file of the site as it is now.
fn assert_manifest_matches(out: &Path) {
    let m = Manifest::read(out).expect("a readable manifest");
    let pages = record_pages(out);
    assert_eq!(m.pages.len(), pages.len(), "one entry per record page");
    for p in pages {
        let w = m
            .pages
            .get(&p)
            .unwrap_or_else(|| panic!("{p} not in the manifest"));
        assert_eq!(w.size, std::fs::metadata(out.join(&p)).unwrap().len(), "{p}");
        #[cfg(unix)]
        assert_eq!(w.ino, inode(&out.join(&p)), "{p}");
    }
}

#[cfg(unix)]
#[test]
fn an_update_writes_only_what_changed_and_ends_as_a_rebuild() {
    let (_tmp, repo, out) = acme();
    let (code, stdout, _) = site(&repo, &out, NOW, &[]);
    assert_eq!(code, 0);
    // A new folder is written whole: every file, the marker and manifest too.
    let said = format!("wrote {} files to ", tree(&out).len() + 1);
    assert!(
        stdout.starts_with(&said) && !stdout.contains("unchanged"),
        "{stdout} (want {said})"
    );
    let pages = record_pages(&out);
    assert!(pages.len() > 20, "{pages:?}");
    assert_manifest_matches(&out);
    let before: BTreeMap<String, u64> = pages.iter().map(|p| (p.clone(), inode(&out.join(p)))).collect();

    // Same repo, same clock: every record page stays, untouched; what the
    // run says it wrote is the rest and the manifest (the marker stays).
    let (code, stdout, _) = site(&repo, &out, NOW, &[]);
    assert_eq!(code, 0);
    let files = tree(&out).len() + 1; // and the manifest
    let said = format!("wrote {} files to ", files - pages.len() - 1);
    assert!(stdout.starts_with(&said), "{stdout} (want {said})");
    assert_eq!(update(&repo, &out, NOW), pages.len());
    for (p, ino) in &before {
        assert_eq!(inode(&out.join(p)), *ino, "{p} was rewritten");
    }
    assert_eq!(tree(&out), rebuilt(&repo, NOW));

    // An hour later, with one closed incident retitled, a page edited by
    // hand, one deleted and strays dropped into the folder.
    let inc = repo.join("incidents/INC-0003.yaml");
    let text = std::fs::read_to_string(&inc).unwrap();
    let retitled = text.replace(
        "title: Product images load slowly in Austria and Switzerland",
        "title: Product images load slowly (retitled)",
    );
    assert_ne!(text, retitled);
    std::fs::write(&inc, retitled).unwrap();
    let mut others = pages
        .iter()
        .filter(|p| p.starts_with("incidents/") && p.as_str() != "incidents/INC-0003.html");
    let (edited_page, deleted_page) = (others.next().unwrap().clone(), others.next().unwrap().clone());
    let edited = out.join(&edited_page);
    let mut page = std::fs::read(&edited).unwrap();
    page[0] ^= 0x20; // same size, other bytes
    std::fs::write(&edited, &page).unwrap();
    std::fs::remove_file(out.join(&deleted_page)).unwrap();
    std::fs::write(out.join("stray.txt"), "x").unwrap();
    std::fs::write(out.join("incidents/INC-9999.html"), "stale").unwrap();
    std::fs::create_dir_all(out.join("old/deep")).unwrap();
    std::fs::write(out.join("old/deep/page.html"), "stale").unwrap();
    let kept = update(&repo, &out, LATER);

    let after = tree(&out);
    assert_eq!(after, rebuilt(&repo, LATER), "an update ends as a rebuild");
    assert!(String::from_utf8_lossy(&after["incidents/INC-0003.html"]).contains("(retitled)"));
    assert!(!out.join("stray.txt").exists() && !out.join("old").exists());
    assert!(!out.join("incidents/INC-9999.html").exists());
    // Rewritten: the changed incident, the edited and the deleted page, and
    // every page still moving (open incidents, maintenance not completed:
    // their "so far" and "Last updated" follow the clock). Kept: the rest.
    let status: serde_json::Value = serde_json::from_slice(&after["status.json"]).unwrap();
    let mut moving = 0;
    for i in status["incidents"].as_array().unwrap() {
        let url = i["url"].as_str().unwrap();
        let open = i.get("resolved_at").is_none();
        // Those three are checked by the comparison with the rebuild (a
        // deleted page's inode number may be reused by its successor).
        if url == "incidents/INC-0003.html" || url == edited_page || url == deleted_page {
            moving += 1;
            continue;
        }
        let same = before.get(url) == Some(&inode(&out.join(url)));
        assert_eq!(same, !open, "{url}: open {open}");
        moving += usize::from(open);
    }
    for m in status["maintenances"].as_array().unwrap() {
        let url = m["url"].as_str().unwrap();
        let done = m["status"] == "completed";
        assert_eq!(before.get(url) == Some(&inode(&out.join(url))), done, "{url}");
        moving += usize::from(!done);
    }
    assert_eq!(kept, pages.len() - moving);
    assert_manifest_matches(&out);

    // Each part of a page's context re-renders it: the page's settings,
    // an affected service's name.
    for (file, from, to) in [
        (
            "gitsm.yaml",
            "title: Acme Shop Status",
            "title: Acme Shop Status (renamed)",
        ),
        (
            "catalog/catalog-api.yaml",
            "name: Catalog API",
            "name: Catalog API (renamed)",
        ),
    ] {
        let text = std::fs::read_to_string(repo.join(file)).unwrap();
        assert!(text.contains(from), "{file}");
        std::fs::write(repo.join(file), text.replace(from, to)).unwrap();
        let folder = inode(&out);
        update(&repo, &out, LATER);
        // New page settings change every page: a fresh folder takes the
        // old one's place (cheaper than replacing each page); a service's
        // name changes only its pages, updated in place.
        assert_eq!(inode(&out) != folder, file == "gitsm.yaml", "{file}");
        let now = tree(&out);
        assert_eq!(now, rebuilt(&repo, LATER), "after {to}");
        let shown = to.split_once(": ").unwrap().1;
        assert!(
            now.values().any(|b| String::from_utf8_lossy(b).contains(shown)),
            "{to}"
        );
        std::fs::write(repo.join(file), text).unwrap();
        update(&repo, &out, LATER);
        assert_eq!(tree(&out), after, "back to {from}");
    }
    assert_manifest_matches(&out);
}

#[test]
fn a_damaged_manifest_or_a_new_template_rewrites_every_page() {
    let (_tmp, repo, out) = acme();
    update(&repo, &out, NOW);
    for damage in [
        "",
        "gitsm-status-manifest 1\nnot a line\n",
        "gitsm-status-manifest 9\n",
    ] {
        std::fs::write(out.join(MANIFEST), damage).unwrap();
        assert_eq!(update(&repo, &out, NOW), 0, "{damage:?}");
        assert_manifest_matches(&out);
    }
    std::fs::remove_file(out.join(MANIFEST)).unwrap();
    assert_eq!(update(&repo, &out, NOW), 0, "no manifest");
    assert!(update(&repo, &out, NOW) > 0);
    // An override that renders the same bytes still changes the
    // fingerprint: nothing rendered by the old templates is trusted.
    let builtin = std::fs::read_to_string(manifest_dir().join("templates/status/incident.html.j2")).unwrap();
    write(
        &repo,
        "templates/status/incident.html.j2",
        format!("{builtin}{{# local #}}"),
    );
    let kept = update(&repo, &out, NOW);
    let maintenance = record_pages(&out)
        .iter()
        .filter(|p| p.starts_with("maintenance/"))
        .count();
    assert_eq!(kept, 0, "{maintenance} maintenance pages, none kept");
    assert_eq!(tree(&out), rebuilt(&repo, NOW));
}

#[cfg(unix)]
#[test]
fn an_update_never_writes_through_a_symlink() {
    let (tmp, repo, out) = acme();
    update(&repo, &out, NOW);
    // A page replaced by a link to a file outside: replaced, not followed.
    let outside = tmp.path().join("outside.html");
    std::fs::write(&outside, "precious").unwrap();
    let page = out.join("incidents/INC-0003.html");
    std::fs::remove_file(&page).unwrap();
    std::os::unix::fs::symlink(&outside, &page).unwrap();
    update(&repo, &out, NOW);
    assert!(std::fs::symlink_metadata(&page).unwrap().is_file());
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    assert_eq!(tree(&out), rebuilt(&repo, NOW));

    // The incidents folder moved away and linked back: refused, and
    // nothing behind the link is touched.
    let away = tmp.path().join("away");
    std::fs::rename(out.join("incidents"), &away).unwrap();
    std::os::unix::fs::symlink(&away, out.join("incidents")).unwrap();
    let before = tree(&away);
    let (code, stdout, stderr) = site(&repo, &out, LATER, &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("symlink"), "{stderr}");
    assert_eq!(tree(&away), before);
    // --rebuild replaces the folder whole, link and all.
    let (code, stdout, stderr) = site(&repo, &out, LATER, &["--rebuild"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(std::fs::symlink_metadata(out.join("incidents")).unwrap().is_dir());
    assert_eq!(tree(&away), before);
}

/// A record page's "Last updated" is the record's own once it is settled
/// (so the page stays the same from run to run), and the run's while it is
/// still moving.
#[test]
fn record_pages_are_dated_by_their_record() {
    let (_tmp, repo, out) = acme();
    update(&repo, &out, NOW);
    let files = tree(&out);
    let status: serde_json::Value = serde_json::from_slice(&files["status.json"]).unwrap();
    let footer = |url: &str| -> String {
        let html = String::from_utf8_lossy(&files[url]).into_owned();
        let foot = html
            .split("class=\"site-footer\"")
            .nth(1)
            .expect("a footer")
            .to_string();
        let at = foot.split("datetime=\"").nth(1).expect("a time");
        at[..at.find('"').unwrap()].to_string()
    };
    let ts = |v: &serde_json::Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let (mut settled, mut open) = (0, 0);
    for i in status["incidents"].as_array().unwrap() {
        let want = match i.get("resolved_at") {
            Some(r) => {
                settled += 1;
                i["updates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| ts(&u["at"]))
                    .fold(ts(r), std::cmp::max)
            }
            None => {
                open += 1;
                NOW.parse().unwrap()
            }
        };
        let have: jiff::Timestamp = footer(i["url"].as_str().unwrap()).parse().unwrap();
        assert_eq!(have, want, "{}", i["id"]);
    }
    assert!(settled > 5 && open > 0, "{settled} settled, {open} open");
    // The index still says when the site was made.
    let index: jiff::Timestamp = footer("index.html").parse().unwrap();
    assert_eq!(index, NOW.parse::<jiff::Timestamp>().unwrap());
}

/// Every `<a href>` of a page, as an HTML5 parser reads it (entities
/// decoded), with the text of the link.
fn links(html: &str) -> Vec<(String, String)> {
    use html5ever::tendril::TendrilSink;
    use markup5ever_rcdom::{Handle, NodeData, RcDom};
    fn text(h: &Handle, out: &mut String) {
        if let NodeData::Text { contents } = &h.data {
            out.push_str(&contents.borrow());
        }
        for c in h.children.borrow().iter() {
            text(c, out);
        }
    }
    fn walk(h: &Handle, out: &mut Vec<(String, String)>) {
        if let NodeData::Element { name, attrs, .. } = &h.data {
            if &*name.local == "a" {
                if let Some(a) = attrs.borrow().iter().find(|a| &*a.name.local == "href") {
                    let mut t = String::new();
                    text(h, &mut t);
                    out.push((a.value.to_string(), t));
                }
            }
        }
        for c in h.children.borrow().iter() {
            walk(c, out);
        }
    }
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut out = Vec::new();
    walk(&dom.document, &mut out);
    out
}

/// Months older than the main history page covers get a page each: every
/// incident is on exactly one history page, under the month it started in
/// (the page's zone), every link of every history page leads to a file of
/// the site, and a month that no longer changes is kept on an update.
#[cfg(unix)]
#[test]
fn older_months_have_pages_of_their_own() {
    let (_tmp, repo, out) = acme();
    // Half a year after acme's incidents: every month has left the main page.
    // Updated from a site written at acme's clock (no `history/` folder
    // yet): the update makes the folder.
    let later = "2027-06-30T12:00:00Z";
    update(&repo, &out, NOW);
    assert!(!out.join("history").exists());
    assert!(update(&repo, &out, later) > 0, "an update, not a fresh folder");
    let files = tree(&out);
    let status: serde_json::Value = serde_json::from_slice(&files["status.json"]).unwrap();
    let tz: jiff::tz::TimeZone = jiff::tz::db()
        .get(status["page"]["time_zone"].as_str().unwrap())
        .unwrap();
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in status["incidents"].as_array().unwrap() {
        let at: jiff::Timestamp = i["started_at"].as_str().unwrap().parse().unwrap();
        let month = tz.to_datetime(at).strftime("%Y-%m").to_string();
        want.entry(format!("history/{month}.html"))
            .or_default()
            .push(i["url"].as_str().unwrap().to_string());
    }
    assert!(want.len() >= 2, "{want:?}");
    let pages: Vec<&String> = files.keys().filter(|p| p.starts_with("history/")).collect();
    assert_eq!(pages, want.keys().collect::<Vec<_>>());
    let main = String::from_utf8_lossy(&files["history.html"]).into_owned();
    assert!(html5_errors(&main).is_empty());
    let main_links: Vec<String> = links(&main).into_iter().map(|l| l.0).collect();
    for (page, incidents) in &want {
        assert!(main_links.contains(page), "history.html links {page}");
        let html = String::from_utf8_lossy(&files[page]).into_owned();
        assert!(html5_errors(&html).is_empty(), "{page}");
        let mut listed: Vec<String> = links(&html)
            .into_iter()
            .filter_map(|(href, _)| href.strip_prefix("../").map(str::to_string))
            .filter(|h| h.starts_with("incidents/"))
            .collect();
        listed.sort();
        let mut incidents = incidents.clone();
        incidents.sort();
        assert_eq!(listed, incidents, "{page}");
        for (href, _) in links(&html).into_iter().filter(|(h, _)| !h.starts_with('#')) {
            let target = href
                .strip_prefix("../")
                .unwrap_or_else(|| panic!("{page}: {href} is not relative to the root"));
            assert!(files.contains_key(target), "{page} links {href}");
        }
    }
    for i in status["incidents"].as_array().unwrap() {
        let url = i["url"].as_str().unwrap();
        assert!(
            !main_links.iter().any(|l| l == url),
            "{url} is on its month's page only"
        );
    }
    // A day later nothing in those months moved: their pages are kept.
    let before: BTreeMap<&String, u64> = pages.iter().map(|p| (*p, inode(&out.join(p)))).collect();
    update(&repo, &out, "2027-07-01T12:00:00Z");
    for (p, ino) in before {
        let settled = status["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| want[p].iter().any(|u| u == i["url"].as_str().unwrap()))
            .all(|i| i.get("resolved_at").is_some());
        assert_eq!(inode(&out.join(p)) == ino, settled, "{p}");
    }
    // At acme's own clock every month is on the main page.
    update(&repo, &out, NOW);
    assert!(!tree(&out).keys().any(|p| p.starts_with("history/")));
    assert_eq!(tree(&out), rebuilt(&repo, NOW));
}

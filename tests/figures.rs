//! The figures commands at scale: what `report`, `sla` and `status-page`
//! load (`gitsm::figures`) gives exactly the figures of a full load, on
//! examples/acme and on a generated repo (the benchmarks' generator); and
//! the report's JSON holds numbers, never chart geometry.

use crate::common::{gitsm, manifest_dir, run};
use gitsm::figures::{self, Need};
use gitsm::repo::{Loaded, WorkTree};
use serde_json::Value;
use std::path::Path;

#[path = "../benches/common/mod.rs"]
pub(crate) mod generator;

fn full(root: &Path) -> Vec<Loaded> {
    let v = gitsm::validate::validate(&WorkTree::new(root)).unwrap();
    assert!(!v.has_errors(), "{:?}", &v.findings[..v.findings.len().min(3)]);
    v.snapshot.records
}

fn screened(root: &Path, need: Need) -> (Vec<Loaded>, usize) {
    screened_with(root, need, None)
}

/// [`screened`] as the CLI loads: each record cut to `now` as it is loaded.
fn screened_at(root: &Path, need: Need, now: jiff::Timestamp) -> (Vec<Loaded>, usize) {
    let s = figures::load_at(&WorkTree::new(root), need, None, now).unwrap();
    assert!(!s.validation.has_errors(), "{:?}", s.validation.findings);
    assert!(s.unread.is_empty());
    (s.validation.snapshot.records, s.skipped)
}

/// Each record's path and every field (`Debug`), to compare loads.
fn record_fields(records: &[Loaded]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|l| (l.path.clone(), format!("{:?}", l.record)))
        .collect()
}

/// [`screened`] for a report that knows its merges.
fn screened_with(root: &Path, need: Need, merges: Option<&figures::MergeRefs>) -> (Vec<Loaded>, usize) {
    let s = figures::load_with(&WorkTree::new(root), need, merges).unwrap();
    assert!(!s.validation.has_errors(), "{:?}", s.validation.findings);
    assert!(s.unread.is_empty());
    (s.validation.snapshot.records, s.skipped)
}

fn report_json(records: &[Loaded], month: &str, tz: &str, now: jiff::Timestamp) -> String {
    report_json_in(records, month, tz, now, None)
}

fn budget_json(
    records: &[Loaded],
    window: gitsm::budget::WindowKind,
    tz: &str,
    now: jiff::Timestamp,
) -> String {
    let b = gitsm::budget::compute(
        records,
        &gitsm::budget::Options {
            window,
            service: None,
            now,
            timezone: tz,
        },
    )
    .unwrap();
    serde_json::to_string(&b).unwrap()
}

fn sla_json(records: &[Loaded], now: jiff::Timestamp) -> String {
    let ctx = gitsm::sla::SlaContext::new(records);
    serde_json::to_string(&ctx.open_tickets(records, now, None)).unwrap()
}

fn status_json(records: Vec<Loaded>, now: jiff::Timestamp) -> String {
    let snap = gitsm::repo::Snapshot {
        records,
        ..Default::default()
    };
    serde_json::to_string(&gitsm::status::build(&snap, now).doc).unwrap()
}

/// Every month of the repo's span, as of `now`, and `sla` and the status
/// page at `now`: screened and full loads agree to the byte, and the screen
/// did skip files.
fn assert_screening_is_exact(root: &Path, months: &[String], tz: &str, now: jiff::Timestamp) {
    let all = full(root);
    let mut skipped_any = false;
    for month in months {
        let p = gitsm::report::Period::month(month, tz).unwrap();
        let (from, to) = p.needed_span(now);
        let (kept, skipped) = screened_at(root, Need::Report { from, to }, now);
        skipped_any |= skipped > 0;
        assert_eq!(
            report_json(&kept, month, tz, now),
            report_json(&all, month, tz, now),
            "{month}"
        );
    }
    // `gitsm budget`: each window, as the CLI screens it.
    for kind in [
        gitsm::budget::WindowKind::Month,
        gitsm::budget::WindowKind::Rolling28,
        gitsm::budget::WindowKind::Rolling30,
    ] {
        let (from, _, _) = gitsm::budget::window_bounds(kind, now, tz).unwrap();
        let need = Need::Window {
            from: from.checked_sub(jiff::SignedDuration::from_hours(96)).unwrap(),
            to: now.checked_add(jiff::SignedDuration::from_secs(1)).unwrap(),
        };
        let (kept, _) = screened_at(root, need, now);
        assert_eq!(
            budget_json(&kept, kind, tz, now),
            budget_json(&all, kind, tz, now),
            "{kind:?}"
        );
        // Given records with later events, the budget copies only what can
        // count (`budget::may_count`); given them cut already, it reads
        // every record. Same budgets.
        assert_eq!(
            budget_json(&all, kind, tz, now),
            budget_json(&gitsm::availability::records_as_of(&all, now), kind, tz, now),
            "{kind:?}"
        );
    }
    let (kept, skipped) = screened_at(root, Need::Sla { now }, now);
    assert!(skipped > 0);
    assert_eq!(sla_json(&kept, now), sla_json(&all, now));
    // Cut as they load, the records are those `records_as_of` makes of a
    // full load (the figures then copy nothing).
    let (cut, _) = screened_at(root, Need::All, now);
    assert_eq!(
        record_fields(&cut),
        record_fields(&gitsm::availability::records_as_of(&all, now))
    );
    let (kept, skipped) = screened(root, Need::StatusPage);
    assert!(skipped > 0);
    let by_need_alone = skipped;
    assert_eq!(status_json(kept, now), status_json(all.clone(), now));
    // What the CLI loads: incidents only on private services screened out too.
    let (kept, skipped) = status_page_load(root, now);
    assert!(skipped > by_need_alone, "{skipped} vs {by_need_alone}");
    assert_eq!(status_json(kept, now), status_json(all, now));
    assert!(skipped_any, "no report skipped anything");
}

fn status_page_load(root: &Path, now: jiff::Timestamp) -> (Vec<Loaded>, usize) {
    let s = figures::load_status_page(&WorkTree::new(root), now).unwrap();
    assert!(!s.validation.has_errors(), "{:?}", s.validation.findings);
    (s.validation.snapshot.records, s.skipped)
}

#[test]
fn screened_loads_give_the_figures_of_a_full_load_on_acme() {
    let root = manifest_dir().join("examples/acme");
    let months: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    for now in [
        "2026-11-25T12:00:00Z",
        "2026-10-15T08:00:00Z",
        "2027-06-01T00:00:00Z",
    ] {
        assert_screening_is_exact(&root, &months, "Europe/Berlin", now.parse().unwrap());
    }
}

#[test]
fn screened_loads_give_the_figures_of_a_full_load_on_a_generated_repo() {
    let dir = tempfile::tempdir().unwrap();
    generator::generate(dir.path(), 1_500);
    // 1,500 records over one year from 2020-01-06; `now` a day after.
    let months: Vec<String> = (1..=12)
        .step_by(3)
        .map(|m| format!("2020-{m:02}"))
        .chain(["2021-01".to_string()])
        .collect();
    for now in ["2021-01-06T00:00:00Z", "2020-07-15T12:00:00Z"] {
        assert_screening_is_exact(dir.path(), &months, "Europe/Berlin", now.parse().unwrap());
    }
}

fn report_json_with_git(
    records: &[Loaded],
    month: &str,
    tz: &str,
    now: jiff::Timestamp,
    git: &gitsm::dora::GitHistory,
) -> String {
    report_json_in(records, month, tz, now, Some(git))
}

/// A monthly report's JSON, with or without the branch's merges.
fn report_json_in(
    records: &[Loaded],
    month: &str,
    tz: &str,
    now: jiff::Timestamp,
    git: Option<&gitsm::dora::GitHistory>,
) -> String {
    let rep = gitsm::report::build(
        records,
        gitsm::report::Options {
            period: gitsm::report::Period::month(month, tz).unwrap(),
            service: None,
            now,
            git,
        },
    )
    .unwrap();
    gitsm::report::render(&rep, gitsm::report::Format::Json, None).unwrap()
}

/// A change file of the generated repo: (path, id, earliest, latest).
fn change_files(root: &Path) -> Vec<(String, String, jiff::Timestamp, jiff::Timestamp)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join("changes")).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path()).unwrap();
        let s = figures::scan(&text).expect("the generator writes plain records");
        let name = e.file_name().to_string_lossy().to_string();
        out.push((
            format!("changes/{name}"),
            s.id.expect("a plain id").to_string(),
            s.earliest,
            s.latest,
        ));
    }
    out.sort();
    out
}

/// With the report's merges known, old changes and changes after the
/// report are screened out unless a merge touches or names them; DORA's
/// links (and so covered and uncovered merges, lead times) are those of a
/// full load. A screen that dropped a change a merge reaches would turn its
/// merge into an "uncovered" one and fail the comparison.
#[test]
fn a_report_that_knows_its_merges_keeps_every_change_they_reach() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    generator::generate(root, 1_500);
    let all = full(root);
    let changes = change_files(root);
    let tz = "Europe/Berlin";
    let ts = |s: &str| -> jiff::Timestamp { s.parse().unwrap() };
    let merge = |at: &str, paths: &[&str], message: String| gitsm::dora::Merge {
        sha: format!("{:040x}", at.len() * 7 + message.len()),
        at: ts(at),
        first_commit_at: ts(at).checked_sub(jiff::SignedDuration::from_hours(30)).unwrap(),
        paths: paths.iter().map(|p| p.to_string()).collect(),
        message,
    };
    // A month long after the repo (every change is old by then), and an
    // early month (most changes come after it).
    for (month, now) in [
        ("2022-06", "2022-07-02T00:00:00Z"),
        ("2020-02", "2021-01-06T00:00:00Z"),
    ] {
        let now = ts(now);
        let period = gitsm::report::Period::month(month, tz).unwrap();
        let (from, to) = period.needed_span(now);
        let since = from
            .checked_sub(jiff::SignedDuration::from_hours(24 * 90))
            .unwrap();
        let far: Vec<_> = changes.iter().filter(|c| c.3 < since || c.2 >= to).collect();
        assert!(far.len() > 10, "{month}: {} changes out of reach", far.len());
        let (by_path, by_id, by_stem) = (far[0], far[1], far[2]);
        let mid = format!("{month}-15T12:00:00Z");
        let git = gitsm::dora::GitHistory {
            merges: vec![
                merge(
                    &mid,
                    &[by_path.0.as_str(), "services/svc-04/app.rs"],
                    "tidy the record".into(),
                ),
                merge(
                    &mid,
                    &["services/svc-01/app.rs"],
                    format!("deploy, see {}", by_id.1),
                ),
                merge(
                    &mid,
                    &["services/svc-02/app.rs"],
                    format!("{} follow-up", by_stem.1),
                ),
                merge(&mid, &["services/svc-03/app.rs"], "an uncovered deploy".into()),
            ],
            itsm_prefix: String::new(),
        };
        let refs = figures::MergeRefs::new(since, Some(&git));
        let (kept, _) = screened_with(root, Need::Report { from, to }, Some(&refs));
        let kept_changes: Vec<&str> = kept
            .iter()
            .filter(|l| l.path.starts_with("changes/"))
            .map(|l| l.path.as_str())
            .collect();
        for c in [by_path, by_id, by_stem] {
            assert!(
                kept_changes.contains(&c.0.as_str()),
                "{month}: {} was screened out",
                c.0
            );
        }
        assert!(
            kept_changes.len() + far.len() - 3 <= changes.len(),
            "{month}: the changes out of reach were loaded ({} of {})",
            kept_changes.len(),
            changes.len()
        );
        assert_eq!(
            report_json_with_git(&kept, month, tz, now, &git),
            report_json_with_git(&all, month, tz, now, &git),
            "{month}"
        );
        // The comparison can see a dropped change: without the merges'
        // references the three are screened out and the figures differ.
        let blind = figures::MergeRefs::new(since, None);
        let (blind_kept, _) = screened_with(root, Need::Report { from, to }, Some(&blind));
        assert_ne!(
            report_json_with_git(&blind_kept, month, tz, now, &git),
            report_json_with_git(&all, month, tz, now, &git),
            "{month}"
        );
    }
}

/// A JSON Schema for an object with exactly these fields.
fn closed(fields: &[(&str, Value)]) -> Value {
    let properties: serde_json::Map<String, Value> =
        fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let required: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// Names of every object key anywhere in a JSON value.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[test]
fn report_json_holds_numbers_not_chart_geometry() {
    let root = manifest_dir().join("examples/acme");
    let mut c = gitsm(&root);
    c.args([
        "--now",
        "2026-11-25T12:00:00Z",
        "report",
        "--period",
        "2026-10",
        "--format",
        "json",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    // The report's top level, a period and a service's figures, exactly: a
    // field added or leaked (a chart, a coordinate) fails the schema.
    let any = serde_json::json!({});
    let availability = closed(&[
        ("percent", serde_json::json!({"type": "number"})),
        ("target", serde_json::json!({"type": ["number", "null"]})),
        ("met", serde_json::json!({"type": ["boolean", "null"]})),
        ("summary", serde_json::json!({"type": "object"})),
        ("outages", serde_json::json!({"type": "array"})),
    ]);
    let mut service: Vec<(&str, Value)> = ["id", "name", "tier", "sla", "sla_name", "calendar", "incidents"]
        .iter()
        .map(|k| (*k, any.clone()))
        .collect();
    service.extend(
        ["by_priority", "mtta", "mttr", "response", "resolution"]
            .map(|k| (k, serde_json::json!({"type": "object"}))),
    );
    service.push(("availability", availability));
    let period = closed(
        &["from", "to", "label", "timezone", "measured_to"]
            .map(|k| (k, serde_json::json!({"type": "string"}))),
    );
    let schema = closed(&[
        ("title", serde_json::json!({"type": "string"})),
        ("generated_at", serde_json::json!({"type": "string"})),
        ("period", period),
        ("service_filter", serde_json::json!({"type": ["string", "null"]})),
        (
            "services",
            serde_json::json!({"type": "array", "minItems": 1, "items": closed(&service)}),
        ),
        ("totals", serde_json::json!({"type": "object"})),
        ("breaches", serde_json::json!({"type": "array"})),
        ("incidents", serde_json::json!({"type": "array", "minItems": 1})),
        ("changes", serde_json::json!({"type": "object"})),
        ("releases", serde_json::json!({"type": "object"})),
        ("problems", serde_json::json!({"type": "object"})),
        ("requests", serde_json::json!({"type": "object"})),
        ("conventions", serde_json::json!({"type": "object"})),
        ("dora", serde_json::json!({"type": "object"})),
        ("budget", serde_json::json!({"type": ["object", "null"]})),
        ("trends", serde_json::json!({"type": ["object", "null"]})),
    ]);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut all = Vec::new();
    keys(&doc, &mut all);
    for geometry in [
        "charts",
        "x0",
        "plot_width",
        "plot_height",
        "x",
        "y",
        "width",
        "height",
        "ticks",
        "y_ticks",
        "target_x",
    ] {
        assert!(
            !all.iter().any(|k| k == geometry),
            "`{geometry}` in the report's JSON"
        );
    }
    // The HTML still draws both charts from the same figures.
    let mut c = gitsm(&root);
    c.args([
        "--now",
        "2026-11-25T12:00:00Z",
        "report",
        "--period",
        "2026-10",
        "--format",
        "html",
    ]);
    let (code, html, err) = run(c);
    assert_eq!(code, 0, "{err}");
    for chart in [
        "aria-label=\"Availability per service\"",
        "aria-label=\"Incidents per week by priority\"",
    ] {
        assert_eq!(html.matches(chart).count(), 1, "{chart}");
    }
    // Beside them only the trends' sparklines, one per series.
    let series = doc["trends"]["series"].as_array().map_or(0, Vec::len);
    assert!(series > 0);
    assert_eq!(html.matches("<svg").count(), 2 + series);
}

/// The status page's screen trusts the catalog's "private" only as far as
/// the load confirms it: a second record giving a private service's id as
/// public elsewhere (an error `validate` reports) makes it load everything,
/// so the page is still that of a full load.
#[test]
fn the_status_page_screen_falls_back_when_the_catalog_is_contradicted() {
    let dir = tempfile::tempdir().unwrap();
    generator::generate(dir.path(), 600);
    let now: jiff::Timestamp = "2021-01-06T00:00:00Z".parse().unwrap();
    let private = std::fs::read_dir(dir.path().join("catalog"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !std::fs::read_to_string(p).unwrap().contains("public: true"))
        .expect("a private service");
    let text = std::fs::read_to_string(&private).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .to_string();
    let (_, skipped_before) = status_page_load(dir.path(), now);
    std::fs::create_dir_all(dir.path().join("more")).unwrap();
    std::fs::write(
        dir.path().join("more/twin.yaml"),
        text.replace("public: false\n", "")
            .replace("kind: Service\n", "kind: Service\npublic: true\n"),
    )
    .unwrap();
    let s = figures::load_status_page(&WorkTree::new(dir.path()), now).unwrap();
    assert!(s.skipped < skipped_before, "{} vs {skipped_before}", s.skipped);
    let records = s.validation.snapshot.records;
    let full_load = gitsm::validate::validate(&WorkTree::new(dir.path())).unwrap();
    let page = status_json(full_load.snapshot.records, now);
    assert_eq!(status_json(records, now), page);
    // The twin made the service public: its incidents are on the page.
    assert!(page.contains(&format!("\"{id}\"")), "{id}");
}

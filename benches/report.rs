//! Benchmark: a service report over 10 000 incidents and 2 000 changes.
//!
//! Generates an ITSM repo of that size in a temp folder (13 services on
//! three SLAs, one a Berlin office-hours calendar with holidays; incidents
//! with 4–7 timeline events including pauses and reopens; maintenance
//! changes), then times, end to end as `gitsm report` does it: loading and
//! validating every file, building the KPIs for a month and for the whole
//! year, and rendering HTML. Run with `cargo bench --bench report`; set
//! `BENCH_REPO=DIR` to keep the generated repo there (to time the binary).

use std::fmt::Write as _;
use std::time::Instant;

const INCIDENTS: usize = 10_000;
const CHANGES: usize = 2_000;
const SERVICES: [&str; 13] = [
    "accounts",
    "backoffice",
    "catalog-api",
    "checkout",
    "ci-platform",
    "data-warehouse",
    "inventory",
    "notifications",
    "orders",
    "payments",
    "search",
    "shipping",
    "storefront",
];

/// A tiny deterministic generator (no dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn ts(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).unwrap().to_string()
}

fn write(root: &std::path::Path, rel: &str, body: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn generate(root: &std::path::Path) {
    write(
        root,
        "gitsm.yaml",
        "apiVersion: gitsm/v1\nkind: Config\nid: bench\ntimezone: Europe/Berlin\n",
    );
    write(
        root,
        "policies/default.yaml",
        "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice]\necab: [alice]\nrules:\n  - match: {type: standard}\n    approvals: 0\n  - approvals: 0\n",
    );
    write(
        root,
        "slas/berlin.yaml",
        "apiVersion: gitsm/v1\nkind: Calendar\nid: berlin\ntimezone: Europe/Berlin\nhours:\n  mon-fri: \"09:00-17:00\"\nholidays: [2026-01-01, 2026-04-03, 2026-04-06, 2026-05-01, 2026-05-14, 2026-05-25, 2026-10-03, 2026-12-24, 2026-12-25, 2026-12-26]\n",
    );
    for (id, cal) in [("gold", "24x7"), ("silver", "24x7"), ("bronze", "berlin")] {
        write(
            root,
            &format!("slas/{id}.yaml"),
            &format!("apiVersion: gitsm/v1\nkind: SLA\nid: {id}\ncalendar: {cal}\navailability: 99.9\nrequest_fulfillment: 3d\ntargets:\n  P1: {{response: 15m, resolution: 4h}}\n  P2: {{response: 30m, resolution: 8h}}\n  P3: {{response: 2h, resolution: 3d}}\n  P4: {{response: 8h, resolution: 1w}}\n"),
        );
    }
    for (i, s) in SERVICES.iter().enumerate() {
        let sla = ["gold", "silver", "bronze"][i % 3];
        write(
            root,
            &format!("catalog/{s}.yaml"),
            &format!("apiVersion: gitsm/v1\nkind: Service\nid: {s}\nname: {s}\nowner: o\nsla: {sla}\npublic: true\n"),
        );
    }
    let year_start = 1_767_225_600i64; // 2026-01-01T00:00:00Z
    let year = 365 * 86_400i64;
    let mut rng = Lcg(42);
    let levels = ["high", "medium", "low"];
    let impacts = [
        "none",
        "none",
        "degraded_performance",
        "partial_outage",
        "major_outage",
    ];
    for n in 1..=INCIDENTS {
        let start = year_start + rng.next(year as u64 - 30 * 86_400) as i64 / 60 * 60;
        let service = SERVICES[rng.next(13) as usize];
        let other = SERVICES[rng.next(13) as usize];
        let mut t = start;
        let mut tl = String::new();
        let mut step = |tl: &mut String, status: &str, rng: &mut Lcg, max_min: u64| {
            t += (1 + rng.next(max_min) as i64) * 60;
            writeln!(tl, "  - at: {}\n    by: x\n    status: {status}", ts(t)).unwrap();
        };
        writeln!(tl, "  - at: {}\n    by: x\n    status: new", ts(start)).unwrap();
        step(&mut tl, "acknowledged", &mut rng, 120);
        step(&mut tl, "investigating", &mut rng, 60);
        if rng.next(4) == 0 {
            step(&mut tl, "on_hold", &mut rng, 600);
            step(&mut tl, "investigating", &mut rng, 1200);
        }
        step(&mut tl, "resolved", &mut rng, 2000);
        if rng.next(10) == 0 {
            step(&mut tl, "investigating", &mut rng, 600);
            step(&mut tl, "resolved", &mut rng, 600);
        }
        step(&mut tl, "closed", &mut rng, 3000);
        let (imp, urg) = (levels[rng.next(3) as usize], levels[rng.next(3) as usize]);
        write(
            root,
            &format!("incidents/INC-{n:05}.yaml"),
            &format!(
                "apiVersion: gitsm/v1\nkind: Incident\nid: INC-{n:05}\ntitle: Incident {n}\nservice: {service}\nimpact: {imp}\nurgency: {urg}\nstatus: closed\nreported_at: {}\nreported_by: x\ncustomer_impact: {}\naffected_services: [{service}, {other}]\ntimeline:\n{tl}",
                ts(start),
                impacts[rng.next(5) as usize]
            ),
        );
    }
    for n in 1..=CHANGES {
        let created = year_start + rng.next(year as u64 - 30 * 86_400) as i64 / 60 * 60;
        let ws = created + 3 * 86_400;
        let service = SERVICES[rng.next(13) as usize];
        let outcome =
            ["successful", "successful", "successful", "failed", "rolled_back"][rng.next(5) as usize];
        let ty = ["standard", "normal", "normal", "emergency"][rng.next(4) as usize];
        let maintenance = rng.next(10) == 0;
        let tl: String = [
            ("draft", created),
            ("submitted", created + 60),
            ("approved", created + 3600),
            ("scheduled", created + 7200),
            ("implementing", ws),
            ("completed", ws + 3600),
        ]
        .iter()
        .map(|(s, at)| format!("  - at: {}\n    by: x\n    status: {s}\n", ts(*at)))
        .collect();
        write(
            root,
            &format!("changes/CHG-{n:05}.yaml"),
            &format!(
                "apiVersion: gitsm/v1\nkind: Change\nid: CHG-{n:05}\ntitle: Change {n}\nstatus: completed\ntype: {ty}\nrisk: low\nservices: [{service}]\nrequested_by: x\nplan: p\nrollback_plan: r\nwindow:\n  start: {}\n  end: {}\nmaintenance: {maintenance}\noutcome: {outcome}\n{}timeline:\n{tl}",
                ts(ws),
                ts(ws + 7200),
                if outcome == "successful" && ty != "emergency" { "" } else { "review: done\n" }
            ),
        );
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("BENCH_REPO").map(std::path::PathBuf::from);
    let root = keep.as_deref().unwrap_or(dir.path());
    let t0 = Instant::now();
    generate(root);
    eprintln!(
        "generated {INCIDENTS} incidents and {CHANGES} changes in {:?}",
        t0.elapsed()
    );
    let now: jiff::Timestamp = "2027-01-15T00:00:00Z".parse().unwrap();

    let mut best = f64::MAX;
    for run in 0..3 {
        let t = Instant::now();
        let v = gitsm::validate::validate(&gitsm::repo::WorkTree::new(root)).unwrap();
        let t_load = t.elapsed();
        assert!(!v.has_errors(), "{:?}", &v.findings[..v.findings.len().min(3)]);
        let period = gitsm::report::Period::month("2026-10", "Europe/Berlin").unwrap();
        let rep = gitsm::report::build(
            &v.snapshot.records,
            gitsm::report::Options {
                period,
                service: None,
                now,
                git: None,
            },
        )
        .unwrap();
        let html = gitsm::report::render(&rep, gitsm::report::Format::Html, None).unwrap();
        let t_month = t.elapsed();
        let year = gitsm::report::Period::days("2026-01-01", "2026-12-31", "Europe/Berlin").unwrap();
        let rep_y = gitsm::report::build(
            &v.snapshot.records,
            gitsm::report::Options {
                period: year,
                service: None,
                now,
                git: None,
            },
        )
        .unwrap();
        let _ = gitsm::report::render(&rep_y, gitsm::report::Format::Html, None).unwrap();
        let total = t.elapsed();
        eprintln!(
            "run {run}: load+validate {:.0} ms; + month report ({} incidents, {} KiB HTML) {:.0} ms; + year report ({} incidents, {} changes) {:.0} ms",
            t_load.as_secs_f64() * 1e3,
            rep.totals.incidents,
            html.len() / 1024,
            t_month.as_secs_f64() * 1e3,
            rep_y.totals.incidents,
            rep_y.changes.count,
            total.as_secs_f64() * 1e3,
        );
        best = best.min(t_month.as_secs_f64());
    }
    println!("best month report, end to end: {:.0} ms", best * 1e3);
}

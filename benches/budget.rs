//! Benchmark: error budgets and the report with DORA and trends over
//! 100 000 incidents and 20 000 changes (issue 16's performance target).
//!
//! The repo is generated as `benches/report.rs` generates its smaller one
//! (same shapes, ten times the records; the generator is copied because a
//! bench is its own crate). Times separately: loading and validating every
//! file (shared with every figures command), `budget::compute` for all
//! services, and `report::build` for a month (which now includes DORA, the
//! budget section and 12 months of trends). Run with
//! `cargo bench --bench budget`; `BENCH_REPO=DIR` keeps the repo.

use std::fmt::Write as _;
use std::time::Instant;

const INCIDENTS: usize = 100_000;
const CHANGES: usize = 20_000;
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
            &format!("incidents/INC-{n:06}.yaml"),
            &format!(
                "apiVersion: gitsm/v1\nkind: Incident\nid: INC-{n:06}\ntitle: Incident {n}\nservice: {service}\nimpact: {imp}\nurgency: {urg}\nstatus: closed\nreported_at: {}\nreported_by: x\ncustomer_impact: {}\naffected_services: [{service}, {other}]\ntimeline:\n{tl}",
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
    let now: jiff::Timestamp = "2026-10-20T12:00:00Z".parse().unwrap();
    let (mut best_budget, mut best_report) = (f64::MAX, f64::MAX);
    for run in 0..3 {
        let t = Instant::now();
        let v = gitsm::validate::validate(&gitsm::repo::WorkTree::new(root)).unwrap();
        let t_load = t.elapsed().as_secs_f64();
        assert!(!v.has_errors(), "{:?}", &v.findings[..v.findings.len().min(3)]);
        let t = Instant::now();
        let b = gitsm::budget::compute(
            &v.snapshot.records,
            &gitsm::budget::Options {
                window: gitsm::budget::WindowKind::Month,
                service: None,
                now,
                timezone: "Europe/Berlin",
            },
        )
        .unwrap();
        let t_budget = t.elapsed().as_secs_f64();
        let t = Instant::now();
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
        let t_report = t.elapsed().as_secs_f64();
        eprintln!(
            "run {run}: load+validate {:.0} ms; budget ({} services, {} spent) {:.0} ms; report with DORA ({} deployments) and trends {:.0} ms",
            t_load * 1e3,
            b.services.len(),
            b.services.iter().filter(|s| s.spent).count(),
            t_budget * 1e3,
            rep.dora.deployment_frequency.deployments,
            t_report * 1e3,
        );
        best_budget = best_budget.min(t_budget);
        best_report = best_report.min(t_report);
    }
    println!(
        "best: budget {:.0} ms, report with DORA and trends {:.0} ms (after loading)",
        best_budget * 1e3,
        best_report * 1e3
    );
}

//! What the scale benchmarks share: a deterministic generator of synthetic
//! ITSM repos with realistic record shapes, and a timer that runs the
//! `gitsm` binary and reports wall time and peak memory.
//!
//! The generator replaces `bench/gen_synthetic.py` (and the report bench's
//! own generator), so no benchmark needs Python. A repo of `n` records is
//! written once under `target/bench-repos/r<n>` and reused; a `.complete`
//! marker (holding [`GENERATOR_VERSION`]) tells a finished repo from an
//! interrupted one, and a new generator version rebuilds it.
//!
//! Shapes: 50 services on three SLAs (one on a Berlin office-hours calendar
//! with holidays), a calendar, a change policy, and the rest split 70 %
//! incidents (5–9 timeline events with public and internal notes, pauses and
//! reopens, customer impact of every level, a few affecting two services),
//! 20 % changes (plans, windows, approvals, one in ten a customer-visible
//! maintenance) and 10 % requests. Records are spread evenly over one year
//! per 150,000 records (at least one, at most seven), as an organisation's
//! repo grows; tickets of the last two days before [`Repo::now`] are still
//! open, so `gitsm sla` has clocks to show. Every record is valid: `gitsm
//! validate` does all of its work on every file and finds nothing.

#![allow(dead_code)] // each bench uses its own part

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Bumped whenever the generated shapes change, so stale repos are rebuilt.
pub const GENERATOR_VERSION: &str = "1";

const PEOPLE: [&str; 8] = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
const LEVELS: [&str; 3] = ["high", "medium", "low"];
const IMPACTS: [&str; 4] = ["none", "degraded_performance", "partial_outage", "major_outage"];
const SERVICES: usize = 50;
/// 2020-01-06T00:00:00Z, a Monday.
const EPOCH: i64 = 1_578_268_800;
const DAY: i64 = 86_400;

/// A generated repo and the instant its benchmarks use as `--now`.
pub struct Repo {
    pub root: PathBuf,
    pub records: usize,
    pub incidents: usize,
    pub changes: usize,
    pub requests: usize,
    /// One day after the last record was created.
    pub now: jiff::Timestamp,
}

impl Repo {
    /// `--now` as the CLI takes it.
    pub fn now_arg(&self) -> String {
        self.now.to_string()
    }

    /// The last full calendar month before `now` (UTC), `YYYY-MM`.
    pub fn last_month(&self) -> String {
        let d = self.now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let prev = d.first_of_month().yesterday().expect("a date after 2020");
        prev.strftime("%Y-%m").to_string()
    }
}

/// A small deterministic generator (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

fn ts(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).expect("in range").to_string()
}

fn priority(impact: &str, urgency: &str) -> &'static str {
    let rank = |l: &str| LEVELS.iter().position(|x| *x == l).expect("a level");
    ["P1", "P2", "P3", "P4", "P4"][rank(impact) + rank(urgency)]
}

/// The split of `n` records: (incidents, changes, requests).
fn split(n: usize) -> (usize, usize, usize) {
    let rest = n.saturating_sub(56);
    let (inc, chg) = (rest * 7 / 10, rest * 2 / 10);
    (inc, chg, rest - inc - chg)
}

/// Seconds the records are spread over.
fn span_secs(n: usize) -> i64 {
    let years = (n as f64 / 150_000.0).clamp(1.0, 7.0);
    (years * 365.0 * DAY as f64) as i64
}

/// The repo of `n` records under `target/bench-repos`, generated on first use.
pub fn repo(n: usize) -> Repo {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-repos/r{n}"));
    let (incidents, changes, requests) = split(n);
    let repo = Repo {
        root,
        records: n,
        incidents,
        changes,
        requests,
        now: jiff::Timestamp::from_second(EPOCH + span_secs(n) + DAY).expect("in range"),
    };
    let marker = repo.root.join(".complete");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(GENERATOR_VERSION) {
        return repo;
    }
    let t = std::time::Instant::now();
    let _ = std::fs::remove_dir_all(&repo.root);
    generate(&repo.root, n);
    std::fs::write(&marker, GENERATOR_VERSION).expect("write the marker");
    eprintln!(
        "generated {} in {:.1} s",
        repo.root.display(),
        t.elapsed().as_secs_f64()
    );
    repo
}

/// Writes a repo of `n` records (see the module docs) into `root`.
pub fn generate(root: &Path, n: usize) {
    for d in ["catalog", "slas", "policies", "incidents", "changes", "requests"] {
        std::fs::create_dir_all(root.join(d)).expect("create folders");
    }
    context(root);
    let (n_inc, n_chg, n_req) = split(n);
    let span = span_secs(n);
    let end = EPOCH + span;
    // Each kind is spread evenly over the span; the three are written in parallel.
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut rng = Lcg(42);
            for i in 1..=n_inc {
                let at = EPOCH + span * (i as i64 - 1) / n_inc.max(1) as i64;
                write(
                    root,
                    &format!("incidents/INC-{i:06}.yaml"),
                    &incident(&mut rng, i, at, end),
                );
            }
        });
        s.spawn(|| {
            let mut rng = Lcg(7);
            for i in 1..=n_chg {
                let at = EPOCH + span * (i as i64 - 1) / n_chg.max(1) as i64;
                write(
                    root,
                    &format!("changes/CHG-{i:06}.yaml"),
                    &change(&mut rng, i, at, end + DAY),
                );
            }
        });
        s.spawn(|| {
            let mut rng = Lcg(99);
            for i in 1..=n_req {
                let at = EPOCH + span * (i as i64 - 1) / n_req.max(1) as i64;
                write(
                    root,
                    &format!("requests/REQ-{i:06}.yaml"),
                    &request(&mut rng, i, at, end),
                );
            }
        });
    });
}

fn write(root: &Path, rel: &str, body: &str) {
    std::fs::write(root.join(rel), body).unwrap_or_else(|e| panic!("write {rel}: {e}"));
}

fn service(i: usize) -> String {
    format!("svc-{i:02}")
}

/// Config, calendar, SLAs, catalog and policy: 56 records.
fn context(root: &Path) {
    write(
        root,
        "gitsm.yaml",
        "apiVersion: gitsm/v1\nkind: Config\nid: bench\ntimezone: Europe/Berlin\nid_digits: 6\nstatus_page:\n  title: Bench Status\n  base_url: https://status.example.com\n",
    );
    let mut holidays = String::new();
    for y in 2020..=2028 {
        for md in ["01-01", "05-01", "10-03", "12-24", "12-25", "12-26"] {
            writeln!(holidays, "  - {y}-{md}").expect("string");
        }
    }
    write(
        root,
        "slas/office.yaml",
        &format!("apiVersion: gitsm/v1\nkind: Calendar\nid: office\ntimezone: Europe/Berlin\nhours:\n  mon-fri: \"09:00-17:00\"\nholidays:\n{holidays}"),
    );
    for (sla, cal) in [("gold", "24x7"), ("silver", "24x7"), ("bronze", "office")] {
        write(
            root,
            &format!("slas/{sla}.yaml"),
            &format!("apiVersion: gitsm/v1\nkind: SLA\nid: {sla}\nname: {sla} support\ncalendar: {cal}\ntargets:\n  P1: {{response: 15m, resolution: 4h}}\n  P2: {{response: 1h, resolution: 8h}}\n  P3: {{response: 4h, resolution: 3d}}\n  P4: {{response: 1d, resolution: 2w}}\navailability: 99.9\nrequest_fulfillment: 3d\n"),
        );
    }
    for i in 0..SERVICES {
        let s = service(i);
        let deps: String = (i + 1..(i + 3).min(SERVICES))
            .map(|d| format!("  - {}\n", service(d)))
            .collect();
        let deps = if deps.is_empty() {
            String::new()
        } else {
            format!("depends_on:\n{deps}")
        };
        write(
            root,
            &format!("catalog/{s}.yaml"),
            &format!(
                "apiVersion: gitsm/v1\nkind: Service\nid: {s}\nname: Service {i}\nowner: {}\ntier: {}\nsla: {}\n{deps}paths:\n  - services/{s}/**\npublic: {}\ndescription: Synthetic service number {i}.\n",
                PEOPLE[i % 8],
                1 + i % 4,
                ["gold", "silver", "bronze"][i % 3],
                i % 2 == 1
            ),
        );
    }
    write(
        root,
        "policies/default.yaml",
        "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice, bob, dave]\necab: [alice, erin]\nrules:\n  - match: {type: standard}\n    approvals: 0\n  - match: {type: normal}\n    approvals: 1\n    from: cab\n  - match: {type: emergency}\n    approvals: 1\n    from: ecab\nlead_time: {normal: 2d}\n",
    );
}

/// One timeline event in block style.
fn event(tl: &mut String, at: i64, by: &str, status: Option<&str>, note: Option<&str>, public: bool) {
    write!(tl, "  - at: {}\n    by: {by}\n", ts(at)).expect("string");
    if let Some(s) = status {
        writeln!(tl, "    status: {s}").expect("string");
    }
    if let Some(n) = note {
        writeln!(tl, "    note: {n}").expect("string");
    }
    if public {
        tl.push_str("    public: true\n");
    }
}

fn incident(rng: &mut Lcg, i: usize, created: i64, end: i64) -> String {
    let (imp, urg) = (rng.pick(&LEVELS), rng.pick(&LEVELS));
    let svc = service(rng.below(SERVICES as u64) as usize);
    let other = service(rng.below(SERVICES as u64) as usize);
    let impact = rng.pick(&IMPACTS);
    let start = created + rng.below(3_600) as i64 / 60 * 60;
    // Tickets of the last two days are still open.
    let open = start > end - 2 * DAY;
    let mut t = start;
    let mut tl = String::new();
    let mut step =
        |tl: &mut String, rng: &mut Lcg, max_min: u64, st: Option<&str>, note: Option<&str>, public: bool| {
            t += (1 + rng.below(max_min) as i64) * 60;
            event(tl, t, rng.pick(&PEOPLE), st, note, public);
        };
    event(
        &mut tl,
        start,
        "monitoring",
        Some("new"),
        Some("Alert fired on the error rate"),
        false,
    );
    step(&mut tl, rng, 30, Some("acknowledged"), None, false);
    step(
        &mut tl,
        rng,
        30,
        Some("investigating"),
        Some("We are investigating elevated error rates."),
        true,
    );
    let mut status = "investigating";
    if !open {
        if rng.below(4) == 0 {
            step(
                &mut tl,
                rng,
                300,
                Some("on_hold"),
                Some("Waiting for the vendor."),
                false,
            );
            step(&mut tl, rng, 600, Some("investigating"), None, false);
        }
        step(
            &mut tl,
            rng,
            60,
            None,
            Some("Rolled back deploy 4f2a1c; DB pool exhausted."),
            false,
        );
        step(
            &mut tl,
            rng,
            240,
            Some("resolved"),
            Some("The issue is resolved."),
            true,
        );
        if rng.below(10) == 0 {
            step(
                &mut tl,
                rng,
                600,
                Some("investigating"),
                Some("The errors are back; we are on it."),
                true,
            );
            step(
                &mut tl,
                rng,
                600,
                Some("resolved"),
                Some("Resolved again, for good."),
                true,
            );
        }
        step(&mut tl, rng, 3_000, Some("closed"), None, false);
        status = "closed";
    }
    let affected = if rng.below(10) == 0 && other != svc {
        format!("  - {svc}\n  - {other}\n")
    } else {
        format!("  - {svc}\n")
    };
    let resolution = if open {
        ""
    } else {
        "resolution: Rolled back the faulty deploy and raised the connection pool size.\n"
    };
    format!(
        "# yaml-language-server: $schema=../schemas/incident.json\napiVersion: gitsm/v1\nkind: Incident\nid: INC-{i:06}\ntitle: Elevated error rate on {svc} ({i})\nservice: {svc}\nimpact: {imp}\nurgency: {urg}\npriority: {}\nstatus: {status}\nreported_at: {}\nreported_by: {}\nassignee: {}\ncustomer_impact: {impact}\naffected_services:\n{affected}{resolution}timeline:\n{tl}",
        priority(imp, urg),
        ts(start),
        rng.pick(&PEOPLE),
        rng.pick(&PEOPLE),
    )
}

fn change(rng: &mut Lcg, i: usize, created: i64, now: i64) -> String {
    let svc = service(rng.below(SERVICES as u64) as usize);
    let ty = rng.pick(&["standard", "normal", "normal", "emergency"]);
    let risk = rng.pick(&["low", "medium", "high"]);
    let maintenance = rng.below(10) == 0;
    let outcome = rng.pick(&[
        "successful",
        "successful",
        "successful",
        "successful",
        "failed",
        "rolled_back",
    ]);
    // Emergency changes go in two hours after they are raised; the others
    // three days later, in the evening (the policy asks two days' lead time).
    let win = if ty == "emergency" {
        created + 2 * 3_600
    } else {
        created + 3 * DAY + 22 * 3_600
    };
    // A change whose window is not over a day before `now` is still scheduled.
    let done = win + 3_600 < now - DAY;
    let approver = if ty == "emergency" { "erin" } else { "alice" };
    let approvals = if ty == "standard" {
        String::new()
    } else {
        format!(
            "approvals:\n  - by: {approver}\n    at: {}\n",
            ts(created + 3_600)
        )
    };
    let mut tl = format!(
        "  - {{at: {}, by: carol, status: draft}}\n  - {{at: {}, by: carol, status: submitted}}\n  - {{at: {}, by: {approver}, status: approved}}\n  - {{at: {}, by: carol, status: scheduled}}\n",
        ts(created),
        ts(created + 600),
        ts(created + 3_600),
        ts(created + 4_200),
    );
    let mut tail = String::new();
    let status = if done {
        write!(
            tl,
            "  - {{at: {}, by: frank, status: implementing}}\n  - {{at: {}, by: frank, status: completed}}\n",
            ts(win),
            ts(win + 2_400)
        )
        .expect("string");
        let review = outcome != "successful" || ty == "emergency";
        writeln!(tail, "outcome: {outcome}").expect("string");
        if review {
            tail.push_str("review: Went as planned after a slow start; see the notes.\n");
        }
        "completed"
    } else {
        "scheduled"
    };
    format!(
        "apiVersion: gitsm/v1\nkind: Change\nid: CHG-{i:06}\ntitle: Upgrade {svc} to the next minor release ({i})\nstatus: {status}\ntype: {ty}\nrisk: {risk}\nservices: [{svc}]\nrequested_by: carol\nimplementer: frank\ndescription: Routine upgrade with a database migration.\nplan: |\n  1. Drain traffic\n  2. Deploy the new release\n  3. Run the migration\nrollback_plan: |\n  Redeploy the previous release and restore the snapshot.\ntest_plan: Smoke tests and synthetic checks.\nwindow:\n  start: {}\n  end: {}\nmaintenance: {maintenance}\n{tail}{approvals}timeline:\n{tl}",
        ts(win),
        ts(win + 3_600),
    )
}

fn request(rng: &mut Lcg, i: usize, created: i64, end: i64) -> String {
    let svc = service(rng.below(SERVICES as u64) as usize);
    let open = created > end - 2 * DAY;
    let who = rng.pick(&PEOPLE);
    let mut tl = format!(
        "  - {{at: {}, by: {who}, status: submitted}}\n  - {{at: {}, by: dave, status: approved}}\n  - {{at: {}, by: heidi, status: fulfilling}}\n",
        ts(created),
        ts(created + 1_800),
        ts(created + 2_400),
    );
    let status = if open {
        "fulfilling"
    } else {
        let took = 3_000 + rng.below(5 * DAY as u64) as i64;
        writeln!(
            tl,
            "  - {{at: {}, by: heidi, status: fulfilled, note: Granted read-only access.}}",
            ts(created + took)
        )
        .expect("string");
        "fulfilled"
    };
    format!(
        "apiVersion: gitsm/v1\nkind: Request\nid: REQ-{i:06}\ntitle: Access to the reporting database ({i})\nservice: {svc}\nrequested_by: {who}\nstatus: {status}\ntimeline:\n{tl}"
    )
}

/// Wall time and peak resident memory of one run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    pub max_rss_kb: u64,
}

/// The `gitsm` binary cargo built for this bench (same profile).
pub fn gitsm() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gitsm"))
}

/// Where the benches keep gitsm's loader cache (`gitsm::repo::cache`).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-cache")
}

/// How a run uses the loader cache.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CacheUse {
    /// `GITSM_CACHE=off`: every file read and parsed.
    Off,
    /// The cache in [`cache_dir`], as it is.
    On,
}

/// Runs `gitsm ARGS` under `/usr/bin/time` once, with the cache used as
/// `cache` says; panics unless it exits with `expect_code` (a fast run that
/// failed would measure the wrong thing).
pub fn run_with(args: &[&str], expect_code: i32, cache: CacheUse) -> Sample {
    let report = tempfile::NamedTempFile::new().expect("temp file");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.env("GITSM_CACHE_DIR", cache_dir());
    if cache == CacheUse::Off {
        cmd.env("GITSM_CACHE", "off");
    }
    let status = cmd
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(report.path())
        .arg(gitsm())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("/usr/bin/time runs (apt-get install time)");
    let code = status.status.code().unwrap_or(-1);
    assert_eq!(
        code,
        expect_code,
        "gitsm {} exited {code}: {}",
        args.join(" "),
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(report.path()).expect("time's report");
    let mut it = text.split_whitespace();
    let wall: f64 = it.next().and_then(|s| s.parse().ok()).expect("elapsed seconds");
    let rss: u64 = it.next().and_then(|s| s.parse().ok()).expect("max RSS");
    Sample {
        wall: Duration::from_secs_f64(wall),
        max_rss_kb: rss,
    }
}

/// Measures `gitsm ARGS` three ways and prints each: without the loader
/// cache (`GITSM_CACHE=off`: once to warm the page cache, then `RUNS` times,
/// default 5), once with a cold cache (its file deleted first: the run that
/// writes it), and `RUNS` times with the warm cache. Prints the median, min
/// and max wall time and the largest RSS; returns the warm figures.
pub fn bench(label: &str, args: &[&str], expect_code: i32) -> (Duration, u64) {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    run_with(args, expect_code, CacheUse::Off);
    let off: Vec<Sample> = (0..runs)
        .map(|_| run_with(args, expect_code, CacheUse::Off))
        .collect();
    print_samples(&format!("{label}, no cache"), off);
    let _ = std::fs::remove_dir_all(cache_dir());
    let cold = run_with(args, expect_code, CacheUse::On);
    print_samples(&format!("{label}, cold cache"), vec![cold]);
    let warm: Vec<Sample> = (0..runs)
        .map(|_| run_with(args, expect_code, CacheUse::On))
        .collect();
    print_samples(&format!("{label}, warm cache"), warm)
}

/// Prints the median, min and max wall time and the largest RSS of runs.
fn print_samples(label: &str, mut samples: Vec<Sample>) -> (Duration, u64) {
    let runs = samples.len();
    samples.sort_by_key(|s| s.wall);
    let median = samples[samples.len() / 2].wall;
    let rss = samples.iter().map(|s| s.max_rss_kb).max().unwrap_or(0);
    println!(
        "{label:<58} median {:6.2} s  min {:6.2} s  max {:6.2} s  max RSS {:6.0} MB  ({runs} runs)",
        median.as_secs_f64(),
        samples[0].wall.as_secs_f64(),
        samples[samples.len() - 1].wall.as_secs_f64(),
        rss as f64 / 1024.0,
    );
    (median, rss)
}

/// The sizes to run: 100k always, 1M when `GITSM_BENCH_1M=1` (generating it
/// takes a few minutes and about 4 GB of disk), or `GITSM_BENCH_SIZES=10000,…`.
pub fn sizes() -> Vec<usize> {
    if let Ok(s) = std::env::var("GITSM_BENCH_SIZES") {
        return s.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    }
    let mut v = vec![100_000];
    if std::env::var_os("GITSM_BENCH_1M").is_some_and(|v| v == "1") {
        v.push(1_000_000);
    }
    v
}

/// One line about the machine, for the record.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "{cores} cores, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

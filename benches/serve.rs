//! Benchmark: `gitsm serve`, from a signed `pull_request` delivery to the
//! check run posted, for a 10-record PR in the 100,000-record repo of
//! `benches/gate.rs`, with a warm mirror. The fake GitHub of the tests
//! (`tests/serve/fake.rs`: REST in GitHub's shapes, the repository through
//! `git http-backend`) stands in for github.com, so the figure is gitsm's
//! own time plus local HTTP, not GitHub's latency.
//!
//! Run with `cargo bench --bench gate --bench serve` (the gate benchmark
//! generates the repo under the target dir the first time). Prints the cold
//! first evaluation (a full clone into the mirror) and p50/p95/max of the
//! warm ones.

#[path = "../tests/serve/fake.rs"]
mod fake;

use fake::{pull_request_event, review_json, Fake, Server};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Warm deliveries measured (`GITSM_BENCH_RUNS` overrides).
const DEFAULT_RUNS: u64 = 20;

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gate-bench-100k");
    assert!(
        root.join(".git/refs/heads/feature").exists(),
        "{} is missing: run `cargo bench --bench gate` once first (it generates the 100k-record repo)",
        root.display()
    );
    let runs: u64 = std::env::var("GITSM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RUNS)
        .max(1);
    let head = git(&root, &["rev-parse", "refs/heads/feature"]);
    let fake = Fake::start(&root);
    // Every run is its own pull request on the same head, so each one is
    // judged and posted (an unchanged verdict on one PR is not re-posted).
    for n in 1..=runs + 1 {
        git(&root, &["update-ref", &format!("refs/pull/{n}/head"), &head]);
        fake.set_pr(n, &head, "main");
        fake.set_reviews(n, vec![review_json(n, "alice", "APPROVED", &head)]);
    }
    let server = Server::start(&fake, "2026-01-04T00:00:00Z", &["--workers", "2"]);
    let deliver = |n: u64| {
        let p = fake.state.lock().unwrap().prs[&n].clone();
        let t = Instant::now();
        let (status, _) = server.deliver(
            "pull_request",
            &format!("bench-{n}"),
            &pull_request_event("opened", n, &p, "carol"),
        );
        assert_eq!(status, 202);
        loop {
            let posted: Vec<_> = fake
                .checks()
                .into_iter()
                .filter(|c| c["head_sha"] == head.as_str())
                .collect();
            if posted.len() as u64 >= n {
                let c = posted.last().unwrap();
                assert_eq!(c["conclusion"], "success", "PR {n}: {c:#}");
                return t.elapsed();
            }
            assert!(t.elapsed() < Duration::from_secs(600), "no check for PR {n}");
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    let cold = deliver(1);
    eprintln!("cold (clone into an empty mirror): {cold:.3?}");
    let mut times = Vec::new();
    for n in 2..=runs + 1 {
        let dt = deliver(n);
        eprintln!("PR {n}: {dt:.3?}");
        times.push(dt);
    }
    times.sort();
    let pct = |p: f64| times[((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "gitsm serve, delivery → check run, 10 changed records, 100k records, warm mirror: p50 {:.3?}, p95 {:.3?}, max {:.3?} over {runs} deliveries; cold first {cold:.3?}; RSS {} MiB",
        pct(0.50),
        pct(0.95),
        times[times.len() - 1],
        server.rss_kib() / 1024
    );
}

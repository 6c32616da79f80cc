//! Benchmark: `gitsm validate` on synthetic repos of 10 000 and 100 000 records.
//!
//! Generates each repo once with `bench/gen_synthetic.py` (realistic record
//! shapes; every record valid, so every rule runs on every file) under
//! `$BENCH_DIR` (default `/tmp/gitsm-bench`), then times the library call the
//! command makes (`validate_summary`: schemas and all rules) `RUNS` times
//! (default 5) after one warm-up run, and prints the median and the best.
//! Run with `cargo bench --bench validate`. For wall time and RSS of the
//! binary, and ajv-cli / check-jsonschema on the same files, use
//! `bash bench/validate.sh` (docs/performance.md).

use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let dir = std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp/gitsm-bench".into());
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    println!(
        "validate: {} rayon threads, {runs} runs after a warm-up",
        rayon::current_num_threads()
    );
    for n in [10_000usize, 100_000] {
        let root = Path::new(&dir).join(format!("r{n}"));
        if !root.join("gitsm.yaml").exists() {
            let status = std::process::Command::new("python3")
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_synthetic.py"))
                .arg(n.to_string())
                .arg(&root)
                .status()
                .expect("python3 runs bench/gen_synthetic.py");
            assert!(status.success(), "generating {}", root.display());
        }
        let source = gitsm::repo::WorkTree::new(&root);
        let once = || {
            let t = Instant::now();
            let s = gitsm::validate::validate_summary(&source).expect("validate");
            let took = t.elapsed();
            // A fast run that found problems would measure the wrong thing.
            assert!(
                s.findings.is_empty(),
                "synthetic repo has findings: {:?}",
                &s.findings[..1]
            );
            assert_eq!(s.records, n, "records loaded");
            took
        };
        once();
        let mut times: Vec<Duration> = (0..runs).map(|_| once()).collect();
        times.sort();
        println!(
            "  {n:>7} records: median {:.3} s, best {:.3} s",
            times[times.len() / 2].as_secs_f64(),
            times[0].as_secs_f64()
        );
    }
}

//! Benchmark: `gitsm validate` on generated repos of 100,000 records (and
//! 1,000,000 with `GITSM_BENCH_1M=1`), end to end as a user runs it.
//!
//! `cargo bench --bench validate` generates each repo once under
//! `target/bench-repos/` (see `benches/common`), runs the release binary once
//! to warm the page cache and then `RUNS` times (default 5), and prints the
//! median, min and max wall time and the peak RSS. Every record is valid, so
//! the run must exit 0. `RAYON_NUM_THREADS=1` times one core.

mod common;

fn main() {
    println!("validate on {}", common::machine());
    for n in common::sizes() {
        let repo = common::repo(n);
        let root = repo.root.to_str().expect("UTF-8 path");
        common::bench(
            &format!("gitsm validate ({n} records)"),
            &["--repo", root, "validate"],
            0,
        );
    }
}

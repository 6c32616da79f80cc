//! Benchmark: `gitsm sla` (open tickets' clocks) on generated repos of
//! 100,000 records (and 1,000,000 with `GITSM_BENCH_1M=1`), end to end.
//!
//! Run with `cargo bench --bench sla`; see `benches/common` for the repo and
//! the figures printed (median, min, max wall time and peak RSS).

mod common;

fn main() {
    println!("sla on {}", common::machine());
    for n in common::sizes() {
        let repo = common::repo(n);
        let root = repo.root.to_str().expect("UTF-8 path");
        let now = repo.now_arg();
        common::bench(
            &format!("gitsm sla --format json ({n} records)"),
            &["--repo", root, "--now", &now, "sla", "--format", "json"],
            0,
        );
    }
}
